SELECT from_trunk, to_trunk, disposition, sip_code, hangup_by, reason FROM cdrs
