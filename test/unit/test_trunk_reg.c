/*
 * test_trunk_reg.c - trunks' outbound registration (trunk_reg.c): the
 * state machine driven with explicit times and a fake SIP side.
 *
 * The fake reg_ops records every open, REGISTER, credentials, un-REGISTER
 * and close in a transcript, and fails the test when a handle is closed
 * from within its own response event (the adapter's handle would be
 * destroyed inside nua's callback) or used after its close. Policies are
 * real snapshots loaded from a scratch database.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "unit.h"
#include "cdr_store.h"
#include "policy.h"
#include "trunk_reg.h"

/* ---- the fake SIP side ---- */

#define MAX_H 16

struct reg_handle {
	int id;
	int open;
	struct trunk_reg_entry *owner;
	char user[64], host[256], transport[8];
	int port;
};

static struct reg_handle hs[MAX_H];
static int nh, in_event, fail_open;
static char tr[4096];
static struct trunk_reg *reg;
static struct policy *pol;
static const struct trunk_reg_config cfg = {.expires_s = 3600, .retry_min_s = 30, .retry_max_s = 600,
					    .stop_wait_ms = 2000};

static void note(const char *fmt, int id, const char *a)
{
	char line[256];

	snprintf(line, sizeof(line), fmt, id, a ? a : "");
	snprintf(tr + strlen(tr), sizeof(tr) - strlen(tr), "%s;", line);
}

static struct reg_handle *f_open(void *ctx, struct trunk_reg_entry *owner, const struct reg_target *t)
{
	struct reg_handle *h;

	(void)ctx;
	if (fail_open || nh == MAX_H)
		return NULL;
	h = &hs[nh];
	memset(h, 0, sizeof(*h));
	h->id = ++nh;
	h->open = 1;
	h->owner = owner;
	snprintf(h->user, sizeof(h->user), "%s", t->username);
	snprintf(h->host, sizeof(h->host), "%s", t->host);
	snprintf(h->transport, sizeof(h->transport), "%s", t->transport);
	h->port = t->port;
	note("open%d %s", h->id, t->trunk);
	return h;
}

static void f_send(struct reg_handle *h, int expires)
{
	char e[16];

	CU_ASSERT_TRUE(h->open);
	snprintf(e, sizeof(e), "%d", expires);
	note("register%d %s", h->id, e);
}

static void f_auth(struct reg_handle *h, const char *realm, const char *user, const char *password)
{
	char c[200];

	CU_ASSERT_TRUE(h->open);
	snprintf(c, sizeof(c), "%.64s:%.64s:%.64s", realm, user, password);
	note("auth%d %s", h->id, c);
}

static void f_unregister(struct reg_handle *h)
{
	CU_ASSERT_TRUE(h->open);
	note("unregister%d%s", h->id, NULL);
}

static void f_close(struct reg_handle *h)
{
	CU_ASSERT_FALSE(in_event);   /* never inside the handle's own event */
	CU_ASSERT_TRUE(h->open);
	h->open = 0;
	note("close%d%s", h->id, NULL);
}

static const struct reg_ops fake_ops = {
	.open = f_open, .send = f_send, .authenticate = f_auth, .unregister = f_unregister, .close = f_close,
};

/* ---- policies ---- */

