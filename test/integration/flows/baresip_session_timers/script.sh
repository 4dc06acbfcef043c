# baresip calls baresip through the b2bua and the relay for CALL_SECS
# (210 s) with 90 s session timers on both legs (flow.conf says what is
# proven). The caller (bsa, 127.0.0.12:5060) is driven over ctrl_tcp
# (JSON in netstrings, 127.0.0.12:4444); the callee (bsb,
# 127.0.0.13:5080) answers by itself. Both trace their SIP (-s) into
# $W/caller.log and $W/callee.log; ctrl_tcp's messages are in
# $W/caller_ctrl.log, the checks' figures in this flow's log.
command -v baresip >/dev/null || { die "baresip is not installed (apt-get install baresip-core)"; exit 1; }
MIN_SECS=$((CALL_SECS - 10))
MIN_PKTS=$((MIN_SECS * 50 * 9 / 10))   # 20 ms packets, 10 % slack
# A session of SESSION_EXPIRES s lives CALL_SECS only if refreshed at
# least this often (nua refreshes at about half the interval: 4 in 210 s).
MIN_REFRESH=${MIN_REFRESH:-$((CALL_SECS / SESSION_EXPIRES))}
CTRL_PORT=4444

# The caller's account requires 100rel when this baresip has RFC 3262
# (account parameter 100rel={yes,no,required}, baresip 2.x on). 1.0.0
# (Debian 12) has none: no parameter, no PRACK, an empty Supported; it
# would not even PRACK a reliable 18x. REQUIRE_100REL=yes fails then.
REL100=no
for f in "$(command -v baresip)" /usr/lib/*/libbaresip.so* /usr/lib/*/libre.so*; do
	[ -f "$f" ] && grep -aq '100rel' "$f" && REL100=yes
done
BARESIP_VERSION=$(baresip -h 2>&1 | head -1 | cut -d' ' -f1-2)
if [ "$REL100" = no ]; then
	echo "NOTE: $BARESIP_VERSION has no 100rel (RFC 3262): the caller cannot require it, 100rel is not proven here"
	[ "${REQUIRE_100REL:-auto}" = yes ] && { die "REQUIRE_100REL=yes but $BARESIP_VERSION cannot require 100rel"; exit 1; }
	ACC_100REL=""
else
	echo "$BARESIP_VERSION knows 100rel: the caller's account requires it"
	ACC_100REL=";100rel=required"
fi

for a in "udp 5060 127.0.0.12" "udp 5080 127.0.0.13" "tcp $CTRL_PORT 127.0.0.12"; do
	# shellcheck disable=SC2086
	listening $a && { die "$a is taken before baresip started"; exit 1; }
done

# ---- helpers (python3)

# ctrl.py HOST PORT URI SECS LOG: dials URI, holds the call SECS seconds
# after CALL_ESTABLISHED, hangs up, waits for CALL_CLOSED. Every message
# ctrl_tcp sends goes to LOG, one JSON a line. Exits 0 only if all of
# that happened (a call closed early says after how long and why).
cat > "$W/ctrl.py" <<'PY'
import json, socket, sys, time
host, port, uri, hold, logname = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
log = open(logname, "a")
s = socket.create_connection((host, port), timeout=5)
buf = b""
t0 = time.time()

def send(cmd, params=None):
    o = {"command": cmd, "token": cmd}
    if params is not None:
        o["params"] = params
    d = json.dumps(o).encode()
    s.sendall(b"%d:%s," % (len(d), d))
    print("%.1f sent %s" % (time.time() - t0, d.decode()), flush=True)

def messages(secs):
    """Each netstring's JSON until secs from now."""
    global buf
    end = time.time() + secs
    while True:
        while True:
            i = buf.find(b":")
            if i < 0 or len(buf) < i + 2 + int(buf[:i]):
                break
            n = int(buf[:i])
            m = json.loads(buf[i + 1:i + 1 + n])
            buf = buf[i + 2 + n:]
            log.write(json.dumps(m) + "\n")
            log.flush()
            yield m
        left = end - time.time()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            return
        if not data:
            sys.exit("ctrl_tcp closed the connection")
        buf += data

