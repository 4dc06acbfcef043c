# A stranger claiming to be a trunk: the trunk's address in Via (as sent-by
# and received=), From, Contact, Record-Route, Route, X-Forwarded-For and
# P-Asserted-Identity, over UDP and TCP. Only the packet's source address
# names a trunk (trunk_sources), so each gets 403 and makes no call. A
# trunk's message over 64 KB (TCP: UDP cannot carry one) never reaches us:
# Sofia's transport drops it with its connection (its default would take
# 2 MB), and the trunk's next request is served.
PROBE="python3 $ROOT/test/integration/scenarios/sip_probe.py"
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
start_relay || exit 1
start_b2bua || exit 1
wait_port tcp $SIP_PORT 127.0.0.1 || { die "no TCP listener"; exit 1; }
T=127.0.0.2
claims=(--via-host $T --from-host $T --contact "sip:1001@$T:5060"
	--header "Record-Route: <sip:$T;lr>" --header "Route: <sip:$T;lr>"
	--header "X-Forwarded-For: $T" --header "X-Real-IP: $T"
	--header "P-Asserted-Identity: <sip:1001@$T>")
n=0
for proto in udp tcp; do
	for m in INVITE OPTIONS; do
		extra=()
		[ $proto = tcp ] && extra=(--tcp)
		$PROBE 127.0.0.9 127.0.0.1:$SIP_PORT $m "${claims[@]}" "${extra[@]}" --wait 2 \
			> "$W/spoof_${proto}_$m.out" 2>&1
		n=$((n + 1))
		echo "$proto $(head -1 "$W/spoof_${proto}_$m.out")"
		grep -qx "$m 403 Forbidden" "$W/spoof_${proto}_$m.out" ||
			{ die "spoofed $m over $proto: $(head -1 "$W/spoof_${proto}_$m.out")"; exit 1; }
	done
done
# The trunk itself, over TCP, with a 70 KB INVITE: refused before us.
$PROBE $T 127.0.0.1:$SIP_PORT INVITE --tcp --pad 70000 --wait 2 > "$W/big.out" 2>&1
echo "trunk, 70 KB: $(head -1 "$W/big.out")"
grep -qE '^INVITE (413 .*|timeout)$' "$W/big.out" || { die "a 70 KB INVITE got: $(head -1 "$W/big.out")"; exit 1; }
$PROBE $T 127.0.0.1:$SIP_PORT OPTIONS --tcp --wait 2 > "$W/after.out" 2>&1
grep -qx 'OPTIONS 200 OK' "$W/after.out" || { die "the trunk's next OPTIONS: $(head -1 "$W/after.out")"; exit 1; }
$CTL stats > "$W/stats.out" 2>&1 || { die "stats: $(cat "$W/stats.out")"; exit 1; }
grep -qx "sip_strangers $n" "$W/stats.out" || { die "strangers counted: $(grep strangers "$W/stats.out"), expected $n"; exit 1; }
grep -qx 'calls_attempted 0' "$W/stats.out" || { die "a spoofed or oversized INVITE reached the call core: $(grep calls_ "$W/stats.out")"; exit 1; }
stop_b2bua || exit 1
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM cdrs')" = 0 ] || { die "a CDR row was written"; exit 1; }
exit 0
