CREATE TABLE {table} (
  project_code   VARCHAR(24) PRIMARY KEY,
  project_name   VARCHAR(200) NOT NULL,
  district       VARCHAR(2) NOT NULL,
  project_type   VARCHAR(1) NOT NULL,
  builder        VARCHAR(100) NOT NULL,
  builder_uscc   VARCHAR(18) NOT NULL,
  investment_wan DECIMAL(18, 2),
  land_area_m2   DECIMAL(18, 2),
  planned_start  VARCHAR(8),
  updated_at     VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_updated ON {table} (updated_at);
