UPDATE trunks SET redirect = 'follow' WHERE name = 'carrier1';
