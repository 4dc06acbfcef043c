/*
 * stream.c - the RTP/RTCP packet path of one stream, and its sockets.
 *
 * Owns: validation, latching (RFC 4961 symmetric RTP: learn the real
 * source from the first valid packet, then accept only that source),
 * SRTP transforms via srtp_ctx, and the counters. Must not log, block or
 * allocate on the packet path; bad packets are dropped and counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "port_pool.h"
#include "srtp_ctx.h"
#include "stream.h"

/* A jump this large is a restart (new source, seek), not loss. */
#define SEQ_MAX_GAP 3000

static inline void cnt_add(_Atomic uint64_t *c, uint64_t n)
{
	/* Single writer: a load and a store, no locked instruction. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

int64_t stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int stream_addr_set(union stream_addr *a, const char *ip, int port)
{
	memset(a, 0, sizeof(*a));
	if (port < 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, ip, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

int stream_addr_equal(const union stream_addr *a, const union stream_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return 1;
}

socklen_t stream_addr_len(const union stream_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

int stream_addr_str(const union stream_addr *a, char *buf, size_t cap)
{
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, buf, (socklen_t)cap);
		return ntohs(a->in.sin_port);
	}
	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, buf, (socklen_t)cap);
		return ntohs(a->in6.sin6_port);
	}
	if (cap)
		buf[0] = '\0';
	return -1;
}

int stream_new(struct stream **out, const char *const ip[2], struct port_pool *const pool[2],
	       int64_t now_ms, char *err, size_t errlen)
{
	struct stream *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->created_ms = now_ms;
	st->worker = -1;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 2; k++) {
			st->side[s].sock[k].st = st;
			st->side[s].sock[k].fd = -1;
			st->side[s].sock[k].side = (uint8_t)s;
			st->side[s].sock[k].kind = (uint8_t)k;
		}
	for (int s = 0; s < 2; s++) {
		struct port_pair pp;

		if (port_pool_take(pool[s], ip[s], &pp, err, errlen) < 0) {
			stream_release_ports(st, pool);
			stream_free(st);
			return -1;
		}
		st->side[s].port = pp.port;
		st->side[s].sock[STREAM_RTP].fd = pp.fd[0];
		st->side[s].sock[STREAM_RTCP].fd = pp.fd[1];
	}
	*out = st;
	return 0;
}

void stream_release_ports(const struct stream *st, struct port_pool *const pool[2])
{
	for (int s = 0; s < 2; s++)
		if (st->side[s].port > 0)
			port_pool_put(pool[s], st->side[s].port);
}

void stream_free(struct stream *st)
{
	if (!st)
		return;
	for (int s = 0; s < 2; s++) {
		for (int k = 0; k < 2; k++)
			if (st->side[s].sock[k].fd >= 0)
				close(st->side[s].sock[k].fd);
		sdes_ctx_free(st->side[s].rx);
		sdes_ctx_free(st->side[s].tx);
	}
	free(st);
}

void stream_update_clear(struct stream_update *u)
{
	sdes_ctx_free(u->rx);
	sdes_ctx_free(u->tx);
	u->rx = u->tx = NULL;
}

void stream_apply(struct stream *st, struct stream_update *u)
{
	struct stream_side *sd;

	if (u->side < 0 || u->side > 1) {
		stream_update_clear(u);
		return;
	}
	sd = &st->side[u->side];
	for (int k = 0; k < 2; k++) {
		/* A new address in the SDP (re-INVITE, transfer) may be a new
		 * peer: learn again rather than lock it out. */
		if (!stream_addr_equal(&sd->sdp[k], &u->sdp[k])) {
			sd->is_latched[k] = 0;
			sd->foreign_ms[k] = 0;
		}
		sd->sdp[k] = u->sdp[k];
	}
	sd->latch = (uint8_t)u->latch;
	sd->peer = u->peer;
	if (sd->rtcp_mux != !!u->rtcp_mux)
		sd->is_latched[STREAM_RTCP] = 0;
	sd->rtcp_mux = (uint8_t)!!u->rtcp_mux;
	sd->srtp = (uint8_t)!!u->srtp;
	if (u->set_rx) {
		sdes_ctx_free(sd->rx);
		sd->rx = u->rx;
		u->rx = NULL;
	}
	if (u->set_tx) {
		sdes_ctx_free(sd->tx);
		sd->tx = u->tx;
		u->tx = NULL;
	}
	stream_update_clear(u);
}

/* RFC 5761 s4: on a muxed port, RTCP packet types 192-223 sit where the
 * RTP marker+payload type byte is. */
