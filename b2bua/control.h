/*
 * control.h - the management socket that b2bua-ctl talks to.
 *
 * Owns: a unix stream socket and its client connections, all on the SIP
 * thread (su_root). Protocol: the client writes one command line, the
 * daemon answers "ok" or "error: reason" on the first line, then the
 * body, and closes. Commands: calls, trunks, relays, stats, reload,
 * hangup ID; a command may instead take the socket over (trace streams
 * until the client closes it).
 * Writes are buffered and sent as the socket drains: a slow client never
 * stalls signalling.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <sofia-sip/su_wait.h>
#include <stddef.h>

struct control;
struct control_conn;

struct control_handler {
	/* Fills buf (cap bytes) with the body; returns 0 or -1 (then buf holds
	 * the error reason). Set *async to 1 to answer later with
	 * control_reply(). */
	int (*command)(void *ctx, struct control_conn *conn, const char *cmd, const char *arg,
		       char *buf, size_t cap, int *async);
	void *ctx;
};

int control_new(struct control **out, su_root_t *root, const char *path,
		const struct control_handler *h, char *err, size_t errlen);
void control_free(struct control *c);
/* Finishes an async command. */
void control_reply(struct control_conn *conn, int ok, const char *body);
/* From inside the command callback: once it returns, the connection's
 * socket goes to take(arg, fd, command argument) and the connection is
 * gone; nothing is answered for it (take writes "ok" and what follows:
 * a stream such as `trace`). */
typedef void control_take_fn(void *arg, int fd, const char *cmdarg);
void control_handover(struct control_conn *conn, control_take_fn *take, void *arg);

#endif