static struct policy *load(const char *sql)
{
	char path[64], p2[96], err[256];
	struct cdr_store *s;
	struct policy *p = NULL;
	sqlite3 *db;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_trunk_reg_XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(cdr_store_open(&s, path, err, sizeof(err)), 0);
	cdr_store_close(s);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL(policy_load(&p, path, err, sizeof(err)), 0);
	unlink(path);
	snprintf(p2, sizeof(p2), "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof(p2), "%s-shm", path);
	unlink(p2);
	return p;
}

#define TRUNK_COLS "INSERT INTO trunks (id, name, host, port, transport, username, password, realm, register, enabled) VALUES "
static const char *one_trunk =
	TRUNK_COLS "(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 's3cret', 'carrier.example', 1, 1);";

static void use_policy(const char *sql, int64_t now)
{
	struct policy *p = load(sql);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	trunk_reg_sync(reg, p, now);
	if (pol)
		policy_unref(pol);
	pol = p;
}

static void setup(void)
{
	memset(hs, 0, sizeof(hs));
	nh = in_event = fail_open = 0;
	tr[0] = 0;
	pol = NULL;
	CU_ASSERT_EQUAL_FATAL(trunk_reg_new(&reg, &fake_ops, NULL, &cfg), 0);
}

static void teardown(void)
{
	trunk_reg_free(reg);
	reg = NULL;
	for (int i = 0; i < nh; i++)
		CU_ASSERT_FALSE(hs[i].open);   /* every handle closed */
	if (pol)
		policy_unref(pol);
	pol = NULL;
}

/* ---- driving responses ---- */

static struct sockaddr_in registrar = {.sin_family = AF_INET, .sin_port = 0x9c13};

static void respond_full(int hid, int code, const char *phrase, int local, int unreg, const char *realm,
			 const char *nonce, int granted, int64_t now)
{
	struct reg_response r = {.code = code, .phrase = phrase, .local = local, .unregister = unreg,
				 .realm = realm ? realm : "", .nonce = nonce ? nonce : "", .granted = granted,
				 .src = local ? NULL : (const struct sockaddr *)&registrar};

	inet_pton(AF_INET, "192.0.2.10", &registrar.sin_addr);
	in_event = 1;
	trunk_reg_on_response(reg, hs[hid - 1].owner, &r, now);
	in_event = 0;
}

static void respond(int hid, int code, int granted, int64_t now)
{
	respond_full(hid, code, code < 300 ? "OK" : "Failed", 0, 0, NULL, NULL, granted, now);
}

static void challenge(int hid, const char *realm, const char *nonce, int64_t now)
{
	respond_full(hid, 401, "Unauthorized", 0, 0, realm, nonce, -1, now);
}

static void expect_tr(const char *want)
{
	CU_ASSERT_STRING_EQUAL(tr, want);
	if (strcmp(tr, want) != 0)
		fprintf(stderr, "\n  transcript: %s\n  expected:   %s\n", tr, want);
	tr[0] = 0;
}

static const struct policy_trunk *trunk7(void)
{
	return policy_trunk_by_id(pol, 7);
}

static void describe(char *buf, size_t cap, int64_t now)
{
	trunk_reg_describe(reg, trunk7(), now, 0, buf, cap);
}

/* ---- tests ---- */

static void test_backoff_doubles_up_to_the_cap(void)
{
	static const struct {
		int failures, wait_s;
	} rows[] = {{1, 30}, {2, 60}, {3, 120}, {4, 240}, {5, 480}, {6, 600}, {7, 600}, {1000, 600}};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CU_ASSERT_EQUAL(trunk_reg_backoff_s(&cfg, rows[i].failures), rows[i].wait_s);
}

static void test_registers_at_the_first_tick_with_the_asked_expires(void)
{
	use_policy(one_trunk, 0);
	expect_tr("");   /* nothing inside the reload itself */
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_REGISTERING);
	trunk_reg_tick(reg, 0);
	expect_tr("open1 car;register1 3600;");
	CU_ASSERT_STRING_EQUAL(hs[0].user, "acct1");
	CU_ASSERT_STRING_EQUAL(hs[0].host, "192.0.2.10");
	CU_ASSERT_EQUAL(hs[0].port, 5080);
	trunk_reg_tick(reg, 100);
	expect_tr("");   /* one REGISTER in flight, no second */
}

/* The deadline is the time the registrar granted our Contact, never more
 * than we asked; none said: what we asked; nothing granted: a failure. */
