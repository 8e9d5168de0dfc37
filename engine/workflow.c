/*
 * workflow.c - the approval chain as data: levels, reviewers, per-action
 * requirements, what a rejection does, and the work log's fields.
 *
 * cl_workflow_load() checks the file on its own (keys, types, duplicate
 * ids, bounds).  Checks that need the org and the people (unknown unit
 * types, a level nobody could review) live in config.c, which sees all
 * the files.  The state machine is compiled from the result by machine.c.
 */
#include "config.h"
#include "schema.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const wf_top_keys[] = { "workflow", NULL };
static const char *const wf_keys[] = { "id", "title", "version", "admin_role",
	"on_reject", "fields", "levels", NULL };
static const char *const field_keys[] = { "name", "type", "required", "min",
	"max", "choices", "choices_from", NULL };
static const char *const level_keys[] = { "id", "title", "reviewer",
	"deadline_days", "approve", "reject", NULL };
static const char *const reviewer_keys[] = { "role", "of", "type", NULL };
static const char *const approve_keys[] = { "comment", "grades", NULL };
static const char *const reject_keys[] = { "comment", NULL };

size_t cl_workflow_level(const cl_workflow *wf, const char *id)
{
	size_t i;

	for (i = 0; i < wf->nlevels; i++)
		if (!strcmp(wf->levels[i].id, id))
			return i;
	return CL_NONE;
}

int64_t cl_workflow_due(const cl_workflow *wf, const char *level, int64_t since)
{
	size_t l = level ? cl_workflow_level(wf, level) : CL_NONE;

	if (l == CL_NONE || !wf->levels[l].deadline_days)
		return 0;
	return since + (int64_t)wf->levels[l].deadline_days * 86400;
}

void cl_workflow_free(cl_workflow *wf)
{
	size_t i;

	if (!wf)
		return;
	for (i = 0; i < wf->nfields; i++) {
		free(wf->fields[i].name);
		cl_strv_free(wf->fields[i].choices, wf->fields[i].nchoices);
		free(wf->fields[i].choices_from);
	}
	for (i = 0; i < wf->nlevels; i++) {
		free(wf->levels[i].id);
		free(wf->levels[i].title);
		free(wf->levels[i].role);
		free(wf->levels[i].unit_type);
		cl_strv_free(wf->levels[i].grades, wf->levels[i].ngrades);
	}
	free(wf->fields);
	free(wf->levels);
	free(wf->id);
	free(wf->title);
	free(wf->version_tag);
	free(wf->admin_role);
	free(wf->file);
	free(wf);
}

static int wf_field_type(cl_field_type *out, const cl_schema *s, const cl_ynode *n)
{
	static const char *const names[] = { "text", "integer", "date", "list" };
	const char *v;
	size_t i;
	int error;

	if ((error = cl_schema_str(&v, s, n, "field", "type", 1)) < 0)
		return error;
	for (i = 0; i < 4; i++) {
		if (!strcmp(v, names[i])) {
			*out = (cl_field_type)i;
			return 0;
		}
	}
	return cl_schema_fail(s, cl_ynode_get(n, "type"),
			      "field type must be text, integer, date or list, not '%s'", v);
}

/* min/max: integers, except for dates where they are YYYY-MM-DD. */
static int wf_bound(int64_t *out, int *has, const cl_schema *s,
		    const cl_ynode *n, const cl_field *f, const char *key)
{
	const char *v;
	int error;

	if (f->type != CL_FIELD_DATE)
		return cl_schema_int(out, has, s, n, "field", key, 0);
	if ((error = cl_schema_str(&v, s, n, "field", key, 0)) < 0)
		return error;
	*has = v != NULL;
	if (v && cl_date_parse(out, v) < 0)
		return cl_schema_fail(s, cl_ynode_get(n, key),
				      "field '%s' must be a date YYYY-MM-DD", key);
	return 0;
}

static int wf_field_choices(cl_field *f, const cl_schema *s, const cl_ynode *n)
{
	const char *from;
	int error;

	if ((error = cl_schema_idlist(&f->choices, &f->nchoices, s, n, "field",
				      "choices", 0)) < 0 ||
	    (error = cl_schema_id(&from, s, n, "field", "choices_from", 0)) < 0)
		return error;
	if ((f->choices || from) && f->type != CL_FIELD_LIST)
		return cl_schema_fail(s, n, "field '%s': choices apply to lists only", f->name);
	if (f->choices && from)
		return cl_schema_fail(s, n, "field '%s': give 'choices' or 'choices_from', not both",
				      f->name);
	if (from && strcmp(from, "needs"))
		return cl_schema_fail(s, cl_ynode_get(n, "choices_from"),
				      "field '%s': choices_from must be 'needs', not '%s'",
				      f->name, from);
	f->choices_from = from ? cl_xstrdup(from) : NULL;
	return 0;
}

