/*
 * control.c - unix-socket management interface (see control.h).
 *
 * Owns: the listening socket and each connection's buffers. A connection
 * lives until its reply is written or it fails; the daemon never waits
 * for a client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

struct control;
struct control_conn;
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T void
#include <sofia-sip/su_wait.h>

#include "control.h"
#include "log.h"

#define BODY_MAX (4 << 20)

struct control_conn {
	struct control *ctl;
	struct control_conn *next;
	int fd;
	su_wait_t wait;
	int index;
	char in[512];
	size_t inlen;
	char *out;
	size_t outlen, outpos;
	int waiting;       /* async command in progress */
	control_take_fn *take;   /* the command hands the socket over */
	void *take_arg;
};

struct control {
	su_root_t *root;
	int fd;
	su_wait_t wait;
	int index;
	char path[108];
	struct control_handler h;
	struct control_conn *conns;
	char *scratch;
};

static void conn_close(struct control_conn *cn)
{
	struct control *ctl = cn->ctl;
	struct control_conn **pp;

	for (pp = &ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == cn) {
			*pp = cn->next;
			break;
		}
	if (cn->index > 0)
		su_root_deregister(ctl->root, cn->index);
	else
		su_wait_destroy(&cn->wait);
	if (cn->fd >= 0)
		close(cn->fd);
	free(cn->out);
	free(cn);
}

static int conn_event(void *magic, su_wait_t *w, void *arg);

static void conn_rearm(struct control_conn *cn, int events)
{
	struct control *ctl = cn->ctl;

	if (cn->index > 0)
		su_root_deregister(ctl->root, cn->index);
	cn->index = 0;
	if (su_wait_create(&cn->wait, cn->fd, events) == 0)
		cn->index = su_root_register(ctl->root, &cn->wait, conn_event, cn, 0);
}

void control_reply(struct control_conn *cn, int ok, const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	const char *head = ok ? "ok\n" : "error: ";

	free(cn->out);
	cn->out = malloc(strlen(head) + blen + 2);
	if (!cn->out) {
		conn_close(cn);
		return;
	}
	cn->outlen = (size_t)sprintf(cn->out, "%s%s", head, body ? body : "");
	if (cn->outlen && cn->out[cn->outlen - 1] != '\n')
		cn->out[cn->outlen++] = '\n';
	cn->outpos = 0;
	cn->waiting = 0;
	conn_rearm(cn, SU_WAIT_OUT);
}

void control_handover(struct control_conn *cn, control_take_fn *take, void *arg)
{
	cn->take = take;
	cn->take_arg = arg;
}

static void run_command(struct control_conn *cn)
{
	struct control *ctl = cn->ctl;
	char *cmd = cn->in, *arg;
	int async = 0, rc;

	cn->in[strcspn(cn->in, "\r\n")] = 0;
	arg = strchr(cmd, ' ');
	if (arg) {
		*arg++ = 0;
		while (*arg == ' ')
			arg++;
	}
	ctl->scratch[0] = 0;
	rc = ctl->h.command(ctl->h.ctx, cn, cmd, arg ? arg : "", ctl->scratch, BODY_MAX, &async);
	if (rc == 0 && cn->take) {
		/* Our registration goes before the new owner's (one per socket). */
		control_take_fn *take = cn->take;
		void *targ = cn->take_arg;
		char cmdarg[sizeof(cn->in)];
		int fd = cn->fd;

		snprintf(cmdarg, sizeof(cmdarg), "%s", arg ? arg : "");
		cn->fd = -1;
		conn_close(cn);
		take(targ, fd, cmdarg);
		return;
	}
	cn->take = NULL;
	if (async) {
		cn->waiting = 1;
		conn_rearm(cn, 0);
		return;
	}
	control_reply(cn, rc == 0, ctl->scratch);
}

static int conn_event(void *magic, su_wait_t *w, void *arg)
{
	struct control_conn *cn = arg;
	int events = su_wait_events(w, cn->fd);

	(void)magic;
	if (cn->out) {
		ssize_t n = write(cn->fd, cn->out + cn->outpos, cn->outlen - cn->outpos);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			conn_close(cn);
			return 0;
		}
		cn->outpos += n;
		if (cn->outpos == cn->outlen)
			conn_close(cn);
		return 0;
	}
	if (events & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR)) {
		ssize_t n = read(cn->fd, cn->in + cn->inlen, sizeof(cn->in) - 1 - cn->inlen);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0 && !memchr(cn->in, '\n', cn->inlen)) {
			if (cn->inlen == 0 || n < 0) {
				conn_close(cn);
				return 0;
			}
		} else {
			cn->inlen += n > 0 ? (size_t)n : 0;
		}
		cn->in[cn->inlen] = 0;
		if (memchr(cn->in, '\n', cn->inlen) || n == 0 || cn->inlen == sizeof(cn->in) - 1)
			run_command(cn);
	}
	return 0;
}

static int on_accept(void *magic, su_wait_t *w, void *arg)
{
	struct control *ctl = arg;
	struct control_conn *cn;
	int fd;

	(void)magic;
	(void)w;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	cn = calloc(1, sizeof(*cn));
	if (!cn) {
		close(fd);
		return 0;
	}
	cn->ctl = ctl;
	cn->fd = fd;
	cn->next = ctl->conns;
	ctl->conns = cn;
	conn_rearm(cn, SU_WAIT_IN);
	return 0;
}

int control_new(struct control **out, su_root_t *root, const char *path,
		const struct control_handler *h, char *err, size_t errlen)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	if (!ctl || !(ctl->scratch = malloc(BODY_MAX))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ctl->root = root;
	ctl->h = *h;
	ctl->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		goto fail;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(ctl->fd, 16) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (su_wait_create(&ctl->wait, ctl->fd, SU_WAIT_ACCEPT) != 0 ||
	    (ctl->index = su_root_register(root, &ctl->wait, on_accept, ctl, 0)) <= 0) {
		snprintf(err, errlen, "control socket %s: cannot register", path);
		goto fail;
	}
	*out = ctl;
	return 0;
fail:
	if (ctl) {
		if (ctl->fd >= 0)
			close(ctl->fd);
		free(ctl->scratch);
		free(ctl);
	}
	return -1;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_close(ctl->conns);
	if (ctl->index > 0)
		su_root_deregister(ctl->root, ctl->index);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->scratch);
	free(ctl);
}
