#!/bin/sh
# deps.sh - installs the Debian packages the build and the tests need, only
# those missing, and only as root; otherwise says what is missing and how
# to install it. Used by `make run`, `make test` and `make bench`.
set -u

PKGS="gcc make pkg-config sqlite3 libsqlite3-dev libsofia-sip-ua-dev \
libsrtp2-dev libpcre2-dev libcunit1-dev libinih-dev sip-tester \
libmicrohttpd-dev prometheus rtpengine-daemon kamailio kamailio-sqlite-modules kamailio-tls-modules \
libssl-dev openssl iproute2 procps python3 sipvicious groff-base man-db"
[ $# -gt 0 ] && PKGS="$PKGS $*"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list cannot find anything: refresh it first.
apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
# Debian's prometheus package is here for promtool only: its server
# (enabled on :9090 by the package) must not run on a test machine.
case " $missing " in
*" prometheus "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi ;;
esac
