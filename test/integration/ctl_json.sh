#!/bin/bash
# ctl_json.sh BUILD_DIR - b2bua-ctl's --json lists, route explain, init and
# the installed config as default, against a b2bua of its own on
# 127.0.0.94 (carriers 127.0.0.96, answering OPTIONS, and 127.0.0.97,
# nobody there; a relay address 127.0.0.95 nobody answers). Prints
# PASS/FAIL lines:
#  - calls/trunks/relays/stats --json: valid JSON (python3 -m json.tool),
#    the table's fields with numbers as numbers, null for "-";
#  - route explain: rules, candidates, the down trunk skipped and the next
#    chosen (daemon up), "state unknown (daemon not reachable)" (daemon
#    down), the weighted draw as chances, --json; an unknown --from trunk
#    (exit 2), a number with no route (exit 1);
#  - init: creates and migrates, again changes nothing, a file that is not
#    SQLite is refused and untouched, the b2bua takes the result;
#  - without -c, b2bua-ctl reads $(CONFDIR)/b2bua.conf of its build (a
#    build with PREFIX under the work directory), -s/-d still win.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
W=$(mktemp -d /tmp/ctl-json.XXXXXX)
A=127.0.0.94
UP=127.0.0.96
DOWN=127.0.0.97
. test/integration/lib/standalone.sh   # PIDS, rc, cleanup on exit, pass, fail
CTL="$B/b2bua-ctl"

# is_json FILE: python's parser takes it.
is_json() { python3 -m json.tool "$1" > /dev/null 2>&1; }
# jcheck NAME FILE EXPR: FILE is JSON and the Python expression on it (j) holds.
jcheck() {
	if python3 - "$2" "$3" <<'EOF' 2>"$W/jcheck.err"; then pass "$1"; else fail "$1" "$(tail -1 "$W/jcheck.err") / $(head -c 300 "$2")"; fi
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
EOF
}

# ---- a policy: pbx calls in; 44 goes to down (priority 1) then up;
# 33 is split 70/30; 0 from pbx becomes 44 ----
scripts/mkdb.sh "$W/b2bua.db" || { fail setup mkdb; exit 1; }
sqlite3 "$W/b2bua.db" <<SQL || { fail setup policy; exit 1; }
INSERT INTO trunks (id, name, host, port, transport, max_channels, max_cps, options_ping_s, enabled) VALUES
 (1, 'pbx', '127.0.0.95', 5060, 'udp', 0, 0, 0, 1),
 (2, 'carrier-up', '$UP', 5080, 'udp', 30, 5, 1, 1),
 (3, 'carrier-down', '$DOWN', 5080, 'udp', 10, 0, 1, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.95/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES
 (1, '44', 3, 1, 100, 1), (1, '44', 2, 2, 100, 1),
 (NULL, '33', 2, 1, 70, 1), (NULL, '33', 3, 1, 30, 1);
INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority) VALUES
 (1, 'in', 'ruri', '^0(\d+)\$', '44\$1', 10),
 (2, 'out', 'ruri', '^44(\d+)\$', '0044\$1', 10);
INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee) VALUES
 ('0044', 2, 0.25, 6, 6, 0.01);
SQL
cat > "$W/b2bua.conf" <<CONF
[sip]
listen = udp:$A:5060
[db]
path = $W/b2bua.db
[relay]
ng = 127.0.0.95:22230
[control]
socket = $W/b2bua.sock
[trunks]
down_after = 2
up_after = 1
[log]
level = info
CONF

