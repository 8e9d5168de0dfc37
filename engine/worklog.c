/*
 * worklog.c - validates a submitted work log against the workflow's field
 * declarations and produces the normalized fields stored in the record.
 *
 * Pure.  A refusal names the field, the rule, the offending value and the
 * log's file:line:column, so a talent can fix it in one go.
 */
#include "config.h"
#include "schema.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int log_bounds(const cl_schema *s, const cl_ynode *v, const cl_field *f,
		      int64_t x, const char *unit)
{
	if (f->has_min && x < f->min)
		return cl_schema_fail(s, v, "field '%s' must have at least %lld %s, not %lld",
				      f->name, (long long)f->min, unit, (long long)x);
	if (f->has_max && x > f->max)
		return cl_schema_fail(s, v, "field '%s' must have at most %lld %s, not %lld",
				      f->name, (long long)f->max, unit, (long long)x);
	return 0;
}

static int log_scalar(const cl_schema *s, const cl_ynode *v, const cl_field *f,
		      const char *expect)
{
	if (v->kind != CL_YNODE_SCALAR)
		return cl_schema_fail(s, v, "field '%s' must be %s, not a %s", f->name,
				      expect, v->kind == CL_YNODE_SEQ ? "list" : "mapping");
	if (strlen(v->str) != v->len || !cl_text_valid(v->str, v->len, 1))
		return cl_schema_fail(s, v, "field '%s' has a NUL, a control character or invalid UTF-8",
				      f->name);
	return 0;
}

static int log_text(cl_ynode **out, const cl_schema *s, const cl_ynode *v,
		    const cl_field *f)
{
	int error;

	if ((error = log_scalar(s, v, f, "text")) < 0 ||
	    (error = log_bounds(s, v, f, (int64_t)utf8_chars(v->str, v->len),
				"characters")) < 0)
		return error;
	*out = cl_ynode_new_str(v->str);
	return 0;
}

static int log_integer(cl_ynode **out, const cl_schema *s, const cl_ynode *v,
		       const cl_field *f)
{
	char q[64], num[32];
	int64_t x;
	int error;

	if ((error = log_scalar(s, v, f, "an integer")) < 0)
		return error;
	if (!v->plain || cl_schema_parse_int(&x, v->str) < 0)
		return cl_schema_fail(s, v, "field '%s' must be an integer, not '%s'",
				      f->name, cl_schema_quote(q, sizeof(q), v->str));
	if (f->has_min && x < f->min)
		return cl_schema_fail(s, v, "field '%s' must be at least %lld, not %lld",
				      f->name, (long long)f->min, (long long)x);
	if (f->has_max && x > f->max)
		return cl_schema_fail(s, v, "field '%s' must be at most %lld, not %lld",
				      f->name, (long long)f->max, (long long)x);
	snprintf(num, sizeof(num), "%lld", (long long)x);
	*out = cl_ynode_new_plain(num);
	return 0;
}

static int log_date(cl_ynode **out, const cl_schema *s, const cl_ynode *v,
		    const cl_field *f)
{
	char q[64], lim[11];
	int64_t d;
	int error;

	if ((error = log_scalar(s, v, f, "a date")) < 0)
		return error;
	if (cl_date_parse(&d, v->str) < 0)
		return cl_schema_fail(s, v, "field '%s' must be a date YYYY-MM-DD, not '%s'",
				      f->name, cl_schema_quote(q, sizeof(q), v->str));
	if ((f->has_min && d < f->min) || (f->has_max && d > f->max)) {
		cl_date_format(lim, f->has_min && d < f->min ? f->min : f->max);
		return cl_schema_fail(s, v, "field '%s' must be %s %s, not '%s'", f->name,
				      f->has_min && d < f->min ? "on or after" : "on or before",
				      lim, v->str);
	}
	*out = cl_ynode_new_str(v->str);
	return 0;
}

static int log_choice_ok(const cl_config *cfg, const cl_field *f, const char *item)
{
	size_t i;

	if (f->choices_from)
		return cfg->needs && cl_strmap_get(&cfg->needs->byid, item) != CL_NONE;
	if (!f->choices)
		return 1;
	for (i = 0; i < f->nchoices; i++)
		if (!strcmp(f->choices[i], item))
			return 1;
	return 0;
}

