# lib.sh - shared pieces of the benchmarks: process tracking and cleanup,
# CPU and RSS sampling, and a SIPp rate step that reports success/failure.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
RES=${RES:-$ROOT/bench/results}
WORK=${WORK:-$ROOT/bench/work}
BPIDS=""

bench_cleanup() {
	for p in $BPIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $BPIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	BPIDS=""
	pkill -f "kamailio -f $WORK" 2>/dev/null
	pkill -f "rtpengine.*$WORK" 2>/dev/null
	return 0
}

# cpu_ticks PID: utime+stime of a process and its threads, in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# rss_kb PID
rss_kb() {
	awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

wait_udp() {
	for _ in $(seq 1 50); do
		ss -lnu -H | grep -q ":$1 " && return 0
		sleep 0.1
	done
	return 1
}

# sipp_step TARGET RATE SECONDS TAG: runs SIPp's uac at RATE calls/s for
# SECONDS against TARGET; prints "rate ok failed p50_ms p99_ms".
sipp_step() {
	local target=$1 rate=$2 secs=$3 tag=$4 n out
	n=$((rate * secs))
	out=$WORK/$tag-$rate
	rm -f "$out"*
	(cd "$WORK" && timeout $((secs + 40)) sipp -sn uac -i 127.0.0.2 -p 5060 -s 1000 "$target" -r "$rate" -m "$n" \
		-l $((rate * 4 + 100)) -nostdin -default_behaviors all,-abortunexp \
		-trace_stat -stf "$out.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err -error_file "$out.err" \
		-timeout $((secs + 30))s -recv_timeout 10000 -max_socket 10000 >"$out.log" 2>&1)
	# SIPp's stat file: the last line holds cumulative counters.
	local ok fail
	ok=$(tail -n 1 "$out.csv" | awk -F';' '{print $16}' 2>/dev/null)
	fail=$(tail -n 1 "$out.csv" | awk -F';' '{print $18}' 2>/dev/null)
	# response times (ms) of every call, from the rtt file
	local rtt p50 p99
	rtt=$(ls "$WORK"/uac_*_rtt.csv 2>/dev/null | head -1)
	if [ -n "$rtt" ]; then
		tail -n +2 "$rtt" | awk -F';' '{print $2}' | sort -n > "$out.rtt"
		rm -f "$rtt"
		local cnt
		cnt=$(wc -l < "$out.rtt")
		p50=$(sed -n "$(( (cnt + 1) / 2 ))p" "$out.rtt")
		p99=$(sed -n "$(( (cnt * 99 + 99) / 100 ))p" "$out.rtt")
	fi
	echo "$rate ${ok:-0} ${fail:-$n} ${p50:-NA} ${p99:-NA}"
}
