/*
 * prom.c - the Prometheus text exposition format 0.0.4 (see prom.h).
 *
 * Owns: formatting only. Must not: know any daemon's metrics, lock, or
 * keep state between calls.
 */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prom.h"

void prom_buf_init(struct prom_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void prom_buf_free(struct prom_buf *b)
{
	free(b->text);
	memset(b, 0, sizeof(*b));
}

static int grow(struct prom_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->oom)
		return -1;
	while (cap < b->len + need + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	if (!(p = realloc(b->text, cap))) {
		b->oom = 1;
		return -1;
	}
	b->text = p;
	b->cap = cap;
	return 0;
}

void prom_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static int name_ok(const char *name, int colon)
{
	if (!name || !*name)
		return 0;
	for (const char *p = name; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			    (colon && *p == ':');

		if (!alpha && !(p > name && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

int prom_name_ok(const char *name)
{
	return name_ok(name, 1);
}

int prom_label_name_ok(const char *name)
{
	/* "__" starts the names Prometheus keeps for itself. */
	return name_ok(name, 0) && strncmp(name, "__", 2) != 0;
}

/* Escapes what `esc` lists ("\\\n" for HELP, "\\\"\n" for values). */
static size_t escape(char *out, size_t cap, const char *v, const char *esc)
{
	size_t n = 0;

	for (const char *p = v ? v : ""; *p; p++) {
		char c[2] = {*p, 0};
		int two = strchr(esc, *p) != NULL;

		if (two) {
			c[0] = '\\';
			c[1] = *p == '\n' ? 'n' : *p;
		}
		for (int i = 0; i < 1 + two; i++, n++)
			if (n + 1 < cap)
				out[n] = c[i];
	}
	if (cap)
		out[n < cap ? n : cap - 1] = 0;
	return n;
}

size_t prom_escape_value(char *out, size_t cap, const char *v)
{
	return escape(out, cap, v, "\\\"\n");
}

static void put_escaped(struct prom_buf *b, const char *v, const char *esc)
{
	size_t n = escape(NULL, 0, v, esc);

	if (grow(b, n) != 0)
		return;
	escape(b->text + b->len, n + 1, v, esc);
	b->len += n;
}

void prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t n = name ? strlen(name) : 0;

	if (!prom_name_ok(name) || (type == PROM_COUNTER && (n < 6 || strcmp(name + n - 6, "_total") != 0))) {
		b->bad = 1;
		return;
	}
	prom_printf(b, "# HELP %s ", name);
	put_escaped(b, help, "\\\n");
	prom_printf(b, "\n# TYPE %s %s\n", name, types[type]);
}

/* name{labels[,extra]} : 0, or -1 when a name is refused. */
static int sample_head(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		       const char *extra_name, const char *extra_value)
{
	if (!prom_name_ok(name)) {
		b->bad = 1;
		return -1;
	}
	for (size_t i = 0; i < nl; i++)
		if (!prom_label_name_ok(l[i].name)) {
			b->bad = 1;
			return -1;
		}
	prom_printf(b, "%s", name);
	if (!nl && !extra_name)
		return 0;
	prom_printf(b, "{");
	for (size_t i = 0; i < nl; i++) {
		prom_printf(b, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(b, l[i].value, "\\\"\n");
		prom_printf(b, "\"");
	}
	if (extra_name)
		prom_printf(b, "%s%s=\"%s\"", nl ? "," : "", extra_name, extra_value);
	prom_printf(b, "}");
	return 0;
}

static void put_double(struct prom_buf *b, double v)
{
	if (isnan(v))
		prom_printf(b, "NaN");
	else if (isinf(v))
		prom_printf(b, "%sInf", v > 0 ? "+" : "-");
	else
		prom_printf(b, "%.15g", v);
}

void prom_sample_u64(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     uint64_t v)
{
	if (sample_head(b, name, l, nl, NULL, NULL) == 0)
		prom_printf(b, " %llu\n", (unsigned long long)v);
}

void prom_sample_dbl(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     double v)
{
	if (sample_head(b, name, l, nl, NULL, NULL) != 0)
		return;
	prom_printf(b, " ");
	put_double(b, v);
	prom_printf(b, "\n");
}

void prom_hist_write(struct prom_buf *b, const char *name, const struct prom_label *l, size_t nl,
		     const struct prom_hist *h)
{
	char full[128], le[32];
	uint64_t cum = 0;

	if (!prom_name_ok(name) || strlen(name) + 8 >= sizeof(full)) {
		b->bad = 1;
		return;
	}
	snprintf(full, sizeof(full), "%s_bucket", name);
	for (int i = 0; i <= h->nbounds; i++) {
		cum += h->bucket[i];
		if (i < h->nbounds)
			snprintf(le, sizeof(le), "%.15g", h->bound[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		if (sample_head(b, full, l, nl, "le", le) != 0)
			return;
		prom_printf(b, " %llu\n", (unsigned long long)cum);
	}
	snprintf(full, sizeof(full), "%s_sum", name);
	prom_sample_dbl(b, full, l, nl, h->sum);
	snprintf(full, sizeof(full), "%s_count", name);
	prom_sample_u64(b, full, l, nl, h->count);
}

void prom_hist_init(struct prom_hist *h, const double *bounds, int n)
{
	memset(h, 0, sizeof(*h));
	h->nbounds = n < 0 ? 0 : n > PROM_HIST_MAX ? PROM_HIST_MAX : n;
	memcpy(h->bound, bounds, (size_t)h->nbounds * sizeof(double));
}

void prom_hist_observe(struct prom_hist *h, double v)
{
	int i = 0;

	while (i < h->nbounds && v > h->bound[i])
		i++;
	h->bucket[i]++;
	h->sum += v;
	h->count++;
}

void prom_hist_init_latency(struct prom_hist *h)
{
	static const double b[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

	prom_hist_init(h, b, (int)(sizeof(b) / sizeof(b[0])));
}

/* ---- process basics, from /proc ---- */

static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[256];
	double t = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lf", &t) == 1)
			break;
	fclose(f);
	return t;
}

void prom_process(struct prom_buf *b)
{
	FILE *f = fopen("/proc/self/stat", "re");
	char line[1024], *p;
	unsigned long long ut, st, start;
	long rss, tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	DIR *d;

	if (f) {
		/* The command name may hold spaces and ')': fields start after the last ')'. */
		if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) && tick > 0 &&
		    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %ld",
			   &ut, &st, &start, &rss) == 4) {
			double bt = boot_time();

			prom_family(b, "process_cpu_seconds_total", PROM_COUNTER, "User and system CPU time spent in seconds.");
			prom_sample_dbl(b, "process_cpu_seconds_total", NULL, 0, (double)(ut + st) / (double)tick);
			prom_family(b, "process_resident_memory_bytes", PROM_GAUGE, "Resident memory size in bytes.");
			prom_sample_u64(b, "process_resident_memory_bytes", NULL, 0, (uint64_t)(rss > 0 ? rss : 0) * (uint64_t)page);
			if (bt >= 0) {
				prom_family(b, "process_start_time_seconds", PROM_GAUGE,
					    "Start time of the process since unix epoch in seconds.");
				prom_sample_dbl(b, "process_start_time_seconds", NULL, 0, bt + (double)start / (double)tick);
			}
		}
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd"))) {
		uint64_t n = 0;
		struct dirent *e;

		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		prom_family(b, "process_open_fds", PROM_GAUGE, "Number of open file descriptors.");
		prom_sample_u64(b, "process_open_fds", NULL, 0, n > 0 ? n - 1 : 0);   /* less the one reading */
	}
}
