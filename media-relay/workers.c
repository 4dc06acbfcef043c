/*
 * workers.c - packet threads with batched UDP I/O.
 *
 * Owns: per worker an epoll set, a command pipe, receive/send arrays
 * allocated once, and the doubly linked list of its streams. Must not
 * allocate, lock or log per packet; commands are rare (signalling rate).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "srtp_ctx.h"
#include "stream.h"
#include "workers.h"

#define BATCH 32
#define PKT_CAP 2048                      /* MTU-sized packets plus SRTP trailer room */
#define RECV_MAX (PKT_CAP - SDES_TRAILER_MAX)
#define MAX_EVENTS 64

enum cmd_op { CMD_ADD, CMD_UPDATE, CMD_REMOVE, CMD_SYNC, CMD_STOP };

struct cmd {
	enum cmd_op op;
	struct stream *st;
	struct stream_update u;
	_Atomic int *done;
};

struct worker {
	struct workers *owner;
	int idx;
	int epfd;
	int pipe[2];
	pthread_t thread;
	int started;
	struct stream *streams;       /* this worker's list */
	int nstreams;                 /* control's view of the load */
	_Atomic uint64_t send_errors;
	/* What its streams counted, theirs gone or alive (stream.h totals):
	 * written by this worker only, read by /metrics. */
	struct stream_counters totals[2];
	/* Batch buffers: allocated once with the worker. */
	uint8_t (*buf)[PKT_CAP];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	union stream_addr src[BATCH], dst[BATCH];
};

struct workers {
	int n;
	struct worker *w;
};

static void list_add(struct worker *wk, struct stream *st)
{
	st->wprev = NULL;
	st->wnext = wk->streams;
	if (wk->streams)
		wk->streams->wprev = st;
	wk->streams = st;
}

static void list_del(struct worker *wk, struct stream *st)
{
	if (st->wprev)
		st->wprev->wnext = st->wnext;
	else
		wk->streams = st->wnext;
	if (st->wnext)
		st->wnext->wprev = st->wprev;
	st->wprev = st->wnext = NULL;
}

static void sock_watch(struct worker *wk, struct stream *st, int op)
{
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 2; k++) {
			struct stream_sock *sk = &st->side[s].sock[k];
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = sk};

			if (sk->fd >= 0)
				epoll_ctl(wk->epfd, op, sk->fd, &ev);
		}
}

static void flush(struct worker *wk, int fd, int n)
{
	int off = 0;

	while (off < n) {
		int r = sendmmsg(fd, wk->out + off, (unsigned)(n - off), MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN or an ICMP error surfaced: skip this packet. */
			atomic_fetch_add_explicit(&wk->send_errors, 1, memory_order_relaxed);
			off++;
			continue;
		}
		off += r;
	}
}

static void handle_sock(struct worker *wk, struct stream_sock *sk)
{
	int n, nout = 0, cur_fd = -1;
	int64_t now;

	for (int i = 0; i < BATCH; i++) {
		wk->in_iov[i].iov_base = wk->buf[i];
		wk->in_iov[i].iov_len = RECV_MAX;
		memset(&wk->in[i].msg_hdr, 0, sizeof(wk->in[i].msg_hdr));
		wk->in[i].msg_hdr.msg_iov = &wk->in_iov[i];
		wk->in[i].msg_hdr.msg_iovlen = 1;
		wk->in[i].msg_hdr.msg_name = &wk->src[i];
		wk->in[i].msg_hdr.msg_namelen = sizeof(wk->src[i]);
	}
	n = recvmmsg(sk->fd, wk->in, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	now = stream_now_ms();
	for (int i = 0; i < n; i++) {
		const union stream_addr *d;
		int len = (int)wk->in[i].msg_len, fd;

		if (wk->in[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		fd = stream_packet(sk->st, sk->side, sk->kind, wk->buf[i], &len, PKT_CAP,
				   &wk->src[i], now, &d);
		if (fd < 0)
			continue;
		/* sendmmsg takes one socket: flush when the way out changes. */
		if (cur_fd >= 0 && fd != cur_fd) {
			flush(wk, cur_fd, nout);
			nout = 0;
		}
		cur_fd = fd;
		wk->dst[nout] = *d;
		wk->out_iov[nout].iov_base = wk->buf[i];
		wk->out_iov[nout].iov_len = (size_t)len;
		memset(&wk->out[nout].msg_hdr, 0, sizeof(wk->out[nout].msg_hdr));
		wk->out[nout].msg_hdr.msg_iov = &wk->out_iov[nout];
		wk->out[nout].msg_hdr.msg_iovlen = 1;
		wk->out[nout].msg_hdr.msg_name = &wk->dst[nout];
		wk->out[nout].msg_hdr.msg_namelen = stream_addr_len(d);
		nout++;
	}
	if (nout)
		flush(wk, cur_fd, nout);
}

/* Applies queued commands; 1 when told to stop. */
static int drain(struct worker *wk)
{
	struct cmd *c;

	for (;;) {
		ssize_t r = read(wk->pipe[0], &c, sizeof(c));

		if (r != (ssize_t)sizeof(c))
			return 0;
		switch (c->op) {
		case CMD_ADD:
			c->st->totals = wk->totals;
			list_add(wk, c->st);
			sock_watch(wk, c->st, EPOLL_CTL_ADD);
			break;
		case CMD_UPDATE:
			stream_apply(c->st, &c->u);
			break;
		case CMD_REMOVE:
			sock_watch(wk, c->st, EPOLL_CTL_DEL);
			list_del(wk, c->st);
			stream_free(c->st);
			break;
		case CMD_SYNC:
			atomic_store(c->done, 1);
			break;
		case CMD_STOP:
			free(c);
			return 1;
		}
		free(c);
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct epoll_event ev[MAX_EVENTS];
	int stop = 0;

	while (!stop) {
		int n = epoll_wait(wk->epfd, ev, MAX_EVENTS, -1), cmd = 0;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == wk)
				cmd = 1;
			else
				handle_sock(wk, ev[i].data.ptr);
		}
		if (cmd)
			stop = drain(wk);
	}
	while (wk->streams) {
		struct stream *st = wk->streams;

		list_del(wk, st);
		stream_free(st);
	}
	return NULL;
}

static int send_cmd(struct worker *wk, struct cmd *c)
{
	ssize_t r;

	do
		r = write(wk->pipe[1], &c, sizeof(c));
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(c)) {
		stream_update_clear(&c->u);
		free(c);
		return -1;
	}
	return 0;
}

static struct cmd *cmd_new(enum cmd_op op, struct stream *st)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (c) {
		c->op = op;
		c->st = st;
	}
	return c;
}

