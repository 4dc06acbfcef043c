/*
 * test_relay_client.c - building ng requests and reading ng replies
 * (relay_client.c), apart from the socket: what goes on the wire for each
 * command, and what the core learns from replies shaped like our relay's
 * and rtpengine's, including broken ones.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "bencode.h"
#include "relay_client.h"

/* Decodes a request datagram "COOKIE DICT" back into a dict. */
static struct bencode *decode_request(struct bencode_pool *pool, const char *buf, long n,
				      const char *cookie)
{
	size_t clen = strlen(cookie);
	char err[128];

	CU_ASSERT_FATAL(n > (long)clen + 1);
	CU_ASSERT_FATAL(memcmp(buf, cookie, clen) == 0 && buf[clen] == ' ');
	return bencode_decode(pool, buf + clen + 1, (size_t)n - clen - 1, NULL, err, sizeof(err));
}

static void test_offer_carries_topology_hiding_flags(void)
{
	struct relay_msg m = {.command = "offer", .call_id = "n1-7-abc", .from_tag = "a",
			      .sdp = "v=0\r\n", .to_srtp = 1};
	struct bencode_pool *pool = bencode_pool_new();
	struct bencode *d, *rep;
	char buf[1024];
	long n = relay_msg_encode(&m, "42_7", buf, sizeof(buf));

	d = decode_request(pool, buf, n, "42_7");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "command"), "offer");
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "call-id"), "n1-7-abc");
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "from-tag"), "a");
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "to-tag"));
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "sdp"), "v=0\r\n");
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "ICE"), "remove");
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "transport-protocol"), "RTP/SAVP");
	rep = bencode_dict_get(d, "replace");
	CU_ASSERT_TRUE(bencode_list_has(rep, "origin"));
	CU_ASSERT_TRUE(bencode_list_has(rep, "session-connection"));
	bencode_pool_free(pool);
}

/* The sender's latch policy and, as rtpengine spells it, where its SIP
 * came from. */
static void test_offer_carries_latch_and_received_from(void)
{
	struct relay_msg m = {.command = "offer", .call_id = "c", .from_tag = "a", .sdp = "v=0\r\n",
			      .to_srtp = -1, .latch = "sdp", .peer = "2001:db8::5"};
	struct bencode_pool *pool = bencode_pool_new();
	struct bencode *d, *rf;
	char buf[1024];
	long n = relay_msg_encode(&m, "1", buf, sizeof(buf));

	d = decode_request(pool, buf, n, "1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "latch"), "sdp");
	rf = bencode_dict_get(d, "received-from");
	CU_ASSERT_PTR_NOT_NULL_FATAL(rf);
	CU_ASSERT_TRUE(bencode_list_has(rf, "IP6"));
	CU_ASSERT_TRUE(bencode_list_has(rf, "2001:db8::5"));
	bencode_pool_free(pool);
}

/* rtpengine's direction (two interface names) and address family; none
 * of them without names or a family. */
static void test_offer_carries_direction_and_family(void)
{
	struct relay_msg m = {.command = "offer", .call_id = "c", .from_tag = "a", .sdp = "v=0\r\n",
			      .to_srtp = -1, .direction = {"inside", "outside"}, .family = "IP6"};
	struct bencode_pool *pool = bencode_pool_new();
	struct bencode *d, *dir;
	char buf[1024];
	long n = relay_msg_encode(&m, "1", buf, sizeof(buf));

	d = decode_request(pool, buf, n, "1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	dir = bencode_dict_get(d, "direction");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_FATAL(dir->child && dir->child->next && !dir->child->next->next);
	CU_ASSERT_TRUE(bencode_str_eq(dir->child, "inside"));
	CU_ASSERT_TRUE(bencode_str_eq(dir->child->next, "outside"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(bencode_dict_get(d, "address family"));
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "address family"), "IP6");
	m.direction[0] = m.direction[1] = NULL;
	m.family = NULL;
	n = relay_msg_encode(&m, "2", buf, sizeof(buf));
	d = decode_request(pool, buf, n, "2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "direction"));
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "address family"));
	bencode_pool_free(pool);
}

static void test_keep_transport_sends_no_protocol(void)
{
	struct relay_msg m = {.command = "answer", .call_id = "c", .from_tag = "a", .to_tag = "b",
			      .sdp = "v=0\r\n", .to_srtp = -1};
	struct bencode_pool *pool = bencode_pool_new();
	char buf[1024];
	long n = relay_msg_encode(&m, "1", buf, sizeof(buf));
	struct bencode *d = decode_request(pool, buf, n, "1");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "transport-protocol"));
	CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "to-tag"), "b");
	bencode_pool_free(pool);
}

