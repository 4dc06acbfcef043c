/*
 * relay_client.c - the b2bua's asynchronous ng client.
 *
 * Owns: a UDP socket per relay (registered with the su_root), the
 * requests in flight (a list for the retransmission timer, a hash by
 * cookie so each reply finds its request in O(1)) and that timer. A request is sent, resent
 * with doubling intervals (250 ms, 500 ms, ...) under the same cookie (the
 * relay answers a resend from its cache, so it is idempotent) until an
 * answer comes or timeout_ms passes; then done() gets the result.
 * Which relay a call's request goes to, and whether a relay is up, is
 * relay_pool.c's bookkeeping: this file feeds it (every ping_ms a ping to
 * each relay, answers and timeouts of every request) and moves an offer
 * that timed out to the next relay up before the core hears of it.
 * Must not: block on a socket, or call back into the core synchronously
 * from a relay_ops function (the core relies on that).
 */
#include <errno.h>
#include <netdb.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/socket.h>

#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T struct relay_client
#define SU_TIMER_ARG_T struct relay_client
#include <sofia-sip/su_wait.h>

#include "bencode.h"
#include "clock.h"
#include "cdr_store.h"
#include "log.h"
#include "relay_client.h"
#include "relay_pool.h"

_Static_assert(RELAY_CLIENT_MAX == RELAY_POOL_MAX, "a view per relay");

#define MAX_DGRAM 65536
#define PENDING_BUCKETS 16384        /* power of two; ~1 per bucket at 1,300 calls/s */
#define RELAY_RCVBUF (4 << 20)       /* replies wait here while the loop is busy */

struct pending {
	struct pending *next, *prev;     /* every request in flight, newest first */
	struct pending *hnext, **hpprev; /* its cookie's bucket */
	uint32_t hash;
	char cookie[32];
	struct call *call;       /* holds a reference given by the core; NULL: a ping */
	uint64_t serial;         /* the call's (its anchor in the pool) */
	relay_done_fn done;
	int relay;
	char *msg;
	size_t len;
	int64_t sent_ms, next_ms, deadline_ms;
	int64_t first_ms;        /* its first send (RTT), monotonic */
	int interval_ms;
	const char *command;
};

struct relay_peer {
	char name[64];
	int fd;
	su_wait_t wait;
	int reg;      /* su_root index, 0 = not registered */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t sent, answered, timeouts;
	uint64_t errors;         /* answered with result error */
	struct prom_hist rtt;    /* answered requests' round trips, seconds */
	int pinging;  /* a ping to it is in flight */
};

struct relay_client {
	su_root_t *root;
	struct relay_peer peers[RELAY_POOL_MAX];
	int npeers;
	int timeout_ms;
	int ping_ms;
	struct relay_pool *pool;
	struct pending *head;
	/* Requests in flight by cookie: a reply finds its request in O(1)
	 * (issue 13: a list walk per reply at thousands in flight). */
	struct pending *bucket[PENDING_BUCKETS];
	size_t npending;  /* the calls' requests; pings are not counted */
	su_timer_t *timer;
	su_timer_t *ping_timer;
	int closing;      /* freeing: no new request is taken */
	uint64_t seq;
	char buf[MAX_DGRAM];
};

/* ---- message building and parsing ---- */

