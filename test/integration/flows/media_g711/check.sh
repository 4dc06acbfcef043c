# The far end got the caller's A-law packets, from the relay (not the caller).
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
cat "$W/sink.out"
n=$(sed -n 's/.*pt8=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 200 ] || { die "far end got ${n:-0} PCMA packets, expected >= 200: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=127\.0\.0\.1:' "$W/sink.out" || { die "media did not come from the relay: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=.*127\.0\.0\.2' "$W/sink.out" && { die "caller's media bypassed the relay: $(cat "$W/sink.out")"; return 1; }
# The relay's port toward the carrier is in its range.
p=$(sed -n 's/.*sources=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$W/sink.out")
[ "$p" -ge "$RTP_MIN" ] && [ "$p" -le "$RTP_MAX" ] || { die "relay port $p outside $RTP_MIN-$RTP_MAX"; return 1; }
