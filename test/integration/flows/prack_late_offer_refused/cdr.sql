SELECT to_trunk, disposition, hangup_by, sip_code, reason FROM cdrs ORDER BY id
