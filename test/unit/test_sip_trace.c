/*
 * test_sip_trace.c - the SIP trace's pieces that need no event loop:
 * the parser of Sofia's transport log (b2bua/trace_block.c) fed with what
 * the real library printed (test/fixtures/tport-log/) and with hostile
 * text, the call matching of trace clients (b2bua/sip_trace.c), and the
 * HEP3 encoder and sender (b2bua/hep.c), whose packets are decoded back
 * here chunk by chunk.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"
#include "files.h"
#include "hep.h"
#include "sip_trace.h"
#include "trace_block.h"

#define SEP_FMT "%s   ------------------------------------------------------------------------\n"
#define SEP_TEXT "   ------------------------------------------------------------------------\n"

/* ---- the fixtures: "FORMAT<TAB>TEXT" lines, escaped ---- */

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*o++ = *s;
			continue;
		}
		s++;
		*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
	}
	*o = 0;
}

/* Feeds a fixture; copies of each message parsed (up to max) into out.
 * Returns how many messages; *other counts the pieces not the parser's. */
static int feed_fixture(const char *path, struct trace_msg *out, char **texts, int max, int *other)
{
	char *data = unit_read_file(path, NULL), *line, *save = NULL;
	struct trace_block *b;
	int n = 0;

	*other = 0;
	CU_ASSERT_FATAL(data != NULL);
	CU_ASSERT_FATAL(trace_block_new(&b) == 0);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		enum trace_feed r;

		CU_ASSERT_FATAL(tab != NULL);
		*tab = 0;
		unescape(line);
		unescape(tab + 1);
		r = trace_block_feed(b, line, tab + 1);
		if (r == TRACE_NOT_MINE)
			(*other)++;
		if (r == TRACE_DONE && n < max) {
			out[n] = *trace_block_msg(b);
			texts[n] = strdup(out[n].text);
			out[n].text = texts[n];
			n++;
		}
	}
	trace_block_free(b);
	free(data);
	return n;
}

static void free_texts(char **texts, int n)
{
	for (int i = 0; i < n; i++)
		free(texts[i]);
}

static int starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int ends_with(const char *s, size_t n, const char *p)
{
	return n >= strlen(p) && strcmp(s + n - strlen(p), p) == 0;
}

static void test_real_udp_log_gives_each_message_whole(void)
{
	struct trace_msg m[4];
	char *t[4];
	int other, n = feed_fixture("test/fixtures/tport-log/udp.txt", m, t, 4, &other);

	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(other, 0);
	/* The OPTIONS we sent: its bytes as sent (all CRLF: the stamp's 621). */
	CU_ASSERT_EQUAL(m[0].dir, TRACE_SENT);
	CU_ASSERT_STRING_EQUAL(m[0].proto, "udp");
	CU_ASSERT_STRING_EQUAL(m[0].peer, "127.0.0.101");
	CU_ASSERT_EQUAL(m[0].port, 5170);
	CU_ASSERT_EQUAL(m[0].len, 621);
	CU_ASSERT_FALSE(m[0].truncated);
	CU_ASSERT_TRUE(m[0].is_request);
	CU_ASSERT_STRING_EQUAL(m[0].method, "OPTIONS");
	CU_ASSERT_STRING_EQUAL(m[0].ruri_user, "bob");
	CU_ASSERT_STRING_EQUAL(m[0].to_user, "bob");
	CU_ASSERT_STRING_EQUAL(m[0].from_user, "");   /* sip:127.0.0.100:5170: no user */
	CU_ASSERT_STRING_EQUAL(m[0].via_host, "127.0.0.100");
	CU_ASSERT_EQUAL(m[0].via_port, 5170);
	CU_ASSERT_TRUE(starts_with(m[0].text, "OPTIONS sip:bob@127.0.0.101:5170;transport=udp SIP/2.0\r\nVia: "));
	/* The peer's line of dashes is content, not the end of the block. */
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].text, "\r\nSubject: x\r\n----------------------------------------"
						 "--------------------------------\r\nUser-Agent: "));
	CU_ASSERT_TRUE(ends_with(m[0].text, m[0].len, "\r\n\r\nline1\r\n\r\nline3 after blank\r\n"));
	/* The 200 that came back, same call. */
	CU_ASSERT_EQUAL(m[1].dir, TRACE_RECV);
	CU_ASSERT_EQUAL(m[1].len, 517);
	CU_ASSERT_FALSE(m[1].is_request);
	CU_ASSERT_EQUAL(m[1].status, 200);
	CU_ASSERT_STRING_EQUAL(m[1].method, "OPTIONS");
	CU_ASSERT_TRUE(m[0].call_id[0] != 0);
	CU_ASSERT_STRING_EQUAL(m[1].call_id, m[0].call_id);
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].text, m[0].call_id));
	free_texts(t, n);
}

