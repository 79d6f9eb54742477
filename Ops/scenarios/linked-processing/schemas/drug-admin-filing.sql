CREATE TABLE {table} (
  bgbh VARCHAR(14) PRIMARY KEY,
  qydm VARCHAR(18) NOT NULL,
  qymc VARCHAR(100) NOT NULL,
  bgxm VARCHAR(20) NOT NULL,
  bghnr VARCHAR(200) NOT NULL,
  bgsj VARCHAR(19) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (bgsj);
