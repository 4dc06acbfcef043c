/*
 * test_stream.c - the packet path of one stream (media-relay/stream.c).
 *
 * Drives stream_packet() directly with made-up sources: latching, no
 * RTP bleed, SRTP authentication before latching, loss counting, RTCP
 * demultiplexing and the port pool running dry. Sockets are real (bound
 * on 127.0.0.1) but nothing is sent.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "unit.h"
#include "port_pool.h"
#include "srtp_ctx.h"
#include "stream.h"

#define CAP 2048

static struct port_pool *pool;

static int setup(void)
{
	pool = port_pool_new(42000, 42099);
	return pool ? 0 : 1;
}

static int teardown(void)
{
	port_pool_free(pool);
	return 0;
}

static union stream_addr addr(const char *ip, int port)
{
	union stream_addr a;

	stream_addr_set(&a, ip, port);
	return a;
}

static int rtp(uint8_t *buf, uint16_t seq)
{
	memset(buf, 0, 172);
	buf[0] = 0x80;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[11] = 7;
	return 172;
}

/* A fresh stream whose sides latch on the first source (the forwarding
 * tests' premise); test_latch_policy_stops_hijack sets each policy. */
static struct stream *new_stream(void)
{
	struct stream *st = NULL;
	char err[128];

	CU_ASSERT_EQUAL(stream_new(&st, (const char *const[]){"127.0.0.1", "127.0.0.1"},
				   (struct port_pool *const[]){pool, pool}, 1000, err, sizeof(err)), 0);
	for (int s = 0; st && s < 2; s++) {
		struct stream_update u;

		memset(&u, 0, sizeof(u));
		u.side = s;
		u.latch = STREAM_LATCH_FIRST;
		stream_apply(st, &u);
	}
	return st;
}

static void destroy(struct stream *st)
{
	stream_release_ports(st, (struct port_pool *const[]){pool, pool});
	stream_free(st);
}

/* The latch policy set_sdp() applies: most tests are about forwarding,
 * and latch on the first source (the policy "first"). */
static int latch_mode = STREAM_LATCH_FIRST;
static const char *sip_peer;     /* the side's SIP address, or NULL */

/* Side 1's peer is known from its SDP: 127.0.0.1:5000 (RTCP 5001). */
static void set_sdp(struct stream *st, int side, int port, int mux)
{
	struct stream_update u;

	memset(&u, 0, sizeof(u));
	u.side = side;
	u.sdp[STREAM_RTP] = addr("127.0.0.1", port);
	u.sdp[STREAM_RTCP] = addr("127.0.0.1", port + 1);
	u.rtcp_mux = mux;
	u.latch = latch_mode;
	if (sip_peer)
		u.peer = addr(sip_peer, 9);
	stream_apply(st, &u);
}

static void test_ports_are_pairs_and_sockets_bound(void)
{
	struct stream *st = new_stream();

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (int s = 0; s < 2; s++) {
		CU_ASSERT_EQUAL(st->side[s].port % 2, 0);
		CU_ASSERT(st->side[s].sock[0].fd >= 0 && st->side[s].sock[1].fd >= 0);
	}
	CU_ASSERT_NOT_EQUAL(st->side[0].port, st->side[1].port);
	CU_ASSERT_EQUAL(port_pool_in_use(pool), 2);
	destroy(st);
	CU_ASSERT_EQUAL(port_pool_in_use(pool), 0);
}

