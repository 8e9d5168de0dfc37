/*
 * cli.c - helpers shared by the command files.  See cli.h.
 */
#include "cli.h"
#include "server.h"
#include "message.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const cl_error *err)
{
	fprintf(stderr, "chainlog: %s\n", err->msg[0] ? err->msg : "unknown error");
	return cl_error_exit_status(err->code ? err->code : CL_EINTERNAL);
}

int cli_usage(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("chainlog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: chainlog %s\n", cmd->usage);
	return 2;
}

int cli_help(const cli_command *cmd)
{
	printf("usage: chainlog [-C HOME] %s\n\n%s", cmd->usage, cmd->help);
	return 0;
}

#define CLI_MAX_OPTS 16

int cli_parse(cli_ctx *ctx, const cli_command *cmd, cli_opt *opts,
	      const char **pos, int need, int npos, int *status)
{
	struct option lo[CLI_MAX_OPTS + 2];
	int n = 0, c, idx, got = 0;

	for (; opts && opts[n].name && n < CLI_MAX_OPTS; n++) {
		lo[n].name = opts[n].name;
		lo[n].has_arg = opts[n].has_arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 1000 + n;
		*opts[n].value = NULL;
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(ctx->argc, ctx->argv, "h", lo, &idx)) != -1) {
		if (c == 'h') {
			*status = cli_help(cmd);
			return -1;
		}
		if (c < 1000) {
			*status = cli_usage(cmd, "unknown or incomplete option '%s'",
					    ctx->argv[optind - 1]);
			return -1;
		}
		*opts[c - 1000].value = opts[c - 1000].has_arg ? optarg : "1";
	}
	for (; optind < ctx->argc; optind++) {
		if (got == npos) {
			*status = cli_usage(cmd, "unexpected argument '%s'", ctx->argv[optind]);
			return -1;
		}
		pos[got++] = ctx->argv[optind];
	}
	if (got < need) {
		*status = cli_usage(cmd, "missing argument");
		return -1;
	}
	for (; got < npos; got++)
		pos[got] = NULL;
	return 0;
}

int cli_open(cl_home **h, const cli_ctx *ctx, cl_error *err)
{
	return cl_home_open(h, ctx->home, err);
}

int cli_open_read(cl_home **h, const cli_ctx *ctx, cl_error *err)
{
	return cl_home_open_read(h, ctx->home, err);
}

/*
 * What a one-shot command's home holds is memory, mappings and file
 * descriptors, which the process's exit releases all at once.  Freeing
 * them one by one (libgit2's pack maps and descriptors, the index's
 * connection, the configuration's mapping) cost ~0.4 ms of a ~10 ms
 * approval (60 pairs side by side at 200k records).  Nothing is left
 * unwritten by not doing it: the commit and the index's transaction are
 * durable or committed before the answer is printed, and stdout is
 * flushed by exit.  The home stays reachable from here to the end, so
 * that it is not a leak; builds that check for leaks (the tests' debug
 * builds, sanitizers, valgrind: meson sets CHAINLOG_TEARDOWN) free it, so
 * that a real leak still shows.  Long-running commands (batch, serve) and
 * the rare ones free their homes as before.
 */
#ifndef CHAINLOG_TEARDOWN
static cl_home *cli_home_at_exit;
#endif

void cli_home_done(cl_home *h)
{
#ifdef CHAINLOG_TEARDOWN
	cl_home_free(h);
#else
	cl_home_free(cli_home_at_exit); /* one home a process: NULL */
	cli_home_at_exit = h;
#endif
}

void cli_json_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
	fputc('\n', stdout);
	json_decref(v);
}

json_t *cli_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *cli_json_time(int64_t t)
{
	char buf[32];

	cl_time_format(buf, t);
	return json_string(buf);
}

static json_t *cli_json_node(const cl_ynode *n, const cl_field *f)
{
	json_t *v;
	size_t i;
	long long x;
	char *end;

	switch (n->kind) {
	case CL_YNODE_SCALAR:
		if (f && f->type == CL_FIELD_INTEGER) {
			x = strtoll(n->str, &end, 10);
			if (!*end)
				return json_integer(x);
		}
		return json_stringn(n->str, n->len);
	case CL_YNODE_SEQ:
		v = json_array();
		for (i = 0; i < n->n; i++)
			json_array_append_new(v, cli_json_node(n->items[i], NULL));
		return v;
	case CL_YNODE_MAP:
		v = json_object();
		for (i = 0; i < n->n; i++)
			json_object_set_new(v, cl_ynode_key(n, i)->str,
					    cli_json_node(cl_ynode_value(n, i), NULL));
		return v;
	}
	return json_null();
}

json_t *cli_json_fields(const cl_ynode *fields, const cl_workflow *wf)
{
	json_t *v = json_object();
	size_t i, j;

	for (i = 0; fields && i < fields->n; i++) {
		const char *k = cl_ynode_key(fields, i)->str;
		const cl_field *f = NULL;
		for (j = 0; j < wf->nfields; j++)
			if (!strcmp(wf->fields[j].name, k))
				f = &wf->fields[j];
		json_object_set_new(v, k, cli_json_node(cl_ynode_value(fields, i), f));
	}
	return v;
}

