UPDATE trunks SET username = 'acct1', password = 's3cret', realm = 'carrier1.example' WHERE id = 2;
