/*
 * test_policy.c - the snapshot loader and its questions (policy.c): trunk
 * lookup by address, routing contexts and weights, rules and rates through
 * the snapshot, and reloads refused for a bad row.
 *
 * Each test builds a temporary database with the embedded migrations
 * (db_migrate, as the daemons do) and inserts its rows with sqlite3_exec.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "db.h"
#include "policy.h"

static char db_path[64];

static const char *fixture_sql =
	"INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled) VALUES"
	" (1, 'pbx', '127.0.0.2', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),"
	" (2, 'carrier1', '127.0.0.3', 5080, 'udp', 0, 10, 2, 'PCMA,PCMU', 'optional', 30, 1),"
	" (3, 'carrier2', '127.0.0.4', 5080, 'tcp', 1, 0, 0, NULL, 'mandatory', 0, 1),"
	" (4, 'off', '127.0.0.5', 5080, 'udp', 0, 0, 0, NULL, 'off', 0, 0),"
	" (6, 'carrier3', 'sip.example.com', 0, 'tls', 0, 0, 0, NULL, 'off', 0, 1);"
	"UPDATE trunks SET refer = 'LOCAL', rel100 = 'required', session_expires = 120 WHERE id = 3;"
	"UPDATE trunks SET rel100 = 'off', session_expires = 0 WHERE id = 4;"
	"UPDATE trunks SET redirect = 'Follow', avpf = 'keep', trusted = 1, trust_reason = 0 WHERE id = 2;"
	"UPDATE trunks SET trust_reason = 1, interface = 'inside' WHERE id = 1;"
	"UPDATE trunks SET interface = 'outside' WHERE id = 2;"
	"INSERT INTO trunk_sources (trunk_id, cidr) VALUES (1, '127.0.0.2/32'), (1, '::1'),"
	" (2, '127.0.0.3/32'), (3, '127.0.0.4'), (4, '127.0.0.5/32'),"
	" (2, '10.0.0.0/8'), (3, '10.1.0.0/16'), (6, '2001:db8::/32');"
	"INSERT INTO routes (id, from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES"
	" (1, 1, '1', 2, 1, 100, 1), (2, 1, '1', 3, 2, 100, 1), (3, 1, '2', 3, 1, 100, 1),"
	" (4, NULL, '12', 6, 1, 100, 1),"     /* longer any-trunk prefix beats pbx's '1' */
	" (5, NULL, '1', 6, 1, 100, 1),"      /* same length as pbx's '1': pbx's own wins */
	" (6, NULL, '', 2, 1, 100, 1),"       /* default of every trunk */
	" (7, 1, '3', 4, 1, 100, 1),"         /* to a disabled trunk: skipped */
	" (8, 1, '5', 2, 1, 100, 0),"         /* disabled route */
	" (9, 1, '6', 2, 1, 100, 1), (10, 1, '6', 3, 1, 100, 1), (11, 1, '6', 2, 2, 100, 1),"
	" (12, 1, '7', 2, 1, 0, 1), (13, 1, '7', 3, 1, 50, 1), (14, 1, '7', 6, 1, 50, 1),"
	" (15, 1, '8', 2, 5, 100, 1), (16, 1, '8', 3, 1, 100, 1);"
	"INSERT INTO number_rules (id, trunk_id, direction, field, match, replace, priority) VALUES"
	" (1, NULL, 'in', 'ruri', '^0(\\d+)$', '+49$1', 10),"
	" (2, NULL, 'out', 'ruri', '^\\+(\\d+)$', '$1', 10),"
	" (3, 3, 'out', 'ruri', '^\\+49(\\d+)$', '0$1', 10),"
	" (4, 1, 'in', 'from', '^(\\d{3})$', '+4930123$1', 10);"
	"INSERT INTO header_rules (id, trunk_id, direction, action, header, match, value) VALUES"
	" (1, NULL, 'out', 'remove', 'X-Internal', NULL, NULL),"
	" (2, 2, 'out', 'add', 'X-Account', NULL, '42'),"
	" (3, NULL, 'out', 'remove', 'CSeq', NULL, NULL);"
	"INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee) VALUES"
	" ('1', 2, 0.60, 6, 6, 0.0), ('', 2, 1.0, 60, 0, 0.0), ('1', 3, 1.20, 60, 60, 0.05);";

