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
. "$(dirname "$0")/element.sh"

start_element || exit 1

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
