UPDATE trunks SET refer = 'local' WHERE name = 'carrier1';
