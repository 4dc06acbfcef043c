# Offer and answer were in the 183 and the PRACKs: the trunk's INVITE and
# ACK and our 200 to the caller carry no SDP.
msg() { awk -v s="$2" -v e="$3" '$0 ~ s {p=1} p && $0 ~ e {exit} p' "$1"; }
inv=$(msg "$W/carrier1.msg.received" '^INVITE ' '^PRACK ')
[ -n "$inv" ] || { die "the carrier got no INVITE"; return 1; }
echo "$inv" | grep -q '^m=' && { die "the trunk's INVITE carried SDP: $inv"; return 1; }
ack=$(msg "$W/carrier1.msg.received" '^ACK ' '^BYE ')
[ -n "$ack" ] || { die "the carrier got no ACK"; return 1; }
echo "$ack" | grep -q '^m=' && { die "the trunk's ACK carried SDP: $ack"; return 1; }
ok=$(awk '/^SIP\/2\.0 200 OK/{b=""} {b=b $0 "\n"} /^CSeq: 1 INVITE/ && b ~ /^SIP\/2\.0 200/ {f=1} f && /^Content-Length:/ {print b; exit}' "$W/caller.msg.received")
echo "$ok" | grep -q '^Content-Length: 0' || { die "our 200 to the caller carried a body: $ok"; return 1; }
# The caller's A-law reached the far end through the relay.
[ -s "$W/sink.out" ] || { die "rtp_sink wrote nothing (see $W/during.log)"; return 1; }
n=$(sed -n 's/.*pt8=\([0-9]*\).*/\1/p' "$W/sink.out")
[ "${n:-0}" -ge 200 ] || { die "far end got ${n:-0} PCMA packets, expected >= 200: $(cat "$W/sink.out")"; return 1; }
grep -q 'sources=127\.0\.0\.1:' "$W/sink.out" || { die "media did not come from the relay: $(cat "$W/sink.out")"; return 1; }
