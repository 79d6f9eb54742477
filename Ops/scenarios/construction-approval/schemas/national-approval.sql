CREATE TABLE {table} (
  approvalNo       VARCHAR(20) PRIMARY KEY,
  projectCode      VARCHAR(24) NOT NULL,
  stageCode        VARCHAR(2) NOT NULL,
  itemName         VARCHAR(100) NOT NULL,
  resultCode       VARCHAR(2) NOT NULL,
  divisionCode     VARCHAR(6) NOT NULL,
  decisionDate     VARCHAR(10) NOT NULL,
  issuingAuthority VARCHAR(100),
  updateTime       VARCHAR(25) NOT NULL
);
CREATE INDEX {table}_updated ON {table} (updateTime);
