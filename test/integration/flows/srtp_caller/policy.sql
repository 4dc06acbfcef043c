-- The PBX speaks SRTP only; carrier1 stays plain RTP ('off').
UPDATE trunks SET srtp = 'mandatory' WHERE name = 'pbx';
