-- The flow's own parties on loopback addresses no other flow uses:
-- regcar, a carrier we register with (its registrar 127.0.0.41:5060, no
-- trunk_sources row: its calls are known by the registration), and
-- regpbx (127.0.0.42:5080). Calls from regcar go to regpbx.
INSERT INTO trunks (id, name, host, port, transport, username, password, realm, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (51, 'regcar', '127.0.0.41', 5060, 'udp', 'acct1', 's3cret', 'reg.example', 1, 0, 0, NULL, 'off', 0, 1),
       (52, 'regpbx', '127.0.0.42', 5080, 'udp', NULL, NULL, NULL, 0, 0, 0, NULL, 'off', 0, 1),
       (53, 'regnocred', '127.0.0.43', 5060, 'udp', 'acct3', NULL, NULL, 1, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (52, '127.0.0.42/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (51, '', 52, 1, 100, 1);
