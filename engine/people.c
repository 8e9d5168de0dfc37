/*
 * people.c - who holds which role at which unit, and each talent's
 * assignment (unit served, dispatching unit, mode, term).
 *
 * Loaded from people.yaml against an already loaded org, so every unit a
 * person names is checked to exist.  See records/FORMAT.md.
 */
#include "config.h"
#include "schema.h"
#include "util.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const people_top_keys[] = { "people", NULL };
static const char *const person_keys[] = { "id", "name", "roles", "talent", NULL };
static const char *const role_keys[] = { "role", "unit", NULL };
static const char *const talent_keys[] = { "serves", "dispatched_by", "mode",
	"first_secretary", "from", "to", "note", NULL };

const char *cl_mode_name(cl_mode m)
{
	switch (m) {
	case CL_MODE_RESIDENT: return "resident";
	case CL_MODE_FLEXIBLE: return "flexible";
	case CL_MODE_REMOTE: return "remote";
	}
	return "resident";
}

const cl_person *cl_people_find(const cl_people *people, const char *id)
{
	size_t i = cl_strmap_get(&people->byid, id);

	return i == CL_NONE ? NULL : &people->people[i];
}

int cl_person_has_role(const cl_person *p, const char *role, size_t unit)
{
	size_t i;

	for (i = 0; i < p->nroles; i++)
		if (p->roles[i].unit == unit && !strcmp(p->roles[i].role, role))
			return 1;
	return 0;
}

int cl_person_has_role_anywhere(const cl_person *p, const char *role)
{
	size_t i;

	for (i = 0; i < p->nroles; i++)
		if (!strcmp(p->roles[i].role, role))
			return 1;
	return 0;
}

/* A counting sort of every (person, role) by unit: two passes, no hashing,
 * so it stays cheap for a province of people. */
void cl_people_index_roles(cl_people *people, size_t nunits)
{
	size_t i, j, total = 0;
	uint32_t *fill;

	assert(!people->in_image);
	people->nunits = nunits;
	people->unit_start = cl_xcalloc(nunits + 1, sizeof(uint32_t));
	for (i = 0; i < people->npeople; i++)
		for (j = 0; j < people->people[i].nroles; j++, total++)
			people->unit_start[people->people[i].roles[j].unit + 1]++;
	assert(total < UINT32_MAX); /* files are capped at CL_CONFIG_MAX_BYTES */
	for (i = 0; i < nunits; i++)
		people->unit_start[i + 1] += people->unit_start[i];
	people->nheld = total;
	people->at_unit = cl_xcalloc(total, sizeof(uint32_t));
	people->at_role = cl_xcalloc(total, sizeof(uint32_t));
	fill = cl_xcalloc(nunits + 1, sizeof(uint32_t));
	memcpy(fill, people->unit_start, (nunits + 1) * sizeof(uint32_t));
	for (i = 0; i < people->npeople; i++) {
		for (j = 0; j < people->people[i].nroles; j++) {
			uint32_t k = fill[people->people[i].roles[j].unit]++;
			people->at_unit[k] = (uint32_t)i;
			people->at_role[k] = (uint32_t)j;
		}
	}
	free(fill);
}

void cl_people_holders(size_t **idx, size_t *n, const cl_people *people,
		       const char *role, size_t unit)
{
	size_t k, end;

	*idx = NULL;
	*n = 0;
	if (unit >= people->nunits)
		return;
	end = people->unit_start[unit + 1];
	for (k = people->unit_start[unit]; k < end; k++) {
		const cl_person *p = &people->people[people->at_unit[k]];
		if (strcmp(p->roles[people->at_role[k]].role, role))
			continue;
		if (!*idx)
			*idx = cl_xcalloc(end - k, sizeof(size_t));
		(*idx)[(*n)++] = people->at_unit[k];
	}
}

void cl_people_free(cl_people *people)
{
	size_t i, j;

	if (!people)
		return;
	if (people->in_image) {
		free(people);
		return;
	}
	free(people->at_unit);
	free(people->at_role);
	free(people->unit_start);
	for (i = 0; i < people->npeople; i++) {
		cl_person *p = &people->people[i];
		free(p->id);
		free(p->name);
		for (j = 0; j < p->nroles; j++)
			free(p->roles[j].role);
		free(p->roles);
		if (p->talent)
			free(p->talent->note);
		free(p->talent);
	}
	free(people->people);
	cl_strmap_release(&people->byid);
	free(people);
}

static int people_unit(size_t *out, const cl_schema *s, const cl_org *org,
		       const cl_ynode *map, const char *what, const char *key)
{
	const char *id;
	int error;

	if ((error = cl_schema_id(&id, s, map, what, key, 1)) < 0)
		return error;
	if ((*out = cl_org_find(org, id)) == CL_NONE)
		return cl_schema_fail(s, cl_ynode_get(map, key),
				      "%s '%s' names unknown unit '%s'", what, key, id);
	return 0;
}

static int people_date(int64_t *out, const cl_schema *s, const cl_ynode *map,
		       const char *key)
{
	const char *v;
	char q[64];
	int error;

	if ((error = cl_schema_str(&v, s, map, "talent", key, 1)) < 0)
		return error;
	if (cl_date_parse(out, v) < 0)
		return cl_schema_fail(s, cl_ynode_get(map, key),
				      "talent '%s' must be a date YYYY-MM-DD, not '%s'",
				      key, cl_schema_quote(q, sizeof(q), v));
	return 0;
}

