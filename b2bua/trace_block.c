/*
 * trace_block.c - the parser of Sofia's transport log (see trace_block.h).
 *
 * Owns: one block in progress and its buffer. Every piece is peer input
 * written by Sofia: nothing is trusted but the format strings, every copy
 * is bounded, an over-long message is cut and marked.
 * Must not: log, allocate per piece, or keep pointers into Sofia's text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace_block.h"

/* Sofia's formats (tport_logging.c, libsofia-sip-ua 1.12.11). */
#define SEP "------------------------------------------------------------------------\n"
static const char fmt_sep[] = "%s   " SEP;
static const char fmt_piece[] = "%s%.*s";
static const char fmt_eol[] = "\n";
static const char fmt_trunc_prefix[] = "   *** message truncated at ";

struct trace_block {
	int in_block;
	int line_start;             /* the next piece begins a line */
	struct trace_msg msg;
	size_t len;
	int truncated;
	char buf[TRACE_BLOCK_MAX + 1];
};

int trace_block_new(struct trace_block **out)
{
	struct trace_block *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	*out = b;
	return 0;
}

void trace_block_free(struct trace_block *b)
{
	free(b);
}

const struct trace_msg *trace_block_msg(const struct trace_block *b)
{
	return &b->msg;
}

static void append(struct trace_block *b, const char *s, size_t n)
{
	if (n > TRACE_BLOCK_MAX - b->len) {
		n = TRACE_BLOCK_MAX - b->len;
		b->truncated = 1;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

/* "recv|send N bytes from|to PROTO/[ADDR]:PORT[...] at T:" into m. 0 or -1. */
static int parse_stamp(struct trace_msg *m, const char *s)
{
	const char *p, *e;
	size_t n;
	long port;
	char *end;

	if (strncmp(s, "recv ", 5) == 0)
		m->dir = TRACE_RECV;
	else if (strncmp(s, "send ", 5) == 0)
		m->dir = TRACE_SENT;
	else
		return -1;
	p = s + 5;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (strncmp(p, " bytes ", 7) != 0)
		return -1;
	p += 7;
	if (strncmp(p, m->dir == TRACE_RECV ? "from " : "to ", m->dir == TRACE_RECV ? 5 : 3) != 0)
		return -1;
	p += m->dir == TRACE_RECV ? 5 : 3;
	for (n = 0; isalnum((unsigned char)p[n]); n++)
		;
	if (n == 0 || n >= sizeof(m->proto) || p[n] != '/')
		return -1;
	memcpy(m->proto, p, n);
	m->proto[n] = 0;
	for (size_t i = 0; i < n; i++)
		m->proto[i] = (char)tolower((unsigned char)m->proto[i]);
	p += n + 1;
	if (*p != '[' || !(e = strchr(p, ']')))
		return -1;
	n = (size_t)(e - p - 1);
	if (n == 0 || n >= sizeof(m->peer) || strspn(p + 1, "0123456789abcdefABCDEF.:%") < n)
		return -1;
	memcpy(m->peer, p + 1, n);
	m->peer[n] = 0;
	if (e[1] != ':')
		return -1;
	port = strtol(e + 2, &end, 10);
	if (end == e + 2 || port <= 0 || port > 65535)
		return -1;
	/* then maybe "/FLOWLABEL" or ";comp=sigcomp", and " at TIME:" */
	if ((*end != ' ' && *end != '/' && *end != ';') || !strstr(end, " at "))
		return -1;
	m->port = (int)port;
	return 0;
}

static void block_start(struct trace_block *b, const char *text)
{
	memset(&b->msg, 0, sizeof(b->msg));
	b->in_block = parse_stamp(&b->msg, text) == 0;
	b->line_start = 1;
	b->len = 0;
	b->truncated = 0;
}

static void block_end(struct trace_block *b)
{
	b->buf[b->len] = 0;
	b->msg.text = b->buf;
	b->msg.len = b->len;
	b->msg.truncated = b->truncated;
	trace_msg_parse_head(&b->msg);
	b->in_block = 0;
}

enum trace_feed trace_block_feed(struct trace_block *b, const char *fmt, const char *text)
{
	if (!fmt || !text)
		return TRACE_NOT_MINE;
	if (strcmp(fmt, fmt_sep) == 0) {
		if (strncmp(text, "recv ", 5) == 0 || strncmp(text, "send ", 5) == 0) {
			/* A block never closed (cannot happen in one Sofia call)
			 * is dropped: a new stamp starts a new one. */
			block_start(b, text);
			return TRACE_MORE;
		}
		if (!b->in_block)
			return TRACE_MORE;   /* a closing separator of a block we refused */
		/* "\n" first: the last line had no line end of its own. */
		block_end(b);
		return TRACE_DONE;
	}
	if (strcmp(fmt, fmt_piece) == 0 && b->in_block) {
		size_t n = strlen(text);

		if (b->line_start && n >= 3 && memcmp(text, "   ", 3) == 0) {
			text += 3;
			n -= 3;
		}
		append(b, text, n);
		b->line_start = 0;
		return TRACE_MORE;
	}
	if (strcmp(fmt, fmt_eol) == 0 && b->in_block) {
		append(b, "\r\n", 2);
		b->line_start = 1;
		return TRACE_MORE;
	}
	if (strncmp(fmt, fmt_trunc_prefix, sizeof(fmt_trunc_prefix) - 1) == 0)
		return TRACE_MORE;   /* Sofia cut the message it logged: so is ours */
	return TRACE_NOT_MINE;
}

/* ---- the head: first line, Call-ID, From, To, top Via, CSeq ---- */

/* The user part of the first sip:/sips:/tel: URI in s[0..n): "" when
 * there is none or it is too long (never a cut number: it would match
 * another). */
static void uri_user(const char *s, size_t n, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t skip = 0, u = 0;
		int tel = 0;

		if (n - i >= 4 && strncasecmp(s + i, "sip:", 4) == 0)
			skip = 4;
		else if (n - i >= 5 && strncasecmp(s + i, "sips:", 5) == 0)
			skip = 5;
		else if (n - i >= 4 && strncasecmp(s + i, "tel:", 4) == 0)
			skip = 4, tel = 1;
		if (!skip)
			continue;
		i += skip;
		while (i + u < n && !strchr("@;>?, \t\r\n", s[i + u]))
			u++;
		if (u == 0 || u >= cap || (!tel && (i + u >= n || s[i + u] != '@')))
			return;
		memcpy(out, s + i, u);
		out[u] = 0;
		return;
	}
}

static void copy_trim(char *out, size_t cap, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= cap) {
		out[0] = 0;   /* never a cut Call-ID: it would name another call */
		return;
	}
	memcpy(out, s, n);
	out[n] = 0;
}