static void drop_db(void)
{
	char p[96];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

/* A fresh database: schema from the embedded migrations, then each sql. */
static int make_db(const char *sql1, const char *sql2)
{
	sqlite3 *db;
	char err[256];
	int fd, rc = -1;

	snprintf(db_path, sizeof(db_path), "/tmp/test_policy_XXXXXX");
	fd = mkstemp(db_path);
	if (fd < 0)
		return -1;
	close(fd);
	if (db_open(&db, db_path, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "make_db: %s\n", err);
		return -1;
	}
	if (db_migrate(db, err, sizeof(err)) != 0) {
		fprintf(stderr, "make_db: %s\n", err);
		goto out;
	}
	if ((sql1 && sqlite3_exec(db, sql1, NULL, NULL, NULL) != SQLITE_OK) ||
	    (sql2 && sqlite3_exec(db, sql2, NULL, NULL, NULL) != SQLITE_OK)) {
		fprintf(stderr, "make_db: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}

static struct policy *load_fixture(void)
{
	struct policy *p = NULL;
	char err[256] = "";

	if (make_db(fixture_sql, NULL) != 0)
		return NULL;
	if (policy_load(&p, db_path, err, sizeof(err)) != 0)
		fprintf(stderr, "policy_load: %s\n", err);
	return p;
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s4->sin_addr);
	}
	return ss;
}

static void test_trunks_loaded_with_every_column(void)
{
	struct policy *p = load_fixture();
	const struct policy_trunk *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(policy_trunk_count(p), 5);
	CU_ASSERT_EQUAL(policy_trunk_at(p, 0)->id, 1);
	CU_ASSERT_PTR_NULL(policy_trunk_at(p, 5));
	t = policy_trunk_by_name(p, "carrier1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_EQUAL(policy_trunk_by_id(p, 2), t);
	CU_ASSERT_STRING_EQUAL(t->host, "127.0.0.3");
	CU_ASSERT_EQUAL(t->port, 5080);
	CU_ASSERT_STRING_EQUAL(t->transport, "udp");
	CU_ASSERT_EQUAL(t->max_channels, 10);
	CU_ASSERT_EQUAL(t->max_cps, 2);
	CU_ASSERT_STRING_EQUAL(t->codecs, "PCMA,PCMU");
	CU_ASSERT_EQUAL(t->srtp, POLICY_SRTP_OPTIONAL);
	CU_ASSERT_EQUAL(t->options_ping_s, 30);
	CU_ASSERT_EQUAL(t->enabled, 1);
	CU_ASSERT_EQUAL(t->refer, POLICY_REFER_REJECT);   /* the defaults */
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 1)->redirect, POLICY_REDIRECT_NEXT);
	CU_ASSERT_EQUAL(t->redirect, POLICY_REDIRECT_FOLLOW);
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 1)->avpf, POLICY_AVPF_OFF);
	CU_ASSERT_EQUAL(t->avpf, POLICY_AVPF_KEEP);
	CU_ASSERT_EQUAL(t->trust_reason, 0);   /* trusted, but not its Reason */
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 1)->trust_reason, 1);   /* untrusted, its Reason is */
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 3)->trust_reason, 0);   /* NULL: as trusted (0) */
	CU_ASSERT_EQUAL(t->rel100, POLICY_REL100_SUPPORTED);
	CU_ASSERT_EQUAL(t->session_expires, -1);
	t = policy_trunk_by_id(p, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->reg, 1);
	CU_ASSERT_EQUAL(t->srtp, POLICY_SRTP_MANDATORY);
	CU_ASSERT_EQUAL(t->refer, POLICY_REFER_LOCAL);
	CU_ASSERT_EQUAL(t->rel100, POLICY_REL100_REQUIRED);
	CU_ASSERT_EQUAL(t->session_expires, 120);
	CU_ASSERT_STRING_EQUAL(t->codecs, "");
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 4)->enabled, 0);
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 4)->rel100, POLICY_REL100_OFF);
	CU_ASSERT_EQUAL(policy_trunk_by_id(p, 4)->session_expires, 0);
	CU_ASSERT_PTR_NULL(policy_trunk_by_id(p, 5));
	CU_ASSERT_PTR_NULL(policy_trunk_by_name(p, "nope"));
	policy_unref(p);
	drop_db();
}

