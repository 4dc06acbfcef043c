/*
 * test_trunk_health.c - trunk reachability from OPTIONS keepalives
 * (trunk_health.c): what a response means, the down/up thresholds, the
 * probe schedule and its timeouts, and what a policy reload does to it.
 *
 * The prober is a fake that records what it was asked (send, abandon)
 * and answers nothing by itself: each test reports the outcomes it wants,
 * with an explicit clock, so every expectation is exact. Policies are
 * real snapshots loaded from a temporary database.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cdr_store.h"
#include "reply.h"
#include "trunk_health.h"

/* ---- fake prober ---- */

static struct {
	uint64_t token;
	int trunk_id;
	char host[64];
	int port;
	char transport[8];
	char iface[32];
} sent[64];
static int nsent;
static uint64_t abandoned[64];
static int nabandoned;
static int send_fails;   /* the next send cannot go */

static int fake_send(void *ctx, uint64_t token, const struct health_target *t)
{
	(void)ctx;
	if (send_fails) {
		send_fails = 0;
		return -1;
	}
	CU_ASSERT_FATAL(nsent < 64);
	sent[nsent].token = token;
	sent[nsent].trunk_id = t->trunk_id;
	snprintf(sent[nsent].host, sizeof(sent[nsent].host), "%s", t->host);
	sent[nsent].port = t->port;
	snprintf(sent[nsent].transport, sizeof(sent[nsent].transport), "%s", t->transport);
	snprintf(sent[nsent].iface, sizeof(sent[nsent].iface), "%s", t->iface ? t->iface : "(null)");
	nsent++;
	return 0;
}

static void fake_abandon(void *ctx, uint64_t token)
{
	(void)ctx;
	CU_ASSERT_FATAL(nabandoned < 64);
	abandoned[nabandoned++] = token;
}

static const struct health_probe_ops fake_ops = {.send = fake_send, .abandon = fake_abandon};

/* The token of the last probe sent to trunk id (0: none). */
static uint64_t last_token(int trunk_id)
{
	for (int i = nsent - 1; i >= 0; i--)
		if (sent[i].trunk_id == trunk_id)
			return sent[i].token;
	return 0;
}

static int sends_to(int trunk_id)
{
	int n = 0;

	for (int i = 0; i < nsent; i++)
		n += sent[i].trunk_id == trunk_id;
	return n;
}

static int was_abandoned(uint64_t token)
{
	for (int i = 0; i < nabandoned; i++)
		if (abandoned[i] == token)
			return 1;
	return 0;
}

/* ---- policies ---- */

static char db_path[64];
static struct trunk_health *h;
static struct policy *pol[4];
static int npol;

/* A policy whose trunks are rows (the VALUES of an INSERT into trunks
 * (id, name, host, port, transport, options_ping_s, enabled)). */
static const char *post_sql;   /* policy_of runs it after the rows, when set */

static const struct policy *policy_of(const char *rows)
{
	char sql[2048], err[256];
	struct cdr_store *s;
	sqlite3 *db;

	CU_ASSERT_FATAL(npol < 4);
	snprintf(db_path, sizeof(db_path), "/tmp/test_health_XXXXXX");
	close(mkstemp(db_path));
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, db_path, err, sizeof(err)), 0);
	cdr_store_close(s);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(db_path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO trunks (id, name, host, port, transport, options_ping_s, enabled) VALUES %s", rows);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	if (post_sql)
		CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db, post_sql, NULL, NULL, NULL), SQLITE_OK);
	post_sql = NULL;
	sqlite3_close(db);
	CU_ASSERT_EQUAL_FATAL(policy_load(&pol[npol], db_path, err, sizeof(err)), 0);
	unlink(db_path);
	snprintf(sql, sizeof(sql), "%s-wal", db_path);
	unlink(sql);
	snprintf(sql, sizeof(sql), "%s-shm", db_path);
	unlink(sql);
	return pol[npol++];
}

static void setup_with(int down_after, int up_after)
{
	struct health_config cfg = {.down_after = down_after, .up_after = up_after};

	nsent = nabandoned = send_fails = 0;
	CU_ASSERT_EQUAL_FATAL(trunk_health_new(&h, &cfg, &fake_ops, NULL), 0);
}

static void setup(void)
{
	setup_with(2, 2);
}

