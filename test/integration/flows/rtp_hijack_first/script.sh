. "$ROOT/test/integration/flows/rtp_hijack/script.sh"
