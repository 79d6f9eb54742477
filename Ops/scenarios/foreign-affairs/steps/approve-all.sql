-- The jinhong officers approve every application not yet decided: status 03 and the
-- approval time (the one parameter, yyyyMMddHHmmss), which the passport flow reads by.
UPDATE sqsp SET SPZT = '03', SPSJ = ? WHERE SPSJ IS NULL;
