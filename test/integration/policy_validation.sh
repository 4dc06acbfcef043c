#!/bin/bash
# policy_validation.sh BUILD_DIR - policy mistakes refuse a start or a
# reload with the table and row id (README "Policy"), and [db] path
# mistakes refuse a start naming the key: build/b2bua run as an admin
# would, each on a database in a temporary directory, SIP on 127.0.0.80
# (none of the flows' addresses), no media relay.
#   start_*    b2bua -f exits 1 with the reason, creating nothing
#   allow_*    --allow-empty starts on a database without trunks
#   reload_*   b2bua-ctl reload exits 1 with the error, the old trunks stay
# Prints "PASS name" / "FAIL name: why"; exits non-zero on any failure;
# stops what it started (by pid) and removes its directory.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
B2BUA=$BUILD/b2bua
CTL=$BUILD/b2bua-ctl
T=$(mktemp -d /tmp/policy_validation.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }

[ -x "$B2BUA" ] && [ -x "$CTL" ] || { fail build "$B2BUA or $CTL missing"; exit 1; }

# conf NAME DBPATH: a config for one start; SIP on a port of its own.
port=5160
conf() {
	port=$((port + 1))
	cat > "$T/$1.conf" <<EOC
[sip]
listen = udp:127.0.0.80:$port
[db]
path = $2
[relay]
ng =
[control]
socket = $T/$1.sock
[log]
level = info
[cdr]
node = polval
EOC
}

# db NAME [SQL]: the fixture policy (or none with SQL "-"), then SQL.
db() {
	if [ "${2:-}" = - ]; then
		"$ROOT/scripts/mkdb.sh" "$T/$1.db" || return 1
	else
		"$ROOT/scripts/mkdb.sh" "$T/$1.db" "$ROOT/test/fixtures/policy.sql" || return 1
		[ -z "${2:-}" ] || sqlite3 "$T/$1.db" "$2" || return 1
	fi
}

# refused NAME WANT [ARGS]: b2bua -c $T/NAME.conf -f exits 1 and its
# output holds WANT (fixed text).
refused() {
	local n=$1 want=$2 rc
	shift 2
	timeout 15 "$B2BUA" -c "$T/$n.conf" -f "$@" > "$T/$n.out" 2>&1
	rc=$?
	if [ $rc != 1 ]; then
		fail "$n" "exited $rc, expected 1: $(tail -2 "$T/$n.out" | tr '\n' ' ')"
		return 1
	fi
	grep -qF -- "$want" "$T/$n.out" || { fail "$n" "no '$want' in: $(tail -2 "$T/$n.out" | tr '\n' ' ')"; return 1; }
	return 0
}

# start NAME [ARGS]: in the background until its control socket answers.
start() {
	local n=$1
	shift
	"$B2BUA" -c "$T/$n.conf" -f "$@" > "$T/$n.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 100); do
		"$CTL" -s "$T/$n.sock" trunks > /dev/null 2>&1 && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "$n" "did not start: $(tail -2 "$T/$n.log" | tr '\n' ' ')"
	return 1
}

stop() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID"
	local rc=$?
	PID=""
	return $rc
}

# reload NAME WANT_RC WANT: b2bua-ctl reload exits WANT_RC, says WANT.
reload() {
	local out rc
	out=$("$CTL" -s "$T/$1.sock" reload 2>&1)
	rc=$?
	[ "$rc" = "$2" ] && grep -qF -- "$3" <<< "$out" && return 0
	echo "  reload exited $rc: $out"
	return 1
}

trunks() { "$CTL" -s "$T/$1.sock" trunks 2>/dev/null | awk '!/^#/ {print $1}' | sort | tr '\n' ' '; }

# ---- [db] path mistakes: refused before anything is created ----
conf start_no_dir "$T/nodir/b2bua.db"
refused start_no_dir "db: $T/nodir/b2bua.db: cannot create: its directory does not exist (check [db] path in $T/start_no_dir.conf)" &&
	{ [ ! -e "$T/nodir" ] && pass start_no_dir || fail start_no_dir "the directory was created"; }
conf start_no_dir_allowed "$T/nodir/b2bua.db"
refused start_no_dir_allowed "(check [db] path in $T/start_no_dir_allowed.conf)" --allow-empty && pass start_no_dir_allowed

conf start_mistyped "$T/b2bua.dbx"
refused start_mistyped "db: $T/b2bua.dbx does not exist: a new database would have no trunks (check [db] path in $T/start_mistyped.conf, or start with --allow-empty)" &&
	{ [ ! -e "$T/b2bua.dbx" ] && pass start_mistyped || fail start_mistyped "the database was created"; }

db empty -
conf start_empty "$T/empty.db"
refused start_empty "policy: database $T/empty.db has no trunks (check [db] path in $T/start_empty.conf, or start with --allow-empty)" &&
	pass start_empty

