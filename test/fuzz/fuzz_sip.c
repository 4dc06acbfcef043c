/*
 * fuzz_sip.c - SIP messages as the b2bua receives them: Sofia's parser
 * (the same extended message class the daemon's nta uses), then what
 * sip_leg.c does with what nta lets through: sip_read_invite() into
 * call_on_invite() of a real call core over a real policy, then each
 * later message as an event of that call (a response on leg B through
 * sip_read_realm()/sip_read_body(), a request on leg A or B), with the
 * relay's replies and timers in between.
 *
 * Input: up to 8 messages separated by FUZZ_SEP. The first is the
 * INVITE (from 127.0.0.2, a trusted trunk); a later part that is not a
 * message may name an event: "!trunk", "!noanswer", "!max" fire a timer,
 * "!relayfail" fails the next relay request, "!hangup" is the admin's.
 * Properties: the core never uses a leg it released (each leg is
 * released once), every call ends when everything is hung up, and no
 * relay request or timer is left holding a call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <unistd.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include "fuzz.h"
#include "call.h"
#include "cdr_store.h"
#include "log.h"
#include "policy.h"
#include "sip_read.h"

struct leg {
	struct call *call;
	int in_use, released;
	char call_id[16];
};

static struct leg legs[8];
static struct leg *leg_b;     /* the latest B leg */
static int nlegs;

static struct leg *leg_alloc(void)
{
	struct leg *l;

	FUZZ_REQUIRE(nlegs < (int)(sizeof(legs) / sizeof(legs[0])));
	l = &legs[nlegs];
	memset(l, 0, sizeof(*l));
	l->in_use = 1;
	snprintf(l->call_id, sizeof(l->call_id), "leg-%d", nlegs);
	nlegs++;
	return l;
}

static void held(const struct leg *l)
{
	FUZZ_REQUIRE(l && l->in_use && !l->released);
}

static struct leg *op_invite(void *ctx, struct call *c, const struct leg_invite *inv)
{
	(void)ctx;
	FUZZ_REQUIRE(inv->trunk && inv->ruri_user && inv->from_user && inv->to_user);
	FUZZ_REQUIRE(!inv->sdp || !strpbrk(inv->ruri_user, "\r\n"));
	if (nlegs >= (int)(sizeof(legs) / sizeof(legs[0])))
		return NULL;
	leg_b = leg_alloc();
	leg_b->call = call_ref(c);
	return leg_b;
}

static void op_respond(struct leg *l, int code, const char *reason, const char *sdp, int retry_after,
		       int reliable)
{
	(void)sdp;
	(void)retry_after;
	held(l);
	FUZZ_REQUIRE(code >= 100 && code < 700 && reason);
	FUZZ_REQUIRE(!reliable || (code > 100 && code < 200));
}

static void op_configure(struct leg *l, enum policy_rel100 rel100, int session_expires)
{
	(void)rel100;
	held(l);
	FUZZ_REQUIRE(session_expires >= -1);
}

static void op_respond_req(struct leg *l, int method, int code, const char *reason, const char *ctype,
			   const char *body)
{
	(void)method;
	(void)ctype;
	(void)body;
	held(l);
	FUZZ_REQUIRE(code >= 100 && code < 700 && reason);
}

static void op_authenticate(struct leg *l, const char *realm, const char *user, const char *password)
{
	(void)realm;
	(void)user;
	(void)password;
	held(l);
}

/* CANCEL and BYE: a Reason we pass on is one we rebuilt. */
static void op_leg(struct leg *l, const char *reason)
{
	held(l);
	FUZZ_REQUIRE(!reason || strncmp(reason, "Q.850;cause=", 12) == 0 || strncmp(reason, "SIP;cause=", 10) == 0);
	FUZZ_REQUIRE(!reason || !strpbrk(reason, "\r\n"));
}

static void op_request(struct leg *l, int method, const char *ctype, const char *body)
{
	(void)method;
	(void)ctype;
	(void)body;
	held(l);
}

static void op_ack(struct leg *l, const char *sdp)
{
	(void)sdp;
	held(l);
}

static const char *op_call_id(struct leg *l)
{
	held(l);
	return l->call_id;
}

static void op_release(struct leg *l)
{
	struct call *c = l->call;

	held(l);
	l->released = 1;
	l->call = NULL;
	if (c)
		call_unref(c);
}

static void op_notify(struct leg *l, int code, int final)
{
	(void)final;
	held(l);
	FUZZ_REQUIRE(code >= 100 && code < 700);
}

/* A transfer moves a leg to its new call. */
static void op_rebind(struct leg *l, struct call *c)
{
	struct call *old = l->call;

	held(l);
	l->call = call_ref(c);
	call_unref(old);
}

