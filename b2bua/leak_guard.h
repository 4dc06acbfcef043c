/*
 * leak_guard.h - the last check on what one side of a call sends toward
 * the other: none of that side's identifying strings (its addresses,
 * host names, Call-ID, tags) may appear in an SDP, header value, user
 * part or reason phrase we send to the other side. Topology hiding
 * (media_policy_hide, the nua adapter's fresh dialogs) is what keeps
 * them out; this is the check that it did, for what we cannot foresee
 * (an SDP line we do not strip, a display rule, a carrier's reason).
 *
 * Owns: struct leak_set, plain data inside struct call. Pure functions;
 * any thread.
 * Must not: allocate, log, or know SIP.
 */
#ifndef LEAK_GUARD_H
#define LEAK_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

#define LEAK_MAX 8

/* What identifies one side: a few strings, each with what it is. */
struct leak_set {
	int n;
	struct {
		char what[16];       /* "address", "Call-ID", "tag", "host" */
		char text[96];
	} item[LEAK_MAX];
};

/* Adds text (ignored when shorter than 4 bytes, an unspecified address,
 * already there, or the set is full). */
void leak_set_add(struct leak_set *s, const char *what, const char *text);
/* Adds sa's numeric address. */
void leak_set_add_addr(struct leak_set *s, const struct sockaddr *sa);
/* The item of s found in text[0..len) as a whole token (not inside a
 * longer address, name or number), or NULL: its what[] and text[] say
 * which. */
const char *leak_find(const struct leak_set *s, const char *text, size_t len, const char **found);

#endif