long relay_msg_encode(const struct relay_msg *m, const char *cookie, char *buf, size_t cap)
{
	struct bencode_pool *pool = bencode_pool_new();
	struct bencode *d, *l;
	size_t clen = strlen(cookie);
	long n = -1;

	if (!pool)
		return -1;
	d = bencode_dict(pool);
	if (!d || clen + 1 >= cap)
		goto out;
	bencode_dict_add_cstr(pool, d, "command", m->command);
	if (m->call_id)
		bencode_dict_add_cstr(pool, d, "call-id", m->call_id);
	if (m->from_tag)
		bencode_dict_add_cstr(pool, d, "from-tag", m->from_tag);
	if (m->to_tag)
		bencode_dict_add_cstr(pool, d, "to-tag", m->to_tag);
	if (m->sdp) {
		bencode_dict_add_cstr(pool, d, "sdp", m->sdp);
		/* Hide both sides' addresses and ICE (topology hiding). */
		l = bencode_list(pool);
		bencode_list_add(l, bencode_cstr(pool, "origin"));
		bencode_list_add(l, bencode_cstr(pool, "session-connection"));
		bencode_dict_add(pool, d, "replace", l);
		bencode_dict_add_cstr(pool, d, "ICE", "remove");
		/* Where the sender's media may come from: its trunk's policy and
		 * (rtpengine's key) the address its SIP came from. */
		if (m->latch)
			bencode_dict_add_cstr(pool, d, "latch", m->latch);
		if (m->peer) {
			l = bencode_list(pool);
			bencode_list_add(l, bencode_cstr(pool, strchr(m->peer, ':') ? "IP6" : "IP4"));
			bencode_list_add(l, bencode_cstr(pool, m->peer));
			bencode_dict_add(pool, d, "received-from", l);
		}
		/* rtpengine's keys: the interfaces the SDP comes from and goes
		 * to, and the family its recipient needs. */
		if (m->direction[0] && m->direction[1]) {
			l = bencode_list(pool);
			bencode_list_add(l, bencode_cstr(pool, m->direction[0]));
			bencode_list_add(l, bencode_cstr(pool, m->direction[1]));
			bencode_dict_add(pool, d, "direction", l);
		}
		if (m->family)
			bencode_dict_add_cstr(pool, d, "address family", m->family);
		if (m->proto)
			bencode_dict_add_cstr(pool, d, "transport-protocol", m->proto);
		else if (m->to_srtp >= 0)
			bencode_dict_add_cstr(pool, d, "transport-protocol", m->to_srtp ? "RTP/SAVP" : "RTP/AVP");
	}
	memcpy(buf, cookie, clen);
	buf[clen] = ' ';
	n = bencode_encode(d, buf + clen + 1, cap - clen - 1);
	if (n < 0 || (size_t)n > cap - clen - 1)
		n = -1;
	else
		n += clen + 1;
out:
	bencode_pool_free(pool);
	return n;
}

struct relay_reply {
	struct bencode_pool *pool;
};

/* The ng protocol has no error codes, only rtpengine's reason texts: they
 * are typed here, once, so the core decides on a type. rtpengine's words
 * and our media-relay's (media-relay/ng_*.c) are both listed. */
static const struct {
	const char *prefix;
	enum relay_err err;
} reasons[] = {
	{"Unknown call-id", RELAY_E_NOT_FOUND},
	{"Unknown call-ID", RELAY_E_NOT_FOUND},
	{"Unknown tags", RELAY_E_NOT_FOUND},
	{"Unknown from-tag", RELAY_E_NOT_FOUND},
	{"Incomplete SDP", RELAY_E_SDP},
	{"Failed to parse SDP", RELAY_E_SDP},
	{"Error rewriting SDP", RELAY_E_SDP},
	{"bad SDP", RELAY_E_SDP},
	{"empty SDP", RELAY_E_SDP},
	{"SDP has", RELAY_E_SDP},
	{"no usable a=crypto", RELAY_E_SDP},
	{"unsupported transport-protocol", RELAY_E_SDP},
	{"answer has more m= lines", RELAY_E_SDP},
	{"m= port", RELAY_E_SDP},
	{"more than", RELAY_E_SDP},
	{"no media address", RELAY_E_SDP},
};

static enum relay_err reason_type(const char *why)
{
	for (size_t i = 0; why && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strncmp(why, reasons[i].prefix, strlen(reasons[i].prefix)) == 0)
			return reasons[i].err;
	return RELAY_E_REFUSED;
}

/* Sums "stats"."packets" (and "lost") over a tag's RTP streams. */
/* A counter from the relay goes into a CDR: negative values are not
 * counts, and a sum stops at the largest one (no signed overflow). */
static void count_add(long long *sum, long long v)
{
	if (v < 0)
		return;
	*sum = v > LLONG_MAX - *sum ? LLONG_MAX : *sum + v;
}

