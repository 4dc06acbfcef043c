/*
 * prom_http.c - the /metrics listener on libmicrohttpd (see prom_http.h).
 *
 * Owns: the listening socket and the libmicrohttpd daemon. Must not:
 * know what a daemon counts (its render callback does), or answer
 * anything but /metrics.
 */
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "prom.h"
#include "prom_http.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_http {
	struct MHD_Daemon *d;
	int fd;
	prom_render_fn render;
	void *ctx;
	_Atomic unsigned long served;
};

int prom_http_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len, char *err,
		    size_t errlen)
{
	char host[64];
	const char *colon = listen ? strrchr(listen, ':') : NULL, *h = listen;
	size_t hl;
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai;
	char *end;
	long port;

	if (!colon || colon == listen) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT", listen ? listen : "");
		return -1;
	}
	hl = (size_t)(colon - listen);
	if (*h == '[') {
		if (hl < 3 || listen[hl - 1] != ']') {
			snprintf(err, errlen, "'%s' is not [ADDR6]:PORT", listen);
			return -1;
		}
		h++;
		hl -= 2;
	}
	port = strtol(colon + 1, &end, 10);
	if (hl >= sizeof(host) || *end || end == colon + 1 || port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT (port 1-65535)", listen);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		snprintf(err, errlen, "'%s': '%s' is not a numeric address", listen, host);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, char *text, size_t len, int must_free)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, text, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, code == 200 ? CONTENT_TYPE : "text/plain");
	if (code == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct prom_http *h = cls;
	struct prom_buf b;
	static char not_found[] = "not found: try /metrics\n", no_method[] = "method not allowed\n",
		    failed[] = "metrics unavailable\n";

	(void)version;
	(void)upload;
	/* The first call only announces the request; answer on the second. */
	if (!*state) {
		*state = h;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;   /* a body is ignored */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(c, 405, no_method, sizeof(no_method) - 1, 0);
	if (strcmp(url, "/metrics") != 0)
		return answer(c, 404, not_found, sizeof(not_found) - 1, 0);
	prom_buf_init(&b);
	if (h->render(h->ctx, &b) != 0 || b.oom) {
		prom_buf_free(&b);
		return answer(c, 503, failed, sizeof(failed) - 1, 0);
	}
	prom_process(&b);
	if (b.oom || !b.text) {
		prom_buf_free(&b);
		return answer(c, 503, failed, sizeof(failed) - 1, 0);
	}
	atomic_fetch_add(&h->served, 1);
	return answer(c, 200, b.text, b.len, 1);   /* the response frees the text */
}

int prom_http_start(struct prom_http **out, const char *addr, prom_render_fn render, void *ctx,
		    char *err, size_t errlen)
{
	struct prom_http *h;
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[160];
	int one = 1;

	if (prom_http_parse(addr, &ss, &sl, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (!(h = calloc(1, sizeof(*h)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->render = render;
	h->ctx = ctx;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(h->fd, (struct sockaddr *)&ss, sl) != 0 || listen(h->fd, 16) != 0) {
		snprintf(err, errlen, "%s: cannot bind: %s", addr, strerror(errno));
		goto fail;
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "%s: cannot start the HTTP listener", addr);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return -1;
}

void prom_http_stop(struct prom_http *h)
{
	if (!h)
		return;
	/* It closes the socket given with MHD_OPTION_LISTEN_SOCKET too (seen
	 * on Debian 12's 0.9.75): closing it again here could close a
	 * descriptor another thread has opened since. */
	MHD_stop_daemon(h->d);
	free(h);
}

unsigned long prom_http_served(const struct prom_http *h)
{
	return h ? atomic_load(&((struct prom_http *)h)->served) : 0;
}
