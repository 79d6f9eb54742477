CREATE TABLE {table} (
  approval_no  VARCHAR(20) PRIMARY KEY,
  project_code VARCHAR(24) NOT NULL,
  stage        VARCHAR(2) NOT NULL,
  item         VARCHAR(100) NOT NULL,
  decision     VARCHAR(1) NOT NULL,
  district     VARCHAR(2) NOT NULL,
  decided_on   VARCHAR(8) NOT NULL,
  authority    VARCHAR(100),
  updated_at   VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_updated ON {table} (updated_at);
