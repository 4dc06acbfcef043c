/*
 * port_pool.h - the relay's UDP port range, handed out as RTP/RTCP pairs,
 * and socket pairs bound ahead of need.
 *
 * Owns: which even ports (RTP; RTCP is the odd one above, RFC 3550 s11)
 * of [min, max] are taken, and a small ring of pairs already bound
 * (two sockets each), refilled by the pool's own thread whenever it is
 * half empty (one wake-up per half ring, not per call), so that
 * an ng request takes ready sockets instead of four socket()/bind()
 * (issue 13). A pair taken is the caller's: it closes the sockets (the
 * stream does) and gives the number back with port_pool_put. Allocation
 * walks round-robin from the last port handed out so a freed port is not
 * reused at once (late packets of an old call).
 * Thread use: any thread (one mutex inside); the refill thread binds
 * outside it.
 */
#ifndef PORT_POOL_H
#define PORT_POOL_H

#include <stddef.h>

/* Pairs kept bound ahead per pool (per interface address): at 3,000
 * calls/s (two pairs each) about 20 ms of requests; 256 descriptors. */
#define PORT_POOL_READY 128

struct port_pool;

struct port_pair {
	int port;                 /* even: RTP; port + 1 RTCP */
	int fd[2];                /* bound, non-blocking, close-on-exec */
};

/* NULL when the range holds no pair or on no memory. Numbers only until
 * port_pool_prefill. */
struct port_pool *port_pool_new(int min, int max);
/* Stops the refill thread, closes the pairs not taken. NULL fine. */
void port_pool_free(struct port_pool *pool);
/* Starts the refill thread keeping up to nready pairs bound on ip (at
 * most the range's pairs). Call once, before any other thread uses the
 * pool. 0, or -1 with a reason. */
int port_pool_prefill(struct port_pool *pool, const char *ip, int nready, char *err, size_t errlen);
/* A bound pair on ip: a ready one when there is one (queued packets
 * dropped), else bound here and now; ports another process holds are
 * skipped. 0, or -1 with err ("ports exhausted" when none is free). */
int port_pool_take(struct port_pool *pool, const char *ip, struct port_pair *out, char *err, size_t errlen);
/* An even port whose pair is free, or -1 when exhausted (no socket). */
int port_pool_get(struct port_pool *pool);
/* Gives back a port from port_pool_get or _take; other values are ignored. */
void port_pool_put(struct port_pool *pool, int port);
/* Pairs handed out (taken or got, not yet put back); ready ones not counted. */
int port_pool_in_use(struct port_pool *pool);
/* Pairs bound and waiting in the ring. */
int port_pool_ready(struct port_pool *pool);
int port_pool_capacity(const struct port_pool *pool);

#endif