static void tag_totals(const struct bencode *tag, long long *pkts, long long *lost, int64_t *last)
{
	const struct bencode *medias = bencode_dict_get(tag, "medias");

	for (const struct bencode *m = medias ? medias->child : NULL; m; m = m->next) {
		const struct bencode *streams = bencode_dict_get(m, "streams");

		for (const struct bencode *s = streams ? streams->child : NULL; s; s = s->next) {
			const struct bencode *st = bencode_dict_get(s, "stats");
			const struct bencode *v, *flags = bencode_dict_get(s, "flags");

			if (flags && bencode_list_has(flags, "RTCP") && !bencode_list_has(flags, "RTP"))
				continue;
			if (st && (v = bencode_dict_get(st, "packets")) && v->type == BENCODE_INT)
				count_add(pkts, v->i);
			if (st && (v = bencode_dict_get(st, "lost")) && v->type == BENCODE_INT)
				count_add(lost, v->i);
			if ((v = bencode_dict_get(s, "last packet")) && v->type == BENCODE_INT && v->i > *last)
				*last = v->i;
		}
	}
}

struct relay_reply *relay_reply_parse(const char *buf, size_t len, char *cookie, size_t cookie_cap,
				      struct relay_result *r)
{
	const char *sp = memchr(buf, ' ', len);
	struct relay_reply *rr;
	struct bencode *d, *tags, *v;
	char err[128];

	memset(r, 0, sizeof(*r));
	if (!sp || (size_t)(sp - buf) >= cookie_cap || sp == buf)
		return NULL;
	memcpy(cookie, buf, sp - buf);
	cookie[sp - buf] = 0;
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return NULL;
	rr->pool = bencode_pool_new();
	d = rr->pool ? bencode_decode(rr->pool, sp + 1, len - (sp + 1 - buf), NULL, err, sizeof(err)) : NULL;
	if (!d || d->type != BENCODE_DICT) {
		r->err = RELAY_E_REFUSED;
		r->detail = "malformed reply from relay";
		return rr;
	}
	v = bencode_dict_get(d, "result");
	if (!v || (!bencode_str_eq(v, "ok") && !bencode_str_eq(v, "pong"))) {
		r->detail = bencode_dict_cstr(rr->pool, d, "error-reason");
		r->err = reason_type(r->detail);
		if (!r->detail)
			r->detail = "relay error";
	}
	r->sdp = bencode_dict_cstr(rr->pool, d, "sdp");
	tags = bencode_dict_get(d, "tags");
	if (tags && tags->type == BENCODE_DICT) {
		int64_t last = 0;

		for (struct bencode *t = tags->child; t; t = t->next) {
			int side = t->key && bencode_str_eq(t->key, "b") ? SIDE_B : SIDE_A;

			tag_totals(t, &r->pkts[side], &r->lost[side], &last);
		}
	}
	v = bencode_dict_get(d, "media-timeout");
	r->media_timeout = v && v->type == BENCODE_INT && v->i != 0;
	return rr;
}

void relay_reply_free(struct relay_reply *rr)
{
	if (!rr)
		return;
	bencode_pool_free(rr->pool);
	free(rr);
}

/* ---- the socket side ---- */

static uint32_t cookie_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Files a new request under its cookie and at the head of the list. */
static void pending_link(struct relay_client *rc, struct pending *p)
{
	struct pending **b;

	p->prev = NULL;
	p->next = rc->head;
	if (rc->head)
		rc->head->prev = p;
	rc->head = p;
	p->hash = cookie_hash(p->cookie);
	b = &rc->bucket[p->hash & (PENDING_BUCKETS - 1)];
	p->hnext = *b;
	if (*b)
		(*b)->hpprev = &p->hnext;
	p->hpprev = b;
	*b = p;
}

/* The request in flight under cookie at relay i, or NULL. */
static struct pending *pending_find(struct relay_client *rc, int i, const char *cookie)
{
	uint32_t h = cookie_hash(cookie);

