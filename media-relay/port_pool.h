/*
 * port_pool.h - the relay's UDP port range, handed out as RTP/RTCP pairs.
 *
 * Owns: which even ports (RTP; RTCP is the odd one above, RFC 3550 s11)
 * of [min, max] are taken. It only counts numbers: binding is the
 * caller's, who gives a port back when the bind fails or the stream ends.
 * Allocation walks round-robin from the last port handed out so a freed
 * port is not reused at once (late packets of an old call).
 * Thread use: the control (main) thread only.
 */
#ifndef PORT_POOL_H
#define PORT_POOL_H

struct port_pool;

/* NULL when the range holds no pair or on no memory. */
struct port_pool *port_pool_new(int min, int max);
void port_pool_free(struct port_pool *pool);
/* An even port whose pair is free, or -1 when exhausted. */
int port_pool_get(struct port_pool *pool);
/* Gives back a port from port_pool_get; other values are ignored. */
void port_pool_put(struct port_pool *pool, int port);
int port_pool_in_use(const struct port_pool *pool);
int port_pool_capacity(const struct port_pool *pool);

#endif
