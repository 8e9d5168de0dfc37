/*
 * transition.h - one step of a record, as a pure function.
 *
 *   (configuration, machine, old record or NULL, request) -> new record
 *
 * This is where every rule lives: who may act, on which state, with which
 * comment, grade and fields.  The engine calls it before it writes, and
 * verify calls it again on each commit of the history and compares the
 * bytes, so the two can never disagree.  No I/O.
 */
#ifndef CL_TRANSITION_H
#define CL_TRANSITION_H

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "machine.h"
#include "record.h"

typedef struct cl_request {
	cl_action action;       /* what is asked */
	const char *record_id;  /* "PERIOD/TALENT" */
	const char *actor;      /* person id (the one explicit identity) */
	int64_t time;           /* when, seconds since the epoch */
	const char *comment;    /* cleaned comment or NULL */
	const char *grade;      /* approve: the grade, or NULL */
	const cl_ynode *log;    /* submit: the log's root node */
	const char *log_file;   /* submit: the log's name, for messages */
} cl_request;

/*
 * Applies req to old (NULL when the record does not exist yet).  On
 * success *out is the new record.  Refusals: CL_ENOTFOUND (unknown
 * person), CL_EINVALID (bad period, field, grade, comment), CL_EDENIED (a
 * rule).  Messages start with the record id.
 */
int cl_transition_apply(cl_record **out, const cl_config *cfg,
			const cl_machine *m, const cl_record *old,
			const cl_request *req, cl_error *err);

/* The commit message for a transition from old to new. */
void cl_transition_message(cl_buf *out, const cl_record *old,
			   const cl_record *new_rec, const cl_request *req);

/* Who may act on the record now (person ids into cfg, borrowed): the
 * current level's reviewers (less the talent and anyone who approved
 * another level this round), or the talent when it is back with them. */
int cl_transition_waiting(const char ***ids, size_t *n, const cl_config *cfg,
			  const cl_machine *m, const cl_record *r);

/*
 * A record as its transitions leave it, from what their commits' trailers
 * say alone (the index is built so, without reading record files): folds
 * one transition, the record's next, into r as cl_transition_apply left
 * the file: state, level, since and the current round's approvals.  r
 * starts zeroed but for its id, period and talent.  The level of a state
 * is m's (the configuration the row is computed with).  No I/O.
 */
void cl_transition_replay(cl_record *r, const cl_machine *m, const char *action,
			  const char *actor, const char *level, const char *to,
			  const char *grade, int64_t at);

#endif
