/*
 * metrics.c - the relay's /metrics (see metrics.h).
 *
 * Owns: the names of the relay's metrics and the atomics the control
 * thread publishes. Must not: touch the call model or a stream from the
 * listener's thread, or do anything on the packet path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "ng_server.h"
#include "prom.h"
#include "prom_http.h"
#include "stream.h"
#include "workers.h"

static uint64_t get(_Atomic uint64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void put(_Atomic uint64_t *a, uint64_t v)
{
	atomic_store_explicit(a, v, memory_order_relaxed);
}

void relay_metrics_publish_stats(struct relay_metrics *m, const struct ng_stats *st, int calls, int ports)
{
	put(&m->calls, calls > 0 ? (uint64_t)calls : 0);
	put(&m->ports, ports > 0 ? (uint64_t)ports : 0);
	for (int i = 0; i < NG_CMD_COUNT; i++) {
		put(&m->ng_req[i], st->by_cmd[i]);
		put(&m->ng_err[i], st->err_by_cmd[i]);
	}
	put(&m->ng_retransmits, st->retransmits);
	put(&m->ng_dropped, st->dropped);
	put(&m->ng_refused, st->refused);
}

void relay_metrics_publish(struct relay_metrics *m, struct ng_server *ng)
{
	struct ng_stats st;

	if (!m)
		return;
	ng_server_stats(ng, &st);
	relay_metrics_publish_stats(m, &st, ng_server_calls(ng), ng_server_ports_in_use(ng));
}

static void one(struct prom_buf *b, const char *name, int type, const char *help, uint64_t v)
{
	prom_family(b, name, type, help);
	prom_sample_u64(b, name, NULL, 0, v);
}

static const char *const kinds[2] = {[STREAM_RTP] = "rtp", [STREAM_RTCP] = "rtcp"};

static void by_kind(struct prom_buf *b, const char *name, const char *help, const struct stream_totals t[2],
		    size_t off)
{
	prom_family(b, name, PROM_COUNTER, help);
	for (int k = 0; k < 2; k++) {
		struct prom_label l = {"kind", kinds[k]};

		prom_sample_u64(b, name, &l, 1, *(const uint64_t *)((const char *)&t[k] + off));
	}
}

void relay_metrics_render(struct relay_metrics *m, struct prom_buf *b)
{
	struct stream_totals t[2];

	one(b, "media_relay_calls_active", PROM_GAUGE, "Calls the relay holds.", get(&m->calls));
	one(b, "media_relay_ports_in_use", PROM_GAUGE, "Media ports held by streams (RTP and RTCP, both sides).",
	    get(&m->ports));
	workers_totals(m->w, t);
	by_kind(b, "media_relay_packets_total", "Packets relayed (validated, authenticated when SRTP), by kind.", t,
		offsetof(struct stream_totals, packets));
	by_kind(b, "media_relay_bytes_total", "Bytes of the packets relayed, as received, by kind.", t,
		offsetof(struct stream_totals, bytes));
	prom_family(b, "media_relay_packets_dropped_total", PROM_COUNTER,
		    "Packets dropped, by kind and reason: foreign (not the latched or an allowed source), "
		    "srtp_auth (SRTP/SRTCP authentication failed), invalid (malformed, no key yet, no destination, replay).");
	for (int k = 0; k < 2; k++) {
		static const char *const reasons[] = {"foreign", "srtp_auth", "invalid"};
		uint64_t v[] = {t[k].foreign, t[k].auth_fail, t[k].dropped};

		for (int r = 0; r < 3; r++) {
			struct prom_label l[2] = {{"kind", kinds[k]}, {"reason", reasons[r]}};

			prom_sample_u64(b, "media_relay_packets_dropped_total", l, 2, v[r]);
		}
	}
	by_kind(b, "media_relay_srtp_auth_failures_total", "SRTP/SRTCP packets whose unprotect failed authentication.",
		t, offsetof(struct stream_totals, auth_fail));
	one(b, "media_relay_send_errors_total", PROM_COUNTER, "Packets the kernel refused to send.",
	    m->w ? workers_send_errors(m->w) : 0);
	prom_family(b, "media_relay_ng_requests_total", PROM_COUNTER,
		    "ng requests run (retransmissions answered from the cache not included), by command.");
	for (int i = 0; i < NG_CMD_COUNT; i++) {
		struct prom_label l = {"command", ng_command_name(i)};

		prom_sample_u64(b, "media_relay_ng_requests_total", &l, 1, get(&m->ng_req[i]));
	}
	prom_family(b, "media_relay_ng_errors_total", PROM_COUNTER, "ng requests answered with result error, by command.");
	for (int i = 0; i < NG_CMD_COUNT; i++) {
		struct prom_label l = {"command", ng_command_name(i)};

		prom_sample_u64(b, "media_relay_ng_errors_total", &l, 1, get(&m->ng_err[i]));
	}
	one(b, "media_relay_ng_retransmits_total", PROM_COUNTER, "ng requests answered again from the cookie cache.",
	    get(&m->ng_retransmits));
	one(b, "media_relay_ng_dropped_total", PROM_COUNTER, "ng datagrams dropped unanswered (no cookie, no memory).",
	    get(&m->ng_dropped));
	one(b, "media_relay_ng_refused_total", PROM_COUNTER, "ng datagrams from a source outside [relay] allow.",
	    get(&m->ng_refused));
}

static int render_http(void *ctx, struct prom_buf *b)
{
	relay_metrics_render(ctx, b);
	return 0;
}

int relay_metrics_new(struct relay_metrics **out, const char *listen, struct workers *w, char *err,
		      size_t errlen)
{
	struct relay_metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->w = w;
	if (listen && prom_http_start(&m->http, listen, render_http, m, err, errlen) != 0) {
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void relay_metrics_free(struct relay_metrics *m)
{
	if (!m)
		return;
	prom_http_stop(m->http);
	free(m);
}
