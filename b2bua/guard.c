/*
 * guard.c - per-source rate limits, bans and the kernel filter.
 *
 * Owns: a hash of token buckets (one per source address; a collision
 * replaces the older source), the ban list (GUARD_MAX_BANS, kept sorted
 * by nothing: it is small), the list of allowed networks and the fds of
 * the SIP sockets carrying the filter. The filter is classic BPF (no
 * privileges needed to attach it to our own sockets): it loads the IP
 * source address (SKF_NET_OFF) and drops a banned one, then, in
 * drop_strangers mode, passes only the allowed networks. It is rebuilt
 * and re-attached on every change, which is rare: a ban, an unban, a
 * policy reload.
 * Must not: block, log per packet (it logs a ban and its end).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "guard.h"
#include "log.h"

#define GUARD_SLOTS 4096
#define GUARD_MAX_BANS 512
#define GUARD_MAX_NETS 256
#define GUARD_MAX_FDS 16
#define GUARD_RCVBUF (4 << 20)   /* bytes asked for each SIP UDP socket */

struct bucket {
	uint8_t key[16];
	int family;
	double tokens;
	int64_t last_ms;
	int refused;           /* refused since the bucket was last full */
	int seen;
};

struct ban {
	int family;
	uint8_t addr[16];
	int64_t until_ms;
	uint64_t refused;
};

struct guard {
	struct guard_config cfg;
	struct bucket slot[GUARD_SLOTS];
	struct ban bans[GUARD_MAX_BANS];
	size_t nbans;
	struct policy_net nets[GUARD_MAX_NETS];
	size_t nnets;
	int fds[GUARD_MAX_FDS];
	int nfds;
	int rcvbuf_min;          /* smallest receive buffer a UDP one got */
	uint64_t limited, banned, total_bans;
};

int guard_new(struct guard **out, const struct guard_config *cfg)
{
	struct guard *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	g->cfg = *cfg;
	*out = g;
	return 0;
}

void guard_free(struct guard *g)
{
	free(g);
}

/* The address bytes of sa (4 or 16), or 0 when it is neither family. */
static size_t addr_of(const struct sockaddr *sa, const uint8_t **p, int *family)
{
	if (sa && sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		*family = AF_INET;
		return 4;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* An IPv4 peer on a dual-stack socket is that IPv4 address. */
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*p = a->s6_addr + 12;
			*family = AF_INET;
			return 4;
		}
		*p = a->s6_addr;
		*family = AF_INET6;
		return 16;
	}
	return 0;
}

static const char *addr_str(int family, const uint8_t *a, char *buf, size_t cap)
{
	if (!inet_ntop(family, a, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- the kernel filter ---- */

static void emit(struct sock_filter *prog, int *n, int max, struct sock_filter ins)
{
	if (*n < max)
		prog[*n] = ins;
	(*n)++;
}

/* Loads the 32-bit word w (0..3) of the source address into A. */
static struct sock_filter load_src(int family, int w)
{
	int off = family == AF_INET ? 12 : 8 + 4 * w;

	return (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + off);
}

static uint32_t word_of(const uint8_t *a, int w)
{
	return (uint32_t)a[4 * w] << 24 | (uint32_t)a[4 * w + 1] << 16 | (uint32_t)a[4 * w + 2] << 8 |
	       a[4 * w + 3];
}

/* Compares the source with addr under bits; on a match, "ret" (the
 * instruction right after the compare block) runs, else it is skipped. */
static void emit_match(struct sock_filter *prog, int *n, int max, int family, const uint8_t *addr, int bits,
		       uint32_t ret)
{
	int words = family == AF_INET ? 1 : 4, full = bits / 32, rest = bits % 32;
	int tests = full + (rest ? 1 : 0);

	for (int w = 0; w < tests && w < words; w++) {
		uint32_t mask = w < full ? 0xffffffffu : (uint32_t)(0xffffffffu << (32 - rest));
		/* instructions still to come in this block after this compare */
		int left = (tests - w - 1) * 3;

		emit(prog, n, max, load_src(family, w));
		emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask));
		emit(prog, n, max,
		     (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, word_of(addr, w) & mask, 0,
						  (uint8_t)(left + 1)));
	}
	emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret));
}

/*
 * Methods we serve to nobody, dropped in the kernel whoever sends them
 * over UDP: nua rejects them with a 405 before we see them (so no rate
 * limit or ban can apply) and keeps each for 64*T1 (a stranger's REGISTER
 * flood at 2,000/s held 64,000 transactions, 390 MB). A UDP socket filter
 * sees the datagram from its UDP header: the method starts at byte 8.
 */
static const uint32_t never_served[] = {
	0x52454749, /* "REGI"STER */
	0x53554253, /* "SUBS"CRIBE */
	0x5055424c, /* "PUBL"ISH */
	0x4d455353, /* "MESS"AGE */
	0x4e4f5449, /* "NOTI"FY */
};
#define N_NEVER (sizeof(never_served) / sizeof(never_served[0]))

