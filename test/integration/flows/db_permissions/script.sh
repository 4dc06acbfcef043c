# The database holds call records and trunk passwords: a database the
# b2bua creates itself is 0600 (its -wal and -shm too, which SQLite makes
# with the database's mode; SQLite alone would make all three 0644 less
# the umask), 0640 with [db] mode = 0640; a start with a database open to
# every user says so in the log (and still starts).
mode() { stat -c %a "$1" 2>/dev/null; }
fresh=$W/fresh.db
sed "s|^path = .*|path = $fresh|" "$W/b2bua.conf" > "$W/fresh.conf"
cp "$W/fresh.conf" "$W/b2bua.conf"
umask 022
# A new database has no trunks: started as asked for (--allow-empty).
B2BUA_ARGS=--allow-empty
start_b2bua || exit 1
for _ in $(seq 1 50); do [ -e "$fresh-shm" ] && [ -e "$fresh-wal" ] && break; sleep 0.1; done
echo "created: $(mode "$fresh") wal $(mode "$fresh-wal") shm $(mode "$fresh-shm")"
[ "$(mode "$fresh")" = 600 ] || { die "new database is $(mode "$fresh"), expected 600"; exit 1; }
[ "$(mode "$fresh-wal")" = 600 ] || { die "its -wal is $(mode "$fresh-wal"), expected 600"; exit 1; }
[ "$(mode "$fresh-shm")" = 600 ] || { die "its -shm is $(mode "$fresh-shm"), expected 600"; exit 1; }
grep -q 'open to every user' "$W/b2bua.log" && { die "warned about a private database"; exit 1; }
stop_b2bua || exit 1
# The admin opens it to everyone: the next start warns, naming the fix.
chmod 644 "$fresh"
start_b2bua || exit 1
grep -q "db: $fresh is open to every user (mode 0644): chmod 600 $fresh\*" "$W/b2bua.log" ||
	{ die "no warning for a world-readable database: $(grep db: "$W/b2bua.log")"; exit 1; }
stop_b2bua || exit 1
# [db] mode = 0640: group-readable for a support group, never others.
rm -f "$fresh" "$fresh-wal" "$fresh-shm"
sed 's|^\[db\]$|[db]\nmode = 0640|' "$W/fresh.conf" > "$W/b2bua.conf"
start_b2bua || exit 1
echo "with mode 0640: $(mode "$fresh")"
[ "$(mode "$fresh")" = 640 ] || { die "mode 0640 made $(mode "$fresh")"; exit 1; }
stop_b2bua || exit 1
exit 0
