n=$(grep -c 'source is no known trunk' "$W/b2bua.log")
[ "$n" = 1 ] || die "expected one log line about the unknown source, got $n"
