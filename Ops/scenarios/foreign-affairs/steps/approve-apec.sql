-- The jinhong officers approve every APEC card application not yet decided (the one
-- parameter is the approval time, yyyyMMddHHmmss, the cursor the ministry flow reads by).
UPDATE apec_sq SET SPZT = '03', SPSJ = ?1 WHERE SPSJ IS NULL;
