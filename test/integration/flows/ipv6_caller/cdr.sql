SELECT from_trunk, to_trunk, disposition, hangup_by, codec, a_rtp_pkts, b_rtp_pkts FROM cdrs ORDER BY id
