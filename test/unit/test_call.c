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
#include "unit.h"
#include "call.h"
#include "cdr_store.h"

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

static void fake_respond(struct leg *l, int code, const char *reason, const char *sdp, int retry_after)
{
	char name[64];

	held(l);
	snprintf(last_respond_sdp, sizeof(last_respond_sdp), "%s", sdp ? sdp : "");
	note("%s %d %s%s%s%s", l->name, code, reason, sdp ? " sdp=" : "", sdp_name(sdp, name, sizeof(name)),
	     retry_after ? " retry-after" : "");
}

static void fake_respond_req(struct leg *l, int method, int code, const char *reason,
			     const char *ctype, const char *body)
{
	char name[64];

	(void)reason;
	(void)ctype;
	held(l);
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
	.invite = fake_invite, .respond = fake_respond, .respond_req = fake_respond_req,
	.authenticate = fake_authenticate, .cancel = fake_cancel, .ack = fake_ack, .bye = fake_bye,
	.request = fake_request, .call_id = fake_call_id, .release = fake_release,
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

static char last_latch[16], last_peer[64], last_relay_sdp[1024];

static void relay_note(const char *what, const struct relay_sdp *s)
{
	snprintf(last_relay_sdp, sizeof(last_relay_sdp), "%s", s->sdp ? s->sdp : "");
	snprintf(last_latch, sizeof(last_latch), "%s", s->latch ? s->latch : "");
	snprintf(last_peer, sizeof(last_peer), "%s", s->peer ? s->peer : "");
	note("relay %s from %c srtp=%d", what, s->side == SIDE_A ? 'A' : 'B', s->to_srtp);
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

/* ---- fake timers and limits ---- */

/* Like su timers: an armed timer holds a reference on its call. */
static int64_t timers[TIMER__N];
static struct call *timer_call[TIMER__N];

static void fake_timer_cancel(void *ctx, struct call *c, enum call_timer t)
{
	(void)ctx;
	(void)c;
	timers[t] = 0;
	if (timer_call[t]) {
		struct call *held_call = timer_call[t];

		timer_call[t] = NULL;
		call_unref(held_call);
	}
}

static void fake_timer_set(void *ctx, struct call *c, enum call_timer t, int64_t ms)
{
	fake_timer_cancel(ctx, c, t);
	timers[t] = ms;
	timer_call[t] = call_ref(c);
}

/* Fires an armed timer the way sip_leg.c does. */
static void fire(enum call_timer t)
{
	struct call *c = timer_call[t];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	timer_call[t] = NULL;
	timers[t] = 0;
	call_on_timer(c, t);
	call_unref(c);
}

static const struct timer_ops fake_timers = {.set = fake_timer_set, .cancel = fake_timer_cancel};

static int deny_trunk;        /* trunk id over its limits */
static int channels[8];

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

/* ---- CDR sink ---- */

static struct cdr_row cdr;
static int cdr_final, cdr_events;

static void fake_cdr(void *ctx, uint64_t serial, const struct cdr_row *row, int final)
{
	(void)ctx;
	(void)serial;
	CU_ASSERT_FALSE(cdr_final);   /* nothing after the final event */
	cdr = *row;
	cdr_final = final;
	cdr_events++;
}

/* ---- the policy fixture ---- */

/* What the next invite_from() carries besides its number (reset by setup). */
static const char *inv_display, *inv_pai, *inv_privacy, *inv_to;
static int inv_body_not_sdp, inv_refuses_sdp, inv_rel100;
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
	"UPDATE trunks SET trusted = 1 WHERE id = 3;"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority)"
	" VALUES (3, 'out', 'display', '^(.+)$', '$1', 1);"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.2/32'), (2, '127.0.0.3/32'),"
	" (3, '127.0.0.4/32'), (4, '127.0.0.5/32'), (5, '127.0.0.6/32');"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (1, '1', 2, 1, 100, 1), (1, '1', 3, 2, 100, 1), (1, '2', 3, 1, 100, 1),"
	" (NULL, '4', 1, 1, 100, 1), (1, '5', 4, 1, 100, 1), (1, '6', 5, 1, 100, 1), (1, '7', 6, 1, 100, 1);"
	"INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee)"
	" VALUES ('1', 2, 0.60, 6, 6, 0.0);";

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
	memset(timers, 0, sizeof(timers));
	memset(timer_call, 0, sizeof(timer_call));
	memset(channels, 0, sizeof(channels));
	memset(&cdr, 0, sizeof(cdr));
	tr_reset();
	inv_display = inv_pai = inv_privacy = inv_to = NULL;
	inv_body_not_sdp = inv_refuses_sdp = inv_rel100 = 0;
	inv_from_tag = inv_via_host = NULL;
	nb = nrq = relay_fail = deny_trunk = cdr_final = cdr_events = 0;
	CU_ASSERT_EQUAL_FATAL(policy_load(&p, db_path, err, sizeof(err)), 0);
	memset(&env, 0, sizeof(env));
	env.leg = &fake_legs;
	env.relay = use_relay ? &fake_relay : NULL;
	env.timer = &fake_timers;
	env.limits = &fake_limits;
	env.cdr = fake_cdr;
	env.node = "test";
	env.trunk_timeout_ms = 2000;
	env.no_answer_ms = 60000;
	env.max_duration_ms = 3600000;
	env.rnd = first_rnd;
	CU_ASSERT_EQUAL_FATAL(call_core_new(&core, &env, p), 0);
}

