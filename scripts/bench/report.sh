#!/bin/bash
# report.sh - the table on stdout and in bench/results/summary.txt, and the
# charts bench/results/signalling.png (offered call rate vs failed calls, us
# and the peers), held_calls.png (memory, idle CPU and reachable call rate
# against calls held) and relay_sweep.png (pps per core and p99 added
# latency against streams), from the CSVs the other scripts wrote.
set -u
. "$(dirname "$0")/lib.sh"
S=$RES/summary.txt
{
	echo "Benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)${BENCH_QUICK:+, BENCH_QUICK=$BENCH_QUICK}"
	echo "All traffic on loopback; SIPp, load generators and elements share the same $(nproc) cores."
	echo
	if [ -f "$RES/best.csv" ]; then
		echo "Signalling: short calls (INVITE/180/200/ACK/BYE, no hold), highest offered rate with <= 0.1% failed calls"
		echo "  (p50/p99: INVITE-to-200 response time from SIPp's rtd at that rate, SIPp's clock ticks in 4 ms steps here, so 0 = under 4 ms;"
		echo "   cpu: all the element's processes incl. its relay, % of one core; mem: per established call, fresh element)"
		printf '  %-26s %8s %8s %8s %6s %8s %10s %12s %10s %12s\n' element calls/s p50_ms p99_ms cpu% sip_cpu% kB/call "b2bua/this" calls/core "per core"
		ours=$(awk -F, '$1=="b2bua"{v=$2} END{print v+0}' "$RES/best.csv")
		ours_cpu=$(grep "^b2bua,$ours," "$RES/signalling.csv" 2>/dev/null | tail -1 | cut -d, -f8)
		ours_pc=$(awk -v r="$ours" -v c="${ours_cpu:-0}" 'BEGIN { if (c > 0) printf "%.0f", r * 100 / c; else print 0 }')
		while IFS=, read -r el best; do
			row=$(grep "^$el,$best," "$RES/signalling.csv" | tail -1)
			IFS=, read -r _ _ _ _ _ p50 p99 cpu scpu <<<"$row"
			mem=$(awk -F, -v e="$el" '$1==e {v=$5} END {print v}' "$RES/memory.csv" 2>/dev/null)
			ratio=$(awk -v a="$ours" -v b="$best" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }')
			pc=$(awk -v r="$best" -v c="${cpu:-0}" 'BEGIN { if (c > 0) printf "%.0f", r * 100 / c; else print "-" }')
			pratio=$(awk -v a="$ours_pc" -v b="$pc" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }')
			[ "$el" = b2bua ] && ratio="-" && pratio="-"
			printf '  %-26s %8s %8s %8s %6s %8s %10s %12s %10s %12s\n' "$el" "$best" "${p50:-NA}" "${p99:-NA}" "${cpu:-NA}" "${scpu:-NA}" "${mem:-NA}" "$ratio" "$pc" "$pratio"
		done < "$RES/best.csv"
		echo "  (b2bua/this: b2bua's calls/s divided by the element's; cpu%: element incl. relay, sip_cpu%: b2bua or Kamailio alone;"
		echo "   calls/core: calls/s per core of the element's CPU at its best rate; per core: b2bua's calls/core divided by the element's)"
	fi
	if [ -f "$RES/memory.csv" ]; then
		echo
		echo "Memory per established call (PSS of all the element's processes incl. relay; main process VmRSS):"
		tail -n +2 "$RES/memory.csv" | awk -F, '{printf "  %-26s %6d calls  PSS %7d -> %7d kB = %6.1f kB/call   main VmRSS %7d -> %7d kB = %6.1f kB/call\n", $1, $2, $3, $4, $5, $6, $7, $8}'
	fi
	[ -f "$RES/b2bua-profile.txt" ] && { echo; echo "b2bua profile at its best rate (perf, self time, top entries):";
		sed -n '/^## by thread/,/^## self time/p' "$RES/b2bua-profile.txt" | grep -v '^## self'
		sed -n '/^## self time/,/^## inclusive/p' "$RES/b2bua-profile.txt" | grep -v '^## incl' | head -16; }
	if [ -f "$RES/held.csv" ]; then
		echo
		echo "Held calls: long calls set up and kept, then measured with no new calls (memory, idle CPU) and"
		echo "  under a short-call ramp beside them (calls/s: highest step with <= 0.1% failed, held calls kept)"
		echo "  (PSS: all the element's processes incl. relay; kB/call: PSS growth over the fresh element / held calls;"
		echo "   RSS: main process (b2bua; Kamailio's first process); idle: CPU of the element with the calls held, ms per s = 0.1% of a core)"
		printf '  %-26s %6s %6s %8s %8s %8s %8s %8s %9s %8s %8s\n' element wanted held PSS_MB sip_MB relay_MB RSS_MB kB/call idle_ms/s calls/s kept
		# by level, the elements side by side (a stable sort keeps their order)
		tail -n +2 "$RES/held.csv" | sort -t, -k2,2n -s | awk -F, '{
			per = $3 > 0 ? ($4 - $8) / $3 : 0
			if ($3 == 0) printf "  %-26s %6d %6s  %s\n", $1, $2, "-", $13
			else printf "  %-26s %6d %6d %8.1f %8.1f %8.1f %8.1f %8.1f %9.1f %8d %8d\n", $1, $2, $3, $4 / 1024, $5 / 1024, $6 / 1024, $7 / 1024, per, $9, $11, $12 }'
		tail -n +2 "$RES/held.csv" | awk -F, '$3 > 0 && $13 != "" { printf "  note %s %d: %s\n", $1, $2, $13 }'
	fi
	[ -f "$RES/media.txt" ] && { echo; cat "$RES/media.txt"; }
	if [ -f "$RES/media.csv" ] && head -1 "$RES/media.csv" | grep -q lat_p99_us; then
		echo
		echo "Relay sweep: every step (G.711 calls, one stream each way, 100 pps per call relayed; added latency per packet:"
		echo "  generator's send stamp to the kernel's arrival time at the receiving socket, both ways; SRTP -> RTP rows:"
		echo "  every A -> B packet, 1 in 64 B -> A; a step is 'ok' with <= 0.1% loss and >= 95% of the offered rate)"
		printf '  %-12s %-5s %8s %10s %8s %10s %12s %8s %8s %9s %4s
