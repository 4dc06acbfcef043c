SELECT disposition, sip_code, count(*) FROM cdrs GROUP BY 1, 2 ORDER BY 1
