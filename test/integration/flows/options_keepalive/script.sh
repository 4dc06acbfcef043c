# OPTIONS keepalive (trunks.options_ping_s = 1 for carrier1, [trunks]
# down_after = 2, up_after = 2):
# 1. carrier1 answers OPTIONS 200: `b2bua-ctl trunks` shows it up with
#    the 200 and its time; carrier2 (no pings) stays unprobed.
# 2. carrier1's SIPp is stopped: ICMP port unreachable (nua's own 503,
#    no packet from the trunk) twice, and it is down, last "unreachable".
#    A silent SIPp then takes its address: the probes time out, it stays down.
# 3. A call to 1000 (carrier1 first, then carrier2) goes to carrier2 at
#    once: carrier1 gets no INVITE, and the answer comes well within
#    trunk_timeout (8 s), by the caller's clock and by the CDR's.
# 4. carrier1 answers OPTIONS again: up after two answers.
# 5. A reload that stops carrier1's pings and starts carrier2's: carrier1
#    is unprobed and gets no new OPTIONS (nta still retransmits a probe
#    given up earlier until its transaction ends: no new Call-ID),
#    carrier2 (nobody listens there now) is probed at once and goes down.
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
cat >> "$W/b2bua.conf" <<EOC
[trunks]
down_after = 2
up_after = 2
EOC

# wait_reach TRUNK STATE SECONDS: until `b2bua-ctl trunks` shows TRUNK in
# STATE; its line is kept in $W/reach_STATE.txt.
wait_reach() {
	for _ in $(seq 1 $(($3 * 10))); do
		$CTL trunks > "$W/trunks.out" 2>&1 || { die "b2bua-ctl trunks failed: $(cat "$W/trunks.out")"; return 1; }
		if grep -q "^$1 .* reach $2 " "$W/trunks.out"; then
			grep "^$1 " "$W/trunks.out" > "$W/reach_$2.txt"
			return 0
		fi
		sleep 0.1
	done
	die "trunk $1 not $2 after $3 s: $(grep "^$1 " "$W/trunks.out")"
}

# stop_party NAME: TERM to its SIPp, and its address is free again.
stop_party() {
	eval "p=\$${1}_PID"
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	for _ in $(seq 1 50); do
		listening udp 5080 127.0.0.3 || return 0
		sleep 0.1
	done
	die "$1 still listens after TERM"
}

TIME_RE='20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
start_relay || exit 1
carrier carrier1a 127.0.0.3 "$FLOW/carrier_options.xml" 1000 || exit 1
start_b2bua || exit 1

# 1. up
wait_reach carrier1 up 5 || exit 1
grep -qE "^carrier1 127\.0\.0\.3:5080 udp channels 0/- cps 0\.0/- enabled reach up options 200 $TIME_RE reg off expires - retry - last_error -\$" "$W/reach_up.txt" ||
	{ die "carrier1's line when up: $(cat "$W/reach_up.txt")"; exit 1; }
grep -qE '^carrier2 .* reach unprobed options - - reg off ' "$W/trunks.out" ||
	{ die "carrier2 (no pings) is not unprobed: $(grep '^carrier2 ' "$W/trunks.out")"; exit 1; }

# 2. down: unreachable, then silent
stop_party carrier1a || exit 1
wait_reach carrier1 down 5 || exit 1
grep -qE "reach down options unreachable $TIME_RE reg off " "$W/reach_down.txt" ||
	{ die "carrier1's line when down: $(cat "$W/reach_down.txt")"; exit 1; }
cp "$W/trunks.out" "$W/trunks_down.out"
grep -qE '^carrier2 .* reach unprobed ' "$W/trunks_down.out" ||
	{ die "carrier1 down changed carrier2: $(grep '^carrier2 ' "$W/trunks_down.out")"; exit 1; }
