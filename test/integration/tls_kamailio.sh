#!/bin/bash
# tls_kamailio.sh - TLS on both legs against a real TLS peer: Debian's
# Kamailio with its tls module (kamailio-tls-modules), configured by
# tls/kamailio-tls.cfg, with throwaway certificates (tls/mkcerts.sh).
#
#   SIPp caller 127.0.0.52 -UDP-> Kamailio 127.0.0.51 -TLS-> b2bua 127.0.0.50 (tls:29061)
#   b2bua -TLS-> Kamailio 127.0.0.54:5061 -UDP-> SIPp carrier 127.0.0.53:5080
#
# Both trunks (pbx = 127.0.0.51, carrier = 127.0.0.54) have transport tls
# and srtp mandatory. Checks, each a PASS/FAIL line:
#  1. a call over TLS on both legs with SRTP: audio both ways (srtp_peer
#     at each end authenticates what the relay protected), the carrier
#     gets a=crypto, our Via is SIP/2.0/TLS and our Contact a sips: URI,
#     the Request-URI sip:...;transport=tls, the CDR row;
#  2. nothing of the b2bua reached Kamailio other than over TLS (its log
#     lists every message with its transport);
#  3. trunk badcert (127.0.0.55, whose certificate names 127.0.0.59,
#     tls_verify = 1): no INVITE reached Kamailio, our log has Sofia's
#     "Peer Subject Mismatch (127.0.0.55)"; Sofia tells nta nothing, but
#     the b2bua reads it there (tls_watch.c): the attempt fails at once,
#     well before trunk_timeout (4 s), CDR failed/503/b2bua "TLS: trunk
#     certificate does not name 127.0.0.55", attempt cause tls;
#     trunk untrusted (127.0.0.57, a certificate of another CA): the
#     same, "TLS: trunk certificate did not verify (...)";
#  4. trunk badcert_noverify (same peer, tls_verify = 0): answered;
#  5. trunk nolisten (127.0.0.56:5061 has a UDP socket but no TLS):
#     the attempt fails at once (503, CDR reason "TLS connection to
#     trunk failed", hangup_by b2bua) and the UDP socket got nothing:
#     no fall-back to UDP;
#  6. the pbx trunk (transport tls) calling in over UDP is refused 403;
#  7. a sips: Request-URI that came over UDP (trunk udppbx) is refused
#     416 (RFC 3261 26.2.2), before any call exists.
# Addresses 127.0.0.50-59 and ports 29000-29299 are this script's own.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
T=test/integration/tls
W=$(mktemp -d /tmp/tls-kamailio.XXXXXX)
. test/integration/lib/standalone.sh   # PIDS, rc, cleanup on exit, pass, fail
wait_listen() {   # udp|tcp ADDR PORT
	local f=-lnuH; [ "$1" = tcp ] && f=-lntH
	for _ in $(seq 1 50); do ss $f | awk '{print $4}' | grep -qx "$2:$3" && return 0; sleep 0.1; done
	return 1
}
recv_only() { awk '/^----/{k=0} /message received/{k=1} k' "$1"; }

for bin in "$BUILD/b2bua" "$BUILD/media-relay" "$BUILD/srtp_peer" /usr/sbin/kamailio \
	/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so /usr/bin/openssl; do
	[ -e "$bin" ] || { fail setup "$bin missing (make all build/srtp_peer; apt-get install kamailio-tls-modules openssl)"; exit 1; }
done

B=127.0.0.50 SIP_PORT=29000 TLS_PORT=29061 NG_PORT=29002
"$T/mkcerts.sh" "$W/certs" b2bua=$B kam51=127.0.0.51 kam54=127.0.0.54 wrong=127.0.0.59 &&
	"$T/mkcerts.sh" "$W/certs/other" untrusted=127.0.0.57 || { fail setup "mkcerts.sh failed"; exit 1; }

