UPDATE trunks SET refer = 'local' WHERE name = 'carrier1';
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES (2, '2000', 3, 1, 100, 1);
