/*
 * test_sip_read.c - what the b2bua takes from received SIP messages
 * (b2bua/sip_read.c), through Sofia's parser with the daemon's message
 * class: here the Reason header (RFC 3326), rebuilt before anything of
 * it is stored or passed on, and a REFER's Refer-To (RFC 3515).
 */
#include <string.h>
#include <sofia-sip/sip_header.h>
#include "unit.h"
#include "sip_read.h"

static msg_t *parse(const char *reasons)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "BYE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3;branch=z9hG4bK1\r\n"
		 "From: <sip:1@127.0.0.3>;tag=a\r\nTo: <sip:2@127.0.0.1>;tag=b\r\nCall-ID: x\r\n"
		 "CSeq: 2 BYE\r\n%sContent-Length: 0\r\n\r\n", reasons);
	return msg_make(sip_read_mclass(), 0, text, (ssize_t)strlen(text));
}

static void reason_of(const char *reasons, int q850, const char *value)
{
	msg_t *m = parse(reasons);
	struct leg_reason why;
	char buf[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	sip_read_reason(sip_object(m), &why, buf, sizeof(buf));
	CU_ASSERT_EQUAL(why.q850, q850);
	if (value) {
		CU_ASSERT_PTR_NOT_NULL(why.value);
		if (why.value && strcmp(why.value, value) != 0)
			fprintf(stderr, "\nreason '%s', want '%s'\n", why.value, value);
		CU_ASSERT(why.value && strcmp(why.value, value) == 0);
	} else {
		CU_ASSERT_PTR_NULL(why.value);
	}
	msg_destroy(m);
}

static void test_reason_is_rebuilt(void)
{
	reason_of("Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n", 16,
		  "Q.850;cause=16;text=\"Normal call clearing\"");
	/* the Q.850 one wins over SIP, whatever the order */
	reason_of("Reason: SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=26\r\n", 26,
		  "Q.850;cause=26");
	reason_of("Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n", 0,
		  "SIP;cause=200;text=\"Call completed elsewhere\"");
	/* an escaped quote or backslash never comes out; text is cut at 48 */
	reason_of("Reason: Q.850;cause=17;text=\"a\\\"b\\\\c\"\r\n", 17, "Q.850;cause=17;text=\"abc\"");
	reason_of("Reason: Q.850;cause=16;text=\"0123456789012345678901234567890123456789012345678901234567\"\r\n",
		  16, "Q.850;cause=16;text=\"012345678901234567890123456789012345678901234567\"");
}

static void test_reason_we_cannot_read_is_none(void)
{
	reason_of("", 0, NULL);
	reason_of("Reason: Q.850;cause=128\r\n", 0, NULL);   /* Q.850 stops at 127 */
	reason_of("Reason: Q.850;cause=16x\r\n", 0, NULL);
	reason_of("Reason: Q.850;text=\"no cause\"\r\n", 0, NULL);
	reason_of("Reason: X-Vendor;cause=16\r\n", 0, NULL);
	reason_of("Reason: SIP;cause=0\r\n", 0, NULL);
}

static void refer_of(const char *refer_to, const char *user, int replaces)
{
	msg_t *m = parse(refer_to);
	struct leg_refer r;
	char buf[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	sip_read_refer(sip_object(m), &r, buf, sizeof(buf));
	if (user) {
		CU_ASSERT(r.user && strcmp(r.user, user) == 0);
		if (!r.user || strcmp(r.user, user) != 0)
			fprintf(stderr, "\nRefer-To '%s': user '%s', want '%s'\n", refer_to, r.user ? r.user : "(null)", user);
	} else {
		CU_ASSERT_PTR_NULL(r.user);
	}
	CU_ASSERT_EQUAL(r.replaces, replaces);
	msg_destroy(m);
}

static void test_refer_to_number(void)
{
	refer_of("Refer-To: <sip:+4930123@127.0.0.1>\r\n", "+4930123", 0);
	refer_of("Refer-To: sip:2000@pbx.example;user=phone\r\n", "2000", 0);
	refer_of("Refer-To: <sips:*72#@127.0.0.1>\r\n", "*72#", 0);
	refer_of("Refer-To: <tel:+4930123>\r\n", "+4930123", 0);
	/* attended transfer: Replaces in the URI's headers */
	refer_of("Refer-To: <sip:2000@127.0.0.1?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n", "2000", 1);
	/* no number we could route: none */
	refer_of("", NULL, 0);
	refer_of("Refer-To: <sip:127.0.0.1>\r\n", NULL, 0);
	refer_of("Refer-To: <http://example.com/2000>\r\n", NULL, 0);
	refer_of("Refer-To: <sip:20%2000@127.0.0.1>\r\n", NULL, 0);     /* escapes are not digits */
	refer_of("Refer-To: <sip:0123456789012345@127.0.0.1>\r\n", NULL, 0);   /* over the buffer */
}

/* A REGISTER's response, with the headers given. */
static msg_t *parse_reg(int code, const char *headers)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "SIP/2.0 %d X\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n"
		 "From: <sip:acct1@carrier.example>;tag=a\r\nTo: <sip:acct1@carrier.example>;tag=b\r\nCall-ID: x\r\n"
		 "CSeq: 2 REGISTER\r\n%sContent-Length: 0\r\n\r\n", code, headers);
	return msg_make(sip_read_mclass(), 0, text, (ssize_t)strlen(text));
}