static void teardown(void)
{
	trunk_health_free(h);
	h = NULL;
	for (int i = 0; i < npol; i++)
		policy_unref(pol[i]);
	npol = 0;
}

static enum health_state state_of(int trunk_id)
{
	struct health_view v;

	trunk_health_view(h, trunk_id, &v);
	return v.state;
}

/* The outcome of trunk id's last probe, at time now. */
static void outcome(int trunk_id, enum health_result r, int code, int64_t now)
{
	struct health_report rep = {.token = last_token(trunk_id), .result = r, .code = code, .mono_ms = now,
				    .wall_ms = 1764000000000 + now};

	trunk_health_report(h, &rep);
}

/* A probe goes at now and ends with r. */
static void probe(int trunk_id, enum health_result r, int code, int64_t now)
{
	int before = sends_to(trunk_id);

	trunk_health_tick(h, now, 0);
	CU_ASSERT_EQUAL(sends_to(trunk_id), before + 1);
	outcome(trunk_id, r, code, now);
}

static int down(const struct policy *p, int trunk_id)
{
	return trunk_health_ops()->down(h, policy_trunk_by_id(p, trunk_id));
}

/* ---- tests ---- */

/* Any response from the trunk is an answer, but 503 with Retry-After;
 * what nua made itself (no packet came) is a timeout or a transport error. */
static void test_classify(void)
{
	static const struct {
		int code, local, retry_after;
		enum health_result want;
	} rows[] = {
		{SC_OK, 0, 0, HEALTH_OK},
		{SC_CLIENT_ERR, 0, 0, HEALTH_OK},
		{SC_NO_DIALOG, 0, 0, HEALTH_OK},
		{SC_REQUEST_TIMEOUT, 0, 0, HEALTH_OK},          /* the trunk's own 408 */
		{SC_SERVER_ERR, 0, 1, HEALTH_OK},               /* Retry-After on a 500: still an answer */
		{SC_SERVICE_UNAVAILABLE, 0, 0, HEALTH_OK},      /* 503 without Retry-After */
		{SC_SERVICE_UNAVAILABLE, 0, 1, HEALTH_REFUSED},
		{SC_GLOBAL_ERR, 0, 1, HEALTH_OK},
		{SC_REQUEST_TIMEOUT, 1, 0, HEALTH_TIMEOUT},     /* nua's 408 */
		{SC_SERVICE_UNAVAILABLE, 1, 0, HEALTH_TRANSPORT}, /* nua's 503: ICMP, TCP refused */
		{SC_SERVICE_UNAVAILABLE, 1, 1, HEALTH_TRANSPORT},
		{SC_SERVER_ERR, 1, 0, HEALTH_TRANSPORT},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum health_result got = trunk_health_classify(rows[i].code, rows[i].local, rows[i].retry_after);

		if (got != rows[i].want)
			fprintf(stderr, "\nrow %zu: %d local=%d ra=%d gave %d\n", i, rows[i].code, rows[i].local,
				rows[i].retry_after, (int)got);
		CU_ASSERT_EQUAL(got, rows[i].want);
	}
}

/* Only enabled trunks with options_ping_s are probed, at once; nothing
 * heard yet is unprobed, and unprobed routes like up. */
static void test_what_is_probed(void)
{
	const struct policy *p = policy_of("(1, 'pbx', '127.0.0.2', 5060, 'udp', 0, 1),"
					   " (2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1),"
					   " (3, 'off', '127.0.0.4', 5080, 'udp', 5, 0),"
					   " (4, 'tcp1', 'carrier.example', 0, 'tcp', 30, 1)");
	struct health_view v;

	trunk_health_sync(h, p, 1000);
	CU_ASSERT_EQUAL(nsent, 0);   /* sync sends nothing: the tick does */
	trunk_health_tick(h, 1000, 0);
	CU_ASSERT_EQUAL(nsent, 2);
	CU_ASSERT_EQUAL(sends_to(2), 1);
	CU_ASSERT_EQUAL(sends_to(4), 1);
	for (int i = 0; i < nsent; i++) {
		if (sent[i].trunk_id == 4) {
			CU_ASSERT_STRING_EQUAL(sent[i].host, "carrier.example");
			CU_ASSERT_EQUAL(sent[i].port, 0);
			CU_ASSERT_STRING_EQUAL(sent[i].transport, "tcp");
		} else {
			CU_ASSERT_STRING_EQUAL(sent[i].host, "127.0.0.3");
			CU_ASSERT_EQUAL(sent[i].port, 5080);
			CU_ASSERT_STRING_EQUAL(sent[i].transport, "udp");
		}
	}
	CU_ASSERT_EQUAL(trunk_health_view(h, 1, &v), -1);
	CU_ASSERT_FALSE(v.probed);
	CU_ASSERT_EQUAL(trunk_health_view(h, 3, &v), -1);
	CU_ASSERT_EQUAL(trunk_health_view(h, 2, &v), 0);
	CU_ASSERT_TRUE(v.probed);
	CU_ASSERT_EQUAL(v.state, HEALTH_UNPROBED);
	CU_ASSERT_FALSE(v.has_last);
	CU_ASSERT_FALSE(down(p, 1));
	CU_ASSERT_FALSE(down(p, 2));
	/* Not due again before its interval. */
	trunk_health_tick(h, 1999, 0);
	CU_ASSERT_EQUAL(nsent, 2);
}

