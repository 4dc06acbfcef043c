#!/bin/bash
# ng_rate.sh - the relay's ng request rate alone (issue 13): for each
# media-relay binary given, starts it on private addresses, drives
# offer/answer/delete with build/ng_load (closed loop: THREADS clients,
# WINDOW calls in flight each), ROUNDS times, and prints per round the
# requests/s, latency p50/p99, the relay's CPU time per request
# (/proc/PID/stat) and the requests ng_load had to resend (unanswered
# within 500 ms: dropped by the relay's socket or waiting too long). Binaries alternate round by round, so a busy machine
# weighs on both alike. Not part of make bench or make test.
#
#   scripts/bench/ng_rate.sh [BUILD/media-relay ...]     (default build/media-relay)
#   env: ROUNDS=3 THREADS=4 CALLS=5000 WINDOW=16 NG_THREADS=0
#        NG_ADDR=127.0.0.110 MEDIA_ADDR=127.0.0.111 CLIENT_ADDR=127.0.0.112
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-4} CALLS=${CALLS:-5000} WINDOW=${WINDOW:-16}
NG_THREADS=${NG_THREADS:-0}
NG_ADDR=${NG_ADDR:-127.0.0.110} MEDIA_ADDR=${MEDIA_ADDR:-127.0.0.111} CLIENT_ADDR=${CLIENT_ADDR:-127.0.0.112}
[ $# -gt 0 ] || set -- "$BUILD/media-relay"
[ -x "$BUILD/ng_load" ] || { echo "ng_rate: $BUILD/ng_load missing (make $BUILD/ng_load)" >&2; exit 1; }
W=$(mktemp -d /tmp/ng-rate.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

port=$(python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$NG_ADDR', 0)); print(s.getsockname()[1])")
cat > "$W/relay.conf" <<CONF
[relay]
ng = $NG_ADDR:$port
interface = $MEDIA_ADDR
ports = 50000-57999
workers = 2
media_timeout = 30
[log]
level = warn
CONF
# An old binary does not know ng_threads: only set when asked.
[ "$NG_THREADS" != 0 ] && sed -i "s/^workers = 2/workers = 2\nng_threads = $NG_THREADS/" "$W/relay.conf"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-40s %5s %9s %8s %8s %12s %8s\n' relay round req_per_s p50_ms p99_ms cpu_us_per_req resends
for round in $(seq "$ROUNDS"); do
	for bin in "$@"; do
		"$bin" -c "$W/relay.conf" -f 2>> "$W/relay.log" &
		PID=$!
		for _ in $(seq 50); do
			python3 test/integration/relay/ng.py "$NG_ADDR:$port" ping 2>/dev/null | grep -q pong && break
			sleep 0.1
		done
		sleep 0.5                      # pre-opened pairs bound
		c0=$(cpu_ticks "$PID")
		out=$("$BUILD/ng_load" --relay "$NG_ADDR:$port" --bind "$CLIENT_ADDR" --ports 50000-57999 \
			--threads "$THREADS" --calls "$CALLS" --window "$WINDOW")
		c1=$(cpu_ticks "$PID")
		kill -TERM "$PID"; wait "$PID"; PID=""
		req=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
		ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$out")
		rps=$(sed -n 's/.*req_per_s=\([0-9]*\).*/\1/p' <<<"$out")
		p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$out")
		p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")
		rs=$(sed -n 's/.*resends=\([0-9]*\).*/\1/p' <<<"$out")
		hz=$(getconf CLK_TCK)
		cpu=$(awk -v a="$c0" -v b="$c1" -v n="$req" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
		[ "$ok" = "$req" ] || echo "ng_rate: $bin: only $ok of $req requests answered ok" >&2
		printf '%-40s %5s %9s %8s %8s %12s %8s\n' "$bin" "$round" "$rps" "$p50" "$p99" "$cpu" "$rs"
	done
done
