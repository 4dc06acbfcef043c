/*
 * prom_http.h - the /metrics HTTP listener both daemons run when
 * [metrics] listen is set: libmicrohttpd (its only home) on a thread of
 * its own.
 *
 * Owns: the listening socket (bound here, so a failure says why) and the
 * libmicrohttpd daemon with its one thread. GET /metrics (HEAD too)
 * answers 200 with text/plain; version=0.0.4: what the daemon's render
 * callback writes, then the process_* basics (prom_process). Anything
 * else: 404, or 405 for another method. At most 16 connections, 10 s
 * each: a scraper is not a client to wait for.
 * Thread use: prom_http_start/stop on the daemon's main thread; render
 * runs on the listener's thread, so it must read only what is safe from
 * another thread (atomics, or a snapshot under a lock), never the
 * daemon's event loop state.
 */
#ifndef PROM_HTTP_H
#define PROM_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct prom_buf;
struct prom_http;

/* Writes the daemon's metrics into b: 0, or -1 (then 503). */
typedef int (*prom_render_fn)(void *ctx, struct prom_buf *b);

/* "ADDR:PORT" or "[ADDR6]:PORT", numeric only (no DNS): 0, or -1 with
 * the reason in err. */
int prom_http_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len, char *err,
		    size_t errlen);
/* Binds listen and starts serving: 0, or -1 with the reason in err
 * ("127.0.0.1:9090: cannot bind: Address already in use"). */
int prom_http_start(struct prom_http **out, const char *listen, prom_render_fn render, void *ctx,
		    char *err, size_t errlen);
/* Stops the thread (a scrape in progress ends first) and closes. NULL fine. */
void prom_http_stop(struct prom_http *h);
/* Requests answered with 200 (tests). */
unsigned long prom_http_served(const struct prom_http *h);

#endif
