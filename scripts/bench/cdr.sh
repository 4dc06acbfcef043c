#!/bin/bash
# cdr.sh - b2bua-ctl cdr on a production-sized table: a 1,000,000-row CDR
# database from scripts/gen_cdrs.sh (cached as bench/cache/cdrs-ROWS.db
# between runs), then the median wall time of CDR_RUNS runs of each query.
# Writes bench/results/cdr.csv and cdr.txt.
set -u
. "$(dirname "$0")/lib.sh"
ROWS=${CDR_ROWS:-1000000}
RUNS=${CDR_RUNS:-7}
CACHE=$ROOT/bench/cache
DB=$CACHE/cdrs-$ROWS.db
CTL=$ROOT/$BUILD/b2bua-ctl
mkdir -p "$CACHE" "$RES"
echo "== CDR queries: b2bua-ctl cdr on $ROWS rows, median of $RUNS runs"
if [ ! -s "$DB" ] || [ "$(sqlite3 "$DB" 'SELECT count(*) FROM cdrs' 2>/dev/null)" != "$ROWS" ]; then
	rm -f "$DB" "$DB"-*
	t0=$(date +%s.%N)
	"$ROOT/scripts/gen_cdrs.sh" "$DB.tmp" "$ROWS" >/dev/null || { echo "cdr: gen_cdrs.sh failed"; exit 1; }
	mv "$DB.tmp" "$DB"
	echo "  generated $DB in $(echo "$t0 $(date +%s.%N)" | awk '{printf "%.1f", $2-$1}') s"
fi
# Numbers that exist: a caller and a callee from the middle of the table.
caller=$(sqlite3 "$DB" "SELECT caller FROM cdrs WHERE id = $((ROWS / 2))")
callee=$(sqlite3 "$DB" "SELECT callee FROM cdrs WHERE id = $((ROWS / 3))")
prefix=${callee:0:9}

# median_ms CMD...: runs CMD RUNS times (output discarded), median wall ms.
median_ms() {
	local i t0 t1
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || echo "cdr: '$*' failed" >&2
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1000}'
}

echo "query,rows_out,median_ms" > "$RES/cdr.csv"
{
	echo "CDR queries (b2bua-ctl cdr, $ROWS-row table, median of $RUNS runs, warm cache):"
	for q in "--number $caller" "--number $callee" "--number $callee --limit 0" "--number $prefix*" \
		"--trunk carrier-b --from 2d --limit 50" "--disposition busy --limit 0 --from 7d" "summary --by trunk --from 1d"; do
		# shellcheck disable=SC2086
		set -f; args=($q); set +f
		if [ "${args[0]}" = summary ]; then cmd=("$CTL" -d "$DB" cdr summary "${args[@]:1}" --format csv)
		else cmd=("$CTL" -d "$DB" cdr "${args[@]}" --format csv); fi
		n=$("${cmd[@]}" 2>/dev/null | tail -n +2 | wc -l)
		ms=$(median_ms "${cmd[@]}")
		echo "\"cdr $q\",$n,$ms" >> "$RES/cdr.csv"
		printf '  %-48s %6s rows %9s ms\n' "cdr $q" "$n" "$ms"
	done
} | tee "$RES/cdr.txt"
