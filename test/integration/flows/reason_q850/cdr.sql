SELECT to_trunk, disposition, hangup_by, q850_cause FROM cdrs ORDER BY id