static void test_trunk_by_source_address(void)
{
	static const struct {
		const char *addr;
		int want;      /* trunk id, 0 = none */
	} cases[] = {
		{"127.0.0.2", 1}, {"::ffff:127.0.0.2", 1}, {"::1", 1}, {"127.0.0.3", 2},
		{"127.0.0.4", 3}, {"127.0.0.5", 0} /* disabled trunk */, {"127.0.0.9", 0},
		{"10.2.3.4", 2}, {"10.1.3.4", 3} /* /16 beats /8 */, {"2001:db8::7", 6},
		{"2001:db9::7", 0},
	};
	struct policy *p = load_fixture();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = addr(cases[i].addr);
		const struct policy_trunk *t = policy_trunk_by_addr(p, (struct sockaddr *)&ss);

		if ((t ? t->id : 0) != cases[i].want)
			fprintf(stderr, "by_addr %s: got %d want %d\n", cases[i].addr, t ? t->id : 0, cases[i].want);
		CU_ASSERT_EQUAL(t ? t->id : 0, cases[i].want);
	}
	policy_unref(p);
	drop_db();
}

static unsigned zero_rnd(void *arg)
{
	(void)arg;
	return 0;
}

/* A 3xx Contact's host names a trunk: by trunks.host and port, or by an
 * address its trunk_sources hold; never a disabled one. */
static void test_trunk_by_target(void)
{
	struct policy *p = load_fixture();
	const struct policy_trunk *t;
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	t = policy_trunk_by_target(p, "127.0.0.3", 5080);
	CU_ASSERT(t && strcmp(t->name, "carrier1") == 0);
	t = policy_trunk_by_target(p, "SIP.example.com", 0);
	CU_ASSERT(t && strcmp(t->name, "carrier3") == 0);
	t = policy_trunk_by_target(p, "sip.example.com", 5060);   /* its default port */
	CU_ASSERT(t && strcmp(t->name, "carrier3") == 0);
	CU_ASSERT_PTR_NULL(policy_trunk_by_target(p, "sip.example.com", 5070));
	t = policy_trunk_by_target(p, "10.9.8.7", 5060);             /* carrier1's 10.0.0.0/8 */
	CU_ASSERT(t && strcmp(t->name, "carrier1") == 0);
	CU_ASSERT_PTR_NULL(policy_trunk_by_target(p, "127.0.0.5", 5080));   /* disabled */
	CU_ASSERT_PTR_NULL(policy_trunk_by_target(p, "192.0.2.1", 5060));
	CU_ASSERT_PTR_NULL(policy_trunk_by_target(p, "", 5060));
	policy_unref(p);
	drop_db();
	/* Two trunks on one host: a Contact without port means 5060. */
	p = NULL;
	CU_ASSERT_EQUAL_FATAL(make_db(fixture_sql, "INSERT INTO trunks (id, name, host, port) VALUES"
				      " (20, 'same5080', 'same.example', 5080), (21, 'same5060', 'same.example', 5060)"), 0);
	CU_ASSERT_EQUAL_FATAL(policy_load(&p, db_path, err, sizeof(err)), 0);
	t = policy_trunk_by_target(p, "same.example", 0);
	CU_ASSERT(t && strcmp(t->name, "same5060") == 0);
	t = policy_trunk_by_target(p, "same.example", 5080);
	CU_ASSERT(t && strcmp(t->name, "same5080") == 0);
	policy_unref(p);
	drop_db();
}

