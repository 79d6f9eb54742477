CREATE TABLE {table} (
  ywh VARCHAR(14) PRIMARY KEY,
  bdcdyh VARCHAR(28) NOT NULL,
  nsrsbh VARCHAR(18) NOT NULL,
  jsyj DECIMAL(18, 2) NOT NULL,
  sbsj VARCHAR(19) NOT NULL
);
CREATE INDEX {table}_cursor ON {table} (sbsj);
