/*
 * test_ng_server.c - ng commands and the call model (media-relay/ng_server.c).
 *
 * Requests go through ng_server_handle() (no control socket) with an
 * explicit clock; one real worker runs the streams. Expected SDP is
 * golden with placeholders: every m= port and a=rtcp port reads "PORT"
 * and every a=crypto key "KEY", since the relay chooses them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <string.h>
#include "unit.h"
#include "bencode.h"
#include "calls.h"
#include "ng_server.h"
#include "relay_config.h"
#include "workers.h"

static struct relay_config cfg;
static struct workers *workers;

static int setup(void)
{
	char err[128];

	relay_config_defaults(&cfg);
	cfg.port_min = 43000;
	cfg.port_max = 43099;
	cfg.media_timeout = 10;
	workers = workers_new(1, err, sizeof(err));
	return workers ? 0 : 1;
}

static int teardown(void)
{
	workers_free(workers);
	return 0;
}

static const char *SDP_A =
	"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
	"m=audio 49170 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";
static const char *SDP_B =
	"v=0\r\no=bob 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
	"m=audio 3456 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";
static const char *SDP_B_SRTP =
	"v=0\r\no=bob 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
	"m=audio 3456 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

/* Builds "COOKIE DICT" from key/value C strings (NULL-terminated list;
 * a value "[a,b]" is a list of strings). */
static size_t build(char *buf, size_t cap, const char *cookie, const char *const *kv)
{
	struct bencode_pool *p = bencode_pool_new();
	struct bencode *d = bencode_dict(p);
	size_t clen = strlen(cookie);
	long n;

	for (int i = 0; kv[i]; i += 2) {
		if (kv[i + 1][0] == '[') {
			struct bencode *l = bencode_list(p);
			const char *e = kv[i + 1] + 1, *end = kv[i + 1] + strlen(kv[i + 1]) - 1;

			/* "[a,b]": a list of strings */
			while (e <= end) {
				const char *comma = memchr(e, ',', (size_t)(end - e));
				const char *stop = comma ? comma : end;

				bencode_list_add(l, bencode_str(p, e, (size_t)(stop - e)));
				e = stop + 1;
			}
			bencode_dict_add(p, d, kv[i], l);
		} else {
			bencode_dict_add_cstr(p, d, kv[i], kv[i + 1]);
		}
	}
	memcpy(buf, cookie, clen);
	buf[clen] = ' ';
	n = bencode_encode(d, buf + clen + 1, cap - clen - 1);
	bencode_pool_free(p);
	return clen + 1 + (size_t)n;
}

struct reply {
	struct bencode_pool *pool;
	struct bencode *d;
	char raw[65536];
	size_t len;
};

static struct reply *ask(struct ng_server *ng, const char *cookie, int64_t now, const char *const *kv)
{
	static char req[65536];
	struct reply *r = calloc(1, sizeof(*r));
	size_t n = build(req, sizeof(req), cookie, kv);
	const char *sp;

	r->len = ng_server_handle(ng, req, n, r->raw, sizeof(r->raw), now);
	r->pool = bencode_pool_new();
	sp = memchr(r->raw, ' ', r->len);
	if (sp) {
		CU_ASSERT((size_t)(sp - r->raw) == strlen(cookie) && memcmp(r->raw, cookie, strlen(cookie)) == 0);
		r->d = bencode_decode(r->pool, sp + 1, r->len - (size_t)(sp + 1 - r->raw), NULL, NULL, 0);
	}
	return r;
}

static void done(struct reply *r)
{
	bencode_pool_free(r->pool);
	free(r);
}

static const char *result(struct reply *r)
{
	const char *s = bencode_dict_cstr(r->pool, r->d, "result");

	return s ? s : "(none)";
}

