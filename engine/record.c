/*
 * record.c - reads and writes record files.  See record.h.
 */
#include "record.h"
#include "schema.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rec_keys[] = { "id", "period", "talent", "state",
	"level", "workflow", "round", "since", "fields", "approvals", "trail", NULL };
static const char *const appr_keys[] = { "level", "actor", "grade", "at", NULL };
static const char *const trail_keys[] = { "action", "actor", "level", "from",
	"to", "grade", "comment", "at", NULL };

void cl_record_path(cl_buf *out, const char *period, const char *talent)
{
	cl_buf_printf(out, "records/%s/%02x/%s.yaml", period,
		      (unsigned)(cl_hash_fnv1a(talent) & 0xff), talent);
}

int cl_record_id_split(char period[8], char talent[CL_ID_MAX_BUF],
		       const char *id, cl_error *err)
{
	const char *slash = strchr(id, '/');
	char q[64];
	cl_period p;

	if (!slash || (size_t)(slash - id) != 6) {
		cl_schema_quote(q, sizeof(q), id);
		return cl_error_set(err, CL_EINVALID,
				    "record id '%s' is not PERIOD/TALENT (e.g. 2022H2/t001)", q);
	}
	memcpy(period, id, 6);
	period[6] = '\0';
	if (cl_period_parse(&p, period) < 0 || !cl_id_valid(slash + 1)) {
		cl_schema_quote(q, sizeof(q), id);
		return cl_error_set(err, CL_EINVALID,
				    "record id '%s' is not PERIOD/TALENT (e.g. 2022H2/t001)", q);
	}
	memcpy(talent, slash + 1, strlen(slash + 1) + 1);
	return 0;
}

static void trail_release(cl_trail *t)
{
	free(t->action);
	free(t->actor);
	free(t->level);
	free(t->from);
	free(t->to);
	free(t->grade);
	free(t->comment);
}

void cl_record_clear_approvals(cl_record *r)
{
	size_t i;

	for (i = 0; i < r->napprovals; i++) {
		free(r->approvals[i].level);
		free(r->approvals[i].actor);
		free(r->approvals[i].grade);
	}
	free(r->approvals);
	r->approvals = NULL;
	r->napprovals = 0;
}

void cl_record_free(cl_record *r)
{
	size_t i;

	if (!r)
		return;
	free(r->id);
	free(r->period);
	free(r->talent);
	free(r->state);
	free(r->level);
	free(r->workflow);
	cl_ynode_free(r->fields);
	cl_record_clear_approvals(r);
	for (i = 0; i < r->ntrail; i++)
		trail_release(&r->trail[i]);
	free(r->trail);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? cl_xstrdup(s) : NULL;
}

void cl_record_add_trail(cl_record *r, const cl_trail *t)
{
	cl_trail *n;

	r->trail = cl_xrealloc(r->trail, cl_xmul(r->ntrail + 1, sizeof(cl_trail)));
	n = &r->trail[r->ntrail++];
	n->action = dup_or_null(t->action);
	n->actor = dup_or_null(t->actor);
	n->level = dup_or_null(t->level);
	n->from = dup_or_null(t->from);
	n->to = dup_or_null(t->to);
	n->grade = dup_or_null(t->grade);
	n->comment = dup_or_null(t->comment);
	n->at = t->at;
}

void cl_record_add_approval(cl_record *r, const cl_approval *a)
{
	cl_approval *n;

	r->approvals = cl_xrealloc(r->approvals,
				   cl_xmul(r->napprovals + 1, sizeof(cl_approval)));
	n = &r->approvals[r->napprovals++];
	n->level = dup_or_null(a->level);
	n->actor = dup_or_null(a->actor);
	n->grade = dup_or_null(a->grade);
	n->at = a->at;
}

cl_record *cl_record_dup(const cl_record *r)
{
	cl_record *d = cl_xcalloc(1, sizeof(*d));
	size_t i;

	d->id = dup_or_null(r->id);
	d->period = dup_or_null(r->period);
	d->talent = dup_or_null(r->talent);
	d->state = dup_or_null(r->state);
	d->level = dup_or_null(r->level);
	d->workflow = dup_or_null(r->workflow);
	d->round = r->round;
	d->since = r->since;
	d->fields = r->fields ? cl_ynode_dup(r->fields) : cl_ynode_new_map();
	for (i = 0; i < r->napprovals; i++)
		cl_record_add_approval(d, &r->approvals[i]);
	for (i = 0; i < r->ntrail; i++)
		cl_record_add_trail(d, &r->trail[i]);
	return d;
}

