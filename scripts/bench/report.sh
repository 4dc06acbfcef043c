#!/bin/bash
# report.sh - the table on stdout and in bench/results/summary.txt, and the
# chart bench/results/signalling.png (offered call rate vs failed calls, us
# and the peers), from the CSVs the other scripts wrote.
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
		printf '  %-26s %8s %8s %8s %6s %8s %10s %12s\n' element calls/s p50_ms p99_ms cpu% sip_cpu% kB/call "b2bua/this"
		ours=$(awk -F, '$1=="b2bua"{v=$2} END{print v+0}' "$RES/best.csv")
		while IFS=, read -r el best; do
			row=$(grep "^$el,$best," "$RES/signalling.csv" | tail -1)
			IFS=, read -r _ _ _ _ _ p50 p99 cpu scpu <<<"$row"
			mem=$(awk -F, -v e="$el" '$1==e {v=$5} END {print v}' "$RES/memory.csv" 2>/dev/null)
			ratio=$(awk -v a="$ours" -v b="$best" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else print "-" }')
			[ "$el" = b2bua ] && ratio="-"
			printf '  %-26s %8s %8s %8s %6s %8s %10s %12s\n' "$el" "$best" "${p50:-NA}" "${p99:-NA}" "${cpu:-NA}" "${scpu:-NA}" "${mem:-NA}" "$ratio"
		done < "$RES/best.csv"
		echo "  (b2bua/this: b2bua's calls/s divided by the element's; cpu%: element incl. relay, sip_cpu%: b2bua or Kamailio alone)"
	fi
	if [ -f "$RES/memory.csv" ]; then
		echo
		echo "Memory per established call (PSS of all the element's processes incl. relay; main process VmRSS):"
		tail -n +2 "$RES/memory.csv" | awk -F, '{printf "  %-26s %6d calls  PSS %7d -> %7d kB = %6.1f kB/call   main VmRSS %7d -> %7d kB = %6.1f kB/call\n", $1, $2, $3, $4, $5, $6, $7, $8}'
	fi
	[ -f "$RES/b2bua-profile.txt" ] && { echo; echo "b2bua profile at its best rate (perf, self time, top entries):";
		sed -n '/^## by thread/,/^## self time/p' "$RES/b2bua-profile.txt" | grep -v '^## self'
		sed -n '/^## self time/,/^## inclusive/p' "$RES/b2bua-profile.txt" | grep -v '^## incl' | head -16; }
	[ -f "$RES/media.txt" ] && { echo; cat "$RES/media.txt"; }
	[ -f "$RES/cdr.txt" ] && { echo; cat "$RES/cdr.txt"; }
	echo
	echo "All steps: $RES/signalling.csv, media.csv, cdr.csv, memory.csv"
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
