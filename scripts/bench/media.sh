#!/bin/bash
# media.sh - G.711 streams through a relay: our media-relay and rtpengine
# (userspace, --table=-1), plain RTP<->RTP and SRTP(A)<->RTP(B). For each
# stream count in MEDIA_STREAMS: a fresh relay, N calls set up over ng
# (media_setup.py: offer from A, answer from B), then rtp_load sends one
# stream each way per call (50 packets/s, 172-byte RTP) for MEDIA_S seconds
# and counts what comes back, and how long each packet took from the
# generator's send to its arrival at the receiving socket (rtp_load's
# latency histogram). The whole sweep runs (the relay sweep: pps per core and
# p99 added latency against streams); a series stops only when a relay
# cannot set up its calls. A step wants 4 sockets per call in the relay:
# above (ulimit -n - 100) / 4 calls it runs at that many and says so.
# Appends to bench/results/media.csv:
#   relay,mode,streams,seconds,relayed_pps,loss_pct,relay_cpu_pct,pps_per_core,gen_cpu_pct,srtp_check,
#   offered_pps,ok,lat_p50_us,lat_p99_us,lat_ab_p99_us,lat_ba_p99_us,lat_max_us,streams_wanted
# and writes the summary bench/results/media.txt (largest good step);
# report.sh draws the sweep (table and relay_sweep.png) from media.csv.
# relay_cpu_pct: utime+stime of the relay (all threads) over the blast, in %
# of one core; pps_per_core = relayed packets/s / (relay_cpu_pct / 100).
# lat_*: us, both directions (ab: A -> B, SRTP -> RTP in mode srtp; ba:
# B -> A, with SRTP only the 1 in 64 packets A authenticates).
set -u
. "$(dirname "$0")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
MEDIA_S=${MEDIA_S:-10}
MEDIA_STREAMS=${MEDIA_STREAMS:-"100 500 1000 2000 3000 5000"}
MEDIA_RELAYS=${MEDIA_RELAYS:-"media-relay rtpengine"}
MEDIA_MODES=${MEDIA_MODES:-"rtp srtp"}
LOAD=$ROOT/$BUILD/rtp_load
[ -x "$LOAD" ] || { echo "media: $LOAD missing (make $BUILD/rtp_load)"; exit 1; }
D=$WORK/media
rm -rf "$D"; mkdir -p "$D" "$RES"
CSV=$RES/media.csv
[ -f "$CSV" ] || echo "relay,mode,streams,seconds,relayed_pps,loss_pct,relay_cpu_pct,pps_per_core,gen_cpu_pct,srtp_check,offered_pps,ok,lat_p50_us,lat_p99_us,lat_ab_p99_us,lat_ba_p99_us,lat_max_us,streams_wanted" > "$CSV"
A=127.0.0.2:11000 B=127.0.0.3:11000
hz=$(getconf CLK_TCK)
# 4 sockets per call in the relay (RTP and RTCP each side), and 4 ports of
# the 20,001 in 40000-60000; 100 fds for the relay itself.
FD_CAP=$(( ($(ulimit -n) - 100) / 4 ))
PORT_CAP=$(( 20001 / 4 ))

start_relay() {  # media-relay|rtpengine
	if [ "$1" = rtpengine ]; then
		rtpengine --config-file=none --foreground --log-stderr --table=-1 --interface=127.0.0.1 \
			--listen-ng=127.0.0.1:$NG_PORT --port-min=40000 --port-max=60000 --log-level=3 \
			--pidfile="$D/rtpengine.pid" >"$D/relay.log" 2>&1 &
	else
		printf '[relay]\nng = 127.0.0.1:%s\ninterface = 127.0.0.1\nports = 40000-60000\nmedia_timeout = 0\n[log]\nlevel = warn\n' \
			$NG_PORT > "$D/relay.conf"
		"$ROOT/$BUILD/media-relay" -c "$D/relay.conf" -f >"$D/relay.log" 2>&1 &
	fi
	RELAY_PID=$!
	BPIDS="$BPIDS $RELAY_PID"
	wait_udp $NG_PORT || { echo "media: $1 did not start: $(tail -3 "$D/relay.log")"; return 1; }
}

stop_relay() {  # and wait until it is gone (its sockets are freed)
	kill -TERM "$RELAY_PID" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	BPIDS=${BPIDS/ $RELAY_PID/}
}

