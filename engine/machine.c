/*
 * machine.c - compiles a workflow into state and edge tables and answers
 * "is this legal now, by this actor?".  See machine.h.
 */
#include "machine.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[CL_ACTION_COUNT] = {
	"submit", "withdraw", "approve", "reject",
};

const char *cl_action_name(cl_action a)
{
	switch (a) {
	case CL_ACTION_SUBMIT:
	case CL_ACTION_WITHDRAW:
	case CL_ACTION_APPROVE:
	case CL_ACTION_REJECT:
		return action_names[a];
	}
	return "unknown";
}

int cl_action_parse(cl_action *out, const char *s)
{
	int i;

	for (i = 0; i < CL_ACTION_COUNT; i++) {
		if (!strcmp(s, action_names[i])) {
			*out = (cl_action)i;
			return 0;
		}
	}
	return -1;
}

void cl_machine_free(cl_machine *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nstates; i++)
		free(m->states[i].name);
	free(m->states);
	free(m->edges);
	free(m);
}

static size_t machine_add_state(cl_machine *m, const char *prefix,
				const char *name, cl_state_kind kind, size_t level)
{
	cl_buf b = CL_BUF_INIT;
	cl_state *st = &m->states[m->nstates];

	cl_buf_puts(&b, prefix);
	cl_buf_puts(&b, name);
	st->name = cl_buf_detach(&b);
	st->kind = kind;
	st->level = level;
	return m->nstates++;
}

static void machine_add_edge(cl_machine *m, size_t from, cl_action a, size_t to,
			     size_t level, cl_who who)
{
	cl_edge *e = &m->edges[m->nedges++];

	e->from = from;
	e->action = a;
	e->to = to;
	e->level = level;
	e->who = who;
}

static int machine_check_names(const cl_machine *m, const cl_workflow *wf,
			       cl_error *err)
{
	size_t i, j;

	for (i = 0; i < m->nstates; i++)
		for (j = i + 1; j < m->nstates; j++)
			if (!strcmp(m->states[i].name, m->states[j].name))
				return cl_error_set(err, CL_EINVALID,
						    "workflow '%s': two states are named '%s'",
						    wf->id, m->states[i].name);
	return 0;
}

int cl_machine_compile(cl_machine **out, const cl_workflow *wf, cl_error *err)
{
	cl_machine *m = cl_xcalloc(1, sizeof(*m));
	size_t i, none, returned, withdrawn, approved, first;
	int error;

	*out = NULL;
	m->workflow = wf;
	m->states = cl_xcalloc(wf->nlevels + 4, sizeof(cl_state));
	m->edges = cl_xcalloc(3 * wf->nlevels + 4, sizeof(cl_edge));
	none = machine_add_state(m, "", "none", CL_STATE_NONE, CL_NONE);
	first = m->nstates;
	for (i = 0; i < wf->nlevels; i++)
		machine_add_state(m, "pending-", wf->levels[i].id, CL_STATE_PENDING, i);
	returned = machine_add_state(m, "", "returned", CL_STATE_RETURNED, CL_NONE);
	withdrawn = machine_add_state(m, "", "withdrawn", CL_STATE_WITHDRAWN, CL_NONE);
	approved = machine_add_state(m, "", "approved", CL_STATE_APPROVED, CL_NONE);

	machine_add_edge(m, none, CL_ACTION_SUBMIT, first, CL_NONE, CL_WHO_TALENT);
	machine_add_edge(m, returned, CL_ACTION_SUBMIT, first, CL_NONE, CL_WHO_TALENT);
	machine_add_edge(m, withdrawn, CL_ACTION_SUBMIT, first, CL_NONE, CL_WHO_TALENT);
	machine_add_edge(m, first, CL_ACTION_WITHDRAW, withdrawn, CL_NONE, CL_WHO_TALENT);
	for (i = 0; i < wf->nlevels; i++) {
		size_t at = first + i;
		size_t next = i + 1 < wf->nlevels ? at + 1 : approved;
		size_t back = wf->on_reject == CL_REJECT_TO_PREVIOUS && i > 0 ? at - 1
									     : returned;
		machine_add_edge(m, at, CL_ACTION_APPROVE, next, i, CL_WHO_REVIEWER);
		machine_add_edge(m, at, CL_ACTION_REJECT, back, i, CL_WHO_REVIEWER);
	}
	if ((error = machine_check_names(m, wf, err)) < 0) {
		cl_machine_free(m);
		return error;
	}
	*out = m;
	return 0;
}

