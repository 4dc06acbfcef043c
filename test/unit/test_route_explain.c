/*
 * test_route_explain.c - route_explain(): rules, the route list, the
 * shares of a weighted group, skipped trunks and rates, on a snapshot
 * loaded from a temporary database (embedded migrations, as the daemons).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "db.h"
#include "policy.h"
#include "rates.h"
#include "route_explain.h"

static char db_path[64];

static const char *fixture_sql =
	"INSERT INTO trunks (id, name, host, port, transport, max_channels, max_cps, enabled) VALUES"
	" (1, 'pbx', '127.0.0.94', 5060, 'udp', 0, 0, 1),"
	" (2, 'a', '127.0.0.95', 5080, 'udp', 10, 2, 1),"
	" (3, 'b', '127.0.0.96', 5080, 'udp', 0, 0, 1),"
	" (4, 'c', '127.0.0.97', 5080, 'udp', 0, 0, 1),"
	" (5, 'off', '127.0.0.97', 5090, 'udp', 0, 0, 0);"
	"INSERT INTO routes (id, from_trunk_id, prefix, to_trunk_id, priority, weight, enabled) VALUES"
	" (1, NULL, '44', 2, 1, 70, 1), (2, NULL, '44', 3, 1, 30, 1), (3, NULL, '44', 4, 2, 0, 1),"
	" (4, 1, '4420', 3, 1, 100, 1), (5, 1, '4420', 5, 0, 100, 1),"
	" (6, NULL, '33', 2, 1, 0, 1), (7, NULL, '33', 3, 1, 0, 1),"
	" (8, NULL, '49', 2, 1, 50, 1), (9, NULL, '49', 2, 1, 50, 1), (10, NULL, '49', 3, 1, 100, 1),"
	" (11, NULL, '49', 2, 2, 100, 1);"
	"INSERT INTO number_rules (id, trunk_id, direction, field, match, replace, priority) VALUES"
	" (1, 1, 'in', 'ruri', '^0(\\d+)$', '44$1', 10),"
	" (2, 3, 'out', 'ruri', '^44(\\d+)$', '0$1', 10);"
	"INSERT INTO rates (prefix, trunk_id, per_minute, increment_s, min_s, connect_fee) VALUES"
	" ('44', 2, 0.02, 1, 0, 0), ('0', 3, 0.05, 60, 60, 0.1);";

static struct policy *load(void)
{
	struct policy *p = NULL;
	sqlite3 *db;
	char err[256];
	int fd = -1;

	snprintf(db_path, sizeof(db_path), "/tmp/test_explain_XXXXXX");
	fd = mkstemp(db_path);
	if (fd < 0)
		return NULL;
	close(fd);
	if (db_open(&db, db_path, 0, err, sizeof(err)) != 0)
		return NULL;
	if (db_migrate(db, err, sizeof(err)) != 0 || sqlite3_exec(db, fixture_sql, NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "fixture: %s %s\n", err, sqlite3_errmsg(db));
	sqlite3_close(db);
	if (policy_load(&p, db_path, err, sizeof(err)) != 0)
		fprintf(stderr, "policy_load: %s\n", err);
	return p;
}

static void drop(struct policy *p)
{
	char w[96];

	policy_unref(p);
	unlink(db_path);
	snprintf(w, sizeof(w), "%s-wal", db_path);
	unlink(w);
	snprintf(w, sizeof(w), "%s-shm", db_path);
	unlink(w);
}

/* The state the daemon would report: trunk ids in down[] are down,
 * in full[] at a limit. */
struct fake_state {
	int down, full;
};

static int state_of(void *arg, const struct policy_trunk *t, enum route_skip *skip)
{
	const struct fake_state *s = arg;

	*skip = t->id == s->down ? ROUTE_SKIP_DOWN : t->id == s->full ? ROUTE_SKIP_LIMIT : ROUTE_TRY;
	return 0;
}

