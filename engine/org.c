/*
 * org.c - the org chart: a forest of typed units (county, township,
 * village, department, or any type the file declares).
 *
 * Loaded from org.yaml; see records/FORMAT.md.  Parents may be listed
 * after their children; cycles are refused.  Lookups by id go through a
 * hash map so that a province-sized chart costs O(1) per lookup.
 */
#include "config.h"
#include "schema.h"
#include "util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const org_top_keys[] = { "types", "units", NULL };
static const char *const org_unit_keys[] = { "id", "name", "type", "parent", "key", NULL };

size_t cl_org_find(const cl_org *org, const char *id)
{
	return cl_strmap_get(&org->byid, id);
}

int cl_org_has_type(const cl_org *org, const char *type)
{
	size_t i;

	for (i = 0; i < org->ntypes; i++)
		if (!strcmp(org->types[i], type))
			return 1;
	return 0;
}

size_t cl_org_ancestor(const cl_org *org, size_t u, const char *type)
{
	size_t steps = 0;

	while (u != CL_NONE && steps++ <= org->nunits) {
		if (!strcmp(org->units[u].type, type))
			return u;
		u = org->units[u].parent;
	}
	return CL_NONE;
}

void cl_org_free(cl_org *org)
{
	size_t i;

	if (!org)
		return;
	if (org->in_image) {
		free(org);
		return;
	}
	for (i = 0; i < org->nunits; i++) {
		free(org->units[i].id);
		free(org->units[i].name);
		free(org->units[i].type);
	}
	free(org->units);
	cl_strv_free(org->types, org->ntypes);
	cl_strmap_release(&org->byid);
	free(org);
}

static int org_load_unit(cl_org *org, const cl_schema *s, const cl_ynode *n)
{
	cl_unit *u = &org->units[org->nunits];
	const char *id, *name, *type;
	int error, key;

	if ((error = cl_schema_map(s, n, "unit", org_unit_keys)) < 0 ||
	    (error = cl_schema_id(&id, s, n, "unit", "id", 1)) < 0 ||
	    (error = cl_schema_str(&name, s, n, "unit", "name", 1)) < 0 ||
	    (error = cl_schema_id(&type, s, n, "unit", "type", 1)) < 0 ||
	    (error = cl_schema_bool(&key, s, n, "unit", "key", 0)) < 0)
		return error;
	if (!cl_org_has_type(org, type))
		return cl_schema_fail(s, cl_ynode_get(n, "type"),
				      "unit '%s' has unknown type '%s' (not in 'types')",
				      id, type);
	if (cl_org_find(org, id) != CL_NONE)
		return cl_schema_fail(s, cl_ynode_get(n, "id"), "duplicate unit id '%s'", id);
	u->id = cl_xstrdup(id);
	u->name = cl_xstrdup(name);
	u->type = cl_xstrdup(type);
	u->parent = CL_NONE;
	u->key = key;
	cl_strmap_put(&org->byid, org->nunits);
	org->nunits++;
	return 0;
}

/* Second pass: link parents and refuse unknown parents and cycles. */
static int org_link(cl_org *org, const cl_schema *s, const cl_ynode *units)
{
	size_t i, p, steps;
	const char *parent;
	int error;

	for (i = 0; i < org->nunits; i++) {
		const cl_ynode *n = units->items[i];
		if ((error = cl_schema_id(&parent, s, n, "unit", "parent", 0)) < 0)
			return error;
		if (!parent)
			continue;
		if ((p = cl_org_find(org, parent)) == CL_NONE)
			return cl_schema_fail(s, cl_ynode_get(n, "parent"),
					      "unit '%s' has unknown parent '%s'",
					      org->units[i].id, parent);
		org->units[i].parent = p;
	}
	for (i = 0; i < org->nunits; i++) {
		for (p = org->units[i].parent, steps = 0; p != CL_NONE; p = org->units[p].parent)
			if (p == i || ++steps > org->nunits)
				return cl_schema_fail(s, units->items[i],
						      "unit '%s' is its own ancestor",
						      org->units[i].id);
	}
	return 0;
}

int cl_org_load(cl_org **out, const char *file, const char *data, size_t len,
		cl_error *err)
{
	cl_schema s = { file, err };
	cl_ynode *root = NULL;
	const cl_ynode *units;
	cl_org *org = cl_xcalloc(1, sizeof(*org));
	size_t i;
	int error;

	*out = NULL;
	if ((error = cl_yaml_parse(&root, file, data, len, CL_CONFIG_MAX_BYTES, err)) < 0)
		goto done;
	if ((error = cl_schema_map(&s, root, "org", org_top_keys)) < 0 ||
	    (error = cl_schema_idlist(&org->types, &org->ntypes, &s, root, "org",
				      "types", 1)) < 0)
		goto done;
	units = cl_ynode_get(root, "units");
	if (!units) {
		error = cl_schema_fail(&s, root, "org is missing required key 'units'");
		goto done;
	}
	if ((error = cl_schema_seq(&s, units, "units")) < 0)
		goto done;
	org->units = cl_xcalloc(units->n, sizeof(cl_unit));
	cl_strmap_init(&org->byid, org->units, offsetof(cl_unit, id), sizeof(cl_unit));
	cl_strmap_reserve(&org->byid, units->n);
	for (i = 0; i < units->n; i++)
		if ((error = org_load_unit(org, &s, units->items[i])) < 0)
			goto done;
	if ((error = org_link(org, &s, units)) < 0)
		goto done;
	*out = org;
	org = NULL;
done:
	cl_org_free(org);
	cl_ynode_free(root);
	return error;
}