static void test_route_contexts_and_longest_prefix(void)
{
	static const struct {
		int from;
		const char *user;
		size_t max;
		int want[4];    /* trunk ids, 0-terminated */
	} cases[] = {
		{1, "100", 8, {2, 3}},      /* own '1': priority 1 then 2 */
		{1, "200", 8, {3}},
		{1, "123", 8, {6}},         /* any '12' is longer than own '1' */
		{2, "100", 8, {6}},         /* carrier1 has no own routes */
		{1, "300", 8, {2}},         /* route to disabled trunk gone: default */
		{1, "500", 8, {2}},         /* disabled route gone: default */
		{1, "999", 8, {2}},         /* '' default */
		{1, "", 8, {2}},
		{1, "600", 8, {2, 3}},      /* trunk 2 twice: listed once */
		{1, "800", 8, {3, 2}},      /* priority beats id order */
		{99, "100", 8, {6}},        /* unknown source trunk: any-trunk routes */
		{1, "100", 1, {2}},         /* max */
	};
	struct policy *p = load_fixture();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_trunk *out[8];
		size_t n = policy_route(p, cases[i].from, cases[i].user, out, cases[i].max, zero_rnd, NULL);
		size_t want_n = 0;

		while (want_n < 4 && cases[i].want[want_n])
			want_n++;
		if (n != want_n)
			fprintf(stderr, "route case %zu (%d, '%s'): %zu candidates, want %zu\n", i,
				cases[i].from, cases[i].user, n, want_n);
		CU_ASSERT_EQUAL(n, want_n);
		for (size_t k = 0; k < n && k < want_n; k++)
			CU_ASSERT_EQUAL(out[k]->id, cases[i].want[k]);
	}
	CU_ASSERT_EQUAL(policy_route(NULL, 1, "1", NULL, 0, NULL, NULL), 0);
	policy_unref(p);
	drop_db();
}

static unsigned lcg(void *arg)
{
	unsigned *s = arg;

	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0x7fffff;
}

/* Prefix '7': trunk 2 weight 0, trunks 3 and 6 weight 50 each. */
static void test_route_weights(void)
{
	struct policy *p = load_fixture();
	unsigned seed = 42;
	int first[7] = {0};
	int runs = 2000;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int i = 0; i < runs; i++) {
		const struct policy_trunk *out[4];
		size_t n = policy_route(p, 1, "7000", out, 4, lcg, &seed);

		CU_ASSERT_EQUAL_FATAL(n, 3);
		first[out[0]->id]++;
		CU_ASSERT_EQUAL(out[2]->id, 2);     /* weight 0: always last */
		CU_ASSERT_NOT_EQUAL(out[0]->id, out[1]->id);
	}
	CU_ASSERT_EQUAL(first[2], 0);
	/* both orders occur, roughly half each */
	CU_ASSERT(first[3] > runs * 4 / 10 && first[3] < runs * 6 / 10);
	CU_ASSERT(first[6] > runs * 4 / 10 && first[6] < runs * 6 / 10);
	CU_ASSERT_EQUAL(first[3] + first[6], runs);
	/* NULL rnd uses random(): still a valid candidate list */
	{
		const struct policy_trunk *out[4];

		CU_ASSERT_EQUAL(policy_route(p, 1, "7", out, 4, NULL, NULL), 3);
	}
	policy_unref(p);
	drop_db();
}

static void test_rules_and_rates_through_snapshot(void)
{
	static const struct {
		int trunk;
		enum policy_dir dir;
		enum policy_field field;
		const char *in, *want;
		int rc;          /* 1 a rule rewrote, 0 none matched */
	} cases[] = {
		{1, POLICY_IN, POLICY_RURI, "0301234", "+49301234", 1},
		{2, POLICY_OUT, POLICY_RURI, "+49301234", "49301234", 1},     /* global */
		{3, POLICY_OUT, POLICY_RURI, "+49301234", "0301234", 1},      /* own before global at equal prio */
		{3, POLICY_OUT, POLICY_RURI, "+4312", "4312", 1},
		{1, POLICY_IN, POLICY_FROM, "100", "+4930123100", 1},
		{2, POLICY_IN, POLICY_FROM, "100", "100", 0},                 /* pbx-only rule */
	};
	struct policy *p = load_fixture();
	struct policy_hdr h[4];
	double cost = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];

		CU_ASSERT_EQUAL(policy_number_rewrite(p, cases[i].trunk, cases[i].dir, cases[i].field,
						      cases[i].in, out, sizeof(out)), cases[i].rc);
		if (strcmp(out, cases[i].want) != 0)
			fprintf(stderr, "snapshot rewrite case %zu: '%s'\n", i, out);
		CU_ASSERT_STRING_EQUAL(out, cases[i].want);
	}

	memset(h, 0, sizeof(h));
	snprintf(h[0].name, sizeof(h[0].name), "x-internal");
	snprintf(h[1].name, sizeof(h[1].name), "CSeq");        /* protected: stays */
	snprintf(h[1].value, sizeof(h[1].value), "1 INVITE");
	CU_ASSERT_EQUAL(policy_header_apply(p, 2, POLICY_OUT, h, 2, 4), 2);
	CU_ASSERT_STRING_EQUAL(h[0].name, "CSeq");
	CU_ASSERT_STRING_EQUAL(h[1].name, "X-Account");
	CU_ASSERT_STRING_EQUAL(h[1].value, "42");

	CU_ASSERT_EQUAL(policy_rate_cost(p, 2, "1555", 61.5, &cost), 0);
	CU_ASSERT_DOUBLE_EQUAL(cost, 0.66, 1e-9);
	CU_ASSERT_EQUAL(policy_rate_cost(p, 2, "555", 30, &cost), 0);     /* '' rate */
	CU_ASSERT_DOUBLE_EQUAL(cost, 1.0, 1e-9);
	CU_ASSERT_EQUAL(policy_rate_cost(p, 3, "1", 0, &cost), 0);         /* 0 s bills min_s */
	CU_ASSERT_DOUBLE_EQUAL(cost, 1.25, 1e-9);
	CU_ASSERT_EQUAL(policy_rate_cost(p, 3, "555", 30, &cost), -1);
	CU_ASSERT_EQUAL(policy_rate_cost(p, 1, "1", 30, &cost), -1);
	policy_unref(p);
	drop_db();
}

