/*
 * srtp_bench.c - micro benchmark of libsrtp2's transforms: stock against
 * ours on OpenSSL EVP (media-relay/srtp_xform.c). Not part of make test.
 *
 * One thread protects a 172-byte RTP packet (12 + 160, G.711 20 ms) and
 * unprotects it, N times per implementation, and prints microseconds per
 * protect+unprotect. Every unprotect must succeed and give back the
 * plaintext, or the run fails: a fast wrong answer is no answer.
 * Usage: srtp_bench [--packets N] [--suite 80|32] [--transforms evp|stock|both]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>
#include "srtp_xform.h"

#define PKT 172

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int session(srtp_t *s, uint8_t *key, int suite32, int outbound)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof(p));
	if (suite32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = key;
	p.window_size = 128;
	return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

/* Microseconds per protect+unprotect, or -1 on any failure. */
static double run(long n, int suite32)
{
	uint8_t key[30], buf[PKT + SRTP_MAX_TRAILER_LEN], plain[PKT];
	srtp_t tx, rx;
	double t0, t1;

	for (int i = 0; i < 30; i++)
		key[i] = (uint8_t)(i * 11 + 3);
	if (session(&tx, key, suite32, 1) < 0 || session(&rx, key, suite32, 0) < 0)
		return -1;
	memset(plain, 0xd5, sizeof(plain));
	plain[0] = 0x80;
	plain[1] = 8;
	memcpy(plain + 8, "\x01\x02\x03\x04", 4);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		int len = PKT;

		/* seq and timestamp advance as a real stream's do. */
		plain[2] = (uint8_t)(i >> 8);
		plain[3] = (uint8_t)i;
		plain[6] = (uint8_t)((i * 160) >> 8);
		plain[7] = (uint8_t)(i * 160);
		memcpy(buf, plain, PKT);
		if (srtp_protect(tx, buf, &len) != srtp_err_status_ok ||
		    srtp_unprotect(rx, buf, &len) != srtp_err_status_ok || len != PKT ||
		    memcmp(buf, plain, PKT) != 0) {
			fprintf(stderr, "srtp_bench: packet %ld did not round-trip\n", i);
			return -1;
		}
	}
	t1 = now_s();
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	return (t1 - t0) * 1e6 / (double)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"packets", 1, 0, 'n'}, {"suite", 1, 0, 's'}, {"transforms", 1, 0, 'x'},
		{"help", 0, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *which = "both";
	enum xform_impl order[2] = {XFORM_STOCK, XFORM_EVP};
	double us[2] = {0, 0};
	long n = 200000;
	int suite32 = 0, opt, first = 0, last = 1;
	char err[160] = "";

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 's': suite32 = strcmp(optarg, "32") == 0; break;
		case 'x': which = optarg; break;
		default:
			fprintf(stderr, "usage: srtp_bench [--packets N] [--suite 80|32] "
					"[--transforms evp|stock|both]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (strcmp(which, "stock") == 0)
		last = 0;
	else if (strcmp(which, "evp") == 0)
		first = 1;
	else if (strcmp(which, "both") != 0)
		return 2;
	if (n <= 0 || srtp_init() != srtp_err_status_ok)
		return 2;
	for (int i = first; i <= last; i++) {
		if (xform_install(order[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "srtp_bench: %s\n", err);
			return 1;
		}
		us[i] = run(n, suite32);
		if (us[i] < 0)
			return 1;
		printf("transforms=%s suite=AES_CM_128_HMAC_SHA1_%s packet=%d packets=%ld "
		       "us_per_protect_unprotect=%.3f\n",
		       xform_name(order[i]), suite32 ? "32" : "80", PKT, n, us[i]);
	}
	if (first == 0 && last == 1)
		printf("speedup=%.2fx\n", us[0] / us[1]);
	srtp_shutdown();
	return 0;
}
