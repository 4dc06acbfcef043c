# Both route attempts are recorded (cdr_attempts), in order, with the
# trunk's own answers; b2bua-ctl shows them by the caller's Call-ID.
got=$(sqlite3 -separator '|' "$DB" "SELECT a.seq, a.trunk, a.sip_code, a.cause, a.reason
	FROM cdr_attempts a JOIN cdrs c ON c.id = a.cdr_id ORDER BY a.seq")
want="1|carrier1|503|remote|Service Unavailable
2|carrier2|200|remote|OK"
[ "$got" = "$want" ] || { die "cdr_attempts: got '$got', want '$want'"; return 1; }
cid=$(sqlite3 "$DB" "SELECT call_id FROM cdrs")
"$ROOT/$BUILD/b2bua-ctl" -d "$DB" cdr --call-id "$cid" --attempts > "$W/attempts.out" 2>&1 ||
	{ die "b2bua-ctl cdr --attempts failed: $(cat "$W/attempts.out")"; return 1; }
grep -q "^2  [0-9-]* [0-9:]*  200  remote  carrier2  OK  *$cid\$" "$W/attempts.out" ||
	{ die "b2bua-ctl cdr --attempts: $(cat "$W/attempts.out")"; return 1; }
