# lib.sh - helpers for one integration flow: a private directory, daemons
# on their own ports, SIPp parties on distinct loopback addresses, checks
# on what each party received and on the CDR rows. Sourced by run.sh.
#
# Parties: b2bua 127.0.0.1, caller (PBX) 127.0.0.2, carrier1 127.0.0.3,
# carrier2 127.0.0.4, an unknown source 127.0.0.9.

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
SIPP=${SIPP:-sipp}
PIDS=""

# die MSG: reports a failed check. Besides returning 1 it writes MSG into
# $FAIL_MARK (run.sh sets it per flow), so a check that fails fails its
# flow even when the caller ignores the return code (sourced check.sh,
# during.sh, a pipeline's subshell).
die() {
	echo "FAIL: $*" >&2
	[ -n "${FAIL_MARK:-}" ] && echo "$*" >> "$FAIL_MARK"
	return 1
}

# cleanup kills every process this flow started, even on failure: those
# in $PIDS, those a background script (during.sh) listed in $W/pids, and
# daemons that wrote a pid file into $W.
cleanup() {
	[ -n "${W:-}" ] && PIDS="$PIDS $(cat "$W/pids" "$W"/*.pid 2>/dev/null)"
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=""
}

# setup FLOWDIR WORKDIR BASEPORT: database, configs.
setup() {
	FLOW=$1 W=$2 BASE=$3
	SIP_PORT=$BASE
	NG_PORT=$((BASE + 1))
	RTP_MIN=$((20000 + (BASE % 100) * 200))
	RTP_MAX=$((RTP_MIN + 1999))
	DB=$W/b2bua.db
	mkdir -p "$W"
	"$ROOT/scripts/mkdb.sh" "$DB" "$ROOT/${POLICY_FIXTURE:-test/fixtures/policy.sql}" "$FLOW/policy.sql" || return 1
	cat > "$W/media-relay.conf" <<EOC
[relay]
ng = 127.0.0.1:$NG_PORT
interface = 127.0.0.1
ports = $RTP_MIN-$RTP_MAX
media_timeout = ${MEDIA_TIMEOUT:-60}
[log]
level = debug
EOC
	cat > "$W/b2bua.conf" <<EOC
[sip]
listen = udp:127.0.0.1:$SIP_PORT${TCP:+, tcp:127.0.0.1:$SIP_PORT}
user_agent = ${USER_AGENT:-}
strangers = ${STRANGERS:-reject}
rate_limit = ${RATE_LIMIT:-200}
ban_after = ${BAN_AFTER:-200}
ban_time = ${BAN_TIME:-600}
[db]
path = $DB
[relay]
ng = ${RELAY_NG:-127.0.0.1:$NG_PORT}
media_poll = ${MEDIA_POLL:-10}
[control]
socket = $W/b2bua.sock
[log]
level = debug
[cdr]
node = test
[call]
trunk_timeout = ${TRUNK_TIMEOUT:-2}
no_answer = ${NO_ANSWER:-20}
max_duration = ${MAX_DURATION:-600}
session_expires = ${SESSION_EXPIRES:-1800}
grace = ${GRACE:-2}
EOC
}

# listening udp|tcp PORT [ADDR]: something is bound there now.
listening() {
	local flag=-lnuH
	[ "$1" = tcp ] && flag=-lntH
	ss $flag 2>/dev/null | awk '{print $4}' | grep -qE -- "^${3:-.*}:$2\$"
}

# wait_port udp|tcp PORT [ADDR]: until something listens there (5 s).
wait_port() {
	for _ in $(seq 1 50); do
		listening "$@" && return 0
		sleep 0.1
	done
	return 1
}

start_relay() {
	case "${RELAY:-ours}" in
	rtpengine)
		rtpengine --foreground --log-stderr --table=-1 --interface=127.0.0.1 \
			--listen-ng=127.0.0.1:$NG_PORT --port-min=$RTP_MIN --port-max=$RTP_MAX \
			--log-level=6 --no-fallback=false >"$W/relay.log" 2>&1 &
		;;
	*)
		"$ROOT/$BUILD/media-relay" -c "$W/media-relay.conf" -f >>"$W/relay.log" 2>&1 &
		;;
	esac
	RELAY_PID=$!
	PIDS="$PIDS $!"
	echo "$!" >> "$W/pids"
	wait_port udp $NG_PORT || die "media relay did not start (see $W/relay.log)"
}

start_b2bua() {
	"$ROOT/$BUILD/b2bua" -c "$W/b2bua.conf" -f ${B2BUA_ARGS:-} >"$W/b2bua.log" 2>&1 &
	B2BUA_PID=$!
	PIDS="$PIDS $B2BUA_PID"
	wait_port udp $SIP_PORT || die "b2bua did not start (see $W/b2bua.log)"
}

# stop_b2bua: SIGTERM, it must exit 0 (CDRs flushed).
stop_b2bua() {
	kill -TERM "$B2BUA_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$B2BUA_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$B2BUA_PID"
	rc=$?
	[ "$rc" = 0 ] || die "b2bua exited $rc on SIGTERM (see $W/b2bua.log)"
}

