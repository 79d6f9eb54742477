-- The ministry makes a card for every approved APEC order and sends a visa notice for every
-- approved invitation; both are reported back as case status. The one parameter is the time
-- (yyyy-MM-dd HH:mm:ss).
INSERT INTO case_status(case_ref, line, state, document_number, modified)
SELECT order_ref, 'ABTC', '30', 'C' || substr('00000000' || (rowid * 7919 % 100000000), -8, 8), ?1 FROM apec_orders WHERE approval = 'A'
UNION ALL
SELECT notice_ref, 'INVT', '40', 'N' || substr('00000000' || (rowid * 104729 % 100000000), -8, 8), ?1 FROM visa_notices WHERE approval = 'A';
