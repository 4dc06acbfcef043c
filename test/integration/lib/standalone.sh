# standalone.sh - sourced by the standalone scripts that start daemons of
# their own (interop_kamailio.sh, tls_kamailio.sh, tls_startup.sh), after
# they set W (their work directory). Every PID added to PIDS is stopped on
# exit, TERM then KILL; W is kept when a check failed or KEEP=1, else
# removed; pass/fail print the lines run.sh counts, and fail sets rc.
# (Not under test/integration/*.sh: run.sh would run it as a test.)
PIDS=""
rc=0

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then echo "work files kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+ ($2)}"; rc=1; }
