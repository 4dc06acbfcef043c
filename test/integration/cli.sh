#!/bin/sh
# cli.sh BUILD_DIR - the command line of the three programs: --help and -h
# (usage on stdout, exit 0), --version (one version for all three), an
# unknown option (exit 2, a hint on stderr), every b2bua-ctl command's own
# --help (route explain and init too) and their argument errors, and
# b2bua-ctl -c CONF finding the socket and the database in the b2bua's
# config (-s/-d override it; relative paths from the working directory,
# as the b2bua takes them). Assumes no installed config (make install's
# CONFDIR/b2bua.conf) on this machine: b2bua-ctl would read it without -c.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
T=$(mktemp -d /tmp/cli.XXXXXX)
BG=""
trap 'for p in $BG; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
out=$T/out
err=$T/err
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
run() { "$@" >"$out" 2>"$err"; rc=$?; }

for p in b2bua media-relay b2bua-ctl; do
	[ -x "$B/$p" ] || { fail "$p" "$B/$p missing"; continue; }
	for h in --help -h; do
		run "$B/$p" $h
		check "${p}_$h" sh -c "[ $rc = 0 ] && head -1 '$out' | grep -q '^usage: $p ' &&
			grep -q -- '--version' '$out' && [ ! -s '$err' ]"
	done
	run "$B/$p" --version
	check "${p}_version" sh -c "[ $rc = 0 ] && [ \$(wc -l < '$out') = 1 ] &&
		grep -Eq '^$p [0-9]+\.[0-9]+\.[0-9]+' '$out' && [ ! -s '$err' ]"
	sed "s/^$p //" "$out" > "$T/version.$p"
	run "$B/$p" --bogus
	check "${p}_unknown_option" sh -c "[ $rc = 2 ] && [ ! -s '$out' ] &&
		grep -q 'bogus' '$err' && grep -q '$p --help' '$err'"
done
check one_version sh -c "cmp -s '$T/version.b2bua' '$T/version.media-relay' &&
	cmp -s '$T/version.b2bua' '$T/version.b2bua-ctl'"

CTL=$B/b2bua-ctl
for c in calls trunks relays stats reload bans hangup unban trace cdr "cdr summary" route "route explain" init; do
	run $CTL $c --help
	check "ctl_$(echo "$c" | tr ' ' _)_help" sh -c "[ $rc = 0 ] &&
		head -1 '$out' | grep -q '^usage: b2bua-ctl .*${c% *}' && [ ! -s '$err' ]"
done
run $CTL cdr --trunk x --help
check ctl_cdr_help_after_options sh -c "[ $rc = 0 ] && grep -q -- '--from' '$out'"
run $CTL help hangup
check ctl_help_command sh -c "[ $rc = 0 ] && head -1 '$out' | grep -q 'hangup CALL-ID'"
for c in route init; do
	run $CTL help $c
	check ctl_help_$c sh -c "[ $rc = 0 ] && head -1 '$out' | grep -q '^usage: b2bua-ctl .* $c'"
done
run $CTL --help
check ctl_help_lists_new_commands sh -c "grep -q 'route explain NUMBER' '$out' && grep -q 'init \[--db PATH\]' '$out' &&
	grep -q 'stats \[--json\]' '$out'"
run $CTL calls --json --json
check ctl_list_json_once sh -c "[ $rc = 2 ] && grep -q 'takes only --json' '$err'"
run $CTL route
check ctl_route_needs_explain sh -c "[ $rc = 2 ] && grep -q 'route explain NUMBER' '$err'"
run $CTL route explain
check ctl_route_needs_number sh -c "[ $rc = 2 ] && grep -q 'which NUMBER' '$err'"
run $CTL init --bogus
check ctl_init_unknown_option sh -c "[ $rc = 2 ] && grep -q 'bogus' '$err'"
run $CTL calls extra
check ctl_command_args_exit_2 sh -c "[ $rc = 2 ] && grep -q 'b2bua-ctl --help' '$err'"

# ---- -c CONF: the b2bua's config names the socket and the database ----
mkdir -p "$T/etc" "$T/db" "$T/elsewhere"
"$ROOT/scripts/mkdb.sh" "$T/db/b2bua.db" || fail mkdb
sqlite3 "$T/db/b2bua.db" "INSERT INTO cdrs (call_id, start_time, disposition)
	VALUES ('from-conf-db', '2026-01-01T00:00:00.000Z', 'answered')" || fail rows
cp "$T/db/b2bua.db" "$T/db/rel.db"
sqlite3 "$T/db/rel.db" "UPDATE cdrs SET call_id = 'from-relative-db'" || fail rows
cat >"$T/etc/b2bua.conf" <<EOF
[sip]
listen = udp:127.0.0.1:5060
[db]
path = $T/db/b2bua.db
[control]
socket = $T/ctl.sock
EOF
printf '[db]\npath = rel.db\n' >"$T/etc/rel.conf"
printf '[db]\npath = x.db\nbogus = 1\n' >"$T/etc/bad.conf"

cd "$T/elsewhere" || exit 2
run $CTL -c "$T/etc/b2bua.conf" cdr --format csv
check ctl_conf_db sh -c "[ $rc = 0 ] && grep -q '^1,from-conf-db,' '$out'"
run $CTL -c "$T/etc/b2bua.conf" -d "$T/db/none.db" cdr
check ctl_conf_d_overrides sh -c "[ $rc != 0 ] && grep -q 'none.db' '$err'"
run $CTL -d "$T/db/none.db" -c "$T/etc/b2bua.conf" cdr
check ctl_conf_d_overrides_any_order sh -c "[ $rc != 0 ] && grep -q 'none.db' '$err'"
run $CTL cdr
check ctl_no_conf_default_db sh -c "[ $rc = 2 ] && grep -q 'var/b2bua.db' '$err'"
cd "$T/db" || exit 2
run $CTL -c "$T/etc/rel.conf" cdr --format csv
check ctl_conf_relative_from_cwd sh -c "[ $rc = 0 ] && grep -q '^1,from-relative-db,' '$out'"
run $CTL -c "$T/etc/bad.conf" cdr
check ctl_conf_bad_key sh -c "[ $rc = 2 ] && grep -q 'bad.conf:3:' '$err'"
run $CTL -c "$T/etc/missing.conf" cdr
check ctl_conf_missing sh -c "[ $rc = 2 ] && grep -q 'missing.conf' '$err'"

if command -v python3 >/dev/null 2>&1; then
	python3 - "$T/ctl.sock" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(10)    # a b2bua-ctl that never comes must not hang the test
try:
    c, _ = s.accept()
except socket.timeout:
    sys.exit(1)
line = b""
while not line.endswith(b"\n"):
    chunk = c.recv(512)
    if not chunk:
        break
    line += chunk
c.sendall(b"ok\ngot " + line)
c.close()
EOF
	BG="$BG $!"
	i=0
	while [ ! -S "$T/ctl.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	run $CTL -c "$T/etc/b2bua.conf" -s "$T/other.sock" stats
	check ctl_conf_s_overrides sh -c "[ $rc = 2 ] && grep -q 'other.sock' '$err'"
	run $CTL -c "$T/etc/b2bua.conf" stats
	check ctl_conf_socket sh -c "[ $rc = 0 ] && [ \"\$(cat '$out')\" = 'got stats' ]"
	wait
	BG=""
fi
[ "$fails" = 0 ]