cat > "$W/policy.sql" <<'SQL'
INSERT INTO trunks (id, name, host, port, transport, srtp, tls_verify, enabled) VALUES
  (1, 'pbx', '127.0.0.51', 5061, 'tls', 'mandatory', 1, 1),
  (2, 'carrier', '127.0.0.54', 5061, 'tls', 'mandatory', 1, 1),
  (3, 'badcert', '127.0.0.55', 5061, 'tls', 'mandatory', 1, 1),
  (4, 'badcert_noverify', '127.0.0.55', 5061, 'tls', 'mandatory', 0, 1),
  (5, 'nolisten', '127.0.0.56', 5061, 'tls', 'mandatory', 1, 1),
  (6, 'untrusted', '127.0.0.57', 5061, 'tls', 'mandatory', 1, 1),
  (7, 'udppbx', '127.0.0.58', 5070, 'udp', 'off', 1, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.51/32'), (2, '127.0.0.54/32'), (7, '127.0.0.58/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES
  (1, '1', 2, 1, 100, 1), (1, '3', 3, 1, 100, 1), (1, '4', 4, 1, 100, 1), (1, '5', 5, 1, 100, 1), (1, '6', 6, 1, 100, 1);
SQL
scripts/mkdb.sh "$W/b2bua.db" "$W/policy.sql" || { fail setup "mkdb failed"; exit 1; }
cat > "$W/relay.conf" <<CONF
[relay]
ng = $B:$NG_PORT
interface = $B
ports = 29100-29299
media_timeout = 30
[log]
level = debug
CONF
cat > "$W/b2bua.conf" <<CONF
[sip]
listen = udp:$B:$SIP_PORT, tls:$B:$TLS_PORT
[tls]
cert = $W/certs/b2bua.crt
key = $W/certs/b2bua.key
ca = $W/certs/ca.pem
[db]
path = $W/b2bua.db
[relay]
ng = $B:$NG_PORT
[control]
socket = $W/b2bua.sock
[log]
level = debug
[cdr]
node = test
[call]
trunk_timeout = 4
grace = 1
CONF
sed -e "s#__DIR__#$W/certs#g" "$T/kamailio-tls-profiles.cfg" > "$W/certs/kamailio-tls-profiles.cfg"
sed -e "s#__DIR__#$W/certs#g" -e "s#__B2BUA__#$B:$TLS_PORT#" "$T/kamailio-tls.cfg" > "$W/kamailio.cfg"

"$BUILD/media-relay" -c "$W/relay.conf" -f > "$W/relay.log" 2>&1 &
PIDS="$PIDS $!"
wait_listen udp $B $NG_PORT || { fail relay_starts "see $W/relay.log"; exit 1; }
# Under AddressSanitizer: full stacks, and Sofia's own TLS leaks (never
# ours) suppressed by name: test/lsan-sofia-tls.supp says which and why.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$ROOT/test/lsan-sofia-tls.supp \
	"$BUILD/b2bua" -c "$W/b2bua.conf" -f > "$W/b2bua.log" 2>&1 &
B2BUA_PID=$!
PIDS="$PIDS $B2BUA_PID"
wait_listen tcp $B $TLS_PORT || { fail b2bua_starts "see $W/b2bua.log"; exit 1; }
kamailio -c -f "$W/kamailio.cfg" > "$W/kamailio-check.log" 2>&1 || { fail kamailio_config "$(tail -3 "$W/kamailio-check.log")"; exit 1; }
kamailio -f "$W/kamailio.cfg" -DD -E -w "$W" -P "$W/kamailio.pid" -m 64 -M 8 > "$W/kamailio.log" 2>&1 &
PIDS="$PIDS $!"
wait_listen tcp 127.0.0.54 5061 && wait_listen udp 127.0.0.51 5060 || { fail kamailio_starts "see $W/kamailio.log"; exit 1; }
# Something on UDP 127.0.0.56:5061, where trunk nolisten's TLS would go.
python3 "$T/udp_count.py" 127.0.0.56:5061 "$W/udp56.count" > "$W/udp56.log" 2>&1 &
UDP_PID=$!
PIDS="$PIDS $UDP_PID"
wait_listen udp 127.0.0.56 5061 || { fail udp_sink_starts "see $W/udp56.log"; exit 1; }
pass peers_start

# carrier NAME SCENARIO: SIPp UAS at 127.0.0.53:5080 behind Kamailio.
carrier() {
	sipp -sf "$2" -i 127.0.0.53 -p 5080 -m 1 -key workdir "$W" -trace_msg -message_file "$W/$1.msg" \
		-trace_err -error_file "$W/$1.err" -nostdin -timeout 30s -timeout_error > "$W/$1.out" 2>&1 &
	CARRIER_PID=$!
	PIDS="$PIDS $CARRIER_PID"
	wait_listen udp 127.0.0.53 5080
}
# caller NAME SCENARIO DIAL [IP PORT TARGET]: SIPp UAC (through Kamailio by default).
caller() {
	sipp -sf "$2" -i "${4:-127.0.0.52}" -p "${5:-5060}" -m 1 -s "$3" "${6:-127.0.0.51:5060}" -key workdir "$W" \
		-trace_msg -message_file "$W/$1.msg" -trace_err -error_file "$W/$1.err" \
		-nostdin -timeout 30s -timeout_error > "$W/$1.out" 2>&1 &
	CALLER_PID=$!
	PIDS="$PIDS $CALLER_PID"
}
fail_xml() { sed "s/__CODE__/$1/g" "$T/caller_fail.xml" > "$W/caller_$1.xml"; echo "$W/caller_$1.xml"; }

# ---- 1. a call over TLS on both legs, SRTP both sides ----
AKEY=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e
carrier carrier1 "$T/carrier_srtp.xml" || { fail call_setup "carrier did not start: $(tail -3 "$W/carrier1.out")"; exit 1; }
caller caller1 "$T/caller_srtp.xml" 1000
for _ in $(seq 1 50); do
	[ -s "$W/carrier_media.txt" ] && [ -s "$W/caller_media.txt" ] && break
	sleep 0.1
done
if [ -s "$W/carrier_media.txt" ] && [ -s "$W/caller_media.txt" ]; then
	read -r BPORT BKEY < "$W/carrier_media.txt"
	read -r APORT RKEY < "$W/caller_media.txt"
	"$BUILD/srtp_peer" --local 127.0.0.52:16821 --remote $B:$APORT --send-key "$AKEY" --recv-key "$RKEY" \
		--send 100 --expect 90 --timeout 4 > "$W/srtp_a.out" 2>&1 &
	SA=$!
	PIDS="$PIDS $SA"
	"$BUILD/srtp_peer" --local 127.0.0.53:16920 --remote $B:$BPORT --send-key "$AKEY" --recv-key "$BKEY" \
		--send 100 --expect 90 --timeout 4 > "$W/srtp_b.out" 2>&1
	sb=$?
	wait $SA
	sa=$?
	echo "caller side: $(cat "$W/srtp_a.out")"
	echo "carrier side: $(cat "$W/srtp_b.out")"
	if [ $sa = 0 ] && [ $sb = 0 ] && grep -q 'auth_fail=0' "$W/srtp_a.out" && grep -q 'auth_fail=0' "$W/srtp_b.out"; then
		pass srtp_audio_both_ways_over_tls_signalling
	else
		fail srtp_audio_both_ways_over_tls_signalling "see $W/srtp_a.out, $W/srtp_b.out"
	fi
else
	fail srtp_audio_both_ways_over_tls_signalling "no SRTP offer/answer reached the parties (see $W/caller1.msg, $W/carrier1.msg, $W/b2bua.log)"
fi
wait $CALLER_PID; crc=$?
wait $CARRIER_PID; erc=$?
if [ $crc = 0 ] && [ $erc = 0 ]; then pass tls_call_completes; else fail tls_call_completes "caller $crc, carrier $erc"; fi
recv_only "$W/carrier1.msg" > "$W/carrier1.received"
# Kamailio adds its own Via on top; ours is the next one.
if grep -q '^a=crypto:[0-9]* AES_CM_128_HMAC_SHA1_80 inline:' "$W/carrier1.received" &&
	grep -qE '^INVITE sip:1000@127\.0\.0\.54:5061;transport=tls SIP/2\.0' "$W/carrier1.received" &&
	grep -qE "^Via: SIP/2\.0/TLS $B:$TLS_PORT" "$W/carrier1.received" &&
	grep -qE "^Contact: <sips:$B:$TLS_PORT>" "$W/carrier1.received"; then
	pass carrier_got_tls_via_contact_ruri_and_crypto
else
	fail carrier_got_tls_via_contact_ruri_and_crypto "$(grep -E '^(INVITE|Via|Contact|a=crypto)' "$W/carrier1.received" | tr '\r\n' '  ')"
fi

# ---- 3. host name mismatch, untrusted CA: refused where the trunk verifies ----
# Sofia drops the connection and tells nta nothing; its transport log
# (read by tls_watch.c) names why, and the attempt fails at once (our
# 503 reaches the caller as 500 through Kamailio) instead of waiting
# for trunk_timeout (4 s here).
for spec in "3000 127.0.0.55 does not name 127\.0\.0\.55" "6000 127.0.0.57 did not verify \(.+\)"; do
	read -r num host why <<< "$spec"
	t0=$(date +%s%N)
	caller caller$num "$(fail_xml 500)" $num
	wait $CALLER_PID; crc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ $crc = 0 ] && [ $ms -lt 3000 ] && grep -qE "warn  call .*TLS: trunk certificate $why" "$W/b2bua.log" &&
		! grep -q "RCV tls 127.0.0.50:[0-9]* -> $host:5061 INVITE" "$W/kamailio.log"; then
		pass "tls_cert_failure_ends_attempt_at_once_$host"
	else
		fail "tls_cert_failure_ends_attempt_at_once_$host" "caller $crc after $ms ms (see $W/caller$num.msg), $(grep -c "$host:5061 INVITE" "$W/kamailio.log") INVITEs at $host, $(grep -E 'sip transport|TLS' "$W/b2bua.log" | tail -3 | tr '\n' ' ')"
	fi
