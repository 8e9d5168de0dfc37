/*
 * transition.c - see transition.h.
 */
#include "transition.h"
#include "message.h"
#include "schema.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct tx {
	const cl_config *cfg;       /* the configuration in force */
	const cl_machine *m;        /* compiled from cfg->workflow */
	const cl_record *old;       /* NULL for a new record */
	const cl_request *req;      /* what is asked */
	const cl_person *actor;     /* resolved actor */
	const cl_person *talent;    /* resolved talent */
	char period[8];             /* from the record id */
	char talent_id[CL_ID_MAX_BUF]; /* from the record id */
	cl_error *err;              /* where refusals go */
} tx;

static int tx_fail(const tx *t, int code, const char *msg)
{
	return cl_error_set(t->err, code, "%s: %s", t->req->record_id, msg);
}

static int tx_prefix(const tx *t)
{
	return cl_error_prefix(t->err, "%s", t->req->record_id);
}

static int tx_resolve(tx *t)
{
	const cl_request *req = t->req;
	int error;

	if ((error = cl_record_id_split(t->period, t->talent_id, req->record_id, t->err)) < 0)
		return error;
	if (!cl_id_valid(req->actor)) {
		char q[64];
		return cl_error_set(t->err, CL_EINVALID,
				    "%s: '%s' is not a valid person id (use 1-64 of A-Z a-z 0-9 . _ -)",
				    req->record_id, cl_schema_quote(q, sizeof(q), req->actor));
	}
	if (!(t->actor = cl_people_find(t->cfg->people, req->actor)))
		return cl_error_set(t->err, CL_ENOTFOUND, "%s: unknown person '%s'",
				    req->record_id, req->actor);
	t->talent = cl_people_find(t->cfg->people, t->talent_id);
	if (!t->talent || !t->talent->talent)
		return cl_error_set(t->err, CL_ENOTFOUND, "%s: '%s' is not a talent",
				    req->record_id, t->talent_id);
	return 0;
}

static int tx_is_reviewer(const tx *t, size_t level)
{
	size_t *idx, n, i;
	int found = 0;

	cl_config_reviewers(&idx, &n, t->cfg, level, t->talent);
	for (i = 0; i < n && !found; i++)
		found = &t->cfg->people->people[idx[i]] == t->actor;
	free(idx);
	return found;
}

static void tx_facts(cl_actor_facts *f, const tx *t, size_t from)
{
	const cl_state *st = &t->m->states[from];
	const cl_record *old = t->old;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->actor = t->actor->id;
	f->is_talent = t->actor == t->talent;
	if (st->kind == CL_STATE_PENDING)
		f->is_reviewer = tx_is_reviewer(t, st->level);
	if (!old)
		return;
	for (i = 0; i < old->napprovals; i++) {
		const char *lv = st->level == CL_NONE ? "" : t->m->workflow->levels[st->level].id;
		if (!strcmp(old->approvals[i].actor, t->actor->id) &&
		    strcmp(old->approvals[i].level, lv))
			f->approved_before = 1;
	}
	f->reviewed_round = old->napprovals > 0 ||
			    (old->ntrail && !strcmp(old->trail[old->ntrail - 1].action, "reject"));
}

static int tx_from_state(size_t *from, const tx *t)
{
	if (!t->old && t->req->action != CL_ACTION_SUBMIT)
		return cl_error_set(t->err, CL_ENOTFOUND,
				    "%s: no such record (the talent has not submitted it)",
				    t->req->record_id);
	if (!t->old) {
		*from = cl_machine_state(t->m, "none");
		return 0;
	}
	if (strcmp(t->old->id, t->req->record_id) || strcmp(t->old->talent, t->talent_id))
		return tx_fail(t, CL_EINVALID, "stored record does not match its id");
	if ((*from = cl_machine_state(t->m, t->old->state)) == CL_NONE)
		return cl_error_set(t->err, CL_EDENIED,
				    "%s: state '%s' is not in workflow '%s'",
				    t->req->record_id, t->old->state, t->m->workflow->version_tag);
	return 0;
}

static int tx_check_term(const tx *t)
{
	const cl_talent *tal = t->talent->talent;
	cl_period p;
	char from[11], to[11];

	if (cl_period_parse(&p, t->period) < 0)
		return tx_fail(t, CL_EINVALID, "bad period");
	if (cl_period_last_day(&p) < tal->from || cl_period_first_day(&p) > tal->to) {
		cl_date_format(from, tal->from);
		cl_date_format(to, tal->to);
		return cl_error_set(t->err, CL_EINVALID,
				    "%s: period '%s' is outside the term of talent '%s' (%s to %s)",
				    t->req->record_id, t->period, t->talent_id, from, to);
	}
	return 0;
}

