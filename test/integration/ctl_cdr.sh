#!/bin/sh
# ctl_cdr.sh BUILD_DIR - checks build/b2bua-ctl end to end against a small
# temporary database with known rows: each output format of `cdr` and
# `cdr summary`, the filters as the command line spells them, reading
# beside an open write transaction, and the exit codes (0 ok, 1 error
# answer, 2 usage / no connection). The control-socket checks use a tiny
# fake daemon in python3 when python3 is there.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure; removes
# its temporary directory.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) CTL=$BUILD/b2bua-ctl ;; *) CTL=$ROOT/$BUILD/b2bua-ctl ;; esac
T=$(mktemp -d /tmp/ctl_cdr.XXXXXX)
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
DB=$T/b2bua.db
fails=0
passes=0

pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }
# check NAME CMD...: CMD's exit status decides.
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

if [ ! -x "$CTL" ]; then
	fail build "$CTL missing"
	exit 1
fi

# ---- the database ----
if [ -f sql/schema.sql ]; then
	sqlite3 "$DB" < sql/schema.sql || { fail schema; exit 1; }
else
	sqlite3 "$DB" "CREATE TABLE cdrs (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, b_call_id TEXT,
		from_trunk TEXT, to_trunk TEXT, caller TEXT, callee TEXT, routed_to TEXT, start_time TEXT,
		answer_time TEXT, end_time TEXT, duration_s REAL NOT NULL DEFAULT 0, sip_code INTEGER,
		reason TEXT, disposition TEXT NOT NULL DEFAULT 'in_progress', hangup_by TEXT, codec TEXT,
		a_rtp_pkts INTEGER NOT NULL DEFAULT 0, b_rtp_pkts INTEGER NOT NULL DEFAULT 0,
		a_rtp_lost INTEGER NOT NULL DEFAULT 0, b_rtp_lost INTEGER NOT NULL DEFAULT 0, cost REAL,
		node TEXT NOT NULL DEFAULT '')" || { fail schema; exit 1; }
fi
sqlite3 "$DB" >/dev/null <<'EOF' || { fail rows; exit 1; }
PRAGMA journal_mode = WAL;
INSERT INTO cdrs (id, call_id, b_call_id, from_trunk, to_trunk, caller, callee, routed_to,
	start_time, answer_time, end_time, duration_s, sip_code, reason, disposition, hangup_by,
	codec, a_rtp_pkts, b_rtp_pkts, a_rtp_lost, b_rtp_lost, cost, node) VALUES
 (1, 'a1', 'b1', 'pbx1', 'carrierA', '+4930111', '+4940222', '004940222',
  '2024-11-24T09:00:00.000Z', '2024-11-24T09:00:05.000Z', '2024-11-24T09:01:05.000Z',
  60, 200, 'OK', 'answered', 'caller', 'PCMA', 3000, 3000, 1, 2, 0.5, 'n1'),
 (2, 'a2', 'b2', 'pbx1', 'carrierB', '+4930111', '+4917333', '004917333',
  '2024-11-24T23:59:59.999Z', NULL, '2024-11-25T00:00:03.000Z',
  0, 486, 'Busy Here', 'busy', 'callee', NULL, 0, 0, 0, 0, NULL, 'n1'),
 (3, 'a3', 'b3', 'carrierIn', 'carrierA', '+4930444', '+4930111', '004930111',
  '2024-11-25T00:00:00.000Z', '2024-11-25T00:00:02.000Z', '2024-11-25T00:00:32.000Z',
  30, 200, 'OK', 'answered', 'callee', 'PCMU', 1500, 1500, 0, 0, 0.25, 'n2'),
 (4, 'a4', NULL, 'pbx2', NULL, '+4989555', '999', NULL,
  '2024-11-25T10:00:00.123Z', NULL, '2024-11-25T10:00:00.200Z',
  0, 404, 'No "route", sorry', 'failed', 'b2bua', NULL, 0, 0, 0, 0, NULL, 'n2');
