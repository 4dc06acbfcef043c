#!/bin/bash
# run.sh BUILD - `make bench`: signalling, media and CDR-query benchmarks of
# our daemons side by side with Kamailio (tm + topos) and rtpengine, on
# loopback. Prints a table, writes bench/results/{summary.txt,*.csv,*.png}.
# Never part of `make test`. Every script cleans up the processes it started.
# BENCH_QUICK=1: a short smoke run (a couple of minutes), smaller steps.
# BENCH_ONLY="sig media cdr": a subset. BENCH_ELEMENTS: the signalling elements.
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
	export MEDIA_S=${MEDIA_S:-3} MEDIA_STREAMS=${MEDIA_STREAMS:-"500 1500"} CDR_RUNS=${CDR_RUNS:-3}
	ELEMENTS=${BENCH_ELEMENTS:-"b2bua kamailio-topos kamailio-topos-rtpengine"}
else
	export RATES=${RATES:-"200 500 800 1100 1400 1800 2400 3000"} STEP_S=${STEP_S:-10} BISECT=${BISECT:-2}
	export HOLD_CALLS=${HOLD_CALLS:-5000} PROFILE=${PROFILE:-1}
	export MEDIA_S=${MEDIA_S:-10} MEDIA_STREAMS=${MEDIA_STREAMS:-"500 1000 1500 2000 3000"}
	ELEMENTS=${BENCH_ELEMENTS:-"b2bua kamailio-topos kamailio-topos-rtpengine b2bua-rtpengine"}
fi
ONLY=${BENCH_ONLY:-"sig media cdr"}

case " $ONLY " in *" sig "*)
	echo "== signalling: SIPp uac ($UAC_IP) -> element ($EL_IP:$EL_PORT) -> SIPp uas ($UAS_IP:$UAS_PORT), ${STEP_S}s per rate"
	for el in $ELEMENTS; do scripts/bench/sig.sh "$el"; done ;;
esac
case " $ONLY " in *" media "*) scripts/bench/media.sh ;; esac
case " $ONLY " in *" cdr "*) scripts/bench/cdr.sh ;; esac
echo
scripts/bench/report.sh
echo "bench: $(( $(date +%s) - start )) s"
