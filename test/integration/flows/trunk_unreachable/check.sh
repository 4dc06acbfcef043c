# The attempt (cdr_attempts) names the cause: our stack could not reach
# the trunk; no SIP code came from it.
got=$(sqlite3 -separator '|' "$DB" "SELECT a.seq, a.trunk, coalesce(a.sip_code, '-'), a.cause, a.reason
	FROM cdr_attempts a JOIN cdrs c ON c.id = a.cdr_id ORDER BY a.seq")
want="1|deadtrunk|503|unreachable|Trunk unreachable"
[ "$got" = "$want" ] || { die "cdr_attempts: got '$got', want '$want'"; return 1; }
# Sofia's own line about it goes through our logger (time, level, part),
# never raw to stderr.
grep -q '^[0-9:.]* warn  sofia: tport_udp_error: Connection refused' "$W/b2bua.log" ||
	{ die "no 'warn  sofia: tport_udp_error' line in b2bua.log"; return 1; }
grep -q '^tport_\|^nta:' "$W/b2bua.log" && { die "a raw Sofia line in b2bua.log: $(grep -m1 '^tport_\|^nta:' "$W/b2bua.log")"; return 1; }
return 0
