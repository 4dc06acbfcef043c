/*
 * reply.h - the one table of SIP responses the b2bua originates, and the
 * status codes it decides on.
 *
 * Owns: every SIP status literal of the b2bua. The core and the leg
 * adapter answer requests only with a reply_id from this table (code,
 * reason phrase and Retry-After in one place, so one Retry-After policy),
 * and classify what a peer sent only with the SC_* names below. Responses
 * relayed from the other leg keep the peer's own code and reason; they are
 * not in the table. Pure data: any thread may read it.
 */
#ifndef REPLY_H
#define REPLY_H

/* Status codes and class boundaries the b2bua decides on (RFC 3261 21). */
enum {
	SC_TRYING = 100,
	SC_RINGING = 180,
	SC_PROGRESS = 183,
	SC_OK = 200,          /* also: the first final (>= 200) code */
	SC_REDIRECT = 300,    /* first 3xx: anything below is a success */
	SC_CLIENT_ERR = 400,
	SC_UNAUTHORIZED = 401,
	SC_PROXY_AUTH = 407,
	SC_REQUEST_TIMEOUT = 408,
	SC_UNSUPPORTED_MEDIA = 415,
	SC_TEMP_UNAVAILABLE = 480,
	SC_NO_DIALOG = 481,
	SC_BUSY = 486,
	SC_TERMINATED = 487,
	SC_SERVER_ERR = 500,
	SC_SERVICE_UNAVAILABLE = 503,
	SC_GLOBAL_ERR = 600,  /* first 6xx */
	SC_MAX = 699,
};

/* A response we originate. */
enum reply_id {
	RP_OK,                 /* 200 to an in-dialog request we completed */
	RP_ACCEPTED,           /* 202: a REFER we carry out (RFC 3515 2.4.2) */
	RP_BAD_REFER_TO,       /* 400: a Refer-To without a number we can route */
	RP_RURI_HEADERS,      /* 400: headers escaped into the Request-URI */
	RP_BAD_SDP,           /* 400: an SDP body that is not SDP (RFC 8866) */
	RP_USER_TOO_LONG,     /* 400: a From, To or PAI user over CALL_MAX_USER */
	RP_URI_TOO_LONG,      /* 414: a Request-URI user over CALL_MAX_USER */
	RP_SIPS_INSECURE,     /* 416: a sips: Request-URI that came without TLS (RFC 3261 26.2.2) */
	RP_LEAK,              /* 500: what we would send names the other side */
	RP_FORBIDDEN,          /* 403: the source is no trunk of ours */
	RP_TRUNK_AUTH,         /* 403: the trunk's challenge was not answered */
	RP_REFER_REFUSED,      /* 403: the trunk's policy is refer = reject */
	RP_REFER_REPLACES,     /* 403: attended transfer (Refer-To with Replaces) */
	RP_NO_ROUTE,           /* 404 */
	RP_METHOD,             /* 405: a method we do not relay */
	RP_NOT_ACCEPTABLE,     /* 406: its Accept leaves out application/sdp */
	RP_UNSUPPORTED_MEDIA,  /* 415: a body that is not SDP (with Accept) */
	RP_TRUNK_TIMEOUT,      /* 408: no reply at all from any trunk */
	RP_NO_ANSWER,          /* 480: [call] no_answer elapsed */
	RP_CALLEE_GONE,        /* 480: the trunk hung up before we answered */
	RP_REDIRECTED,         /* 480: a trunk redirected (3xx): not followed, never passed */
	RP_BAD_EXTENSION,      /* 420: it requires 100rel, off for its trunk (RFC 3262) */
	RP_EXTENSION_REQUIRED, /* 421: its trunk requires 100rel, it has none */
	RP_NO_DIALOG,          /* 481: request for a dialog that is gone */
	RP_LOOP,               /* 483: Max-Forwards reached zero */
	RP_MEDIA,              /* 488: SDP we cannot or may not accept */
	RP_PENDING,            /* 491: an offer is already in progress */
	RP_INTERNAL,           /* 500 */
	RP_DRAINING,           /* 503: shutting down, come back later */
	RP_RATE_LIMITED,       /* 503: too many requests from this source */
	RP_LIMITS,             /* 503: every trunk over its channels / CPS */
	RP_RELAY,              /* 503: the media relay did not do its part */
	RP_ADMIN,              /* 503: hung up with b2bua-ctl before answer */
	RP__N
};

struct reply {
	int code;
	const char *reason;
	int retry_after;      /* seconds, 0 = no Retry-After header */
};

const struct reply *reply_get(enum reply_id id);

/* Classes of a received status code. */
static inline int sc_provisional(int code) { return code >= SC_TRYING && code < SC_OK; }
static inline int sc_success(int code) { return code >= SC_OK && code < SC_REDIRECT; }
static inline int sc_final(int code) { return code >= SC_OK; }
static inline int sc_failure(int code) { return code >= SC_REDIRECT; }
static inline int sc_redirect(int code) { return code >= SC_REDIRECT && code < SC_CLIENT_ERR; }

#endif
