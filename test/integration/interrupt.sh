#!/bin/bash
# interrupt.sh BUILD_DIR - Ctrl-C stops a test run and everything it
# started. run.sh runs two flows in a session of its own; once the first
# flow's daemons and SIPp are up, SIGINT goes to the whole process group
# (what a terminal's Ctrl-C does). run.sh must end by that signal, start no
# further flow, and leave no process behind. Then the same for
# scripts/test.sh, with stand-in unit tests, by SIGINT to its group and by
# SIGTERM to test.sh alone (what `timeout` sends).
# Uses 127.0.0.2-4 port 5080 like every flow: waits until they are free.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
T=$(mktemp -d /tmp/interrupt.XXXXXX)
SIDS=""
# Whatever a failed check left: killed by its session id, the only
# processes it can name are ours.
trap 'for s in $SIDS; do pkill -KILL -s "$s" 2>/dev/null; done; rm -rf "$T"' EXIT
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }
# in_session SID [NAME]: processes of session SID (named NAME), one a line.
in_session() { ps -e -o sid=,pid=,comm= | awk -v s="$1" -v n="${2:-}" '$1 == s && (n == "" || $3 == n)'; }
# until_gone SID SECONDS: 0 once no process of the session is left.
until_gone() {
	for _ in $(seq 1 $(($2 * 10))); do
		[ -z "$(in_session "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}
# start_session CMD...: CMD in a new session, in the background; $pid, $sid.
# A script's background job starts with SIGINT ignored, and a shell cannot
# trap what it started ignoring: python3 gives CMD a terminal's defaults.
start_session() {
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@" &
	pid=$!
	sid=""
	for _ in $(seq 1 50); do
		sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
		[ "$sid" = "$pid" ] && break
		sleep 0.1
	done
	SIDS="$SIDS $sid"
}

# ---- run.sh: SIGINT to its process group in the middle of a flow ----
# Free for 5 s in a row: another run's flows follow each other faster.
quiet=0
for _ in $(seq 1 300); do
	if ss -Hlnu | grep -qE '127\.0\.0\.[234]:5080 '; then quiet=0; else quiet=$((quiet + 1)); fi
	[ $quiet -ge 10 ] && break
	sleep 0.5
done
if [ $quiet -lt 10 ]; then
	fail flows_ports_free "127.0.0.2-4:5080 not free for 5 s in 150 s"
else
	start_session env OUT="$T/flows" PORT_BASE="${INTERRUPT_PORT_BASE:-32000}" BUILD="$BUILD" \
		test/integration/run.sh answered_caller_bye busy_486 >"$T/run.log" 2>&1
	up=0
	for _ in $(seq 1 300); do
		[ -n "$(in_session "$sid" sipp)" ] && [ -n "$(in_session "$sid" b2bua)" ] &&
			[ -n "$(in_session "$sid" media-relay)" ] && { up=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ $up = 0 ]; then
		fail flow_started "no b2bua, media-relay and SIPp seen (see $T/run.log)"
		cat "$T/run.log"
	else
		pass flow_started
		kill -INT -- "-$sid"
		t0=$(date +%s%N)
		wait "$pid"
		rc=$?
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$rc" = 130 ] && pass run_ended_by_sigint || fail run_ended_by_sigint "exit $rc"
		[ $ms -lt 10000 ] && pass "run_stopped_in_${ms}ms" || fail run_stopped_quickly "$ms ms"
		if until_gone "$sid" 5; then
			pass run_no_process_left
		else
			fail run_no_process_left "$(in_session "$sid" | tr '\n' ' ')"
		fi
		[ ! -e "$T/flows/busy_486" ] && ! grep -q busy_486 "$T/run.log" &&
			pass run_no_next_flow || fail run_no_next_flow
		grep -q '^integration: interrupted by SIGINT' "$T/run.log" &&
			pass run_says_interrupted || fail run_says_interrupted "$(tail -3 "$T/run.log")"
	fi
fi

# ---- scripts/test.sh with stand-in unit tests ----
# In a tree of its own: scripts/test.sh as it is, stand-ins for the unit
# tests and for the integration run, so a test.sh that does not stop runs
# nothing real. Each stand-in records that it started, then sleeps.
F=$T/tree
mkdir -p "$F/scripts" "$F/build" "$F/test/integration"
cp scripts/test.sh "$F/scripts/"
for t in build/test_policy build/test_b2bua build/test_relay test/integration/run.sh; do
	printf '#!/bin/sh\necho %s >> %s/started\nexec sleep 60\n' "$(basename "$t")" "$T" >"$F/$t"
	chmod +x "$F/$t"
done
for how in INT TERM; do
	rm -f "$T/started"
	cd "$F" || exit 2
	start_session env BUILD=build scripts/test.sh >"$T/test.log" 2>&1
	cd "$ROOT" || exit 2
	for _ in $(seq 1 100); do
		[ -s "$T/started" ] && [ -n "$(in_session "$sid" sleep)" ] && break
		sleep 0.05
	done
	if [ "$how" = INT ]; then
		kill -INT -- "-$sid"      # Ctrl-C: the whole group
	else
		kill -TERM "$pid"         # timeout(1): test.sh alone
	fi
	t0=$(date +%s%N)
	wait "$pid"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $ms -lt 5000 ] && pass "test_sh_sig${how}_stopped_in_${ms}ms" ||
		fail "test_sh_sig${how}_stopped_quickly" "$ms ms"
	want=130
	[ "$how" = TERM ] && want=143
	[ "$rc" = $want ] && pass "test_sh_ended_by_sig$how" || fail "test_sh_ended_by_sig$how" "exit $rc"
	if until_gone "$sid" 5; then
		pass "test_sh_sig${how}_no_process_left"
	else
		fail "test_sh_sig${how}_no_process_left" "$(in_session "$sid" | tr '\n' ' ')"
	fi
	[ "$(cat "$T/started")" = test_policy ] && pass "test_sh_sig${how}_no_next_test" ||
		fail "test_sh_sig${how}_no_next_test" "$(tr '\n' ' ' <"$T/started")"
done
[ "$fails" = 0 ]
