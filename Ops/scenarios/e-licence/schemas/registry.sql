-- The certificate file is the last column: SQLite then streams it in and out.
CREATE TABLE {table} (
  zsh VARCHAR(40) PRIMARY KEY,
  bdcdyh VARCHAR(28) NOT NULL,
  qlr VARCHAR(50) NOT NULL,
  qlrzjh VARCHAR(18) NOT NULL,
  zl VARCHAR(200) NOT NULL,
  mj DECIMAL(12, 2),
  fzsj VARCHAR(14) NOT NULL,
  dzzzmc VARCHAR(100),
  dzzz BLOB
);
CREATE INDEX {table}_fzsj ON {table} (fzsj);
