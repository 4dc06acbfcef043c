# element.sh - the elements under test and one measured call-rate step,
# shared by sig.sh (short calls on an idle element) and held.sh (the same
# with calls held). Sourced after lib.sh; the caller sets EL (see sig.sh for
# the names), D (its work folder), CSV (where step() appends rows) and
# STEP_S; EL_PID and RELAY_PID are set by start_element. RTPENGINE_OPTS:
# rtpengine options (default --delete-delay=0: its 30 s default keeps a
# deleted call's sockets and runs it out of fds at a few hundred calls/s
# on a 20,000-fd limit; ours frees them at delete).
# step() appends "STEP_LABEL,rate,ok,failed,fail_pct,p50_ms,p99_ms,cpu_pct,
# sip_cpu_pct" (STEP_LABEL defaults to EL); bad() tells whether the last
# step failed more than 0.1% of its calls.
EL_PID="" RELAY_PID=""

start_uas() {
	sipp -sn uas -i $UAS_IP -p $UAS_PORT -nostdin -max_socket 20000 -d "${HOLD_MS:-0}" >"$D/uas.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_udp "$UAS_PORT" || { echo "SIPp uas did not start: $(tail -3 "$D/uas.log")"; return 1; }
}

start_relay() {  # ours|rtpengine
	if [ "$1" = rtpengine ]; then
		rtpengine --config-file=none --foreground --log-stderr --table=-1 --interface=127.0.0.1 \
			--listen-ng=127.0.0.1:$NG_PORT --port-min=40000 --port-max=65000 --log-level=3 ${RTPENGINE_OPTS:---delete-delay=0} \
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
			# WAL (kept in the file): with the default rollback journal
			# Kamailio's workers lock each other out ("database is
			# locked") and topos loses dialog records under load.
			{ cat /usr/share/kamailio/db_sqlite/standard-create.sql \
				/usr/share/kamailio/db_sqlite/topos-create.sql; echo "PRAGMA journal_mode=WAL;"; } |
				sqlite3 "$D/topos.db" >/dev/null || return 1
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
hz=$(getconf CLK_TCK)
# step RATE: one measured step; sets LAST_PCT, appends to the CSV.
step() {
	local rate=$1 c0 s0 c1 s1 t0 t1 r ok failed p50 p99 cpu scpu total
	# CPU over the sending period only: SIPp's tail (waiting out failed
	# calls' timeouts) would dilute it.
	read -r c0 s0 < <(el_cpu); t0=$(date +%s.%N)
	sipp_step $EL_IP:$EL_PORT "$rate" "$STEP_S" "${STEP_LABEL:-$EL}" > "$D/step.out" &
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
	echo "${STEP_LABEL:-$EL},$rate,$ok,$failed,$LAST_PCT,$p50,$p99,$cpu,$scpu" >> "$CSV"
	printf '  %-24s %5d cps: %7d ok %6d failed (%6s%%)  INVITE->200 p50 %6s ms p99 %7s ms  cpu %4s%% (sip %s%%)\n' \
		"${STEP_LABEL:-$EL}" "$rate" "$ok" "$failed" "$LAST_PCT" "$p50" "$p99" "$cpu" "$scpu"
	# let retransmissions and lingering transactions of a failed step drain
	sleep "${SETTLE_S:-3}"
}
bad() { awk -v p="$LAST_PCT" 'BEGIN { exit !(p > 0.1) }'; }
