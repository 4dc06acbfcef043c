# The srtp_carrier sequence (that flow's script, with this flow's files).
. "$ROOT/test/integration/flows/srtp_carrier/script.sh"
