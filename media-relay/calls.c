/*
 * calls.c - the relay's call model (see calls.h): calls by call-id in a
 * hash, media per m= line, each side's view, and the streams.
 *
 * Owns: struct calls (the hash, the port pool) and every struct call.
 * Every change to a running stream is a struct stream_update sent to its
 * worker; a stream not yet handed over is changed in place. No DNS: SDP
 * hostnames are left to latching.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "calls.h"
#include "port_pool.h"
#include "relay_config.h"
#include "rlog.h"
#include "workers.h"

#define CALL_BUCKETS 4096

struct calls {
	pthread_mutex_t lock;                       /* the whole model: see calls.h */
	const struct relay_config *cfg;
	struct workers *workers;
	struct port_pool *pool[RELAY_MAX_IFACES];   /* one per interface address (own lock) */
	struct call *bucket[CALL_BUCKETS];
	_Atomic int ncalls;                         /* written under the lock, read without */
	uint64_t serial;
};

void calls_lock(struct calls *cs)
{
	pthread_mutex_lock(&cs->lock);
}

void calls_unlock(struct calls *cs)
{
	pthread_mutex_unlock(&cs->lock);
}

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static struct call **call_slot(struct calls *cs, const char *id)
{
	struct call **pp = &cs->bucket[hash_str(id, strlen(id)) % CALL_BUCKETS];

	while (*pp && strcmp((*pp)->call_id, id) != 0)
		pp = &(*pp)->next;
	return pp;
}

struct call *calls_find(struct calls *cs, const char *id)
{
	return *call_slot(cs, id);
}

struct call *calls_create(struct calls *cs, const char *id, int64_t now_ms)
{
	struct call *c = calloc(1, sizeof(*c)), **pp;

	if (!c || !(c->call_id = strdup(id))) {
		free(c);
		return NULL;
	}
	c->created_ms = c->last_signal_ms = now_ms;
	c->ifa[0] = c->ifa[1] = -1;
	c->created_wall = time(NULL);
	c->serial = ++cs->serial;
	pp = call_slot(cs, id);
	*pp = c;
	cs->ncalls++;
	return c;
}

static void media_release(struct calls *cs, const struct call *c, struct media *m)
{
	if (!m->st)
		return;
	/* A stream exists only once both sides have an interface. */
	stream_release_ports(m->st, (struct port_pool *const[]){cs->pool[c->ifa[0]], cs->pool[c->ifa[1]]});
	if (!m->started || workers_remove(cs->workers, m->st) < 0)
		stream_free(m->st);
	m->st = NULL;
}

void calls_destroy(struct calls *cs, struct call *c)
{
	struct call **pp = call_slot(cs, c->call_id);

	if (*pp == c) {
		*pp = c->next;
		cs->ncalls--;
	}
	/* A line may be allocated past nmedia when its stream failed. */
	for (int i = 0; i < REWRITE_MAX_MEDIA; i++) {
		if (!c->media[i])
			continue;
		media_release(cs, c, c->media[i]);
		free(c->media[i]);
	}
	free(c->tag[0]);
	free(c->tag[1]);
	free(c->call_id);
	free(c);
}

int call_side_of(const struct call *c, const char *tag)
{
	for (int s = 0; s < 2; s++)
		if (c->tag[s] && tag && strcmp(c->tag[s], tag) == 0)
			return s;
	return -1;
}

int call_set_tag(struct call *c, int s, const char *tag)
{
	char *t;

	if (!tag || (c->tag[s] && strcmp(c->tag[s], tag) == 0))
		return 0;
	if (!(t = strdup(tag)))
		return -1;
	free(c->tag[s]);
	c->tag[s] = t;
	return 0;
}

/* An SDP address we can send to; 0.0.0.0 (RFC 2543 hold) and names are
 * not: until a packet arrives the side has no destination. */
