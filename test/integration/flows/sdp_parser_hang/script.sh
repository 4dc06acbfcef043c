# One SDP line that sends Sofia-SIP's sdp_parse() into an allocation loop
# (wave 1: both daemons hung and ate all memory): "m=audio P RT@/AVP 8".
# As an INVITE it gets 400 Malformed SDP; as an ng offer, result=error;
# both daemons stay up and the next call is normal.
NG="$ROOT/test/integration/relay/ng.py"
start_relay || exit 1
start_b2bua || exit 1
caller "$ROOT/test/integration/scenarios/uac_bad_sdp.xml" 1 1 || { die "no 400 for the malformed SDP (see $W/caller.err)"; exit 1; }
grep -i 'response time' -A2 "$W/caller.out" | head -3
SDP=$(printf 'v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RT@/AVP 8\r\n')
timeout 5 python3 "$NG" 127.0.0.1:$NG_PORT offer call-id=hang-1 from-tag=a "sdp=$SDP" > "$W/ng_offer.out" 2>&1
cat "$W/ng_offer.out"
grep -q "'result': b'error'" "$W/ng_offer.out" || { die "relay did not refuse the offer: $(cat "$W/ng_offer.out")"; exit 1; }
grep -q "protocol is not a token" "$W/ng_offer.out" || { die "relay's reason: $(cat "$W/ng_offer.out")"; exit 1; }
timeout 5 python3 "$NG" 127.0.0.1:$NG_PORT ping > "$W/ng_ping.out" 2>&1
grep -q "pong" "$W/ng_ping.out" || { die "relay dead after the offer: $(cat "$W/ng_ping.out")"; exit 1; }
carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 1 || exit 1
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_bye.xml" -i 127.0.0.2 -p 5060 -m 1 -s 1000 \
	127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/caller2.msg" -trace_err -error_file "$W/caller2.err" \
	-nostdin -timeout 30s -timeout_error > "$W/caller2.out" 2>&1 || { die "the next call failed (see $W/caller2.err)"; exit 1; }
wait_party carrier1 || exit 1
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
grep -q 'malformed SDP: line 6 (m=): protocol is not a token' "$W/b2bua.log" || die "the refusal does not name the fault"
exit 0