static void test_first_latches_first_source_and_drops_others(void)
{
	struct stream *st = new_stream();
	union stream_addr nat = addr("198.51.100.7", 40000), intruder = addr("203.0.113.9", 40000);
	union stream_addr real1 = addr("192.0.2.50", 7000);
	const union stream_addr *dst;
	uint8_t buf[CAP];
	int len, fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	set_sdp(st, 1, 5000, 0);
	/* Before side 1 sent anything, side 0's packets go to its SDP address. */
	len = rtp(buf, 1);
	fd = stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &nat, 2000, &dst);
	CU_ASSERT_EQUAL(fd, st->side[1].sock[STREAM_RTP].fd);
	CU_ASSERT(fd >= 0 && stream_addr_equal(dst, &st->side[1].sdp[STREAM_RTP]));
	CU_ASSERT(st->side[0].is_latched[STREAM_RTP]);
	/* Someone else on side 0's port: dropped and counted. */
	len = rtp(buf, 2);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &intruder, 2001, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].foreign), 1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].packets), 1);
	/* Side 1's peer answers from behind NAT: it is latched, and side 0's
	 * packets now go to where it really is. */
	len = rtp(buf, 1);
	CU_ASSERT(stream_packet(st, 1, STREAM_RTP, buf, &len, CAP, &real1, 2002, &dst) >= 0);
	CU_ASSERT(stream_addr_equal(dst, &nat));
	len = rtp(buf, 3);
	CU_ASSERT(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &nat, 2003, &dst) >= 0);
	CU_ASSERT(stream_addr_equal(dst, &real1));
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].bytes), 2 * 172);
	CU_ASSERT_EQUAL(atomic_load(&st->side[0].cnt[STREAM_RTP].last_ms), 2003);
	destroy(st);
}

/* Who may latch side 0 (SDP 127.0.0.1:6000, SIP from 198.51.100.7), per
 * policy: the RTP hijack of wave 1 was an intruder's packets arriving
 * before the caller's. */
static void test_latch_policy_stops_hijack(void)
{
	static const struct {
		int mode;
		const char *src;
		int port;
		int64_t at;      /* ms after an intruder first tried */
		int latches;
	} cases[] = {
		/* the SDP's own address: always */
		{STREAM_LATCH_SDP, "127.0.0.1", 6000, 0, 1},
		{STREAM_LATCH_LEARN, "127.0.0.1", 6000, 0, 1},
		{STREAM_LATCH_FIRST, "127.0.0.1", 6000, 0, 1},
		/* the SIP peer's address, another port (NAT): learn and first */
		{STREAM_LATCH_SDP, "198.51.100.7", 40000, 0, 0},
		{STREAM_LATCH_LEARN, "198.51.100.7", 40000, 0, 1},
		{STREAM_LATCH_FIRST, "198.51.100.7", 40000, 0, 1},
		/* an intruder: first at once, learn only after the window */
		{STREAM_LATCH_SDP, "203.0.113.9", 40000, 0, 0},
		{STREAM_LATCH_LEARN, "203.0.113.9", 40000, 0, 0},
		{STREAM_LATCH_LEARN, "203.0.113.9", 40000, STREAM_LEARN_MS - 1, 0},
		{STREAM_LATCH_LEARN, "203.0.113.9", 40000, STREAM_LEARN_MS, 1},
		{STREAM_LATCH_SDP, "203.0.113.9", 40000, STREAM_LEARN_MS * 10, 0},
		{STREAM_LATCH_FIRST, "203.0.113.9", 40000, 0, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stream *st = new_stream();
		union stream_addr src = addr(cases[i].src, cases[i].port);
		union stream_addr intruder = addr("203.0.113.9", 40000);
		const union stream_addr *dst;
		uint8_t buf[CAP];
		int len = rtp(buf, 1), fd;

		CU_ASSERT_PTR_NOT_NULL_FATAL(st);
		latch_mode = cases[i].mode;
		sip_peer = "198.51.100.7";
		set_sdp(st, 0, 6000, 0);
		latch_mode = STREAM_LATCH_FIRST;
		sip_peer = NULL;
		set_sdp(st, 1, 5000, 0);
		if (cases[i].at && cases[i].mode != STREAM_LATCH_FIRST) {
			/* the intruder starts trying at t=1000 */
			CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &intruder, 1000, &dst), -1);
			len = rtp(buf, 2);
		}
		fd = stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &src, 1000 + cases[i].at, &dst);
		if ((fd >= 0) != cases[i].latches)
			fprintf(stderr, "case %zu: mode %d from %s:%d at +%lld: %s\n", i, cases[i].mode,
				cases[i].src, cases[i].port, (long long)cases[i].at, fd >= 0 ? "latched" : "dropped");
		CU_ASSERT_EQUAL(fd >= 0, cases[i].latches);
		CU_ASSERT_EQUAL(st->side[0].is_latched[STREAM_RTP], cases[i].latches);
		if (!cases[i].latches)
			CU_ASSERT(stream_counter(&st->side[0].cnt[STREAM_RTP].foreign) >= 1);
		destroy(st);
	}
}