/* down_after failures in a row make a trunk down, up_after answers in a
 * row bring it back; a result of the other kind resets the count. */
static void test_thresholds(void)
{
	static const struct {
		int down_after, up_after;
	} cfgs[] = {{2, 2}, {1, 1}, {3, 1}, {2, 3}};

	teardown();
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		int dn = cfgs[c].down_after, up = cfgs[c].up_after;
		const struct policy *p;
		int64_t t = 0;

		setup_with(dn, up);
		p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1)");
		trunk_health_sync(h, p, t);
		probe(2, HEALTH_OK, SC_OK, t);
		CU_ASSERT_EQUAL(state_of(2), HEALTH_UP);
		/* dn - 1 failures, an answer, dn - 1 failures: still up. */
		for (int i = 0; i < dn - 1; i++)
			probe(2, HEALTH_TIMEOUT, 0, t += 1000);
		probe(2, HEALTH_OK, SC_OK, t += 1000);
		for (int i = 0; i < dn - 1; i++)
			probe(2, HEALTH_TRANSPORT, SC_SERVICE_UNAVAILABLE, t += 1000);
		CU_ASSERT_EQUAL(state_of(2), HEALTH_UP);
		CU_ASSERT_FALSE(down(p, 2));
		/* The dn-th in a row: down. */
		probe(2, HEALTH_REFUSED, SC_SERVICE_UNAVAILABLE, t += 1000);
		CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
		CU_ASSERT_TRUE(down(p, 2));
		/* up - 1 answers, a failure, up - 1 answers: still down. */
		for (int i = 0; i < up - 1; i++)
			probe(2, HEALTH_OK, SC_OK, t += 1000);
		probe(2, HEALTH_TIMEOUT, 0, t += 1000);
		for (int i = 0; i < up - 1; i++)
			probe(2, HEALTH_OK, SC_NO_DIALOG, t += 1000);
		CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
		/* The up-th answer in a row: up. */
		probe(2, HEALTH_OK, SC_OK, t += 1000);
		if (state_of(2) != HEALTH_UP)
			fprintf(stderr, "\ndown_after %d up_after %d: not up again\n", dn, up);
		CU_ASSERT_EQUAL(state_of(2), HEALTH_UP);
		CU_ASSERT_FALSE(down(p, 2));
		teardown();
	}
	setup();
}

/* Failures from the start: down after down_after of them, never up before. */
static void test_unreachable_from_start(void)
{
	const struct policy *p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1)");

	trunk_health_sync(h, p, 0);
	probe(2, HEALTH_TRANSPORT, SC_SERVICE_UNAVAILABLE, 0);
	CU_ASSERT_NOT_EQUAL(state_of(2), HEALTH_DOWN);
	CU_ASSERT_FALSE(down(p, 2));
	probe(2, HEALTH_TRANSPORT, SC_SERVICE_UNAVAILABLE, 1000);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
}

/* 503 with Retry-After counts as a failure, classified from the wire:
 * two of them make the trunk down, plain 503s (an answer) bring it back. */