static int wf_load_field(cl_workflow *wf, const cl_schema *s, const cl_ynode *n)
{
	cl_field *f = &wf->fields[wf->nfields];
	const char *name;
	size_t i;
	int error;

	if ((error = cl_schema_map(s, n, "field", field_keys)) < 0 ||
	    (error = cl_schema_id(&name, s, n, "field", "name", 1)) < 0)
		return error;
	for (i = 0; i < wf->nfields; i++)
		if (!strcmp(wf->fields[i].name, name))
			return cl_schema_fail(s, cl_ynode_get(n, "name"),
					      "duplicate field name '%s'", name);
	if (!cl_yaml_reads_as_string(name))
		return cl_schema_fail(s, cl_ynode_get(n, "name"),
				      "field name '%s' would read as a number or a boolean in YAML",
				      name);
	f->name = cl_xstrdup(name);
	wf->nfields++;
	if ((error = wf_field_type(&f->type, s, n)) < 0 ||
	    (error = cl_schema_bool(&f->required, s, n, "field", "required", 0)) < 0 ||
	    (error = wf_bound(&f->min, &f->has_min, s, n, f, "min")) < 0 ||
	    (error = wf_bound(&f->max, &f->has_max, s, n, f, "max")) < 0 ||
	    (error = wf_field_choices(f, s, n)) < 0)
		return error;
	if (f->has_min && f->has_max && f->min > f->max)
		return cl_schema_fail(s, cl_ynode_get(n, "min"),
				      "field '%s': min is larger than max", name);
	if (f->type != CL_FIELD_INTEGER && f->type != CL_FIELD_DATE && f->has_min && f->min < 0)
		return cl_schema_fail(s, cl_ynode_get(n, "min"),
				      "field '%s': a length cannot be negative", name);
	return 0;
}

static int wf_comment_rule(cl_need_comment *out, const cl_schema *s,
			   const cl_ynode *map, const char *what,
			   cl_need_comment dflt)
{
	const char *v;
	int error;

	*out = dflt;
	if ((error = cl_schema_str(&v, s, map, what, "comment", 0)) < 0 || !v)
		return error;
	if (!strcmp(v, "required"))
		*out = CL_COMMENT_REQUIRED;
	else if (!strcmp(v, "optional"))
		*out = CL_COMMENT_OPTIONAL;
	else
		return cl_schema_fail(s, cl_ynode_get(map, "comment"),
				      "%s 'comment' must be required or optional, not '%s'",
				      what, v);
	return 0;
}

static int wf_level_actions(cl_level *l, const cl_schema *s, const cl_ynode *n)
{
	const cl_ynode *a = cl_ynode_get(n, "approve"), *r = cl_ynode_get(n, "reject");
	int error;

	l->approve_comment = CL_COMMENT_OPTIONAL;
	l->reject_comment = CL_COMMENT_REQUIRED;
	if (a && ((error = cl_schema_map(s, a, "approve", approve_keys)) < 0 ||
		  (error = wf_comment_rule(&l->approve_comment, s, a, "approve",
					   CL_COMMENT_OPTIONAL)) < 0 ||
		  (error = cl_schema_idlist(&l->grades, &l->ngrades, s, a, "approve",
					    "grades", 0)) < 0))
		return error;
	if (r && ((error = cl_schema_map(s, r, "reject", reject_keys)) < 0 ||
		  (error = wf_comment_rule(&l->reject_comment, s, r, "reject",
					   CL_COMMENT_REQUIRED)) < 0))
		return error;
	if (l->reject_comment != CL_COMMENT_REQUIRED)
		return cl_schema_fail(s, cl_ynode_get(r, "comment"),
				      "level '%s': a rejection always needs a comment", l->id);
	return 0;
}

static int wf_reviewer(cl_level *l, const cl_schema *s, const cl_ynode *n)
{
	const cl_ynode *r = cl_ynode_get(n, "reviewer");
	const char *role, *of, *type;
	int error;

	if (!r)
		return cl_schema_fail(s, n, "level '%s' is missing required key 'reviewer'", l->id);
	if ((error = cl_schema_map(s, r, "reviewer", reviewer_keys)) < 0 ||
	    (error = cl_schema_id(&role, s, r, "reviewer", "role", 1)) < 0 ||
	    (error = cl_schema_str(&of, s, r, "reviewer", "of", 1)) < 0 ||
	    (error = cl_schema_id(&type, s, r, "reviewer", "type", 0)) < 0)
		return error;
	if (!strcmp(of, "served"))
		l->anchor = CL_ANCHOR_SERVED;
	else if (!strcmp(of, "dispatcher"))
		l->anchor = CL_ANCHOR_DISPATCHER;
	else
		return cl_schema_fail(s, cl_ynode_get(r, "of"),
				      "reviewer 'of' must be served or dispatcher, not '%s'", of);
	l->role = cl_xstrdup(role);
	l->unit_type = type ? cl_xstrdup(type) : NULL;
	return 0;
}

