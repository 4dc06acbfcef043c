# After the transfer the caller's media reaches carrier2, from the relay.
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
cat "$W/sink.out"
n=$(sed -n 's/.*pt8=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 200 ] || { die "carrier2 got ${n:-0} PCMA packets, expected >= 200: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=127\.0\.0\.1:' "$W/sink.out" || { die "media did not come from the relay: $(cat "$W/sink.out")"; return 1; }
