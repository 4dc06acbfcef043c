# linphone (linphonec) calls 4000 through the b2bua and the relay to the
# carrier lpcarrier, whose trunk has a codec list (flow.conf says what is
# proven). linphone (127.0.0.16:5060) is driven over its stdin (a fifo),
# logs at level 6 into $W/linphone.log (every SIP message it sends and
# receives); the carrier, a baresip (127.0.0.17:5080), answers by itself
# and traces its SIP (-s) into $W/callee.log.
command -v linphonec >/dev/null || { die "linphonec is not installed (apt-get install linphone-cli)"; exit 1; }
command -v baresip >/dev/null || { die "baresip is not installed (apt-get install baresip-core)"; exit 1; }
LP_IP=127.0.0.16
CALLEE_IP=127.0.0.17
# 20 ms packets; baresip starts sending about 2 s into the call (405 of
# 500 in 10 s here; 100 short in baresip_session_timers too): 60 % of 50
# a second.
MIN_PKTS=$((CALL_SECS * 50 * 6 / 10))
for a in "udp 5060 $LP_IP" "udp 5080 $CALLEE_IP"; do
	# shellcheck disable=SC2086
	listening $a && { die "$a is taken before the parties started"; exit 1; }
done

# ---- helpers (python3)

# tone.py FILE HZ SECS: an 8 kHz 16-bit mono wav of a sine.
cat > "$W/tone.py" <<'PY'
import math, struct, sys, wave
name, hz, secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
w = wave.open(name, "wb")
w.setnchannels(1)
w.setsampwidth(2)
w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
                       for i in range(int(8000 * secs))))
w.close()
PY

# sip.py linphone|baresip LOG [ME]: the SIP messages of linphone's log
# (belle-sip prints each one it sends or receives after a "message sent
# to" / "received [N] new bytes from" line) or of baresip's -s trace
# ("UDP SRC -> DST"; ME, its own address, tells which it received); a
# message is the CRLF-ended lines after its marker. Prints
#   invites N             initial INVITEs (no To tag) sent (linphone) or
#                         received (baresip), one per Call-ID and CSeq
#   invite CALLID CSEQ PROTO PTS NAMES   each of them: its m=audio profile,
#                         payload types and codec names (a=rtpmap, static
#                         types by RFC 3551)
#   retransmissions N     copies of those sent again
#   responses LIST        codes received (linphone) or sent (baresip) to an
#                         INVITE, in order, comma-separated ("-": none)
#   answer PROTO PTS NAMES  the m=audio of the first 200 to an INVITE
cat > "$W/sip.py" <<'PY'
import re, sys
kind, name = sys.argv[1], sys.argv[2]
me = sys.argv[3] if len(sys.argv) > 3 else ""
lines = open(name, errors="replace", newline="").read().split("\n")
msgs = []   # (received?, lines)
i = 0
while i < len(lines):
    l = lines[i]
    rx = None
    if kind == "linphone":
        if "belle-sip-message-channel" in l and "]: message sent to [" in l:
            rx = False
        elif "belle-sip-message-channel" in l and "new bytes from [" in l:
            rx = True
    else:
        m = re.match(r"^(UDP|TCP) (\S+) -> (\S+)\s*$", l)
        if m:
            rx = m.group(3) == me
    i += 1
    if rx is None:
        continue
    body = []
    while i < len(lines) and lines[i].endswith("\r"):
        body.append(lines[i][:-1])
        i += 1
    if body:
        msgs.append((rx, body))
STATIC = {"0": "PCMU", "3": "GSM", "4": "G723", "8": "PCMA", "9": "G722", "18": "G729"}
def hdr(body, h):
    for l in body[1:]:
        if not l:
            break
        k, _, v = l.partition(":")
        if k.strip().lower() == h:
            return v.strip()
    return ""
def audio(body):
    m = [l for l in body if l.startswith("m=audio ")]
    if not m:
        return "- - -"
    f = m[0].split()
    pts = f[3:]
    rtpmap = dict(re.match(r"a=rtpmap:(\d+) ([^/\s]+)", l).groups() for l in body if re.match(r"a=rtpmap:\d+ ", l))
    names = [rtpmap.get(p, STATIC.get(p, "?" + p)) for p in pts]
    return "%s %s %s" % (f[2], ",".join(pts) or "-", ",".join(names) or "-")
