/*
 * ng_server.h - the relay's control side: rtpengine's "ng" protocol
 * (subset) over UDP.
 *
 * Owns: the control socket and the cookie cache (a retransmitted request
 * gets the reply it got before): ng_server.c. It hands each decoded
 * request to the command table (ng_commands.c: ping, offer, answer,
 * delete, query, list), which works on the call model (calls.c: calls by
 * call-id, two tags each, one stream per m= line; ports, protocols and
 * SRTP keys). Nothing here touches packets: stream changes go to the
 * workers. Thread use: ng_server_start's threads answer requests, several
 * at once (the call model has its own lock); the main thread creates,
 * ticks, reads the counters and frees. ng_server_handle may be called
 * from any thread; ng_server_read (tests) from one at a time.
 *
 * Requests: "COOKIE SP DICT". Keys read: command, call-id, from-tag,
 * to-tag, sdp, flags, replace (origin, session-connection),
 * transport-protocol, ICE (remove), direction (accepted; one interface).
 * Replies: result (ok|pong|error), error-reason, sdp; query and delete
 * add created, last signal, tags -> TAG -> medias -> streams -> stats
 * (packets, bytes, errors, lost ...), totals, media-timeout (1 when no
 * RTP moved in either direction for media_timeout seconds).
 */
#ifndef NG_SERVER_H
#define NG_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "ng_commands.h"

struct relay_config;
struct workers;
struct ng_server;

struct ng_stats {
	uint64_t requests, errors, retransmits, dropped;
	uint64_t refused;         /* from a source outside [relay] allow: no answer */
	/* Requests run (not retransmits) and error replies, by command
	 * (ng_commands.h NG_CMD_*). */
	uint64_t by_cmd[NG_CMD_COUNT], err_by_cmd[NG_CMD_COUNT];
};

/* NULL with a reason on failure. cfg must outlive the server. */
struct ng_server *ng_server_new(const struct relay_config *cfg, struct workers *w,
				char *err, size_t errlen);
/* Deletes every call (streams go back to their workers to be freed). */
void ng_server_free(struct ng_server *ng);
/* Binds cfg's ng address; the fd to poll, or -1 with err. */
int ng_server_listen(struct ng_server *ng, char *err, size_t errlen);
int ng_server_listen_fd(const struct ng_server *ng);
/* Reads and answers every datagram waiting on the socket, on the
 * caller's thread. */
void ng_server_read(struct ng_server *ng);
/* Starts nthreads ng threads (1..RELAY_MAX_NG_THREADS) reading the
 * listening socket. 0, or -1 with err (none left running). */
int ng_server_start(struct ng_server *ng, int nthreads, char *err, size_t errlen);
/* Stops and joins the ng threads (ng_server_free does it too). */
void ng_server_stop(struct ng_server *ng);
/* Once a second: expires cached replies, drops abandoned calls. */
void ng_server_tick(struct ng_server *ng, int64_t now_ms);
/* One request datagram in, the reply datagram out (no socket): the reply
 * length, or 0 when there is nothing to answer (no cookie). */
size_t ng_server_handle(struct ng_server *ng, const char *req, size_t len,
			char *reply, size_t cap, int64_t now_ms);
int ng_server_calls(const struct ng_server *ng);
/* Ports in use by streams (for tests and stats). */
int ng_server_ports_in_use(const struct ng_server *ng);
void ng_server_stats(struct ng_server *ng, struct ng_stats *out);

#endif
