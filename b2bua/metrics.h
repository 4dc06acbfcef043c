/*
 * metrics.h - the b2bua's Prometheus endpoint ([metrics] listen): what
 * GET /metrics shows and how it gets there without the HTTP thread ever
 * touching the event loop's state.
 *
 * Owns: struct metrics: the tally of route attempts by trunk and final
 * code (fed through the CDR sinks it wraps), the listener (prom_http.h)
 * and the last published text. A scrape, on the listener's thread, asks
 * the SIP thread for a fresh snapshot (a byte on a pipe the su_root
 * watches) and waits for it up to 2 s; the SIP thread renders from its
 * own state (calls, trunks, relays, CDR writer) and publishes the text
 * under a mutex. A loop too busy to answer in time gets the previous
 * snapshot served (the first scrape then gets 503).
 * Thread use: everything on the SIP thread except the listener's render,
 * which only waits, copies the published text and returns.
 * Must not: be called into by the listener's thread (only metrics.c's
 * own render does that), or block the loop.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sofia-sip/su_wait.h>

struct prom_buf;
struct cdr_row;
struct cdr_attempt;
struct call_core;
struct limits;
struct trunk_health;
struct trunk_reg;
struct relay_client;
struct cdr_writer;
struct metrics;

/* Route attempts by trunk and final code: a bounded table (trunk names
 * come from policy, codes are 100-699 or 0 = no final response from the
 * trunk). Entries past the bound are counted in overflow, not kept. */
#define METRICS_TALLY_MAX 1024
struct metrics_tally {
	struct metrics_tally_entry {
		char trunk[64];
		int code;
		uint64_t n;
	} e[METRICS_TALLY_MAX];
	size_t n;
	uint64_t overflow;
};

/* What the snapshot reads, all owned by main.c (any may be NULL). */
struct metrics_sources {
	struct call_core *core;
	struct limits *limits;
	struct trunk_health *health;
	struct trunk_reg *reg;
	struct relay_client *relay;
	struct cdr_writer *cdr;
};

/* Binds listen and starts the listener; the CDR sinks forward to cdr
 * (NULL: they only count, for tests).
 * 0, or -1 with the reason in err. */
int metrics_new(struct metrics **out, su_root_t *root, const char *listen, struct cdr_writer *cdr,
		char *err, size_t errlen);
/* Stops the listener first (a scrape in progress is let go), then frees. */
void metrics_free(struct metrics *m);
void metrics_set_sources(struct metrics *m, const struct metrics_sources *src);
/* The registrations are gone (shutdown frees them before the rest). */
void metrics_forget_reg(struct metrics *m);
/* The call core's CDR sinks (ctx: the metrics): count, then hand the
 * event to the CDR writer. */
void metrics_cdr_sink(void *ctx, uint64_t serial, const struct cdr_row *row, int final);
void metrics_attempt_sink(void *ctx, uint64_t serial, const struct cdr_attempt *a);
/* Renders the whole exposition from the sources (SIP thread). */
void metrics_render(struct metrics *m, struct prom_buf *b);

/* The tally, apart so it can be tested. */
void metrics_tally_add(struct metrics_tally *t, const char *trunk, int code);
/* The code label: "100".."699", or "none" for anything else. */
const char *metrics_code_label(int code, char buf[8]);
/* b2bua_trunk_attempts_total, b2bua_trunk_answered_total (2xx),
 * b2bua_trunk_failed_total (the rest), by trunk and code. */
void metrics_tally_write(const struct metrics_tally *t, struct prom_buf *b);

#endif
