/*
 * cmd_people.c - chainlog people [--json]: the people file in force.
 */
#include "commands.h"
#include "util.h"

static json_t *people_talent(const cl_config *cfg, const cl_talent *t)
{
	char d[11];
	json_t *o;

	if (!t)
		return json_null();
	o = json_object();
	json_object_set_new(o, "serves", json_string(cfg->org->units[t->serves].id));
	json_object_set_new(o, "dispatched_by",
			    json_string(cfg->org->units[t->dispatched_by].id));
	json_object_set_new(o, "mode", json_string(cl_mode_name(t->mode)));
	json_object_set_new(o, "first_secretary", json_boolean(t->first_secretary));
	cl_date_format(d, t->from);
	json_object_set_new(o, "from", json_string(d));
	cl_date_format(d, t->to);
	json_object_set_new(o, "to", json_string(d));
	json_object_set_new(o, "note", cli_json_str(t->note));
	return o;
}

static json_t *people_json(const cl_config *cfg)
{
	json_t *a = json_array(), *o, *roles, *r;
	size_t i, j;

	for (i = 0; i < cfg->people->npeople; i++) {
		const cl_person *p = &cfg->people->people[i];
		o = json_object();
		roles = json_array();
		for (j = 0; j < p->nroles; j++) {
			r = json_object();
			json_object_set_new(r, "role", json_string(p->roles[j].role));
			json_object_set_new(r, "unit", json_string(cfg->org->units[p->roles[j].unit].id));
			json_array_append_new(roles, r);
		}
		json_object_set_new(o, "id", json_string(p->id));
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "roles", roles);
		json_object_set_new(o, "talent", people_talent(cfg, p->talent));
		json_array_append_new(a, o);
	}
	return a;
}

static void people_text(const cl_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->people->npeople; i++) {
		const cl_person *p = &cfg->people->people[i];
		printf("%-16s %-24s", p->id, p->name);
		for (j = 0; j < p->nroles; j++)
			printf(" %s@%s", p->roles[j].role, cfg->org->units[p->roles[j].unit].id);
		if (p->talent)
			printf(" talent: serves %s for %s (%s%s)",
			       cfg->org->units[p->talent->serves].id,
			       cfg->org->units[p->talent->dispatched_by].id,
			       cl_mode_name(p->talent->mode),
			       p->talent->first_secretary ? ", first secretary" : "");
		putchar('\n');
	}
}

int cmd_people(cli_ctx *ctx)
{
	const char *json;
	cli_opt opts[] = { { "json", 0, &json }, { NULL, 0, NULL } };
	const cl_config *cfg;
	const cl_machine *m;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int status = 0;

	if (cli_parse(ctx, cli_self("people"), opts, NULL, 0, 0, &status) < 0)
		return status;
	if (cli_open(&h, ctx, &err) < 0 || cl_home_config(&cfg, &m, h, &err) < 0)
		status = cli_fail(&err);
	else if (json)
		cli_json_print(people_json(cfg));
	else
		people_text(cfg);
	cli_home_done(h);
	return status;
}
