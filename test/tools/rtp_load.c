/*
 * rtp_load.c - RTP/SRTP load generator for `make bench` (scripts/bench/media.sh).
 *
 * Reads a plan (one line per call, from media_setup.py):
 *     RELAY_PORT_FOR_A RELAY_PORT_FOR_B KEY_A KEY_R
 * where side A sends to RELAY_ADDR:RELAY_PORT_FOR_A and side B sends to
 * RELAY_ADDR:RELAY_PORT_FOR_B. With --srtp, side A speaks SRTP
 * (AES_CM_128_HMAC_SHA1_80): it protects with KEY_A (the key it offered) and
 * verifies a sample of what it receives with KEY_R (the relay's key from the
 * answer); side B is plain RTP. KEY_* are base64 (30 bytes), "-" when plain.
 *
 * Every call carries one G.711 stream each way: 50 packets/s, 12 + 160 bytes
 * of RTP. All of side A's streams share one socket (--a ADDR:PORT, which the
 * SDP advertised for every call), likewise side B (--b), so that sending is
 * one sendmmsg per batch and receiving one recvmmsg per batch: the generator
 * must cost less than the relay it measures. Packets are paced in 1 ms
 * slices of the 20 ms period. Streams are told apart by SSRC.
 *
 * Latency: every packet carries its send time (CLOCK_REALTIME, ns, the first
 * 8 bytes of the payload, written just before it is queued; batches of
 * SEND_BATCH so the stamp is at most one batch's sendmmsg early), and the
 * receiver takes the kernel's arrival time of the relayed packet on its
 * socket (SO_TIMESTAMPNS, the same clock), so the generator's own polling
 * does not count. A -> B: every packet at B (plain RTP in both modes).
 * B -> A: every packet with plain RTP; with --srtp only the packets A
 * authenticates (one in VERIFY_EVERY), since the stamp is encrypted.
 *
 * Prints one line of key=value counters: sent and received each way, loss
 * in % each way, SRTP sample checks, the generator's own CPU seconds, and
 * the added latency per packet in us (p50, p99, max; both ways and each way).
 * Links libsrtp2 and the relay's transforms (--transforms evp|stock,
 * default evp or SRTP_TRANSFORMS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <srtp2/srtp.h>
#include "srtp_xform.h"

#define PAYLOAD 160
#define PKT (12 + PAYLOAD)
#define BATCH 256
#define SEND_BATCH 32       /* flush every 32 queued packets: bounds stamp-to-send */
#define LAT_BUCKETS 100000  /* 1 us buckets up to 100 ms, the last one holds more */
#define SLICES 20           /* 1 ms slices of the 20 ms packet period */
#define SSRC_A 0x10000000u  /* A -> B streams: SSRC_A + index */
#define SSRC_B 0x20000000u  /* B -> A streams */
#define VERIFY_EVERY 64     /* SRTP: authenticate one received packet in 64 */

struct stream {
	struct sockaddr_in to_a, to_b;  /* relay ports A and B send to */
	uint16_t seq_a, seq_b;
	uint32_t ts;
	srtp_t tx, rx;                  /* side A, with --srtp */
	uint8_t key_a[30], key_r[30];
	uint64_t rcv_at_a, rcv_at_b;
	uint32_t last_verified_seq;
	int verify_started;
};

static struct stream *st;
static int nst;

/* Added latency per direction: a histogram, no allocation per packet. */
struct lat {
	uint64_t n, max_ns;
	uint64_t bucket[LAT_BUCKETS];
};
static struct lat lat_ab, lat_ba;

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rx_ns: the kernel's arrival time; pkt: the RTP packet as plain text. */
static void lat_add(struct lat *l, const uint8_t *pkt, int len, uint64_t rx_ns)
{
	uint64_t tx_ns = 0, d, us;

	if (len < 12 + 8)
		return;
	for (int i = 0; i < 8; i++)
		tx_ns = tx_ns << 8 | pkt[12 + i];
	/* a packet stamped before this run or a mangled one: not a sample */
	if (tx_ns == 0 || tx_ns > rx_ns + 1000000u)
		return;
	d = rx_ns > tx_ns ? rx_ns - tx_ns : 0;
	us = d / 1000;
	l->bucket[us < LAT_BUCKETS ? us : LAT_BUCKETS - 1]++;
	l->n++;
	if (d > l->max_ns)
		l->max_ns = d;
}