static void test_503_retry_after_is_a_failure(void)
{
	const struct policy *p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1)");
	int64_t t = 0;

	trunk_health_sync(h, p, t);
	probe(2, trunk_health_classify(SC_OK, 0, 0), SC_OK, t);
	for (int i = 0; i < 2; i++)
		probe(2, trunk_health_classify(SC_SERVICE_UNAVAILABLE, 0, 1), SC_SERVICE_UNAVAILABLE, t += 1000);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
	for (int i = 0; i < 2; i++)
		probe(2, trunk_health_classify(SC_SERVICE_UNAVAILABLE, 0, 0), SC_SERVICE_UNAVAILABLE, t += 1000);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_UP);
}

/* A probe unanswered for the trunk's interval is abandoned and counts as
 * a timeout; the next goes at once; its answer, if it still comes, is
 * ignored. */
static void test_timeout_and_late_answer(void)
{
	const struct policy *p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 2, 1)");
	uint64_t first, second;
	struct health_view v;

	trunk_health_sync(h, p, 0);
	trunk_health_tick(h, 0, 0);
	first = last_token(2);
	CU_ASSERT_NOT_EQUAL(first, 0);
	trunk_health_tick(h, 1999, 0);
	CU_ASSERT_EQUAL(nabandoned, 0);
	CU_ASSERT_EQUAL(sends_to(2), 1);
	trunk_health_tick(h, 2000, 5000);
	CU_ASSERT_TRUE(was_abandoned(first));
	CU_ASSERT_EQUAL(sends_to(2), 2);
	second = last_token(2);
	CU_ASSERT_NOT_EQUAL(second, first);
	trunk_health_view(h, 2, &v);
	CU_ASSERT_EQUAL(v.fails, 1);
	CU_ASSERT_TRUE(v.has_last);
	CU_ASSERT_EQUAL(v.last, HEALTH_TIMEOUT);
	CU_ASSERT_EQUAL(v.last_wall_ms, 5000);
	/* The first probe's answer after all: nothing changes. */
	{
		struct health_report late = {.token = first, .result = HEALTH_OK, .code = SC_OK};

		trunk_health_report(h, &late);
	}
	trunk_health_view(h, 2, &v);
	CU_ASSERT_EQUAL(v.fails, 1);
	CU_ASSERT_EQUAL(v.oks, 0);
	/* The second times out too: down. */
	trunk_health_tick(h, 4000, 7000);
	CU_ASSERT_TRUE(was_abandoned(second));
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
	/* A token never given is ignored. */
	{
		struct health_report bogus = {.token = 999, .result = HEALTH_OK, .code = SC_OK};

		trunk_health_report(h, &bogus);
		bogus.token = 0;
		trunk_health_report(h, &bogus);
	}
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
}

/* A probe that cannot even be sent is a transport failure. */
static void test_send_failure_counts(void)
{
	const struct policy *p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1)");
	struct health_view v;

	trunk_health_sync(h, p, 0);
	send_fails = 1;
	trunk_health_tick(h, 0, 0);
	send_fails = 1;
	trunk_health_tick(h, 1000, 0);
	trunk_health_view(h, 2, &v);
	CU_ASSERT_EQUAL(v.fails, 2);
	CU_ASSERT_EQUAL(v.last, HEALTH_TRANSPORT);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
	CU_ASSERT_EQUAL(nabandoned, 0);   /* nothing was out */
}

/* One failing trunk never changes another's state or schedule. */
static void test_trunks_independent(void)
{
	const struct policy *p = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1),"
					   " (3, 'c2', '127.0.0.4', 5080, 'udp', 1, 1)");

	trunk_health_sync(h, p, 0);
	for (int64_t t = 0; t < 5000; t += 1000) {
		trunk_health_tick(h, t, 0);
		outcome(2, HEALTH_TIMEOUT, 0, t);
		outcome(3, HEALTH_OK, SC_OK, t);
	}
	CU_ASSERT_EQUAL(sends_to(2), 5);
	CU_ASSERT_EQUAL(sends_to(3), 5);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_DOWN);
	CU_ASSERT_EQUAL(state_of(3), HEALTH_UP);
	CU_ASSERT_TRUE(down(p, 2));
	CU_ASSERT_FALSE(down(p, 3));
}

/* A reload: a removed, disabled or unpinged trunk stops (its probe out
 * is abandoned), a new one starts at once, a changed interval counts
 * from the last probe, a changed target starts over, and an unchanged
 * trunk keeps its state. */
/* A trunk's probes leave from its interface (trunks.interface), as its
 * calls do; another interface is another target: its state starts over. */