-- one call a minute ago, for the relative times
INSERT INTO cdrs (id, call_id, from_trunk, to_trunk, caller, callee, routed_to, start_time,
	disposition, sip_code, node)
 VALUES (5, 'recent', 'pbx2', 'carrierB', '+4930112', '+4940222', '004940222',
	strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 minute'), 'cancelled', 487, 'n1');
EOF

# Route attempts (migration 6): a4 tried carrierA (down) then carrierB (503).
sqlite3 "$T/old.db" < sql/schema.sql || { fail old_schema; exit 1; }
sqlite3 "$DB" < sql/006_attempts.sql || { fail attempts_schema; exit 1; }
sqlite3 "$DB" >/dev/null <<'EOF' || { fail attempt_rows; exit 1; }
INSERT INTO cdr_attempts (cdr_id, seq, trunk, start_time, sip_code, reason, cause) VALUES
 (4, 2, 'carrierB', '2024-11-25T10:00:00.140Z', 503, 'Service Unavailable', 'remote'),
 (4, 1, 'carrierA', '2024-11-25T10:00:00.130Z', NULL, 'Trunk down (OPTIONS)', 'unreachable'),
 (1, 1, 'carrierA', '2024-11-24T09:00:00.010Z', 200, 'OK', 'remote');
EOF

out=$T/out
err=$T/err
# run ARGS...: runs b2bua-ctl -d DB ARGS, stdout in $out, stderr in $err, status in $rc.
run() { "$CTL" -d "$DB" "$@" >"$out" 2>"$err"; rc=$?; }

# ---- table ----
run cdr
check table_exit test "$rc" = 0
check table_header grep -q '^START (UTC) *CALLER *CALLEE *FROM *TO *RESULT *SIP *BY *DUR *COST *REASON$' "$out"
check table_rows grep -q '^(5 rows)$' "$out"
# whole values (nothing cut in the middle: numbers, trunk names), the
# disposition as filters spell it, hangup and reason
check table_whole_values sh -c "! grep -q '~' '$out' && grep -q ' 004940222 \| +4940222 ' '$out' &&
	grep -q '  carrierIn  carrierA  answered  *200  callee  *30  0.250  OK$' '$out'"
check table_in_progress_named grep -q ' cancelled  *487 ' "$out"
check table_time_form grep -q '^2024-11-25 10:00:00  +4989555 ' "$out"
check table_no_ms sh -c "! grep -q '10:00:00.123' '$out'"
check table_newest_first sh -c "sed -n 2p '$out' | grep -q ' +4930112 '"
COLUMNS=50 script -qec "$CTL -d $DB cdr" /dev/null >"$out" 2>&1
check table_cut_at_terminal sh -c "awk 'length(\$0) > 51 { exit 1 }' '$out' && grep -q ' >.\?\$' '$out'"
COLUMNS=50 script -qec "$CTL -d $DB cdr --wide" /dev/null >"$out" 2>&1
check table_wide sh -c "grep -q 'No \"route\", sorry' '$out'"
run cdr --tz Europe/Berlin --from '2024-11-25 11:00' --to '2024-11-25 11:01'
check tz_reads_and_shows sh -c "[ $rc = 0 ] && grep -q '^START (Europe/Berlin) ' '$out' &&
	grep -q '^2024-11-25 11:00:00  *+4989555 ' '$out' && grep -q '^(1 row)$' '$out'"
run cdr --tz Mars/Olympus
check tz_unknown sh -c "[ $rc = 2 ] && grep -q 'unknown time zone' '$err'"
TZ=Asia/Tokyo "$CTL" -d "$DB" cdr --call-id a4 >"$out" 2>"$err"
check tz_from_env sh -c "grep -q '^START (Asia/Tokyo) ' '$out' && grep -q '^2024-11-25 19:00:00 ' '$out'"
run cdr --number +4930111
check number_exact sh -c "grep -q '^(3 rows)$' '$out' && grep -q '^2024-11-25 00:00:00  +4930444 ' '$out'"
run cdr --number '+493011*'
check number_prefix grep -q '^(4 rows)$' "$out"
run cdr --number 004940222
check number_routed_to grep -q '^(2 rows)$' "$out"
run cdr --trunk carrierA --from 2024-11-25
check trunk_and_from sh -c "grep -q '^(1 row)$' '$out' && grep -q ' +4930444 ' '$out'"
run cdr --from '2024-11-24 12:00' --to 2024-11-25T10:00
check from_to grep -q '^(2 rows)$' "$out"
run cdr --from 1h
check relative_from sh -c "grep -q '^(1 row)$' '$out' && grep -q ' +4930112 ' '$out'"
run cdr --to 1h --from=2024-11-01
check relative_to grep -q '^(4 rows)$' "$out"
run cdr --disposition busy
check disposition grep -q '^(1 row)$' "$out"
run cdr --call-id a4 --limit 1
check call_id grep -q '^(1 row)$' "$out"
run cdr --limit 2
check limit grep -q '^(2 rows)$' "$out"

# ---- searches people type (issue 12): none of these may find nothing in silence ----
run cdr --number '+49 30-111' --format csv
check number_spaces_dashes sh -c "[ \$(wc -l < '$out') = 4 ] && grep -q '^3,a3,' '$out'"
run cdr --number '*0222' --format csv
check number_suffix sh -c "[ \$(wc -l < '$out') = 3 ] && grep -q '^5,recent,' '$out' && grep -q '^1,a1,' '$out'"
run cdr --trunk CARRIERa --format csv
check trunk_any_case sh -c "[ $rc = 0 ] && [ \$(wc -l < '$out') = 3 ]"
run cdr --trunk carrierC
check trunk_unknown_lists sh -c "[ $rc = 2 ] && grep -q \"unknown trunk 'carrierC' (trunks: carrierA, carrierB, carrierIn, pbx1, pbx2)\" '$err'"
run cdr --from today --to yesterday
check empty_range_refused sh -c "[ $rc = 2 ] && grep -q 'empty time range' '$err'"
run cdr --call-id b3 --format csv
check call_id_b_leg sh -c "[ \$(wc -l < '$out') = 2 ] && grep -q '^3,a3,b3,' '$out'"
run cdr --sip-code 486 --hangup-by callee --format csv
check sip_code_hangup_by sh -c "[ \$(wc -l < '$out') = 2 ] && grep -q '^2,a2,' '$out'"
run cdr --min-duration 31 --format csv
check min_duration sh -c "[ \$(wc -l < '$out') = 2 ] && grep -q '^1,a1,' '$out'"
run cdr --reason 'ROUTE' --format csv
check reason_part sh -c "[ \$(wc -l < '$out') = 2 ] && grep -q '^4,a4,' '$out'"
run cdr --hangup-by nobody
check hangup_by_bad test "$rc" = 2

# ---- csv ----
run cdr --format csv --call-id a4
cat >"$T/want.csv" <<'EOF'
id,call_id,b_call_id,from_trunk,to_trunk,caller,callee,routed_to,start_time,answer_time,end_time,duration_s,sip_code,reason,disposition,hangup_by,codec,a_rtp_pkts,b_rtp_pkts,a_rtp_lost,b_rtp_lost,cost,node
4,a4,,pbx2,,+4989555,999,,2024-11-25T10:00:00.123Z,,2024-11-25T10:00:00.200Z,0,404,"No ""route"", sorry",failed,b2bua,,0,0,0,0,,n2
EOF
check csv_exact diff -u "$T/want.csv" "$out"
run cdr --format csv --disposition answered
check csv_rows sh -c "[ \$(wc -l < '$out') = 3 ] && sed -n 2p '$out' | grep -q '^3,a3,'"

# ---- json ----
run cdr --format json --call-id a4
check json_null grep -q '"to_trunk": null' "$out"
check json_escape grep -Fq '"reason": "No \"route\", sorry"' "$out"
run cdr --format json
if command -v python3 >/dev/null 2>&1; then
	check json_valid python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["id"] for r in rows] == [5, 4, 3, 2, 1], rows
