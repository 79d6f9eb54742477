CREATE TABLE {table} (
  ywbh VARCHAR(14) PRIMARY KEY,
  sfzh VARCHAR(18) NOT NULL,
  dwdm VARCHAR(18) NOT NULL,
  jcrq VARCHAR(8) NOT NULL,
  gxsj VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (gxsj);
