#!/bin/sh
# mkcerts.sh DIR - throwaway certificates for the TLS tests, made at test
# time with the openssl CLI (never committed): a test CA (DIR/ca.pem) and,
# for each NAME=IP after DIR, a server certificate DIR/NAME.crt with its
# key DIR/NAME.key: CN = IP (Sofia-SIP 1.12 compares the host with the CN
# and DNS subjectAltNames only) and subjectAltName IP:IP (what OpenSSL
# peers such as Kamailio check). Valid for 2 days.
#   mkcerts.sh /tmp/x b2bua=127.0.0.50 kam=127.0.0.51
set -eu
D=$1
shift
mkdir -p "$D"
chmod 700 "$D"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=b2bua test CA" \
	-keyout "$D/ca.key" -out "$D/ca.pem" 2>/dev/null
for spec in "$@"; do
	name=${spec%%=*}
	ip=${spec#*=}
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$ip" -keyout "$D/$name.key" -out "$D/$name.csr" 2>/dev/null
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' "$ip" \
		> "$D/$name.ext"
	openssl x509 -req -in "$D/$name.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" -CAcreateserial -days 2 \
		-extfile "$D/$name.ext" -out "$D/$name.crt" 2>/dev/null
	rm -f "$D/$name.csr" "$D/$name.ext"
done
