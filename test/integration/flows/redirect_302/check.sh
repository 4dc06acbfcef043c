# Nothing went toward the 302's Contact (10.99.0.7): Debian's nua would
# follow a 302 by itself (NUTAG_AUTO302), an INVITE wherever a trunk says.
grep -qE '10\.99\.0\.7|Redirected' "$W/b2bua.log" && { die "the b2bua went after the Contact: $(grep -m1 -E '10\.99\.0\.7|Redirected' "$W/b2bua.log")"; return 1; }
return 0
