# The caller never saw a 2xx for its INVITE; the crossing 200 was ended by
# the adapter (ACK by nua, BYE by us).
s=$(statuses "$W/caller.msg" | grep ' INVITE$' | cut -d' ' -f1 | sort -u | tr '\n' ' ')
[ "$s" = "100 180 487 " ] || die "caller got INVITE responses '$s', expected 100 180 487"
grep -q '200 after we gave up the INVITE: ACK and BYE' "$W/b2bua.log" || die "the late 200 was not BYE'd by the adapter"
