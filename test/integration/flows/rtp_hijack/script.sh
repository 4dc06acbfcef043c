# RTP hijack (wave 1: the first packet from anyone latched a plain RTP
# stream). A third party (127.0.0.66) sends 5 packets to the relay's
# caller-side port before the caller does; then the caller (its SDP
# address, 127.0.0.2:16820) and the carrier send 100 packets each.
# HIJACK (flow.conf) says what must happen under the pbx trunk's
# media_latch: no (sdp, learn: the third party gets nothing, both parties
# hear each other) or yes (first: the documented, hijackable policy).
P="python3 $ROOT/test/integration/scenarios/rtp_peer.py"
start_relay || exit 1
start_b2bua || exit 1
CARRIER_ARGS="-key workdir $W" carrier carrier1 127.0.0.3 "$ROOT/test/integration/flows/rtp_hijack/carrier1.xml" 1 || exit 1
"$SIPP" -sf "$ROOT/test/integration/flows/rtp_hijack/caller.xml" -i 127.0.0.2 -p 5060 -m 1 -s 1000 \
	127.0.0.1:$SIP_PORT -key workdir "$W" -trace_msg -message_file "$W/caller.msg" \
	-trace_err -error_file "$W/caller.err" -nostdin -timeout 30s -timeout_error > "$W/caller.out" 2>&1 &
CALLER_PID=$!
PIDS="$PIDS $CALLER_PID"
for _ in $(seq 1 50); do
	[ -s "$W/carrier_media.txt" ] && [ -s "$W/caller_media.txt" ] && break
	sleep 0.1
done
[ -s "$W/caller_media.txt" ] && [ -s "$W/carrier_media.txt" ] || { die "no SDP ports (see $W/caller.msg)"; exit 1; }
read -r APORT < "$W/caller_media.txt"
read -r BPORT < "$W/carrier_media.txt"
echo "relay: caller side 127.0.0.1:$APORT, carrier side 127.0.0.1:$BPORT"
# The carrier talks all along; the third party speaks first on the caller's port.
$P --local 127.0.0.3:16920 --remote 127.0.0.1:$BPORT --send 150 --expect 0 --timeout 4 --stay > "$W/carrier_rtp.out" 2>&1 &
CRTP=$!
$P --local 127.0.0.66:16666 --remote 127.0.0.1:$APORT --send 5 --expect 0 --timeout 3.5 --stay > "$W/intruder.out" 2>&1 &
IRTP=$!
sleep 0.3
$P --local 127.0.0.2:16820 --remote 127.0.0.1:$APORT --send 100 --expect 0 --timeout 3 --stay > "$W/caller_rtp.out" 2>&1
wait $IRTP $CRTP
for f in intruder caller_rtp carrier_rtp; do echo "$f: $(cat "$W/$f.out")"; done
got() { sed -n 's/.* received=\([0-9]*\).*/\1/p' "$W/$1.out"; }
wait $CALLER_PID || { die "caller's SIPp failed (see $W/caller.err)"; exit 1; }
wait_party carrier1 || exit 1
stop_b2bua || exit 1
if [ "$HIJACK" = no ]; then
	[ "$(got intruder)" = 0 ] || { die "the third party received $(got intruder) packets of the call"; exit 1; }
	[ "$(got caller_rtp)" -ge 90 ] || { die "the caller received $(got caller_rtp) packets, expected >= 90"; exit 1; }
	[ "$(got carrier_rtp)" -ge 90 ] || { die "the carrier received $(got carrier_rtp) packets, expected >= 90"; exit 1; }
else
	[ "$(got intruder)" -ge 90 ] || { die "with media_latch = first the third party should take the stream, got $(got intruder)"; exit 1; }
	[ "$(got carrier_rtp)" -le 10 ] || { die "the caller's media was not locked out: carrier got $(got carrier_rtp)"; exit 1; }
fi
sqlite3 "$DB" 'SELECT a_rtp_pkts, b_rtp_pkts FROM cdrs'
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
