r=$(sqlite3 "$DB" "SELECT reason FROM cdrs")
[ "$r" = "Media timeout" ] || die "reason '$r', expected 'Media timeout'"