	for (struct pending *p = rc->bucket[h & (PENDING_BUCKETS - 1)]; p; p = p->hnext)
		if (p->hash == h && p->relay == i && strcmp(p->cookie, cookie) == 0)
			return p;
	return NULL;
}

static void pending_unlink(struct relay_client *rc, struct pending *p)
{
	if (!p->hpprev)
		return;
	*p->hpprev = p->hnext;
	if (p->hnext)
		p->hnext->hpprev = p->hpprev;
	p->hpprev = NULL;
	if (p->prev)
		p->prev->next = p->next;
	else
		rc->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->call)
		rc->npending--;
	else
		rc->peers[p->relay].pinging = 0;
}

static void pending_done(struct relay_client *rc, struct pending *p, const struct relay_result *r)
{
	pending_unlink(rc, p);
	/* done() owns the call reference from here. */
	if (p->call)
		p->done(p->call, r);
	free(p->msg);
	free(p);
}

/* The relay answered something: it is alive. */
static void relay_answered(struct relay_client *rc, int i)
{
	rc->peers[i].answered++;
	if (relay_pool_ok(rc->pool, i, clock_wall_ms()))
		log_info("relay %s: answering again: up", rc->peers[i].name);
}

/* A request to relay i went unanswered. */
static void relay_silent(struct relay_client *rc, int i, const char *command)
{
	char why[64];

	rc->peers[i].timeouts++;
	snprintf(why, sizeof(why), "no answer to %s", command);
	if (relay_pool_failed(rc->pool, i, why))
		log_error("relay %s: %s, several in a row: down, new calls skip it", rc->peers[i].name, why);
}

static int on_readable(void *magic, su_wait_t *w, struct relay_client *rc)
{
	(void)magic;
	(void)w;
	for (int i = 0; i < rc->npeers; i++) {
		for (;;) {
			ssize_t n = recv(rc->peers[i].fd, rc->buf, sizeof(rc->buf) - 1, MSG_DONTWAIT);
			char cookie[32];
			struct relay_result r;
			struct relay_reply *rr;
			struct pending *p;

			if (n <= 0)
				break;
			rc->buf[n] = 0;
			rr = relay_reply_parse(rc->buf, n, cookie, sizeof(cookie), &r);
			if (!rr)
				continue;
			/* Only the relay the request is at now: a late answer from
			 * the one an offer left is not the call's. */
			p = pending_find(rc, i, cookie);
			if (p) {
				relay_answered(rc, i);
				prom_hist_observe(&rc->peers[i].rtt, (double)(clock_mono_ms() - p->first_ms) / 1000.0);
				if (r.err != RELAY_OK)
					rc->peers[i].errors++;
				if (p->call && r.err == RELAY_OK)
					relay_pool_confirm(rc->pool, p->serial);
				if (p->call && r.err != RELAY_OK)
					log_warn("relay %s: %s for %s: %s", rc->peers[i].name, p->command,
						 call_relay_id(p->call), r.detail);
				pending_done(rc, p, &r);
			}
			relay_reply_free(rr);
		}
	}
	return 0;
}

static void send_pending(struct relay_client *rc, struct pending *p)
{
	struct relay_peer *peer = &rc->peers[p->relay];

	if (send(peer->fd, p->msg, p->len, MSG_DONTWAIT) < 0)
		log_debug("relay %s: send: %s", peer->name, strerror(errno));
	peer->sent++;
}

/* (Re)starts p's retransmissions toward its relay, deadline_ms from now. */
static void pending_start(struct relay_client *rc, struct pending *p, int deadline_ms)
{
	p->sent_ms = clock_mono_ms();
	p->first_ms = p->sent_ms;
	p->interval_ms = 250;
	p->next_ms = p->sent_ms + p->interval_ms;
	p->deadline_ms = p->sent_ms + deadline_ms;
	send_pending(rc, p);
}

/* A call's offer that no relay has answered for goes to the next relay
 * up, under the same cookie, before the core hears of the timeout. 1 when
 * it went. */
