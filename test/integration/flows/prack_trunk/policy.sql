UPDATE trunks SET rel100 = 'required', session_expires = 120 WHERE name = 'carrier1';
