UPDATE trunks SET trusted = 1 WHERE name IN ('pbx', 'carrier1');
INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)
VALUES (1, 'in', 'pai', '^555', '+1555', 1);
