#!/bin/sh
# fuzz.sh - runs the libFuzzer targets built by `make fuzz` (test/fuzz/),
# each for FUZZ_SECONDS (default 60), FUZZ_JOBS at a time (default: the
# number of cores), then prints one line per target and a closing
# "N passed, N failed". A target fails when libFuzzer leaves a finding
# (crash-, leak-, timeout-, oom-) in BUILD/findings/TARGET/: fix the bug,
# then copy the input to test/fuzz/regress/TARGET/ so the unit tests
# replay it for good.
#
# usage: scripts/fuzz.sh BUILD TARGET...
# Corpora grow in BUILD/corpus/TARGET across runs; each run seeds them
# with test/fuzz/seeds/TARGET, test/fuzz/regress/TARGET and what the test
# suite already holds: the RFC 4475/5118 messages (sip) and every SDP of
# the corpus and the SIPp scenarios (sdp, sdp_rewrite, ng).
set -u
B=$1
shift
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-$(nproc)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

seed() {
	t=$1
	c=$B/corpus/$t
	mkdir -p "$c" "$B/findings/$t"
	for d in test/fuzz/seeds/$t test/fuzz/regress/$t; do
		[ -d "$d" ] && find "$d" -type f -exec cp {} "$c/" \;
	done
	python3 - "$t" "$c" <<'PY'
import glob, hashlib, os, re, sys
t, out = sys.argv[1], sys.argv[2]
def put(data):
    if isinstance(data, str):
        data = data.encode()
    open(os.path.join(out, "t-" + hashlib.sha1(data).hexdigest()[:16]), "wb").write(data)
msgs = [open(f, "rb").read() for f in sorted(glob.glob("test/fixtures/sip-corpus/*/*.dat"))]
sdps = []
for m in msgs:
    i = m.find(b"\r\n\r\nv=0")
    if i >= 0:
        sdps.append(m[i + 4:].decode("latin-1"))
for f in sorted(glob.glob("test/integration/**/*.xml", recursive=True)):
    for body in re.findall(r"\n\s*\n(\s*v=0.*?)\]\]>", open(f, encoding="latin-1").read(), re.S):
        lines = [l.strip() for l in body.strip().splitlines()]
        sdps.append("\r\n".join(lines) + "\r\n")
def ben(v):
    if isinstance(v, int): return "i%de" % v
    if isinstance(v, str): return "%d:%s" % (len(v.encode("latin-1")), v)
    if isinstance(v, list): return "l" + "".join(ben(x) for x in v) + "e"
    return "d" + "".join(ben(k) + ben(v[k]) for k in sorted(v)) + "e"
if t == "sip":
    for m in msgs: put(m)
elif t == "sdp":
    for s in sdps: put(s)
elif t == "sdp_rewrite":
    for s in sdps:
        put(b"\x00" + s.encode("latin-1"))
        put(b"\x1f" + s.encode("latin-1"))
elif t == "ng":
    for s in sdps:
        put(("1 " + ben({"command": "offer", "call-id": "c", "from-tag": "a", "sdp": s,
                         "transport-protocol": "RTP/SAVP"})).encode("latin-1"))
PY
}

run() {
	t=$1
	bin=$B/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz $t: no $bin (run make fuzz)" > "$B/fuzz_$t.result"; return; }
	seed "$t"
	# -timeout: one input may take 10 s (Sofia's SDP loop would take all
	# memory long before); -rss_limit_mb: a runaway allocation is a finding.
	"$bin" "$B/corpus/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$B/findings/$t/" -print_final_stats=1 > "$B/fuzz_$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/fuzz_$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$B/fuzz_$t.log" | tail -1)
	corp=$(find "$B/corpus/$t" -type f | wc -l)
	found=$(find "$B/findings/$t" -type f | wc -l)
	echo "fuzz $t: ${SECONDS_EACH} s, ${runs:-?} runs, ${cov:-cov: ?} edges, corpus $corp, findings $found, exit $rc" \
		> "$B/fuzz_$t.result"
}

[ $# -gt 0 ] || { echo "usage: $0 BUILD TARGET..." >&2; exit 2; }
n=0
for t in "$@"; do
	run "$t" &
	n=$((n + 1))
	if [ "$n" -ge "$JOBS" ]; then
		wait
		n=0
	fi
done
wait
passed=0
failed=0
for t in "$@"; do
	line=$(cat "$B/fuzz_$t.result" 2>/dev/null || echo "fuzz $t: no result")
	echo "$line"
	case "$line" in
	*"findings 0, exit 0") passed=$((passed + 1)) ;;
	*)
		failed=$((failed + 1))
		find "$B/findings/$t" -type f 2>/dev/null | sed 's/^/  finding: /'
		grep -m1 -E 'ERROR: |property broken|SUMMARY' "$B/fuzz_$t.log" 2>/dev/null | sed 's/^/  /'
		;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
