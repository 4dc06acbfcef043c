# standalone.sh - sourced by the standalone scripts that start daemons of
# their own (interop_kamailio.sh, tls_kamailio.sh, tls_startup.sh, the
# relay/ scripts ng_concurrency.sh and memory_trim.sh), after
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

# A UDP port free on ADDR (the kernel's pick).
free_udp_port() {
	python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$1', 0)); print(s.getsockname()[1])"
}

# start_relay CONF NG_ADDR:PORT: build/media-relay in the foreground on
# CONF, its log in $W/relay.log, its PID in RELAY (and PIDS); returns once
# it answers an ng ping, or fails relay_up.
start_relay() {
	"$BUILD/media-relay" -c "$1" -f 2> "$W/relay.log" &
	RELAY=$!
	PIDS="$PIDS $RELAY"
	for _ in $(seq 50); do
		python3 test/integration/relay/ng.py "$2" ping 2>/dev/null | grep -q pong && return 0
		sleep 0.1
	done
	fail relay_up "$(tail -3 "$W/relay.log")"
	return 1
}

# SIGTERM ends the relay within 10 s with exit 0 (under an ASan build,
# LeakSanitizer's verdict included): check sigterm_exits_cleanly.
stop_relay_checked() {
	local st
	kill -TERM "$RELAY"
	for _ in $(seq 100); do kill -0 "$RELAY" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$RELAY" 2>/dev/null; then
		fail sigterm_exits_cleanly "still running"
		return
	fi
	wait "$RELAY"; st=$?
	PIDS=${PIDS/ $RELAY/}
	if [ "$st" = 0 ]; then pass sigterm_exits_cleanly; else fail sigterm_exits_cleanly "exit $st: $(tail -5 "$W/relay.log")"; fi
}
