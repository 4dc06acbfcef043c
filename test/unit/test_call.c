/*
 * test_call.c - the call state machine (call.c) driven with fake legs, a
 * fake relay, fake timers and fake limits, over a real policy snapshot
 * loaded from a temporary database (test/fixtures/policy.sql's shape).
 *
 * Every fake appends what it was asked to do to one transcript, so a test
 * reads like the message flow it checks: "A 180", "B INVITE carrier1 ...".
 * Relay requests stay pending until the test answers them, which is how
 * the real client behaves (never before the request returns).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/TestRun.h>
#include "unit.h"
#include "call.h"
#include "cdr_store.h"
#include "ctl_lists.h"

/* ---- transcript ---- */

static char tr[8192];

static void note(const char *fmt, ...)
{
	size_t len = strlen(tr);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tr + len, sizeof(tr) - len, fmt, ap);
	va_end(ap);
	len = strlen(tr);
	if (len + 1 < sizeof(tr)) {
		tr[len] = '\n';
		tr[len + 1] = 0;
	}
}

/* A transcript line matches a pattern when it is the pattern, or starts
 * with it followed by a space; "X$" matches the line "X" only. */
static const char *line_find(const char *from, const char *pat)
{
	size_t n = strlen(pat);
	int exact = n && pat[n - 1] == '$';

	if (exact)
		n--;
	for (const char *l = from; *l;) {
		const char *end = strchr(l, '\n');

		if (strncmp(l, pat, n) == 0 && (l[n] == '\n' || (!exact && l[n] == ' ')))
			return end ? end + 1 : l + strlen(l);
		if (!end)
			break;
		l = end + 1;
	}
	return NULL;
}

static size_t tr_pos;   /* expect() consumed the transcript up to here */

/* The next line matching pat, after what earlier expect()s matched:
 * a sequence of expect()s asserts the order of what the core did. */
static int expect(const char *pat)
{
	const char *hit = line_find(tr + tr_pos, pat);

	if (!hit) {
		fprintf(stderr, "\nexpected '%s' after:\n%.*s---\n%s", pat, (int)tr_pos, tr, tr + tr_pos);
		return 0;
	}
	tr_pos = (size_t)(hit - tr);
	return 1;
}

/* How many lines of the whole transcript match pat. */
static int count(const char *pat)
{
	int n = 0;

	for (const char *l = tr; (l = line_find(l, pat)) != NULL; n++)
		;
	return n;
}

/* No line of the whole transcript matches pat. */
static int never(const char *pat)
{
	return line_find(tr, pat) == NULL;
}

static void tr_reset(void)
{
	tr[0] = 0;
	tr_pos = 0;
}

/* A check in a table-driven test: a failure names the row. */
#define CHECK_ROW(row, cond)                                                  \
	do {                                                                  \
		int ok_ = (cond);                                             \
		if (!ok_)                                                     \
			fprintf(stderr, "\n[%s] failed: %s\n", (row), #cond); \
		CU_ASSERT(ok_);                                               \
	} while (0)

/* ---- fake legs ----
 * Like the real adapter, a leg holds a reference on its call from its
 * creation (B) or from call_on_invite() (A) until the core releases it,
 * and every operation asserts that the core still holds the leg. */

struct leg {
	char name[16];         /* "A", "B1", "B2"... */
	char call_id[32];
	struct call *call;
	int released;
	int in_use;
};

static struct leg legs[16];
static int nb;            /* B legs created */
static char last_invite_sdp[512], last_invite_name[64], last_respond_sdp[512], last_request_body[512];
static char last_req_reason[64];   /* the phrase of the last respond_req */
/* The dialog policy the last leg B INVITE carried (struct leg_invite). */
static int last_invite_rel100 = -1, last_invite_se = -99;
/* What the last configure op told leg A (-1/-99: never called). */
static int conf_rel100 = -1, conf_se = -99, conf_calls;

/* The name a test gave an SDP (its a=label, which topology hiding keeps),
 * or its first line. */
static const char *sdp_name(const char *sdp, char *buf, size_t cap)
{
	const char *l = sdp ? strstr(sdp, "a=label:") : NULL;

	if (!sdp)
		return "";
	if (l)
		snprintf(buf, cap, "%.*s", (int)strcspn(l + 8, "\r\n"), l + 8);
	else
		snprintf(buf, cap, "%.*s", (int)strcspn(sdp, "\r\n"), sdp);
	return buf;
}

static struct leg *leg_new(const char *name)
{
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++) {
		if (!legs[i].in_use) {
			memset(&legs[i], 0, sizeof(legs[i]));
			legs[i].in_use = 1;
			snprintf(legs[i].name, sizeof(legs[i].name), "%s", name);
			snprintf(legs[i].call_id, sizeof(legs[i].call_id), "cid-%s", name);
			return &legs[i];
		}
	}
	return NULL;
}

/* The core may only use a leg it holds. */
static void held(const struct leg *l)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_TRUE(l->in_use);
	CU_ASSERT_FALSE(l->released);
}

static struct leg *fake_invite(void *ctx, struct call *c, const struct leg_invite *inv)
{
	char name[16];
	struct leg *l;

	(void)ctx;
	snprintf(name, sizeof(name), "B%d", ++nb);
	snprintf(last_invite_sdp, sizeof(last_invite_sdp), "%s", inv->sdp ? inv->sdp : "");
	last_invite_rel100 = (int)inv->rel100;
	last_invite_se = inv->session_expires;
	sdp_name(inv->sdp, last_invite_name, sizeof(last_invite_name));
	note("%s INVITE %s ruri=%s from=%s mf=%d to=%s display=%s pai=%s anonymous=%d hdrs=%zu", name,
	     inv->trunk->name, inv->ruri_user, inv->from_user, inv->max_forwards, inv->to_user,
	     inv->from_display ? inv->from_display : "", inv->pai_user ? inv->pai_user : "-", inv->anonymous,
	     inv->nhdrs);
	l = leg_new(name);
	if (l)
		l->call = call_ref(c);
	return l;
}

static void fake_respond(struct leg *l, int code, const char *reason, const char *sdp, int retry_after,
			 int reliable)
{
	char name[64];

	held(l);
	CU_ASSERT(!reliable || (code > 100 && code < 200));   /* RFC 3262: 18x only */
	snprintf(last_respond_sdp, sizeof(last_respond_sdp), "%s", sdp ? sdp : "");
	note("%s %d %s%s%s%s%s", l->name, code, reason, sdp ? " sdp=" : "", sdp_name(sdp, name, sizeof(name)),
	     retry_after ? " retry-after" : "", reliable ? " reliable" : "");
}

/* The calling trunk's dialog policy (the adapter's business). */
static void fake_configure(struct leg *l, enum policy_rel100 rel100, int session_expires)
{
	held(l);
	conf_rel100 = (int)rel100;
	conf_se = session_expires;
	conf_calls++;
}

static void fake_respond_req(struct leg *l, int method, int code, const char *reason,
			     const char *ctype, const char *body)
{
	char name[64];

	(void)ctype;
	held(l);
	snprintf(last_req_reason, sizeof(last_req_reason), "%s", reason ? reason : "");
	note("%s %d to %d%s%s", l->name, code, method, body ? " body=" : "", body ? sdp_name(body, name, sizeof(name)) : "");
}

static void fake_authenticate(struct leg *l, const char *realm, const char *user, const char *password)
{
	held(l);
	note("%s AUTH %s %s:%s", l->name, realm, user, password);
}

static void fake_cancel(struct leg *l, const char *reason)
{
	held(l);
	note("%s CANCEL%s%s", l->name, reason ? " reason=" : "", reason ? reason : "");
}

static void fake_ack(struct leg *l, const char *sdp)
{
	char name[64];

	held(l);
	note("%s ACK%s%s", l->name, sdp ? " sdp=" : "", sdp_name(sdp, name, sizeof(name)));
}

static void fake_prack(struct leg *l, const char *sdp)
{
	char name[64];

	held(l);
	note("%s PRACK%s%s", l->name, sdp ? " sdp=" : "", sdp_name(sdp, name, sizeof(name)));
}

static void fake_bye(struct leg *l, const char *reason)
{
	held(l);
	note("%s BYE%s%s", l->name, reason ? " reason=" : "", reason ? reason : "");
}

static void fake_request(struct leg *l, int method, const char *ctype, const char *body)
{
	char name[64];

	(void)ctype;
	held(l);
	snprintf(last_request_body, sizeof(last_request_body), "%s", body ? body : "");
	note("%s REQ %d%s%s", l->name, method, body ? " body=" : "", body ? sdp_name(body, name, sizeof(name)) : "");
}

static void fake_notify(struct leg *l, int code, int final)
{
	held(l);
	note("%s NOTIFY %d%s", l->name, code, final ? " final" : "");
}

/* A transfer moved l to call c: its reference on the old call goes to c. */
static void fake_rebind(struct leg *l, struct call *c)
{
	struct call *old = l->call;

	held(l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(old);
	CU_ASSERT_PTR_NOT_EQUAL(old, c);
	l->call = call_ref(c);
	call_unref(old);
	note("%s rebound", l->name);
}

static const char *fake_call_id(struct leg *l)
{
	held(l);
	return l->call_id;
}

/* Released once, on one path; the leg's reference on the call goes. */
static void fake_release(struct leg *l)
{
	struct call *c = l->call;

	held(l);
	note("%s released", l->name);
	l->released = 1;
	l->in_use = 0;
	l->call = NULL;
	if (c)
		call_unref(c);
}

static const struct leg_ops fake_legs = {
	.invite = fake_invite, .respond = fake_respond, .configure = fake_configure, .respond_req = fake_respond_req,
	.authenticate = fake_authenticate, .cancel = fake_cancel, .ack = fake_ack, .prack = fake_prack, .bye = fake_bye,
	.request = fake_request, .notify = fake_notify, .rebind = fake_rebind, .call_id = fake_call_id,
	.release = fake_release,
};

/* ---- fake relay: requests wait until the test answers them ---- */

struct pending {
	struct call *c;
	relay_done_fn done;
	char what[16];
};

static struct pending rq[32];
static int nrq;
static int relay_fail;    /* the next request cannot be queued */

static int relay_push(const char *what, struct call *c, relay_done_fn done)
{
	if (relay_fail) {
		relay_fail = 0;
		return -1;
	}
	CU_ASSERT_FATAL(nrq < 32);
	rq[nrq].c = c;
	rq[nrq].done = done;
	snprintf(rq[nrq].what, sizeof(rq[nrq].what), "%s", what);
	nrq++;
	return 0;
}

static char last_latch[16], last_peer[64], last_relay_sdp[1024], last_place[96];

static void relay_note(const char *what, const struct relay_sdp *s)
{
	snprintf(last_relay_sdp, sizeof(last_relay_sdp), "%s", s->sdp ? s->sdp : "");
	snprintf(last_latch, sizeof(last_latch), "%s", s->latch ? s->latch : "");
	snprintf(last_peer, sizeof(last_peer), "%s", s->peer ? s->peer : "");
	snprintf(last_place, sizeof(last_place), "%s>%s %s", s->iface[0] ? s->iface[0] : "-",
		 s->iface[1] ? s->iface[1] : "-", s->family ? s->family : "-");
	note("relay %s from %c srtp=%d%s%s", what, s->side == SIDE_A ? 'A' : 'B', s->to_srtp, s->proto ? " proto=" : "",
	     s->proto ? s->proto : "");
}

static int fake_offer(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	(void)ctx;
	relay_note("offer", s);
	return relay_push("offer", c, done);
}

static int fake_answer(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	(void)ctx;
	relay_note("answer", s);
	return relay_push("answer", c, done);
}

static int fake_delete(void *ctx, struct call *c, relay_done_fn done)
{
	(void)ctx;
	note("relay delete");
	return relay_push("delete", c, done);
}

static int fake_query(void *ctx, struct call *c, relay_done_fn done)
{
	(void)ctx;
	note("relay query");
	return relay_push("query", c, done);
}

static const struct relay_ops fake_relay = {
	.offer = fake_offer, .answer = fake_answer, .delete = fake_delete, .query = fake_query,
};

/* Answers the oldest pending request, which must be `what`, with err
 * (RELAY_OK: sdp, media_timeout and fixed counters). */
static void relay_result(const char *what, enum relay_err err, const char *sdp, int media_timeout)
{
	static char wrapped[512];
	struct relay_result r = {.err = err, .sdp = sdp, .detail = err ? "relay says no" : NULL,
				 .media_timeout = media_timeout, .codec = "PCMA"};

	/* A test names the relay's SDP; the relay's is a real one, with
	 * the other side's identifying lines the core must strip. A name
	 * that is a whole SDP is used as it is. */
	if (sdp && strncmp(sdp, "v=0", 3) == 0) {
		snprintf(wrapped, sizeof(wrapped), "%s", sdp);
		r.sdp = wrapped;
	} else if (sdp) {
		snprintf(wrapped, sizeof(wrapped),
			 "v=0\r\no=relay 42 42 IN IP4 127.0.0.1\r\ns=Secret Session\r\ni=internal info\r\n"
			 "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 8\r\na=tool:InternalPBX 9\r\n"
			 "a=ssrc:1 cname:sip:1000@10.1.2.3\r\na=label:%s\r\n", sdp);
		r.sdp = wrapped;
	}
	struct pending p;

	CU_ASSERT_FATAL(nrq > 0);
	CU_ASSERT_STRING_EQUAL_FATAL(rq[0].what, what);
	p = rq[0];
	memmove(rq, rq + 1, (size_t)(nrq - 1) * sizeof(rq[0]));
	nrq--;
	r.pkts[SIDE_A] = 500;
	r.pkts[SIDE_B] = 498;
	r.lost[SIDE_B] = 2;
	p.done(p.c, &r);
}

static void relay_reply(const char *what, int ok, const char *sdp, int media_timeout)
{
	relay_result(what, ok ? RELAY_OK : RELAY_E_REFUSED, sdp, media_timeout);
}

/* Answers every pending relay request (OK, no SDP). */
static void relay_drain(void)
{
	while (nrq)
		relay_reply(rq[0].what, 1, NULL, 0);
}

/* ---- fake timers and limits ---- */

/* Like su timers: an armed timer holds a reference on its call. One slot
 * per (call, kind): a transfer runs two calls at once. */
struct fake_timer {
	struct call *c;
	enum call_timer kind;
	int64_t ms;
};

static struct fake_timer tmrs[16];

static struct fake_timer *timer_slot(const struct call *c, enum call_timer t)
{
	for (size_t i = 0; i < sizeof(tmrs) / sizeof(tmrs[0]); i++)
		if (tmrs[i].c == c && (c == NULL || tmrs[i].kind == t))
			return &tmrs[i];
	return NULL;
}

/* The armed timer of kind t of call c, or with c NULL of the newest call
 * that has one; NULL when none is. */
static struct fake_timer *timer_armed(const struct call *c, enum call_timer t)
{
	struct fake_timer *best = NULL;

	if (c)
		return timer_slot(c, t);
	for (size_t i = 0; i < sizeof(tmrs) / sizeof(tmrs[0]); i++)
		if (tmrs[i].c && tmrs[i].kind == t &&
		    (!best || call_serial(tmrs[i].c) > call_serial(best->c)))
			best = &tmrs[i];
	return best;
}

/* What timer_armed() finds is set to, 0 when nothing is. */
static int64_t timer_ms(const struct call *c, enum call_timer t)
{
	const struct fake_timer *f = timer_armed(c, t);

	return f ? f->ms : 0;
}

static void fake_timer_cancel(void *ctx, struct call *c, enum call_timer t)
{
	struct fake_timer *f = timer_slot(c, t);

	(void)ctx;
	if (f) {
		struct call *held_call = f->c;

		memset(f, 0, sizeof(*f));
		call_unref(held_call);
	}
}

static void fake_timer_set(void *ctx, struct call *c, enum call_timer t, int64_t ms)
{
	struct fake_timer *f;

	fake_timer_cancel(ctx, c, t);
	f = timer_slot(NULL, t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->c = call_ref(c);
	f->kind = t;
	f->ms = ms;
}

/* Fires the armed timer of kind t of call c (NULL: the newest call's)
 * the way sip_leg.c does. */
static void fire_call(struct call *c, enum call_timer t)
{
	struct fake_timer *f = timer_armed(c, t);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	c = f->c;
	memset(f, 0, sizeof(*f));
	call_on_timer(c, t);
	call_unref(c);
}

static void fire(enum call_timer t)
{
	fire_call(NULL, t);
}

static const struct timer_ops fake_timers = {.set = fake_timer_set, .cancel = fake_timer_cancel};

static int deny_trunk;        /* trunk id over its limits */
static int channels[16];   /* by trunk id */

static int fake_take(void *ctx, const struct policy_trunk *t)
{
	(void)ctx;
	if (t->id == deny_trunk)
		return -1;
	channels[t->id]++;
	return 0;
}

static void fake_give(void *ctx, const struct policy_trunk *t)
{
	(void)ctx;
	channels[t->id]--;
}

static const struct call_limits_ops fake_limits = {.take = fake_take, .give = fake_give};

static int down_trunk[16];   /* by trunk id: its OPTIONS keepalives say down */

static int fake_down(void *ctx, const struct policy_trunk *t)
{
	(void)ctx;
	return t->id >= 0 && t->id < 16 && down_trunk[t->id];
}

static const struct call_health_ops fake_health = {.down = fake_down};

/* ---- CDR sink ----
 * cdr and cdr_final are the last event of whichever call sent one (what a
 * test of one call reads); cdr_of() has the last row of each call. */

struct cdr_seen {
	uint64_t serial;
	struct cdr_row row;
	int final, events;
};

static struct cdr_seen cdrs[32];
static struct cdr_row cdr;
static int cdr_final, cdr_events;
static uint64_t cdr_serial;   /* whose event the last one was */

static struct cdr_seen *cdr_slot(uint64_t serial)
{
	for (size_t i = 0; i < sizeof(cdrs) / sizeof(cdrs[0]); i++)
		if (cdrs[i].serial == serial || cdrs[i].serial == 0)
			return &cdrs[i];
	return NULL;
}

static void fake_cdr(void *ctx, uint64_t serial, const struct cdr_row *row, int final)
{
	struct cdr_seen *s = cdr_slot(serial);

	(void)ctx;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FALSE(s->final);   /* nothing after a call's final event */
	s->serial = serial;
	s->row = *row;
	s->final = final;
	s->events++;
	cdr = *row;
	cdr_final = final;
	cdr_events++;
	cdr_serial = serial;
}

/* A route attempt (cdr_attempts): into the transcript as "attempt SEQ
 * TRUNK CODE CAUSE REASON"; it must come before its call's final row. */
static void fake_cdr_attempt(void *ctx, uint64_t serial, const struct cdr_attempt *a)
{
	struct cdr_seen *s = cdr_slot(serial);

	(void)ctx;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FALSE(s->final);
	CU_ASSERT(a->start_ms > 0);
	note("attempt %d %s %d %s %s", a->seq, a->trunk, a->sip_code, a->cause, a->reason);
}

/* What the CDR sink last got for the call of this serial. */
static const struct cdr_seen *cdr_of(uint64_t serial)
{
	const struct cdr_seen *s = cdr_slot(serial);

	CU_ASSERT_FATAL(s && s->serial == serial);
	return s;
}

/* ---- the policy fixture ---- */

/* What the next invite_from() carries besides its number (reset by setup). */
static const char *inv_display, *inv_pai, *inv_privacy, *inv_to;
static const char *inv_iface;         /* the interface the INVITE arrived on */
static const char *default_iface;     /* env.default_iface */
static int inv_body_not_sdp, inv_refuses_sdp, inv_rel100;
static int inv_sup100;   /* Supported: 100rel (inv_rel100: Require: 100rel) */
static int inv_update;   /* Allow: UPDATE */
static const char *inv_from_tag, *inv_via_host;

static char db_path[64];
static struct call_core *core;
static int use_relay = 1;

static const char *fixture_sql =
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)"
	" VALUES (1, 'pbx', '127.0.0.2', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),"
	" (2, 'carrier1', '127.0.0.3', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1),"
	" (3, 'carrier2', '127.0.0.4', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1),"
	" (4, 'secure', '127.0.0.5', 5080, 'udp', 0, 0, 0, 'PCMA', 'mandatory', 0, 1);"
	"INSERT INTO trunks (id, name, host, port, transport, username, password, realm, register, max_channels,"
	" max_cps, codecs, srtp, options_ping_s, enabled)"
	" VALUES (5, 'authed', '127.0.0.6', 5080, 'udp', 'u1', 'p1', 'carrier.example', 0, 0, 0, NULL, 'off', 0, 1);"
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp,"
	" options_ping_s, enabled, trusted, sdp_keep) VALUES (6, 'open', '127.0.0.7', 5080, 'udp', 0, 0, 0, NULL,"
	" 'off', 0, 1, 1, 'i,u,e,p,tool,ssrc,msid,x');"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)"
	" VALUES (6, 'out', 'display', '^(.+)$', '$1', 1);"
	"UPDATE trunks SET media_latch = 'sdp' WHERE id = 2;"
	"UPDATE trunks SET avpf = 'keep' WHERE id IN (4, 6);"
	"UPDATE trunks SET trust_reason = 0 WHERE id = 6;"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)"
	" VALUES (2, 'in', 'ruri', '^778(.*)$', '0123456789012345678901234567890123456789012345678901234567$1', 1);"
	"UPDATE trunks SET trusted = 1 WHERE id = 3;"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)"
	" VALUES (3, 'out', 'display', '^(.+)$', '$1', 1);"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.2/32'), (2, '127.0.0.3/32'),"
	" (3, '127.0.0.4/32'), (4, '127.0.0.5/32'), (5, '127.0.0.6/32');"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (1, '1', 2, 1, 100, 1), (1, '1', 3, 2, 100, 1), (1, '2', 3, 1, 100, 1),"
	" (NULL, '4', 1, 1, 100, 1), (1, '5', 4, 1, 100, 1), (1, '6', 5, 1, 100, 1), (1, '7', 6, 1, 100, 1);"
	/* Transfers (REFER): the pbx and carrier1 let us carry them out,
	 * carrier2 keeps the default (reject). A number a transfer dials is
	 * routed from the transferor's trunk: carrier1's 3... go to carrier2,
	 * then the pbx; 4... go to the pbx from anywhere (above). */
	"UPDATE trunks SET refer = 'local' WHERE id IN (1, 2);"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (2, '3', 3, 1, 100, 1), (2, '3', 1, 2, 100, 1);"
	"INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee)"
	" VALUES ('1', 2, 0.60, 6, 6, 0.0);"
	/* 100rel and session timers per trunk (sql/005_dialog.sql): a PBX
	 * that requires 100rel (its own session interval), one that has it
	 * off (no session timer); both call carrier1 with 1..., and the pbx
	 * reaches the first with 8... */
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp,"
	" options_ping_s, enabled, rel100, session_expires) VALUES"
	" (7, 'pbxrel', '127.0.0.8', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'required', 120),"
	" (8, 'pbxoff', '127.0.0.10', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'off', 0);"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (7, '127.0.0.8/32'), (8, '127.0.0.10/32');"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (7, '1', 2, 1, 100, 1), (8, '1', 2, 1, 100, 1), (1, '8', 7, 1, 100, 1);"
	/* 3xx follow (trunks.redirect, sql/005_dialog.sql): redir1 and
	 * redir2 follow a Contact naming a trunk of ours (redir1 reads its
	 * numbers with its "in" rules: 00 dropped); target is named by host
	 * name (trunks.host) or by its source address; dormant is disabled.
	 * The pbx reaches redir1 with 91... (then carrier2) and 92... (alone).
	 * carrier1 and carrier2 keep the default: next. */
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp,"
	" options_ping_s, enabled, redirect) VALUES"
	" (9, 'redir1', '127.0.0.12', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'follow'),"
	" (10, 'redir2', '127.0.0.13', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'follow'),"
	" (11, 'target', 'Target.Example', 5070, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'next'),"
	" (12, 'dormant', '127.0.0.15', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 0, 'next');"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (9, '127.0.0.12/32'), (10, '127.0.0.13/32'),"
	" (11, '127.0.0.14/32'), (12, '127.0.0.15/32');"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)"
	" VALUES (9, 'in', 'ruri', '^00', '', 1);"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (1, '91', 9, 1, 100, 1), (1, '91', 3, 2, 100, 1), (1, '92', 9, 1, 100, 1);"
	/* Named interfaces (sql/008_interface.sql): an IPv6 carrier reached
	 * on "outside" (the pbx dials it with 93...), and carrier2 on
	 * "inside" (from pbxrel). */
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp,"
	" options_ping_s, enabled, interface) VALUES"
	" (13, 'v6carrier', '2001:db8::9', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 'outside');"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (1, '93', 13, 1, 100, 1);";

