# A scan from a stranger with SIPVicious (Debian's sipvicious): svmap finds
# a SIP device but no software name to look up (no User-Agent, no Server);
# svwar learns no extension, by INVITE or by REGISTER: every number gets
# the same answer. Nothing a scan sends creates a call or a CDR.
start_relay || exit 1
start_b2bua || exit 1
cd "$W" || exit 1
timeout 60 svmap -p$SIP_PORT -b 127.0.0.9 127.0.0.1 > "$W/svmap.out" 2>&1
cat "$W/svmap.out"
grep -qE "127\.0\.0\.1:$SIP_PORT *\| unknown" "$W/svmap.out" || { die "svmap fingerprinted us: $(cat "$W/svmap.out")"; exit 1; }
timeout 120 svwar -p$SIP_PORT -b 127.0.0.9 -e1000-1010,2000-2005,4000 -m INVITE 127.0.0.1 > "$W/svwar_invite.out" 2>&1
cat "$W/svwar_invite.out"
grep -q 'found nothing' "$W/svwar_invite.out" || { die "svwar (INVITE) found extensions: $(cat "$W/svwar_invite.out")"; exit 1; }
timeout 120 svwar -p$SIP_PORT -b 127.0.0.9 -e1000-1010,2000-2005,4000 127.0.0.1 > "$W/svwar_register.out" 2>&1
cat "$W/svwar_register.out"
grep -qE '^\| (1000|1001|2000|4000) ' "$W/svwar_register.out" && { die "svwar (REGISTER) told extensions apart: $(cat "$W/svwar_register.out")"; exit 1; }
"$ROOT/$BUILD/b2bua-ctl" -s "$W/b2bua.sock" stats > "$W/stats.out"
grep -qx 'calls_attempted 0' "$W/stats.out" || { die "a scan reached the call core"; exit 1; }
stop_b2bua || exit 1
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM cdrs')" = 0 ] || { die "a scan made a CDR row"; exit 1; }
exit 0
