/*
 * cdr_writer.h - the CDR writer thread and its queue.
 *
 * Owns: a thread with its own SQLite connection (through cdr_store), a
 * bounded ring of CDR events plus an overflow list (a full ring never
 * blocks the SIP thread and never drops a record), and the map from a
 * call's serial to its row id. The SIP thread only calls cdr_writer_push();
 * the writer commits a batch at least every 20 ms, so a kill -9 loses at
 * most the last 20 ms of events.
 */
#ifndef CDR_WRITER_H
#define CDR_WRITER_H

#include <stdint.h>
#include "cdr_store.h"

struct cdr_writer;

/* Opens the store (migrations), marks this node's rows left in_progress
 * by a crash as interrupted, starts the thread. 0 or -1 with err. */
int cdr_writer_start(struct cdr_writer **out, const char *db_path, const char *node,
		     char *err, size_t errlen);
/* Queues the current state of a call's row (SIP thread; never blocks on
 * disk). final: the call is over and its row will not change again. */
void cdr_writer_push(struct cdr_writer *w, uint64_t serial, const struct cdr_row *row, int final);
/* Queues a route attempt of the call (cdr_attempts); every attempt of a
 * call is pushed before its final row. */
void cdr_writer_attempt(struct cdr_writer *w, uint64_t serial, const struct cdr_attempt *a);
/* Writes everything queued, stops the thread, closes the store. */
void cdr_writer_stop(struct cdr_writer *w);
/* Rows written so far / events waiting, for stats and tests. */
uint64_t cdr_writer_written(struct cdr_writer *w);
size_t cdr_writer_queued(struct cdr_writer *w);
/* A copy of the batch commit times (seconds), for /metrics. */
struct prom_hist;
void cdr_writer_commit_hist(struct cdr_writer *w, struct prom_hist *out);
/* Blocks until every event pushed so far is committed (tests, shutdown). */
void cdr_writer_flush(struct cdr_writer *w);

/* The env->cdr callback shape, ctx being the writer. */
void cdr_writer_sink(void *ctx, uint64_t serial, const struct cdr_row *row, int final);
void cdr_writer_attempt_sink(void *ctx, uint64_t serial, const struct cdr_attempt *a);

#endif
