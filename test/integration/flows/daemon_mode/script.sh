# Both daemons as an admin runs them: no -f, a pid file each. The command
# returns once the daemon is up (exit 0), or fails with the reason on
# stderr (exit 1). Wave 1's daemon mode started the CDR thread before
# daemon(), so the daemon had none and wrote no CDR; its relay died of a
# SIGHUP. Here: a call's CDR row is written, the relay survives SIGHUP
# mid-call, SIGTERM stops both cleanly (their pid files go).
NG="$ROOT/test/integration/relay/ng.py"
gone() { for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# A start-up failure is told to the terminal: exit 1 with the reason.
sed "s|^path = .*|path = $W/no/such/dir/b2bua.db|" "$W/b2bua.conf" > "$W/bad.conf"
timeout 15 "$ROOT/$BUILD/b2bua" -c "$W/bad.conf" -p "$W/bad.pid" > "$W/bad.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { die "b2bua with a bad database path exited $rc, expected 1"; exit 1; }
grep -q "b2bua: db: $W/no/such/dir/b2bua.db: cannot create" "$W/bad.out" || { die "the reason is not on stderr: $(cat "$W/bad.out")"; exit 1; }
[ ! -e "$W/bad.pid" ] || { die "a failed start left its pid file"; exit 1; }

timeout 15 "$ROOT/$BUILD/media-relay" -c "$W/media-relay.conf" -p "$W/relay.pid" > "$W/relay.out" 2>&1 || { die "media-relay daemon failed: $(cat "$W/relay.out")"; exit 1; }
RPID=$(cat "$W/relay.pid") || { die "no relay pid file"; exit 1; }
echo "$RPID" >> "$W/pids"
timeout 15 "$ROOT/$BUILD/b2bua" -c "$W/b2bua.conf" -p "$W/b2bua.pid" > "$W/b2bua.out" 2>&1 || { die "b2bua daemon failed: $(cat "$W/b2bua.out")"; exit 1; }
BPID=$(cat "$W/b2bua.pid") || { die "no b2bua pid file"; exit 1; }
echo "$BPID" >> "$W/pids"
[ -z "$(cat "$W/b2bua.out" "$W/relay.out")" ] || { die "the daemons wrote to the terminal: $(cat "$W/b2bua.out" "$W/relay.out")"; exit 1; }
wait_port udp $SIP_PORT 127.0.0.1 || { die "the b2bua daemon does not listen"; exit 1; }
# A second b2bua on the same pid file is refused.
timeout 15 "$ROOT/$BUILD/b2bua" -c "$W/b2bua.conf" -p "$W/b2bua.pid" > "$W/second.out" 2>&1 && { die "a second instance started"; exit 1; }
grep -q 'another instance is running' "$W/second.out" || { die "second instance: $(cat "$W/second.out")"; exit 1; }
[ "$(cat "$W/b2bua.pid")" = "$BPID" ] || { die "the second instance overwrote the pid file"; exit 1; }

carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 1 || exit 1
caller "$ROOT/test/integration/scenarios/uac_hold.xml" 1 1 &
CPID=$!
PIDS="$PIDS $CPID"
for _ in $(seq 1 50); do grep -q '^ACK ' "$W/carrier1.msg" 2>/dev/null && break; sleep 0.1; done
kill -HUP "$RPID"
sleep 0.3
kill -0 "$RPID" 2>/dev/null || { die "media-relay died of SIGHUP"; exit 1; }
python3 "$NG" 127.0.0.1:$NG_PORT list > "$W/list.out" 2>&1 || { die "relay does not answer after SIGHUP: $(cat "$W/list.out")"; exit 1; }
grep -q "test-" "$W/list.out" || { die "the relay lost the call on SIGHUP: $(cat "$W/list.out")"; exit 1; }
wait "$CPID" || { die "caller's SIPp failed (see $W/caller.err)"; exit 1; }
wait_party carrier1 || exit 1

kill -TERM "$BPID"
gone "$BPID" || { die "b2bua did not stop on SIGTERM"; exit 1; }
[ ! -e "$W/b2bua.pid" ] || { die "b2bua left its pid file: no clean exit"; exit 1; }
kill -TERM "$RPID"
gone "$RPID" || { die "media-relay did not stop on SIGTERM"; exit 1; }
[ ! -e "$W/relay.pid" ] || { die "media-relay left its pid file: no clean exit"; exit 1; }
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