done

# ---- 4. the same peer with tls_verify = 0: taken ----
carrier carrier4 "$T/carrier_srtp.xml" || { fail noverify_call "carrier did not start"; exit 1; }
rm -f "$W/caller_media.txt"
caller caller4 "$T/caller_srtp.xml" 4000
wait $CALLER_PID; crc=$?
wait $CARRIER_PID; erc=$?
if [ $crc = 0 ] && [ $erc = 0 ] && grep -q 'RCV tls 127.0.0.50:[0-9]* -> 127.0.0.55:5061 INVITE' "$W/kamailio.log"; then
	pass noverify_trunk_answered
else
	fail noverify_trunk_answered "caller $crc, carrier $erc"
fi

# ---- 5. no TLS listener: the attempt fails, nothing goes by UDP ----
# (our 503 reaches the caller as 500: RFC 3261 16.7 item 6, Kamailio)
caller caller5 "$(fail_xml 500)" 5000
wait $CALLER_PID; crc=$?
sleep 1
kill -TERM $UDP_PID 2>/dev/null; wait $UDP_PID 2>/dev/null
n56=$(cat "$W/udp56.count" 2>/dev/null || echo missing)
if [ $crc = 0 ] && [ "$n56" = 0 ] && grep -q 'TLS connection to the trunk failed' "$W/b2bua.log"; then
	pass tls_trunk_never_falls_back_to_udp
