/*
 * srtp_peer.c - a small SRTP endpoint for the relay's integration tests.
 *
 * Sends N G.711-sized SRTP packets 20 ms apart from --local to --remote
 * with --send-key, counts what arrives that authenticates with
 * --recv-key, prints "sent=N received=M auth_fail=K" and exits 0 when
 * M >= --expect. --tamper flips a payload bit after protecting (the
 * relay must drop those). --transforms evp|stock (default evp, or
 * SRTP_TRANSFORMS) picks the AES/HMAC code libsrtp2 runs, so a test can
 * set a stock peer against an EVP relay. Links libsrtp2 and the relay's
 * transforms library (media-relay/srtp_xform.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <srtp2/srtp.h>
#include "srtp_xform.h"

#define PAYLOAD 160

static void usage(void)
{
	fprintf(stderr,
		"usage: srtp_peer --local ADDR:PORT --remote ADDR:PORT --send-key B64 --recv-key B64\n"
		"                 [--suite AES_CM_128_HMAC_SHA1_80|AES_CM_128_HMAC_SHA1_32]\n"
		"                 [--send N] [--expect N] [--timeout S] [--tamper]\n"
		"                 [--transforms evp|stock]\n");
}

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int b64_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; *in && *in != '='; in++) {
		const char *p = strchr(tbl, *in);

		if (!p)
			return -1;
		acc = acc << 6 | (uint32_t)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)o;
}

static int make_session(srtp_t *s, const char *suite, const char *b64, uint8_t *key, int outbound)
{
	srtp_policy_t p;

	if (b64_decode(b64, key, 30) != 30) {
		fprintf(stderr, "srtp_peer: key must be 30 bytes of base64\n");
		return -1;
	}
	memset(&p, 0, sizeof(p));
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
	else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	else {
		fprintf(stderr, "srtp_peer: unknown suite %s\n", suite);
		return -1;
	}
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = key;
	p.window_size = 128;
	return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"local", 1, 0, 'l'}, {"remote", 1, 0, 'r'}, {"send-key", 1, 0, 's'},
		{"recv-key", 1, 0, 'k'}, {"suite", 1, 0, 'u'}, {"send", 1, 0, 'n'},
		{"expect", 1, 0, 'e'}, {"timeout", 1, 0, 't'}, {"tamper", 0, 0, 'x'},
		{"transforms", 1, 0, 'X'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *local = NULL, *remote = NULL, *skey = NULL, *rkey = NULL;
	const char *suite = "AES_CM_128_HMAC_SHA1_80";
	enum xform_impl impl = XFORM_EVP;
	char err[160] = "";
	int nsend = 50, expect = 1, tamper = 0, opt, fd, sent = 0, received = 0, auth_fail = 0;
	double timeout = 5, start, next;
	struct sockaddr_in la, ra;
	uint8_t k1[30], k2[30];
	srtp_t tx, rx;
	uint32_t ssrc;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': local = optarg; break;
		case 'r': remote = optarg; break;
		case 's': skey = optarg; break;
		case 'k': rkey = optarg; break;
		case 'u': suite = optarg; break;
		case 'n': nsend = atoi(optarg); break;
		case 'e': expect = atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'x': tamper = 1; break;
		case 'X':
			if (xform_parse(optarg, &impl) < 0) {
				usage();
				return 2;
			}
			setenv(XFORM_ENV, optarg, 1);
			break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!local || !remote || !skey || !rkey || parse_hostport(local, &la) < 0 ||
	    parse_hostport(remote, &ra) < 0) {
		usage();
		return 2;
	}
	if (xform_from_env(&impl, err, sizeof(err)) < 0 || srtp_init() != srtp_err_status_ok ||
	    xform_install(impl, err, sizeof(err)) < 0) {
		fprintf(stderr, "srtp_peer: %s\n", err[0] ? err : "srtp_init failed");
		return 2;
	}
	if (make_session(&tx, suite, skey, k1, 1) < 0 ||
	    make_session(&rx, suite, rkey, k2, 0) < 0)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
		fprintf(stderr, "srtp_peer: bind %s: %s\n", local, strerror(errno));
		return 2;
	}
	ssrc = (uint32_t)getpid() * 2654435761u;
	start = next = now_s();
	while (now_s() - start < timeout) {
		struct pollfd pf = {fd, POLLIN, 0};
		double wait = sent < nsend ? next - now_s() : 0.05;
		uint8_t buf[2048];

		if (sent >= nsend && received >= expect)
			break;
		if (poll(&pf, 1, wait > 0 ? (int)(wait * 1000) : 0) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf) - SRTP_MAX_TRAILER_LEN, 0);
			int len = (int)n;

			if (n >= 12) {
				if (srtp_unprotect(rx, buf, &len) == srtp_err_status_ok)
					received++;
				else
					auth_fail++;
			}
		}
		if (sent < nsend && now_s() >= next) {
			int len = 12 + PAYLOAD;

			memset(buf, 0xd5, (size_t)len);        /* G.711 A-law silence */
			buf[0] = 0x80;
			buf[1] = 8;
			buf[2] = (uint8_t)(sent >> 8);
			buf[3] = (uint8_t)sent;
			buf[4] = (uint8_t)((sent * 160) >> 24);
			buf[5] = (uint8_t)((sent * 160) >> 16);
			buf[6] = (uint8_t)((sent * 160) >> 8);
			buf[7] = (uint8_t)(sent * 160);
			memcpy(buf + 8, &ssrc, 4);
			if (srtp_protect(tx, buf, &len) == srtp_err_status_ok) {
				if (tamper)
					buf[20] ^= 1;
				sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&ra, sizeof(ra));
			}
			sent++;
			next += 0.02;
		}
	}
	printf("sent=%d received=%d auth_fail=%d\n", sent, received, auth_fail);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	srtp_shutdown();
	close(fd);
	return received >= expect ? 0 : 1;
}
