SELECT disposition, count(*), max(hangup_by) FROM cdrs GROUP BY disposition
