/*
 * stream.h - one relayed media stream: two sides, RTP + RTCP each.
 *
 * Owns: the four UDP sockets of an m= line (an even RTP port and RTP+1
 * for RTCP, per side), the packet path between them (RTP/RTCP
 * validation, SRTP unprotect/protect, latching, loss counting) and the
 * per-side counters. Side s's sockets receive from side s's peer; a
 * packet leaves through the other side's socket toward the other peer.
 * Must not parse SDP, speak ng, log per packet or allocate per packet.
 *
 * Ownership and threads: an ng thread, holding the calls lock, creates a
 * stream (stream_new), configures it with stream_apply and hands it to a worker
 * (workers.h); from then on only that worker touches it, except the
 * counters (atomics, read by control) and the immutable fields (ports,
 * created_ms). Later changes travel as struct stream_update through the
 * worker's queue. stream_free runs where the stream is.
 */
#ifndef STREAM_H
#define STREAM_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

struct port_pool;
struct sdes_ctx;

union stream_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum { STREAM_RTP = 0, STREAM_RTCP = 1 };

/* Where a side's media may come from before the stream latches (the
 * policy of that side's trunk, sent with its SDP):
 *   LEARN  the SDP's address and port, or any port of the address the
 *          side's SIP came from (NAT); any other source only after
 *          STREAM_LEARN_MS of trying, in which neither of those sent;
 *   SDP    the SDP's address and port only;
 *   FIRST  the first valid packet from anywhere. */
enum stream_latch { STREAM_LATCH_LEARN, STREAM_LATCH_SDP, STREAM_LATCH_FIRST };
#define STREAM_LEARN_MS 2000

/* Counters for what one side's peer sent us (RTP or RTCP). Single writer
 * (the worker), relaxed loads by control: no locks on the packet path. */
struct stream_counters {
	_Atomic uint64_t packets, bytes; /* forwarded after validation/auth */
	_Atomic uint64_t lost;           /* RTP sequence gaps (RFC 3550 A.3, simplified) */
	_Atomic uint64_t auth_fail;      /* SRTP/SRTCP authentication failed */
	_Atomic uint64_t foreign;        /* from a source other than the latched one */
	_Atomic uint64_t dropped;        /* malformed, no key yet, no destination, replay */
	_Atomic int64_t last_ms;         /* monotonic ms of the last forwarded packet; 0 none */
};

struct stream;

/* What epoll hands back: which stream, which side, RTP or RTCP. */
struct stream_sock {
	struct stream *st;
	int fd;
	uint8_t side, kind;
};

struct stream_side {
	struct stream_sock sock[2];
	int port;                        /* local RTP port; RTCP is port + 1 */
	/* Worker-owned once started: */
	union stream_addr sdp[2];        /* RTP/RTCP destination from SDP; family 0 = unknown */
	union stream_addr latched[2];    /* learnt source per socket */
	uint8_t is_latched[2];
	uint8_t latch;                   /* enum stream_latch */
	union stream_addr peer;          /* the side's SIP address (port ignored); family 0 = unknown */
	int64_t foreign_ms[2];           /* first packet from elsewhere while unlatched; 0 none */
	uint8_t rtcp_mux;                /* peer multiplexes RTCP on the RTP port (RFC 5761) */
	uint8_t srtp;                    /* peer speaks SRTP: needs rx/tx keys */
	uint8_t seq_init;
	uint16_t max_seq;
	struct sdes_ctx *rx, *tx;        /* rx: unprotects from the peer; tx: protects to it */
	struct stream_counters cnt[2];   /* [STREAM_RTP], [STREAM_RTCP] */
};

struct stream {
	struct stream_side side[2];
	int64_t created_ms;              /* monotonic; immutable */
	/* The owning worker's running totals ([STREAM_RTP], [STREAM_RTCP]),
	 * counted beside the stream's own: they outlive the stream (the
	 * relay's /metrics). Set by the worker; NULL: none. */
	struct stream_counters *totals;
	/* The owning worker's list: */
	struct stream *wprev, *wnext;
	int worker;
};

/* A new configuration of one side, applied by the owning worker. */
struct stream_update {
	int side;
	union stream_addr sdp[2];
	int latch;                       /* enum stream_latch */
	union stream_addr peer;
	int rtcp_mux;
	int srtp;
	int set_rx, set_tx;              /* replace rx/tx (NULL = none); else keep */
	struct sdes_ctx *rx, *tx;        /* owned by the update until applied */
};

/* Address helpers (v4 and v6). stream_addr_set: 0 or -1. */
int stream_addr_set(union stream_addr *a, const char *ip, int port);
int stream_addr_equal(const union stream_addr *a, const union stream_addr *b);
socklen_t stream_addr_len(const union stream_addr *a);
/* "ip" into buf and the port as return value (-1 when unset). */
int stream_addr_str(const union stream_addr *a, char *buf, size_t cap);

int64_t stream_now_ms(void);

/* Takes a bound port pair for side s from pool[s] on ip[s] (one bound
 * ahead when the pool has it ready; port_pool.h). The two sides may be
 * on different interfaces and address families: a packet leaves through
 * the other side's socket. 0, or -1 with err ("ports exhausted" when a
 * pool ran dry). */
int stream_new(struct stream **out, const char *const ip[2], struct port_pool *const pool[2],
	       int64_t now_ms, char *err, size_t errlen);
/* Calls lock held: gives side s's ports back to pool[s] (the numbers are
 * immutable). */
void stream_release_ports(const struct stream *st, struct port_pool *const pool[2]);
/* Closes sockets, frees SRTP contexts and the stream. NULL is fine. */
void stream_free(struct stream *st);
/* Applies u (takes its rx/tx when set_*; frees replaced contexts). A
 * changed SDP address drops that socket's latch. Leaves u's pointers NULL. */
void stream_apply(struct stream *st, struct stream_update *u);
void stream_update_clear(struct stream_update *u);

/* The packet path. A packet of *len bytes (cap bytes of room; at least
 * *len + SDES_TRAILER_MAX) arrived on side's socket kind from src.
 * Returns the fd to send it on with *dst set and *len updated, or -1
 * when it is dropped (and counted). */
int stream_packet(struct stream *st, int side, int kind, uint8_t *buf, int *len, int cap,
		  const union stream_addr *src, int64_t now_ms, const union stream_addr **dst);

/* Relaxed read of a counter, for the control thread (or /metrics). */
static inline uint64_t stream_counter(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
