#!/bin/bash
# run.sh BUILD - `make bench`: signalling, held-calls, media (relay sweep)
# and CDR-query benchmarks of our daemons side by side with Kamailio (tm +
# topos) and rtpengine, on loopback. Prints a table, writes
# bench/results/{summary.txt,*.csv,*.png}. Never part of `make test`. Every
# script cleans up the processes it started.
# BENCH_QUICK=1: a short smoke run (a few minutes), smaller steps and levels.
# BENCH_ONLY="sig held media cdr": a subset ("relay" = media: the relay
# sweep). BENCH_ELEMENTS: the signalling elements; HELD_ELEMENTS: those of
# the held-calls sweep.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-build}
export ROOT BUILD
. scripts/bench/lib.sh
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
scripts/deps.sh gnuplot-nox || exit 1
for b in b2bua media-relay b2bua-ctl rtp_load; do
	[ -x "$BUILD/$b" ] || { echo "bench: $BUILD/$b missing: run make bench"; exit 1; }
done
rm -rf "$RES" "$WORK"
mkdir -p "$RES" "$WORK"
start=$(date +%s)

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	export RATES=${RATES:-"300 800 1500 2200"} STEP_S=${STEP_S:-4} BISECT=${BISECT:-0} SETTLE_S=${SETTLE_S:-1}
	export HOLD_CALLS=${HOLD_CALLS:-1000} HOLD_SETTLE_S=${HOLD_SETTLE_S:-5} PROFILE=${PROFILE:-0}
	export MEDIA_S=${MEDIA_S:-3} MEDIA_STREAMS=${MEDIA_STREAMS:-"100 1000"} CDR_RUNS=${CDR_RUNS:-3}
	export HELD_LEVELS=${HELD_LEVELS:-"1000 3000"} HELD_RATES=${HELD_RATES:-"300 800 1500"} HELD_STEP_S=${HELD_STEP_S:-3}
	export HELD_BISECT=${HELD_BISECT:-0} HELD_IDLE_S=${HELD_IDLE_S:-5}
	ELEMENTS=${BENCH_ELEMENTS:-"b2bua kamailio-topos kamailio-topos-rtpengine"}
	HELD_ELS=${HELD_ELEMENTS:-"b2bua kamailio-topos"}
else
	export RATES=${RATES:-"200 500 800 1100 1400 1800 2400 3000"} STEP_S=${STEP_S:-10} BISECT=${BISECT:-2}
	export HOLD_CALLS=${HOLD_CALLS:-5000} PROFILE=${PROFILE:-1}
	export MEDIA_S=${MEDIA_S:-10} MEDIA_STREAMS=${MEDIA_STREAMS:-"100 500 1000 1500 2000 3000 5000"}
	export HELD_LEVELS=${HELD_LEVELS:-"1000 10000 30000"} HELD_RATES=${HELD_RATES:-"200 500 800 1100 1400 1800 2400"}
	export HELD_STEP_S=${HELD_STEP_S:-5} HELD_BISECT=${HELD_BISECT:-1} HELD_IDLE_S=${HELD_IDLE_S:-10}
	ELEMENTS=${BENCH_ELEMENTS:-"b2bua kamailio-topos kamailio-topos-rtpengine b2bua-rtpengine"}
	HELD_ELS=${HELD_ELEMENTS:-"b2bua kamailio-topos kamailio-topos-rtpengine"}
fi
ONLY=${BENCH_ONLY:-"sig held media cdr"}

case " $ONLY " in *" sig "*)
	echo "== signalling: SIPp uac ($UAC_IP) -> element ($EL_IP:$EL_PORT) -> SIPp uas ($UAS_IP:$UAS_PORT), ${STEP_S}s per rate"
	for el in $ELEMENTS; do scripts/bench/sig.sh "$el"; done ;;
esac
case " $ONLY " in *" held "*)
	echo "== held calls: $HELD_LEVELS long calls (SIPp uac $UAC_IP:${HOLD_PORT:-5161}) held, then idle CPU and a short-call ramp ($UAC_IP:$UAC_PORT) beside them"
	echo "   fd limit: ulimit -n $(ulimit -n), hard $(ulimit -Hn) (the relays need 4 sockets per call)"
	for el in $HELD_ELS; do scripts/bench/held.sh "$el"; done ;;
esac
case " $ONLY " in *" media "*|*" relay "*) scripts/bench/media.sh ;; esac
case " $ONLY " in *" cdr "*) scripts/bench/cdr.sh ;; esac
echo
scripts/bench/report.sh
echo "bench: $(( $(date +%s) - start )) s"
