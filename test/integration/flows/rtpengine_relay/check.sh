# The relay really was rtpengine, and both SDPs carry its ports.
grep -q 'Startup complete' "$W/relay.log" || { die "relay.log is not rtpengine's: $(head -3 "$W/relay.log")"; return 1; }
grep -q 'ng.*offer\|Received command .offer' "$W/relay.log" || { die "rtpengine got no offer (see $W/relay.log)"; return 1; }
for f in carrier1 caller; do
	p=$(grep -m1 '^m=audio ' "$W/$f.msg.received" | awk '{print $2}')
	echo "$f's SDP: m=audio $p (rtpengine ports $RTP_MIN-$RTP_MAX)"
	[ -n "$p" ] && [ "$p" -ge "$RTP_MIN" ] && [ "$p" -le "$RTP_MAX" ] || { die "$f's SDP port '$p' not in rtpengine's range $RTP_MIN-$RTP_MAX"; return 1; }
done
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
cat "$W/sink.out"
n=$(sed -n 's/.*pt101=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 28 ] || { die "far end got ${n:-0} telephone-event packets through rtpengine, expected 30: $(cat "$W/sink.out")"; return 1; }
grep -q ' events=1,5,9 ' "$W/sink.out" || { die "far end did not get digits 1,5,9: $(cat "$W/sink.out")"; return 1; }
p=$(sed -n 's/.*sources=127\.0\.0\.1:\([0-9]*\)$/\1/p' "$W/sink.out")
[ -n "$p" ] && [ "$p" -ge "$RTP_MIN" ] && [ "$p" -le "$RTP_MAX" ] || { die "media did not come from rtpengine's ports: $(cat "$W/sink.out")"; return 1; }