' relay mode streams pps_relayed loss% relay_cpu% pps_per_core p50_us p99_us max_us ok
		# 99999: rtp_load's last histogram bucket, 100 ms or more
		tail -n +2 "$RES/media.csv" | awk -F, '{
			if ($13 >= 99999) $13 = ">100ms"; if ($14 >= 99999) $14 = ">100ms"
			printf "  %-12s %-5s %8s %10d %8.3f %10d %12d %8s %8s %9s %4s%s\n", $1, $2, $3, $5, $6, $7, $8, $13, $14, $17, $12 == 1 ? "yes" : "no",
				($18 != "" && $18 != $3) ? "  (" $18 " wanted: fd/port limit)" : "" }'
		[ -f "$RES/media_floor.csv" ] && tail -n +2 "$RES/media_floor.csv" | awk -F, '
			{ f = f sprintf("%s%d streams p50 %d p99 %d us", NR > 1 ? "; " : "", $1, $2, $3) }
			END { if (f != "") print "  generator floor (A -> B straight to B, no relay): " f }'
	fi
	[ -f "$RES/cdr.txt" ] && { echo; cat "$RES/cdr.txt"; }
	echo
	echo "All steps: $RES/signalling.csv, held.csv, held_steps.csv, media.csv, cdr.csv, memory.csv"
} | tee "$S"

if command -v gnuplot >/dev/null && [ -f "$RES/signalling.csv" ]; then
	plots=""
	for el in $(tail -n +2 "$RES/signalling.csv" | cut -d, -f1 | awk '!s[$0]++'); do
		# a step with 0% failed is drawn at the floor of the log scale
		grep "^$el," "$RES/signalling.csv" | sort -t, -k2 -n | awk -F, '{v = $5 + 0; if (v < 0.01) v = 0.01; print $2, v}' > "$WORK/plot-$el.dat"
		plots="$plots${plots:+, }'$WORK/plot-$el.dat' using 1:2 with linespoints lw 2 title '$el'"
	done
	gnuplot <<EOG
