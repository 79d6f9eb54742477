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
