#!/bin/bash
# interop_kamailio.sh - Debian's Kamailio with its rtpengine module drives
# OUR media-relay (ng protocol) for a call: SIPp caller 127.0.0.2 ->
# Kamailio 127.0.0.1 (rtpengine_manage) -> SIPp callee 127.0.0.3 (RTP echo).
# Checks: the callee's SDP and the caller's answer carry the relay's
# address and ports from its range; the relay's `list`/`query` show the
# call (Kamailio's Call-ID) with packets while it runs; the BYE deletes it.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure. Every
# process it starts is stopped on exit (by PID).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
IO=test/integration/interop
W=$(mktemp -d /tmp/interop-kamailio.XXXXXX)
. test/integration/lib/standalone.sh   # PIDS, rc, cleanup on exit, pass, fail
freeport() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_udp() { for _ in $(seq 1 50); do ss -lnu -H | grep -q "$1:$2 " && return 0; sleep 0.1; done; return 1; }

for bin in "$BUILD/media-relay" /usr/sbin/kamailio /usr/lib/x86_64-linux-gnu/kamailio/modules/rtpengine.so; do
	[ -e "$bin" ] || { fail setup "$bin missing (apt-get install kamailio kamailio-extra-modules)"; exit 1; }
done

NG_PORT=$(freeport)
SIP_PORT=$(freeport)
# Below the ephemeral range (32768-60999), where busy benchmarks leave sockets.
PMIN=$((28000 + (RANDOM % 20) * 200))
PMAX=$((PMIN + 199))
cat > "$W/relay.conf" <<CONF
[relay]
ng = 127.0.0.1:$NG_PORT
interface = 127.0.0.1
ports = $PMIN-$PMAX
media_timeout = 30
[log]
level = debug
CONF
sed -e "s/__SIP_PORT__/$SIP_PORT/" -e "s/__NG_PORT__/$NG_PORT/" -e "s/__CALLEE__/127.0.0.3:5080/" \
	"$IO/kamailio-rtpengine.cfg" > "$W/kamailio.cfg"

"$BUILD/media-relay" -c "$W/relay.conf" -f > "$W/relay.log" 2>&1 &
PIDS="$PIDS $!"
wait_udp 127.0.0.1 "$NG_PORT" || { fail relay_starts "see $W/relay.log"; exit 1; }

kamailio -c -f "$W/kamailio.cfg" > "$W/kamailio-check.log" 2>&1 || { fail kamailio_config "$(tail -3 "$W/kamailio-check.log")"; exit 1; }
# -DD: no daemon (the PID is the main process, its children follow it).
kamailio -f "$W/kamailio.cfg" -DD -E -w "$W" -P "$W/kamailio.pid" -m 64 -M 8 > "$W/kamailio.log" 2>&1 &
KAM_PID=$!
PIDS="$PIDS $KAM_PID"
wait_udp 127.0.0.1 "$SIP_PORT" || { fail kamailio_starts "see $W/kamailio.log"; exit 1; }
pass kamailio_starts_with_our_relay

sipp -sf "$IO/uas_answer_rr.xml" -i 127.0.0.3 -p 5080 -m 1 -mi 127.0.0.3 -mp 16930 -rtp_echo \
	-trace_msg -message_file "$W/callee.msg" -trace_err -error_file "$W/callee.err" \
	-nostdin -timeout 30s -timeout_error > "$W/callee.out" 2>&1 &
CALLEE_PID=$!
PIDS="$PIDS $CALLEE_PID"
sleep 0.2
sipp -sf "$IO/uac_media.xml" -i 127.0.0.2 -p 5060 -m 1 -mi 127.0.0.2 -mp 16940 -s 1000 127.0.0.1:$SIP_PORT \
	-trace_msg -message_file "$W/caller.msg" -trace_err -error_file "$W/caller.err" \
	-nostdin -timeout 30s -timeout_error > "$W/caller.out" 2>&1 &
CALLER_PID=$!
PIDS="$PIDS $CALLER_PID"

