# 100 callers in a row never ACK our 200 (wave 1: a use-after-free 32 s
# later killed the b2bua). Each call is given up after 64*T1 (RFC 3261
# 13.3.1.4): nua BYEs the caller, we BYE the trunk, the CDR is closed with
# the reason. Then the b2bua is still up, lists no call, holds no leg, and
# takes the next call normally.
start_relay || exit 1
start_b2bua || exit 1
carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 101 || exit 1
caller "$ROOT/test/integration/scenarios/uac_no_ack.xml" 100 25 || { die "no-ACK caller's SIPp failed (see $W/caller.err)"; exit 1; }
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
for _ in $(seq 1 20); do
	$CTL stats > "$W/stats.out" 2>&1 || { die "b2bua-ctl stats failed: $(cat "$W/stats.out")"; exit 1; }
	grep -qx 'legs_open 0' "$W/stats.out" && break
	sleep 0.2
done
$CTL calls > "$W/calls.out" 2>&1 || { die "b2bua-ctl calls failed: $(cat "$W/calls.out")"; exit 1; }
grep -qx '(no calls)' "$W/calls.out" && [ "$(grep -c -v '^#' "$W/calls.out")" = 1 ] ||
	{ die "calls left after the ACK timeouts: $(head -3 "$W/calls.out")"; exit 1; }
grep -qx 'calls_active 0' "$W/stats.out" || { die "calls_active: $(cat "$W/stats.out")"; exit 1; }
grep -qx 'legs_open 0' "$W/stats.out" || { die "legs still open: $(grep legs_open "$W/stats.out")"; exit 1; }
# The next call works as ever.
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_bye.xml" -i 127.0.0.2 -p 5060 -m 1 -s 1000 \
	127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/caller2.msg" -trace_err -error_file "$W/caller2.err" \
	-nostdin -timeout 30s -timeout_error > "$W/caller2.out" 2>&1 || { die "the next call failed (see $W/caller2.err)"; exit 1; }
wait_party carrier1 || exit 1
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_caller2.txt" "$W/caller2.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
