/*
 * sip_trace.c - SIP message tracing: the log, trace clients, HEP (see
 * sip_trace.h).
 *
 * Owns: the parser of Sofia's message log, the leg map (Call-ID -> A-leg
 * Call-ID, only while capturing), the trace clients with their bounded
 * buffers, a short history of recent messages (while clients are there:
 * a client that learns of a call from its second leg, or from a number
 * the rules made, still gets the call's first messages) and the HEP
 * sender.
 * Must not: block, write unbounded (a slow client loses messages with a
 * notice), or trust any text Sofia logged (it is a peer's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct sip_trace;
struct trace_client;
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T struct trace_client
#include <sofia-sip/su_wait.h>

#include "clock.h"
#include "hep.h"
#include "log.h"
#include "sip_trace.h"
#include "trace_block.h"

#define MAP_BUCKETS 1024
#define MAP_LINGER_MS 64000          /* 64*T1: a gone leg's retransmissions still map */
#define ADOPT_MAX 32                 /* calls a client follows at once */
#define RECENT_MAX 128               /* history kept for late matches ... */
#define RECENT_BYTES (1024 * 1024)   /* ... at most this much */
#define LOG_CHUNK 700                /* a message line's bytes per log line */

struct leg_map {
	char call_id[TRACE_FIELD];
	char a_call_id[TRACE_FIELD];
	int64_t gone_at;             /* 0 while the leg lives */
	struct leg_map *next;
};

struct trace_client {
	struct sip_trace *tr;
	int fd;
	su_wait_t wait;
	int index;
	int want_out;
	int dead;
	char filter[SIP_TRACE_FILTER];
	char adopted[ADOPT_MAX][TRACE_FIELD];
	int nadopted, adopt_next;
	char *buf;
	size_t len;
	uint64_t dropped;            /* messages lost, not yet told */
	struct trace_client *next;
};

struct recent {
	char a_call_id[TRACE_FIELD];
	char *text;
	size_t len;
};

struct listen_addr {
	char proto[4];
	int family;
	uint8_t addr[16];
	char host[64], advertise[64];
	uint16_t port;
};

struct sip_trace {
	su_root_t *root;
	const struct sip_trace_ops *ops;
	void *ops_ctx;
	int log;                     /* [log] sip_trace */
	struct hep_sender *hep;
	uint32_t capture_id;
	char password[64];
	struct listen_addr listen[CONFIG_MAX_LISTEN];
	int nlisten;
	int capturing;
	struct trace_block *parser;
	char sofia_line[1024];       /* a non-trace line of Sofia's in pieces */
	size_t sofia_len;
	struct leg_map *map[MAP_BUCKETS];
	struct trace_client *clients;
	int nclients;
	struct recent recent[RECENT_MAX];
	int recent_next;
	size_t recent_bytes;
	int64_t last_purge;
	uint64_t n_msgs, n_client_drops;
	char scratch[TRACE_BLOCK_MAX * 2 + 1024];   /* a message as clients read it */
	uint8_t hepbuf[HEP_MAX_PACKET];
};

/* ---- the leg map ---- */

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % MAP_BUCKETS;
}

static void map_clear(struct sip_trace *tr)
{
	for (int i = 0; i < MAP_BUCKETS; i++)
		while (tr->map[i]) {
			struct leg_map *e = tr->map[i];

			tr->map[i] = e->next;
			free(e);
		}
}

static const char *map_find(struct sip_trace *tr, const char *call_id)
{
	for (struct leg_map *e = tr->map[hash(call_id)]; e; e = e->next)
		if (strcmp(e->call_id, call_id) == 0)
			return e->a_call_id;
	return NULL;
}

void sip_trace_leg(struct sip_trace *tr, const char *call_id, const char *a_call_id)
{
	struct leg_map *e;
	unsigned h;

	if (!tr || !tr->capturing || !call_id || !a_call_id || strlen(call_id) >= TRACE_FIELD ||
	    strlen(a_call_id) >= TRACE_FIELD)
		return;
	h = hash(call_id);
	for (e = tr->map[h]; e; e = e->next)
		if (strcmp(e->call_id, call_id) == 0)
			break;
	if (!e) {
		if (strcmp(call_id, a_call_id) == 0)
			return;   /* an A leg names its call itself */
		if (!(e = calloc(1, sizeof(*e))))
			return;
		snprintf(e->call_id, sizeof(e->call_id), "%s", call_id);
		e->next = tr->map[h];
		tr->map[h] = e;
	}
	snprintf(e->a_call_id, sizeof(e->a_call_id), "%s", a_call_id);
	e->gone_at = 0;
}

