SELECT from_trunk, to_trunk, disposition, sip_code, hangup_by, a_rtp_pkts FROM cdrs ORDER BY id
