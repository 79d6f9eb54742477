-- The ministry makes a card for every approved APEC order and sends a visa notice for every
-- approved invitation, except one in ten visitors, whom it refuses (no notice number); each
-- outcome is reported back as case status. The one parameter is the time
-- (yyyy-MM-dd HH:mm:ss).
INSERT INTO case_status(case_ref, line, state, document_number, modified)
SELECT order_ref, 'ABTC', '30', 'C' || substr('00000000' || (rowid * 7919 % 100000000), -8, 8), ?1 FROM apec_orders WHERE approval = 'A'
UNION ALL
SELECT notice_ref, 'INVT', CASE WHEN rowid % 10 = 0 THEN '90' ELSE '40' END,
       CASE WHEN rowid % 10 = 0 THEN NULL ELSE 'N' || substr('00000000' || (rowid * 104729 % 100000000), -8, 8) END, ?1
FROM visa_notices WHERE approval = 'A';