static void test_deadline_from_granted_time(void)
{
	static const struct {
		int granted;
		int64_t expires_at;   /* 0: failed */
	} rows[] = {{4, 1000 + 4000}, {-1, 1000 + 3600000}, {7200, 1000 + 3600000}, {0, 0}, {1, 1000 + 1000}};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		teardown();
		setup();
		use_policy(one_trunk, 0);
		trunk_reg_tick(reg, 0);
		respond(1, 200, rows[i].granted, 1000);
		CU_ASSERT_EQUAL(trunk_reg_expires_at(reg, 7), rows[i].expires_at);
		CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7),
				rows[i].expires_at ? TRUNK_REG_REGISTERED : TRUNK_REG_FAILED);
	}
}

/* nua refreshes on the same handle; each 2xx moves the deadline. One that
 * never comes: failed at the deadline, the handle closed at the next tick
 * and a new one after the backoff. */
static void test_refresh_moves_deadline_and_a_missed_one_fails(void)
{
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	respond(1, 200, 4, 100);
	CU_ASSERT_EQUAL(trunk_reg_expires_at(reg, 7), 4100);
	respond(1, 200, 4, 2100);   /* nua's refresh */
	CU_ASSERT_EQUAL(trunk_reg_expires_at(reg, 7), 6100);
	trunk_reg_tick(reg, 6099);
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_REGISTERED);
	expect_tr("open1 car;register1 3600;");
	trunk_reg_tick(reg, 6100);
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_FAILED);
	CU_ASSERT_EQUAL(trunk_reg_retry_at(reg, 7), 6100 + 30000);
	describe(d, sizeof(d), 6100);
	CU_ASSERT_STRING_EQUAL(d, " reg failed expires - retry 1970-01-01T00:00:30Z last_error expired unrefreshed");
	trunk_reg_tick(reg, 6300);
	expect_tr("close1;");
	trunk_reg_tick(reg, 36099);
	expect_tr("");
	trunk_reg_tick(reg, 36100);
	expect_tr("open2 car;register2 3600;");
}

/* Failures in a row wait longer each time (capped); a 2xx starts over. */
static void test_failures_back_off_and_success_resets(void)
{
	int64_t t = 0;
	static const int waits[] = {30, 60, 120, 240, 480, 600, 600};
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, t);
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		respond(nh, 503, -1, t);
		CU_ASSERT_EQUAL(trunk_reg_retry_at(reg, 7), t + waits[i] * 1000);
		trunk_reg_tick(reg, t + 1);   /* closes the failed handle */
		CU_ASSERT_FALSE(hs[nh - 1].open);
		t += waits[i] * 1000;
		trunk_reg_tick(reg, t);
		CU_ASSERT_TRUE(hs[nh - 1].open);
	}
	CU_ASSERT_EQUAL(nh, 8);
	describe(d, sizeof(d), t);
	CU_ASSERT_STRING_EQUAL(d, " reg registering expires - retry - last_error 503 Failed");
	respond(nh, 200, 60, t);
	respond(nh, 403, -1, t + 10);
	CU_ASSERT_EQUAL(trunk_reg_retry_at(reg, 7), t + 10 + 30000);
	describe(d, sizeof(d), t + 10);
	CU_ASSERT_STRING_EQUAL(d, " reg failed expires - retry 1970-01-01T00:00:30Z last_error 403 Failed");
}

/* A failure our own stack made (timeout, transport) says so. */
static void test_local_error_is_named_local(void)
{
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	respond_full(1, 408, "Request Timeout", 1, 0, NULL, NULL, -1, 32000);
	describe(d, sizeof(d), 32000);
	CU_ASSERT_STRING_EQUAL(d, " reg failed expires - retry 1970-01-01T00:00:30Z last_error local 408 Request Timeout");
}

/* CVE-2021-41158: credentials only for the trunk's own realm (any when it
 * names none); a realm that would break NUTAG_AUTH's format never. */