# carrier-up: answers every OPTIONS 200 (a stand-in as small as a SIPp).
python3 - "$UP" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5080))
s.settimeout(120)
while True:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        break
    lines = data.decode("utf-8", "replace").split("\r\n")
    if not lines[0].startswith("OPTIONS "):
        continue
    keep = [l for l in lines[1:] if l.split(":")[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    keep = [l + ";tag=up1" if l.lower().startswith("to:") else l for l in keep]
    s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode(), peer)
EOF
PIDS="$PIDS $!"

"$B/b2bua" -c "$W/b2bua.conf" -f > "$W/b2bua.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do [ -S "$W/b2bua.sock" ] && break; sleep 0.1; done
[ -S "$W/b2bua.sock" ] || { fail setup "b2bua did not start: $(tail -3 "$W/b2bua.log")"; exit 1; }
S="-s $W/b2bua.sock"
# both carriers settled: up answered, down twice unreachable
for _ in $(seq 1 80); do
	$CTL $S trunks > "$W/trunks.txt" 2>&1
	grep -q '^carrier-up .* reach up ' "$W/trunks.txt" && grep -q '^carrier-down .* reach down ' "$W/trunks.txt" && break
	sleep 0.1
done

# ---- --json lists ----
$CTL $S trunks --json > "$W/trunks.json" 2> "$W/err"; crc=$?
[ $crc = 0 ] && is_json "$W/trunks.json" && pass trunks_json_valid || fail trunks_json_valid "exit $crc $(cat "$W/err")"
jcheck trunks_json_fields "$W/trunks.json" '
[t["name"] for t in j["trunks"]] == ["pbx", "carrier-up", "carrier-down"] and
all(type(t[k]) is int for t in j["trunks"] for k in ("id", "port", "channels")) and
all(type(t["cps"]) in (int, float) for t in j["trunks"]) and
j["trunks"][1]["max_channels"] == 30 and j["trunks"][1]["max_cps"] == 5 and
j["trunks"][0]["max_channels"] is None and j["trunks"][2]["max_cps"] is None and
j["trunks"][1]["enabled"] is True and j["trunks"][1]["reach"] == "up" and
j["trunks"][1]["options_last"] == "200" and j["trunks"][1]["options_time"].endswith("Z") and
j["trunks"][2]["reach"] == "down" and j["trunks"][2]["options_last"] == "unreachable" and
j["trunks"][0]["reach"] == "unprobed" and j["trunks"][0]["options_last"] is None and
all(t["reg"] == "off" and t["reg_expires"] is None and t["reg_last_error"] is None for t in j["trunks"])'
# the table says the same (one source): each trunk's reach in both
for t in carrier-up carrier-down pbx; do
	r=$(python3 -c "import json,sys; print([x['reach'] for x in json.load(open('$W/trunks.json'))['trunks'] if x['name']=='$t'][0])")
	grep -q "^$t .* reach $r " "$W/trunks.txt" || { fail trunks_json_matches_table "$t: json $r, table $(grep "^$t " "$W/trunks.txt")"; break; }
	[ $t = pbx ] && pass trunks_json_matches_table
done
$CTL $S calls --json > "$W/calls.json" 2> "$W/err"
jcheck calls_json "$W/calls.json" 'j == {"calls": []}'
$CTL $S relays --json > "$W/relays.json" 2> "$W/err"
jcheck relays_json "$W/relays.json" '
len(j["relays"]) == 1 and j["relays"][0]["relay"] == "127.0.0.95:22230" and
j["relays"][0]["state"] in ("up", "down") and type(j["relays"][0]["calls"]) is int and
type(j["relays"][0]["sent"]) is int and type(j["relays"][0]["timeouts"]) is int'
$CTL $S stats --json > "$W/stats.json" 2> "$W/err"
$CTL $S stats > "$W/stats.txt" 2> "$W/err"
jcheck stats_json "$W/stats.json" '
type(j["calls_active"]) is int and j["calls_active"] == 0 and type(j["cdr_queued"]) is int and
"sip_options" in j and j["relays"][0]["relay"] == "127.0.0.95:22230" and type(j["relays"][0]["sent"]) is int'
n_txt=$(grep -cE '^[a-z0-9_]+ [0-9.]+$' "$W/stats.txt")
n_json=$(python3 -c "import json; print(sum(1 for k, v in json.load(open('$W/stats.json')).items() if k != 'relays'))")
[ "$n_txt" = "$n_json" ] && [ "$n_txt" -gt 5 ] && pass stats_json_every_counter || fail stats_json_every_counter "text $n_txt json $n_json"
$CTL $S trunks --bogus > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 2 ] && grep -q 'only --json' "$W/err" && pass list_bad_option_exit_2 || fail list_bad_option_exit_2 "exit $crc $(cat "$W/err")"

