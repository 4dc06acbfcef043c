grep -q '200 after we gave up the INVITE: ACK and BYE' "$W/b2bua.log" || die "carrier1's late 200 was not BYE'd by the adapter"
