CREATE TABLE {table} (
  ywh VARCHAR(14) PRIMARY KEY,
  bdcdyh VARCHAR(28) NOT NULL,
  zl VARCHAR(200) NOT NULL,
  xzqdm VARCHAR(6) NOT NULL,
  qlr VARCHAR(50),
  qlrzjh VARCHAR(18) NOT NULL,
  jyjg DECIMAL(18, 2),
  djsj VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (djsj);
