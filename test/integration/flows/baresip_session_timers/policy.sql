-- Two baresip user agents, each a trunk of its own: bsa (the caller,
-- 127.0.0.12:5060) and bsb (the callee, 127.0.0.13:5080). 3... from bsa
-- goes to bsb.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (21, 'bsa', '127.0.0.12', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (22, 'bsb', '127.0.0.13', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (21, '127.0.0.12/32'), (22, '127.0.0.13/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (21, '3', 22, 1, 100, 1);
