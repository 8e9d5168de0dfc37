/*
 * config.c - the configuration bundle: loads workflow, org, people and
 * needs from their bytes, cross-checks them, resolves reviewers, and
 * validates work logs against the workflow's fields.
 *
 * Pure: no I/O.  The engine hands in the bytes of a config directory or of
 * a commit's config/ tree.
 */
#include "config.h"
#include "schema.h"
#include "util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string map: open addressing, linear probing ---- */

void cl_strmap_init(cl_strmap *m, const void *base, size_t key_at, size_t stride)
{
	memset(m, 0, sizeof(*m));
	m->base = base;
	m->key_at = key_at;
	m->stride = stride;
}

static const char *strmap_key(const cl_strmap *m, size_t val)
{
	const char *key;

	/* memcpy: the field is a char *, read without a cast */
	memcpy(&key, m->base + val * m->stride + m->key_at, sizeof(key));
	return key;
}

/* The slot of key, or the empty slot where it would go.  Ends because a
 * map always has an empty slot (n < cap; cache.c checks it of images).
 * The first slot is hash * cap / 2^32, so cap need not be a power of two
 * and a map can be sized to its keys. */
static size_t strmap_slot(const cl_strmap *m, const char *key)
{
	size_t i = (size_t)(((uint64_t)cl_hash_fnv1a(key) * m->cap) >> 32);

	while (m->slots[i] && strcmp(strmap_key(m, m->slots[i] - 1), key))
		i = i + 1 < m->cap ? i + 1 : 0;
	return i;
}

/* Slots for n keys at a load of at most 2/3. */
static size_t strmap_cap(size_t n)
{
	return n + n / 2 + 1;
}

static void strmap_resize(cl_strmap *m, size_t cap)
{
	uint32_t *old = m->slots;
	size_t oldcap = m->cap, i;

	assert(!m->borrowed && cap > m->n && cap < UINT32_MAX);
	m->cap = cap;
	m->slots = cl_xcalloc(m->cap, sizeof(uint32_t));
	for (i = 0; i < oldcap; i++)
		if (old[i])
			m->slots[strmap_slot(m, strmap_key(m, old[i] - 1))] = old[i];
	free(old);
}

void cl_strmap_reserve(cl_strmap *m, size_t n)
{
	if (strmap_cap(n) > m->cap)
		strmap_resize(m, strmap_cap(n));
}

void cl_strmap_put(cl_strmap *m, size_t val)
{
	size_t i;

	assert(val < UINT32_MAX);
	if (strmap_cap(m->n + 1) > m->cap)
		strmap_resize(m, strmap_cap(2 * (m->n + 1)));
	i = strmap_slot(m, strmap_key(m, val));
	assert(!m->slots[i]); /* callers check for duplicates first */
	m->slots[i] = (uint32_t)val + 1;
	m->n++;
}

size_t cl_strmap_get(const cl_strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return CL_NONE;
	i = strmap_slot(m, key);
	return m->slots[i] ? (size_t)m->slots[i] - 1 : CL_NONE;
}