static void sdp_dest(union stream_addr *a, const char *ip, int port)
{
	if (port <= 0 || stream_addr_set(a, ip, port) < 0 ||
	    (a->sa.sa_family == AF_INET && a->in.sin_addr.s_addr == INADDR_ANY) ||
	    (a->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr)))
		memset(a, 0, sizeof(*a));
}

static int proto_savp(const char *p)
{
	return strcasecmp(p, "RTP/SAVP") == 0 || strcasecmp(p, "RTP/SAVPF") == 0;
}


/* Learns what a side's SDP says of one m= line; a=crypto: the first line
 * we can use (RFC 4568 s7.1.1: the offerer lists in preference order). */
static int side_learn(struct media_side *ms, const struct rewrite_media *rm, const struct calls_sender *from,
		      char *err, size_t errlen)
{
	ms->have = 1;
	ms->latch = from->latch;
	memset(&ms->peer, 0, sizeof(ms->peer));
	if (from->peer)
		sdp_dest(&ms->peer, from->peer, 9);   /* any port: the address counts */
	snprintf(ms->proto, sizeof(ms->proto), "%s", rm->proto);
	ms->savp = rm->savp;
	ms->port = rm->port;
	snprintf(ms->addr, sizeof(ms->addr), "%s", rm->addr);
	sdp_dest(&ms->rtp, rm->addr, rm->port);
	sdp_dest(&ms->rtcp, rm->rtcp_addr, rm->port ? rm->rtcp_port : 0);
	ms->rtcp_mux = rm->rtcp_mux;
	if (!rm->savp || rm->port == 0)
		return 0;
	for (int i = 0; i < rm->ncrypto; i++) {
		struct sdes_key k;
		int tag;

		if (sdes_attr_parse(rm->crypto[i], &tag, &k) == 0) {
			ms->peer_key = k;
			ms->peer_keyed = 1;
			ms->tx_set = 1;
			ms->tx_tag = tag;
			ms->tx_suite = k.suite;
			return 0;
		}
	}
	snprintf(err, errlen, "no usable a=crypto in SRTP media");
	return -1;
}

static int side_make_keys(struct media_side *ms)
{
	if (ms->ours_made)
		return 0;
	for (int k = 0; k < SDES_NSUITES; k++)
		if (sdes_key_random(&ms->ours[k], (enum sdes_suite)k) < 0)
			return -1;
	ms->ours_made = 1;
	return 0;
}

/* Brings a stream side in line with the model; only changes travel. */
static int side_sync(struct calls *cs, struct media *m, int s, char *err, size_t errlen)
{
	struct media_side *ms = &m->side[s];
	struct stream_update u;
	int want_rx, want_tx, same;
	struct sdes_key tx_key;

	memset(&u, 0, sizeof(u));
	u.side = s;
	if (ms->have) {
		u.sdp[STREAM_RTP] = ms->rtp;
		u.sdp[STREAM_RTCP] = ms->rtcp;
	} else if (ms->applied) {
		u.sdp[STREAM_RTP] = ms->cur.sdp[STREAM_RTP];
		u.sdp[STREAM_RTCP] = ms->cur.sdp[STREAM_RTCP];
	}
	u.rtcp_mux = ms->rtcp_mux;
	u.latch = ms->latch;
	u.peer = ms->peer;
	u.srtp = ms->have ? ms->savp : proto_savp(ms->out_proto);
	want_rx = u.srtp && ms->peer_keyed;
	want_tx = u.srtp && ms->tx_set && ms->ours_made;
	if (want_tx)
		tx_key = ms->ours[ms->tx_suite];
	same = ms->applied && stream_addr_equal(&u.sdp[0], &ms->cur.sdp[0]) &&
	       stream_addr_equal(&u.sdp[1], &ms->cur.sdp[1]) && u.rtcp_mux == ms->cur.rtcp_mux &&
	       u.srtp == ms->cur.srtp && u.latch == ms->cur.latch && stream_addr_equal(&u.peer, &ms->cur.peer);
	if (want_rx != ms->rx_on || (want_rx && !sdes_key_equal(&ms->peer_key, &ms->rx_key))) {
		u.set_rx = 1;
		if (want_rx && !(u.rx = sdes_ctx_new(&ms->peer_key, 0, err, errlen)))
			return -1;
		same = 0;
	}
	if (want_tx != ms->tx_on || (want_tx && !sdes_key_equal(&tx_key, &ms->tx_key))) {
		u.set_tx = 1;
		if (want_tx && !(u.tx = sdes_ctx_new(&tx_key, 1, err, errlen))) {
			stream_update_clear(&u);
			return -1;
		}
		same = 0;
	}
	if (same)
		return 0;
	ms->cur = u;
	ms->cur.rx = ms->cur.tx = NULL;
	ms->applied = 1;
	if (u.set_rx) {
		ms->rx_on = want_rx;
		if (want_rx)
			ms->rx_key = ms->peer_key;
	}
	if (u.set_tx) {
		ms->tx_on = want_tx;
		if (want_tx)
			ms->tx_key = tx_key;
	}
	if (!m->started) {
		stream_apply(m->st, &u);
		return 0;
	}
	if (workers_update(cs->workers, m->st, &u) < 0) {
		snprintf(err, errlen, "worker queue failed");
		return -1;
	}
	return 0;
}

