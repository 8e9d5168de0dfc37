/*
 * cmd_serve.c - chainlog serve
 *
 * Keeps the home open and runs the transitions that submit, approve,
 * reject and withdraw send it over HOME/chainlog.sock (server.h), until
 * SIGINT or SIGTERM.  Optional: without a server every command does its
 * own work.
 */
#include "commands.h"
#include "server.h"

int cmd_serve(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("serve");
	cli_opt opts[] = { { NULL, 0, NULL } };
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int status;

	if (cli_parse(ctx, cmd, opts, NULL, 0, 0, &status) < 0)
		return status;
	if (cli_open(&h, ctx, &err) < 0)
		return cli_fail(&err);
	cl_index_long_lived(cl_home_index(h));
	status = cli_server_run(h, ctx->home);
	cl_home_free(h);
	return status;
}
