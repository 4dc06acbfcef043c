#!/bin/bash
# sig.sh ELEMENT - steps SIPp's call rate through ELEMENT until more than
# 0.1% of calls fail, then bisects between the last good and the first bad
# rate. ELEMENT is one of
#   b2bua                     our b2bua + our media-relay
#   b2bua-rtpengine           our b2bua driving rtpengine (userspace)
#   kamailio                  Kamailio tm + record-route (no hiding, no media)
#   kamailio-topos            Kamailio tm + topos (SQLite): topology hiding
#   kamailio-topos-rtpengine  the same + rtpengine (userspace): media anchored
# Appends rows to bench/results/signalling.csv:
#   element,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct,sip_cpu_pct
# (cpu_pct: utime+stime of all the element's processes, relay included,
# over the step, in % of one core; sip_cpu_pct: the signalling process(es)
# alone: b2bua, or Kamailio's processes), the best rate to best.csv, then holds
# HOLD_CALLS established calls and appends memory per call to memory.csv.
# Env: RATES (coarse ramp), STEP_S, BISECT (steps), HOLD_CALLS, SKIP_MEM,
# PROFILE=1 (perf record -g on the b2bua at its best rate).
set -u
. "$(dirname "$0")/lib.sh"
EL=$1
RATES=${RATES:-"200 500 800 1100 1400 1800 2400 3000"}
STEP_S=${STEP_S:-10}
BISECT=${BISECT:-2}
HOLD_CALLS=${HOLD_CALLS:-5000}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
D=$WORK/$EL
rm -rf "$D"; mkdir -p "$D" "$RES"
CSV=$RES/signalling.csv
[ -f "$CSV" ] || echo "element,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct,sip_cpu_pct" > "$CSV"
EL_PID="" RELAY_PID=""

start_uas() {
	sipp -sn uas -i $UAS_IP -p $UAS_PORT -nostdin -max_socket 20000 -d "${HOLD_MS:-0}" >"$D/uas.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_udp "$UAS_PORT" || { echo "SIPp uas did not start: $(tail -3 "$D/uas.log")"; return 1; }
}

start_relay() {  # ours|rtpengine
	if [ "$1" = rtpengine ]; then
		rtpengine --config-file=none --foreground --log-stderr --table=-1 --interface=127.0.0.1 \
			--listen-ng=127.0.0.1:$NG_PORT --port-min=40000 --port-max=65000 --log-level=3 \
			--pidfile="$D/rtpengine.pid" >"$D/relay.log" 2>&1 &
	else
		printf '[relay]\nng = 127.0.0.1:%s\ninterface = 127.0.0.1\nports = 40000-65000\nmedia_timeout = 0\n[log]\nlevel = warn\n' \
			$NG_PORT > "$D/relay.conf"
		"$ROOT/$BUILD/media-relay" -c "$D/relay.conf" -f >"$D/relay.log" 2>&1 &
	fi
	RELAY_PID=$!
	BPIDS="$BPIDS $RELAY_PID"
	wait_udp $NG_PORT || { echo "relay did not start: $(tail -3 "$D/relay.log")"; return 1; }
}

start_b2bua() {  # ours|rtpengine
	sqlite3 "$D/b2bua.db" < "$ROOT/sql/schema.sql" || return 1
	sqlite3 "$D/b2bua.db" < "$ROOT/scripts/bench/policy.sql" || return 1
	start_relay "$1" || return 1
	cat > "$D/b2bua.conf" <<EOC
[sip]
listen = udp:$EL_IP:$EL_PORT
rate_limit = 0
[db]
path = $D/b2bua.db
[relay]
ng = 127.0.0.1:$NG_PORT
media_poll = 0
[control]
socket = $D/b2bua.sock
[cdr]
node = bench
[call]
max_duration = 0
grace = 1
[log]
level = warn
EOC
	"$ROOT/$BUILD/b2bua" -c "$D/b2bua.conf" -f >"$D/b2bua.log" 2>&1 &
	EL_PID=$!
	BPIDS="$BPIDS $EL_PID"
	wait_udp $EL_PORT || { echo "b2bua did not start: $(tail -3 "$D/b2bua.log")"; return 1; }
}

