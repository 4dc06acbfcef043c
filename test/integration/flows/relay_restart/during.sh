# Once the call is up (the carrier got the ACK), restart the relay.
for _ in $(seq 1 50); do grep -q '^ACK ' "$W/carrier1.msg" 2>/dev/null && break; sleep 0.1; done
grep -q '^ACK ' "$W/carrier1.msg" || { die "the call never came up"; exit 1; }
kill -KILL "$RELAY_PID"
while kill -0 "$RELAY_PID" 2>/dev/null; do sleep 0.05; done
echo "relay $RELAY_PID killed; starting again" >> "$W/relay.log"
start_relay || exit 1