static int looks_rtcp(const uint8_t *buf, int len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

static void count_seq(struct stream_side *sd, const uint8_t *buf)
{
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	int16_t d;

	if (!sd->seq_init) {
		sd->seq_init = 1;
		sd->max_seq = seq;
		return;
	}
	d = (int16_t)(seq - sd->max_seq);
	if (d > 0) {
		if (d > 1 && d < SEQ_MAX_GAP)
			cnt_add(&sd->cnt[STREAM_RTP].lost, (uint64_t)(d - 1));
		sd->max_seq = seq;
	} else if (d < 0 && d > -SEQ_MAX_GAP) {
		/* Late, not lost: it was counted in a gap before. */
		uint64_t lost = stream_counter(&sd->cnt[STREAM_RTP].lost);

		if (lost)
			atomic_store_explicit(&sd->cnt[STREAM_RTP].lost, lost - 1, memory_order_relaxed);
	} else if (d != 0) {
		sd->max_seq = seq;
	}
}

static int same_host(const union stream_addr *a, const union stream_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->sa.sa_family == AF_INET6 && memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* May src become the source of this unlatched socket (see stream.h)? A
 * source that may not is dropped before anything is learnt from it. */
static int may_latch(struct stream_side *sd, int kind, const union stream_addr *src, int64_t now_ms)
{
	if (sd->latch == STREAM_LATCH_FIRST)
		return 1;
	if (sd->sdp[kind].sa.sa_family && stream_addr_equal(src, &sd->sdp[kind]))
		return 1;
	if (sd->latch == STREAM_LATCH_SDP)
		return 0;
	if (sd->peer.sa.sa_family && same_host(src, &sd->peer))
		return 1;
	if (!sd->foreign_ms[kind])
		sd->foreign_ms[kind] = now_ms ? now_ms : 1;
	return now_ms - sd->foreign_ms[kind] >= STREAM_LEARN_MS;
}

/* The stream's counter and its worker's total (a sequence gap, which a
 * late packet may take back, is not totalled: totals only grow). */
#define COUNT(field, n)                                   \
	do {                                              \
		cnt_add(&c->field, (n));                  \
		if (t)                                    \
			cnt_add(&t->field, (n));          \
	} while (0)

int stream_packet(struct stream *st, int side, int kind, uint8_t *buf, int *len, int cap,
		  const union stream_addr *src, int64_t now_ms, const union stream_addr **dst)
{
	struct stream_side *in = &st->side[side], *out = &st->side[!side];
	int rtcp = kind == STREAM_RTCP || looks_rtcp(buf, *len);
	struct stream_counters *c = &in->cnt[rtcp], *t = st->totals ? &st->totals[rtcp] : NULL;
	int n = *len, ok;
	const union stream_addr *d;

	if (n < (rtcp ? 8 : 12) || (buf[0] >> 6) != 2 || cap - n < SDES_TRAILER_MAX) {
		COUNT(dropped, 1);
		return -1;
	}
	/* After latching only the learnt source may send (no RTP bleed);
	 * before, only a source the side's policy allows (no hijack). */
	if (in->is_latched[kind] ? !stream_addr_equal(src, &in->latched[kind])
				 : !may_latch(in, kind, src, now_ms)) {
		COUNT(foreign, 1);
		return -1;
	}
	if (in->srtp) {
		enum sdes_result r;

		if (!in->rx) {
			COUNT(dropped, 1);
			return -1;
		}
		/* Authenticate before learning anything from the packet. */
		r = sdes_unprotect(in->rx, buf, &n, rtcp);
		if (r != SDES_OK) {
			if (r == SDES_AUTH_FAIL)
				COUNT(auth_fail, 1);
			else
				COUNT(dropped, 1);
			return -1;
		}
	}
	if (!in->is_latched[kind]) {
		in->latched[kind] = *src;
		in->is_latched[kind] = 1;
	}
	COUNT(packets, 1);
	COUNT(bytes, (uint64_t)*len);
	atomic_store_explicit(&c->last_ms, now_ms, memory_order_relaxed);
	if (!rtcp)
		count_seq(in, buf);

	kind = rtcp && !out->rtcp_mux ? STREAM_RTCP : STREAM_RTP;
	d = out->is_latched[kind] ? &out->latched[kind] : &out->sdp[kind];
	if (d->sa.sa_family == 0 || (out->srtp && !out->tx)) {
		COUNT(dropped, 1);
		return -1;
	}
	if (out->srtp) {
		ok = sdes_protect(out->tx, buf, &n, rtcp) == SDES_OK;
		if (!ok) {
			COUNT(dropped, 1);
			return -1;
		}
	}
	*len = n;
	*dst = d;
	return out->sock[kind].fd;
}
