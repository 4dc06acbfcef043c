#!/bin/sh
# install.sh BUILD_DIR - make install into temporary DESTDIRs (PREFIX
# /usr/local and /usr): the exact file list and modes, the installed
# binaries' --version/--help, the installed config read by the installed
# b2bua-ctl (absolute /var/lib/b2bua, /run/b2bua; its own default, the
# installed config's place), a database made from the
# installed SQL, the systemd units (systemd-analyze verify and its offline
# security score), the man pages rendered by groff and man without a
# warning, a second install keeping a changed config, make uninstall.
# Prints "PASS name" / "FAIL name"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
SAN=0
case $BUILD in *asan*) SAN=1 ;; esac
T=$(mktemp -d /tmp/install.XXXXXX)
trap 'rm -rf "$T"' EXIT
out=$T/out
err=$T/err
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
run() { "$@" >"$out" 2>"$err"; rc=$?; }
inst() { make -s --no-print-directory BUILD="$BUILD" SAN=$SAN "$@" >>"$T/make.log" 2>&1; }

A=$T/a
inst install PREFIX=/usr/local DESTDIR="$A" || { fail make_install "$(tail -5 "$T/make.log")"; exit 1; }
pass make_install

# ---- the file list, with modes ----
{
	echo "755 d usr/local/bin"
	echo "755 f usr/local/bin/b2bua-ctl"
	echo "755 d usr/local/etc/b2bua"
	echo "644 f usr/local/etc/b2bua/b2bua.conf"
	echo "644 f usr/local/etc/b2bua/media-relay.conf"
	echo "755 d usr/local/lib/systemd/system"
	echo "644 f usr/local/lib/systemd/system/b2bua.service"
	echo "644 f usr/local/lib/systemd/system/media-relay.service"
	echo "755 d usr/local/sbin"
	echo "755 f usr/local/sbin/b2bua"
	echo "755 f usr/local/sbin/media-relay"
	echo "755 d usr/local/share/b2bua"
	echo "755 d usr/local/share/b2bua/scripts"
	echo "755 f usr/local/share/b2bua/scripts/mkdb.sh"
	echo "755 d usr/local/share/b2bua/sql"
	for f in sql/schema.sql sql/[0-9][0-9][0-9]_*.sql sql/sample.sql; do
		echo "644 f usr/local/share/b2bua/sql/${f#sql/}"
	done
	echo "755 d usr/local/share/man/man8"
	for p in b2bua b2bua-ctl media-relay; do echo "644 f usr/local/share/man/man8/$p.8"; done
} | sort -k3 >"$T/want"
# Leaves and the directories we own; parents like usr/local/lib are not ours.
(cd "$A" && find . -mindepth 1 \( -type f -o -type l -o -type d \) -printf '%m %y %P\n') |
	grep -Ev ' d (usr|usr/local|usr/local/etc|usr/local/lib|usr/local/lib/systemd|usr/local/share|usr/local/share/man)$' |
	sort -k3 >"$T/got"
check file_list_and_modes diff -u "$T/want" "$T/got"
check no_placeholder_left sh -c "! grep -rlI '@[A-Z]*@' '$A'"

# ---- the installed programs ----
S=$A/usr/local/sbin
CTL=$A/usr/local/bin/b2bua-ctl
want_version=$("$ROOT/$BUILD/b2bua" --version | cut -d' ' -f2)
for p in "$S/b2bua" "$S/media-relay" "$CTL"; do
	prog=$(basename "$p")
	run "$p" --version
	check "installed_${prog}_version" sh -c "[ $rc = 0 ] && [ \"\$(cat '$out')\" = '$prog $want_version' ]"
	run "$p" --help
	check "installed_${prog}_help" sh -c "[ $rc = 0 ] && grep -q '^usage: $prog ' '$out'"