def wait_for(types, secs):
    for m in messages(secs):
        if m.get("response") and not m.get("ok"):
            sys.exit("command refused: %s" % json.dumps(m))
        if m.get("type") in types:
            return m
    return None

send("dial", uri)
m = wait_for(("CALL_ESTABLISHED", "CALL_CLOSED"), 20)
if not m or m["type"] != "CALL_ESTABLISHED":
    sys.exit("no CALL_ESTABLISHED within 20 s: %s" % (json.dumps(m) if m else "nothing"))
t1 = time.time()
print("%.1f established" % (t1 - t0), flush=True)
m = wait_for(("CALL_CLOSED",), hold)
if m:
    sys.exit("call closed after %.1f s of %.0f: %s" % (time.time() - t1, hold, m.get("param")))
send("hangup")
m = wait_for(("CALL_CLOSED",), 10)
if not m:
    sys.exit("no CALL_CLOSED within 10 s of the hangup")
print("%.1f closed (%s), %.1f s after it was established" % (time.time() - t0, m.get("param"), time.time() - t1),
      flush=True)
PY

# trace.py LOG PEER: the SIP messages of baresip's -s trace in LOG; prints
#   refreshes N       in-dialog INVITEs/UPDATEs received from PEER (by CSeq)
#   refreshes_ok N    of those, the ones baresip answered 2xx
#   invite_require X  the Require of the first INVITE baresip sent ("-": none)
#   prack_sent N      PRACKs baresip sent (by CSeq)
#   prack_ok N        of those, answered 2xx
#   refresh CSEQ METHOD 2xx|no-2xx   one line per refresh
cat > "$W/trace.py" <<'PY'
import re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
peer = sys.argv[2]
lines = text.split("\n")
msgs = []
i = 0
while i < len(lines):
    m = re.match(r"^(UDP|TCP) (\S+) -> (\S+)\s*$", lines[i])
    if not m or i + 1 >= len(lines):
        i += 1
        continue
    hdrs = {}
    j = i + 2
    while j < len(lines) and lines[j].strip():
        k, _, v = lines[j].partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
        j += 1
    msgs.append((m.group(2), m.group(3), lines[i + 1].strip(), hdrs))
    i = j
refresh, ok_rx, prack, prack_ok = {}, set(), set(), set()
require = None
for src, dst, start, h in msgs:
    cseq = h.get("cseq", "")
    if start.startswith("SIP/2.0 "):
        code = start.split(" ")[1]
        if dst == peer and code.startswith("2"):
            ok_rx.add(cseq)   # baresip's 2xx
        if src == peer and code.startswith("2") and cseq.endswith(" PRACK"):
            prack_ok.add(cseq)
        continue
    meth = start.split(" ")[0]
    if src == peer and meth in ("INVITE", "UPDATE") and "tag=" in h.get("to", ""):
        refresh[cseq] = meth
    if dst == peer and meth == "INVITE" and require is None:
        require = h.get("require", "")
    if dst == peer and meth == "PRACK":
        prack.add(cseq)
print("refreshes", len(refresh))
print("refreshes_ok", len([c for c in refresh if c in ok_rx]))
print("invite_require", (require or "-").replace(" ", ""))
print("prack_sent", len(prack))
print("prack_ok", len(prack_ok & prack))
for c in sorted(refresh, key=lambda c: int(c.split()[0])):
    print("refresh", c.split()[0], refresh[c], "2xx" if c in ok_rx else "no-2xx")
PY

# ---- the parties
start_relay || exit 1
start_b2bua || exit 1

