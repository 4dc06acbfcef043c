#!/bin/bash
# run.sh - runs every flow under test/integration/flows/ (or the ones named
# on the command line). A flow is a folder: caller.xml (SIPp UAC from
# 127.0.0.2), carrier1.xml / carrier2.xml (SIPp UAS on 127.0.0.3 /
# 127.0.0.4), expect_*.txt (ordered regex lines each party must have
# received; "!re" must not appear), expect_cdr.txt (regex per CDR row),
# optional flow.conf (variables), policy.sql (extra policy) and check.sh
# (extra checks, sourced). flow.conf may name shared scenarios from
# test/integration/scenarios/ instead: CALLER_XML, CARRIER1_XML,
# CARRIER2_XML. during.sh, when present, runs in the background while the
# caller runs (reloads, kills) and must exit 0. A flow with its own
# script.sh runs that instead of the standard caller/carrier sequence.
# Standalone scripts (test/integration/*.sh but lib.sh and run.sh, and
# test/integration/relay/*.sh) print PASS/FAIL lines and are counted too.
# Ends with "integration: N passed, N failed".
# Ctrl-C (SIGINT to the process group) or SIGTERM stops the flow or script
# running then, every process it started, and the run (exit by the signal).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export ROOT BUILD=${BUILD:-build}
OUT=${OUT:-$ROOT/$BUILD/integration}
rm -rf "$OUT"
mkdir -p "$OUT"