static void test_new_sdp_address_relatches(void)
{
	struct stream *st = new_stream();
	union stream_addr a = addr("198.51.100.7", 40000), b = addr("198.51.100.8", 40000);
	const union stream_addr *dst;
	uint8_t buf[CAP];
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	set_sdp(st, 0, 6000, 0);
	set_sdp(st, 1, 5000, 0);
	len = rtp(buf, 1);
	CU_ASSERT(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst) >= 0);
	set_sdp(st, 0, 6000, 0);                         /* same SDP: latch stays */
	len = rtp(buf, 2);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &b, 2, &dst), -1);
	set_sdp(st, 0, 6100, 0);                         /* re-INVITE moved it */
	len = rtp(buf, 3);
	CU_ASSERT(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &b, 3, &dst) >= 0);
	destroy(st);
}

static void test_invalid_and_unroutable_dropped(void)
{
	static const struct {
		const char *name;
		uint8_t b0;
		int len;
	} bad[] = {{"version 1", 0x40, 172}, {"version 0", 0x00, 172}, {"runt", 0x80, 11}, {"empty", 0x80, 0}};
	struct stream *st = new_stream();
	union stream_addr a = addr("198.51.100.7", 40000);
	const union stream_addr *dst;
	uint8_t buf[CAP];
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rtp(buf, 1);
		buf[0] = bad[i].b0;
		len = bad[i].len;
		CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst), -1);
	}
	CU_ASSERT_FALSE(st->side[0].is_latched[STREAM_RTP]);
	/* Valid, but side 1 has neither SDP address nor latch yet. */
	len = rtp(buf, 1);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].dropped), 5);
	/* No room left for an SRTP trailer: refused rather than overrun. */
	set_sdp(st, 1, 5000, 0);
	len = rtp(buf, 2);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, 172 + 10, &a, 1, &dst), -1);
	destroy(st);
}

static void test_loss_counts_gaps_and_forgives_late_packets(void)
{
	static const struct {
		uint16_t seq;
		uint64_t lost;
	} steps[] = {{10, 0}, {11, 0}, {14, 2}, {12, 1}, {15, 1}, {15, 1}, {5015, 1}, {5017, 2}, {5016, 1}};
	struct stream *st = new_stream();
	union stream_addr a = addr("198.51.100.7", 40000);
	const union stream_addr *dst;
	uint8_t buf[CAP];

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	set_sdp(st, 1, 5000, 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int len = rtp(buf, steps[i].seq);

		stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst);
		CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].lost), steps[i].lost);
	}
	destroy(st);
}

static void test_muxed_rtcp_goes_to_rtcp_port(void)
{
	struct stream *st = new_stream();
	union stream_addr a = addr("198.51.100.7", 40000);
	const union stream_addr *dst;
	uint8_t buf[CAP] = {0x80, 201, 0, 1, 0, 0, 0, 7};
	int len = 8, fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	set_sdp(st, 0, 6000, 1);                         /* side 0 muxes */
	set_sdp(st, 1, 5000, 0);                         /* side 1 does not */
	fd = stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst);
	CU_ASSERT_EQUAL(fd, st->side[1].sock[STREAM_RTCP].fd);
	CU_ASSERT(fd >= 0 && ntohs(dst->in.sin_port) == 5001);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTCP].packets), 1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].packets), 0);
	/* And back: side 1's RTCP reaches side 0 on its RTP port. */
	len = 8;
	buf[1] = 200;
	fd = stream_packet(st, 1, STREAM_RTCP, buf, &len, CAP, &a, 2, &dst);
	CU_ASSERT_EQUAL(fd, st->side[0].sock[STREAM_RTP].fd);
	destroy(st);
}

