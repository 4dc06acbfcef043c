/*
 * ctl_client.h - b2bua-ctl's side of the control socket (control.h):
 * one command line written, the whole answer read until the daemon
 * closes.
 *
 * Owns: nothing between calls; the body it returns is the caller's.
 * Must not: print (the commands decide what a failure means to them:
 * `calls` fails, `route explain` says "state unknown").
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stddef.h>

#define CTL_REPLY_MAX (64 << 20)
#define CTL_REPLY_TIMEOUT_S 60    /* a reload of a large policy takes a while */

enum ctl_ask {
	CTL_ASK_OK = 0,       /* *body: the answer after "ok" (malloc'd, NUL-terminated) */
	CTL_ASK_REFUSED = 1,  /* the daemon answered "error: ..."; err holds why */
	CTL_ASK_FAILED = 2,   /* no connection, timeout, garbage; err holds why */
};

/* line ends with '\n'. timeout_s bounds each read and write. */
/* A connected socket to the daemon at path, or -1 with why in err. */
int ctl_client_connect(const char *path, char *err, size_t errlen);
enum ctl_ask ctl_client_ask(const char *path, const char *line, int timeout_s, char **body, size_t *len,
			    char *err, size_t errlen);

#endif
