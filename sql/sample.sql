-- sample.sql - demo policy for `make run` (loaded after schema.sql).
-- A PBX on loopback sends calls out through two carriers: German numbers
-- go to carrier-a first and fail over to carrier-b; everything else is
-- shared by weight. Numbers arrive national (0...) or international
-- (00...) and leave in E.164 without the '+'.

INSERT INTO trunks (id, name, host, port, transport, username, password, realm, register,
                    max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (1, 'pbx', '127.0.0.2', 5060, 'udp', NULL, NULL, NULL, 0, 0, 0, NULL, 'off', 0, 1),
       (2, 'carrier-a', '127.0.0.3', 5080, 'udp', 'acct1001', 'secret-a', 'carrier-a.example', 0,
        30, 5, 'PCMA,PCMU,telephone-event', 'off', 30, 1),
       (3, 'carrier-b', '127.0.0.4', 5080, 'udp', NULL, NULL, NULL, 0,
        60, 10, 'PCMA,telephone-event', 'optional', 30, 1);

INSERT INTO trunk_sources (trunk_id, cidr)
VALUES (1, '127.0.0.2/32'), (1, '::1/128'),
       (2, '127.0.0.3/32'), (3, '127.0.0.4/32');

-- From the PBX: +49 (after the "in" rules) to carrier-a, then carrier-b;
-- mobiles (+491) cheaper on carrier-b; anything else split 70/30.
-- Calls from the carriers go to the PBX (default route of any trunk).
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (1, '+49', 2, 1, 100, 1),
       (1, '+49', 3, 2, 100, 1),
       (1, '+491', 3, 1, 100, 1),
       (1, '+491', 2, 2, 100, 1),
       (1, '', 2, 1, 70, 1),
       (1, '', 3, 1, 30, 1),
       (NULL, '', 1, 1, 100, 1);

-- In: national 0... -> +49..., international 00... -> +...
-- Out to the carriers: drop the '+'.
INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)
VALUES (1, 'in', 'ruri', '^00(\d+)$', '+$1', 10),
       (1, 'in', 'ruri', '^0(\d+)$', '+49$1', 20),
       (1, 'in', 'from', '^0(\d+)$', '+49$1', 20),
       (2, 'out', 'ruri', '^\+(\d+)$', '$1', 10),
       (3, 'out', 'ruri', '^\+(\d+)$', '$1', 10),
       (NULL, 'out', 'pai', '^\+(\d+)$', '$1', 10);

-- Never leak the PBX's internals; tell carrier-a who we are.
INSERT INTO header_rules (trunk_id, direction, action, header, match, value, priority)
VALUES (NULL, 'out', 'remove', 'X-PBX-Internal', NULL, NULL, 10),
       (NULL, 'out', 'replace', 'User-Agent', NULL, 'b2bua', 20),
       (2, 'out', 'add', 'X-Account', NULL, 'acct1001', 30);

INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee)
VALUES ('', 2, 0.10, 60, 60, 0.0),
       ('49', 2, 0.01, 60, 60, 0.0),
       ('491', 2, 0.09, 60, 60, 0.0),
       ('', 3, 0.12, 1, 0, 0.02),
       ('49', 3, 0.015, 6, 6, 0.0),
       ('491', 3, 0.05, 6, 6, 0.0);
