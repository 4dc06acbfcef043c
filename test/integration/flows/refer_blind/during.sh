# carrier2's media endpoint: counts what the relay delivers after the
# transfer and echoes it back.
python3 "$ROOT/test/integration/scenarios/rtp_sink.py" "$SINK" "$W/sink.out" --echo --idle 2 --timeout 25