else
	fail tls_trunk_never_falls_back_to_udp "caller $crc, UDP datagrams at 127.0.0.56:5061: $n56"
fi

# ---- 6. the tls trunk pbx calling in over UDP: 403 ----
caller caller6 "$(fail_xml 403)" 1000 127.0.0.51 5070 $B:$SIP_PORT
wait $CALLER_PID; crc=$?
if [ $crc = 0 ] && grep -q 'refused a request of trunk pbx: its transport is tls' "$W/b2bua.log"; then
	pass tls_trunk_refused_over_udp
else
	fail tls_trunk_refused_over_udp "caller $crc (see $W/caller6.msg)"
fi

# ---- 7. a sips: Request-URI without TLS: 416 ----
sed 's/^\( *\)\(INVITE\|ACK\) sip:/\1\2 sips:/' "$(fail_xml 416)" > "$W/caller_sips.xml"
caller caller7 "$W/caller_sips.xml" 1000 127.0.0.58 5070 $B:$SIP_PORT
wait $CALLER_PID; crc=$?
if [ $crc = 0 ] && grep -q '^INVITE sips:' "$W/caller7.msg" && grep -q 'a sips: Request-URI that came without TLS' "$W/b2bua.log"; then
	pass sips_without_tls_refused_416
else
	fail sips_without_tls_refused_416 "caller $crc (see $W/caller7.msg)"
