CREATE TABLE {table} (
  transfer_no VARCHAR(14) PRIMARY KEY,
  property_no VARCHAR(28) NOT NULL,
  address VARCHAR(200) NOT NULL,
  holder_name VARCHAR(50),
  holder_id VARCHAR(18) NOT NULL,
  effective_at VARCHAR(25) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (effective_at);