static int people_mode(cl_mode *out, const cl_schema *s, const cl_ynode *map)
{
	const char *v;
	char q[64];
	int error;

	if ((error = cl_schema_str(&v, s, map, "talent", "mode", 1)) < 0)
		return error;
	if (!strcmp(v, "resident"))
		*out = CL_MODE_RESIDENT;
	else if (!strcmp(v, "flexible"))
		*out = CL_MODE_FLEXIBLE;
	else if (!strcmp(v, "remote"))
		*out = CL_MODE_REMOTE;
	else
		return cl_schema_fail(s, cl_ynode_get(map, "mode"),
				      "talent 'mode' must be resident, flexible or remote, not '%s'",
				      cl_schema_quote(q, sizeof(q), v));
	return 0;
}

static int people_required(const cl_schema *s, const cl_ynode *map, const char *key)
{
	if (cl_ynode_get(map, key))
		return 0;
	return cl_schema_fail(s, map, "talent is missing required key '%s'", key);
}

static int people_talent(cl_person *p, const cl_schema *s, const cl_org *org,
			 const cl_ynode *n)
{
	cl_talent *t = cl_xcalloc(1, sizeof(*t));
	const char *note;
	int error;

	p->talent = t;
	if ((error = cl_schema_map(s, n, "talent", talent_keys)) < 0 ||
	    (error = people_unit(&t->serves, s, org, n, "talent", "serves")) < 0 ||
	    (error = people_unit(&t->dispatched_by, s, org, n, "talent",
				 "dispatched_by")) < 0 ||
	    (error = people_mode(&t->mode, s, n)) < 0 ||
	    (error = people_required(s, n, "first_secretary")) < 0 ||
	    (error = cl_schema_bool(&t->first_secretary, s, n, "talent",
				    "first_secretary", 0)) < 0 ||
	    (error = people_date(&t->from, s, n, "from")) < 0 ||
	    (error = people_date(&t->to, s, n, "to")) < 0 ||
	    (error = cl_schema_str(&note, s, n, "talent", "note", 0)) < 0)
		return error;
	if (t->to < t->from)
		return cl_schema_fail(s, cl_ynode_get(n, "to"),
				      "talent term ends before it starts");
	t->note = note ? cl_xstrdup(note) : NULL;
	return 0;
}

static int people_roles(cl_person *p, const cl_schema *s, const cl_org *org,
			const cl_ynode *roles)
{
	const char *role;
	size_t i;
	int error;

	if ((error = cl_schema_seq(s, roles, "roles")) < 0)
		return error;
	p->roles = cl_xcalloc(roles->n, sizeof(cl_role));
	for (i = 0; i < roles->n; i++) {
		const cl_ynode *r = roles->items[i];
		cl_role *out = &p->roles[p->nroles];
		if ((error = cl_schema_map(s, r, "role", role_keys)) < 0 ||
		    (error = cl_schema_id(&role, s, r, "role", "role", 1)) < 0 ||
		    (error = people_unit(&out->unit, s, org, r, "role", "unit")) < 0)
			return error;
		out->role = cl_xstrdup(role);
		p->nroles++;
	}
	return 0;
}

static int people_load_one(cl_people *people, const cl_schema *s,
			   const cl_org *org, const cl_ynode *n)
{
	cl_person *p = &people->people[people->npeople];
	const cl_ynode *roles, *talent;
	const char *id, *name;
	int error;

	assert(people->people); /* sized by the caller for every entry */
	if ((error = cl_schema_map(s, n, "person", person_keys)) < 0 ||
	    (error = cl_schema_id(&id, s, n, "person", "id", 1)) < 0 ||
	    (error = cl_schema_str(&name, s, n, "person", "name", 1)) < 0)
		return error;
	assert(id && name); /* required keys: present when no error */
	if (cl_people_find(people, id))
		return cl_schema_fail(s, cl_ynode_get(n, "id"), "duplicate person id '%s'", id);
	if (!*name || strchr(name, '<') || strchr(name, '>') || strchr(name, '\n'))
		return cl_schema_fail(s, cl_ynode_get(n, "name"),
				      "person name must be one line without '<' or '>'");
	p->id = cl_xstrdup(id);
	p->name = cl_xstrdup(name);
	people->npeople++;
	cl_strmap_put(&people->byid, people->npeople - 1);
	if ((roles = cl_ynode_get(n, "roles")) &&
	    (error = people_roles(p, s, org, roles)) < 0)
		return error;
	if ((talent = cl_ynode_get(n, "talent")) &&
	    (error = people_talent(p, s, org, talent)) < 0)
		return error;
	return 0;
}

int cl_people_load(cl_people **out, const char *file, const char *data,
		   size_t len, const cl_org *org, cl_error *err)
{
	cl_schema s = { file, err };
	cl_people *people = cl_xcalloc(1, sizeof(*people));
	cl_ynode *root = NULL;
	const cl_ynode *list;
	size_t i;
	int error;

	*out = NULL;
	if ((error = cl_yaml_parse(&root, file, data, len, CL_CONFIG_MAX_BYTES, err)) < 0 ||
	    (error = cl_schema_map(&s, root, "people file", people_top_keys)) < 0)
		goto done;
	if (!(list = cl_ynode_get(root, "people"))) {
		error = cl_schema_fail(&s, root, "people file is missing required key 'people'");
		goto done;
	}
	if ((error = cl_schema_seq(&s, list, "people")) < 0)
		goto done;
	people->people = cl_xcalloc(list->n, sizeof(cl_person));
	cl_strmap_init(&people->byid, people->people, offsetof(cl_person, id),
		       sizeof(cl_person));
	cl_strmap_reserve(&people->byid, list->n);
	for (i = 0; i < list->n; i++)
		if ((error = people_load_one(people, &s, org, list->items[i])) < 0)
			goto done;
	cl_people_index_roles(people, org->nunits);
	*out = people;
	people = NULL;
done:
	cl_people_free(people);
	cl_ynode_free(root);
	return error;
}