# bs_config DIR ADDR SIPPORT TONE RTPPORTS [ctrl]: a headless baresip on
# ADDR only (net_interface takes an address: SDP and RTP on it): G.711
# only, ausine as the source (48 kHz stereo, resampled), aubridge as a
# player that plays nowhere, sndfile dumping what it sends (-enc.wav) and
# what it receives and decodes (-dec.wav) into DIR; RTP ports clear of
# every flow's relay range (20000-39999).
bs_config() {
	mkdir -p "$1"
	cat > "$1/config" <<EOC
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $2
sip_listen $2:$3
call_local_timeout 30
call_max_calls 2
audio_player aubridge,$(basename "$1")
audio_alert aubridge,$(basename "$1")
audio_source ausine,$4
ausrc_srate 48000
ausrc_channels 2
audio_buffer 60
rtp_ports $5
rtp_timeout 10
rtcp_mux no
jitter_buffer_delay 5-10
statmode_default off
snd_path $1
ctrl_tcp_listen $2:$CTRL_PORT
module g711.so
module ausine.so
module aubridge.so
module sndfile.so
module_tmp account.so
module_app menu.so
${6:+module_app ctrl_tcp.so}
EOC
	: > "$1/contacts"
}
bs_config "$W/bs_caller" 127.0.0.12 5060 440 40100-40199 ctrl
echo "<sip:1001@127.0.0.12>;regint=0;audio_codecs=pcma,pcmu$ACC_100REL" > "$W/bs_caller/accounts"
bs_config "$W/bs_callee" 127.0.0.13 5080 660 40200-40299
echo "<sip:3000@127.0.0.13>;regint=0;answermode=auto;audio_codecs=pcma,pcmu" > "$W/bs_callee/accounts"

# stdbuf: baresip prints through stdio; line-buffered, its log is whole
# even after a kill -9.
stdbuf -oL -eL baresip -f "$W/bs_callee" -s > "$W/callee.log" 2>&1 &
CALLEE_PID=$!
PIDS="$PIDS $CALLEE_PID"
wait_port udp 5080 127.0.0.13 || { die "callee baresip did not listen on 127.0.0.13:5080: $(tail -3 "$W/callee.log")"; exit 1; }
stdbuf -oL -eL baresip -f "$W/bs_caller" -s > "$W/caller.log" 2>&1 &
CALLER_PID=$!
PIDS="$PIDS $CALLER_PID"
wait_port udp 5060 127.0.0.12 || { die "caller baresip did not listen on 127.0.0.12:5060: $(tail -3 "$W/caller.log")"; exit 1; }
wait_port tcp $CTRL_PORT 127.0.0.12 || { die "caller baresip's ctrl_tcp did not listen: $(tail -3 "$W/caller.log")"; exit 1; }

echo "calling for $CALL_SECS s (session timers $SESSION_EXPIRES s)"
python3 "$W/ctrl.py" 127.0.0.12 $CTRL_PORT "sip:3000@127.0.0.1:$SIP_PORT" "$CALL_SECS" "$W/caller_ctrl.log" > "$W/ctrl.out" 2>&1
crc=$?
cat "$W/ctrl.out"
# Each end closes its wav files when its call ends: give the callee the
# BYE, then stop both.
sleep 1
for p in $CALLER_PID $CALLEE_PID; do kill -TERM "$p" 2>/dev/null; done
for p in $CALLER_PID $CALLEE_PID; do
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
stop_b2bua || exit 1
# A call that ended early is a failure, but every figure below is still
# printed: each check dies (the flow fails) and the next one runs.
[ "$crc" = 0 ] || die "the caller's call: $(tail -1 "$W/ctrl.out") (see $W/caller.log, $W/callee.log, $W/b2bua.log)"

# ---- the CDR
sqlite3 -separator '|' "$DB" "SELECT from_trunk, to_trunk, disposition, hangup_by, CAST(duration_s AS INTEGER), a_rtp_pkts, b_rtp_pkts, call_id, b_call_id FROM cdrs" > "$W/cdr.out" ||
	{ die "cannot read cdrs"; exit 1; }
echo "CDR: $(cat "$W/cdr.out")"
[ "$(wc -l < "$W/cdr.out")" = 1 ] || { die "expected 1 CDR row, got: $(cat "$W/cdr.out")"; exit 1; }
IFS='|' read -r FT TT DISP BY DUR APK BPK ACID BCID < "$W/cdr.out"
[ "$FT|$TT|$DISP|$BY" = "bsa|bsb|answered|caller" ] || die "CDR: $FT|$TT|$DISP|$BY, expected bsa|bsb|answered|caller"
[ "$DUR" -ge "$MIN_SECS" ] || die "CDR duration $DUR s < $MIN_SECS s"
[ "$APK" -ge "$MIN_PKTS" ] || die "CDR a_rtp_pkts $APK < $MIN_PKTS"
[ "$BPK" -ge "$MIN_PKTS" ] || die "CDR b_rtp_pkts $BPK < $MIN_PKTS"
[ -n "$ACID" ] && [ -n "$BCID" ] && [ "$ACID" != "$BCID" ] || { die "CDR call ids: '$ACID' '$BCID'"; exit 1; }