done
C=$A/usr/local/etc/b2bua
run "$CTL" -c "$C/b2bua.conf" stats
check installed_conf_socket sh -c "[ $rc = 2 ] && grep -q 'cannot connect to /run/b2bua/b2bua.sock' '$err'"
run "$CTL" -c "$C/b2bua.conf" cdr
check installed_conf_db sh -c "[ $rc = 2 ] && grep -q '/var/lib/b2bua/b2bua.db' '$err'"
# Without -c it reads the installed config (README, Management): built for it.
run "$CTL" --help
check installed_ctl_default_conf grep -q '/usr/local/etc/b2bua/b2bua.conf when it exists' "$out"
run "$A/usr/local/share/b2bua/scripts/mkdb.sh" "$T/new.db" "$A/usr/local/share/b2bua/sql/sample.sql"
check installed_sql_makes_db sh -c "[ $rc = 0 ] && '$CTL' -d '$T/new.db' cdr summary >/dev/null &&
	[ \"\$(sqlite3 '$T/new.db' 'PRAGMA user_version')\" -gt 1 ] &&
	[ \"\$(sqlite3 '$T/new.db' 'SELECT count(*) FROM trunks')\" -gt 0 ]"

# ---- systemd units ----
U=$A/usr/local/lib/systemd/system
for u in b2bua media-relay; do
	f=$U/$u.service
	exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$f")
	conf=$(sed -n 's/^ExecStart=.* -c \([^ ]*\) -f$/\1/p' "$f")
	check "${u}_unit_execstart" sh -c "[ -x '$A$exe' ] && [ -f '$A$conf' ] && [ '$exe' = /usr/local/sbin/$u ]"
	check "${u}_unit_user" sh -c "grep -qx 'User=b2bua' '$f' && grep -qx 'Type=simple' '$f' &&
		grep -qx 'NoNewPrivileges=yes' '$f' && grep -qx 'ProtectSystem=strict' '$f'"
done
check b2bua_unit_reload grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$U/b2bua.service"
check b2bua_unit_dirs sh -c "grep -qx 'StateDirectory=b2bua' '$U/b2bua.service' &&
	grep -qx 'RuntimeDirectory=b2bua' '$U/b2bua.service' &&
	grep -qx 'ReadWritePaths=/var/lib/b2bua /run/b2bua' '$U/b2bua.service'"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the executables where the unit says: point it into DESTDIR.
	mkdir -p "$T/units"
	for u in b2bua media-relay; do sed "s|=/usr/local/|=$A/usr/local/|" "$U/$u.service" >"$T/units/$u.service"; done
	(cd "$T/units" && systemd-analyze verify --man=no b2bua.service media-relay.service) >"$out" 2>&1
	rc=$?
	check units_verify sh -c "[ $rc = 0 ] && [ ! -s '$out' ] || { cat '$out'; false; }"
	for u in b2bua media-relay; do
		systemd-analyze security --offline=true "$U/$u.service" >"$out" 2>&1
		score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$out")
		check "${u}_unit_exposure_${score:-none}" sh -c "[ -n '$score' ] && awk 'BEGIN { exit !($score <= 2.0) }'"
	done
else
	pass "units_verify (skipped: systemd-analyze is not installed)"
fi

# ---- man pages ----
M=$A/usr/local/share/man/man8
for p in b2bua media-relay b2bua-ctl; do
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$M/$p.8" >"$out" 2>&1
		check "man_${p}_groff" sh -c "[ $? = 0 ] && [ ! -s '$out' ] || { cat '$out'; false; }"
	else
		pass "man_${p}_groff (skipped: groff is not installed)"
	fi
	if command -v man >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$M/$p.8" >"$out" 2>"$err"
		check "man_${p}_man" sh -c "[ $? = 0 ] && [ ! -s '$err' ] && grep -q '^NAME' '$out' &&
			grep -qi 'SYNOPSIS' '$out' && grep -q -- '--version' '$out' || { cat '$err'; false; }"
	else
		pass "man_${p}_man (skipped: man-db is not installed)"
	fi
done

# ---- a second install keeps a changed config; PREFIX=/usr puts it in /etc ----
echo "; local change" >>"$C/b2bua.conf"
inst install PREFIX=/usr/local DESTDIR="$A"
check reinstall_keeps_config sh -c "[ $? = 0 ] && tail -1 '$C/b2bua.conf' | grep -q 'local change'"
B=$T/b
inst install PREFIX=/usr DESTDIR="$B"
check prefix_usr_etc sh -c "[ $? = 0 ] && [ -f '$B/etc/b2bua/b2bua.conf' ] && [ -x '$B/usr/sbin/b2bua' ] &&
	[ -x '$B/usr/bin/b2bua-ctl' ] && [ ! -e '$B/usr/etc' ] &&
	grep -qx 'ExecStart=/usr/sbin/b2bua -c /etc/b2bua/b2bua.conf -f' '$B/usr/lib/systemd/system/b2bua.service' &&
	grep -q '/etc/b2bua/b2bua.conf' '$B/usr/share/man/man8/b2bua.8'"
run "$B/usr/bin/b2bua-ctl" --help
check prefix_usr_ctl_default_conf grep -q ' /etc/b2bua/b2bua.conf when it exists' "$out"

# ---- uninstall: only the configs stay ----
inst uninstall PREFIX=/usr/local DESTDIR="$A"
rc=$?
(cd "$A" && find . -type f -printf '%P\n' | sort) >"$out"
check uninstall sh -c "[ $rc = 0 ] && [ \"\$(cat '$out')\" = 'usr/local/etc/b2bua/b2bua.conf
usr/local/etc/b2bua/media-relay.conf' ] && [ ! -e '$A/usr/local/share/b2bua' ]"
[ "$fails" = 0 ]