static int suite_init(void)
{
	struct cdr_store *s;
	sqlite3 *db;
	char err[256];
	int fd;

	snprintf(db_path, sizeof(db_path), "/tmp/test_call_XXXXXX");
	fd = mkstemp(db_path);
	if (fd < 0)
		return -1;
	close(fd);
	/* Opening a CDR store applies the embedded schema migrations. */
	if (cdr_store_open(&s, db_path, err, sizeof(err)) != 0)
		return -1;
	cdr_store_close(s);
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_exec(db, fixture_sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fixture: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_close(db);
	return 0;
}

static int suite_cleanup(void)
{
	char p[96];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return 0;
}

static unsigned first_rnd(void *arg)
{
	(void)arg;
	return 0;
}

static void setup(void)
{
	struct call_env env;
	struct policy *p;
	char err[256];

	memset(legs, 0, sizeof(legs));
	memset(rq, 0, sizeof(rq));
	memset(tmrs, 0, sizeof(tmrs));
	memset(cdrs, 0, sizeof(cdrs));
	memset(channels, 0, sizeof(channels));
	memset(down_trunk, 0, sizeof(down_trunk));
	memset(&cdr, 0, sizeof(cdr));
	tr_reset();
	inv_display = inv_pai = inv_privacy = inv_to = NULL;
	inv_iface = NULL;
	inv_body_not_sdp = inv_refuses_sdp = inv_rel100 = inv_sup100 = inv_update = 0;
	last_invite_rel100 = conf_rel100 = -1;
	last_invite_se = conf_se = -99;
	conf_calls = 0;
	inv_from_tag = inv_via_host = NULL;
	nb = nrq = relay_fail = deny_trunk = cdr_final = cdr_events = 0;
	cdr_serial = 0;
	CU_ASSERT_EQUAL_FATAL(policy_load(&p, db_path, err, sizeof(err)), 0);
	memset(&env, 0, sizeof(env));
	env.leg = &fake_legs;
	env.relay = use_relay ? &fake_relay : NULL;
	env.timer = &fake_timers;
	env.limits = &fake_limits;
	env.health = &fake_health;
	env.cdr = fake_cdr;
	env.cdr_attempt = fake_cdr_attempt;
	env.node = "test";
	env.trunk_timeout_ms = 2000;
	env.no_answer_ms = 60000;
	env.max_duration_ms = 3600000;
	env.rnd = first_rnd;
	env.default_iface = default_iface;
	CU_ASSERT_EQUAL_FATAL(call_core_new(&core, &env, p), 0);
}

/* Every test ends its calls: nothing may be left behind. */
static void teardown(void)
{
	CU_ASSERT_EQUAL(call_core_count(core), 0);
	CU_ASSERT_EQUAL(nrq, 0);
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
		CU_ASSERT_FALSE(legs[i].in_use);
	for (size_t i = 0; i < sizeof(tmrs) / sizeof(tmrs[0]); i++)
		CU_ASSERT_PTR_NULL(tmrs[i].c);
	for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
		CU_ASSERT_EQUAL(channels[i], 0);
	call_core_free(core);
	core = NULL;
}

static void setup_relay(void)
{
	use_relay = 1;
	setup();
}

static void setup_no_relay(void)
{
	use_relay = 0;
	setup();
}

/* An INVITE from src (dotted quad) for user, with an SDP offer. */
static struct call *invite_from(const char *src, const char *user, int max_forwards, const char *sdp)
{
	struct call_invite inv;
	struct policy_hdr privacy;
	struct sockaddr_in *sin;
	struct leg *a = leg_new("A");
	struct call *c;

	memset(&inv, 0, sizeof(inv));
	sin = (struct sockaddr_in *)&inv.src;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	inet_pton(AF_INET, src, &sin->sin_addr);
	inv.call_id = "a-call-id";
	inv.ruri_user = user;
	inv.from_user = "100";
	inv.to_user = inv_to ? inv_to : user;
	inv.from_display = inv_display;
	inv.pai_user = inv_pai;
	if (inv_privacy) {
		snprintf(privacy.name, sizeof(privacy.name), "Privacy");
		snprintf(privacy.value, sizeof(privacy.value), "%s", inv_privacy);
		inv.hdrs = &privacy;
		inv.nhdrs = 1;
	}
	inv.max_forwards = max_forwards;
	inv.sdp = sdp;
	inv.body_not_sdp = inv_body_not_sdp;
	inv.refuses_sdp = inv_refuses_sdp;
	inv.requires_100rel = inv_rel100;
	inv.supports_100rel = inv_sup100;
	inv.allows_update = inv_update;
	inv.from_tag = inv_from_tag;
	inv.via_host = inv_via_host;
	inv.iface = inv_iface ? inv_iface : "";
	c = call_on_invite(core, a, &inv);
	if (c)
		a->call = call_ref(c);   /* what sip_leg.c does */
	return c;
}

static const char *offer_sdp =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

/* What a trunk answers (valid SDP: the core refuses anything else). */
static const char *b_sdp =
	"v=0\r\no=carrier 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

static struct leg *leg_named(const char *name)
{
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
		if (legs[i].in_use && strcmp(legs[i].name, name) == 0)
			return &legs[i];
	return NULL;
}

/* A response on leg name to what we sent there (INVITE unless said). */
static void resp_m(struct call *c, const char *name, int method, int code, const char *reason,
		   const char *sdp, const char *realm)
{
	struct leg_response r = {.method = method, .code = code, .reason = reason, .body = sdp,
				 .sdp = sdp, .ctype = sdp ? "application/sdp" : NULL,
				 .realm = realm ? realm : ""};

	call_on_response(c, leg_named(name), &r);
}

static void resp(struct call *c, const char *name, int code, const char *reason, const char *sdp)
{
	resp_m(c, name, METHOD_INVITE, code, reason, sdp, NULL);
}

/* A reliable 18x on leg name; offers: its SDP is the offer our INVITE
 * did not carry (the adapter leaves that PRACK to the core). */
static void resp_rel(struct call *c, const char *name, int code, const char *reason, const char *sdp, int offers)
{
	struct leg_response r = {.method = METHOD_INVITE, .code = code, .reason = reason, .body = sdp,
				 .sdp = sdp, .ctype = sdp ? "application/sdp" : NULL, .realm = "",
				 .reliable = 1, .offers_early = offers};

	call_on_response(c, leg_named(name), &r);
}

static void ack(struct call *c)
{
	call_on_ack(c, leg_named("A"), NULL);
}

/* An ACK on leg name carrying sdp (the answer to an offer in our 2xx). */
static void ack_sdp(struct call *c, const char *name, const char *sdp)
{
	call_on_ack(c, leg_named(name), sdp);
}

static void bye(struct call *c, const char *name)
{
	call_on_bye(c, leg_named(name), NULL);
}

/* Runs a call up to "B ringing with 180" on carrier1. */
static struct call *ringing_call(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leg_named("B1"));
	resp(c, "B1", 100, "Trying", NULL);
	resp(c, "B1", 180, "Ringing", NULL);
	return c;
}

static struct call *answered_call(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	return c;
}

/* The relay hears where each side is anchored: ng direction (sender's
 * interface, recipient's) and the recipient's address family, from the
 * interface the INVITE came on, the trunk's interface and the peers'
 * addresses. */
static void test_relay_requests_name_interfaces_and_family(void)
{
	static const char *const v6_answer =
		"v=0\r\no=carrier 1 1 IN IP6 2001:db8::9\r\ns=-\r\nc=IN IP6 2001:db8::9\r\nt=0 0\r\n"
		"m=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
	struct call *c;

	inv_iface = "inside";
	c = invite_from("127.0.0.2", "93555", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("relay offer from A srtp=0"));
	CU_ASSERT_STRING_EQUAL(last_place, "inside>outside IP6");
	relay_reply("offer", 1, "SDP-TO-B", 0);
	CU_ASSERT(expect("B1 INVITE v6carrier"));
	resp(c, "B1", 200, "OK", v6_answer);
	CU_ASSERT(expect("relay answer from B srtp=0"));
	CU_ASSERT_STRING_EQUAL(last_place, "outside>inside IP4");
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(call_core_count(core), 0);
}

