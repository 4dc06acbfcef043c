s=$(statuses "$W/caller.msg" | tr '\n' ',')
[ "$s" = "100 INVITE,180 INVITE,200 BYE,487 INVITE," ] || die "caller got '$s'"
grep -q '200 after we gave up the INVITE: ACK and BYE' "$W/b2bua.log" || die "the crossing 200 was not BYE'd by the adapter"
! grep -q 'strange ACK' "$W/b2bua.log" || die "the caller's ACK did not match its INVITE"
