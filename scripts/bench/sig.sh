#!/bin/bash
# sig.sh ELEMENT "RATES" STEP_S - steps SIPp's call rate through ELEMENT
# (b2bua, b2bua-rtpengine, kamailio, kamailio-topos) until more than 0.1%
# of calls fail; appends rows to bench/results/signalling.csv:
#   element,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct
# then holds HOLD_CALLS long calls and appends RSS per call to memory.csv.
set -u
. "$(dirname "$0")/lib.sh"
EL=$1 RATES=$2 STEP_S=$3
HOLD_CALLS=${HOLD_CALLS:-10000}
trap bench_cleanup EXIT
D=$WORK/$EL
rm -rf "$D"; mkdir -p "$D"
CSV=$RES/signalling.csv
[ -f "$CSV" ] || echo "element,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct" > "$CSV"

start_uas() {  # PORT
	sipp -sn uas -i 127.0.0.3 -p "$1" -nostdin -max_socket 10000 >"$D/uas.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_udp "$1"
}

start_b2bua() {  # RELAY(ours|rtpengine)
	sqlite3 "$D/b2bua.db" < sql/schema.sql
	sqlite3 "$D/b2bua.db" < test/fixtures/policy.sql
	if [ "$1" = rtpengine ]; then
		rtpengine --foreground --log-stderr --table=-1 --interface=127.0.0.1 \
			--listen-ng=127.0.0.1:2299 --port-min=40000 --port-max=59999 --log-level=3 \
			--pidfile="$D/rtpengine.pid" >"$D/relay.log" 2>&1 &
	else
		printf '[relay]\nng = 127.0.0.1:2299\ninterface = 127.0.0.1\nports = 40000-59999\n[log]\nlevel = warn\n' > "$D/relay.conf"
		"$ROOT/$BUILD/media-relay" -c "$D/relay.conf" -f >"$D/relay.log" 2>&1 &
	fi
	RELAY_PID=$!
	BPIDS="$BPIDS $RELAY_PID"
	wait_udp 2299 || { echo "relay did not start"; return 1; }
	cat > "$D/b2bua.conf" <<EOC
[sip]
listen = udp:127.0.0.1:5070
rate_limit = 0
[db]
path = $D/b2bua.db
[relay]
ng = 127.0.0.1:2299
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
	wait_udp 5070
}

start_kamailio() {  # topos?
	local cfg=$D/kamailio.cfg args=""
	sed "s#sqlite:///TOPOS_DB#sqlite:///$D/topos.db#; s#127.0.0.3:5090#127.0.0.3:5080#g" \
		"$ROOT/../shared/peers/kamailio-proxy.cfg" > "$cfg"
	if [ "$1" = topos ]; then
		cat /usr/share/kamailio/db_sqlite/standard-create.sql \
			/usr/share/kamailio/db_sqlite/topos-create.sql | sqlite3 "$D/topos.db"
		args="-A WITH_TOPOS"
	fi
	kamailio -f "$cfg" -m 1024 -M 64 -P "$D/kamailio.pid" -w "$D" -E -D $args >"$D/kamailio.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_udp 5070 || { echo "kamailio did not start: $(tail -3 "$D/kamailio.log")"; return 1; }
	EL_PID=""
}

el_cpu() {  # total ticks of the element's processes
	local t=0 p
	for p in $(el_pids); do t=$((t + $(cpu_ticks "$p"))); done
	echo $t
}
el_rss() {
	local t=0 p
	for p in $(el_pids); do t=$((t + $(rss_kb "$p"))); done
	echo $t
}
el_pids() {
	case "$EL" in
	kamailio*) pgrep -f "kamailio -f $D" ;;
	*) echo "$EL_PID $RELAY_PID" ;;
	esac
}

case "$EL" in
b2bua) start_b2bua ours ;;
b2bua-rtpengine) start_b2bua rtpengine ;;
kamailio) start_kamailio plain ;;
kamailio-topos) start_kamailio topos ;;
*) echo "unknown element $EL"; exit 1 ;;
esac || exit 1
start_uas 5080 || exit 1

hz=$(getconf CLK_TCK)
best=0
for rate in $RATES; do
	c0=$(el_cpu); t0=$(date +%s.%N)
	read -r r ok failed p50 p99 < <(sipp_step 127.0.0.1:5070 "$rate" "$STEP_S" "$EL")
	c1=$(el_cpu); t1=$(date +%s.%N)
	cpu=$(echo "$c0 $c1 $t0 $t1 $hz" | awk '{printf "%.0f", ($2-$1)/$5/($4-$3)*100}')
	total=$((ok + failed))
	pct=$(echo "$failed $total" | awk '{ if ($2 == 0) print 100; else printf "%.3f", $1*100/$2 }')
	echo "$EL,$rate,$ok,$failed,$pct,$p50,$p99,$cpu" >> "$CSV"
	printf '  %-16s %5d cps: %6d ok %5d failed (%s%%) p50 %s ms p99 %s ms cpu %s%%\n' "$EL" "$rate" "$ok" "$failed" "$pct" "$p50" "$p99" "$cpu"
	if awk -v p="$pct" 'BEGIN { exit !(p > 0.1) }'; then break; fi
	best=$rate
	sleep 2
done
echo "$EL,$best" >> "$RES/best.csv"

# Memory per established call: hold HOLD_CALLS calls, read RSS.
if [ "${SKIP_MEM:-0}" = 0 ]; then
	sleep 3
	m0=$(el_rss)
	(cd "$WORK" && sipp -sn uac -i 127.0.0.2 -p 5060 -s 1000 127.0.0.1:5070 -r 500 -m "$HOLD_CALLS" \
		-d 120000 -l $((HOLD_CALLS + 10)) -nostdin -max_socket 20000 -default_behaviors all,-abortunexp \
		>"$D/hold.log" 2>&1 &
	 echo $! > "$D/hold.pid")
	BPIDS="$BPIDS $(cat "$D/hold.pid")"
	sleep $((HOLD_CALLS / 500 + 8))
	m1=$(el_rss)
	per=$(echo "$m0 $m1 $HOLD_CALLS" | awk '{printf "%.1f", ($2-$1)/$3}')
	[ -f "$RES/memory.csv" ] || echo "element,calls,rss_before_kb,rss_after_kb,kb_per_call" > "$RES/memory.csv"
	echo "$EL,$HOLD_CALLS,$m0,$m1,$per" >> "$RES/memory.csv"
	echo "  $EL: $HOLD_CALLS held calls, RSS $m0 -> $m1 kB, $per kB per call"
fi