# ---- route explain, daemon up ----
$CTL -d "$W/b2bua.db" $S route explain 0201234 --from pbx > "$W/explain.txt" 2>&1; crc=$?
if [ $crc = 0 ] && grep -q "in rule     number_rules id 1 (pbx, priority 10): '^0(\\\\d+)\$' -> '44\$1'" "$W/explain.txt" &&
	grep -q '^normalised  44201234$' "$W/explain.txt" &&
	grep -q "^routes      prefix '44', the source trunk's own routes: 2 route(s)" "$W/explain.txt" &&
	grep -q '^state       from the daemon at ' "$W/explain.txt"; then
	pass explain_rules_and_routes
else
	fail explain_rules_and_routes "exit $crc: $(head -8 "$W/explain.txt" | tr '\n' '|')"
fi
if grep -A5 '^  1\. carrier-down' "$W/explain.txt" | grep -q 'now: reach down, reg off, channels 0' &&
	grep -A5 '^  1\. carrier-down' "$W/explain.txt" | grep -q 'limits: channels 10, cps -' &&
	grep -A6 '^  1\. carrier-down' "$W/explain.txt" | grep -q -- '-> SKIPPED: down' &&
	grep -A6 '^  2\. carrier-up' "$W/explain.txt" | grep -q 'sends   0044201234' &&
	grep -A6 '^  2\. carrier-up' "$W/explain.txt" | grep -q "rate    0.25 per minute, 6 s increments, minimum 6 s, connect fee 0.01 (rates prefix '0044')" &&
	grep -q '^first       carrier-up: priority 2, the best priority with a trunk left (better priorities skipped); 1 trunk(s) of better priority skipped' "$W/explain.txt"; then
	pass explain_down_trunk_skipped
else
	fail explain_down_trunk_skipped "$(sed -n '6,30p' "$W/explain.txt" | tr '\n' '|')"
fi
$CTL -d "$W/b2bua.db" $S route explain 0201234 --from PBX --json > "$W/explain.json" 2> "$W/err"
jcheck explain_json "$W/explain.json" '
j["number"] == "0201234" and j["from"] == "pbx" and j["normalised"] == "44201234" and
j["in_rule"]["id"] == 1 and j["daemon_reachable"] is True and j["prefix"] == "44" and
[c["trunk"] for c in j["candidates"]] == ["carrier-down", "carrier-up"] and
[c["verdict"] for c in j["candidates"]] == ["down", "try"] and
j["candidates"][0]["state"]["reach"] == "down" and j["candidates"][1]["state"]["channels"] == 0 and
j["candidates"][1]["max_channels"] == 30 and j["candidates"][0]["max_cps"] is None and
j["candidates"][1]["rate"]["per_minute"] == 0.25 and j["candidates"][0]["rate"] is None and
j["first"] == {"kind": "one", "priority": 2, "trunk": "carrier-up",
               "shares": [{"trunk": "carrier-up", "share": 100}], "skipped_before": 1}'

# ---- route explain, daemon not reachable: nothing skipped ----
$CTL -d "$W/b2bua.db" -s "$W/none.sock" route explain 0201234 --from pbx > "$W/explain2.txt" 2>&1; crc=$?
if [ $crc = 0 ] && grep -q '^state       unknown (daemon not reachable: cannot connect' "$W/explain2.txt" &&
	grep -q 'now: state unknown (daemon not reachable)' "$W/explain2.txt" &&
	grep -q '^first       carrier-down: priority 1, the best priority' "$W/explain2.txt" &&
	! grep -q SKIPPED "$W/explain2.txt"; then
	pass explain_daemon_unreachable
else
	fail explain_daemon_unreachable "exit $crc: $(tr '\n' '|' < "$W/explain2.txt")"
