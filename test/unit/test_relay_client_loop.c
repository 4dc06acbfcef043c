/*
 * test_relay_client_loop.c - the relay client (relay_client.c) on a real
 * su_root against two fake relays (UDP sockets of this test that answer
 * or stay silent): an offer left unanswered moves to the other relay and
 * the call stays there; a late answer from the relay it left is ignored;
 * a call a relay answered for never moves;
 * a relay whose pings go unanswered is down and skipped by new calls
 * until it answers again; with none up an offer is refused at once.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "unit.h"
#include "bencode.h"
#include "call_int.h"
#include "clock.h"
#include "relay_client.h"

struct fake {
	int fd;
	char addr[64];
	int answers;            /* 1: answers every request, 0: silent */
	int got[5];             /* requests seen: ping, offer, answer, delete, other */
	char cookie[32];        /* of the last offer */
	struct sockaddr_storage from;
	socklen_t fromlen;
};

static su_root_t *root;
static struct fake fk[2];
static struct relay_client *rc;
static int ndone;
static struct relay_result last;
static char last_sdp[64];

static int loop_init(void)
{
	su_init();
	root = su_root_create(NULL);
	return root ? 0 : -1;
}

static int loop_cleanup(void)
{
	su_root_destroy(root);
	su_deinit();
	return 0;
}

static void fake_open(struct fake *f)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(f->fd >= 0);
	CU_ASSERT_FATAL(bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_FATAL(getsockname(f->fd, (struct sockaddr *)&sin, &len) == 0);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%d", ntohs(sin.sin_port));
}

static void fake_send(struct fake *f, const char *cookie, const char *dict)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s %s", cookie, dict);

	CU_ASSERT(sendto(f->fd, buf, n, 0, (struct sockaddr *)&f->from, f->fromlen) == n);
}

/* An offer's reply naming the relay in its SDP. */
static void fake_answer_offer(struct fake *f, const char *cookie)
{
	char dict[128];

	snprintf(dict, sizeof(dict), "d3:sdp10:v=0 relay%c6:result2:oke", f == &fk[0] ? 'A' : 'B');
	fake_send(f, cookie, dict);
}

static void fake_serve(struct fake *f)
{
	static const char *const cmds[] = {"ping", "offer", "answer", "delete"};
	char buf[2048], cookie[32], err[64];

	for (;;) {
		ssize_t n;
		char *sp;
		struct bencode_pool *pool;
		struct bencode *d;
		const char *cmd;
		size_t k;

		f->fromlen = sizeof(f->from);
		n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&f->from, &f->fromlen);
		if (n <= 0)
			return;
		buf[n] = 0;
		sp = strchr(buf, ' ');
		CU_ASSERT_FATAL(sp && sp - buf < (long)sizeof(cookie));
		snprintf(cookie, sizeof(cookie), "%.*s", (int)(sp - buf), buf);
		pool = bencode_pool_new();
		d = bencode_decode(pool, sp + 1, n - (sp + 1 - buf), NULL, err, sizeof(err));
		cmd = d ? bencode_dict_cstr(pool, d, "command") : NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
		for (k = 0; k < 4 && strcmp(cmd, cmds[k]) != 0; k++)
			;
		f->got[k]++;
		if (k == 1)
			snprintf(f->cookie, sizeof(f->cookie), "%s", cookie);
		if (f->answers && k == 0)
			fake_send(f, cookie, "d6:result4:ponge");
		else if (f->answers && k == 1)
			fake_answer_offer(f, cookie);
		else if (f->answers)
			fake_send(f, cookie, "d6:result2:oke");
		bencode_pool_free(pool);
	}
}

/* Runs the loop for ms (real time: the client's timers are real), the
 * fakes serving, or until `until` requests are done. */
static void pump(int ms, int until)
{
	int64_t end = clock_mono_ms() + ms;

	while (clock_mono_ms() < end && ndone < until) {
		su_root_step(root, 5);
		usleep(2000);
		fake_serve(&fk[0]);
		fake_serve(&fk[1]);
	}
}

