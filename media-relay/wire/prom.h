/*
 * prom.h - the Prometheus text exposition format, version 0.0.4: what
 * both daemons' /metrics write (prometheus.io/docs/instrumenting/
 * exposition_formats).
 *
 * Owns: struct prom_buf (a growing text buffer) and the rules of the
 * format: metric and label names ([a-zA-Z_:][a-zA-Z0-9_:]*, labels
 * without ':'), escaping of HELP text (\\ and \n) and of label values
 * (\\, \" and \n), one HELP and one TYPE line per family before its
 * samples, counters named *_total, histograms as cumulative _bucket{le}
 * plus _sum and _count. A name the format refuses is not written: the
 * buffer is marked bad (prom_buf.bad) so a test or the caller notices.
 * Also struct prom_hist, a fixed-bucket histogram, and prom_process()
 * (process_* basics read from /proc/self).
 * Thread use: a prom_buf or prom_hist belongs to whoever made it; no
 * globals, no locks.
 */
#ifndef PROM_H
#define PROM_H

#include <stddef.h>
#include <stdint.h>

struct prom_buf {
	char *text;        /* NUL-terminated; NULL until something is written */
	size_t len, cap;
	int oom;           /* an allocation failed: the text is cut short */
	int bad;           /* a name was refused: a bug of the caller */
};

/* A label: name and value (the value is escaped here). */
struct prom_label {
	const char *name;
	const char *value;
};

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

#define PROM_HIST_MAX 16   /* bucket bounds, +Inf not included */

/* A histogram of observations in seconds (or any unit): nbounds upper
 * bounds in increasing order, a count per bucket (not cumulative; the
 * last one is +Inf), their sum and count. */
struct prom_hist {
	int nbounds;
	double bound[PROM_HIST_MAX];
	uint64_t bucket[PROM_HIST_MAX + 1];
	double sum;
	uint64_t count;
};

void prom_buf_init(struct prom_buf *b);
void prom_buf_free(struct prom_buf *b);
/* Appends formatted text as it is (no escaping). */
void prom_printf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when name is a valid metric name (label: a valid label name). */
int prom_name_ok(const char *name);
int prom_label_name_ok(const char *name);
/* Writes v escaped as a label value ("a\"b" for a"b), without quotes.
 * Returns the length it needs (like snprintf). */
size_t prom_escape_value(char *out, size_t cap, const char *v);

/* The HELP and TYPE lines of a family. A counter's name must end in
 * _total (the format's convention, and what promtool checks). */
void prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help);
/* One sample line: name{labels} value. */
void prom_sample_u64(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     uint64_t v);
void prom_sample_dbl(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     double v);
/* A histogram's samples (family written before): name_bucket{labels,le}
 * cumulative, name_sum, name_count. */
void prom_hist_write(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     const struct prom_hist *h);

/* Sets the bounds (n <= PROM_HIST_MAX, increasing) and zeroes the rest. */
void prom_hist_init(struct prom_hist *h, const double *bounds, int n);
void prom_hist_observe(struct prom_hist *h, double v);
/* Latency buckets in seconds, 0.5 ms to 2.5 s (both daemons' histograms). */
void prom_hist_init_latency(struct prom_hist *h);

/* process_cpu_seconds_total, process_resident_memory_bytes,
 * process_open_fds, process_start_time_seconds of the calling process
 * (whatever /proc/self lets us read). */
void prom_process(struct prom_buf *b);

#endif
