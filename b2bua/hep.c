/*
 * hep.c - the HEP3 encoder and its UDP sender (see hep.h).
 *
 * Owns: the sender's socket. Must not: block, resolve names after start,
 * or log per packet (it counts).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hep.h"

struct hep_sender {
	int fd;
	uint64_t sent, dropped;
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

/* One generic chunk: vendor 0, type, length (header included), data. */
static uint8_t *chunk(uint8_t *p, uint16_t type, const void *data, size_t n)
{
	p = put16(p, 0);
	p = put16(p, type);
	p = put16(p, (uint16_t)(6 + n));
	memcpy(p, data, n);
	return p + n;
}

static uint8_t *chunk8(uint8_t *p, uint16_t type, uint8_t v)
{
	return chunk(p, type, &v, 1);
}

static uint8_t *chunk16(uint8_t *p, uint16_t type, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	return chunk(p, type, b, 2);
}

static uint8_t *chunk32(uint8_t *p, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return chunk(p, type, b, 4);
}

ssize_t hep_encode(const struct hep_info *in, uint8_t *buf, size_t cap)
{
	size_t alen = in->family == AF_INET ? 4 : in->family == AF_INET6 ? 16 : 0;
	size_t pw = in->password ? strlen(in->password) : 0;
	size_t co = in->correlation ? strlen(in->correlation) : 0;
	size_t total;
	uint8_t *p = buf;

	if (!alen || !in->payload || pw > 1024 || co > 1024)
		return -1;
	/* header 6; family, proto 7 each; addresses; ports 8 each; times 10
	 * each; type 7; capture id 10; optional chunks; payload. */
	total = 6 + 7 + 7 + 2 * (6 + alen) + 8 + 8 + 10 + 10 + 7 + 10 + (pw ? 6 + pw : 0) + (co ? 6 + co : 0) +
		6 + in->plen;
	if (in->plen > HEP_MAX_PACKET || total > cap || total > HEP_MAX_PACKET)
		return -1;
	memcpy(p, "HEP3", 4);
	p = put16(p + 4, (uint16_t)total);
	p = chunk8(p, HEP_IP_FAMILY, (uint8_t)in->family);
	p = chunk8(p, HEP_IP_PROTO, in->ip_proto);
	p = chunk(p, alen == 4 ? HEP_IPV4_SRC : HEP_IPV6_SRC, in->src, alen);
	p = chunk(p, alen == 4 ? HEP_IPV4_DST : HEP_IPV6_DST, in->dst, alen);
	p = chunk16(p, HEP_SRC_PORT, in->sport);
	p = chunk16(p, HEP_DST_PORT, in->dport);
	p = chunk32(p, HEP_TIME_SEC, in->sec);
	p = chunk32(p, HEP_TIME_USEC, in->usec);
	p = chunk8(p, HEP_PROTO_TYPE, HEP_PROTO_SIP);
	p = chunk32(p, HEP_CAPTURE_ID, in->capture_id);
	if (pw)
		p = chunk(p, HEP_AUTH_KEY, in->password, pw);
	if (co)
		p = chunk(p, HEP_CORRELATION_ID, in->correlation, co);
	p = chunk(p, HEP_PAYLOAD, in->payload, in->plen);
	return p - buf;
}

int hep_sender_new(struct hep_sender **out, const char *hostport, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
	char host[256];
	const char *port, *colon = strrchr(hostport, ':');
	struct hep_sender *s;
	size_t n;
	int rc;

	if (!colon || colon == hostport || !colon[1]) {
		snprintf(err, errlen, "expected HOST:PORT, got '%s'", hostport);
		return -1;
	}
	n = (size_t)(colon - hostport);
	if (hostport[0] == '[' && colon[-1] == ']')
		hostport++, n -= 2;
	if (n == 0 || n >= sizeof(host)) {
		snprintf(err, errlen, "expected HOST:PORT, got '%s'", hostport);
		return -1;
	}
	memcpy(host, hostport, n);
	host[n] = 0;
	port = colon + 1;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, errlen, "HEP socket to %s: %s", hostport, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	*out = s;
	return 0;
}

void hep_sender_free(struct hep_sender *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int hep_sender_send(struct hep_sender *s, const uint8_t *buf, size_t len)
{
	/* A refused port (ICMP) shows as ECONNREFUSED on a later send: the
	 * capture server is down, the packet is dropped like any other. */
	if (send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len) {
		s->dropped++;
		return -1;
	}
	s->sent++;
	return 0;
}

uint64_t hep_sender_sent(const struct hep_sender *s)
{
	return s ? s->sent : 0;
}

uint64_t hep_sender_dropped(const struct hep_sender *s)
{
	return s ? s->dropped : 0;
}
