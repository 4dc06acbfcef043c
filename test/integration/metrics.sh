#!/bin/bash
# metrics.sh BUILD_DIR - [metrics] listen on the b2bua and the media relay
# (README "Metrics"): both answer GET /metrics in the Prometheus text
# format (promtool check metrics passes on every scrape), and the
# counters move with real calls: one answered call with G.711 from a
# pcap through the relay (carrier1, 200) and one refused by its carrier
# (carrier2, 486). Also: another path is 404, and a listen address
# already taken stops start-up with an error naming [metrics] listen.
# Everything on 127.0.0.90-.93: b2bua, relay and both /metrics on .90,
# the PBX on .91, carrier1 on .92, carrier2 on .93.
# Prints "PASS name" / "FAIL name (why)"; stops what it started.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
W=$(mktemp -d /tmp/metrics.XXXXXX)
# shellcheck source=lib/standalone.sh
. "$ROOT/test/integration/lib/standalone.sh"

IP=127.0.0.90 PBX=127.0.0.91 C1=127.0.0.92 C2=127.0.0.93
SIP_PORT=5390 NG_PORT=5391 B_METRICS=9390 R_METRICS=9391
FLOW=$ROOT/test/integration/flows/media_g711

cat > "$W/media-relay.conf" <<EOC
[relay]
ng = $IP:$NG_PORT
interface = $IP
ports = 46000-46199
[metrics]
listen = $IP:$R_METRICS
[log]
level = info
EOC
cat > "$W/b2bua.conf" <<EOC
[sip]
listen = udp:$IP:$SIP_PORT
[db]
path = $W/b2bua.db
[relay]
ng = $IP:$NG_PORT
[control]
socket = $W/b2bua.sock
[metrics]
listen = $IP:$B_METRICS
[log]
level = info
[call]
trunk_timeout = 2
EOC
"$ROOT/scripts/mkdb.sh" "$W/b2bua.db" > /dev/null || { fail db; exit 1; }
sqlite3 "$W/b2bua.db" "
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (1, 'pbx', '$PBX', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (2, 'carrier1', '$C1', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (3, 'carrier2', '$C2', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '$PBX/32'), (2, '$C1/32'), (3, '$C2/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (1, '1', 2, 1, 100, 1), (1, '2', 3, 1, 100, 1);" || { fail db; exit 1; }
# carrier1 answers with its media at a counting, echoing sink on .92.
sed "s/127\.0\.0\.3/$C1/g" "$FLOW/carrier1.xml" > "$W/carrier1.xml"

# scrape NAME URL: the body into $W/NAME.txt; promtool must accept it.
scrape() {
	if ! curl -sf -o "$W/$1.txt" "$2"; then
		fail "scrape_$1" "curl $2 failed"
		return 1
	fi
	if promtool check metrics < "$W/$1.txt" > "$W/$1.promtool" 2>&1; then
		pass "promtool_$1"
	else
		fail "promtool_$1" "$(head -5 "$W/$1.promtool")"
	fi
}
# val FILE 'name{labels}': the sample's value, 0 when absent.
val() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$W/$1.txt"
}
# expect WHAT FILE SAMPLE OP N: compares the value (awk: > >= ==).
expect() {
	local v
	v=$(val "$2" "$3")
	if awk -v a="$v" -v b="$5" "BEGIN { exit !(a $4 b) }"; then pass "$1"; else fail "$1" "$3 = $v, want $4 $5"; fi
}

"$BUILD/media-relay" -c "$W/media-relay.conf" -f > "$W/relay.log" 2>&1 &
RELAY=$!
PIDS="$PIDS $RELAY"
"$BUILD/b2bua" -c "$W/b2bua.conf" -f > "$W/b2bua.log" 2>&1 &
B2BUA=$!
PIDS="$PIDS $B2BUA"
for _ in $(seq 1 50); do
	curl -sf -o /dev/null "http://$IP:$B_METRICS/metrics" && curl -sf -o /dev/null "http://$IP:$R_METRICS/metrics" && break
	sleep 0.1
done

scrape b2bua_before "http://$IP:$B_METRICS/metrics"
scrape relay_before "http://$IP:$R_METRICS/metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$IP:$B_METRICS/other")
[ "$code" = 404 ] && pass other_path_404 || fail other_path_404 "got $code"
ctype=$(curl -s -o /dev/null -w '%{content_type}' "http://$IP:$R_METRICS/metrics")
case $ctype in "text/plain; version=0.0.4"*) pass content_type ;; *) fail content_type "$ctype" ;; esac