/* The relay's offer done, B answers, A hangs up. */
static void answer_and_end(struct call *c)
{
	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* No names anywhere: no direction (the relay's default), the family
 * still; a named default reaches a trunk without an interface. */
static void test_relay_requests_default_interface(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(last_place, "->- IP4");
	answer_and_end(c);
	teardown();
	default_iface = "lan";
	setup_relay();
	inv_iface = "wan";
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	default_iface = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(last_place, "wan>lan IP4");
	answer_and_end(c);
}

/* `b2bua-ctl calls` and `calls --json` read one view of each call. */
static int count_view(void *arg, const struct call_view *v)
{
	int *n = arg;

	*n += strcmp(v->call_id, "a-call-id") == 0;
	return 0;
}

static void test_calls_list_and_json_from_one_view(void)
{
	struct call *c = ringing_call();
	int seen = 0;
	char buf[2048];

	call_core_each(core, count_view, &seen);
	CU_ASSERT_EQUAL(seen, 1);
	CU_ASSERT_EQUAL(call_core_list(core, buf, sizeof(buf)), strlen(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a-call-id early 100->15551234 pbx->carrier1 0s\n"));
	CU_ASSERT_EQUAL_FATAL(ctl_json_calls(core, buf, sizeof(buf)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"calls\":[{\"call_id\":\"a-call-id\",\"b_call_id\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"state\":\"early\",\"caller\":\"100\",\"callee\":\"15551234\","
					  "\"routed_to\":\"15551234\",\"from_trunk\":\"pbx\",\"to_trunk\":\"carrier1\","
					  "\"age_s\":0,\"answered\":false}]}\n"));
	/* too small: an error, never half a document */
	CU_ASSERT_EQUAL(ctl_json_calls(core, buf, 64), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "too large"));
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	CU_ASSERT_EQUAL_FATAL(ctl_json_calls(core, buf, sizeof(buf)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"state\":\"connected\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"answered\":true}"));
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(ctl_json_calls(core, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "{\"calls\":[]}\n");
}

/* ---- establishment and hang-up ---- */

static void test_answered_call_caller_hangs_up(void)
{
	struct call *c = answered_call();

	CU_ASSERT(expect("relay offer from A srtp=0"));
	CU_ASSERT(expect("B1 INVITE carrier1 ruri=15551234 from=100 mf=69"));
	CU_ASSERT_STRING_EQUAL(last_invite_name, "SDP-TO-B");
	CU_ASSERT(expect("A 180 Ringing"));
	CU_ASSERT(expect("relay answer from B srtp=0"));
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	CU_ASSERT(never("A 100"));   /* nua sent it; we send no second one */
	CU_ASSERT(timer_ms(NULL, TIMER_MAX_DURATION) == 3600000);
	CU_ASSERT_EQUAL(channels[2], 1);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "in_progress");
	CU_ASSERT(cdr.answer_ms > 0);

	bye(c, "A");
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(expect("A released"));
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("relay delete"));
	CU_ASSERT(never("A BYE"));
	CU_ASSERT_FALSE(cdr_final);   /* waits for the relay's totals */
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_TRUE(cdr_final);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "caller");
	CU_ASSERT_STRING_EQUAL(cdr.from_trunk, "pbx");
	CU_ASSERT_STRING_EQUAL(cdr.to_trunk, "carrier1");
	CU_ASSERT_STRING_EQUAL(cdr.call_id, "a-call-id");
	CU_ASSERT_STRING_EQUAL(cdr.b_call_id, "cid-B1");
	CU_ASSERT_EQUAL(cdr.sip_code, 200);
	CU_ASSERT_EQUAL(cdr.a_rtp_pkts, 500);
	CU_ASSERT_EQUAL(cdr.b_rtp_lost, 2);
	/* 0.60/min, 6 s increments, min 6 s: a sub-second call bills 6 s. */
	CU_ASSERT_TRUE(cdr.has_cost);
	CU_ASSERT_DOUBLE_EQUAL(cdr.cost, 0.06, 1e-9);
	CU_ASSERT_EQUAL(channels[2], 0);
	CU_ASSERT_EQUAL(call_core_count(core), 0);
}

static void test_callee_hangs_up(void)
{
	struct call *c = answered_call();

	tr_reset();
	bye(c, "B1");
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(never("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "callee");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

static void test_busy_goes_back_without_failover(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 486, "Busy Here", NULL);
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("A 486 Busy Here"));
	CU_ASSERT(never("B2 INVITE"));
	CU_ASSERT(never("B1 CANCEL"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "busy");
	CU_ASSERT_EQUAL(cdr.sip_code, 486);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "callee");
	CU_ASSERT_FALSE(cdr.has_cost);
	CU_ASSERT_EQUAL(channels[2], 0);
}

static void test_failover_after_503(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B1", 503, "Service Unavailable", NULL);
	CU_ASSERT(expect("B1 released"));
	relay_reply("offer", 1, "SDP-TO-B2", 0);
	CU_ASSERT(expect("B2 INVITE carrier2"));
	resp(c, "B2", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(expect("A 200"));
	CU_ASSERT(never("A 503"));
	CU_ASSERT_STRING_EQUAL(cdr.to_trunk, "carrier2");
	CU_ASSERT_EQUAL(channels[2], 0);
	CU_ASSERT_EQUAL(channels[3], 1);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(channels[3], 0);
}

/* A failure the stack made itself (ICMP unreachable, refused connection:
 * a local 503; no answer: a local 408) is ours, not the trunk's: the next
 * route is tried, and the CDR says b2bua with the cause, never the
 * carrier's 503. A real 503 from the next trunk stays the callee's. */
static void test_unreachable_trunk_is_ours(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	struct leg_response r = {.method = METHOD_INVITE, .code = 503, .reason = "Service Unavailable",
				 .realm = "", .local_cause = "unreachable"};

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	call_on_response(c, leg_named("B1"), &r);
	CU_ASSERT(expect("B1 released"));
	relay_reply("offer", 1, "SDP-TO-B", 0);
	CU_ASSERT(expect("B2 INVITE carrier2"));
	r.code = 408;
	r.reason = "Request Timeout";
	r.local_cause = "timeout";
	call_on_response(c, leg_named("B2"), &r);
	CU_ASSERT(expect("A 503 Trunk unreachable"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Trunk unreachable");
	CU_ASSERT_EQUAL(cdr.sip_code, 503);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	teardown();
	setup_relay();
	c = invite_from("127.0.0.2", "2000", 70, offer_sdp);   /* carrier2 alone */
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	call_on_response(c, leg_named("B1"), &r);
	CU_ASSERT(expect("A 408 No reply from trunk"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No reply from trunk");
	teardown();
	setup_relay();
	c = invite_from("127.0.0.2", "2000", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B1", 503, "Service Unavailable", NULL);   /* the carrier's own */
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "callee");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Service Unavailable");
}

/* Every route attempt is recorded (cdr_attempts), in order, before the
 * call's final row: the trunk's answer ("remote") or what we found. */
static void test_attempts_recorded_with_their_cause(void)
{
	static const struct {
		const char *name;
		int deny, down, relay_fails, timeout, local;
		const char *first;   /* carrier1's attempt */
	} cases[] = {
		{"trunk's 503", 0, 0, 0, 0, 0, "attempt 1 carrier1 503 remote Service Unavailable$"},
		{"over its limits", 2, 0, 0, 0, 0, "attempt 1 carrier1 0 limits Trunk over its limits$"},
		{"down by OPTIONS", 0, 1, 0, 0, 0, "attempt 1 carrier1 0 unreachable Trunk down (OPTIONS)$"},
		{"relay refused the offer", 0, 0, 1, 0, 0, "attempt 1 carrier1 0 relay Media relay unavailable$"},
		{"no reply in trunk_timeout", 0, 0, 0, 1, 0, "attempt 1 carrier1 0 timeout No reply within trunk_timeout$"},
		{"unreachable", 0, 0, 0, 0, 1, "attempt 1 carrier1 503 unreachable Trunk unreachable$"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		deny_trunk = cases[i].deny;
		down_trunk[2] = cases[i].down;
		c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		if (!cases[i].deny && !cases[i].down) {
			relay_reply("offer", !cases[i].relay_fails, "SDP-TO-B", 0);
			if (cases[i].timeout) {
				fire(TIMER_TRUNK);
			} else if (cases[i].local) {
				struct leg_response r = {.method = METHOD_INVITE, .code = 503, .reason = "Service Unavailable",
							 .realm = "", .local_cause = "unreachable"};

				call_on_response(c, leg_named("B1"), &r);
			} else if (!cases[i].relay_fails) {
				resp(c, "B1", 503, "Service Unavailable", NULL);
			}
		}
		CHECK_ROW(row, expect(cases[i].first));
		relay_reply("offer", 1, "SDP-TO-B2", 0);
		resp(c, leg_named("B2") ? "B2" : "B1", 200, "OK", b_sdp);
		CHECK_ROW(row, expect("attempt 2 carrier2 200 remote OK$"));
		relay_reply("answer", 1, "SDP-TO-A", 0);
		ack(c);
		bye(c, "A");
		relay_drain();
		CHECK_ROW(row, never("attempt 3"));
		CHECK_ROW(row, cdr_final && strcmp(cdr.to_trunk, "carrier2") == 0);
	}
}

/* An attempt the caller ends (CANCEL) or our timers end says so. */
static void test_attempt_ended_with_the_call(void)
{
	struct call *c = ringing_call();

	call_on_cancel(c, leg_named("A"), NULL);
	CU_ASSERT(expect("attempt 1 carrier1 487 remote Request Terminated$"));
	relay_drain();
	teardown();
	setup_relay();
	c = ringing_call();
	fire(TIMER_NO_ANSWER);
	CU_ASSERT(expect("attempt 1 carrier1 480 timeout"));
	relay_drain();
	CU_ASSERT(never("attempt 2"));
}

static void test_all_routes_fail_best_code_wins(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	/* carrier1 never answers: the trunk timer gives up on it... */
	CU_ASSERT_EQUAL(timer_ms(NULL, TIMER_TRUNK), 2000);
	fire(TIMER_TRUNK);
	CU_ASSERT(expect("B1 CANCEL"));
	CU_ASSERT(expect("B1 released"));
	relay_reply("offer", 1, "X", 0);
	/* ...and carrier2 says 500: a 5xx beats the 408 of the timeout. */
	resp(c, "B2", 500, "Server Error", NULL);
	CU_ASSERT(expect("A 500 Server Error"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT_EQUAL(cdr.sip_code, 500);
}

static void test_trunk_timer_stops_at_first_reply(void)
{
	ringing_call();
	CU_ASSERT_EQUAL(timer_ms(NULL, TIMER_TRUNK), 0);   /* cancelled by 100 */
	CU_ASSERT_PTR_NULL(timer_armed(NULL, TIMER_TRUNK));
	call_core_hangup_all(core);
	CU_ASSERT(expect("A 503 Hung Up By Administrator"));
	CU_ASSERT(expect("B1 CANCEL"));
	relay_reply("delete", 1, NULL, 0);
}

static void test_no_route_is_404(void)
{
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "9999", 70, offer_sdp));
	CU_ASSERT(expect("A 404 No Route To Destination"));
	CU_ASSERT(expect("A released"));
	CU_ASSERT(never("relay"));   /* nothing to delete at the relay */
	CU_ASSERT_TRUE(cdr_final);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_EQUAL(cdr.sip_code, 404);
}

/* A feedback profile (RFC 4585) offered toward a trunk: its avpf says
 * whether it stays; SRTP changes come on top. */
static void test_avpf_offer_by_trunk_policy(void)
{
	static const char avpf_sdp[] = "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
				       "t=0 0\r\nm=audio 4000 RTP/AVPF 8 0\r\na=rtcp-fb:* nack\r\n";
	static const struct {
		const char *number, *sdp, *want;
	} cases[] = {
		{"15551234", avpf_sdp, "relay offer from A srtp=0 proto=RTP/AVP$"},   /* carrier1: off */
		{"5123", avpf_sdp, "relay offer from A srtp=1 proto=RTP/SAVPF$"},    /* secure: keep, SRTP */
		{"7123", avpf_sdp, "relay offer from A srtp=0 proto=RTP/AVPF$"},     /* open: keep */
		{"15551234", NULL, "relay offer from A srtp=0$"},                    /* no feedback offered */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i) {
			teardown();
			setup_relay();
		}
		CU_ASSERT_PTR_NOT_NULL(invite_from("127.0.0.2", cases[i].number, 70,
						   cases[i].sdp ? cases[i].sdp : offer_sdp));
		CU_ASSERT(expect(cases[i].want));
		call_core_hangup_all(core);
		relay_drain();
	}
}

/* The answer to an RTP/AVPF offer goes back as RTP/AVPF (RFC 3264 6),
 * also when the trunk got it as RTP/AVP. */
static void test_answer_to_avpf_offer_keeps_profile(void)
{
	static const char avpf_sdp[] = "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
				       "t=0 0\r\nm=audio 4000 RTP/AVPF 8 0\r\na=rtcp-fb:* nack\r\n";
	struct call *c = invite_from("127.0.0.2", "15551234", 70, avpf_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("relay offer from A srtp=0 proto=RTP/AVP$"));
	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT(expect("relay answer from B srtp=0 proto=RTP/AVPF$"));
	call_core_hangup_all(core);
	relay_drain();
}

static void test_unknown_source_is_403_without_cdr(void)
{
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.9", "15551234", 70, offer_sdp));
	CU_ASSERT(expect("A 403 Forbidden"));
	CU_ASSERT(expect("A released"));
	CU_ASSERT(never("B1 INVITE"));
	CU_ASSERT_EQUAL(cdr_events, 0);
}

static void test_max_forwards_zero_is_483(void)
{
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 0, offer_sdp));
	CU_ASSERT(expect("A 483 Too Many Hops"));
	CU_ASSERT(never("B1 INVITE"));
}

static void test_cancel_while_ringing(void)
{
	struct call *c = ringing_call();

	call_on_cancel(c, leg_named("A"), NULL);
	CU_ASSERT(expect("B1 CANCEL"));
	CU_ASSERT(never("A 487"));   /* the adapter answers the CANCELled INVITE */
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "cancelled");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "caller");
	CU_ASSERT_EQUAL(cdr.sip_code, 487);
}

static void test_early_media_goes_through_relay(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 183, "Session Progress", b_sdp);
	CU_ASSERT(expect("relay answer from B"));
	CU_ASSERT(never("A 183"));
	relay_reply("answer", 1, "EARLY-TO-A", 0);
	CU_ASSERT(expect("A 183 Session Progress sdp=EARLY-TO-A"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* The relay refusing early media costs the caller the SDP, not the 18x. */
static void test_early_media_relay_refusal_sends_18x_alone(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 183, "Session Progress", b_sdp);
	relay_reply("answer", 0, NULL, 0);
	CU_ASSERT(expect("A 183 Session Progress$"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

static void test_channel_limit_skips_to_next_route(void)
{
	struct call *c;

	deny_trunk = 2;
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL(c);
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B1 INVITE carrier2"));
	CU_ASSERT(never("B1 INVITE carrier1"));
	call_core_hangup_all(core);
	relay_reply("delete", 1, NULL, 0);
}

static void test_all_routes_over_limit_is_503(void)
{
	deny_trunk = 3;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "2000", 70, offer_sdp));
	CU_ASSERT(expect("A 503 Trunk Capacity Exceeded retry-after"));
	CU_ASSERT_EQUAL(nrq, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Trunk Capacity Exceeded");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* A trunk its OPTIONS keepalives say is down is skipped at once: no
 * relay offer, INVITE, channel or trunk timer toward it. */
static void test_down_trunk_skipped_at_once(void)
{
	struct call *c;

	down_trunk[2] = 1;
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(count("relay offer"), 1);
	relay_reply("offer", 1, "SDP-TO-B2", 0);
	CU_ASSERT(expect("B1 INVITE carrier2"));
	CU_ASSERT(never("B1 INVITE carrier1"));
	CU_ASSERT_EQUAL(channels[2], 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(expect("A 200"));
	CU_ASSERT_STRING_EQUAL(cdr.to_trunk, "carrier2");
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* Every trunk of the route down: the caller gets at once what their
 * timeouts would have given (408, by us), and nothing is sent. */
static void test_every_trunk_down_is_408_at_once(void)
{
	down_trunk[2] = down_trunk[3] = 1;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, offer_sdp));
	CU_ASSERT(expect("A 408 Request Timeout"));
	CU_ASSERT(never("B1"));
	CU_ASSERT(never("relay"));
	CU_ASSERT_EQUAL(nrq, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "no_answer");   /* as when every trunk timed out */
	CU_ASSERT_EQUAL(cdr.sip_code, 408);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* A down trunk's 408 is the weakest failure: the next trunk's real
 * answer is what the caller gets. */
static void test_down_trunk_loses_to_real_failure(void)
{
	struct call *c;

	down_trunk[2] = 1;
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 503, "Service Unavailable", NULL);
	CU_ASSERT(expect("A 503 Service Unavailable"));
	CU_ASSERT(never("A 408"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.sip_code, 503);
}

static void test_draining_refuses_with_retry_after(void)
{
	call_core_drain(core);
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, offer_sdp));
	CU_ASSERT(expect("A 503 Service Unavailable retry-after"));
}

/* ---- in-dialog transactions ---- */

static void test_reinvite_relayed_and_glare_is_491(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("relay offer from A srtp=0"));   /* carrier1 is srtp=off */
	/* B offers at the same time: glare. */
	call_on_request(c, leg_named("B1"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("B1 491 Request Pending"));
	relay_reply("offer", 1, "HOLD-TO-B", 0);
	CU_ASSERT(expect("B1 REQ 1 body=HOLD-TO-B"));
	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT(expect("relay answer from B"));
	relay_reply("answer", 1, "HELD-TO-A", 0);
	CU_ASSERT(expect("A 200 OK sdp=HELD-TO-A"));
	/* INFO passes without the relay. */
	call_on_request(c, leg_named("B1"), METHOD_INFO, "application/dtmf-relay", "Signal=5");
	CU_ASSERT(expect("A REQ 3 body=Signal=5"));
	resp_m(c, "A", METHOD_INFO, 200, "OK", NULL, NULL);
	CU_ASSERT(expect("B1 200 to 3"));
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* RFC 3261 12.2.1.2: a 481 to a request within the dialog ends it. */
static void test_481_to_relayed_request_ends_call(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("A"), METHOD_INFO, "application/dtmf-relay", "Signal=1");
	resp_m(c, "B1", METHOD_INFO, 481, "Call Does Not Exist", NULL, NULL);
	CU_ASSERT(expect("A 481 to 3"));
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(never("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

/* Requests before the call is up get 491: one offer at a time. */
static void test_request_before_answer_is_491(void)
{
	struct call *c = ringing_call();

	call_on_request(c, leg_named("A"), METHOD_UPDATE, "application/sdp", "X");
	CU_ASSERT(expect("A 491 to 2"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

static void test_leg_death_tears_down_other_leg(void)
{
	struct call *c = answered_call();

	call_on_leg_dead(c, leg_named("B1"), 481, "Call Does Not Exist");
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("A BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_EQUAL(call_core_count(core), 0);
}

/* ---- the relay ---- */

static void test_relay_refusal_fails_call(void)
{
	CU_ASSERT_PTR_NOT_NULL(invite_from("127.0.0.2", "2000", 70, offer_sdp));
	relay_reply("offer", 0, NULL, 0);
	CU_ASSERT(expect("A 503 Media Relay Unavailable retry-after"));
	CU_ASSERT(never("B1 INVITE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.sip_code, 503);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_EQUAL(channels[3], 0);
}

/* The type of the relay's refusal decides, never its words. */
static void test_relay_sdp_refusal_is_488(void)
{
	CU_ASSERT_PTR_NOT_NULL(invite_from("127.0.0.2", "2000", 70, offer_sdp));
	relay_result("offer", RELAY_E_SDP, NULL, 0);
	CU_ASSERT(expect("A 488 Not Acceptable Here$"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.sip_code, 488);
}

static void test_relay_unreachable_answers_503(void)
{
	relay_fail = 1;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "2000", 70, offer_sdp));
	CU_ASSERT(expect("A 503 Media Relay Unavailable"));
	CU_ASSERT_EQUAL(nrq, 0);
}

static void test_media_timeout_ends_call(void)
{
	answered_call();
	call_core_check_media(core);
	relay_reply("query", 1, NULL, 0);
	CU_ASSERT(never("A BYE"));
	call_core_check_media(core);
	relay_reply("query", 1, NULL, 1);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Media timeout");
}

/* A restarted relay has forgotten the call: its media is gone, so is it.
 * A relay that only times out keeps the call. */
static void test_relay_that_lost_the_call_ends_it(void)
{
	answered_call();
	call_core_check_media(core);
	relay_result("query", RELAY_E_TIMEOUT, NULL, 0);
	CU_ASSERT(never("A BYE"));
	call_core_check_media(core);
	relay_result("query", RELAY_E_NOT_FOUND, NULL, 0);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Media relay lost the call");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

/* ---- late and crossing events (each was a ghost call or a crash) ---- */

/* The caller CANCELs while the relay works on the trunk's 200: the trunk
 * is answered, so it gets a BYE; the late relay answer changes nothing. */
static void test_cancel_while_relay_answers(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT(expect("relay answer from B"));
	call_on_cancel(c, leg_named("A"), NULL);
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(never("B1 CANCEL"));
	CU_ASSERT(never("A 200"));
	relay_reply("answer", 1, "SDP-TO-A", 0);   /* late: ignored */
	CU_ASSERT(never("A 200"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "cancelled");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "caller");
	CU_ASSERT_EQUAL(cdr.sip_code, 487);
	CU_ASSERT_FALSE(cdr.has_cost);
}

/* A BYE from the caller on the early dialog (RFC 3261 15) ends the
 * attempt like a CANCEL would. */
static void test_caller_bye_while_ringing_cancels_trunk(void)
{
	struct call *c = ringing_call();

	bye(c, "A");
	CU_ASSERT(expect("B1 CANCEL"));
	CU_ASSERT(never("A 4"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "cancelled");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "caller");
}

/* The caller never ACKs our 200: after 64*T1 its dialog dies; the trunk
 * gets a BYE and the CDR says why (wave 1 freed the leg inside the nua
 * callback here). */
static void test_no_ack_from_caller_ends_call(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	tr_reset();
	call_on_leg_dead(c, leg_named("A"), 408, "ACK Timeout");
	CU_ASSERT(expect("A released"));
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(never("A BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No ACK from caller");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* After a trunk timeout the leg is released: whatever it says later is
 * the adapter's to handle (ACK+BYE of a 2xx), never the call's. */
static void test_trunk_timeout_releases_leg_before_next_route(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	fire(TIMER_TRUNK);
	CU_ASSERT(expect("B1 CANCEL"));
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("relay offer from A"));
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B2 INVITE carrier2"));
	resp(c, "B2", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(expect("A 200"));
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.to_trunk, "carrier2");
}

/* A relay completion after the call is gone from the core's list still
 * finds its call (the request held a reference). */
static void test_relay_completion_after_admin_hangup(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(call_core_hangup(core, "a-call-id"), 0);
	CU_ASSERT(expect("A 503 Hung Up By Administrator"));
	CU_ASSERT(expect("relay delete"));
	relay_reply("offer", 1, "X", 0);   /* the route's offer, late */
	CU_ASSERT(never("B1 INVITE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_TRUE(cdr_final);
}

/* ---- trunk authentication ---- */

static void test_challenge_answered_once_for_trunk_realm(void)
{
	struct call *c = invite_from("127.0.0.2", "6000", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	resp_m(c, "B1", METHOD_INVITE, 401, "Unauthorized", NULL, "carrier.example");
	CU_ASSERT(expect("B1 AUTH carrier.example u1:p1"));
	/* Refused again: no second try, the caller gets our 403. */
	resp_m(c, "B1", METHOD_INVITE, 407, "Proxy Authentication Required", NULL, "carrier.example");
	CU_ASSERT(expect("A 403 Trunk Authentication Failed"));
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(never("B1 CANCEL"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.sip_code, 403);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* CVE-2021-41158: credentials never go to a realm the trunk is not. */
static void test_challenge_from_foreign_realm_not_answered(void)
{
	struct call *c = invite_from("127.0.0.2", "6000", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	resp_m(c, "B1", METHOD_INVITE, 401, "Unauthorized", NULL, "evil.example");
	CU_ASSERT(never("B1 AUTH"));
	CU_ASSERT(expect("A 403 Trunk Authentication Failed"));
	relay_reply("delete", 1, NULL, 0);
}

/* Each side's SDP goes to the relay with its trunk's latch policy and
 * the address its SIP came from: the relay latches media on those. */
static void test_relay_gets_latch_policy_and_sip_address_per_side(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_STRING_EQUAL(last_latch, "learn");     /* pbx: the default */
	CU_ASSERT_STRING_EQUAL(last_peer, "127.0.0.2");
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT_STRING_EQUAL(last_latch, "sdp");       /* carrier1: media_latch = sdp */
	CU_ASSERT_STRING_EQUAL(last_peer, "127.0.0.3");  /* its numeric host */
	relay_reply("answer", 1, "Y", 0);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* The version of our o= in an SDP we sent. */
static unsigned long long o_version(const char *sdp)
{
	const char *o = strstr(sdp, "o=- ");
	unsigned long long id, v;

	return o && sscanf(o, "o=- %llu %llu", &id, &v) == 2 ? v : 0;
}

/* Nothing identifying of the other side leaves in an SDP: o= is ours
 * (its version moving only when the SDP does), s=-, no i=, a=tool, a=ssrc. */
static void test_sdp_sent_is_ours(void)
{
	struct call *c = ringing_call();
	unsigned long long v1, v2;

	CU_ASSERT_PTR_NOT_NULL(strstr(last_invite_sdp, "a=label:SDP-TO-B"));
	for (const char *bad = "o=relay\0Secret\0internal info\0a=tool\0a=ssrc\0"; *bad; bad += strlen(bad) + 1)
		CU_ASSERT_PTR_NULL(strstr(last_invite_sdp, bad));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_invite_sdp, "\r\ns=-\r\n"));
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "ANSWER-1", 0);
	ack(c);
	CU_ASSERT_PTR_NULL(strstr(last_respond_sdp, "Secret"));
	v1 = o_version(last_respond_sdp);
	CU_ASSERT(v1 > 0);
	/* A re-INVITE from B: a changed SDP toward A has the next version... */
	call_on_request(c, leg_named("B1"), METHOD_INVITE, "application/sdp", b_sdp);
	relay_reply("offer", 1, "REOFFER", 0);
	v2 = o_version(last_request_body);
	CU_ASSERT_EQUAL(v2, v1 + 1);
	resp_m(c, "A", METHOD_INVITE, 200, "OK", offer_sdp, NULL);
	relay_reply("answer", 1, "REANSWER", 0);
	/* ...the same SDP again keeps it (RFC 3264 8). */
	call_on_request(c, leg_named("B1"), METHOD_INVITE, "application/sdp", b_sdp);
	relay_reply("offer", 1, "REOFFER", 0);
	CU_ASSERT_EQUAL(o_version(last_request_body), v2);
	resp_m(c, "A", METHOD_INVITE, 200, "OK", offer_sdp, NULL);
	relay_reply("answer", 1, "REANSWER", 0);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* The counters tell the truth while calls last: a connected call is
 * answered at once (b2bua-ctl stats lagged until it ended), and ends as
 * no second answer; a failed one counts when it fails. */
static void test_stats_count_answers_when_they_happen(void)
{
	struct call_stats st;
	struct call *c = answered_call();

	call_core_stats(core, &st);
	CU_ASSERT_EQUAL(st.answered, 1);
	CU_ASSERT_EQUAL(st.failed, 0);
	CU_ASSERT_EQUAL(st.active, 1);
	bye(c, "A");
	relay_drain();
	call_core_stats(core, &st);
	CU_ASSERT_EQUAL(st.answered, 1);
	CU_ASSERT_EQUAL(st.failed, 0);
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B2", 486, "Busy Here", NULL);
	relay_drain();
	call_core_stats(core, &st);
	CU_ASSERT_EQUAL(st.answered, 1);
	CU_ASSERT_EQUAL(st.failed, 1);
}

/* ---- the leak guard: the last look at what crosses ---- */

static uint64_t leaks(void)
{
	struct call_stats st;

	call_core_stats(core, &st);
	return st.leaks;
}

/* Trunk "open" keeps every SDP line topology hiding would strip, and the
 * display name: whatever of the caller's side rides on them (its address,
 * host names, Call-ID, From tag) is stopped before the INVITE leaves, and
 * the caller gets 500 Topology Leak Stopped. Every line type an SDP may
 * carry text in, and every header we fill from leg A, are tried. */
static void test_leak_guard_stops_every_sdp_line(void)
{
	static const char *const lines[] = {
		"SESSION i=from %s", "SESSION u=http://%s/x", "SESSION e=ops@%s", "SESSION p=+1 555 %s",
		"SESSION a=tool:PBX on %s", "SESSION k=clear:%s", "SESSION a=x-origin:%s",
		/* (a media-level i= never leaves: Sofia's printer drops it) */
		"MEDIA a=ssrc:1 cname:sip:1001@%s", "MEDIA a=msid:%s a0", "MEDIA a=label:%s",
		"MEDIA a=rtcp:9 IN IP4 %s", "MEDIA a=candidate:1 1 udp 1 %s 4000 typ host", "MEDIA k=clear:%s",
	};
	static const char *const secrets[] = {"127.0.0.2", "pbx.internal", "a-call-id", "pbxtag-77"};
	uint64_t n = leaks();

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *secret = secrets[i % 4];
		char line[128], sdp[512];
		int media = strncmp(lines[i], "MEDIA ", 6) == 0;
		struct call *c;

		snprintf(line, sizeof(line), lines[i] + (media ? 6 : 8), secret);
		snprintf(sdp, sizeof(sdp), "v=0\r\no=relay 1 1 IN IP4 127.0.0.1\r\ns=-\r\n%s%sc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio 20000 RTP/AVP 8\r\n%s%s", media ? "" : line, media ? "" : "\r\n",
			 media ? line : "", media ? "\r\n" : "");
		tr_reset();
		cdr_final = 0;   /* a new call: its own CDR */
		inv_from_tag = "pbxtag-77";
		inv_via_host = "pbx.internal";
		c = invite_from("127.0.0.2", "7100", 70, offer_sdp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		relay_reply("offer", 1, sdp, 0);
		if (!expect("A 500 Topology Leak Stopped"))
			fprintf(stderr, "leak through '%s' not stopped\n", line);
		CU_ASSERT(never("B1 INVITE"));
		CU_ASSERT_EQUAL(leaks(), n + i + 1);
		relay_reply("delete", 1, NULL, 0);
	}
	CU_ASSERT_EQUAL(cdr.sip_code, 500);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Topology Leak Stopped");
}

/* The same SDP without the caller's strings goes through. */
static void test_leak_guard_passes_clean_sdp(void)
{
	struct call *c;

	inv_via_host = "pbx.internal";
	c = invite_from("127.0.0.2", "7100", 70, offer_sdp);
	relay_reply("offer", 1, "v=0\r\no=relay 1 1 IN IP4 127.0.0.1\r\ns=-\r\ni=public info\r\n"
			     "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 8\r\na=label:127.0.0.21\r\n", 0);
	CU_ASSERT(expect("B1 INVITE open"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_invite_sdp, "i=public info"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* Headers filled from leg A: a display name (trunk open sends it) or a
 * dialled number that names the caller's side. */
static void test_leak_guard_stops_headers(void)
{
	uint64_t n = leaks();

	inv_display = "Alice at pbx.internal";
	inv_via_host = "pbx.internal";
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "7100", 70, NULL));
	CU_ASSERT(expect("A 500 Topology Leak Stopped"));
	inv_display = NULL;
	cdr_final = 0;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "7+127.0.0.2", 70, NULL));
	CU_ASSERT(expect("A 500 Topology Leak Stopped"));
	CU_ASSERT(never("B1 INVITE"));
	CU_ASSERT_EQUAL(leaks(), n + 2);
}

/* A trunk's reason phrase naming the trunk reaches the caller without
 * its words; an INFO body naming the caller never reaches the trunk. */
static void test_leak_guard_reason_and_info(void)
{
	struct call *c = invite_from("127.0.0.2", "7100", 70, NULL);

	CU_ASSERT(expect("B1 INVITE open"));
	resp(c, "B1", 486, "Busy at 127.0.0.7", NULL);
	CU_ASSERT(expect("A 486 $"));
	CU_ASSERT(never("Busy at"));
	cdr_final = 0;
	nb = 0;
	c = answered_call();
	call_on_request(c, leg_named("A"), METHOD_INFO, "application/dtmf-relay", "Signal=1 from 127.0.0.2");
	CU_ASSERT(expect("A 500 to 3"));
	CU_ASSERT(never("B1 REQ 3"));
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* ---- identity toward trunks (RFC 3323, 3325) ---- */

/* carrier1 is untrusted and has no display rule: nothing of the caller's
 * own identity but the number goes there. To is the routed number. */
static void test_identity_toward_untrusted_trunk(void)
{
	struct call *c;

	inv_display = "Alice Internal";
	inv_pai = "1001";
	inv_to = "0044-written-by-pbx";
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B1 INVITE carrier1 ruri=15551234 from=100 mf=69 to=15551234 display= pai=- anonymous=0"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* carrier2 is trusted and keeps display names: we assert the caller
 * (its From: the pbx is untrusted, its own PAI is not believed). */
static void test_identity_toward_trusted_trunk(void)
{
	struct call *c;

	inv_display = "Alice";
	inv_pai = "9999";
	c = invite_from("127.0.0.2", "2000", 70, offer_sdp);
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B1 INVITE carrier2 ruri=2000 from=100 mf=69 to=2000 display=Alice pai=100 anonymous=0"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* Privacy: id toward an untrusted trunk: an anonymous From, no PAI, no
 * Privacy left... */
static void test_privacy_id_toward_untrusted_trunk(void)
{
	struct call *c;

	inv_privacy = "id";
	inv_display = "Alice";
	c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B1 INVITE carrier1 ruri=15551234 from= mf=69 to=15551234 display=Anonymous pai=- anonymous=1 hdrs=0"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* ...toward a trusted one: the identity, and Privacy kept for it to apply. */
static void test_privacy_id_toward_trusted_trunk(void)
{
	struct call *c;

	inv_privacy = "id";
	inv_display = "Alice";
	c = invite_from("127.0.0.2", "2000", 70, offer_sdp);
	relay_reply("offer", 1, "X", 0);
	CU_ASSERT(expect("B1 INVITE carrier2 ruri=2000 from=100 mf=69 to=2000 display=Alice pai=100 anonymous=0 hdrs=1"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* ---- SDP that is not SDP (Sofia's parser loops on this one) ---- */

static const char *hang_sdp =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 40000 RT@/AVP 8\r\n";

static void test_malformed_offer_is_400_before_routing(void)
{
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, hang_sdp));
	CU_ASSERT(expect("A 400 Malformed SDP"));
	CU_ASSERT(never("relay offer"));
	CU_ASSERT(never("B1 INVITE"));
}

/* RFC 4475 3.3.6 (invut) and 3.3.15 (sdp01): refused before routing. */
static void test_body_not_sdp_is_415(void)
{
	inv_body_not_sdp = 1;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, NULL));
	CU_ASSERT(expect("A 415 Unsupported Media Type"));
	CU_ASSERT(never("relay offer"));
	CU_ASSERT(never("B1 INVITE"));
}

static void test_accept_without_sdp_is_406(void)
{
	inv_refuses_sdp = 1;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, offer_sdp));
	CU_ASSERT(expect("A 406 Not Acceptable"));
	CU_ASSERT(never("relay offer"));
	CU_ASSERT(never("B1 INVITE"));
}

/* A number longer than we keep is refused, never cut to another one. */
static void test_long_numbers_are_refused(void)
{
	char n63[64], n64[65];
	struct call *c;

	memset(n63, '1', 63);
	n63[63] = 0;
	memset(n64, '1', 64);
	n64[64] = 0;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", n64, 70, offer_sdp));
	CU_ASSERT(expect("A 414 Request-URI Too Long"));
	inv_pai = n64;
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.2", "15551234", 70, offer_sdp));
	CU_ASSERT(expect("A 400 User Part Too Long"));
	CU_ASSERT(never("relay offer"));
	inv_pai = n63;
	c = invite_from("127.0.0.2", n63, 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("relay offer"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("offer", 1, "X", 0);
	while (nrq)
		relay_reply(rq[0].what, 1, NULL, 0);
}

static void test_malformed_answer_fails_call_and_byes_trunk(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 200, "OK", hang_sdp);
	CU_ASSERT(never("relay answer"));
	CU_ASSERT(expect("A 488 Not Acceptable Here"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.sip_code, 488);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

static void test_malformed_early_answer_gives_18x_alone(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 183, "Session Progress", hang_sdp);
	CU_ASSERT(never("relay answer"));
	CU_ASSERT(expect("A 183 Session Progress$"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

static void test_malformed_reoffer_is_400(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("B1"), METHOD_UPDATE, "application/sdp", hang_sdp);
	CU_ASSERT(expect("B1 400 to 2"));
	CU_ASSERT(never("relay offer"));
	/* The call goes on: the next offer is relayed. */
	call_on_request(c, leg_named("B1"), METHOD_INVITE, "application/sdp", b_sdp);
	CU_ASSERT(expect("relay offer from B"));
	relay_reply("offer", 1, "X", 0);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* ---- media policy ---- */

static void test_srtp_policy_of_caller_trunk_is_488(void)
{
	/* "secure" demands SRTP; a plain RTP/AVP offer from it is refused. */
	CU_ASSERT_PTR_NULL(invite_from("127.0.0.5", "4000", 70, offer_sdp));
	CU_ASSERT(expect("A 488 Not Acceptable Here"));
}

static void test_max_duration_ends_call(void)
{
	answered_call();
	fire(TIMER_MAX_DURATION);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Maximum call duration");
}

static void test_no_answer_timer_is_480(void)
{
	ringing_call();
	fire(TIMER_NO_ANSWER);
	CU_ASSERT(expect("A 480 No Answer"));
	CU_ASSERT(expect("B1 CANCEL"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "no_answer");
}

static void test_admin_hangup_by_call_id(void)
{
	answered_call();
	CU_ASSERT_EQUAL(call_core_hangup(core, "nope"), -1);
	CU_ASSERT_EQUAL(call_core_hangup(core, "cid-B1"), 0);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(call_core_count(core), 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Hung up by administrator");
}

/* Without a relay the media goes direct (m= and c= unchanged), yet the
 * SDP is still ours: our o=, s=-. */
static void test_without_relay_media_unchanged_sdp_still_ours(void)
{
	struct call *c = invite_from("127.0.0.2", "2000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("B1 INVITE carrier2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_invite_sdp, "m=audio 6000 RTP/AVP 8 0 101"));
	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT(expect("A 200 OK sdp=v=0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_respond_sdp, "m=audio 7000 RTP/AVP 8"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_respond_sdp, "c=IN IP4 127.0.0.3"));
	CU_ASSERT_PTR_NULL(strstr(last_respond_sdp, "o=carrier"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_respond_sdp, "o=- "));
	bye(c, "B1");
	CU_ASSERT_TRUE(cdr_final);
}

static const char *plain_answer =
	"v=0\r\no=- 2 2 IN IP4 127.0.0.5\r\ns=-\r\nc=IN IP4 127.0.0.5\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
static const char *savp_answer =
	"v=0\r\no=- 2 2 IN IP4 127.0.0.5\r\ns=-\r\nc=IN IP4 127.0.0.5\r\nt=0 0\r\n"
	"m=audio 7000 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";

/* "secure" demands SRTP: a plain RTP/AVP answer to our RTP/SAVP offer
 * (RFC 3264 6) would leave media undecodable: 488, BYE to the trunk. */
static void test_plain_answer_from_srtp_trunk_is_488(void)
{
	struct call *c = invite_from("127.0.0.2", "5000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("relay offer from A srtp=1"));
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", plain_answer);
	CU_ASSERT(expect("A 488"));
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(never("relay answer"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
	CU_ASSERT_EQUAL(cdr.sip_code, 488);
}

/* Early media that drops SRTP is not relayed, but the caller still
 * learns the call is progressing. */
static void test_plain_early_media_from_srtp_trunk_not_relayed(void)
{
	struct call *c = invite_from("127.0.0.2", "5000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 183, "Session Progress", plain_answer);
	CU_ASSERT(expect("A 183 Session Progress$"));
	CU_ASSERT(never("relay answer"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* A re-INVITE from the plain side keeps RTP/SAVP toward the SRTP trunk,
 * and the answer goes back to the caller as plain RTP. */
static void test_reinvite_keeps_srtp_toward_trunk(void)
{
	struct call *c = invite_from("127.0.0.2", "5000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", savp_answer);
	relay_reply("answer", 1, "TO-A", 0);
	CU_ASSERT(expect("A 200 OK sdp=TO-A"));
	tr_reset();
	call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("relay offer from A srtp=1"));
	relay_reply("offer", 1, "HOLD", 0);
	resp(c, "B1", 200, "OK", savp_answer);
	CU_ASSERT(expect("relay answer from B srtp=0"));
	relay_reply("answer", 1, "HELD", 0);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}


/* ---- late offer (RFC 3261 13.2.1): the INVITE has no SDP ---- */

static const char *late_b_offer =
	"v=0\r\no=carrier 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=label:B-OFFER\r\n";
static const char *late_a_answer =
	"v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=label:A-ANSWER\r\n";

/* Up to our 2xx with the trunk's (relayed) offer toward the caller. */
static struct call *late_offer_call(const char *user)
{
	struct call *c = invite_from("127.0.0.2", user, 70, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leg_named("B1"));
	CU_ASSERT_STRING_EQUAL(last_invite_sdp, "");   /* no offer toward the trunk */
	resp(c, "B1", 180, "Ringing", NULL);
	resp(c, "B1", 200, "OK", late_b_offer);
	return c;
}

static void test_late_offer_through_relay(void)
{
	struct call *c = late_offer_call("15551234");

	CU_ASSERT(never("relay offer from A"));
	CU_ASSERT(expect("relay offer from B srtp=0"));   /* pbx: srtp off */
	relay_reply("offer", 1, "OFFER-TO-A", 0);
	CU_ASSERT(expect("A 200 OK sdp=OFFER-TO-A"));
	CU_ASSERT(cdr.answer_ms > 0);
	/* Until the caller answers in its ACK, the trunk waits for its ACK
	 * and no other offer may start (RFC 3261 14.2). */
	CU_ASSERT(never("B1 ACK"));
	call_on_request(c, leg_named("B1"), METHOD_UPDATE, "application/sdp", b_sdp);
	CU_ASSERT(expect("B1 491 to 2"));
	ack_sdp(c, "A", late_a_answer);
	CU_ASSERT(expect("relay answer from A srtp=0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_relay_sdp, "A-ANSWER"));
	CU_ASSERT(never("B1 ACK"));   /* not before the relay's answer */
	relay_reply("answer", 1, "ANSWER-TO-B", 0);
	CU_ASSERT(expect("B1 ACK sdp=ANSWER-TO-B"));
	/* The call is up: in-dialog requests are relayed again. */
	call_on_request(c, leg_named("B1"), METHOD_INFO, "application/dtmf-relay", "Signal=1");
	CU_ASSERT(expect("A REQ 3"));
	resp_m(c, "A", METHOD_INFO, 200, "OK", NULL, NULL);
	bye(c, "A");
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "caller");
}

static void test_late_offer_early_sdp_not_passed(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	resp(c, "B1", 183, "Session Progress", late_b_offer);
	CU_ASSERT(expect("A 183 Session Progress$"));
	CU_ASSERT(never("relay"));
	call_on_cancel(c, leg_named("A"), NULL);
	CU_ASSERT(expect("B1 CANCEL"));
}

static void test_late_offer_ack_without_answer_ends_call(void)
{
	struct call *c = late_offer_call("15551234");

	relay_reply("offer", 1, "OFFER-TO-A", 0);
	ack(c);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));   /* the adapter ACKs before it */
	CU_ASSERT(never("B1 ACK"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No answer in ACK");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

static void test_late_offer_answer_refused_by_relay_ends_call(void)
{
	struct call *c = late_offer_call("15551234");

	relay_reply("offer", 1, "OFFER-TO-A", 0);
	ack_sdp(c, "A", late_a_answer);
	relay_reply("answer", 0, NULL, 0);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Media relay refused the answer in an ACK");
}

static void test_late_offer_relay_refuses_offer_fails_call(void)
{
	CU_ASSERT_PTR_NOT_NULL(late_offer_call("15551234"));
	relay_reply("offer", 0, NULL, 0);
	CU_ASSERT(expect("A 503"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT(cdr.answer_ms == 0);
}

static void test_late_offer_trunk_2xx_without_offer_fails(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	resp(c, "B1", 200, "OK", NULL);
	CU_ASSERT(expect("A 488"));
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(never("relay"));
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
}

/* The trunk's codec list holds for its offer too: PCMU goes. */
static void test_late_offer_meets_trunk_codecs(void)
{
	static const char *savp_offer =
		"v=0\r\no=carrier 1 1 IN IP4 127.0.0.5\r\ns=-\r\nc=IN IP4 127.0.0.5\r\nt=0 0\r\n"
		"m=audio 7000 RTP/SAVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
	struct call *c = invite_from("127.0.0.2", "5000", 70, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	resp(c, "B1", 200, "OK", savp_offer);
	CU_ASSERT(expect("relay offer from B srtp=0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_relay_sdp, "RTP/SAVP 8\r\n"));
	CU_ASSERT_PTR_NULL(strstr(last_relay_sdp, "PCMU"));
	relay_reply("offer", 1, "OFFER-TO-A", 0);
	ack_sdp(c, "A", late_a_answer);
	CU_ASSERT(expect("relay answer from A srtp=1"));
	relay_reply("answer", 1, "ANSWER-TO-B", 0);
	CU_ASSERT(expect("B1 ACK sdp=ANSWER-TO-B"));
	bye(c, "B1");
	CU_ASSERT(expect("A BYE"));
	relay_reply("delete", 1, NULL, 0);
}

/* A re-INVITE without SDP from the trunk: the caller's 2xx offers, the
 * trunk answers in its ACK, and the caller's ACK carries that answer. */
static void test_late_offer_reinvite_from_trunk(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("B1"), METHOD_INVITE, NULL, NULL);
	CU_ASSERT(expect("A REQ 1$"));
	resp_m(c, "A", METHOD_INVITE, 200, "OK", late_a_answer, NULL);
	CU_ASSERT(expect("relay offer from A srtp=0"));
	relay_reply("offer", 1, "REOFFER-TO-B", 0);
	CU_ASSERT(expect("B1 200 OK sdp=REOFFER-TO-B"));
	CU_ASSERT(never("A ACK"));
	call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("A 491 Request Pending"));
	ack_sdp(c, "B1", late_b_offer);
	CU_ASSERT(expect("relay answer from B srtp=0"));
	relay_reply("answer", 1, "REANSWER-TO-A", 0);
	CU_ASSERT(expect("A ACK sdp=REANSWER-TO-A"));
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Caller hung up");
}

/* A far side that answers an offerless re-INVITE without SDP: passed
 * back as it is (the adapter ACKed it), nothing waits. */
static void test_late_offer_reinvite_answered_without_sdp(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("A"), METHOD_INVITE, NULL, NULL);
	CU_ASSERT(expect("B1 REQ 1$"));
	resp_m(c, "B1", METHOD_INVITE, 200, "OK", NULL, NULL);
	CU_ASSERT(expect("A 200 OK$"));
	call_on_request(c, leg_named("A"), METHOD_INVITE, NULL, NULL);
	CU_ASSERT(expect("B1 REQ 1$"));   /* nothing left pending */
	resp_m(c, "B1", METHOD_INVITE, 200, "OK", b_sdp, NULL);
	relay_reply("offer", 0, NULL, 0);   /* the relay refuses the 2xx's offer */
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Media relay refused the offer in a 2xx");
}

/* Without a relay the offer and the answer cross, rebuilt (ours o=). */
static void test_late_offer_without_relay(void)
{
	struct call *c = late_offer_call("15551234");

	CU_ASSERT(expect("A 200 OK sdp=B-OFFER"));
	CU_ASSERT_PTR_NULL(strstr(last_respond_sdp, "o=carrier"));
	ack_sdp(c, "A", late_a_answer);
	CU_ASSERT(expect("B1 ACK sdp=A-ANSWER"));
	bye(c, "B1");
	CU_ASSERT(expect("A BYE"));
}


/* ---- late offer answered in the early dialog (RFC 3262 5) ---- */

/* A late-offer caller that does 100rel: the trunk's reliable 183 offers,
 * the caller gets the relayed offer in a reliable 183 and answers in its
 * PRACK, whose relayed answer goes in our PRACK to the trunk. The 2xx
 * then offers nothing, each way. */
static struct call *early_offer_call(void)
{
	struct call *c;

	inv_sup100 = 1;
	c = invite_from("127.0.0.2", "15551234", 70, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("B1 INVITE carrier1"));
	CU_ASSERT_EQUAL(last_invite_rel100, POLICY_REL100_SUPPORTED);
	resp_rel(c, "B1", 180, "Ringing", late_b_offer, 1);   /* a 180 too goes reliably then */
	CU_ASSERT(expect("relay offer from B srtp=0"));
	relay_reply("offer", 1, "OFFER-TO-A", 0);
	CU_ASSERT(expect("A 180 Ringing sdp=OFFER-TO-A reliable$"));
	CU_ASSERT(never("B1 PRACK"));
	return c;
}

static void test_late_offer_answered_in_prack(void)
{
	struct call *c = early_offer_call();

	call_on_prack(c, leg_named("A"), late_a_answer);
	CU_ASSERT(expect("relay answer from A srtp=0"));
	CU_ASSERT(strstr(last_relay_sdp, "A-ANSWER") != NULL);
	CU_ASSERT(never("B1 PRACK"));
	relay_reply("answer", 1, "ANSWER-TO-B", 0);
	CU_ASSERT(expect("B1 PRACK sdp=ANSWER-TO-B$"));
	resp(c, "B1", 180, "Ringing", late_b_offer);   /* o/a is done: no SDP goes on */
	CU_ASSERT(expect("A 180 Ringing$"));
	CU_ASSERT(cdr.answer_ms == 0);
	resp(c, "B1", 200, "OK", NULL);
	CU_ASSERT(expect("A 200 OK$"));
	CU_ASSERT(cdr.answer_ms > 0);
	CU_ASSERT_STRING_EQUAL(cdr.codec, "PCMA");
	ack(c);
	CU_ASSERT(never("B1 ACK"));   /* the adapter ACKs a 2xx that did not offer */
	CU_ASSERT(never("relay offer from B srtp=0\n.*relay offer"));
	bye(c, "A");
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

/* Whatever stops the early answer ends the call before any 2xx: the
 * caller gets 488, the trunk its CANCEL, the CDR the reason. */
static void test_late_offer_prack_failures(void)
{
	static const struct {
		const char *name;
		const char *prack_sdp;   /* what the caller's PRACK carries */
		int relay_ok;            /* the relay takes the answer */
		const char *reason;
	} cases[] = {
		{"relay refuses the answer", NULL, 0, "Media relay refused the answer in a PRACK"},
		{"PRACK without answer", "", 1, "No answer in PRACK"},
		{"malformed answer", "v=0\r\nm=audio 1 RT@/AVP 8\r\n", 1, "Malformed answer in PRACK"},
		{"answer in SRTP to a plain offer",
		 "v=0\r\no=pbx 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		 "m=audio 6000 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
		 1, "Answer changes the offered transport"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const char *sdp = cases[i].prack_sdp ? cases[i].prack_sdp : late_a_answer;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		c = early_offer_call();
		call_on_prack(c, leg_named("A"), *sdp ? sdp : NULL);
		if (!cases[i].relay_ok)
			relay_reply("answer", 0, NULL, 0);
		CHECK_ROW(row, expect("A 488"));
		CHECK_ROW(row, expect("B1 CANCEL"));
		CHECK_ROW(row, never("B1 PRACK"));
		CHECK_ROW(row, never("A 200"));
		relay_drain();
		CHECK_ROW(row, cdr_final && strcmp(cdr.reason, cases[i].reason) == 0);
		CHECK_ROW(row, strcmp(cdr.hangup_by, "b2bua") == 0 && strcmp(cdr.disposition, "failed") == 0);
		CHECK_ROW(row, cdr.answer_ms == 0);
	}
}

/* The caller never PRACKs the offer (nua gives up on it after 64*T1). */
static void test_late_offer_never_pracked(void)
{
	struct call *c = early_offer_call();

	call_on_leg_dead(c, leg_named("A"), 504, "Gateway Time-out");
	CU_ASSERT(expect("B1 CANCEL"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No PRACK from caller");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
}

/* RFC 3262 3: a trunk must not answer before its offer was PRACKed. */
static void test_late_offer_trunk_answers_before_prack(void)
{
	struct call *c = early_offer_call();

	resp(c, "B1", 200, "OK", late_b_offer);
	CU_ASSERT(expect("A 488"));
	CU_ASSERT(expect("B1 BYE"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Trunk answered before its early offer was");
}

/* Once the caller has answered in its early dialog, no other trunk's
 * media can take that answer's place: a failure goes back as it is. */
static void test_late_offer_no_failover_after_early_answer(void)
{
	struct call *c = early_offer_call();

	call_on_prack(c, leg_named("A"), late_a_answer);
	relay_reply("answer", 1, "ANSWER-TO-B", 0);
	resp(c, "B1", 503, "Service Unavailable", NULL);
	CU_ASSERT(expect("A 503"));
	CU_ASSERT(never("B2 INVITE"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT_EQUAL(cdr.sip_code, 503);
}

/* A late-offer caller without 100rel: the trunk is not offered 100rel;
 * a trunk whose policy requires it and still offers in a reliable 18x
 * is given up (CANCEL) for the next route, here none: 488. */
static void test_late_offer_caller_without_100rel(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(last_invite_rel100, POLICY_REL100_OFF);
	call_on_cancel(c, leg_named("A"), NULL);
	relay_drain();
	teardown();
	setup_relay();
	c = invite_from("127.0.0.2", "8123", 70, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(expect("B1 INVITE pbxrel"));
	CU_ASSERT_EQUAL(last_invite_rel100, POLICY_REL100_REQUIRED);
	resp_rel(c, "B1", 183, "Session Progress", late_b_offer, 1);
	CU_ASSERT(expect("B1 CANCEL"));
	CU_ASSERT(expect("A 488"));
	CU_ASSERT(never("relay offer"));
	CU_ASSERT(never("A 183"));
	relay_drain();
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Early offer the caller cannot answer");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* Without a relay the offer and the answer go as they came (rebuilt). */
static void test_late_offer_prack_without_relay(void)
{
	struct call *c;

	inv_sup100 = 1;
	c = invite_from("127.0.0.2", "15551234", 70, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	resp_rel(c, "B1", 183, "Session Progress", late_b_offer, 1);
	CU_ASSERT(expect("A 183 Session Progress sdp=B-OFFER reliable$"));
	CU_ASSERT_PTR_NULL(strstr(last_respond_sdp, "o=carrier"));
	call_on_prack(c, leg_named("A"), late_a_answer);
	CU_ASSERT(expect("B1 PRACK sdp=A-ANSWER$"));
	resp(c, "B1", 200, "OK", NULL);
	CU_ASSERT(expect("A 200 OK$"));
	ack(c);
	bye(c, "B1");
	CU_ASSERT(expect("A BYE"));
}

/* ---- 100rel toward the caller (RFC 3262) ---- */

/* A caller that requires 100rel gets our 2xx only once it has PRACKed
 * our reliable 18x (nua would hold it, and the CDR would say answered). */
static void test_answer_waits_for_callers_prack(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	CU_ASSERT(expect("A 180 Ringing reliable$"));
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(never("A 200"));
	CU_ASSERT(cdr.answer_ms == 0);
	call_on_prack(c, leg_named("A"), NULL);
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	CU_ASSERT(cdr.answer_ms > 0);
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

/* Two reliable 18x: the 2xx waits for both PRACKs. */
/* RFC 3311 5.1: an UPDATE with SDP before the answer goes to the other
 * side when that side's early offer/answer is done (a reliable 18x with
 * SDP, PRACKed) and its Allow lists UPDATE; otherwise 491, as before. */
static void test_early_update_relayed_when_both_ready(void)
{
	static const struct {
		const char *name, *from;
		int a_req, a_upd, prack, b_rel, b_upd;
		const char *line, *line2;
	} cases[] = {
		{"trunk's UPDATE, caller ready", "B1", 1, 1, 1, 1, 0, "relay offer from B", "A REQ 2 body=SDP-NEW"},
		{"trunk's UPDATE, caller takes no UPDATE", "B1", 1, 0, 1, 1, 0, "B1 491 to 2", NULL},
		{"trunk's UPDATE, caller's 183 not PRACKed", "B1", 1, 1, 0, 1, 0, "B1 491 to 2", NULL},
		{"trunk's UPDATE, caller's 183 unreliable", "B1", 0, 1, 0, 1, 0, "B1 491 to 2", NULL},
		{"trunk's UPDATE, its own 183 unreliable", "B1", 1, 1, 1, 0, 0, "B1 491 to 2", NULL},
		{"caller's UPDATE, trunk ready", "A", 1, 1, 1, 1, 1, "relay offer from A", "B1 REQ 2 body=SDP-NEW"},
		{"caller's UPDATE, trunk takes no UPDATE", "A", 1, 1, 1, 1, 0, "A 491 to 2", NULL},
		{"caller's UPDATE, trunk's 183 unreliable", "A", 1, 1, 1, 0, 1, "A 491 to 2", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		struct leg_response r183 = {.method = METHOD_INVITE, .code = 183, .reason = "Session Progress",
					    .body = b_sdp, .sdp = b_sdp, .ctype = "application/sdp", .realm = "",
					    .reliable = cases[i].b_rel, .allows_update = cases[i].b_upd};
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		inv_rel100 = cases[i].a_req;
		inv_update = cases[i].a_upd;
		c = ringing_call();
		call_on_response(c, leg_named("B1"), &r183);
		relay_reply("answer", 1, "SDP-TO-A", 0);
		CHECK_ROW(row, expect("A 183 Session Progress"));
		if (cases[i].prack) {   /* ringing_call's 180, then the 183 */
			call_on_prack(c, leg_named("A"), NULL);
			call_on_prack(c, leg_named("A"), NULL);
		}
		call_on_request(c, leg_named(cases[i].from), METHOD_UPDATE, "application/sdp", b_sdp);
		CHECK_ROW(row, expect(cases[i].line));
		if (cases[i].line2) {
			relay_reply("offer", 1, "SDP-NEW", 0);
			CHECK_ROW(row, expect(cases[i].line2));
		}
		call_core_hangup_all(core);
		relay_drain();
	}
}

static void test_answer_waits_for_every_prack(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	resp(c, "B1", 180, "Ringing", NULL);
	CU_ASSERT_EQUAL(count("A 180 Ringing reliable$"), 2);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	call_on_prack(c, leg_named("A"), NULL);
	CU_ASSERT(never("A 200"));
	call_on_prack(c, leg_named("A"), NULL);
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	ack(c);
	bye(c, "B1");
	relay_reply("delete", 1, NULL, 0);
}

/* The caller never PRACKs: nua gives up on it (5xx after 64*T1); the
 * trunk that answered gets a BYE, and the CDR says the call failed. */
static void test_no_prack_fails_call_and_byes_trunk(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	call_on_leg_dead(c, leg_named("A"), 504, "Gateway Time-out");
	CU_ASSERT(expect("B1 BYE"));
	CU_ASSERT(never("A 200"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No PRACK from caller");
	CU_ASSERT_EQUAL(cdr.sip_code, 504);
	CU_ASSERT(cdr.answer_ms == 0);
	CU_ASSERT_FALSE(cdr.has_cost);
}

/* The no-answer timer still bounds the wait; the CDR says why. */
static void test_no_answer_timer_while_answer_held(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	fire(TIMER_NO_ANSWER);
	CU_ASSERT(expect("A 480"));
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "No PRACK from caller");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "failed");
}

/* Without Require: 100rel nothing waits. */
static void test_no_100rel_nothing_waits(void)
{
	struct call *c = ringing_call();

	CU_ASSERT(expect("A 180 Ringing$"));   /* unreliable */
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}


/* RFC 3262 3 by the calling trunk's rel100 and what the caller said:
 * which 18x go reliably, and whether our 2xx waits for their PRACKs.
 * The pbx keeps the default (supported), pbxrel requires it, pbxoff has
 * it off; leg A is told its trunk's policy, leg B (carrier1) its own. */
static void test_rel100_by_trunk_and_caller(void)
{
	static const struct {
		const char *name;
		const char *src;
		int sup, req;          /* the caller's Supported / Require: 100rel */
		int rel180, rel183;    /* our 180, 183 to it go reliably */
		int conf_rel100, conf_se;   /* leg A's configure */
	} cases[] = {
		{"default trunk, caller supports", "127.0.0.2", 1, 0, 0, 1, POLICY_REL100_SUPPORTED, -1},
		{"default trunk, caller requires", "127.0.0.2", 0, 1, 1, 1, POLICY_REL100_SUPPORTED, -1},
		{"default trunk, caller supports and requires", "127.0.0.2", 1, 1, 1, 1, POLICY_REL100_SUPPORTED, -1},
		{"default trunk, caller without 100rel", "127.0.0.2", 0, 0, 0, 0, POLICY_REL100_SUPPORTED, -1},
		{"trunk requires, caller supports", "127.0.0.8", 1, 0, 1, 1, POLICY_REL100_REQUIRED, 120},
		{"trunk requires, caller requires", "127.0.0.8", 0, 1, 1, 1, POLICY_REL100_REQUIRED, 120},
		{"trunk off, caller supports", "127.0.0.10", 1, 0, 0, 0, POLICY_REL100_OFF, 0},
		{"trunk off, caller without 100rel", "127.0.0.10", 0, 0, 0, 0, POLICY_REL100_OFF, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		int pracks = cases[i].rel180 + cases[i].rel183;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		inv_sup100 = cases[i].sup;
		inv_rel100 = cases[i].req;
		c = invite_from(cases[i].src, "15551234", 70, offer_sdp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CHECK_ROW(row, conf_calls == 1);
		CHECK_ROW(row, conf_rel100 == cases[i].conf_rel100 && conf_se == cases[i].conf_se);
		relay_reply("offer", 1, "SDP-TO-B", 0);
		CHECK_ROW(row, expect("B1 INVITE carrier1 ruri=15551234"));
		CHECK_ROW(row, last_invite_rel100 == POLICY_REL100_SUPPORTED && last_invite_se == -1);
		resp(c, "B1", 100, "Trying", NULL);
		resp(c, "B1", 180, "Ringing", NULL);
		CHECK_ROW(row, expect(cases[i].rel180 ? "A 180 Ringing reliable$" : "A 180 Ringing$"));
		resp(c, "B1", 183, "Session Progress", b_sdp);
		relay_reply("answer", 1, "EARLY", 0);
		CHECK_ROW(row, expect(cases[i].rel183 ? "A 183 Session Progress sdp=EARLY reliable$"
						      : "A 183 Session Progress sdp=EARLY$"));
		CHECK_ROW(row, never("A 100"));
		resp(c, "B1", 200, "OK", b_sdp);
		relay_reply("answer", 1, "SDP-TO-A", 0);
		/* RFC 3262 3: no 2xx before the last reliable 18x is PRACKed. */
		for (int p = 0; p < pracks; p++) {
			CHECK_ROW(row, never("A 200"));
			CHECK_ROW(row, cdr.answer_ms == 0);
			call_on_prack(c, leg_named("A"), NULL);
		}
		CHECK_ROW(row, expect("A 200 OK sdp=SDP-TO-A$"));
		CHECK_ROW(row, cdr.answer_ms > 0);
		ack(c);
		bye(c, "A");
		CHECK_ROW(row, expect("B1 BYE"));
		relay_reply("delete", 1, NULL, 0);
		CHECK_ROW(row, cdr_final && strcmp(cdr.disposition, "answered") == 0);
	}
}

/* RFC 3262 3 at admission: a caller without 100rel on a trunk that
 * requires it gets 421, one that requires it on a trunk that has it off
 * gets 420; no call, no CDR, nothing toward any trunk or the relay. */
static void test_rel100_refusals(void)
{
	static const struct {
		const char *name;
		const char *src;
		int sup, req;
		const char *line;
	} cases[] = {
		{"trunk requires, caller without 100rel", "127.0.0.8", 0, 0, "A 421 Extension Required$"},
		{"trunk off, caller requires", "127.0.0.10", 0, 1, "A 420 Bad Extension$"},
		{"trunk off, caller supports and requires", "127.0.0.10", 1, 1, "A 420 Bad Extension$"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;

		if (i) {
			teardown();
			setup_relay();
		}
		inv_sup100 = cases[i].sup;
		inv_rel100 = cases[i].req;
		CHECK_ROW(row, invite_from(cases[i].src, "15551234", 70, offer_sdp) == NULL);
		CHECK_ROW(row, expect(cases[i].line));
		CHECK_ROW(row, expect("A released"));
		CHECK_ROW(row, never("B1 INVITE") && never("relay"));
		CHECK_ROW(row, cdr_events == 0);
		CHECK_ROW(row, call_core_count(core) == 0);
		CHECK_ROW(row, nrq == 0);
	}
}

/* Leg B carries its trunk's dialog policy (the adapter's Require:
 * 100rel and session interval): pbxrel's 'required' and 120 s, carrier1's
 * defaults (supported, [call]'s interval). */
static void test_leg_b_gets_trunks_dialog_policy(void)
{
	static const struct {
		const char *user, *invite;
		int rel100, se;
	} cases[] = {
		{"8000", "B1 INVITE pbxrel ruri=8000", POLICY_REL100_REQUIRED, 120},
		{"15551234", "B1 INVITE carrier1 ruri=15551234", POLICY_REL100_SUPPORTED, -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].user;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		c = invite_from("127.0.0.2", cases[i].user, 70, offer_sdp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		relay_reply("offer", 1, "SDP-TO-B", 0);
		CHECK_ROW(row, expect(cases[i].invite));
		CHECK_ROW(row, last_invite_rel100 == cases[i].rel100);
		CHECK_ROW(row, last_invite_se == cases[i].se);
		/* The caller's trunk is the pbx: its own defaults for leg A. */
		CHECK_ROW(row, conf_rel100 == POLICY_REL100_SUPPORTED && conf_se == -1);
		call_on_cancel(c, leg_named("A"), NULL);
		CHECK_ROW(row, expect("B1 CANCEL"));
		relay_reply("delete", 1, NULL, 0);
	}
}


/* ---- session timers (RFC 4028), each leg its own ---- */

/* A bodyless UPDATE (a session refresh) is answered on its own leg and
 * never reaches the other: each leg keeps its own session timer. */
static void test_refresh_update_answered_on_its_leg(void)
{
	struct call *c = answered_call();

	tr_reset();
	call_on_request(c, leg_named("B1"), METHOD_UPDATE, NULL, NULL);
	CU_ASSERT(expect("B1 200 to 2$"));
	call_on_request(c, leg_named("A"), METHOD_UPDATE, NULL, NULL);
	CU_ASSERT(expect("A 200 to 2$"));
	CU_ASSERT(never("A REQ"));
	CU_ASSERT(never("B1 REQ"));
	/* with SDP it is an offer, relayed as before */
	call_on_request(c, leg_named("A"), METHOD_UPDATE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("relay offer from A"));
	relay_reply("offer", 1, "UPD", 0);
	CU_ASSERT(expect("B1 REQ 2 body=UPD"));
	resp_m(c, "B1", METHOD_UPDATE, 200, "OK", b_sdp, NULL);
	relay_reply("answer", 1, "UPD-ANS", 0);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* nua ended a leg whose session nobody refreshed: both legs go, and the
 * CDR says why. */
static void test_session_expiry_ends_both_legs(void)
{
	struct call *c = answered_call();

	call_on_leg_dead(c, leg_named("A"), 481, "Session timer expired");
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Session timer expired");
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "b2bua");
}

/* ---- provisional responses ---- */

/* 181, 182 and 199 go to the caller as they are; 180 and 183 without SDP
 * stay apart and make no early media (nothing asked of the relay). */
static void test_provisionals_relayed_as_they_are(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	tr_reset();
	resp(c, "B1", 181, "Call Is Being Forwarded", NULL);
	resp(c, "B1", 182, "Queued", NULL);
	resp(c, "B1", 183, "Session Progress", NULL);
	resp(c, "B1", 180, "Ringing", NULL);
	resp(c, "B1", 199, "Early Dialog Terminated", NULL);
	CU_ASSERT(expect("A 181 Call Is Being Forwarded$"));
	CU_ASSERT(expect("A 182 Queued$"));
	CU_ASSERT(expect("A 183 Session Progress$"));
	CU_ASSERT(expect("A 180 Ringing$"));
	CU_ASSERT(expect("A 199 Early Dialog Terminated$"));
	CU_ASSERT(never("relay"));
	call_on_cancel(c, leg_named("A"), NULL);
	relay_reply("delete", 1, NULL, 0);
}

/* ---- 3xx from a trunk ---- */

static int expectf(const char *fmt, const char *name);   /* below, with the transfers */
static int neverf(const char *fmt, const char *name);
/* A 3xx on leg name whose first Contact is sip:cuser@chost:cport (what
 * sip_read_contact() gives: NULL user or host when absent, port 0). */
static void resp_contact(struct call *c, const char *name, int code, const char *reason, const char *cuser,
			 const char *chost, int cport)
{
	struct leg_response r = {.method = METHOD_INVITE, .code = code, .reason = reason, .realm = "",
				 .contact_user = cuser, .contact_host = chost, .contact_port = cport};

	call_on_response(c, leg_named(name), &r);
}

/* A line "name INVITE trunk ruri=user from=..." in the transcript, after
 * what was matched before (fake_invite()'s format). */
static int expect_invite(const char *name, const char *trunk, const char *user)
{
	char line[128];

	snprintf(line, sizeof(line), "%s INVITE %s ruri=%s from=100", name, trunk, user);
	return expect(line);
}

/* No line of the transcript is a 3xx to the caller. */
static int no_3xx_to_caller(void)
{
	char pat[16];

	for (int code = 300; code < 400; code++) {
		snprintf(pat, sizeof(pat), "A %d", code);
		if (!never(pat))
			return 0;
	}
	return 1;
}

/* How many final responses (3xx-6xx) the caller got. */
static int caller_finals(void)
{
	int n = 0, code;

	for (const char *l = tr; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (sscanf(l, "A %3d ", &code) == 1 && code >= 300)
			n++;
	return n;
}

/* A new call from the pbx to user, up to its first INVITE ringing at
 * leg B1 (a row of a table test starts one: B legs count from 1). */
static struct call *row_call(const char *user)
{
	struct call *c;

	tr_reset();
	nb = 0;
	c = invite_from("127.0.0.2", user, 70, offer_sdp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "TO-B1", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leg_named("B1"));
	resp(c, "B1", 100, "Trying", NULL);
	resp(c, "B1", 180, "Ringing", NULL);
	return c;
}

/* Answers on leg name, hangs up from the caller: the final CDR is there. */
static void row_answer_and_hang_up(struct call *c, const char *name)
{
	resp(c, name, 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
}

/* The caller cancels, the relay forgets the call. */
static void row_cancel(struct call *c)
{
	call_on_cancel(c, leg_named("A"), NULL);
	relay_drain();
}

/* A redirect never reaches the caller: the next route is tried, and with
 * none left the caller gets 480. */
static void test_redirect_tries_next_route_never_reaches_caller(void)
{
	struct call *c = ringing_call();

	resp(c, "B1", 302, "Moved Temporarily", NULL);
	CU_ASSERT(expect("B1 released"));
	CU_ASSERT(expect("relay offer from A"));
	relay_reply("offer", 1, "TO-B2", 0);
	CU_ASSERT(expect("B2 INVITE carrier2"));
	resp(c, "B2", 301, "Moved Permanently", NULL);
	CU_ASSERT(expect("A 480 Redirection Not Followed"));
	CU_ASSERT(no_3xx_to_caller());
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Redirection Not Followed");
	CU_ASSERT_EQUAL(cdr.sip_code, 480);
}

/* ---- 3xx followed by policy (trunks.redirect = follow) ---- */

/* redir1 (follow) answers 302 whose Contact names a trunk of ours: that
 * trunk gets the next INVITE, with the Contact's number after redir1's
 * "in" rules (or the dialled one when the Contact has none); the caller
 * never sees the 3xx; the CDR names the followed trunk and number. */
static void test_redirect_follow_tries_named_trunk(void)
{
	static const struct {
		const char *row, *cuser, *chost;
		int cport;
		const char *trunk, *ruri;
		int tid;
	} rows[] = {
		{"trunks.host and port", "2000", "127.0.0.3", 5080, "carrier1", "2000", 2},
		{"trunks.host, Contact without port", "2000", "127.0.0.3", 0, "carrier1", "2000", 2},
		{"host name in another case", "2000", "target.EXAMPLE", 5070, "target", "2000", 11},
		{"address of its trunk_sources", "2000", "127.0.0.14", 5060, "target", "2000", 11},
		{"address of its trunk_sources, any port", "2000", "127.0.0.3", 5099, "carrier1", "2000", 2},
		{"redirecting trunk's in rules", "002000", "127.0.0.3", 5080, "carrier1", "2000", 2},
		{"Contact without user: dialled number", NULL, "127.0.0.3", 5080, "carrier1", "9123", 2},
		{"the next route itself, with the new number", "2000", "127.0.0.4", 5080, "carrier2", "2000", 3},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c = row_call("9123");

		CHECK_ROW(row, expect_invite("B1", "redir1", "9123"));
		resp_contact(c, "B1", 302, "Moved Temporarily", rows[i].cuser, rows[i].chost, rows[i].cport);
		CHECK_ROW(row, expect("B1 released"));
		CHECK_ROW(row, expect("relay offer from A"));
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect_invite("B2", rows[i].trunk, rows[i].ruri));
		CHECK_ROW(row, channels[rows[i].tid] == 1);
		CHECK_ROW(row, channels[9] == 0);
		row_answer_and_hang_up(c, "B2");
		CHECK_ROW(row, expect("A 200 OK"));
		CHECK_ROW(row, no_3xx_to_caller());
		CHECK_ROW(row, count("B3 INVITE") == 0);
		CHECK_ROW(row, cdr_final);
		CHECK_ROW(row, strcmp(cdr.disposition, "answered") == 0);
		CHECK_ROW(row, strcmp(cdr.from_trunk, "pbx") == 0);
		CHECK_ROW(row, strcmp(cdr.to_trunk, rows[i].trunk) == 0);
		CHECK_ROW(row, strcmp(cdr.routed_to, rows[i].ruri) == 0);
		CHECK_ROW(row, strcmp(cdr.b_call_id, "cid-B2") == 0);
		CHECK_ROW(row, channels[rows[i].tid] == 0);
	}
}

/* A 3xx of a follow trunk whose Contact names no enabled trunk of ours:
 * the next route, with the dialled number. */
static void test_redirect_follow_not_our_trunk_next_route(void)
{
	static const struct {
		const char *row, *cuser, *chost;
		int cport;
	} rows[] = {
		{"address of no trunk", "2000", "10.99.0.7", 5060},
		{"host name of no trunk", "2000", "elsewhere.example", 5070},
		{"trunk's host name, another port", "2000", "target.example", 5071},
		{"trunk's host name, default port", "2000", "target.example", 5060},
		{"disabled trunk's host and port", "2000", "127.0.0.15", 5080},
		{"disabled trunk's host, no port", "2000", "127.0.0.15", 0},
		{"no usable Contact", NULL, NULL, 0},
		{"Contact with a user only", "2000", NULL, 0},
		{"empty host", "2000", "", 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c = row_call("9123");

		resp_contact(c, "B1", 302, "Moved Temporarily", rows[i].cuser, rows[i].chost, rows[i].cport);
		CHECK_ROW(row, expect("B1 released"));
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect_invite("B2", "carrier2", "9123"));
		CHECK_ROW(row, count("B2 INVITE") == 1);
		CHECK_ROW(row, never("B2 INVITE target") && never("B2 INVITE dormant"));
		CHECK_ROW(row, no_3xx_to_caller());
		row_cancel(c);
		CHECK_ROW(row, cdr_final);
		CHECK_ROW(row, strcmp(cdr.to_trunk, "carrier2") == 0);
		CHECK_ROW(row, strcmp(cdr.routed_to, "9123") == 0);
	}
}

/* The followed trunk fails too: the routes left of the original list are
 * tried with the dialled number, never the redirect's. */
static void test_redirect_follow_failed_rest_gets_dialled_number(void)
{
	static const struct {
		const char *row, *chost;
		int code;                /* the followed trunk's answer; 0: none (trunk timer) */
		const char *trunk;       /* the trunk the Contact names */
		int last_answers;        /* the last route answers, else 503 */
	} rows[] = {
		{"503 from the followed trunk", "127.0.0.3", 503, "carrier1", 1},
		{"500 from the followed trunk", "127.0.0.3", 500, "carrier1", 1},
		{"no reply from the followed trunk", "127.0.0.3", 0, "carrier1", 1},
		{"302 from the followed trunk (next)", "127.0.0.3", 302, "carrier1", 1},
		{"503 from the followed trunk, the next route itself", "127.0.0.4", 503, "carrier2", 1},
		{"503 from the followed trunk, 503 from the last route", "127.0.0.3", 503, "carrier1", 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c = row_call("9123");

		resp_contact(c, "B1", 302, "Moved Temporarily", "2000", rows[i].chost, 5080);
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect_invite("B2", rows[i].trunk, "2000"));
		if (rows[i].code) {
			/* a 3xx of a "next" trunk naming a follow trunk: not followed */
			resp_contact(c, "B2", rows[i].code, "Failed", "3000", "127.0.0.12", 5080);
		} else {
			CHECK_ROW(row, timer_ms(c, TIMER_TRUNK) == 2000);
			fire_call(c, TIMER_TRUNK);
			CHECK_ROW(row, expect("B2 CANCEL"));
		}
		CHECK_ROW(row, expect("B2 released"));
		relay_reply("offer", 1, "TO-B3", 0);
		CHECK_ROW(row, expect_invite("B3", "carrier2", "9123"));
		CHECK_ROW(row, count("B3 INVITE") == 1 && count("B4 INVITE") == 0);
		if (rows[i].last_answers) {
			row_answer_and_hang_up(c, "B3");
			CHECK_ROW(row, expect("A 200 OK"));
			CHECK_ROW(row, strcmp(cdr.disposition, "answered") == 0);
		} else {
			resp(c, "B3", 503, "Service Unavailable", NULL);
			CHECK_ROW(row, caller_finals() == 1);
			relay_drain();
		}
		CHECK_ROW(row, no_3xx_to_caller());
		CHECK_ROW(row, cdr_final);
		CHECK_ROW(row, strcmp(cdr.to_trunk, "carrier2") == 0);
		CHECK_ROW(row, strcmp(cdr.routed_to, "9123") == 0);
	}
}

/* Two follow trunks naming each other: three redirects are followed,
 * the fourth is not (the next route, or with none the caller's final
 * response): never an endless loop. */
static void test_redirect_follow_loop_stops_after_three(void)
{
	static const struct {
		const char *row, *dialled;
		int fallback;            /* carrier2 is the next route */
	} rows[] = {
		{"next route after the loop", "9123", 1},
		{"no route after the loop", "9223", 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c = row_call(rows[i].dialled);
		char name[8], user[16], prev[16];

		snprintf(prev, sizeof(prev), "%s", rows[i].dialled);
		/* B1, B3 at redir1 name redir2; B2, B4 at redir2 name redir1. */
		for (int hop = 1; hop <= 4; hop++) {
			int odd = hop % 2;

			snprintf(name, sizeof(name), "B%d", hop);
			snprintf(user, sizeof(user), "500%d", hop);
			CHECK_ROW(row, expect_invite(name, odd ? "redir1" : "redir2", prev));
			resp_contact(c, name, 302, "Moved Temporarily", user, odd ? "127.0.0.13" : "127.0.0.12", 5080);
			CHECK_ROW(row, expectf("%s released", name));
			if (hop < 4)
				relay_reply("offer", 1, "TO-B", 0);
			snprintf(prev, sizeof(prev), "%s", user);
		}
		CHECK_ROW(row, count("B5 INVITE redir1") == 0 && count("B5 INVITE redir2") == 0);
		if (rows[i].fallback) {
			relay_reply("offer", 1, "TO-B5", 0);
			CHECK_ROW(row, expect_invite("B5", "carrier2", rows[i].dialled));
			row_cancel(c);
		} else {
			CHECK_ROW(row, count("B5 INVITE") == 0);
			CHECK_ROW(row, expect("A 480 Redirection Not Followed"));
			relay_drain();
			CHECK_ROW(row, cdr.sip_code == 480 && strcmp(cdr.disposition, "no_answer") == 0);
		}
		CHECK_ROW(row, no_3xx_to_caller());
		CHECK_ROW(row, cdr_final);
		CHECK_ROW(row, call_core_count(core) == 0);
	}
}

/* A trunk with the default policy (next): a Contact naming a trunk of
 * ours is not followed; the next route gets the dialled number. */
static void test_redirect_next_policy_does_not_follow(void)
{
	static const struct {
		const char *row, *chost;
		int cport;
	} rows[] = {
		{"Contact naming the next route's trunk", "127.0.0.4", 5080},
		{"Contact naming another trunk by host name", "target.example", 5070},
		{"Contact naming another trunk by source address", "127.0.0.14", 0},
		{"Contact naming a follow trunk", "127.0.0.12", 5080},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c = row_call("15551234");

		CHECK_ROW(row, expect_invite("B1", "carrier1", "15551234"));
		resp_contact(c, "B1", 302, "Moved Temporarily", "2000", rows[i].chost, rows[i].cport);
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect_invite("B2", "carrier2", "15551234"));
		CHECK_ROW(row, count("B2 INVITE") == 1);
		row_answer_and_hang_up(c, "B2");
		CHECK_ROW(row, no_3xx_to_caller());
		CHECK_ROW(row, strcmp(cdr.to_trunk, "carrier2") == 0);
		CHECK_ROW(row, strcmp(cdr.routed_to, "15551234") == 0);
	}
}

/* The trunk a 3xx names is over its limits: skipped like any route,
 * the routes left get the dialled number. */
static void test_redirect_follow_trunk_over_limits_skipped(void)
{
	static const struct {
		const char *row, *chost;
		int cport, deny;         /* deny: the trunk over its limits */
		const char *denied;      /* its name */
		const char *next;        /* the next INVITE's trunk, or NULL: the caller's final */
	} rows[] = {
		{"followed trunk full, next route free", "127.0.0.3", 5080, 2, "carrier1", "carrier2"},
		{"followed trunk by name full", "target.example", 5070, 11, "target", "carrier2"},
		{"followed trunk is the next route, full", "127.0.0.4", 5080, 3, "carrier2", NULL},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *row = rows[i].row;
		struct call *c;

		deny_trunk = 0;
		c = row_call("9123");
		deny_trunk = rows[i].deny;
		resp_contact(c, "B1", 302, "Moved Temporarily", "2000", rows[i].chost, rows[i].cport);
		CHECK_ROW(row, count("B2 INVITE") == 0);
		if (rows[i].next) {
			relay_reply("offer", 1, "TO-B2", 0);
			CHECK_ROW(row, expect_invite("B2", rows[i].next, "9123"));
			CHECK_ROW(row, count("B2 INVITE") == 1);
			row_cancel(c);
		} else {
			CHECK_ROW(row, caller_finals() == 1);
			relay_drain();
		}
		CHECK_ROW(row, neverf("B2 INVITE %s", rows[i].denied));
		CHECK_ROW(row, no_3xx_to_caller());
		CHECK_ROW(row, channels[rows[i].deny] == 0);
		CHECK_ROW(row, cdr_final);
	}
	deny_trunk = 0;
}

/* ---- Reason (RFC 3326) ---- */

static const struct leg_reason normal_clearing = {16, "Q.850;cause=16;text=\"Normal call clearing\""};

/* carrier2 is trusted (fixture): its Reason reaches the caller. */
static void test_reason_of_trusted_trunk_passes(void)
{
	struct call *c = invite_from("127.0.0.2", "2000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "Y", 0);
	ack(c);
	call_on_bye(c, leg_named("B1"), &normal_clearing);
	CU_ASSERT(expect("A BYE reason=Q.850;cause=16;text=\"Normal call clearing\""));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 16);
	CU_ASSERT_STRING_EQUAL(cdr.hangup_by, "callee");
}

/* carrier1 and the pbx are not: the cause is kept, the header stays. */
/* trust_reason overrides trusted: the trusted 'open' trunk's Reason is
 * not passed (0), its Q.850 cause still recorded. */
static void test_reason_not_passed_when_trust_reason_off(void)
{
	struct call *c = invite_from("127.0.0.2", "7000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "Y", 0);
	ack(c);
	call_on_bye(c, leg_named("B1"), &normal_clearing);
	CU_ASSERT(expect("A BYE$"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 16);
}

static void test_reason_of_untrusted_trunk_kept_not_passed(void)
{
	static const struct leg_reason elsewhere = {0, "SIP;cause=200;text=\"Call completed elsewhere\""};
	struct call *c = answered_call();

	call_on_bye(c, leg_named("B1"), &normal_clearing);
	CU_ASSERT(expect("A BYE$"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 16);
	teardown();
	setup_relay();
	c = ringing_call();
	call_on_cancel(c, leg_named("A"), &elsewhere);
	CU_ASSERT(expect("B1 CANCEL$"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 0);
}

/* A trusted trunk's Reason that names the trunk itself (its address)
 * does not reach the caller (leak guard); the BYE still does. */
static void test_reason_naming_other_side_not_passed(void)
{
	static const struct leg_reason leaky = {16, "Q.850;cause=16;text=\"seen from 127.0.0.4\""};
	struct call *c = invite_from("127.0.0.2", "2000", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "X", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "Y", 0);
	call_on_bye(c, leg_named("B1"), &leaky);
	CU_ASSERT(expect("A BYE$"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 16);
}

/* A failure response's Q.850 cause (RFC 6432) is the CDR's. */
static void test_q850_of_failure_response_in_cdr(void)
{
	struct call *c = ringing_call();
	struct leg_response r = {.method = METHOD_INVITE, .code = 486, .reason = "Busy Here", .realm = "",
				 .q850 = 17};

	call_on_response(c, leg_named("B1"), &r);
	CU_ASSERT(expect("A 486 Busy Here"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_EQUAL(cdr.q850_cause, 17);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "busy");
}

/* ---- transfer (RFC 3515 REFER), carried out here (call_xfer.c) ---- */

/* expect() of a formatted line. */
static int expectf(const char *fmt, const char *name)
{
	char line[128];

	snprintf(line, sizeof(line), fmt, name);
	return expect(line);
}

static int neverf(const char *fmt, const char *name)
{
	char line[128];

	snprintf(line, sizeof(line), fmt, name);
	return never(line);
}

static void refer(struct call *c, const char *name, const char *user, int replaces)
{
	struct leg_refer r = {.user = user, .replaces = replaces};

	call_on_refer(c, leg_named(name), &r);
}

/* The call leg `name` belongs to now: a transfer's call for its new leg,
 * and for the remaining party once it moved over. */
static struct call *call_of(const char *name)
{
	struct leg *l = leg_named(name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l->call);
	return l->call;
}

/* Answers every pending relay request (OK, no SDP): what a test has
 * nothing to say about, late answers included. */
/* The session id of our o= in an SDP we sent. */
static unsigned long long o_id(const char *sdp)
{
	const char *o = strstr(sdp, "o=- ");
	unsigned long long id, v;

	return o && sscanf(o, "o=- %llu %llu", &id, &v) == 2 ? id : 0;
}

/* An answered call from the pbx to user (carrier1: 1..., carrier2: 2...). */
static struct call *connected_call(const char *user);

/* A Refer-To number that carrier1's "in" rules make longer than a number
 * may be: 400, no new call (it was routed as "" before). */
static void test_refer_number_too_long_after_rules(void)
{
	struct call *c = connected_call("15551234");

	refer(c, "B1", "7781234567", 0);
	CU_ASSERT(expect("B1 400 to 4"));
	CU_ASSERT(never("B1 202"));
	CU_ASSERT_EQUAL(call_core_count(core), 1);
	call_core_hangup_all(core);
	relay_drain();
}

static struct call *connected_call(const char *user)
{
	struct call *c = invite_from("127.0.0.2", user, 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	relay_reply("offer", 1, "SDP-TO-B", 0);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	ack(c);
	return c;
}

/* The transferor holds the other party before it transfers (RFC 5589
 * 6.1): its offer is sendonly, the answer recvonly or inactive. */
static const char a_hold[] =
	"v=0\r\no=pbx 1 2 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendonly\r\n";
static const char a_held[] =
	"v=0\r\no=pbx 1 2 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
	"m=audio 6002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=recvonly\r\n";
static const char b_hold[] =
	"v=0\r\no=carrier 1 2 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
	"m=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendonly\r\n";
static const char b_held[] =
	"v=0\r\no=carrier 1 2 IN IP4 127.0.0.3\r\ns=-\r\na=inactive\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
	"m=audio 7002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

/* Up to a transfer of an answered pbx -> carrier1 call by the callee
 * (B1) to 3000, the new leg B2 INVITEd toward carrier2. */
static struct call *transfer_calling(struct call **t)
{
	struct call *c = answered_call();

	tr_reset();
	refer(c, "B1", "3000", 0);
	relay_reply("offer", 1, "TO-B2", 0);
	CU_ASSERT(expect("B2 INVITE carrier2 ruri=3000"));
	*t = call_of("B2");
	CU_ASSERT_PTR_NOT_EQUAL(*t, c);
	return c;
}

/* Blind transfer by either side: the remaining party is offered to the
 * new leg with its own last SDP made sendrecv, hears nothing until the
 * new leg answers, then moves over (re-INVITEd, the same o= session one
 * version on); the transferor hears the progress in NOTIFYs and gets a
 * BYE; two CDRs, the second naming the first. */
static void test_transfer_hands_remaining_party_over(void)
{
	static const struct {
		const char *transferor, *remaining;
		const char *hold, *held;  /* the transferor's hold, the remaining party's answer */
		const char *held_m;       /* that answer's m= line: what the new leg is offered */
		const char *refer_to;
		const char *invite;       /* the new leg's INVITE */
		const char *latch, *peer; /* the remaining party's trunk, as the relay hears it */
		const char *from_trunk, *by, *caller, *call_id;
		const char *reanswer;     /* the remaining party's answer to our re-INVITE */
	} cases[] = {
		{"B1", "A", b_hold, a_held, "m=audio 6002 ", "3000",
		 "B2 INVITE carrier2 ruri=3000 from=100 mf=70 to=3000", "learn", "127.0.0.2",
		 "carrier1", "callee", "100", "cid-A", a_held},
		{"A", "B1", a_hold, b_held, "m=audio 7002 ", "2000",
		 "B2 INVITE carrier2 ruri=2000 from=15551234 mf=70 to=2000", "sdp", "127.0.0.3",
		 "pbx", "caller", "15551234", "cid-B1", b_held},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].transferor;
		const char *x = cases[i].transferor, *y = cases[i].remaining;
		const struct cdr_seen *old, *neu;
		unsigned long long id, v;
		uint64_t s1, s2;
		struct call *c, *t;

		if (i) {
			teardown();
			setup_relay();
		}
		c = answered_call();
		s1 = call_serial(c);
		call_on_request(c, leg_named(x), METHOD_INVITE, "application/sdp", cases[i].hold);
		relay_reply("offer", 1, "HOLD", 0);
		CHECK_ROW(row, expectf("%s REQ 1 body=HOLD", y));
		id = o_id(last_request_body);
		v = o_version(last_request_body);
		resp_m(c, y, METHOD_INVITE, 200, "OK", cases[i].held, NULL);
		relay_reply("answer", 1, "HELD", 0);
		CHECK_ROW(row, expectf("%s 200 OK sdp=HELD", x));

		tr_reset();
		refer(c, x, cases[i].refer_to, 0);
		CHECK_ROW(row, expectf("%s 202 to 4", x));
		CHECK_ROW(row, expectf("%s NOTIFY 100$", x));
		CHECK_ROW(row, expect("relay offer from A srtp=0"));
		CHECK_ROW(row, strstr(last_relay_sdp, cases[i].held_m) != NULL);
		CHECK_ROW(row, strstr(last_relay_sdp, "a=recvonly") == NULL);
		CHECK_ROW(row, strstr(last_relay_sdp, "a=inactive") == NULL);
		CHECK_ROW(row, strstr(last_relay_sdp, "a=sendonly") == NULL);
		CHECK_ROW(row, strcmp(last_latch, cases[i].latch) == 0);
		CHECK_ROW(row, strcmp(last_peer, cases[i].peer) == 0);
		CHECK_ROW(row, call_core_count(core) == 2);
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect(cases[i].invite));
		t = call_of("B2");
		s2 = call_serial(t);
		CHECK_ROW(row, s2 != s1);
		neu = cdr_of(s2);
		CHECK_ROW(row, !neu->final && strcmp(neu->row.disposition, "in_progress") == 0);
		CHECK_ROW(row, strcmp(neu->row.transfer_of, "a-call-id") == 0);

		resp(t, "B2", 100, "Trying", NULL);
		resp(t, "B2", 180, "Ringing", NULL);
		resp(t, "B2", 180, "Ringing", NULL);
		CHECK_ROW(row, expectf("%s NOTIFY 180$", x));
		CHECK_ROW(row, neverf("%s NOTIFY 100 final", x));
		CHECK_ROW(row, count("A NOTIFY 180") + count("B1 NOTIFY 180") == 1);   /* once a code */
		CHECK_ROW(row, neverf("%s 180", y));   /* answered long ago */
		resp(t, "B2", 200, "OK", b_sdp);
		CHECK_ROW(row, expect("relay answer from B srtp=0"));
		CHECK_ROW(row, neverf("%s rebound", y));
		relay_reply("answer", 1, "TO-REMAINING", 0);
		CHECK_ROW(row, expectf("%s rebound", y));
		CHECK_ROW(row, expectf("%s NOTIFY 200 final", x));
		CHECK_ROW(row, expectf("%s BYE", x));
		CHECK_ROW(row, expectf("%s released", x));
		CHECK_ROW(row, expect("relay delete"));
		CHECK_ROW(row, expectf("%s REQ 1 body=TO-REMAINING", y));
		CHECK_ROW(row, neverf("%s BYE", y));
		CHECK_ROW(row, neverf("%s released", y));
		CHECK_ROW(row, call_of(y) == t);
		/* RFC 3264 8: the same session toward the remaining party, its
		 * next version. */
		CHECK_ROW(row, o_id(last_request_body) == id && id != 0);
		CHECK_ROW(row, o_version(last_request_body) == v + 1);
		CHECK_ROW(row, timer_ms(t, TIMER_MAX_DURATION) == 3600000);
		CHECK_ROW(row, timer_armed(t, TIMER_NO_ANSWER) == NULL);
		CHECK_ROW(row, !cdr_of(s1)->final);   /* waits for its relay totals */
		relay_reply("delete", 1, NULL, 0);
		old = cdr_of(s1);
		CHECK_ROW(row, old->final);
		CHECK_ROW(row, strcmp(old->row.reason, "Transferred") == 0);
		CHECK_ROW(row, strcmp(old->row.hangup_by, cases[i].by) == 0);
		CHECK_ROW(row, strcmp(old->row.disposition, "answered") == 0);
		CHECK_ROW(row, old->row.sip_code == 200);
		CHECK_ROW(row, old->row.transfer_of[0] == 0);
		CHECK_ROW(row, call_core_count(core) == 1);
		CHECK_ROW(row, channels[3] == 1);

		/* Our re-INVITE's answer goes to the relay and no further. */
		resp_m(t, y, METHOD_INVITE, 200, "OK", cases[i].reanswer, NULL);
		CHECK_ROW(row, expect("relay answer from A srtp=0"));
		relay_reply("answer", 1, "TO-B2-AGAIN", 0);
		CHECK_ROW(row, never("B2 REQ"));
		CHECK_ROW(row, neverf("%s 200", y));
		/* The new call is an ordinary one now: a re-INVITE is relayed. */
		call_on_request(t, leg_named("B2"), METHOD_INVITE, "application/sdp", b_sdp);
		relay_reply("offer", 1, "REOFFER", 0);
		CHECK_ROW(row, expectf("%s REQ 1 body=REOFFER", y));
		resp_m(t, y, METHOD_INVITE, 200, "OK", cases[i].reanswer, NULL);
		relay_reply("answer", 1, "REANSWER", 0);
		CHECK_ROW(row, expect("B2 200 OK sdp=REANSWER"));

		bye(t, y);
		CHECK_ROW(row, expect("B2 BYE"));
		relay_reply("delete", 1, NULL, 0);
		neu = cdr_of(s2);
		CHECK_ROW(row, neu->final);
		CHECK_ROW(row, strcmp(neu->row.transfer_of, "a-call-id") == 0);
		CHECK_ROW(row, strcmp(neu->row.from_trunk, cases[i].from_trunk) == 0);
		CHECK_ROW(row, strcmp(neu->row.to_trunk, "carrier2") == 0);
		CHECK_ROW(row, strcmp(neu->row.callee, cases[i].refer_to) == 0);
		CHECK_ROW(row, strcmp(neu->row.caller, cases[i].caller) == 0);
		CHECK_ROW(row, strcmp(neu->row.call_id, cases[i].call_id) == 0);
		CHECK_ROW(row, strcmp(neu->row.b_call_id, "cid-B2") == 0);
		CHECK_ROW(row, strcmp(neu->row.disposition, "answered") == 0);
		CHECK_ROW(row, strcmp(neu->row.hangup_by, "caller") == 0);
		CHECK_ROW(row, neu->row.sip_code == 200 && neu->row.answer_ms > 0);
	}
}

/* The new leg is offered the SDP of the remaining party that the relay
 * last took, wherever it came from (an INVITE, a re-INVITE, a 2xx, an
 * ACK); one the relay refused is not it. */
/* A transfer's new call anchors the remaining party on the interface it
 * was reached on (the relay hears its name in direction). */
static void test_transfer_keeps_remaining_party_interface(void)
{
	struct call *c;

	inv_iface = "inside";
	c = answered_call();
	tr_reset();
	refer(c, "B1", "3000", 0);
	CU_ASSERT(expect("B1 202 to 4"));
	CU_ASSERT(expect("relay offer from A srtp=0"));
	CU_ASSERT_STRING_EQUAL(last_place, "inside>default IP4");
	relay_reply("offer", 1, "TO-B2", 0);
	CU_ASSERT(expect("B2 INVITE carrier2"));
	resp(call_of("B2"), "B2", 486, "Busy Here", NULL);
	relay_drain();
	bye(c, "A");
	relay_drain();
}

static void test_transfer_offers_sdp_the_relay_took(void)
{
	static const char a_moved[] =
		"v=0\r\no=pbx 1 3 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		"m=audio 6004 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
	enum { REOFFER, REANSWER, LATE_OFFER };
	static const struct {
		const char *name;
		int how;
		int relay_ok;      /* the relay takes the remaining party's new SDP */
		const char *offered;   /* what the new leg's offer must carry */
	} cases[] = {
		{"re-INVITE taken", REOFFER, 1, "m=audio 6004 "},
		{"re-INVITE refused by the relay", REOFFER, 0, "m=audio 6000 "},
		{"answer to a re-INVITE taken", REANSWER, 1, "m=audio 6004 "},
		{"answer to a re-INVITE refused by the relay", REANSWER, 0, "m=audio 6000 "},
		{"late offer: the answer in the ACK", LATE_OFFER, 1, "a=label:A-ANSWER"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		switch (cases[i].how) {
		case REOFFER:
			c = answered_call();
			call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", a_moved);
			relay_reply("offer", cases[i].relay_ok, "MOVED", 0);
			if (cases[i].relay_ok) {
				resp_m(c, "B1", METHOD_INVITE, 200, "OK", b_sdp, NULL);
				relay_reply("answer", 1, "MOVED-ANSWER", 0);
				CHECK_ROW(row, expect("A 200 OK sdp=MOVED-ANSWER"));
			} else {
				CHECK_ROW(row, expect("A 503"));
			}
			break;
		case REANSWER:
			c = answered_call();
			call_on_request(c, leg_named("B1"), METHOD_INVITE, "application/sdp", b_sdp);
			relay_reply("offer", 1, "REOFFER", 0);
			resp_m(c, "A", METHOD_INVITE, 200, "OK", a_moved, NULL);
			relay_reply("answer", cases[i].relay_ok, "REANSWER", 0);
			CHECK_ROW(row, expect(cases[i].relay_ok ? "B1 200 OK sdp=REANSWER" : "B1 503"));
			break;
		default:
			c = late_offer_call("15551234");
			relay_reply("offer", 1, "OFFER-TO-A", 0);
			ack_sdp(c, "A", late_a_answer);
			relay_reply("answer", 1, "ANSWER-TO-B", 0);
			CHECK_ROW(row, expect("B1 ACK sdp=ANSWER-TO-B"));
			break;
		}
		tr_reset();
		refer(c, "B1", "3000", 0);
		CHECK_ROW(row, expect("B1 202 to 4"));
		CHECK_ROW(row, expect("relay offer from A"));
		CHECK_ROW(row, strstr(last_relay_sdp, cases[i].offered) != NULL);
		bye(c, "A");
		relay_drain();
		CHECK_ROW(row, call_core_count(core) == 0);
	}
}

/* A REFER we do not carry out gets its answer, and the call goes on. */
static void test_refer_refused(void)
{
	static const struct {
		const char *name;
		const char *dialled;   /* 1...: carrier1 (refer = local), 2...: carrier2 (reject) */
		int early;             /* while the callee rings */
		int reinvite;          /* while a re-INVITE is relayed */
		const char *user;
		int replaces;
		const char *line, *reason;
	} cases[] = {
		{"trunk policy reject", "2000", 0, 0, "3000", 0, "B1 403 to 4", "Transfer Not Allowed"},
		{"attended (Replaces)", "15551234", 0, 0, "3000", 1, "B1 403 to 4", "Attended Transfer Not Supported"},
		{"no number", "15551234", 0, 0, NULL, 0, "B1 400 to 4", "Refer-To Has No Number"},
		{"empty number", "15551234", 0, 0, "", 0, "B1 400 to 4", "Refer-To Has No Number"},
		{"number too long", "15551234", 0, 0,
		 "3000000000000000000000000000000000000000000000000000000000000000", 0, "B1 400 to 4",
		 "Refer-To Has No Number"},
		{"early dialog", "15551234", 1, 0, "3000", 0, "B1 491 to 4", "Request Pending"},
		{"re-INVITE in flight", "15551234", 0, 1, "3000", 0, "B1 491 to 4", "Request Pending"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		struct call *c;

		if (i) {
			teardown();
			setup_relay();
		}
		c = cases[i].early ? ringing_call() : connected_call(cases[i].dialled);
		if (cases[i].reinvite)
			call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
		tr_reset();
		refer(c, "B1", cases[i].user, cases[i].replaces);
		CHECK_ROW(row, expect(cases[i].line));
		CHECK_ROW(row, strcmp(last_req_reason, cases[i].reason) == 0);
		CHECK_ROW(row, never("B1 NOTIFY"));
		CHECK_ROW(row, call_core_count(core) == 1);
		CHECK_ROW(row, nrq == cases[i].reinvite);
		if (cases[i].reinvite) {
			relay_reply("offer", 1, "RE", 0);
			CHECK_ROW(row, expect("B1 REQ 1 body=RE"));
			resp_m(c, "B1", METHOD_INVITE, 200, "OK", b_sdp, NULL);
			relay_reply("answer", 1, "RE-ANSWER", 0);
			CHECK_ROW(row, expect("A 200 OK sdp=RE-ANSWER"));
		}
		if (cases[i].early) {
			call_on_cancel(c, leg_named("A"), NULL);
			CHECK_ROW(row, expect("B1 CANCEL"));
		} else {
			bye(c, "A");
			CHECK_ROW(row, expect("B1 BYE"));
		}
		relay_reply("delete", 1, NULL, 0);
		CHECK_ROW(row, cdr_final);
		CHECK_ROW(row, strcmp(cdr.reason, cases[i].early ? "Request Terminated" : "Caller hung up") == 0);
		CHECK_ROW(row, cdr.transfer_of[0] == 0);
		CHECK_ROW(row, never("B2 INVITE"));
	}
}

/* While a transfer runs nothing may change the remaining party's media
 * (it is what the new leg was offered): offers and REFERs get 491, an
 * INFO still passes. The new call takes no REFER before it is up. */
static void test_requests_while_transfer_runs(void)
{
	struct call *t, *c = transfer_calling(&t);

	refer(c, "B1", "3001", 0);
	CU_ASSERT(expect("B1 491 to 4"));
	refer(c, "A", "2000", 0);
	CU_ASSERT(expect("A 491 to 4"));
	call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("A 491 Request Pending"));
	call_on_request(c, leg_named("B1"), METHOD_UPDATE, "application/sdp", b_sdp);
	CU_ASSERT(expect("B1 491 to 2"));
	call_on_request(c, leg_named("A"), METHOD_INFO, "application/dtmf-relay", "Signal=5");
	CU_ASSERT(expect("B1 REQ 3 body=Signal=5"));
	resp_m(c, "B1", METHOD_INFO, 200, "OK", NULL, NULL);
	CU_ASSERT(expect("A 200 to 3"));
	refer(t, "B2", "2000", 0);   /* carrier2's policy (reject) answers first */
	CU_ASSERT(expect("B2 403 to 4"));
	CU_ASSERT_EQUAL(count("B2 INVITE"), 1);
	CU_ASSERT_EQUAL(count("B1 NOTIFY 100"), 1);
	CU_ASSERT_EQUAL(count("relay offer"), 1);   /* the new leg's */
	CU_ASSERT_EQUAL(call_core_count(core), 2);
	bye(c, "A");
	CU_ASSERT(expect("B2 CANCEL"));
	CU_ASSERT(expect("B1 BYE"));
	relay_drain();
}

/* The new leg fails: the transferor hears how (a final NOTIFY), the
 * call goes on untouched and can be transferred again. */
static void test_transfer_target_fails_call_goes_on(void)
{
	enum { BUSY, NO_ROUTE, RELAY_REFUSES, NO_ANSWER, EVERY_ROUTE_FAILS };
	static const struct {
		const char *name;
		int how;
		const char *refer_to;
		const char *notify, *disposition;
		int code;
	} cases[] = {
		{"busy", BUSY, "3000", "B1 NOTIFY 486 final", "busy", 486},
		{"no route", NO_ROUTE, "9999", "B1 NOTIFY 404 final", "failed", 404},
		{"relay refuses the new leg", RELAY_REFUSES, "3000", "B1 NOTIFY 503 final", "failed", 503},
		{"no answer", NO_ANSWER, "3000", "B1 NOTIFY 480 final", "no_answer", 480},
		{"every route fails", EVERY_ROUTE_FAILS, "3000", "B1 NOTIFY 486 final", "busy", 486},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const struct cdr_seen *neu;
		struct call *c, *t;
		uint64_t s1, s2;
		char again[32];

		if (i) {
			teardown();
			setup_relay();
		}
		c = answered_call();
		s1 = call_serial(c);
		tr_reset();
		refer(c, "B1", cases[i].refer_to, 0);
		s2 = cdr_serial;
		CHECK_ROW(row, s2 != s1);
		CHECK_ROW(row, expect("B1 202 to 4"));
		CHECK_ROW(row, expect("B1 NOTIFY 100$"));
		switch (cases[i].how) {
		case BUSY:
			relay_reply("offer", 1, "TO-B2", 0);
			t = call_of("B2");
			resp(t, "B2", 180, "Ringing", NULL);
			CHECK_ROW(row, expect("B1 NOTIFY 180$"));
			resp(t, "B2", 486, "Busy Here", NULL);
			break;
		case NO_ROUTE:
			CHECK_ROW(row, never("relay offer"));
			break;
		case RELAY_REFUSES:   /* toward carrier2, then the pbx */
			relay_reply("offer", 0, NULL, 0);
			relay_reply("offer", 0, NULL, 0);
			CHECK_ROW(row, never("B2 INVITE"));
			break;
		case NO_ANSWER:
			relay_reply("offer", 1, "TO-B2", 0);
			t = call_of("B2");
			resp(t, "B2", 180, "Ringing", NULL);
			CHECK_ROW(row, timer_ms(c, TIMER_MAX_DURATION) == 3600000);
			CHECK_ROW(row, timer_armed(c, TIMER_NO_ANSWER) == NULL);
			fire_call(t, TIMER_NO_ANSWER);
			CHECK_ROW(row, count("B2 CANCEL") == 1);
			break;
		case EVERY_ROUTE_FAILS:
			relay_reply("offer", 1, "TO-B2", 0);
			t = call_of("B2");
			resp(t, "B2", 180, "Ringing", NULL);
			resp(t, "B2", 503, "Service Unavailable", NULL);
			CHECK_ROW(row, never("B1 NOTIFY 503"));
			relay_reply("offer", 1, "TO-B3", 0);
			CHECK_ROW(row, expect("B3 INVITE pbx ruri=3000 from=100"));
			resp(t, "B3", 180, "Ringing", NULL);
			resp(t, "B3", 486, "Busy Here", NULL);
			CHECK_ROW(row, count("B1 NOTIFY 180") == 1);
			break;
		}
		CHECK_ROW(row, expect(cases[i].notify));
		CHECK_ROW(row, count("B1 NOTIFY") == count("B1 NOTIFY 180") + 2);   /* 100, the final */
		CHECK_ROW(row, never("A BYE") && never("B1 BYE") && never("A rebound"));
		CHECK_ROW(row, never("A REQ") && never("B1 REQ"));
		relay_drain();
		neu = cdr_of(s2);
		CHECK_ROW(row, neu->final);
		CHECK_ROW(row, neu->row.sip_code == cases[i].code);
		CHECK_ROW(row, strcmp(neu->row.disposition, cases[i].disposition) == 0);
		CHECK_ROW(row, strcmp(neu->row.transfer_of, "a-call-id") == 0);
		CHECK_ROW(row, strcmp(neu->row.callee, cases[i].refer_to) == 0);
		CHECK_ROW(row, !cdr_of(s1)->final);
		CHECK_ROW(row, call_core_count(core) == 1);

		/* The call goes on: a new REFER is taken... */
		refer(c, "B1", "3000", 0);
		CHECK_ROW(row, count("B1 202 to 4") == 2);
		relay_reply("offer", 1, "TO-NEW", 0);
		snprintf(again, sizeof(again), "B%d CANCEL", nb);
		/* ...and the caller's BYE ends it and the call, as any other. */
		bye(c, "A");
		CHECK_ROW(row, expect(again));
		CHECK_ROW(row, expect("B1 BYE"));
		relay_drain();
		CHECK_ROW(row, cdr_of(s1)->final);
		CHECK_ROW(row, strcmp(cdr_of(s1)->row.reason, "Caller hung up") == 0);
		CHECK_ROW(row, strcmp(cdr_of(s1)->row.hangup_by, "caller") == 0);
	}
}

/* A blind transferor hangs up (or its dialog dies) after our 202: the
 * transfer goes on. When the new leg answers, the remaining party moves
 * over and nothing goes to the gone transferor; when it fails, the
 * remaining party has nobody left and gets a BYE. */
static void test_blind_transferor_leaves(void)
{
	static const struct {
		const char *name;
		int dead;      /* its dialog died rather than a BYE */
		int answers;   /* the new leg answers rather than fails */
	} cases[] = {
		{"BYE, new leg answers", 0, 1},
		{"BYE, new leg busy", 0, 0},
		{"dialog dies, new leg answers", 1, 1},
		{"dialog dies, new leg busy", 1, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const struct cdr_seen *old, *neu;
		struct call *c, *t;
		uint64_t s1, s2;

		if (i) {
			teardown();
			setup_relay();
		}
		c = transfer_calling(&t);
		s1 = call_serial(c);
		s2 = call_serial(t);
		if (cases[i].dead)
			call_on_leg_dead(c, leg_named("B1"), 408, "Request Timeout");
		else
			bye(c, "B1");
		CHECK_ROW(row, expect("B1 released"));
		CHECK_ROW(row, never("A BYE") && never("B2 CANCEL") && never("B1 BYE"));
		CHECK_ROW(row, call_core_count(core) == 2 && nrq == 0);
		CHECK_ROW(row, !cdr_of(s1)->final);
		resp(t, "B2", 180, "Ringing", NULL);
		CHECK_ROW(row, never("B1 NOTIFY 180"));
		if (cases[i].answers) {
			resp(t, "B2", 200, "OK", b_sdp);
			relay_reply("answer", 1, "TO-A", 0);
			CHECK_ROW(row, expect("A rebound"));
			CHECK_ROW(row, expect("relay delete"));
			CHECK_ROW(row, expect("A REQ 1 body=TO-A"));
			CHECK_ROW(row, never("B1 NOTIFY 200") && never("B1 BYE") && never("A BYE"));
			relay_reply("delete", 1, NULL, 0);
			old = cdr_of(s1);
			CHECK_ROW(row, old->final && strcmp(old->row.reason, "Transferred") == 0);
			CHECK_ROW(row, strcmp(old->row.hangup_by, "callee") == 0);
			CHECK_ROW(row, strcmp(old->row.disposition, "answered") == 0);
			resp_m(t, "A", METHOD_INVITE, 200, "OK", offer_sdp, NULL);
			relay_reply("answer", 1, "X", 0);
			bye(t, "B2");
			CHECK_ROW(row, expect("A BYE"));
			relay_reply("delete", 1, NULL, 0);
			neu = cdr_of(s2);
			CHECK_ROW(row, neu->final && strcmp(neu->row.hangup_by, "callee") == 0);
			CHECK_ROW(row, strcmp(neu->row.disposition, "answered") == 0);
		} else {
			resp(t, "B2", 486, "Busy Here", NULL);
			CHECK_ROW(row, expect("A BYE"));
			CHECK_ROW(row, never("B1 NOTIFY 486") && never("A rebound"));
			relay_drain();
			old = cdr_of(s1);
			CHECK_ROW(row, old->final && strcmp(old->row.reason, "Transfer failed") == 0);
			CHECK_ROW(row, strcmp(old->row.hangup_by, "b2bua") == 0);
			CHECK_ROW(row, strcmp(old->row.disposition, "answered") == 0);
			neu = cdr_of(s2);
			CHECK_ROW(row, neu->final && strcmp(neu->row.disposition, "busy") == 0);
		}
		CHECK_ROW(row, call_core_count(core) == 0);
	}
}

/* The remaining party hangs up (or its dialog dies) while the transfer
 * runs, whatever stage the new leg is at: it is abandoned (CANCEL, or
 * BYE once it answered) and its CDR says so; the transferor gets its
 * BYE with the call's end. */
static void test_remaining_party_leaves_transfer_abandoned(void)
{
	enum { ROUTING, CALLING, EARLY, ANSWERING };
	static const struct {
		const char *name;
		int stage;
		int dead;
		const char *to_new_leg;   /* what the new leg gets, or NULL */
		const char *reason;       /* of the old call's CDR */
	} cases[] = {
		{"relay offer pending", ROUTING, 0, NULL, "Caller hung up"},
		{"new leg invited", CALLING, 0, "B2 CANCEL", "Caller hung up"},
		{"new leg ringing", EARLY, 0, "B2 CANCEL", "Caller hung up"},
		{"new leg answered, relay pending", ANSWERING, 0, "B2 BYE", "Caller hung up"},
		{"caller's dialog dies", EARLY, 1, "B2 CANCEL", "Request Timeout"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const struct cdr_seen *old, *neu;
		struct call *c, *t = NULL;
		uint64_t s1, s2;

		if (i) {
			teardown();
			setup_relay();
		}
		c = answered_call();
		s1 = call_serial(c);
		tr_reset();
		refer(c, "B1", "3000", 0);
		s2 = cdr_serial;
		if (cases[i].stage >= CALLING) {
			relay_reply("offer", 1, "TO-B2", 0);
			t = call_of("B2");
		}
		if (cases[i].stage >= EARLY)
			resp(t, "B2", 180, "Ringing", NULL);
		if (cases[i].stage >= ANSWERING)
			resp(t, "B2", 200, "OK", b_sdp);
		if (cases[i].dead)
			call_on_leg_dead(c, leg_named("A"), 408, "Request Timeout");
		else
			bye(c, "A");
		if (cases[i].to_new_leg)
			CHECK_ROW(row, expect(cases[i].to_new_leg));
		CHECK_ROW(row, expect("B1 BYE"));
		relay_drain();   /* late answers included: they change nothing */
		CHECK_ROW(row, never("B2 INVITE") == (cases[i].stage == ROUTING));
		CHECK_ROW(row, never("A rebound") && never("A REQ"));
		CHECK_ROW(row, never("B1 NOTIFY 200"));
		neu = cdr_of(s2);
		CHECK_ROW(row, neu->final);
		CHECK_ROW(row, strcmp(neu->row.disposition, "cancelled") == 0);
		CHECK_ROW(row, strcmp(neu->row.reason, "Transfer abandoned") == 0);
		CHECK_ROW(row, strcmp(neu->row.hangup_by, "b2bua") == 0);
		CHECK_ROW(row, neu->row.sip_code == 487);
		old = cdr_of(s1);
		CHECK_ROW(row, old->final && strcmp(old->row.reason, cases[i].reason) == 0);
		CHECK_ROW(row, strcmp(old->row.disposition, "answered") == 0);
		CHECK_ROW(row, call_core_count(core) == 0);
	}
}

/* Our re-INVITE toward the remaining party, once it moved over, fails:
 * its media goes nowhere, so the new call ends, BYE both ways. */
static void test_transfer_reinvite_fails_ends_new_call(void)
{
	static const struct {
		const char *name;
		int code;
		const char *sdp;
		int relay_ok;
		const char *reason;
	} cases[] = {
		{"488", 488, NULL, 1, "Transferee refused the new media"},
		{"481", 481, NULL, 1, "Transferee gone"},
		{"2xx without SDP", 200, NULL, 1, "No usable answer from the transferee"},
		{"relay refuses the answer", 200, a_held, 0, "Media relay refused the transferee's answer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const struct cdr_seen *neu;
		struct call *c, *t;
		uint64_t s2;

		if (i) {
			teardown();
			setup_relay();
		}
		c = transfer_calling(&t);
		(void)c;
		s2 = call_serial(t);
		resp(t, "B2", 200, "OK", b_sdp);
		relay_reply("answer", 1, "TO-A", 0);
		CHECK_ROW(row, expect("A REQ 1 body=TO-A"));
		relay_reply("delete", 1, NULL, 0);   /* the old call's */
		tr_reset();
		resp_m(t, "A", METHOD_INVITE, cases[i].code, "No", cases[i].sdp, NULL);
		if (cases[i].sdp)
			relay_reply("answer", cases[i].relay_ok, "X", 0);
		CHECK_ROW(row, expect("A BYE"));
		CHECK_ROW(row, expect("B2 BYE"));
		relay_reply("delete", 1, NULL, 0);
		neu = cdr_of(s2);
		CHECK_ROW(row, neu->final && strcmp(neu->row.reason, cases[i].reason) == 0);
		CHECK_ROW(row, strcmp(neu->row.disposition, "answered") == 0);
		CHECK_ROW(row, strcmp(neu->row.hangup_by, "b2bua") == 0);
		CHECK_ROW(row, call_core_count(core) == 0);
	}
}

/* The administrator ends everything while a transfer runs: the transfer
 * first (the transferor hears it failed), then the call. */
static void test_hangup_all_during_transfer(void)
{
	struct call *t, *c = transfer_calling(&t);
	uint64_t s1 = call_serial(c), s2 = call_serial(t);

	call_core_hangup_all(core);
	CU_ASSERT_EQUAL(count("B2 CANCEL"), 1);
	CU_ASSERT_EQUAL(count("A BYE"), 1);
	CU_ASSERT_EQUAL(count("B1 BYE"), 1);
	CU_ASSERT(never("A rebound"));
	relay_drain();
	CU_ASSERT_TRUE(cdr_of(s1)->final);
	CU_ASSERT_TRUE(cdr_of(s2)->final);
	CU_ASSERT_STRING_EQUAL(cdr_of(s1)->row.reason, "Hung up by administrator");
	CU_ASSERT_STRING_EQUAL(cdr_of(s2)->row.transfer_of, "a-call-id");
}

/* The new leg answers 2xx without SDP to the offer we made it: nothing
 * to re-INVITE the remaining party with, so the transfer fails (the
 * relay is not asked): the new leg gets its BYE, the transferor a final
 * NOTIFY 488, and the call goes on untouched until a BYE ends it. */
static void test_transfer_answer_without_sdp_fails(void)
{
	struct call *t, *c = transfer_calling(&t);
	uint64_t s1 = call_serial(c), s2 = call_serial(t);
	const struct cdr_seen *neu;

	resp(t, "B2", 180, "Ringing", NULL);
	CU_ASSERT(expect("B1 NOTIFY 180$"));
	tr_reset();
	resp(t, "B2", 200, "OK", NULL);
	CU_ASSERT(expect("B1 NOTIFY 488 final"));
	CU_ASSERT_EQUAL(count("B2 BYE"), 1);
	CU_ASSERT(never("relay answer"));
	CU_ASSERT(never("A rebound") && never("A REQ") && never("B1 REQ"));
	CU_ASSERT(never("A BYE") && never("B1 BYE") && never("B2 CANCEL"));
	CU_ASSERT_EQUAL(count("B1 NOTIFY"), 1);
	relay_reply("delete", 1, NULL, 0);   /* the new call's */
	CU_ASSERT_EQUAL(nrq, 0);
	neu = cdr_of(s2);
	CU_ASSERT_TRUE(neu->final);
	CU_ASSERT_EQUAL(neu->row.sip_code, 488);
	CU_ASSERT_STRING_EQUAL(neu->row.disposition, "failed");
	CU_ASSERT_STRING_EQUAL(neu->row.reason, "No SDP in the answer");
	CU_ASSERT_STRING_EQUAL(neu->row.hangup_by, "b2bua");
	CU_ASSERT_FALSE(cdr_of(s1)->final);
	CU_ASSERT_EQUAL(call_core_count(core), 1);
	CU_ASSERT_EQUAL(channels[2], 1);
	CU_ASSERT_EQUAL(channels[3], 0);
	CU_ASSERT(call_of("A") == c && call_of("B1") == c);

	/* The call is an ordinary one again: a re-INVITE is relayed... */
	call_on_request(c, leg_named("A"), METHOD_INVITE, "application/sdp", offer_sdp);
	CU_ASSERT(expect("relay offer from A"));
	relay_reply("offer", 1, "RE", 0);
	CU_ASSERT(expect("B1 REQ 1 body=RE"));
	resp_m(c, "B1", METHOD_INVITE, 200, "OK", b_sdp, NULL);
	relay_reply("answer", 1, "RE-ANSWER", 0);
	CU_ASSERT(expect("A 200 OK sdp=RE-ANSWER"));
	/* ...and a BYE ends it as any other. */
	bye(c, "A");
	CU_ASSERT(expect("B1 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_TRUE(cdr_of(s1)->final);
	CU_ASSERT_STRING_EQUAL(cdr_of(s1)->row.reason, "Caller hung up");
	CU_ASSERT_STRING_EQUAL(cdr_of(s1)->row.hangup_by, "caller");
	CU_ASSERT_STRING_EQUAL(cdr_of(s1)->row.disposition, "answered");
	CU_ASSERT_EQUAL(channels[2], 0);
}

/* A callee transfer (B1 to 3000) up to the hand-over: the caller (A) is
 * on the new call t, our re-INVITE toward it sent (*first: its body),
 * the old call's relay delete answered. */
static struct call *handed_over(char *first, size_t cap)
{
	struct call *t, *c = transfer_calling(&t);

	(void)c;
	resp(t, "B2", 200, "OK", b_sdp);
	relay_reply("answer", 1, "TO-A", 0);
	CU_ASSERT(expect("A rebound"));
	CU_ASSERT(expect("A REQ 1 body=TO-A"));
	snprintf(first, cap, "%s", last_request_body);
	relay_reply("delete", 1, NULL, 0);   /* the old call's */
	CU_ASSERT_EQUAL(call_core_count(core), 1);
	CU_ASSERT_PTR_EQUAL(call_of("A"), t);
	tr_reset();
	return t;
}

static void glare(struct call *t)
{
	resp_m(t, "A", METHOD_INVITE, 491, "Request Pending", NULL, NULL);
}

/* RFC 3261 14.1: our own re-INVITE toward the remaining party meets
 * glare (491): nothing ends; it goes again, the same offer, once
 * TIMER_RETRY fires, and its 2xx completes the hand-over. */
static void test_transfer_reinvite_glare_retried(void)
{
	char first[512];
	struct call *t = handed_over(first, sizeof(first));
	uint64_t s2 = call_serial(t);

	glare(t);
	CU_ASSERT(never("A BYE") && never("B2 BYE") && never("A REQ"));
	CU_ASSERT_EQUAL(call_core_count(core), 1);
	CU_ASSERT_EQUAL(timer_ms(t, TIMER_RETRY), 1000);
	CU_ASSERT_FALSE(cdr_of(s2)->final);
	fire_call(t, TIMER_RETRY);
	CU_ASSERT(expect("A REQ 1 body=TO-A"));
	CU_ASSERT_STRING_EQUAL(last_request_body, first);   /* the same offer */
	CU_ASSERT_PTR_NULL(timer_armed(t, TIMER_RETRY));
	resp_m(t, "A", METHOD_INVITE, 200, "OK", a_held, NULL);
	CU_ASSERT(expect("relay answer from A srtp=0"));
	relay_reply("answer", 1, "TO-B2-AGAIN", 0);
	CU_ASSERT(never("B2 REQ") && never("A 200") && never("B2 200"));
	CU_ASSERT_EQUAL(count("A REQ"), 1);
	CU_ASSERT_PTR_NULL(timer_armed(t, TIMER_RETRY));
	/* Done: the new call takes offers again. */
	call_on_request(t, leg_named("B2"), METHOD_INVITE, "application/sdp", b_sdp);
	relay_reply("offer", 1, "REOFFER", 0);
	CU_ASSERT(expect("A REQ 1 body=REOFFER"));
	resp_m(t, "A", METHOD_INVITE, 200, "OK", a_held, NULL);
	relay_reply("answer", 1, "REANSWER", 0);
	CU_ASSERT(expect("B2 200 OK sdp=REANSWER"));
	bye(t, "A");
	CU_ASSERT(expect("B2 BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_TRUE(cdr_of(s2)->final);
	CU_ASSERT_STRING_EQUAL(cdr_of(s2)->row.reason, "Caller hung up");
	CU_ASSERT_STRING_EQUAL(cdr_of(s2)->row.disposition, "answered");
}

/* Three retries; a fourth 491 ends the new call, BYE both ways. */
static void test_transfer_reinvite_glare_gives_up(void)
{
	char first[512];
	struct call *t = handed_over(first, sizeof(first));
	uint64_t s2 = call_serial(t);
	const struct cdr_seen *neu;

	for (int i = 0; i < 3; i++) {
		glare(t);
		CU_ASSERT(never("A BYE") && never("B2 BYE"));
		CU_ASSERT_EQUAL(timer_ms(t, TIMER_RETRY), 1000);
		fire_call(t, TIMER_RETRY);
		CU_ASSERT(expect("A REQ 1 body=TO-A"));
		CU_ASSERT_STRING_EQUAL(last_request_body, first);
	}
	CU_ASSERT_EQUAL(count("A REQ 1"), 3);
	glare(t);
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT(expect("B2 BYE"));
	CU_ASSERT_EQUAL(count("A REQ 1"), 3);
	CU_ASSERT_PTR_NULL(timer_armed(t, TIMER_RETRY));
	relay_reply("delete", 1, NULL, 0);
	neu = cdr_of(s2);
	CU_ASSERT_TRUE(neu->final);
	CU_ASSERT_STRING_EQUAL(neu->row.reason, "Transferee refused the new media");
	CU_ASSERT_STRING_EQUAL(neu->row.disposition, "answered");
	CU_ASSERT_STRING_EQUAL(neu->row.hangup_by, "b2bua");
	CU_ASSERT_EQUAL(call_core_count(core), 0);
}

/* The remaining party's own re-INVITE went first after the glare and is
 * still in flight when TIMER_RETRY fires: our retry waits (the timer
 * again) and goes, the same offer, once that transaction is over. */
static void test_transfer_reinvite_retry_waits_for_other_offer(void)
{
	static const char a_moved[] =
		"v=0\r\no=pbx 1 3 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		"m=audio 6004 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
	char first[512];
	struct call *t = handed_over(first, sizeof(first));
	uint64_t s2 = call_serial(t);

	glare(t);
	call_on_request(t, leg_named("A"), METHOD_INVITE, "application/sdp", a_moved);
	CU_ASSERT(expect("relay offer from A"));
	CU_ASSERT(never("A 491"));
	fire_call(t, TIMER_RETRY);
	CU_ASSERT(never("A REQ"));
	CU_ASSERT_EQUAL(timer_ms(t, TIMER_RETRY), 1000);
	relay_reply("offer", 1, "MOVED", 0);
	CU_ASSERT(expect("B2 REQ 1 body=MOVED"));
	fire_call(t, TIMER_RETRY);   /* still in flight: B2 has not answered */
	CU_ASSERT(never("A REQ"));
	CU_ASSERT_EQUAL(timer_ms(t, TIMER_RETRY), 1000);
	resp_m(t, "B2", METHOD_INVITE, 200, "OK", b_sdp, NULL);
	relay_reply("answer", 1, "MOVED-ANSWER", 0);
	CU_ASSERT(expect("A 200 OK sdp=MOVED-ANSWER"));
	CU_ASSERT(never("A REQ"));
	fire_call(t, TIMER_RETRY);
	CU_ASSERT(expect("A REQ 1 body=TO-A"));
	CU_ASSERT_EQUAL(count("A REQ"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_request_body, "a=label:TO-A"));
	CU_ASSERT_PTR_NULL(timer_armed(t, TIMER_RETRY));
	resp_m(t, "A", METHOD_INVITE, 200, "OK", a_moved, NULL);
	CU_ASSERT(expect("relay answer from A"));
	relay_reply("answer", 1, "TO-B2-AGAIN", 0);
	CU_ASSERT_EQUAL(count("A 200"), 1);
	CU_ASSERT(never("B2 REQ 1 body=TO-B2-AGAIN"));
	bye(t, "B2");
	CU_ASSERT(expect("A BYE"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_TRUE(cdr_of(s2)->final);
	CU_ASSERT_STRING_EQUAL(cdr_of(s2)->row.reason, "Callee hung up");
}

/* b2bua-ctl hangup by Call-ID while a transfer runs: the transfer's call
 * shares the remaining party's Call-ID with the call it came from, and
 * both end (CANCEL to the ringing new leg, BYE to the others), both
 * CDRs final. The new leg's own Call-ID ends the transfer alone. */
static void test_admin_hangup_by_call_id_during_transfer(void)
{
	static const struct {
		const char *name;
		const char *transferor, *remaining, *refer_to, *invite;
		const char *cid;   /* what the administrator names */
		int both;          /* the old call ends too */
	} cases[] = {
		{"callee transfers, caller's Call-ID", "B1", "A", "3000", "B2 INVITE carrier2 ruri=3000",
		 "a-call-id", 1},
		{"caller transfers, callee's Call-ID", "A", "B1", "2000", "B2 INVITE carrier2 ruri=2000",
		 "cid-B1", 1},
		{"callee transfers, new leg's Call-ID", "B1", "A", "3000", "B2 INVITE carrier2 ruri=3000",
		 "cid-B2", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const char *x = cases[i].transferor, *y = cases[i].remaining;
		struct call *c, *t;
		uint64_t s1, s2;

		if (i) {
			teardown();
			setup_relay();
		}
		c = answered_call();
		/* What the adapter reports: leg A's Call-ID is the INVITE's. */
		snprintf(leg_named("A")->call_id, sizeof(leg_named("A")->call_id), "a-call-id");
		s1 = call_serial(c);
		tr_reset();
		refer(c, x, cases[i].refer_to, 0);
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect(cases[i].invite));
		t = call_of("B2");
		s2 = call_serial(t);
		resp(t, "B2", 180, "Ringing", NULL);
		CHECK_ROW(row, call_core_hangup(core, cases[i].cid) == 0);
		CHECK_ROW(row, count("B2 CANCEL") == 1);
		CHECK_ROW(row, never("B2 BYE"));
		CHECK_ROW(row, neverf("%s rebound", y) && never("A REQ") && never("B1 REQ"));
		if (cases[i].both) {
			CHECK_ROW(row, count("A BYE") == 1);
			CHECK_ROW(row, count("B1 BYE") == 1);
			relay_drain();
			CHECK_ROW(row, cdr_of(s1)->final);
			CHECK_ROW(row, strcmp(cdr_of(s1)->row.reason, "Hung up by administrator") == 0);
			CHECK_ROW(row, strcmp(cdr_of(s1)->row.hangup_by, "b2bua") == 0);
			CHECK_ROW(row, cdr_of(s2)->final);
			CHECK_ROW(row, call_core_count(core) == 0);
		} else {
			CHECK_ROW(row, expectf("%s NOTIFY 503 final", x));
			CHECK_ROW(row, never("A BYE") && never("B1 BYE"));
			relay_drain();
			CHECK_ROW(row, cdr_of(s2)->final);
			CHECK_ROW(row, !cdr_of(s1)->final);
			CHECK_ROW(row, call_core_count(core) == 1);
			bye(c, y);
			CHECK_ROW(row, expectf("%s BYE", x));
			relay_drain();
			CHECK_ROW(row, cdr_of(s1)->final);
		}
		CHECK_ROW(row, strcmp(cdr_of(s2)->row.transfer_of, "a-call-id") == 0);
		/* The new call's CDR has the Call-ID named: the remaining
		 * party's (as the old call's has), or its new leg's. */
		CHECK_ROW(row, strcmp(cases[i].both ? cdr_of(s2)->row.call_id : cdr_of(s2)->row.b_call_id,
				      cases[i].cid) == 0);
		CHECK_ROW(row, channels[2] == 0 && channels[3] == 0);
	}
}

/* The trunk channels follow the parties: when the caller transfers, the
 * remaining party is the callee on carrier1 and its channel moves to the
 * new call (1 while it lives, 0 once it ends); when the callee
 * transfers, carrier1's channel goes with the old call. */
static void test_transfer_channels_follow_remaining_party(void)
{
	static const struct {
		const char *name;
		const char *transferor, *remaining, *refer_to, *invite;
		int carrier1_after;   /* channels[2] while the new call lives */
	} cases[] = {
		{"caller transfers", "A", "B1", "2000", "B2 INVITE carrier2 ruri=2000", 1},
		{"callee transfers", "B1", "A", "3000", "B2 INVITE carrier2 ruri=3000", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *row = cases[i].name;
		const char *x = cases[i].transferor, *y = cases[i].remaining;
		struct call *c, *t;
		uint64_t s1, s2;

		if (i) {
			teardown();
			setup_relay();
		}
		c = answered_call();
		s1 = call_serial(c);
		CHECK_ROW(row, channels[1] == 0 && channels[2] == 1 && channels[3] == 0);
		tr_reset();
		refer(c, x, cases[i].refer_to, 0);
		relay_reply("offer", 1, "TO-B2", 0);
		CHECK_ROW(row, expect(cases[i].invite));
		t = call_of("B2");
		s2 = call_serial(t);
		CHECK_ROW(row, channels[1] == 0 && channels[2] == 1 && channels[3] == 1);
		resp(t, "B2", 200, "OK", b_sdp);
		relay_reply("answer", 1, "TO-REMAINING", 0);
		CHECK_ROW(row, expectf("%s rebound", y));
		CHECK_ROW(row, expectf("%s BYE", x));
		relay_reply("delete", 1, NULL, 0);   /* the old call's */
		CHECK_ROW(row, cdr_of(s1)->final);
		CHECK_ROW(row, call_core_count(core) == 1);
		CHECK_ROW(row, channels[1] == 0);
		CHECK_ROW(row, channels[2] == cases[i].carrier1_after);
		CHECK_ROW(row, channels[3] == 1);
		resp_m(t, y, METHOD_INVITE, 200, "OK", y[0] == 'A' ? a_held : b_held, NULL);
		relay_reply("answer", 1, "TO-B2-AGAIN", 0);
		CHECK_ROW(row, channels[2] == cases[i].carrier1_after && channels[3] == 1);
		bye(t, y);
		CHECK_ROW(row, expect("B2 BYE"));
		relay_reply("delete", 1, NULL, 0);
		CHECK_ROW(row, cdr_of(s2)->final);
		CHECK_ROW(row, channels[1] == 0 && channels[2] == 0 && channels[3] == 0);
	}
}

/* Without a relay the new leg could not be given the remaining party's
 * media: the REFER is refused. */
static void test_refer_without_relay_is_403(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	resp(c, "B1", 200, "OK", b_sdp);
	CU_ASSERT(expect("A 200 OK"));
	refer(c, "B1", "3000", 0);
	CU_ASSERT(expect("B1 403 to 4"));
	CU_ASSERT_STRING_EQUAL(last_req_reason, "Transfer Not Allowed");
	CU_ASSERT(never("B1 NOTIFY"));
	CU_ASSERT(never("B2 INVITE"));
	bye(c, "B1");
	CU_ASSERT(expect("A BYE"));
	CU_ASSERT_TRUE(cdr_final);
}

UNIT_SUITE_FIXTURE(call_norelay, suite_init, suite_cleanup, setup_no_relay, teardown,
	UNIT_TEST(test_without_relay_media_unchanged_sdp_still_ours),
	UNIT_TEST(test_late_offer_without_relay),
	UNIT_TEST(test_late_offer_prack_without_relay),
	UNIT_TEST(test_refer_without_relay_is_403))

UNIT_SUITE_FIXTURE(call, suite_init, suite_cleanup, setup_relay, teardown,
	UNIT_TEST(test_calls_list_and_json_from_one_view),
	UNIT_TEST(test_answered_call_caller_hangs_up),
	UNIT_TEST(test_callee_hangs_up),
	UNIT_TEST(test_busy_goes_back_without_failover),
	UNIT_TEST(test_failover_after_503),
	UNIT_TEST(test_all_routes_fail_best_code_wins),
	UNIT_TEST(test_unreachable_trunk_is_ours),
	UNIT_TEST(test_stats_count_answers_when_they_happen),
	UNIT_TEST(test_attempts_recorded_with_their_cause),
	UNIT_TEST(test_attempt_ended_with_the_call),
	UNIT_TEST(test_trunk_timer_stops_at_first_reply),
	UNIT_TEST(test_no_route_is_404),
	UNIT_TEST(test_avpf_offer_by_trunk_policy),
	UNIT_TEST(test_answer_to_avpf_offer_keeps_profile),
	UNIT_TEST(test_unknown_source_is_403_without_cdr),
	UNIT_TEST(test_max_forwards_zero_is_483),
	UNIT_TEST(test_cancel_while_ringing),
	UNIT_TEST(test_early_media_goes_through_relay),
	UNIT_TEST(test_early_media_relay_refusal_sends_18x_alone),
	UNIT_TEST(test_channel_limit_skips_to_next_route),
	UNIT_TEST(test_down_trunk_skipped_at_once),
	UNIT_TEST(test_every_trunk_down_is_408_at_once),
	UNIT_TEST(test_down_trunk_loses_to_real_failure),
	UNIT_TEST(test_all_routes_over_limit_is_503),
	UNIT_TEST(test_draining_refuses_with_retry_after),
	UNIT_TEST(test_reinvite_relayed_and_glare_is_491),
	UNIT_TEST(test_481_to_relayed_request_ends_call),
	UNIT_TEST(test_request_before_answer_is_491),
	UNIT_TEST(test_leg_death_tears_down_other_leg),
	UNIT_TEST(test_relay_refusal_fails_call),
	UNIT_TEST(test_relay_sdp_refusal_is_488),
	UNIT_TEST(test_relay_requests_name_interfaces_and_family),
	UNIT_TEST(test_relay_requests_default_interface),
	UNIT_TEST(test_relay_unreachable_answers_503),
	UNIT_TEST(test_media_timeout_ends_call),
	UNIT_TEST(test_relay_that_lost_the_call_ends_it),
	UNIT_TEST(test_cancel_while_relay_answers),
	UNIT_TEST(test_caller_bye_while_ringing_cancels_trunk),
	UNIT_TEST(test_no_ack_from_caller_ends_call),
	UNIT_TEST(test_trunk_timeout_releases_leg_before_next_route),
	UNIT_TEST(test_relay_completion_after_admin_hangup),
	UNIT_TEST(test_challenge_answered_once_for_trunk_realm),
	UNIT_TEST(test_challenge_from_foreign_realm_not_answered),
	UNIT_TEST(test_relay_gets_latch_policy_and_sip_address_per_side),
	UNIT_TEST(test_sdp_sent_is_ours),
	UNIT_TEST(test_identity_toward_untrusted_trunk),
	UNIT_TEST(test_identity_toward_trusted_trunk),
	UNIT_TEST(test_privacy_id_toward_untrusted_trunk),
	UNIT_TEST(test_privacy_id_toward_trusted_trunk),
	UNIT_TEST(test_malformed_offer_is_400_before_routing),
	UNIT_TEST(test_leak_guard_stops_every_sdp_line),
	UNIT_TEST(test_leak_guard_passes_clean_sdp),
	UNIT_TEST(test_leak_guard_stops_headers),
	UNIT_TEST(test_leak_guard_reason_and_info),
	UNIT_TEST(test_body_not_sdp_is_415),
	UNIT_TEST(test_accept_without_sdp_is_406),
	UNIT_TEST(test_long_numbers_are_refused),
	UNIT_TEST(test_malformed_answer_fails_call_and_byes_trunk),
	UNIT_TEST(test_malformed_early_answer_gives_18x_alone),
	UNIT_TEST(test_malformed_reoffer_is_400),
	UNIT_TEST(test_srtp_policy_of_caller_trunk_is_488),
	UNIT_TEST(test_max_duration_ends_call),
	UNIT_TEST(test_no_answer_timer_is_480),
	UNIT_TEST(test_admin_hangup_by_call_id),
	UNIT_TEST(test_plain_answer_from_srtp_trunk_is_488),
	UNIT_TEST(test_reinvite_keeps_srtp_toward_trunk),
	UNIT_TEST(test_plain_early_media_from_srtp_trunk_not_relayed),
	UNIT_TEST(test_late_offer_through_relay),
	UNIT_TEST(test_late_offer_early_sdp_not_passed),
	UNIT_TEST(test_late_offer_ack_without_answer_ends_call),
	UNIT_TEST(test_late_offer_answer_refused_by_relay_ends_call),
	UNIT_TEST(test_late_offer_relay_refuses_offer_fails_call),
	UNIT_TEST(test_late_offer_trunk_2xx_without_offer_fails),
	UNIT_TEST(test_late_offer_meets_trunk_codecs),
	UNIT_TEST(test_late_offer_reinvite_from_trunk),
	UNIT_TEST(test_late_offer_reinvite_answered_without_sdp),
	UNIT_TEST(test_late_offer_answered_in_prack),
	UNIT_TEST(test_late_offer_prack_failures),
	UNIT_TEST(test_late_offer_never_pracked),
	UNIT_TEST(test_late_offer_trunk_answers_before_prack),
	UNIT_TEST(test_late_offer_no_failover_after_early_answer),
	UNIT_TEST(test_late_offer_caller_without_100rel),
	UNIT_TEST(test_answer_waits_for_callers_prack),
	UNIT_TEST(test_early_update_relayed_when_both_ready),
	UNIT_TEST(test_answer_waits_for_every_prack),
	UNIT_TEST(test_no_prack_fails_call_and_byes_trunk),
	UNIT_TEST(test_no_100rel_nothing_waits),
	UNIT_TEST(test_no_answer_timer_while_answer_held),
	UNIT_TEST(test_rel100_by_trunk_and_caller),
	UNIT_TEST(test_rel100_refusals),
	UNIT_TEST(test_leg_b_gets_trunks_dialog_policy),
	UNIT_TEST(test_refresh_update_answered_on_its_leg),
	UNIT_TEST(test_session_expiry_ends_both_legs),
	UNIT_TEST(test_provisionals_relayed_as_they_are),
	UNIT_TEST(test_redirect_tries_next_route_never_reaches_caller),
	UNIT_TEST(test_redirect_follow_tries_named_trunk),
	UNIT_TEST(test_redirect_follow_not_our_trunk_next_route),
	UNIT_TEST(test_redirect_follow_failed_rest_gets_dialled_number),
	UNIT_TEST(test_redirect_follow_loop_stops_after_three),
	UNIT_TEST(test_redirect_next_policy_does_not_follow),
	UNIT_TEST(test_redirect_follow_trunk_over_limits_skipped),
	UNIT_TEST(test_reason_of_trusted_trunk_passes),
	UNIT_TEST(test_reason_of_untrusted_trunk_kept_not_passed),
	UNIT_TEST(test_reason_not_passed_when_trust_reason_off),
	UNIT_TEST(test_reason_naming_other_side_not_passed),
	UNIT_TEST(test_q850_of_failure_response_in_cdr),
	UNIT_TEST(test_transfer_hands_remaining_party_over),
	UNIT_TEST(test_transfer_offers_sdp_the_relay_took),
	UNIT_TEST(test_transfer_keeps_remaining_party_interface),
	UNIT_TEST(test_refer_refused),
	UNIT_TEST(test_refer_number_too_long_after_rules),
	UNIT_TEST(test_requests_while_transfer_runs),
	UNIT_TEST(test_transfer_target_fails_call_goes_on),
	UNIT_TEST(test_blind_transferor_leaves),
	UNIT_TEST(test_remaining_party_leaves_transfer_abandoned),
	UNIT_TEST(test_transfer_reinvite_fails_ends_new_call),
	UNIT_TEST(test_hangup_all_during_transfer),
	UNIT_TEST(test_transfer_answer_without_sdp_fails),
	UNIT_TEST(test_transfer_reinvite_glare_retried),
	UNIT_TEST(test_transfer_reinvite_glare_gives_up),
	UNIT_TEST(test_transfer_reinvite_retry_waits_for_other_offer),
	UNIT_TEST(test_admin_hangup_by_call_id_during_transfer),
	UNIT_TEST(test_transfer_channels_follow_remaining_party))
