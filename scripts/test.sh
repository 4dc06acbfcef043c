#!/bin/sh
# test.sh - runs every unit test binary and the integration suite, then
# prints one closing line "N passed, N failed" over all of them.
# BUILD names the build directory (build or build-asan).
# Ctrl-C or SIGTERM stops the test running then (run.sh stops its flow and
# every process of it) and ends the run, by the signal, with nothing left.
set -u
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
log=$(mktemp)
child=""
trap 'rm -f "$log"' EXIT
interrupted() {
	trap '' INT TERM     # a second Ctrl-C must not cut the cleanup short
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
	wait
	echo "test: interrupted by SIG$1"
	rm -f "$log"
	trap - EXIT INT TERM
	kill -s "$1" $$
}
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM
# run_bg CMD...: runs CMD in the background (a trap runs at once, not after
# it) and waits; its exit code in $rc, its output in $log.
run_bg() {
	"$@" >"$log" 2>&1 </dev/null &
	child=$!
	wait "$child"
	rc=$?
	child=""
}

for t in test_policy test_b2bua test_relay; do
	echo "== unit: $t"
	if [ ! -x "$BUILD/$t" ]; then
		echo "missing $BUILD/$t"
		failed=$((failed + 1))
		continue
	fi
	run_bg "$BUILD/$t"
	cat "$log"
	line=$(grep '^unit: ' "$log" | tail -n 1)
	run=$(echo "$line" | sed -n 's/^unit: \([0-9]*\) run, \([0-9]*\) failed/\1/p')
	bad=$(echo "$line" | sed -n 's/^unit: \([0-9]*\) run, \([0-9]*\) failed/\2/p')
	if [ -z "$run" ]; then
		echo "$t: no summary (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	[ "$rc" != 0 ] && [ "$bad" = 0 ] && bad=1
	passed=$((passed + run - bad))
	failed=$((failed + bad))
done

echo "== integration"
run_bg test/integration/run.sh
cat "$log"
line=$(grep '^integration: ' "$log" | tail -n 1)
ip=$(echo "$line" | sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
if=$(echo "$line" | sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
if [ -z "$ip" ]; then
	echo "integration: no summary (exit $rc)"
	failed=$((failed + 1))
else
	[ "$rc" != 0 ] && [ "$if" = 0 ] && if=1
	passed=$((passed + ip))
	failed=$((failed + if))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