static void test_weighted_group_is_a_chance_not_an_order(void)
{
	struct policy *p = load();
	struct route_explain x;
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "447700", NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(x.normalised, "447700");
	CU_ASSERT_EQUAL(x.in_hit.id, 0);
	CU_ASSERT_STRING_EQUAL(x.prefix, "44");
	CU_ASSERT_EQUAL(x.own, 0);
	CU_ASSERT_EQUAL_FATAL(x.n, 3);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_WEIGHTED);
	CU_ASSERT_EQUAL(x.first_group, 0);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[0].share, 70.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[1].share, 30.0, 1e-9);
	CU_ASSERT_EQUAL(x.cand[2].group, 1);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[2].share, 100.0, 1e-9);   /* alone in its group, weight 0 */
	/* rates on the number each trunk is sent: b's "out" rule makes 07700 */
	CU_ASSERT_STRING_EQUAL(x.cand[1].number, "07700");
	CU_ASSERT_EQUAL(x.cand[1].out_hit.id, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.cand[0].rate);
	CU_ASSERT_STRING_EQUAL(x.cand[0].rate->prefix, "44");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.cand[1].rate);
	CU_ASSERT_STRING_EQUAL(x.cand[1].rate->prefix, "0");
	CU_ASSERT_PTR_NULL(x.cand[2].rate);
	drop(p);
}

static void test_down_and_full_trunks_skipped(void)
{
	struct policy *p = load();
	struct route_explain x;
	struct fake_state s = {.down = 2};
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "447700", state_of, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x.cand[0].skip, ROUTE_SKIP_DOWN);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_ONE);
	CU_ASSERT_EQUAL(x.first, 1);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[1].share, 100.0, 1e-9);
	/* both of the first group out: the next priority, two skipped before it */
	s.full = 3;
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "447700", state_of, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x.cand[1].skip, ROUTE_SKIP_LIMIT);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_ONE);
	CU_ASSERT_EQUAL(x.first, 2);
	CU_ASSERT_EQUAL(x.first_group, 1);
	CU_ASSERT_EQUAL(x.skipped_before, 2);
	drop(p);
}

static void test_source_trunk_rules_and_own_routes(void)
{
	struct policy *p = load();
	struct route_explain x;
	char err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* pbx's "in" rule makes 020... into 4420...; its own '4420' wins
	 * (the route to the disabled trunk is no route) */
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, policy_trunk_by_name(p, "pbx"), "0201234", NULL, NULL, err,
					    sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(x.normalised, "44201234");
	CU_ASSERT_EQUAL(x.in_hit.id, 1);
	CU_ASSERT_STRING_EQUAL(x.in_hit.match, "^0(\\d+)$");
	CU_ASSERT_STRING_EQUAL(x.in_hit.replace, "44$1");
	CU_ASSERT_STRING_EQUAL(x.prefix, "4420");
	CU_ASSERT_EQUAL(x.own, 1);
	CU_ASSERT_EQUAL_FATAL(x.n, 1);
	CU_ASSERT_EQUAL(x.cand[0].route.id, 4);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_ONE);
	/* without the source trunk, its "in" rule does not apply: no route */
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "0201234", NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(x.normalised, "0201234");
	CU_ASSERT_EQUAL(x.n, 0);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_NONE);
	drop(p);
}

static void test_weight_zero_and_duplicates(void)
{
	struct policy *p = load();
	struct route_explain x;
	char err[128], big[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* weight 0 only: id order, the first every time */
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "331", NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_ONE);
	CU_ASSERT_EQUAL(x.first, 0);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[1].share, 0.0, 1e-9);
	/* a trunk twice in a group: both weights its; again later: a duplicate */
	CU_ASSERT_EQUAL_FATAL(route_explain(&x, p, NULL, "491", NULL, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(x.n, 4);
	CU_ASSERT_EQUAL(x.cand[1].skip, ROUTE_SKIP_DUP);
	CU_ASSERT_EQUAL(x.cand[3].skip, ROUTE_SKIP_DUP);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[0].share, 50.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(x.cand[2].share, 50.0, 1e-9);
	CU_ASSERT_EQUAL(x.pick, ROUTE_PICK_WEIGHTED);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CU_ASSERT_EQUAL(route_explain(&x, p, NULL, big, NULL, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
	drop(p);
}

UNIT_SUITE(route_explain,
	   UNIT_TEST(test_weighted_group_is_a_chance_not_an_order),
	   UNIT_TEST(test_down_and_full_trunks_skipped),
	   UNIT_TEST(test_source_trunk_rules_and_own_routes),
	   UNIT_TEST(test_weight_zero_and_duplicates))