static void test_real_tcp_and_ipv6_logs(void)
{
	struct trace_msg m[4];
	char *t[4];
	int other, n = feed_fixture("test/fixtures/tport-log/tcp.txt", m, t, 4, &other);

	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(m[0].proto, "tcp");
	CU_ASSERT_STRING_EQUAL(m[1].proto, "tcp");
	CU_ASSERT_EQUAL(m[1].status, 200);
	free_texts(t, n);
	n = feed_fixture("test/fixtures/tport-log/v6.txt", m, t, 4, &other);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(m[0].peer, "::1");
	CU_ASSERT_EQUAL(m[0].port, 5171);
	CU_ASSERT_EQUAL(m[1].dir, TRACE_RECV);
	free_texts(t, n);
}

/* Sofia cut a 3000-character line at 2047 and said so after the block:
 * the message comes (cut), the note is swallowed, the next one parses. */
static void test_real_log_of_a_line_sofia_cut(void)
{
	struct trace_msg m[4];
	char *t[4];
	int other, n = feed_fixture("test/fixtures/tport-log/long.txt", m, t, 4, &other);

	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].text, "Subject: LLLL"));
	CU_ASSERT_TRUE(m[0].len < 3546);
	CU_ASSERT_EQUAL(m[1].status, 200);
	free_texts(t, n);
}

/* Feeds one block: the stamp, each line as Sofia does, the closing separator. */
static enum trace_feed feed_block(struct trace_block *b, const char *stamp, const char *const *lines, size_t n)
{
	char first[512];
	enum trace_feed r;

	snprintf(first, sizeof(first), "%s" SEP_TEXT, stamp);
	r = trace_block_feed(b, SEP_FMT, first);
	if (r != TRACE_MORE)
		return r;
	for (size_t i = 0; i < n; i++) {
		char piece[4096];

		snprintf(piece, sizeof(piece), "   %s", lines[i]);
		if ((r = trace_block_feed(b, "%s%.*s", piece)) != TRACE_MORE)
			return r;
		if ((r = trace_block_feed(b, "\n", "\n")) != TRACE_MORE)
			return r;
	}
	return trace_block_feed(b, SEP_FMT, SEP_TEXT);
}

static void test_message_without_call_id_or_with_a_huge_one(void)
{
	static const char *const no_cid[] = {"BYE sip:1@h SIP/2.0", "From: <sip:2@h>", "To: <sip:3@h>", ""};
	char big[300], line[320];
	const char *with_big[] = {"INVITE sip:1@h SIP/2.0", line, ""};
	struct trace_block *b;
	struct trace_msg copy;

	CU_ASSERT_FATAL(trace_block_new(&b) == 0);
	CU_ASSERT_EQUAL(feed_block(b, "recv 10 bytes from udp/[192.0.2.1]:5060 at 00:00:00.000000:\n", no_cid, 4),
			TRACE_DONE);
	copy = *trace_block_msg(b);
	CU_ASSERT_STRING_EQUAL(copy.call_id, "");
	CU_ASSERT_STRING_EQUAL(copy.method, "BYE");
	CU_ASSERT_STRING_EQUAL(copy.from_user, "2");
	/* Nothing matches a message without Call-ID by an empty name. */
	CU_ASSERT_FALSE(sip_trace_matches("x", &copy, ""));
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(line, sizeof(line), "Call-ID: %s", big);
	CU_ASSERT_EQUAL(feed_block(b, "recv 10 bytes from udp/[192.0.2.1]:5060 at 00:00:00.000000:\n", with_big, 3),
			TRACE_DONE);
	CU_ASSERT_STRING_EQUAL(trace_block_msg(b)->call_id, "");   /* never cut: it would name another call */
	trace_block_free(b);
}

