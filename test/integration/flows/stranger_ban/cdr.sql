SELECT from_trunk, disposition, count(*) FROM cdrs GROUP BY 1, 2
