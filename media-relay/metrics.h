/*
 * metrics.h - the relay's Prometheus endpoint ([metrics] listen).
 *
 * Owns: struct relay_metrics: the listener (wire/prom_http.h) and the
 * figures the control thread publishes for it (calls, ports, ng counters
 * by command) as atomics. Packet figures come straight from the workers'
 * totals (workers_totals: relaxed atomics, one writer each). So the
 * listener's thread reads only atomics: never the call model, never a
 * stream.
 * Thread use: new/free/publish on the control (main) thread; render on
 * any thread.
 */
#ifndef RELAY_METRICS_H
#define RELAY_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "ng_commands.h"

struct ng_server;
struct ng_stats;
struct prom_buf;
struct prom_http;
struct workers;

struct relay_metrics {
	struct workers *w;          /* NULL: no packet figures */
	struct prom_http *http;
	_Atomic uint64_t calls, ports;
	_Atomic uint64_t ng_req[NG_CMD_COUNT], ng_err[NG_CMD_COUNT];
	_Atomic uint64_t ng_retransmits, ng_dropped, ng_refused;
};

/* Binds listen and starts the listener (listen NULL: none, for tests).
 * 0, or -1 with the reason in err. */
int relay_metrics_new(struct relay_metrics **out, const char *listen, struct workers *w, char *err,
		      size_t errlen);
/* Stops the listener, then frees. NULL fine. */
void relay_metrics_free(struct relay_metrics *m);
/* Control thread: the ng server's figures now. */
void relay_metrics_publish(struct relay_metrics *m, struct ng_server *ng);
void relay_metrics_publish_stats(struct relay_metrics *m, const struct ng_stats *st, int calls, int ports);
/* The exposition (any thread). */
void relay_metrics_render(struct relay_metrics *m, struct prom_buf *b);

#endif
