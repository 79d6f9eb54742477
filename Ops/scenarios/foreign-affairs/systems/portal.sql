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
-- Forms are looked up by the applicant's ID number (the person register is filled from them).
CREATE INDEX applications_id_card ON applications(id_card);

CREATE TABLE progress (
    app_no       TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    passport_no  TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX progress_updated ON progress(updated_at);

-- The person register (人员信息库): each applicant entered once, by register number.
CREATE TABLE applicants (
    applicant_no   TEXT PRIMARY KEY,   -- RY and ten digits
    name           TEXT NOT NULL,
    id_card        TEXT NOT NULL UNIQUE,
    sex            TEXT,
    employer_uscc  TEXT,
    post           TEXT,               -- 职务
    updated_at     TEXT NOT NULL
);
CREATE INDEX applicants_updated ON applicants(updated_at);

-- APEC business travel cards: the applicant by register number only.
CREATE TABLE apec_applications (
    apec_no       TEXT PRIMARY KEY,
    applicant_no  TEXT NOT NULL REFERENCES applicants(applicant_no),
    economies     TEXT,               -- ISO 3166 alpha-2, ';'-separated
    purpose       TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX apec_applications_updated ON apec_applications(updated_at);

-- Invitations of foreign visitors: the host by register number, the visitor in full.
CREATE TABLE invitations (
    inv_no        TEXT PRIMARY KEY,
    host_no       TEXT NOT NULL REFERENCES applicants(applicant_no),
    inviter_uscc  TEXT,
    visitor_name  TEXT NOT NULL,      -- as on the passport, family name first
    nationality   TEXT,               -- ISO 3166 alpha-2
    passport_no   TEXT,
    arrive_on     TEXT,               -- YYYY-MM-DD
    leave_on      TEXT,
    purpose       TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX invitations_updated ON invitations(updated_at);

-- Where each APEC card and invitation case stands, as the applicant sees it.
CREATE TABLE case_progress (
    case_no      TEXT PRIMARY KEY,
    line         TEXT NOT NULL,
    status       TEXT NOT NULL,
    document_no  TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX case_progress_updated ON case_progress(updated_at);
