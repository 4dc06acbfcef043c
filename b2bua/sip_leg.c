/*
 * sip_leg.c - the nua adapter: SIP transactions and dialogs for both legs.
 *
 * Owns: the nua instances (one per listen address, all on the su_root
 * thread), every struct leg (one per nua handle), the per-source request
 * limiter and su timers for calls. Copies what the core needs out of each
 * sip_t inside the callback and hands it over as plain data; leg B is
 * always a fresh dialog with our own Call-ID, tags, Via and Contact, so
 * nothing of leg A's topology leaks.
 *
 * Lifetime of a leg: owned by its call (l->call holds a reference) until
 * the core releases it; then this file alone keeps it while its dialog
 * ends, and answers what still arrives: a 2xx to an INVITE we gave up is
 * ACKed and BYE'd at once, a request gets 481, anything else is
 * ignored with a debug line. A leg is destroyed (handle unbound and
 * destroyed) once released and over, and its memory is freed only from
 * the loop's prepoll hook, never inside a callback that may still hold it.
 * Must not: make call decisions (call*.c do), block, or do SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/random.h>

struct sip_stack;
struct leg;
#define NUA_MAGIC_T struct sip_stack
#define NUA_HMAGIC_T struct leg
#define SU_ROOT_MAGIC_T void
#define SU_TIMER_ARG_T struct call
#define SU_PREPOLL_MAGIC_T struct sip_stack

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/su_tag.h>

#include "sip_leg.h"
#include "clock.h"
#include "log.h"
#include "guard.h"
#include "reply.h"
#include "sip_read.h"
#include "sip_trace.h"
#include "tls_conf.h"
#include "sofia_log.h"
#include "trunk_reg.h"


struct leg {
	struct sip_stack *st;
	nua_handle_t *nh;           /* NULL once destroyed */
	struct call *call;          /* a reference; NULL once released */
	char call_id[128];
	char a_call_id[128];        /* its call's A-leg Call-ID: every log line names the call */
	unsigned released : 1;      /* the core is done with us */
	unsigned terminated : 1;    /* nua said the dialog is over */
	unsigned challenged : 1;    /* nua waits for credentials (401/407) */
	unsigned destroyed : 1;     /* on the graveyard, freed at prepoll */
	unsigned bye_sent : 1;      /* our BYE ends the dialog already */
	unsigned offerless : 1;     /* our last INVITE on it had no SDP */
	unsigned nua_bye : 1;       /* nua sent a BYE of its own (session expired) */
	unsigned ack_owed : 1;      /* its 2xx offered: the core sends the ACK */
	/* RFC 3262 5: an offerless INVITE's handle PRACKs by our hand (nua
	 * would send every PRACK bodyless): a reliable 18x that offers is
	 * PRACKed with the core's answer (prack_owed, rack), any other at once. */
	unsigned own_prack : 1;
	unsigned prack_owed : 1;
	unsigned answered : 1;      /* our first INVITE had its 2xx */
	unsigned heard : 1;         /* a peer answered our first INVITE, any status */
	unsigned tls_doomed : 1;    /* its TLS connection failed (tls_failures) */
	/* Leg B on a nua that verifies trunks' certificates: the trunk's host
	 * and when our INVITE left, to tell which leg a TLS failure that only
	 * Sofia's log tells (tls_watch.h) belongs to. "" on any other leg. */
	char tls_host[256];
	int64_t invite_ms;
	char rack[40];              /* RAck of the owed PRACK: "RSeq CSeq INVITE" */
	int core_reqs[METHOD_REFER + 1]; /* requests the core sent and not yet answered, by method */
	char refer_event[48];       /* Event of the last REFER's subscription ("refer;id=N") */
	/* Session refreshes (RFC 4028) nua sends by itself: with UPDATE only
	 * where the peer allows it, else a re-INVITE carrying the SDP of the
	 * last INVITE we sent on the handle, or none (then the peer's 2xx
	 * offers and our ACK answers with the SDP we last sent it). */
	char *sent_sdp;             /* the last SDP we sent on this leg, any message */
	unsigned invite_had_sdp : 1; /* the last INVITE we sent here carried SDP */
	unsigned peer_update : 1;   /* the peer's Allow lists UPDATE */
	nua_saved_event_t saved[1]; /* pending UPDATE/INFO to answer later */
	int saved_method;
	struct leg *prev, *next;    /* st->legs, then st->graveyard */
};

/* A trunk's registration handle (trunk_reg.c owns the registration;
 * this is its nua side). Its nua handle carries no magic: events are
 * found by handle in st->regs. */
struct reg_handle {
	struct sip_stack *st;
	nua_handle_t *nh;
	struct trunk_reg_entry *owner;
	char url[320];              /* the registrar: Request-URI */
	char contact[256];          /* ours: sip:user@our-address:port */
	char user[64], chost[80];
	int cport;
	struct reg_handle *next;
};

struct sip_nua {
	nua_t *nua;
	struct config_listen addr;  /* first address of this instance */
	int has_udp, has_tcp;
	/* TLS only: a nua of its own per tls: address, verifying the
	 * certificates of trunks (tls_verify) or not, never both: Sofia
	 * 1.12 has one verify policy per transport. */
	int has_tls, tls_verify;
	int down;
};


struct sip_stack {
	su_root_t *root;
	const struct config *cfg;
	struct call_core *core;
	struct sip_nua nuas[2 * CONFIG_MAX_LISTEN];   /* a tls: address may have two */
	int nnuas;
	void (*shutdown_done)(void *);
	void *shutdown_arg;
	struct guard *guard;        /* rate limits, bans, the socket filter */
	int64_t stranger_log_ms;    /* strangers are logged once a second */
	uint64_t strangers_unlogged;
	struct leg *legs;           /* every leg not yet destroyed */
	struct leg *graveyard;      /* destroyed, freed at the next prepoll */
	struct trunk_reg *reg;      /* trunks' registrations (main owns it) */
	struct reg_handle *regs;    /* their open handles */
	int prepoll;                /* our prepoll hook is installed */
	sip_stack_options_fn *options_fn;   /* trunk_probe.c's OPTIONS answers */
	struct sip_trace *trace;    /* message tracing (main owns it) */
	void *options_arg;
	uint64_t n_invites, n_options, n_strangers, n_legs, n_legs_freed, n_late_2xx;
	/* Outgoing TLS failures read from Sofia's transport log, handled
	 * at the next prepoll (tls_failures): host "" when Sofia named none. */
	struct {
		char host[256], why[160];
	} tls_ev[8];
	int ntls_ev;
	int64_t tls_probe_ms;       /* last OPTIONS probe on a verifying TLS nua */
	int64_t sips_log_ms;        /* sips: without TLS is logged once a second */
};

static struct sip_stack *g_timer_stack;   /* timers need the root */

/* ---- helpers ---- */

void sip_random_hex(char *out, size_t bytes)
{
	unsigned char buf[32];
	static const char hex[] = "0123456789abcdef";

	if (bytes > sizeof(buf))
		bytes = sizeof(buf);
	if (getrandom(buf, bytes, 0) != (ssize_t)bytes) {
		for (size_t i = 0; i < bytes; i++)
			buf[i] = (unsigned char)random();
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * bytes] = 0;
}

/* Answers the request being delivered on nh with one of our replies. */
static void reply_nh(nua_t *nua, nua_handle_t *nh, enum reply_id id)
{
	const struct reply *r = reply_get(id);
	char ra[16];

	snprintf(ra, sizeof(ra), "%d", r->retry_after);
	nua_respond(nh, r->code, r->reason, NUTAG_WITH_THIS(nua),
		    TAG_IF(r->retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)), TAG_END());
}

static struct leg *leg_new(struct sip_stack *st)
{
	struct leg *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->st = st;
	l->next = st->legs;
	if (st->legs)
		st->legs->prev = l;
	st->legs = l;
	st->n_legs++;
	return l;
}

/* Drops the leg's reference on its call (the call may go with it). */
static void leg_drop_call(struct leg *l)
{
	struct call *c = l->call;

	l->call = NULL;
	if (c)
		call_unref(c);
}

/* Ends the leg's protocol state now; its memory goes at the next prepoll,
 * so whatever callback is running may still read it. */
static void leg_destroy(struct leg *l)
{
	struct sip_stack *st = l->st;

	if (l->destroyed)
		return;
	l->destroyed = 1;
	if (l->saved_method) {
		nua_destroy_event(l->saved);
		l->saved_method = 0;
	}
	if (l->nh) {
		nua_handle_bind(l->nh, NULL);
		nua_handle_destroy(l->nh);
		l->nh = NULL;
	}
	leg_drop_call(l);
	if (l->prev)
		l->prev->next = l->next;
	else
		st->legs = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = NULL;
	l->next = st->graveyard;
	st->graveyard = l;
}

/* The loop's prepoll hook: nothing runs on any leg between two polls. */
static void tls_failures(struct sip_stack *st);