mine = [b for rx, b in msgs if rx == (kind == "baresip")]          # INVITEs this side sent/received
theirs = [b for rx, b in msgs if rx != (kind == "baresip")]        # responses to them
seen, copies, out = set(), 0, []
for b in mine:
    if not b[0].startswith("INVITE ") or "tag=" in hdr(b, "to"):
        continue
    k = (hdr(b, "call-id"), hdr(b, "cseq").split()[0])
    if k in seen:
        copies += 1
        continue
    seen.add(k)
    out.append("invite %s %s %s" % (k[0], k[1], audio(b)))
print("invites", len(out))
for o in out:
    print(o)
print("retransmissions", copies)
codes, answer = [], None
for b in theirs:
    if b[0].startswith("SIP/2.0 ") and hdr(b, "cseq").endswith(" INVITE"):
        codes.append(b[0].split()[1])
        if answer is None and b[0].split()[1] == "200":
            answer = audio(b)
print("responses", ",".join(codes) or "-")
print("answer", answer or "- - -")
PY

# ---- the parties
start_relay || exit 1
start_b2bua || exit 1

# The carrier: a headless baresip (as in baresip_session_timers), G.711
# only, a 660 Hz sine, auto-answer, sndfile dumping what it receives and
# decodes (dump-*-dec.wav) into $W/bs_callee; RTP ports clear of every
# flow's relay range (20000-39999).
mkdir -p "$W/bs_callee"
cat > "$W/bs_callee/config" <<EOC
module_path /usr/lib/baresip/modules
poll_method epoll
net_interface $CALLEE_IP
sip_listen $CALLEE_IP:5080
call_local_timeout 30
call_max_calls 2
audio_player aubridge,bs_callee
audio_alert aubridge,bs_callee
audio_source ausine,660
ausrc_srate 48000
ausrc_channels 2
audio_buffer 60
rtp_ports 40400-40499
rtp_timeout 10
rtcp_mux no
jitter_buffer_delay 5-10
statmode_default off
snd_path $W/bs_callee
module g711.so
module ausine.so
module aubridge.so
module sndfile.so
module_tmp account.so
module_app menu.so
EOC
: > "$W/bs_callee/contacts"
echo "<sip:4000@$CALLEE_IP>;regint=0;answermode=auto;audio_codecs=pcma,pcmu" > "$W/bs_callee/accounts"
stdbuf -oL -eL baresip -f "$W/bs_callee" -s > "$W/callee.log" 2>&1 &
CALLEE_PID=$!
PIDS="$PIDS $CALLEE_PID"
wait_port udp 5080 $CALLEE_IP || { die "callee baresip did not listen on $CALLEE_IP:5080: $(tail -3 "$W/callee.log")"; exit 1; }

