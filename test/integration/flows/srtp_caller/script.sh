# SRTP from the caller (policy: pbx mandatory), plain RTP toward carrier1.
# The caller's SIPp offers its own SDES key; srtp_peer is its media
# endpoint (receiving with the key of the relay's answer), rtp_peer.py is
# the carrier's. Each sends 100 packets and must read >= 90: srtp_peer
# authenticates and decrypts what the relay protected, rtp_peer.py checks
# the payload is srtp_peer's, in clear.
AKEY=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e
start_relay || exit 1
start_b2bua || exit 1
CARRIER_ARGS="-key workdir $W" carrier carrier1 127.0.0.3 "$FLOW/carrier1.xml" 1
# SIPp itself in the background, so cleanup can kill it by its PID.
"$SIPP" -sf "$FLOW/caller.xml" -i 127.0.0.2 -p 5060 -m 1 -s 1000 127.0.0.1:$SIP_PORT \
	-key workdir "$W" -trace_msg -message_file "$W/caller.msg" -trace_err -error_file "$W/caller.err" \
	-nostdin -timeout 30s -timeout_error > "$W/caller.out" 2>&1 &
CALLER_PID=$!
PIDS="$PIDS $CALLER_PID"
for _ in $(seq 1 50); do
	[ -s "$W/carrier_media.txt" ] && [ -s "$W/caller_media.txt" ] && break
	sleep 0.1
done
[ -s "$W/carrier_media.txt" ] || { die "carrier got no RTP/AVP offer (see $W/carrier1.msg, $W/carrier1.err)"; exit 1; }
[ -s "$W/caller_media.txt" ] || { die "caller got no RTP/SAVP answer with a key (see $W/caller.msg, $W/caller.err)"; exit 1; }
read -r APORT RKEY < "$W/caller_media.txt"
read -r BPORT < "$W/carrier_media.txt"
echo "relay: A side 127.0.0.1:$APORT (SRTP, key $RKEY), B side 127.0.0.1:$BPORT (RTP)"
[ "$RKEY" != "$AKEY" ] || { die "relay answered with the caller's own key"; exit 1; }
"$ROOT/$BUILD/srtp_peer" --local 127.0.0.2:16821 --remote 127.0.0.1:$APORT \
	--send-key "$AKEY" --recv-key "$RKEY" --send 100 --expect 90 --timeout 4 > "$W/srtp_peer.out" 2>&1 &
SRTP_PID=$!
PIDS="$PIDS $SRTP_PID"
python3 "$ROOT/test/integration/scenarios/rtp_peer.py" --local 127.0.0.3:16921 --remote 127.0.0.1:$BPORT \
	--send 100 --expect 90 --timeout 4 > "$W/rtp_peer.out" 2>&1
prc=$?
wait $SRTP_PID
src=$?
echo "srtp_peer: $(cat "$W/srtp_peer.out")"
echo "rtp_peer:  $(cat "$W/rtp_peer.out")"
wait $CALLER_PID
crc=$?
[ "$crc" = 0 ] || { die "caller's SIPp exited $crc (see $W/caller.err)"; exit 1; }
wait_party carrier1 || exit 1
stop_b2bua || exit 1
[ "$src" = 0 ] || { die "srtp_peer (SRTP caller) did not get >= 90 authenticated packets: $(cat "$W/srtp_peer.out")"; exit 1; }
grep -q 'auth_fail=0' "$W/srtp_peer.out" || { die "srtp_peer saw packets that failed authentication: $(cat "$W/srtp_peer.out")"; exit 1; }
[ "$prc" = 0 ] || { die "rtp_peer (plain carrier) did not get >= 90 decrypted packets: $(cat "$W/rtp_peer.out")"; exit 1; }
grep -q 'other=0' "$W/rtp_peer.out" || { die "plain side got packets that are not clear RTP: $(cat "$W/rtp_peer.out")"; exit 1; }
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
