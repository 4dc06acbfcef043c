UPDATE trunks SET max_cps = 2 WHERE id = 3;
