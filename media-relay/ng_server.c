/*
 * ng_server.c - ng control protocol and the call model.
 *
 * Owns, in three parts: (1) transport: the UDP socket and the cookie
 * cache; (2) the command table turning a bencode request into a bencode
 * reply; (3) the calls: tags, per-m= line media with each side's view
 * (addresses, protocol, SDES keys) and the streams they run on. Must not
 * touch packets: the packet path is stream.c in the workers; every
 * change to a running stream is a struct stream_update sent to its
 * worker. Must not block: no DNS (SDP hostnames are left to latching).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bencode.h"
#include "ng_server.h"
#include "port_pool.h"
#include "relay_config.h"
#include "rlog.h"
#include "sdp_rewrite.h"
#include "srtp_ctx.h"
#include "stream.h"
#include "workers.h"

#define NG_MAX_DGRAM 65536
#define COOKIE_MAX 128
#define COOKIE_SLOTS 4096            /* ring: the oldest reply is evicted first */
#define COOKIE_BUCKETS 1024
#define COOKIE_TTL_MS 30000          /* rtpengine keeps replies about as long */
#define CALL_BUCKETS 4096
#define LIST_DEFAULT 32

/* ---------------------------------------------------------------- */
/* Call model                                                       */
/* ---------------------------------------------------------------- */

/* One m= line as one tag (side) sees it. */
struct media_side {
	int have;                        /* this tag sent an SDP for the line */
	char proto[32];                  /* its m= protocol */
	int savp;
	int port;                        /* its RTP port from the SDP */
	char addr[64];
	union stream_addr rtp, rtcp;     /* family 0 when unusable (0.0.0.0, hostname) */
	int rtcp_mux;
	char out_proto[32];              /* what we present to it */
	int peer_keyed;                  /* its a=crypto: unprotects what it sends */
	struct sdes_key peer_key;
	int ours_made;                   /* our keys toward it, one per suite */
	struct sdes_key ours[SDES_NSUITES];
	int tx_set, tx_tag;              /* the suite/tag it chose (offer) or accepted (answer) */
	enum sdes_suite tx_suite;
	/* What its stream side runs now, to send only changes. */
	int applied;
	struct stream_update cur;        /* addresses/mux/srtp only; no contexts */
	int rx_on, tx_on;
	struct sdes_key rx_key, tx_key;
};

struct media {
	struct stream *st;
	int started;                     /* handed to a worker */
	char type[16];
	struct media_side side[2];
};

struct call {
	char *call_id;
	char *tag[2];                    /* side 0 is the first offerer */
	int nmedia;
	struct media media[REWRITE_MAX_MEDIA];
	int64_t created_ms, last_signal_ms;
	time_t created_wall;
	struct call *next;               /* hash bucket chain */
};

struct cookie_entry {
	char cookie[COOKIE_MAX + 1];
	char *reply;
	size_t len;
	int64_t expires_ms;
	int used;
	struct cookie_entry *hnext;
};

struct ng_server {
	const struct relay_config *cfg;
	struct workers *workers;
	struct port_pool *pool;
	int fd;
	struct call *calls[CALL_BUCKETS];
	int ncalls;
	struct cookie_entry cookies[COOKIE_SLOTS];
	struct cookie_entry *cookie_hash[COOKIE_BUCKETS];
	int cookie_next;                 /* ring position of the next slot */
	struct ng_stats stats;
	char inbuf[NG_MAX_DGRAM + 1];
	char outbuf[NG_MAX_DGRAM];
};

/* A request in flight: its pool, dict and the reply being built. */
struct req {
	struct ng_server *ng;
	struct bencode_pool *pool;
	struct bencode *d, *reply;
	int64_t now_ms;
	char err[160];
};

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static struct call **call_slot(struct ng_server *ng, const char *id)
{
	struct call **pp = &ng->calls[hash_str(id, strlen(id)) % CALL_BUCKETS];

	while (*pp && strcmp((*pp)->call_id, id) != 0)
		pp = &(*pp)->next;
	return pp;
}

