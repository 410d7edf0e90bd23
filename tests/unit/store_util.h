/*
 * NAME
 *	store_util.h - what the store's unit tests share: the sequence,
 *	a source of large capacity rows, a writer that holds the write lock
 * DESCRIPTION
 *	Included by the store's unit tests (grep for it: the list is not
 *	kept here); static inline functions only, so that a test may
 *	leave one unused.
 */
#ifndef MQ_STORE_UTIL_H
#define MQ_STORE_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

/* seq_of - the store's sequence, read in a transaction of its own */
static inline uint64_t seq_of(struct store *st)
{
	struct store_txn *t;
	struct store_meta m = { 0 };

	store_read_begin(st, &t);
	store_meta_get(t, &m);
	store_read_end(t);
	return m.seq;
}

/* A source of n capacity rows, each with a name of len bytes. */
struct big_source {
	const struct reg_table *t;
	char *name;
	size_t len;
	int next, n;
};

/* next_big - the source's next row (store_diff_table's source) */
static inline enum store_rc next_big(void *arg, struct store_row *row)
{
	struct big_source *b = arg;

	if (b->next == b->n)
		return STORE_NOTFOUND;
	memset(row, 0, sizeof(*row));
	row->col[0] = (struct store_value){ .kind = SV_INT, .i = ++b->next };
	row->col[reg_column_index(b->t, "name")] = (struct store_value){
		.kind = SV_TEXT, .s = b->name, .len = b->len };
	return STORE_OK;
}

/*
 * A writer that holds the write lock until told to let go: a thread in
 * st's write transaction, waiting on c for release.  m and c start as
 * PTHREAD_MUTEX_INITIALIZER and PTHREAD_COND_INITIALIZER; a test may
 * wait on c for a state of its own under m too.
 */
struct holder {
	struct store *st;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool holding, release;
	pthread_t thread;
};

/* hold_fn - the body of the holder's write transaction: wait */
static inline enum store_rc hold_fn(struct store_txn *txn, void *arg)
{
	struct holder *h = arg;

	(void)txn;
	pthread_mutex_lock(&h->m);
	h->holding = true;
	pthread_cond_broadcast(&h->c);
	while (!h->release)
		pthread_cond_wait(&h->c, &h->m);
	pthread_mutex_unlock(&h->m);
	return STORE_OK;
}

static inline void *hold_thread(void *arg)
{
	struct holder *h = arg;

	store_write(h->st, hold_fn, h, NULL);
	return NULL;
}

/* hold - start h's thread and wait until it holds the lock (again
 *	after let_go: its thread has ended then) */
static inline void hold(struct holder *h)
{
	h->holding = h->release = false;
	pthread_create(&h->thread, NULL, hold_thread, h);
	pthread_mutex_lock(&h->m);
	while (!h->holding)
		pthread_cond_wait(&h->c, &h->m);
	pthread_mutex_unlock(&h->m);
}

/* let_go - the holder commits; returns once its thread ended */
static inline void let_go(struct holder *h)
{
	pthread_mutex_lock(&h->m);
	h->release = true;
	pthread_cond_broadcast(&h->c);
	pthread_mutex_unlock(&h->m);
	pthread_join(h->thread, NULL);
}

#endif