static int offer_failover(struct relay_client *rc, struct pending *p)
{
	int from = p->relay, to;

	if (!p->call || strcmp(p->command, "offer") != 0)
		return 0;
	to = relay_pool_failover(rc->pool, p->serial, from);
	if (to < 0)
		return 0;
	log_warn("relay %s: no answer to offer for %s: trying relay %s", rc->peers[from].name,
		 call_relay_id(p->call), rc->peers[to].name);
	p->relay = to;
	pending_start(rc, p, rc->timeout_ms);
	return 1;
}

static void arm_timer(struct relay_client *rc);

static void on_tick(void *magic, su_timer_t *t, struct relay_client *rc)
{
	int64_t now = clock_mono_ms();
	struct pending *p, *next;

	(void)magic;
	(void)t;
	for (p = rc->head; p; p = next) {
		next = p->next;
		if (now >= p->deadline_ms) {
			struct relay_result r = {.err = RELAY_E_TIMEOUT, .detail = "relay timeout"};

			relay_silent(rc, p->relay, p->command);
			if (offer_failover(rc, p))
				continue;
			if (p->call)
				log_warn("relay %s: no answer to %s for %s", rc->peers[p->relay].name, p->command,
					 call_relay_id(p->call));
			pending_done(rc, p, &r);
			next = rc->head;   /* done() may have queued or removed others */
			continue;
		}
		if (now >= p->next_ms) {
			send_pending(rc, p);
			p->interval_ms *= 2;
			p->next_ms = now + p->interval_ms;
		}
	}
	arm_timer(rc);
}

static void arm_timer(struct relay_client *rc)
{
	if (rc->head && rc->timer)
		su_timer_set_interval(rc->timer, on_tick, rc, 50);
	else if (rc->timer)
		su_timer_reset(rc->timer);
}

/* Queues m toward relay i for call c (NULL: a ping). 0 or -1. */
static int queue(struct relay_client *rc, int i, struct call *c, const struct relay_msg *m, relay_done_fn done,
		 int deadline_ms)
{
	struct pending *p = calloc(1, sizeof(*p));
	long n;

	if (!p)
		return -1;
	snprintf(p->cookie, sizeof(p->cookie), "%x_%llu", (unsigned)getpid() & 0xffff,
		 (unsigned long long)++rc->seq);
	n = relay_msg_encode(m, p->cookie, rc->buf, sizeof(rc->buf));
	if (n < 0 || !(p->msg = malloc(n))) {
		free(p);
		return -1;
	}
	memcpy(p->msg, rc->buf, n);
	p->len = n;
	p->call = c;
	p->serial = c ? call_serial(c) : 0;
	p->done = done;
	p->command = m->command;
	p->relay = i;
	pending_link(rc, p);
	if (c)
		rc->npending++;
	else
		rc->peers[i].pinging = 1;
	pending_start(rc, p, deadline_ms);
	arm_timer(rc);
	return 0;
}

static int request(struct relay_client *rc, struct call *c, const struct relay_msg *m, relay_done_fn done)
{
	int i;

	if (!rc || rc->npeers == 0 || rc->closing)
		return -1;
	i = relay_pool_route(rc->pool, call_serial(c));
	if (i < 0) {
		log_warn("relay: no relay is up for %s %s", m->command, call_relay_id(c));
		return -1;
	}
	/* The delete is the call's last word to its relay. */
	if (strcmp(m->command, "delete") == 0)
		relay_pool_release(rc->pool, call_serial(c));
	return queue(rc, i, c, m, done, rc->timeout_ms);
}

/* Every ping_ms: a ping to each relay that has none in flight. A ping
 * unanswered by the next round has failed. */
static void on_ping(void *magic, su_timer_t *t, struct relay_client *rc)
{
	struct relay_msg m = {.command = "ping", .to_srtp = -1};
	int deadline = rc->ping_ms < rc->timeout_ms ? rc->ping_ms : rc->timeout_ms;

	(void)magic;
	(void)t;
	for (int i = 0; i < rc->npeers && !rc->closing; i++)
		if (!rc->peers[i].pinging && queue(rc, i, NULL, &m, NULL, deadline) != 0)
			log_warn("relay %s: cannot queue a ping", rc->peers[i].name);
}