static struct call *call_find(struct ng_server *ng, const char *id)
{
	return *call_slot(ng, id);
}

static struct call *call_new(struct ng_server *ng, const char *id, int64_t now_ms)
{
	struct call *c = calloc(1, sizeof(*c)), **pp;

	if (!c || !(c->call_id = strdup(id))) {
		free(c);
		return NULL;
	}
	c->created_ms = c->last_signal_ms = now_ms;
	c->created_wall = time(NULL);
	pp = call_slot(ng, id);
	*pp = c;
	ng->ncalls++;
	return c;
}

static void media_release(struct ng_server *ng, struct media *m)
{
	if (!m->st)
		return;
	stream_release_ports(m->st, ng->pool);
	if (!m->started || workers_remove(ng->workers, m->st) < 0)
		stream_free(m->st);
	m->st = NULL;
}

static void call_destroy(struct ng_server *ng, struct call *c)
{
	struct call **pp = call_slot(ng, c->call_id);

	if (*pp == c) {
		*pp = c->next;
		ng->ncalls--;
	}
	for (int i = 0; i < c->nmedia; i++)
		media_release(ng, &c->media[i]);
	free(c->tag[0]);
	free(c->tag[1]);
	free(c->call_id);
	free(c);
}

static int call_side_of(const struct call *c, const char *tag)
{
	for (int s = 0; s < 2; s++)
		if (c->tag[s] && tag && strcmp(c->tag[s], tag) == 0)
			return s;
	return -1;
}

