-- The issuance office issues a passport for every approved order; the one parameter is
-- the issue time (yyyy-MM-dd HH:mm:ss).
INSERT INTO issuance(order_ref, state, passport_number, modified)
SELECT order_ref, '30', 'E' || substr('00000000' || (rowid * 7919 % 100000000), -8, 8), ? FROM travel_orders;
