CREATE TABLE {table} (
  ywh VARCHAR(14) PRIMARY KEY,
  bdcdyh VARCHAR(28) NOT NULL,
  jkrxm VARCHAR(50),
  jkrzjh VARCHAR(18) NOT NULL,
  jyjg DECIMAL(18, 2),
  djsj VARCHAR(14) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (djsj);
