/*
 * cmd_history.c - chainlog history RECORD [--json]
 *
 * The index says which commits touched the record; each one is then read
 * from git, so what is printed is what the history holds.
 */
#include "commands.h"
#include "message.h"
#include "util.h"

#include <string.h>

typedef struct hist_ctx {
	cl_home *h;     /* the home */
	json_t *out;    /* --json array, or NULL */
	size_t n;       /* transitions printed */
	cl_error *err;  /* where errors go */
} hist_ctx;

static int hist_row(const cl_index_transition *t, void *payload)
{
	hist_ctx *c = payload;
	cl_commit_info ci = { 0 };
	cl_message msg = { 0 };
	char when[32];
	cl_oid id;
	json_t *o;
	int error;

	if (cl_oid_parse(&id, t->commit) < 0)
		return cl_error_set(c->err, CL_ESTORE, "bad commit id in the index");
	if ((error = cl_store_commit_info(cl_home_store(c->h), &id, &ci, c->err)) < 0 ||
	    (error = cl_message_parse(&msg, ci.message, c->err)) < 0)
		goto done;
	cl_time_format(when, ci.time);
	c->n++;
	if (!c->out) {
		printf("%.12s %s %-8s %-16s %s -> %s%s%s%s%s\n", t->commit, when, msg.action,
		       msg.actor, msg.from, msg.to, msg.grade ? "  grade: " : "",
		       msg.grade ? msg.grade : "", msg.comment ? "  comment: " : "",
		       msg.comment ? msg.comment : "");
		goto done;
	}
	o = json_object();
	json_object_set_new(o, "commit", json_string(t->commit));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "actor", json_string(msg.actor));
	json_object_set_new(o, "author", json_string(ci.author_name));
	json_object_set_new(o, "action", json_string(msg.action));
	json_object_set_new(o, "from", cli_json_str(msg.from));
	json_object_set_new(o, "to", cli_json_str(msg.to));
	json_object_set_new(o, "level", cli_json_str(msg.level));
	json_object_set_new(o, "grade", cli_json_str(msg.grade));
	json_object_set_new(o, "comment", cli_json_str(msg.comment));
	json_array_append_new(c->out, o);
done:
	cl_message_release(&msg);
	cl_commit_info_release(&ci);
	return error;
}

int cmd_history(cli_ctx *ctx)
{
	const char *json, *pos[1];
	cli_opt opts[] = { { "json", 0, &json }, { NULL, 0, NULL } };
	char period[8], talent[CL_ID_MAX_BUF];
	cl_error err = CL_ERROR_INIT;
	hist_ctx c = { NULL, NULL, 0, &err };
	cl_index_record row = { 0 };
	int status = 0;

	if (cli_parse(ctx, cli_self("history"), opts, pos, 1, 1, &status) < 0)
		return status;
	if (cl_record_id_split(period, talent, pos[0], &err) < 0 ||
	    cli_open(&c.h, ctx, &err) < 0 ||
	    cl_index_get(cl_home_index(c.h), pos[0], &row, &err) < 0) {
		if (err.code == CL_ENOTFOUND)
			cl_error_set(&err, CL_ENOTFOUND, "no record '%s'", pos[0]);
		status = cli_fail(&err);
		goto done;
	}
	c.out = json ? json_array() : NULL;
	if (cl_index_history(cl_home_index(c.h), pos[0], hist_row, &c, &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	if (c.out) {
		cli_json_print(c.out);
		c.out = NULL;
	}
done:
	json_decref(c.out);
	cl_index_record_release(&row);
	cli_home_done(c.h);
	return status;
}
