/*
 * cmd_verify.c - chainlog verify [--json]
 *
 * Opens the home without catching the index up first, so that a history
 * that cannot be indexed is still verified and reported, then replays it.
 */
#include "commands.h"

typedef struct verify_out {
	json_t *list; /* --json: the violations, else NULL */
} verify_out;

static void verify_print(const char *commit, const char *msg, void *payload)
{
	verify_out *o = payload;
	json_t *v;

	if (!o->list) {
		printf("commit %s: %s\n", commit, msg);
		return;
	}
	v = json_object();
	json_object_set_new(v, "commit", json_string(commit));
	json_object_set_new(v, "violation", json_string(msg));
	json_array_append_new(o->list, v);
}

int cmd_verify(cli_ctx *ctx)
{
	const char *json;
	cli_opt opts[] = { { "json", 0, &json }, { NULL, 0, NULL } };
	cl_error err = CL_ERROR_INIT;
	verify_out out = { NULL };
	cl_home *h = NULL;
	size_t checked = 0;
	int status = 0, error;
	json_t *o;

	if (cli_parse(ctx, cli_self("verify"), opts, NULL, 0, 0, &status) < 0)
		return status;
	if (cl_home_open_raw(&h, ctx->home, &err) < 0)
		return cli_fail(&err);
	out.list = json ? json_array() : NULL;
	error = cl_home_verify(h, verify_print, &out, &checked, &err);
	if (error && error != CL_EVERIFY) {
		status = cli_fail(&err);
	} else if (json) {
		o = json_object();
		json_object_set_new(o, "ok", json_boolean(!error));
		json_object_set_new(o, "commits", json_integer((json_int_t)checked));
		json_object_set_new(o, "violations", out.list);
		out.list = NULL;
		cli_json_print(o);
		status = cl_error_exit_status(error);
	} else {
		if (error)
			fprintf(stderr, "chainlog: verify failed: %s\n", err.msg);
		else
			printf("verify: ok, %zu commits replayed, index in agreement\n", checked);
		status = cl_error_exit_status(error);
	}
	json_decref(out.list);
	cl_home_free(h);
	return status;
}