static void reap(struct sip_stack *st, su_root_t *root)
{
	(void)root;
	if (st->ntls_ev)
		tls_failures(st);
	while (st->graveyard) {
		struct leg *l = st->graveyard;

		st->graveyard = l->next;
		st->n_legs_freed++;
		sip_trace_leg_gone(st->trace, l->call_id);
		free(l->sent_sdp);
		free(l);
	}
}

/* A released leg whose dialog is over (or can never start) goes. */
static void leg_settle(struct leg *l)
{
	if (l->released && (l->terminated || l->challenged || !l->nh))
		leg_destroy(l);
}

/* Ends leg B l at once as the stack's own TLS failure (cause "tls", why
 * the CDR's reason): the core moves on to the next route. nua never
 * heard of the failure, so the handle goes with its INVITE. */
static void leg_tls_fail(struct leg *l, const char *why)
{
	struct leg_response r;

	memset(&r, 0, sizeof(r));
	l->core_reqs[METHOD_INVITE]--;
	r.method = METHOD_INVITE;
	r.code = SC_SERVICE_UNAVAILABLE;
	r.reason = sip_status_phrase(SC_SERVICE_UNAVAILABLE);
	r.realm = "";
	r.local_cause = "tls";
	r.local_detail = why;
	log_warn("call %s: leg %s: %s", l->a_call_id, l->call_id, why);
	call_on_response(l->call, l, &r);
	if (l->released)
		leg_destroy(l);
}

/* The legs a TLS failure read from Sofia's log belongs to: with a host,
 * every leg B of a verifying nua to it that has heard nothing yet; with
 * none (a chain that did not verify), the one such leg whose INVITE left
 * in the last seconds, when it is the only one and no OPTIONS probe
 * went out on TLS meanwhile; else none can be told apart: they end at
 * trunk_timeout, as before. */
static void tls_failures(struct sip_stack *st)
{
	int64_t now = clock_mono_ms();

	for (int i = 0; i < st->ntls_ev; i++) {
		const char *host = st->tls_ev[i].host;
		char why[256];
		int n = 0;

		for (struct leg *l = st->legs; l; l = l->next) {
			int near = now - l->invite_ms <= 3000;

			if (!l->tls_host[0] || !l->call || l->released || l->heard || l->answered ||
			    l->core_reqs[METHOD_INVITE] <= 0)
				continue;
			if (*host ? strcasecmp(l->tls_host, host) == 0 : near) {
				l->tls_doomed = 1;
				n++;
			}
		}
		if (!*host && (n > 1 || (n && now - st->tls_probe_ms <= 3000))) {
			log_warn("a trunk's TLS certificate did not verify (%s); %d calls were connecting: "
				 "cannot tell whose, they end at trunk_timeout", st->tls_ev[i].why, n);
			for (struct leg *l = st->legs; l; l = l->next)
				l->tls_doomed = 0;
			continue;
		}
		if (*host)
			snprintf(why, sizeof(why), "TLS: trunk certificate does not name %s", host);
		else
			snprintf(why, sizeof(why), "TLS: trunk certificate did not verify (%s)", st->tls_ev[i].why);
		for (;;) {
			struct leg *l = st->legs;

			while (l && !l->tls_doomed)
				l = l->next;
			if (!l)
				break;
			l->tls_doomed = 0;
			leg_tls_fail(l, why);
		}
	}
	st->ntls_ev = 0;
}

