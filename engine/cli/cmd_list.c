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
	int queue;            /* queue's columns rather than list's */
	int64_t now;          /* for "overdue" */
	size_t n;             /* rows printed */
} list_ctx;

/* Appends s to the line at *p, then spaces up to width and one more:
 * printf's "%-*s " without its cost, which at ten thousand rows was most
 * of a list's own time.  The caller's line has room for every cell. */
static char *list_cell(char *p, const char *s, size_t width)
{
	char *end = stpcpy(p, s);
	size_t len = (size_t)(end - p);

	do
		*end++ = ' ';
	while (++len < width + 1);
	return end;
}

static int list_row(const cl_index_record *r, void *payload)
{
	list_ctx *c = payload;
	char since[32], when[32] = "-", line[3 * CL_ID_MAX_BUF + 128], *p = line;
	json_t *o, *w;
	size_t i;

	c->n++;
	if (r->line) { /* list's text: the line the index keeps, or a run of them */
		fwrite(r->line, 1, r->line_len, stdout);
		putchar('\n');
		return 0;
	}
	/* queue's text shows the deadline only: format only that */
	if (c->out)
		cl_time_format(since, r->since);
	if (r->due)
		cl_time_format(when, r->due);
	if (!c->out && strlen(r->id) + strlen(r->state) + strlen(r->level ? r->level : "-") <
			       3 * CL_ID_MAX_BUF) {
		p = list_cell(p, r->id, 24);
		p = list_cell(p, r->state, 22);
		p = list_cell(p, r->level ? r->level : "-", 12);
		p = stpcpy(stpcpy(p, "due "), when);
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), stdout);
		return 0;
	}
	if (!c->out) { /* not from this index: longer than any id */
		printf("%-24s %-22s %-12s due %s\n", r->id, r->state,
		       r->level ? r->level : "-", when);
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "period", json_string(r->period));
	json_object_set_new(o, "talent", json_string(r->talent));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "level", cli_json_str(r->level));
	json_object_set_new(o, "since", json_string(since));
	json_object_set_new(o, "due", r->due ? json_string(when) : json_null());
	json_object_set_new(o, "overdue", json_boolean(r->due && c->now > r->due));
	w = json_array();
	for (i = 0; i < r->nwaiting; i++)
		json_array_append_new(w, json_string(r->waiting[i]));
	json_object_set_new(o, "waiting_on", w);
	json_array_append_new(c->out, o);
	return 0;
}

/*
 * The filters a list names are checked against the configuration only
 * when no row matched: a state no record is in, or a person nobody waits
 * on, is then told apart from an unknown one.  A list that finds rows
 * never loads the configuration (the index keeps each row's deadline).
 */
static int list_check_filters(cl_home *h, const cl_index_filter *f, int queue,
			      cl_error *err)
{
	const cl_config *cfg;
	const cl_machine *m;
	int error;

	if ((error = cl_home_config(&cfg, &m, h, err)) < 0)
		return error;
	if (queue && !cl_people_find(cfg->people, f->waiting))
		return cl_error_set(err, CL_ENOTFOUND, "unknown person '%s'", f->waiting);
	if (f->state && cl_machine_state(m, f->state) == CL_NONE)
		return cl_error_set(err, CL_EINVALID,
				    "unknown state '%.40s' (see 'chainlog workflow show')",
				    f->state);
	return 0;
}

int cli_list_run(cli_ctx *ctx, const cl_index_filter *filter, int json, int queue)
{
	cl_error err = CL_ERROR_INIT;
	cl_index_filter brief = *filter, *f = &brief;
	cl_home *h = NULL;
	list_ctx c = { json ? json_array() : NULL, queue, cl_now(), 0 };
	int status = 0;

	brief.brief = !json; /* text shows id, state, level and a time */
	brief.lines = !json && !queue; /* list's text: the line each row keeps */
	brief.pages = brief.lines;     /* in runs, where the filter allows */
	if (cli_open_read(&h, ctx, &err) < 0 ||
	    cl_index_query(cl_home_index(h), f, list_row, &c, &err) < 0 ||
	    (!c.n && list_check_filters(h, f, queue, &err) < 0)) {
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
	cli_home_done(h);
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
