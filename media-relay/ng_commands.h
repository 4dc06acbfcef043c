/*
 * ng_commands.h - the ng command table (rtpengine's subset): ping, offer,
 * answer, delete, query, list; a decoded request in, a reply dictionary
 * out.
 *
 * Owns: the meaning of each command's keys and the shape of its reply
 * (query/delete: created, last signal, tags -> TAG -> medias -> streams
 * -> stats, totals, media-timeout). Works on the call model (calls.h);
 * knows nothing of datagrams or cookies (ng_server.c).
 * Thread use: any ng thread, several at once: a request is one thread's;
 * the call model is locked inside (calls_lock) for what touches it.
 */
#ifndef NG_COMMANDS_H
#define NG_COMMANDS_H

#include <stdint.h>

struct bencode;
struct bencode_pool;
struct calls;
struct relay_config;

/* A request being answered: its pool, dict and the reply being built. */
struct ng_req {
	struct calls *calls;
	const struct relay_config *cfg;
	struct bencode_pool *pool;
	struct bencode *d, *reply;
	int64_t now_ms;
	char err[160];
	int cmd;                  /* set by ng_command_run: NG_CMD_* */
};

/* The commands, for counting: NG_CMD_OTHER is a request without a known
 * command (malformed, missing, unrecognized). */
enum { NG_CMD_PING, NG_CMD_OFFER, NG_CMD_ANSWER, NG_CMD_DELETE, NG_CMD_QUERY, NG_CMD_LIST, NG_CMD_OTHER,
       NG_CMD_COUNT };
/* "ping" ... "list", "other". */
const char *ng_command_name(int cmd);

/* Runs r->d's command into r->reply: 0, or -1 with the reason in r->err
 * (the caller then answers result=error, error-reason). */
int ng_command_run(struct ng_req *r);

#endif
