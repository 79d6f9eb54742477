CREATE TABLE {table} (
  zzbh VARCHAR(40) PRIMARY KEY,
  bdcdyh VARCHAR(28) NOT NULL,
  czzt VARCHAR(50) NOT NULL,
  czztdm VARCHAR(18) NOT NULL,
  zl VARCHAR(200) NOT NULL,
  mj DECIMAL(12, 2),
  qfrq VARCHAR(19) NOT NULL,
  zzwjmc VARCHAR(100),
  zzwj BLOB
);
CREATE INDEX {table}_qfrq ON {table} (qfrq);
