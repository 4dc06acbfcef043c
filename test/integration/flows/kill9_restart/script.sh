# kill -9 under load, restart, count: every call the b2bua accepted more
# than one batch (20 ms) before it died has a row, and after the restart
# no row is left in_progress: those calls are 'interrupted'.
start_relay || exit 1
start_b2bua || exit 1
carrier carrier1 127.0.0.3 "$ROOT/test/integration/scenarios/uas_answer.xml" 1000
"$SIPP" -sf "$ROOT/test/integration/scenarios/uac_hold.xml" -i 127.0.0.2 -p 5060 -m 1000 -r 50 \
	-l 1000 -s 1000 127.0.0.1:$SIP_PORT -trace_msg -message_file "$W/caller.msg" -nostdin \
	-timeout 30s > "$W/caller.out" 2>&1 &
CALLER_PID=$!
PIDS="$PIDS $CALLER_PID"
sleep 2.5
kill -KILL "$B2BUA_PID"
sleep 0.05
kill -KILL "$CALLER_PID"
wait "$B2BUA_PID" 2>/dev/null
# Calls the b2bua took: distinct Call-IDs answered with 100 Trying.
trying=$(awk '/message received/{r=1; t=0} /^----/{r=0} r && /^SIP\/2\.0 100 /{t=1} r && t && /^Call-ID:/{print $2}' "$W/caller.msg" | sort -u | wc -l)
rows=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs")
inprog=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs WHERE disposition = 'in_progress'")
echo "caller got $trying x 100 Trying; $rows rows, $inprog in progress at the kill"
[ "$trying" -ge 50 ] || { die "too few calls before the kill ($trying)"; exit 1; }
[ "$inprog" -ge 1 ] || { die "no call was in progress at the kill"; exit 1; }
# A call is answered 100 Trying after its row is queued: allow the last
# batch (20 ms at 50 calls/s: one or two calls).
[ "$rows" -ge $((trying - 2)) ] || { die "lost CDRs: $rows rows for $trying calls"; exit 1; }
start_b2bua || exit 1
for _ in $(seq 1 20); do
	left=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs WHERE disposition = 'in_progress'")
	[ "$left" = 0 ] && break
	sleep 0.1
done
interrupted=$(sqlite3 "$DB" "SELECT count(*) FROM cdrs WHERE disposition = 'interrupted'")
echo "after restart: $left in progress, $interrupted interrupted"
[ "$left" = 0 ] || { die "$left rows still in_progress after restart"; exit 1; }
[ "$interrupted" = "$inprog" ] || { die "interrupted $interrupted != in progress $inprog"; exit 1; }
grep -q 'marked interrupted' "$W/b2bua.log" || { die "restart did not log the interrupted calls"; exit 1; }
stop_b2bua || exit 1
