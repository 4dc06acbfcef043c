-- two_armed: a PBX on the inside network (127.0.0.70, SIP port 5760), a
-- carrier on the outside one (127.0.0.75, port 5780). The b2bua listens on
-- 127.0.0.71 (inside) and 127.0.0.72 (outside); the relay has the
-- interfaces of the same names on the same addresses.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled, interface)
VALUES (70, 'pbx_in', '127.0.0.70', 5760, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'inside'),
       (71, 'carrier_out', '127.0.0.75', 5780, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'outside');
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (70, '127.0.0.70/32'), (71, '127.0.0.75/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (70, '7', 71, 1, 100, 1);