void sip_trace_leg_gone(struct sip_trace *tr, const char *call_id)
{
	if (!tr || !tr->capturing || !call_id)
		return;
	for (struct leg_map *e = tr->map[hash(call_id)]; e; e = e->next)
		if (strcmp(e->call_id, call_id) == 0) {
			e->gone_at = clock_mono_ms();
			return;
		}
}

static void map_purge(struct sip_trace *tr, int64_t now)
{
	for (int i = 0; i < MAP_BUCKETS; i++)
		for (struct leg_map **pp = &tr->map[i]; *pp;) {
			struct leg_map *e = *pp;

			if (e->gone_at && now - e->gone_at > MAP_LINGER_MS) {
				*pp = e->next;
				free(e);
			} else {
				pp = &e->next;
			}
		}
}

/* ---- capture on and off ---- */

static void recent_clear(struct sip_trace *tr)
{
	for (int i = 0; i < RECENT_MAX; i++) {
		free(tr->recent[i].text);
		tr->recent[i].text = NULL;
	}
	tr->recent_bytes = 0;
}

static void capture_update(struct sip_trace *tr)
{
	int want = tr->log || tr->hep || tr->nclients > 0;

	if (!tr->ops || want == tr->capturing)
		return;
	tr->capturing = want;
	map_clear(tr);
	if (want && tr->ops->each_leg)
		tr->ops->each_leg(tr->ops_ctx, tr);
	tr->ops->capture(tr->ops_ctx, want);
	log_info("SIP message capture %s", want ? "on" : "off");
}

/* ---- clients ---- */

static void client_free(struct trace_client *c)
{
	struct sip_trace *tr = c->tr;

	for (struct trace_client **pp = &tr->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	tr->nclients--;
	if (c->index > 0)
		su_root_deregister(tr->root, c->index);
	close(c->fd);
	free(c->buf);
	free(c);
}

static void clients_reap(struct sip_trace *tr)
{
	int gone = 0;

	for (struct trace_client *c = tr->clients, *next; c; c = next) {
		next = c->next;
		if (c->dead) {
			client_free(c);
			gone = 1;
		}
	}
	if (gone && tr->nclients == 0)
		recent_clear(tr);
	if (gone)
		capture_update(tr);
}

/* Writes what the socket takes now; 0, or -1 when the client is gone. */
static int client_flush(struct trace_client *c)
{
	while (c->len) {
		ssize_t n = send(c->fd, c->buf, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		memmove(c->buf, c->buf + n, c->len - (size_t)n);
		c->len -= (size_t)n;
	}
	if ((c->len > 0) != c->want_out) {
		c->want_out = c->len > 0;
		su_root_eventmask(c->tr->root, c->index, c->fd, SU_WAIT_IN | (c->want_out ? SU_WAIT_OUT : 0));
	}
	return 0;
}

/* Queues one message for c: all of it or none (counted, told later). */
static void client_put(struct trace_client *c, const char *text, size_t len)
{
	char note[96];
	int nl = 0;

	if (c->dead)
		return;
	if (c->dropped)
		nl = snprintf(note, sizeof(note), "# %llu message(s) dropped: this client reads too slowly\n",
			      (unsigned long long)c->dropped);
	if (c->len + (size_t)nl + len > SIP_TRACE_CLIENT_BUF) {
		c->dropped++;
		c->tr->n_client_drops++;
		return;
	}
	memcpy(c->buf + c->len, note, (size_t)nl);
	c->len += (size_t)nl;
	c->dropped = 0;
	memcpy(c->buf + c->len, text, len);
	c->len += len;
	if (client_flush(c) != 0)
		c->dead = 1;
}

static int client_event(void *magic, su_wait_t *w, struct trace_client *c)
{
	int events = su_wait_events(w, c->fd);
	struct sip_trace *tr = c->tr;

	(void)magic;
	if (events & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)) {
		char junk[256];
		ssize_t n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->dead = 1;   /* the client went (Ctrl-C, --count reached) */
	}
	if (!c->dead && (events & SU_WAIT_OUT) && client_flush(c) != 0)
		c->dead = 1;
	if (c->dead)
		clients_reap(tr);
	return 0;
}

int sip_trace_check(struct sip_trace *tr, const char *filter, char *err, size_t errlen)
{
	if (!filter || !*filter || strlen(filter) >= SIP_TRACE_FILTER) {
		snprintf(err, errlen, "usage: trace CALL-ID|NUMBER");
		return -1;
	}
	for (const char *p = filter; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "usage: trace CALL-ID|NUMBER (one word)");
			return -1;
		}
	if (tr->nclients >= SIP_TRACE_MAX_CLIENTS) {
		snprintf(err, errlen, "too many trace clients (%d)", SIP_TRACE_MAX_CLIENTS);
		return -1;
	}
	return 0;
}

