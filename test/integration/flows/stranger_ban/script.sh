# A stranger floods INVITEs (300/s for 3 s) past its rate (50/s): after
# 50 refusals in a row it is banned, and the kernel filter drops the rest
# before Sofia sees them (it gets no answer at all). `b2bua-ctl bans`
# lists it; calls from the trunk go on meanwhile; `unban` lets it be
# answered again (403: it is still no trunk).
PROBE="python3 $ROOT/test/integration/scenarios/sip_probe.py"
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
start_relay || exit 1
start_b2bua || exit 1
carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 5 || exit 1
"$SIPP" -sf "$ROOT/test/integration/scenarios/stranger_flood.xml" -i 127.0.0.9 -p 5066 -m 900 -r 300 \
	-s 1000 127.0.0.1:$SIP_PORT -nostdin -timeout 20s > "$W/flood.out" 2>&1 &
FLOOD=$!
PIDS="$PIDS $FLOOD"
# The trunk's calls during the flood.
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_bye.xml" -i 127.0.0.2 -p 5060 -m 5 -r 2 -s 1000 \
	127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/caller.msg" -trace_err -error_file "$W/caller.err" \
	-nostdin -timeout 30s -timeout_error > "$W/caller.out" 2>&1 || { die "trunk calls failed during the flood (see $W/caller.err)"; exit 1; }
wait "$FLOOD"
$CTL bans > "$W/bans.out" 2>&1
cat "$W/bans.out"
grep -q '^127\.0\.0\.9 [0-9]*s refused [0-9]*$' "$W/bans.out" || { die "127.0.0.9 not banned: $(cat "$W/bans.out")"; exit 1; }
$CTL stats > "$W/stats.out"
grep -E '^(sip_invites|sip_strangers|sip_rate_limited|sip_banned|bans_active|bans_total)' "$W/stats.out"
grep -qx 'bans_total 1' "$W/stats.out" || { die "bans: $(grep bans "$W/stats.out")"; exit 1; }
# Most of the flood never reached Sofia: the kernel dropped it.
inv=$(sed -n 's/^sip_invites //p' "$W/stats.out")
[ "$inv" -lt 600 ] || { die "$inv of 900 flood INVITEs reached the b2bua: the filter did not drop them"; exit 1; }
out=$($PROBE 127.0.0.9 127.0.0.1:$SIP_PORT OPTIONS --wait 1 | head -1)
[ "$out" = "OPTIONS timeout" ] || { die "a banned source was answered: $out"; exit 1; }
$CTL unban 127.0.0.9 > "$W/unban.out" 2>&1 || { die "unban: $(cat "$W/unban.out")"; exit 1; }
out=$($PROBE 127.0.0.9 127.0.0.1:$SIP_PORT OPTIONS --wait 1 | head -1)
[ "$out" = "OPTIONS 403 Forbidden" ] || { die "after unban: $out"; exit 1; }
$CTL bans > "$W/bans2.out"
[ ! -s "$W/bans2.out" ] || { die "bans left: $(cat "$W/bans2.out")"; exit 1; }
wait_party carrier1 || exit 1
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
grep -q 'guard: 127.0.0.9 banned for 600 s' "$W/b2bua.log" || die "the ban is not logged"
exit 0