# carrier NAME IP SCENARIO CALLS: SIPp UAS in the background, returning
# once it listens on IP:5080 (the address must be free before).
carrier() {
	listening udp 5080 "$2" && { die "$2:5080 is already taken before $1 started"; return 1; }
	"$SIPP" -sf "$3" -i "$2" -p 5080 -m "$4" -trace_msg -message_file "$W/$1.msg" \
		-trace_err -error_file "$W/$1.err" -nostdin -timeout 60s -timeout_error \
		-pause_msg_ign ${CARRIER_ARGS:-} >"$W/$1.out" 2>&1 &
	eval "${1}_PID=$!"
	PIDS="$PIDS $!"
	wait_port udp 5080 "$2" || die "$1 did not listen on $2:5080 (see $W/$1.out)"
}

# caller SCENARIO CALLS RATE [IP]: SIPp UAC in the foreground; returns its code.
caller() {
	"$SIPP" -sf "$1" -i "${4:-127.0.0.2}" -p 5060 -m "$2" -r "$3" -rp 1000 -l "${MAXCALLS:-500}" \
		-s "${DIAL:-1000}" 127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/caller.msg" \
		-trace_err -error_file "$W/caller.err" -nostdin -timeout 60s -timeout_error \
		${CALLER_ARGS:-} >"$W/caller.out" 2>&1
}

# wait_party NAME: its SIPp must end with code 0.
wait_party() {
	eval "p=\$${1}_PID"
	wait "$p"
	rc=$?
	[ "$rc" = 0 ] || die "$1's SIPp exited $rc (see $W/$1.err, $W/$1.msg)"
}

# expect_msgs FILE MSGFILE: ordered regex lines must match the messages a
# party received, in order; a line "!REGEX" must match nowhere. The file
# must exist and hold at least one positive line: every party's view of
# the flow is asserted.
expect_msgs() {
	[ -f "$1" ] || { die "$1 is missing: say what this party must receive"; return 1; }
	grep -qvE '^(#|!|$)' "$1" || { die "$1 has no positive line"; return 1; }
	received=$W/$(basename "$2").received
	# Keep only what the party received (SIPp logs sent ones too).
	awk '/^----/{keep=0} /message received/{keep=1} keep' "$2" > "$received"
	pos=0
	while IFS= read -r re || [ -n "$re" ]; do
		case "$re" in
		''|'#'*) continue ;;
		'!'*)
			if grep -nE -- "${re#!}" "$received" >/dev/null; then
				die "$(basename "$1"): forbidden /${re#!}/ found in $received: $(grep -nE -- "${re#!}" "$received" | head -1)"
				return 1
			fi ;;
		*)
			line=$(tail -n +$((pos + 1)) "$received" | grep -nE -m1 -- "$re" | cut -d: -f1)
			if [ -z "$line" ]; then
				die "$(basename "$1"): /$re/ not received after line $pos of $received"
				return 1
			fi
			pos=$((pos + line)) ;;
		esac
	done < "$1"
}

# statuses FILE: "CODE METHOD" for each response a party received (its
# .msg trace), in order, for checks a line-by-line regex cannot make.
statuses() {
	awk '/^----/{code=""} /message received/{r=1} /message sent/{r=0}
	     r && /^SIP\/2\.0 [0-9]+ /{code=$2}
	     r && code != "" && /^CSeq:/{print code, $3; code=""}' "$1" | tr -d '\r'
}

# expect_cdr FLOWDIR: cdr.sql's output must match expect_cdr.txt line by
# line (each line a regex matched against the whole row).
expect_cdr() {
	[ -f "$1/expect_cdr.txt" ] || { die "$1/expect_cdr.txt is missing (empty means: no row)"; return 1; }
	sql="SELECT from_trunk, to_trunk, caller, callee, routed_to, disposition, sip_code, hangup_by FROM cdrs ORDER BY id"
	[ -f "$1/cdr.sql" ] && sql=$(cat "$1/cdr.sql")
	sqlite3 -separator '|' "$DB" "$sql" > "$W/cdr.out" || die "cannot read cdrs"
	n_exp=$(grep -cvE '^(#|$)' "$1/expect_cdr.txt")
	n_got=$(wc -l < "$W/cdr.out")
	[ "$n_exp" = "$n_got" ] || { die "expected $n_exp CDR rows, got $n_got: $(head -3 "$W/cdr.out")"; return 1; }
	i=0
	grep -vE '^(#|$)' "$1/expect_cdr.txt" | while IFS= read -r re; do
		i=$((i + 1))
		row=$(sed -n "${i}p" "$W/cdr.out")
		echo "$row" | grep -qE -- "^$re\$" || { die "CDR row $i '$row' does not match /^$re\$/"; exit 1; }
	done
}

# scenario FLOWDIR NAME: the flow's own file, else the shared one, else "".
scenario() {
	if [ -f "$1/$2" ]; then echo "$1/$2"; return 0; fi
	if [ -f "$ROOT/test/integration/scenarios/$2" ]; then echo "$ROOT/test/integration/scenarios/$2"; return 0; fi
	return 0
}