/* The tags name sides, never the legs' SIP tags: nothing to leak. */
static const char *tag_of(enum call_side s)
{
	return s == SIDE_A ? "a" : "b";
}

static int op_offer(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	struct relay_msg m = {.command = "offer", .call_id = call_relay_id(c), .from_tag = tag_of(s->side),
			      .sdp = s->sdp, .to_srtp = s->to_srtp, .proto = s->proto, .latch = s->latch,
			      .peer = s->peer, .direction = {s->iface[0], s->iface[1]}, .family = s->family};

	return request(ctx, c, &m, done);
}

static int op_answer(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	/* side answered: the offer came from the other side (its from-tag). */
	struct relay_msg m = {.command = "answer", .call_id = call_relay_id(c),
			      .from_tag = tag_of(s->side == SIDE_A ? SIDE_B : SIDE_A), .to_tag = tag_of(s->side),
			      .sdp = s->sdp, .to_srtp = s->to_srtp, .proto = s->proto, .latch = s->latch,
			      .peer = s->peer, .direction = {s->iface[0], s->iface[1]}, .family = s->family};

	return request(ctx, c, &m, done);
}

static int op_delete(void *ctx, struct call *c, relay_done_fn done)
{
	struct relay_msg m = {.command = "delete", .call_id = call_relay_id(c), .from_tag = "a",
			      .to_srtp = -1};

	return request(ctx, c, &m, done);
}

static int op_query(void *ctx, struct call *c, relay_done_fn done)
{
	struct relay_msg m = {.command = "query", .call_id = call_relay_id(c), .from_tag = "a",
			      .to_srtp = -1};

	return request(ctx, c, &m, done);
}

static const struct relay_ops ops = {
	.offer = op_offer, .answer = op_answer, .delete = op_delete, .query = op_query,
};

const struct relay_ops *relay_client_ops(void)
{
	return &ops;
}

static int peer_open(struct relay_peer *p, su_root_t *root, struct relay_client *rc, const char *spec,
		     char *err, size_t errlen)
{
	char host[64], *port;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;

	snprintf(p->name, sizeof(p->name), "%s", spec);
	prom_hist_init_latency(&p->rtt);
	snprintf(host, sizeof(host), "%s", spec);
	port = strrchr(host, ':');
	if (!port) {
		snprintf(err, errlen, "relay '%s': expected ADDR:PORT", spec);
		return -1;
	}
	*port++ = 0;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = 0;
	}
	/* Numeric only: no DNS on the event loop. */
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
		snprintf(err, errlen, "relay '%s': not a numeric address", spec);
		return -1;
	}
	p->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, errlen, "relay '%s': %s", spec, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	/* A burst of replies must not be dropped while the loop is busy
	 * (up to net.core.rmem_max; the default holds about a hundred). */
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &(int){RELAY_RCVBUF}, sizeof(int));
	memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	p->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (su_wait_create(&p->wait, p->fd, SU_WAIT_IN) != 0 ||
	    (p->reg = su_root_register(root, &p->wait, on_readable, rc, 0)) <= 0) {
		p->reg = 0;
		snprintf(err, errlen, "relay '%s': cannot register socket", spec);
		return -1;
	}
	return 0;
}

int relay_client_new(struct relay_client **out, su_root_t *root, const char (*relays)[64], int n,
		     const struct relay_client_opts *o, char *err, size_t errlen)
{
	struct relay_client *rc = calloc(1, sizeof(*rc));

	if (n > RELAY_POOL_MAX)
		n = RELAY_POOL_MAX;
	if (!rc || relay_pool_new(&rc->pool, n, o->down_after) != 0) {
		snprintf(err, errlen, rc ? "relay: bad relay count or down_after" : "out of memory");
		free(rc);
		return -1;
	}
	rc->root = root;
	rc->timeout_ms = o->timeout_ms;
	rc->ping_ms = o->ping_ms;
	for (int i = 0; i < n; i++) {
		rc->peers[i].fd = -1;
		if (peer_open(&rc->peers[i], root, rc, relays[i], err, errlen) != 0) {
			rc->npeers = i + 1;
			relay_client_free(rc);
			return -1;
		}
		rc->npeers = i + 1;
	}
	rc->timer = su_timer_create(su_root_task(root), 50);
	rc->ping_timer = su_timer_create(su_root_task(root), rc->ping_ms);
	if (!rc->timer || !rc->ping_timer) {
		snprintf(err, errlen, "relay: cannot create timers");
		relay_client_free(rc);
		return -1;
	}
	/* The first round at once (start-up says which relays answer), then
	 * every ping_ms, periodically. */
	on_ping(NULL, rc->ping_timer, rc);
	su_timer_run(rc->ping_timer, on_ping, rc);
	*out = rc;
	return 0;
}

