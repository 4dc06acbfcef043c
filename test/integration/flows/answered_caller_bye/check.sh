# The carrier's Call-ID is not the caller's (fresh dialog).
a=$(grep -m1 -i '^Call-ID:' "$W/caller.msg" | tr -d '\r')
b=$(grep -m1 -i '^Call-ID:' "$W/carrier1.msg.received" | tr -d '\r')
[ -n "$a" ] && [ -n "$b" ] && [ "${a#*: }" != "${b#*: }" ] || die "Call-ID leaked or missing: '$a' vs '$b'"
# The CDR holds both Call-IDs, answer and end times, and a cost.
sqlite3 "$DB" "SELECT call_id <> b_call_id AND b_call_id <> '' AND answer_time IS NOT NULL AND end_time IS NOT NULL AND duration_s >= 0.9 AND cost > 0 FROM cdrs" | grep -qx 1 || die "CDR incomplete: $(sqlite3 "$DB" 'SELECT * FROM cdrs')"