echo "== media: G.711 streams (50 pps each way, 172-byte RTP), ${MEDIA_S}s per step"
for relay in $MEDIA_RELAYS; do
	for mode in $MEDIA_MODES; do
		prev=""
		for want in $MEDIA_STREAMS; do
			n=$want
			if [ "$n" -gt "$FD_CAP" ] || [ "$n" -gt "$PORT_CAP" ]; then
				n=$(( FD_CAP < PORT_CAP ? FD_CAP : PORT_CAP ))
				echo "  $relay $mode: $want streams need $((want * 4)) relay sockets; ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)), ports 40000-60000: running $n"
			fi
			[ "$n" = "${prev:-}" ] && continue
			prev=$n
			start_relay "$relay" || break
			if ! python3 "$ROOT/scripts/bench/media_setup.py" 127.0.0.1:$NG_PORT "$n" "$mode" $A $B \
				"bench-$relay-$mode-$n" "$D/plan" 2>"$D/setup.err"; then
				echo "  $relay $mode $n streams: setup failed: $(tail -1 "$D/setup.err")"
				stop_relay; break
			fi
			c0=$(cpu_ticks "$RELAY_PID")
			out=$("$LOAD" --plan "$D/plan" --a $A --b $B --seconds "$MEDIA_S" \
				$([ "$mode" = srtp ] && echo --srtp) 2>&1)
			c1=$(cpu_ticks "$RELAY_PID")
			stop_relay
			echo "$out" > "$D/load-$relay-$mode-$n.txt"
			row=$(echo "$out" | tr ' ' '\n' | awk -F= -v c0="$c0" -v c1="$c1" -v hz="$hz" '
				{ v[$1] = $2 }
				END {
					if (v["seconds"] == "") { print "ERR"; exit }
					s = v["seconds"]; sent = v["sent_ab"] + v["sent_ba"]; got = v["recv_ab"] + v["recv_ba"]
					pps = got / s; loss = sent ? (sent - got) * 100 / sent : 100
					cpu = (c1 - c0) / hz / s * 100
					per = cpu > 0 ? pps / (cpu / 100) : 0
					chk = v["srtp_verify_ok"] + v["srtp_verify_fail"] ? v["srtp_verify_ok"] "/" v["srtp_verify_ok"] + v["srtp_verify_fail"] : "-"
					printf "%.1f,%.0f,%.3f,%.0f,%.0f,%.0f,%s,%s,%s,%s,%s,%s\n", s, pps, loss, cpu, per, v["gen_cpu_s"] / s * 100, chk,
						v["lat_p50_us"], v["lat_p99_us"], v["lat_ab_p99_us"], v["lat_ba_p99_us"], v["lat_max_us"]
				}')
			if [ "$row" = ERR ]; then echo "  $relay $mode $n: rtp_load failed: $out"; break; fi
			IFS=, read -r s pps loss cpu per gcpu chk l50 l99 lab lba lmax <<<"$row"
			# a step passes with <= 0.1% loss and >= 95% of the offered
			# rate actually sent (else the generator fell behind the clock:
			# the two cores are saturated)
			offered=$((n * 100))
			ok=$(awk -v l="$loss" -v p="$pps" -v o="$offered" 'BEGIN { print (l <= 0.1 && p >= 0.95 * o) ? 1 : 0 }')
			echo "$relay,$mode,$n,$s,$pps,$loss,$cpu,$per,$gcpu,$chk,$offered,$ok,$l50,$l99,$lab,$lba,$lmax,$want" >> "$CSV"
			printf '  %-12s %-5s %5d streams: %7s of %7s pps relayed, loss %7s%%, relay cpu %4s%%, %7s pps/core, latency p50 %s p99 %s us (generator cpu %s%%, srtp auth sample %s)\n' \
				"$relay" "$mode" "$n" "$pps" "$offered" "$loss" "$cpu" "$per" "$l50" "$l99" "$gcpu" "$chk"
			sleep 1
		done
	done
done

# The generator's own floor: A -> B straight to B's socket (no relay; B's
# packets go to 127.0.0.3:9, where nobody listens), at each stream count:
# what the latency figures above include besides the relay.
if [ "${MEDIA_FLOOR:-1}" = 1 ]; then
	echo "streams,lat_p50_us,lat_p99_us,lat_max_us" > "$RES/media_floor.csv"
	prev=""
	for want in $MEDIA_STREAMS; do
		n=$(( want < FD_CAP ? want : FD_CAP ))
		[ "$n" = "$prev" ] && continue
		prev=$n
		yes "11000 9 - -" | head -n "$n" > "$D/plan-floor"
		out=$("$LOAD" --plan "$D/plan-floor" --relay 127.0.0.3 --a $A --b $B --seconds "$(( MEDIA_S < 5 ? MEDIA_S : 5 ))" 2>&1)
		row=$(echo "$out" | tr ' ' '\n' | awk -F= '{ v[$1] = $2 } END { if (v["lat_ab_n"] > 0) printf "%s,%s,%s\n", v["lat_ab_p50_us"], v["lat_ab_p99_us"], v["lat_max_us"] }')
		[ -n "$row" ] || { echo "  generator floor $n streams: rtp_load failed: $out"; continue; }
		echo "$n,$row" >> "$RES/media_floor.csv"
		IFS=, read -r l50 l99 lmax <<<"$row"
		printf '  %-18s %5d streams: latency p50 %s p99 %s us (A -> B straight, no relay)\n' "generator floor" "$n" "$l50" "$l99"
	done
fi

# Summary: per relay and mode, the largest stream count with <= 0.1% loss.
{
	echo "Media (G.711, 50 pps each way per call; largest step with <= 0.1% loss and >= 95% of the offered rate):"
	printf '  %-12s %-5s %8s %12s %8s %10s %12s\n' relay mode streams pps_relayed loss% relay_cpu% pps_per_core
	for relay in $MEDIA_RELAYS; do
		for mode in $MEDIA_MODES; do
			awk -F, -v r="$relay" -v m="$mode" '$1 == r && $2 == m && $12 == 1 { best = $0 }
				END { if (best == "") { printf "  %-12s %-5s %8s\n", r, m, "none"; exit }
				      split(best, f, ","); printf "  %-12s %-5s %8d %12d %8.3f %10d %12d\n", f[1], f[2], f[3], f[5], f[6], f[7], f[8] }' "$CSV"
		done
	done
	for mode in $MEDIA_MODES; do
		awk -F, -v m="$mode" '$2 == m && $12 == 1 { if ($8 > best[$1]) best[$1] = $8 }
			END { if (best["rtpengine"] > 0 && best["media-relay"] > 0)
				printf "  pps per core, media-relay / rtpengine (%s): %.2f\n", m, best["media-relay"] / best["rtpengine"] }' "$CSV"
	done
} > "$RES/media.txt"
