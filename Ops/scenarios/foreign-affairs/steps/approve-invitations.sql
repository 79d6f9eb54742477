-- The jinhong officers approve every invitation not yet decided.
UPDATE yqh SET SPZT = '03', SPSJ = ?1 WHERE SPSJ IS NULL;