static void test_srtp_authenticates_before_latching(void)
{
	struct stream *st = new_stream();
	struct sdes_key k;
	struct sdes_ctx *peer_tx;
	struct stream_update u;
	union stream_addr good = addr("198.51.100.7", 40000), bad = addr("203.0.113.9", 1234);
	const union stream_addr *dst;
	uint8_t buf[CAP], orig[CAP];
	char err[128];
	int len, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	sdes_key_random(&k, SDES_AES_CM_128_HMAC_SHA1_80);
	peer_tx = sdes_ctx_new(&k, 1, err, sizeof(err));
	memset(&u, 0, sizeof(u));
	u.side = 0;
	u.srtp = 1;
	u.set_rx = 1;
	u.latch = STREAM_LATCH_FIRST;   /* the weakest policy: only SRTP protects */
	u.rx = sdes_ctx_new(&k, 0, err, sizeof(err));
	stream_apply(st, &u);
	set_sdp(st, 1, 5000, 0);

	/* Forged packet first: not authentic, so not latched. */
	len = rtp(buf, 1);
	memset(buf + len, 0xaa, 10);
	len += 10;
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &bad, 1, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].auth_fail), 1);
	CU_ASSERT_FALSE(st->side[0].is_latched[STREAM_RTP]);
	/* The real peer: decrypted, latched, forwarded as plain RTP. */
	n = rtp(orig, 1);
	memcpy(buf, orig, (size_t)n);
	len = n;
	CU_ASSERT_EQUAL(sdes_protect(peer_tx, buf, &len, 0), SDES_OK);
	CU_ASSERT(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &good, 2, &dst) >= 0);
	CU_ASSERT_EQUAL(len, n);
	CU_ASSERT(memcmp(buf, orig, (size_t)n) == 0);
	CU_ASSERT(stream_addr_equal(&st->side[0].latched[STREAM_RTP], &good));
	/* A tampered packet from the latched source is dropped too. */
	len = rtp(buf, 2);
	sdes_protect(peer_tx, buf, &len, 0);
	buf[30] ^= 0x10;
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &good, 3, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].auth_fail), 2);
	sdes_ctx_free(peer_tx);
	destroy(st);
}

static void test_srtp_side_without_keys_drops(void)
{
	struct stream *st = new_stream();
	struct stream_update u;
	union stream_addr a = addr("198.51.100.7", 40000);
	const union stream_addr *dst;
	uint8_t buf[CAP];
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	set_sdp(st, 1, 5000, 0);
	memset(&u, 0, sizeof(u));
	u.side = 1;
	u.sdp[STREAM_RTP] = addr("127.0.0.1", 5000);
	u.sdp[STREAM_RTCP] = addr("127.0.0.1", 5001);
	u.srtp = 1;                                      /* SRTP toward side 1, no key yet */
	stream_apply(st, &u);
	len = rtp(buf, 1);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a, 1, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].dropped), 1);
	destroy(st);
}

