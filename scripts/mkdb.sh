#!/bin/sh
# mkdb.sh DB [SQL...] - creates DB with every schema migration (sql/schema.sql,
# then sql/NNN_*.sql in order), then runs each SQL file given (a policy).
# The database holds trunk passwords: it is created 0600, like the daemon
# creates it.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=$1
shift
umask 077
for f in "$ROOT"/sql/schema.sql "$ROOT"/sql/[0-9][0-9][0-9]_*.sql "$@"; do
	[ -f "$f" ] || continue
	sqlite3 "$DB" < "$f"
done
