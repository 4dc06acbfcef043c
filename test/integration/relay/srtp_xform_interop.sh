#!/bin/bash
# srtp_xform_interop.sh - the relay's SRTP transforms against libsrtp2's
# own across processes: relay_smoke's checks (smoke.py: SRTP<->RTP both
# ways, SRTP<->SRTP with both suites, tampered SRTP dropped) run twice,
# once with the relay on the EVP transforms and srtp_peer on stock
# libsrtp2, once the other way round. The relay's log must name the
# transforms it runs. Prints "PASS name" / "FAIL name"; exits non-zero
# on any failure. Every process it starts is stopped on exit.
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
HERE=test/integration/relay
WORK=$(mktemp -d /tmp/srtp-xform.XXXXXX)
RELAY_PID=""
rc=0

stop_relay() {
	[ -n "$RELAY_PID" ] || return 0
	kill -TERM "$RELAY_PID" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=""
}
cleanup() { stop_relay; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

for bin in "$BUILD/media-relay" "$BUILD/srtp_peer"; do
	[ -x "$bin" ] || { echo "FAIL build: $bin missing"; exit 1; }
done

# relay_xform peer_xform
run_pair() {
	local rx=$1 px=$2 name="relay_${1}_peer_${2}" ng pmin out
	ng=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pmin=$((46000 + (RANDOM % 80) * 200))
	cat > "$WORK/$name.conf" <<CONF
[relay]
ng = 127.0.0.1:$ng
interface = 127.0.0.1
ports = $pmin-$((pmin + 199))
workers = 2
srtp_transforms = $rx
[log]
level = info
CONF
	# The environment would win over the file: keep it out of the relay's.
	env -u SRTP_TRANSFORMS "$BUILD/media-relay" -c "$WORK/$name.conf" -f 2> "$WORK/$name.log" &
	RELAY_PID=$!
	sleep 0.3
	if grep -q "SRTP transforms: $rx" "$WORK/$name.log"; then
		echo "PASS $name/relay_runs_$rx"
	else
		echo "FAIL $name/relay_runs_$rx: $(tail -2 "$WORK/$name.log" | tr '\n' ' ')"
		rc=1
	fi
	out=$(SRTP_TRANSFORMS=$px python3 "$HERE/smoke.py" "127.0.0.1:$ng" "$BUILD/srtp_peer")
	[ $? = 0 ] || rc=1
	# Only the SRTP checks are this script's business.
	echo "$out" | grep -E '^(PASS|FAIL) [a-z_]*(srtp|tampered)' | sed -E "s#^(PASS|FAIL) #\1 $name/#"
	echo "$out" | grep -qE '^PASS [a-z_]*srtp' || { echo "FAIL $name: no SRTP check ran"; rc=1; }
	echo "$out" | grep -qE '^FAIL' && rc=1
	stop_relay
}

run_pair evp stock
run_pair stock evp
exit $rc