# ---- bad rows refuse a start ----
db codec "UPDATE trunks SET codecs = 'PCMA,G729a' WHERE id = 2"
conf start_codec "$T/codec.db"
refused start_codec "policy: trunks id 2 (carrier1): unknown codec 'G729a' (known: PCMU,PCMA," && pass start_codec

db group "INSERT INTO number_rules (id, direction, field, match, replace) VALUES (9, 'in', 'ruri', '^0(\\d+)\$', '+44\$3')"
conf start_group "$T/group.db"
refused start_group "policy: number_rules id 9: replace '+44\$3' names group 3, but match '^0(\\d+)\$' has 1 group" &&
	pass start_group

db case "INSERT INTO trunks (id, name, host) VALUES (7, 'Carrier1', '127.0.0.81')"
conf start_case "$T/case.db"
refused start_case "policy: trunks id 2 (carrier1) and id 7 (Carrier1): names differ only in case" && pass start_case

# ---- --allow-empty: asked for, so it starts (and says so) ----
conf allow_empty "$T/empty.db"
if start allow_empty --allow-empty; then
	grep -qF "database $T/empty.db has no trunks (--allow-empty)" "$T/allow_empty.log" &&
		pass allow_empty_starts || fail allow_empty_starts "no warning in the log"
	# trunks arrive by a reload
	sqlite3 "$T/empty.db" "INSERT INTO trunks (id, name, host) VALUES (1, 'late', '127.0.0.82')"
	reload allow_empty 0 "policy reloaded: 1 trunks" && [ "$(trunks allow_empty)" = "late " ] &&
		pass allow_empty_reload_adds || fail allow_empty_reload_adds "trunks: $(trunks allow_empty)"
	# and may all go again
	sqlite3 "$T/empty.db" "DELETE FROM trunks"
	reload allow_empty 0 "policy reloaded: 0 trunks" && [ -z "$(trunks allow_empty)" ] &&
		pass allow_empty_reload_empties || fail allow_empty_reload_empties "trunks: $(trunks allow_empty)"
	stop && pass allow_empty_stops || fail allow_empty_stops "exit status not 0"
fi

# A new database, asked for: created (then migrated), and the b2bua runs.
conf allow_new "$T/new.db"
if start allow_new --allow-empty; then
	[ -s "$T/new.db" ] && pass allow_new || fail allow_new "no database made"
	stop || fail allow_new_stop "exit status not 0"
fi

# ---- a reload with a bad row: refused with the row, the old policy stays ----
db live
conf reload "$T/live.db"
if start reload; then
	before=$(trunks reload)
	[ "$before" = "carrier1 carrier2 pbx " ] || fail reload_start "trunks: $before"
	s() { sqlite3 "$T/live.db" "$1"; }
	s "UPDATE trunks SET codecs = 'PCMU,telephon-event' WHERE id = 3; INSERT INTO trunks (id, name) VALUES (9, 'new')"
	reload reload 1 "reload refused, old policy stays: trunks id 3 (carrier2): unknown codec 'telephon-event' (known: " &&
		[ "$(trunks reload)" = "$before" ] && pass reload_codec || fail reload_codec "trunks: $(trunks reload)"
	s "UPDATE trunks SET codecs = NULL WHERE id = 3; UPDATE trunks SET name = 'PBX' WHERE id = 9"
	reload reload 1 "reload refused, old policy stays: trunks id 1 (pbx) and id 9 (PBX): names differ only in case" &&
		[ "$(trunks reload)" = "$before" ] && pass reload_case || fail reload_case "trunks: $(trunks reload)"
	s "DELETE FROM trunks WHERE id = 9;
	   INSERT INTO header_rules (id, direction, action, header, match, value) VALUES (4, 'out', 'replace', 'X-A', '(a)', '\$2')"
	reload reload 1 "reload refused, old policy stays: header_rules id 4: value '\$2' names group 2, but match '(a)' has 1 group" &&
		[ "$(trunks reload)" = "$before" ] && pass reload_group || fail reload_group "trunks: $(trunks reload)"
	s "DELETE FROM header_rules; DELETE FROM routes; DELETE FROM trunk_sources; DELETE FROM rates; DELETE FROM trunks"
	reload reload 1 "reload refused, old policy stays: database $T/live.db has no trunks (check [db] path in $T/reload.conf, or start with --allow-empty)" &&
		[ "$(trunks reload)" = "$before" ] && pass reload_empty || fail reload_empty "trunks: $(trunks reload)"
	s "INSERT INTO trunks (id, name, codecs) VALUES (5, 'fixed', 'pcma telephone-event')"
	reload reload 0 "policy reloaded: 1 trunks" && [ "$(trunks reload)" = "fixed " ] &&
		pass reload_fixed || fail reload_fixed "trunks: $(trunks reload)"
	stop || fail reload_stop "exit status not 0"
fi
exit $((fails > 0))