# The calls: carrier1 answers (media from the pcap), carrier2 refuses 486.
python3 "$ROOT/test/integration/scenarios/rtp_sink.py" "$C1:16900" "$W/sink.out" --echo --idle 2 --timeout 25 > "$W/sink.log" 2>&1 &
SINK=$!
PIDS="$PIDS $SINK"
sipp -sf "$W/carrier1.xml" -i "$C1" -p 5080 -m 1 -nostdin -timeout 40s -timeout_error \
	-trace_err -error_file "$W/carrier1.err" > "$W/carrier1.out" 2>&1 &
CAR1=$!
sipp -sf "$ROOT/test/integration/scenarios/uas_fail_486.xml" -i "$C2" -p 5080 -m 1 -nostdin -timeout 40s \
	-timeout_error -trace_err -error_file "$W/carrier2.err" > "$W/carrier2.out" 2>&1 &
CAR2=$!
PIDS="$PIDS $CAR1 $CAR2"
sleep 0.5
sipp -sf "$FLOW/caller.xml" -i "$PBX" -p 5060 -m 1 -s 1000 "$IP:$SIP_PORT" -mi "$PBX" -mp 16800 -nostdin \
	-timeout 40s -timeout_error -trace_err -error_file "$W/caller1.err" > "$W/caller1.out" 2>&1 ||
	fail answered_call "the caller's SIPp failed (see $W/caller1.err)"
sipp -sf "$ROOT/test/integration/scenarios/uac_fail_486.xml" -i "$PBX" -p 5060 -m 1 -s 2000 "$IP:$SIP_PORT" \
	-nostdin -timeout 20s -timeout_error -trace_err -error_file "$W/caller2.err" > "$W/caller2.out" 2>&1 ||
	fail refused_call "the caller's SIPp failed (see $W/caller2.err)"
wait "$CAR1" || fail carrier1 "its SIPp failed (see $W/carrier1.err)"
wait "$CAR2" || fail carrier2 "its SIPp failed (see $W/carrier2.err)"
wait "$SINK"
sleep 0.5   # the relay's delete and the last CDR commit

scrape b2bua_after "http://$IP:$B_METRICS/metrics"
scrape relay_after "http://$IP:$R_METRICS/metrics"

