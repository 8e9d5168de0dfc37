/*
 * cli.h - what the command files share: the command table entry, option
 * parsing, opening the home, reporting errors, and JSON output.
 *
 * The CLI front owns jansson (JSON output and the batch reader); the
 * engine below it never sees JSON.
 */
#ifndef CL_CLI_H
#define CL_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "engine.h"

typedef struct cli_ctx {
	const char *home; /* -C, $CHAINLOG_HOME, or "." */
	int argc;         /* the command's arguments, argv[0] is its name */
	char **argv;      /* as main's */
} cli_ctx;

typedef struct cli_command {
	const char *name;                 /* "submit", or "config apply" */
	int (*run)(cli_ctx *ctx);         /* returns the exit status */
	const char *usage;                /* one line of synopsis */
	const char *help;                 /* the rest of --help */
} cli_command;

/* Prints "chainlog: <message>" and returns the exit status for err. */
int cli_fail(const cl_error *err);
/* Prints a usage error for cmd and returns 2. */
int cli_usage(const cli_command *cmd, const char *fmt, ...) CL_PRINTF(2, 3);
/* Prints cmd's --help to stdout and returns 0. */
int cli_help(const cli_command *cmd);

/* Option table for cli_parse: long name, whether it takes a value, and
 * where the value (or "1" for a flag) goes. */
typedef struct cli_opt {
	const char *name;   /* without the dashes */
	int has_arg;        /* takes a value */
	const char **value; /* out: the value, NULL when not given */
} cli_opt;

/*
 * Parses ctx->argv against opts; positional arguments go to pos (at most
 * npos, exactly `need` of them).  Returns -1 after printing usage or help
 * (then *status is the exit status), or 0.
 */
int cli_parse(cli_ctx *ctx, const cli_command *cmd, cli_opt *opts,
	      const char **pos, int need, int npos, int *status);

/* Opens the home and catches its index up. */
int cli_open(cl_home **h, const cli_ctx *ctx, cl_error *err);
/* Opens the home for a read command: from the index alone when it is at
 * the tip (see cl_home_open_read), else as cli_open. */
int cli_open_read(cl_home **h, const cli_ctx *ctx, cl_error *err);

/* Ends a one-shot command's use of its home (h may be NULL): in builds
 * that check for leaks (CHAINLOG_TEARDOWN), frees it; in others, leaves
 * it to the process's exit (see cli.c). */
void cli_home_done(cl_home *h);

/* Prints a JSON value and a newline to stdout, and releases it. */
void cli_json_print(json_t *v);
json_t *cli_json_str(const char *s); /* null for NULL */
/* The record's fields as JSON, typed by the workflow's declarations. */
json_t *cli_json_fields(const cl_ynode *fields, const cl_workflow *wf);
/* A JSON object of work-log fields as a YAML map (strings, integers and
 * lists of strings, the fields' types); CL_EINVALID names the field. */
int cli_json_log(cl_ynode **out, json_t *log, cl_error *err);
/* "2022-09-04T10:00:00Z" as a JSON string */
json_t *cli_json_time(int64_t t);

/* The table, for main.c and help. */
extern const cli_command cli_commands[];

/* Reads CONFDIR/{workflow,org,people,needs}.yaml into files (names and
 * paths point into data and paths, 4 each). */
int cli_read_confdir(cl_config_file *files, cl_buf *data, size_t *n,
		     cl_buf *paths, const char *dir, cl_error *err);


/* Runs an index query and prints it (list and queue). */
int cli_list_run(cli_ctx *ctx, const cl_index_filter *f, int json, int queue);

/* This command's own table entry. */
const cli_command *cli_self(const char *name);

/* Cleans the comment, stamps the time, runs req (through the home's
 * server when one runs, see server.h), prints the outcome.  log/len: a
 * submit's work log as read from its file (NULL otherwise). */
int cli_run_request(cli_ctx *ctx, cl_request *req, const char *comment, int json,
		    const char *log, size_t len);

/* Shared by approve, reject and withdraw. */
int cli_act(cli_ctx *ctx, const cli_command *cmd, cl_action action);

#endif
