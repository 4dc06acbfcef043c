/*
 * guard.h - the b2bua's front door: a rate limit per source address on
 * every request outside a dialog, a temporary ban of a source that keeps
 * exceeding it (as Kamailio's pike does), and a kernel socket filter
 * (classic BPF on the SIP sockets) that drops what banned sources, and
 * strangers when so configured, send before Sofia parses a byte of it.
 *
 * Owns: the per-source buckets, the ban list and the filters attached to
 * the SIP sockets, and their receive buffers. SIP thread only. Knows
 * nothing of SIP: a source is a socket address; what to answer is the SIP
 * adapter's business.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "policy.h"

struct guard;

struct guard_config {
	int rate_pps;        /* requests/s per source, burst of 2 s; 0 = off */
	int ban_after;       /* refusals before a ban (forgotten once the source
				stayed under its rate for two seconds); 0 = never */
	int ban_s;           /* how long a ban lasts */
	int drop_strangers;  /* the filter passes only allowed networks */
};

enum guard_verdict {
	GUARD_PASS,
	GUARD_LIMITED,       /* over the rate: refuse (503) */
	GUARD_BANNED,        /* banned: refuse, the filter drops the rest */
};

struct guard_stats {
	uint64_t limited, banned, bans;
	size_t active_bans;
	int sockets;         /* SIP sockets that carry our filter */
	int udp_rcvbuf;      /* the smallest receive buffer of a SIP UDP socket
				(bytes, as the kernel reports it) */
};

int guard_new(struct guard **out, const struct guard_config *cfg);
void guard_free(struct guard *g);
/* Finds our SIP sockets (UDP, and TCP listening) bound to port and
 * attaches the filter to them; a UDP one also gets a 4 MiB receive
 * buffer (up to net.core.rmem_max). The number found, or -1. */
int guard_attach_port(struct guard *g, int port, char *err, size_t errlen);
/* The networks whose packets pass in drop_strangers mode: copied; the
 * filter is rebuilt. */
void guard_set_allowed(struct guard *g, const struct policy_net *nets, size_t n);
/* One request from sa; a trusted source (a trunk) is limited, never banned. */
enum guard_verdict guard_check(struct guard *g, const struct sockaddr *sa, int trusted, int64_t now_ms);
/* Lifts bans whose time is up. */
void guard_tick(struct guard *g, int64_t now_ms);
/* One line per ban ("ADDR SECONDS-LEFT refused N"); the length written. */
size_t guard_list(const struct guard *g, char *buf, size_t cap, int64_t now_ms);
/* Lifts the ban of addr ("all": every ban). 0, or -1 when none matched. */
int guard_unban(struct guard *g, const char *addr);
void guard_stats(const struct guard *g, struct guard_stats *st);

#endif