static void test_reload_refuses_bad_rows(void)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"INSERT INTO number_rules (id, direction, field, match, replace) VALUES (7, 'in', 'ruri', '^(0', '$1')",
		 "number_rules id 7: missing closing parenthesis at offset 3"},
		{"INSERT INTO routes (id, prefix, to_trunk_id) VALUES (40, '9', 9)",
		 "routes id 40: to_trunk_id 9 does not exist"},
		{"INSERT INTO routes (id, from_trunk_id, prefix, to_trunk_id) VALUES (41, 77, '9', 2)",
		 "routes id 41: from_trunk_id 77 does not exist"},
		{"INSERT INTO routes (id, prefix, to_trunk_id, weight) VALUES (42, '9', 2, -5)",
		 "routes id 42: weight -5"},
		{"INSERT INTO trunk_sources (id, trunk_id, cidr) VALUES (50, 1, '10.0.0.0/33')",
		 "trunk_sources rowid 50: bad CIDR '10.0.0.0/33'"},
		{"INSERT INTO trunk_sources (id, trunk_id, cidr) VALUES (51, 1, 'pbx.example')",
		 "trunk_sources rowid 51: bad CIDR 'pbx.example'"},
		{"INSERT INTO trunk_sources (id, trunk_id, cidr) VALUES (52, 9, '10.0.0.1')",
		 "trunk_sources rowid 52: trunk_id 9 does not exist"},
		{"INSERT INTO trunks (id, name, srtp) VALUES (8, 'x', 'maybe')",
		 "trunks id 8: srtp 'maybe' is not off, optional or mandatory"},
		{"INSERT INTO trunks (id, name, rel100) VALUES (8, 'x', 'yes')",
		 "trunks id 8: rel100 'yes' is not supported, required or off"},
		{"INSERT INTO trunks (id, name, session_expires) VALUES (8, 'x', -5)",
		 "trunks id 8: session_expires -5 is not 0-86400 or NULL"},
		{"INSERT INTO trunks (id, name, avpf) VALUES (8, 'x', 'yes')",
		 "trunks id 8: avpf 'yes' is not off or keep"},
		{"INSERT INTO trunks (id, name, redirect) VALUES (8, 'x', 'always')",
		 "trunks id 8: redirect 'always' is not next or follow"},
		{"INSERT INTO trunks (id, name, refer) VALUES (8, 'x', 'proxy')",
		 "trunks id 8: refer 'proxy' is not reject or local"},
		{"INSERT INTO trunks (id, name, interface) VALUES (8, 'x', 'abcdefghijabcdefghijabcdefghijabc')",
		 "trunks id 8: interface longer than 31 characters"},
		{"INSERT INTO trunks (id, name, transport) VALUES (8, 'x', 'sctp')",
		 "trunks id 8: transport 'sctp'"},
		{"INSERT INTO number_rules (id, direction, field, match) VALUES (8, 'sideways', 'ruri', 'x')",
		 "number_rules id 8: direction 'sideways' is not in or out"},
		{"INSERT INTO number_rules (id, direction, field, match) VALUES (8, 'in', 'via', 'x')",
		 "number_rules id 8: field 'via'"},
		{"INSERT INTO number_rules (id, trunk_id, direction, field, match) VALUES (8, 9, 'in', 'to', 'x')",
		 "number_rules id 8: trunk_id 9 does not exist"},
		{"INSERT INTO header_rules (id, direction, action, header, value) VALUES (9, 'out', 'mangle', 'X-A', 'v')",
		 "header_rules id 9: action 'mangle' is not add, remove or replace"},
		{"INSERT INTO header_rules (id, direction, action, header, match, value) VALUES (10, 'out', 'replace', 'X-A', '(?<', 'v')",
		 "header_rules id 10: "},
		{"INSERT INTO header_rules (id, direction, action, header, value) VALUES (11, 'in', 'add', 'X-A', NULL)",
		 "header_rules id 11: add needs a value"},
		{"INSERT INTO rates (id, prefix, trunk_id, per_minute) VALUES (12, '1', 9, 0.1)",
		 "rates id 12: trunk_id 9 does not exist"},
		/* Mistakes that used to pass without a word (issue 12). */
		{"UPDATE trunks SET codecs = 'PCMA,G729a' WHERE id = 2",
		 "trunks id 2 (carrier1): unknown codec 'G729a' (known: PCMU,PCMA,G722,"},
		{"INSERT INTO trunks (id, name, codecs) VALUES (8, 'x', 'PCMU telephon-event')",
		 "trunks id 8 (x): unknown codec 'telephon-event' (known: PCMU,"},
		{"INSERT INTO trunks (id, name, codecs) VALUES (8, 'x', 'PCM')",
		 "trunks id 8 (x): unknown codec 'PCM' (known: "},
		{"INSERT INTO trunks (id, name, codecs) VALUES (8, 'x', ' , ')",
		 "trunks id 8 (x): codecs ' , ' names no codec (NULL or '' is any)"},
		{"INSERT INTO trunks (id, name) VALUES (8, 'Carrier1')",
		 "trunks id 2 (carrier1) and id 8 (Carrier1): names differ only in case"},
		{"INSERT INTO trunks (id, name) VALUES (5, 'PBX')",
		 "trunks id 1 (pbx) and id 5 (PBX): names differ only in case"},
		{"INSERT INTO number_rules (id, direction, field, match, replace) VALUES (9, 'in', 'ruri', '^0(\\d+)$', '+44$3')",
		 "number_rules id 9: replace '+44$3' names group 3, but match '^0(\\d+)$' has 1 group"},
		{"INSERT INTO header_rules (id, direction, action, header, match, value) VALUES"
		 " (13, 'out', 'replace', 'P-Asserted-Identity', '@pbx\\.local', '@$1')",
		 "header_rules id 13: value '@$1' names group 1, but match '@pbx\\.local' has 0 groups"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p = (struct policy *)&p;   /* must come back NULL */
		char err[256] = "";

		CU_ASSERT_EQUAL_FATAL(make_db(fixture_sql, cases[i].sql), 0);
		CU_ASSERT_EQUAL(policy_load(&p, db_path, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NULL(p);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fprintf(stderr, "refusal case %zu: '%s' want '%s'\n", i, err, cases[i].want);
		CU_ASSERT_NSTRING_EQUAL(err, cases[i].want, strlen(cases[i].want));
		drop_db();
	}
}

/* Every codec list the shipped policies use loads, in any case and
 * with either separator media_policy.c splits by; the column is kept as
 * written. */
static void test_codec_names_accepted(void)
{
	static const char *const lists[] = {
		"PCMA,PCMU,telephone-event", "PCMA,telephone-event", "PCMA", "pcma pcmu", "PCMU, G722,G729 , opus",
		"iLBC,speex,AMR-WB,GSM,CN,red", "H264,VP8,rtx,ulpfec", "",
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct policy *p = NULL;
		char sql[160], err[512] = "";

		snprintf(sql, sizeof(sql), "UPDATE trunks SET codecs = '%s' WHERE id = 2", lists[i]);
		CU_ASSERT_EQUAL_FATAL(make_db(fixture_sql, sql), 0);
		if (policy_load(&p, db_path, err, sizeof(err)) != 0)
			fprintf(stderr, "codecs '%s': %s\n", lists[i], err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_STRING_EQUAL(policy_trunk_by_id(p, 2)->codecs, lists[i]);
		policy_unref(p);
		drop_db();
	}
}

/* The whole refusal fits a reload's answer and lists what is known. */
static void test_unknown_codec_lists_the_known(void)
{
	struct policy *p = NULL;
	char err[512] = "";

	CU_ASSERT_EQUAL_FATAL(make_db(fixture_sql, "UPDATE trunks SET codecs = 'G729a' WHERE id = 6"), 0);
	CU_ASSERT_EQUAL(policy_load(&p, db_path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trunks id 6 (carrier3): unknown codec 'G729a' (known: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ",G729,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ",telephone-event,"));
	CU_ASSERT(strlen(err) < sizeof(err) - 1 && err[strlen(err) - 1] == ')');
	drop_db();
}

static void test_load_needs_schema(void)
{
	struct policy *p;
	char err[256] = "";
	int fd;

	snprintf(db_path, sizeof(db_path), "/tmp/test_policy_XXXXXX");
	fd = mkstemp(db_path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(policy_load(&p, db_path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "database has no schema"));
	drop_db();
	err[0] = 0;
	CU_ASSERT_EQUAL(policy_load(&p, "/nonexistent/dir/b2bua.db", err, sizeof(err)), -1);
	CU_ASSERT(err[0] != 0);
}

/* A reload builds a new snapshot; holders of the old one see no change. */
static void test_reload_keeps_old_snapshot_intact(void)
{
	struct policy *p1 = load_fixture(), *p2 = NULL, *held;
	const struct policy_trunk *out[4];
	char err[256];
	sqlite3 *db;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
	held = policy_ref(p1);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(db_path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE routes SET to_trunk_id = 6 WHERE id = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL_FATAL(policy_load(&p2, db_path, err, sizeof(err)), 0);
	policy_unref(p1);                       /* the core drops it; a call still holds it */
	CU_ASSERT_EQUAL(policy_route(held, 1, "2", out, 4, zero_rnd, NULL), 1);
	CU_ASSERT_EQUAL(out[0]->id, 3);
	CU_ASSERT_EQUAL(policy_route(p2, 1, "2", out, 4, zero_rnd, NULL), 1);
	CU_ASSERT_EQUAL(out[0]->id, 6);
	policy_unref(held);
	policy_unref(p2);
	policy_unref(NULL);
	drop_db();
}

/* trunks.interface: loaded, NULL as "", and checked against the b2bua's
 * interface names (the error names the trunk and the interface). */
static void test_trunk_interfaces_checked(void)
{
	static const char *const both[] = {"inside", "outside"}, *const one[] = {"inside", "dmz"};
	struct policy *p = load_fixture();
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(policy_trunk_by_id(p, 1)->iface, "inside");
	CU_ASSERT_STRING_EQUAL(policy_trunk_by_id(p, 2)->iface, "outside");
	CU_ASSERT_STRING_EQUAL(policy_trunk_by_id(p, 3)->iface, "");
	CU_ASSERT_EQUAL(policy_check_ifaces(p, both, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(policy_check_ifaces(p, one, 2, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "trunks id 2 (carrier1): interface 'outside' is not a [sip] listen name");
	CU_ASSERT_EQUAL(policy_check_ifaces(p, NULL, 0, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "trunks id 1 (pbx): interface 'inside'"));
	policy_unref(p);
	drop_db();
}

UNIT_SUITE(policy,
	   UNIT_TEST(test_trunk_interfaces_checked),
	   UNIT_TEST(test_trunks_loaded_with_every_column),
	   UNIT_TEST(test_trunk_by_source_address),
	   UNIT_TEST(test_route_contexts_and_longest_prefix),
	   UNIT_TEST(test_route_weights),
	   UNIT_TEST(test_rules_and_rates_through_snapshot),
	   UNIT_TEST(test_reload_refuses_bad_rows),
	   UNIT_TEST(test_codec_names_accepted),
	   UNIT_TEST(test_unknown_codec_lists_the_known),
	   UNIT_TEST(test_trunk_by_target),
	   UNIT_TEST(test_load_needs_schema),
	   UNIT_TEST(test_reload_keeps_old_snapshot_intact))