flows=()
if [ $# -gt 0 ]; then
	for f in "$@"; do flows+=("test/integration/flows/$f"); done
else
	for f in test/integration/flows/*/; do flows+=("${f%/}"); done
fi

# kill_tree PID: TERM to PID and all its descendants, children first.
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill -TERM "$1" 2>/dev/null
}

# The flow subshell, its watchdog and the standalone script running now.
# Background jobs of a script ignore SIGINT: without this they would live on.
fpid="" wpid="" spid=""
interrupted() {
	trap '' INT TERM     # a second signal (test.sh's TERM) must not cut this short
	for p in $fpid $wpid $spid; do kill_tree "$p"; done
	wait
	echo "integration: interrupted by SIG$1"
	trap - INT TERM
	kill -s "$1" $$
}
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM

passed=0
failed=0
failures=""
idx=0
for flow in "${flows[@]}"; do
	name=$(basename "$flow")
	idx=$((idx + 1))
	start=$(date +%s)
	FAIL_MARK=$OUT/$name.failed
	export FAIL_MARK
	rm -f "$FAIL_MARK"
	(
		# shellcheck source=lib.sh
		. "$ROOT/test/integration/lib.sh"
		trap cleanup EXIT
		trap 'exit 1' TERM
		CALLS=1 RATE=10 CALLER_IP=127.0.0.2 EXPECT_CALLER_RC=0
		[ -f "$flow/flow.conf" ] && . "$flow/flow.conf"
		setup "$ROOT/$flow" "$OUT/$name" $((${PORT_BASE:-15000} + idx * 10)) || exit 1
		if [ -f "$flow/script.sh" ]; then . "$flow/script.sh"; exit $?; fi
		start_relay || exit 1
		start_b2bua || exit 1
		for c in carrier1 carrier2; do
			ip=127.0.0.3; [ $c = carrier2 ] && ip=127.0.0.4
			eval "n=\${${c^^}_CALLS:-$CALLS} x=\${${c^^}_XML:-$c.xml}"
			x=$(scenario "$flow" "$x")
			[ -n "$x" ] && carrier $c $ip "$x" "$n"
			eval "${c}_XML_PATH=\$x"
		done
		DURING_PID=""
		if [ -f "$flow/during.sh" ]; then
			( . "$flow/during.sh" ) > "$W/during.log" 2>&1 &
			DURING_PID=$!
		fi
		caller "$(scenario "$flow" "${CALLER_XML:-caller.xml}")" "$CALLS" "$RATE" "$CALLER_IP"
		rc=$?
		if [ -n "$DURING_PID" ]; then
			wait "$DURING_PID" || { die "during.sh failed: $(tail -3 "$W/during.log")"; exit 1; }
		fi
		[ "$rc" = "$EXPECT_CALLER_RC" ] || { die "caller's SIPp exited $rc, expected $EXPECT_CALLER_RC (see $W/caller.err, $W/caller.out)"; exit 1; }
		for c in carrier1 carrier2; do
			eval "x=\$${c}_XML_PATH"
			[ -n "$x" ] && { wait_party $c || exit 1; }
		done
		stop_b2bua || exit 1
		expect_msgs "$flow/expect_caller.txt" "$W/caller.msg" || exit 1
		for c in carrier1 carrier2; do
			eval "x=\$${c}_XML_PATH"
			[ -n "$x" ] && { expect_msgs "$flow/expect_$c.txt" "$W/$c.msg" || exit 1; }
		done
		expect_cdr "$flow" || exit 1
		if [ -f "$flow/check.sh" ]; then . "$flow/check.sh" || exit 1; fi
		exit 0
	) > "$OUT/$name.log" 2>&1 &
	fpid=$!
	# A flow may ask for a longer watchdog (FLOW_TIMEOUT in its flow.conf).
	ft=$( [ -f "$flow/flow.conf" ] && . "$flow/flow.conf" >/dev/null 2>&1; echo "${FLOW_TIMEOUT:-240}" )
	# A flow that hangs (a daemon that never says it is ready, a party
	# waiting forever) is killed, processes and all, and fails.
	# Only a sleep that ran its course fires it: stopping the watchdog
	# kills the sleep first, which must not read as a timeout.
	( sleep "$ft" || exit 0
	  echo "FAIL: flow still running after $ft s: killed" >> "$OUT/$name.log"
	  echo timeout >> "$FAIL_MARK"; kill_tree "$fpid" ) &
	wpid=$!
	wait "$fpid"
	rc=$?
	kill_tree "$wpid"
	wait "$wpid" 2>/dev/null
	fpid="" wpid=""
	secs=$(( $(date +%s) - start ))
	# A check that died fails the flow even if the script went on.
	if [ $rc = 0 ] && [ -s "$FAIL_MARK" ]; then
		echo "FAIL: a check failed but the flow went on: $(head -1 "$FAIL_MARK")" >> "$OUT/$name.log"
		rc=1
	fi
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name (${secs}s)"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL $name (${secs}s): $(grep -h '^FAIL' "$OUT/$name.log" | head -1)"
		echo "---- $name: b2bua log tail"; tail -n 15 "$OUT/$name/b2bua.log" 2>/dev/null
	fi
done
# Standalone scripts: each PASS/FAIL line counts.
unset FAIL_MARK
if [ $# -eq 0 ]; then
	for s in test/integration/*.sh test/integration/relay/*.sh; do
		case "$(basename "$s")" in lib.sh|run.sh) continue ;; esac
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		# In the background, so a signal's trap runs at once, not after it.
		bash "$s" "$BUILD" > "$OUT/$name.log" 2>&1 </dev/null &
		spid=$!
		wait "$spid"
		rc=$?
		spid=""
		p=$(grep -c '^PASS' "$OUT/$name.log")
		f=$(grep -c '^FAIL' "$OUT/$name.log")
		grep -E '^(PASS|FAIL)' "$OUT/$name.log" | sed "s/^/$name: /"
		if [ $rc != 0 ] && [ "$f" = 0 ]; then
			f=1
			echo "FAIL $name: exited $rc: $(tail -3 "$OUT/$name.log" | tr '\n' ' ')"
		fi
		if [ "$p" = 0 ] && [ "$f" = 0 ]; then
			f=1
			echo "FAIL $name: reported no PASS or FAIL line"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" != 0 ] && failures="$failures $name"
	done
fi
echo "integration: $passed passed, $failed failed${failures:+ (}${failures# }${failures:+)}"
[ $failed = 0 ]
