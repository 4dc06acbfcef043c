/*
 * metrics.c - the b2bua's /metrics (see metrics.h).
 *
 * Owns: the attempt tally, the snapshot hand-over between the SIP thread
 * and the listener's thread (a mutex, a condition, a request pipe) and
 * the names of the b2bua's metrics. Must not: read loop state from the
 * listener's thread, or log per scrape.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct metrics;
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T struct metrics
#include <sofia-sip/su_wait.h>

#include "call.h"
#include "cdr_writer.h"
#include "clock.h"
#include "metrics.h"
#include "prom.h"
#include "prom_http.h"
#include "relay_client.h"
#include "reply.h"
#include "trunk_health.h"
#include "trunk_limits.h"
#include "trunk_reg.h"

#define SNAPSHOT_WAIT_MS 2000

struct metrics {
	su_root_t *root;
	struct cdr_writer *cdr;
	struct metrics_sources src;
	struct metrics_tally *tally;
	struct prom_http *http;
	int pipe[2];
	su_wait_t wait;
	int reg;
	/* Shared with the listener's thread, under mu: */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t asked, done;      /* snapshots asked for / rendered for */
	char *snap;                /* the last published text, NULL none */
	size_t snap_len;
	int closing;
};

/* ---- the tally ---- */

const char *metrics_code_label(int code, char buf[8])
{
	if (code < SC_TRYING || code > SC_MAX)
		return "none";
	snprintf(buf, 8, "%d", code);
	return buf;
}

void metrics_tally_add(struct metrics_tally *t, const char *trunk, int code)
{
	struct metrics_tally_entry *e;

	if (code < SC_TRYING || code > SC_MAX)
		code = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].code == code && strcmp(t->e[i].trunk, trunk) == 0) {
			t->e[i].n++;
			return;
		}
	if (t->n == METRICS_TALLY_MAX) {
		t->overflow++;
		return;
	}
	e = &t->e[t->n++];
	snprintf(e->trunk, sizeof(e->trunk), "%s", trunk);
	e->code = code;
	e->n = 1;
}

/* which: 0 every attempt, 1 answered (2xx), 2 failed (the rest). */
static void tally_family(const struct metrics_tally *t, struct prom_buf *b, const char *name, const char *help,
			 int which)
{
	prom_family(b, name, PROM_COUNTER, help);
	for (size_t i = 0; i < t->n; i++) {
		int ok = sc_success(t->e[i].code);
		char code[8];
		struct prom_label l[2] = {{"trunk", t->e[i].trunk}, {"code", metrics_code_label(t->e[i].code, code)}};

		if (which == 0 || (which == 1) == ok)
			prom_sample_u64(b, name, l, 2, t->e[i].n);
	}
}

void metrics_tally_write(const struct metrics_tally *t, struct prom_buf *b)
{
	tally_family(t, b, "b2bua_trunk_attempts_total",
		     "Route attempts toward a trunk, by the trunk's final SIP code (none: no final response).", 0);
	tally_family(t, b, "b2bua_trunk_answered_total", "Route attempts a trunk answered (2xx).", 1);
	tally_family(t, b, "b2bua_trunk_failed_total",
		     "Route attempts that ended without a 2xx, by final SIP code (none: timeout, limits, unreachable).", 2);
	prom_family(b, "b2bua_trunk_attempts_untracked_total", PROM_COUNTER,
		    "Route attempts not kept by trunk and code (the table is full).");
	prom_sample_u64(b, "b2bua_trunk_attempts_untracked_total", NULL, 0, t->overflow);
}

/* ---- the CDR sinks ---- */

void metrics_cdr_sink(void *ctx, uint64_t serial, const struct cdr_row *row, int final)
{
	struct metrics *m = ctx;

	if (m->cdr)
		cdr_writer_sink(m->cdr, serial, row, final);
}

void metrics_attempt_sink(void *ctx, uint64_t serial, const struct cdr_attempt *a)
{
	struct metrics *m = ctx;

	if (a->trunk[0])
		metrics_tally_add(m->tally, a->trunk, a->sip_code);
	if (m->cdr)
		cdr_writer_attempt_sink(m->cdr, serial, a);
}

/* ---- the snapshot, rendered on the SIP thread ---- */

static void one(struct prom_buf *b, const char *name, enum prom_type type, const char *help, double v)
{
	prom_family(b, name, type, help);
	prom_sample_dbl(b, name, NULL, 0, v);
}

