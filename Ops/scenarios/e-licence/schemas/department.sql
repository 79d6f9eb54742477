CREATE TABLE {table} (
  certificate_no VARCHAR(40) PRIMARY KEY,
  property_no VARCHAR(28) NOT NULL,
  holder VARCHAR(50) NOT NULL,
  holder_id VARCHAR(18) NOT NULL,
  address VARCHAR(200) NOT NULL,
  area DECIMAL(12, 2),
  issued_at VARCHAR(14) NOT NULL,
  certificate_name VARCHAR(100),
  certificate_file BLOB
);
CREATE INDEX {table}_issued ON {table} (issued_at);