static void emit_never_served(int family, struct sock_filter *prog, int *n, int max)
{
	/* Not UDP, or too short for a method: on past the drop. (A load
	 * beyond the packet would end the filter with a drop.) */
	emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + (family == AF_INET ? 9 : 6)));
	emit(prog, n, max, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, (uint8_t)(N_NEVER + 4)));
	emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0));
	emit(prog, n, max, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 12, 0, (uint8_t)(N_NEVER + 2)));
	emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8));
	for (size_t i = 0; i < N_NEVER; i++)
		emit(prog, n, max,
		     (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, never_served[i], (uint8_t)(N_NEVER - 1 - i),
						  i + 1 == N_NEVER ? 1 : 0));
	emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0));
}

/* The part of the filter for packets of one IP version. */
static void build_family(const struct guard *g, int family, struct sock_filter *prog, int *n, int max)
{
	emit_never_served(family, prog, n, max);
	for (size_t i = 0; i < g->nbans; i++)
		if (g->bans[i].family == family)
			emit_match(prog, n, max, family, g->bans[i].addr, family == AF_INET ? 32 : 128, 0);
	if (g->cfg.drop_strangers) {
		for (size_t i = 0; i < g->nnets; i++)
			if (g->nets[i].family == family)
				emit_match(prog, n, max, family, g->nets[i].addr, g->nets[i].bits, 0xffffffffu);
		emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0));
	} else {
		emit(prog, n, max, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));
	}
}

/* The whole filter; its length. The IP version decides which part runs
 * (a dual-stack socket sees both): [version test][IPv6 part][IPv4 part],
 * each part ending in a return. */
static int build(const struct guard *g, struct sock_filter *prog, int max)
{
	int n = 0, ja, v6;

	emit(prog, &n, max, (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF));
	emit(prog, &n, max, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4));
	emit(prog, &n, max, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 1));
	ja = n;
	emit(prog, &n, max, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0));
	v6 = n;
	build_family(g, AF_INET6, prog, &n, max);
	if (ja < max)
		prog[ja].k = (uint32_t)(n - v6);   /* over the IPv6 part */
	build_family(g, AF_INET, prog, &n, max);
	return n;
}

static void apply(struct guard *g)
{
	static struct sock_filter prog[BPF_MAXINSNS];

	int n = build(g, prog, BPF_MAXINSNS);
	struct sock_fprog fp = {.len = (unsigned short)n, .filter = prog};

	if (n > BPF_MAXINSNS) {
		log_error("guard: filter too long (%d instructions), not changed", n);
		return;
	}
	for (int i = 0; i < g->nfds; i++)
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) != 0)
			log_error("guard: cannot attach the socket filter: %s", strerror(errno));
}

/* Sofia leaves a UDP socket at the kernel's default receive buffer
 * (rmem_default, 208 KiB here: about 90 datagrams of a SIP message's
 * size in skb memory). A few ms of a busy loop at 2,000 calls/s filled
 * it, and the dropped 180s and 200s became trunk timeouts (bench,
 * issue 13). GUARD_RCVBUF is asked for; the kernel caps it at
 * net.core.rmem_max, and reports the doubled value it keeps. */
static void udp_buffer(struct guard *g, int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){GUARD_RCVBUF}, sizeof(int));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && (g->rcvbuf_min == 0 || v < g->rcvbuf_min))
		g->rcvbuf_min = v;
}

/* Our sockets are Sofia's: found by what they are bound to. */
int guard_attach_port(struct guard *g, int port, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = 0;

	if (!d) {
		snprintf(err, errlen, "/proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), type = 0, listening = 0;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss), ol = sizeof(type);
		int in_port;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) != 0)
			continue;
		in_port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
						  : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		ol = sizeof(listening);
		if (type == SOCK_STREAM && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0)
			continue;
		if (in_port != port || (type != SOCK_DGRAM && !(type == SOCK_STREAM && listening)))
			continue;
		if (g->nfds == GUARD_MAX_FDS)
			break;
		if (type == SOCK_DGRAM)
			udp_buffer(g, fd);
		g->fds[g->nfds++] = fd;
		found++;
	}
	closedir(d);
	apply(g);
	return found;
}

void guard_set_allowed(struct guard *g, const struct policy_net *nets, size_t n)
{
	g->nnets = n < GUARD_MAX_NETS ? n : GUARD_MAX_NETS;
	if (n > GUARD_MAX_NETS)
		log_error("guard: %zu allowed networks, only the first %d are used", n, GUARD_MAX_NETS);
	memcpy(g->nets, nets, g->nnets * sizeof(nets[0]));
	apply(g);
}

/* ---- limits and bans ---- */

static struct ban *find_ban(struct guard *g, int family, const uint8_t *a)
{
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < g->nbans; i++)
		if (g->bans[i].family == family && memcmp(g->bans[i].addr, a, n) == 0)
			return &g->bans[i];
	return NULL;
}

