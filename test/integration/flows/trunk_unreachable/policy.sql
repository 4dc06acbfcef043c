-- deadtrunk: an address where nothing listens (no other flow uses it).
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (61, 'deadtrunk', '127.0.0.62', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (1, '3', 61, 1, 100, 1);