static int hname(const char *name, size_t n, const char *full, const char *compact)
{
	return (n == strlen(full) && strncasecmp(name, full, n) == 0) ||
	       (compact && n == strlen(compact) && strncasecmp(name, compact, n) == 0);
}

/* "SIP/2.0/UDP host:port;..." */
static void parse_via(struct trace_msg *m, const char *v, size_t n)
{
	size_t i = 0, h;
	long port = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (i < n && v[i] != ' ' && v[i] != '\t')
		i++;   /* SIP/2.0/UDP */
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i < n && v[i] == '[') {
		for (h = i + 1; h < n && v[h] != ']'; h++)
			;
		if (h >= n || h - i - 1 >= sizeof(m->via_host))
			return;
		memcpy(m->via_host, v + i + 1, h - i - 1);
		m->via_host[h - i - 1] = 0;
		i = h + 1;
	} else {
		for (h = i; h < n && !strchr(":; \t,", v[h]); h++)
			;
		if (h == i || h - i >= sizeof(m->via_host))
			return;
		memcpy(m->via_host, v + i, h - i);
		m->via_host[h - i] = 0;
		i = h;
	}
	if (i < n && v[i] == ':')
		for (i++; i < n && isdigit((unsigned char)v[i]) && port <= 65535; i++)
			port = port * 10 + (v[i] - '0');
	m->via_port = port > 0 && port <= 65535 ? (int)port : 0;
}

void trace_msg_parse_head(struct trace_msg *m)
{
	const char *s = m->text, *end = m->text + m->len;
	int first = 1, have_via = 0;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);

		if (n && s[n - 1] == '\r')
			n--;
		if (n == 0)
			break;   /* the end of the head */
		if (first) {
			first = 0;
			if (n > 8 && strncmp(s, "SIP/2.0 ", 8) == 0) {
				m->status = atoi(s + 8) >= 100 && atoi(s + 8) <= 699 ? atoi(s + 8) : 0;
			} else {
				size_t t = strcspn(s, " \r\n");

				if (t > 0 && t < n && t < sizeof(m->method)) {
					m->is_request = 1;
					memcpy(m->method, s, t);
					m->method[t] = 0;
					uri_user(s + t, n - t, m->ruri_user, sizeof(m->ruri_user));
				}
			}
		} else if (s[0] != ' ' && s[0] != '\t') {
			const char *colon = memchr(s, ':', n);

			if (colon) {
				size_t nl = (size_t)(colon - s), vl = n - nl - 1;
				const char *v = colon + 1;

				while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
					nl--;
				if (hname(s, nl, "Call-ID", "i"))
					copy_trim(m->call_id, sizeof(m->call_id), v, vl);
				else if (hname(s, nl, "From", "f"))
					uri_user(v, vl, m->from_user, sizeof(m->from_user));
				else if (hname(s, nl, "To", "t"))
					uri_user(v, vl, m->to_user, sizeof(m->to_user));
				else if (hname(s, nl, "Via", "v") && !have_via) {
					have_via = 1;
					parse_via(m, v, vl);
				} else if (hname(s, nl, "CSeq", NULL) && !m->is_request) {
					size_t i = 0, t;

					while (i < vl && (isdigit((unsigned char)v[i]) || v[i] == ' ' || v[i] == '\t'))
						i++;
					t = strcspn(v + i, " \t\r\n");
					if (t > 0 && i + t <= vl && t < sizeof(m->method)) {
						memcpy(m->method, v + i, t);
						m->method[t] = 0;
					}
				}
			}
		}
		if (!eol)
			break;
		s = eol + 1;
	}
}
