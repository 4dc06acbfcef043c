#!/bin/bash
# advertise_iface.sh BUILD_DIR - a listen address's own advertised address
# ([sip] listen = udp:ADDR:PORT/NAME!ADVERTISED, README "Configuration"):
# what leaves from that interface (here a trunk's OPTIONS keepalive)
# names the advertised address in Via and From, never the listen address;
# the other interface keeps its own. Two b2bua interfaces on 127.0.0.86
# and .87, a UDP catcher on .88 (none of the flows' addresses).
# Prints "PASS name" / "FAIL name: why"; stops what it started.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
T=$(mktemp -d /tmp/advertise_iface.XXXXXX)
PID=""
CATCH=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$CATCH" ] && kill "$CATCH" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
passes=0
pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; fails=$((fails + 1)); }

cat > "$T/b2bua.conf" <<EOC
[sip]
listen = udp:127.0.0.86:5371/inside, udp:127.0.0.87:5372/outside!198.51.100.7
[db]
path = $T/b2bua.db
[relay]
ng =
[control]
socket = $T/ctl.sock
[log]
level = info
EOC
"$ROOT/scripts/mkdb.sh" "$T/b2bua.db" || { fail db; exit 1; }
sqlite3 "$T/b2bua.db" "INSERT INTO trunks (id, name, host, port, transport, options_ping_s, enabled, interface)
	VALUES (1, 'outcarrier', '127.0.0.88', 5373, 'udp', 1, 1, 'outside'),
	       (2, 'incarrier', '127.0.0.88', 5374, 'udp', 1, 1, 'inside')" || { fail db; exit 1; }
# The catcher writes every datagram it gets on each port, then stops.
python3 - "$T" <<'EOP' &
import socket, sys, select, time
t = sys.argv[1]
socks = {}
for port in (5373, 5374):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.88", port))
    socks[s] = open(f"{t}/got.{port}", "wb")
end = time.time() + 6
while time.time() < end:
    r, _, _ = select.select(list(socks), [], [], 0.2)
    for s in r:
        socks[s].write(s.recv(65535) + b"\n----\n")
        socks[s].flush()
EOP
CATCH=$!
sleep 0.5
"$BUILD/b2bua" -c "$T/b2bua.conf" -f > "$T/b2bua.log" 2>&1 &
PID=$!
sleep 3
out=$(cat "$T/got.5373" 2>/dev/null)
echo "$out" | grep -q '^OPTIONS ' || { fail outside_probe_sent "nothing on 5373: $(tail -3 "$T/b2bua.log")"; out=""; }
if [ -n "$out" ]; then
	echo "$out" | grep -q '^Via: SIP/2.0/UDP 198\.51\.100\.7:5372' && echo "$out" | grep -q '^From: <sip:198\.51\.100\.7>' &&
		! echo "$out" | grep -q '127\.0\.0\.87' && pass outside_names_advertised ||
		fail outside_names_advertised "$(echo "$out" | head -12)"
fi
in=$(cat "$T/got.5374" 2>/dev/null)
echo "$in" | grep -q '^Via: SIP/2.0/UDP 127\.0\.0\.86:5371' && ! echo "$in" | grep -q '198\.51\.100\.7' &&
	pass inside_names_its_own || fail inside_names_its_own "$(echo "$in" | head -12)"
echo "advertise_iface: $passes passed, $fails failed"
[ "$fails" = 0 ]
