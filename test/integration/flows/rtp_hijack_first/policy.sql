UPDATE trunks SET media_latch = 'first' WHERE name = 'pbx';