void sip_trace_attach(struct sip_trace *tr, int fd, const char *filter)
{
	struct trace_client *c = calloc(1, sizeof(*c));
	char hello[SIP_TRACE_FILTER + 64];
	int n;

	if (!c || !(c->buf = malloc(SIP_TRACE_CLIENT_BUF)) || su_wait_create(&c->wait, fd, SU_WAIT_IN) != 0) {
		if (c)
			free(c->buf);
		free(c);
		close(fd);
		return;
	}
	c->tr = tr;
	c->fd = fd;
	snprintf(c->filter, sizeof(c->filter), "%s", filter);
	c->index = su_root_register(tr->root, &c->wait, client_event, c, 0);
	if (c->index <= 0) {
		su_wait_destroy(&c->wait);
		free(c->buf);
		free(c);
		close(fd);
		return;
	}
	c->next = tr->clients;
	tr->clients = c;
	tr->nclients++;
	n = snprintf(hello, sizeof(hello), "ok\n# tracing %s (Ctrl-C to stop)\n", c->filter);
	client_put(c, hello, (size_t)n);
	capture_update(tr);
	if (c->dead)
		clients_reap(tr);
}

/* ---- matching ---- */

static int number_eq(const char *filter, const char *user)
{
	if (!*user)
		return 0;
	filter += *filter == '+';
	user += *user == '+';
	return *filter && strcmp(filter, user) == 0;
}

int sip_trace_matches(const char *filter, const struct trace_msg *m, const char *a_call_id)
{
	return (m->call_id[0] && strcmp(filter, m->call_id) == 0) || (a_call_id[0] && strcmp(filter, a_call_id) == 0) ||
	       number_eq(filter, m->ruri_user) || number_eq(filter, m->from_user) || number_eq(filter, m->to_user);
}

static int adopted(const struct trace_client *c, const char *a_call_id)
{
	for (int i = 0; i < c->nadopted; i++)
		if (strcmp(c->adopted[i], a_call_id) == 0)
			return 1;
	return 0;
}

static void adopt(struct trace_client *c, const char *a_call_id)
{
	snprintf(c->adopted[c->adopt_next], sizeof(c->adopted[0]), "%s", a_call_id);
	c->adopt_next = (c->adopt_next + 1) % ADOPT_MAX;
	if (c->nadopted < ADOPT_MAX)
		c->nadopted++;
}

/* ---- one message ---- */

/* Peer text as it may reach a log or a terminal: control characters
 * (but tab) become '?'. */
static size_t clean(char *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f ? '?' : s[i];
	return n;
}

static const char *dir_name(const struct trace_msg *m)
{
	return m->dir == TRACE_RECV ? "recv" : "sent";
}

static void peer_text(const struct trace_msg *m, char *buf, size_t cap)
{
	snprintf(buf, cap, strchr(m->peer, ':') ? "[%s]:%d" : "%s:%d", m->peer, m->port);
}

/* Each line of the message: the callback gets it without its line end. */
static void each_line(const struct trace_msg *m, void (*fn)(void *, const char *, size_t), void *arg)
{
	const char *s = m->text, *end = m->text + m->len;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);

		fn(arg, s, n && s[n - 1] == '\r' ? n - 1 : n);
		if (!eol)
			break;
		s = eol + 1;
	}
}

