-- carrier1 takes SRTP only: the b2bua asks the relay for RTP/SAVP toward it.
UPDATE trunks SET srtp = 'mandatory' WHERE name = 'carrier1';