/* Every test ends its calls: nothing may be left behind. */
static void teardown(void)
{
	CU_ASSERT_EQUAL(call_core_count(core), 0);
	CU_ASSERT_EQUAL(nrq, 0);
	for (size_t i = 0; i < sizeof(legs) / sizeof(legs[0]); i++)
		CU_ASSERT_FALSE(legs[i].in_use);
	for (int t = 0; t < TIMER__N; t++)
		CU_ASSERT_PTR_NULL(timer_call[t]);
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
	inv.from_tag = inv_from_tag;
	inv.via_host = inv_via_host;
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
	CU_ASSERT(timers[TIMER_MAX_DURATION] == 3600000);
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

static void test_all_routes_fail_best_code_wins(void)
{
	struct call *c = invite_from("127.0.0.2", "15551234", 70, offer_sdp);

	relay_reply("offer", 1, "X", 0);
	/* carrier1 never answers: the trunk timer gives up on it... */
	CU_ASSERT_EQUAL(timers[TIMER_TRUNK], 2000);
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
	CU_ASSERT_EQUAL(timers[TIMER_TRUNK], 0);   /* cancelled by 100 */
	CU_ASSERT_PTR_NULL(timer_call[TIMER_TRUNK]);
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


/* ---- 100rel toward the caller (RFC 3262) ---- */

/* A caller that requires 100rel gets our 2xx only once it has PRACKed
 * our reliable 18x (nua would hold it, and the CDR would say answered). */
static void test_answer_waits_for_callers_prack(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	CU_ASSERT(expect("A 180 Ringing"));
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(never("A 200"));
	CU_ASSERT(cdr.answer_ms == 0);
	call_on_prack(c, leg_named("A"));
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	CU_ASSERT(cdr.answer_ms > 0);
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.disposition, "answered");
}

/* Two reliable 18x: the 2xx waits for both PRACKs. */
static void test_answer_waits_for_every_prack(void)
{
	struct call *c;

	inv_rel100 = 1;
	c = ringing_call();
	resp(c, "B1", 180, "Ringing", NULL);
	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	call_on_prack(c, leg_named("A"));
	CU_ASSERT(never("A 200"));
	call_on_prack(c, leg_named("A"));
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

	resp(c, "B1", 200, "OK", b_sdp);
	relay_reply("answer", 1, "SDP-TO-A", 0);
	CU_ASSERT(expect("A 200 OK sdp=SDP-TO-A"));
	ack(c);
	bye(c, "A");
	relay_reply("delete", 1, NULL, 0);
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
	CU_ASSERT(never("A 30"));
	relay_reply("delete", 1, NULL, 0);
	CU_ASSERT_STRING_EQUAL(cdr.reason, "Redirection Not Followed");
	CU_ASSERT_EQUAL(cdr.sip_code, 480);
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

UNIT_SUITE_FIXTURE(call_norelay, suite_init, suite_cleanup, setup_no_relay, teardown,
	UNIT_TEST(test_without_relay_media_unchanged_sdp_still_ours),
	UNIT_TEST(test_late_offer_without_relay))

UNIT_SUITE_FIXTURE(call, suite_init, suite_cleanup, setup_relay, teardown,
	UNIT_TEST(test_answered_call_caller_hangs_up),
	UNIT_TEST(test_callee_hangs_up),
	UNIT_TEST(test_busy_goes_back_without_failover),
	UNIT_TEST(test_failover_after_503),
	UNIT_TEST(test_all_routes_fail_best_code_wins),
	UNIT_TEST(test_trunk_timer_stops_at_first_reply),
	UNIT_TEST(test_no_route_is_404),
	UNIT_TEST(test_unknown_source_is_403_without_cdr),
	UNIT_TEST(test_max_forwards_zero_is_483),
	UNIT_TEST(test_cancel_while_ringing),
	UNIT_TEST(test_early_media_goes_through_relay),
	UNIT_TEST(test_early_media_relay_refusal_sends_18x_alone),
	UNIT_TEST(test_channel_limit_skips_to_next_route),
	UNIT_TEST(test_all_routes_over_limit_is_503),
	UNIT_TEST(test_draining_refuses_with_retry_after),
	UNIT_TEST(test_reinvite_relayed_and_glare_is_491),
	UNIT_TEST(test_481_to_relayed_request_ends_call),
	UNIT_TEST(test_request_before_answer_is_491),
	UNIT_TEST(test_leg_death_tears_down_other_leg),
	UNIT_TEST(test_relay_refusal_fails_call),
	UNIT_TEST(test_relay_sdp_refusal_is_488),
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
	UNIT_TEST(test_answer_waits_for_callers_prack),
	UNIT_TEST(test_answer_waits_for_every_prack),
	UNIT_TEST(test_no_prack_fails_call_and_byes_trunk),
	UNIT_TEST(test_no_100rel_nothing_waits),
	UNIT_TEST(test_no_answer_timer_while_answer_held),
	UNIT_TEST(test_refresh_update_answered_on_its_leg),
	UNIT_TEST(test_session_expiry_ends_both_legs),
	UNIT_TEST(test_provisionals_relayed_as_they_are),
	UNIT_TEST(test_redirect_tries_next_route_never_reaches_caller),
	UNIT_TEST(test_reason_of_trusted_trunk_passes),
	UNIT_TEST(test_reason_of_untrusted_trunk_kept_not_passed),
	UNIT_TEST(test_reason_naming_other_side_not_passed),
	UNIT_TEST(test_q850_of_failure_response_in_cdr))