static void test_credentials_only_for_the_trunks_realm(void)
{
	static const struct {
		const char *trunk_realm, *challenge_realm;
		int answered;
	} rows[] = {
		{"carrier.example", "carrier.example", 1}, {"carrier.example", "evil.example", 0},
		{"carrier.example", "", 0},               {"", "any.example", 1},
		{"", "a:b", 0},                           {"", "", 0},
		{"carrier.example", "Carrier.example", 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char sql[512], want[256];

		teardown();
		setup();
		snprintf(sql, sizeof(sql),
			 TRUNK_COLS "(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 's3cret', '%s', 1, 1);",
			 rows[i].trunk_realm);
		use_policy(sql, 0);
		trunk_reg_tick(reg, 0);
		tr[0] = 0;
		challenge(1, rows[i].challenge_realm, "n1", 10);
		if (rows[i].answered) {
			snprintf(want, sizeof(want), "auth1 %s:acct1:s3cret;", rows[i].challenge_realm);
			expect_tr(want);
			CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_REGISTERING);
		} else {
			expect_tr("");
			CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_FAILED);
		}
	}
}

/* Once per challenge: the nonce we answered coming back means the
 * registrar refused the credentials (no loop); fresh nonces are answered
 * at most twice without a 2xx between. */
static void test_same_nonce_again_is_credentials_refused(void)
{
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	challenge(1, "carrier.example", "n1", 10);
	challenge(1, "carrier.example", "n1", 20);
	expect_tr("open1 car;register1 3600;auth1 carrier.example:acct1:s3cret;");
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_FAILED);
	describe(d, sizeof(d), 20);
	CU_ASSERT_STRING_EQUAL(d, " reg failed expires - retry 1970-01-01T00:00:30Z last_error 401 Unauthorized (credentials refused)");
	/* fresh nonces: two answered, the third is a refusal */
	trunk_reg_tick(reg, 30020);
	challenge(2, "carrier.example", "a", 30030);
	challenge(2, "carrier.example", "b", 30040);
	challenge(2, "carrier.example", "c", 30050);
	expect_tr("close1;open2 car;register2 3600;auth2 carrier.example:acct1:s3cret;"
		  "auth2 carrier.example:acct1:s3cret;");
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_FAILED);
	/* a 2xx starts the count again: a refresh's fresh challenge is answered */
	trunk_reg_tick(reg, 30050 + 60000);
	challenge(3, "carrier.example", "x", 90060);
	respond(3, 200, 60, 90070);
	challenge(3, "carrier.example", "y", 100000);
	challenge(3, "carrier.example", "z", 100010);
	expect_tr("close2;open3 car;register3 3600;auth3 carrier.example:acct1:s3cret;"
		  "auth3 carrier.example:acct1:s3cret;auth3 carrier.example:acct1:s3cret;");
}

/* Shutdown: a registered trunk un-REGISTERs and is awaited (bounded);
 * one still trying is just closed. */
static void test_stop_unregisters_and_is_bounded(void)
{
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	respond(1, 200, 60, 10);
	trunk_reg_stop(reg, 1000);
	expect_tr("open1 car;register1 3600;unregister1;");
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 1000), 1);
	respond(1, 200, 60, 1100);   /* a refresh crossing it changes nothing */
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 1100), 1);
	respond_full(1, 200, "OK", 0, 1, NULL, NULL, -1, 1200);
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 1200), 0);
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_UNREGISTERED);
	describe(d, sizeof(d), 1200);
	CU_ASSERT_STRING_EQUAL(d, " reg unregistered expires - retry - last_error -");
	trunk_reg_tick(reg, 1400);
	expect_tr("close1;");
	trunk_reg_tick(reg, 100000);   /* stopped: no new attempt */
	expect_tr("");

	/* a registrar that never answers: not awaited past stop_wait_ms */
	teardown();
	setup();
	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	respond(1, 200, 60, 10);
	trunk_reg_stop(reg, 1000);
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 2999), 1);
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 3000), 0);
	trunk_reg_tick(reg, 3000);
	expect_tr("open1 car;register1 3600;unregister1;close1;");
	describe(d, sizeof(d), 3000);
	CU_ASSERT_STRING_EQUAL(d, " reg unregistered expires - retry - last_error no answer to un-REGISTER");

	/* still trying at shutdown: nothing to un-REGISTER */
	teardown();
	setup();
	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	trunk_reg_stop(reg, 10);
	CU_ASSERT_EQUAL(trunk_reg_pending(reg, 10), 0);
	trunk_reg_tick(reg, 20);
	expect_tr("open1 car;register1 3600;close1;");
}