# ---- session refreshes on each leg: what its baresip received and
# answered 2xx (its SIP trace), and what the b2bua saw (its debug log:
# nua's own refreshes answered 2xx, and refreshes the peer sent).
for side in caller:$ACID callee:$BCID; do
	s=${side%%:*} cid=${side#*:}
	python3 "$W/trace.py" "$W/$s.log" "127.0.0.1:$SIP_PORT" > "$W/$s.sip" || { die "cannot read $s's SIP trace"; continue; }
	n=$(awk '$1 == "refreshes" {print $2}' "$W/$s.sip")
	k=$(awk '$1 == "refreshes_ok" {print $2}' "$W/$s.sip")
	own=$(grep -cE "leg $cid: nua_r_(invite|update) 2[0-9][0-9] to nua's own request" "$W/b2bua.log")
	peer=$(grep -cE "nua nua_i_(invite|update) [0-9]+ .*leg $cid\$" "$W/b2bua.log")
	echo "$s leg $cid: baresip received $n refreshes, answered $k 2xx ($(grep '^refresh ' "$W/$s.sip" | cut -d' ' -f3,4 | sort | uniq -c | xargs));" \
		"b2bua: $own own refreshes answered 2xx, $peer from the peer"
	[ "$n" -ge "$MIN_REFRESH" ] || die "$s's baresip received $n session refreshes, expected >= $MIN_REFRESH (see $W/$s.log)"
	[ "$k" = "$n" ] || die "$s's baresip answered $k of $n refreshes with 2xx (see $W/$s.log)"
	[ $((own + peer)) -ge "$MIN_REFRESH" ] || die "b2bua log: $own own + $peer peer refreshes on the $s leg $cid, expected >= $MIN_REFRESH"
done

# ---- 100rel on the caller's leg
req=$(awk '$1 == "invite_require" {print $2}' "$W/caller.sip" 2>/dev/null)
pk=$(awk '$1 == "prack_sent" {print $2}' "$W/caller.sip" 2>/dev/null)
pok=$(awk '$1 == "prack_ok" {print $2}' "$W/caller.sip" 2>/dev/null)
echo "caller's INVITE: Require ${req:-?}; PRACKs sent ${pk:-?}, answered 2xx ${pok:-?}"
if [ "$REL100" = yes ]; then
	case ",$req," in *,100rel,*) ;; *) die "the caller's INVITE did not require 100rel (Require: $req)" ;; esac
	[ "${pk:-0}" -ge 1 ] && [ "${pok:-0}" -ge 1 ] || die "the caller sent ${pk:-0} PRACKs, ${pok:-0} answered 2xx: no reliable 18x acknowledged"
	grep -qE "nua nua_i_prack 200 .*leg $ACID\$" "$W/b2bua.log" || die "b2bua log: no PRACK taken on the caller's leg $ACID"
fi

# ---- audio: what each side received and decoded is long, loud, and the
# other side's tone all the way through.
for side in caller:660 callee:440; do
	s=${side%%:*} hz=${side#*:}
	set -- "$W/bs_$s"/dump-*-dec.wav
	[ $# = 1 ] && [ -f "$1" ] || { die "$s: expected one received-audio dump, found: $*"; continue; }
	python3 "$ROOT/test/integration/scenarios/wav_tone.py" "$1" "$hz" "$MIN_SECS" --window 10 > "$W/$s.wav.out" 2>&1
	rc=$?
	echo "$s received ($(basename "$1")): $(head -1 "$W/$s.wav.out")"
	[ "$rc" = 0 ] || die "$s's received audio: $(tail -1 "$W/$s.wav.out")"
done
[ -s "$FAIL_MARK" ] && exit 1
exit 0
