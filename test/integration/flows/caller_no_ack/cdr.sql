SELECT disposition, sip_code, hangup_by, reason, count(*) FROM cdrs GROUP BY 1, 2, 3, 4 ORDER BY 3