struct log_ctx {
	const char *a_call_id;
};

static void log_line(void *arg, const char *s, size_t n)
{
	const struct log_ctx *x = arg;
	char buf[LOG_CHUNK + 1];
	size_t off = 0;

	do {
		size_t k = n - off > LOG_CHUNK ? LOG_CHUNK : n - off;

		clean(buf, s + off, k);
		buf[k] = 0;
		log_info("call %s: sip %c %s", x->a_call_id, off ? '+' : '|', buf);
		off += k;
	} while (off < n);
}

static void to_log(const struct trace_msg *m, const char *a_call_id)
{
	struct log_ctx x = {.a_call_id = a_call_id};
	char peer[80];

	peer_text(m, peer, sizeof(peer));
	log_info("call %s: sip %s %s %s (%zu bytes%s)", a_call_id, dir_name(m), m->proto, peer, m->len,
		 m->truncated ? ", truncated" : "");
	each_line(m, log_line, &x);
}

static uint8_t ip_proto(const char *proto)
{
	if (strcmp(proto, "udp") == 0)
		return IPPROTO_UDP;
	if (strcmp(proto, "sctp") == 0)
		return IPPROTO_SCTP;
	return IPPROTO_TCP;   /* tcp, tls, ws, wss */
}

/* Our side of a message: the listen address of its transport and family;
 * with several, the one its top Via names (what we send, and the answers
 * to it), else the first. Sofia's log does not say which socket it was. */
static const struct listen_addr *local_side(const struct sip_trace *tr, const struct trace_msg *m, int family)
{
	const struct listen_addr *first = NULL;

	for (int i = 0; i < tr->nlisten; i++) {
		const struct listen_addr *l = &tr->listen[i];

		if (l->family != family || strcmp(l->proto, m->proto) != 0)
			continue;
		if (!first)
			first = l;
		if (m->via_host[0] && (strcmp(m->via_host, l->host) == 0 || strcmp(m->via_host, l->advertise) == 0) &&
		    (!m->via_port || m->via_port == l->port))
			return l;
	}
	if (first)
		return first;
	for (int i = 0; i < tr->nlisten; i++)
		if (tr->listen[i].family == family)
			return &tr->listen[i];
	return NULL;
}

static void to_hep(struct sip_trace *tr, const struct trace_msg *m, const char *a_call_id, const struct timespec *now)
{
	struct hep_info h = {0};
	uint8_t peer[16];
	const struct listen_addr *l;
	ssize_t n;

	h.family = strchr(m->peer, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(h.family, m->peer, peer) != 1)
		return;
	l = local_side(tr, m, h.family);
	h.ip_proto = ip_proto(m->proto);
	if (m->dir == TRACE_RECV) {
		memcpy(h.src, peer, 16);
		h.sport = (uint16_t)m->port;
		if (l)
			memcpy(h.dst, l->addr, 16), h.dport = l->port;
	} else {
		memcpy(h.dst, peer, 16);
		h.dport = (uint16_t)m->port;
		if (l)
			memcpy(h.src, l->addr, 16), h.sport = l->port;
	}
	h.sec = (uint32_t)now->tv_sec;
	h.usec = (uint32_t)(now->tv_nsec / 1000);
	h.capture_id = tr->capture_id;
	h.password = tr->password;
	h.correlation = a_call_id;
	h.payload = m->text;
	h.plen = m->len;
	n = hep_encode(&h, tr->hepbuf, sizeof(tr->hepbuf));
	if (n > 0)
		hep_sender_send(tr->hep, tr->hepbuf, (size_t)n);
}

struct fmt_ctx {
	char *out;
	size_t len, cap;
};

static void fmt_line(void *arg, const char *s, size_t n)
{
	struct fmt_ctx *x = arg;

	if (x->len + n + 5 > x->cap)
		return;
	memcpy(x->out + x->len, "   ", 3);
	x->len += 3;
	x->len += clean(x->out + x->len, s, n);
	x->out[x->len++] = '\n';
}

