-- The extranet application portal (因公出国（境）网上申报系统).
CREATE TABLE applications (
    app_no          TEXT PRIMARY KEY,
    applicant_name  TEXT NOT NULL,
    id_card         TEXT NOT NULL,
    sex             TEXT,
    employer_uscc   TEXT,
    destinations    TEXT,            -- ISO 3166 alpha-2, ';'-separated
    depart_on       TEXT,            -- YYYY-MM-DD
    return_on       TEXT,
    purpose         TEXT,
    updated_at      TEXT NOT NULL    -- YYYY-MM-DD HH:MM:SS
);
CREATE INDEX applications_updated ON applications(updated_at);

CREATE TABLE progress (
    app_no       TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    passport_no  TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX progress_updated ON progress(updated_at);