start_kamailio() {  # [topos] [rtpengine]
	local args="" a
	for a in "$@"; do
		case $a in
		topos)
			cat /usr/share/kamailio/db_sqlite/standard-create.sql \
				/usr/share/kamailio/db_sqlite/topos-create.sql | sqlite3 "$D/topos.db" || return 1
			args="$args -A WITH_TOPOS" ;;
		rtpengine)
			start_relay rtpengine || return 1
			args="$args -A WITH_RTPENGINE" ;;
		esac
	done
	sed "s#TOPOS_DB#$D/topos.db#; s#NG_PORT#$NG_PORT#; s#EL_PORT#$EL_PORT#; s#UAS_ADDR#$UAS_IP:$UAS_PORT#" \
		"$ROOT/scripts/bench/kamailio.cfg" > "$D/kamailio.cfg"
	# -DD: the creator stays in the foreground (its PID is ours to kill;
	# SIGTERM to it stops the workers it forked).
	kamailio -f "$D/kamailio.cfg" -m 1024 -M 64 -P "$D/kamailio.pid" -w "$D" -DD -E $args >"$D/kamailio.log" 2>&1 &
	EL_PID=$!
	BPIDS="$BPIDS $EL_PID"
	wait_udp $EL_PORT || { echo "kamailio did not start: $(tail -3 "$D/kamailio.log")"; return 1; }
}

el_pids() { local p; for p in $EL_PID $RELAY_PID; do pid_tree "$p"; done; }
el_cpu() {  # total ticks of the element's processes, and of its SIP part
	local t=0 s=0 p
	for p in $(el_pids); do t=$((t + $(cpu_ticks "$p"))); done
	for p in $(pid_tree "$EL_PID"); do s=$((s + $(cpu_ticks "$p"))); done
	echo "$t $s"
}
el_pss() {  # proportional set size of all the element's processes, kB
	local t=0 p v
	for p in $(el_pids); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}