/* A block larger than the buffer is cut there and marked; nothing spills. */
static void test_huge_message_is_cut_and_marked(void)
{
	struct trace_block *b;
	char piece[2100];
	const struct trace_msg *m;

	CU_ASSERT_FATAL(trace_block_new(&b) == 0);
	CU_ASSERT_EQUAL(trace_block_feed(b, SEP_FMT, "send 999999999999999999999 bytes to tcp/[10.0.0.1]:5060 at x:\n" SEP_TEXT),
			TRACE_MORE);
	memset(piece, 'A', sizeof(piece) - 1);
	piece[sizeof(piece) - 1] = 0;
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(trace_block_feed(b, "%s%.*s", piece), TRACE_MORE);
		CU_ASSERT_EQUAL(trace_block_feed(b, "\n", "\n"), TRACE_MORE);
	}
	CU_ASSERT_EQUAL(trace_block_feed(b, SEP_FMT, SEP_TEXT), TRACE_DONE);
	m = trace_block_msg(b);
	CU_ASSERT_TRUE(m->truncated);
	CU_ASSERT_EQUAL(m->len, TRACE_BLOCK_MAX);
	CU_ASSERT_EQUAL(strlen(m->text), TRACE_BLOCK_MAX);
	CU_ASSERT_EQUAL(m->dir, TRACE_SENT);
	CU_ASSERT_STRING_EQUAL(m->proto, "tcp");
	trace_block_free(b);
}

/* Stamps that are not Sofia's: no block; the lines that follow are
 * ordinary log lines (the caller logs them), never a message. */
static void test_bad_stamps_start_no_block(void)
{
	static const char *const bad[] = {
		"recv lots bytes from udp/[1.2.3.4]:5060 at x:\n",
		"recv 10 bytes from udp/[evil<script>]:5060 at x:\n",
		"recv 10 bytes from udp/[1.2.3.4]:70000 at x:\n",
		"recv 10 bytes from udp/1.2.3.4:5060 at x:\n",
		"recv 10 bytes to udp/[1.2.3.4]:5060 at x:\n",
		"recv 10 bytes from verylongprotocol/[1.2.3.4]:5060 at x:\n",
		"recv 10 bytes from udp/[1.2.3.4]:5060",
		"recv 10 bytes from udp/[1.2.3.4]",
	};
	struct trace_block *b;
	char first[256];

	CU_ASSERT_FATAL(trace_block_new(&b) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(first, sizeof(first), "%s" SEP_TEXT, bad[i]);
		CU_ASSERT_EQUAL(trace_block_feed(b, SEP_FMT, first), TRACE_MORE);
		CU_ASSERT_EQUAL(trace_block_feed(b, "%s%.*s", "   INVITE sip:x@y SIP/2.0"), TRACE_NOT_MINE);
		CU_ASSERT_EQUAL(trace_block_feed(b, "\n", "\n"), TRACE_NOT_MINE);
		CU_ASSERT_EQUAL(trace_block_feed(b, SEP_FMT, SEP_TEXT), TRACE_MORE);
	}
	/* Other formats, NULLs: never the parser's. */
	CU_ASSERT_EQUAL(trace_block_feed(b, "nta: %s\n", "nta: something\n"), TRACE_NOT_MINE);
	CU_ASSERT_EQUAL(trace_block_feed(b, NULL, "x"), TRACE_NOT_MINE);
	CU_ASSERT_EQUAL(trace_block_feed(b, "%s%.*s", NULL), TRACE_NOT_MINE);
	trace_block_free(b);
}