# linphone: its own rc, HOME and database directory (without that
# directory liblinphone 5 never starts its core: no listening point);
# bound to LP_IP:5060 UDP only (TCP and TLS off); RTP/AVPF offers
# ([rtp] avpf=1); no ICE, no STUN, no echo canceller.
mkdir -p "$W/lp/home/.local/share/linphone"
python3 "$W/tone.py" "$W/lp/tone440.wav" 440 $((CALL_SECS + 30)) || { die "cannot write the tone file"; exit 1; }
cat > "$W/lp/linphonerc" <<EOC
[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
bind_address=$LP_IP
guess_hostname=0
contact="lp" <sip:lp@$LP_IP>
use_ipv6=0
ipv6_migration_done=1
[rtp]
bind_address=$LP_IP
audio_rtp_port=40500-40599
avpf=1
[sound]
echocancellation=0
[net]
firewall_policy=0
[video]
enabled=0
EOC
mkfifo "$W/lp/stdin"
HOME=$W/lp/home XDG_DATA_HOME=$W/lp/home/.local/share XDG_CONFIG_HOME=$W/lp/home/.config \
	stdbuf -oL -eL linphonec -c "$W/lp/linphonerc" -d 6 -l "$W/linphone.log" < "$W/lp/stdin" > "$W/linphonec.out" 2>&1 &
LP_PID=$!
PIDS="$PIDS $LP_PID"
exec 7> "$W/lp/stdin"
lp() { echo "$*" >&7; echo "$(date +%T.%3N) > $*" >> "$W/linphonec.cmds"; }
# lp_wait REGEX SECS: until linphonec's output shows REGEX.
lp_wait() {
	for _ in $(seq 1 $(($2 * 10))); do
		grep -qE -- "$1" "$W/linphonec.out" && return 0
		kill -0 "$LP_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_port udp 5060 $LP_IP || { die "linphonec did not listen on $LP_IP:5060: $(tail -3 "$W/linphonec.out")"; exit 1; }
lp "soundcard use files"
lp "play $W/lp/tone440.wav"
lp "record $W/lp/received.wav"
lp "call sip:4000@127.0.0.1:$SIP_PORT"
# linphonec says "Call N with URI connected." or "... error." (a 4xx).
if lp_wait "connected\.|error\.|declined|ended" 15 && grep -qE 'Call [0-9]+ with .* connected\.' "$W/linphonec.out"; then
	echo "linphone: $(grep -m1 -E connected "$W/linphonec.out")"
	sleep "$CALL_SECS"
	lp "terminate"
	lp_wait "[Cc]all .*(ended|terminated)" 10 || die "linphone: no end of call within 10 s of terminate (see $W/linphonec.out)"
else
	die "linphone's call was not connected: $(tail -3 "$W/linphonec.out" | tr '\n' ' ')"
fi
lp "quit"
exec 7>&-
sleep 1
for p in $LP_PID $CALLEE_PID; do kill -TERM "$p" 2>/dev/null; done
for p in $LP_PID $CALLEE_PID; do
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
stop_b2bua || exit 1
# Every check below dies (the flow fails) and the next one still runs:
# all figures are printed.

# ---- linphone: one INVITE, RTP/AVPF, answered 200 (no 488, no retry)
python3 "$W/sip.py" linphone "$W/linphone.log" > "$W/linphone.sip" || { die "cannot read linphone's log"; exit 1; }
sed 's/^/linphone: /' "$W/linphone.sip"
n=$(awk '$1 == "invites" {print $2}' "$W/linphone.sip")
read -r _ _ _ LP_PROTO LP_PTS LP_NAMES < <(grep -m1 '^invite ' "$W/linphone.sip")
LP_CODES=$(awk '$1 == "responses" {print $2}' "$W/linphone.sip")
read -r _ ANS_PROTO ANS_PTS ANS_NAMES < <(grep '^answer ' "$W/linphone.sip")
[ "$n" = 1 ] || die "linphone sent $n INVITEs, expected exactly 1 (no retry): $(grep '^invite ' "$W/linphone.sip" | tr '\n' ' ')"
[ "$LP_PROTO" = RTP/AVPF ] || die "linphone's offer was $LP_PROTO, expected RTP/AVPF (see $W/linphone.log)"
case ",$LP_NAMES," in *,opus,*) ;; *) die "linphone's offer had no opus ($LP_NAMES): not the codec list the trunk must filter" ;; esac
case ",$LP_CODES," in *,488,*) die "linphone got a 488 (responses $LP_CODES)" ;; esac
[ "${LP_CODES##*,}" = 200 ] || die "linphone's INVITE got $LP_CODES, expected a 200 at the end"
grep -qE 'Call [0-9]+ with .* connected\.' "$W/linphonec.out" || die "linphonec never said the call was connected"
# RFC 3264 s6, README "SDP of real clients": the answer keeps the
# offer's profile.
[ "$ANS_PROTO" = RTP/AVPF ] || die "the 200's answer to linphone's RTP/AVPF offer is $ANS_PROTO $ANS_PTS ($ANS_NAMES), expected RTP/AVPF"
case ",$ANS_NAMES," in *,PCMA,*|*,PCMU,*) ;; *) die "the 200's answer to linphone has no PCMA/PCMU: $ANS_NAMES" ;; esac

