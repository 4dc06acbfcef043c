#!/bin/sh
# run.sh BUILD - starts media-relay and b2bua in the foreground with etc/'s
# configs; Ctrl-C (or SIGTERM) stops both cleanly.
set -u
BUILD=${1:-build}
mkdir -p var
"$BUILD/media-relay" -c etc/media-relay.conf -f &
relay=$!
"$BUILD/b2bua" -c etc/b2bua.conf -f &
b2bua=$!
stop() {
	kill -TERM "$b2bua" 2>/dev/null
	wait "$b2bua"
	kill -TERM "$relay" 2>/dev/null
	wait "$relay"
}
trap 'stop; exit 0' INT TERM
echo "run: b2bua (pid $b2bua) on etc/b2bua.conf, media-relay (pid $relay); Ctrl-C stops both"
wait "$b2bua"
rc=$?
kill -TERM "$relay" 2>/dev/null
wait "$relay"
exit $rc
