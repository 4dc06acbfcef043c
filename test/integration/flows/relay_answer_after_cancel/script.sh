# The trunk answers, and the relay's answer to that 200 is held back 1.5 s
# (test/integration/relay/ng_delay.py in front of the relay); the caller
# CANCELs meanwhile. The caller gets 487, the answered trunk a BYE, and
# the relay's late answer changes nothing: no 200 to the caller, one CDR
# row 'cancelled'.
DELAY_PORT=$((NG_PORT + 2))
start_relay || exit 1
python3 "$ROOT/test/integration/relay/ng_delay.py" $DELAY_PORT $NG_PORT answer 1500 > "$W/ng_delay.log" 2>&1 &
PIDS="$PIDS $!"
wait_port udp $DELAY_PORT 127.0.0.1 || { die "ng_delay did not start (see $W/ng_delay.log)"; exit 1; }
sed -i "s/^ng = .*/ng = 127.0.0.1:$DELAY_PORT/" "$W/b2bua.conf"
start_b2bua || exit 1
carrier carrier1 127.0.0.3 "$FLOW/carrier1.xml" 1 || exit 1
caller "$ROOT/test/integration/scenarios/uac_cancel.xml" 1 1 || { die "caller's SIPp failed (see $W/caller.err)"; exit 1; }
wait_party carrier1 || exit 1
sleep 1.5   # the held answer arrives now, after the call ended
grep -q 'held reply' "$W/ng_delay.log" || { die "no relay answer was held back: the race was not made"; exit 1; }
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
s=$(statuses "$W/caller.msg" | tr '\n' ',')
[ "$s" = "100 INVITE,180 INVITE,200 CANCEL,487 INVITE," ] || die "caller got '$s'"
grep -q 'relay-answer ignored in state ending' "$W/b2bua.log" || die "the late relay answer was not seen ignored"
exit 0