/* ---- writing ---- */

static void set_time(cl_ynode *map, const char *key, int64_t t)
{
	char buf[32];

	cl_time_format(buf, t);
	cl_ynode_set(map, key, cl_ynode_new_str(buf));
}

static void set_opt(cl_ynode *map, const char *key, const char *v)
{
	if (v)
		cl_ynode_set(map, key, cl_ynode_new_str(v));
}

static cl_ynode *record_tree(const cl_record *r)
{
	cl_ynode *root = cl_ynode_new_map(), *appr = cl_ynode_new_seq();
	cl_ynode *trail = cl_ynode_new_seq(), *m;
	char num[32];
	size_t i;

	cl_ynode_set(root, "id", cl_ynode_new_str(r->id));
	cl_ynode_set(root, "period", cl_ynode_new_str(r->period));
	cl_ynode_set(root, "talent", cl_ynode_new_str(r->talent));
	cl_ynode_set(root, "state", cl_ynode_new_str(r->state));
	cl_ynode_set(root, "level", r->level ? cl_ynode_new_str(r->level)
					     : cl_ynode_new_plain("null"));
	cl_ynode_set(root, "workflow", cl_ynode_new_str(r->workflow));
	snprintf(num, sizeof(num), "%lld", (long long)r->round);
	cl_ynode_set(root, "round", cl_ynode_new_plain(num));
	set_time(root, "since", r->since);
	cl_ynode_set(root, "fields", r->fields ? cl_ynode_dup(r->fields) : cl_ynode_new_map());
	for (i = 0; i < r->napprovals; i++) {
		m = cl_ynode_new_map();
		set_opt(m, "level", r->approvals[i].level);
		set_opt(m, "actor", r->approvals[i].actor);
		set_opt(m, "grade", r->approvals[i].grade);
		set_time(m, "at", r->approvals[i].at);
		cl_ynode_push(appr, m);
	}
	cl_ynode_set(root, "approvals", appr);
	for (i = 0; i < r->ntrail; i++) {
		const cl_trail *t = &r->trail[i];
		m = cl_ynode_new_map();
		set_opt(m, "action", t->action);
		set_opt(m, "actor", t->actor);
		set_opt(m, "level", t->level);
		set_opt(m, "from", t->from);
		set_opt(m, "to", t->to);
		set_opt(m, "grade", t->grade);
		set_opt(m, "comment", t->comment);
		set_time(m, "at", t->at);
		cl_ynode_push(trail, m);
	}
	cl_ynode_set(root, "trail", trail);
	return root;
}

int cl_record_serialize(cl_buf *out, const cl_record *r, cl_error *err)
{
	cl_ynode *root = record_tree(r);
	int error = cl_yaml_emit(out, root, err);

	cl_ynode_free(root);
	return error;
}

/* ---- reading ---- */

static int rec_time(int64_t *out, const cl_schema *s, const cl_ynode *map,
		    const char *what, const char *key)
{
	const char *v;
	int error;

	if ((error = cl_schema_str(&v, s, map, what, key, 1)) < 0)
		return error;
	if (cl_time_parse(out, v) < 0)
		return cl_schema_fail(s, cl_ynode_get(map, key),
				      "%s '%s' must be a time YYYY-MM-DDTHH:MM:SSZ", what, key);
	return 0;
}

static int rec_str(char **out, const cl_schema *s, const cl_ynode *map,
		   const char *what, const char *key, int required)
{
	const char *v;
	int error;

	if ((error = cl_schema_str(&v, s, map, what, key, required)) < 0)
		return error;
	*out = dup_or_null(v);
	return 0;
}

static int rec_approvals(cl_record *r, const cl_schema *s, const cl_ynode *seq)
{
	size_t i;
	int error;

	if ((error = cl_schema_seq(s, seq, "approvals")) < 0)
		return error;
	r->approvals = cl_xcalloc(seq->n, sizeof(cl_approval));
	for (i = 0; i < seq->n; i++) {
		const cl_ynode *m = seq->items[i];
		cl_approval *a = &r->approvals[r->napprovals++];
		if ((error = cl_schema_map(s, m, "approval", appr_keys)) < 0 ||
		    (error = rec_str(&a->level, s, m, "approval", "level", 1)) < 0 ||
		    (error = rec_str(&a->actor, s, m, "approval", "actor", 1)) < 0 ||
		    (error = rec_str(&a->grade, s, m, "approval", "grade", 0)) < 0 ||
		    (error = rec_time(&a->at, s, m, "approval", "at")) < 0)
			return error;
	}
	return 0;
}

