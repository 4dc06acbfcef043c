UPDATE trunks SET max_channels = 1 WHERE id = 2;