static void render_calls(struct metrics *m, struct prom_buf *b)
{
	struct call_stats st;

	if (!m->src.core)
		return;
	call_core_stats(m->src.core, &st);
	one(b, "b2bua_calls_active", PROM_GAUGE, "Calls in progress.", (double)st.active);
	one(b, "b2bua_calls_attempted_total", PROM_COUNTER, "Calls routed toward a trunk.", (double)st.attempts);
	one(b, "b2bua_calls_answered_total", PROM_COUNTER, "Calls answered.", (double)st.answered);
	one(b, "b2bua_calls_failed_total", PROM_COUNTER, "Routed calls that ended unanswered.", (double)st.failed);
	one(b, "b2bua_calls_refused_total", PROM_COUNTER, "Calls refused before routing (no route, limits, draining...).",
	    (double)st.refused);
	one(b, "b2bua_leaks_stopped_total", PROM_COUNTER, "Messages the leak guard stopped.", (double)st.leaks);
}

static void render_trunks(struct metrics *m, struct prom_buf *b)
{
	struct policy *p = m->src.core ? call_core_policy(m->src.core) : NULL;
	size_t n = p ? policy_trunk_count(p) : 0;
	int64_t now = clock_mono_ms();
	static const enum health_state hs[] = {HEALTH_UNPROBED, HEALTH_UP, HEALTH_DOWN};

	if (!p)
		return;
	prom_family(b, "b2bua_trunk_channels_active", PROM_GAUGE, "Channels in use on a trunk.");
	for (size_t i = 0; i < n; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		struct prom_label l = {"trunk", t->name};

		prom_sample_u64(b, "b2bua_trunk_channels_active", &l, 1,
				m->src.limits ? (uint64_t)limits_channels(m->src.limits, t->id) : 0);
	}
	prom_family(b, "b2bua_trunk_cps", PROM_GAUGE, "Call attempts per second toward a trunk now (its CPS window).");
	for (size_t i = 0; i < n; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		struct prom_label l = {"trunk", t->name};

		prom_sample_dbl(b, "b2bua_trunk_cps", &l, 1, m->src.limits ? limits_cps(m->src.limits, t->id, now) : 0);
	}
	prom_family(b, "b2bua_trunk_up", PROM_GAUGE,
		    "1 when routing may use the trunk: enabled and not down by its OPTIONS keepalives.");
	for (size_t i = 0; i < n; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		struct prom_label l = {"trunk", t->name};
		int down = m->src.health && trunk_health_down(m->src.health, t);

		prom_sample_u64(b, "b2bua_trunk_up", &l, 1, t->enabled && !down);
	}
	prom_family(b, "b2bua_trunk_keepalive_state", PROM_GAUGE,
		    "OPTIONS keepalive state of a trunk: 1 for its current state (unprobed, up, down).");
	for (size_t i = 0; i < n; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		struct health_view v = {.state = HEALTH_UNPROBED};

		if (m->src.health)
			trunk_health_view(m->src.health, t->id, &v);
		for (size_t s = 0; s < sizeof(hs) / sizeof(hs[0]); s++) {
			struct prom_label l[2] = {{"trunk", t->name}, {"state", trunk_health_state_name(hs[s])}};

			prom_sample_u64(b, "b2bua_trunk_keepalive_state", l, 2, v.state == hs[s]);
		}
	}
	prom_family(b, "b2bua_trunk_registration_state", PROM_GAUGE,
		    "Outbound registration state of a trunk with register = 1: 1 for its current state.");
	for (size_t i = 0; i < n; i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);
		enum trunk_reg_state cur = m->src.reg ? trunk_reg_state_of(m->src.reg, t->id) : TRUNK_REG_OFF;

		if (!t->reg)
			continue;
		for (int s = TRUNK_REG_OFF; s <= TRUNK_REG_UNREGISTERED; s++) {
			struct prom_label l[2] = {{"trunk", t->name}, {"state", trunk_reg_state_name(s)}};

			prom_sample_u64(b, "b2bua_trunk_registration_state", l, 2, (int)cur == s);
		}
	}
}

static void render_relays(struct metrics *m, struct prom_buf *b)
{
	struct relay_view v[RELAY_CLIENT_MAX];
	int n = 0;
	static const struct {
		const char *name, *help;
		enum prom_type type;
		size_t off;
	} fams[] = {
		{"b2bua_relay_up", "1 when the media relay is up (answering ng requests).", PROM_GAUGE,
		 offsetof(struct relay_view, up)},
		{"b2bua_relay_calls", "Calls anchored on the media relay.", PROM_GAUGE, offsetof(struct relay_view, calls)},
		{"b2bua_relay_sent_total", "ng datagrams sent to the relay, retransmissions and pings included.",
		 PROM_COUNTER, offsetof(struct relay_view, sent)},
		{"b2bua_relay_answered_total", "ng requests the relay answered.", PROM_COUNTER,
		 offsetof(struct relay_view, answered)},
		{"b2bua_relay_timeouts_total", "ng requests the relay left unanswered until their timeout.", PROM_COUNTER,
		 offsetof(struct relay_view, timeouts)},
		{"b2bua_relay_errors_total", "ng requests the relay answered with result error.", PROM_COUNTER,
		 offsetof(struct relay_view, errors)},
	};

	if (m->src.relay)
		n = relay_client_views(m->src.relay, v, RELAY_CLIENT_MAX);
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		prom_family(b, fams[f].name, fams[f].type, fams[f].help);
		for (int i = 0; i < n; i++) {
			struct prom_label l = {"relay", v[i].name};

			prom_sample_u64(b, fams[f].name, &l, 1, *(const uint64_t *)((const char *)&v[i] + fams[f].off));
		}
	}
	prom_family(b, "b2bua_relay_rtt_seconds", PROM_HISTOGRAM,
		    "Round trip of answered ng requests, from the first send to the answer.");
	for (int i = 0; i < n; i++) {
		struct prom_label l = {"relay", v[i].name};

		prom_hist_write(b, "b2bua_relay_rtt_seconds", &l, 1, &v[i].rtt);
	}
}

