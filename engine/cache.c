/*
 * cache.c - see cache.h.
 *
 * Layout: the magic "CLCFG2\n", the key as a string, then the workflow,
 * the org, the people and the needs, field by field, and finally a
 * 64-bit FNV-1a checksum of everything before it.  Integers are 64-bit
 * little-endian; a string is its length (or UINT64_MAX for NULL) and its
 * bytes.  The reader checks every length against what is left, so a
 * corrupt file is refused, never trusted.
 */
#include "cache.h"
#include "util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAGIC "CLCFG2\n"
#define CACHE_NULL UINT64_MAX

/* ---- writing ---- */

static void put_u64(cl_buf *b, uint64_t v)
{
	unsigned char x[8];
	int i;

	for (i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	cl_buf_put(b, x, 8);
}

static void put_str(cl_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(b, s ? (uint64_t)n : CACHE_NULL);
	cl_buf_put(b, s, n);
}

static void put_strv(cl_buf *b, char *const *v, size_t n)
{
	size_t i;

	put_u64(b, n);
	for (i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void pack_field(cl_buf *b, const cl_field *f)
{
	put_str(b, f->name);
	put_u64(b, (uint64_t)f->type);
	put_u64(b, (uint64_t)f->required);
	put_u64(b, (uint64_t)f->has_min);
	put_u64(b, (uint64_t)f->has_max);
	put_u64(b, (uint64_t)f->min);
	put_u64(b, (uint64_t)f->max);
	put_strv(b, f->choices, f->nchoices);
	put_str(b, f->choices_from);
}

static void pack_level(cl_buf *b, const cl_level *l)
{
	put_str(b, l->id);
	put_str(b, l->title);
	put_str(b, l->role);
	put_u64(b, (uint64_t)l->anchor);
	put_str(b, l->unit_type);
	put_u64(b, (uint64_t)l->deadline_days);
	put_u64(b, (uint64_t)l->approve_comment);
	put_u64(b, (uint64_t)l->reject_comment);
	put_strv(b, l->grades, l->ngrades);
	put_u64(b, (uint64_t)l->line);
	put_u64(b, (uint64_t)l->col);
}

static void pack_workflow(cl_buf *b, const cl_workflow *wf)
{
	size_t i;

	put_str(b, wf->id);
	put_str(b, wf->title);
	put_u64(b, (uint64_t)wf->version);
	put_str(b, wf->version_tag);
	put_str(b, wf->admin_role);
	put_u64(b, (uint64_t)wf->on_reject);
	put_str(b, wf->file);
	put_u64(b, wf->nfields);
	for (i = 0; i < wf->nfields; i++)
		pack_field(b, &wf->fields[i]);
	put_u64(b, wf->nlevels);
	for (i = 0; i < wf->nlevels; i++)
		pack_level(b, &wf->levels[i]);
}

static void pack_org(cl_buf *b, const cl_org *org)
{
	size_t i;

	put_strv(b, org->types, org->ntypes);
	put_u64(b, org->nunits);
	for (i = 0; i < org->nunits; i++) {
		put_str(b, org->units[i].id);
		put_str(b, org->units[i].name);
		put_str(b, org->units[i].type);
		put_u64(b, (uint64_t)org->units[i].parent);
		put_u64(b, (uint64_t)org->units[i].key);
	}
}

static void pack_person(cl_buf *b, const cl_person *p)
{
	const cl_talent *t = p->talent;
	size_t j;

	put_str(b, p->id);
	put_str(b, p->name);
	put_u64(b, p->nroles);
	for (j = 0; j < p->nroles; j++) {
		put_str(b, p->roles[j].role);
		put_u64(b, (uint64_t)p->roles[j].unit);
	}
	put_u64(b, t != NULL);
	if (!t)
		return;
	put_u64(b, (uint64_t)t->serves);
	put_u64(b, (uint64_t)t->dispatched_by);
	put_u64(b, (uint64_t)t->mode);
	put_u64(b, (uint64_t)t->first_secretary);
	put_u64(b, (uint64_t)t->from);
	put_u64(b, (uint64_t)t->to);
	put_str(b, t->note);
}

static void pack_needs(cl_buf *b, const cl_needs *needs)
{
	size_t i;

	put_u64(b, needs != NULL);
	if (!needs)
		return;
	put_strv(b, needs->categories, needs->ncategories);
	put_u64(b, needs->nneeds);
	for (i = 0; i < needs->nneeds; i++) {
		put_str(b, needs->needs[i].id);
		put_u64(b, (uint64_t)needs->needs[i].unit);
		put_str(b, needs->needs[i].category);
		put_str(b, needs->needs[i].title);
	}
}

static uint64_t cache_sum(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

void cl_config_pack(cl_buf *out, const cl_config *cfg, const char *key)
{
	size_t start = out->size, i;

	cl_buf_puts(out, CACHE_MAGIC);
	put_str(out, key);
	pack_workflow(out, cfg->workflow);
	pack_org(out, cfg->org);
	put_u64(out, cfg->people->npeople);
	for (i = 0; i < cfg->people->npeople; i++)
		pack_person(out, &cfg->people->people[i]);
	pack_needs(out, cfg->needs);
	put_u64(out, cache_sum(out->ptr + start, out->size - start));
}

/* ---- reading ---- */

typedef struct rd {
	const unsigned char *p; /* next byte */
	size_t left;            /* bytes left */
	int bad;                /* set on any inconsistency; reads then give 0 */
} rd;

static uint64_t get_u64(rd *r)
{
	uint64_t v = 0;
	int i;

	if (r->bad || r->left < 8) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	r->left -= 8;
	return v;
}

/* A count of items at least `min_bytes` long each: bounded by what is left. */
static size_t get_count(rd *r, size_t min_bytes)
{
	uint64_t n = get_u64(r);

	if (n > r->left / min_bytes) {
		r->bad = 1;
		return 0;
	}
	return (size_t)n;
}

static char *get_str(rd *r)
{
	uint64_t n = get_u64(r);
	char *s;

	if (n == CACHE_NULL || r->bad)
		return NULL;
	if (n > r->left || memchr(r->p, '\0', (size_t)n)) {
		r->bad = 1;
		return NULL;
	}
	s = cl_xstrndup((const char *)r->p, (size_t)n);
	r->p += n;
	r->left -= n;
	return s;
}

/* A string that must be there: a NULL marks the file bad. */
static char *get_req(rd *r)
{
	char *s = get_str(r);

	if (!s)
		r->bad = 1;
	return s;
}

static char **get_strv(rd *r, size_t *n)
{
	char **v;
	size_t i;

	*n = get_count(r, 8);
	v = *n ? cl_xcalloc(*n, sizeof(char *)) : NULL;
	for (i = 0; i < *n; i++)
		v[i] = get_req(r);
	return v;
}

static size_t get_index(rd *r, size_t limit, int none_ok)
{
	uint64_t v = get_u64(r);

	if (none_ok && v == (uint64_t)CL_NONE)
		return CL_NONE;
	if (v >= limit) {
		r->bad = 1;
		return 0;
	}
	return (size_t)v;
}

static void unpack_field(rd *r, cl_field *f)
{
	f->name = get_req(r);
	f->type = (cl_field_type)get_index(r, 4, 0);
	f->required = (int)get_index(r, 2, 0);
	f->has_min = (int)get_index(r, 2, 0);
	f->has_max = (int)get_index(r, 2, 0);
	f->min = (int64_t)get_u64(r);
	f->max = (int64_t)get_u64(r);
	f->choices = get_strv(r, &f->nchoices);
	f->choices_from = get_str(r);
}

static void unpack_level(rd *r, cl_level *l)
{
	l->id = get_req(r);
	l->title = get_req(r);
	l->role = get_req(r);
	l->anchor = (cl_anchor)get_index(r, 2, 0);
	l->unit_type = get_str(r);
	l->deadline_days = (int)get_index(r, 3661, 0);
	l->approve_comment = (cl_need_comment)get_index(r, 2, 0);
	l->reject_comment = (cl_need_comment)get_index(r, 2, 0);
	l->grades = get_strv(r, &l->ngrades);
	l->line = (int)get_index(r, INT32_MAX, 0);
	l->col = (int)get_index(r, INT32_MAX, 0);
}

static cl_workflow *unpack_workflow(rd *r)
{
	cl_workflow *wf = cl_xcalloc(1, sizeof(*wf));
	size_t i, n;

	wf->id = get_req(r);
	wf->title = get_req(r);
	wf->version = (int64_t)get_u64(r);
	wf->version_tag = get_req(r);
	wf->admin_role = get_req(r);
	wf->on_reject = (cl_on_reject)get_index(r, 2, 0);
	wf->file = get_req(r);
	n = get_count(r, 8);
	wf->fields = cl_xcalloc(n, sizeof(cl_field));
	for (i = 0; i < n && !r->bad; i++, wf->nfields++)
		unpack_field(r, &wf->fields[i]);
	n = get_count(r, 8);
	wf->levels = cl_xcalloc(n, sizeof(cl_level));
	for (i = 0; i < n && !r->bad; i++, wf->nlevels++)
		unpack_level(r, &wf->levels[i]);
	if (!wf->nlevels)
		r->bad = 1;
	return wf;
}

static cl_org *unpack_org(rd *r)
{
	cl_org *org = cl_xcalloc(1, sizeof(*org));
	size_t i, n;

	org->types = get_strv(r, &org->ntypes);
	n = get_count(r, 8);
	org->units = cl_xcalloc(n, sizeof(cl_unit));
	cl_strmap_init(&org->byid, org->units, offsetof(cl_unit, id), sizeof(cl_unit));
	cl_strmap_reserve(&org->byid, n);
	for (i = 0; i < n && !r->bad; i++, org->nunits++) {
		org->units[i].id = get_req(r);
		org->units[i].name = get_req(r);
		org->units[i].type = get_req(r);
		org->units[i].parent = get_index(r, n, 1);
		org->units[i].key = (int)get_index(r, 2, 0);
		if (org->units[i].id)
			cl_strmap_put(&org->byid, i);
	}
	return org;
}

static void unpack_person(rd *r, cl_person *p, size_t nunits)
{
	cl_talent *t;
	size_t j, n;

	p->id = get_req(r);
	p->name = get_req(r);
	n = get_count(r, 16);
	p->roles = cl_xcalloc(n, sizeof(cl_role));
	for (j = 0; j < n && !r->bad; j++, p->nroles++) {
		p->roles[j].role = get_req(r);
		p->roles[j].unit = get_index(r, nunits, 0);
	}
	if (!get_index(r, 2, 0))
		return;
	t = p->talent = cl_xcalloc(1, sizeof(*t));
	t->serves = get_index(r, nunits, 0);
	t->dispatched_by = get_index(r, nunits, 0);
	t->mode = (cl_mode)get_index(r, 3, 0);
	t->first_secretary = (int)get_index(r, 2, 0);
	t->from = (int64_t)get_u64(r);
	t->to = (int64_t)get_u64(r);
	t->note = get_str(r);
}

static cl_people *unpack_people(rd *r, size_t nunits)
{
	cl_people *people = cl_xcalloc(1, sizeof(*people));
	size_t i, n = get_count(r, 8);

	people->people = cl_xcalloc(n, sizeof(cl_person));
	cl_strmap_init(&people->byid, people->people, offsetof(cl_person, id),
		       sizeof(cl_person));
	cl_strmap_reserve(&people->byid, n);
	for (i = 0; i < n && !r->bad; i++, people->npeople++) {
		unpack_person(r, &people->people[i], nunits);
		if (people->people[i].id)
			cl_strmap_put(&people->byid, i);
	}
	if (!r->bad)
		cl_people_index_roles(people, nunits);
	return people;
}

static cl_needs *unpack_needs(rd *r, size_t nunits)
{
	cl_needs *needs;
	size_t i, n;

	if (!get_index(r, 2, 0))
		return NULL;
	needs = cl_xcalloc(1, sizeof(*needs));
	needs->categories = get_strv(r, &needs->ncategories);
	n = get_count(r, 8);
	needs->needs = cl_xcalloc(n, sizeof(cl_need));
	cl_strmap_init(&needs->byid, needs->needs, offsetof(cl_need, id), sizeof(cl_need));
	cl_strmap_reserve(&needs->byid, n);
	for (i = 0; i < n && !r->bad; i++, needs->nneeds++) {
		needs->needs[i].id = get_req(r);
		needs->needs[i].unit = get_index(r, nunits, 0);
		needs->needs[i].category = get_req(r);
		needs->needs[i].title = get_req(r);
		if (needs->needs[i].id)
			cl_strmap_put(&needs->byid, i);
	}
	return needs;
}

int cl_config_unpack(cl_config **out, const char *data, size_t len,
		     const char *key, cl_error *err)
{
	size_t magic = strlen(CACHE_MAGIC);
	rd r = { (const unsigned char *)data, len, 0 };
	cl_config *cfg;
	char *k;

	*out = NULL;
	if (len < magic + 8 || memcmp(data, CACHE_MAGIC, magic))
		return cl_error_set(err, CL_EINVALID, "not a configuration cache");
	r.p = (const unsigned char *)data + len - 8;
	r.left = 8;
	if (get_u64(&r) != cache_sum(data, len - 8))
		return cl_error_set(err, CL_EINVALID, "configuration cache checksum mismatch");
	r.p = (const unsigned char *)data + magic;
	r.left = len - magic - 8;
	k = get_str(&r);
	if (!k || strcmp(k, key)) {
		free(k);
		return cl_error_set(err, CL_EINVALID, "configuration cache is for another key");
	}
	free(k);
	cfg = cl_xcalloc(1, sizeof(*cfg));
	cfg->workflow = unpack_workflow(&r);
	cfg->org = unpack_org(&r);
	cfg->people = unpack_people(&r, cfg->org->nunits);
	cfg->needs = unpack_needs(&r, cfg->org->nunits);
	if (r.bad || r.left) {
		cl_config_free(cfg);
		return cl_error_set(err, CL_EINVALID, "configuration cache is corrupt");
	}
	*out = cfg;
	return 0;
}
