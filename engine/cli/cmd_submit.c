/*
 * cmd_submit.c - chainlog submit --as TALENT --period PERIOD --file LOG.yaml
 *
 * Reads and parses the log here (so a YAML error names LOG.yaml:line:col)
 * and leaves every rule to the engine.
 */
#include "commands.h"
#include "util.h"

#include <string.h>

int cmd_submit(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("submit");
	const char *as, *period, *file, *comment, *json;
	cli_opt opts[] = { { "as", 1, &as }, { "period", 1, &period }, { "file", 1, &file },
			   { "comment", 1, &comment }, { "json", 0, &json }, { NULL, 0, NULL } };
	cl_buf data = CL_BUF_INIT, id = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_request req = { 0 };
	cl_ynode *log = NULL;
	cl_period p;
	int status;

	if (cli_parse(ctx, cmd, opts, NULL, 0, 0, &status) < 0)
		return status;
	if (!as || !period || !file)
		return cli_usage(cmd, "--as, --period and --file are required");
	if (cl_period_parse(&p, period) < 0) {
		cl_error_set(&err, CL_EINVALID, "bad period '%.20s': use YYYYH1 or YYYYH2 (e.g. 2022H2)",
			     period);
		return cli_fail(&err);
	}
	if (!cl_id_valid(as)) {
		cl_error_set(&err, CL_EINVALID, "'%.70s' is not a valid person id", as);
		return cli_fail(&err);
	}
	cl_buf_printf(&id, "%s/%s", period, as);
	if (cl_buf_read_file(&data, file, CL_LOG_MAX_BYTES, &err) < 0 ||
	    cl_yaml_parse(&log, file, data.ptr, data.size, CL_LOG_MAX_BYTES, &err) < 0) {
		cl_error_prefix(&err, "%s", id.ptr);
		status = cli_fail(&err);
		goto done;
	}
	req.action = CL_ACTION_SUBMIT;
	req.record_id = id.ptr;
	req.actor = as;
	req.log = log;
	req.log_file = file;
	status = cli_run_request(ctx, &req, comment, !!json, data.ptr, data.size);
done:
	cl_ynode_free(log);
	cl_buf_release(&data);
	cl_buf_release(&id);
	return status;
}
