/*
 * index.h - the derived query index (sqlite).
 *
 * This is the only module that includes sqlite3.h.  The index is derived
 * from the history: it can be deleted and rebuilt at any time.  It holds
 * one row per record (its current state and who it waits on) and one row
 * per transition, and remembers the commit it has applied up to (its
 * head).  Each applied commit is one transaction, so the index is always
 * at some commit of the history, never between two.
 *
 * Journal: WAL, so readers never block the single writer for long, with
 * synchronous=NORMAL: a power loss may lose the last applied commits, and
 * the next command re-applies them from the history.
 *
 * Rows handed to callbacks are borrowed and live until the callback
 * returns.  cl_index_get() fills a row the caller releases.
 */
#ifndef CL_INDEX_H
#define CL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct cl_index cl_index;

/* Opens (creating the file and schema if needed) the index at path. */
int cl_index_open(cl_index **out, const char *path, cl_error *err);
void cl_index_free(cl_index *ix); /* NULL is fine */

/* The applied head as 40 hex digits, or "" when nothing is applied. */
int cl_index_head(cl_index *ix, char out[41], cl_error *err);

/* Deletes every row and the head, in one transaction. */
int cl_index_reset(cl_index *ix, cl_error *err);

typedef struct cl_index_record {
	char *id;          /* "2022H2/t001" */
	char *period;      /* "2022H2" */
	char *talent;      /* person id */
	char *state;       /* machine state name */
	char *level;       /* current level id, NULL when none */
	int64_t since;     /* time it entered its state */
	char *commit;      /* hex of the commit that last changed it */
	char **waiting;    /* person ids who may act now */
	size_t nwaiting;   /* entries in waiting */
} cl_index_record;

void cl_index_record_release(cl_index_record *r); /* NULL is fine */

typedef struct cl_index_transition {
	char *commit;  /* hex */
	char *record;  /* record id, NULL for a configuration change */
	int64_t time;  /* commit time */
	char *actor;   /* person id */
	char *action;  /* submit, approve, ... or config */
	char *from;    /* state before, NULL for config */
	char *to;      /* state after, NULL for config */
	char *level;   /* level id or NULL */
	char *grade;   /* grade or NULL */
	char *comment; /* comment or NULL */
} cl_index_transition;

/* Writing: begin, any number of puts, then commit (which records head) or
 * rollback.  Applying the same commit twice is harmless: transitions are
 * keyed by commit id and records by record id. */
int cl_index_begin(cl_index *ix, cl_error *err);
int cl_index_put_record(cl_index *ix, const cl_index_record *r, cl_error *err);
int cl_index_add_transition(cl_index *ix, const cl_index_transition *t,
			    cl_error *err);
int cl_index_commit(cl_index *ix, const char *head_hex, cl_error *err);
void cl_index_rollback(cl_index *ix);

/* CL_ENOTFOUND when there is no such record. */
int cl_index_get(cl_index *ix, const char *id, cl_index_record *out,
		 cl_error *err);

typedef struct cl_index_filter {
	const char *period;  /* NULL: any */
	const char *state;   /* NULL: any */
	const char *waiting; /* NULL: any; else only records waiting on this person */
	const char *talent;  /* NULL: any */
	int in_flight;       /* non-zero: only records someone may act on now */
} cl_index_filter;

/* Records matching f, ordered by id.  A non-zero return from cb stops the
 * query and is returned. */
typedef int (*cl_index_record_cb)(const cl_index_record *r, void *payload);
int cl_index_query(cl_index *ix, const cl_index_filter *f,
		   cl_index_record_cb cb, void *payload, cl_error *err);

/* Transitions of one record, oldest first (NULL record: every config
 * change).  Ordered by the order they were applied. */
typedef int (*cl_index_transition_cb)(const cl_index_transition *t,
				      void *payload);
int cl_index_history(cl_index *ix, const char *record,
		     cl_index_transition_cb cb, void *payload, cl_error *err);

/* Number of records and of transitions, for verify's cross-check. */
int cl_index_counts(cl_index *ix, int64_t *records, int64_t *transitions,
		    cl_error *err);

#endif
