#!/bin/bash
# make_run.sh BUILD_DIR - `make run CONF=... RELAY_CONF=...` starts both
# daemons on the configs named (private ports and files here, never etc/'s
# SIP port), and Ctrl-C (SIGINT to make's process group) stops make and
# both daemons cleanly: the b2bua says it stopped, nothing is left.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
SAN=0
case $BUILD in *asan*) SAN=1 ;; esac
T=$(mktemp -d /tmp/make_run.XXXXXX)
sid=""
trap '[ -n "$sid" ] && pkill -KILL -s "$sid" 2>/dev/null; rm -rf "$T"' EXIT
BASE=${MAKE_RUN_PORT:-32990}
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }
in_session() { ps -e -o sid=,pid=,comm= | awk -v s="$1" -v n="${2:-}" '$1 == s && (n == "" || $3 == n)'; }

"$ROOT/scripts/mkdb.sh" "$T/b2bua.db" "$ROOT/test/fixtures/policy.sql" || { fail mkdb; exit 1; }
cat >"$T/b2bua.conf" <<EOF
[sip]
listen = udp:127.0.0.1:$BASE
[db]
path = $T/b2bua.db
[relay]
ng = 127.0.0.1:$((BASE + 1))
[control]
socket = $T/b2bua.sock
[call]
grace = 1
EOF
cat >"$T/relay.conf" <<EOF
[relay]
ng = 127.0.0.1:$((BASE + 1))
interface = 127.0.0.1
ports = $((BASE + 10))-$((BASE + 49))
EOF

# make in a session of its own with a terminal's SIGINT (a script's
# background job would start with SIGINT ignored).
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make --no-print-directory BUILD="$BUILD" SAN=$SAN run \
	CONF="$T/b2bua.conf" RELAY_CONF="$T/relay.conf" >"$T/out" 2>&1 &
pid=$!
for _ in $(seq 1 30); do sid=$(ps -o sid= -p "$pid" | tr -d ' '); [ "$sid" = "$pid" ] && break; sleep 0.1; done

up=0
for _ in $(seq 1 200); do
	"$ROOT/$BUILD/b2bua-ctl" -s "$T/b2bua.sock" relays >"$T/relays" 2>/dev/null &&
		grep -q "^127.0.0.1:$((BASE + 1)) up .*last_answer [0-9]" "$T/relays" && { up=1; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] && pass run_uses_conf_and_relay_conf || fail run_uses_conf_and_relay_conf "$(tail -5 "$T/out")"
grep -q "on $T/b2bua.conf, media-relay (pid [0-9]*) on $T/relay.conf" "$T/out" &&
	pass run_names_its_configs || fail run_names_its_configs "$(grep '^run:' "$T/out")"

kill -INT -- "-$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail make_run_stops "make still running 10 s after SIGINT" || pass make_run_stops
wait "$pid" 2>/dev/null
left=$(in_session "$sid")
[ -z "$left" ] && pass run_no_process_left || fail run_no_process_left "$left"
grep -q 'info  stopped' "$T/out" && pass b2bua_stopped_cleanly || fail b2bua_stopped_cleanly "$(tail -3 "$T/out")"
[ "$fails" = 0 ]
