/*
 * leak_guard.c - see leak_guard.h. A set holds a handful of strings and
 * a message is scanned once per string: calls send a few messages each,
 * so nothing cleverer pays.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include "leak_guard.h"

void leak_set_add(struct leak_set *s, const char *what, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	/* Too short to say anything, or no address at all. */
	if (len < 4 || len >= sizeof(s->item[0].text) || s->n == LEAK_MAX || strcmp(text, "0.0.0.0") == 0)
		return;
	for (int i = 0; i < s->n; i++)
		if (strcasecmp(s->item[i].text, text) == 0)
			return;
	memcpy(s->item[s->n].text, text, len + 1);
	strncpy(s->item[s->n].what, what, sizeof(s->item[0].what) - 1);
	s->item[s->n].what[sizeof(s->item[0].what) - 1] = 0;
	s->n++;
}

void leak_set_add_addr(struct leak_set *s, const struct sockaddr *sa)
{
	char host[64];

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
		leak_set_add(s, "address", host);
}

/* Characters that continue an address, host name, number or token: a
 * hit next to one is part of something else ("10.0.0.1" in "110.0.0.12").
 * A colon continues only an IPv6 address: "sip:10.0.0.1:5060" names the
 * IPv4 one. */
static int continues(unsigned char ch, int v6)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '.' ||
	       ch == '-' || ch == '_' || (ch == ':' && v6);
}

const char *leak_find(const struct leak_set *s, const char *text, size_t len, const char **found)
{
	for (int i = 0; s && text && i < s->n; i++) {
		const char *t = s->item[i].text;
		size_t tl = strlen(t);
		int v6 = strchr(t, ':') != NULL;

		for (size_t at = 0; at + tl <= len; at++) {
			if (strncasecmp(text + at, t, tl) != 0)
				continue;
			if ((at > 0 && continues((unsigned char)text[at - 1], v6)) ||
			    (at + tl < len && continues((unsigned char)text[at + tl], v6)))
				continue;
			if (found)
				*found = t;
			return s->item[i].what;
		}
	}
	return NULL;
}