static const struct leg_ops leg_ops = {
	.invite = op_invite, .respond = op_respond, .configure = op_configure, .respond_req = op_respond_req,
	.authenticate = op_authenticate, .cancel = op_leg, .ack = op_ack, .bye = op_leg,
	.request = op_request, .notify = op_notify, .rebind = op_rebind,
	.call_id = op_call_id, .release = op_release,
};

/* The relay: requests wait, then are answered in order (the offered SDP
 * comes back as the relay's). */
struct pending {
	struct call *c;
	relay_done_fn done;
	char *sdp;
};
static struct pending rq[16];
static int nrq, relay_fail;

static int relay_push(struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	if (relay_fail || nrq == (int)(sizeof(rq) / sizeof(rq[0]))) {
		relay_fail = 0;
		return -1;
	}
	rq[nrq].c = c;
	rq[nrq].done = done;
	rq[nrq].sdp = s && s->sdp ? strdup(s->sdp) : NULL;
	nrq++;
	return 0;
}

static int op_offer(void *ctx, struct call *c, const struct relay_sdp *s, relay_done_fn done)
{
	(void)ctx;
	FUZZ_REQUIRE(s->sdp != NULL);
	return relay_push(c, s, done);
}

static int op_delete(void *ctx, struct call *c, relay_done_fn done)
{
	(void)ctx;
	return relay_push(c, NULL, done);
}

static const struct relay_ops relay_ops = {
	.offer = op_offer, .answer = op_offer, .delete = op_delete, .query = op_delete,
};

static void relay_flush(int fail_next)
{
	while (nrq) {
		struct pending p = rq[0];
		struct relay_result r = {.err = fail_next ? RELAY_E_REFUSED : RELAY_OK, .sdp = p.sdp,
					 .codec = "PCMA"};

		fail_next = 0;
		memmove(rq, rq + 1, (size_t)(nrq - 1) * sizeof(rq[0]));
		nrq--;
		p.done(p.c, &r);
		free(p.sdp);
	}
}

/* Armed timers, each holding a reference on its call (a transfer makes
 * a second call with timers of its own). */
static struct armed {
	struct call *c;
	enum call_timer t;
} armed[8];

static void op_timer_cancel(void *ctx, struct call *c, enum call_timer t)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(armed) / sizeof(armed[0]); i++)
		if (armed[i].c == c && armed[i].t == t) {
			armed[i].c = NULL;
			call_unref(c);
		}
}

static void op_timer_set(void *ctx, struct call *c, enum call_timer t, int64_t ms)
{
	(void)ms;
	op_timer_cancel(ctx, c, t);
	for (size_t i = 0; i < sizeof(armed) / sizeof(armed[0]); i++)
		if (!armed[i].c) {
			armed[i].c = call_ref(c);
			armed[i].t = t;
			return;
		}
	FUZZ_REQUIRE(0);   /* more timers than calls can arm */
}

static const struct timer_ops timer_ops = {.set = op_timer_set, .cancel = op_timer_cancel};

/* Fires every armed timer of kind t. */
static void fire(enum call_timer t)
{
	for (size_t i = 0; i < sizeof(armed) / sizeof(armed[0]); i++) {
		struct call *c = armed[i].c;

		if (!c || armed[i].t != t)
			continue;
		armed[i].c = NULL;
		call_on_timer(c, t);
		call_unref(c);
	}
}

static int op_take(void *ctx, const struct policy_trunk *t)
{
	(void)ctx;
	(void)t;
	return 0;
}

static void op_give(void *ctx, const struct policy_trunk *t)
{
	(void)ctx;
	(void)t;
}

static const struct call_limits_ops limits_ops = {.take = op_take, .give = op_give};

static void op_cdr(void *ctx, uint64_t serial, const struct cdr_row *row, int final)
{
	(void)ctx;
	(void)serial;
	(void)final;
	FUZZ_REQUIRE(row != NULL);
}

static unsigned first(void *arg)
{
	(void)arg;
	return 0;
}

/* A trusted PBX (127.0.0.2) whose calls go anywhere, first to carrier1,
 * then carrier2 (trusted, with a display rule); numbers normalised both
 * ways; every trunk's REFER carried out (each carrier transfers to the
 * other); every 3xx Contact naming a trunk is followed. */
