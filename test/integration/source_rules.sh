#!/bin/bash
# source_rules.sh - rules of the source tree that a compiler does not
# check (design.md, style.md). Prints "PASS name" / "FAIL name: where".
#   status_literals_in_reply_table  no SIP status code written as a number
#       in b2bua/ outside the reply table (b2bua/reply.c, reply.h)
#   third_party_headers_at_home     each library header has one home
#   no_relay_source_in_b2bua        the b2bua links the ng codec library,
#       never compiles a file of media-relay/ (nor the reverse)
set -u
cd "$(dirname "$0")/../.."
rc=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; rc=1; }

# A status code: in Sofia's SIP_NNN_ macros, as an argument of a respond/
# reply call, compared with or assigned to a code/status, or beside a
# reason phrase. Comment lines do not count.
hits=$(grep -nE 'SIP_[1-6][0-9]{2}_|(respond|reply)[a-z_]*\([^;]*[^0-9a-zA-Z_.][1-6][0-9]{2}[^0-9]|(code|status)[a-z_]*\s*(==|!=|<=|>=|<|>|=)\s*[1-6][0-9]{2}\b|\{\s*[1-6][0-9]{2}\s*,\s*"|[^0-9a-zA-Z_.][1-6][0-9]{2}\s*,\s*"[A-Z][a-z]+' \
	b2bua/*.c b2bua/*.h | grep -vE '^b2bua/reply\.[ch]:' | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)')
if [ -z "$hits" ]; then pass status_literals_in_reply_table; else fail status_literals_in_reply_table "$(echo "$hits" | head -3 | tr '\n' ' ')"; fi

# header regex -> the only files allowed to include it
homes=(
	'<sofia-sip/(nua|nta|tport)[a-z_]*\.h>|b2bua/sip_leg\.c|b2bua/trunk_probe\.c'
	'<sofia-sip/(sip|msg|url)[a-z_]*\.h>|b2bua/sip_leg\.c|b2bua/trunk_probe\.c|b2bua/sip_read\.[ch]'
	'<sofia-sip/sdp\.h>|b2bua/media_policy\.c|media-relay/sdp_rewrite\.c'
	'<pcre2\.h>|policy/rules\.c'
	'<srtp2/|media-relay/srtp_ctx\.c|media-relay/srtp_xform\.c|test/tools/[a-z_]+\.c'
	'<sqlite3\.h>|policy/[a-z_]+\.[ch]|test/unit/test_[a-z_]+\.c'
	'<openssl/|b2bua/tls_conf\.c|media-relay/srtp_xform\.c'
	'<microhttpd\.h>|media-relay/wire/prom_http\.c'
)
bad=""
for h in "${homes[@]}"; do
	re=${h%%|*}
	allowed=${h#*|}
	bad="$bad$(grep -lE "#include $re" b2bua/*.[ch] policy/*.[ch] media-relay/*.[ch] media-relay/*/*.[ch] test/unit/*.c test/tools/*.c 2>/dev/null | grep -vxE "$allowed")"
done
if [ -z "$bad" ]; then pass third_party_headers_at_home; else fail third_party_headers_at_home "$(echo $bad)"; fi

b=$(sed -n '/^B2BUA_SRC *=/,/^$/p' Makefile | grep -o 'media-relay/[^ ]*\.c')
r=$(sed -n '/^RELAY_SRC *=/,/^$/p' Makefile | grep -oE '(b2bua|policy)/[^ ]*\.c')
if [ -z "$b$r" ]; then pass no_relay_source_in_b2bua; else fail no_relay_source_in_b2bua "$b $r"; fi
exit $rc
