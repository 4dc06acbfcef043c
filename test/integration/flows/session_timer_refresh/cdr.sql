SELECT to_trunk, disposition, reason, hangup_by FROM cdrs ORDER BY id
