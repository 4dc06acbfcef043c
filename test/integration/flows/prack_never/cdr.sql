SELECT to_trunk, disposition, sip_code, reason, hangup_by, answer_time IS NULL, cost IS NULL FROM cdrs ORDER BY id
