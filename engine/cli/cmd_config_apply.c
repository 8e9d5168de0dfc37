/*
 * cmd_config_apply.c - chainlog config apply --as ADMIN CONFDIR
 */
#include "commands.h"
#include "message.h"

#include <stdlib.h>

int cmd_config_apply(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("config apply");
	const char *as, *comment, *pos[1];
	cli_opt opts[] = { { "as", 1, &as }, { "comment", 1, &comment }, { NULL, 0, NULL } };
	cl_config_file files[4];
	cl_buf data[4], paths[4];
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	char *clean = NULL;
	size_t n = 0, i;
	int status = 0;

	if (cli_parse(ctx, cmd, opts, pos, 1, 1, &status) < 0)
		return status;
	if (!as)
		return cli_usage(cmd, "--as ADMIN is required");
	for (i = 0; i < 4; i++) {
		cl_buf_init(&data[i]);
		cl_buf_init(&paths[i]);
	}
	if ((comment && cl_message_clean_comment(&clean, comment, &err) < 0) ||
	    cli_read_confdir(files, data, &n, paths, pos[0], &err) < 0 ||
	    cli_open(&h, ctx, &err) < 0 ||
	    cl_home_config_apply(h, files, n, as, clean, &err) < 0)
		status = cli_fail(&err);
	else
		printf("configuration applied\n");
	for (i = 0; i < 4; i++) {
		cl_buf_release(&data[i]);
		cl_buf_release(&paths[i]);
	}
	free(clean);
	cl_home_free(h);
	return status;
}
