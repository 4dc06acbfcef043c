/*
 * test_tls_watch.c - the transport log lines that tell an outgoing TLS
 * connection failed (tls_watch.c), as Sofia-SIP 1.12.11 printed them in
 * tls_kamailio.sh, and lines that must not count.
 */
#include <string.h>
#include "unit.h"
#include "tls_watch.h"

static void test_subject_mismatch_names_host(void)
{
	struct tls_watch w = {0};
	char host[80] = "x", why[64] = "";

	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x55efc9997dd0): Peer Subject Mismatch (127.0.0.55)",
				       host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_HOST);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.55");
	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch (sbc.example.net)",
				       host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_HOST);
	CU_ASSERT_STRING_EQUAL(host, "sbc.example.net");
}

static void test_incoming_mismatch_is_not_a_trunk(void)
{
	struct tls_watch w = {0};
	char host[80], why[64];

	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch (incoming connection)",
				       host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
}

static void test_chain_error_block(void)
{
	struct tls_watch w = {0};
	char host[80], why[64] = "";

	CU_ASSERT_EQUAL(tls_watch_line(&w, "-Error with certificate at depth: 0", host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
	CU_ASSERT_EQUAL(tls_watch_line(&w, "  issuer   = /CN=b2bua test CA", host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
	CU_ASSERT_EQUAL(tls_watch_line(&w, "  subject  = /CN=127.0.0.57", host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
	CU_ASSERT_EQUAL(tls_watch_line(&w, "  err 20:unable to get local issuer certificate", host, sizeof(host), why,
				       sizeof(why)),
			TLS_WATCH_CERT);
	CU_ASSERT_STRING_EQUAL(why, "unable to get local issuer certificate");
	/* the block is over: another "err" line alone is nothing */
	CU_ASSERT_EQUAL(tls_watch_line(&w, "  err 20:again", host, sizeof(host), why, sizeof(why)), TLS_WATCH_NONE);
}

static void test_err_line_outside_a_block(void)
{
	struct tls_watch w = {0};
	char host[80], why[64];

	CU_ASSERT_EQUAL(tls_watch_line(&w, "  err 20:unable to get local issuer certificate", host, sizeof(host), why,
				       sizeof(why)),
			TLS_WATCH_NONE);
	/* another line between ends the block */
	tls_watch_line(&w, "-Error with certificate at depth: 1", host, sizeof(host), why, sizeof(why));
	tls_watch_line(&w, "tport_tls_connect: something else", host, sizeof(host), why, sizeof(why));
	CU_ASSERT_EQUAL(tls_watch_line(&w, "  err 19:self-signed certificate in certificate chain", host, sizeof(host),
				       why, sizeof(why)),
			TLS_WATCH_NONE);
}

static void test_hostile_text_bounded(void)
{
	struct tls_watch w = {0};
	char host[8], why[8], line[600];

	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch (very.long.host.name)",
				       host, sizeof(host), why, sizeof(why)),
			TLS_WATCH_HOST);
	CU_ASSERT_STRING_EQUAL(host, "very.lo");
	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch ()", host,
				       sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch (no close", host,
				       sizeof(host), why, sizeof(why)),
			TLS_WATCH_NONE);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	memcpy(line, "tls_post_connection_check(0x1): Peer Subject Mismatch (", 55);
	line[sizeof(line) - 2] = ')';
	CU_ASSERT_EQUAL(tls_watch_line(&w, line, host, sizeof(host), why, sizeof(why)), TLS_WATCH_NONE);
	CU_ASSERT_EQUAL(tls_watch_line(&w, "tls_post_connection_check(0x1): Peer Subject Mismatch (a\001b)", host,
				       sizeof(host), why, sizeof(why)),
			TLS_WATCH_HOST);
	CU_ASSERT_STRING_EQUAL(host, "a?b");
	CU_ASSERT_EQUAL(tls_watch_line(&w, NULL, host, sizeof(host), why, sizeof(why)), TLS_WATCH_NONE);
	/* a peer's name in another line means nothing */
	CU_ASSERT_EQUAL(tls_watch_line(&w, "nta: Peer Subject Mismatch (127.0.0.1)", host, sizeof(host), why,
				       sizeof(why)),
			TLS_WATCH_NONE);
}

UNIT_SUITE(tls_watch, UNIT_TEST(test_subject_mismatch_names_host), UNIT_TEST(test_incoming_mismatch_is_not_a_trunk),
	   UNIT_TEST(test_chain_error_block), UNIT_TEST(test_err_line_outside_a_block),
	   UNIT_TEST(test_hostile_text_bounded));
