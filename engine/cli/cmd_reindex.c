/*
 * cmd_reindex.c - chainlog reindex: rebuild the derived index.
 */
#include "commands.h"

int cmd_reindex(cli_ctx *ctx)
{
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int64_t records = 0, transitions = 0;
	int status = 0;

	if (cli_parse(ctx, cli_self("reindex"), NULL, NULL, 0, 0, &status) < 0)
		return status;
	if (cl_home_open_raw(&h, ctx->home, &err) < 0 || cl_home_reindex(h, &err) < 0 ||
	    cl_index_counts(cl_home_index(h), &records, &transitions, &err) < 0)
		status = cli_fail(&err);
	else
		printf("reindexed: %lld records, %lld transitions\n", (long long)records,
		       (long long)transitions);
	cl_home_free(h);
	return status;
}