void cl_strmap_release(cl_strmap *m)
{
	if (!m->borrowed)
		free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- needs ---- */

static const char *const needs_top_keys[] = { "categories", "needs", NULL };
static const char *const need_keys[] = { "id", "unit", "category", "title", NULL };

void cl_needs_free(cl_needs *needs)
{
	size_t i;

	if (!needs)
		return;
	if (needs->in_image) {
		free(needs);
		return;
	}
	for (i = 0; i < needs->nneeds; i++) {
		free(needs->needs[i].id);
		free(needs->needs[i].category);
		free(needs->needs[i].title);
	}
	free(needs->needs);
	cl_strv_free(needs->categories, needs->ncategories);
	cl_strmap_release(&needs->byid);
	free(needs);
}

static int needs_load_one(cl_needs *needs, const cl_schema *s,
			  const cl_org *org, const cl_ynode *n)
{
	cl_need *nd = &needs->needs[needs->nneeds];
	const char *id, *unit, *cat, *title;
	size_t i, u;
	int error;

	if ((error = cl_schema_map(s, n, "need", need_keys)) < 0 ||
	    (error = cl_schema_id(&id, s, n, "need", "id", 1)) < 0 ||
	    (error = cl_schema_id(&unit, s, n, "need", "unit", 1)) < 0 ||
	    (error = cl_schema_id(&cat, s, n, "need", "category", 1)) < 0 ||
	    (error = cl_schema_str(&title, s, n, "need", "title", 1)) < 0)
		return error;
	if (cl_strmap_get(&needs->byid, id) != CL_NONE)
		return cl_schema_fail(s, cl_ynode_get(n, "id"), "duplicate need id '%s'", id);
	if ((u = cl_org_find(org, unit)) == CL_NONE)
		return cl_schema_fail(s, cl_ynode_get(n, "unit"),
				      "need '%s' names unknown unit '%s'", id, unit);
	for (i = 0; i < needs->ncategories; i++)
		if (!strcmp(needs->categories[i], cat))
			break;
	if (i == needs->ncategories)
		return cl_schema_fail(s, cl_ynode_get(n, "category"),
				      "need '%s' has unknown category '%s'", id, cat);
	nd->id = cl_xstrdup(id);
	nd->unit = u;
	nd->category = cl_xstrdup(cat);
	nd->title = cl_xstrdup(title);
	cl_strmap_put(&needs->byid, needs->nneeds);
	needs->nneeds++;
	return 0;
}

int cl_needs_load(cl_needs **out, const char *file, const char *data,
		  size_t len, const cl_org *org, cl_error *err)
{
	cl_schema s = { file, err };
	cl_needs *needs = cl_xcalloc(1, sizeof(*needs));
	cl_ynode *root = NULL;
	const cl_ynode *list;
	size_t i;
	int error;

	*out = NULL;
	if ((error = cl_yaml_parse(&root, file, data, len, CL_CONFIG_MAX_BYTES, err)) < 0 ||
	    (error = cl_schema_map(&s, root, "needs file", needs_top_keys)) < 0 ||
	    (error = cl_schema_idlist(&needs->categories, &needs->ncategories, &s,
				      root, "needs file", "categories", 1)) < 0)
		goto done;
	if (!(list = cl_ynode_get(root, "needs"))) {
		error = cl_schema_fail(&s, root, "needs file is missing required key 'needs'");
		goto done;
	}
	if ((error = cl_schema_seq(&s, list, "needs")) < 0)
		goto done;
	needs->needs = cl_xcalloc(list->n, sizeof(cl_need));
	cl_strmap_init(&needs->byid, needs->needs, offsetof(cl_need, id), sizeof(cl_need));
	cl_strmap_reserve(&needs->byid, list->n);
	for (i = 0; i < list->n; i++)
		if ((error = needs_load_one(needs, &s, org, list->items[i])) < 0)
			goto done;
	*out = needs;
	needs = NULL;
done:
	cl_needs_free(needs);
	cl_ynode_free(root);
	return error;
}

/* ---- the bundle ---- */

void cl_config_free(cl_config *cfg)
{
	if (!cfg)
		return;
	cl_workflow_free(cfg->workflow);
	cl_people_free(cfg->people);
	cl_needs_free(cfg->needs);
	cl_org_free(cfg->org);
	free(cfg->image);
	if (cfg->held_free)
		cfg->held_free(cfg->held);
	free(cfg);
}

static const cl_config_file *config_file(const cl_config_file *files, size_t n,
					  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(files[i].name, name))
			return &files[i];
	return NULL;
}

static int config_level_fail(const cl_workflow *wf, const cl_level *l,
			     cl_error *err, const char *msg, const char *arg)
{
	return cl_error_set(err, CL_EINVALID, "%s:%d:%d: level '%s' %s '%s'",
			    wf->file, l->line, l->col, l->id, msg, arg);
}

/* Could anyone ever review level l?  Someone must hold its role at a unit
 * of its type (or, with no type, at some talent's anchor unit). */
