CREATE TABLE {table} (
  xmdm   VARCHAR(24) PRIMARY KEY,
  xmmc   VARCHAR(200) NOT NULL,
  xzqh   VARCHAR(12) NOT NULL,
  xmlx   VARCHAR(2) NOT NULL,
  jsdw   VARCHAR(100) NOT NULL,
  jsdwdm VARCHAR(18) NOT NULL,
  ztz    DECIMAL(18, 2),
  ydmj   DECIMAL(18, 2),
  jhkgrq VARCHAR(10),
  gxsj   VARCHAR(19) NOT NULL
);
CREATE INDEX {table}_gxsj ON {table} (gxsj);
