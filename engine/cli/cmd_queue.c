/*
 * cmd_queue.c - chainlog queue --as PERSON [--json]
 *
 * What waits on PERSON now: the index keeps, for each record, the people
 * who may act on it, refreshed on every transition and configuration
 * change.
 */
#include "commands.h"
#include "util.h"

int cmd_queue(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("queue");
	const char *as, *json;
	cli_opt opts[] = { { "as", 1, &as }, { "json", 0, &json }, { NULL, 0, NULL } };
	cl_index_filter f = { 0 };
	cl_error err = CL_ERROR_INIT;
	int status;

	if (cli_parse(ctx, cmd, opts, NULL, 0, 0, &status) < 0)
		return status;
	if (!as)
		return cli_usage(cmd, "--as PERSON is required");
	if (!cl_id_valid(as)) {
		cl_error_set(&err, CL_EINVALID, "'%.70s' is not a valid person id", as);
		return cli_fail(&err);
	}
	f.waiting = as;
	return cli_list_run(ctx, &f, !!json, 1);
}