static int config_level_reviewable(const cl_config *cfg, const cl_level *l)
{
	size_t i, j;

	for (i = 0; i < cfg->people->npeople; i++) {
		const cl_person *p = &cfg->people->people[i];
		for (j = 0; j < p->nroles; j++) {
			const cl_unit *u = &cfg->org->units[p->roles[j].unit];
			if (strcmp(p->roles[j].role, l->role))
				continue;
			if (!l->unit_type || !strcmp(u->type, l->unit_type))
				return 1;
		}
	}
	return 0;
}

static int config_cross_check(const cl_config *cfg, cl_error *err)
{
	const cl_workflow *wf = cfg->workflow;
	size_t i;

	for (i = 0; i < wf->nlevels; i++) {
		const cl_level *l = &wf->levels[i];
		if (l->unit_type && !cl_org_has_type(cfg->org, l->unit_type))
			return config_level_fail(wf, l, err, "names unknown unit type",
						 l->unit_type);
		if (!config_level_reviewable(cfg, l))
			return config_level_fail(wf, l, err,
						 "can never be reviewed: nobody holds role",
						 l->role);
	}
	for (i = 0; i < wf->nfields; i++)
		if (wf->fields[i].choices_from && !cfg->needs)
			return cl_error_set(err, CL_EINVALID,
					    "%s: field '%s' takes its choices from needs, but there is no %s",
					    wf->file, wf->fields[i].name, CL_CONFIG_NEEDS);
	for (i = 0; i < cfg->people->npeople; i++)
		if (cl_person_has_role_anywhere(&cfg->people->people[i], wf->admin_role))
			return 0;
	return cl_error_set(err, CL_EINVALID,
			    "%s: nobody holds the admin_role '%s', so the configuration could never change again",
			    wf->file, wf->admin_role);
}

int cl_config_load(cl_config **out, const cl_config_file *files, size_t n,
		   cl_error *err)
{
	const cl_config_file *wf = config_file(files, n, CL_CONFIG_WORKFLOW);
	const cl_config_file *org = config_file(files, n, CL_CONFIG_ORG);
	const cl_config_file *people = config_file(files, n, CL_CONFIG_PEOPLE);
	const cl_config_file *needs = config_file(files, n, CL_CONFIG_NEEDS);
	cl_config *cfg = cl_xcalloc(1, sizeof(*cfg));
	int error;

	*out = NULL;
	if (!wf || !org || !people) {
		error = cl_error_set(err, CL_EINVALID, "the configuration needs %s, %s and %s",
				     CL_CONFIG_WORKFLOW, CL_CONFIG_ORG, CL_CONFIG_PEOPLE);
		goto done;
	}
	if ((error = cl_workflow_load(&cfg->workflow, wf->path, wf->data, wf->len, err)) < 0 ||
	    (error = cl_org_load(&cfg->org, org->path, org->data, org->len, err)) < 0 ||
	    (error = cl_people_load(&cfg->people, people->path, people->data,
				    people->len, cfg->org, err)) < 0)
		goto done;
	if (needs && (error = cl_needs_load(&cfg->needs, needs->path, needs->data,
					    needs->len, cfg->org, err)) < 0)
		goto done;
	if ((error = config_cross_check(cfg, err)) < 0)
		goto done;
	*out = cfg;
	cfg = NULL;
done:
	cl_config_free(cfg);
	return error;
}

int cl_config_reviewers(size_t **idx, size_t *n, const cl_config *cfg,
			size_t level, const cl_person *talent)
{
	const cl_level *l = &cfg->workflow->levels[level];
	size_t unit;

	*idx = NULL;
	*n = 0;
	if (!talent || !talent->talent)
		return 0;
	unit = l->anchor == CL_ANCHOR_SERVED ? talent->talent->serves
					      : talent->talent->dispatched_by;
	if (l->unit_type)
		unit = cl_org_ancestor(cfg->org, unit, l->unit_type);
	if (unit != CL_NONE)
		cl_people_holders(idx, n, cfg->people, l->role, unit);
	return 0;
}
