# 3 s at the old 0.60/min in 6 s steps: 0.06 each (the new rate would give 0.6).
n=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs WHERE abs(cost - 0.06) < 1e-9")
[ "$n" = 2 ] || die "calls in flight did not keep their policy: $(sqlite3 "$DB" 'SELECT id, cost FROM cdrs')"
grep -q 'number_rules id 9' "$W/b2bua.log" || die "the refused reload is not logged"