static int set_tag(struct call *c, int s, const char *tag)
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
static int side_learn(struct media_side *ms, const struct rewrite_media *rm, char *err, size_t errlen)
{
	ms->have = 1;
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
static int side_sync(struct ng_server *ng, struct media *m, int s, char *err, size_t errlen)
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
	u.srtp = ms->have ? ms->savp : proto_savp(ms->out_proto);
	want_rx = u.srtp && ms->peer_keyed;
	want_tx = u.srtp && ms->tx_set && ms->ours_made;
	if (want_tx)
		tx_key = ms->ours[ms->tx_suite];
	same = ms->applied && stream_addr_equal(&u.sdp[0], &ms->cur.sdp[0]) &&
	       stream_addr_equal(&u.sdp[1], &ms->cur.sdp[1]) && u.rtcp_mux == ms->cur.rtcp_mux &&
	       u.srtp == ms->cur.srtp;
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
	if (workers_update(ng->workers, m->st, &u) < 0) {
		snprintf(err, errlen, "worker queue failed");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Commands                                                         */
/* ---------------------------------------------------------------- */

static int fail(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *req_str(struct req *r, const char *key)
{
	return bencode_dict_cstr(r->pool, r->d, key);
}

/* A key rtpengine accepts either as a list or as "flags" entries. */
static int req_has(struct req *r, const char *key, const char *value)
{
	struct bencode *v = bencode_dict_get(r->d, key);

	if (v && v->type == BENCODE_LIST && bencode_list_has(v, value))
		return 1;
	if (v && v->type == BENCODE_STR && v->len == strlen(value) &&
	    strncasecmp(v->s, value, v->len) == 0)
		return 1;
	return 0;
}

static int cmd_ping(struct req *r)
{
	bencode_dict_add_cstr(r->pool, r->reply, "result", "pong");
	return 0;
}

enum role { ROLE_OFFER, ROLE_ANSWER };

/* Offer and answer share one path: side s sent the SDP, side o gets the
 * rewritten one. The offer creates what is missing; both update. */
static int negotiate(struct req *r, enum role role)
{
	struct ng_server *ng = r->ng;
	const char *call_id = req_str(r, "call-id"), *from = req_str(r, "from-tag");
	const char *to = req_str(r, "to-tag"), *sdp = req_str(r, "sdp");
	const char *tproto = req_str(r, "transport-protocol");
	struct rewrite_info *info = NULL;
	struct rewrite_params *par = NULL;
	struct call *c;
	int s, o, fresh = 0, rc = -1;
	char *out = NULL;

	if (!call_id || !*call_id)
		return fail(r, "missing call-id");
	if (!from || !*from)
		return fail(r, "missing from-tag");
	if (!sdp)
		return fail(r, "missing sdp");
	if (role == ROLE_ANSWER && (!to || !*to))
		return fail(r, "missing to-tag");
	if (tproto && strcasecmp(tproto, "RTP/AVP") && strcasecmp(tproto, "RTP/SAVP") &&
	    strcasecmp(tproto, "RTP/AVPF") && strcasecmp(tproto, "RTP/SAVPF"))
		return fail(r, "unsupported transport-protocol");
	info = calloc(1, sizeof(*info));
	par = calloc(1, sizeof(*par));
	if (!info || !par) {
		fail(r, "out of memory");
		goto out;
	}
	if (rewrite_parse(sdp, strlen(sdp), info, r->err, sizeof(r->err)) < 0)
		goto out;
	if (info->nmedia == 0) {
		fail(r, "SDP has no media");
		goto out;
	}

	c = call_find(ng, call_id);
	if (role == ROLE_OFFER) {
		if (!c) {
			if (!(c = call_new(ng, call_id, r->now_ms))) {
				fail(r, "out of memory");
				goto out;
			}
			fresh = 1;
		}
		s = call_side_of(c, from);
		if (s < 0)
			s = !c->tag[0] ? 0 : (!c->tag[1] ? 1 : -1);
		if (s < 0) {
			fail(r, "from-tag matches no side of the call");
			goto out;
		}
		o = !s;
		if (set_tag(c, s, from) < 0 || (to && *to && set_tag(c, o, to) < 0)) {
			fail(r, "out of memory");
			goto out;
		}
	} else {
		if (!c) {
			fail(r, "Unknown call-id");
			goto out;
		}
		o = call_side_of(c, from);
		s = call_side_of(c, to);
		if (o < 0 && s < 0) {
			fail(r, "Unknown tags");
			goto out;
		}
		if (o < 0)
			o = !s;
		s = !o;
		/* A forked or replaced answerer takes the side over. */
		if (set_tag(c, s, to) < 0) {
			fail(r, "out of memory");
			goto out;
		}
		if (info->nmedia > c->nmedia) {
			fail(r, "answer has more m= lines than the offer");
			goto out;
		}
	}
	c->last_signal_ms = r->now_ms;

	for (int i = 0; i < info->nmedia; i++) {
		struct media *m = &c->media[i];
		struct media_side *src = &m->side[s], *dst = &m->side[o];
		struct rewrite_out *ro = &par->media[i];
		const char *oproto;

		if (!m->st) {
			if (stream_new(&m->st, ng->cfg->interface, ng->pool, r->now_ms, r->err,
				       sizeof(r->err)) < 0)
				goto out;
			snprintf(m->type, sizeof(m->type), "%s", info->media[i].type);
			if (i >= c->nmedia)
				c->nmedia = i + 1;
		}
		if (side_learn(src, &info->media[i], r->err, sizeof(r->err)) < 0)
			goto out;
		/* The offer picks the protocol toward the other side; an answer
		 * must speak what that side offered (RFC 3264 s6); a re-offer
		 * without transport-protocol keeps what was agreed (as rtpengine
		 * does), so a re-INVITE never drops SRTP toward an SRTP peer. */
		if (tproto)
			oproto = tproto;
		else if (role == ROLE_ANSWER && dst->have)
			oproto = dst->proto;
		else if (dst->out_proto[0])
			oproto = dst->out_proto;
		else
			oproto = src->proto;
		/* Never snprintf a buffer into itself: glibc empties it. */
		if (oproto != dst->out_proto)
			snprintf(dst->out_proto, sizeof(dst->out_proto), "%s", oproto);
		if (!src->out_proto[0])
			snprintf(src->out_proto, sizeof(src->out_proto), "%s", src->proto);
		if ((src->savp && side_make_keys(src) < 0) ||
		    (proto_savp(oproto) && side_make_keys(dst) < 0)) {
			fail(r, "no random keys");
			goto out;
		}
		ro->port = m->st->side[o].port;
		ro->rtcp_port = ro->port + 1;
		ro->proto = dst->out_proto;
		if (proto_savp(oproto) && info->media[i].port) {
			if (role == ROLE_ANSWER && dst->tx_set) {
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
		if (side_sync(ng, m, s, r->err, sizeof(r->err)) < 0 ||
		    side_sync(ng, m, o, r->err, sizeof(r->err)) < 0)
			goto out;
		if (!m->started) {
			if (workers_add(ng->workers, m->st) < 0) {
				fail(r, "cannot start stream");
				goto out;
			}
			m->started = 1;
		}
	}

	par->addr = ng->cfg->interface;
	par->replace_origin = req_has(r, "replace", "origin");
	par->ice_remove = req_has(r, "ICE", "remove") || req_has(r, "ICE", "force");
	par->nmedia = info->nmedia;
	out = rewrite_apply(sdp, strlen(sdp), par, r->err, sizeof(r->err));
	if (!out)
		goto out;
	bencode_dict_add_cstr(r->pool, r->reply, "result", "ok");
	bencode_dict_add_cstr(r->pool, r->reply, "sdp", out);
	rlog_debug("%s %s from %s: %d m= lines", role == ROLE_OFFER ? "offer" : "answer",
		   call_id, role == ROLE_OFFER ? from : to, info->nmedia);
	rc = 0;
out:
	if (rc < 0 && fresh && (c = call_find(ng, call_id)))
		call_destroy(ng, c);
	free(out);
	free(info);
	free(par);
	return rc;
}

static int cmd_offer(struct req *r)
{
	return negotiate(r, ROLE_OFFER);
}

static int cmd_answer(struct req *r)
{
	return negotiate(r, ROLE_ANSWER);
}

static time_t to_wall(int64_t mono_ms, int64_t now_ms)
{
	return time(NULL) - (time_t)((now_ms - mono_ms) / 1000);
}

static struct bencode *endpoint(struct bencode_pool *p, const union stream_addr *a)
{
	struct bencode *e = bencode_dict(p);
	char ip[64];
	int port = stream_addr_str(a, ip, sizeof(ip));

	if (port < 0)
		return e;
	bencode_dict_add_cstr(p, e, "family", a->sa.sa_family == AF_INET6 ? "IPv6" : "IPv4");
	bencode_dict_add_cstr(p, e, "address", ip);
	bencode_dict_add_int(p, e, "port", port);
	return e;
}

struct totals {
	uint64_t packets[2], bytes[2], errors[2];
};

static int64_t side_last_ms(struct stream_side *sd)
{
	return atomic_load_explicit(&sd->cnt[STREAM_RTP].last_ms, memory_order_relaxed);
}

/* The last RTP either way, or the last signal (an answer or re-INVITE
 * restarts the clock), whichever is later. */
static int64_t call_last_activity(const struct call *c)
{
	int64_t last = c->last_signal_ms;

	for (int i = 0; i < c->nmedia; i++) {
		struct stream *st = c->media[i].st;

		for (int s = 0; st && s < 2; s++)
			if (side_last_ms(&st->side[s]) > last)
				last = side_last_ms(&st->side[s]);
	}
	return last;
}

static int call_timed_out(struct ng_server *ng, const struct call *c, int64_t now_ms)
{
	return ng->cfg->media_timeout > 0 &&
	       now_ms - call_last_activity(c) > (int64_t)ng->cfg->media_timeout * 1000;
}

static struct bencode *stream_report(struct req *r, struct call *c, struct media *m, int s, int k,
				     struct totals *t)
{
	struct bencode_pool *p = r->pool;
	struct stream_side *sd = &m->st->side[s];
	struct stream_counters *cnt = &sd->cnt[k];
	struct media_side *ms = &m->side[s];
	struct bencode *d = bencode_dict(p), *st = bencode_dict(p), *fl = bencode_list(p);
	uint64_t pk = stream_counter(&cnt->packets), by = stream_counter(&cnt->bytes);
	uint64_t af = stream_counter(&cnt->auth_fail), fo = stream_counter(&cnt->foreign);
	uint64_t dr = stream_counter(&cnt->dropped);
	int64_t last = atomic_load_explicit(&cnt->last_ms, memory_order_relaxed);
	union stream_addr adv;
	int timeout = r->ng->cfg->media_timeout > 0 &&
		      r->now_ms - (last > c->last_signal_ms ? last : c->last_signal_ms) >
			      (int64_t)r->ng->cfg->media_timeout * 1000;

	bencode_dict_add_int(p, d, "local port", sd->port + k);
	bencode_dict_add(p, d, "endpoint", endpoint(p, k ? &ms->rtcp : &ms->rtp));
	sdp_dest(&adv, r->ng->cfg->interface, sd->port + k);
	bencode_dict_add(p, d, "advertised endpoint", endpoint(p, &adv));
	bencode_dict_add_int(p, d, "last packet", last ? (long long)to_wall(last, r->now_ms) : 0);
	bencode_list_add(fl, bencode_cstr(p, k ? "RTCP" : "RTP"));
	if (ms->savp)
		bencode_list_add(fl, bencode_cstr(p, "SRTP"));
	if (k == STREAM_RTP && ms->rtcp_mux)
		bencode_list_add(fl, bencode_cstr(p, "RTCP-mux"));
	if (k == STREAM_RTP && timeout)
		bencode_list_add(fl, bencode_cstr(p, "timeout"));
	bencode_dict_add(p, d, "flags", fl);
	bencode_dict_add_int(p, st, "packets", (long long)pk);
	bencode_dict_add_int(p, st, "bytes", (long long)by);
	bencode_dict_add_int(p, st, "errors", (long long)(af + fo + dr));
	bencode_dict_add_int(p, st, "lost", (long long)stream_counter(&cnt->lost));
	bencode_dict_add_int(p, st, "auth-failures", (long long)af);
	bencode_dict_add_int(p, st, "foreign", (long long)fo);
	bencode_dict_add_int(p, st, "dropped", (long long)dr);
	bencode_dict_add(p, d, "stats", st);
	t->packets[k] += pk;
	t->bytes[k] += by;
	t->errors[k] += af + fo + dr;
	return d;
}

static void counters(struct bencode_pool *p, struct bencode *parent, const char *key,
		     uint64_t pk, uint64_t by, uint64_t er)
{
	struct bencode *d = bencode_dict(p);

	bencode_dict_add_int(p, d, "packets", (long long)pk);
	bencode_dict_add_int(p, d, "bytes", (long long)by);
	bencode_dict_add_int(p, d, "errors", (long long)er);
	bencode_dict_add(p, parent, key, d);
}

static void call_report(struct req *r, struct call *c)
{
	struct bencode_pool *p = r->pool;
	struct bencode *tags = bencode_dict(p), *tot = bencode_dict(p);
	struct totals t;

	memset(&t, 0, sizeof(t));
	bencode_dict_add_cstr(p, r->reply, "result", "ok");
	bencode_dict_add_int(p, r->reply, "created", (long long)c->created_wall);
	bencode_dict_add_int(p, r->reply, "last signal", (long long)to_wall(c->last_signal_ms, r->now_ms));
	for (int s = 0; s < 2; s++) {
		struct bencode *tag = bencode_dict(p), *medias = bencode_list(p);
		const char *name = c->tag[s] ? c->tag[s] : "";

		if (!c->tag[s] && s == 1)
			break;
		bencode_dict_add_cstr(p, tag, "tag", name);
		bencode_dict_add_int(p, tag, "created", (long long)c->created_wall);
		if (c->tag[!s])
			bencode_dict_add_cstr(p, tag, "in dialogue with", c->tag[!s]);
		for (int i = 0; i < c->nmedia; i++) {
			struct media *m = &c->media[i];
			struct bencode *md = bencode_dict(p), *streams = bencode_list(p);

			if (!m->st)
				continue;
			bencode_dict_add_int(p, md, "index", i + 1);
			bencode_dict_add_cstr(p, md, "type", m->type);
			bencode_dict_add_cstr(p, md, "protocol",
					      m->side[s].have ? m->side[s].proto : m->side[s].out_proto);
			for (int k = 0; k < 2; k++)
				bencode_list_add(streams, stream_report(r, c, m, s, k, &t));
			bencode_dict_add(p, md, "streams", streams);
			bencode_list_add(medias, md);
		}
		bencode_dict_add(p, tag, "medias", medias);
		bencode_dict_add(p, tags, name, tag);
	}
	bencode_dict_add(p, r->reply, "tags", tags);
	counters(p, tot, "RTP", t.packets[0], t.bytes[0], t.errors[0]);
	counters(p, tot, "RTCP", t.packets[1], t.bytes[1], t.errors[1]);
	bencode_dict_add(p, r->reply, "totals", tot);
	bencode_dict_add_int(p, r->reply, "media-timeout", call_timed_out(r->ng, c, r->now_ms));
}

static struct call *req_call(struct req *r)
{
	const char *id = req_str(r, "call-id");
	struct call *c;

	if (!id || !*id) {
		fail(r, "missing call-id");
		return NULL;
	}
	c = call_find(r->ng, id);
	if (!c)
		fail(r, "Unknown call-id");
	return c;
}

static int cmd_query(struct req *r)
{
	struct call *c = req_call(r);

	if (!c)
		return -1;
	call_report(r, c);
	return 0;
}

static int cmd_delete(struct req *r)
{
	struct call *c = req_call(r);

	if (!c)
		return -1;
	call_report(r, c);
	rlog_debug("delete %s", c->call_id);
	call_destroy(r->ng, c);
	return 0;
}

static int cmd_list(struct req *r)
{
	struct bencode *l = bencode_list(r->pool), *lim = bencode_dict_get(r->d, "limit");
	long long max = lim && lim->type == BENCODE_INT && lim->i > 0 ? lim->i : LIST_DEFAULT;
	long long n = 0;

	for (int b = 0; b < CALL_BUCKETS && n < max; b++)
		for (struct call *c = r->ng->calls[b]; c && n < max; c = c->next, n++)
			bencode_list_add(l, bencode_cstr(r->pool, c->call_id));
	bencode_dict_add_cstr(r->pool, r->reply, "result", "ok");
	bencode_dict_add(r->pool, r->reply, "calls", l);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct req *r);
} commands[] = {
	{"ping", cmd_ping},   {"offer", cmd_offer}, {"answer", cmd_answer},
	{"delete", cmd_delete}, {"query", cmd_query}, {"list", cmd_list},
};

/* ---------------------------------------------------------------- */
/* Transport: cookies, datagrams                                    */
/* ---------------------------------------------------------------- */

static struct cookie_entry **cookie_bucket(struct ng_server *ng, const char *cookie, size_t n)
{
	return &ng->cookie_hash[hash_str(cookie, n) % COOKIE_BUCKETS];
}

static void cookie_evict(struct ng_server *ng, struct cookie_entry *e)
{
	struct cookie_entry **pp;

	if (!e->used)
		return;
	for (pp = cookie_bucket(ng, e->cookie, strlen(e->cookie)); *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	free(e->reply);
	memset(e, 0, sizeof(*e));
}

static struct cookie_entry *cookie_find(struct ng_server *ng, const char *cookie, size_t n,
					int64_t now_ms)
{
	for (struct cookie_entry *e = *cookie_bucket(ng, cookie, n); e; e = e->hnext)
		if (strlen(e->cookie) == n && memcmp(e->cookie, cookie, n) == 0)
			return e->expires_ms > now_ms ? e : NULL;
	return NULL;
}

static void cookie_store(struct ng_server *ng, const char *cookie, size_t n, const char *reply,
			 size_t len, int64_t now_ms)
{
	struct cookie_entry *e = &ng->cookies[ng->cookie_next], **b;

	if (n > COOKIE_MAX)
		return;
	cookie_evict(ng, e);
	e->reply = malloc(len ? len : 1);
	if (!e->reply)
		return;
	memcpy(e->reply, reply, len);
	e->len = len;
	memcpy(e->cookie, cookie, n);
	e->cookie[n] = '\0';
	e->expires_ms = now_ms + COOKIE_TTL_MS;
	e->used = 1;
	b = cookie_bucket(ng, cookie, n);
	e->hnext = *b;
	*b = e;
	ng->cookie_next = (ng->cookie_next + 1) % COOKIE_SLOTS;
}

size_t ng_server_handle(struct ng_server *ng, const char *req, size_t len,
			char *reply, size_t cap, int64_t now_ms)
{
	const char *sp = memchr(req, ' ', len);
	size_t clen, out = 0;
	struct cookie_entry *e;
	struct req r;
	struct bencode *cmd;
	char derr[100];
	long n;
	int rc = -1;

	ng->stats.requests++;
	/* No cookie, no way to answer: drop and count. */
	if (!sp || sp == req || (clen = (size_t)(sp - req)) > COOKIE_MAX || clen + 64 > cap) {
		ng->stats.dropped++;
		return 0;
	}
	e = cookie_find(ng, req, clen, now_ms);
	if (e) {
		ng->stats.retransmits++;
		if (e->len > cap)
			return 0;
		memcpy(reply, e->reply, e->len);
		return e->len;
	}
	memset(&r, 0, sizeof(r));
	r.ng = ng;
	r.now_ms = now_ms;
	r.pool = bencode_pool_new();
	if (!r.pool || !(r.reply = bencode_dict(r.pool))) {
		bencode_pool_free(r.pool);
		ng->stats.dropped++;
		return 0;
	}
	r.d = bencode_decode(r.pool, sp + 1, len - clen - 1, NULL, derr, sizeof(derr));
	if (!r.d) {
		fail(&r, "malformed request: %s", derr);
	} else if (r.d->type != BENCODE_DICT) {
		fail(&r, "request is not a dictionary");
	} else if (!(cmd = bencode_dict_get(r.d, "command")) || cmd->type != BENCODE_STR) {
		fail(&r, "missing command");
	} else {
		size_t i;

		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (bencode_str_eq(cmd, commands[i].name))
				break;
		if (i == sizeof(commands) / sizeof(commands[0]))
			fail(&r, "Unrecognized command");
		else
			rc = commands[i].fn(&r);
	}
	if (rc < 0) {
		/* Start over: a half-built reply must not leak into an error. */
		r.reply = bencode_dict(r.pool);
		bencode_dict_add_cstr(r.pool, r.reply, "result", "error");
		bencode_dict_add_cstr(r.pool, r.reply, "error-reason", r.err[0] ? r.err : "error");
		ng->stats.errors++;
		rlog_debug("ng error: %s", r.err);
	}
	memcpy(reply, req, clen);
	reply[clen] = ' ';
	n = bencode_encode(r.reply, reply + clen + 1, cap - clen - 1);
	if (n < 0 || (size_t)n > cap - clen - 1) {
		/* An SDP too big for a datagram: say so instead. */
		struct bencode *d = bencode_dict(r.pool);

		bencode_dict_add_cstr(r.pool, d, "result", "error");
		bencode_dict_add_cstr(r.pool, d, "error-reason", "reply too large");
		n = bencode_encode(d, reply + clen + 1, cap - clen - 1);
	}
	if (n >= 0 && (size_t)n <= cap - clen - 1) {
		out = clen + 1 + (size_t)n;
		cookie_store(ng, req, clen, reply, out, now_ms);
	}
	bencode_pool_free(r.pool);
	return out;
}

struct ng_server *ng_server_new(const struct relay_config *cfg, struct workers *w,
				char *err, size_t errlen)
{
	struct ng_server *ng = calloc(1, sizeof(*ng));

	if (!ng) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ng->cfg = cfg;
	ng->workers = w;
	ng->fd = -1;
	ng->pool = port_pool_new(cfg->port_min, cfg->port_max);
	if (!ng->pool) {
		snprintf(err, errlen, "bad port range %d-%d", cfg->port_min, cfg->port_max);
		free(ng);
		return NULL;
	}
	if (sdes_global_init() < 0) {
		snprintf(err, errlen, "libsrtp init failed");
		port_pool_free(ng->pool);
		free(ng);
		return NULL;
	}
	return ng;
}

void ng_server_free(struct ng_server *ng)
{
	if (!ng)
		return;
	for (int b = 0; b < CALL_BUCKETS; b++)
		while (ng->calls[b])
			call_destroy(ng, ng->calls[b]);
	for (int i = 0; i < COOKIE_SLOTS; i++)
		free(ng->cookies[i].reply);
	if (ng->fd >= 0)
		close(ng->fd);
	port_pool_free(ng->pool);
	free(ng);
}

int ng_server_listen(struct ng_server *ng, char *err, size_t errlen)
{
	union stream_addr a;
	int fd;

	if (stream_addr_set(&a, ng->cfg->ng_addr, ng->cfg->ng_port) < 0) {
		snprintf(err, errlen, "bad ng address %s", ng->cfg->ng_addr);
		return -1;
	}
	fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, &a.sa, stream_addr_len(&a)) < 0) {
		snprintf(err, errlen, "ng %s:%d: %s", ng->cfg->ng_addr, ng->cfg->ng_port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ng->fd = fd;
	return fd;
}

int ng_server_listen_fd(const struct ng_server *ng)
{
	return ng->fd;
}

void ng_server_read(struct ng_server *ng)
{
	for (;;) {
		union stream_addr from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(ng->fd, ng->inbuf, NG_MAX_DGRAM, 0, &from.sa, &flen);
		size_t out;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		out = ng_server_handle(ng, ng->inbuf, (size_t)n, ng->outbuf, sizeof(ng->outbuf),
				       stream_now_ms());
		if (out && sendto(ng->fd, ng->outbuf, out, 0, &from.sa, flen) < 0)
			rlog_warn("ng reply: %s", strerror(errno));
	}
}

void ng_server_tick(struct ng_server *ng, int64_t now_ms)
{
	int timeout = ng->cfg->media_timeout;
	int64_t idle = (int64_t)timeout * 2000 + 60000;

	for (int i = 0; i < COOKIE_SLOTS; i++)
		if (ng->cookies[i].used && ng->cookies[i].expires_ms <= now_ms)
			cookie_evict(ng, &ng->cookies[i]);
	if (timeout <= 0)
		return;
	/* Nobody asked for a call long after its media stopped: its
	 * signalling side is gone. Free its ports. */
	for (int b = 0; b < CALL_BUCKETS; b++) {
		struct call *c = ng->calls[b], *next;

		for (; c; c = next) {
			next = c->next;
			if (now_ms - call_last_activity(c) > idle) {
				rlog_warn("call %s: no media and no signalling, deleted", c->call_id);
				call_destroy(ng, c);
			}
		}
	}
}

int ng_server_calls(const struct ng_server *ng)
{
	return ng->ncalls;
}

int ng_server_ports_in_use(const struct ng_server *ng)
{
	return port_pool_in_use(ng->pool) * 2;
}

void ng_server_stats(const struct ng_server *ng, struct ng_stats *out)
{
	*out = ng->stats;
}
