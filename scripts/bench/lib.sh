# lib.sh - shared pieces of the benchmarks: process tracking and cleanup,
# CPU and RSS sampling, and a SIPp rate step that reports success/failure.
# Sourced by the other scripts/bench/*.sh. Every process a script starts is
# added to BPIDS and killed by PID in bench_cleanup (trap EXIT): never by name.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
RES=${RES:-$ROOT/bench/results}
WORK=${WORK:-$ROOT/bench/work}
BPIDS=""
# Addresses and ports, all on loopback, distinct from the integration tests'.
UAC_IP=127.0.0.2 UAC_PORT=5160      # SIPp caller (the "pbx" trunk)
UAS_IP=127.0.0.3 UAS_PORT=5180      # SIPp carrier ("carrier1")
EL_IP=127.0.0.1 EL_PORT=5170        # element under test
NG_PORT=2299                        # relay control
# Raise the fd limit for SIPp and the daemons (10k held calls = 20k+ fds).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(id -u)" = 0 ] && ulimit -n 200000 2>/dev/null

bench_cleanup() {
	local p
	for p in $BPIDS; do kill -TERM "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for p in $BPIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.3
	done
	for p in $BPIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	BPIDS=""
	return 0
}

# cpu_ticks PID: utime+stime of a process (all its threads), in clock ticks.
cpu_ticks() {
	local t
	t=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null)
	echo "${t:-0}"
}

# rss_kb PID
rss_kb() {
	local r
	r=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null)
	echo "${r:-0}"
}

# pid_tree PID: PID and its descendants (Kamailio forks its workers).
pid_tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1" 2>/dev/null); do pid_tree "$c"; done
}

wait_udp() {  # wait_udp [ADDR:]PORT
	for _ in $(seq 1 100); do
		ss -lnu -H | awk '{print $4}' | grep -q ":$1\$" && return 0
		sleep 0.1
	done
	return 1
}

# pctl FILE P: the P-th percentile of a sorted one-column file.
pctl() {
	awk -v p="$2" '{v[NR]=$1} END { if (NR == 0) { print "NA"; exit } i = int((NR * p + 99) / 100); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.2f\n", v[i] }' "$1"
}

# sipp_step TARGET RATE SECONDS TAG: runs SIPp's built-in uac at RATE calls/s
# for SECONDS against TARGET; prints "rate ok failed p50_ms p99_ms".
# p50/p99: INVITE-to-200 response time of every call (SIPp's rtd, -trace_rtt).
sipp_step() {
	local target=$1 rate=$2 secs=$3 tag=$4 n out dir
	n=$((rate * secs))
	out=$WORK/$tag-$rate
	dir=$WORK/sipp-$tag-$rate
	rm -rf "$out"* "$dir"; mkdir -p "$dir"
	(cd "$dir" && timeout $((secs + 60)) sipp -sn uac -i $UAC_IP -p $UAC_PORT -s 1000 "$target" -r "$rate" -m "$n" \
		-d "${HOLD_MS:-0}" -l $((rate * 4 + 100)) -nostdin -default_behaviors all,-abortunexp \
		-trace_stat -stf "$out.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err -error_file "$out.err" \
		-timeout $((secs + 40))s -recv_timeout 10000 -max_socket 10000 >"$out.log" 2>&1)
	# SIPp's stat file: the last line holds cumulative counters
	# (field 13 TotalCallCreated, 16 SuccessfulCall(C), 18 FailedCall(C)).
	local ok fail created
	ok=$(tail -n 1 "$out.csv" 2>/dev/null | awk -F';' '{print $16}')
	fail=$(tail -n 1 "$out.csv" 2>/dev/null | awk -F';' '{print $18}')
	created=$(tail -n 1 "$out.csv" 2>/dev/null | awk -F';' '{print $13}')
	ok=${ok:-0} fail=${fail:-0}
	# Calls never placed or never finished (SIPp killed, stuck) count as failed.
	[ $((ok + fail)) -lt "$n" ] && fail=$((n - ok))
	local rtt p50=NA p99=NA
	rtt=$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)
	if [ -n "$rtt" ]; then
		awk -F';' 'NR > 1 && $2 != "" {print $2}' "$rtt" | sort -g > "$out.rtt"
		p50=$(pctl "$out.rtt" 50)
		p99=$(pctl "$out.rtt" 99)
	fi
	rm -rf "$dir"
	echo "$rate $ok $fail $p50 $p99"
}