static void on_done(struct call *c, const struct relay_result *r)
{
	(void)c;
	ndone++;
	last = *r;
	snprintf(last_sdp, sizeof(last_sdp), "%s", r->sdp ? r->sdp : "");
}

static int start_timeout_ms = 300;

static void start(int answers_a, int answers_b, int down_after)
{
	char relays[2][64];
	struct relay_client_opts o = {.timeout_ms = start_timeout_ms, .ping_ms = 100, .down_after = down_after};
	char err[128];

	fake_open(&fk[0]);
	fake_open(&fk[1]);
	fk[0].answers = answers_a;
	fk[1].answers = answers_b;
	snprintf(relays[0], sizeof(relays[0]), "%s", fk[0].addr);
	snprintf(relays[1], sizeof(relays[1]), "%s", fk[1].addr);
	ndone = 0;
	CU_ASSERT_EQUAL_FATAL(relay_client_new(&rc, root, (const char (*)[64])relays, 2, &o, err, sizeof(err)), 0);
}

static void stop(void)
{
	relay_client_free(rc);
	rc = NULL;
	close(fk[0].fd);
	close(fk[1].fd);
}

static void teardown(void)
{
	if (rc)
		stop();
}

static struct call *fake_call(uint64_t serial)
{
	struct call *c = calloc(1, sizeof(*c));

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c->serial = serial;
	snprintf(c->relay_id, sizeof(c->relay_id), "t-%llu", (unsigned long long)serial);
	return c;
}

static int offer(struct call *c)
{
	struct relay_sdp s = {.side = SIDE_A, .sdp = "v=0\r\n", .to_srtp = -1};

	return relay_client_ops()->offer(rc, c, &s, on_done);
}

