-- Bench policy: the PBX (SIPp caller, 127.0.0.2) and one carrier (SIPp
-- carrier, 127.0.0.3:5180), no limits. Ports differ from the integration
-- tests' so that a concurrent `make test` does not collide with `make bench`.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (1, 'pbx', '127.0.0.2', 5160, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (2, 'carrier1', '127.0.0.3', 5180, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.2/32'), (2, '127.0.0.3/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (1, '', 2, 1, 100, 1);
INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee)
VALUES ('1', 2, 0.60, 6, 6, 0.0);
