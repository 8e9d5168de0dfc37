/*
 * cmd_init.c - chainlog init DIR (--sample | --config CONFDIR)
 */
#include "commands.h"
#include "sample.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const init_names[] = {
	CL_CONFIG_WORKFLOW, CL_CONFIG_ORG, CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS,
};

/* The bundled sample ships the sample chain as three-level.yaml. */
static size_t init_sample(cl_config_file *files)
{
	const cl_sample_file *s;
	size_t n = 0;

	for (s = cl_sample_files; s->name && n < 4; s++) {
		files[n].name = strcmp(s->name, "three-level.yaml") ? s->name
								 : CL_CONFIG_WORKFLOW;
		files[n].path = files[n].name;
		files[n].data = s->data;
		files[n].len = s->len;
		n++;
	}
	return n;
}

/* Reads CONFDIR's files; needs.yaml is optional. */
int cli_read_confdir(cl_config_file *files, cl_buf *data, size_t *n,
		     cl_buf *paths, const char *dir, cl_error *err)
{
	size_t i;
	int error;

	*n = 0;
	for (i = 0; i < 4; i++) {
		cl_buf_clear(&paths[i]);
		cl_buf_printf(&paths[i], "%s/%s", dir, init_names[i]);
		error = cl_buf_read_file(&data[i], paths[i].ptr, CL_CONFIG_MAX_BYTES, err);
		if (error == CL_ENOTFOUND && i == 3)
			continue;
		if (error)
			return error;
		files[*n].name = init_names[i];
		files[*n].path = paths[i].ptr;
		files[*n].data = data[i].ptr;
		files[*n].len = data[i].size;
		(*n)++;
	}
	return 0;
}

int cmd_init(cli_ctx *ctx)
{
	const char *sample, *confdir, *as, *date, *pos[1];
	cli_opt opts[] = { { "sample", 0, &sample }, { "config", 1, &confdir },
			   { "as", 1, &as }, { "date", 1, &date }, { NULL, 0, NULL } };
	cl_config_file files[4];
	cl_buf data[4], paths[4];
	cl_error err = CL_ERROR_INIT;
	size_t n = 0, i;
	int status, error = 0;
	int64_t when = 0;

	if (cli_parse(ctx, cli_self("init"), opts, pos, 1, 1, &status) < 0)
		return status;
	if (!!sample == !!confdir)
		return cli_usage(cli_self("init"), "give exactly one of --sample and --config");
	if (date && (cl_date_parse(&when, date) < 0 || (when *= 86400) > cl_now())) {
		cl_error_set(&err, CL_EINVALID, "bad --date '%.20s': a past day YYYY-MM-DD", date);
		return cli_fail(&err);
	}
	for (i = 0; i < 4; i++) {
		cl_buf_init(&data[i]);
		cl_buf_init(&paths[i]);
	}
	if (sample)
		n = init_sample(files);
	else
		error = cli_read_confdir(files, data, &n, paths, confdir, &err);
	if (!error)
		error = cl_home_create(pos[0], files, n, as, when, &err);
	for (i = 0; i < 4; i++) {
		cl_buf_release(&data[i]);
		cl_buf_release(&paths[i]);
	}
	if (error)
		return cli_fail(&err);
	printf("initialised %s\n", pos[0]);
	return 0;
}