fi

# ---- 2. Kamailio got nothing from the b2bua but over TLS ----
kill -TERM "$B2BUA_PID"
wait "$B2BUA_PID"; brc=$?
n_tls=$(grep -c "RCV tls $B:" "$W/kamailio.log")
n_other=$(grep "RCV [a-z]* $B:" "$W/kamailio.log" | grep -vc "RCV tls $B:")
if [ "$n_tls" -gt 0 ] && [ "$n_other" = 0 ]; then
	pass kamailio_got_b2bua_over_tls_only
else
	fail kamailio_got_b2bua_over_tls_only "$n_tls over TLS, $n_other otherwise"
fi
[ $brc = 0 ] || fail b2bua_exit "b2bua exited $brc on SIGTERM"

# CDRs: one row per call attempt.
sqlite3 -separator '|' "$W/b2bua.db" \
	"SELECT from_trunk, to_trunk, disposition, sip_code, hangup_by, reason FROM cdrs ORDER BY id" > "$W/cdr.out"
cat > "$W/cdr.expect" <<'EXP'
pbx\|carrier\|answered\|200\|caller\|.*
pbx\|badcert\|failed\|503\|b2bua\|TLS: trunk certificate does not name 127\.0\.0\.55
pbx\|untrusted\|failed\|503\|b2bua\|TLS: trunk certificate did not verify \(.+\)
pbx\|badcert_noverify\|answered\|200\|caller\|.*
pbx\|nolisten\|failed\|503\|b2bua\|TLS connection to trunk failed
EXP
if [ "$(wc -l < "$W/cdr.out")" = 5 ] && paste -d'\n' "$W/cdr.expect" "$W/cdr.out" |
	awk 'NR % 2 == 1 {re = $0; next} { if ($0 !~ "^" re "$") bad = 1 } END { exit bad }'; then
	pass cdr_rows
else
	fail cdr_rows "$(tr '\n' ';' < "$W/cdr.out")"
fi
# The attempts name the cause: tls, for both certificates.
n=$(sqlite3 "$W/b2bua.db" "SELECT count(*) FROM cdr_attempts a JOIN cdrs c ON c.id = a.cdr_id
	WHERE c.to_trunk IN ('badcert', 'untrusted') AND a.cause = 'tls' AND a.sip_code = 503")
if [ "$n" = 2 ]; then pass cdr_attempts_cause_tls; else fail cdr_attempts_cause_tls "$n of 2 attempts with cause tls"; fi
[ "$rc" = 0 ] || { echo "--- b2bua log (warnings)"; grep -E 'warn|error' "$W/b2bua.log" | tail -8; }
exit $rc