static const struct sockaddr *request_source(nua_t *nua)
{
	msg_t *m = nua_current_request(nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;

	return ai ? ai->ai_addr : NULL;
}

int sip_stack_response_is_local(nua_t *nua)
{
	msg_t *m = nua_current_request(nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;

	return ai && ai->ai_family == 0;
}

static struct sip_nua *sip_nua_of(struct sip_stack *st, const nua_t *nua)
{
	for (int i = 0; i < st->nnuas; i++)
		if (st->nuas[i].nua == nua)
			return &st->nuas[i];
	return NULL;
}

/* What the stack found when it made the response itself: ICMP
 * unreachable, a refused connection, no transport (503) or no answer at
 * all (408); on a TLS nua its 503 is a failed TLS connection: refused, a
 * failed handshake, or a certificate that did not verify (Sofia closes
 * the connection and tells nothing more). NULL when a peer sent it. */
static const char *local_cause(struct sip_stack *st, nua_t *nua, int status)
{
	const struct sip_nua *n;

	if (!sc_failure(status) || !sip_stack_response_is_local(nua))
		return NULL;
	if (status == SC_REQUEST_TIMEOUT)
		return "timeout";
	n = sip_nua_of(st, nua);
	return n && n->has_tls ? "tls" : "unreachable";
}

/* The instance requests toward a trunk leave from: a tls trunk gets a
 * TLS nua or none (never another transport: the policy check refuses such
 * a trunk when there is no tls: listener), verifying its certificate
 * unless tls_verify is 0 or [tls] verify = no; any other trunk never a
 * TLS one. Among those, the best match of transport, interface iface
 * (NULL or "": the default, the first listen's) and the peer's address
 * family (host, when numeric IPv6), in that order of weight. */
static struct sip_nua *nua_for(struct sip_stack *st, const char *transport, int tls_verify, const char *iface,
			       const char *host)
{
	int want_tcp = transport && strcasecmp(transport, "tcp") == 0;
	int want_tls = transport && strcasecmp(transport, "tls") == 0;
	int want_v6 = host && strchr(host, ':') != NULL, best = -1, best_score = -1;

	if (!st->nnuas)
		return NULL;
	if (!iface || !*iface)
		iface = st->nuas[0].addr.name;
	tls_verify = tls_verify && st->cfg->tls_verify;
	for (int i = 0; i < st->nnuas; i++) {
		const struct sip_nua *n = &st->nuas[i];
		int score;

		if (want_tls ? !n->has_tls || n->tls_verify != tls_verify : n->has_tls)
			continue;
		score = (want_tls || (want_tcp ? n->has_tcp : n->has_udp)) * 4 + (strcmp(n->addr.name, iface) == 0) * 2 +
			((strchr(n->addr.host, ':') != NULL) == want_v6);
		if (score > best_score) {
			best = i;
			best_score = score;
		}
	}
	return best < 0 ? NULL : &st->nuas[best];
}

/* The interface name of the instance an event came on ("" unnamed). */
static const char *nua_iface(struct sip_stack *st, nua_t *nua)
{
	for (int i = 0; i < st->nnuas; i++)
		if (st->nuas[i].nua == nua)
			return st->nuas[i].addr.name;
	return "";
}

static const char *our_host(struct sip_stack *st, const struct sip_nua *n, char *buf, size_t cap)
{
	const char *h = n->addr.advertise[0] ? n->addr.advertise : st->cfg->advertise[0] ? st->cfg->advertise
											: n->addr.host;

	if (strchr(h, ':'))
		snprintf(buf, cap, "[%s]", h);
	else
		snprintf(buf, cap, "%s", h);
	return buf;
}

/* Escapes '"' and '\\' for a quoted display name. */
static const char *display_quote(const char *d, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *d && n + 2 < cap; d++) {
		if (*d == '"' || *d == '\\')
			buf[n++] = '\\';
		buf[n++] = *d;
	}
	buf[n] = 0;
	return buf;
}

#define ALLOW_BASE "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO"
#define EXT_100REL "100rel"   /* RFC 3262's option tag */

/* A leg's dialog takes REFER (transfer: call_xfer.c), and says so. */
static void leg_allow_refer(nua_handle_t *nh)
{
	nua_set_hparams(nh, NUTAG_ALLOW(ALLOW_BASE ", REFER"), TAG_END());
}

/* A trunk's dialog policy on its leg's handle: whether 100rel is offered
 * (nua makes nothing reliable on a handle that does not support it) and
 * its own session interval (never below [call] min_se: nua would offer
 * what it then refuses). */
static void leg_dialog_params(struct leg *l, enum policy_rel100 rel100, int session_expires)
{
	int se = session_expires > 0 && session_expires < l->st->cfg->min_se_s ? l->st->cfg->min_se_s
									      : session_expires;

	if (!l->nh || (rel100 != POLICY_REL100_OFF && se < 0))
		return;
	nua_set_hparams(l->nh, TAG_IF(rel100 == POLICY_REL100_OFF, NUTAG_SUPPORTED("timer")),
			TAG_IF(se >= 0, NUTAG_SESSION_TIMER(se)), TAG_END());
}

/* Remembers the SDP we send on l (a refresh's 2xx offer is answered
 * with it). */
static void leg_sent_sdp(struct leg *l, const char *sdp)
{
	char *copy;

	if (!sdp || !(copy = strdup(sdp)))
		return;
	free(l->sent_sdp);
	l->sent_sdp = copy;
}

/* RFC 3311 5.1: UPDATE only toward a peer whose Allow lists it; nua's
 * refresh is a re-INVITE otherwise (an UPDATE got 501 and nua then ended
 * the session, issue 10's baresip call). */
static void leg_learn_allow(struct leg *l, const sip_t *sip)
{
	int update = sip_read_allows_update(sip);

	if (!l->nh || !sip || !sip->sip_allow || update == (int)l->peer_update)
		return;
	l->peer_update = update != 0;
	nua_set_hparams(l->nh, NUTAG_UPDATE_REFRESH(update), TAG_END());
}

/* ---- leg_ops ---- */

static struct leg *op_invite(void *ctx, struct call *c, const struct leg_invite *inv)
{
	struct sip_stack *st = ctx;
	struct sip_nua *n = nua_for(st, inv->trunk->transport, inv->trunk->tls_verify, inv->trunk->iface,
				    inv->trunk->host);
	char cid[40], from[256], to[256], ruri[320], host[80], mf[16], thost[280];
	char pai[256], extra[2048], dq[136];
	size_t elen = 0;
	struct leg *l;
	/* RFC 5630 3.1.3: TLS toward the trunk with a sip: URI and
	 * ;transport=tls (sips: would ask TLS of every hop beyond it). */
	const char *tport = strcasecmp(inv->trunk->transport, "tcp") == 0   ? ";transport=tcp"
			    : strcasecmp(inv->trunk->transport, "tls") == 0 ? ";transport=tls"
									  : "";

	if (!n) {
		log_error("no listener serves transport %s of trunk %s", inv->trunk->transport, inv->trunk->name);
		return NULL;
	}
	l = leg_new(st);
	if (!l)
		return NULL;
	sip_random_hex(cid, 16);
	snprintf(l->call_id, sizeof(l->call_id), "%s", cid);
	snprintf(l->a_call_id, sizeof(l->a_call_id), "%s", call_id(c));
	sip_trace_leg(st->trace, l->call_id, l->a_call_id);
	our_host(st, n, host, sizeof(host));
	if (strchr(inv->trunk->host, ':'))
		snprintf(thost, sizeof(thost), "[%s]", inv->trunk->host);
	else
		snprintf(thost, sizeof(thost), "%s", inv->trunk->host);
	if (inv->trunk->port)
		snprintf(thost + strlen(thost), sizeof(thost) - strlen(thost), ":%d", inv->trunk->port);
	/* RFC 3323 4.1.1.3: an anonymous From names no host of ours either. */
	if (inv->anonymous)
		snprintf(from, sizeof(from), "\"%s\" <sip:anonymous@anonymous.invalid>",
			 display_quote(inv->from_display && *inv->from_display ? inv->from_display : "Anonymous", dq,
				       sizeof(dq)));
	else if (inv->from_display && *inv->from_display)
		snprintf(from, sizeof(from), "\"%s\" <sip:%s@%s>", display_quote(inv->from_display, dq, sizeof(dq)),
			 *inv->from_user ? inv->from_user : "anonymous", host);
	else
		snprintf(from, sizeof(from), "<sip:%s@%s>", *inv->from_user ? inv->from_user : "anonymous",
			 host);
	snprintf(to, sizeof(to), "<sip:%s@%s>", inv->to_user, thost);
	snprintf(ruri, sizeof(ruri), "sip:%s@%s%s", inv->ruri_user, thost, tport);
	snprintf(mf, sizeof(mf), "%d", inv->max_forwards);
	extra[0] = 0;
	if (inv->pai_user) {
		snprintf(pai, sizeof(pai), "P-Asserted-Identity: <sip:%s@%s>\r\n", inv->pai_user, host);
		elen += snprintf(extra + elen, sizeof(extra) - elen, "%s", pai);
	}
	for (size_t i = 0; i < inv->nhdrs && elen < sizeof(extra); i++)
		elen += snprintf(extra + elen, sizeof(extra) - elen, "%s: %s\r\n", inv->hdrs[i].name,
				 inv->hdrs[i].value);
	if (elen >= sizeof(extra))
		extra[0] = 0;   /* never send a truncated header */
	else if (elen >= 2)
		extra[elen - 2] = 0;   /* nua adds the last CRLF */

	l->nh = nua_handle(n->nua, l, SIPTAG_CALL_ID_STR(cid), SIPTAG_FROM_STR(from),
			   SIPTAG_TO_STR(to), TAG_END());
	if (!l->nh) {
		log_error("cannot create a SIP handle (From %s, To %s)", from, to);
		l->released = 1;
		leg_destroy(l);
		return NULL;
	}
	l->call = call_ref(c);
	l->offerless = !inv->sdp;
	l->invite_had_sdp = inv->sdp != NULL;
	leg_sent_sdp(l, inv->sdp);
	leg_allow_refer(l->nh);
	if (!inv->sdp) {
		l->own_prack = 1;
		nua_set_hparams(l->nh, NUTAG_APPL_METHOD("PRACK"), TAG_END());
	}
	leg_dialog_params(l, inv->rel100, inv->session_expires);
	l->core_reqs[METHOD_INVITE] = 1;
	if (n->has_tls && n->tls_verify)
		snprintf(l->tls_host, sizeof(l->tls_host), "%s", inv->trunk->host);
	l->invite_ms = clock_mono_ms();
	nua_invite(l->nh, NUTAG_URL(ruri), SIPTAG_MAX_FORWARDS_STR(mf),
		   TAG_IF(inv->rel100 == POLICY_REL100_REQUIRED, SIPTAG_REQUIRE_STR(EXT_100REL)),
		   TAG_IF(inv->sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		   TAG_IF(inv->sdp, SIPTAG_PAYLOAD_STR(inv->sdp)),
		   TAG_IF(extra[0], SIPTAG_HEADER_STR(extra)), TAG_END());
	return l;
}

/* nua_respond() keeps the phrase pointer until its signal runs on a later
 * loop turn, so the phrase must outlive this call: a copy in the handle's
 * home (freed with the handle) when it is not Sofia's own static text. */
static const char *phrase_keep(struct leg *l, int code, const char *reason)
{
	const char *std = sip_status_phrase(code);

	if (!reason || !*reason || (std && strcmp(std, reason) == 0))
		return std ? std : "Unknown";
	return su_strdup(nua_handle_home(l->nh), reason);
}

static void op_respond(struct leg *l, int code, const char *reason, const char *sdp, int retry_after,
		       int reliable)
{
	int ext_required = reply_get(RP_EXTENSION_REQUIRED)->code, bad_ext = reply_get(RP_BAD_EXTENSION)->code;
	char ra[16];

	if (!l->nh || l->terminated)
		return;
	leg_sent_sdp(l, sdp);
	snprintf(ra, sizeof(ra), "%d", retry_after);
	/* RFC 3261 21.4.13: a 415 says what we take. RFC 3262: Require:
	 * 100rel makes nua send an 18x reliably (and a 421 asks for it); a
	 * 420 names what we refuse. */
	nua_respond(l->nh, code, phrase_keep(l, code, reason),
		    TAG_IF(code == SC_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR("application/sdp")),
		    TAG_IF((reliable && sc_provisional(code)) || code == ext_required, SIPTAG_REQUIRE_STR(EXT_100REL)),
		    TAG_IF(code == bad_ext, SIPTAG_UNSUPPORTED_STR(EXT_100REL)),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
		    TAG_END());
}

static void op_respond_req(struct leg *l, int method, int code, const char *reason, const char *ctype,
			   const char *body)
{
	(void)method;
	if (!l->nh || !l->saved_method)
		return;
	if (ctype && strcasecmp(ctype, "application/sdp") == 0)
		leg_sent_sdp(l, body);
	nua_respond(l->nh, code, phrase_keep(l, code, reason), NUTAG_WITH_SAVED(l->saved),
		    TAG_IF(ctype && body, SIPTAG_CONTENT_TYPE_STR(ctype)),
		    TAG_IF(ctype && body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
	nua_destroy_event(l->saved);
	l->saved_method = 0;
}

static void op_configure(struct leg *l, enum policy_rel100 rel100, int session_expires)
{
	leg_dialog_params(l, rel100, session_expires);
}

static void op_cancel(struct leg *l, const char *reason)
{
	if (l->nh && !l->terminated)
		nua_cancel(l->nh, TAG_IF(reason, SIPTAG_REASON_STR(reason)), TAG_END());
}

/* ACKs (nua's AUTOACK is off) carry the answer to a 2xx's offer. */
static void op_ack(struct leg *l, const char *sdp)
{
	if (!l->nh || l->terminated || !l->ack_owed)
		return;
	l->ack_owed = 0;
	leg_sent_sdp(l, sdp);
	nua_ack(l->nh, TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
}

/* The PRACK of the reliable 18x whose SDP offered (RFC 3262 5): sdp is
 * the answer. Offer and answer are done: the 2xx offers nothing more. */
static void op_prack(struct leg *l, const char *sdp)
{
	if (!l->nh || l->terminated || !l->prack_owed)
		return;
	l->prack_owed = 0;
	l->offerless = 0;
	leg_sent_sdp(l, sdp);
	nua_prack(l->nh, SIPTAG_RACK_STR(l->rack), TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		  TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
}

/* An owed ACK goes first (without AUTOACK, nua_bye does not send it:
 * the peer would see a BYE for a 2xx it still retransmits). */
static void op_bye(struct leg *l, const char *reason)
{
	if (l->nh && !l->terminated && !l->bye_sent) {
		l->bye_sent = 1;
		if (l->ack_owed)
			nua_ack(l->nh, TAG_END());
		l->ack_owed = 0;
		nua_bye(l->nh, TAG_IF(reason, SIPTAG_REASON_STR(reason)), TAG_END());
	}
}

static void op_authenticate(struct leg *l, const char *realm, const char *user, const char *password)
{
	char cred[400];

	if (!l->nh || !l->challenged)
		return;
	snprintf(cred, sizeof(cred), "Digest:\"%s\":%s:%s", realm, user, password);
	l->challenged = 0;
	nua_authenticate(l->nh, NUTAG_AUTH(cred), TAG_END());
}

static void op_request(struct leg *l, int method, const char *ctype, const char *body)
{
	if (!l->nh || l->terminated)
		return;
	if (method > 0 && method < METHOD_REFER)
		l->core_reqs[method]++;
	switch (method) {
	case METHOD_INVITE:
		l->offerless = !body;
		l->invite_had_sdp = body != NULL;
		leg_sent_sdp(l, body);
		nua_invite(l->nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			   TAG_IF(body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	case METHOD_UPDATE:
		leg_sent_sdp(l, body);
		nua_update(l->nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
			   TAG_IF(body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	case METHOD_INFO:
		nua_info(l->nh, TAG_IF(ctype && body, SIPTAG_CONTENT_TYPE_STR(ctype)),
			 TAG_IF(ctype && body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
		break;
	}
}

/* RFC 3515 2.4.4-2.4.5: the subscription the REFER made reports the new
 * call's progress as a status line; the phrase is the standard one, so
 * nothing of the new leg's side reaches the transferor. */
static void op_notify(struct leg *l, int code, int final)
{
	const char *phrase = sip_status_phrase(code);
	char frag[64];

	if (!l->nh || l->terminated || !l->refer_event[0])
		return;
	snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", code, phrase ? phrase : "Unknown");
	nua_notify(l->nh, NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   SIPTAG_EVENT_STR(l->refer_event), SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
		   SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

static void op_rebind(struct leg *l, struct call *c)
{
	struct call *old = l->call;

	l->call = call_ref(c);
	snprintf(l->a_call_id, sizeof(l->a_call_id), "%s", call_id(c));
	sip_trace_leg(l->st->trace, l->call_id, l->a_call_id);
	if (old)
		call_unref(old);
}

static const char *op_call_id(struct leg *l)
{
	return l->call_id;
}

static void op_release(struct leg *l)
{
	if (l->released)
		return;
	l->released = 1;
	if (l->saved_method) {
		/* A request nobody will relay any more still gets an answer. */
		const struct reply *r = reply_get(RP_NO_DIALOG);

		nua_respond(l->nh, r->code, r->reason, NUTAG_WITH_SAVED(l->saved), TAG_END());
		nua_destroy_event(l->saved);
		l->saved_method = 0;
	}
	leg_drop_call(l);
	leg_settle(l);
}

static const struct leg_ops leg_ops = {
	.invite = op_invite,
	.respond = op_respond,
	.configure = op_configure,
	.respond_req = op_respond_req,
	.authenticate = op_authenticate,
	.cancel = op_cancel,
	.ack = op_ack,
	.prack = op_prack,
	.bye = op_bye,
	.request = op_request,
	.notify = op_notify,
	.rebind = op_rebind,
	.call_id = op_call_id,
	.release = op_release,
};

const struct leg_ops *sip_stack_leg_ops(void)
{
	return &leg_ops;
}

/* ---- timers ---- */

static void timer_fired(void *magic, su_timer_t *t, struct call *c)
{
	(void)magic;
	for (int i = 0; i < TIMER__N; i++) {
		if (call_get_timer_slot(c, i) == t) {
			call_set_timer_slot(c, i, NULL);
			su_timer_destroy(t);
			call_on_timer(c, i);
			call_unref(c);
			return;
		}
	}
}

static void op_timer_cancel(void *ctx, struct call *c, enum call_timer which)
{
	su_timer_t *t = call_get_timer_slot(c, which);

	(void)ctx;
	if (t) {
		call_set_timer_slot(c, which, NULL);
		su_timer_destroy(t);
		call_unref(c);
	}
}

static void op_timer_set(void *ctx, struct call *c, enum call_timer which, int64_t ms)
{
	struct sip_stack *st = ctx ? ctx : g_timer_stack;
	su_timer_t *t;

	op_timer_cancel(ctx, c, which);
	t = su_timer_create(su_root_task(st->root), ms);
	if (!t)
		return;
	if (su_timer_set(t, timer_fired, c) < 0) {
		su_timer_destroy(t);
		return;
	}
	call_set_timer_slot(c, which, t);
	call_ref(c);
}

static const struct timer_ops timer_ops = {.set = op_timer_set, .cancel = op_timer_cancel};

const struct timer_ops *sip_stack_timer_ops(void)
{
	return &timer_ops;
}

/* ---- trunk registrations (struct reg_ops) ---- */

/* RFC 3261 10.2: To and From are the AOR, sip:username@host (the
 * carrier's domain, no port: what carriers provision), the Request-URI
 * the registrar (host, port, transport), the Contact our own listen
 * address (or [sip] advertise) with the username as its user, so the
 * carrier's INVITE to it names the trunk. nua's outbound engine (on by
 * default, "natify") is kept from acting: it would rewrite the Contact
 * from Via's received/rport and send OPTIONS keepalives of its own (seen
 * by the register_trunk flow's registrar). NUTAG_OUTBOUND(NULL) is
 * ignored by nua; its options say no instead. */
static struct reg_handle *reg_open(void *ctx, struct trunk_reg_entry *owner, const struct reg_target *t)
{
	struct sip_stack *st = ctx;
	struct sip_nua *n = nua_for(st, t->transport, 1, NULL, t->host);   /* udp or tcp: trunk_reg.c takes no tls trunk */
	int tcp = strcasecmp(t->transport, "tcp") == 0;
	struct reg_handle *h;
	char aor[384], thost[280];

	if (!n || !(h = calloc(1, sizeof(*h))))
		return NULL;
	if (strchr(t->host, ':'))
		snprintf(thost, sizeof(thost), "[%s]", t->host);
	else
		snprintf(thost, sizeof(thost), "%s", t->host);
	snprintf(aor, sizeof(aor), "<sip:%s@%s>", t->username, thost);
	if (t->port)
		snprintf(h->url, sizeof(h->url), "sip:%s:%d%s", thost, t->port, tcp ? ";transport=tcp" : "");
	else
		snprintf(h->url, sizeof(h->url), "sip:%s%s", thost, tcp ? ";transport=tcp" : "");
	our_host(st, n, h->chost, sizeof(h->chost));
	h->cport = n->addr.port;
	snprintf(h->user, sizeof(h->user), "%s", t->username);
	snprintf(h->contact, sizeof(h->contact), "<sip:%s@%s:%d%s>", t->username, h->chost, h->cport,
		 tcp ? ";transport=tcp" : "");
	h->nh = nua_handle(n->nua, NULL, SIPTAG_FROM_STR(aor), SIPTAG_TO_STR(aor), TAG_END());
	if (!h->nh) {
		log_error("trunk %s: cannot create a SIP handle for REGISTER", t->trunk);
		free(h);
		return NULL;
	}
	nua_set_hparams(h->nh, NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate"), TAG_END());
	h->st = st;
	h->owner = owner;
	h->next = st->regs;
	st->regs = h;
	return h;
}

static void reg_send(struct reg_handle *h, int expires)
{
	char ex[16];

	snprintf(ex, sizeof(ex), "%d", expires);
	nua_register(h->nh, NUTAG_URL(h->url), SIPTAG_CONTACT_STR(h->contact), SIPTAG_EXPIRES_STR(ex), TAG_END());
}

static void reg_authenticate(struct reg_handle *h, const char *realm, const char *user, const char *password)
{
	char cred[400];

	snprintf(cred, sizeof(cred), "Digest:\"%s\":%s:%s", realm, user, password);
	nua_authenticate(h->nh, NUTAG_AUTH(cred), TAG_END());
}

static void reg_unregister(struct reg_handle *h)
{
	nua_unregister(h->nh, NUTAG_URL(h->url), SIPTAG_CONTACT_STR(h->contact), SIPTAG_EXPIRES_STR("0"),
		       TAG_END());
}

/* Never called from the handle's own event (trunk_reg.c closes at its
 * tick); no event comes for it afterwards. */
static void reg_close(struct reg_handle *h)
{
	struct reg_handle **pp = &h->st->regs;

	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp)
		*pp = h->next;
	nua_handle_destroy(h->nh);
	free(h);
}

static const struct reg_ops reg_ops = {
	.open = reg_open,
	.send = reg_send,
	.authenticate = reg_authenticate,
	.unregister = reg_unregister,
	.close = reg_close,
};

const struct reg_ops *sip_stack_reg_ops(void)
{
	return &reg_ops;
}

void sip_stack_set_reg(struct sip_stack *st, struct trunk_reg *reg)
{
	st->reg = reg;
}

/* A response to one of our REGISTERs, as plain data for trunk_reg.c. */
static void on_register(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, nua_event_t event, int status,
			const char *phrase, const sip_t *sip)
{
	struct reg_handle *h = st->regs;
	struct reg_response r;
	msg_t *m = nua_current_request(nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;
	char realm[128] = "", nonce[128] = "";

	while (h && h->nh != nh)
		h = h->next;
	if (!h || !st->reg)
		return;
	memset(&r, 0, sizeof(r));
	r.code = status;
	r.phrase = phrase;
	/* sofia-nua.md 10: a response nta made itself has no address. */
	r.local = !sip || !ai || ai->ai_family == 0;
	r.src = r.local ? NULL : ai->ai_addr;
	r.unregister = event == nua_r_unregister;
	if (sip && (status == SC_UNAUTHORIZED || status == SC_PROXY_AUTH))
		sip_read_challenge(sip, status, realm, sizeof(realm), nonce, sizeof(nonce));
	r.realm = realm;
	r.nonce = nonce;
	r.granted = sip && sc_success(status) ? sip_read_granted(sip, h->user, h->chost, h->cport) : -1;
	trunk_reg_on_response(st->reg, h->owner, &r, clock_mono_ms());
}

/* ---- nua events ---- */

/* A trunk's source (trunk_sources), or the registrar of a trunk we are
 * registered with (its calls come to the Contact we registered). */
static int known_source(struct sip_stack *st, const struct sockaddr *sa, const sip_t *sip)
{
	const char *ruri_user = sip && sip->sip_request ? sip->sip_request->rq_url->url_user : NULL;

	return sa && st->core &&
	       (policy_trunk_by_addr(call_core_policy(st->core), sa) != NULL ||
		trunk_reg_match(st->reg, sa, ruri_user) != 0);
}

/* A trunk with transport tls is taken over TLS only: a request from its
 * address that reached a nua without TLS (UDP, TCP) is refused 403, and
 * logged at most once a second. 1 when it may go on. */
static int tls_as_asked(struct sip_stack *st, nua_t *nua, const struct sockaddr *sa, int64_t now)
{
	const struct policy_trunk *t = policy_trunk_by_addr(call_core_policy(st->core), sa);
	const struct sip_nua *n = sip_nua_of(st, nua);

	if (!t || strcasecmp(t->transport, "tls") != 0 || (n && n->has_tls))
		return 1;
	st->n_strangers++;
	if (now - st->stranger_log_ms >= 1000) {
		log_warn("refused a request of trunk %s: its transport is tls, this one came without TLS", t->name);
		st->stranger_log_ms = now;
	}
	return 0;
}

/* RFC 3261 26.2.2: a sips: Request-URI asks for TLS on every hop up to
 * us; one that came over UDP or TCP did not have it, and is refused 416
 * (logged at most once a second). 1 when it may go on. */
static int sips_as_asked(struct sip_stack *st, nua_t *nua, const sip_t *sip)
{
	const struct sip_nua *n = sip_nua_of(st, nua);
	int64_t now = clock_mono_ms();

	if (!sip || !sip->sip_request ||
	    sip->sip_request->rq_url->url_type != url_sips || (n && n->has_tls))
		return 1;
	if (now - st->sips_log_ms >= 1000) {
		log_warn("refused %s %s: a sips: Request-URI that came without TLS",
			 sip->sip_request->rq_method_name, sip->sip_call_id ? sip->sip_call_id->i_id : "-");
		st->sips_log_ms = now;
	}
	return 0;
}

/* Every request outside a dialog passes here before any state of ours
 * exists: over its source's rate (or banned) it gets 503, from a
 * stranger 403 (RFC 3261 21.4.4; with [sip] strangers = drop the kernel
 * filter keeps most of those away). Strangers are logged once a second,
 * never per request. 1 when the request may go on. */
static int admit(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	const struct sockaddr *sa = request_source(nua);
	int known = known_source(st, sa, sip);
	int64_t now = clock_mono_ms();

	if (!st->core || guard_check(st->guard, sa, known, now) != GUARD_PASS) {
		reply_nh(nua, nh, RP_RATE_LIMITED);
		return 0;
	}
	if (known && !tls_as_asked(st, nua, sa, now)) {
		reply_nh(nua, nh, RP_FORBIDDEN);
		return 0;
	}
	if (known && !sips_as_asked(st, nua, sip)) {
		reply_nh(nua, nh, RP_SIPS_INSECURE);
		return 0;
	}
	if (known)
		return 1;
	st->n_strangers++;
	if (now - st->stranger_log_ms >= 1000) {
		char addr[64] = "?";

		if (sa)
			getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
				    addr, sizeof(addr), NULL, 0, NI_NUMERICHOST);
		log_info("refused %s %s from %s: source is no known trunk (%llu more since the last line)",
			 sip && sip->sip_request ? sip->sip_request->rq_method_name : "request",
			 sip && sip->sip_call_id ? sip->sip_call_id->i_id : "-", addr,
			 (unsigned long long)st->strangers_unlogged);
		st->stranger_log_ms = now;
		st->strangers_unlogged = 0;
	} else {
		st->strangers_unlogged++;
	}
	reply_nh(nua, nh, RP_FORBIDDEN);
	return 0;
}

static void on_new_invite(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
	struct sip_read_invite r;
	struct leg *l;
	struct call *c;

	if (sip_read_invite(&r, sip, request_source(nua)) != 0) {
		reply_nh(nua, nh, RP_RURI_HEADERS);
		nua_handle_destroy(nh);
		return;
	}
	r.inv.reg_trunk_id = trunk_reg_match(st->reg, request_source(nua), r.inv.ruri_user);
	l = leg_new(st);
	if (!l) {
		sip_read_invite_done(&r);
		reply_nh(nua, nh, RP_INTERNAL);
		nua_handle_destroy(nh);
		return;
	}
	l->nh = nh;
	nua_handle_bind(nh, l);
	leg_allow_refer(nh);
	leg_learn_allow(l, sip);
	snprintf(l->call_id, sizeof(l->call_id), "%s", r.call_id);
	snprintf(l->a_call_id, sizeof(l->a_call_id), "%s", r.call_id);
	r.inv.iface = nua_iface(st, nua);
	/* The core answers and releases l itself when it refuses the call. */
	c = call_on_invite(st->core, l, &r.inv);
	if (c)
		l->call = call_ref(c);
	sip_read_invite_done(&r);
}

static int method_of(nua_event_t event)
{
	return event == nua_r_invite || event == nua_i_invite ? METHOD_INVITE
	       : event == nua_r_update || event == nua_i_update ? METHOD_UPDATE
								 : METHOD_INFO;
}

/* What a released leg still gets: a 2xx to an INVITE we gave up on (it
 * crossed our CANCEL, or came after a trunk timeout or failover) is ACKed
 * and the dialog it made is ended at once, or the carrier would keep a
 * call open that nobody bills. */
static void on_released_response(struct leg *l, nua_event_t event, int status)
{
	if (event == nua_r_invite && sc_success(status) && l->nh && !l->terminated && !l->bye_sent) {
		l->st->n_late_2xx++;
		l->bye_sent = 1;
		log_info("call %s: leg %s: %d after we gave up the INVITE: ACK and BYE", l->a_call_id, l->call_id,
			 status);
		nua_ack(l->nh, TAG_END());
		nua_bye(l->nh, TAG_END());
		return;
	}
	if (event == nua_r_invite && sc_success(status) && l->nh && !l->terminated)
		nua_ack(l->nh, TAG_END());   /* a 2xx crossing our BYE */
	if (event == nua_r_invite && (status == SC_UNAUTHORIZED || status == SC_PROXY_AUTH))
		l->challenged = 1;
	log_debug("call %s: leg %s: %s %d ignored (released)", l->a_call_id, l->call_id, nua_event_name(event),
		  status);
	leg_settle(l);
}

/* A reliable 18x on a handle that PRACKs by our hand: one whose SDP is
 * the first offer (our INVITE had none) waits for the core's answer (1),
 * any other is PRACKed now, without a body. */
static int reliable_provisional(struct leg *l, int mine, const sip_t *sip)
{
	char rack[sizeof(l->rack)];

	if (!l->own_prack || !sip || !sip->sip_rseq || !sip->sip_cseq)
		return 0;
	snprintf(rack, sizeof(rack), "%u %u INVITE", (unsigned)sip->sip_rseq->rs_response,
		 (unsigned)sip->sip_cseq->cs_seq);
	if (mine && l->offerless && !l->answered && !l->prack_owed && sip_read_is_sdp(sip)) {
		l->prack_owed = 1;
		memcpy(l->rack, rack, sizeof(rack));
		return 1;
	}
	nua_prack(l->nh, SIPTAG_RACK_STR(rack), TAG_END());
	return 0;
}

static void on_response(struct leg *l, nua_event_t event, int status, const char *phrase, const sip_t *sip,
			const char *local)
{
	struct leg_response r;
	char realm[128] = "", cuser[CALL_MAX_USER], chost[256];
	char *body;
	int m, mine, offers_early = 0;

	if (!l->call) {
		on_released_response(l, event, status);
		return;
	}
	m = method_of(event);
	mine = l->core_reqs[m] > 0;
	if (event == nua_r_invite && !local)
		l->heard = 1;
	if (event == nua_r_invite && sc_success(status)) {
		/* RFC 3264: the 2xx to our INVITE without SDP offers, and our
		 * ACK answers (the core sends it); any other 2xx is ACKed now,
		 * nua's own refresh included (a refresh re-INVITE is nua's
		 * only when a peer takes no UPDATE). */
		l->answered = 1;
		if (mine && l->offerless && sip_read_is_sdp(sip))
			l->ack_owed = 1;
		else if (!mine && !l->invite_had_sdp && sip_read_is_sdp(sip) && l->sent_sdp)
			nua_ack(l->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(l->sent_sdp),
				TAG_END());   /* nua's offerless refresh: the same media again */
		else
			nua_ack(l->nh, TAG_END());
	}
	if (event == nua_r_invite && mine && status > SC_TRYING)
		leg_learn_allow(l, sip);
	if (event == nua_r_invite && sc_provisional(status) && status > SC_TRYING)
		offers_early = reliable_provisional(l, mine, sip);
	/* Only answers to what the core sent are the core's; nua's own
	 * session refreshes (RFC 4028) are nua's. A challenge keeps the
	 * request alive (nua sends it again with credentials). */
	if (!mine) {
		log_debug("call %s: leg %s: %s %d to nua's own request", l->a_call_id, l->call_id,
			  nua_event_name(event), status);
		return;
	}
	if (sc_final(status) && status != SC_UNAUTHORIZED && status != SC_PROXY_AUTH)
		l->core_reqs[m]--;
	if (event == nua_r_invite && (status == SC_UNAUTHORIZED || status == SC_PROXY_AUTH)) {
		/* nua keeps the handle waiting for credentials. */
		l->challenged = 1;
		if (sip)
			sip_read_realm(sip, status, realm, sizeof(realm));
	}
	body = sip_read_body(sip);
	memset(&r, 0, sizeof(r));
	r.method = method_of(event);
	r.code = status;
	r.reason = phrase;
	r.ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	r.body = body;
	r.sdp = sip_read_is_sdp(sip) ? body : NULL;
	r.realm = realm;
	r.reliable = sip && sip->sip_rseq != NULL;
	r.offers_early = offers_early;
	r.local_cause = local;
	r.allows_update = sip_read_allows_update(sip);
	if (sc_redirect(status))
		sip_read_contact(sip, &r, cuser, sizeof(cuser), chost, sizeof(chost));
	if (sc_failure(status)) {
		struct leg_reason why;
		char buf[128];

		sip_read_reason(sip, &why, buf, sizeof(buf));
		r.q850 = why.q850;
	}
	call_on_response(l->call, l, &r);
	free(body);
}

static void on_in_dialog(nua_t *nua, struct leg *l, nua_event_t event, const sip_t *sip)
{
	int method = method_of(event);
	const char *ctype = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
	char *body;

	if (method != METHOD_INVITE) {
		if (l->saved_method) {
			reply_nh(nua, l->nh, RP_PENDING);
			return;
		}
		nua_save_event(nua, l->saved);
		l->saved_method = method;
	}
	body = sip_read_body(sip);
	call_on_request(l->call, l, method, ctype, body);
	free(body);
}

/* A REFER within a call: the core decides (transfer, or why not); a
 * refusal ends nua's implicit subscription without any NOTIFY. Outside
 * a call nua answers 405 itself (only legs' handles allow REFER). */
static void on_refer(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, struct leg *l, const sip_t *sip,
		     tagi_t tags[])
{
	const sip_event_t *ev = NULL;
	struct leg_refer r;
	char user[CALL_MAX_USER];

	if (!l) {   /* not allowed outside a leg: only if nua changes */
		if (admit(st, nua, nh, sip))
			reply_nh(nua, nh, RP_METHOD);
		nua_handle_destroy(nh);
		return;
	}
	if (!l->call) {
		reply_nh(nua, nh, RP_NO_DIALOG);
		return;
	}
	if (guard_check(st->guard, request_source(nua), 1, clock_mono_ms()) != GUARD_PASS) {
		reply_nh(nua, nh, RP_RATE_LIMITED);
		return;
	}
	if (l->saved_method) {
		reply_nh(nua, nh, RP_PENDING);
		return;
	}
	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), TAG_END());
	snprintf(l->refer_event, sizeof(l->refer_event), "%s%s%s", ev && ev->o_type ? ev->o_type : "refer",
		 ev && ev->o_id ? ";id=" : "", ev && ev->o_id ? ev->o_id : "");
	sip_read_refer(sip, &r, user, sizeof(user));
	nua_save_event(nua, l->saved);
	l->saved_method = METHOD_REFER;
	call_on_refer(l->call, l, &r);
}

static void on_options(struct sip_stack *st, nua_t *nua, nua_handle_t *nh, struct leg *l, const sip_t *sip)
{
	st->n_options++;
	if (l || admit(st, nua, nh, sip))
		reply_nh(nua, nh, RP_OK);
	if (!l)
		nua_handle_destroy(nh);
}

static void on_state(struct leg *l, int status, const char *phrase, tagi_t tags[])
{
	int cs = nua_callstate_init;

	tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (!l || cs != nua_callstate_terminated)
		return;
	l->terminated = 1;
	/* A BYE nua sent of its own: the session timer ran out unrefreshed
	 * (RFC 4028 10), or the caller never ACKed (the core knows that). */
	if (l->nua_bye)
		phrase = "Session timer expired";
	if (l->call)
		call_on_leg_dead(l->call, l, sc_failure(status) ? status : reply_get(RP_NO_DIALOG)->code,
				 phrase ? phrase : "Dialog terminated");
	leg_settle(l);
}

static void on_shutdown(struct sip_stack *st, nua_t *nua, int status)
{
	int all = 1;

	if (!sc_final(status))
		return;
	for (int i = 0; i < st->nnuas; i++) {
		if (st->nuas[i].nua == nua)
			st->nuas[i].down = 1;
		all &= st->nuas[i].down;
	}
	if (all && st->shutdown_done)
		st->shutdown_done(st->shutdown_arg);
}

/* Every nua event of every leg. l is NULL for a handle we never bound
 * (a new request) or unbound; a released leg's events are answered here. */
static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua, struct sip_stack *st,
		     nua_handle_t *nh, struct leg *l, sip_t const *sip, tagi_t tags[])
{
	log_debug("nua %s %d %s call %s leg %s%s", nua_event_name(event), status, phrase ? phrase : "",
		  l ? l->a_call_id : "-", l ? l->call_id : "-", l && !l->call ? " (released)" : "");
	switch (event) {
	case nua_i_invite:
		if (!l) {
			st->n_invites++;
			if (admit(st, nua, nh, sip))
				on_new_invite(st, nua, nh, sip);
			else
				nua_handle_destroy(nh);
		} else if (l->call)
			on_in_dialog(nua, l, event, sip);
		else
			reply_nh(nua, nh, RP_NO_DIALOG);
		return;
	case nua_i_update:
	case nua_i_info:
		if (l && l->call)
			on_in_dialog(nua, l, event, sip);
		else
			reply_nh(nua, nh, RP_NO_DIALOG);
		return;
	case nua_i_options:
		on_options(st, nua, nh, l, sip);
		return;
	case nua_i_ack:
		if (l && l->call) {
			char *body = sip_read_is_sdp(sip) ? sip_read_body(sip) : NULL;

			call_on_ack(l->call, l, body);
			free(body);
		}
		return;
	case nua_i_prack:
		/* nua answered it (PRACK is not an application method on
		 * leg A); its SDP answers our reliable 18x's offer. */
		if (l && l->call && sc_success(status)) {
			char *body = sip_read_is_sdp(sip) ? sip_read_body(sip) : NULL;

			call_on_prack(l->call, l, body);
			free(body);
		}
		return;
	case nua_i_cancel:
	case nua_i_bye:
		if (l && l->call) {
			struct leg_reason why;
			char buf[128];

			sip_read_reason(sip, &why, buf, sizeof(buf));
			if (event == nua_i_cancel)
				call_on_cancel(l->call, l, why.value || why.q850 ? &why : NULL);
			else
				call_on_bye(l->call, l, why.value || why.q850 ? &why : NULL);
		}
		return;
	case nua_r_invite:
	case nua_r_update:
	case nua_r_info:
		if (l) {
			const char *cause = local_cause(st, nua, status);
			const struct sip_nua *n = sip_nua_of(st, nua);

			if (cause && strcmp(cause, "tls") == 0)
				log_warn("call %s: leg %s: TLS connection to the trunk failed: refused, handshake failed%s",
					 l->a_call_id, l->call_id,
					 n && n->tls_verify ? ", or its certificate did not verify for its host" : "");
			on_response(l, event, status, phrase, sip, cause);
		}
		return;
	case nua_r_options:
		if (!l && st->options_fn)
			st->options_fn(st->options_arg, nua, nh, status, sip);
		return;
	case nua_r_bye:
		if (l && !l->bye_sent)
			l->nua_bye = 1;
		return;
	case nua_i_state:
		on_state(l, status, phrase, tags);
		return;
	case nua_r_shutdown:
		on_shutdown(st, nua, status);
		return;
	case nua_r_register:
	case nua_r_unregister:
		on_register(st, nua, nh, event, status, phrase, sip);
		return;
	case nua_i_refer:
		on_refer(st, nua, nh, l, sip, tags);
		return;
	case nua_i_message:
	case nua_i_subscribe:
	case nua_i_publish:
	case nua_i_notify:
	case nua_i_method:
	case nua_i_register:
		/* Nothing here is relayed. */
		if (l || admit(st, nua, nh, sip))
			reply_nh(nua, nh, RP_METHOD);
		if (!l)
			nua_handle_destroy(nh);
		return;
	default:
		return;
	}
}

/* ---- the stack ---- */

/* What one nua serves: udp and/or tcp on a's port, or TLS alone (tls
 * set) with certificates from certdir, verifying trunks' certificates
 * and host names or not (tls_verify), on port (0: a free one, for the
 * nua of trunks with tls_verify = 0 beside the verifying one). */
struct nua_spec {
	int udp, tcp, tls, tls_verify, port;
	const char *certdir;
};

static int add_nua(struct sip_stack *st, const struct config_listen *a, const struct nua_spec *sp, char *err,
		   size_t errlen)
{
	struct sip_nua *n = &st->nuas[st->nnuas];
	char url[256], host[80];
	/* Sofia 1.12 binds TLS only for a sips: URL ("sip:..;transport=tls"
	 * fails with EPROTONOSUPPORT): the scheme below says which. */
	const char *scheme = sp->tls ? "sips" : "sip";
	const char *transport = sp->tls                ? ""
				: sp->udp && sp->tcp ? ""
				: sp->udp            ? ";transport=udp"
						     : ";transport=tcp";
	const char *ua = st->cfg->user_agent;
	const char *adv = a->advertise[0] ? a->advertise : st->cfg->advertise;   /* NAT */
	int port = sp->tls ? sp->port : a->port;

	if (strchr(a->host, ':'))
		snprintf(host, sizeof(host), "[%s]", a->host);
	else
		snprintf(host, sizeof(host), "%s", a->host);
	if (adv[0])
		snprintf(url, sizeof(url), "%s:%s%s%s:%d;maddr=%s%s", scheme, strchr(adv, ':') ? "[" : "", adv,
			 strchr(adv, ':') ? "]" : "", port, a->host, transport);
	else
		snprintf(url, sizeof(url), "%s:%s:%d%s", scheme, host, port, transport);
	/* Our parser (P-Asserted-Identity parsed), and no message over 64 KB:
	 * nta answers a larger request 413 before it is ours (the default
	 * would take 2 MB per message over TCP). */
	n->nua = nua_create(st->root, on_event, st, NUTAG_URL(url), TPTAG_STUN_SERVER(0),
			    NTATAG_MCLASS(sip_read_mclass()), NTATAG_MAXSIZE(SIP_MAX_MESSAGE),
			    /* Outgoing connections: the chain must verify against
			     * [tls] ca, dates included, and the certificate name
			     * the host we connect to (CN or a DNS subjectAltName:
			     * Sofia 1.12 does not compare iPAddress entries).
			     * Incoming ones: no client certificate asked for. */
			    TAG_IF(sp->tls, TPTAG_CERTIFICATE(sp->certdir)),
			    TAG_IF(sp->tls, TPTAG_TLS_VERIFY_POLICY(sp->tls_verify ? TPTLS_VERIFY_SUBJECTS_OUT
										: TPTLS_VERIFY_NONE)),
			    TAG_IF(sp->tls, TPTAG_TLS_VERIFY_DATE(1)), TAG_END());
	if (!n->nua) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not local?)", url);
		return -1;
	}
	nua_set_params(n->nua, NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(0),
		       NUTAG_MEDIA_ENABLE(0), NUTAG_ENABLEMESSAGE(0),
		       /* RFC 4028 on each leg by itself: nua negotiates, refreshes
			* (a bodyless UPDATE, or a re-INVITE with the same media)
			* and ends a session nobody refreshed with a BYE. */
		       NUTAG_SESSION_TIMER(st->cfg->session_expires_s), NUTAG_MIN_SE(st->cfg->min_se_s),
		       /* Debian's nua follows a 302 or 305 by itself (an INVITE
			* to whatever host a trunk's Contact names) and re-sends
			* a request refused with a Retry-After once it has passed
			* (a trunk's 503 would hold the caller instead of failing
			* over): both decisions are the core's. */
		       NUTAG_AUTO302(0), NUTAG_AUTO305(0), NUTAG_MAX_RETRY_AFTER(0),
		       /* the peer refreshes unless it makes us; our refresh is
			* an UPDATE only where the peer allows one (leg_learn_allow) */
		       NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(0),
		       NUTAG_REFRESH_WITHOUT_SDP(1),
		       /* REFER is ours to answer (nua's automatic 202 made it
			* NOTIFY wherever a stranger's Contact said, wave 1). */
		       NUTAG_APPL_METHOD("INVITE, UPDATE, INFO, OPTIONS, REFER"),
		       /* Allow is what nua lets in at all: the rest gets its
			* stateless 405. REFER only within a call's dialog (each
			* leg's handle allows it, leg_allow_refer): outside one,
			* nua's implicit subscription would NOTIFY the REFER's
			* Contact whatever we answered. */
		       SIPTAG_ALLOW(SIP_NONE), NUTAG_ALLOW(ALLOW_BASE),
		       TAG_IF(!ua[0], SIPTAG_USER_AGENT(SIP_NONE)), TAG_IF(!ua[0], SIPTAG_SERVER(SIP_NONE)),
		       TAG_IF(ua[0], SIPTAG_USER_AGENT_STR(ua)), TAG_IF(ua[0], SIPTAG_SERVER_STR(ua)),
		       TAG_END());
	n->addr = *a;
	n->has_udp = sp->udp;
	n->has_tcp = sp->tcp;
	n->has_tls = sp->tls;
	n->tls_verify = sp->tls && sp->tls_verify;
	st->nnuas++;
	log_info("listening on %s%s", url,
		 !sp->tls ? "" : sp->tls_verify ? " (trunks' certificates verified)" : " (trunks' certificates not verified)");
	return 0;
}

/* A TLS failure read from Sofia's transport log (sofia_log.c): handled
 * at the next prepoll (tls_failures), outside Sofia. */
static void tls_failed(void *arg, const char *host, const char *why)
{
	struct sip_stack *st = arg;

	if (st->ntls_ev >= (int)(sizeof(st->tls_ev) / sizeof(st->tls_ev[0])))
		return;
	snprintf(st->tls_ev[st->ntls_ev].host, sizeof(st->tls_ev[0].host), "%s", host);
	snprintf(st->tls_ev[st->ntls_ev].why, sizeof(st->tls_ev[0].why), "%s", why);
	st->ntls_ev++;
}

/* A start-up that failed after some nua instances were made: nua_destroy
 * asserts unless each was shut down first, so they are, here and now. */
static void stack_abort(struct sip_stack *st)
{
	int all = 0;

	for (int i = 0; i < st->nnuas; i++)
		nua_shutdown(st->nuas[i].nua);
	for (int round = 0; round < 100 && !all; round++) {
		su_root_step(st->root, 50);
		all = 1;
		for (int i = 0; i < st->nnuas; i++)
			all &= st->nuas[i].down;
	}
	sip_stack_free(st);
}

/* A tls: address: the nua on its port verifies trunks' certificates
 * ([tls] verify = yes) and a second one, on a free port of the same
 * address, serves the trunks with tls_verify = 0; with verify = no, one
 * nua that verifies nothing. */
static int add_tls_nuas(struct sip_stack *st, const struct config_listen *a, const char *certdir, char *err,
			size_t errlen)
{
	struct nua_spec sp = {.tls = 1, .tls_verify = st->cfg->tls_verify, .port = a->port, .certdir = certdir};

	if (add_nua(st, a, &sp, err, errlen) != 0)
		return -1;
	if (!st->cfg->tls_verify)
		return 0;
	sp.tls_verify = 0;
	sp.port = 0;
	return add_nua(st, a, &sp, err, errlen);
}

int sip_stack_new(struct sip_stack **out, su_root_t *root, const struct config *cfg, char *err,
		  size_t errlen)
{
	struct sip_stack *st = calloc(1, sizeof(*st));
	int done[CONFIG_MAX_LISTEN] = {0};
	struct tls_conf *tls = NULL;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->root = root;
	st->cfg = cfg;
	{
		struct guard_config gc = {.rate_pps = cfg->rate_limit_pps, .ban_after = cfg->ban_after,
					  .ban_s = cfg->ban_time_s, .drop_strangers = cfg->drop_strangers};

		if (guard_new(&st->guard, &gc) != 0) {
			snprintf(err, errlen, "out of memory");
			free(st);
			return -1;
		}
	}
	if (su_root_add_prepoll(root, reap, st) != 0) {
		snprintf(err, errlen, "cannot install the loop's prepoll hook");
		free(st);
		return -1;
	}
	st->prepoll = 1;
	if (config_listens_on(cfg, "tls") && tls_conf_new(&tls, cfg, err, errlen) != 0) {
		stack_abort(st);
		return -1;
	}
	sofia_log_start(tls ? tls_failed : NULL, st);
	/* One nua per address:port; it serves every transport listed for it
	 * but TLS, which has nuas of its own (add_tls_nuas). */
	for (int i = 0; i < cfg->nlisten; i++) {
		struct nua_spec sp = {0};

		if (done[i])
			continue;
		if (strcmp(cfg->listen[i].proto, "tls") == 0) {
			done[i] = 1;
			if (add_tls_nuas(st, &cfg->listen[i], tls_conf_dir(tls), err, errlen) != 0) {
				tls_conf_free(tls);
				stack_abort(st);
				return -1;
			}
			continue;
		}
		for (int j = i; j < cfg->nlisten; j++) {
			if (strcmp(cfg->listen[j].host, cfg->listen[i].host) == 0 &&
			    cfg->listen[j].port == cfg->listen[i].port && strcmp(cfg->listen[j].proto, "tls") != 0) {
				done[j] = 1;
				sp.udp |= strcmp(cfg->listen[j].proto, "udp") == 0;
				sp.tcp |= strcmp(cfg->listen[j].proto, "tcp") == 0;
			}
		}
		if (add_nua(st, &cfg->listen[i], &sp, err, errlen) != 0) {
			tls_conf_free(tls);
			stack_abort(st);
			return -1;
		}
		if (guard_attach_port(st->guard, cfg->listen[i].port, err, errlen) <= 0) {
			if (!err[0])
				snprintf(err, errlen, "no SIP socket found on port %d for the filter",
					 cfg->listen[i].port);
			tls_conf_free(tls);
			stack_abort(st);
			return -1;
		}
	}
	/* Sofia has read the certificate files: the key's copy goes now. */
	tls_conf_free(tls);
	g_timer_stack = st;
	*out = st;
	return 0;
}

/* The networks the kernel filter lets through when strangers are
 * dropped: every trunk's sources, and the trunks' own numeric addresses
 * (their answers to our requests). */
static void allow_trunks(struct sip_stack *st)
{
	struct policy *p = st->core ? call_core_policy(st->core) : NULL;
	size_t nsrc, n, cap;
	struct policy_net *nets;

	if (!p || !st->cfg->drop_strangers)
		return;
	nsrc = policy_source_nets(p, NULL, 0);
	cap = nsrc + policy_trunk_count(p);
	nets = calloc(cap ? cap : 1, sizeof(*nets));
	if (!nets) {
		log_error("strangers = drop: out of memory, the filter is unchanged");
		return;
	}
	n = policy_source_nets(p, nets, nsrc);
	for (size_t i = 0; i < policy_trunk_count(p); i++) {
		const struct policy_trunk *t = policy_trunk_at(p, i);

		if (inet_pton(AF_INET, t->host, nets[n].addr) == 1) {
			nets[n].family = AF_INET;
			nets[n++].bits = 32;
		} else if (inet_pton(AF_INET6, t->host, nets[n].addr) == 1) {
			nets[n].family = AF_INET6;
			nets[n++].bits = 128;
		} else {
			log_warn("strangers = drop: trunk %s's host %s is not numeric: its answers are dropped",
				 t->name, t->host);
		}
	}
	guard_set_allowed(st->guard, nets, n);
	free(nets);
}

void sip_stack_set_core(struct sip_stack *st, struct call_core *core)
{
	st->core = core;
	allow_trunks(st);
}

void sip_stack_policy_changed(struct sip_stack *st)
{
	allow_trunks(st);
}

struct nua_s *sip_stack_nua_for(struct sip_stack *st, const char *transport, int tls_verify, const char *iface,
				const char *peer, char *host, size_t cap)
{
	struct sip_nua *n = nua_for(st, transport, tls_verify, iface, peer);

	if (!n)
		return NULL;
	if (n->has_tls && n->tls_verify)
		st->tls_probe_ms = clock_mono_ms();   /* see tls_failures */
	our_host(st, n, host, cap);
	return n->nua;
}

void sip_stack_on_options(struct sip_stack *st, sip_stack_options_fn *fn, void *arg)
{
	st->options_fn = fn;
	st->options_arg = arg;
}

/* Sofia's message log (TPTAG_LOG) on every nua; nua_set_params takes
 * effect on the next turn of the loop. */
static void trace_capture(void *ctx, int on)
{
	struct sip_stack *st = ctx;

	for (int i = 0; i < st->nnuas; i++)
		nua_set_params(st->nuas[i].nua, TPTAG_LOG(on), TAG_END());
}

static void trace_each_leg(void *ctx, struct sip_trace *tr)
{
	struct sip_stack *st = ctx;

	for (struct leg *l = st->legs; l; l = l->next)
		sip_trace_leg(tr, l->call_id, l->a_call_id);
}

static const struct sip_trace_ops trace_ops = {.capture = trace_capture, .each_leg = trace_each_leg};

void sip_stack_set_trace(struct sip_stack *st, struct sip_trace *tr)
{
	st->trace = tr;
	sofia_log_default(tr ? sip_trace_sofia_log : NULL, tr);
	if (tr)
		sip_trace_set_ops(tr, &trace_ops, st);
}

void sip_stack_tick(struct sip_stack *st)
{
	guard_tick(st->guard, clock_mono_ms());
}

size_t sip_stack_bans(struct sip_stack *st, char *buf, size_t cap)
{
	guard_tick(st->guard, clock_mono_ms());
	return guard_list(st->guard, buf, cap, clock_mono_ms());
}

int sip_stack_unban(struct sip_stack *st, const char *addr)
{
	return guard_unban(st->guard, addr);
}

void sip_stack_shutdown(struct sip_stack *st, void (*done)(void *), void *arg)
{
	st->shutdown_done = done;
	st->shutdown_arg = arg;
	for (int i = 0; i < st->nnuas; i++)
		nua_shutdown(st->nuas[i].nua);
	if (!st->nnuas && done)
		done(arg);
}

/* After nua_r_shutdown: the handles go with nua (never destroyed after
 * nua_destroy); legs still listed only lose their call reference. */
void sip_stack_free(struct sip_stack *st)
{
	if (!st)
		return;
	sofia_log_stop();
	if (st->trace)
		sip_trace_set_ops(st->trace, NULL, NULL);
	for (int i = 0; i < st->nnuas; i++)
		if (st->nuas[i].nua)
			nua_destroy(st->nuas[i].nua);
	while (st->legs) {
		struct leg *l = st->legs;

		st->legs = l->next;
		leg_drop_call(l);
		free(l->sent_sdp);
		free(l);
	}
	reap(st, st->root);
	if (st->prepoll)
		su_root_remove_prepoll(st->root);
	guard_free(st->guard);
	if (g_timer_stack == st)
		g_timer_stack = NULL;
	free(st);
}

size_t sip_stack_stats(struct sip_stack *st, char *buf, size_t cap)
{
	struct guard_stats gs;
	int n;

	guard_stats(st->guard, &gs);
	n = snprintf(buf, cap,
			 "sip_invites %llu\nsip_options %llu\nsip_strangers %llu\nsip_rate_limited %llu\n"
			 "sip_banned %llu\nbans_active %zu\nbans_total %llu\nsockets_filtered %d\n"
			 "sip_udp_rcvbuf %d\nlegs_open %llu\nsip_late_2xx_byed %llu\n",
			 (unsigned long long)st->n_invites, (unsigned long long)st->n_options,
			 (unsigned long long)st->n_strangers, (unsigned long long)gs.limited,
			 (unsigned long long)gs.banned, gs.active_bans, (unsigned long long)gs.bans, gs.sockets,
			 gs.udp_rcvbuf,
			 (unsigned long long)(st->n_legs - st->n_legs_freed),
			 (unsigned long long)st->n_late_2xx);

	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
