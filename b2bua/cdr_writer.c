/*
 * cdr_writer.c - moves CDR events from the SIP thread to SQLite.
 *
 * Owns: the queue (ring + overflow list, under one mutex held only for a
 * copy), the writer thread and its cdr_store, and the serial -> rowid map
 * of calls whose row is still open. The thread takes whatever is queued,
 * writes it in one transaction, and sleeps at most 20 ms between batches.
 * An event for a serial not yet in the map is an insert, later ones are
 * updates, and a final event drops the serial from the map. A call's
 * route attempts (cdr_attempts) come before its final row: one whose row
 * is not written yet waits on the map entry for that row's id.
 * Must not: be called from the writer thread; log per event.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cdr_writer.h"
#include "prom.h"
#include "log.h"

/* The ring absorbs ~1 s of events at 300 calls/s (3 events a call)
 * without a malloc; a longer stall of the disk goes to the overflow list,
 * so no size here ever drops an event. Each slot is ~1 kB and the pages
 * stay resident once the ring has cycled: 8192 slots (and a batch of
 * three times that) cost 35 MB of address space and 8.6 MB of RSS. */
#define RING_SIZE 1024
#define BATCH_MAX RING_SIZE /* events per transaction: ring, then overflow */
#define MAP_SIZE 16384      /* open rows; grows past that by chaining */
#define BATCH_MS 20

struct cdr_event {
	uint64_t serial;
	int final;
	int is_attempt;             /* att, else row */
	union {
		struct cdr_row row;
		struct cdr_attempt att;
	} u;
};

struct pending_att {
	struct pending_att *next;
	struct cdr_attempt att;
};

struct overflow {
	struct overflow *next;
	struct cdr_event ev;
};

struct map_entry {
	struct map_entry *next;
	uint64_t serial;
	int64_t rowid;                   /* -1: the row is not written yet */
	struct pending_att *att, **att_tail;   /* attempts waiting for it */
};

struct cdr_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	struct cdr_event *ring;
	size_t head, count;              /* ring */
	struct overflow *of_head, *of_tail;
	size_t of_count;
	uint64_t pushed, done;           /* events */
	uint64_t written;                /* rows touched */
	struct prom_hist commit;         /* batch transaction times, seconds */
	int stop;
	struct cdr_store *store;
	struct map_entry *map[MAP_SIZE];
	struct cdr_event *batch;         /* writer-thread scratch */
};

static struct map_entry **map_slot(struct cdr_writer *w, uint64_t serial)
{
	struct map_entry **pp = &w->map[serial % MAP_SIZE];

	while (*pp && (*pp)->serial != serial)
		pp = &(*pp)->next;
	return pp;
}

static void entry_free(struct map_entry *e)
{
	while (e->att) {
		struct pending_att *p = e->att;

		e->att = p->next;
		free(p);
	}
	free(e);
}

static struct map_entry *entry_new(struct map_entry **pp, uint64_t serial)
{
	struct map_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->serial = serial;
	e->rowid = -1;
	e->att_tail = &e->att;
	*pp = e;
	return e;
}

static void write_attempt(struct cdr_writer *w, int64_t rowid, const struct cdr_attempt *a, const char *call)
{
	if (cdr_store_insert_attempt(w->store, rowid, a) != 0)
		log_error("cdr: cannot write attempt %d of call %s: %s", a->seq, call, cdr_store_errmsg(w->store));
}

/* An attempt goes in when its call's row has an id, else waits for it. */
static void queue_attempt(struct cdr_writer *w, const struct cdr_event *ev)
{
	struct map_entry **pp = map_slot(w, ev->serial), *e = *pp;
	struct pending_att *p;

	if (!e && !(e = entry_new(pp, ev->serial))) {
		log_error("cdr: out of memory, attempt %d lost", ev->u.att.seq);
		return;
	}
	if (e->rowid >= 0) {
		write_attempt(w, e->rowid, &ev->u.att, "?");
		return;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		log_error("cdr: out of memory, attempt %d lost", ev->u.att.seq);
		return;
	}
	p->att = ev->u.att;
	*e->att_tail = p;
	e->att_tail = &p->next;
}

/* 1 when a row was written. */
static int write_event(struct cdr_writer *w, const struct cdr_event *ev)
{
	struct map_entry **pp = map_slot(w, ev->serial), *e = *pp;
	const struct cdr_row *row = &ev->u.row;
	int rc;

	if (ev->is_attempt) {
		queue_attempt(w, ev);
		return 0;
	}
	if (!e || e->rowid < 0) {
		int64_t rowid;

		rc = cdr_store_insert(w->store, row, &rowid);
		if (rc == 0 && !e && !ev->final)
			e = entry_new(pp, ev->serial);
		if (rc == 0 && e) {
			e->rowid = rowid;
			while (e->att) {
				struct pending_att *p = e->att;

				write_attempt(w, rowid, &p->att, row->call_id);
				e->att = p->next;
				free(p);
			}
			e->att_tail = &e->att;
		}
	} else {
		rc = cdr_store_update(w->store, e->rowid, row);
	}
	if (ev->final && e) {
		*pp = e->next;
		entry_free(e);
	}
	if (rc != 0)
		log_error("cdr: cannot write call %s: %s", row->call_id, cdr_store_errmsg(w->store));
	return rc == 0;
}

static struct timespec in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* One transaction per BATCH_MS (sooner when the ring fills): a commit
 * per event would make SQLite the b2bua's main cost under load. */