/* The P-th percentile (0-100) in us over one or two histograms. */
static long lat_pctl(const struct lat *x, const struct lat *y, double p)
{
	uint64_t n = x->n + (y ? y->n : 0), want, acc = 0;

	if (n == 0)
		return -1;
	want = (uint64_t)((double)n * p / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	for (long i = 0; i < LAT_BUCKETS; i++) {
		acc += x->bucket[i] + (y ? y->bucket[i] : 0);
		if (acc >= want)
			return i;
	}
	return LAT_BUCKETS - 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: rtp_load --plan FILE --relay ADDR --a ADDR:PORT --b ADDR:PORT\n"
			"                [--seconds S] [--srtp] [--drain-ms MS] [--transforms evp|stock]\n");
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

	for (; *in && *in != '=' && *in != '|'; in++) {
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

static int make_session(srtp_t *s, uint8_t *key, int outbound)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = key;
	p.window_size = 1024;
	p.allow_repeat_tx = 0;
	return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_plan(const char *path, const char *relay, int srtp)
{
	FILE *f = fopen(path, "r");
	char line[512], ka[128], kr[128];
	int pa, pb, cap = 1024;

	if (!f) {
		perror(path);
		return -1;
	}
	st = calloc((size_t)cap, sizeof(*st));
	while (st && fgets(line, sizeof(line), f)) {
		struct stream *s;

		if (sscanf(line, "%d %d %127s %127s", &pa, &pb, ka, kr) != 4)
			continue;
		if (nst == cap) {
			cap *= 2;
			st = realloc(st, (size_t)cap * sizeof(*st));
			if (!st)
				break;
		}
		s = &st[nst];
		memset(s, 0, sizeof(*s));
		s->to_a.sin_family = s->to_b.sin_family = AF_INET;
		inet_pton(AF_INET, relay, &s->to_a.sin_addr);
		s->to_b.sin_addr = s->to_a.sin_addr;
		s->to_a.sin_port = htons((uint16_t)pa);
		s->to_b.sin_port = htons((uint16_t)pb);
		s->seq_a = (uint16_t)(nst * 7);
		s->seq_b = (uint16_t)(nst * 13);
		if (srtp) {
			if (b64_decode(ka, s->key_a, 30) != 30 || b64_decode(kr, s->key_r, 30) != 30 ||
			    make_session(&s->tx, s->key_a, 1) < 0 || make_session(&s->rx, s->key_r, 0) < 0) {
				fprintf(stderr, "rtp_load: bad SRTP key on plan line %d\n", nst + 1);
				fclose(f);
				return -1;
			}
		}
		nst++;
	}
	fclose(f);
	return st ? nst : -1;
}

static int open_sock(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 16 << 20;

	if (fd < 0)
		return -1;
	/* FORCE variants work as root past net.core.*mem_max; fall back. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* arrival times from the kernel (falls back to the drain's clock) */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){1}, sizeof(int));
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Outgoing batch for one socket. */
struct outq {
	int fd, n;
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][PKT + SRTP_MAX_TRAILER_LEN];
	uint64_t sent, send_err;
};

static void flush(struct outq *q)
{
	int off = 0;

	while (off < q->n) {
		int r = sendmmsg(q->fd, q->msg + off, (unsigned)(q->n - off), 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* e.g. ECONNREFUSED from an earlier ICMP error: skip one */
			q->send_err++;
			off++;
			continue;
		}
		q->sent += (uint64_t)r;
		off += r;
	}
	q->n = 0;
}

static void queue_pkt(struct outq *q, const struct sockaddr_in *to, uint32_t ssrc, uint16_t seq,
		      uint32_t ts, srtp_t tx)
{
	uint8_t *b = q->buf[q->n];
	int len = PKT;
	uint64_t now = realtime_ns();

	b[0] = 0x80;
	b[1] = 8;  /* PCMA */
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	memset(b + 12, 0xd5, PAYLOAD);
	for (int i = 0; i < 8; i++)
		b[12 + i] = (uint8_t)(now >> (56 - 8 * i));
	if (tx && srtp_protect(tx, b, &len) != srtp_err_status_ok) {
		q->send_err++;
		return;
	}
	q->iov[q->n].iov_base = b;
	q->iov[q->n].iov_len = (size_t)len;
	memset(&q->msg[q->n], 0, sizeof(q->msg[0]));
	q->msg[q->n].msg_hdr.msg_iov = &q->iov[q->n];
	q->msg[q->n].msg_hdr.msg_iovlen = 1;
	q->msg[q->n].msg_hdr.msg_name = (void *)to;
	q->msg[q->n].msg_hdr.msg_namelen = sizeof(*to);
	if (++q->n == SEND_BATCH)
		flush(q);
}