struct calls *calls_new(const struct relay_config *cfg, struct workers *w, char *err, size_t errlen)
{
	struct calls *cs = calloc(1, sizeof(*cs));

	if (!cs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&cs->lock, NULL);
	cs->cfg = cfg;
	cs->workers = w;
	if (cfg->niface < 1 || cfg->niface > RELAY_MAX_IFACES) {
		snprintf(err, errlen, "no media interface");
		goto fail;
	}
	/* Each address has the whole range: ports are per address. */
	for (int i = 0; i < cfg->niface; i++) {
		if (!(cs->pool[i] = port_pool_new(cfg->port_min, cfg->port_max))) {
			snprintf(err, errlen, "bad port range %d-%d", cfg->port_min, cfg->port_max);
			goto fail;
		}
		/* Sockets bound ahead, off the request path (issue 13). */
		if (port_pool_prefill(cs->pool[i], cfg->iface[i].addr, PORT_POOL_READY, err, errlen) < 0)
			goto fail;
	}
	if (sdes_global_init() < 0) {
		snprintf(err, errlen, "libsrtp init failed");
		goto fail;
	}
	return cs;
fail:
	for (int i = 0; i < RELAY_MAX_IFACES; i++)
		port_pool_free(cs->pool[i]);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
	return NULL;
}