static void test_probe_from_trunk_interface(void)
{
	const struct policy *p1, *p2;

	post_sql = "UPDATE trunks SET interface = 'outside' WHERE id = 2";
	p1 = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1), (3, 'c2', '127.0.0.4', 5080, 'udp', 1, 1)");
	trunk_health_sync(h, p1, 0);
	trunk_health_tick(h, 0, 0);
	CU_ASSERT_EQUAL_FATAL(nsent, 2);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_STRING_EQUAL(sent[i].iface, sent[i].trunk_id == 2 ? "outside" : "");
	outcome(2, HEALTH_OK, SC_OK, 0);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_UP);
	post_sql = "UPDATE trunks SET interface = 'inside' WHERE id = 2";
	p2 = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1), (3, 'c2', '127.0.0.4', 5080, 'udp', 1, 1)");
	trunk_health_sync(h, p2, 500);
	CU_ASSERT_EQUAL(state_of(2), HEALTH_UNPROBED);
	nsent = 0;
	trunk_health_tick(h, 500, 0);
	CU_ASSERT_EQUAL_FATAL(nsent, 1);
	CU_ASSERT_STRING_EQUAL(sent[0].iface, "inside");
}

static void test_reload(void)
{
	const struct policy *p1 = policy_of("(2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1),"
					    " (3, 'c2', '127.0.0.4', 5080, 'udp', 2, 1),"
					    " (4, 'c3', '127.0.0.5', 5080, 'udp', 1, 1),"
					    " (5, 'c4', '127.0.0.6', 5080, 'udp', 1, 1),"
					    " (6, 'c5', '127.0.0.7', 5080, 'udp', 1, 1)");
	const struct policy *p2;
	uint64_t t2, t5, t6;

	trunk_health_sync(h, p1, 0);
	trunk_health_tick(h, 0, 0);
	outcome(4, HEALTH_TIMEOUT, 0, 0);
	outcome(3, HEALTH_OK, SC_OK, 0);
	trunk_health_tick(h, 1000, 0);
	outcome(4, HEALTH_TIMEOUT, 0, 1000);
	CU_ASSERT_EQUAL(state_of(4), HEALTH_DOWN);
	outcome(5, HEALTH_OK, SC_OK, 1000);
	CU_ASSERT_EQUAL(state_of(5), HEALTH_UP);
	t2 = last_token(2);   /* out, unanswered */
	t5 = last_token(5);
	t6 = last_token(6);
	outcome(5, HEALTH_OK, SC_OK, 1000);
	/* 2 removed, 6 disabled, 3 every 5 s now, 4 at another port, 5 as it
	 * was, 7 new. */
	p2 = policy_of("(3, 'c2', '127.0.0.4', 5080, 'udp', 5, 1),"
		       " (4, 'c3', '127.0.0.5', 5090, 'udp', 1, 1),"
		       " (5, 'c4', '127.0.0.6', 5080, 'udp', 1, 1),"
		       " (6, 'c5', '127.0.0.7', 5080, 'udp', 1, 0),"
		       " (7, 'c6', '127.0.0.8', 5080, 'udp', 1, 1)");
	trunk_health_sync(h, p2, 1500);
	CU_ASSERT_TRUE(was_abandoned(t2));
	CU_ASSERT_TRUE(was_abandoned(t6));
	CU_ASSERT_FALSE(was_abandoned(t5));
	CU_ASSERT_EQUAL(trunk_health_view(h, 2, &(struct health_view){0}), -1);
	CU_ASSERT_EQUAL(trunk_health_view(h, 6, &(struct health_view){0}), -1);
	CU_ASSERT_EQUAL(state_of(4), HEALTH_UNPROBED);   /* a new target: nothing known of it */
	CU_ASSERT_FALSE(down(p2, 4));
	CU_ASSERT_EQUAL(state_of(5), HEALTH_UP);
	CU_ASSERT_EQUAL(state_of(7), HEALTH_UNPROBED);
	nsent = 0;
	trunk_health_tick(h, 1500, 0);
	CU_ASSERT_EQUAL(sends_to(7), 1);   /* new: at once */
	CU_ASSERT_EQUAL(sends_to(4), 1);   /* changed target: at once */
	for (int i = 0; i < nsent; i++)
		if (sent[i].trunk_id == 4)
			CU_ASSERT_EQUAL(sent[i].port, 5090);
	CU_ASSERT_EQUAL(sends_to(3), 0);
	CU_ASSERT_EQUAL(sends_to(2) + sends_to(6), 0);
	/* 3 went at 0 (2 s interval then, due at 2000): next at 0 + 5000. */
	trunk_health_tick(h, 4999, 0);
	CU_ASSERT_EQUAL(sends_to(3), 0);
	trunk_health_tick(h, 5000, 0);
	CU_ASSERT_EQUAL(sends_to(3), 1);
	CU_ASSERT_EQUAL(sends_to(2) + sends_to(6), 0);
	/* The removed trunk's answer, late: ignored. */
	{
		struct health_report late = {.token = t2, .result = HEALTH_OK, .code = SC_OK};

		trunk_health_report(h, &late);
	}
	CU_ASSERT_EQUAL(trunk_health_view(h, 2, &(struct health_view){0}), -1);
	/* Everything out is abandoned when the prober goes. */
	nabandoned = 0;
	trunk_health_free(h);
	h = NULL;
	CU_ASSERT(nabandoned >= 3);
}

