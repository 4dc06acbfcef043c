CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
sleep 1
sqlite3 "$DB" "INSERT INTO number_rules (id, trunk_id, direction, field, match, replace, priority) VALUES (9, NULL, 'in', 'ruri', '^(unclosed', '\$1', 1)"
if $CTL reload > "$W/reload1.out" 2> "$W/reload1.err"; then
	die "a bad number rule was accepted"; exit 1
fi
grep -q 'number_rules id 9' "$W/reload1.err" || { die "refusal does not name the row: $(cat "$W/reload1.err")"; exit 1; }
sqlite3 "$DB" "DELETE FROM number_rules WHERE id = 9; UPDATE rates SET per_minute = 6.0 WHERE trunk_id = 2"
$CTL reload > "$W/reload2.out" 2>&1 || { die "good reload refused: $(cat "$W/reload2.out")"; exit 1; }
$CTL calls > "$W/calls.out" 2>&1 || { die "calls failed"; exit 1; }
[ "$(grep -c -v '^#' "$W/calls.out")" = 2 ] || { die "expected 2 calls listed: $(cat "$W/calls.out")"; exit 1; }
head -1 "$W/calls.out" | grep -q '^# CALL-ID STATE ' || { die "calls has no header: $(cat "$W/calls.out")"; exit 1; }
