-- The sample's carriers are pinged every 30 s (options_ping_s); this
-- flow's SIPp carriers take one INVITE and nothing else, so the pings are
-- off here (OPTIONS keepalives are the options_keepalive flow's).
UPDATE trunks SET options_ping_s = 0;
