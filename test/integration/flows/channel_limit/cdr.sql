SELECT to_trunk, disposition, sip_code FROM cdrs ORDER BY to_trunk
