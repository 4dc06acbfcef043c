# The far end got the telephone-events (payload type 101) with the digits
# 1, 5 and 9, from the relay.
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
cat "$W/sink.out"
n=$(sed -n 's/.*pt101=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 28 ] || { die "far end got ${n:-0} telephone-event packets, expected 30: $(cat "$W/sink.out")"; return 1; }
grep -q ' events=1,5,9 ' "$W/sink.out" || { die "far end did not get digits 1,5,9: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=127\.0\.0\.1:[0-9]*$' "$W/sink.out" || { die "events did not come from the relay alone: $(cat "$W/sink.out")"; return 1; }
