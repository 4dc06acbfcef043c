# The carrier's media endpoint: counts what the relay delivers and echoes
# it back (the caller side then has media too). Ends 2 s after the last
# packet; must have bound its port (exit 0).
python3 "$ROOT/test/integration/scenarios/rtp_sink.py" "$SINK" "$W/sink.out" --echo --idle 2 --timeout 20
