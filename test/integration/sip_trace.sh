#!/bin/bash
# sip_trace.sh [BUILD] - one call's SIP messages for support (issue 12), on
# addresses of its own: b2bua 127.0.0.100:5360, caller 127.0.0.101
# (SIPp, ports 5060 and 5061), carrier 127.0.0.102:5080 (SIPp), HEP
# receiver 127.0.0.103:9060. Prints PASS/FAIL lines:
#  1. no [log] sip_trace, no [hep]: Sofia logs no message until
#     `b2bua-ctl trace 5000` attaches (trace_capturing 0, then 1); two
#     concurrent calls (5000 and 6000): the trace shows both legs of the
#     5000 call (INVITE recv and sent, 200s, ACKs, BYEs, with directions),
#     all tagged with its A-leg Call-ID, and nothing of the 6000 call;
#     capture is off again once the client is gone. A second client
#     tracing the number the rules made (+495000) gets the whole call too
#     (the A leg's first messages from the history); --count; at most 8
#     clients.
#  2. a client that never reads while 150 calls are traced: every call
#     is answered (the loop never waits for it), its losses are counted.
#  3. [log] sip_trace = on with [hep] address: the log has both legs'
#     messages, each line tagged with the A-leg Call-ID (grep gives the
#     whole call); the HEP receiver got valid HEP3 packets for both legs
#     (addresses, ports, time, type SIP, capture id, password, correlation
#     id = A-leg Call-ID).
#  4. Debian's Kamailio sipcapture (127.0.0.104:9060) as a real HEP
#     receiver: it decodes both legs' packets (skipped without it).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
W=$(mktemp -d /tmp/sip-trace.XXXXXX)
. test/integration/lib/standalone.sh   # PIDS, rc, cleanup on exit, pass, fail
SIPP=${SIPP:-sipp}
B=127.0.0.100 BPORT=5360 CALLER=127.0.0.101 CARRIER=127.0.0.102 HEP=127.0.0.103
SC=test/integration/scenarios
CTL="$BUILD/b2bua-ctl -s $W/ctl.sock"