/* "ADDR up|down ..." for relay i. */
static int is_up(int i)
{
	char buf[512], want[96];

	relay_client_list(rc, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s up ", fk[i].addr);
	return strstr(buf, want) != NULL;
}

/* A is silent: the call's offer goes on to B within the client, the core
 * hears only B's answer, and the call's later requests go to B. */
static void test_offer_moves_to_next_relay_and_stays(void)
{
	struct call *c = fake_call(1);
	struct relay_sdp s = {.side = SIDE_B, .sdp = "v=0\r\n", .to_srtp = -1};

	start(0, 1, 100);
	CU_ASSERT_EQUAL_FATAL(offer(c), 0);
	pump(2000, 1);
	CU_ASSERT_EQUAL_FATAL(ndone, 1);
	CU_ASSERT_EQUAL(last.err, RELAY_OK);
	CU_ASSERT_STRING_EQUAL(last_sdp, "v=0 relayB");
	CU_ASSERT(fk[0].got[1] >= 1);
	CU_ASSERT_EQUAL(fk[1].got[1], 1);
	CU_ASSERT_EQUAL_FATAL(relay_client_ops()->answer(rc, c, &s, on_done), 0);
	pump(1000, 2);
	CU_ASSERT_EQUAL_FATAL(relay_client_ops()->delete(rc, c, on_done), 0);
	pump(1000, 3);
	CU_ASSERT_EQUAL(ndone, 3);
	CU_ASSERT_EQUAL(fk[0].got[2] + fk[0].got[3], 0);
	CU_ASSERT_EQUAL(fk[1].got[2], 1);
	CU_ASSERT_EQUAL(fk[1].got[3], 1);
	stop();
	free(c);
}

/* The relay an offer left answers late, under the offer's cookie: that
 * answer is not the call's; the answer of the relay it went to is. */
static void test_late_answer_from_left_relay_ignored(void)
{
	struct call *c = fake_call(2);

	start(0, 0, 100);
	CU_ASSERT_EQUAL_FATAL(offer(c), 0);
	for (int t = 0; t < 200 && fk[1].got[1] == 0; t++)
		pump(10, 1);
	CU_ASSERT_EQUAL_FATAL(fk[1].got[1], 1);
	CU_ASSERT_EQUAL(ndone, 0);
	fake_answer_offer(&fk[0], fk[0].cookie);
	pump(100, 1);
	CU_ASSERT_EQUAL(ndone, 0);
	fake_answer_offer(&fk[1], fk[1].cookie);
	pump(500, 1);
	CU_ASSERT_EQUAL_FATAL(ndone, 1);
	CU_ASSERT_STRING_EQUAL(last_sdp, "v=0 relayB");
	stop();
	free(c);
}

/* Once a relay has answered for a call, it holds it: a later offer (a
 * re-INVITE's) it leaves unanswered times out there, never moves. */
static void test_reoffer_of_held_call_stays(void)
{
	struct call *c = fake_call(8);

	start(1, 1, 100);
	CU_ASSERT_EQUAL_FATAL(offer(c), 0);
	pump(1000, 1);
	CU_ASSERT_EQUAL_FATAL(ndone, 1);
	CU_ASSERT_STRING_EQUAL(last_sdp, "v=0 relayA");
	fk[0].answers = 0;
	CU_ASSERT_EQUAL_FATAL(offer(c), 0);
	pump(1000, 2);
	CU_ASSERT_EQUAL_FATAL(ndone, 2);
	CU_ASSERT_EQUAL(last.err, RELAY_E_TIMEOUT);
	CU_ASSERT_EQUAL(fk[1].got[1], 0);
	stop();
	free(c);
}

/* Unanswered pings make A down: new calls go straight to B (no wait for
 * a timeout); once A answers it is up and takes its turn again. */
static void test_down_relay_skipped_until_it_answers(void)
{
	struct call *c[4] = {fake_call(3), fake_call(4), fake_call(5), fake_call(6)};

	start(0, 1, 2);
	pump(600, 1);
	CU_ASSERT_FALSE(is_up(0));
	CU_ASSERT_TRUE(is_up(1));
	CU_ASSERT_EQUAL_FATAL(offer(c[0]), 0);
	CU_ASSERT_EQUAL_FATAL(offer(c[1]), 0);
	pump(200, 2);   /* well within timeout_ms: nothing waited on A */
	CU_ASSERT_EQUAL(ndone, 2);
	CU_ASSERT_EQUAL(fk[0].got[1], 0);
	CU_ASSERT_EQUAL(fk[1].got[1], 2);
	fk[0].answers = 1;
	pump(300, 3);
	CU_ASSERT_TRUE(is_up(0));
	CU_ASSERT_EQUAL_FATAL(offer(c[2]), 0);
	CU_ASSERT_EQUAL_FATAL(offer(c[3]), 0);
	pump(200, 4);
	CU_ASSERT_EQUAL(ndone, 4);
	CU_ASSERT_EQUAL(fk[0].got[1], 1);
	CU_ASSERT_EQUAL(fk[1].got[1], 3);
	stop();
	for (int i = 0; i < 4; i++)
		free(c[i]);
}

/* No relay up: an offer is refused at once (the caller gets 503). */
static void test_no_relay_up_refuses_at_once(void)
{
	struct call *c = fake_call(7);

	start(0, 0, 1);
	pump(300, 1);
	CU_ASSERT_FALSE(is_up(0));
	CU_ASSERT_FALSE(is_up(1));
	CU_ASSERT_EQUAL(offer(c), -1);
	CU_ASSERT_EQUAL(fk[0].got[1] + fk[1].got[1], 0);
	stop();
	free(c);
}

/* Thousands in flight at once (issue 13's call rates), answered out of
 * order: each reply finds its own request (the fakes answer
 * with the call's id as the SDP), none is lost or crossed, and nothing
 * stays pending. */
#define MANY 3000
static int many_ok, many_wrong;

static void on_done_many(struct call *c, const struct relay_result *r)
{
	ndone++;
	if (r->err == RELAY_OK && r->sdp && strcmp(r->sdp, c->relay_id) == 0)
		many_ok++;
	else
		many_wrong++;
}

/* Reads what the fakes got, noting each offer's relay and cookie by its
 * call (t-SERIAL); pings are answered. */
static void collect(int got_relay[], char (*got_cookie)[32])
{
	for (int f = 0; f < 2; f++)
		for (;;) {
			char buf[2048], err[64];
			ssize_t n;
			char *sp;
			struct bencode_pool *pool;
			struct bencode *d;
			const char *cmd, *id;
			unsigned long long serial;

			fk[f].fromlen = sizeof(fk[f].from);
			n = recvfrom(fk[f].fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&fk[f].from, &fk[f].fromlen);
			if (n <= 0)
				break;
			buf[n] = 0;
			sp = strchr(buf, ' ');
			CU_ASSERT_FATAL(sp && sp - buf < 32);
			*sp = 0;
			pool = bencode_pool_new();
			d = bencode_decode(pool, sp + 1, n - (sp + 1 - buf), NULL, err, sizeof(err));
			cmd = d ? bencode_dict_cstr(pool, d, "command") : NULL;
			id = d ? bencode_dict_cstr(pool, d, "call-id") : NULL;
			if (cmd && strcmp(cmd, "ping") == 0)
				fake_send(&fk[f], buf, "d6:result4:ponge");
			else if (cmd && strcmp(cmd, "offer") == 0 && id && sscanf(id, "t-%llu", &serial) == 1 &&
				 serial >= 1000 && serial < 1000 + MANY) {
				got_relay[serial - 1000] = f;
				snprintf(got_cookie[serial - 1000], 32, "%.31s", buf);
			}
			bencode_pool_free(pool);
		}
}

static void test_many_in_flight_each_reply_finds_its_request(void)
{
	static struct call *c[MANY];
	static int got_relay[MANY];
	static char got_cookie[MANY][32];

	start_timeout_ms = 20000;       /* no timeout here: matching is the point */
	start(0, 0, 1000);
	start_timeout_ms = 300;
	many_ok = many_wrong = 0;
	for (int i = 0; i < MANY; i++) {
		struct relay_sdp s = {.side = SIDE_A, .sdp = "v=0\r\n", .to_srtp = -1};

		got_relay[i] = -1;
		c[i] = fake_call(1000 + (uint64_t)i);
		CU_ASSERT_EQUAL_FATAL(relay_client_ops()->offer(rc, c[i], &s, on_done_many), 0);
		if (i % 50 == 49)
			collect(got_relay, got_cookie);
	}
	for (int t = 0; t < 50; t++) {
		collect(got_relay, got_cookie);
		usleep(2000);
	}
	CU_ASSERT_EQUAL(relay_client_pending(rc), MANY);
	/* In a scrambled order (7919 is prime to MANY): every reply's
	 * request is somewhere in the middle. */
	for (int k = 0; k < MANY; k++) {
		int i = (int)(((long)k * 7919) % MANY);
		char dict[128];

		CU_ASSERT_FATAL(got_relay[i] >= 0);
		snprintf(dict, sizeof(dict), "d3:sdp%zu:%s6:result2:oke", strlen(c[i]->relay_id), c[i]->relay_id);
		fake_send(&fk[got_relay[i]], got_cookie[i], dict);
		if (k % 100 == 99)
			su_root_step(root, 1);
	}
	for (int64_t end = clock_mono_ms() + 5000; clock_mono_ms() < end && ndone < MANY;)
		su_root_step(root, 5);
	CU_ASSERT_EQUAL(ndone, MANY);
	CU_ASSERT_EQUAL(many_ok, MANY);
	CU_ASSERT_EQUAL(many_wrong, 0);
	CU_ASSERT_EQUAL(relay_client_pending(rc), 0);
	stop();
	for (int i = 0; i < MANY; i++)
		free(c[i]);
}

UNIT_SUITE_FIXTURE(relay_client_loop, loop_init, loop_cleanup, NULL, teardown,
	UNIT_TEST(test_many_in_flight_each_reply_finds_its_request),
	UNIT_TEST(test_offer_moves_to_next_relay_and_stays),
	UNIT_TEST(test_late_answer_from_left_relay_ignored),
	UNIT_TEST(test_reoffer_of_held_call_stays),
	UNIT_TEST(test_down_relay_skipped_until_it_answers),
	UNIT_TEST(test_no_relay_up_refuses_at_once))
