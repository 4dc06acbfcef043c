/*
 * policy.h - routing, number/header rules and rates as an immutable,
 * refcounted in-memory snapshot loaded from SQLite.
 *
 * Owns: struct policy and everything inside it. A snapshot is built by
 * policy_load() (any thread; it does SQL) and then only read, so the SIP
 * thread may use it without locks; calls in flight keep a reference to the
 * snapshot they started with, so a reload never changes a running call.
 * Must not: know about SIP or Sofia; query SQLite after policy_load().
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <sys/socket.h>

enum policy_dir { POLICY_IN, POLICY_OUT };
enum policy_field { POLICY_RURI, POLICY_FROM, POLICY_TO, POLICY_PAI, POLICY_DISPLAY };
enum policy_srtp { POLICY_SRTP_OFF, POLICY_SRTP_OPTIONAL, POLICY_SRTP_MANDATORY };
/* Where the relay may latch a side's media (sql/002_security.sql). */
enum policy_latch { POLICY_LATCH_LEARN, POLICY_LATCH_SDP, POLICY_LATCH_FIRST };

/* What a REFER from a trunk's side does (sql/004_transfer.sql). */
enum policy_refer { POLICY_REFER_REJECT, POLICY_REFER_LOCAL };

/* Reliable provisional responses on a trunk's legs (sql/005_dialog.sql). */
enum policy_rel100 { POLICY_REL100_SUPPORTED, POLICY_REL100_REQUIRED, POLICY_REL100_OFF };

/* Feedback profiles in offers toward a trunk (sql/005_dialog.sql). */
enum policy_avpf { POLICY_AVPF_OFF, POLICY_AVPF_KEEP };

/* What a 3xx from a trunk does (sql/005_dialog.sql). */
enum policy_redirect { POLICY_REDIRECT_NEXT, POLICY_REDIRECT_FOLLOW };

struct policy_trunk {
	int id;
	char name[64];
	char host[256];
	int port;               /* 0 = default for transport */
	char transport[8];      /* "udp", "tcp", "tls" */
	char username[64];
	char password[128];
	char realm[128];
	int reg;                /* register to this trunk (0/1) */
	int max_channels;       /* 0 = unlimited */
	int max_cps;            /* 0 = unlimited */
	char codecs[256];       /* "PCMA,PCMU,telephone-event"; "" = any */
	enum policy_srtp srtp;
	int options_ping_s;     /* 0 = no OPTIONS pings */
	int enabled;
	enum policy_latch media_latch;
	int trusted;            /* in our trust domain (RFC 3325): PAI both ways */
	char sdp_keep[64];      /* the other side's SDP lines it may see; "" none */
	enum policy_refer refer; /* its REFER: refused 403, or carried out by us */
	enum policy_rel100 rel100;
	enum policy_redirect redirect;
	enum policy_avpf avpf;
	int trust_reason;       /* its Reason headers pass to the other leg (default: trusted) */
	int session_expires;    /* RFC 4028 interval on its legs; -1 = [call]'s, 0 = none */
	int tls_verify;         /* transport tls: its certificate must verify and name host (0/1) */
	char iface[32];         /* trunks.interface: where it is reached; "" = the default */
};

struct policy;

/* Loads a snapshot from the database at path (schema must exist). A bad
 * row refuses the load: err names the table and row id. Bad includes a
 * codec name no offer can carry (codecs.h), a replacement naming a group
 * its pattern lacks, and two trunk names equal but for case. No trunks
 * at all is no error here (the daemon decides). 0 or -1. */
int policy_load(struct policy **out, const char *db_path, char *err, size_t errlen);
/* Every trunks.interface of p must be one of names (the b2bua's
 * interfaces): 0, or -1 with err naming the trunk and the interface. */
int policy_check_ifaces(const struct policy *p, const char *const *names, size_t n, char *err, size_t errlen);
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

size_t policy_trunk_count(const struct policy *p);
const struct policy_trunk *policy_trunk_at(const struct policy *p, size_t i);
const struct policy_trunk *policy_trunk_by_id(const struct policy *p, int id);
const struct policy_trunk *policy_trunk_by_name(const struct policy *p, const char *name);
/* The enabled trunk whose trunk_sources CIDR holds sa (IPv4 or IPv6; the
 * most specific CIDR wins), or NULL. */
const struct policy_trunk *policy_trunk_by_addr(const struct policy *p,
						const struct sockaddr *sa);
/* The enabled trunk reached at host (as written in trunks.host, case
 * insensitive, or an address one of its trunk_sources holds: any port)
 * and port (0, none given: one on 5060 first, else any of that host), or
 * NULL. */
