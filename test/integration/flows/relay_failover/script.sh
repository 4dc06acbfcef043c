# Two media relays, A (first in [relay] ng) and B, each with its own half
# of the flow's RTP ports. A is killed (kill -9) and the calls go on:
#  1. 10 calls right after the kill, while A is still marked up: each
#     offer A leaves unanswered is tried again on B before the caller
#     hears of it; every call is answered, its media through B.
#  2. A is down (`b2bua-ctl relays`): 4 more calls skip it (no offer
#     waits on A: no new "trying relay" line), media through B.
#  3. A is started again: it is up again within a few pings, and 4 more
#     calls are shared between A and B again.
# The caller (127.0.0.20) and the carrier (127.0.0.21) are the flow's own
# (policy.sql). Their messages, the SDP ports the caller got
# (which relay) and the CDR rows (answered, RTP counted by the relay that
# held the call) are checked.
NG_A=$NG_PORT
NG_B=$((NG_PORT + 1))
HALF=$(((RTP_MIN + RTP_MAX + 1) / 2))
A_MIN=$RTP_MIN A_MAX=$((HALF - 1)) B_MIN=$HALF B_MAX=$RTP_MAX
CTL="$ROOT/$BUILD/b2bua-ctl -s $W/b2bua.sock"

sed -i "s/^ports = .*/ports = $A_MIN-$A_MAX/" "$W/media-relay.conf"
sed "s/^ng = .*/ng = 127.0.0.1:$NG_B/; s/^ports = .*/ports = $B_MIN-$B_MAX/" "$W/media-relay.conf" \
	> "$W/media-relay-b.conf"
sed -i "s/^ng = .*/ng = 127.0.0.1:$NG_A, 127.0.0.1:$NG_B\ntimeout_ms = 1000\nping_ms = 300\ndown_after = 3/" \
	"$W/b2bua.conf"

start_relay || exit 1
"$ROOT/$BUILD/media-relay" -c "$W/media-relay-b.conf" -f >"$W/relay-b.log" 2>&1 &
PIDS="$PIDS $!"
echo "$!" >> "$W/pids"
wait_port udp $NG_B || { die "relay B did not start (see $W/relay-b.log)"; exit 1; }
start_b2bua || exit 1

# relay_line ADDR: that relay's line of `b2bua-ctl relays`.
relay_line() {
	$CTL relays | grep "^127\.0\.0\.1:$1 "
}

# wait_state ADDR up|down: within 5 s, the relay is in that state (and,
# when up, has answered at least once).
wait_state() {
	for _ in $(seq 1 50); do
		relay_line "$1" | grep -qE "^127\.0\.0\.1:$1 $2 .*last_answer 20" && return 0
		sleep 0.1
	done
	die "relay 127.0.0.1:$1 not $2 after 5 s: $($CTL relays | tr '\n' ';')"
}

# ports FILE: the m=audio port of each SDP the caller received, one a line.
ports() {
	awk '/^----/{keep=0} /message received/{keep=1} keep' "$1" | sed -n 's/^m=audio \([0-9]*\) .*/\1/p'
}

# batch N NAME: N calls; the caller's messages kept as NAME.msg, checked
# against expect_caller.txt; every SDP it got names a relay port.
batch() {
	caller "$FLOW/caller.xml" "$1" 10 "$CALLER_IP" || { die "batch $2: caller's SIPp failed (see $W/caller.err)"; return 1; }
	mv "$W/caller.msg" "$W/$2.msg"
	expect_msgs "$FLOW/expect_caller.txt" "$W/$2.msg" || return 1
	[ "$(statuses "$W/$2.msg" | grep -c '^200 INVITE')" = "$1" ] ||
		{ die "batch $2: $(statuses "$W/$2.msg" | grep -c '^200 INVITE') of $1 calls answered"; return 1; }
}

# in_range FILE MIN MAX: how many of the caller's SDP ports are in MIN-MAX.
in_range() {
	ports "$1" | awk -v lo="$2" -v hi="$3" '$1 >= lo && $1 <= hi' | wc -l
}

wait_state $NG_A up || exit 1
wait_state $NG_B up || exit 1
carrier carrier1 127.0.0.21 "$ROOT/test/integration/scenarios/uas_answer.xml" 18 || exit 1

# 1. A dies; A is still up for the b2bua: its offers time out and go to B.
kill -KILL "$RELAY_PID"
while kill -0 "$RELAY_PID" 2>/dev/null; do sleep 0.05; done
batch 10 batch1 || exit 1
moved=$(grep -c "no answer to offer for .*trying relay 127\.0\.0\.1:$NG_B" "$W/b2bua.log")
[ "$moved" -ge 1 ] || { die "no offer was moved from A to B: the retry was not made"; exit 1; }
echo "batch1: $moved offer(s) moved from A to B"
n=$(in_range "$W/batch1.msg" $B_MIN $B_MAX)
[ "$n" = 10 ] || { die "batch1: $n of 10 calls anchored on B ($B_MIN-$B_MAX): $(ports "$W/batch1.msg" | tr '\n' ' ')"; exit 1; }

# 2. A is down; new calls skip it: no offer waits on A any more.
wait_state $NG_A down || exit 1
relay_line $NG_A | grep -qE "down calls 0 last_answer 20[^ ]+Z last_error no answer to (ping|offer)$" ||
	{ die "relays: A's line is '$(relay_line $NG_A)'"; exit 1; }
relay_line $NG_B | grep -qE "up calls 0 last_answer 20[^ ]+Z " ||
	{ die "relays: B's line is '$(relay_line $NG_B)'"; exit 1; }
$CTL relays > "$W/relays-down.txt"
timeouts=$(grep -c 'no answer to offer for' "$W/b2bua.log")
batch 4 batch2 || exit 1
[ "$(grep -c 'no answer to offer for' "$W/b2bua.log")" = "$timeouts" ] ||
	{ die "batch2: an offer went to A while it was down: $(grep 'no answer to offer for' "$W/b2bua.log" | tail -1)"; exit 1; }
n=$(in_range "$W/batch2.msg" $B_MIN $B_MAX)
[ "$n" = 4 ] || { die "batch2: $n of 4 calls anchored on B: $(ports "$W/batch2.msg" | tr '\n' ' ')"; exit 1; }

# 3. A comes back: up again, and it takes calls again.
start_relay || exit 1
wait_state $NG_A up || exit 1
batch 4 batch3 || exit 1
n=$(in_range "$W/batch3.msg" $A_MIN $A_MAX)
[ "$n" = 2 ] || { die "batch3: $n of 4 calls anchored on A (expected 2, turn about): $(ports "$W/batch3.msg" | tr '\n' ' ')"; exit 1; }

wait_party carrier1 || exit 1
stop_b2bua || exit 1
expect_msgs "$FLOW/expect_carrier1.txt" "$W/carrier1.msg" || exit 1
expect_cdr "$FLOW" || exit 1
exit 0
