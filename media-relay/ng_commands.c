/*
 * ng_commands.c - the ng command table: what each command does with the
 * call model and what its reply says (rtpengine's shapes, so Kamailio's
 * rtpengine module and our b2bua's client read it alike).
 *
 * Owns: nothing beyond one request; the calls are calls.c's, touched only
 * under calls_lock, and only for the call-model part of a command: SDP
 * parsing and printing and the reply's encoding run outside it, so the
 * ng threads overlap. Must not touch sockets or packets.
 */
#include <stdarg.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "bencode.h"
#include "calls.h"
#include "ng_commands.h"
#include "relay_config.h"
#include "rlog.h"
#include "sdp_rewrite.h"

#define LIST_DEFAULT 32
#define LIST_MAX 4096

static int fail(struct ng_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ng_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *req_str(struct ng_req *r, const char *key)
{
	return bencode_dict_cstr(r->pool, r->d, key);
}

/* A key rtpengine accepts either as a list or as "flags" entries. */
static int req_has(struct ng_req *r, const char *key, const char *value)
{
	struct bencode *v = bencode_dict_get(r->d, key);

	if (v && v->type == BENCODE_LIST && bencode_list_has(v, value))
		return 1;
	if (v && v->type == BENCODE_STR && v->len == strlen(value) &&
	    strncasecmp(v->s, value, v->len) == 0)
		return 1;
	return 0;
}

static int cmd_ping(struct ng_req *r)
{
	bencode_dict_add_cstr(r->pool, r->reply, "result", "pong");
	return 0;
}

/* rtpengine's "direction" (a list of two interface names: where the
 * SDP comes from, where it goes) and "address family" (IP4 or IP6: what
 * the recipient of the rewritten SDP needs). Names are checked for shape
 * here and against the interfaces by calls.c. */
static int placement_of(struct ng_req *r, struct calls_sender *out)
{
	struct bencode *dir = bencode_dict_get(r->d, "direction");
	struct bencode *af = bencode_dict_get(r->d, "address family");
	int k = 0;

	out->family = AF_UNSPEC;
	if (dir) {
		if (dir->type != BENCODE_LIST)
			return fail(r, "direction is not a list");
		for (struct bencode *e = dir->child; e; e = e->next, k++) {
			if (k == 2 || e->type != BENCODE_STR || !relay_config_iface_name_ok(e->s, e->len))
				return fail(r, "direction: expected two interface names");
			out->iface[k] = bencode_pool_strndup(r->pool, e->s, e->len);
			if (!out->iface[k])
				return fail(r, "out of memory");
		}
		if (k == 1)
			return fail(r, "direction: expected two interface names");
	}
	if (af) {
		if (bencode_str_eq(af, "IP4"))
			out->family = AF_INET;
		else if (bencode_str_eq(af, "IP6"))
			out->family = AF_INET6;
		else
			return fail(r, "address family is not IP4 or IP6");
	}
	return 0;
}

/* Our keys beside the SDP: "latch" (sdp, learn, first: where the sender's
 * media may come from; learn when absent) and rtpengine's "received-from"
 * (["IP4", "192.0.2.1"]: where the sender's SIP came from). */
static int sender_of(struct ng_req *r, const char *tproto, struct calls_sender *out)
{
	const char *latch = req_str(r, "latch");
	struct bencode *rf = bencode_dict_get(r->d, "received-from");

	memset(out, 0, sizeof(*out));
	out->tproto = tproto;
	if (!latch || strcasecmp(latch, "learn") == 0)
		out->latch = STREAM_LATCH_LEARN;
	else if (strcasecmp(latch, "sdp") == 0)
		out->latch = STREAM_LATCH_SDP;
	else if (strcasecmp(latch, "first") == 0)
		out->latch = STREAM_LATCH_FIRST;
	else
		return fail(r, "latch is not sdp, learn or first");
	if (rf && rf->type == BENCODE_LIST && rf->child && rf->child->next &&
	    rf->child->next->type == BENCODE_STR)
		out->peer = bencode_pool_strndup(r->pool, rf->child->next->s, rf->child->next->len);
	return placement_of(r, out);
}

enum role { ROLE_OFFER, ROLE_ANSWER };

/* Offer and answer share one path: side s sent the SDP, side o gets the
 * rewritten one. The offer creates what is missing; both update. */
static int negotiate(struct ng_req *r, enum role role)
{
	const char *call_id = req_str(r, "call-id"), *from = req_str(r, "from-tag");
	const char *to = req_str(r, "to-tag"), *sdp = req_str(r, "sdp");
	const char *tproto = req_str(r, "transport-protocol");
	struct rewrite_info *info = NULL;
	struct rewrite_params *par = NULL;
	struct calls_sender sender;
	struct call *c;
	int s, o, fresh = 0, rc = -1;
	char *out = NULL;
	char (*protos)[32] = NULL;
	uint64_t serial = 0;

	if (!call_id || !*call_id)
		return fail(r, "missing call-id");
	if (!from || !*from)
		return fail(r, "missing from-tag");
	if (!sdp)
		return fail(r, "missing sdp");
	if (role == ROLE_ANSWER && (!to || !*to))
		return fail(r, "missing to-tag");
	if (tproto && strcasecmp(tproto, "RTP/AVP") && strcasecmp(tproto, "RTP/SAVP") &&
	    strcasecmp(tproto, "RTP/AVPF") && strcasecmp(tproto, "RTP/SAVPF"))
		return fail(r, "unsupported transport-protocol");
	if (sender_of(r, tproto, &sender) < 0)
		return -1;
	info = calloc(1, sizeof(*info));
	par = calloc(1, sizeof(*par));
	protos = calloc(REWRITE_MAX_MEDIA, sizeof(*protos));
	if (!info || !par || !protos) {
		fail(r, "out of memory");
		goto out;
	}
	if (rewrite_parse(sdp, strlen(sdp), info, r->err, sizeof(r->err)) < 0)
		goto out;
	if (info->nmedia == 0) {
		fail(r, "SDP has no media");
		goto out;
	}

	calls_lock(r->calls);
	c = calls_find(r->calls, call_id);
	if (role == ROLE_OFFER) {
		if (!c) {
			if (!(c = calls_create(r->calls, call_id, r->now_ms))) {
				fail(r, "out of memory");
				goto unlock;
			}
			fresh = 1;
		}
		s = call_side_of(c, from);
		if (s < 0)
			s = !c->tag[0] ? 0 : (!c->tag[1] ? 1 : -1);
		if (s < 0) {
			fail(r, "from-tag matches no side of the call");
			goto unlock;
		}
		o = !s;
		if (call_set_tag(c, s, from) < 0 || (to && *to && call_set_tag(c, o, to) < 0)) {
			fail(r, "out of memory");
			goto unlock;
		}
	} else {
		if (!c) {
			fail(r, "Unknown call-id");
			goto unlock;
		}
		o = call_side_of(c, from);
		s = call_side_of(c, to);
		if (o < 0 && s < 0) {
			fail(r, "Unknown tags");
			goto unlock;
		}
		if (o < 0)
			o = !s;
		s = !o;
		/* A forked or replaced answerer takes the side over. */
		if (call_set_tag(c, s, to) < 0) {
			fail(r, "out of memory");
			goto unlock;
		}
	}
	if (calls_negotiate(r->calls, c, s, role == ROLE_ANSWER, info, &sender, par, r->now_ms, r->err,
			    sizeof(r->err)) < 0)
		goto unlock;
	/* The protocols point into the call: copied, so the SDP is printed
	 * without the lock. */
	for (int i = 0; i < par->nmedia; i++)
		if (par->media[i].proto) {
			snprintf(protos[i], sizeof(protos[i]), "%s", par->media[i].proto);
			par->media[i].proto = protos[i];
		}
	serial = c->serial;
	rc = 0;
unlock:
	if (rc < 0 && fresh)
		calls_destroy(r->calls, c);
	calls_unlock(r->calls);
	if (rc < 0)
		goto out;
	rc = -1;
	par->replace_origin = req_has(r, "replace", "origin");
	par->ice_remove = req_has(r, "ICE", "remove") || req_has(r, "ICE", "force");
	out = rewrite_apply(sdp, strlen(sdp), par, r->err, sizeof(r->err));
	if (!out) {
		/* A call this offer made goes again, unless a later request
		 * has it already (the serial tells). */
		if (fresh) {
			calls_lock(r->calls);
			c = calls_find(r->calls, call_id);
			if (c && c->serial == serial)
				calls_destroy(r->calls, c);
			calls_unlock(r->calls);
		}
		goto out;
	}
	bencode_dict_add_cstr(r->pool, r->reply, "result", "ok");
	bencode_dict_add_cstr(r->pool, r->reply, "sdp", out);
	rlog_debug("%s %s from %s: %d m= lines", role == ROLE_OFFER ? "offer" : "answer",
		   call_id, role == ROLE_OFFER ? from : to, info->nmedia);
	rc = 0;
out:
	free(out);
	free(info);
	free(par);
	free(protos);
	return rc;
}

static int cmd_offer(struct ng_req *r)
{
	return negotiate(r, ROLE_OFFER);
}

static int cmd_answer(struct ng_req *r)
{
	return negotiate(r, ROLE_ANSWER);
}

static time_t to_wall(int64_t mono_ms, int64_t now_ms)
{
	return time(NULL) - (time_t)((now_ms - mono_ms) / 1000);
}

static struct bencode *endpoint(struct bencode_pool *p, const union stream_addr *a)
{
	struct bencode *e = bencode_dict(p);
	char ip[64];
	int port = stream_addr_str(a, ip, sizeof(ip));

	if (port < 0)
		return e;
	bencode_dict_add_cstr(p, e, "family", a->sa.sa_family == AF_INET6 ? "IPv6" : "IPv4");
	bencode_dict_add_cstr(p, e, "address", ip);
	bencode_dict_add_int(p, e, "port", port);
	return e;
}

struct totals {
	uint64_t packets[2], bytes[2], errors[2];
};

static struct bencode *stream_report(struct ng_req *r, struct call *c, struct media *m, int s, int k,
				     struct totals *t)
{
	struct bencode_pool *p = r->pool;
	struct stream_side *sd = &m->st->side[s];
	struct stream_counters *cnt = &sd->cnt[k];
	struct media_side *ms = &m->side[s];
	struct bencode *d = bencode_dict(p), *st = bencode_dict(p), *fl = bencode_list(p);
	uint64_t pk = stream_counter(&cnt->packets), by = stream_counter(&cnt->bytes);
	uint64_t af = stream_counter(&cnt->auth_fail), fo = stream_counter(&cnt->foreign);
	uint64_t dr = stream_counter(&cnt->dropped);
	int64_t last = atomic_load_explicit(&cnt->last_ms, memory_order_relaxed);
	union stream_addr adv;
	int timeout = r->cfg->media_timeout > 0 &&
		      r->now_ms - (last > c->last_signal_ms ? last : c->last_signal_ms) >
			      (int64_t)r->cfg->media_timeout * 1000;

	bencode_dict_add_int(p, d, "local port", sd->port + k);
	bencode_dict_add(p, d, "endpoint", endpoint(p, k ? &ms->rtcp : &ms->rtp));
	if (c->ifa[s] < 0 || stream_addr_set(&adv, r->cfg->iface[c->ifa[s]].advertised, sd->port + k) < 0)
		memset(&adv, 0, sizeof(adv));
	bencode_dict_add(p, d, "advertised endpoint", endpoint(p, &adv));
	bencode_dict_add_int(p, d, "last packet", last ? (long long)to_wall(last, r->now_ms) : 0);
	bencode_list_add(fl, bencode_cstr(p, k ? "RTCP" : "RTP"));
	if (ms->savp)
		bencode_list_add(fl, bencode_cstr(p, "SRTP"));
	if (k == STREAM_RTP && ms->rtcp_mux)
		bencode_list_add(fl, bencode_cstr(p, "RTCP-mux"));
	if (k == STREAM_RTP && timeout)
		bencode_list_add(fl, bencode_cstr(p, "timeout"));
	bencode_dict_add(p, d, "flags", fl);
	bencode_dict_add_int(p, st, "packets", (long long)pk);
	bencode_dict_add_int(p, st, "bytes", (long long)by);
	bencode_dict_add_int(p, st, "errors", (long long)(af + fo + dr));
	bencode_dict_add_int(p, st, "lost", (long long)stream_counter(&cnt->lost));
	bencode_dict_add_int(p, st, "auth-failures", (long long)af);
	bencode_dict_add_int(p, st, "foreign", (long long)fo);
	bencode_dict_add_int(p, st, "dropped", (long long)dr);
	bencode_dict_add(p, d, "stats", st);
	t->packets[k] += pk;
	t->bytes[k] += by;
	t->errors[k] += af + fo + dr;
	return d;
}

static void counters(struct bencode_pool *p, struct bencode *parent, const char *key,
		     uint64_t pk, uint64_t by, uint64_t er)
{
	struct bencode *d = bencode_dict(p);

	bencode_dict_add_int(p, d, "packets", (long long)pk);
	bencode_dict_add_int(p, d, "bytes", (long long)by);
	bencode_dict_add_int(p, d, "errors", (long long)er);
	bencode_dict_add(p, parent, key, d);
}

static void call_report(struct ng_req *r, struct call *c)
{
	struct bencode_pool *p = r->pool;
	struct bencode *tags = bencode_dict(p), *tot = bencode_dict(p);
	struct totals t;

	memset(&t, 0, sizeof(t));
	bencode_dict_add_cstr(p, r->reply, "result", "ok");
	bencode_dict_add_int(p, r->reply, "created", (long long)c->created_wall);
	bencode_dict_add_int(p, r->reply, "last signal", (long long)to_wall(c->last_signal_ms, r->now_ms));
	for (int s = 0; s < 2; s++) {
		struct bencode *tag = bencode_dict(p), *medias = bencode_list(p);
		const char *name = c->tag[s] ? c->tag[s] : "";

		if (!c->tag[s] && s == 1)
			break;
		bencode_dict_add_cstr(p, tag, "tag", name);
		bencode_dict_add_int(p, tag, "created", (long long)c->created_wall);
		if (c->tag[!s])
			bencode_dict_add_cstr(p, tag, "in dialogue with", c->tag[!s]);
		for (int i = 0; i < c->nmedia; i++) {
			struct media *m = c->media[i];
			struct bencode *md = bencode_dict(p), *streams = bencode_list(p);

			if (!m || !m->st)
				continue;
			bencode_dict_add_int(p, md, "index", i + 1);
			bencode_dict_add_cstr(p, md, "type", m->type);
			bencode_dict_add_cstr(p, md, "protocol",
					      m->side[s].have ? m->side[s].proto : m->side[s].out_proto);
			for (int k = 0; k < 2; k++)
				bencode_list_add(streams, stream_report(r, c, m, s, k, &t));
			bencode_dict_add(p, md, "streams", streams);
			bencode_list_add(medias, md);
		}
		bencode_dict_add(p, tag, "medias", medias);
		bencode_dict_add(p, tags, name, tag);
	}
	bencode_dict_add(p, r->reply, "tags", tags);
	counters(p, tot, "RTP", t.packets[0], t.bytes[0], t.errors[0]);
	counters(p, tot, "RTCP", t.packets[1], t.bytes[1], t.errors[1]);
	bencode_dict_add(p, r->reply, "totals", tot);
	bencode_dict_add_int(p, r->reply, "media-timeout", calls_timed_out(r->calls, c, r->now_ms));
}

static struct call *req_call(struct ng_req *r)
{
	const char *id = req_str(r, "call-id");
	struct call *c;

	if (!id || !*id) {
		fail(r, "missing call-id");
		return NULL;
	}
	c = calls_find(r->calls, id);
	if (!c)
		fail(r, "Unknown call-id");
	return c;
}

static int cmd_query(struct ng_req *r)
{
	struct call *c;

	calls_lock(r->calls);
	c = req_call(r);
	if (c)
		call_report(r, c);
	calls_unlock(r->calls);
	return c ? 0 : -1;
}

static int cmd_delete(struct ng_req *r)
{
	struct call *c;

	calls_lock(r->calls);
	c = req_call(r);
	if (c) {
		call_report(r, c);
		rlog_debug("delete %s", c->call_id);
		calls_destroy(r->calls, c);
	}
	calls_unlock(r->calls);
	return c ? 0 : -1;
}

static int cmd_list(struct ng_req *r)
{
	struct bencode *l = bencode_list(r->pool), *lim = bencode_dict_get(r->d, "limit");
	size_t max = lim && lim->type == BENCODE_INT && lim->i > 0 ? (size_t)lim->i : LIST_DEFAULT;
	const char *ids[LIST_MAX];
	size_t n;

	/* The ids point into the calls: copied before the lock goes. */
	calls_lock(r->calls);
	n = calls_ids(r->calls, ids, max < LIST_MAX ? max : LIST_MAX);
	for (size_t i = 0; i < n; i++)
		bencode_list_add(l, bencode_cstr(r->pool, ids[i]));
	calls_unlock(r->calls);
	bencode_dict_add_cstr(r->pool, r->reply, "result", "ok");
	bencode_dict_add(r->pool, r->reply, "calls", l);
	return 0;
}

/* In NG_CMD_* order. */
static const struct {
	const char *name;
	int (*fn)(struct ng_req *r);
} commands[] = {
	[NG_CMD_PING] = {"ping", cmd_ping},       [NG_CMD_OFFER] = {"offer", cmd_offer},
	[NG_CMD_ANSWER] = {"answer", cmd_answer}, [NG_CMD_DELETE] = {"delete", cmd_delete},
	[NG_CMD_QUERY] = {"query", cmd_query},    [NG_CMD_LIST] = {"list", cmd_list},
};
_Static_assert(sizeof(commands) / sizeof(commands[0]) == NG_CMD_OTHER, "one entry per command");

const char *ng_command_name(int cmd)
{
	return cmd >= 0 && cmd < NG_CMD_OTHER ? commands[cmd].name : "other";
}

int ng_command_run(struct ng_req *r)
{
	struct bencode *cmd;

	r->cmd = NG_CMD_OTHER;
	if (r->d->type != BENCODE_DICT)
		return fail(r, "request is not a dictionary");
	if (!(cmd = bencode_dict_get(r->d, "command")) || cmd->type != BENCODE_STR)
		return fail(r, "missing command");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (bencode_str_eq(cmd, commands[i].name)) {
			r->cmd = (int)i;
			return commands[i].fn(r);
		}
	return fail(r, "Unrecognized command");
}
