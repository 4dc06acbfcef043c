-- National 0... becomes 1... on the way in (so it routes to carrier1),
-- carrier1 wants +1... and +49 caller numbers, and an account header.
INSERT INTO number_rules (id, trunk_id, direction, field, match, replace, priority)
VALUES (1, 1, 'in', 'ruri', '^0(\d+)$', '1$1', 10),
       (2, 2, 'out', 'ruri', '^1(\d+)$', '+1$1', 10),
       (3, 2, 'out', 'from', '^(\d{4})$', '+49$1', 10),
       (4, NULL, 'out', 'ruri', '^(.*)$', 'never-$1', 20);
INSERT INTO header_rules (id, trunk_id, direction, action, header, match, value)
VALUES (1, 2, 'out', 'add', 'X-Carrier-Account', NULL, '4711'),
       (2, 2, 'out', 'remove', 'Via', NULL, NULL),
       (3, 3, 'out', 'add', 'X-Not-For-Carrier1', NULL, 'x');
