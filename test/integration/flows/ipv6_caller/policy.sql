-- ipv6_caller: a PBX on ::1 (SIP port 5760) calls an IPv4 carrier at
-- 127.0.0.77 (port 5780). The b2bua listens on 127.0.0.76 and [::1], both
-- named "main" (one dual-stack interface); so does the relay.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (76, 'pbx_v6', '::1', 5760, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (77, 'carrier_v4', '127.0.0.77', 5780, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (76, '::1/128'), (77, '127.0.0.77/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (76, '7', 77, 1, 100, 1);
