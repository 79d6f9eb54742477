-- The e-passport network's issuance system (电子护照签发系统).
CREATE TABLE travel_orders (
    order_ref      TEXT PRIMARY KEY,
    holder_name    TEXT NOT NULL,
    citizen_id     TEXT NOT NULL,
    gender         TEXT,
    employer_code  TEXT,
    countries      TEXT,          -- ISO 3166 alpha-3, '|'-separated
    travel_from    TEXT,          -- yyyy/MM/dd
    travel_to      TEXT,
    purpose        TEXT,
    approval       TEXT,
    modified       TEXT NOT NULL  -- yyyy-MM-dd HH:mm:ss
);
CREATE INDEX travel_orders_modified ON travel_orders(modified);

CREATE TABLE issuance (
    order_ref        TEXT PRIMARY KEY,
    state            TEXT NOT NULL,
    passport_number  TEXT,
    modified         TEXT NOT NULL
);
CREATE INDEX issuance_modified ON issuance(modified);

CREATE TABLE persons (
    person_ref     TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    citizen_id     TEXT NOT NULL,
    gender         TEXT,
    employer_code  TEXT,
    post           TEXT,
    modified       TEXT NOT NULL
);
CREATE INDEX persons_modified ON persons(modified);

CREATE TABLE apec_orders (
    order_ref   TEXT PRIMARY KEY,
    person_ref  TEXT NOT NULL,
    economies   TEXT,          -- ISO 3166 alpha-3, '|'-separated
    purpose     TEXT,
    approval    TEXT,
    modified    TEXT NOT NULL
);
CREATE INDEX apec_orders_modified ON apec_orders(modified);

CREATE TABLE visa_notices (
    notice_ref        TEXT PRIMARY KEY,
    host_ref          TEXT NOT NULL,
    inviter_code      TEXT,
    visitor_name      TEXT NOT NULL,
    nationality       TEXT,    -- ISO 3166 alpha-3
    visitor_passport  TEXT,
    arrive            TEXT,    -- yyyy/MM/dd
    depart            TEXT,
    purpose           TEXT,
    approval          TEXT,
    modified          TEXT NOT NULL
);
CREATE INDEX visa_notices_modified ON visa_notices(modified);

CREATE TABLE case_status (
    case_ref         TEXT PRIMARY KEY,
    line             TEXT NOT NULL,
    state            TEXT NOT NULL,
    document_number  TEXT,
    modified         TEXT NOT NULL
);
CREATE INDEX case_status_modified ON case_status(modified);
