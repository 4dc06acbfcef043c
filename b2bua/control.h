/*
 * control.h - the management socket that b2bua-ctl talks to.
 *
 * Owns: a unix stream socket and its client connections, all on the SIP
 * thread (su_root). Protocol: the client writes one command line, the
 * daemon answers "ok" or "error: reason" on the first line, then the
 * body, and closes. Commands: calls, trunks, relays, stats, reload,
 * hangup ID.
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

#endif
