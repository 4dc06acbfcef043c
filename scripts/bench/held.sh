#!/bin/bash
# held.sh ELEMENT - the held-calls sweep: for each level of HELD_LEVELS, a
# fresh ELEMENT (element.sh: b2bua + media-relay, kamailio-topos, ...), a
# second SIPp uac (HOLD_PORT) that sets up LEVEL long calls and keeps them
# (no BYE within the run), then with the calls held:
#   - memory: PSS of all the element's processes (relay included), of the
#     SIP part alone and of the relay alone, and the main process's VmRSS;
#   - idle CPU: utime+stime of the element over HELD_IDLE_S with no new
#     calls, in ms of CPU per second (10 ms/s = 1% of one core);
#   - the call rate still reachable: sig.sh's steps (element.sh step()) with
#     short calls over HELD_RATES, then HELD_BISECT bisection steps, all on
#     the same element with the calls still held (no fresh element between
#     steps: that would drop the held calls), so a failed step's leftovers
#     can lower the next ones;
#   - how many of the held calls survived the ramp.
# A level the machine cannot reach is run at what it can and says why: the
# relays open 4 sockets per call (RTP and RTCP each side) from 25,001 ports
# (40000-65000) and under the fd limit (ulimit -n, raised to ulimit -Hn by
# lib.sh); SIPp's uac and uas use one UDP socket each (-t u1), Kamailio and
# the b2bua one per listen address.
# Appends to bench/results/held.csv:
#   element,level,held,pss_kb,sip_pss_kb,relay_pss_kb,main_rss_kb,base_pss_kb,
#   idle_cpu_ms_s,idle_sip_cpu_ms_s,rate_ok,held_after,note
# and every step to held_steps.csv (signalling.csv's columns, element named
# ELEMENT@LEVEL).
# Env: HELD_LEVELS, HELD_RATES, HELD_STEP_S, HELD_BISECT, HELD_IDLE_S,
# HELD_RATE (calls/s while setting up the held calls), HOLD_PORT.
set -u
. "$(dirname "$0")/lib.sh"
EL=$1
HELD_LEVELS=${HELD_LEVELS:-"1000 10000 30000"}
HELD_RATES=${HELD_RATES:-"200 500 800 1100 1400 1800 2400"}
HELD_BISECT=${HELD_BISECT:-1}
HELD_IDLE_S=${HELD_IDLE_S:-10}
HELD_RATE=${HELD_RATE:-500}
HOLD_PORT=${HOLD_PORT:-5161}   # the holding uac; the steps' uac is on UAC_PORT
STEP_S=${HELD_STEP_S:-5}
# rtpengine keeps a deleted call's sockets for --delete-delay (30 s by
# default): beside thousands of held calls the ramp's short calls would run
# it out of fds within seconds; ours frees them at delete.
export RTPENGINE_OPTS=${RTPENGINE_OPTS:---delete-delay=0}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
D=$WORK/held-$EL
rm -rf "$D"; mkdir -p "$D" "$RES"
CSV=$RES/held_steps.csv
[ -f "$CSV" ] || echo "element,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct,sip_cpu_pct" > "$CSV"
[ -f "$RES/held.csv" ] || echo "element,level,held,pss_kb,sip_pss_kb,relay_pss_kb,main_rss_kb,base_pss_kb,idle_cpu_ms_s,idle_sip_cpu_ms_s,rate_ok,held_after,note" > "$RES/held.csv"
. "$(dirname "$0")/element.sh"

# The most calls the element can hold here, and why ("" when unbounded).
CAP=1000000000 WHY=""
case $EL in
b2bua|b2bua-rtpengine|kamailio-topos-rtpengine)
	fdcap=$(( ($(ulimit -n) - 200) / 4 ))
	portcap=$(( 25001 / 4 ))
	# room for the ramp's short calls beside the held ones
	if [ "$fdcap" -lt "$portcap" ]; then
		CAP=$((fdcap - 250)) WHY="relay fd limit: 4 sockets per call, ulimit -n $(ulimit -n) (hard $(ulimit -Hn))"
	else
		CAP=$((portcap - 250)) WHY="relay ports: 4 per call from 40000-65000"
	fi ;;
esac

pss_of() {  # PSS (kB) of the given PIDs
	local t=0 p v
	for p in "$@"; do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}

# sipp_current: the holding uac's current calls (stat file field 14).
sipp_current() { tail -n 1 "$D/hold.csv" 2>/dev/null | awk -F';' '{v = $14} END {print v + 0}'; }
sipp_failed() { tail -n 1 "$D/hold.csv" 2>/dev/null | awk -F';' '{v = $18} END {print v + 0}'; }
sipp_created() { tail -n 1 "$D/hold.csv" 2>/dev/null | awk -F';' '{v = $13} END {print v + 0}'; }

