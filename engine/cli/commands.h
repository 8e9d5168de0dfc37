/*
 * commands.h - the command table: one entry per cmd_<verb>.c file.
 */
#ifndef CL_COMMANDS_H
#define CL_COMMANDS_H

#include "cli.h"

int cmd_init(cli_ctx *ctx);
int cmd_submit(cli_ctx *ctx);
int cmd_approve(cli_ctx *ctx);
int cmd_reject(cli_ctx *ctx);
int cmd_withdraw(cli_ctx *ctx);
int cmd_show(cli_ctx *ctx);
int cmd_queue(cli_ctx *ctx);
int cmd_list(cli_ctx *ctx);
int cmd_history(cli_ctx *ctx);
int cmd_people(cli_ctx *ctx);
int cmd_verify(cli_ctx *ctx);
int cmd_reindex(cli_ctx *ctx);
int cmd_config_apply(cli_ctx *ctx);
int cmd_workflow_check(cli_ctx *ctx);
int cmd_workflow_show(cli_ctx *ctx);
int cmd_import(cli_ctx *ctx);
int cmd_batch(cli_ctx *ctx);
int cmd_serve(cli_ctx *ctx);



/* In the order `chainlog --help` lists them. */
#define CLI_COMMANDS                                                   \
	{ "init", cmd_init, "init DIR (--sample | --config CONFDIR) [--as ADMIN] [--date YYYY-MM-DD]", CMD_INIT_HELP }, \
	{ "submit", cmd_submit, "submit --as TALENT --period PERIOD --file LOG.yaml [--comment TEXT] [--json]", CMD_SUBMIT_HELP }, \
	{ "approve", cmd_approve, "approve --as PERSON RECORD [--grade GRADE] [--comment TEXT] [--json]", CMD_APPROVE_HELP }, \
	{ "reject", cmd_reject, "reject --as PERSON RECORD --comment TEXT [--json]", CMD_REJECT_HELP }, \
	{ "withdraw", cmd_withdraw, "withdraw --as TALENT RECORD [--comment TEXT] [--json]", CMD_WITHDRAW_HELP }, \
	{ "show", cmd_show, "show RECORD [--json]", CMD_SHOW_HELP }, \
	{ "queue", cmd_queue, "queue --as PERSON [--json]", CMD_QUEUE_HELP }, \
	{ "list", cmd_list, "list [--period PERIOD] [--state STATE] [--talent ID] [--json]", CMD_LIST_HELP }, \
	{ "history", cmd_history, "history RECORD [--json]", CMD_HISTORY_HELP }, \
	{ "people", cmd_people, "people [--json]", CMD_PEOPLE_HELP }, \
	{ "batch", cmd_batch, "batch [--group N]", CMD_BATCH_HELP }, \
	{ "serve", cmd_serve, "serve", CMD_SERVE_HELP }, \
	{ "verify", cmd_verify, "verify [--json]", CMD_VERIFY_HELP }, \
	{ "reindex", cmd_reindex, "reindex", CMD_REINDEX_HELP }, \
	{ "import", cmd_import, "import [--json] FILE|-", CMD_IMPORT_HELP }, \
	{ "config apply", cmd_config_apply, "config apply --as ADMIN CONFDIR [--comment TEXT]", CMD_CONFIG_APPLY_HELP }, \
	{ "workflow check", cmd_workflow_check, "workflow check FILE", CMD_WORKFLOW_CHECK_HELP }, \
	{ "workflow show", cmd_workflow_show, "workflow show [--dot | --json]", CMD_WORKFLOW_SHOW_HELP },

#define CMD_INIT_HELP \
	"Creates a home in DIR (which must not exist, or be empty): history.git,\n" \
	"the system of record, and index.sqlite, derived from it.  The first\n" \
	"commit holds the configuration.\n\n" \
	"  --sample          the bundled Weishan programme (83 talents, 3 levels)\n" \
	"  --config CONFDIR  workflow.yaml, org.yaml, people.yaml [, needs.yaml]\n" \
	"  --as ADMIN        the administrator who initialises (default: the\n" \
	"                    first holder of the workflow's admin_role)\n" \
	"  --date DAY        date the first commit at the start of DAY (UTC)\n" \
	"                    instead of now: a history's times never go\n" \
	"                    backwards, so a programme that will import past\n" \
	"                    periods (chainlog import) starts before them\n"
#define CMD_SUBMIT_HELP \
	"Files (or, after a return, resubmits) TALENT's work log for PERIOD\n" \
	"(YYYYH1 or YYYYH2, inside the talent's term).  Prints the record id\n" \
	"PERIOD/TALENT.  The log is checked against the workflow's fields; a\n" \
	"refusal names the field and LOG.yaml:line:column.\n"
#define CMD_APPROVE_HELP \
	"Approves RECORD at its current level.  Only that level's reviewers may;\n" \
	"never the talent, and never someone who approved another level of it.\n" \
	"Levels that grade need --grade (see 'chainlog workflow show').\n"
#define CMD_REJECT_HELP \
	"Rejects RECORD at its current level, with a required comment.  The\n" \
	"workflow says where it goes: back to the talent (state 'returned') or\n" \
	"back one level.\n"
#define CMD_WITHDRAW_HELP \
	"The talent takes RECORD back before its first review (state\n" \
	"'withdrawn'); submit files it again.\n"
