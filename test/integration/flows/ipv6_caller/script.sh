# ipv6_caller: a PBX on [::1]:5760 calls an IPv4 carrier (127.0.0.77:5780)
# through one dual-stack interface "main" (b2bua: 127.0.0.76 and [::1];
# relay: the same two). Checks: the caller's SDP from us is IPv6 (::1),
# the carrier's IPv4, audio both ways between the families (the sink at
# the carrier counts and echoes; CDR counts both sides).
sed -i "s|^interface = .*|interface = main/127.0.0.76, main/::1|" "$W/media-relay.conf"
sed -i "s|^listen = .*|listen = udp:127.0.0.76:$SIP_PORT/main, udp:[::1]:$SIP_PORT/main|" "$W/b2bua.conf"
listening udp 5760 '\[::1\]' && { die "[::1]:5760 is already taken"; exit 1; }
for a in 127.0.0.77:5780 127.0.0.77:16900; do
	listening udp "${a##*:}" "${a%:*}" && { die "$a is already taken"; exit 1; }
done
start_relay || exit 1
"$ROOT/$BUILD/b2bua" -c "$W/b2bua.conf" -f >"$W/b2bua.log" 2>&1 &
B2BUA_PID=$!
PIDS="$PIDS $B2BUA_PID"
wait_port udp $SIP_PORT '\[::1\]' || { die "b2bua did not listen on [::1] (see $W/b2bua.log)"; exit 1; }
"$SIPP" -sf "$FLOW/carrier.xml" -i 127.0.0.77 -p 5780 -m 1 -trace_msg -message_file "$W/carrier.msg" \
	-trace_err -error_file "$W/carrier.err" -nostdin -timeout 60s -timeout_error >"$W/carrier.out" 2>&1 &
carrier_PID=$!
PIDS="$PIDS $!"
wait_port udp 5780 127.0.0.77 || { die "carrier did not listen (see $W/carrier.out)"; exit 1; }
python3 "$ROOT/test/integration/scenarios/rtp_sink.py" 127.0.0.77:16900 "$W/sink.out" --echo --idle 2 --timeout 25 \
	>"$W/sink.log" 2>&1 &
SINK_PID=$!
PIDS="$PIDS $!"
"$SIPP" -sf "$FLOW/caller.xml" -i ::1 -p 5760 -mi ::1 -mp 16810 -m 1 -s 7000 \
	"[::1]:$SIP_PORT" -trace_msg -message_file "$W/caller.msg" -trace_err -error_file "$W/caller.err" \
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
# IPv6 in, IPv4 out: the carrier's media came from the relay's IPv4 address.
grep -qE 'sources=127\.0\.0\.76:[0-9]+$' "$W/sink.out" || { die "media did not come from the relay's IPv4 address: $(cat "$W/sink.out")"; exit 1; }
exit 0
