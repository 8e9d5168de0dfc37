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
 *
 * Besides the rows, the index keeps the key of the configuration in force
 * at the head (the ids of its files, which name its entry in HOME/cache),
 * so that a read at the branch tip needs no history to load it.  Commit
 * ids are stored as their 20 bytes; the API speaks 40 hex digits.
 */
#ifndef CL_INDEX_H
#define CL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
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
	char *id;          /* "2022H2/t001": the period, '/', the talent */
	char *period;      /* "2022H2"; a put refuses an id not under it */
	char *talent;      /* person id */
	char *state;       /* machine state name */
	char *level;       /* current level id, NULL when none */
	int64_t since;     /* time it entered its state */
	char *commit;      /* hex of the last commit whose Record: names it */
	char **waiting;    /* person ids who may act now */
	size_t nwaiting;   /* entries in waiting */
	int64_t due;       /* the level's deadline (since + its days), 0: none */
	char *line;        /* a query with lines set: the line `list` shows
			    * (cl_index_list_line, kept at put); else NULL */
	size_t line_len;   /* bytes in line */
} cl_index_record;

/* Appends the line `list` shows for r, without its newline: id, state,
 * level and the time it entered its state, in columns.  A put stores it
 * with the row, so that a listing of thousands copies lines instead of
 * reading five columns and formatting a time for each. */
void cl_index_list_line(cl_buf *out, const cl_index_record *r);

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
	int64_t seq;   /* 0: after every transition applied so far; else,
			* during a bulk load only, its place in that order
			* (any other non-zero number, see catchup.c) */
} cl_index_transition;

/* Writing: begin, any number of puts, then commit (which records head) or
 * rollback.  Applying the same commit twice is harmless: transitions are
 * keyed by commit id and records by record id. */
int cl_index_begin(cl_index *ix, cl_error *err);
/* Whether the last cl_index_begin() failed because another connection
 * held the write lock for longer than the busy timeout (10 s). */
int cl_index_busy(const cl_index *ix);
int cl_index_put_record(cl_index *ix, const cl_index_record *r, cl_error *err);
int cl_index_add_transition(cl_index *ix, const cl_index_transition *t,
			    cl_error *err);
int cl_index_commit(cl_index *ix, const char *head_hex, cl_error *err);
void cl_index_rollback(cl_index *ix);

/*
 * Bulk loading, for a catch-up that applies more commits than the index
 * holds (a reindex, a schema rebuilt, a big import).  Inside the caller's
 * write transaction, cl_index_bulk_begin() drops the secondary indexes, so
 * that rows go in without keeping them sorted (random inserts into big
 * B-trees are what a long catch-up spent its time on), and
 * cl_index_bulk_end() builds them again, each from one sort.  The two may
 * be transactions apart: reads in between stay correct, only slower.  A
 * process that dies in between leaves the index in bulk; cl_index_bulk()
 * reports it (*on, may be NULL) so that the next catch-up goes on in bulk
 * and ends it.  While in bulk, applying a commit twice is an error
 * (reported by cl_index_bulk_end), not harmless as outside it.
 */
int cl_index_bulk(cl_index *ix, int *on, cl_error *err);
int cl_index_bulk_begin(cl_index *ix, cl_error *err);
int cl_index_bulk_end(cl_index *ix, cl_error *err);

/*
 * For putting a bulk load's records once, at its end, before
 * cl_index_bulk_end() builds the records' indexes: cl_index_bulk_history()
 * builds the transitions' index by record alone (which cl_index_trails()
 * reads), and empties who waits on the records: the caller then puts
 * every record named by a transition again (each put adds its rows and
 * deletes none).  cl_index_named() gives how many records the
 * transitions name, for the progress of those puts.
 */
int cl_index_bulk_history(cl_index *ix, cl_error *err);
int cl_index_named(cl_index *ix, int64_t *n, cl_error *err);