/* A feedback profile kept or dropped: the profile itself wins. */
static void test_offer_profile_wins_over_to_srtp(void)
{
	static const struct {
		int to_srtp;
		const char *proto, *want;
	} cases[] = {
		{0, "RTP/AVPF", "RTP/AVPF"}, {1, "RTP/SAVPF", "RTP/SAVPF"}, {-1, "RTP/AVP", "RTP/AVP"},
		{1, NULL, "RTP/SAVP"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_msg m = {.command = "offer", .call_id = "c", .from_tag = "a", .sdp = "v=0\r\n",
				      .to_srtp = cases[i].to_srtp, .proto = cases[i].proto};
		struct bencode_pool *pool = bencode_pool_new();
		char buf[1024];
		long n = relay_msg_encode(&m, "1", buf, sizeof(buf));
		struct bencode *d = decode_request(pool, buf, n, "1");

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_STRING_EQUAL(bencode_dict_cstr(pool, d, "transport-protocol"), cases[i].want);
		bencode_pool_free(pool);
	}
}

static void test_delete_has_no_sdp_keys(void)
{
	struct relay_msg m = {.command = "delete", .call_id = "c", .from_tag = "a", .to_srtp = -1};
	struct bencode_pool *pool = bencode_pool_new();
	char buf[256];
	long n = relay_msg_encode(&m, "9", buf, sizeof(buf));
	struct bencode *d = decode_request(pool, buf, n, "9");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "sdp"));
	CU_ASSERT_PTR_NULL(bencode_dict_get(d, "replace"));
	bencode_pool_free(pool);
}