assert rows[2]["duration_s"] == 30 and rows[2]["cost"] == 0.25 and rows[1]["cost"] is None
' "$out"
else
	check json_shape sh -c "head -c1 '$out' | grep -q '\\[' && tail -n1 '$out' | grep -q '^\\]$'"
fi
run cdr --format json --call-id nobody
check json_empty sh -c "[ \"\$(cat '$out')\" = '[]' ]"

# ---- route attempts ----
run cdr --call-id a4 --attempts
check attempts_table sh -c "[ $rc = 0 ] && grep -q '^(2 attempts)$' '$out' &&
	sed -n 2p '$out' | grep -q '^1  2024-11-25 10:00:00    -  unreachable  carrierA  Trunk down (OPTIONS)  a4$' &&
	sed -n 3p '$out' | grep -q '^2  2024-11-25 10:00:00  503  remote       carrierB  Service Unavailable   a4$'"
run cdr --attempts --format csv
cat >"$T/want.csv" <<'EOF'
call_id,seq,trunk,start_time,sip_code,cause,reason
a4,1,carrierA,2024-11-25T10:00:00.130Z,,unreachable,Trunk down (OPTIONS)
a4,2,carrierB,2024-11-25T10:00:00.140Z,503,remote,Service Unavailable
a1,1,carrierA,2024-11-24T09:00:00.010Z,200,remote,OK
EOF
check attempts_csv diff -u "$T/want.csv" "$out"
run cdr --attempts --format json --disposition failed
check attempts_json grep -q '"call_id": "a4", "seq": 1, "trunk": "carrierA", "start_time": "2024-11-25T10:00:00.130Z", "sip_code": null, "cause": "unreachable"' "$out"
"$CTL" -d "$T/old.db" cdr --attempts >"$out" 2>"$err"; rc=$?
check attempts_old_db sh -c "[ $rc = 1 ] && grep -q 'no cdr_attempts table' '$err'"
run cdr summary --attempts
check attempts_not_summary test "$rc" = 2

