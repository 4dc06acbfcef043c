# Neither side's Call-ID reaches the other.
a=$(grep -m1 -i '^Call-ID:' "$W/caller.msg" | tr -d '\r' | cut -d' ' -f2)
b=$(grep -m1 -i '^Call-ID:' "$W/carrier1.msg.received" | tr -d '\r' | cut -d' ' -f2)
[ -n "$a" ] && [ -n "$b" ] || { die "no Call-ID seen"; return 1; }
grep -qF "$a" "$W/carrier1.msg.received" && die "the caller's Call-ID reached the carrier"
grep -qF "$b" "$W/caller.msg.received" && die "the carrier's Call-ID reached the caller"
true
