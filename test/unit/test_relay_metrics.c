/*
 * test_relay_metrics.c - the relay's /metrics (media-relay/metrics.c)
 * and the worker totals it reads (stream.c counts into st->totals).
 */
#include <string.h>
#include "unit.h"
#include "metrics.h"
#include "ng_server.h"
#include "port_pool.h"
#include "prom.h"
#include "stream.h"
#include "workers.h"

#define CAP 2048

static int rtp(uint8_t *buf, uint16_t seq)
{
	memset(buf, 0, 172);
	buf[0] = 0x80;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	return 172;
}

/* Drops, foreign sources and relayed packets land in the stream's
 * counters and in the totals, which outlive the stream. */
static void test_stream_counts_into_totals(void)
{
	struct port_pool *pool = port_pool_new(42200, 42299);
	struct stream_counters totals[2];
	struct stream *st = NULL;
	union stream_addr src;
	const union stream_addr *dst;
	uint8_t buf[CAP];
	char err[128];
	int len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	memset(totals, 0, sizeof(totals));
	CU_ASSERT_EQUAL_FATAL(stream_new(&st, (const char *const[]){"127.0.0.1", "127.0.0.1"},
					 (struct port_pool *const[]){pool, pool}, 1000, err, sizeof(err)), 0);
	st->totals = totals;
	stream_addr_set(&src, "127.0.0.1", 50000);
	len = 5;   /* too short for RTP */
	memset(buf, 0x80, 5);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &src, 1000, &dst), -1);
	/* Nothing known of side 0's source yet: foreign until the learning window passed. */
	len = rtp(buf, 1);
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &src, 1000, &dst), -1);
	len = rtp(buf, 2);
	/* Learnt now, counted as relayed, then dropped: no destination on side 1. */
	CU_ASSERT_EQUAL(stream_packet(st, 0, STREAM_RTP, buf, &len, CAP, &src, 1000 + STREAM_LEARN_MS, &dst), -1);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTP].dropped), 2);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTP].foreign), 1);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTP].packets), 1);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTP].bytes), 172);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTCP].packets), 0);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].dropped), 2);
	CU_ASSERT_EQUAL(stream_counter(&st->side[0].cnt[STREAM_RTP].packets), 1);
	stream_release_ports(st, (struct port_pool *const[]){pool, pool});
	stream_free(st);
	CU_ASSERT_EQUAL(stream_counter(&totals[STREAM_RTP].packets), 1);   /* still there */
	port_pool_free(pool);
}

static const char *line(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static void test_render_published(void)
{
	struct relay_metrics *m = NULL;
	struct ng_stats st;
	struct prom_buf b;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(relay_metrics_new(&m, NULL, NULL, err, sizeof(err)), 0);
	memset(&st, 0, sizeof(st));
	st.by_cmd[NG_CMD_OFFER] = 3;
	st.err_by_cmd[NG_CMD_OFFER] = 1;
	st.by_cmd[NG_CMD_OTHER] = 2;
	st.retransmits = 5;
	st.refused = 7;
	relay_metrics_publish_stats(m, &st, 4, 16);
	prom_buf_init(&b);
	relay_metrics_render(m, &b);
	CU_ASSERT_FALSE(b.bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.text);
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_calls_active 4\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ports_in_use 16\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_requests_total{command=\"offer\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_requests_total{command=\"other\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_requests_total{command=\"ping\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_errors_total{command=\"offer\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_retransmits_total 5\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_ng_refused_total 7\n"));
	/* No workers: the packet families are there, at zero. */
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_packets_total{kind=\"rtcp\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "# TYPE media_relay_packets_dropped_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(line(b.text, "media_relay_packets_dropped_total{kind=\"rtp\",reason=\"srtp_auth\"} 0\n"));
	prom_buf_free(&b);
	relay_metrics_free(m);
}

/* The listener refuses what it cannot bind, saying where. */
static void test_listen_errors(void)
{
	struct relay_metrics *m = NULL;
	char err[200] = "";

	CU_ASSERT_EQUAL(relay_metrics_new(&m, "127.0.0.1", NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ADDR:PORT"));
	CU_ASSERT_EQUAL(relay_metrics_new(&m, "192.0.2.1:9", NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "192.0.2.1:9: cannot bind: "));
}

UNIT_SUITE(relay_metrics, UNIT_TEST(test_stream_counts_into_totals), UNIT_TEST(test_render_published),
	   UNIT_TEST(test_listen_errors));