prev=""
for want in $HELD_LEVELS; do
	level=$want note=""
	if [ "$level" -gt "$CAP" ]; then
		level=$CAP note="$want wanted, $CAP reachable: $WHY"
		echo "  $EL: $note"
	fi
	if [ "$level" = "$prev" ]; then
		echo "$EL,$want,0,0,0,0,0,0,0,0,0,0,not run: ${WHY//,/;}" >> "$RES/held.csv"
		continue
	fi
	prev=$level
	bench_cleanup
	start_element || exit 1
	sleep 2
	base=$(el_pss)
	rm -f "$D/hold.csv"
	# -d: one hour; the calls end when the run kills SIPp and the element
	(cd "$D" && exec sipp -sn uac -i $UAC_IP -p "$HOLD_PORT" -s 1000 $EL_IP:$EL_PORT -r "$HELD_RATE" -m "$level" \
		-d 3600000 -l $((level + 10)) -nostdin -default_behaviors all,-abortunexp \
		-trace_stat -stf "$D/hold.csv" -fd 1 -timeout 7200s >"$D/hold-$level.log" 2>&1) &
	hp=$!; BPIDS="$BPIDS $hp"
	# until every call is placed and answered (or failed), or no progress for 15 s
	t_end=$(( $(date +%s) + level / HELD_RATE + 120 )) last=-1 still=0
	while [ "$(date +%s)" -lt "$t_end" ]; do
		sleep 1
		kill -0 "$hp" 2>/dev/null || { note="${note:+$note; }SIPp holder exited: $(tail -2 "$D/hold-$level.log" | tr '\n,' '  ')"; break; }
		cur=$(sipp_current) fl=$(sipp_failed) cr=$(sipp_created)
		[ "$cr" -ge "$level" ] && [ $((cur + fl)) -ge "$level" ] && { sleep 3; break; }
		if [ "$cur" = "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$cur
		[ $still -ge 15 ] && { note="${note:+$note; }setup stalled at $cur calls"; break; }
	done
	held=$(sipp_current) fl=$(sipp_failed)
	[ "$fl" -gt 0 ] && note="${note:+$note; }$fl calls failed while setting up (logs: $D)"
	sleep 2
	pss=$(el_pss)
	sip_pss=$(pss_of $(pid_tree "$EL_PID"))
	relay_pss=0
	[ -n "$RELAY_PID" ] && relay_pss=$(pss_of "$RELAY_PID")
	rss=$(rss_kb "$EL_PID")
	# idle: calls held, nothing new
	read -r c0 s0 < <(el_cpu); t0=$(date +%s.%N)
	sleep "$HELD_IDLE_S"
	read -r c1 s1 < <(el_cpu); t1=$(date +%s.%N)
	idle=$(echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.1f", ($2-$1)/$5/($4-$3)*1000}')
	idle_sip=$(echo "$s0 $s1 $t0 $t1 $hz" | awk '{printf "%.1f", ($2-$1)/$5/($4-$3)*1000}')
	printf '  %-24s %6d held: PSS %7d kB (sip %d, relay %d; %d before), main VmRSS %d kB, idle cpu %s ms/s (sip %s)\n' \
		"$EL" "$held" "$pss" "$sip_pss" "$relay_pss" "$base" "$rss" "$idle" "$idle_sip"
	# the rate still reachable with the calls held
	STEP_LABEL="$EL@$level"
	best=0 worst=0
	for rate in $HELD_RATES; do
		step "$rate"
		if bad; then worst=$rate; break; fi
		best=$rate
	done
	i=0
	while [ "$worst" -gt 0 ] && [ $i -lt "$HELD_BISECT" ] && [ $((worst - best)) -gt 50 ]; do
		mid=$(( (best + worst) / 2 / 25 * 25 ))
		step "$mid"
		if bad; then worst=$mid; else best=$mid; fi
		i=$((i + 1))
	done
	sleep 1
	after=$(sipp_current)
	kill -0 "$hp" 2>/dev/null || after=0
	[ "$after" -lt "$held" ] && note="${note:+$note; }$((held - after)) held calls lost during the ramp"
	# a relay out of fds: the cap above was not enough room for the ramp
	emf=$(cat "$D"/*.log 2>/dev/null | grep -ci 'too many open files')
	[ "$emf" -gt 0 ] && note="${note:+$note; }out of fds in the ramp ($emf log lines: $D)"
	# Kamailio's topos on SQLite: with two workers, writes fail with
	# "database is locked" (no busy timeout in db_sqlite 5.6), the dialog is
	# then not stored and the element did less than its job
	lk=$(cat "$D"/kamailio.log 2>/dev/null | grep -c 'database is locked')
	[ "$lk" -gt 0 ] && note="${note:+$note; }topos storage failed: $lk 'database is locked' log lines"
	echo "  $EL with $held calls held: best $best calls/s with <= 0.1% failed; $after calls still held${note:+ ($note)}"
	echo "$EL,$want,$held,$pss,$sip_pss,$relay_pss,$rss,$base,$idle,$idle_sip,$best,$after,${note//,/;}" >> "$RES/held.csv"
done
