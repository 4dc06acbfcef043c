# The attempt (cdr_attempts) names the cause: our stack could not reach
# the trunk; no SIP code came from it.
got=$(sqlite3 -separator '|' "$DB" "SELECT a.seq, a.trunk, coalesce(a.sip_code, '-'), a.cause, a.reason
	FROM cdr_attempts a JOIN cdrs c ON c.id = a.cdr_id ORDER BY a.seq")
want="1|deadtrunk|503|unreachable|Trunk unreachable"
[ "$got" = "$want" ] || { die "cdr_attempts: got '$got', want '$want'"; return 1; }