const struct policy_trunk *policy_trunk_by_target(const struct policy *p, const char *host, int port);

/* Route candidates for the dialled user part, best first: the longest
 * prefix among the routes of from_trunk_id and those for any trunk (a tie
 * goes to the trunk's own), enabled routes to enabled trunks only, ordered
 * by priority, and among equal priority a weighted random order drawn
 * with rnd (returns 0..RAND_MAX-like values; NULL uses random()).
 * Returns how many were written to out (at most max). (Disabled routes and
 * routes to disabled trunks do not exist for the prefix match, so a shorter
 * prefix or the '' default takes over; weight 0 goes after every weighted
 * route of its priority.) */
/* A network that identifies a trunk (trunk_sources of enabled trunks). */
struct policy_net {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order, host bits clear */
	int bits;
};
/* Copies up to max of them into out; returns how many there are. */
size_t policy_source_nets(const struct policy *p, struct policy_net *out, size_t max);

size_t policy_route(const struct policy *p, int from_trunk_id, const char *user,
		    const struct policy_trunk **out, size_t max,
		    unsigned (*rnd)(void *), void *rnd_arg);

/* For `b2bua-ctl route explain`: the route list policy_route() draws
 * from, unshuffled. The same longest-prefix choice; entries in priority,
 * id order. At most POLICY_ROUTE_GROUP_MAX routes of one priority take
 * part in the draw (the rest never). */
#define POLICY_ROUTE_GROUP_MAX 64
struct policy_route_info {
	int id;                 /* routes.id */
	int priority;
	unsigned weight;
	const struct policy_trunk *to;
};
/* Writes up to max entries to out and returns how many the list has (0:
 * no route). prefix (prefixlen bytes) gets the matched prefix ("" is the
 * default route); *own (may be NULL) is 1 when the routes of
 * from_trunk_id won, 0 when those for any trunk did. */
size_t policy_route_list(const struct policy *p, int from_trunk_id, const char *user,
			 struct policy_route_info *out, size_t max, char *prefix, size_t prefixlen, int *own);

/* Applies number_rules for (trunk_id, or rules with trunk_id NULL), dir and
 * field to in: rules in priority order, the first whose match matches
 * rewrites with its replace ($1 style): 1. No match copies in unchanged:
 * 0. -1 when out is too small. (The matched part is replaced, the rest
 * of in kept; at equal priority a trunk's own rule goes first. in and out
 * must not overlap.) */
int policy_number_rewrite(const struct policy *p, int trunk_id, enum policy_dir dir,
			  enum policy_field field, const char *in,
			  char *out, size_t outlen);

/* The number rule that rewrote (route explain). Strings belong to the
 * snapshot. id 0: none did. trunk_id -1: a rule for all trunks. */
struct policy_rule_hit {
	int id, trunk_id, priority;
	const char *match, *replace;
};
/* policy_number_rewrite() that also fills hit. */
int policy_number_explain(const struct policy *p, int trunk_id, enum policy_dir dir, enum policy_field field,
			  const char *in, char *out, size_t outlen, struct policy_rule_hit *hit);

/* A header as the b2bua sends (or received) it. */
struct policy_hdr {
	char name[64];
	char value[512];
};

/* Applies header_rules of (trunk_id or NULL) and dir to hdrs[0..n), cap
 * entries available: add appends, remove drops headers of that name (whose
 * value matches `match` when set), replace rewrites the value of matching
 * headers (match/value as a PCRE2 substitution; without match, the whole
 * value). Headers a dialog needs (Via, From, To, Call-ID, CSeq, Contact,
 * Route, Record-Route, Max-Forwards, Content-Length, Content-Type) are never
 * removed or replaced. Returns the new count. */
size_t policy_header_apply(const struct policy *p, int trunk_id, enum policy_dir dir,
			   struct policy_hdr *hdrs, size_t n, size_t cap);

/* Cost of an answered call of duration_s seconds to number over trunk_id,
 * from the longest-prefix rate: connect_fee + per_minute * billed / 60,
 * billed = max(min_s, duration rounded up to increment_s). 0 and *cost set,
 * or -1 when no rate matches. */
int policy_rate_cost(const struct policy *p, int trunk_id, const char *number,
		     double duration_s, double *cost);
/* The rate policy_rate_cost() would bill with (rates.h), or NULL. */
struct rate;
const struct rate *policy_rate_find(const struct policy *p, int trunk_id, const char *number);

#endif
