/*
 * cmd_show.c - chainlog show RECORD [--json]
 *
 * Reads the record file from the history at the index's head (the index
 * keeps rows, not files), once the index is at the tip.  Who may act on it
 * now and its due time come from the index's row (computed with the
 * configuration in force); --json also types the log's fields, and so
 * loads that configuration.
 */
#include "commands.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static json_t *show_approvals(const cl_record *r)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < r->napprovals; i++) {
		o = json_object();
		json_object_set_new(o, "level", json_string(r->approvals[i].level));
		json_object_set_new(o, "actor", json_string(r->approvals[i].actor));
		json_object_set_new(o, "grade", cli_json_str(r->approvals[i].grade));
		json_object_set_new(o, "at", cli_json_time(r->approvals[i].at));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *show_trail(const cl_record *r)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < r->ntrail; i++) {
		const cl_trail *t = &r->trail[i];
		o = json_object();
		json_object_set_new(o, "action", json_string(t->action));
		json_object_set_new(o, "actor", json_string(t->actor));
		json_object_set_new(o, "level", cli_json_str(t->level));
		json_object_set_new(o, "from", json_string(t->from));
		json_object_set_new(o, "to", json_string(t->to));
		json_object_set_new(o, "grade", cli_json_str(t->grade));
		json_object_set_new(o, "comment", cli_json_str(t->comment));
		json_object_set_new(o, "at", cli_json_time(t->at));
		json_array_append_new(a, o);
	}
	return a;
}

static void show_json(const cl_record *r, const cl_config *cfg, const char **ids,
		      size_t n, int64_t due)
{
	json_t *o = json_object(), *w = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(w, json_string(ids[i]));
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "period", json_string(r->period));
	json_object_set_new(o, "talent", json_string(r->talent));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "level", cli_json_str(r->level));
	json_object_set_new(o, "waiting_on", w);
	json_object_set_new(o, "since", cli_json_time(r->since));
	json_object_set_new(o, "due", due ? cli_json_time(due) : json_null());
	json_object_set_new(o, "round", json_integer(r->round));
	json_object_set_new(o, "workflow", json_string(r->workflow));
	json_object_set_new(o, "fields", cli_json_fields(r->fields, cfg->workflow));
	json_object_set_new(o, "approvals", show_approvals(r));
	json_object_set_new(o, "trail", show_trail(r));
	cli_json_print(o);
}

static void show_text(const cl_record *r, const char **ids, size_t n, int64_t due)
{
	char t[32];
	cl_buf fields = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t i;

	cl_time_format(t, r->since);
	printf("record:     %s\nstate:      %s\nlevel:      %s\nsince:      %s\n",
	       r->id, r->state, r->level ? r->level : "-", t);
	if (due) {
		cl_time_format(t, due);
		printf("due:        %s%s\n", t, cl_now() > due ? " (overdue)" : "");
	}
	printf("waiting on:");
	for (i = 0; i < n; i++)
		printf(" %s", ids[i]);
	printf("%s\nworkflow:   %s (round %lld)\n", n ? "" : " nobody", r->workflow,
	       (long long)r->round);
	for (i = 0; i < r->ntrail; i++) {
		cl_time_format(t, r->trail[i].at);
		printf("  %s  %-8s by %-16s %s -> %s%s%s\n", t, r->trail[i].action,
		       r->trail[i].actor, r->trail[i].from, r->trail[i].to,
		       r->trail[i].grade ? "  grade: " : "",
		       r->trail[i].grade ? r->trail[i].grade : "");
		if (r->trail[i].comment)
			printf("      \"%s\"\n", r->trail[i].comment);
	}
	if (cl_yaml_emit(&fields, r->fields, &err) == 0)
		printf("fields:\n%s", fields.ptr);
	cl_buf_release(&fields);
}

int cmd_show(cli_ctx *ctx)
{
	const char *json, *pos[1];
	cli_opt opts[] = { { "json", 0, &json }, { NULL, 0, NULL } };
	const cl_config *cfg;
	const cl_machine *m;
	cl_error err = CL_ERROR_INIT;
	cl_index_record row = { 0 };
	cl_record *r = NULL;
	cl_home *h = NULL;
	const char **ids = NULL;
	size_t n = 0;
	int status = 0;

	if (cli_parse(ctx, cli_self("show"), opts, pos, 1, 1, &status) < 0)
		return status;
	if (cli_open_read(&h, ctx, &err) < 0 || cl_home_record(&r, h, pos[0], &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	if (!json) {
		/* who waits and the due time, as the index computed them with
		 * the configuration at its head (the tip): the text needs no
		 * configuration of its own */
		if (cl_index_get(cl_home_index(h), r->id, &row, &err) < 0) {
			status = cli_fail(&err);
			goto done;
		}
		show_text(r, (const char **)row.waiting, row.nwaiting, row.due);
		goto done;
	}
	if (cl_home_config(&cfg, &m, h, &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	cl_transition_waiting(&ids, &n, cfg, m, r);
	show_json(r, cfg, ids, n, cl_workflow_due(cfg->workflow, r->level, r->since));
done:
	free(ids);
	cl_index_record_release(&row);
	cl_record_free(r);
	cli_home_done(h);
	return status;
}