carrier carrier1b 127.0.0.3 "$FLOW/carrier_silent.xml" 1000 || exit 1
sleep 2.5   # two probes time out meanwhile: it stays down
wait_reach carrier1 down 1 || exit 1
grep -qE "reach down options timeout $TIME_RE reg off " "$W/reach_down.txt" ||
	{ die "carrier1 silent is not down by timeout: $(cat "$W/reach_down.txt")"; exit 1; }

# 3. the call skips carrier1 at once
carrier carrier2 127.0.0.4 "$ROOT/test/integration/scenarios/uas_answer.xml" 1 || exit 1
t0=$(date +%s%N)
caller "$ROOT/test/integration/scenarios/uac_bye.xml" 1 1 || { die "caller's SIPp failed (see $W/caller.err)"; exit 1; }
ms=$((($(date +%s%N) - t0) / 1000000))
wait_party carrier2 || exit 1
# uac_bye holds the call 1 s; waiting for carrier1 would take 8 s more.
[ "$ms" -lt 4000 ] || { die "the call took $ms ms: carrier1 was waited for"; exit 1; }
setup_ms=$(sqlite3 "$DB" "SELECT CAST((julianday(answer_time) - julianday(start_time)) * 86400000 AS INTEGER) FROM cdrs")
[ -n "$setup_ms" ] && [ "$setup_ms" -lt 2000 ] || { die "call setup in the CDR took '$setup_ms' ms"; exit 1; }
grep -q 'trunk carrier1 is down (OPTIONS), skipped' "$W/b2bua.log" || { die "no skip of carrier1 logged"; exit 1; }

# 4. up again
stop_party carrier1b || exit 1
carrier carrier1c 127.0.0.3 "$FLOW/carrier_options.xml" 1000 || exit 1
wait_reach carrier1 up 6 || exit 1
grep -qE "reach up options 200 $TIME_RE reg off " "$W/reach_up.txt" ||
	{ die "carrier1's line when up again: $(cat "$W/reach_up.txt")"; exit 1; }
grep -q 'trunk carrier1 up again: 2 OPTIONS answered in a row' "$W/b2bua.log" ||
	{ die "carrier1 came back without two answers: $(grep 'trunk carrier1' "$W/b2bua.log" | tail -3)"; exit 1; }

# 5. reload
sqlite3 "$DB" "UPDATE trunks SET options_ping_s = 0 WHERE id = 2; UPDATE trunks SET options_ping_s = 1 WHERE id = 3"
$CTL reload > "$W/reload.out" 2>&1 || { die "reload refused: $(cat "$W/reload.out")"; exit 1; }
wait_reach carrier2 down 5 || exit 1
grep -qE '^carrier1 .* reach unprobed options - - reg off ' "$W/trunks.out" ||
	{ die "carrier1 still probed after the reload: $(grep '^carrier1 ' "$W/trunks.out")"; exit 1; }
# call_ids FILE...: the Call-IDs of the OPTIONS a party received.
call_ids() { awk '/message received/{r=1} /message sent/{r=0} r && /^Call-ID:/{print $2}' "$@" | tr -d '\r' | sort -u; }
call_ids "$W/carrier1b.msg" "$W/carrier1c.msg" > "$W/cids_before"
n1=$(grep -c "trunk carrier1: OPTIONS sip:" "$W/b2bua.log")
sleep 2.5
n2=$(grep -c "trunk carrier1: OPTIONS sip:" "$W/b2bua.log")
[ "$n1" = "$n2" ] || { die "$((n2 - n1)) OPTIONS sent to carrier1 after its pings were stopped"; exit 1; }
new=$(call_ids "$W/carrier1c.msg" | comm -13 "$W/cids_before" -)
[ -z "$new" ] || { die "carrier1 got new OPTIONS after its pings were stopped: $new"; exit 1; }

stop_b2bua || exit 1
stop_party carrier1c || exit 1
expect_msgs "$FLOW/expect_caller.txt" "$W/caller.msg" || exit 1
for c in carrier1a carrier1b carrier1c carrier2; do
	expect_msgs "$FLOW/expect_$c.txt" "$W/$c.msg" || exit 1
done
expect_cdr "$FLOW" || exit 1
exit 0