#define CMD_SHOW_HELP \
	"Shows RECORD at the tip: state, level, who may act now, deadline,\n" \
	"fields, approvals and trail.  --json prints an object with id, period,\n" \
	"talent, state, level, waiting_on, since, due, fields, approvals, trail.\n"
#define CMD_QUEUE_HELP \
	"Lists the records waiting on PERSON (by record id), with deadlines.\n" \
	"--json prints an\n" \
	"array of objects with id, state, level, since, due, overdue.\n"
#define CMD_LIST_HELP \
	"Lists records, filtered by period, state or talent.  --json prints an\n" \
	"array of objects with id, period, talent, state, level, since, waiting_on.\n"
#define CMD_HISTORY_HELP \
	"The transitions of RECORD, oldest first, read from the commits.\n" \
	"--json prints an array of objects with commit, time, actor, action,\n" \
	"from, to, level, grade, comment.\n"
#define CMD_PEOPLE_HELP \
	"The people in the configuration at the tip, with roles and, for\n" \
	"talents, their assignment.\n"
#define CMD_BATCH_HELP \
	"Runs many transitions in one process: JSON lines on stdin, one per\n" \
	"command, e.g. {\"action\":\"approve\",\"as\":\"v-x\",\"record\":\"2022H2/t001\"}\n" \
	"or {\"action\":\"submit\",\"as\":\"t001\",\"period\":\"2022H2\",\"log\":{...}}\n" \
	"(\"file\":\"LOG.yaml\" instead of \"log\").  Each line gets one JSON answer\n" \
	"{\"line\",\"ok\",\"id\",\"commit\",\"state\"} or {\"ok\":false,\"status\",\"code\",\n" \
	"\"error\"}, once its commit is durable.  Each transition is its own commit;\n" \
	"each line's objects are written as one small pack (fewer fsyncs than\n" \
	"loose objects), and every 16 such packs are folded into one.\n\n" \
	"  --group N   group commit: up to N lines already waiting are committed\n" \
	"              in memory, written as one pack, the branch moved once,\n" \
	"              then answered together; if that write fails, none of\n" \
	"              them happened and each line says so\n"
#define CMD_SERVE_HELP \
	"Keeps the home open (history, configuration, index) and runs the\n" \
	"transitions that submit, approve, reject and withdraw send it over the\n" \
	"socket HOME/chainlog.sock, one at a time, until SIGINT or SIGTERM.  A\n" \
	"command answered by the server prints and exits exactly as it would\n" \
	"have on its own, once the transition is durable; it skips starting\n" \
	"libgit2 and loading the configuration.  Without a server (or with\n" \
	"CHAINLOG_SERVER=0) every command does its own work.  The server logs\n" \
	"one line per request on stderr.\n"
#define CMD_VERIFY_HELP \
	"Replays the history from its first commit and checks that each commit\n" \
	"is a legal transition by an authorised actor under the configuration\n" \
	"at its parent, that it changes only what that transition may change,\n" \
	"that its trailers match its tree, and that the index agrees.  Prints\n" \
	"one line per violation naming the commit; exits 7 when there are any.\n"
#define CMD_REINDEX_HELP \
	"Deletes the index and rebuilds it from the history.\n"
#define CMD_IMPORT_HELP \
	"Imports past transitions (e.g. a county's paper records) in bulk, one\n" \
	"JSON object per line of FILE (- for stdin), each with its historical\n" \
	"time, e.g.\n" \
	"  {\"action\":\"submit\",\"as\":\"t001\",\"period\":\"2022H2\",\"time\":\"2022-12-15T08:00:00Z\",\n" \
	"   \"log\":{\"summary\":\"...\",\"days_in_village\":100,\"needs\":[\"n001\"]}}\n" \
	"  {\"action\":\"approve\",\"as\":\"v-nanzhao-01\",\"record\":\"2022H2/t001\",\n" \
	"   \"time\":\"2022-12-20T09:00:00Z\",\"grade\":\"excellent\",\"comment\":\"...\"}\n" \
	"and reject / withdraw like approve.  Every line is decided as the\n" \
	"command of that name would decide it, under the configuration at the\n" \
	"tip; times must not decrease, nor come before the history's last\n" \
	"commit (so past periods go into a home initialised before them).\n" \
	"The first bad line refuses the whole\n" \
	"import (FILE:LINE and the rule) and nothing changes.  The commits are\n" \
	"written by git fast-import and are ordinary history for 'verify'.\n" \
	"--json prints {ok, imported, commit} or {ok, line, status, error}.\n"
#define CMD_CONFIG_APPLY_HELP \
	"Replaces the configuration with CONFDIR's files, as one commit by\n" \
	"ADMIN (who must hold the workflow's admin_role).  Refused when it does\n" \
	"not load, or when it would strand a record in flight (its state gone,\n" \
	"or nobody left to act on it).\n"
#define CMD_WORKFLOW_CHECK_HELP \
	"Loads FILE as a workflow and compiles it; inside a home it is also\n" \
	"checked against the home's org and people.  Errors read\n" \
	"FILE:line:column: message.\n"
#define CMD_WORKFLOW_SHOW_HELP \
	"The compiled state machine of the workflow in force: states and\n" \
	"edges.  --dot prints Graphviz.\n"

#endif