static int log_list_item(const cl_schema *s, const cl_config *cfg,
			 const cl_field *f, const cl_ynode *seq, size_t i)
{
	const cl_ynode *it = seq->items[i];
	char q[64];
	size_t j;

	if (it->kind != CL_YNODE_SCALAR || !cl_id_valid(it->str))
		return cl_schema_fail(s, it, "field '%s': item %zu must be an id, not '%s'",
				      f->name, i + 1, it->kind == CL_YNODE_SCALAR ?
				      cl_schema_quote(q, sizeof(q), it->str) : "a collection");
	if (!log_choice_ok(cfg, f, it->str))
		return cl_schema_fail(s, it, "field '%s': unknown %s '%s'", f->name,
				      f->choices_from ? "need" : "choice", it->str);
	for (j = 0; j < i; j++)
		if (!strcmp(seq->items[j]->str, it->str))
			return cl_schema_fail(s, it, "field '%s': duplicate item '%s'",
					      f->name, it->str);
	return 0;
}

static int log_list(cl_ynode **out, const cl_schema *s, const cl_config *cfg,
		    const cl_ynode *v, const cl_field *f)
{
	cl_ynode *seq;
	size_t i;
	int error;

	if (v->kind != CL_YNODE_SEQ)
		return cl_schema_fail(s, v, "field '%s' must be a list", f->name);
	if ((error = log_bounds(s, v, f, (int64_t)v->n, "items")) < 0)
		return error;
	for (i = 0; i < v->n; i++)
		if ((error = log_list_item(s, cfg, f, v, i)) < 0)
			return error;
	seq = cl_ynode_new_seq();
	for (i = 0; i < v->n; i++)
		cl_ynode_push(seq, cl_ynode_new_str(v->items[i]->str));
	*out = seq;
	return 0;
}

static int log_field(cl_ynode **out, const cl_schema *s, const cl_config *cfg,
		     const cl_ynode *v, const cl_field *f)
{
	switch (f->type) {
	case CL_FIELD_TEXT:
		return log_text(out, s, v, f);
	case CL_FIELD_INTEGER:
		return log_integer(out, s, v, f);
	case CL_FIELD_DATE:
		return log_date(out, s, v, f);
	case CL_FIELD_LIST:
		return log_list(out, s, cfg, v, f);
	}
	return cl_schema_fail(s, v, "field '%s' has an unknown type", f->name);
}

static int log_known_keys(const cl_schema *s, const cl_workflow *wf,
			  const cl_ynode *log)
{
	size_t i, j;
	char q[64];

	for (i = 0; i < log->n; i++) {
		const cl_ynode *k = cl_ynode_key(log, i);
		if (!k->plain)
			return cl_schema_fail(s, k, "keys must be plain, not quoted: '%s'",
					      cl_schema_quote(q, sizeof(q), k->str));
		for (j = 0; j < wf->nfields; j++)
			if (!strcmp(wf->fields[j].name, k->str))
				break;
		if (j == wf->nfields)
			return cl_schema_fail(s, k, "unknown field '%s' (the workflow '%s' does not declare it)",
					      cl_schema_quote(q, sizeof(q), k->str), wf->id);
	}
	return 0;
}

int cl_config_check_log(cl_ynode **out, const cl_config *cfg,
			const char *file, const cl_ynode *log, cl_error *err)
{
	const cl_workflow *wf = cfg->workflow;
	cl_schema s = { file, err };
	cl_ynode *fields = NULL, *v = NULL;
	size_t i;
	int error;

	*out = NULL;
	if (!log || log->kind != CL_YNODE_MAP)
		return cl_schema_fail(&s, log, "a work log must be a mapping of fields");
	if ((error = log_known_keys(&s, wf, log)) < 0)
		return error;
	fields = cl_ynode_new_map();
	for (i = 0; i < wf->nfields; i++) {
		const cl_field *f = &wf->fields[i];
		const cl_ynode *in = cl_ynode_get(log, f->name);
		if (!in) {
			if (!f->required)
				continue;
			error = cl_schema_fail(&s, log, "required field '%s' is missing", f->name);
			goto done;
		}
		if ((error = log_field(&v, &s, cfg, in, f)) < 0)
			goto done;
		cl_ynode_set(fields, f->name, v);
	}
	*out = fields;
	fields = NULL;
done:
	cl_ynode_free(fields);
	return error;
}
