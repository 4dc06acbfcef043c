#!/bin/bash
# run.sh BUILD - `make bench`: signalling, media and CDR-query benchmarks of
# our daemons side by side with Kamailio (+ topos) and rtpengine, on
# loopback. Prints a table, writes bench/results/{summary.txt,*.csv,*.png}.
# Never part of `make test`. Cleans up every process it started.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-build}
export ROOT BUILD
. scripts/bench/lib.sh
mkdir -p "$RES" "$WORK"
trap bench_cleanup EXIT INT TERM
scripts/deps.sh kamailio kamailio-sqlite-modules rtpengine-daemon gnuplot-nox || exit 1

STEP_S=${STEP_S:-5}
RATES=${RATES:-"100 200 400 600 800 1000 1200 1500 1800 2200"}

echo "== signalling: SIPp uac -> element -> SIPp uas (${STEP_S}s per rate)"
scripts/bench/sig.sh b2bua "$RATES" "$STEP_S"
scripts/bench/sig.sh kamailio "$RATES" "$STEP_S"
scripts/bench/sig.sh kamailio-topos "$RATES" "$STEP_S"
scripts/bench/sig.sh b2bua-rtpengine "$RATES" "$STEP_S"
[ -x scripts/bench/media.sh ] && scripts/bench/media.sh
[ -x scripts/bench/cdr.sh ] && scripts/bench/cdr.sh
scripts/bench/report.sh
