-- The registry completes the blank name; the new registration time (the one parameter) makes
-- it a newer version, which the trigger sends again to every sink.
UPDATE transfers SET qlr = '陈静', djsj = ? WHERE ywh = (SELECT min(ywh) FROM transfers);
