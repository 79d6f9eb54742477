-- The registry completes the blank name. The new registration time makes it a newer
-- version, which the trigger sends again to every sink: the time now (the one parameter,
-- yyyyMMddHHmmss), or a second after the newest registration if the clock is behind it, so
-- the incremental read, which goes by this column, always sees the change.
UPDATE transfers
SET qlr = '陈静',
    djsj = max(?1, (SELECT strftime('%Y%m%d%H%M%S', substr(m, 1, 4) || '-' || substr(m, 5, 2) || '-' || substr(m, 7, 2) || ' '
                                    || substr(m, 9, 2) || ':' || substr(m, 11, 2) || ':' || substr(m, 13, 2), '+1 second')
                    FROM (SELECT max(djsj) AS m FROM transfers)))
WHERE ywh = (SELECT min(ywh) FROM transfers);
