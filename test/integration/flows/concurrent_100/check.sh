# 100 calls held 3 s, placed at 50/s: every one started before the first
# ended, so all 100 were up at once.
n=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs WHERE start_time < (SELECT min(end_time) FROM cdrs)")
[ "$n" = 100 ] || die "only $n calls overlapped"