/* A block cut short (its end never logged) is dropped by the next stamp;
 * the next message is whole, with nothing of the first. */
static void test_truncated_block_then_a_whole_one(void)
{
	static const char *const lines[] = {"SIP/2.0 180 Ringing", "i: abc", "f: <sip:+4930123@h>;tag=1",
					    "t: <tel:+4930999;phone-context=x>", "CSeq: 7 INVITE", ""};
	struct trace_block *b;
	const struct trace_msg *m;

	CU_ASSERT_FATAL(trace_block_new(&b) == 0);
	CU_ASSERT_EQUAL(trace_block_feed(b, SEP_FMT, "recv 5 bytes from udp/[1.2.3.4]:5060 at x:\n" SEP_TEXT), TRACE_MORE);
	CU_ASSERT_EQUAL(trace_block_feed(b, "%s%.*s", "   INVITE sip:first@x SIP/2.0"), TRACE_MORE);
	CU_ASSERT_EQUAL(feed_block(b, "recv 5 bytes from udp/[1.2.3.5]:5062 at x:\n", lines, 6), TRACE_DONE);
	m = trace_block_msg(b);
	CU_ASSERT_STRING_EQUAL(m->peer, "1.2.3.5");
	CU_ASSERT_PTR_NULL(strstr(m->text, "first"));
	/* Compact headers, tel: URIs. */
	CU_ASSERT_STRING_EQUAL(m->call_id, "abc");
	CU_ASSERT_STRING_EQUAL(m->from_user, "+4930123");
	CU_ASSERT_STRING_EQUAL(m->to_user, "+4930999");
	CU_ASSERT_EQUAL(m->status, 180);
	CU_ASSERT_STRING_EQUAL(m->method, "INVITE");
	trace_block_free(b);
}

static void test_a_call_matches_by_either_call_id_or_number(void)
{
	struct trace_msg m;

	memset(&m, 0, sizeof(m));
	snprintf(m.call_id, sizeof(m.call_id), "b-leg-id");
	snprintf(m.ruri_user, sizeof(m.ruri_user), "+495000");
	snprintf(m.from_user, sizeof(m.from_user), "1001");
	snprintf(m.to_user, sizeof(m.to_user), "495000");
	CU_ASSERT_TRUE(sip_trace_matches("b-leg-id", &m, "a-leg-id"));
	CU_ASSERT_TRUE(sip_trace_matches("a-leg-id", &m, "a-leg-id"));
	CU_ASSERT_TRUE(sip_trace_matches("495000", &m, "a"));
	CU_ASSERT_TRUE(sip_trace_matches("+495000", &m, "a"));
	CU_ASSERT_TRUE(sip_trace_matches("1001", &m, "a"));
	CU_ASSERT_FALSE(sip_trace_matches("5000", &m, "a"));
	CU_ASSERT_FALSE(sip_trace_matches("b-leg", &m, "a"));
	CU_ASSERT_FALSE(sip_trace_matches("+", &m, "a"));
	m.from_user[0] = m.to_user[0] = m.ruri_user[0] = 0;
	CU_ASSERT_FALSE(sip_trace_matches("1001", &m, "a"));
}

/* ---- HEP3: encoded here, decoded back by an independent reader ---- */

struct chunk {
	int type, len;
	const uint8_t *data;
};

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The chunks of a packet in order; -1 when its framing is wrong. */
static int hep_chunks(const uint8_t *p, size_t len, struct chunk *out, int max)
{
	size_t off = 6;
	int n = 0;

	if (len < 6 || memcmp(p, "HEP3", 4) != 0 || get16(p + 4) != len)
		return -1;
	while (off < len) {
		unsigned clen;

		if (len - off < 6 || n == max || get16(p + off) != 0)
			return -1;
		clen = get16(p + off + 4);
		if (clen < 6 || off + clen > len)
			return -1;
		out[n].type = (int)get16(p + off + 2);
		out[n].len = (int)clen - 6;
		out[n].data = p + off + 6;
		n++;
		off += clen;
	}
	return n;
}