static void test_pool_exhaustion_reported(void)
{
	struct port_pool *small = port_pool_new(42100, 42103);   /* two pairs: one stream */
	struct stream *a = NULL, *b = NULL;
	char err[128] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(small);
	struct port_pool *const pools[2] = {small, small};
	const char *const ips[2] = {"127.0.0.1", "127.0.0.1"};

	CU_ASSERT_EQUAL(stream_new(&a, ips, pools, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stream_new(&b, ips, pools, 0, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "ports exhausted");
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(port_pool_in_use(small), 2);     /* the failed one gave back its half */
	stream_release_ports(a, pools);
	stream_free(a);
	CU_ASSERT_EQUAL(port_pool_in_use(small), 0);
	port_pool_free(small);
}

static void test_addr_helpers(void)
{
	union stream_addr a, b;
	char ip[64];

	CU_ASSERT_EQUAL(stream_addr_set(&a, "2001:db8::1", 5004), 0);
	CU_ASSERT_EQUAL(stream_addr_str(&a, ip, sizeof(ip)), 5004);
	CU_ASSERT_STRING_EQUAL(ip, "2001:db8::1");
	CU_ASSERT_EQUAL(stream_addr_set(&b, "2001:db8::1", 5006), 0);
	CU_ASSERT_FALSE(stream_addr_equal(&a, &b));
	CU_ASSERT_EQUAL(stream_addr_set(&b, "carrier.example", 5004), -1);
	CU_ASSERT_EQUAL(stream_addr_set(&b, "1.2.3.4", 70000), -1);
}

/* A two-armed, dual-stack stream: side 0 on IPv4, side 1 on IPv6; a
 * packet from the IPv4 peer leaves through the IPv6 socket and really
 * reaches the IPv6 peer, and back. */
static void test_relays_between_ipv4_and_ipv6(void)
{
	struct stream *st = NULL;
	struct port_pool *p6 = port_pool_new(42200, 42299);
	struct port_pool *const pools[2] = {pool, p6};
	char err[128] = "";
	int peer6 = socket(AF_INET6, SOCK_DGRAM, 0), peer4 = socket(AF_INET, SOCK_DGRAM, 0);
	union stream_addr a6 = addr("::1", 0), a4 = addr("127.0.0.1", 0), src;
	socklen_t sl = sizeof(a6);
	const union stream_addr *dst;
	uint8_t buf[CAP];
	int len, fd;
	struct stream_update u;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p6);
	/* A packet that never comes fails the test rather than hanging it. */
	setsockopt(peer6, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){1, 0}, sizeof(struct timeval));
	setsockopt(peer4, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){1, 0}, sizeof(struct timeval));
	CU_ASSERT_EQUAL_FATAL(bind(peer6, &a6.sa, sizeof(a6.in6)), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(peer6, &a6.sa, &sl), 0);
	sl = sizeof(a4.in);
	CU_ASSERT_EQUAL_FATAL(bind(peer4, &a4.sa, sizeof(a4.in)), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(peer4, &a4.sa, &sl), 0);
	CU_ASSERT_EQUAL_FATAL(stream_new(&st, (const char *const[]){"127.0.0.1", "::1"}, pools, 0, err,
					 sizeof(err)), 0);
	for (int s = 0; s < 2; s++) {
		memset(&u, 0, sizeof(u));
		u.side = s;
		u.latch = STREAM_LATCH_SDP;
		u.sdp[STREAM_RTP] = s ? a6 : a4;
		stream_apply(st, &u);
	}
	CU_ASSERT_EQUAL(port_pool_in_use(pool), 1);
	CU_ASSERT_EQUAL(port_pool_in_use(p6), 1);
	len = rtp(buf, 1);
	fd = stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &a4, 1, &dst);
	CU_ASSERT_EQUAL_FATAL(fd, st->side[1].sock[STREAM_RTP].fd);
	CU_ASSERT_EQUAL(sendto(fd, buf, (size_t)len, 0, &dst->sa, stream_addr_len(dst)), len);
	sl = sizeof(src);
	CU_ASSERT_EQUAL(recvfrom(peer6, buf, sizeof(buf), 0, &src.sa, &sl), len);
	CU_ASSERT_EQUAL(src.sa.sa_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(src.in6.sin6_port), st->side[1].port);
	len = rtp(buf, 7);
	fd = stream_packet(st, 1, STREAM_RTP, buf, &len, CAP, &a6, 2, &dst);
	CU_ASSERT_EQUAL_FATAL(fd, st->side[0].sock[STREAM_RTP].fd);
	CU_ASSERT_EQUAL(sendto(fd, buf, (size_t)len, 0, &dst->sa, stream_addr_len(dst)), len);
	sl = sizeof(src);
	CU_ASSERT_EQUAL(recvfrom(peer4, buf, sizeof(buf), 0, &src.sa, &sl), len);
	CU_ASSERT_EQUAL(src.sa.sa_family, AF_INET);
	stream_release_ports(st, pools);
	stream_free(st);
	CU_ASSERT_EQUAL(port_pool_in_use(p6), 0);
	port_pool_free(p6);
	close(peer4);
	close(peer6);
}

UNIT_SUITE_FULL(stream, setup, teardown,
		UNIT_TEST(test_relays_between_ipv4_and_ipv6),
		UNIT_TEST(test_ports_are_pairs_and_sockets_bound),
		UNIT_TEST(test_first_latches_first_source_and_drops_others),
		UNIT_TEST(test_latch_policy_stops_hijack),
		UNIT_TEST(test_new_sdp_address_relatches),
		UNIT_TEST(test_invalid_and_unroutable_dropped),
		UNIT_TEST(test_loss_counts_gaps_and_forgives_late_packets),
		UNIT_TEST(test_muxed_rtcp_goes_to_rtcp_port),
		UNIT_TEST(test_srtp_authenticates_before_latching),
		UNIT_TEST(test_srtp_side_without_keys_drops),
		UNIT_TEST(test_pool_exhaustion_reported),
		UNIT_TEST(test_addr_helpers))