scripts/mkdb.sh "$W/b2bua.db" || { fail setup mkdb; exit 1; }
sqlite3 "$W/b2bua.db" "
INSERT INTO trunks (id, name, host, port, transport, options_ping_s, enabled)
VALUES (1, 'trpbx', '$CALLER', 5060, 'udp', 0, 1), (2, 'trcarrier', '$CARRIER', 5080, 'udp', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '$CALLER/32'), (2, '$CARRIER/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES (1, '', 2, 1, 100, 1);
INSERT INTO number_rules (id, trunk_id, direction, field, match, replace, priority)
VALUES (1, 2, 'out', 'ruri', '^(\d+)\$', '+49\$1', 10);" || { fail setup policy; exit 1; }

# conf EXTRA...: the b2bua's config, with extra lines at the end.
conf() {
	cat > "$W/b2bua.conf" <<CONF
[sip]
listen = udp:$B:$BPORT
[db]
path = $W/b2bua.db
[relay]
ng =
[control]
socket = $W/ctl.sock
[call]
session_expires = 0
CONF
	printf '%s\n' "$@" >> "$W/b2bua.conf"
}

start_b2bua() {
	"$BUILD/b2bua" -c "$W/b2bua.conf" -f > "$W/$1.log" 2>&1 &
	BPID=$!
	PIDS="$PIDS $BPID"
	for _ in $(seq 1 50); do
		$CTL stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$1 b2bua_start" "$(tail -3 "$W/$1.log")"
	return 1
}

stop_b2bua() {
	kill -TERM "$BPID" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
	wait "$BPID" 2>/dev/null
}

stat() { $CTL stats | awk -v k="$1" '$1 == k {print $2}'; }

# wait_stat KEY VALUE: within 5 s.
wait_stat() {
	for _ in $(seq 1 50); do
		[ "$(stat "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# carrier NAME CALLS: the answering carrier (it waits for the BYE).
carrier() {
	"$SIPP" -sf $SC/uas_answer.xml -i $CARRIER -p 5080 -m "$2" -trace_msg -message_file "$W/$1.msg" \
		-nostdin -timeout 60s -timeout_error >"$W/$1.out" 2>&1 &
	CARRIER_PID=$!
	PIDS="$PIDS $CARRIER_PID"
	sleep 0.3
}

# call NAME NUMBER PORT [CALLS RATE]: caller's SIPp (answered, it hangs up).
call() {
	"$SIPP" -sf $SC/uac_bye.xml -i $CALLER -p "$3" -m "${4:-1}" -r "${5:-10}" -rp 1000 -s "$2" $B:$BPORT \
		-trace_msg -message_file "$W/$1.msg" -nostdin -timeout 60s -timeout_error >"$W/$1.out" 2>&1
}

# block FILE REGEX: the trace's messages (header line and indented lines,
# one record each) whose text matches REGEX.
blocks() {
	grep -v '^#' "$1" | awk -v RS= -v re="$2" '$0 ~ re {print; print ""}'
}

# call_id MSGFILE: the first Call-ID a SIPp party logged.
call_id() {
	tr -d '\r' < "$1" | grep -m1 -oE '^Call-ID: .*' | cut -d' ' -f2
}

# ---- 1: trace clients, capture on only while one is attached ----
conf "[log]" "level = info"
start_b2bua p1 || exit 1
[ "$(stat trace_capturing)" = 0 ] && pass "1 capture_off_without_client" ||
	fail "1 capture_off_without_client" "trace_capturing $(stat trace_capturing)"
$CTL trace 5000 > "$W/trace.out" 2> "$W/trace.err" &
TPID=$!
PIDS="$PIDS $TPID"
$CTL trace +495000 > "$W/trace_norm.out" 2> "$W/trace_norm.err" &
TPID2=$!
PIDS="$PIDS $TPID2"
wait_stat trace_clients 2 && wait_stat trace_capturing 1 && pass "1 client_turns_capture_on" ||
	fail "1 client_turns_capture_on" "$($CTL stats | grep trace_ | tr '\n' ' ')"
sleep 0.3   # nua_set_params takes effect on the next turn of the loop
carrier carrier1 2
call caller5000 5000 5060 & C1=$!
sleep 0.05
call caller6000 6000 5061 & C2=$!
wait $C1 && wait $C2 || fail "1 calls" "$(tail -3 "$W/caller5000.out" "$W/caller6000.out")"
wait "$CARRIER_PID" || fail "1 carrier" "$(tail -3 "$W/carrier1.out")"
sleep 0.5
kill -INT $TPID $TPID2
wait $TPID; trc=$?
wait $TPID2
[ "$trc" = 0 ] && pass "1 ctrl_c_exits_0" || fail "1 ctrl_c_exits_0" "exit $trc: $(cat "$W/trace.err")"
T=$W/trace.out
# The caller's Call-ID of the 5000 call is the A leg's.
ACID=$(blocks "$T" '   INVITE sip:5000@' | head -1 | sed -n 's/.* call \([^ ]*\) (.*/\1/p')
[ -n "$ACID" ] && [ "$ACID" = "$(call_id "$W/caller5000.msg")" ] && pass "1 a_leg_call_id" ||
	fail "1 a_leg_call_id" "'$ACID' not the caller's Call-ID: $(head -5 "$T")"
# check NAME REGEX-of-header REGEX-of-message
check() {
	if blocks "$T" "$3" | grep -qE "^[0-9TZ:.-]+ $2 call $ACID "; then pass "1 $1"; else fail "1 $1" "$(grep -c . "$T") lines in $T"; fi
}
check a_invite_recv "recv udp $CALLER:5060" '\n   INVITE sip:5000@'
check b_invite_sent "sent udp $CARRIER:5080" '\n   INVITE sip:[+]495000@'
check b_200_recv "recv udp $CARRIER:5080" '\n   SIP/2.0 200 OK.*CSeq: [0-9]+ INVITE'
check a_200_sent "sent udp $CALLER:5060" '\n   SIP/2.0 200 OK.*CSeq: [0-9]+ INVITE'
check a_ack_recv "recv udp $CALLER:5060" '\n   ACK '
check b_ack_sent "sent udp $CARRIER:5080" '\n   ACK '
check a_bye_recv "recv udp $CALLER:5060" '\n   BYE '
check b_bye_sent "sent udp $CARRIER:5080" '\n   BYE '
check b_bye_200_recv "recv udp $CARRIER:5080" '\n   SIP/2.0 200 OK.*CSeq: [0-9]+ BYE'
check a_bye_200_sent "sent udp $CALLER:5060" '\n   SIP/2.0 200 OK.*CSeq: [0-9]+ BYE'
# Every message of the trace is the 5000 call's; nothing of the 6000 call.
other=$(call_id "$W/caller6000.msg")
heads=$(grep -cE '^[0-9]{4}-' "$T")
[ "$heads" -ge 12 ] && [ "$(grep -E '^[0-9]{4}-' "$T" | grep -vc " call $ACID ")" = 0 ] &&
	! grep -qE "6000@|${other:-none}" "$T" && pass "1 unrelated_call_absent" ||
	fail "1 unrelated_call_absent" "$heads messages; other call $other; $(grep -E '^[0-9]{4}-' "$T" | grep -v " call $ACID " | head -3)"
# The client tracing the number the rules made: the same messages.
T2=$W/trace_norm.out
[ "$(grep -cE '^[0-9]{4}-' "$T2")" = "$heads" ] && blocks "$T2" '\n   INVITE sip:5000@' | grep -q "recv udp $CALLER" &&
	! grep -q "6000@" "$T2" && pass "1 normalised_number_whole_call" ||
	fail "1 normalised_number_whole_call" "$(grep -cE '^[0-9]{4}-' "$T2") of $heads messages"
wait_stat trace_clients 0 && wait_stat trace_capturing 0 && pass "1 capture_off_after_last_client" ||
	fail "1 capture_off_after_last_client" "$($CTL stats | grep trace_ | tr '\n' ' ')"
# --count: a script's bounded trace ends by itself.
$CTL trace 1001 --count 3 > "$W/count.out" 2>&1 & CPID=$!
wait_stat trace_capturing 1; sleep 0.3
carrier carrier2 1
call caller_count 7000 5060
wait "$CARRIER_PID"
for _ in $(seq 1 30); do kill -0 $CPID 2>/dev/null || break; sleep 0.1; done
if kill -0 $CPID 2>/dev/null; then kill $CPID; fail "1 count_stops" "still running"; else
	wait $CPID; crc=$?
	[ "$crc" = 0 ] && [ "$(grep -cE '^[0-9]{4}-' "$W/count.out")" = 3 ] && pass "1 count_stops" ||
		fail "1 count_stops" "exit $crc, $(grep -cE '^[0-9]{4}-' "$W/count.out") messages"
fi
# A bad filter and its error.
$CTL trace 'a b' > /dev/null 2>&1; [ $? = 2 ] && pass "1 bad_filter_refused" || fail "1 bad_filter_refused"

# At most 8 clients: the 9th is told why (exit 1); they all go with Ctrl-C.
many=""
for i in 1 2 3 4 5 6 7 8; do $CTL trace "x$i" > /dev/null 2>&1 & many="$many $!"; done
wait_stat trace_clients 8
$CTL trace x9 --timeout 3 > /dev/null 2> "$W/ninth.err"; nrc=$?
[ "$nrc" = 1 ] && grep -q "too many trace clients (8)" "$W/ninth.err" && pass "1 ninth_client_refused" ||
	fail "1 ninth_client_refused" "exit $nrc: $(cat "$W/ninth.err")"
kill -INT $many
wait $many
wait_stat trace_clients 0 && wait_stat trace_capturing 0 || fail "1 clients_gone" "$(stat trace_clients) clients"

# ---- 2: a client that never reads ----
python3 - "$W/ctl.sock" <<'EOP' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"trace 1001\n")
time.sleep(40)
EOP
SPID=$!
PIDS="$PIDS $SPID"
wait_stat trace_clients 1; sleep 0.3
carrier carrier3 150
start=$(date +%s)
call caller_many 5000 5060 150 50 || fail "2 slow_client_never_blocks" "caller: $(tail -3 "$W/caller_many.out")"
wait "$CARRIER_PID"
answered=$(grep -c '^SIP/2.0 200 OK' "$W/caller_many.msg")
drops=$(stat trace_client_drops)
[ "$answered" -ge 300 ] && [ "${drops:-0}" -gt 0 ] && [ $(($(date +%s) - start)) -lt 30 ] &&
	pass "2 slow_client_never_blocks" || fail "2 slow_client_never_blocks" "200s $answered, drops $drops"
kill $SPID 2>/dev/null
wait_stat trace_clients 0 && pass "2 slow_client_leaves" || fail "2 slow_client_leaves" "$(stat trace_clients) clients"
stop_b2bua

# ---- 3: [log] sip_trace and HEP ----
python3 $SC/hep_receiver.py $HEP 9060 "$W/hep.jsonl" 25 &
PIDS="$PIDS $!"
conf "[log]" "level = info" "sip_trace = on" "[hep]" "address = $HEP:9060" "capture_id = 4242" "password = s3cret"
start_b2bua p3 || exit 1
[ "$(stat trace_capturing)" = 1 ] && pass "3 capture_on_by_config" || fail "3 capture_on_by_config"
sleep 0.3
carrier carrier4 1
call caller_log 5000 5060 || fail "3 call" "$(tail -3 "$W/caller_log.out")"
wait "$CARRIER_PID"
sleep 0.5
L=$W/p3.log
ACID=$(call_id "$W/caller_log.msg")
BCID=$(call_id "$W/carrier4.msg")
lcheck() {
	if grep -F "call $ACID: sip " "$L" | grep -qE "$2"; then pass "3 $1"; else fail "3 $1" "$(grep -c "call $ACID: sip" "$L") lines"; fi
}
lcheck log_a_invite_recv "sip recv udp $CALLER:5060 "
lcheck log_b_invite_sent "sip sent udp $CARRIER:5080 "
lcheck log_b_invite_line "sip \| INVITE sip:\+495000@$CARRIER:5080 "
lcheck log_b_call_id "sip \| Call-ID: $BCID\$"
lcheck log_a_bye "sip \| BYE sip:"
# Every log line naming the B leg's Call-ID is tagged with the A leg's.
[ -n "$BCID" ] && [ "$(grep -F "$BCID" "$L" | grep -c "sip | Call-ID")" -ge 4 ] &&
	[ "$(grep -F "Call-ID: $BCID" "$L" | grep -vc "call $ACID: ")" = 0 ] && pass "3 log_b_leg_tagged_with_a" ||
	fail "3 log_b_leg_tagged_with_a" "$(grep -F "Call-ID: $BCID" "$L" | grep -v "call $ACID: " | head -2)"
stop_b2bua
python3 - "$W/hep.jsonl" "$ACID" "$BCID" "$B" "$BPORT" "$CALLER" "$CARRIER" <<'EOP' > "$W/hep.check" 2>&1
import json, sys, time
path, acid, bcid, b, bport, caller, carrier = sys.argv[1:8]
pk = [json.loads(l) for l in open(path)]
bad = [p for p in pk if not p["ok"]]
def find(start, cid):
    return [p for p in pk if p["ok"] and p["payload"].startswith(start) and ("Call-ID: " + cid + "\r\n") in p["payload"]]
res = []
def check(name, cond, why=""):
    res.append(("PASS " if cond else "FAIL ") + name + ("" if cond else " (" + why + ")"))
check("hep_all_valid", pk and not bad, f"{len(pk)} packets, bad {bad[:1]}")
ai = find("INVITE sip:5000@", acid)
bi = find("INVITE sip:+495000@", bcid)
check("hep_a_invite", len(ai) == 1 and ai[0]["src"] == caller and ai[0]["sport"] == 5060
      and ai[0]["dst"] == b and ai[0]["dport"] == int(bport), str(ai)[:300])
check("hep_b_invite", len(bi) == 1 and bi[0]["src"] == b and bi[0]["sport"] == int(bport)
      and bi[0]["dst"] == carrier and bi[0]["dport"] == 5080, str(bi)[:300])
both = ai + bi
check("hep_chunks", both and all(p["family"] == 2 and p["proto"] == 17 and p["type"] == 1
      and p["capture_id"] == 4242 and p["auth"] == "s3cret" and abs(p["sec"] - time.time()) < 120
      and 0 <= p["usec"] < 1000000 and p["chunks"][:2] == [1, 2] for p in both), str(both)[:300])
check("hep_correlation_a_leg", both and all(p.get("correlation") == acid for p in both), str([p.get("correlation") for p in both]))
check("hep_b_200_and_bye", find("SIP/2.0 200 OK", bcid) and find("BYE ", bcid), "")
print("\n".join(res))
EOP
while read -r line; do
	case $line in PASS*) pass "3 ${line#PASS }" ;; FAIL*) n=${line#FAIL }; fail "3 ${n%% *}" "${n#* }" ;; *) fail "3 hep_check" "$line" ;; esac
done < "$W/hep.check"
# ---- 4: Kamailio's sipcapture as the HEP receiver ----
# Debian's Kamailio (sipcapture module, nonsip_hook) decodes our packets
# itself and logs the chunks it read: both legs' INVITEs, our capture id
# and the A leg's Call-ID as correlation id.
if [ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/sipcapture.so ]; then
	KAM=127.0.0.104
	cat > "$W/kamailio.cfg" <<KCFG
#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:$KAM:9060
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "db_text.so"
loadmodule "sipcapture.so"
# Kamailio 5.6's sipcapture crashes at start without a database it can
# bind (its default is MySQL): an empty db_text directory, never written.
modparam("sipcapture", "db_url", "text://$W/kdb")
modparam("sipcapture", "hep_capture_on", 1)
modparam("sipcapture", "nonsip_hook", 1)
request_route { drop; }
event_route[sipcapture:request] {
	xlog("L_ERR", "HEP version=\$hep(version) src=\$hep(0x003):\$hep(0x007) dst=\$hep(0x004):\$hep(0x008) type=\$hep(0x00b) capt=\$hep(0x00c) corr=\$hep(0x011) first=\$(hep(0x00f){s.select,0, })\n");
	return 0;
}
KCFG
	mkdir -p "$W/kdb"
	kamailio -f "$W/kamailio.cfg" -DD -E -w "$W" -P "$W/kamailio.pid" -m 32 -M 8 > "$W/kamailio.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 50); do ss -lnuH | grep -q "$KAM:9060 " && break; sleep 0.1; done
	conf "[log]" "level = info" "[hep]" "address = $KAM:9060" "capture_id = 77"
	start_b2bua p4 || exit 1
	sleep 0.3
	carrier carrier5 1
	call caller_kam 5000 5060 || fail "4 call" "$(tail -3 "$W/caller_kam.out")"
	wait "$CARRIER_PID"
	sleep 0.5
	stop_b2bua
	ACID=$(call_id "$W/caller_kam.msg")
	K=$W/kamailio.log
	grep -F "version=3 src=$CALLER:5060 dst=$B:$BPORT type=1 capt=77 corr=$ACID first=INVITE" "$K" >/dev/null &&
		pass "4 kamailio_a_invite" || fail "4 kamailio_a_invite" "$(grep -m2 'HEP version' "$K")"
	grep -F "version=3 src=$B:$BPORT dst=$CARRIER:5080 type=1 capt=77 corr=$ACID first=INVITE" "$K" >/dev/null &&
		pass "4 kamailio_b_invite" || fail "4 kamailio_b_invite" "$(grep -m2 'HEP version' "$K")"
	[ "$(grep -c 'HEP version=3 ' "$K")" -ge 12 ] && ! grep -q 'HEP version=3 .*corr=<null>' "$K" &&
		pass "4 kamailio_every_packet" || fail "4 kamailio_every_packet" "$(grep -c 'HEP version=3 ' "$K") packets"
else
	echo "(no Kamailio sipcapture module: phase 4 skipped)"
fi
[ "$rc" = 0 ] && echo "sip_trace: all passed" || echo "sip_trace: some failed"
exit $rc