static void test_encode_refuses_small_buffer(void)
{
	struct relay_msg m = {.command = "offer", .call_id = "c", .from_tag = "a",
			      .sdp = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", .to_srtp = -1};
	char buf[40];

	CU_ASSERT_EQUAL(relay_msg_encode(&m, "1", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(relay_msg_encode(&m, "0123456789", buf, 8), -1);
}

static void test_parse_offer_reply(void)
{
	static const char reply[] = "5_1 d3:sdp8:v=0\r\ns=x6:result2:oke";
	struct relay_result r;
	char cookie[32];
	struct relay_reply *rr = relay_reply_parse(reply, sizeof(reply) - 1, cookie, sizeof(cookie), &r);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
	CU_ASSERT_STRING_EQUAL(cookie, "5_1");
	CU_ASSERT_EQUAL(r.err, RELAY_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.sdp);
	CU_ASSERT_STRING_EQUAL(r.sdp, "v=0\r\ns=x");
	relay_reply_free(rr);
}

/* The relay's words become a type once, here; the words stay for logs. */
static void test_parse_error_reply_is_typed(void)
{
	static const struct {
		const char *reply;
		enum relay_err err;
		const char *detail;
	} cases[] = {
		{"c d6:result5:error12:error-reason15:Unknown call-ide", RELAY_E_NOT_FOUND, "Unknown call-id"},
		{"c d6:result5:error12:error-reason28:Incomplete SDP specificatione", RELAY_E_SDP,
		 "Incomplete SDP specification"},
		{"c d6:result5:error12:error-reason32:no usable a=crypto in SRTP mediae", RELAY_E_SDP,
		 "no usable a=crypto in SRTP media"},
		{"c d6:result5:error12:error-reason18:Ran out of ports !e", RELAY_E_REFUSED, "Ran out of ports !"},
		{"c d6:result5:errore", RELAY_E_REFUSED, "relay error"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_result r;
		char cookie[32];
		struct relay_reply *rr = relay_reply_parse(cases[i].reply, strlen(cases[i].reply), cookie,
							   sizeof(cookie), &r);

		CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
		CU_ASSERT_EQUAL(r.err, cases[i].err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r.detail);
		CU_ASSERT_STRING_EQUAL(r.detail, cases[i].detail);
		relay_reply_free(rr);
	}
}

/* rtpengine's delete reply: tags -> medias -> streams -> stats; RTCP-only
 * streams are not counted as RTP packets. */
static void test_parse_delete_totals_per_side(void)
{
	static const char reply[] =
		"7 d6:result2:ok4:tagsd"
		"1:ad3:tag1:a6:mediasld7:streamsl"
		"d5:flagsl3:RTPe5:statsd7:packetsi100e4:losti3eee"
		"d5:flagsl4:RTCPe5:statsd7:packetsi7eee"
		"eeee"
		"1:bd3:tag1:b6:mediasld7:streamsl"
		"d5:statsd7:packetsi90e5:bytesi9000eee"
		"eeee"
		"ee";
	struct relay_result r;
	char cookie[32];
	struct relay_reply *rr = relay_reply_parse(reply, sizeof(reply) - 1, cookie, sizeof(cookie), &r);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
	CU_ASSERT_EQUAL(r.err, RELAY_OK);
	CU_ASSERT_EQUAL(r.pkts[SIDE_A], 100);
	CU_ASSERT_EQUAL(r.lost[SIDE_A], 3);
	CU_ASSERT_EQUAL(r.pkts[SIDE_B], 90);
	CU_ASSERT_EQUAL(r.lost[SIDE_B], 0);
	CU_ASSERT_FALSE(r.media_timeout);
	relay_reply_free(rr);
}

static void test_parse_media_timeout(void)
{
	static const char reply[] = "7 d13:media-timeouti1e6:result2:oke";
	struct relay_result r;
	char cookie[32];
	struct relay_reply *rr = relay_reply_parse(reply, sizeof(reply) - 1, cookie, sizeof(cookie), &r);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rr);
	CU_ASSERT_TRUE(r.media_timeout);
	relay_reply_free(rr);
}

/* Whatever a relay sends must come back as a failed result or NULL. */
static void test_parse_hostile_replies(void)
{
	static const struct {
		const char *buf;
		int has_reply;
	} cases[] = {
		{"", 0},
		{"nocookie", 0},
		{" d6:result2:oke", 0},
		{"1 ", 1},
		{"1 d6:result2:ok", 1},
		{"1 i42e", 1},
		{"1 d6:result99999999999999999999:oke", 1},
		{"1 d4:tagsd1:ali1eeee6:result2:oke", 1},
		{"1 lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll", 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_result r;
		char cookie[32];
		struct relay_reply *rr = relay_reply_parse(cases[i].buf, strlen(cases[i].buf), cookie,
							   sizeof(cookie), &r);

		CU_ASSERT_EQUAL(rr != NULL, cases[i].has_reply);
		if (rr && i != 7)   /* 7 is a valid reply with junk tags */
			CU_ASSERT_NOT_EQUAL(r.err, RELAY_OK);
		relay_reply_free(rr);
	}
}

UNIT_SUITE(relay_client,
	UNIT_TEST(test_offer_carries_topology_hiding_flags),
	UNIT_TEST(test_offer_carries_latch_and_received_from),
	UNIT_TEST(test_offer_carries_direction_and_family),
	UNIT_TEST(test_keep_transport_sends_no_protocol),
	   UNIT_TEST(test_offer_profile_wins_over_to_srtp),
	UNIT_TEST(test_delete_has_no_sdp_keys),
	UNIT_TEST(test_encode_refuses_small_buffer),
	UNIT_TEST(test_parse_offer_reply),
	UNIT_TEST(test_parse_error_reply_is_typed),
	UNIT_TEST(test_parse_delete_totals_per_side),
	UNIT_TEST(test_parse_media_timeout),
	UNIT_TEST(test_parse_hostile_replies))