static void render_cdr(struct metrics *m, struct prom_buf *b)
{
	struct prom_hist h;

	if (!m->src.cdr)
		return;
	one(b, "b2bua_cdr_queue_depth", PROM_GAUGE, "CDR events waiting for the writer thread.",
	    (double)cdr_writer_queued(m->src.cdr));
	one(b, "b2bua_cdr_rows_written_total", PROM_COUNTER, "CDR rows inserted or updated.",
	    (double)cdr_writer_written(m->src.cdr));
	cdr_writer_commit_hist(m->src.cdr, &h);
	prom_family(b, "b2bua_cdr_commit_seconds", PROM_HISTOGRAM,
		    "Time of one CDR batch: its transaction from begin to commit.");
	prom_hist_write(b, "b2bua_cdr_commit_seconds", NULL, 0, &h);
}

void metrics_render(struct metrics *m, struct prom_buf *b)
{
	render_calls(m, b);
	render_trunks(m, b);
	metrics_tally_write(m->tally, b);
	render_relays(m, b);
	render_cdr(m, b);
}

/* A scrape asked: render now and publish. */
static int on_asked(void *magic, su_wait_t *w, struct metrics *m)
{
	char drain[64];
	struct prom_buf b;
	uint64_t target;
	char *old;

	(void)magic;
	(void)w;
	while (read(m->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&m->mu);
	target = m->asked;
	pthread_mutex_unlock(&m->mu);
	if (target == m->done)
		return 0;   /* already answered (done is written only here) */
	prom_buf_init(&b);
	metrics_render(m, &b);
	pthread_mutex_lock(&m->mu);
	old = m->snap;
	if (!b.oom && b.text) {
		m->snap = b.text;
		m->snap_len = b.len;
		b.text = NULL;
	} else {
		old = NULL;   /* keep the previous one */
	}
	m->done = target;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	free(old);
	prom_buf_free(&b);
	return 0;
}

/* The listener's thread: ask, wait, copy. */
static int render_http(void *ctx, struct prom_buf *b)
{
	struct metrics *m = ctx;
	struct timespec until;
	uint64_t want;
	int rc = -1;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SNAPSHOT_WAIT_MS / 1000;
	pthread_mutex_lock(&m->mu);
	want = ++m->asked;
	if (write(m->pipe[1], "", 1) < 0)
		(void)0;   /* full: a byte is already waiting */
	while (!m->closing && m->done < want)
		if (pthread_cond_timedwait(&m->cv, &m->mu, &until) == ETIMEDOUT)
			break;
	if (m->snap) {
		prom_printf(b, "%.*s", (int)m->snap_len, m->snap);
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

int metrics_new(struct metrics **out, su_root_t *root, const char *listen, struct cdr_writer *cdr,
		char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m || !(m->tally = calloc(1, sizeof(*m->tally)))) {
		snprintf(err, errlen, "out of memory");
		free(m);
		return -1;
	}
	m->root = root;
	m->cdr = cdr;
	m->pipe[0] = m->pipe[1] = -1;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pipe2(m->pipe, O_CLOEXEC | O_NONBLOCK) != 0 || su_wait_create(&m->wait, m->pipe[0], SU_WAIT_IN) != 0 ||
	    (m->reg = su_root_register(root, &m->wait, on_asked, m, 0)) <= 0) {
		snprintf(err, errlen, "metrics: cannot set up its pipe: %s", strerror(errno));
		goto fail;
	}
	if (prom_http_start(&m->http, listen, render_http, m, err, errlen) != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	metrics_free(m);
	return -1;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->closing = 1;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	prom_http_stop(m->http);   /* joins its thread: nobody waits on mu after this */
	if (m->reg > 0)
		su_root_deregister(m->root, m->reg);
	for (int i = 0; i < 2; i++)
		if (m->pipe[i] >= 0)
			close(m->pipe[i]);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->snap);
	free(m->tally);
	free(m);
}

void metrics_set_sources(struct metrics *m, const struct metrics_sources *src)
{
	m->src = *src;
}

void metrics_forget_reg(struct metrics *m)
{
	m->src.reg = NULL;
}
