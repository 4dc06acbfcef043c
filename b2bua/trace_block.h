/*
 * trace_block.h - reads the SIP messages Sofia-SIP's transport logs
 * (TPTAG_LOG) out of its su_log output, one piece at a time.
 *
 * Sofia 1.12.11 logs a message as a series of su_log() calls, each known
 * by its format string (checked on Debian's libsofia-sip-ua0):
 *   "%s   ----...----\n"  the stamp "recv|send N bytes from|to PROTO/[ADDR]:PORT at T:\n"
 *                         with the opening separator; with "" or "\n" the closing one
 *   "%s%.*s"              a piece of a line ("   " before a line's first piece)
 *   "\n"                  the end of a line
 *   "   *** message truncated at %zu ***\n"   after the closing separator
 * Telling pieces by their format, never by their text, keeps a peer's
 * line of dashes from ending a block. The text is peer input: a message is
 * cut at TRACE_BLOCK_MAX bytes, every field is bounded, the byte count of
 * the stamp is never trusted.
 * Owns: one parser state and its message buffer. No I/O, no logging.
 */
#ifndef TRACE_BLOCK_H
#define TRACE_BLOCK_H

#include <stddef.h>

#define TRACE_BLOCK_MAX (96 * 1024)   /* a message's text; [sip] takes 64 KB */
#define TRACE_FIELD 128               /* Call-ID */
#define TRACE_USER 64                 /* a number */

enum trace_dir { TRACE_RECV, TRACE_SENT };

/* A message, as the parser returns it; valid until the next feed. */
struct trace_msg {
	enum trace_dir dir;
	char proto[8];              /* udp, tcp, tls, sctp, ws, wss */
	char peer[64];              /* the peer's address (IPv6 without brackets) */
	int port;
	const char *text;           /* the message, lines ending CRLF, NUL-terminated */
	size_t len;
	int truncated;              /* cut here (TRACE_BLOCK_MAX) */
	/* From the message head ("" when absent or malformed). */
	int is_request;
	char method[16];            /* request method, or the CSeq's for a response */
	int status;                 /* responses */
	char call_id[TRACE_FIELD];
	char ruri_user[TRACE_USER], from_user[TRACE_USER], to_user[TRACE_USER];
	char via_host[64];          /* top Via's sent-by */
	int via_port;
};

enum trace_feed { TRACE_NOT_MINE, TRACE_MORE, TRACE_DONE };

struct trace_block;

int trace_block_new(struct trace_block **out);
void trace_block_free(struct trace_block *b);
/* One su_log() call: fmt as Sofia passed it, text its output. TRACE_DONE:
 * a message is complete (trace_block_msg); TRACE_MORE: the piece was
 * part of one; TRACE_NOT_MINE: any other log line (the caller logs it). */
enum trace_feed trace_block_feed(struct trace_block *b, const char *fmt, const char *text);
const struct trace_msg *trace_block_msg(const struct trace_block *b);
/* Parses the head of text into m (call_id, numbers, method ...). */
void trace_msg_parse_head(struct trace_msg *m);

#endif
