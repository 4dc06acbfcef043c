# The log names what was stopped; the CDR says why the call failed.
grep -q "the SDP toward B would carry the other side's host 10.20.30.40: not sent" "$W/b2bua.log" ||
	{ die "no log line names the stopped leak: $(grep -i leak "$W/b2bua.log" | head -3)"; return 1; }
[ "$(sqlite3 "$DB" "SELECT reason FROM cdrs")" = "Topology Leak Stopped" ] ||
	{ die "CDR reason: $(sqlite3 "$DB" 'SELECT reason FROM cdrs')"; return 1; }
true
