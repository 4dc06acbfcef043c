/*
 * calls.h - the relay's call model: calls by call-id, their two tags
 * (sides), one media per m= line with each side's view of it (addresses,
 * protocol, SDES keys) and the stream it runs on.
 *
 * Owns: every struct call, the port pool, and the stream of each media
 * until it is handed to a worker (then only struct stream_update changes
 * travel, through workers.c). Decides ports, protocols and keys from the
 * SDP each side sends; knows nothing of the ng protocol (ng_commands.c)
 * or of datagrams (ng_server.c). Must not touch packets, must not block.
 * Thread use: the ng threads (ng_server.c) and the main thread's tick.
 * One mutex guards the whole model (the hash, every struct call and
 * media, and the hand-over of streams to the workers): every function
 * below is called with calls_lock held, except calls_new/calls_free (no
 * other thread), calls_expire (takes it), calls_count and
 * calls_ports_in_use (lock-free reads). A struct call is only touched
 * under the lock; nothing of it may be kept after calls_unlock (copy it).
 */
#ifndef CALLS_H
#define CALLS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sdp_rewrite.h"
#include "srtp_ctx.h"
#include "stream.h"

struct relay_config;
struct workers;
struct calls;

/* One m= line as one tag (side) sees it. */
struct media_side {
	int have;                        /* this tag sent an SDP for the line */
	char proto[32];                  /* its m= protocol */
	int savp;
	int port;                        /* its RTP port from the SDP */
	char addr[64];
	union stream_addr rtp, rtcp;     /* family 0 when unusable (0.0.0.0, hostname) */
	int rtcp_mux;
	int latch;                       /* enum stream_latch: its trunk's policy */
	union stream_addr peer;          /* its SIP address (received-from), family 0 = unknown */
	char out_proto[32];              /* what we present to it */
	int peer_keyed;                  /* its a=crypto: unprotects what it sends */
	struct sdes_key peer_key;
	int ours_made;                   /* our keys toward it, one per suite */
	struct sdes_key ours[SDES_NSUITES];
	int tx_set, tx_tag;              /* the suite/tag it chose (offer) or accepted (answer) */
	enum sdes_suite tx_suite;
	/* What its stream side runs now, to send only changes. */
	int applied;
	struct stream_update cur;        /* addresses/mux/srtp only; no contexts */
	int rx_on, tx_on;
	struct sdes_key rx_key, tx_key;
};

struct media {
	struct stream *st;
	int started;                     /* handed to a worker */
	char type[16];
	struct media_side side[2];
};

struct call {
	char *call_id;
	char *tag[2];                    /* side 0 is the first offerer */
	int ifa[2];                      /* each side's interface (cfg->iface index), -1 until
					  * its first request: a side keeps it */
	int nmedia;
	/* Allocated per m= line when first negotiated (1.2 kB each): most
	 * calls have one, and a fixed array of eight cost ~10 kB per call. */
	struct media *media[REWRITE_MAX_MEDIA];
	int64_t created_ms, last_signal_ms;
	time_t created_wall;
	uint64_t serial;                 /* unique per relay run: tells a call from a
					  * later one at the same address */
	struct call *next;               /* hash bucket chain */
};

/* NULL with a reason. cfg and w must outlive the calls. */
struct calls *calls_new(const struct relay_config *cfg, struct workers *w, char *err, size_t errlen);
/* Destroys every call (streams go back to their workers to be freed). */
void calls_free(struct calls *cs);
void calls_lock(struct calls *cs);
void calls_unlock(struct calls *cs);
struct call *calls_find(struct calls *cs, const char *id);
struct call *calls_create(struct calls *cs, const char *id, int64_t now_ms);
void calls_destroy(struct calls *cs, struct call *c);
int calls_count(const struct calls *cs);
int calls_ports_in_use(const struct calls *cs);
/* Up to max call-ids (pointers into the calls), for `list`. */
size_t calls_ids(struct calls *cs, const char **out, size_t max);
/* Destroys calls nobody signalled long after their media stopped (takes
 * the lock, one bucket at a time). */
void calls_expire(struct calls *cs, int64_t now_ms);

int call_side_of(const struct call *c, const char *tag);
/* Names side s (a forked or replaced answerer takes the side over). */
int call_set_tag(struct call *c, int s, const char *tag);
/* The last RTP either way, or the last signal, whichever is later. */
int64_t call_last_activity(const struct call *c);
/* Silent both ways for the configured media_timeout. */
int calls_timed_out(const struct calls *cs, const struct call *c, int64_t now_ms);
/* What a side's SDP comes with besides the SDP (ng keys). */
struct calls_sender {
	const char *tproto;              /* protocol to present to the other side, or NULL */
	int latch;                       /* enum stream_latch for the sender's media */
	const char *peer;                /* the sender's SIP address, or NULL */
	/* rtpengine's "direction": the interface the SDP comes from, then
	 * the one it goes to (NULL: the default interface). */
	const char *iface[2];
	int family;                      /* "address family" of the recipient; AF_UNSPEC: as the SDP's */
};

/* Side s sent the SDP described by info (answer: to an offer of the other
 * side). A side's first request puts its ports on an interface: the
 * sender's is from->iface[0] with an address of its SDP's family (else
 * the interface's first); the recipient's from->iface[1] with an address
 * of from->family (that family or an error), else as the sender's.
 * Unknown interface names are errors. Creates or updates each media and
 * its stream, and fills par
 * (ports, protocol, our a=crypto) for the SDP the other side gets. 0, or
 * -1. */
int calls_negotiate(struct calls *cs, struct call *c, int s, int answer, const struct rewrite_info *info,
		    const struct calls_sender *from, struct rewrite_params *par, int64_t now_ms,
		    char *err, size_t errlen);

#endif