/*
 * Staging, for a load that computes records out of id order (catchup.c's
 * walk from the tip back).  Between cl_index_stage_begin() and
 * cl_index_stage_end(), cl_index_put_record() appends the row and who
 * waits to temporary tables; the end moves them into the index sorted by
 * key, so that the B-trees are appended to instead of inserted into at
 * random.  Inside a write transaction, on an index with no records (a
 * load after cl_index_reset); each record is put once (a second put fails
 * at the end).  A commit while staging fails; a rollback drops it all.
 */
int cl_index_stage_begin(cl_index *ix, cl_error *err);
int cl_index_stage_end(cl_index *ix, cl_error *err);

/* The configuration key stored with the head (set it in the write
 * transaction that commits that head).  cl_index_config() appends it to
 * out; CL_ENOTFOUND when none is stored. */
int cl_index_set_config(cl_index *ix, const char *key, cl_error *err);
int cl_index_config(cl_index *ix, cl_buf *out, cl_error *err);

/*
 * A read snapshot: every read between begin and end sees the index as it
 * was at the first of them, whatever writers commit meanwhile.  A reader
 * that checks the head against the branch tip and then answers from the
 * index needs that, or a concurrent reindex could empty the rows between
 * the check and the answer.  end accepts NULL and an index not reading.
 */
int cl_index_read_begin(cl_index *ix, cl_error *err);
void cl_index_read_end(cl_index *ix);

/* CL_ENOTFOUND when there is no such record. */
int cl_index_get(cl_index *ix, const char *id, cl_index_record *out,
		 cl_error *err);

typedef struct cl_index_filter {
	const char *period;  /* NULL: any */
	const char *state;   /* NULL: any */
	const char *waiting; /* NULL: any; else only records waiting on this person */
	const char *talent;  /* NULL: any */
	int in_flight;       /* non-zero: only records someone may act on now */
	int brief;           /* non-zero: rows need only id, state, level, since
			      * and due; the other fields are NULL/empty */
	int lines;           /* non-zero: rows need only id and line; the
			      * other fields are NULL/empty */
	int pages;           /* with lines, and no filter but the period: a
			      * row may carry the lines of several records
			      * in id order, joined by newlines (id is the
			      * first's, line_len covers them all), read off
			      * the index's pages of list lines */
} cl_index_filter;

/* Records matching f, ordered by id.  A non-zero return from cb stops the
 * query and is returned.  The record cb sees points into the index's row
 * and is valid only during the call: copy what must outlive it. */
typedef int (*cl_index_record_cb)(const cl_index_record *r, void *payload);
int cl_index_query(cl_index *ix, const cl_index_filter *f,
		   cl_index_record_cb cb, void *payload, cl_error *err);

/* Transitions of one record, oldest first (NULL record: every config
 * change).  Ordered by the order they were applied. */
typedef int (*cl_index_transition_cb)(const cl_index_transition *t,
				      void *payload);
int cl_index_history(cl_index *ix, const char *record,
		     cl_index_transition_cb cb, void *payload, cl_error *err);

/* Every transition that names a record, record by record (in id order),
 * each record's in the order they were applied: what a rebuild computes
 * the rows from.  The strings are the index's, valid during the call
 * only (no copies: a rebuild reads every transition).  Inside the
 * caller's transaction, after cl_index_bulk_history in a bulk load. */
int cl_index_trails(cl_index *ix, cl_index_transition_cb cb, void *payload,
		    cl_error *err);

/* For a process that keeps the index open while it writes many
 * transitions (batch, serve): its commits checkpoint the write-ahead log
 * less often, and cl_index_free leaves the log as short as a one-shot
 * command would (index.c, index_wal_hook). */
void cl_index_long_lived(cl_index *ix);

/* For verify: whether what `list` shows agrees with the records' rows
 * (each record's line is the one its columns make, and the list's pages
 * hold exactly those lines, in order).  0 with bad empty when it does;
 * else bad says what disagrees first.  < 0 only when the index cannot be
 * read. */
int cl_index_check_lines(cl_index *ix, cl_buf *bad, cl_error *err);

/* Number of records and of transitions, for verify's cross-check. */
int cl_index_counts(cl_index *ix, int64_t *records, int64_t *transitions,
		    cl_error *err);

#endif