/* The message as clients read it: a line with the time (UTC), direction,
 * transport, peer and call, the message's lines indented by three spaces,
 * an empty line. */
static size_t format_msg(struct sip_trace *tr, const struct trace_msg *m, const char *a_call_id,
			 const struct timespec *now)
{
	struct fmt_ctx x = {.out = tr->scratch, .cap = sizeof(tr->scratch)};
	struct tm tm;
	char peer[80];
	int n;

	gmtime_r(&now->tv_sec, &tm);
	peer_text(m, peer, sizeof(peer));
	n = snprintf(x.out, x.cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %s call %s (%zu bytes%s)\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     now->tv_nsec / 1000, dir_name(m), m->proto, peer, a_call_id, m->len,
		     m->truncated ? ", truncated" : "");
	x.len = n > 0 ? (size_t)n : 0;
	each_line(m, fmt_line, &x);
	if (x.len < x.cap)
		x.out[x.len++] = '\n';
	return x.len;
}

static void recent_push(struct sip_trace *tr, const char *a_call_id, const char *text, size_t len)
{
	struct recent *r = &tr->recent[tr->recent_next];
	char *copy = malloc(len);

	if (!copy)
		return;
	memcpy(copy, text, len);
	if (r->text)
		tr->recent_bytes -= r->len;
	free(r->text);
	r->text = copy;
	r->len = len;
	snprintf(r->a_call_id, sizeof(r->a_call_id), "%s", a_call_id);
	tr->recent_bytes += len;
	tr->recent_next = (tr->recent_next + 1) % RECENT_MAX;
	/* Over the byte budget: the oldest go first. */
	for (int i = tr->recent_next; tr->recent_bytes > RECENT_BYTES; i = (i + 1) % RECENT_MAX) {
		struct recent *o = &tr->recent[i];

		if (o == r)
			break;
		if (o->text) {
			tr->recent_bytes -= o->len;
			free(o->text);
			o->text = NULL;
		}
	}
}

/* The call's messages still in the history, oldest first (the message
 * being delivered is the newest). */
static void replay(struct sip_trace *tr, struct trace_client *c, const char *a_call_id)
{
	for (int k = 0; k < RECENT_MAX; k++) {
		const struct recent *r = &tr->recent[(tr->recent_next + k) % RECENT_MAX];

		if (r->text && strcmp(r->a_call_id, a_call_id) == 0)
			client_put(c, r->text, r->len);
	}
}

static void to_clients(struct sip_trace *tr, const struct trace_msg *m, const char *a_call_id,
		       const struct timespec *now)
{
	size_t len = format_msg(tr, m, a_call_id, now);

	recent_push(tr, a_call_id, tr->scratch, len);
	for (struct trace_client *c = tr->clients; c; c = c->next) {
		if (adopted(c, a_call_id)) {
			client_put(c, tr->scratch, len);
		} else if (sip_trace_matches(c->filter, m, a_call_id)) {
			adopt(c, a_call_id);
			replay(tr, c, a_call_id);
		}
	}
	clients_reap(tr);
}

static void on_message(struct sip_trace *tr, const struct trace_msg *m)
{
	const char *a_call_id = m->call_id[0] ? map_find(tr, m->call_id) : NULL;
	struct timespec now;

	if (!a_call_id)
		a_call_id = m->call_id[0] ? m->call_id : "-";
	clock_gettime(CLOCK_REALTIME, &now);
	tr->n_msgs++;
	if (tr->log)
		to_log(m, a_call_id);
	if (tr->hep)
		to_hep(tr, m, a_call_id, &now);
	if (tr->clients)
		to_clients(tr, m, a_call_id, &now);
}

/* ---- Sofia's default log ---- */

/* A line of Sofia's own (nta:, nua:, tport_udp_error: ...): one log line
 * at warn, as Sofia may print one in pieces; what Sofia logs at its
 * default levels is trouble. */
