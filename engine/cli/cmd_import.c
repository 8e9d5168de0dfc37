/*
 * cmd_import.c - chainlog import [--json] FILE|-
 *
 * Bulk import of past transitions (a county's paper records, a migration
 * from another system) as JSON lines, one transition per line:
 *
 *   {"action":"submit","as":"t001","period":"2022H2","time":"2022-12-15T08:00:00Z",
 *    "log":{"summary":"...","days_in_village":100,"needs":["n001"]}}
 *   {"action":"approve","as":"v-nanzhao-01","record":"2022H2/t001",
 *    "time":"2022-12-20T09:00:00Z","grade":"excellent","comment":"..."}
 *   {"action":"reject", ...}   {"action":"withdraw", ...}
 *
 * JSON stays here, in the CLI: each line becomes a cl_request (the log
 * object a cl_ynode map) and goes to the engine's import (engine/import.h),
 * which decides it exactly as `chainlog approve` etc. would, at the line's
 * historical time.  The first bad line refuses the whole import, naming
 * the line and the rule; nothing changes then.
 */
#include "commands.h"
#include "import.h"
#include "message.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const import_keys[] = { "action", "as", "period", "record",
	"time", "log", "grade", "comment", NULL };

/* One parsed line: the request and what it points into. */
typedef struct import_line {
	cl_request req;     /* what goes to the engine */
	json_t *obj;        /* the parsed line (owns the strings) */
	cl_buf id;          /* a submit's record id, PERIOD/TALENT */
	cl_ynode *log;      /* a submit's log */
	char *comment;      /* cleaned comment */
} import_line;

static void import_line_release(import_line *l)
{
	json_decref(l->obj);
	cl_buf_release(&l->id);
	cl_ynode_free(l->log);
	free(l->comment);
	memset(l, 0, sizeof(*l));
	cl_buf_init(&l->id);
}

/* The string member key of o, or NULL; CL_EINVALID when it is not a string. */
static int import_str(const char **out, json_t *o, const char *key, int required,
		      cl_error *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v && !required)
		return 0;
	if (!v)
		return cl_error_set(err, CL_EINVALID, "\"%s\" is required", key);
	if (!json_is_string(v))
		return cl_error_set(err, CL_EINVALID, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static int import_known_keys(json_t *o, cl_error *err)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		for (i = 0; import_keys[i] && strcmp(import_keys[i], key); i++)
			;
		if (!import_keys[i])
			return cl_error_set(err, CL_EINVALID, "unknown key \"%.40s\"", key);
	}
	return 0;
}

static int import_log(cl_ynode **out, json_t *o, cl_error *err)
{
	json_t *log = json_object_get(o, "log");

	*out = NULL;
	if (!log || !json_is_object(log))
		return cl_error_set(err, CL_EINVALID, "submit needs \"log\", an object of the log's fields");
	return cli_json_log(out, log, err);
}

/* Which keys an action takes besides action, as, time and comment. */
static int import_check_keys(json_t *o, cl_action a, cl_error *err)
{
	int submit = a == CL_ACTION_SUBMIT;

	if (submit && json_object_get(o, "record"))
		return cl_error_set(err, CL_EINVALID, "submit takes \"period\", not \"record\"");
	if (!submit && (json_object_get(o, "period") || json_object_get(o, "log")))
		return cl_error_set(err, CL_EINVALID, "%s takes \"record\", not \"period\" or \"log\"",
				    cl_action_name(a));
	if (a != CL_ACTION_APPROVE && json_object_get(o, "grade"))
		return cl_error_set(err, CL_EINVALID, "only approve takes \"grade\"");
	return 0;
}

static int import_submit(import_line *l, const char *as, cl_error *err)
{
	const char *period;
	cl_period p;
	int error;

	if ((error = import_str(&period, l->obj, "period", 1, err)) < 0)
		return error;
	if (cl_period_parse(&p, period) < 0)
		return cl_error_set(err, CL_EINVALID, "bad period '%.20s': use YYYYH1 or YYYYH2",
				    period);
	cl_buf_printf(&l->id, "%s/%s", period, as);
	l->req.record_id = l->id.ptr;
	l->req.log_file = "log";
	if ((error = import_log(&l->log, l->obj, err)) < 0)
		return error;
	l->req.log = l->log;
	return 0;
}

static int import_fields(import_line *l, cl_error *err)
{
	const char *action, *as, *time, *comment;
	int error;

	if ((error = import_known_keys(l->obj, err)) < 0 ||
	    (error = import_str(&action, l->obj, "action", 1, err)) < 0 ||
	    (error = import_str(&as, l->obj, "as", 1, err)) < 0 ||
	    (error = import_str(&time, l->obj, "time", 1, err)) < 0 ||
	    (error = import_str(&comment, l->obj, "comment", 0, err)) < 0 ||
	    (error = import_str(&l->req.grade, l->obj, "grade", 0, err)) < 0)
		return error;
	if (cl_action_parse(&l->req.action, action) < 0)
		return cl_error_set(err, CL_EINVALID,
				    "unknown action '%.20s' (submit, approve, reject, withdraw)", action);
	if (!cl_id_valid(as))
		return cl_error_set(err, CL_EINVALID, "'%.70s' is not a valid person id", as);
	if (cl_time_parse(&l->req.time, time) < 0)
		return cl_error_set(err, CL_EINVALID,
				    "bad time '%.30s': use YYYY-MM-DDTHH:MM:SSZ (UTC)", time);
	if (comment && (error = cl_message_clean_comment(&l->comment, comment, err)) < 0)
		return error;
	l->req.actor = as;
	l->req.comment = l->comment;
	if ((error = import_check_keys(l->obj, l->req.action, err)) < 0)
		return error;
	if (l->req.action == CL_ACTION_SUBMIT)
		return import_submit(l, as, err);
	return import_str(&l->req.record_id, l->obj, "record", 1, err);
}

