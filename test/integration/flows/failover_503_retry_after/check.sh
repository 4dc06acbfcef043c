# The 503 went to the core at once (no "Retry After" wait in nua), and
# carrier1 saw a single INVITE, also 20 s later (SIPp ran on meanwhile).
grep -q 'Retry After' "$W/b2bua.log" && { die "nua held the INVITE for the Retry-After: $(grep -m1 'Retry After' "$W/b2bua.log")"; return 1; }
n=$(grep -c '^INVITE sip:1000@127\.0\.0\.3' "$W/carrier1.msg.received")
[ "$n" = 1 ] || { die "carrier1 got $n INVITEs"; return 1; }
