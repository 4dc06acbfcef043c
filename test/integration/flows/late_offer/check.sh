# The trunk's INVITE carried no offer (late offer passed on as such).
inv=$(awk '/^INVITE /{p=1} /^ACK /{exit} p' "$W/carrier1.msg.received")
[ -n "$inv" ] || { die "the carrier got no INVITE"; return 1; }
echo "$inv" | grep -q '^m=' && { die "the trunk's INVITE carried SDP: $inv"; return 1; }
# The caller's A-law reached the far end through the relay.
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
n=$(sed -n 's/.*pt8=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 200 ] || { die "far end got ${n:-0} PCMA packets, expected >= 200: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=127\.0\.0\.1:' "$W/sink.out" || { die "media did not come from the relay: $(cat "$W/sink.out")"; return 1; }
