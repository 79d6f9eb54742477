-- The first transfer of the run is registered with the buyer's name left blank, as happens
-- when a clerk files the deed before the buyer's identity check is done.
UPDATE transfers SET qlr = '' WHERE ywh = (SELECT min(ywh) FROM transfers);
