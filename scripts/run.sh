#!/bin/sh
# run.sh BUILD [CONF [RELAY_CONF]] - starts media-relay and b2bua in the
# foreground, with etc/'s configs unless others are named (make run
# CONF=... RELAY_CONF=...); Ctrl-C (or SIGTERM) stops both cleanly.
set -u
BUILD=${1:-build}
CONF=${2:-etc/b2bua.conf}
RELAY_CONF=${3:-etc/media-relay.conf}
for f in "$CONF" "$RELAY_CONF"; do
	[ -r "$f" ] || { echo "run: cannot read $f" >&2; exit 2; }
done
mkdir -p var
"$BUILD/media-relay" -c "$RELAY_CONF" -f &
relay=$!
"$BUILD/b2bua" -c "$CONF" -f &
b2bua=$!
stop() {
	kill -TERM "$b2bua" 2>/dev/null
	wait "$b2bua"
	kill -TERM "$relay" 2>/dev/null
	wait "$relay"
}
trap 'stop; exit 0' INT TERM
echo "run: b2bua (pid $b2bua) on $CONF, media-relay (pid $relay) on $RELAY_CONF; Ctrl-C stops both"
wait "$b2bua"
rc=$?
kill -TERM "$relay" 2>/dev/null
wait "$relay"
exit $rc