static void ban(struct guard *g, int family, const uint8_t *a, uint64_t refused, int64_t now_ms)
{
	char buf[64];

	if (g->nbans == GUARD_MAX_BANS) {
		log_error("guard: %d sources banned already, %s is only limited", GUARD_MAX_BANS,
			  addr_str(family, a, buf, sizeof(buf)));
		return;
	}
	memset(&g->bans[g->nbans], 0, sizeof(g->bans[0]));
	g->bans[g->nbans].family = family;
	memcpy(g->bans[g->nbans].addr, a, family == AF_INET ? 4 : 16);
	g->bans[g->nbans].until_ms = now_ms + (int64_t)g->cfg.ban_s * 1000;
	g->bans[g->nbans].refused = refused;
	g->nbans++;
	g->total_bans++;
	log_warn("guard: %s banned for %d s (%llu requests over %d/s)", addr_str(family, a, buf, sizeof(buf)),
		 g->cfg.ban_s, (unsigned long long)refused, g->cfg.rate_pps);
	apply(g);
}

static struct bucket *bucket_of(struct guard *g, const uint8_t *a, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return &g->slot[h % GUARD_SLOTS];
}

enum guard_verdict guard_check(struct guard *g, const struct sockaddr *sa, int trusted, int64_t now_ms)
{
	const uint8_t *a;
	int family;
	size_t n = addr_of(sa, &a, &family);
	double rate = g->cfg.rate_pps;
	struct bucket *b;
	struct ban *bn;

	if (!n)
		return GUARD_PASS;
	if ((bn = find_ban(g, family, a))) {
		bn->refused++;
		g->banned++;
		return GUARD_BANNED;
	}
	if (rate <= 0)
		return GUARD_PASS;
	b = bucket_of(g, a, n);
	if (!b->seen || b->family != family || memcmp(b->key, a, n) != 0) {
		memset(b, 0, sizeof(*b));
		memcpy(b->key, a, n);
		b->family = family;
		b->seen = 1;
		b->tokens = rate;
		b->last_ms = now_ms;
	}
	b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
	if (b->tokens > rate * 2)
		b->tokens = rate * 2;   /* a burst of two seconds' worth */
	b->last_ms = now_ms;
	/* A source that let its bucket fill up again was quiet for a while:
	 * its earlier refusals are forgiven. One that stays over its rate
	 * never refills, passes now and then, and gathers refusals. */
	if (b->tokens >= rate * 2 - 1.0)
		b->refused = 0;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return GUARD_PASS;
	}
	g->limited++;
	if (!trusted && g->cfg.ban_after > 0 && ++b->refused >= g->cfg.ban_after) {
		ban(g, family, a, (uint64_t)b->refused, now_ms);
		b->refused = 0;
	}
	return GUARD_LIMITED;
}

/* The ban goes; the source starts afresh. */
static void lift(struct guard *g, size_t i, const char *why)
{
	char buf[64];
	size_t n = g->bans[i].family == AF_INET ? 4 : 16;
	struct bucket *b = bucket_of(g, g->bans[i].addr, n);

	if (b->seen && b->family == g->bans[i].family && memcmp(b->key, g->bans[i].addr, n) == 0)
		memset(b, 0, sizeof(*b));

	log_info("guard: ban of %s lifted (%s)", addr_str(g->bans[i].family, g->bans[i].addr, buf, sizeof(buf)),
		 why);
	g->bans[i] = g->bans[--g->nbans];
}

void guard_tick(struct guard *g, int64_t now_ms)
{
	int changed = 0;

	for (size_t i = 0; i < g->nbans;) {
		if (g->bans[i].until_ms <= now_ms) {
			lift(g, i, "time is up");
			changed = 1;
		} else {
			i++;
		}
	}
	if (changed)
		apply(g);
}

size_t guard_list(const struct guard *g, char *buf, size_t cap, int64_t now_ms)
{
	size_t len = 0;

	if (cap)
		buf[0] = 0;
	for (size_t i = 0; i < g->nbans && len + 1 < cap; i++) {
		char a[64];
		int n = snprintf(buf + len, cap - len, "%s %llds refused %llu\n",
				 addr_str(g->bans[i].family, g->bans[i].addr, a, sizeof(a)),
				 (long long)((g->bans[i].until_ms - now_ms + 999) / 1000),
				 (unsigned long long)g->bans[i].refused);

		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	return len;
}

int guard_unban(struct guard *g, const char *addr)
{
	uint8_t a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET, found = 0;

	if (strcmp(addr, "all") == 0) {
		found = g->nbans > 0;
		while (g->nbans)
			lift(g, 0, "by the administrator");
	} else {
		if (inet_pton(family, addr, a) != 1)
			return -1;
		for (size_t i = 0; i < g->nbans; i++) {
			if (g->bans[i].family == family && memcmp(g->bans[i].addr, a, family == AF_INET ? 4 : 16) == 0) {
				lift(g, i, "by the administrator");
				found = 1;
				break;
			}
		}
	}
	if (found)
		apply(g);
	return found ? 0 : -1;
}

void guard_stats(const struct guard *g, struct guard_stats *st)
{
	st->limited = g->limited;
	st->banned = g->banned;
	st->bans = g->total_bans;
	st->active_bans = g->nbans;
	st->sockets = g->nfds;
	st->udp_rcvbuf = g->rcvbuf_min;
}