# ---- summary ----
run cdr summary --from 2024-11-24 --to 2024-11-26
check summary_table sh -c "grep -q '^carrierA  *2  *2  *100.0  *45.0  *1.5  *0.75$' '$out' &&
	grep -q '^TOTAL  *4  *2  *50.0  *45.0  *1.5  *0.75$' '$out' && grep -q '^(none) ' '$out'"
run cdr summary --by day --format csv --from 2024-11-24 --to 2024-11-26
cat >"$T/want.csv" <<'EOF'
day,calls,answered,asr_pct,acd_s,minutes,cost
2024-11-24,2,1,50.00,60.00,1.00,0.5000
2024-11-25,2,1,50.00,30.00,0.50,0.2500
EOF
check summary_csv diff -u "$T/want.csv" "$out"
run cdr summary --by trunk --format json --trunk carrierA
check summary_json grep -q '{"trunk": "carrierA", "calls": 2, "answered": 2, "asr_pct": 100.00, "acd_s": 45.00, "minutes": 1.50, "cost": 0.7500}' "$out"

# ---- a reader beside an open write transaction neither waits nor fails ----
fifo=$T/w
mkfifo "$fifo"
sqlite3 "$DB" <"$fifo" >/dev/null 2>&1 &
BG="$BG $!"
exec 9>"$fifo"
echo "BEGIN IMMEDIATE; INSERT INTO cdrs (id, call_id, start_time) VALUES (99, 'uncommitted', '2024-11-25T12:00:00.000Z');" >&9
sleep 0.3
start=$(date +%s)
run cdr --format csv
check reader_beside_writer sh -c "[ $rc = 0 ] && [ \$(($(date +%s) - $start)) -le 2 ] && ! grep -q uncommitted '$out'"
echo "COMMIT;" >&9
exec 9>&-
wait
BG=""
run cdr --call-id uncommitted
check reader_sees_commit grep -q '^(1 row)$' "$out"

# ---- exit codes ----
"$CTL" -s "$T/none.sock" calls >"$out" 2>"$err"; rc=$?
check no_daemon_exit_2 test "$rc" = 2
check no_daemon_message grep -q 'cannot connect to .*none.sock' "$err"
"$CTL" -d "$T/missing.db" cdr >"$out" 2>"$err"; rc=$?
check missing_db_exit_2 sh -c "[ $rc = 2 ] && grep -q 'missing.db' '$err' && [ ! -e '$T/missing.db' ]"
run cdr --from 'last tuesday'
check bad_time_exit_2 sh -c "[ $rc = 2 ] && grep -q 'bad time' '$err'"
run cdr --format xml
check bad_format_exit_2 test "$rc" = 2
run cdr --disposition answerd
check bad_disposition_exit_2 test "$rc" = 2
run frobnicate
check bad_command_exit_2 test "$rc" = 2
run hangup
check hangup_needs_id_exit_2 test "$rc" = 2

# ---- control socket, against a fake daemon ----
if command -v python3 >/dev/null 2>&1; then
	sock=$T/ctl.sock
	python3 - "$sock" "$T/got" <<'EOF' &
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
for _ in range(3):
    c, _ = s.accept()
    line = b""
    while not line.endswith(b"\n"):
        chunk = c.recv(512)
        if not chunk:
            break
        line += chunk
    open(log, "ab").write(line)
    cmd = line.decode().strip()
    if cmd == "stats":
        c.sendall(b"ok\ncalls_active 3\ncalls_answered 7\n")
    elif cmd.startswith("hangup "):
        c.sendall(b"error: no call with Call-ID " + cmd[7:].encode() + b"\n")
    else:
        c.sendall(b"ok\n")
    c.close()
EOF
	BG="$BG $!"
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	"$CTL" -s "$sock" stats >"$out" 2>"$err"; rc=$?
	check control_ok sh -c "[ $rc = 0 ] && [ \"\$(cat '$out')\" = 'calls_active 3
calls_answered 7' ]"
	"$CTL" -s "$sock" hangup abc@host >"$out" 2>"$err"; rc=$?
	check control_error_exit_1 sh -c "[ $rc = 1 ] && grep -q 'no call with Call-ID abc@host' '$err'"
	"$CTL" -s "$sock" reload >"$out" 2>"$err"; rc=$?
	check control_empty_body sh -c "[ $rc = 0 ] && [ ! -s '$out' ]"
	check control_lines sh -c "[ \"\$(cat '$T/got')\" = 'stats
hangup abc@host
reload' ]"
	wait
	BG=""
fi

echo "ctl_cdr: $passes passed, $fails failed"
[ "$fails" = 0 ]