set terminal png size 1000,560
set output '$RES/signalling.png'
set title 'Offered call rate against failed calls (SIPp uac -> element -> SIPp uas, loopback, $(nproc) cores)'
set xlabel 'offered calls per second'
set ylabel 'failed calls (%), 0 drawn at 0.01'
set logscale y
set yrange [0.008:100]
set grid
set key top left
set arrow from graph 0, first 0.1 to graph 1, first 0.1 nohead dt 2 lc rgb 'red'
set label '0.1%' at graph 0.01, first 0.13 tc rgb 'red'
plot $plots
EOG
	echo "chart: $RES/signalling.png"
fi

if command -v gnuplot >/dev/null && [ -f "$RES/held.csv" ]; then
	mem="" idle="" rate=""
	for el in $(tail -n +2 "$RES/held.csv" | cut -d, -f1 | awk '!s[$0]++'); do
		awk -F, -v e="$el" '$1 == e && $3 > 0 {print $3, $4 / 1024, $9, $11}' "$RES/held.csv" | sort -n > "$WORK/held-$el.dat"
		mem="$mem${mem:+, }'$WORK/held-$el.dat' using 1:2 with linespoints lw 2 title '$el'"
		idle="$idle${idle:+, }'$WORK/held-$el.dat' using 1:3 with linespoints lw 2 title '$el'"
		rate="$rate${rate:+, }'$WORK/held-$el.dat' using 1:4 with linespoints lw 2 title '$el'"
	done
	gnuplot <<EOG
set terminal png size 1500,500
set output '$RES/held_calls.png'
set multiplot layout 1,3 title 'Calls held (SIPp uac -> element -> SIPp uas, loopback, $(nproc) cores)'
set grid
set key top left
set xlabel 'calls held'
set logscale x
set ylabel 'PSS of the element incl. relay (MB)'
set title 'memory'
plot $mem
set ylabel 'CPU with the calls held, no new calls (ms/s)'
set title 'idle CPU'
plot $idle
set ylabel 'short calls/s with <= 0.1% failed'
set title 'call rate still reachable'
set key bottom right
set yrange [0:*]
plot $rate
unset multiplot
EOG
	echo "chart: $RES/held_calls.png"
fi

if command -v gnuplot >/dev/null && [ -f "$RES/media.csv" ] && head -1 "$RES/media.csv" | grep -q lat_p99_us; then
	pps="" lat="" floor=""
	[ -s "$RES/media_floor.csv" ] && { tail -n +2 "$RES/media_floor.csv" | tr , ' ' > "$WORK/sweep-floor.dat"
		floor=", '$WORK/sweep-floor.dat' using 1:3 with linespoints dt 2 lc rgb 'gray' title 'generator floor (no relay)'"; }
	for s in $(tail -n +2 "$RES/media.csv" | cut -d, -f1,2 | awk '!s[$0]++'); do
		f=$WORK/sweep-${s/,/-}.dat
		awk -F, -v k="$s" '$1 "," $2 == k && $14 >= 0 {print $3, $8, $14, $12}' "$RES/media.csv" | sort -n > "$f"
		pps="$pps${pps:+, }'$f' using 1:2 with linespoints lw 2 title '${s/,/ }'"
		lat="$lat${lat:+, }'$f' using 1:3 with linespoints lw 2 title '${s/,/ }'"
	done
	gnuplot <<EOG
set terminal png size 1200,500
set output '$RES/relay_sweep.png'
set multiplot layout 1,2 title 'Relay sweep (G.711 calls, 100 pps relayed per call, loopback, $(nproc) cores)'
set grid
set key top left
set xlabel 'streams (calls, one stream each way)'
set logscale x
set ylabel 'relayed packets/s per core of relay CPU'
set title 'pps per core'
set yrange [0:*]
plot $pps
set ylabel 'p99 added latency per packet (us)'
set title 'p99 latency'
set logscale y
set yrange [*:*]
plot $lat$floor
unset multiplot
EOG
	echo "chart: $RES/relay_sweep.png"
fi