/* A reload: a changed trunk un-REGISTERs its old binding and registers
 * anew; a removed one, or one no longer registering, un-REGISTERs; an
 * unchanged one is left alone. */
static void test_reload_starts_changes_and_stops(void)
{
	static const char *two =
		TRUNK_COLS "(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 's3cret', 'carrier.example', 1, 1),"
			   "(8, 'car2', '192.0.2.20', 0, 'tcp', 'acct2', 'pw2', NULL, 1, 1);";
	static const char *changed =
		TRUNK_COLS "(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 'n3w', 'carrier.example', 1, 1),"
			   "(8, 'car2', '192.0.2.20', 0, 'tcp', 'acct2', 'pw2', NULL, 1, 1);";
	static const char *off = TRUNK_COLS "(8, 'car2', '192.0.2.20', 0, 'tcp', 'acct2', 'pw2', NULL, 0, 1);";

	use_policy(two, 0);
	trunk_reg_tick(reg, 0);
	CU_ASSERT_EQUAL(nh, 2);
	respond(1, 200, 60, 10);
	respond(2, 200, 60, 10);
	tr[0] = 0;
	use_policy(two, 100);   /* unchanged */
	trunk_reg_tick(reg, 200);
	expect_tr("");
	use_policy(changed, 300);
	expect_tr("unregister1;");   /* car: the old binding goes ... */
	respond_full(1, 200, "OK", 0, 1, NULL, NULL, -1, 350);
	trunk_reg_tick(reg, 400);
	CU_ASSERT_EQUAL(hs[2].owner != hs[0].owner, 1);
	expect_tr("close1;open3 car;register3 3600;");   /* ... and a new one starts */
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_REGISTERING);
	use_policy(off, 500);   /* car removed, car2 no longer registering */
	expect_tr("unregister2;");
	trunk_reg_tick(reg, 600);
	expect_tr("close3;");
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_OFF);
	trunk_reg_tick(reg, 600 + 2000);   /* car2's registrar never answers */
	expect_tr("close2;");
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 8), TRUNK_REG_OFF);
}

/* register = 1 that cannot work: never attempted, shown off with why. */
static void test_settings_that_cannot_work_stay_off(void)
{
	static const struct {
		const char *row, *why;
	} rows[] = {
		{"(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', NULL, NULL, 1, 1)", "no username/password"},
		{"(7, 'car', '192.0.2.10', 5080, 'udp', NULL, 'pw', NULL, 1, 1)", "no username/password"},
		{"(7, 'car', '192.0.2.10', 5080, 'tls', 'acct1', 'pw', NULL, 1, 1)", "transport not served (udp, tcp)"},
		{"(7, 'car', '192.0.2.10', 5080, 'udp', 'a:b', 'pw', NULL, 1, 1)", "username with ':' or realm with '\"'"},
		{"(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 'pw', NULL, 1, 0)", "trunk disabled"},
		{"(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 'pw', NULL, 0, 1)", "-"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char sql[512], d[256], want[256];

		teardown();
		setup();
		snprintf(sql, sizeof(sql), TRUNK_COLS "%s;", rows[i].row);
		use_policy(sql, 0);
		trunk_reg_tick(reg, 0);
		expect_tr("");
		CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_OFF);
		describe(d, sizeof(d), 0);
		snprintf(want, sizeof(want), " reg off expires - retry - last_error %s", rows[i].why);
		CU_ASSERT_STRING_EQUAL(d, want);
	}
}

/* Only a registered trunk's registrar address names it (any port); among
 * trunks on one registrar, the Request-URI user picks. */
