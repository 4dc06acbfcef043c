#!/bin/sh
# test.sh - runs every unit test binary and the integration suite, then
# prints one closing line "N passed, N failed" over all of them.
# BUILD names the build directory (build or build-asan).
set -u
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in test_policy test_b2bua test_relay; do
	echo "== unit: $t"
	if [ ! -x "$BUILD/$t" ]; then
		echo "missing $BUILD/$t"
		failed=$((failed + 1))
		continue
	fi
	"$BUILD/$t" >"$log" 2>&1
	rc=$?
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
test/integration/run.sh >"$log" 2>&1
rc=$?
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