/* Parses one line into l (released by the caller). */
static int import_parse(import_line *l, const char *text, size_t len, cl_error *err)
{
	json_error_t jerr;

	l->obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!l->obj)
		return cl_error_set(err, CL_EINVALID, "not JSON: %s (column %d)", jerr.text,
				    jerr.column);
	if (!json_is_object(l->obj))
		return cl_error_set(err, CL_EINVALID, "a line must be one JSON object");
	return import_fields(l, err);
}

/* ---- progress ------------------------------------------------------- */

typedef struct import_progress {
	int on;          /* stderr is a terminal */
	size_t total;    /* lines in the file, 0 when unknown */
	double start;    /* when it started, seconds */
	double last;     /* last print */
} import_progress;

static double import_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t import_count_lines(FILE *f)
{
	char buf[1 << 16];
	size_t n = 0, got, i;

	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		for (i = 0; i < got; i++)
			n += buf[i] == '\n';
	rewind(f);
	return n;
}

static void import_show(import_progress *p, size_t done, int last)
{
	double now = import_clock(), rate;

	if (!p->on || (!last && now - p->last < 0.25))
		return;
	p->last = now;
	rate = now > p->start ? (double)done / (now - p->start) : 0;
	if (p->total && rate > 0)
		fprintf(stderr, "\rimport: %zu/%zu lines, %.0f/s, ETA %.0fs   ", done, p->total,
			rate, (double)(p->total > done ? p->total - done : 0) / rate);
	else
		fprintf(stderr, "\rimport: %zu lines, %.0f/s   ", done, rate);
	if (last)
		fputc('\n', stderr);
}

/* ---- the command ---------------------------------------------------- */

typedef struct import_run {
	const char *name; /* FILE, or "-" */
	size_t line;      /* current line number */
	size_t count;     /* transitions imported */
	int json;         /* --json */
} import_run;

static int import_lines(cl_import *im, FILE *f, import_run *run, cl_error *err)
{
	import_progress prog = { isatty(2), 0, import_clock(), 0 };
	import_line l = { 0 };
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	int error = 0;

	cl_buf_init(&l.id);
	if (prog.on && f != stdin)
		prog.total = import_count_lines(f);
	while (!error && (len = getline(&text, &cap, f)) >= 0) {
		run->line++;
		if (strspn(text, " \t\r\n") == (size_t)len)
			continue;
		if ((error = import_parse(&l, text, (size_t)len, err)) == 0)
			error = cl_import_add(im, &l.req, err);
		import_line_release(&l);
		import_show(&prog, run->line, 0);
	}
	if (!error && ferror(f))
		error = cl_error_set(err, CL_EINVALID, "cannot read: read error");
	import_show(&prog, run->line, 1);
	free(text);
	return error;
}

static int import_report(const import_run *run, cl_home *h, int error, const cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1] = "";
	cl_error e2 = CL_ERROR_INIT;
	cl_oid tip;
	json_t *o;

	if (!run->json) {
		if (error)
			return cli_fail(err);
		printf("imported %zu transitions\n", run->count);
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "ok", json_boolean(!error));
	if (error) {
		json_object_set_new(o, "line", json_integer((json_int_t)run->line));
		json_object_set_new(o, "status", json_integer(cl_error_exit_status(error)));
		json_object_set_new(o, "error", json_string(err->msg));
	} else {
		if (cl_home_tip(h, &tip, &e2) == 0)
			cl_oid_fmt(hex, &tip);
		json_object_set_new(o, "imported", json_integer((json_int_t)run->count));
		json_object_set_new(o, "commit", json_string(hex));
	}
	cli_json_print(o);
	return error ? cl_error_exit_status(error) : 0;
}

/* "FILE:LINE: <refusal> (nothing was imported)" */
static int import_where(cl_error *err, const import_run *run)
{
	char msg[CL_ERROR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	return cl_error_set(err, err->code, "%s:%zu: %s (nothing was imported)",
			    run->name, run->line, msg);
}

static int import_file(cl_home *h, FILE *f, import_run *run, cl_error *err)
{
	cl_import *im = NULL;
	int error;

	if ((error = cl_import_begin(&im, h, err)) < 0)
		return error;
	if ((error = import_lines(im, f, run, err)) < 0) {
		cl_import_abort(im);
		return import_where(err, run);
	}
	run->count = cl_import_count(im);
	run->line = 0;
	return cl_import_commit(im, err);
}

int cmd_import(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("import");
	const char *json, *pos[1];
	cli_opt opts[] = { { "json", 0, &json }, { NULL, 0, NULL } };
	import_run run = { NULL, 0, 0, 0 };
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	FILE *f = stdin;
	int status, error;

	if (cli_parse(ctx, cmd, opts, pos, 1, 1, &status) < 0)
		return status;
	run.name = pos[0];
	run.json = !!json;
	if (strcmp(pos[0], "-") && !(f = fopen(pos[0], "r"))) {
		cl_error_set(&err, CL_ENOTFOUND, "cannot open '%s'", pos[0]);
		return cli_fail(&err);
	}
	if ((error = cli_open(&h, ctx, &err)) == 0)
		error = import_file(h, f, &run, &err);
	status = import_report(&run, h, error, &err);
	if (f != stdin)
		fclose(f);
	cl_home_free(h);
	return status;
}
