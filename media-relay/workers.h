/*
 * workers.h - the packet threads: one per core, each with its own epoll
 * set, receiving and sending in batches (recvmmsg/sendmmsg).
 *
 * Owns: the threads, their epoll sets and command queues, and the list
 * of streams each worker runs. The control thread never touches a stream
 * after handing it over; it sends commands instead (a pointer written to
 * the worker's pipe: one write of 8 bytes is atomic, PIPE_BUF), which
 * the worker applies between two epoll rounds, so no packet of the
 * current round can see a freed stream. No locks on the packet path.
 * Must not parse SDP or ng, nor log per packet.
 * Thread use: workers_add/update/remove are called by the ng threads
 * with the calls lock held (calls.h), so one at a time; workers_new,
 * workers_free and workers_sync from the main thread (and tests).
 */
#ifndef WORKERS_H
#define WORKERS_H

#include <stdint.h>

struct stream;
struct stream_update;
struct workers;

/* Starts n threads; NULL with a reason on failure. */
struct workers *workers_new(int n, char *err, size_t errlen);
/* Stops the threads (each frees the streams it still runs). NULL fine. */
void workers_free(struct workers *w);
int workers_count(const struct workers *w);
/* Hands a configured stream to the least loaded worker. 0 or -1 (then
 * the stream is still the caller's). */
int workers_add(struct workers *w, struct stream *st);
/* Queues a copy of *u for st's worker; u's contexts move with it (u is
 * left cleared). 0 or -1 (u is cleared too). */
int workers_update(struct workers *w, struct stream *st, struct stream_update *u);
/* The worker closes and frees st; the caller must forget it. */
int workers_remove(struct workers *w, struct stream *st);
/* Waits until every command queued so far was applied (tests, shutdown). */
void workers_sync(struct workers *w);
/* Packets the kernel refused to send (all workers). Any thread. */
uint64_t workers_send_errors(struct workers *w);

/* What every worker's streams counted since start, by kind
 * ([STREAM_RTP], [STREAM_RTCP]); relaxed reads, any thread while the
 * workers exist (the relay's /metrics). */
struct stream_totals {
	uint64_t packets, bytes, auth_fail, foreign, dropped;
};
void workers_totals(struct workers *w, struct stream_totals out[2]);

#endif