struct workers *workers_new(int n, char *err, size_t errlen)
{
	struct workers *w = calloc(1, sizeof(*w));
	sigset_t all, old;

	if (!w || n < 1 || !(w->w = calloc((size_t)n, sizeof(*w->w)))) {
		snprintf(err, errlen, n < 1 ? "need at least one worker" : "out of memory");
		free(w);
		return NULL;
	}
	w->n = n;
	for (int i = 0; i < n; i++) {
		struct worker *wk = &w->w[i];

		wk->owner = w;
		wk->idx = i;
		wk->epfd = -1;
		wk->pipe[0] = wk->pipe[1] = -1;
	}
	/* Signals belong to the main thread: workers start with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < n; i++) {
		struct worker *wk = &w->w[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = wk};

		wk->buf = malloc(sizeof(*wk->buf) * BATCH);
		wk->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (!wk->buf || wk->epfd < 0 || pipe2(wk->pipe, O_CLOEXEC) < 0 ||
		    fcntl(wk->pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
		    epoll_ctl(wk->epfd, EPOLL_CTL_ADD, wk->pipe[0], &ev) < 0) {
			snprintf(err, errlen, "worker %d: %s", i, strerror(errno));
			goto fail;
		}
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
			snprintf(err, errlen, "worker %d: cannot start thread", i);
			goto fail;
		}
		wk->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return w;
fail:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	workers_free(w);
	return NULL;
}

void workers_free(struct workers *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++) {
		struct worker *wk = &w->w[i];
		struct cmd *c;

		if (wk->started && (c = cmd_new(CMD_STOP, NULL)) && send_cmd(wk, c) == 0)
			pthread_join(wk->thread, NULL);
		if (wk->pipe[0] >= 0)
			close(wk->pipe[0]);
		if (wk->pipe[1] >= 0)
			close(wk->pipe[1]);
		if (wk->epfd >= 0)
			close(wk->epfd);
		free(wk->buf);
	}
	free(w->w);
	free(w);
}

int workers_count(const struct workers *w)
{
	return w ? w->n : 0;
}

int workers_add(struct workers *w, struct stream *st)
{
	struct worker *best = &w->w[0];
	struct cmd *c;

	for (int i = 1; i < w->n; i++)
		if (w->w[i].nstreams < best->nstreams)
			best = &w->w[i];
	c = cmd_new(CMD_ADD, st);
	if (!c)
		return -1;
	st->worker = best->idx;
	if (send_cmd(best, c) < 0) {
		st->worker = -1;
		return -1;
	}
	best->nstreams++;
	return 0;
}

int workers_update(struct workers *w, struct stream *st, struct stream_update *u)
{
	struct cmd *c = cmd_new(CMD_UPDATE, st);

	if (!c || st->worker < 0 || st->worker >= w->n) {
		free(c);
		stream_update_clear(u);
		return -1;
	}
	c->u = *u;
	u->rx = u->tx = NULL;
	return send_cmd(&w->w[st->worker], c);
}

int workers_remove(struct workers *w, struct stream *st)
{
	int idx = st->worker;
	struct cmd *c;

	if (idx < 0 || idx >= w->n)
		return -1;
	c = cmd_new(CMD_REMOVE, st);
	if (!c || send_cmd(&w->w[idx], c) < 0)
		return -1;
	w->w[idx].nstreams--;
	return 0;
}

void workers_sync(struct workers *w)
{
	for (int i = 0; i < w->n; i++) {
		_Atomic int done = 0;
		struct cmd *c = cmd_new(CMD_SYNC, NULL);

		if (!c)
			continue;
		c->done = &done;
		if (send_cmd(&w->w[i], c) < 0)
			continue;
		while (!atomic_load(&done)) {
			struct timespec ts = {0, 200000};

			nanosleep(&ts, NULL);
		}
	}
}

uint64_t workers_send_errors(struct workers *w)
{
	uint64_t n = 0;

	for (int i = 0; i < w->n; i++)
		n += atomic_load_explicit(&w->w[i].send_errors, memory_order_relaxed);
	return n;
}

void workers_totals(struct workers *w, struct stream_totals out[2])
{
	memset(out, 0, 2 * sizeof(out[0]));
	for (int i = 0; w && i < w->n; i++)
		for (int k = 0; k < 2; k++) {
			struct stream_counters *c = &w->w[i].totals[k];

			out[k].packets += stream_counter(&c->packets);
			out[k].bytes += stream_counter(&c->bytes);
			out[k].auth_fail += stream_counter(&c->auth_fail);
			out[k].foreign += stream_counter(&c->foreign);
			out[k].dropped += stream_counter(&c->dropped);
		}
}