static int tx_check_grade(const tx *t, const cl_edge *e)
{
	const cl_level *l = e->level == CL_NONE ? NULL : &t->m->workflow->levels[e->level];
	const char *g = t->req->grade;
	size_t i;

	if (e->action != CL_ACTION_APPROVE || !l || !l->ngrades) {
		if (g)
			return cl_error_set(t->err, CL_EINVALID, "%s: %s takes no grade here, got '%s'",
					    t->req->record_id, cl_action_name(e->action), g);
		return 0;
	}
	if (!g) {
		cl_buf list = CL_BUF_INIT;
		for (i = 0; i < l->ngrades; i++)
			cl_buf_printf(&list, "%s%s", i ? ", " : "", l->grades[i]);
		cl_error_set(t->err, CL_EINVALID,
			     "%s: level '%s' needs a grade to approve (--grade one of: %s)",
			     t->req->record_id, l->id, list.ptr);
		cl_buf_release(&list);
		return CL_EINVALID;
	}
	for (i = 0; i < l->ngrades; i++)
		if (!strcmp(l->grades[i], g))
			return 0;
	return cl_error_set(t->err, CL_EINVALID, "%s: unknown grade '%s' for level '%s'",
			    t->req->record_id, cl_id_valid(g) ? g : "(invalid)", l->id);
}

static int tx_check_comment(const tx *t, const cl_edge *e)
{
	const cl_level *l = e->level == CL_NONE ? NULL : &t->m->workflow->levels[e->level];
	cl_need_comment need = CL_COMMENT_OPTIONAL;

	if (l && e->action == CL_ACTION_APPROVE)
		need = l->approve_comment;
	if (l && e->action == CL_ACTION_REJECT)
		need = l->reject_comment;
	if (need == CL_COMMENT_REQUIRED && !t->req->comment)
		return cl_error_set(t->err, CL_EINVALID, "%s: %s at level '%s' needs a comment (--comment)",
				    t->req->record_id, cl_action_name(e->action), l->id);
	return 0;
}

static cl_record *tx_base(const tx *t)
{
	cl_record *r;

	if (t->old)
		return cl_record_dup(t->old);
	r = cl_xcalloc(1, sizeof(*r));
	r->id = cl_xstrdup(t->req->record_id);
	r->period = cl_xstrdup(t->period);
	r->talent = cl_xstrdup(t->talent_id);
	r->state = cl_xstrdup("none");
	r->round = 0;
	r->fields = cl_ynode_new_map();
	return r;
}

/* After a rejection back to level `to_level`, only the approvals of the
 * levels before it stay: that level and the ones after review again. */
static void tx_drop_approvals_from(cl_record *r, const cl_workflow *wf, size_t to_level)
{
	cl_record old = { 0 };
	size_t i;

	old.approvals = r->approvals;
	old.napprovals = r->napprovals;
	r->approvals = NULL;
	r->napprovals = 0;
	for (i = 0; i < old.napprovals; i++) {
		size_t lv = cl_workflow_level(wf, old.approvals[i].level);
		if (lv != CL_NONE && lv < to_level)
			cl_record_add_approval(r, &old.approvals[i]);
	}
	cl_record_clear_approvals(&old);
}

static int tx_apply_fields(cl_record *r, const tx *t)
{
	cl_ynode *fields = NULL;
	int error;

	if ((error = tx_check_term(t)) < 0)
		return error;
	if ((error = cl_config_check_log(&fields, t->cfg, t->req->log_file, t->req->log,
					 t->err)) < 0)
		return tx_prefix(t);
	cl_ynode_free(r->fields);
	r->fields = fields;
	r->round++;
	cl_record_clear_approvals(r);
	return 0;
}

static void tx_update(cl_record *r, const tx *t, const cl_edge *e)
{
	const cl_state *to = &t->m->states[e->to];
	const cl_workflow *wf = t->m->workflow;
	cl_trail tr = { 0 };

	if (e->action == CL_ACTION_APPROVE) {
		cl_approval a = { wf->levels[e->level].id, t->actor->id, (char *)t->req->grade,
				  t->req->time };
		cl_record_add_approval(r, &a);
	}
	if (e->action == CL_ACTION_REJECT || e->action == CL_ACTION_WITHDRAW)
		tx_drop_approvals_from(r, wf, to->kind == CL_STATE_PENDING ? to->level : 0);
	tr.action = (char *)cl_action_name(e->action);
	tr.actor = t->actor->id;
	tr.level = e->level == CL_NONE ? NULL : wf->levels[e->level].id;
	tr.from = t->m->states[e->from].name;
	tr.to = to->name;
	tr.grade = (char *)t->req->grade;
	tr.comment = (char *)t->req->comment;
	tr.at = t->req->time;
	cl_record_add_trail(r, &tr);
	free(r->state);
	r->state = cl_xstrdup(to->name);
	free(r->level);
	r->level = to->kind == CL_STATE_PENDING ? cl_xstrdup(wf->levels[to->level].id) : NULL;
	free(r->workflow);
	r->workflow = cl_xstrdup(wf->version_tag);
	r->since = t->req->time;
}