fi
$CTL -d "$W/b2bua.db" -s "$W/none.sock" route explain 337 --json > "$W/explain3.json" 2> "$W/err"
jcheck explain_weighted_json "$W/explain3.json" '
j["daemon_reachable"] is False and "cannot connect" in j["daemon_error"] and j["from"] is None and
j["routes_of"] == "any" and j["first"]["kind"] == "weighted" and j["first"]["trunk"] is None and
j["first"]["shares"] == [{"trunk": "carrier-up", "share": 70}, {"trunk": "carrier-down", "share": 30}]'
$CTL -d "$W/b2bua.db" -s "$W/none.sock" route explain 337 > "$W/explain3.txt" 2>&1
grep -q '^first       weighted draw at priority 1, anew for each call: carrier-up 70%, carrier-down 30%$' "$W/explain3.txt" &&
	pass explain_weighted_text || fail explain_weighted_text "$(grep ^first "$W/explain3.txt")"

# ---- route explain errors ----
$CTL -d "$W/b2bua.db" $S route explain 0201234 --from nosuch > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 2 ] && [ ! -s "$W/out" ] && grep -q "unknown trunk 'nosuch' for --from (trunks: pbx, carrier-up, carrier-down)" "$W/err" &&
	pass explain_unknown_from_trunk || fail explain_unknown_from_trunk "exit $crc $(cat "$W/err")"
$CTL -d "$W/b2bua.db" $S route explain 999 --from pbx > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 1 ] && grep -q '^routes      none: no route matches 999 from pbx' "$W/out" &&
	pass explain_no_route_exit_1 || fail explain_no_route_exit_1 "exit $crc $(cat "$W/out" "$W/err")"
$CTL -d "$W/b2bua.db" $S route explain 999 --json > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 1 ] && jcheck explain_no_route_json "$W/out" 'j["routes_total"] == 0 and j["candidates"] == [] and j["first"]["kind"] == "none"' ||
	fail explain_no_route_json "exit $crc"
$CTL -d "$W/missing.db" route explain 1 > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 2 ] && grep -q missing.db "$W/err" && pass explain_missing_db || fail explain_missing_db "exit $crc $(cat "$W/err")"

# ---- init ----
migs=$(ls sql/schema.sql sql/[0-9][0-9][0-9]_*.sql | wc -l)
$CTL init --db "$W/new.db" > "$W/init1.txt" 2>&1; crc=$?
v=$(sqlite3 "$W/new.db" 'PRAGMA user_version' 2>/dev/null)
mode=$(stat -c %a "$W/new.db" 2>/dev/null)
[ $crc = 0 ] && [ "$v" = "$migs" ] && [ "$mode" = 600 ] && grep -q "new.db: created (mode 0600)" "$W/init1.txt" &&
	grep -q "applied migrations 1 to $migs (schema version 0 -> $migs)" "$W/init1.txt" &&
	grep -q '0 trunk(s); the b2bua starts on it only with --allow-empty' "$W/init1.txt" &&
	pass init_creates || fail init_creates "exit $crc version $v/$migs mode $mode: $(cat "$W/init1.txt")"
cp "$W/new.db" "$W/new.before"
$CTL init --db "$W/new.db" > "$W/init2.txt" 2>&1; crc=$?
[ $crc = 0 ] && grep -q "schema version $migs, up to date: nothing to do" "$W/init2.txt" && ! grep -q created "$W/init2.txt" &&
	[ "$(sqlite3 "$W/new.db" 'PRAGMA user_version')" = "$migs" ] &&
	pass init_idempotent || fail init_idempotent "exit $crc: $(cat "$W/init2.txt")"
# an old database: only its missing migrations
sqlite3 "$W/old.db" < sql/schema.sql && sqlite3 "$W/old.db" 'PRAGMA user_version = 1'
$CTL -d "$W/old.db" init > "$W/init3.txt" 2>&1; crc=$?
[ $crc = 0 ] && grep -q "applied migrations 2 to $migs (schema version 1 -> $migs)" "$W/init3.txt" &&
	pass init_migrates_old || fail init_migrates_old "exit $crc: $(cat "$W/init3.txt")"
printf 'path = not a database\n' > "$W/notdb.conf"
cp "$W/notdb.conf" "$W/notdb.orig"
$CTL init --db "$W/notdb.conf" > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 1 ] && grep -q "notdb.conf: not a SQLite database: left alone" "$W/err" && cmp -s "$W/notdb.conf" "$W/notdb.orig" &&
	[ ! -e "$W/notdb.conf-wal" ] && pass init_refuses_non_sqlite || fail init_refuses_non_sqlite "exit $crc $(cat "$W/err")"
