-- The flow's own two parties on loopback addresses no other flow uses:
-- rfpbx (the caller, 127.0.0.20:5060) and rfcarrier (127.0.0.21:5080).
-- 5... from rfpbx goes to rfcarrier.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (41, 'rfpbx', '127.0.0.20', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (42, 'rfcarrier', '127.0.0.21', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (41, '127.0.0.20/32'), (42, '127.0.0.21/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (41, '5', 42, 1, 100, 1);
