#!/bin/bash
# ng_concurrency.sh - the relay's ng threads under concurrent load (issue
# 13): several clients at once (build/ng_load, one thread each) run
# offer/answer/delete against a real media-relay with four ng threads;
# every request must be answered ok, also when each goes twice at once
# from two sockets (two ng threads race on one cookie: the copy gets the
# same answer or none, never a second delete's "Unknown call-id"). Then
# no call is left, the relay holds as many descriptors as before the load
# (no socket leaked), and SIGTERM ends it with exit 0 (under an ASan
# build, LeakSanitizer's verdict included).
# Addresses: ng 127.0.0.113, media 127.0.0.114, clients 127.0.0.115.
# Prints PASS/FAIL lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
HERE=test/integration/relay
W=$(mktemp -d /tmp/ng-concurrency.XXXXXX)
# shellcheck source=../lib/standalone.sh
. test/integration/lib/standalone.sh

NG=127.0.0.113 MEDIA=127.0.0.114 CLIENT=127.0.0.115
for bin in "$BUILD/media-relay" "$BUILD/ng_load"; do
	[ -x "$bin" ] || { fail build "$bin missing"; exit 1; }
done
PORT=$(free_udp_port "$NG")
cat > "$W/relay.conf" <<CONF
[relay]
ng = $NG:$PORT
interface = $MEDIA
ports = 52000-55999
workers = 2
ng_threads = 4
media_timeout = 30
[log]
level = warn
CONF

start_relay "$W/relay.conf" "$NG:$PORT" || exit 1

# The relay's descriptors: "OTHER MEDIA", MEDIA being its UDP sockets on
# the media address (the pre-opened pairs and the calls' streams), OTHER
# the rest. With no call left, OTHER is what it was before the load and
# MEDIA at most the ring (port_pool.h: PORT_POOL_READY pairs, refilled
# when half empty, so its level varies).
fds() {
	python3 - "$RELAY" "$MEDIA" <<'PY'
import os, socket, struct, sys
pid, media = sys.argv[1], sys.argv[2]
want = "%08X" % struct.unpack("<I", socket.inet_aton(media))[0]
inodes = set()
for line in open("/proc/net/udp").read().splitlines()[1:]:
    f = line.split()
    if f[1].split(":")[0] == want:
        inodes.add(f[9])
other = med = 0
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if t.startswith("socket:[") and t[8:-1] in inodes:
        med += 1
    else:
        other += 1
print(other, med)
PY
}
settle() {
	local a b
	a=$(fds)
	for _ in $(seq 30); do sleep 0.2; b=$(fds); [ "$a" = "$b" ] && break; a=$b; done
	echo "$b"
}
read -r other_before media_before <<<"$(settle)"

# Six clients at once, each request sent twice from two sockets.
if out=$("$BUILD/ng_load" --relay "$NG:$PORT" --bind "$CLIENT" --ports 52000-55999 \
		--threads 6 --calls 300 --window 8 --dup --timeout-ms 4000); then
	pass "concurrent_copies_answered_once ($out)"
else
	fail concurrent_copies_answered_once "$out"
fi
# More calls in flight than the ring holds: bursts bind on the request path too.
if out=$("$BUILD/ng_load" --relay "$NG:$PORT" --bind "$CLIENT" --ports 52000-55999 \
		--threads 4 --calls 1500 --window 64 --timeout-ms 4000); then
	pass "concurrent_calls_answered ($out)"
else
	fail concurrent_calls_answered "$out"
fi

left=$(python3 "$HERE/ng.py" "$NG:$PORT" list limit=4096)
if [ "$left" = "{'result': b'ok', 'calls': []}" ]; then pass no_call_left; else fail no_call_left "$left"; fi
read -r other_after media_after <<<"$(settle)"
if [ "$other_after" = "$other_before" ] && [ "$media_after" -le 256 ]; then
	pass "no_socket_leaked ($other_before other descriptors before and after; media sockets $media_before, then $media_after: the ring)"
else
	fail no_socket_leaked "other descriptors $other_before before, $other_after after; media sockets $media_after (ring at most 256)"
fi
# Under ThreadSanitizer (BUILD=build-tsan-...), any report fails.
if grep -q "WARNING: ThreadSanitizer" "$W/relay.log"; then
	fail no_data_race "$(grep -m1 -A6 'WARNING: ThreadSanitizer' "$W/relay.log" | tr '\n' ' ')"
fi

stop_relay_checked
exit "$rc"
