UPDATE trunks SET media_latch = 'sdp' WHERE name = 'pbx';
