/*
 * ng_load.c - ng request-rate load for the media relay (issue 13), and
 * the driver of test/integration/relay/ng_concurrency.sh.
 *
 * Each of --threads threads runs --calls calls through the relay, keeping
 * --window calls in flight: offer (from-tag a), answer (to-tag b),
 * delete, each sent when the one before is answered. Every reply is
 * checked: the cookie is one we sent, result ok, an SDP with a port of
 * the relay's range for offer and answer. A request unanswered for
 * 500 ms is resent under its cookie (the relay's cache answers a resend);
 * one unanswered for --timeout-ms is a timeout. With --dup every request
 * goes twice at once, from two sockets (so two ng threads may race on
 * it): both copies must get the same, successful answer or none.
 *
 * Prints one line of key=value: requests, ok, errors, timeouts, resends,
 * replies to copies, elapsed seconds, requests/s, latency p50/p99 in ms
 * (first send to answer). Exit 0 only when every request was answered ok.
 * Plain C, no library of ours: it measures the relay, not itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESEND_MS 500
#define MAXDG 65536

struct opts {
	struct sockaddr_in relay;
	struct in_addr bind;
	int threads, calls, window, timeout_ms, dup, port_min, port_max;
};

struct slot {
	int call;                 /* -1: free */
	int step;                 /* 0 offer, 1 answer, 2 delete */
	int64_t first_us, sent_ms;
	char cookie[48];
	char req[1024];
	size_t len;
};

struct worker {
	const struct opts *o;
	int idx;
	pthread_t th;
	int fd[2];
	struct slot *slots;
	int next_call, done_calls;
	uint64_t requests, ok, errors, timeouts, resends, dup_replies;
	double *lat;              /* ms per answered request */
	size_t nlat;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t bstr(char *b, const char *s)
{
	return (size_t)sprintf(b, "%zu:%s", strlen(s), s);
}

static const char *commands[3] = {"offer", "answer", "delete"};

/* Builds slot s's request for its call and step. */
static void build(struct worker *w, struct slot *s)
{
	char callid[48], sdp[256];
	size_t n;

	snprintf(callid, sizeof(callid), "load-%d-%d-%d", (int)getpid(), w->idx, s->call);
	snprintf(s->cookie, sizeof(s->cookie), "%d_%d_%d_%d", w->idx, (int)(s - w->slots), s->call, s->step);
	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
		 inet_ntoa(w->o->bind), inet_ntoa(w->o->bind), 20000 + 2 * s->step);
	n = (size_t)sprintf(s->req, "%s d", s->cookie);
	n += bstr(s->req + n, "call-id");
	n += bstr(s->req + n, callid);
	n += bstr(s->req + n, "command");
	n += bstr(s->req + n, commands[s->step]);
	n += bstr(s->req + n, "from-tag");
	n += bstr(s->req + n, "a");
	if (s->step < 2) {
		n += bstr(s->req + n, "sdp");
		n += bstr(s->req + n, sdp);
	}
	if (s->step == 1) {
		n += bstr(s->req + n, "to-tag");
		n += bstr(s->req + n, "b");
	}
	s->req[n++] = 'e';
	s->len = n;
}

static void send_req(struct worker *w, struct slot *s)
{
	for (int k = 0; k < 1 + w->o->dup; k++)
		sendto(w->fd[k], s->req, s->len, 0, (const struct sockaddr *)&w->o->relay, sizeof(w->o->relay));
	s->sent_ms = now_ms();
}

static void start(struct worker *w, struct slot *s, int call, int step)
{
	s->call = call;
	s->step = step;
	build(w, s);
	s->first_us = now_us();
	w->requests++;
	send_req(w, s);
}

/* Is the reply body (after the cookie) a success for step? */
static int reply_ok(const struct opts *o, const char *body, size_t len, int step)
{
	const char *m;
	char tmp[MAXDG + 1];
	int port;

	if (len > MAXDG)
		return 0;
	memcpy(tmp, body, len);
	tmp[len] = 0;
	if (!strstr(tmp, "6:result2:ok"))
		return 0;
	if (step == 2)
		return 1;
	m = strstr(tmp, "m=audio ");
	if (!m)
		return 0;
	port = atoi(m + 8);
	return port >= o->port_min && port <= o->port_max && port % 2 == 0;
}