/* Replaces relay-chosen numbers and keys by placeholders. */
static char *placeholders(const char *sdp)
{
	char *out = malloc(strlen(sdp) + 1), *o = out;
	const char *p = sdp;

	while (*p) {
		if (strncmp(p, "m=audio ", 8) == 0 || strncmp(p, "a=rtcp:", 7) == 0) {
			size_t pre = p[0] == 'm' ? 8 : 7;

			memcpy(o, p, pre);
			o += pre;
			p += pre;
			while (*p >= '0' && *p <= '9')
				p++;
			memcpy(o, "PORT", 4);
			o += 4;
		} else if (strncmp(p, "inline:", 7) == 0) {
			memcpy(o, "inline:KEY", 10);
			o += 10;
			p += 7;
			while (*p && *p != '\r' && *p != '|')
				p++;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static int sdp_port(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");

	return m ? atoi(m + 8) : -1;
}

static struct ng_server *server(void)
{
	char err[128];
	struct ng_server *ng = ng_server_new(&cfg, workers, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL(ng);
	return ng;
}

static void test_ping_pong(void)
{
	struct ng_server *ng = server();
	struct reply *r = ask(ng, "c0ffee", 0, (const char *const[]){"command", "ping", NULL});

	CU_ASSERT_STRING_EQUAL(result(r), "pong");
	done(r);
	ng_server_free(ng);
}

static void test_bad_requests_get_errors(void)
{
	static const struct {
		const char *raw;
		const char *reason;               /* substring; NULL = no reply at all */
	} cases[] = {
		{"nocookie", NULL},
		{" d7:command4:pinge", NULL},
		{"k1 d7:command4:ping", "malformed"},
		{"k2 i5e", "not a dictionary"},
		{"k3 de", "missing command"},
		{"k4 d7:commandi1ee", "missing command"},
		{"k5 d7:command5:dancee", "Unrecognized command"},
		{"k6 d7:command5:offere", "missing call-id"},
		{"k7 d7:command5:offer7:call-id1:xe", "missing from-tag"},
		{"k8 d7:command5:offer7:call-id1:x8:from-tag1:ae", "missing sdp"},
		{"k9 d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp7:garbagee", "SDP"},
		{"ka d7:command6:answer7:call-id1:x8:from-tag1:a3:sdp3:v=0e", "to-tag"},
		{"kb d7:command6:answer7:call-id1:x8:from-tag1:a6:to-tag1:b3:sdp3:v=0e", ""},
		{"kc d7:command5:query7:call-id7:nothinge", "Unknown call-id"},
		{"kd d7:command6:delete7:call-id7:nothinge", "Unknown call-id"},
		{"ke d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp3:v=018:transport-protocol3:UDPe",
		 "transport-protocol"},
		{"kf ll", "malformed"},
		/* the SDP guard: Sofia's parser would loop on this m= line */
		{"kg d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp80:v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
		 "s=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4 RT@/AVP 8\r\ne", "protocol is not a token"},
		{"kh d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp3:v=05:latch6:stricte", "latch"},
	};
	struct ng_server *ng = server();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[4096];
		size_t n = ng_server_handle(ng, cases[i].raw, strlen(cases[i].raw), out, sizeof(out), 0);
		struct bencode_pool *p = bencode_pool_new();
		const char *sp = memchr(out, ' ', n);
		struct bencode *d = sp ? bencode_decode(p, sp + 1, n - (size_t)(sp + 1 - out), NULL, NULL, 0) : NULL;

		if (!cases[i].reason) {
			CU_ASSERT_EQUAL(n, 0);
		} else {
			const char *why = bencode_dict_cstr(p, d, "error-reason");

			CU_ASSERT(bencode_str_eq(bencode_dict_get(d, "result"), "error"));
			CU_ASSERT(why && strstr(why, cases[i].reason));
			if (!why || !strstr(why, cases[i].reason))
				fprintf(stderr, "case %zu: reason %s\n", i, why ? why : "(none)");
		}
		bencode_pool_free(p);
	}
	CU_ASSERT_EQUAL(ng_server_calls(ng), 0);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 0);
	ng_server_free(ng);
}

static void test_offer_answer_query_delete(void)
{
	struct ng_server *ng = server();
	struct reply *r;
	const char *sdp;
	char *golden;
	int port_b, port_a;
	const struct bencode *tags, *a, *st;

	r = ask(ng, "o1", 1000, (const char *const[]){"command", "offer", "call-id", "call1", "from-tag", "a",
						       "sdp", SDP_A, "replace", "[origin]", "ICE", "remove", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	golden = placeholders(sdp);
	CU_ASSERT_STRING_EQUAL(golden,
		"v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio PORT RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=sendrecv\r\na=rtcp:PORT\r\n");
	free(golden);
	port_b = sdp_port(sdp);
	CU_ASSERT(port_b >= 43000 && port_b <= 43098 && port_b % 2 == 0);
	done(r);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 1);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 4);

	r = ask(ng, "a1", 1100, (const char *const[]){"command", "answer", "call-id", "call1", "from-tag", "a",
						       "to-tag", "b", "sdp", SDP_B, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	port_a = sdp_port(sdp);
	CU_ASSERT(port_a >= 43000 && port_a != port_b);
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "c=IN IP4 127.0.0.1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "o=bob 2 2 IN IP4 198.51.100.20\r\n")); /* no replace */
	done(r);

	/* Re-offer from the answerer (re-INVITE the other way) keeps ports. */
	r = ask(ng, "o2", 2000, (const char *const[]){"command", "offer", "call-id", "call1", "from-tag", "b",
						       "to-tag", "a", "sdp", SDP_B, NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "ok");
	CU_ASSERT_EQUAL(sdp_port(bencode_dict_cstr(r->pool, r->d, "sdp")), port_a);
	done(r);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 4);

	r = ask(ng, "q1", 3000, (const char *const[]){"command", "query", "call-id", "call1", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	tags = bencode_dict_get(r->d, "tags");
	a = bencode_dict_get(tags, "a");
	CU_ASSERT_PTR_NOT_NULL(bencode_dict_get(tags, "b"));
	CU_ASSERT(bencode_str_eq(bencode_dict_get(a, "in dialogue with"), "b"));
	st = bencode_dict_get(a, "medias");
	st = st && st->child ? bencode_dict_get(st->child, "streams") : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st->child);
	CU_ASSERT_EQUAL(bencode_dict_get(st->child, "local port")->i, port_a);
	CU_ASSERT_PTR_NOT_NULL(bencode_dict_get(bencode_dict_get(st->child, "stats"), "packets"));
	CU_ASSERT_PTR_NOT_NULL(bencode_dict_get(bencode_dict_get(st->child, "stats"), "lost"));
	CU_ASSERT(bencode_list_has(bencode_dict_get(st->child, "flags"), "RTP"));
	CU_ASSERT(bencode_list_has(bencode_dict_get(st->child->next, "flags"), "RTCP"));
	CU_ASSERT_EQUAL(bencode_dict_get(r->d, "media-timeout")->i, 0);
	done(r);

	r = ask(ng, "l1", 3000, (const char *const[]){"command", "list", NULL});
	CU_ASSERT(bencode_list_has(bencode_dict_get(r->d, "calls"), "call1"));
	done(r);

	r = ask(ng, "d1", 4000, (const char *const[]){"command", "delete", "call-id", "call1", "from-tag", "a", NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "ok");
	CU_ASSERT_PTR_NOT_NULL(bencode_dict_get(r->d, "tags"));
	done(r);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 0);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 0);
	ng_server_free(ng);
	workers_sync(workers);
}

static void test_retransmission_gets_cached_reply(void)
{
	struct ng_server *ng = server();
	const char *const offer[] = {"command", "offer", "call-id", "rtx", "from-tag", "a", "sdp", SDP_A, NULL};
	struct reply *r1 = ask(ng, "same", 0, offer), *r2 = ask(ng, "same", 500, offer), *r3;
	struct ng_stats stats;

	CU_ASSERT_STRING_EQUAL(result(r1), "ok");
	CU_ASSERT_EQUAL(r1->len, r2->len);
	CU_ASSERT(memcmp(r1->raw, r2->raw, r1->len) == 0);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 4);            /* not a second offer */
	ng_server_stats(ng, &stats);
	CU_ASSERT_EQUAL(stats.retransmits, 1);
	/* Once expired, the cookie is a new request (same call: same ports). */
	ng_server_tick(ng, 31000);
	r3 = ask(ng, "same", 31000, offer);
	CU_ASSERT_EQUAL(sdp_port(bencode_dict_cstr(r3->pool, r3->d, "sdp")),
			sdp_port(bencode_dict_cstr(r1->pool, r1->d, "sdp")));
	ng_server_stats(ng, &stats);
	CU_ASSERT_EQUAL(stats.retransmits, 1);
	done(r1);
	done(r2);
	done(r3);
	ng_server_free(ng);
}

static void test_rtp_to_srtp_offers_both_suites_and_answers_plain(void)
{
	struct ng_server *ng = server();
	struct reply *r;
	char *golden;

	r = ask(ng, "s1", 0, (const char *const[]){"command", "offer", "call-id", "srtp", "from-tag", "a", "sdp",
						    SDP_A, "transport-protocol", "RTP/SAVP", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	golden = placeholders(bencode_dict_cstr(r->pool, r->d, "sdp"));
	CU_ASSERT_STRING_EQUAL(golden,
		"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio PORT RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		"a=sendrecv\r\na=rtcp:PORT\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY\r\n"
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:KEY\r\n");
	free(golden);
	done(r);
	r = ask(ng, "s2", 0, (const char *const[]){"command", "answer", "call-id", "srtp", "from-tag", "a",
						    "to-tag", "b", "sdp", SDP_B_SRTP, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	golden = placeholders(bencode_dict_cstr(r->pool, r->d, "sdp"));
	CU_ASSERT_STRING_EQUAL(golden,
		"v=0\r\no=bob 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio PORT RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp:PORT\r\n");
	free(golden);
	done(r);
	ng_server_free(ng);
}

/* Fax (T.38 over udptl) beside audio toward an SRTP trunk: only the
 * RTP line becomes RTP/SAVP with keys; udptl stays udptl, without keys
 * or a=rtcp, both ways (wave 1 made it "RTP/SAVP t38"). */
static void test_srtp_leaves_t38_alone(void)
{
	static const char *fax_a =
		"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\nm=image 49172 udptl t38\r\na=T38FaxVersion:0\r\n";
	static const char *fax_b =
		"v=0\r\no=bob 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
		"m=audio 3456 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
		"m=image 3458 udptl t38\r\na=T38FaxVersion:0\r\n";
	struct ng_server *ng = server();
	struct reply *r;
	const char *sdp, *img;

	r = ask(ng, "f1", 0, (const char *const[]){"command", "offer", "call-id", "fax", "from-tag", "a", "sdp",
						    fax_a, "transport-protocol", "RTP/SAVP", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	img = strstr(sdp, "m=image ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "m=audio "));
	CU_ASSERT(strstr(sdp, " RTP/SAVP 0\r\n") && strstr(sdp, " RTP/SAVP 0\r\n") < img);
	CU_ASSERT_PTR_NOT_NULL(strstr(img, " udptl t38\r\na=T38FaxVersion:0\r\n"));
	CU_ASSERT_PTR_NULL(strstr(img, "a=crypto"));
	CU_ASSERT_PTR_NULL(strstr(img, "a=rtcp"));
	done(r);
	r = ask(ng, "f2", 0, (const char *const[]){"command", "answer", "call-id", "fax", "from-tag", "a",
						    "to-tag", "b", "sdp", fax_b, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, " RTP/AVP 0\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, " udptl t38\r\n"));
	CU_ASSERT_PTR_NULL(strstr(sdp, "a=crypto"));
	done(r);
	ng_server_free(ng);
}

/* Sends "COOKIE d7:command4:pinge" from src to the server's socket and
 * returns what came back within 200 ms ("" for nothing). */
static void ping_from(struct ng_server *ng, const char *src, int port, char *out, size_t cap)
{
	struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
	struct timeval tv = {0, 200000};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	out[0] = 0;
	inet_pton(AF_INET, src, &me.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)port);
	CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CU_ASSERT(sendto(fd, "p1 d7:command4:pinge", 20, 0, (struct sockaddr *)&to, sizeof(to)) == 20);
	usleep(20000);
	ng_server_read(ng);
	n = recv(fd, out, cap - 1, 0);
	if (n > 0)
		out[n] = 0;
	close(fd);
}

/* Only [relay] allow may steer media: anyone else gets no answer at all,
 * counted (and logged once a second). */
static void test_ng_socket_refuses_outside_allow(void)
{
	struct relay_config c = cfg;
	struct ng_server *ng;
	struct ng_stats st;
	char err[128], got[128];

	c.ng_port = 43990;
	c.nallow = 1;
	c.allow[0] = (struct relay_net){.family = AF_INET, .addr = {127, 0, 0, 5}, .bits = 32};
	ng = ng_server_new(&c, workers, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	CU_ASSERT_FATAL(ng_server_listen(ng, err, sizeof(err)) >= 0);
	ping_from(ng, "127.0.0.9", c.ng_port, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "");
	ping_from(ng, "127.0.0.5", c.ng_port, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "p1 d6:result4:ponge");
	ng_server_stats(ng, &st);
	CU_ASSERT_EQUAL(st.refused, 1);
	ng_server_free(ng);
}

/* A re-offer without transport-protocol (Kamailio's default, and a
 * re-INVITE) keeps RTP/SAVP toward the side that agreed to SRTP. */
static void test_reoffer_keeps_agreed_srtp(void)
{
	struct ng_server *ng = server();
	struct reply *r;
	const char *sdp;

	r = ask(ng, "k1", 0, (const char *const[]){"command", "offer", "call-id", "keep", "from-tag", "a", "sdp",
						    SDP_A, "transport-protocol", "RTP/SAVP", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	done(r);
	r = ask(ng, "k2", 0, (const char *const[]){"command", "answer", "call-id", "keep", "from-tag", "a",
						    "to-tag", "b", "sdp", SDP_B_SRTP, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	done(r);
	r = ask(ng, "k3", 0, (const char *const[]){"command", "offer", "call-id", "keep", "from-tag", "a",
						    "to-tag", "b", "sdp", SDP_A, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sdp);
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "RTP/SAVP"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "a=crypto:"));
	done(r);
	ng_server_free(ng);
}

static void test_srtp_to_rtp_answers_with_offered_tag_and_suite(void)
{
	static const char *offer_srtp =
		"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		"m=audio 4000 RTP/SAVP 0\r\n"
		"a=crypto:5 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
		"a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";
	struct ng_server *ng = server();
	struct reply *r;
	const char *sdp;

	r = ask(ng, "t1", 0, (const char *const[]){"command", "offer", "call-id", "s2r", "from-tag", "a", "sdp",
						    offer_srtp, "transport-protocol", "RTP/AVP", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, " RTP/AVP 0\r\n"));
	CU_ASSERT_PTR_NULL(strstr(sdp, "a=crypto"));
	done(r);
	r = ask(ng, "t2", 0, (const char *const[]){"command", "answer", "call-id", "s2r", "from-tag", "a",
						    "to-tag", "b", "sdp", SDP_B, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, " RTP/SAVP 0 101\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"));
	CU_ASSERT_PTR_NULL(strstr(sdp, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")); /* our key, not theirs */
	done(r);
	/* SRTP offered without any usable key: refused. */
	r = ask(ng, "t3", 0, (const char *const[]){"command", "offer", "call-id", "bad", "from-tag", "a", "sdp",
						    "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
						    "t=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n", NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "error");
	done(r);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 1);                   /* the failed call is gone */
	ng_server_free(ng);
}

static void test_ports_exhausted(void)
{
	struct relay_config small = cfg;
	char err[128];
	struct ng_server *ng;
	struct reply *r;

	small.port_min = 43100;
	small.port_max = 43103;                                    /* one stream's worth */
	ng = ng_server_new(&small, workers, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ng);
	r = ask(ng, "p1", 0, (const char *const[]){"command", "offer", "call-id", "one", "from-tag", "a", "sdp", SDP_A, NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "ok");
	done(r);
	r = ask(ng, "p2", 0, (const char *const[]){"command", "offer", "call-id", "two", "from-tag", "a", "sdp", SDP_A, NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "error");
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(r->pool, r->d, "error-reason"), "ports exhausted");
	done(r);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 1);
	ng_server_free(ng);
}

static void test_media_timeout_reported(void)
{
	struct ng_server *ng = server();
	struct reply *r;

	r = ask(ng, "m1", 1000, (const char *const[]){"command", "offer", "call-id", "quiet", "from-tag", "a", "sdp", SDP_A, NULL});
	done(r);
	r = ask(ng, "m2", 1000, (const char *const[]){"command", "answer", "call-id", "quiet", "from-tag", "a",
						       "to-tag", "b", "sdp", SDP_B, NULL});
	done(r);
	r = ask(ng, "m3", 5000, (const char *const[]){"command", "query", "call-id", "quiet", NULL});
	CU_ASSERT_EQUAL(bencode_dict_get(r->d, "media-timeout")->i, 0);
	done(r);
	r = ask(ng, "m4", 12000, (const char *const[]){"command", "query", "call-id", "quiet", NULL});
	CU_ASSERT_EQUAL(bencode_dict_get(r->d, "media-timeout")->i, 1);
	done(r);
	/* Long abandoned (2 x timeout + 60 s): the tick frees it. */
	ng_server_tick(ng, 20000);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 1);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 4);
	ng_server_tick(ng, 1000 + 81000 + 1);
	CU_ASSERT_EQUAL(ng_server_calls(ng), 0);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 0);            /* back to the pool */
	ng_server_free(ng);
}

static const char *SDP_A6 =
	"v=0\r\no=alice 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
	"m=audio 49170 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

static struct ng_server *two_armed(struct relay_config *c)
{
	char err[256] = "";
	struct ng_server *ng;

	*c = cfg;
	c->niface = 0;
	c->iface[c->niface++] = (struct relay_iface){"inside", "127.0.0.71", "127.0.0.71", AF_INET};
	c->iface[c->niface++] = (struct relay_iface){"outside", "127.0.0.72", "192.0.2.72", AF_INET};
	c->iface[c->niface++] = (struct relay_iface){"outside", "::1", "::1", AF_INET6};
	ng = ng_server_new(c, workers, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(ng);
	return ng;
}

/* The local port of side tag's RTP, and its advertised address, from a query. */
static int query_side(struct ng_server *ng, const char *call, const char *tag, char *adv, size_t cap)
{
	struct reply *r = ask(ng, "qx", 5000, (const char *const[]){"command", "query", "call-id", call, NULL});
	const struct bencode *m = bencode_dict_get(bencode_dict_get(bencode_dict_get(r->d, "tags"), tag), "medias");
	const struct bencode *st = m && m->child ? bencode_dict_get(m->child, "streams") : NULL;
	const char *a = st && st->child ? bencode_dict_cstr(r->pool, bencode_dict_get(st->child, "advertised endpoint"),
							      "address") : NULL;
	int port = st && st->child ? (int)bencode_dict_get(st->child, "local port")->i : -1;

	snprintf(adv, cap, "%s", a ? a : "");
	done(r);
	return port;
}

/* Is udp port bound on ip? (the relay's socket holds it) */
static int bound_on(const char *ip, int port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	int fd, rc;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)port);
	} else {
		inet_pton(AF_INET6, ip, &a.in6.sin6_addr);
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)port);
	}
	fd = socket(a.sa.sa_family, SOCK_DGRAM, 0);
	rc = bind(fd, &a.sa, a.sa.sa_family == AF_INET ? sizeof(a.in) : sizeof(a.in6));
	close(fd);
	return rc != 0;
}

/* rtpengine's direction: the offer's sender gets ports on the first
 * interface, its recipient on the second, and each side's SDP names its
 * own interface's (advertised) address. */
static void test_direction_places_each_side(void)
{
	struct relay_config c;
	struct ng_server *ng = two_armed(&c);
	struct reply *r;
	const char *sdp;
	char adv[64];
	int pa, pb;

	r = ask(ng, "d1", 1000, (const char *const[]){"command", "offer", "call-id", "ta", "from-tag", "a",
						       "sdp", SDP_A, "replace", "[origin]",
						       "direction", "[inside,outside]", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "c=IN IP4 192.0.2.72\r\n"));     /* outside, advertised */
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "o=alice 1 1 IN IP4 192.0.2.72\r\n"));
	done(r);
	r = ask(ng, "d2", 1100, (const char *const[]){"command", "answer", "call-id", "ta", "from-tag", "a",
						       "to-tag", "b", "sdp", SDP_B, "direction", "[outside,inside]", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	CU_ASSERT_PTR_NOT_NULL(strstr(bencode_dict_cstr(r->pool, r->d, "sdp"), "c=IN IP4 127.0.0.71\r\n"));
	done(r);
	pa = query_side(ng, "ta", "a", adv, sizeof(adv));
	CU_ASSERT_STRING_EQUAL(adv, "127.0.0.71");
	CU_ASSERT_TRUE(bound_on("127.0.0.71", pa));
	pb = query_side(ng, "ta", "b", adv, sizeof(adv));
	CU_ASSERT_STRING_EQUAL(adv, "192.0.2.72");
	CU_ASSERT_TRUE(bound_on("127.0.0.72", pb));
	/* Without direction: the default (first) interface both ways. */
	r = ask(ng, "d3", 1200, (const char *const[]){"command", "offer", "call-id", "tb", "from-tag", "a",
						       "sdp", SDP_A, NULL});
	CU_ASSERT_STRING_EQUAL(result(r), "ok");
	CU_ASSERT_PTR_NOT_NULL(strstr(bencode_dict_cstr(r->pool, r->d, "sdp"), "c=IN IP4 127.0.0.71\r\n"));
	done(r);
	ng_server_free(ng);
	workers_sync(workers);
}

/* "address family" says what the recipient needs: IPv4 in, IPv6 out
 * (and back: an IPv6 offer toward an IPv4 side). */
static void test_address_family_bridges_v4_and_v6(void)
{
	struct relay_config c;
	struct ng_server *ng = two_armed(&c);
	struct reply *r;
	const char *sdp;
	char adv[64];
	int pb;

	r = ask(ng, "f1", 1000, (const char *const[]){"command", "offer", "call-id", "v6", "from-tag", "a",
						       "sdp", SDP_A, "replace", "[origin]",
						       "direction", "[inside,outside]", "address family", "IP6", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	sdp = bencode_dict_cstr(r->pool, r->d, "sdp");
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "c=IN IP6 ::1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sdp, "o=alice 1 1 IN IP6 ::1\r\n"));
	done(r);
	/* An IPv6 caller toward an IPv4-only interface: without address
	 * family the recipient gets its interface's IPv4 address, and the
	 * caller's ports are on the IPv6 address of the interface it came
	 * from. */
	r = ask(ng, "f2", 1000, (const char *const[]){"command", "offer", "call-id", "v6b", "from-tag", "a",
						       "sdp", SDP_A6, "direction", "[outside,inside]", NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	CU_ASSERT_PTR_NOT_NULL(strstr(bencode_dict_cstr(r->pool, r->d, "sdp"), "c=IN IP4 127.0.0.71\r\n"));
	done(r);
	r = ask(ng, "f3", 1100, (const char *const[]){"command", "answer", "call-id", "v6b", "from-tag", "a",
						       "to-tag", "b", "sdp", SDP_B, NULL});
	CU_ASSERT_STRING_EQUAL_FATAL(result(r), "ok");
	CU_ASSERT_PTR_NOT_NULL(strstr(bencode_dict_cstr(r->pool, r->d, "sdp"), "c=IN IP6 ::1\r\n"));
	done(r);
	pb = query_side(ng, "v6b", "a", adv, sizeof(adv));
	CU_ASSERT_STRING_EQUAL(adv, "::1");
	CU_ASSERT_TRUE(bound_on("::1", pb));
	ng_server_free(ng);
	workers_sync(workers);
}

/* Hostile or wrong placement keys are ng errors, never a crash. */
static void test_bad_direction_and_family_refused(void)
{
	static const struct {
		const char *key, *value, *why;
	} bad[] = {
		{"direction", "[inside]", "direction"},
		{"direction", "[inside,outside,inside]", "direction"},
		{"direction", "inside", "direction"},
		{"direction", "[in side,outside]", "direction"},
		{"direction", "[,outside]", "direction"},
		{"direction", "[abcdefghijabcdefghijabcdefghijabcdef,outside]", "direction"},
		{"direction", "[inside,dmz]", "unknown interface 'dmz'"},
		{"direction", "[dmz,outside]", "unknown interface 'dmz'"},
		{"address family", "IP5", "address family"},
		{"address family", "[IP6]", "address family"},
	};
	struct relay_config c;
	struct ng_server *ng = two_armed(&c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cookie[16];
		struct reply *r;
		const char *why;

		snprintf(cookie, sizeof(cookie), "b1-%zu", i);   /* a cookie of its own: no cached reply */
		r = ask(ng, cookie, 1000 + (int64_t)i,
				      (const char *const[]){"command", "offer", "call-id", "bad", "from-tag", "a",
							    "sdp", SDP_A, bad[i].key, bad[i].value, NULL});
		why = bencode_dict_cstr(r->pool, r->d, "error-reason");
		CU_ASSERT_STRING_EQUAL(result(r), "error");
		if (!why || !strstr(why, bad[i].why))
			fprintf(stderr, "placement case %zu: %s\n", i, why ? why : "(none)");
		CU_ASSERT_PTR_NOT_NULL(why && strstr(why, bad[i].why));
		done(r);
	}
	/* IPv6 toward inside, which has none: an error, not an IPv4 SDP. */
	{
		struct reply *r = ask(ng, "b2", 2000,
				      (const char *const[]){"command", "offer", "call-id", "bad6", "from-tag", "a",
							    "sdp", SDP_A, "direction", "[outside,inside]",
							    "address family", "IP6", NULL});
		const char *why = bencode_dict_cstr(r->pool, r->d, "error-reason");

		CU_ASSERT_STRING_EQUAL(result(r), "error");
		CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "interface 'inside' has no IP6 address"));
		done(r);
	}
	CU_ASSERT_EQUAL(ng_server_calls(ng), 0);
	CU_ASSERT_EQUAL(ng_server_ports_in_use(ng), 0);
	ng_server_free(ng);
	workers_sync(workers);
}

/* Memory per call: a media exists only for the m= lines negotiated (a
 * fixed array of eight cost ~10 kB per call); a later offer with more
 * lines adds theirs, and a line whose ports ran out leaves nothing behind
 * (ASan builds check the free). */
static void test_media_allocated_per_line(void)
{
	static const char *two =
		"v=0\r\no=alice 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
		"m=audio 49170 RTP/AVP 0\r\nm=video 49172 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
	char err[128];
	struct calls *cs = calls_new(&cfg, workers, err, sizeof(err));
	struct calls_sender from = {.latch = STREAM_LATCH_FIRST};
	struct rewrite_info info;
	struct rewrite_params par;
	struct call *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
	c = calls_create(cs, "mem1", 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(rewrite_parse(SDP_A, strlen(SDP_A), &info, err, sizeof(err)), 0);
	memset(&par, 0, sizeof(par));
	CU_ASSERT_EQUAL(calls_negotiate(cs, c, 0, 0, &info, &from, &par, 1000, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c->nmedia, 1);
	CU_ASSERT_PTR_NOT_NULL(c->media[0]);
	CU_ASSERT_PTR_NOT_NULL(c->media[0] ? c->media[0]->st : NULL);
	for (int i = 1; i < REWRITE_MAX_MEDIA; i++)
		CU_ASSERT_PTR_NULL(c->media[i]);
	CU_ASSERT_EQUAL_FATAL(rewrite_parse(two, strlen(two), &info, err, sizeof(err)), 0);
	memset(&par, 0, sizeof(par));
	CU_ASSERT_EQUAL(calls_negotiate(cs, c, 0, 0, &info, &from, &par, 2000, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c->nmedia, 2);
	CU_ASSERT_PTR_NOT_NULL(c->media[1] ? c->media[1]->st : NULL);
	CU_ASSERT_STRING_EQUAL(c->media[1] ? c->media[1]->type : "", "video");
	CU_ASSERT_PTR_NULL(c->media[2]);
	CU_ASSERT_EQUAL(calls_ports_in_use(cs), 8);
	calls_destroy(cs, c);
	CU_ASSERT_EQUAL(calls_ports_in_use(cs), 0);
	CU_ASSERT_EQUAL(calls_count(cs), 0);
	calls_free(cs);
	workers_sync(workers);
}

UNIT_SUITE_FULL(ng_server, setup, teardown,
		UNIT_TEST(test_direction_places_each_side),
		UNIT_TEST(test_address_family_bridges_v4_and_v6),
		UNIT_TEST(test_bad_direction_and_family_refused),
		UNIT_TEST(test_ping_pong),
		UNIT_TEST(test_bad_requests_get_errors),
		UNIT_TEST(test_offer_answer_query_delete),
		UNIT_TEST(test_retransmission_gets_cached_reply),
		UNIT_TEST(test_rtp_to_srtp_offers_both_suites_and_answers_plain),
		UNIT_TEST(test_srtp_leaves_t38_alone),
		UNIT_TEST(test_ng_socket_refuses_outside_allow),
		UNIT_TEST(test_srtp_to_rtp_answers_with_offered_tag_and_suite),
		UNIT_TEST(test_ports_exhausted),
		UNIT_TEST(test_reoffer_keeps_agreed_srtp),
		UNIT_TEST(test_media_timeout_reported),
		UNIT_TEST(test_media_allocated_per_line))
