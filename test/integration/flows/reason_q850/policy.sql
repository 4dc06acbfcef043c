UPDATE trunks SET trusted = 1 WHERE name = 'carrier1';