static void sofia_text(struct sip_trace *tr, const char *text)
{
	size_t n = strlen(text), room = sizeof(tr->sofia_line) - 1 - tr->sofia_len;

	memcpy(tr->sofia_line + tr->sofia_len, text, n < room ? n : room);
	tr->sofia_len += n < room ? n : room;
	tr->sofia_line[tr->sofia_len] = 0;
	if (tr->sofia_len + 1 < sizeof(tr->sofia_line) && (!tr->sofia_len || tr->sofia_line[tr->sofia_len - 1] != '\n'))
		return;   /* the rest of the line comes next */
	n = tr->sofia_len;
	while (n && (tr->sofia_line[n - 1] == '\n' || tr->sofia_line[n - 1] == '\r'))
		tr->sofia_line[--n] = 0;
	clean(tr->sofia_line, tr->sofia_line, n);
	if (n)
		log_warn("sofia: %s", tr->sofia_line);
	tr->sofia_len = 0;
	tr->sofia_line[0] = 0;
}

void sip_trace_sofia_log(void *arg, char const *fmt, va_list ap)
{
	struct sip_trace *tr = arg;
	static char text[8192];

	vsnprintf(text, sizeof(text), fmt, ap);
	switch (trace_block_feed(tr->parser, fmt, text)) {
	case TRACE_DONE:
		on_message(tr, trace_block_msg(tr->parser));
		break;
	case TRACE_MORE:
		break;
	case TRACE_NOT_MINE:
		sofia_text(tr, text);
		break;
	}
}

/* ---- lifetime ---- */

int sip_trace_new(struct sip_trace **out, su_root_t *root, const struct config *cfg, char *err, size_t errlen)
{
	struct sip_trace *tr = calloc(1, sizeof(*tr));

	if (!tr || trace_block_new(&tr->parser) != 0) {
		free(tr);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tr->root = root;
	tr->log = cfg->sip_trace;
	tr->capture_id = cfg->hep_capture_id;
	snprintf(tr->password, sizeof(tr->password), "%s", cfg->hep_password);
	for (int i = 0; i < cfg->nlisten; i++) {
		struct listen_addr *l = &tr->listen[tr->nlisten];
		const struct config_listen *c = &cfg->listen[i];

		l->family = strchr(c->host, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(l->family, c->host, l->addr) != 1)
			continue;
		snprintf(l->proto, sizeof(l->proto), "%s", c->proto);
		snprintf(l->host, sizeof(l->host), "%s", c->host);
		snprintf(l->advertise, sizeof(l->advertise), "%s", c->advertise[0] ? c->advertise : cfg->advertise);
		l->port = (uint16_t)c->port;
		tr->nlisten++;
	}
	if (cfg->hep_address[0] && hep_sender_new(&tr->hep, cfg->hep_address, err, errlen) != 0) {
		trace_block_free(tr->parser);
		free(tr);
		return -1;
	}
	if (tr->log && !log_enabled(LOG_LVL_INFO))
		log_warn("[log] sip_trace = on writes at level info: with this [log] level no message shows");
	*out = tr;
	return 0;
}

void sip_trace_set_ops(struct sip_trace *tr, const struct sip_trace_ops *ops, void *ctx)
{
	tr->ops = ops;
	tr->ops_ctx = ctx;
	if (!ops)
		tr->capturing = 0;
	capture_update(tr);
}

void sip_trace_free(struct sip_trace *tr)
{
	if (!tr)
		return;
	while (tr->clients)
		client_free(tr->clients);
	map_clear(tr);
	recent_clear(tr);
	hep_sender_free(tr->hep);
	trace_block_free(tr->parser);
	free(tr);
}

void sip_trace_tick(struct sip_trace *tr, int64_t now_ms)
{
	if (!tr)
		return;
	if (now_ms - tr->last_purge >= 5000) {
		tr->last_purge = now_ms;
		map_purge(tr, now_ms);
	}
}

size_t sip_trace_stats(struct sip_trace *tr, char *buf, size_t cap)
{
	int n;

	if (!tr || !cap)
		return 0;
	n = snprintf(buf, cap,
		     "trace_capturing %d\ntrace_messages %llu\ntrace_clients %d\ntrace_client_drops %llu\n"
		     "hep_sent %llu\nhep_dropped %llu\n",
		     tr->capturing, (unsigned long long)tr->n_msgs, tr->nclients,
		     (unsigned long long)tr->n_client_drops, (unsigned long long)hep_sender_sent(tr->hep),
		     (unsigned long long)hep_sender_dropped(tr->hep));
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