static const char *policy_sql =
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp,"
	" options_ping_s, enabled, trusted) VALUES"
	" (1, 'pbx', '127.0.0.2', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 1),"
	" (2, 'carrier1', '127.0.0.3', 5080, 'udp', 0, 0, 0, 'PCMA,PCMU,telephone-event', 'optional', 0, 1, 0),"
	" (3, 'carrier2', '127.0.0.4', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 1, 1);"
	"UPDATE trunks SET username = 'u', password = 'p', realm = 'carrier.example' WHERE id = 2;"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.2/32'), (2, '127.0.0.3/32'),"
	" (3, '127.0.0.4/32');"
	"INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)"
	" VALUES (1, '', 2, 1, 100, 1), (1, '', 3, 2, 100, 1), (2, '', 3, 1, 100, 1), (3, '', 2, 1, 100, 1);"
	"UPDATE trunks SET refer = 'local', redirect = 'follow';"
	"INSERT INTO number_rules (trunk_id, direction, field, match, replace, priority) VALUES"
	" (1, 'in', 'ruri', '^0([1-9]\\d+)$', '+49$1', 1), (3, 'out', 'display', '^(.+)$', '$1', 1),"
	" (NULL, 'out', 'pai', '^\\+(\\d+)$', '$1', 1);"
	"INSERT INTO header_rules (trunk_id, direction, action, header, match, value, priority) VALUES"
	" (NULL, 'out', 'replace', 'Privacy', 'header', 'id', 1);";

static struct call_core *core;
static char db_path[64];

