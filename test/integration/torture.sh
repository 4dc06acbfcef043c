#!/bin/bash
# torture.sh BUILD - the RFC 4475 and RFC 5118 torture messages
# (test/fixtures/sip-corpus/, byte-exact) sent to a running b2bua over UDP
# from a known trunk (127.0.0.2) and an unknown source (127.0.0.9). Every
# message must be answered sensibly or dropped: the daemon stays up,
# answers OPTIONS afterwards, and exits 0 on SIGTERM (under `make asan`
# any memory error fails that last step). Prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-build}
. test/integration/lib.sh
W=$(mktemp -d /tmp/torture.XXXXXX)
trap 'cleanup; rm -rf "$W"' EXIT
FLOW=$ROOT/test/integration/flows/none
setup "$FLOW" "$W" 16950 >/dev/null || { echo "FAIL setup"; exit 1; }
start_relay || { echo "FAIL start_relay"; exit 1; }
start_b2bua || { echo "FAIL start_b2bua"; exit 1; }

fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

python3 - "$SIP_PORT" "$W" test/fixtures/sip-corpus/rfc4475/*.dat \
	test/fixtures/sip-corpus/rfc4475/errata/*.dat test/fixtures/sip-corpus/rfc5118/*.dat \
	test/fixtures/sip-corpus/rfc5118/wire/*.dat <<'PY'
import socket, sys, time, os, re
port, w, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
out = open(os.path.join(w, "answers.txt"), "w")

def call_id(msg):
    m = re.search(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", msg, re.M | re.I)
    return m.group(1) if m else None

for src in ("127.0.0.2", "127.0.0.9"):
    # Responses go to the Via sent-by port (RFC 3261 18.2.2): 5060 here.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 5060))
    got = {}   # Call-ID -> status lines, in arrival order

    def drain(seconds):
        end = time.time() + seconds
        while time.time() < end:
            s.settimeout(max(0.001, end - time.time()))
            try:
                r, _ = s.recvfrom(65536)
            except socket.timeout:
                break
            got.setdefault(call_id(r), []).append(r.split(b"\r\n", 1)[0].decode("latin-1"))

    for f in files:
        s.sendto(open(f, "rb").read(), ("127.0.0.1", port))
        drain(0.03)
    drain(1.0)
    for f in files:
        lines = got.get(call_id(open(f, "rb").read()), [])
        finals = [l for l in lines if not l.startswith("SIP/2.0 1")]
        # Some corpus messages share a Call-ID: the first answer is theirs.
        ans = (finals or lines or ["-"])[0]
        out.write("%s %s %s\n" % (src, os.path.relpath(f, "test/fixtures/sip-corpus"), ans))
    s.close()
PY
cp "$W/answers.txt" "$ROOT/$BUILD/torture-answers.txt" 2>/dev/null
n=$(grep -c . "$W/answers.txt")
[ "$n" -ge 120 ] && pass "corpus_sent_$n" || fail "corpus_sent_$n"
# The unknown source never gets anything routed: no 1xx/2xx for it.
if grep '^127\.0\.0\.9 ' "$W/answers.txt" | grep -qE ' SIP/2\.0 (1|2)[0-9][0-9] '; then
	fail unknown_source_only_refused
else
	pass unknown_source_only_refused
fi
# RFC 4475 verdicts the b2bua adds to Sofia's parser.
grep -q '^127\.0\.0\.2 rfc4475/escruri\.dat SIP/2\.0 400 ' "$W/answers.txt" && pass escruri_400 || fail escruri_400
# An INVITE whose body is not SDP gets 415 (with Accept), before anything
# is routed (RFC 4475 3.3.6 invut); one whose Accept leaves SDP out, 406
# (3.3.15 sdp01).
grep -q '^127\.0\.0\.2 rfc4475/invut\.dat SIP/2\.0 415 ' "$W/answers.txt" && pass invut_415 || fail invut_415
grep -q '^127\.0\.0\.2 rfc4475/sdp01\.dat SIP/2\.0 406 ' "$W/answers.txt" && pass sdp01_406 || fail sdp01_406
# SIP/7.0 (badvers), badinv01, lwsruri and intmeth never reach us: Sofia's
# parser drops them (no answer, no crash; the RFC wants 505/400/400/501).
grep -q '^127\.0\.0\.2 rfc4475/badvers\.dat -$' "$W/answers.txt" && pass badvers_dropped || fail badvers_dropped
# The valid INVITE with escaped URI from a known trunk is answered.
grep -q '^127\.0\.0\.2 rfc4475/wsinv\.dat SIP/2\.0 ' "$W/answers.txt" && pass wsinv_answered || fail wsinv_answered
kill -0 "$B2BUA_PID" 2>/dev/null && pass b2bua_alive || fail b2bua_alive
python3 - "$SIP_PORT" <<'PY' && pass options_after_torture || fail options_after_torture
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 0)); s.settimeout(2)
p = s.getsockname()[1]
m = ("OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:%d;branch=z9hG4bK-opt1\r\n"
     "From: <sip:t@127.0.0.2>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-after@x\r\nCSeq: 1 OPTIONS\r\n"
     "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n") % (sys.argv[1], p)
s.sendto(m.encode(), ("127.0.0.1", int(sys.argv[1])))
r = s.recv(65536)
sys.exit(0 if r.startswith(b"SIP/2.0 200") else 1)
PY
stop_b2bua >/dev/null 2>&1 && pass clean_exit || { fail clean_exit; tail -20 "$W/b2bua.log"; }
cp "$W/b2bua.log" "$ROOT/$BUILD/torture-b2bua.log" 2>/dev/null
[ $fails = 0 ]