# ---- the b2bua took one INVITE and refused nothing
inv=$(grep -c 'nua nua_i_invite ' "$W/b2bua.log")
[ "$inv" = 1 ] || die "b2bua log: $inv INVITEs taken (nua_i_invite), expected 1"
r488=$(grep -m1 -E '(^| )488( |$)' "$W/b2bua.log")
[ -z "$r488" ] || die "b2bua log: $r488"

# ---- the carrier got PCMA/PCMU (and telephone-event) only
python3 "$W/sip.py" baresip "$W/callee.log" "$CALLEE_IP:5080" > "$W/callee.sip" || { die "cannot read the callee's trace"; exit 1; }
sed 's/^/callee: /' "$W/callee.sip"
n=$(awk '$1 == "invites" {print $2}' "$W/callee.sip")
read -r _ _ _ CE_PROTO CE_PTS CE_NAMES < <(grep -m1 '^invite ' "$W/callee.sip")
CE_CODES=$(awk '$1 == "responses" {print $2}' "$W/callee.sip")
[ "$n" = 1 ] || die "the callee got $n INVITEs, expected 1"
bad=$(echo "$CE_NAMES" | tr ',' '\n' | grep -vxE 'PCMA|PCMU|telephone-event' | xargs)
[ -z "$bad" ] || die "the callee's offer held $bad besides PCMA/PCMU/telephone-event ($CE_PROTO $CE_PTS $CE_NAMES)"
case ",$CE_NAMES," in *,PCMA,*|*,PCMU,*) ;; *) die "the callee's offer has no PCMA/PCMU: $CE_NAMES" ;; esac
case "$CE_PROTO" in RTP/AVP|RTP/AVPF) ;; *) die "the callee's offer is $CE_PROTO" ;; esac
[ "${CE_CODES##*,}" = 200 ] || die "the callee answered $CE_CODES, expected a 200 at the end"

# ---- the CDR: answered, media both ways through the relay
sqlite3 -separator '|' "$DB" "SELECT from_trunk, to_trunk, disposition, sip_code, hangup_by, CAST(duration_s AS INTEGER), a_rtp_pkts, b_rtp_pkts FROM cdrs" > "$W/cdr.out" ||
	{ die "cannot read cdrs"; exit 1; }
echo "CDR: $(cat "$W/cdr.out") (packets: >= $MIN_PKTS each way)"
[ "$(wc -l < "$W/cdr.out")" = 1 ] || { die "expected 1 CDR row, got: $(cat "$W/cdr.out")"; exit 1; }
IFS='|' read -r FT TT DISP CODE BY DUR APK BPK < "$W/cdr.out"
[ "$FT|$TT|$DISP|$CODE|$BY" = "lp|lpcarrier|answered|200|caller" ] ||
	die "CDR: $FT|$TT|$DISP|$CODE|$BY, expected lp|lpcarrier|answered|200|caller"
[ "${DUR:-0}" -ge $((CALL_SECS - 1)) ] || die "CDR duration $DUR s < $((CALL_SECS - 1)) s"
[ "${APK:-0}" -ge "$MIN_PKTS" ] || die "CDR a_rtp_pkts $APK < $MIN_PKTS"
[ "${BPK:-0}" -ge "$MIN_PKTS" ] || die "CDR b_rtp_pkts $BPK < $MIN_PKTS"

# ---- audio: what each side received and decoded is the other's tone
# (linphone's recording; the carrier's sndfile dump)
set -- "$W"/bs_callee/dump-*-dec.wav
for side in "linphone:660:$W/lp/received.wav" "callee:440:$1"; do
	s=${side%%:*} rest=${side#*:}
	hz=${rest%%:*} f=${rest#*:}
	[ -f "$f" ] || { die "$s recorded nothing ($f)"; continue; }
	python3 "$ROOT/test/integration/scenarios/wav_tone.py" "$f" "$hz" $((CALL_SECS * 6 / 10)) --window 1 --skip 1 > "$W/$s.wav.out" 2>&1
	rc=$?
	echo "$s received ($(basename "$f")): $(head -1 "$W/$s.wav.out")"
	[ "$rc" = 0 ] || die "$s's received audio: $(tail -1 "$W/$s.wav.out")"
done
[ -s "$FAIL_MARK" ] && exit 1
exit 0