void relay_client_free(struct relay_client *rc)
{
	if (!rc)
		return;
	rc->closing = 1;
	if (rc->ping_timer)
		su_timer_destroy(rc->ping_timer);
	while (rc->head) {
		struct relay_result r = {.err = RELAY_E_UNREACHABLE, .detail = "shutting down"};

		pending_done(rc, rc->head, &r);
	}
	for (int i = 0; i < rc->npeers; i++) {
		if (rc->peers[i].reg)
			su_root_deregister(rc->root, rc->peers[i].reg);
		if (rc->peers[i].fd >= 0)
			close(rc->peers[i].fd);
	}
	if (rc->timer)
		su_timer_destroy(rc->timer);
	relay_pool_free(rc->pool);
	free(rc);
}

size_t relay_client_pending(const struct relay_client *rc)
{
	return rc ? rc->npending : 0;
}

int relay_client_count(const struct relay_client *rc)
{
	return rc ? rc->npeers : 0;
}

int relay_client_view(const struct relay_client *rc, int i, struct relay_view *v)
{
	struct relay_pool_info in;

	memset(v, 0, sizeof(*v));
	if (!rc || i < 0 || i >= rc->npeers)
		return -1;
	relay_pool_info(rc->pool, i, &in);
	snprintf(v->name, sizeof(v->name), "%s", rc->peers[i].name);
	v->up = in.state == RELAY_UP;
	v->calls = in.calls;
	v->sent = rc->peers[i].sent;
	v->answered = rc->peers[i].answered;
	v->timeouts = rc->peers[i].timeouts;
	v->errors = rc->peers[i].errors;
	v->rtt = rc->peers[i].rtt;
	v->last_answer_ms = in.last_ok_ms > 0 ? in.last_ok_ms : 0;
	snprintf(v->last_error, sizeof(v->last_error), "%s", in.last_error);
	return 0;
}

size_t relay_client_list(struct relay_client *rc, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap)
		buf[0] = 0;
	for (int i = 0; i < relay_client_count(rc) && len < cap; i++) {
		struct relay_view v;
		char when[64] = "never";
		int n;

		relay_client_view(rc, i, &v);
		if (v.last_answer_ms > 0)
			cdr_time_iso(v.last_answer_ms, when, sizeof(when));
		n = snprintf(buf + len, cap - len, "%s %s calls %llu last_answer %s last_error %s\n", v.name,
			     v.up ? "up" : "down", (unsigned long long)v.calls, when, v.last_error[0] ? v.last_error : "-");
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += n;
	}
	return len;
}

size_t relay_client_stats(struct relay_client *rc, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap)
		buf[0] = 0;
	for (int i = 0; i < relay_client_count(rc) && len < cap; i++) {
		struct relay_view v;
		int n;

		relay_client_view(rc, i, &v);
		n = snprintf(buf + len, cap - len, "relay %s sent %llu answered %llu timeouts %llu\n", v.name,
			     (unsigned long long)v.sent, (unsigned long long)v.answered,
			     (unsigned long long)v.timeouts);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += n;
	}
	return len;
}

int relay_client_views(struct relay_client *rc, struct relay_view *v, int max)
{
	int n = 0;

	for (int i = 0; i < relay_client_count(rc) && n < max; i++, n++)
		relay_client_view(rc, i, &v[n]);
	return n;
}
