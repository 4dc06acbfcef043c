/*
 * hep.h - HEP version 3 (the Homer Encapsulation Protocol, "HEP3"): one
 * captured SIP message per UDP datagram to a capture server (Homer,
 * Kamailio's sipcapture).
 *
 * Owns: the encoder (pure) and a sender: one connected non-blocking UDP
 * socket. A datagram the kernel will not take at once is dropped and
 * counted; nothing ever waits. SIP thread only.
 * Wire format: "HEP3", total length (u16), then chunks of vendor (u16,
 * 0 = generic), type (u16), length (u16, with these 6 bytes) and data, all
 * in network byte order. Chunks written: 1 IP family, 2 IP protocol,
 * 3/4 IPv4 source/destination or 5/6 IPv6, 7/8 ports, 9/10 time
 * (seconds, microseconds), 11 protocol type (1 = SIP), 12 capture agent
 * id, 14 password (when set), 15 payload, 17 correlation id (when set).
 */
#ifndef HEP_H
#define HEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HEP_MAX_PACKET 65507   /* the largest UDP payload */

enum hep_chunk_type {
	HEP_IP_FAMILY = 1,
	HEP_IP_PROTO = 2,
	HEP_IPV4_SRC = 3,
	HEP_IPV4_DST = 4,
	HEP_IPV6_SRC = 5,
	HEP_IPV6_DST = 6,
	HEP_SRC_PORT = 7,
	HEP_DST_PORT = 8,
	HEP_TIME_SEC = 9,
	HEP_TIME_USEC = 10,
	HEP_PROTO_TYPE = 11,
	HEP_CAPTURE_ID = 12,
	HEP_AUTH_KEY = 14,
	HEP_PAYLOAD = 15,
	HEP_CORRELATION_ID = 17,
};

#define HEP_PROTO_SIP 1

struct hep_info {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t ip_proto;           /* IPPROTO_UDP or IPPROTO_TCP (TLS: TCP) */
	uint8_t src[16], dst[16];   /* 4 bytes used for AF_INET */
	uint16_t sport, dport;
	uint32_t sec, usec;
	uint32_t capture_id;
	const char *password;       /* NULL or "": no chunk 14 */
	const char *correlation;    /* NULL or "": no chunk 17 */
	const char *payload;
	size_t plen;
};

/* Writes the packet into buf; its length, or -1 when it does not fit in
 * cap (or HEP_MAX_PACKET) or a field is out of range. */
ssize_t hep_encode(const struct hep_info *in, uint8_t *buf, size_t cap);

struct hep_sender;

/* HOST:PORT ([V6]:PORT), resolved once, here (never on the loop). */
int hep_sender_new(struct hep_sender **out, const char *hostport, char *err, size_t errlen);
void hep_sender_free(struct hep_sender *s);
/* 0 sent, -1 dropped (counted). */
int hep_sender_send(struct hep_sender *s, const uint8_t *buf, size_t len);
uint64_t hep_sender_sent(const struct hep_sender *s);
uint64_t hep_sender_dropped(const struct hep_sender *s);

#endif
