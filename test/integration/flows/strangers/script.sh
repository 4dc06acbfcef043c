# Strangers get nothing: every request from an address that is no trunk is
# refused with 403 before any state exists (no leg, no call, no CDR),
# without a User-Agent or Server to fingerprint; a stranger's REFER never
# makes us send a NOTIFY anywhere (wave 1: 202, then NOTIFYs to whatever
# host its Contact named). Methods we serve to nobody (REGISTER, SUBSCRIBE,
# PUBLISH, MESSAGE, NOTIFY) are dropped by the kernel filter before Sofia,
# from anyone (a REGISTER flood held 390 MB in nua's 405 transactions);
# REFER outside a call's dialog gets Sofia's stateless 405 with our Allow
# (only a leg's dialog takes REFER: flow refer_blind); requests that need
# a dialog get its 481. With [sip] strangers = drop nothing is answered at
# all (flow strangers_dropped).
PROBE="python3 $ROOT/test/integration/scenarios/sip_probe.py"
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"
start_relay || exit 1
start_b2bua || exit 1
# The REFER's Contact and Refer-To point at a listener of ours: it must hear nothing.
python3 - 127.0.0.10 5099 4 > "$W/victim.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(float(sys.argv[3]))
n = 0
end = time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        s.recvfrom(65536)
        n += 1
    except socket.timeout:
        break
print("received", n)
PY
VICTIM=$!
PIDS="$PIDS $VICTIM"
wait_port udp 5099 127.0.0.10 || { die "victim listener did not start"; exit 1; }
n=0
for t in "INVITE 403 Forbidden" "OPTIONS 403 Forbidden" "REFER 405 Method Not Allowed" \
	 "MESSAGE timeout" "NOTIFY timeout" "SUBSCRIBE timeout" "PUBLISH timeout" "REGISTER timeout" \
	 "INFO 481 Call Does Not Exist" "UPDATE 481 Call Does Not Exist"; do
	m=${t%% *}
	$PROBE 127.0.0.9 127.0.0.1:$SIP_PORT $m --contact sip:x@127.0.0.10:5099 --wait 1 > "$W/probe_$m.out" 2>&1
	case "$t" in *403*) n=$((n + 1)) ;; esac
	head -1 "$W/probe_$m.out"
	grep -qx "$t" "$W/probe_$m.out" || { die "stranger's $m: $(head -1 "$W/probe_$m.out"), expected $t"; exit 1; }
	grep -qiE '^(User-Agent|Server):' "$W/probe_$m.out" && { die "stranger's $m answer names our software"; exit 1; }
	grep -qx 'extra: 0' "$W/probe_$m.out" || { die "stranger's $m got requests back: $(tail -1 "$W/probe_$m.out")"; exit 1; }
done
wait "$VICTIM"
cat "$W/victim.out"
grep -qx 'received 0' "$W/victim.out" || { die "the REFER's target heard from us: $(cat "$W/victim.out")"; exit 1; }
# A trunk gets the same 405 for a REFER outside any call, with Allow, and
# no NOTIFY follows.
$PROBE 127.0.0.2 127.0.0.1:$SIP_PORT REFER --wait 1 > "$W/trunk_refer.out" 2>&1
head -1 "$W/trunk_refer.out"
grep -qx 'REFER 405 Method Not Allowed' "$W/trunk_refer.out" || { die "trunk's REFER: $(head -1 "$W/trunk_refer.out")"; exit 1; }
grep -q '^Allow: .*INVITE' "$W/trunk_refer.out" || { die "405 without Allow: $(cat "$W/trunk_refer.out")"; exit 1; }
grep -q '^Allow: .*REFER' "$W/trunk_refer.out" && { die "405 to REFER lists REFER: $(cat "$W/trunk_refer.out")"; exit 1; }
grep -qx 'extra: 0' "$W/trunk_refer.out" || { die "trunk's REFER got requests back: $(tail -1 "$W/trunk_refer.out")"; exit 1; }
$PROBE 127.0.0.2 127.0.0.1:$SIP_PORT OPTIONS --wait 1 | grep -qx 'OPTIONS 200 OK' || { die "trunk's OPTIONS not 200"; exit 1; }
$PROBE 127.0.0.2 127.0.0.1:$SIP_PORT REGISTER --wait 1 | grep -qx 'REGISTER timeout' || { die "trunk's REGISTER answered"; exit 1; }
# No state was made for any stranger.
$CTL stats > "$W/stats.out" 2>&1 || { die "stats: $(cat "$W/stats.out")"; exit 1; }
grep -qx "sip_strangers $n" "$W/stats.out" || { die "strangers counted: $(grep strangers "$W/stats.out"), expected $n"; exit 1; }
grep -qx 'calls_attempted 0' "$W/stats.out" || { die "a stranger reached the call core: $(grep calls_ "$W/stats.out")"; exit 1; }
for _ in $(seq 1 20); do $CTL stats | grep -qx 'legs_open 0' && break; sleep 0.2; done
$CTL stats | grep -qx 'legs_open 0' || { die "legs left open"; exit 1; }
stop_b2bua || exit 1
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM cdrs')" = 0 ] || { die "a stranger got a CDR row"; exit 1; }
l=$(grep -c 'source is no known trunk' "$W/b2bua.log")
echo "log lines about strangers: $l for $n requests"
[ "$l" -le 6 ] || { die "strangers logged per request ($l lines)"; exit 1; }
exit 0
