#!/bin/bash
# report.sh - the table on stdout and bench/results/summary.txt, and the
# chart bench/results/signalling.png (call rate vs failure rate).
set -u
. "$(dirname "$0")/lib.sh"
S=$RES/summary.txt
{
	echo "Benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
	echo
	echo "Signalling (highest rate with <= 0.1% failed calls):"
	printf '  %-18s %10s %10s %10s %8s\n' element calls/s p50_ms p99_ms cpu%
	if [ -f "$RES/best.csv" ]; then
		while IFS=, read -r el best; do
			row=$(grep "^$el,$best," "$RES/signalling.csv" | tail -1)
			IFS=, read -r _ _ _ _ _ p50 p99 cpu <<<"$row"
			printf '  %-18s %10s %10s %10s %8s\n' "$el" "$best" "${p50:-NA}" "${p99:-NA}" "${cpu:-NA}"
		done < "$RES/best.csv"
		ours=$(awk -F, '$1=="b2bua"{v=$2} END{print v+0}' "$RES/best.csv")
		for peer in kamailio kamailio-topos; do
			theirs=$(awk -F, -v p=$peer '$1==p{v=$2} END{print v+0}' "$RES/best.csv")
			[ "$theirs" -gt 0 ] && echo "  b2bua / $peer: $(awk -v a=$ours -v b=$theirs 'BEGIN{printf "%.2f", a/b}')"
		done
	fi
	if [ -f "$RES/memory.csv" ]; then
		echo
		echo "Memory per established call:"
		tail -n +2 "$RES/memory.csv" | awk -F, '{printf "  %-18s %6d calls  %8.1f kB/call\n", $1, $2, $5}'
	fi
	[ -f "$RES/media.txt" ] && { echo; cat "$RES/media.txt"; }
	[ -f "$RES/cdr.txt" ] && { echo; cat "$RES/cdr.txt"; }
} | tee "$S"

if command -v gnuplot >/dev/null && [ -f "$RES/signalling.csv" ]; then
	plots=""
	for el in $(tail -n +2 "$RES/signalling.csv" | cut -d, -f1 | sort -u); do
		grep "^$el," "$RES/signalling.csv" | awk -F, '{v = $5 + 0; if (v < 0.01) v = 0.01; print $2, v}' > "$WORK/plot-$el.dat"  # 0% drawn at the floor
		plots="$plots${plots:+, }'$WORK/plot-$el.dat' using 1:2 with linespoints title '$el'"
	done
	gnuplot <<EOG
set terminal png size 900,500
set output '$RES/signalling.png'
set title 'Call rate against failed calls (SIPp uac -> element -> SIPp uas, loopback)'
set xlabel 'offered calls per second'
set ylabel 'failed calls (%)'
set logscale y
set yrange [0.01:100]
set grid
plot $plots
EOG
	echo "chart: $RES/signalling.png"
fi