struct counters {
	uint64_t at_a, at_b, foreign, verify_ok, verify_fail;
};

/* Drains one socket; side 'a' or 'b'. */
static void drain(int fd, char side, int srtp, struct counters *c)
{
	static uint8_t buf[BATCH][2048];
	static struct mmsghdr msg[BATCH];
	static struct iovec iov[BATCH];
	static union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct timespec))];
	} ctl[BATCH];

	for (;;) {
		int n, i;

		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]) - SRTP_MAX_TRAILER_LEN;
			memset(&msg[i].msg_hdr, 0, sizeof(msg[i].msg_hdr));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctl[i].b;
			msg[i].msg_hdr.msg_controllen = sizeof(ctl[i].b);
		}
		n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t fallback_ns = realtime_ns();
		for (i = 0; i < n; i++) {
			uint8_t *b = buf[i];
			uint32_t ssrc, idx;
			int len = (int)msg[i].msg_len;
			uint64_t rx_ns = fallback_ns;
			struct cmsghdr *cm;

			for (cm = CMSG_FIRSTHDR(&msg[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msg[i].msg_hdr, cm)) {
				if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
				    cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					rx_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
				}
			}

			if (len < 12) {
				c->foreign++;
				continue;
			}
			ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
			if (side == 'b' && (ssrc & 0xf0000000u) == SSRC_A) {
				idx = ssrc - SSRC_A;
				if (idx >= (uint32_t)nst) {
					c->foreign++;
					continue;
				}
				st[idx].rcv_at_b++;
				c->at_b++;
				lat_add(&lat_ab, b, len, rx_ns);
			} else if (side == 'a' && (ssrc & 0xf0000000u) == SSRC_B) {
				idx = ssrc - SSRC_B;
				if (idx >= (uint32_t)nst) {
					c->foreign++;
					continue;
				}
				st[idx].rcv_at_a++;
				c->at_a++;
				if (!srtp) {
					lat_add(&lat_ba, b, len, rx_ns);
				} else if ((st[idx].rcv_at_a % VERIFY_EVERY) == 1) {
					if (srtp_unprotect(st[idx].rx, b, &len) == srtp_err_status_ok && len == PKT) {
						c->verify_ok++;
						lat_add(&lat_ba, b, len, rx_ns);
					} else {
						c->verify_fail++;
					}
				}
			} else {
				c->foreign++;
			}
		}
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plan", 1, 0, 'p'}, {"relay", 1, 0, 'r'}, {"a", 1, 0, 'a'}, {"b", 1, 0, 'b'},
		{"seconds", 1, 0, 's'}, {"srtp", 0, 0, 'S'}, {"drain-ms", 1, 0, 'd'},
		{"transforms", 1, 0, 'X'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *plan = NULL, *relay = "127.0.0.1", *a = NULL, *b = NULL;
	double seconds = 10, start, next, cpu0, cpu1, wall;
	enum xform_impl impl = XFORM_EVP;
	char err[160] = "";
	int srtp = 0, drain_ms = 500, opt, fa, fb, tick = 0;
	struct sockaddr_in la, lb;
	static struct outq qa, qb;
	struct counters c = {0};

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': plan = optarg; break;
		case 'r': relay = optarg; break;
		case 'a': a = optarg; break;
		case 'b': b = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'S': srtp = 1; break;
		case 'd': drain_ms = atoi(optarg); break;
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
	if (!plan || !a || !b || parse_hostport(a, &la) < 0 || parse_hostport(b, &lb) < 0) {
		usage();
		return 2;
	}
	/* The generator's SRTP on the fast transforms too, so the bench
	 * measures the relay (--transforms stock to compare). */
	if (srtp && (xform_from_env(&impl, err, sizeof(err)) < 0 || srtp_init() != srtp_err_status_ok ||
		     xform_install(impl, err, sizeof(err)) < 0)) {
		fprintf(stderr, "rtp_load: %s\n", err[0] ? err : "srtp_init failed");
		return 2;
	}
	if (load_plan(plan, relay, srtp) <= 0) {
		fprintf(stderr, "rtp_load: empty plan %s\n", plan);
		return 2;
	}
	fa = open_sock(&la);
	fb = open_sock(&lb);
	if (fa < 0 || fb < 0) {
		fprintf(stderr, "rtp_load: bind: %s\n", strerror(errno));
		return 2;
	}
	qa.fd = fa;
	qb.fd = fb;
	cpu0 = cpu_s();
	start = next = now_s();
	/* One slice per ms: slice k of each 20 ms period sends streams i with
	 * i % SLICES == k, one packet each way. */
	while (next - start < seconds) {
		int k = tick % SLICES;

		for (int i = k; i < nst; i += SLICES) {
			struct stream *s = &st[i];

			queue_pkt(&qa, &s->to_a, SSRC_A + (uint32_t)i, s->seq_a++, s->ts, srtp ? s->tx : NULL);
			queue_pkt(&qb, &s->to_b, SSRC_B + (uint32_t)i, s->seq_b++, s->ts, NULL);
			s->ts += 160;
		}
		flush(&qa);
		flush(&qb);
		tick++;
		next = start + tick * 0.001;
		/* Receive what arrived (large socket buffers hold it), then sleep
		 * until the next slice: receiving is batched by the millisecond,
		 * no wakeup per packet and no spinning. */
		drain(fa, 'a', srtp, &c);
		drain(fb, 'b', srtp, &c);
		{
			double w = next - now_s();
			struct timespec to;

			if (w > 0) {
				to.tv_sec = (time_t)w;
				to.tv_nsec = (long)((w - (double)to.tv_sec) * 1e9);
				nanosleep(&to, NULL);
			}
		}
	}
	wall = now_s() - start;
	/* What is still in flight arrives within the drain time. */
	for (double end = now_s() + drain_ms / 1000.0; now_s() < end;) {
		struct pollfd pf[2] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}};

		poll(pf, 2, 10);
		drain(fa, 'a', srtp, &c);
		drain(fb, 'b', srtp, &c);
	}
	cpu1 = cpu_s();
	{
		double loss_ab = qa.sent ? 100.0 * (double)((int64_t)qa.sent - (int64_t)c.at_b) / (double)qa.sent : 100;
		double loss_ba = qb.sent ? 100.0 * (double)((int64_t)qb.sent - (int64_t)c.at_a) / (double)qb.sent : 100;
		int dead = 0;

		for (int i = 0; i < nst; i++)
			dead += st[i].rcv_at_a == 0 || st[i].rcv_at_b == 0;
		printf("streams=%d seconds=%.2f sent_ab=%llu recv_ab=%llu sent_ba=%llu recv_ba=%llu "
		       "loss_ab_pct=%.3f loss_ba_pct=%.3f send_err=%llu foreign=%llu dead_streams=%d "
		       "srtp_verify_ok=%llu srtp_verify_fail=%llu gen_cpu_s=%.2f "
		       "lat_n=%llu lat_p50_us=%ld lat_p99_us=%ld lat_max_us=%llu "
		       "lat_ab_n=%llu lat_ab_p50_us=%ld lat_ab_p99_us=%ld lat_ba_n=%llu lat_ba_p50_us=%ld lat_ba_p99_us=%ld\n",
		       nst, wall, (unsigned long long)qa.sent, (unsigned long long)c.at_b,
		       (unsigned long long)qb.sent, (unsigned long long)c.at_a, loss_ab, loss_ba,
		       (unsigned long long)(qa.send_err + qb.send_err), (unsigned long long)c.foreign, dead,
		       (unsigned long long)c.verify_ok, (unsigned long long)c.verify_fail, cpu1 - cpu0,
		       (unsigned long long)(lat_ab.n + lat_ba.n), lat_pctl(&lat_ab, &lat_ba, 50),
		       lat_pctl(&lat_ab, &lat_ba, 99),
		       (unsigned long long)((lat_ab.max_ns > lat_ba.max_ns ? lat_ab.max_ns : lat_ba.max_ns) / 1000),
		       (unsigned long long)lat_ab.n, lat_pctl(&lat_ab, NULL, 50), lat_pctl(&lat_ab, NULL, 99),
		       (unsigned long long)lat_ba.n, lat_pctl(&lat_ba, NULL, 50), lat_pctl(&lat_ba, NULL, 99));
	}
	if (srtp) {
		for (int i = 0; i < nst; i++) {
			srtp_dealloc(st[i].tx);
			srtp_dealloc(st[i].rx);
		}
		srtp_shutdown();
	}
	free(st);
	close(fa);
	close(fb);
	return 0;
}