static void test_hep3_v4_every_chunk(void)
{
	static const char payload[] = "INVITE sip:5000@192.0.2.2 SIP/2.0\r\nCall-ID: b\r\n\r\n";
	struct hep_info in = {.family = AF_INET, .ip_proto = IPPROTO_UDP, .sport = 5060, .dport = 5080,
			      .sec = 1795690000, .usec = 999999, .capture_id = 0xfedcba98, .password = "s3cret",
			      .correlation = "a-leg@host", .payload = payload, .plen = sizeof(payload) - 1};
	static const int want[] = {HEP_IP_FAMILY, HEP_IP_PROTO, HEP_IPV4_SRC, HEP_IPV4_DST, HEP_SRC_PORT,
				   HEP_DST_PORT, HEP_TIME_SEC, HEP_TIME_USEC, HEP_PROTO_TYPE, HEP_CAPTURE_ID,
				   HEP_AUTH_KEY, HEP_CORRELATION_ID, HEP_PAYLOAD};
	uint8_t buf[1024];
	struct chunk c[20];
	ssize_t len;
	int n;

	inet_pton(AF_INET, "192.0.2.1", in.src);
	inet_pton(AF_INET, "192.0.2.2", in.dst);
	len = hep_encode(&in, buf, sizeof(buf));
	CU_ASSERT_FATAL(len > 0);
	n = hep_chunks(buf, (size_t)len, c, 20);
	CU_ASSERT_EQUAL_FATAL(n, 13);
	for (int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(c[i].type, want[i]);
	CU_ASSERT_TRUE(c[0].len == 1 && c[0].data[0] == AF_INET);
	CU_ASSERT_TRUE(c[1].len == 1 && c[1].data[0] == IPPROTO_UDP);
	CU_ASSERT_TRUE(c[2].len == 4 && memcmp(c[2].data, "\xc0\x00\x02\x01", 4) == 0);
	CU_ASSERT_TRUE(c[3].len == 4 && memcmp(c[3].data, "\xc0\x00\x02\x02", 4) == 0);
	CU_ASSERT_TRUE(c[4].len == 2 && get16(c[4].data) == 5060);
	CU_ASSERT_TRUE(c[5].len == 2 && get16(c[5].data) == 5080);
	CU_ASSERT_TRUE(c[6].len == 4 && get32(c[6].data) == 1795690000u);
	CU_ASSERT_TRUE(c[7].len == 4 && get32(c[7].data) == 999999u);
	CU_ASSERT_TRUE(c[8].len == 1 && c[8].data[0] == HEP_PROTO_SIP);
	CU_ASSERT_TRUE(c[9].len == 4 && get32(c[9].data) == 0xfedcba98u);
	CU_ASSERT_TRUE(c[10].len == 6 && memcmp(c[10].data, "s3cret", 6) == 0);
	CU_ASSERT_TRUE(c[11].len == 10 && memcmp(c[11].data, "a-leg@host", 10) == 0);
	CU_ASSERT_TRUE(c[12].len == (int)sizeof(payload) - 1 && memcmp(c[12].data, payload, sizeof(payload) - 1) == 0);
	/* One byte short of room: refused, nothing half-written counts. */
	CU_ASSERT_EQUAL(hep_encode(&in, buf, (size_t)len - 1), -1);
	CU_ASSERT_EQUAL(hep_encode(&in, buf, (size_t)len), len);
}

static void test_hep3_v6_tcp_without_optional_chunks(void)
{
	struct hep_info in = {.family = AF_INET6, .ip_proto = IPPROTO_TCP, .sport = 1, .dport = 65535,
			      .capture_id = 7, .payload = "x", .plen = 1};
	uint8_t buf[256];
	struct chunk c[20];
	ssize_t len;
	int n;

	inet_pton(AF_INET6, "2001:db8::1", in.src);
	inet_pton(AF_INET6, "::1", in.dst);
	len = hep_encode(&in, buf, sizeof(buf));
	CU_ASSERT_FATAL(len > 0);
	n = hep_chunks(buf, (size_t)len, c, 20);
	CU_ASSERT_EQUAL_FATAL(n, 11);
	CU_ASSERT_TRUE(c[0].data[0] == AF_INET6 && c[1].data[0] == IPPROTO_TCP);
	CU_ASSERT_TRUE(c[2].type == HEP_IPV6_SRC && c[2].len == 16 && memcmp(c[2].data, in.src, 16) == 0);
	CU_ASSERT_TRUE(c[3].type == HEP_IPV6_DST && c[3].len == 16 && c[3].data[15] == 1);
	CU_ASSERT_TRUE(get16(c[4].data) == 1 && get16(c[5].data) == 65535);
	CU_ASSERT_TRUE(c[10].type == HEP_PAYLOAD && c[10].len == 1 && c[10].data[0] == 'x');
	for (int i = 0; i < n; i++)
		CU_ASSERT_TRUE(c[i].type != HEP_AUTH_KEY && c[i].type != HEP_CORRELATION_ID);
}

static void test_hep3_refuses_what_cannot_be_sent(void)
{
	static uint8_t buf[HEP_MAX_PACKET + 100];
	char *big = calloc(1, HEP_MAX_PACKET);
	struct hep_info in = {.family = AF_INET, .payload = big, .plen = HEP_MAX_PACKET - 10};

	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_EQUAL(hep_encode(&in, buf, sizeof(buf)), -1);   /* no room for the chunks */
	in.plen = 100;
	in.family = 0;
	CU_ASSERT_EQUAL(hep_encode(&in, buf, sizeof(buf)), -1);   /* no address family */
	in.family = AF_INET;
	in.payload = NULL;
	CU_ASSERT_EQUAL(hep_encode(&in, buf, sizeof(buf)), -1);
	free(big);
}

/* The sender on a real loopback socket (127.0.0.104: the trace tests'). */
static void test_hep_sender_delivers_one_datagram(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct hep_sender *s = NULL;
	char addr[64], err[128];
	uint8_t got[64];
	struct pollfd p;

	inet_pton(AF_INET, "127.0.0.104", &sin.sin_addr);
	CU_ASSERT_FATAL(fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	snprintf(addr, sizeof(addr), "127.0.0.104:%d", ntohs(sin.sin_port));
	CU_ASSERT_FATAL(hep_sender_new(&s, addr, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(hep_sender_send(s, (const uint8_t *)"HEP3\0\x0b" "12345", 11), 0);
	p.fd = fd;
	p.events = POLLIN;
	CU_ASSERT_FATAL(poll(&p, 1, 2000) == 1);
	CU_ASSERT_EQUAL(recv(fd, got, sizeof(got), 0), 11);
	CU_ASSERT_EQUAL(memcmp(got, "HEP3\0\x0b" "12345", 11), 0);
	CU_ASSERT_EQUAL(hep_sender_sent(s), 1);
	hep_sender_free(s);
	close(fd);
	CU_ASSERT_EQUAL(hep_sender_new(&s, "no-port", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(hep_sender_new(&s, "127.0.0.1:notaport", err, sizeof(err)), -1);
}

UNIT_SUITE(sip_trace,
	UNIT_TEST(test_real_udp_log_gives_each_message_whole),
	UNIT_TEST(test_real_tcp_and_ipv6_logs),
	UNIT_TEST(test_real_log_of_a_line_sofia_cut),
	UNIT_TEST(test_message_without_call_id_or_with_a_huge_one),
	UNIT_TEST(test_huge_message_is_cut_and_marked),
	UNIT_TEST(test_bad_stamps_start_no_block),
	UNIT_TEST(test_truncated_block_then_a_whole_one),
	UNIT_TEST(test_a_call_matches_by_either_call_id_or_number),
	UNIT_TEST(test_hep3_v4_every_chunk),
	UNIT_TEST(test_hep3_v6_tcp_without_optional_chunks),
	UNIT_TEST(test_hep3_refuses_what_cannot_be_sent),
	UNIT_TEST(test_hep_sender_delivers_one_datagram))
