#!/bin/bash
# tls_startup.sh - what the b2bua refuses before any call, on its own
# address (127.0.0.57, ports 29260-29269). Prints PASS/FAIL lines:
#  - [tls] files that are missing, not PEM, or a key of another
#    certificate: it does not start, and says which file;
#  - a policy with a tls trunk and no tls: listener: it does not start
#    (naming the trunk), and a reload bringing one in is refused with the
#    old policy kept;
#  - a tls: port already taken: a clean start-up error (every nua shut
#    down first: no assertion from Sofia).
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-${BUILD:-build}}
W=$(mktemp -d /tmp/tls-startup.XXXXXX)
A=127.0.0.57
. test/integration/lib/standalone.sh   # PIDS, rc, cleanup on exit, pass, fail

test/integration/tls/mkcerts.sh "$W/c" me=$A other=127.0.0.58 || { fail setup mkcerts; exit 1; }
echo "not a certificate" > "$W/c/junk.pem"
scripts/mkdb.sh "$W/ok.db" test/fixtures/policy.sql || { fail setup mkdb; exit 1; }
cp "$W/ok.db" "$W/tls.db"
sqlite3 "$W/tls.db" "INSERT INTO trunks (id, name, host, port, transport) VALUES (9, 'securecarrier', '192.0.2.9', 5061, 'tls')"

# conf NAME DB LISTEN CERT KEY: a config file.
conf() {
	cat > "$W/$1.conf" <<CONF
[sip]
listen = $3
[tls]
cert = $4
key = $5
ca = $W/c/ca.pem
[db]
path = $2
[relay]
ng =
[control]
socket = $W/$1.sock
[log]
level = info
CONF
}
# refuses NAME NEEDLE: the b2bua exits non-zero within 5 s, its output has NEEDLE.
refuses() {
	timeout 5 "$BUILD/b2bua" -c "$W/$1.conf" -f > "$W/$1.log" 2>&1
	local brc=$?
	if [ $brc != 0 ] && [ $brc != 124 ] && grep -qF -- "$2" "$W/$1.log" && ! grep -q Assertion "$W/$1.log"; then
		pass "$1"
	else
		fail "$1" "exit $brc: $(tail -2 "$W/$1.log" | tr '\n' ' ')"
	fi
}

L="udp:$A:29260, tls:$A:29261"
conf missing_key_refused "$W/ok.db" "$L" "$W/c/me.crt" "$W/c/nokey.pem"
refuses missing_key_refused "[tls] key $W/c/nokey.pem: cannot read"
conf junk_cert_refused "$W/ok.db" "$L" "$W/c/junk.pem" "$W/c/me.key"
refuses junk_cert_refused "[tls] cert $W/c/junk.pem: no PEM certificate"
conf foreign_key_refused "$W/ok.db" "$L" "$W/c/me.crt" "$W/c/other.key"
refuses foreign_key_refused "[tls] key $W/c/other.key does not belong to [tls] cert $W/c/me.crt"
conf tls_trunk_without_listener_refused "$W/tls.db" "udp:$A:29262" "" ""
refuses tls_trunk_without_listener_refused "trunks id 9 (securecarrier): transport tls, but [sip] listen has no tls: address"

python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$A', 29264)); s.listen(1); time.sleep(30)" &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do ss -lntH | awk '{print $4}' | grep -qx "$A:29264" && break; sleep 0.1; done
conf taken_tls_port_refused "$W/ok.db" "udp:$A:29263, tls:$A:29264" "$W/c/me.crt" "$W/c/me.key"
refuses taken_tls_port_refused "cannot listen on sips:$A:29264"

# The reload: a tls trunk appears while no tls: listener is configured.
cp "$W/ok.db" "$W/live.db"
conf reload "$W/live.db" "udp:$A:29265" "" ""
"$BUILD/b2bua" -c "$W/reload.conf" -f > "$W/reload.log" 2>&1 &
BPID=$!
PIDS="$PIDS $BPID"
for _ in $(seq 1 50); do [ -S "$W/reload.sock" ] && break; sleep 0.1; done
sqlite3 "$W/live.db" "INSERT INTO trunks (id, name, host, port, transport) VALUES (9, 'securecarrier', '192.0.2.9', 5061, 'tls')"
"$BUILD/b2bua-ctl" -s "$W/reload.sock" reload > "$W/reload.out" 2>&1
crc=$?
"$BUILD/b2bua-ctl" -s "$W/reload.sock" trunks > "$W/trunks.out" 2>&1
if [ $crc != 0 ] && grep -q 'reload refused, old policy stays: trunks id 9 (securecarrier): transport tls' "$W/reload.out" &&
	! grep -q securecarrier "$W/trunks.out" && grep -q carrier1 "$W/trunks.out"; then
	pass tls_trunk_reload_refused_old_policy_kept
else
	fail tls_trunk_reload_refused_old_policy_kept "ctl $crc: $(cat "$W/reload.out") / $(tr '\n' ' ' < "$W/trunks.out" | cut -c1-200)"
fi
kill -TERM $BPID; wait $BPID
exit $rc