const cli_command *cli_self(const char *name)
{
	const cli_command *c;

	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	abort();
}

/* Prints the outcome of a transition: the record id, or with --json the
 * record id, commit and new state. */
static int cli_act_print(cl_home *h, const char *id, const cl_oid *commit, int json)
{
	char hex[CL_OID_HEXSZ + 1];
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;
	json_t *o;

	if (!json) {
		printf("%s\n", id);
		return 0;
	}
	if (cl_home_record(&r, h, id, &err) < 0)
		return cli_fail(&err);
	cl_oid_fmt(hex, commit);
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "commit", json_string(hex));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "level", cli_json_str(r->level));
	cli_json_print(o);
	cl_record_free(r);
	return 0;
}

/* Hands req to the home's server, if one runs (server.h); 1 when none
 * does and the command must do the work itself. */
static int cli_try_server(int *status, const cli_ctx *ctx, const cl_request *req,
			  const char *log, size_t len, int json)
{
	cl_error err = CL_ERROR_INIT;
	json_t *answer = NULL;

	switch (cli_server_call(&answer, ctx->home, req, log, len)) {
	case CLI_SERVER_NONE:
		return 1;
	case CLI_SERVER_ANSWER:
		*status = cli_server_print(answer, req->record_id, json);
		json_decref(answer);
		return 0;
	case CLI_SERVER_BROKEN:
	default:
		cl_error_set(&err, CL_ESTORE,
			     "%s: the server took the request but did not answer; it may or "
			     "may not have happened: look with 'chainlog show'", req->record_id);
		*status = cli_fail(&err);
		return 0;
	}
}

int cli_run_request(cli_ctx *ctx, cl_request *req, const char *comment, int json,
		    const char *log, size_t len)
{
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	char *clean = NULL;
	cl_oid commit;
	int status;

	if (comment && cl_message_clean_comment(&clean, comment, &err) < 0) {
		cl_error_prefix(&err, "%s", req->record_id);
		return cli_fail(&err);
	}
	req->comment = clean;
	req->time = cl_now();
	if (!cli_try_server(&status, ctx, req, log, len, json)) {
		free(clean);
		return status;
	}
	if (cli_open(&h, ctx, &err) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	/* small packs are folded once the answer is out */
	cl_store_fold_later(cl_home_store(h), 1);
	if (cl_home_act(h, req, &commit, NULL, &err) < 0)
		status = cli_fail(&err);
	else
		status = cli_act_print(h, req->record_id, &commit, json);
	fflush(stdout);
	cl_store_maintain(cl_home_store(h));
done:
	cli_home_done(h);
	free(clean);
	return status;
}

int cli_act(cli_ctx *ctx, const cli_command *cmd, cl_action action)
{
	const char *as, *comment, *grade = NULL, *json, *pos[1];
	cli_opt opts[] = { { "as", 1, &as }, { "comment", 1, &comment },
			   { "json", 0, &json }, { "grade", 1, &grade }, { NULL, 0, NULL } };
	cl_request req = { 0 };
	int status;

	if (action != CL_ACTION_APPROVE)
		opts[3].name = NULL;
	if (cli_parse(ctx, cmd, opts, pos, 1, 1, &status) < 0)
		return status;
	if (!as)
		return cli_usage(cmd, "--as PERSON is required");
	req.action = action;
	req.record_id = pos[0];
	req.actor = as;
	req.grade = grade;
	return cli_run_request(ctx, &req, comment, !!json, NULL, 0);
}

/* A JSON value of the log as a YAML node: strings, integers, and arrays of
 * strings (the work log's field types). */
static int cli_json_log_value(cl_ynode **out, json_t *v, const char *key, cl_error *err)
{
	char num[32];
	size_t i;
	json_t *it;

	*out = NULL;
	if (json_is_string(v)) {
		*out = cl_ynode_new_str(json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		*out = cl_ynode_new_plain(num);
	} else if (json_is_array(v)) {
		*out = cl_ynode_new_seq();
		json_array_foreach(v, i, it) {
			if (!json_is_string(it)) {
				cl_ynode_free(*out);
				*out = NULL;
				return cl_error_set(err, CL_EINVALID,
						    "log field \"%.40s\": list items must be strings", key);
			}
			cl_ynode_push(*out, cl_ynode_new_str(json_string_value(it)));
		}
	} else {
		return cl_error_set(err, CL_EINVALID,
				    "log field \"%.40s\" must be a string, an integer or a list of strings",
				    key);
	}
	return 0;
}

int cli_json_log(cl_ynode **out, json_t *log, cl_error *err)
{
	cl_ynode *map, *node;
	const char *key;
	json_t *v;
	int error;

	*out = NULL;
	map = cl_ynode_new_map();
	json_object_foreach(log, key, v) {
		if ((error = cli_json_log_value(&node, v, key, err)) < 0) {
			cl_ynode_free(map);
			return error;
		}
		cl_ynode_set(map, key, node);
	}
	*out = map;
	return 0;
}
