# two_armed: the ordinary two-armed SBC. PBX 127.0.0.70:5760 on "inside",
# carrier 127.0.0.75:5780 on "outside"; the b2bua listens on 127.0.0.71
# (inside) and 127.0.0.72 (outside), the relay anchors on the same two.
# Checks: each side's SDP names the relay address of its own side, the
# carrier's INVITE came from the outside SIP address, audio both ways
# (sink at the carrier counts and echoes; CDR counts both sides).
sed -i "s|^interface = .*|interface = inside/127.0.0.71, outside/127.0.0.72|" "$W/media-relay.conf"
sed -i "s|^listen = .*|listen = udp:127.0.0.71:$SIP_PORT/inside, udp:127.0.0.72:$SIP_PORT/outside|" "$W/b2bua.conf"
for a in 127.0.0.70:5760 127.0.0.75:5780 127.0.0.75:16900; do
	listening udp "${a##*:}" "${a%:*}" && { die "$a is already taken"; exit 1; }
done
start_relay || exit 1
"$ROOT/$BUILD/b2bua" -c "$W/b2bua.conf" -f >"$W/b2bua.log" 2>&1 &
B2BUA_PID=$!
PIDS="$PIDS $B2BUA_PID"
wait_port udp $SIP_PORT 127.0.0.72 || { die "b2bua did not start (see $W/b2bua.log)"; exit 1; }
"$SIPP" -sf "$FLOW/carrier.xml" -i 127.0.0.75 -p 5780 -m 1 -trace_msg -message_file "$W/carrier.msg" \
	-trace_err -error_file "$W/carrier.err" -nostdin -timeout 60s -timeout_error >"$W/carrier.out" 2>&1 &
carrier_PID=$!
PIDS="$PIDS $!"
wait_port udp 5780 127.0.0.75 || { die "carrier did not listen (see $W/carrier.out)"; exit 1; }
python3 "$ROOT/test/integration/scenarios/rtp_sink.py" 127.0.0.75:16900 "$W/sink.out" --echo --idle 2 --timeout 25 \
	>"$W/sink.log" 2>&1 &
SINK_PID=$!
PIDS="$PIDS $!"
"$SIPP" -sf "$FLOW/caller.xml" -i 127.0.0.70 -p 5760 -mi 127.0.0.70 -mp 16800 -m 1 -s 7000 \
	127.0.0.71:$SIP_PORT -trace_msg -message_file "$W/caller.msg" -trace_err -error_file "$W/caller.err" \
	-nostdin -timeout 60s -timeout_error >"$W/caller.out" 2>&1 || { die "caller's SIPp failed (see $W/caller.err)"; exit 1; }
wait_party carrier || exit 1
wait "$SINK_PID" || { die "rtp_sink failed (see $W/sink.log)"; exit 1; }
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier.txt" "$W/carrier.msg" || exit 1
expect_cdr "$FLOW" || exit 1
cat "$W/sink.out"
n=$(sed -n 's/.*pt8=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 200 ] || { die "carrier got ${n:-0} PCMA packets, expected >= 200"; exit 1; }
# The carrier's media came from the relay's outside address only.
grep -qE 'sources=127\.0\.0\.72:[0-9]+$' "$W/sink.out" || { die "media did not come from the outside interface alone: $(cat "$W/sink.out")"; exit 1; }
# The relay's inside port toward the PBX, in the caller's SDP, is bound on the inside address.
grep -q 'media interface inside: 127.0.0.71' "$W/relay.log" || { die "relay did not start with its inside interface"; exit 1; }
exit 0