expect attempts_carrier1_200_before b2bua_before 'b2bua_trunk_attempts_total{trunk="carrier1",code="200"}' == 0
expect attempts_carrier1_200 b2bua_after 'b2bua_trunk_attempts_total{trunk="carrier1",code="200"}' == 1
expect answered_carrier1_200 b2bua_after 'b2bua_trunk_answered_total{trunk="carrier1",code="200"}' == 1
expect attempts_carrier2_486 b2bua_after 'b2bua_trunk_attempts_total{trunk="carrier2",code="486"}' == 1
expect failed_carrier2_486 b2bua_after 'b2bua_trunk_failed_total{trunk="carrier2",code="486"}' == 1
expect no_failed_carrier1 b2bua_after 'b2bua_trunk_failed_total{trunk="carrier1",code="200"}' == 0
expect calls_attempted b2bua_after b2bua_calls_attempted_total == 2
expect calls_answered b2bua_after b2bua_calls_answered_total == 1
expect calls_failed b2bua_after b2bua_calls_failed_total == 1
expect calls_active_after b2bua_after b2bua_calls_active == 0
expect trunk_up b2bua_after 'b2bua_trunk_up{trunk="carrier1"}' == 1
expect keepalive_unprobed b2bua_after 'b2bua_trunk_keepalive_state{trunk="carrier1",state="unprobed"}' == 1
expect relay_up b2bua_after "b2bua_relay_up{relay=\"$IP:$NG_PORT\"}" == 1
expect relay_answered b2bua_after "b2bua_relay_answered_total{relay=\"$IP:$NG_PORT\"}" '>=' 4
expect relay_rtt_count b2bua_after "b2bua_relay_rtt_seconds_count{relay=\"$IP:$NG_PORT\"}" '>=' 4
expect relay_timeouts b2bua_after "b2bua_relay_timeouts_total{relay=\"$IP:$NG_PORT\"}" == 0
expect cdr_rows b2bua_after b2bua_cdr_rows_written_total '>=' 2
expect cdr_commits b2bua_after b2bua_cdr_commit_seconds_count '>=' 1
expect cdr_queue b2bua_after b2bua_cdr_queue_depth == 0
expect relay_rtp_before relay_before 'media_relay_packets_total{kind="rtp"}' == 0
expect relay_rtp_packets relay_after 'media_relay_packets_total{kind="rtp"}' '>' 100
expect relay_rtp_bytes relay_after 'media_relay_bytes_total{kind="rtp"}' '>' 10000
expect relay_offers relay_after 'media_relay_ng_requests_total{command="offer"}' '>=' 2
expect relay_answers relay_after 'media_relay_ng_requests_total{command="answer"}' '>=' 1
expect relay_deletes relay_after 'media_relay_ng_requests_total{command="delete"}' '>=' 2
expect relay_calls_after relay_after media_relay_calls_active == 0
expect relay_no_auth_fail relay_after 'media_relay_srtp_auth_failures_total{kind="rtp"}' == 0
expect process_fds relay_after process_open_fds '>' 0

# A taken listen address stops start-up, naming the key (both daemons).
sed "s/^ng = .*/ng = $IP:5393/; s/^listen = .*/listen = $IP:$R_METRICS/" "$W/media-relay.conf" > "$W/relay2.conf"
if out=$(timeout 10 "$BUILD/media-relay" -c "$W/relay2.conf" -f 2>&1); then
	fail relay_bind_error "started on a taken port"
else
	echo "$out" | grep -q "\[metrics\] listen: $IP:$R_METRICS: cannot bind: Address already in use" &&
		pass relay_bind_error || fail relay_bind_error "$(echo "$out" | tail -2)"
fi
sed "s/^listen = udp:.*/listen = udp:$IP:5394/; s/^listen = $IP:$B_METRICS/listen = $IP:$R_METRICS/;
	s|^socket = .*|socket = $W/b2.sock|" "$W/b2bua.conf" > "$W/b2bua2.conf"
if out=$(timeout 10 "$BUILD/b2bua" -c "$W/b2bua2.conf" -f 2>&1); then
	fail b2bua_bind_error "started on a taken port"
else
	echo "$out" | grep -q "\[metrics\] listen: $IP:$R_METRICS: cannot bind: Address already in use" &&
		pass b2bua_bind_error || fail b2bua_bind_error "$(echo "$out" | tail -2)"
fi

# Both stop cleanly with their listeners (under ASan: nothing leaked).
kill -TERM "$B2BUA"
wait "$B2BUA" && pass b2bua_stops_clean || fail b2bua_stops_clean "exit $?: $(tail -3 "$W/b2bua.log")"
kill -TERM "$RELAY"
wait "$RELAY" && pass relay_stops_clean || fail relay_stops_clean "exit $?: $(tail -3 "$W/relay.log")"
exit $rc
