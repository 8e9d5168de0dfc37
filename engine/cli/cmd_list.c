/*
 * cmd_list.c - chainlog list [--period P] [--state S] [--talent T] [--json]
 *
 * Answered by the index, once it is at the branch tip (checked without
 * libgit2; caught up first when it is not).  queue shares the code.
 */
#include "commands.h"
#include "util.h"

#include <string.h>

typedef struct list_ctx {
	json_t *out;          /* --json: the array being built, else NULL */
	const cl_workflow *wf;/* for deadlines */
	int queue;            /* queue's columns rather than list's */
	size_t n;             /* rows printed */
} list_ctx;

static int list_row(const cl_index_record *r, void *payload)
{
	list_ctx *c = payload;
	int64_t due = cli_due(c->wf, r->level, r->since);
	char since[32], when[32] = "-";
	json_t *o, *w;
	size_t i;

	c->n++;
	cl_time_format(since, r->since);
	if (due)
		cl_time_format(when, due);
	if (!c->out) {
		printf("%-24s %-22s %-12s %s%s\n", r->id, r->state, r->level ? r->level : "-",
		       c->queue ? "due " : "", c->queue ? when : since);
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "period", json_string(r->period));
	json_object_set_new(o, "talent", json_string(r->talent));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "level", cli_json_str(r->level));
	json_object_set_new(o, "since", json_string(since));
	json_object_set_new(o, "due", due ? json_string(when) : json_null());
	json_object_set_new(o, "overdue", json_boolean(due && cl_now() > due));
	w = json_array();
	for (i = 0; i < r->nwaiting; i++)
		json_array_append_new(w, json_string(r->waiting[i]));
	json_object_set_new(o, "waiting_on", w);
	json_array_append_new(c->out, o);
	return 0;
}

int cli_list_run(cli_ctx *ctx, const cl_index_filter *f, int json, int queue)
{
	const cl_config *cfg;
	const cl_machine *m;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	list_ctx c = { json ? json_array() : NULL, NULL, queue, 0 };
	int status = 0;

	if (cli_open_read(&h, ctx, &err) < 0 || cl_home_config(&cfg, &m, h, &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	if (queue && !cl_people_find(cfg->people, f->waiting)) {
		cl_error_set(&err, CL_ENOTFOUND, "unknown person '%s'", f->waiting);
		status = cli_fail(&err);
		goto done;
	}
	if (f->state && cl_machine_state(m, f->state) == CL_NONE) {
		cl_error_set(&err, CL_EINVALID, "unknown state '%.40s' (see 'chainlog workflow show')",
			     f->state);
		status = cli_fail(&err);
		goto done;
	}
	c.wf = cfg->workflow;
	if (cl_index_query(cl_home_index(h), f, list_row, &c, &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	if (c.out) {
		cli_json_print(c.out);
		c.out = NULL;
	} else if (!c.n) {
		fprintf(stderr, "no records\n");
	}
done:
	json_decref(c.out);
	cl_home_free(h);
	return status;
}

int cmd_list(cli_ctx *ctx)
{
	const char *period, *state, *talent, *json;
	cli_opt opts[] = { { "period", 1, &period }, { "state", 1, &state },
			   { "talent", 1, &talent }, { "json", 0, &json }, { NULL, 0, NULL } };
	cl_index_filter f = { 0 };
	cl_error err = CL_ERROR_INIT;
	cl_period p;
	int status;

	if (cli_parse(ctx, cli_self("list"), opts, NULL, 0, 0, &status) < 0)
		return status;
	if (period && cl_period_parse(&p, period) < 0) {
		cl_error_set(&err, CL_EINVALID, "bad period '%.20s': use YYYYH1 or YYYYH2", period);
		return cli_fail(&err);
	}
	if (talent && !cl_id_valid(talent)) {
		cl_error_set(&err, CL_EINVALID, "'%.64s' is not a valid person id", talent);
		return cli_fail(&err);
	}
	f.period = period;
	f.state = state;
	f.talent = talent;
	return cli_list_run(ctx, &f, !!json, 0);
}