void calls_free(struct calls *cs)
{
	if (!cs)
		return;
	for (int b = 0; b < CALL_BUCKETS; b++)
		while (cs->bucket[b])
			calls_destroy(cs, cs->bucket[b]);
	for (int i = 0; i < RELAY_MAX_IFACES; i++)
		port_pool_free(cs->pool[i]);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

int calls_count(const struct calls *cs)
{
	return atomic_load_explicit(&cs->ncalls, memory_order_relaxed);
}

int calls_ports_in_use(const struct calls *cs)
{
	int n = 0;

	for (int i = 0; i < RELAY_MAX_IFACES; i++)
		n += port_pool_in_use(cs->pool[i]);
	return n * 2;
}

size_t calls_ids(struct calls *cs, const char **out, size_t max)
{
	size_t n = 0;

	for (int b = 0; b < CALL_BUCKETS && n < max; b++)
		for (struct call *c = cs->bucket[b]; c && n < max; c = c->next)
			out[n++] = c->call_id;
	return n;
}

static int64_t side_last_ms(struct stream_side *sd)
{
	return atomic_load_explicit(&sd->cnt[STREAM_RTP].last_ms, memory_order_relaxed);
}

/* An answer or re-INVITE restarts the clock. */
int64_t call_last_activity(const struct call *c)
{
	int64_t last = c->last_signal_ms;

	for (int i = 0; i < c->nmedia; i++) {
		struct stream *st = c->media[i] ? c->media[i]->st : NULL;

		for (int s = 0; st && s < 2; s++)
			if (side_last_ms(&st->side[s]) > last)
				last = side_last_ms(&st->side[s]);
	}
	return last;
}

int calls_timed_out(const struct calls *cs, const struct call *c, int64_t now_ms)
{
	return cs->cfg->media_timeout > 0 &&
	       now_ms - call_last_activity(c) > (int64_t)cs->cfg->media_timeout * 1000;
}

void calls_expire(struct calls *cs, int64_t now_ms)
{
	int timeout = cs->cfg->media_timeout;
	int64_t idle = (int64_t)timeout * 2000 + 60000;

	if (timeout <= 0)
		return;
	/* Nobody asked for a call long after its media stopped: its
	 * signalling side is gone. Free its ports. A bucket at a time, so
	 * requests wait for one bucket's walk at most. */
	for (int b = 0; b < CALL_BUCKETS; b++) {
		struct call *c, *next;

		calls_lock(cs);
		for (c = cs->bucket[b]; c; c = next) {
			next = c->next;
			if (now_ms - call_last_activity(c) > idle) {
				rlog_warn("call %s: no media and no signalling, deleted", c->call_id);
				calls_destroy(cs, c);
			}
		}
		calls_unlock(cs);
	}
}

/* The family of the first address an SDP names; AF_UNSPEC when none
 * is numeric (hold's 0.0.0.0 counts: it says IPv4). */
static int sdp_family(const struct rewrite_info *info)
{
	unsigned char buf[16];

	for (int i = 0; i < info->nmedia; i++) {
		if (inet_pton(AF_INET, info->media[i].addr, buf) == 1)
			return AF_INET;
		if (inet_pton(AF_INET6, info->media[i].addr, buf) == 1)
			return AF_INET6;
	}
	return AF_UNSPEC;
}

/* Interface name (NULL: the default) with an address of family; when
 * not strict, the interface's first address will do. Index or -1. */
static int iface_pick(struct calls *cs, const char *name, int family, int strict, char *err, size_t errlen)
{
	int i = relay_config_iface(cs->cfg, name, family);

	if (i < 0 && !strict)
		i = relay_config_iface(cs->cfg, name, AF_UNSPEC);
	if (i < 0)
		snprintf(err, errlen, "interface '%s' has no %s address",
			 name ? name : cs->cfg->iface[0].name, family == AF_INET6 ? "IP6" : "IP4");
	return i;
}

/* Gives each side of c its interface on its first request. 0 or -1. */
static int sides_place(struct calls *cs, struct call *c, int s, const struct rewrite_info *info,
		       const struct calls_sender *from, char *err, size_t errlen)
{
	int fam = sdp_family(info), o = !s, is, io;

	for (int k = 0; k < 2; k++)
		if (from->iface[k] && !relay_config_has_iface(cs->cfg, from->iface[k])) {
			snprintf(err, errlen, "unknown interface '%s'", from->iface[k]);
			return -1;
		}
	is = c->ifa[s] >= 0 ? c->ifa[s] : iface_pick(cs, from->iface[0], fam, 0, err, errlen);
	if (is < 0)
		return -1;
	if (c->ifa[o] >= 0)
		io = c->ifa[o];
	else if (from->family != AF_UNSPEC)
		io = iface_pick(cs, from->iface[1], from->family, 1, err, errlen);
	else
		io = iface_pick(cs, from->iface[1], fam, 0, err, errlen);
	if (io < 0)
		return -1;
	c->ifa[s] = is;
	c->ifa[o] = io;
	return 0;
}

int calls_negotiate(struct calls *cs, struct call *c, int s, int answer, const struct rewrite_info *info,
		    const struct calls_sender *from, struct rewrite_params *par, int64_t now_ms,
		    char *err, size_t errlen)
{
	const char *tproto = from->tproto;
	int o = !s;

	if (answer && info->nmedia > c->nmedia) {
		snprintf(err, errlen, "answer has more m= lines than the offer");
		return -1;
	}
	if (sides_place(cs, c, s, info, from, err, errlen) < 0)
		return -1;
	c->last_signal_ms = now_ms;
	for (int i = 0; i < info->nmedia; i++) {
		struct media *m = c->media[i];
		struct media_side *src, *dst;
		struct rewrite_out *ro = &par->media[i];
		const char *oproto;

		if (!m && !(m = c->media[i] = calloc(1, sizeof(*m)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		src = &m->side[s];
		dst = &m->side[o];
		if (!m->st) {
			const char *const ip[2] = {cs->cfg->iface[c->ifa[0]].addr, cs->cfg->iface[c->ifa[1]].addr};
			struct port_pool *const pool[2] = {cs->pool[c->ifa[0]], cs->pool[c->ifa[1]]};

			if (stream_new(&m->st, ip, pool, now_ms, err, errlen) < 0)
				return -1;
			snprintf(m->type, sizeof(m->type), "%s", info->media[i].type);
			if (i >= c->nmedia)
				c->nmedia = i + 1;
		}
		if (side_learn(src, &info->media[i], from, err, errlen) < 0)
			return -1;
		/* The offer picks the protocol toward the other side; an answer
		 * must speak what that side offered (RFC 3264 s6); a re-offer
		 * without transport-protocol keeps what was agreed (as rtpengine
		 * does), so a re-INVITE never drops SRTP toward an SRTP peer. */
		/* T.38 (udptl) and other non-RTP lines keep their protocol
		 * whatever the call's transport: SRTP is for RTP only. */
		if (!rewrite_proto_rtp(src->proto))
			oproto = src->proto;
		else if (tproto)
			oproto = tproto;
		else if (answer && dst->have)
			oproto = dst->proto;
		else if (dst->out_proto[0])
			oproto = dst->out_proto;
		else
			oproto = src->proto;
		/* Never snprintf a buffer into itself: glibc empties it. */
		if (oproto != dst->out_proto) {
			size_t n = strnlen(oproto, sizeof(dst->out_proto) - 1);

			memmove(dst->out_proto, oproto, n);
			dst->out_proto[n] = 0;
		}
		if (!src->out_proto[0])
			memcpy(src->out_proto, src->proto, sizeof(src->out_proto));   /* same size */
		if ((src->savp && side_make_keys(src) < 0) ||
		    (proto_savp(oproto) && side_make_keys(dst) < 0)) {
			snprintf(err, errlen, "no random keys");
			return -1;
		}
		ro->port = m->st->side[o].port;
		ro->rtcp_port = ro->port + 1;
		ro->proto = dst->out_proto;
		if (proto_savp(oproto) && info->media[i].port) {
			if (answer && dst->tx_set) {
				/* Answer with the suite and tag it offered. */
				sdes_attr_format(dst->tx_tag, &dst->ours[dst->tx_suite], ro->crypto[0],
						 sizeof(ro->crypto[0]));
				ro->ncrypto = 1;
			} else {
				for (int k = 0; k < SDES_NSUITES && k < 2; k++)
					sdes_attr_format(k + 1, &dst->ours[k], ro->crypto[k],
							 sizeof(ro->crypto[k]));
				ro->ncrypto = SDES_NSUITES < 2 ? SDES_NSUITES : 2;
			}
		}
		if (side_sync(cs, m, s, err, errlen) < 0 || side_sync(cs, m, o, err, errlen) < 0)
			return -1;
		if (!m->started) {
			if (workers_add(cs->workers, m->st) < 0) {
				snprintf(err, errlen, "cannot start stream");
				return -1;
			}
			m->started = 1;
		}
	}
	par->addr = cs->cfg->iface[c->ifa[o]].advertised;
	par->nmedia = info->nmedia;
	return 0;
}