static int rec_trail(cl_record *r, const cl_schema *s, const cl_ynode *seq)
{
	size_t i;
	int error;

	if ((error = cl_schema_seq(s, seq, "trail")) < 0)
		return error;
	if (seq->n > CL_RECORD_MAX_TRAIL)
		return cl_schema_fail(s, seq, "trail has more than %d entries",
				      CL_RECORD_MAX_TRAIL);
	r->trail = cl_xcalloc(seq->n, sizeof(cl_trail));
	for (i = 0; i < seq->n; i++) {
		const cl_ynode *m = seq->items[i];
		cl_trail *t = &r->trail[r->ntrail++];
		if ((error = cl_schema_map(s, m, "trail entry", trail_keys)) < 0 ||
		    (error = rec_str(&t->action, s, m, "trail entry", "action", 1)) < 0 ||
		    (error = rec_str(&t->actor, s, m, "trail entry", "actor", 1)) < 0 ||
		    (error = rec_str(&t->level, s, m, "trail entry", "level", 0)) < 0 ||
		    (error = rec_str(&t->from, s, m, "trail entry", "from", 1)) < 0 ||
		    (error = rec_str(&t->to, s, m, "trail entry", "to", 1)) < 0 ||
		    (error = rec_str(&t->grade, s, m, "trail entry", "grade", 0)) < 0 ||
		    (error = rec_str(&t->comment, s, m, "trail entry", "comment", 0)) < 0 ||
		    (error = rec_time(&t->at, s, m, "trail entry", "at")) < 0)
			return error;
	}
	return 0;
}

static int rec_head(cl_record *r, const cl_schema *s, const cl_ynode *root)
{
	const cl_ynode *lv = cl_ynode_get(root, "level");
	int error;

	if ((error = rec_str(&r->id, s, root, "record", "id", 1)) < 0 ||
	    (error = rec_str(&r->period, s, root, "record", "period", 1)) < 0 ||
	    (error = rec_str(&r->talent, s, root, "record", "talent", 1)) < 0 ||
	    (error = rec_str(&r->state, s, root, "record", "state", 1)) < 0 ||
	    (error = rec_str(&r->workflow, s, root, "record", "workflow", 1)) < 0 ||
	    (error = cl_schema_int(&r->round, NULL, s, root, "record", "round", 1)) < 0 ||
	    (error = rec_time(&r->since, s, root, "record", "since")) < 0)
		return error;
	if (!lv)
		return cl_schema_fail(s, root, "record is missing required key 'level'");
	if (!(lv->kind == CL_YNODE_SCALAR && lv->plain && !strcmp(lv->str, "null")) &&
	    (error = rec_str(&r->level, s, root, "record", "level", 1)) < 0)
		return error;
	return 0;
}

int cl_record_parse(cl_record **out, const char *file, const char *data,
		    size_t len, cl_error *err)
{
	cl_schema s = { file, err };
	cl_record *r = cl_xcalloc(1, sizeof(*r));
	cl_ynode *root = NULL;
	const cl_ynode *f, *a, *t;
	int error;

	*out = NULL;
	if ((error = cl_yaml_parse(&root, file, data, len, CL_RECORD_MAX_BYTES, err)) < 0 ||
	    (error = cl_schema_map(&s, root, "record", rec_keys)) < 0 ||
	    (error = rec_head(r, &s, root)) < 0)
		goto done;
	f = cl_ynode_get(root, "fields");
	a = cl_ynode_get(root, "approvals");
	t = cl_ynode_get(root, "trail");
	if (!f || !a || !t) {
		error = cl_schema_fail(&s, root, "record is missing one of 'fields', 'approvals', 'trail'");
		goto done;
	}
	if (f->kind != CL_YNODE_MAP) {
		error = cl_schema_fail(&s, f, "record 'fields' must be a mapping");
		goto done;
	}
	if ((error = rec_approvals(r, &s, a)) < 0 || (error = rec_trail(r, &s, t)) < 0)
		goto done;
	r->fields = cl_ynode_dup(f);
	*out = r;
	r = NULL;
done:
	cl_record_free(r);
	cl_ynode_free(root);
	return error;
}