/* What `b2bua-ctl trunks` appends per trunk. */
static void test_describe(void)
{
	const struct policy *p = policy_of("(1, 'pbx', '127.0.0.2', 5060, 'udp', 0, 1),"
					   " (2, 'c1', '127.0.0.3', 5080, 'udp', 1, 1)");
	char buf[128];

	trunk_health_sync(h, p, 0);
	trunk_health_describe(h, 1, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, " reach unprobed options - -");
	trunk_health_describe(h, 2, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, " reach unprobed options - -");
	trunk_health_tick(h, 0, 0);
	{
		struct health_report r = {.token = last_token(2), .result = HEALTH_OK, .code = SC_NO_DIALOG,
					  .wall_ms = 1764065538123};

		trunk_health_report(h, &r);
	}
	trunk_health_describe(h, 2, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, " reach up options 481 2025-11-25T10:12:18.123Z");
	trunk_health_tick(h, 1000, 1764065539000);
	trunk_health_tick(h, 2000, 1764065540000);   /* timed out */
	trunk_health_tick(h, 3000, 1764065541000);   /* again: down */
	trunk_health_describe(h, 2, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, " reach down options timeout 2025-11-25T10:12:21.000Z");
	{
		struct health_report r = {.token = last_token(2), .result = HEALTH_TRANSPORT,
					  .code = SC_SERVICE_UNAVAILABLE, .wall_ms = 1764065541500};

		trunk_health_report(h, &r);
	}
	trunk_health_describe(h, 2, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, " reach down options unreachable 2025-11-25T10:12:21.500Z");
	/* A small buffer is cut, terminated. */
	CU_ASSERT_EQUAL(trunk_health_describe(h, 2, buf, 8), 7);
	CU_ASSERT_STRING_EQUAL(buf, " reach ");
}

static void test_bad_config_refused(void)
{
	struct trunk_health *x = NULL;
	struct health_config zero = {.down_after = 0, .up_after = 1}, zero2 = {.down_after = 1, .up_after = 0};

	CU_ASSERT_EQUAL(trunk_health_new(&x, &zero, &fake_ops, NULL), -1);
	CU_ASSERT_EQUAL(trunk_health_new(&x, &zero2, &fake_ops, NULL), -1);
	CU_ASSERT_PTR_NULL(x);
	CU_ASSERT_FALSE(trunk_health_down(NULL, NULL));
	trunk_health_free(NULL);
}

UNIT_SUITE_FIXTURE(trunk_health, NULL, NULL, setup, teardown,
		   UNIT_TEST(test_classify),
		   UNIT_TEST(test_what_is_probed),
		   UNIT_TEST(test_thresholds),
		   UNIT_TEST(test_unreachable_from_start),
		   UNIT_TEST(test_503_retry_after_is_a_failure),
		   UNIT_TEST(test_timeout_and_late_answer),
		   UNIT_TEST(test_send_failure_counts),
		   UNIT_TEST(test_trunks_independent),
		   UNIT_TEST(test_reload),
		   UNIT_TEST(test_probe_from_trunk_interface),
		   UNIT_TEST(test_describe),
		   UNIT_TEST(test_bad_config_refused))
