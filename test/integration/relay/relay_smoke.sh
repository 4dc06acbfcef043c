#!/bin/bash
# relay_smoke.sh - end-to-end checks of build/media-relay: ng control,
# plain RTP through the relay (both ways, latching, no bleed), SRTP<->RTP
# and SRTP<->SRTP with srtp_peer, tampered SRTP dropped, clean SIGTERM.
# Prints "PASS name" / "FAIL name", then "relay: N passed, N failed";
# exits non-zero on any failure. Every process it starts is stopped on exit.
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
HERE=test/integration/relay
WORK=$(mktemp -d /tmp/relay-smoke.XXXXXX)
RELAY_PID=""

cleanup() {
	if [ -n "$RELAY_PID" ]; then
		kill -TERM "$RELAY_PID" 2>/dev/null
		sleep 0.3
		kill -KILL "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for bin in "$BUILD/media-relay" "$BUILD/srtp_peer"; do
	[ -x "$bin" ] || { echo "FAIL build: $bin missing"; echo "relay: 0 passed, 1 failed"; exit 1; }
done

NG_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PMIN=$((46000 + (RANDOM % 80) * 200))
cat > "$WORK/relay.conf" <<CONF
[relay]
ng = 127.0.0.1:$NG_PORT
interface = 127.0.0.1
ports = $PMIN-$((PMIN + 199))
workers = 2
media_timeout = 30
[log]
level = debug
CONF

"$BUILD/media-relay" -c "$WORK/relay.conf" -f 2> "$WORK/relay.log" &
RELAY_PID=$!

python3 "$HERE/smoke.py" "127.0.0.1:$NG_PORT" "$BUILD/srtp_peer" | tee "$WORK/results"
rc=${PIPESTATUS[0]}

# SIGTERM: exits 0, promptly.
kill -TERM "$RELAY_PID"
for _ in $(seq 50); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$RELAY_PID" 2>/dev/null; then
	echo "FAIL sigterm_exits_cleanly (still running)"
	rc=1
else
	wait "$RELAY_PID"; st=$?
	RELAY_PID=""
	if [ "$st" = 0 ]; then echo "PASS sigterm_exits_cleanly"; else echo "FAIL sigterm_exits_cleanly (exit $st)"; rc=1; fi
fi >> "$WORK/results"
tail -1 "$WORK/results"
if [ "$rc" != 0 ]; then
	echo "--- relay log (tail) ---"
	tail -20 "$WORK/relay.log"
fi
echo "relay: $(grep -c '^PASS ' "$WORK/results") passed, $(grep -c '^FAIL ' "$WORK/results") failed"
exit $rc