int cl_transition_apply(cl_record **out, const cl_config *cfg,
			const cl_machine *m, const cl_record *old,
			const cl_request *req, cl_error *err)
{
	tx t = { cfg, m, old, req, NULL, NULL, { 0 }, { 0 }, err };
	const cl_edge *e = NULL;
	cl_actor_facts facts;
	cl_record *r = NULL;
	size_t from = CL_NONE;
	int error;

	*out = NULL;
	if ((error = tx_resolve(&t)) < 0 || (error = tx_from_state(&from, &t)) < 0)
		return error;
	tx_facts(&facts, &t, from);
	if ((error = cl_machine_check(&e, m, from, req->action, &facts, err)) < 0)
		return tx_prefix(&t);
	if ((error = tx_check_grade(&t, e)) < 0 || (error = tx_check_comment(&t, e)) < 0)
		return error;
	if (old && old->ntrail >= CL_RECORD_MAX_TRAIL)
		return tx_fail(&t, CL_EDENIED, "record has reached its limit of transitions");
	r = tx_base(&t);
	if (req->action == CL_ACTION_SUBMIT && (error = tx_apply_fields(r, &t)) < 0) {
		cl_record_free(r);
		return error;
	}
	tx_update(r, &t, e);
	*out = r;
	return 0;
}

void cl_transition_message(cl_buf *out, const cl_record *old,
			   const cl_record *new_rec, const cl_request *req)
{
	const cl_trail *last = &new_rec->trail[new_rec->ntrail - 1];

	cl_message_transition(out, req->record_id, last->action, last->actor,
				     old ? old->state : "none", new_rec->state,
				     last->level, last->grade, last->comment);
}

int cl_transition_waiting(const char ***ids, size_t *n, const cl_config *cfg,
			  const cl_machine *m, const cl_record *r)
{
	size_t st = cl_machine_state(m, r->state), *idx = NULL, k, i, j;
	const cl_person *talent = cl_people_find(cfg->people, r->talent);

	*ids = NULL;
	*n = 0;
	if (st == CL_NONE || !talent)
		return 0;
	if (m->states[st].kind == CL_STATE_RETURNED || m->states[st].kind == CL_STATE_WITHDRAWN) {
		*ids = cl_xcalloc(1, sizeof(char *));
		(*ids)[(*n)++] = talent->id;
		return 0;
	}
	if (m->states[st].kind != CL_STATE_PENDING)
		return 0;
	cl_config_reviewers(&idx, &k, cfg, m->states[st].level, talent);
	*ids = cl_xcalloc(k ? k : 1, sizeof(char *));
	for (i = 0; i < k; i++) {
		const cl_person *p = &cfg->people->people[idx[i]];
		int barred = p == talent;
		for (j = 0; j < r->napprovals && !barred; j++)
			barred = !strcmp(r->approvals[j].actor, p->id) &&
				 strcmp(r->approvals[j].level, r->level ? r->level : "");
		if (!barred)
			(*ids)[(*n)++] = p->id;
	}
	free(idx);
	return 0;
}

void cl_transition_replay(cl_record *r, const cl_machine *m, const char *action,
			  const char *actor, const char *level, const char *to,
			  const char *grade, int64_t at)
{
	const cl_workflow *wf = m->workflow;
	size_t st = to ? cl_machine_state(m, to) : CL_NONE;
	int pending = st != CL_NONE && m->states[st].kind == CL_STATE_PENDING;
	cl_approval a = { (char *)level, (char *)actor, (char *)grade, at };
	cl_action act;

	if (cl_action_parse(&act, action) == 0) {
		switch (act) {
		case CL_ACTION_SUBMIT:
			cl_record_clear_approvals(r);
			r->round++;
			break;
		case CL_ACTION_APPROVE:
			cl_record_add_approval(r, &a);
			break;
		case CL_ACTION_REJECT:
		case CL_ACTION_WITHDRAW:
			tx_drop_approvals_from(r, wf, pending ? m->states[st].level : 0);
			break;
		}
	}
	free(r->state);
	r->state = cl_xstrdup(to ? to : "none");
	free(r->level);
	r->level = pending ? cl_xstrdup(wf->levels[m->states[st].level].id) : NULL;
	r->since = at;
}