static void cleanup(void)
{
	char p[96];

	call_core_free(core);
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static void init(void)
{
	struct call_env env = {0};
	struct cdr_store *store;
	struct policy *p;
	sqlite3 *db;
	char err[256];
	int fd;

	if (core)
		return;
	snprintf(db_path, sizeof(db_path), "/tmp/fuzz_sip_XXXXXX");
	fd = mkstemp(db_path);
	FUZZ_REQUIRE(fd >= 0);
	close(fd);
	FUZZ_REQUIRE(cdr_store_open(&store, db_path, err, sizeof(err)) == 0);
	cdr_store_close(store);
	FUZZ_REQUIRE(sqlite3_open(db_path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, policy_sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_sip policy: %s\n", sqlite3_errmsg(db));
		abort();
	}
	sqlite3_close(db);
	if (policy_load(&p, db_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_sip policy: %s\n", err);
		abort();
	}
	env.leg = &leg_ops;
	env.relay = &relay_ops;
	env.timer = &timer_ops;
	env.limits = &limits_ops;
	env.cdr = op_cdr;
	env.node = "fuzz";
	env.trunk_timeout_ms = 2000;
	env.no_answer_ms = 60000;
	env.max_duration_ms = 3600000;
	env.rnd = first;
	FUZZ_REQUIRE(call_core_new(&core, &env, p) == 0);
	atexit(cleanup);
#ifdef FUZZ_LIBFUZZER
	log_setup("fuzz_sip", LOG_LVL_ERROR, 1);
#endif
}

/* What nta itself refuses never reaches nua or us. */
static msg_t *parse(const uint8_t *d, size_t n)
{
	msg_t *m = msg_make(sip_read_mclass(), 0, d, (ssize_t)n);
	sip_t *sip = m ? sip_object(m) : NULL;

	if (!sip || msg_has_error(m) || sip->sip_error || !sip->sip_cseq || !sip->sip_call_id ||
	    !sip->sip_from || !sip->sip_to || (!sip->sip_request && !sip->sip_status) ||
	    (sip->sip_request && !sip->sip_via)) {
		msg_destroy(m);
		return NULL;
	}
	return m;
}

static int method_of(const sip_t *sip)
{
	sip_method_t m = sip->sip_request ? sip->sip_request->rq_method : sip->sip_cseq->cs_method;

	return m == sip_method_invite ? METHOD_INVITE : m == sip_method_update ? METHOD_UPDATE : METHOD_INFO;
}

/* A response on the newest B leg, as on_response() in sip_leg.c makes it. */
static void response(const sip_t *sip)
{
	struct leg_response r = {0};
	char realm[128] = "", cuser[CALL_MAX_USER], chost[256];
	char *body;
	int status = sip->sip_status->st_status;

	if (!leg_b || leg_b->released || !leg_b->call || status < 100 || status >= 700)
		return;
	if (sip->sip_cseq->cs_method != sip_method_invite && sip->sip_cseq->cs_method != sip_method_update &&
	    sip->sip_cseq->cs_method != sip_method_info)
		return;
	if (status == 401 || status == 407)
		sip_read_realm(sip, status, realm, sizeof(realm));
	if (status >= 300 && status < 400) {
		sip_read_contact(sip, &r, cuser, sizeof(cuser), chost, sizeof(chost));
		FUZZ_REQUIRE(!r.contact_host || (*r.contact_host && !strpbrk(r.contact_host, "[]@;<> \r\n")));
		FUZZ_REQUIRE(!r.contact_user || !strpbrk(r.contact_user, "@;<> \r\n"));
	}
	body = sip_read_body(sip);
	r.method = method_of(sip);
	r.code = status;
	r.reason = sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "";
	r.ctype = sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	r.body = body;
	r.sdp = sip_read_is_sdp(sip) ? body : NULL;
	r.realm = realm;
	if (status >= 300) {
		struct leg_reason why;
		char buf[128];

		sip_read_reason(sip, &why, buf, sizeof(buf));
		r.q850 = why.q850;
	}
	call_on_response(leg_b->call, leg_b, &r);
	free(body);
}

/* A request in the dialog of leg A (odd CSeq) or the newest B (even),
 * to the call that holds the leg now. */
static void request(const sip_t *sip)
{
	struct leg *l = sip->sip_cseq->cs_seq % 2 ? &legs[0] : leg_b;
	struct leg_reason why;
	struct leg_refer refer;
	char why_buf[128];
	struct call *c;
	char *body;

	if (!l || l->released || !l->in_use || !(c = l->call))
		return;
	switch (sip->sip_request->rq_method) {
	case sip_method_bye:
		sip_read_reason(sip, &why, why_buf, sizeof(why_buf));
		call_on_bye(c, l, &why);
		return;
	case sip_method_cancel:
		sip_read_reason(sip, &why, why_buf, sizeof(why_buf));
		call_on_cancel(c, l, &why);
		return;
	case sip_method_refer:
		sip_read_refer(sip, &refer, why_buf, sizeof(why_buf));
		FUZZ_REQUIRE(!refer.user || !strpbrk(refer.user, "\r\n@;<>"));
		call_on_refer(c, l, &refer);
		return;
	case sip_method_ack:
		body = sip_read_is_sdp(sip) ? sip_read_body(sip) : NULL;
		call_on_ack(c, l, body);
		free(body);
		return;
	case sip_method_invite:
	case sip_method_update:
	case sip_method_info:
		body = sip_read_body(sip);
		call_on_request(c, l, method_of(sip),
				sip->sip_content_type ? sip->sip_content_type->c_type : NULL, body);
		free(body);
		return;
	default:
		return;
	}
}

static void event(struct call *c, const uint8_t *d, size_t n)
{
	if (n == 6 && !memcmp(d, "!trunk", 6))
		fire(TIMER_TRUNK);
	else if (n == 9 && !memcmp(d, "!noanswer", 9))
		fire(TIMER_NO_ANSWER);
	else if (n == 4 && !memcmp(d, "!max", 4))
		fire(TIMER_MAX_DURATION);
	else if (n == 10 && !memcmp(d, "!relayfail", 10))
		relay_fail = 1;
	else if (n == 7 && !memcmp(d, "!hangup", 7))
		(void)call_core_hangup(core, call_id(c));
}

int fuzz_sip(const uint8_t *data, size_t size)
{
	const uint8_t *part[8];
	size_t len[8], n = fuzz_split(data, size, part, len, 8);
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(5060)};
	struct sip_read_invite r;
	struct call *c = NULL;
	struct leg *a;
	msg_t *m;

	init();
	memset(legs, 0, sizeof(legs));
	nlegs = 0;
	leg_b = NULL;
	relay_fail = 0;
	inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
	m = parse(part[0], len[0]);
	if (!m)
		return 0;
	if (sip_object(m)->sip_request && sip_object(m)->sip_request->rq_method == sip_method_invite &&
	    sip_read_invite(&r, sip_object(m), (const struct sockaddr *)&src) == 0) {
		a = leg_alloc();
		c = call_on_invite(core, a, &r.inv);
		if (c)
			a->call = call_ref(c);
		sip_read_invite_done(&r);
	}
	msg_destroy(m);
	if (!c)
		return 0;
	/* c stays valid: leg A holds it until released, and so do we. */
	call_ref(c);
	relay_flush(0);
	for (size_t i = 1; i < n; i++) {
		m = parse(part[i], len[i]);
		if (!m) {
			event(c, part[i], len[i]);
		} else if (sip_object(m)->sip_status) {
			response(sip_object(m));
		} else {
			request(sip_object(m));
		}
		msg_destroy(m);
		relay_flush(relay_fail);
	}
	call_core_hangup_all(core);
	relay_flush(0);
	/* Whatever the core still holds gets the answers it waits for. */
	for (int t = 0; t < TIMER__N; t++)
		fire((enum call_timer)t);
	relay_flush(0);
	for (int i = 0; i < nlegs; i++)
		if (legs[i].in_use && !legs[i].released && legs[i].call) {
			/* A leg still held: its dialog ends as nua would end it. */
			call_on_leg_dead(legs[i].call, &legs[i], 408, "Fuzz end");
			relay_flush(0);
		}
	call_unref(c);
	FUZZ_REQUIRE(call_core_count(core) == 0);
	FUZZ_REQUIRE(nrq == 0);
	for (size_t i = 0; i < sizeof(armed) / sizeof(armed[0]); i++)
		FUZZ_REQUIRE(armed[i].c == NULL);
	for (int i = 0; i < nlegs; i++)
		FUZZ_REQUIRE(legs[i].released);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_sip(data, size);
}
#endif
