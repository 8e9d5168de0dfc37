/*
 * cmd_workflow.c - chainlog workflow check FILE | workflow show [--dot]
 */
#include "commands.h"
#include "util.h"

#include <string.h>

static void workflow_summary(const cl_workflow *wf, const cl_machine *m)
{
	size_t i;

	printf("workflow %s: %s\n", wf->version_tag, wf->title);
	printf("rejection returns to: %s\n",
	       wf->on_reject == CL_REJECT_TO_TALENT ? "the talent" : "the previous level");
	for (i = 0; i < wf->nlevels; i++) {
		const cl_level *l = &wf->levels[i];
		printf("level %zu: %-12s %s (role '%s' at the %s%s%s)%s%s\n", i + 1, l->id,
		       l->title, l->role, l->anchor == CL_ANCHOR_SERVED ? "served unit" : "dispatcher",
		       l->unit_type ? "'s " : "", l->unit_type ? l->unit_type : "",
		       l->ngrades ? ", grades" : "", l->ngrades ? " required" : "");
	}
	printf("states:");
	for (i = 0; i < m->nstates; i++)
		printf(" %s", m->states[i].name);
	printf("\nedges:\n");
	for (i = 0; i < m->nedges; i++)
		printf("  %-18s --%s--> %s\n", m->states[m->edges[i].from].name,
		       cl_action_name(m->edges[i].action), m->states[m->edges[i].to].name);
}

/* Inside a home, check FILE with the home's org, people and needs. */
static int workflow_check_in_home(cli_ctx *ctx, const char *file, const cl_buf *data,
				  cl_error *err)
{
	static const char *const names[] = { CL_CONFIG_ORG, CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS };
	cl_buf others[3] = { CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT }, path = CL_BUF_INIT;
	cl_config_file files[4];
	cl_config *cfg = NULL;
	cl_home *h = NULL;
	cl_oid tip;
	size_t n = 1, i;
	int error;

	if (cl_home_open(&h, ctx->home, err) < 0) {
		cl_error_clear(err);
		return 1; /* not a home: nothing more to check against */
	}
	files[0] = (cl_config_file){ CL_CONFIG_WORKFLOW, file, data->ptr, data->size };
	error = cl_home_tip(h, &tip, err);
	for (i = 0; i < 3 && !error; i++) {
		cl_buf_clear(&path);
		cl_buf_printf(&path, "config/%s", names[i]);
		error = cl_store_read(cl_home_store(h), &tip, path.ptr, &others[i], NULL, err);
		if (error == CL_ENOTFOUND) {
			error = 0;
			continue;
		}
		files[n++] = (cl_config_file){ names[i], names[i], others[i].ptr, others[i].size };
	}
	if (!error)
		error = cl_config_load(&cfg, files, n, err);
	cl_config_free(cfg);
	for (i = 0; i < 3; i++)
		cl_buf_release(&others[i]);
	cl_buf_release(&path);
	cl_home_free(h);
	return error;
}

int cmd_workflow_check(cli_ctx *ctx)
{
	const char *pos[1];
	cl_buf data = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_workflow *wf = NULL;
	cl_machine *m = NULL;
	int status = 0, error;

	if (cli_parse(ctx, cli_self("workflow check"), NULL, pos, 1, 1, &status) < 0)
		return status;
	if (cl_buf_read_file(&data, pos[0], CL_CONFIG_MAX_BYTES, &err) < 0 ||
	    cl_workflow_load(&wf, pos[0], data.ptr, data.size, &err) < 0 ||
	    cl_machine_compile(&m, wf, &err) < 0 ||
	    (error = workflow_check_in_home(ctx, pos[0], &data, &err)) < 0) {
		status = cli_fail(&err);
		goto done;
	}
	workflow_summary(wf, m);
	printf("%s: ok%s\n", pos[0], error == 1 ? " (not inside a home: unit types and reviewers not checked)"
					       : ", checked against the home's org and people");
done:
	cl_machine_free(m);
	cl_workflow_free(wf);
	cl_buf_release(&data);
	return status;
}

static json_t *workflow_json(const cl_machine *m)
{
	json_t *o = json_object(), *st = json_array(), *ed = json_array(), *e;
	size_t i;

	for (i = 0; i < m->nstates; i++)
		json_array_append_new(st, json_string(m->states[i].name));
	for (i = 0; i < m->nedges; i++) {
		e = json_object();
		json_object_set_new(e, "from", json_string(m->states[m->edges[i].from].name));
		json_object_set_new(e, "action", json_string(cl_action_name(m->edges[i].action)));
		json_object_set_new(e, "to", json_string(m->states[m->edges[i].to].name));
		json_object_set_new(e, "level", m->edges[i].level == CL_NONE ? json_null() :
				    json_string(m->workflow->levels[m->edges[i].level].id));
		json_array_append_new(ed, e);
	}
	json_object_set_new(o, "workflow", json_string(m->workflow->version_tag));
	json_object_set_new(o, "states", st);
	json_object_set_new(o, "edges", ed);
	return o;
}

int cmd_workflow_show(cli_ctx *ctx)
{
	const char *dot, *json;
	cli_opt opts[] = { { "dot", 0, &dot }, { "json", 0, &json }, { NULL, 0, NULL } };
	const cl_config *cfg;
	const cl_machine *m;
	cl_error err = CL_ERROR_INIT;
	cl_buf out = CL_BUF_INIT;
	cl_home *h = NULL;
	int status = 0;

	if (cli_parse(ctx, cli_self("workflow show"), opts, NULL, 0, 0, &status) < 0)
		return status;
	if (cli_open(&h, ctx, &err) < 0 || cl_home_config(&cfg, &m, h, &err) < 0) {
		status = cli_fail(&err);
	} else if (dot) {
		cl_machine_dot(m, &out);
		fputs(out.ptr, stdout);
	} else if (json) {
		cli_json_print(workflow_json(m));
	} else {
		workflow_summary(cfg->workflow, m);
	}
	cl_buf_release(&out);
	cl_home_free(h);
	return status;
}