static void granted_of(const char *headers, int want)
{
	msg_t *m = parse_reg(200, headers);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(sip_read_granted(sip_object(m), "acct1", "127.0.0.40", 5060), want);
	if (sip_read_granted(sip_object(m), "acct1", "127.0.0.40", 5060) != want)
		fprintf(stderr, "\ngranted of '%s': %d, want %d\n", headers, sip_read_granted(sip_object(m), "acct1", "127.0.0.40", 5060), want);
	msg_destroy(m);
}

/* RFC 3261 10.2.4: our Contact's expires parameter, else Expires; other
 * bindings of the AOR say nothing about ours; a hostile number is none. */
static void test_register_granted_time(void)
{
	granted_of("Contact: <sip:acct1@127.0.0.40:5060>;expires=4\r\nExpires: 60\r\n", 4);
	granted_of("Contact: <sip:acct1@127.0.0.40>;expires=30\r\n", 30);   /* no port: 5060 */
	granted_of("Contact: <sip:other@10.0.0.1:5060>;expires=5, <sip:acct1@127.0.0.40:5060>;expires=7\r\n", 7);
	granted_of("Contact: <sip:acct1@127.0.0.40:5062>;expires=5\r\nExpires: 90\r\n", 90);   /* not ours */
	granted_of("Contact: <sip:acct1@127.0.0.40:5062>;expires=5\r\n", -1);
	granted_of("Expires: 120\r\n", 120);
	granted_of("", -1);
	granted_of("Contact: <sip:acct1@127.0.0.40:5060>;expires=99999999999\r\n", -1);
	granted_of("Contact: <sip:acct1@127.0.0.40:5060>;expires=-1\r\n", -1);
	granted_of("Contact: <sip:acct1@127.0.0.40:5060>;expires=0\r\n", 0);
	granted_of("Contact: <sip:acct1@127.0.0.40:5060>;expires=4x\r\nExpires: 60\r\n", -1);
}

static void challenge_of(int code, const char *headers, const char *realm, const char *nonce)
{
	msg_t *m = parse_reg(code, headers);
	char r[16], n[16];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	sip_read_challenge(sip_object(m), code, r, sizeof(r), n, sizeof(n));
	CU_ASSERT_STRING_EQUAL(r, realm);
	CU_ASSERT_STRING_EQUAL(n, nonce);
	msg_destroy(m);
}

/* The realm and nonce a REGISTER's challenge carries, never cut: one
 * longer than its buffer is none. */
static void test_register_challenge(void)
{
	challenge_of(401, "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"abc\", algorithm=MD5\r\n", "carrier", "abc");
	challenge_of(407, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n2\"\r\n", "p", "n2");
	challenge_of(401, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n2\"\r\n", "", "");   /* wrong header */
	challenge_of(401, "WWW-Authenticate: Basic realm=\"carrier\"\r\n", "", "");
	challenge_of(401, "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"0123456789abcdef0\"\r\n", "carrier", "");
	challenge_of(401, "WWW-Authenticate: Digest realm=\"0123456789abcdef0\", nonce=\"n\"\r\n", "", "n");
}

UNIT_SUITE(sip_read,
	   UNIT_TEST(test_register_granted_time),
	   UNIT_TEST(test_register_challenge),
	   UNIT_TEST(test_reason_is_rebuilt),
	   UNIT_TEST(test_reason_we_cannot_read_is_none),
	   UNIT_TEST(test_refer_to_number))