static int wf_load_level(cl_workflow *wf, const cl_schema *s, const cl_ynode *n)
{
	cl_level *l = &wf->levels[wf->nlevels];
	const char *id, *title;
	int64_t days = 0;
	size_t i;
	int error;

	if ((error = cl_schema_map(s, n, "level", level_keys)) < 0 ||
	    (error = cl_schema_id(&id, s, n, "level", "id", 1)) < 0 ||
	    (error = cl_schema_str(&title, s, n, "level", "title", 1)) < 0 ||
	    (error = cl_schema_int(&days, NULL, s, n, "level", "deadline_days", 0)) < 0)
		return error;
	for (i = 0; i < wf->nlevels; i++)
		if (!strcmp(wf->levels[i].id, id))
			return cl_schema_fail(s, cl_ynode_get(n, "id"),
					      "duplicate level id '%s'", id);
	if (days < 0 || days > 3660)
		return cl_schema_fail(s, cl_ynode_get(n, "deadline_days"),
				      "level '%s': deadline_days must be 0 to 3660", id);
	l->id = cl_xstrdup(id);
	l->title = cl_xstrdup(title);
	l->deadline_days = (int)days;
	l->line = n->line;
	l->col = n->col;
	wf->nlevels++;
	if ((error = wf_reviewer(l, s, n)) < 0 || (error = wf_level_actions(l, s, n)) < 0)
		return error;
	return 0;
}

static int wf_load_lists(cl_workflow *wf, const cl_schema *s, const cl_ynode *w)
{
	const cl_ynode *fields = cl_ynode_get(w, "fields"), *levels = cl_ynode_get(w, "levels");
	size_t i;
	int error;

	if (!fields)
		return cl_schema_fail(s, w, "workflow is missing required key 'fields'");
	if (!levels)
		return cl_schema_fail(s, w, "workflow is missing required key 'levels'");
	if ((error = cl_schema_seq(s, fields, "fields")) < 0 ||
	    (error = cl_schema_seq(s, levels, "levels")) < 0)
		return error;
	if (levels->n == 0)
		return cl_schema_fail(s, levels, "workflow needs at least one level");
	if (fields->n == 0)
		return cl_schema_fail(s, fields, "workflow needs at least one field");
	wf->fields = cl_xcalloc(fields->n, sizeof(cl_field));
	for (i = 0; i < fields->n; i++)
		if ((error = wf_load_field(wf, s, fields->items[i])) < 0)
			return error;
	wf->levels = cl_xcalloc(levels->n, sizeof(cl_level));
	for (i = 0; i < levels->n; i++)
		if ((error = wf_load_level(wf, s, levels->items[i])) < 0)
			return error;
	return 0;
}

static int wf_load_head(cl_workflow *wf, const cl_schema *s, const cl_ynode *w)
{
	const char *id, *title, *admin, *rej;
	cl_buf tag = CL_BUF_INIT;
	int error;

	if ((error = cl_schema_map(s, w, "workflow", wf_keys)) < 0 ||
	    (error = cl_schema_id(&id, s, w, "workflow", "id", 1)) < 0 ||
	    (error = cl_schema_str(&title, s, w, "workflow", "title", 1)) < 0 ||
	    (error = cl_schema_int(&wf->version, NULL, s, w, "workflow", "version", 1)) < 0)
		return error;
	if (wf->version < 1)
		return cl_schema_fail(s, cl_ynode_get(w, "version"),
				      "workflow version must be 1 or more");
	if ((error = cl_schema_id(&admin, s, w, "workflow", "admin_role", 1)) < 0 ||
	    (error = cl_schema_str(&rej, s, w, "workflow", "on_reject", 1)) < 0)
		return error;
	if (!strcmp(rej, "talent"))
		wf->on_reject = CL_REJECT_TO_TALENT;
	else if (!strcmp(rej, "previous"))
		wf->on_reject = CL_REJECT_TO_PREVIOUS;
	else
		return cl_schema_fail(s, cl_ynode_get(w, "on_reject"),
				      "workflow 'on_reject' must be talent or previous, not '%s'",
				      rej);
	wf->id = cl_xstrdup(id);
	wf->title = cl_xstrdup(title);
	wf->admin_role = cl_xstrdup(admin);
	cl_buf_printf(&tag, "%s@%lld", id, (long long)wf->version);
	wf->version_tag = cl_buf_detach(&tag);
	return 0;
}

int cl_workflow_load(cl_workflow **out, const char *file, const char *data,
		     size_t len, cl_error *err)
{
	cl_schema s = { file, err };
	cl_workflow *wf = cl_xcalloc(1, sizeof(*wf));
	cl_ynode *root = NULL;
	const cl_ynode *w;
	int error;

	*out = NULL;
	if ((error = cl_yaml_parse(&root, file, data, len, CL_CONFIG_MAX_BYTES, err)) < 0 ||
	    (error = cl_schema_map(&s, root, "workflow file", wf_top_keys)) < 0)
		goto done;
	if (!(w = cl_ynode_get(root, "workflow"))) {
		error = cl_schema_fail(&s, root, "workflow file is missing required key 'workflow'");
		goto done;
	}
	if ((error = wf_load_head(wf, &s, w)) < 0 || (error = wf_load_lists(wf, &s, w)) < 0)
		goto done;
	wf->file = cl_xstrdup(file);
	*out = wf;
	wf = NULL;
done:
	cl_workflow_free(wf);
	cl_ynode_free(root);
	return error;
}