static void test_match_by_registrar_address(void)
{
	static const char *two_on_one =
		TRUNK_COLS "(7, 'car', '192.0.2.10', 5080, 'udp', 'acct1', 's3cret', NULL, 1, 1),"
			   "(8, 'car2', '192.0.2.10', 5080, 'udp', 'acct2', 'pw2', NULL, 1, 1);";
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0x1234}, other = from;
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	int first;

	inet_pton(AF_INET, "192.0.2.10", &from.sin_addr);
	inet_pton(AF_INET, "192.0.2.11", &other.sin_addr);
	use_policy(two_on_one, 0);
	trunk_reg_tick(reg, 0);
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&from, "acct1"), 0);   /* not registered yet */
	respond(1, 200, 60, 10);
	respond(2, 200, 60, 10);
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&from, "acct2"), 8);
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&from, "acct1"), 7);
	first = trunk_reg_match(reg, (struct sockaddr *)&from, "4930123");
	CU_ASSERT_TRUE(first == 7 || first == 8);
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&other, "acct1"), 0);   /* a stranger naming it */
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&v6, "acct1"), 0);
	CU_ASSERT_EQUAL(trunk_reg_match(NULL, (struct sockaddr *)&from, "acct1"), 0);
	respond(1, 403, -1, 20);   /* a failed one names nothing any more */
	CU_ASSERT_EQUAL(trunk_reg_match(reg, (struct sockaddr *)&from, "acct1"), 8);
}

/* A registered trunk's line; a peer's phrase is cleaned before it shows. */
static void test_describe_registered_and_hostile_phrase(void)
{
	char d[256];

	use_policy(one_trunk, 0);
	trunk_reg_tick(reg, 0);
	respond(1, 200, 4, 1000);
	trunk_reg_describe(reg, trunk7(), 2000, 1764067338000LL, d, sizeof(d));
	/* 1764067338 s + 3 s left */
	CU_ASSERT_STRING_EQUAL(d, " reg registered expires 2025-11-25T10:42:21Z retry - last_error -");
	respond_full(1, 500, "Bad\r\nX-Injected: 1", 0, 0, NULL, NULL, -1, 3000);
	describe(d, sizeof(d), 3000);
	CU_ASSERT_STRING_EQUAL(d, " reg failed expires - retry 1970-01-01T00:00:30Z last_error 500 Bad??X-Injected: 1");
	CU_ASSERT_EQUAL(trunk_reg_describe(reg, trunk7(), 3000, 0, d, 10), 0);   /* does not fit: nothing */
	CU_ASSERT_STRING_EQUAL(d, "");
}

/* No handle: a failure with the backoff, never a crash. */
static void test_open_failure_backs_off(void)
{
	use_policy(one_trunk, 0);
	fail_open = 1;
	trunk_reg_tick(reg, 0);
	CU_ASSERT_EQUAL(trunk_reg_state_of(reg, 7), TRUNK_REG_FAILED);
	CU_ASSERT_EQUAL(trunk_reg_retry_at(reg, 7), 30000);
	fail_open = 0;
	trunk_reg_tick(reg, 30000);
	expect_tr("open1 car;register1 3600;");
}

UNIT_SUITE_FIXTURE(trunk_reg, NULL, NULL, setup, teardown,
		   UNIT_TEST(test_backoff_doubles_up_to_the_cap),
		   UNIT_TEST(test_registers_at_the_first_tick_with_the_asked_expires),
		   UNIT_TEST(test_deadline_from_granted_time),
		   UNIT_TEST(test_refresh_moves_deadline_and_a_missed_one_fails),
		   UNIT_TEST(test_failures_back_off_and_success_resets),
		   UNIT_TEST(test_local_error_is_named_local),
		   UNIT_TEST(test_credentials_only_for_the_trunks_realm),
		   UNIT_TEST(test_same_nonce_again_is_credentials_refused),
		   UNIT_TEST(test_stop_unregisters_and_is_bounded),
		   UNIT_TEST(test_reload_starts_changes_and_stops),
		   UNIT_TEST(test_settings_that_cannot_work_stay_off),
		   UNIT_TEST(test_match_by_registrar_address),
		   UNIT_TEST(test_describe_registered_and_hostile_phrase),
		   UNIT_TEST(test_open_failure_backs_off))