static void *writer_main(void *arg)
{
	struct cdr_writer *w = arg;
	struct timespec deadline = in_ms(BATCH_MS);

	pthread_mutex_lock(&w->mu);
	for (;;) {
		size_t n = 0, ok = 0;
		struct timespec t0, t1;

		while (!w->stop && w->count < RING_SIZE / 2 && !w->of_count) {
			if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT) {
				if (w->count)
					break;
				deadline = in_ms(BATCH_MS);
			}
		}
		if (!w->count && !w->of_count && w->stop)
			break;
		deadline = in_ms(BATCH_MS);
		/* Take the whole ring, then the overflow, keeping order (new
		 * events go to the overflow while it is not empty). */
		while (w->count) {
			w->batch[n++] = w->ring[w->head];
			w->head = (w->head + 1) % RING_SIZE;
			w->count--;
		}
		while (w->of_head && n < BATCH_MAX) {
			struct overflow *o = w->of_head;

			w->batch[n++] = o->ev;
			w->of_head = o->next;
			if (!w->of_head)
				w->of_tail = NULL;
			w->of_count--;
			free(o);
		}
		pthread_mutex_unlock(&w->mu);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (cdr_store_begin(w->store) != 0)
			log_error("cdr: begin: %s", cdr_store_errmsg(w->store));
		for (size_t i = 0; i < n; i++)
			ok += write_event(w, &w->batch[i]);
		if (cdr_store_commit(w->store) != 0)
			log_error("cdr: commit: %s", cdr_store_errmsg(w->store));

		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_lock(&w->mu);
		prom_hist_observe(&w->commit, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		w->done += n;
		w->written += ok;
		pthread_cond_broadcast(&w->idle);
	}
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int cdr_writer_start(struct cdr_writer **out, const char *db_path, const char *node, char *err,
		     size_t errlen)
{
	struct cdr_writer *w = calloc(1, sizeof(*w));
	int changed = 0;

	if (!w || !(w->ring = calloc(RING_SIZE, sizeof(*w->ring))) ||
	    !(w->batch = calloc(BATCH_MAX, sizeof(*w->batch)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cdr_store_open(&w->store, db_path, err, errlen) != 0)
		goto fail;
	if (cdr_store_interrupt_stale(w->store, node, &changed) != 0) {
		snprintf(err, errlen, "%s: cannot mark interrupted calls: %s", db_path,
			 cdr_store_errmsg(w->store));
		goto fail;
	}
	if (changed)
		log_warn("cdr: %d call(s) of node %s were in progress at the last stop: marked interrupted",
			 changed, node);
	pthread_mutex_init(&w->mu, NULL);
	prom_hist_init_latency(&w->commit);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(err, errlen, "cannot start the CDR thread");
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (w) {
		cdr_store_close(w->store);
		free(w->ring);
		free(w->batch);
		free(w);
	}
	return -1;
}

static void push(struct cdr_writer *w, const struct cdr_event *in)
{
	int wake;

	pthread_mutex_lock(&w->mu);
	if (w->count < RING_SIZE && !w->of_head) {
		w->ring[(w->head + w->count) % RING_SIZE] = *in;
		w->count++;
	} else {
		/* Disk is behind: keep the event anyway, in order. */
		struct overflow *o = malloc(sizeof(*o));

		if (!o) {
			pthread_mutex_unlock(&w->mu);
			log_error("cdr: out of memory, event of call serial %llu lost",
				  (unsigned long long)in->serial);
			return;
		}
		o->next = NULL;
		o->ev = *in;
		if (w->of_tail)
			w->of_tail->next = o;
		else
			w->of_head = o;
		w->of_tail = o;
		if (w->of_count++ == 0)
			log_warn("cdr: queue full, buffering in memory");
	}
	w->pushed++;
	/* The writer wakes every BATCH_MS on its own: waking it per event
	 * cost a context switch per SIP event (perf: a third of the b2bua's
	 * CPU in the scheduler). Only a filling ring hurries it. */
	wake = w->count >= RING_SIZE / 2 || w->of_count;
	pthread_mutex_unlock(&w->mu);
	if (wake)
		pthread_cond_signal(&w->cv);
}

void cdr_writer_push(struct cdr_writer *w, uint64_t serial, const struct cdr_row *row, int final)
{
	struct cdr_event ev = {.serial = serial, .final = final};

	ev.u.row = *row;
	push(w, &ev);
}

void cdr_writer_attempt(struct cdr_writer *w, uint64_t serial, const struct cdr_attempt *a)
{
	struct cdr_event ev = {.serial = serial, .is_attempt = 1};

	ev.u.att = *a;
	push(w, &ev);
}

void cdr_writer_attempt_sink(void *ctx, uint64_t serial, const struct cdr_attempt *a)
{
	cdr_writer_attempt(ctx, serial, a);
}

void cdr_writer_sink(void *ctx, uint64_t serial, const struct cdr_row *row, int final)
{
	cdr_writer_push(ctx, serial, row, final);
}

void cdr_writer_flush(struct cdr_writer *w)
{
	pthread_mutex_lock(&w->mu);
	uint64_t target = w->pushed;

	pthread_cond_signal(&w->cv);
	while (w->done < target)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void cdr_writer_stop(struct cdr_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (size_t i = 0; i < MAP_SIZE; i++) {
		while (w->map[i]) {
			struct map_entry *e = w->map[i];

			w->map[i] = e->next;
			entry_free(e);
		}
	}
	cdr_store_close(w->store);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->idle);
	free(w->ring);
	free(w->batch);
	free(w);
}

uint64_t cdr_writer_written(struct cdr_writer *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->mu);
	n = w->written;
	pthread_mutex_unlock(&w->mu);
	return n;
}

size_t cdr_writer_queued(struct cdr_writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->count + w->of_count;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void cdr_writer_commit_hist(struct cdr_writer *w, struct prom_hist *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->commit;
	pthread_mutex_unlock(&w->mu);
}