start_element() {
	local f
	for f in "$D"/*.log; do [ -f "$f" ] && mv "$f" "${f%.log}.ramp-log"; done
	rm -f "$D"/b2bua.db* "$D"/topos.db*
	case "$EL" in
	b2bua) start_b2bua ours ;;
	b2bua-rtpengine) start_b2bua rtpengine ;;
	kamailio) start_kamailio ;;
	kamailio-topos) start_kamailio topos ;;
	kamailio-topos-rtpengine) start_kamailio topos rtpengine ;;
	*) echo "unknown element $EL"; return 1 ;;
	esac || return 1
	start_uas || return 1
	sleep 1
}
start_element || exit 1

hz=$(getconf CLK_TCK)
# step RATE: one measured step; sets LAST_PCT, appends to the CSV.
step() {
	local rate=$1 c0 s0 c1 s1 t0 t1 r ok failed p50 p99 cpu scpu total
	# CPU over the sending period only: SIPp's tail (waiting out failed
	# calls' timeouts) would dilute it.
	read -r c0 s0 < <(el_cpu); t0=$(date +%s.%N)
	sipp_step $EL_IP:$EL_PORT "$rate" "$STEP_S" "$EL" > "$D/step.out" &
	local sp=$!
	BPIDS="$BPIDS $sp"
	sleep "$STEP_S"
	read -r c1 s1 < <(el_cpu); t1=$(date +%s.%N)
	wait "$sp"
	BPIDS=${BPIDS/ $sp/}
	read -r r ok failed p50 p99 < "$D/step.out"
	cpu=$(echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.0f", ($2-$1)/$5/($4-$3)*100}')
	scpu=$(echo "$s0 $s1 $t0 $t1 $hz" | awk '{printf "%.0f", ($2-$1)/$5/($4-$3)*100}')
	total=$((ok + failed))
	LAST_PCT=$(echo "$failed $total" | awk '{ if ($2 == 0) print 100; else printf "%.3f", $1*100/$2 }')
	echo "$EL,$rate,$ok,$failed,$LAST_PCT,$p50,$p99,$cpu,$scpu" >> "$CSV"
	printf '  %-24s %5d cps: %7d ok %6d failed (%6s%%)  INVITE->200 p50 %6s ms p99 %7s ms  cpu %4s%% (sip %s%%)\n' \
		"$EL" "$rate" "$ok" "$failed" "$LAST_PCT" "$p50" "$p99" "$cpu" "$scpu"
	# let retransmissions and lingering transactions of a failed step drain
	sleep "${SETTLE_S:-3}"
}
bad() { awk -v p="$LAST_PCT" 'BEGIN { exit !(p > 0.1) }'; }

best=0 worst=0
for rate in $RATES; do
	step "$rate"
	if bad; then worst=$rate; break; fi
	best=$rate
done
# bisection between the last good and the first bad rate
i=0
while [ "$worst" -gt 0 ] && [ $i -lt "$BISECT" ] && [ $((worst - best)) -gt 50 ]; do
	# a failed step leaves stuck calls and lingering transactions behind:
	# bisect on a fresh element
	bench_cleanup
	start_element || exit 1
	mid=$(( (best + worst) / 2 / 25 * 25 ))
	step "$mid"
	if bad; then worst=$mid; else best=$mid; fi
	i=$((i + 1))
done
echo "$EL,$best" >> "$RES/best.csv"
echo "  $EL: best $best calls/s with <= 0.1% failed"

# perf profile of the b2bua at its best rate
if [ "${PROFILE:-0}" = 1 ] && [ "$EL" = b2bua ] && [ "$best" -gt 0 ] && command -v perf >/dev/null; then
	sleep 5
	n=$((best * 14))
	# (timeout: SIPp's own -timeout does not always end it when calls hang)
	timeout 40 sipp -sn uac -i $UAC_IP -p $UAC_PORT -s 1000 $EL_IP:$EL_PORT -r "$best" -m $n -nostdin \
		-default_behaviors all,-abortunexp -timeout 30s >"$D/profile-sipp.log" 2>&1 &
	sp=$!; BPIDS="$BPIDS $sp"
	sleep 2
	perf record -q -g -o "$D/perf.data" -p "$EL_PID" -- sleep 10 >/dev/null 2>&1
	wait $sp 2>/dev/null
	{
		echo "# perf record -g -p b2bua for 10 s at $best calls/s"
		echo "## by thread"
		perf report -i "$D/perf.data" --stdio --no-children --sort pid -g none 2>/dev/null | grep -E '^ +[0-9]' | head -8
		echo "## by shared object"
		perf report -i "$D/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -10
		echo "## self time by symbol"
		perf report -i "$D/perf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -30
		echo "## inclusive (children) by symbol"
		perf report -i "$D/perf.data" --stdio --children --sort dso,sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -45
	} > "$RES/b2bua-profile.txt"
	echo "  profile: $RES/b2bua-profile.txt"
fi

# Memory per established call: hold HOLD_CALLS calls, read RSS/PSS.
if [ "${SKIP_MEM:-0}" = 0 ]; then
	# on a fresh element: the ramp's lingering transactions and the pools
	# it already touched would hide the per-call cost
	bench_cleanup
	start_element || exit 1
	sleep "${HOLD_SETTLE_S:-3}"
	m0=$(el_pss); r0=$(rss_kb "$EL_PID")
	hold_rate=500
	[ "$best" -gt 0 ] && [ "$best" -lt 1000 ] && hold_rate=$((best / 2 < 50 ? 50 : best / 2))
	sipp -sn uac -i $UAC_IP -p $UAC_PORT -s 1000 $EL_IP:$EL_PORT -r $hold_rate -m "$HOLD_CALLS" \
		-d 600000 -l $((HOLD_CALLS + 10)) -nostdin -max_socket 20000 -default_behaviors all,-abortunexp \
		-trace_stat -stf "$D/hold.csv" -fd 1 >"$D/hold.log" 2>&1 &
	hp=$!; BPIDS="$BPIDS $hp"
	sleep $((HOLD_CALLS / hold_rate + 5))
	# established calls = SIPp's current calls (field 14)
	est=$(tail -n 1 "$D/hold.csv" 2>/dev/null | awk -F';' '{print $14}')
	sleep 1
	m1=$(el_pss); r1=$(rss_kb "$EL_PID")
	est=${est:-0}
	[ "$est" -gt 0 ] || est=1
	per=$(echo "$m0 $m1 $est" | awk '{printf "%.1f", ($2-$1)/$3}')
	per_main=$(echo "$r0 $r1 $est" | awk '{printf "%.1f", ($2-$1)/$3}')
	[ -f "$RES/memory.csv" ] || echo "element,calls,pss_before_kb,pss_after_kb,kb_per_call,main_rss_before_kb,main_rss_after_kb,main_kb_per_call" > "$RES/memory.csv"
	echo "$EL,$est,$m0,$m1,$per,$r0,$r1,$per_main" >> "$RES/memory.csv"
	echo "  $EL: $est held calls, PSS (all processes) $m0 -> $m1 kB = $per kB/call; main process VmRSS $r0 -> $r1 kB = $per_main kB/call"
fi
