/*
 * machine.h - the state machine compiled from a workflow.
 *
 * Pure: no git, no sqlite, no YAML.  States and edges are tables built
 * from the workflow's levels, so a chain of 2, 3 or 5 levels is different
 * data, not different code.  The states are:
 *
 *   none              no record yet (never stored)
 *   pending-<level>   waiting on that level's reviewers
 *   returned          back with the talent after a rejection
 *   withdrawn         taken back by the talent before the first review
 *   approved          accepted: the end state
 *
 * and the edges:
 *
 *   submit    none | returned | withdrawn -> pending-<first>    (talent)
 *   withdraw  pending-<first> -> withdrawn                      (talent)
 *   approve   pending-<L> -> pending-<next> | approved          (reviewers of L)
 *   reject    pending-<L> -> returned | pending-<previous>      (reviewers of L)
 *
 * cl_machine_check() applies the rules that depend only on who the actor
 * is relative to the record, from facts the caller gathered.
 */
#ifndef CL_MACHINE_H
#define CL_MACHINE_H

#include <stddef.h>

#include "config.h"
#include "error.h"

typedef enum cl_action {
	CL_ACTION_SUBMIT,
	CL_ACTION_WITHDRAW,
	CL_ACTION_APPROVE,
	CL_ACTION_REJECT,
} cl_action;

#define CL_ACTION_COUNT 4

const char *cl_action_name(cl_action a);
int cl_action_parse(cl_action *out, const char *s); /* 0 or -1 */

typedef enum cl_state_kind {
	CL_STATE_NONE,
	CL_STATE_PENDING,
	CL_STATE_RETURNED,
	CL_STATE_WITHDRAWN,
	CL_STATE_APPROVED,
} cl_state_kind;

typedef enum cl_who {
	CL_WHO_TALENT,   /* the record's own talent */
	CL_WHO_REVIEWER, /* a resolved reviewer of the edge's level */
} cl_who;

typedef struct cl_state {
	char *name;         /* "pending-village", "approved", ... */
	cl_state_kind kind; /* what sort of state */
	size_t level;       /* PENDING: the level reviewing; else CL_NONE */
} cl_state;

typedef struct cl_edge {
	size_t from;      /* state index */
	cl_action action; /* what is done */
	size_t to;        /* state index */
	size_t level;     /* the acting level, CL_NONE for the talent's edges */
	cl_who who;       /* who may take it */
} cl_edge;

typedef struct cl_machine {
	cl_state *states;            /* state table, "none" first */
	size_t nstates;              /* entries */
	cl_edge *edges;              /* edge table */
	size_t nedges;               /* entries */
	const cl_workflow *workflow; /* borrowed: what it was compiled from */
} cl_machine;

int cl_machine_compile(cl_machine **out, const cl_workflow *wf, cl_error *err);
void cl_machine_free(cl_machine *m);

/* State index by name, CL_NONE when unknown. */
size_t cl_machine_state(const cl_machine *m, const char *name);
/* The edge for (from, action), NULL when the action is not legal there. */
const cl_edge *cl_machine_edge(const cl_machine *m, size_t from, cl_action a);

/* What the caller knows about the actor and the record. */
typedef struct cl_actor_facts {
	int is_talent;        /* the actor is the record's talent */
	int is_reviewer;      /* the actor is a resolved reviewer of the level */
	int approved_before;  /* the actor approved another level this round */
	int reviewed_round;   /* some level acted on the record this round */
	const char *actor;    /* the actor's id, for messages (may be NULL) */
} cl_actor_facts;

/*
 * Is `action` legal from state `from` for this actor?  On success *out is
 * the edge.  Refusals are CL_EDENIED, naming the rule: the action is not
 * legal in this state, or not for this actor.
 */
int cl_machine_check(const cl_edge **out, const cl_machine *m, size_t from,
		     cl_action action, const cl_actor_facts *facts,
		     cl_error *err);

/* Graphviz rendering of the machine. */
void cl_machine_dot(const cl_machine *m, cl_buf *out);

#endif