# Mid-call (after the ACK, media playing): the relay knows the call.
for _ in $(seq 1 30); do grep -q '^ACK ' "$W/callee.msg" 2>/dev/null && break; sleep 0.1; done
sleep 1.5
CALL_ID=$(awk '/message received/{r=1} /^----/{r=0} r && /^Call-ID:/{print $2; exit}' "$W/callee.msg" | tr -d '\r')
python3 - "$NG_PORT" "$CALL_ID" > "$W/query.out" 2>&1 <<'PY'
import sys
sys.path.insert(0, "test/integration/relay")
from ng import ng_request
addr = "127.0.0.1:" + sys.argv[1]
calls = ng_request(addr, {"command": "list"}).get("calls", [])
print("list:", [c.decode() for c in calls])
q = ng_request(addr, {"command": "query", "call-id": sys.argv[2]})
print("query result:", q.get("result", b"").decode(), q.get("error-reason", b"").decode())
tags = q.get("tags", {})
for tag, t in tags.items():
    n = 0
    for m in t.get("medias", []):
        for s in m.get("streams", []):
            n += s.get("stats", {}).get("packets", 0)
    print("tag %s packets %d" % (tag, n))
PY
cat "$W/query.out"
if [ -n "$CALL_ID" ] && grep -qF "'$CALL_ID'" "$W/query.out" && grep -q '^query result: ok' "$W/query.out"; then
	pass relay_lists_and_queries_the_call
else
	fail relay_lists_and_queries_the_call "call-id '$CALL_ID': $(tr '\n' ' ' < "$W/query.out")"
fi
if [ "$(grep -c '^tag .* packets [1-9]' "$W/query.out")" -ge 2 ]; then
	pass relay_forwards_media_both_ways
else
	fail relay_forwards_media_both_ways "$(grep '^tag' "$W/query.out" | tr '\n' ' ')"
fi

wait "$CALLER_PID"; crc=$?
wait "$CALLEE_PID"; erc=$?
if [ "$crc" = 0 ] && [ "$erc" = 0 ]; then pass call_completes; else fail call_completes "caller $crc, callee $erc; see $W/*.err"; fi

# What each side received: only the relay's address and ports.
recv_only() { awk '/^----/{k=0} /message received/{k=1} k' "$1"; }
recv_only "$W/callee.msg" > "$W/callee.received"
recv_only "$W/caller.msg" > "$W/caller.received"
sdp_ok() {   # FILE: the (first) SDP has c= 127.0.0.1 and m= port in our range
	local c m
	c=$(grep -m1 '^c=IN IP4 ' "$1" | tr -d '\r' | awk '{print $3}')
	m=$(grep -m1 '^m=audio ' "$1" | awk '{print $2}')
	echo "$(basename "$1"): c=$c m=$m"
	[ "$c" = 127.0.0.1 ] && [ -n "$m" ] && [ "$m" -ge "$PMIN" ] && [ "$m" -le "$PMAX" ]
}
if sdp_ok "$W/callee.received" && ! grep -q '127\.0\.0\.2:16940\|^c=IN IP4 127\.0\.0\.2' "$W/callee.received"; then
	pass callee_sdp_is_our_relay
else
	fail callee_sdp_is_our_relay "$(grep -E '^(c|m|o)=' "$W/callee.received" | tr '\r\n' '  ')"
fi
if sdp_ok "$W/caller.received" && ! grep -q '^c=IN IP4 127\.0\.0\.3' "$W/caller.received"; then
	pass caller_sdp_is_our_relay
else
	fail caller_sdp_is_our_relay "$(grep -E '^(c|m|o)=' "$W/caller.received" | tr '\r\n' '  ')"
fi
if grep -q '^BYE ' "$W/callee.received"; then pass bye_through_kamailio; else fail bye_through_kamailio; fi

# The BYE made Kamailio delete the call on the relay.
sleep 0.3
left=$(python3 -c "
import sys; sys.path.insert(0, 'test/integration/relay')
from ng import ng_request
print(len(ng_request('127.0.0.1:$NG_PORT', {'command': 'list'}).get('calls', [])))" 2>&1)
if [ "$left" = 0 ]; then pass relay_call_deleted_on_bye; else fail relay_call_deleted_on_bye "$left calls left"; fi
[ "$rc" = 0 ] || { echo "--- kamailio log (tail)"; tail -5 "$W/kamailio.log"; echo "--- relay log (tail)"; tail -5 "$W/relay.log"; }
exit $rc