$CTL init --db "$W/nodir/x.db" > "$W/out" 2> "$W/err"; crc=$?
[ $crc = 1 ] && grep -q 'cannot create' "$W/err" && pass init_missing_dir || fail init_missing_dir "exit $crc $(cat "$W/err")"
# the b2bua takes what init made (with --allow-empty: no trunks yet)
sed -e "s|^path = .*|path = $W/new.db|" -e "s|^socket = .*|socket = $W/new.sock|" -e "s|^listen = .*|listen = udp:$A:5062|" \
	-e "s|^ng = .*|ng =|" "$W/b2bua.conf" > "$W/new.conf"
timeout 3 "$B/b2bua" -c "$W/new.conf" -f > "$W/new.log" 2>&1; brc=$?
timeout 3 "$B/b2bua" -c "$W/new.conf" -f --allow-empty > "$W/new2.log" 2>&1; brc2=$?
[ $brc = 1 ] && grep -q 'has no trunks' "$W/new.log" && [ $brc2 = 124 ] && ! grep -qi 'error' "$W/new2.log" &&
	pass init_db_taken_by_b2bua || fail init_db_taken_by_b2bua "exit $brc/$brc2: $(tail -2 "$W/new.log" "$W/new2.log" | tr '\n' '|')"

# ---- the installed config by default ----
# A b2bua-ctl built for PREFIX=$W/prefix reads $W/prefix/etc/b2bua/b2bua.conf.
if make -s BUILD="$W/build" PREFIX="$W/prefix" "$W/build/b2bua-ctl" > "$W/make.log" 2>&1; then
	PCTL="$W/build/b2bua-ctl"
	mkdir -p "$W/prefix/etc/b2bua" "$W/cwd"
	cd "$W/cwd" || exit 1
	"$PCTL" --help > "$W/out" 2>&1
	grep -q "$W/prefix/etc/b2bua/b2bua.conf when it exists" "$W/out" && pass default_conf_in_help ||
		fail default_conf_in_help "$(grep -A2 -- '-c CONF' "$W/out" | tr '\n' '|')"
	# no such file: the built-in var/b2bua.db (no var/ here: cannot create)
	"$PCTL" init > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 1 ] && grep -q 'init: var/b2bua.db: cannot create' "$W/err" &&
		pass default_conf_absent_builtin || fail default_conf_absent_builtin "exit $crc $(cat "$W/out" "$W/err")"
	cp "$W/b2bua.conf" "$W/prefix/etc/b2bua/b2bua.conf"
	"$PCTL" trunks > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 0 ] && grep -q '^carrier-up ' "$W/out" && pass default_conf_socket || fail default_conf_socket "exit $crc $(cat "$W/err")"
	"$PCTL" route explain 0201234 --from pbx > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 0 ] && grep -q '^normalised  44201234$' "$W/out" && grep -q "^state       from the daemon at $W/b2bua.sock\$" "$W/out" &&
		pass default_conf_db || fail default_conf_db "exit $crc $(cat "$W/out" "$W/err" | tr '\n' '|')"
	"$PCTL" -s "$W/none.sock" trunks > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 2 ] && grep -q none.sock "$W/err" && pass default_conf_s_overrides || fail default_conf_s_overrides "exit $crc $(cat "$W/err")"
	"$PCTL" -d "$W/none.db" route explain 1 > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 2 ] && grep -q none.db "$W/err" && pass default_conf_d_overrides || fail default_conf_d_overrides "exit $crc $(cat "$W/err")"
	printf '[db]\npath = x.db\nbogus = 1\n' > "$W/prefix/etc/b2bua/b2bua.conf"
	"$PCTL" trunks > "$W/out" 2> "$W/err"; crc=$?
	[ $crc = 2 ] && grep -q "$W/prefix/etc/b2bua/b2bua.conf:3:" "$W/err" && pass default_conf_errors_named ||
		fail default_conf_errors_named "exit $crc $(cat "$W/err")"
	cd "$ROOT" || exit 1
else
	fail default_conf_build "$(tail -3 "$W/make.log")"
fi
exit $rc
