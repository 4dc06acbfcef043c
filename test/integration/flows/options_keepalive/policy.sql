-- carrier1 (the first route of 1...) is probed every second; carrier2
-- (the second) is not probed at all.
UPDATE trunks SET options_ping_s = 1 WHERE id = 2;
