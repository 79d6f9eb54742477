CREATE TABLE {table} (
  acceptance_no VARCHAR(20) PRIMARY KEY,
  project_code  VARCHAR(24) NOT NULL,
  district      VARCHAR(2) NOT NULL,
  departments   VARCHAR(100) NOT NULL,
  result        VARCHAR(2) NOT NULL,
  accepted_on   VARCHAR(8) NOT NULL,
  updated_at    VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_updated ON {table} (updated_at);
