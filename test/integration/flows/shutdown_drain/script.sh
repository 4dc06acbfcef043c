# SIGTERM with a call up: the b2bua stops taking calls (a new INVITE gets
# 503 with Retry-After), gives the call [call] grace seconds, then hangs it
# up (BYE both ways, CDR "Hung up by administrator"), and exits 0.
start_relay || exit 1
start_b2bua || exit 1
carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 1 || exit 1
caller "$ROOT/test/integration/scenarios/uac_wait_bye.xml" 1 1 &
CPID=$!
PIDS="$PIDS $CPID"
for _ in $(seq 1 50); do grep -q '^ACK ' "$W/carrier1.msg" 2>/dev/null && break; sleep 0.1; done
grep -q '^ACK ' "$W/carrier1.msg" || { die "the call never came up"; exit 1; }
kill -TERM "$B2BUA_PID"
start=$(date +%s%3N)
sleep 0.3
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_fail_503.xml" -i 127.0.0.2 -p 5062 -m 1 -s 1000 \
	127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/late.msg" -trace_err -error_file "$W/late.err" \
	-nostdin -timeout 10s -timeout_error > "$W/late.out" 2>&1 || { die "INVITE during drain: no 503 (see $W/late.err)"; exit 1; }
wait "$CPID" || { die "the held call got no BYE (see $W/caller.err)"; exit 1; }
held=$(( $(date +%s%3N) - start ))
echo "call hung up ${held} ms after SIGTERM (grace $GRACE s)"
[ "$held" -ge $((GRACE * 1000 - 300)) ] || { die "hung up after ${held} ms, before the grace of $GRACE s"; exit 1; }
wait_party carrier1 || exit 1
for _ in $(seq 1 100); do kill -0 "$B2BUA_PID" 2>/dev/null || break; sleep 0.1; done
wait "$B2BUA_PID"
rc=$?
[ "$rc" = 0 ] || { die "b2bua exited $rc after SIGTERM"; exit 1; }
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_late.txt" "$W/late.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
