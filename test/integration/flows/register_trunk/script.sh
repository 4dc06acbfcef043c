# Outbound registration to a carrier with digest auth, and a call from it.
#  1. The b2bua (127.0.0.40) REGISTERs to regcar's registrar (SIPp,
#     127.0.0.41:5060): 401 for realm reg.example, the credentials, 200
#     granting 4 s; `b2bua-ctl trunks` says registered.
#  2. nua refreshes before the 4 s are over (with the credentials), and
#     again: after 7 s the trunk is still registered, never failed.
#  3. The carrier calls our registered Contact (sip:acct1@127.0.0.40) from
#     the registrar's address (another port): regcar has no trunk_sources
#     row, the registration names it; the call reaches the PBX (127.0.0.42).
#  4. SIGTERM: the un-REGISTER reaches the registrar before the b2bua ends.
# regnocred (register = 1 without a password) is warned about at load and
# shown off with why.
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
REG_IP=127.0.0.41 PBX_IP=127.0.0.42 US=127.0.0.40

sed -i "s/^listen = .*/listen = udp:$US:$SIP_PORT/" "$W/b2bua.conf"
# RTP ports of our own (the standard range follows the port base's last digits).
sed -i "s/^ports = .*/ports = $((BASE + 100))-$((BASE + 299))/" "$W/media-relay.conf"

# registrar: SIPp UAS on 127.0.0.41:5060 (free before).
listening udp 5060 $REG_IP && { die "$REG_IP:5060 is already taken"; exit 1; }
"$SIPP" -sf "$FLOW/registrar.xml" -i $REG_IP -p 5060 -m 1 -trace_msg -message_file "$W/registrar.msg" \
	-trace_err -error_file "$W/registrar.err" -nostdin -timeout 50s -timeout_error \
	>"$W/registrar.out" 2>&1 &
registrar_PID=$!
PIDS="$PIDS $!"
wait_port udp 5060 $REG_IP || { die "registrar did not listen (see $W/registrar.out)"; exit 1; }
carrier pbx $PBX_IP "$ROOT/test/integration/scenarios/uas_answer.xml" 1 || exit 1
start_relay || exit 1
start_b2bua || exit 1

# trunk_line NAME: that trunk's line of `b2bua-ctl trunks`.
trunk_line() {
	$CTL trunks | grep "^$1 "
}

# 1. registered (within 5 s), with its expiry in the line
for _ in $(seq 1 50); do
	trunk_line regcar | grep -q " reg registered " && break
	sleep 0.1
done
trunk_line regcar | grep -qE "^regcar 127\.0\.0\.41:5060 udp channels 0/- cps 0\.0/- enabled reach unprobed options - - reg registered expires 20[0-9-]+T[0-9:]+Z retry - last_error -$" ||
	{ die "trunks: regcar's line is '$(trunk_line regcar)'"; exit 1; }
$CTL trunks > "$W/trunks-registered.txt"
trunk_line regpbx | grep -qE " enabled reach unprobed options - - reg off expires - retry - last_error -$" ||
	{ die "trunks: regpbx's line is '$(trunk_line regpbx)'"; exit 1; }
trunk_line regnocred | grep -qE " reg off expires - retry - last_error no username/password$" ||
	{ die "trunks: regnocred's line is '$(trunk_line regnocred)'"; exit 1; }
grep -q "warn  trunk regnocred: register = 1 cannot work: no username/password" "$W/b2bua.log" ||
	{ die "no warning at load for regnocred"; exit 1; }

# 2. refreshed before each expiry: still registered 7 s later (a missed
# refresh fails at the 4 s deadline), and the log's times say so.
sleep 7
trunk_line regcar | grep -q " reg registered " || { die "trunks after 7 s: '$(trunk_line regcar)'"; exit 1; }
grep -q "registration failed" "$W/b2bua.log" && { die "a registration failed: $(grep 'registration failed' "$W/b2bua.log" | head -1)"; exit 1; }
ms() { awk '{ split($1, t, ":"); print int((t[1] * 3600 + t[2] * 60 + t[3]) * 1000) }'; }
grep -E "trunk regcar: (registered|registration refreshed) for 4 s" "$W/b2bua.log" | ms > "$W/reg-times.txt"
n=$(wc -l < "$W/reg-times.txt")
[ "$n" -ge 3 ] || { die "$n registrations of 4 s in 7 s (expected the first and at least 2 refreshes)"; exit 1; }
awk 'NR > 1 && ($1 - prev) >= 4000 { bad = 1 } { prev = $1 } END { exit bad }' "$W/reg-times.txt" ||
	{ die "a refresh came after the 4 s had run out: $(tr '\n' ' ' < "$W/reg-times.txt")"; exit 1; }
grep -q "trunk regcar: 401 for realm 'reg.example': answering" "$W/b2bua.log" || { die "the challenge was not answered"; exit 1; }
[ "$(grep -c "trunk regcar: 401 for realm" "$W/b2bua.log")" = 1 ] || { die "more than one challenge answered: nua's refreshes should use its cache"; exit 1; }

# 3. the carrier calls our registered Contact from the registrar's address
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_bye.xml" -i $REG_IP -p 5062 -m 1 -s acct1 $US:$SIP_PORT \
	-mi $REG_IP -mp $((BASE + 400)) -trace_msg -message_file "$W/carrier.msg" -trace_err -error_file "$W/carrier.err" \
	-nostdin -timeout 30s -timeout_error >"$W/carrier.out" 2>&1 ||
	{ die "the carrier's call failed (see $W/carrier.err, $W/b2bua.log)"; exit 1; }
wait_party pbx || exit 1

# 4. stop: the un-REGISTER is answered before the b2bua ends
stop_b2bua || exit 1
wait_party registrar || exit 1
grep -q "trunk regcar: un-REGISTER answered 200" "$W/b2bua.log" || { die "no answered un-REGISTER in the log"; exit 1; }
expect_msgs "$FLOW/expect_registrar.txt" "$W/registrar.msg" || exit 1
expect_msgs "$FLOW/expect_carrier.txt" "$W/carrier.msg" || exit 1
expect_msgs "$FLOW/expect_pbx.txt" "$W/pbx.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