size_t cl_machine_state(const cl_machine *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nstates; i++)
		if (!strcmp(m->states[i].name, name))
			return i;
	return CL_NONE;
}

const cl_edge *cl_machine_edge(const cl_machine *m, size_t from, cl_action a)
{
	size_t i;

	for (i = 0; i < m->nedges; i++)
		if (m->edges[i].from == from && m->edges[i].action == a)
			return &m->edges[i];
	return NULL;
}

static int machine_check_who(const cl_machine *m, const cl_edge *e,
			     const cl_actor_facts *f, cl_error *err)
{
	const char *act = cl_action_name(e->action);

	switch (e->who) {
	case CL_WHO_TALENT:
		if (!f->is_talent)
			return cl_error_set(err, CL_EDENIED,
					    "only the record's talent may %s it", act);
		if (e->action == CL_ACTION_WITHDRAW && f->reviewed_round)
			return cl_error_set(err, CL_EDENIED,
					    "withdraw is allowed only before the first review");
		return 0;
	case CL_WHO_REVIEWER:
		if (f->is_talent)
			return cl_error_set(err, CL_EDENIED,
					    "nobody may %s their own record", act);
		if (!f->is_reviewer)
			return cl_error_set(err, CL_EDENIED,
					    "only a reviewer of level '%s' may %s it now, and '%s' is not one",
					    m->workflow->levels[e->level].id, act,
					    f->actor ? f->actor : "the actor");
		if (e->action == CL_ACTION_APPROVE && f->approved_before)
			return cl_error_set(err, CL_EDENIED,
					    "one person may not approve the same record at two levels");
		return 0;
	}
	return cl_error_set(err, CL_EINTERNAL, "edge has no actor rule");
}

int cl_machine_check(const cl_edge **out, const cl_machine *m, size_t from,
		     cl_action action, const cl_actor_facts *facts,
		     cl_error *err)
{
	const cl_edge *e = cl_machine_edge(m, from, action);
	int error;

	*out = NULL;
	if (!e)
		return cl_error_set(err, CL_EDENIED, "cannot %s a record in state '%s'",
				    cl_action_name(action), m->states[from].name);
	if ((error = machine_check_who(m, e, facts, err)) < 0)
		return error;
	*out = e;
	return 0;
}

void cl_machine_dot(const cl_machine *m, cl_buf *out)
{
	size_t i;

	cl_buf_printf(out, "digraph \"%s\" {\n\trankdir=LR;\n", m->workflow->id);
	for (i = 0; i < m->nstates; i++) {
		const cl_state *s = &m->states[i];
		cl_buf_printf(out, "\t\"%s\" [shape=%s];\n", s->name,
			      s->kind == CL_STATE_APPROVED ? "doublecircle" :
			      s->kind == CL_STATE_NONE ? "point" : "box");
	}
	for (i = 0; i < m->nedges; i++) {
		const cl_edge *e = &m->edges[i];
		cl_buf_printf(out, "\t\"%s\" -> \"%s\" [label=\"%s%s%s\"];\n",
			      m->states[e->from].name, m->states[e->to].name,
			      cl_action_name(e->action),
			      e->level == CL_NONE ? " (talent)" : " by ",
			      e->level == CL_NONE ? "" : m->workflow->levels[e->level].role);
	}
	cl_buf_puts(out, "}\n");
}
