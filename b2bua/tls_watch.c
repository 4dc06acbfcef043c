/*
 * tls_watch.c - outgoing TLS failures told only by Sofia's transport log
 * (see tls_watch.h for the lines and why).
 */
#include <stdio.h>
#include <string.h>

#include "tls_watch.h"

/* Copies n bytes of s into out (size outlen), printable ASCII only. */
static void copy_printable(char *out, size_t outlen, const char *s, size_t n)
{
	size_t k = 0;

	if (!outlen)
		return;
	for (size_t i = 0; i < n && k + 1 < outlen; i++)
		out[k++] = (s[i] > 0x20 && s[i] < 0x7f) || s[i] == ' ' ? s[i] : '?';
	out[k] = 0;
}

enum tls_watch_kind tls_watch_line(struct tls_watch *w, const char *line, char *host, size_t hostlen, char *why,
				   size_t whylen)
{
	static const char mismatch[] = "): Peer Subject Mismatch (";
	static const char cert[] = "-Error with certificate at depth:";
	const char *p, *end;

	if (!line)
		return TLS_WATCH_NONE;
	if (strncmp(line, "tls_post_connection_check(", 26) == 0 && (p = strstr(line, mismatch)) != NULL) {
		p += sizeof(mismatch) - 1;
		end = strrchr(p, ')');
		/* "(incoming connection)" is a client of ours, not a trunk. */
		if (!end || end == p || strncmp(p, "incoming connection)", 20) == 0 || end - p >= 256)
			return TLS_WATCH_NONE;
		copy_printable(host, hostlen, p, (size_t)(end - p));
		return TLS_WATCH_HOST;
	}
	if (strncmp(line, cert, sizeof(cert) - 1) == 0) {
		w->in_cert_error = 1;
		return TLS_WATCH_NONE;
	}
	if (w->in_cert_error && strncmp(line, "  err ", 6) == 0) {
		p = strchr(line + 6, ':');
		w->in_cert_error = 0;
		if (!p || !p[1])
			return TLS_WATCH_NONE;
		copy_printable(why, whylen, p + 1, strlen(p + 1));
		return TLS_WATCH_CERT;
	}
	/* issuer/subject lines sit between; anything else ends the block */
	if (w->in_cert_error && strncmp(line, "  issuer", 8) != 0 && strncmp(line, "  subject", 9) != 0)
		w->in_cert_error = 0;
	return TLS_WATCH_NONE;
}