static void on_reply(struct worker *w, const char *buf, size_t n)
{
	const char *sp = memchr(buf, ' ', n);
	int t, si, call, step;
	struct slot *s;
	char cookie[48];
	size_t clen;

	if (!sp || (clen = (size_t)(sp - buf)) >= sizeof(cookie)) {
		w->errors++;
		return;
	}
	memcpy(cookie, buf, clen);
	cookie[clen] = 0;
	if (sscanf(cookie, "%d_%d_%d_%d", &t, &si, &call, &step) != 4 || t != w->idx || si < 0 ||
	    si >= w->o->window || step < 0 || step > 2) {
		w->errors++;
		return;
	}
	s = &w->slots[si];
	if (s->call != call || s->step != step) {
		/* The answer to a copy (or a resend) of a request already
		 * answered: it must say the same, a success. */
		w->dup_replies++;
		if (!reply_ok(w->o, sp + 1, n - clen - 1, step))
			w->errors++;
		return;
	}
	if (!reply_ok(w->o, sp + 1, n - clen - 1, step)) {
		w->errors++;
		if (w->errors < 5)
			fprintf(stderr, "ng_load: bad reply: %.*s\n", (int)(n > 300 ? 300 : n), buf);
	} else {
		w->ok++;
	}
	w->lat[w->nlat++] = (double)(now_us() - s->first_us) / 1000.0;
	if (step < 2) {
		start(w, s, call, step + 1);
		return;
	}
	w->done_calls++;
	if (w->next_call < w->o->calls)
		start(w, s, w->next_call++, 0);
	else
		s->call = -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	char *buf = malloc(MAXDG);

	if (!buf)
		return NULL;
	for (int i = 0; i < o->window && w->next_call < o->calls; i++)
		start(w, &w->slots[i], w->next_call++, 0);
	while (w->done_calls + (int)w->timeouts < o->calls) {
		struct pollfd pf[2] = {{w->fd[0], POLLIN, 0}, {w->fd[1], POLLIN, 0}};
		int64_t now;

		if (poll(pf, 1 + (nfds_t)o->dup, 20) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < 1 + o->dup; k++)
			for (;;) {
				ssize_t n = recv(w->fd[k], buf, MAXDG, MSG_DONTWAIT);

				if (n <= 0)
					break;
				on_reply(w, buf, (size_t)n);
			}
		now = now_ms();
		for (int i = 0; i < o->window; i++) {
			struct slot *s = &w->slots[i];

			if (s->call < 0)
				continue;
			if (now - s->first_us / 1000 >= o->timeout_ms) {
				w->timeouts++;
				if (w->next_call < o->calls)
					start(w, s, w->next_call++, 0);
				else
					s->call = -1;
			} else if (now - s->sent_ms >= RESEND_MS) {
				w->resends++;
				send_req(w, s);
			}
		}
	}
	/* Late answers to copies: a short drain, checked like the rest. */
	for (int64_t end = now_ms() + 200; now_ms() < end;) {
		for (int k = 0; k < 1 + o->dup; k++) {
			ssize_t n = recv(w->fd[k], buf, MAXDG, MSG_DONTWAIT);

			if (n > 0)
				on_reply(w, buf, (size_t)n);
		}
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	free(buf);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int hostport(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: ng_load --relay ADDR:PORT --bind ADDR --ports MIN-MAX [--threads N] [--calls N]\n"
			"               [--window N] [--timeout-ms N] [--dup]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"relay", required_argument, NULL, 'r'}, {"bind", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'}, {"calls", required_argument, NULL, 'c'},
		{"window", required_argument, NULL, 'w'}, {"timeout-ms", required_argument, NULL, 'T'},
		{"ports", required_argument, NULL, 'p'}, {"dup", no_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.threads = 2, .calls = 1000, .window = 16, .timeout_ms = 5000, .port_min = 1,
			 .port_max = 65535};
	struct worker *ws;
	uint64_t req = 0, ok = 0, err = 0, to = 0, rs = 0, dr = 0;
	double t0, el, *all;
	size_t nall = 0;
	int opt, have_relay = 0, have_bind = 0;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'r':
			have_relay = hostport(optarg, &o.relay) == 0;
			break;
		case 'b':
			have_bind = inet_pton(AF_INET, optarg, &o.bind) == 1;
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'c':
			o.calls = atoi(optarg);
			break;
		case 'w':
			o.window = atoi(optarg);
			break;
		case 'T':
			o.timeout_ms = atoi(optarg);
			break;
		case 'p':
			if (sscanf(optarg, "%d-%d", &o.port_min, &o.port_max) != 2)
				o.port_min = -1;
			break;
		case 'd':
			o.dup = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!have_relay || !have_bind || o.threads < 1 || o.threads > 64 || o.calls < 1 || o.window < 1 ||
	    o.window > 4096 || o.timeout_ms < 1 || o.port_min < 0) {
		usage();
		return 2;
	}
	ws = calloc((size_t)o.threads, sizeof(*ws));
	for (int i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];
		struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr = o.bind};
		int big = 4 << 20;

		w->o = &o;
		w->idx = i;
		w->slots = calloc((size_t)o.window, sizeof(*w->slots));
		w->lat = calloc((size_t)o.calls * 3 + 1, sizeof(double));
		for (int k = 0; k < 2; k++) {
			w->fd[k] = socket(AF_INET, SOCK_DGRAM, 0);
			setsockopt(w->fd[k], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
			if (w->fd[k] < 0 || bind(w->fd[k], (struct sockaddr *)&me, sizeof(me)) < 0) {
				perror("ng_load: socket");
				return 1;
			}
		}
		for (int s = 0; s < o.window; s++)
			w->slots[s].call = -1;
	}
	t0 = now_s();
	for (int i = 0; i < o.threads; i++)
		pthread_create(&ws[i].th, NULL, run, &ws[i]);
	for (int i = 0; i < o.threads; i++)
		pthread_join(ws[i].th, NULL);
	el = now_s() - t0 - 0.2;          /* the final drain is no work */
	all = calloc((size_t)o.calls * 3 * (size_t)o.threads + 1, sizeof(double));
	for (int i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];

		req += w->requests;
		ok += w->ok;
		err += w->errors;
		to += w->timeouts;
		rs += w->resends;
		dr += w->dup_replies;
		memcpy(all + nall, w->lat, w->nlat * sizeof(double));
		nall += w->nlat;
		close(w->fd[0]);
		close(w->fd[1]);
		free(w->slots);
		free(w->lat);
	}
	qsort(all, nall, sizeof(double), cmp_d);
	printf("requests=%llu ok=%llu errors=%llu timeouts=%llu resends=%llu copy_replies=%llu elapsed_s=%.2f "
	       "req_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
	       (unsigned long long)req, (unsigned long long)ok, (unsigned long long)err, (unsigned long long)to,
	       (unsigned long long)rs, (unsigned long long)dr, el, el > 0 ? (double)ok / el : 0.0,
	       nall ? all[nall / 2] : 0.0, nall ? all[nall * 99 / 100] : 0.0);
	free(all);
	free(ws);
	return ok == req && err == 0 && to == 0 ? 0 : 1;
}
