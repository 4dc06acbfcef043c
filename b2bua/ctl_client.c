/*
 * ctl_client.c - one round trip on the control socket (see ctl_client.h).
 * The answer is read whole, bounded by CTL_REPLY_MAX, then split into its
 * status line and body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "ctl_client.h"

int ctl_client_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s (is the b2bua running? -s SOCKET)", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

enum ctl_ask ctl_client_ask(const char *path, const char *line, int timeout_s, char **body_out, size_t *len_out,
			    char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = timeout_s};
	char *buf = NULL, *body;
	size_t len = 0, cap = 0, off = 0, n = strlen(line);
	enum ctl_ask rc = CTL_ASK_FAILED;
	int fd;

	*body_out = NULL;
	if (len_out)
		*len_out = 0;
	if ((fd = ctl_client_connect(path, err, errlen)) < 0)
		return CTL_ASK_FAILED;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < n) {
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= CTL_REPLY_MAX) {
				snprintf(err, errlen, "%s: reply larger than %d bytes", path, CTL_REPLY_MAX);
				goto out;
			}
			nb = realloc(buf, cap ? cap * 2 : 65536);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, errno == EAGAIN ? "no answer (timed out)" : strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (!buf || len == 0) {
		snprintf(err, errlen, "%s closed without an answer", path);
		goto out;
	}
	buf[len] = 0;
	body = memchr(buf, '\n', len);
	body = body ? body + 1 : buf + len;
	if (strncmp(buf, "ok", 2) == 0 && (buf[2] == '\n' || buf[2] == '\r' || buf[2] == 0)) {
		size_t blen = len - (size_t)(body - buf);

		memmove(buf, body, blen + 1);
		*body_out = buf;
		if (len_out)
			*len_out = blen;
		buf = NULL;
		rc = CTL_ASK_OK;
	} else if (strncmp(buf, "error:", 6) == 0) {
		const char *why = buf + 6;
		size_t wl;

		while (*why == ' ')
			why++;
		wl = strlen(why);
		while (wl && why[wl - 1] == '\n')
			wl--;
		snprintf(err, errlen, "%.*s", (int)wl, why);
		rc = CTL_ASK_REFUSED;
	} else {
		snprintf(err, errlen, "%s: unexpected answer: %.80s", path, buf);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
