UPDATE trunks SET codecs = 'PCMA,PCMU,telephone-event' WHERE name = 'carrier1';
