#!/bin/bash
# flood.sh - `make flood`: a stranger floods the b2bua while a trunk calls.
#
# For each of INVITE, OPTIONS and REGISTER: the PBX trunk (127.0.0.2)
# places LEGIT_RATE calls/s (default 50) through the b2bua and our relay to
# a SIPp carrier; after WARM_S seconds (40: its SIP transactions, which
# live 32 s, are in steady state) a stranger (127.0.0.9) sends FLOOD_RATE
# requests/s (2000) for FLOOD_S seconds (20); the calls go on AFTER_S
# seconds (45) after the flood. Reports the legitimate calls that
# completed and the b2bua's RSS before the flood, at its peak, and after
# (each under the same legitimate load). The target (issue 9): >= 99.9% of
# legitimate calls, RSS after within 10% of before. Exits 1 when a round
# misses it.
# Everything on loopback; every process it starts is stopped on exit.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/bench/lib.sh"
FLOOD_RATE=${FLOOD_RATE:-2000}
FLOOD_S=${FLOOD_S:-20}
LEGIT_RATE=${LEGIT_RATE:-50}
AFTER_S=${AFTER_S:-45}
WARM_S=${WARM_S:-40}
METHODS=${METHODS:-INVITE OPTIONS REGISTER}
D=$WORK/flood
trap bench_cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$D" "$RES"
SIPP=sipp

start_daemons() {
	rm -f "$D"/b2bua.db*
	"$ROOT/scripts/mkdb.sh" "$D/b2bua.db" "$ROOT/scripts/bench/policy.sql" || return 1
	printf '[relay]\nng = 127.0.0.1:%s\ninterface = 127.0.0.1\nports = 40000-49999\n[log]\nlevel = warn\n' \
		$NG_PORT > "$D/relay.conf"
	"$ROOT/$BUILD/media-relay" -c "$D/relay.conf" -f > "$D/relay.log" 2>&1 &
	BPIDS="$BPIDS $!"
	cat > "$D/b2bua.conf" <<EOC
[sip]
listen = udp:$EL_IP:$EL_PORT
[db]
path = $D/b2bua.db
[relay]
ng = 127.0.0.1:$NG_PORT
[control]
socket = $D/b2bua.sock
[log]
level = warn
[cdr]
node = flood
EOC
	"$ROOT/$BUILD/b2bua" -c "$D/b2bua.conf" -f > "$D/b2bua.log" 2>&1 &
	B2BUA=$!
	BPIDS="$BPIDS $B2BUA"
	wait_udp $EL_PORT || { echo "b2bua did not start: $(tail -3 "$D/b2bua.log")"; return 1; }
}

flood_xml() {  # METHOD: a scenario sending one request per call, awaiting nothing
	cat <<EOX
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="stranger $1 flood">
  <send><![CDATA[
      $1 sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:flood@[local_ip]:[local_port]>;tag=[pid]F[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 $1
      Contact: <sip:flood@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
</scenario>
EOX
}

printf '%-9s %6s %9s %9s %8s %8s %9s %9s %9s %s\n' method flood/s legit_ok legit_all ok% rss_kB0 rss_peak rss_after rss_d% verdict \
	> "$RES/flood.txt"
fail=0
for m in $METHODS; do
	start_daemons || exit 1
	total=$(( (WARM_S + FLOOD_S + AFTER_S) * LEGIT_RATE ))
	"$SIPP" -sf "$ROOT/test/integration/scenarios/uas_answer.xml" -i $UAS_IP -p $UAS_PORT -m $total -nostdin \
		-timeout $((WARM_S + FLOOD_S + AFTER_S + 60))s > "$D/carrier.out" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_udp $UAS_PORT || { echo "carrier did not start"; exit 1; }
	"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_bye.xml" -i $UAC_IP -p $UAC_PORT -m $total -r $LEGIT_RATE \
		-l 2000 -s 1000 $EL_IP:$EL_PORT -nostdin -timeout $((WARM_S + FLOOD_S + AFTER_S + 60))s \
		> "$D/legit_$m.out" 2>&1 &
	LEGIT=$!
	BPIDS="$BPIDS $LEGIT"
	sleep "$WARM_S"
	rss0=$(rss_kb $B2BUA)
	if [ "$m" = none ]; then
		sleep "$FLOOD_S" &   # the baseline: the same load, no flood
	else
		flood_xml "$m" > "$D/flood_$m.xml"
		"$SIPP" -sf "$D/flood_$m.xml" -i 127.0.0.9 -p 5199 -r "$FLOOD_RATE" -rp 1000 \
			-m $((FLOOD_RATE * FLOOD_S)) -l 100000 -s 1000 $EL_IP:$EL_PORT -nostdin \
			-timeout $((FLOOD_S + 30))s > "$D/flood_$m.out" 2>&1 &
	fi
	FLOOD=$!
	BPIDS="$BPIDS $FLOOD"
	peak=$rss0
	while kill -0 $FLOOD 2>/dev/null; do
		r=$(rss_kb $B2BUA)
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.5
	done
	sleep "$AFTER_S"
	after=$(rss_kb $B2BUA)
	"$ROOT/$BUILD/b2bua-ctl" -s "$D/b2bua.sock" stats > "$D/stats_$m.txt" 2>&1
	wait $LEGIT
	ok=$(grep -E '^ *Successful call' "$D/legit_$m.out" | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
	all=$(grep -E '^ *(Outgoing call created|Outgoing calls created)' "$D/legit_$m.out" | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')
	pct=$(awk -v o="${ok:-0}" -v a="${all:-0}" 'BEGIN { printf "%.2f", a ? 100 * o / a : 0 }')
	d=$(awk -v a="$after" -v b="$rss0" 'BEGIN { printf "%+.1f", b ? 100 * (a - b) / b : 0 }')
	v=ok
	awk -v p="$pct" -v d="$d" 'BEGIN { exit !(p >= 99.9 && d <= 10) }' || { v=MISSED; fail=1; }
	printf '%-9s %6s %9s %9s %8s %8s %9s %9s %9s %s\n' "$m" "$FLOOD_RATE" "$ok" "$all" "$pct" "$rss0" "$peak" "$after" "$d" "$v" \
		>> "$RES/flood.txt"
	grep -E '^(sip_strangers|sip_rate_limited|sip_banned|bans_total)' "$D/stats_$m.txt" | tr '\n' ' ' >> "$RES/flood.txt"
	echo >> "$RES/flood.txt"
	bench_cleanup
done
cat "$RES/flood.txt"
exit $fail
