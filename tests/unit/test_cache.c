/*
 * test_cache.c - the compiled-configuration cache: what is packed comes
 * back equal, and a file for another key, a truncated or a flipped file is
 * refused rather than trusted, by the checksum and, with the checksum
 * made to agree, by the reader's own bounds checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"
#include "cache.h"
#include "config.h"
#include "util.h"

static cl_config *load_sample(void)
{
	static const char *const names[] = { "workflow.yaml", "org.yaml", "people.yaml",
					     "needs.yaml" };
	static const char *const paths[] = { CL_SOURCE_ROOT "/workflows/three-level.yaml",
					     CL_SOURCE_ROOT "/records/sample/org.yaml",
					     CL_SOURCE_ROOT "/records/sample/people.yaml",
					     CL_SOURCE_ROOT "/records/sample/needs.yaml" };
	cl_buf data[4] = { CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT };
	cl_config_file files[4];
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = NULL;
	int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(cl_buf_read_file(&data[i], paths[i], CL_CONFIG_MAX_BYTES, &err), 0);
		files[i] = (cl_config_file){ names[i], names[i], data[i].ptr, data[i].size };
	}
	assert_int_equal(cl_config_load(&cfg, files, 4, &err), 0);
	for (i = 0; i < 4; i++)
		cl_buf_release(&data[i]);
	return cfg;
}

static void assert_same_config(const cl_config *a, const cl_config *b)
{
	size_t i, j;

	assert_string_equal(a->workflow->version_tag, b->workflow->version_tag);
	assert_int_equal(a->workflow->nlevels, b->workflow->nlevels);
	assert_int_equal(a->org->nunits, b->org->nunits);
	for (i = 0; i < a->org->nunits; i++) {
		const cl_unit *u = &a->org->units[i], *v = &b->org->units[i];
		assert_string_equal(u->id, v->id);
		assert_string_equal(u->name, v->name);
		assert_string_equal(u->type, v->type);
		assert_int_equal(u->parent, v->parent);
		assert_int_equal(u->key, v->key);
		assert_int_equal(cl_org_find(b->org, u->id), i);
	}
	assert_int_equal(a->people->npeople, b->people->npeople);
	for (i = 0; i < a->people->npeople; i++) {
		const cl_person *p = &a->people->people[i], *q = &b->people->people[i];
		assert_string_equal(p->id, q->id);
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->nroles, q->nroles);
		for (j = 0; j < p->nroles; j++) {
			assert_string_equal(p->roles[j].role, q->roles[j].role);
			assert_int_equal(p->roles[j].unit, q->roles[j].unit);
		}
		assert_int_equal(p->talent != NULL, q->talent != NULL);
		if (p->talent) {
			assert_int_equal(p->talent->serves, q->talent->serves);
			assert_int_equal(p->talent->dispatched_by, q->talent->dispatched_by);
			assert_int_equal(p->talent->mode, q->talent->mode);
			assert_int_equal(p->talent->from, q->talent->from);
			assert_int_equal(p->talent->to, q->talent->to);
			assert_int_equal(p->talent->note != NULL, q->talent->note != NULL);
		}
		assert_ptr_equal(cl_people_find(b->people, p->id), q);
	}
	assert_null(cl_people_find(b->people, "nobody"));
	assert_int_equal(cl_org_find(b->org, "nowhere"), CL_NONE);
	assert_int_equal(a->needs != NULL, b->needs != NULL);
	if (!a->needs)
		return;
	assert_int_equal(a->needs->nneeds, b->needs->nneeds);
	for (i = 0; i < a->needs->nneeds; i++) {
		assert_string_equal(a->needs->needs[i].id, b->needs->needs[i].id);
		assert_string_equal(a->needs->needs[i].title, b->needs->needs[i].title);
		assert_int_equal(a->needs->needs[i].unit, b->needs->needs[i].unit);
		assert_int_equal(cl_strmap_get(&b->needs->byid, a->needs->needs[i].id), i);
	}
}

/* Every talent's reviewers at every level, and every unit's holders of
 * role, are the same in both. */
static void assert_same_reviewers(const cl_config *a, const cl_config *b)
{
	size_t i, l, *x, *y, nx, ny;

	for (i = 0; i < a->people->npeople; i++) {
		for (l = 0; l < a->workflow->nlevels; l++) {
			assert_int_equal(cl_config_reviewers(&x, &nx, a, l, &a->people->people[i]), 0);
			assert_int_equal(cl_config_reviewers(&y, &ny, b, l, &b->people->people[i]), 0);
			assert_int_equal(nx, ny);
			if (nx)
				assert_memory_equal(x, y, nx * sizeof(size_t));
			free(x);
			free(y);
		}
	}
	for (i = 0; i < a->org->nunits; i++) {
		cl_people_holders(&x, &nx, a->people, "secretary", i);
		cl_people_holders(&y, &ny, b->people, "secretary", i);
		assert_int_equal(nx, ny);
		if (nx)
			assert_memory_equal(x, y, nx * sizeof(size_t));
		free(x);
		free(y);
	}
}

/* Uses every part of a config that was accepted: it must hold together
 * (ASan watches) even when it is not the config that was packed. */
static void exercise(const cl_config *cfg, const cl_config *orig)
{
	size_t i, l, *idx, n = 0;

	for (i = 0; i < orig->people->npeople; i++)
		(void)cl_people_find(cfg->people, orig->people->people[i].id);
	for (i = 0; i < orig->org->nunits; i++)
		(void)cl_org_find(cfg->org, orig->org->units[i].id);
	for (i = 0; i < orig->needs->nneeds && cfg->needs; i++)
		(void)cl_strmap_get(&cfg->needs->byid, orig->needs->needs[i].id);
	for (i = 0; i < cfg->people->npeople; i++) {
		if (!cfg->people->people[i].talent)
			continue;
		for (l = 0; l < cfg->workflow->nlevels; l++) {
			assert_int_equal(cl_config_reviewers(&idx, &n, cfg, l,
							     &cfg->people->people[i]), 0);
			free(idx);
		}
	}
	for (i = 0; i < cfg->org->nunits; i++)
		n += strlen(cfg->org->units[i].name) + strlen(cfg->org->units[i].type);
	for (i = 0; i < cfg->people->npeople; i++)
		for (l = 0; l < cfg->people->people[i].nroles; l++)
			n += strlen(cfg->people->people[i].roles[l].role);
	for (i = 0; cfg->needs && i < cfg->needs->nneeds; i++)
		n += strlen(cfg->needs->needs[i].title) + strlen(cfg->needs->needs[i].category);
	assert_true(n > 0);
}

static void test_cache__round_trip_is_equal(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	const cl_person *p;
	size_t *idx, n;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), 0);
	cl_config_pack(&b, back, "k1");
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	assert_int_equal(back->people->npeople, 190);
	assert_int_equal(back->org->nunits, cfg->org->nunits);
	assert_int_equal(back->needs->nneeds, 140);
	assert_string_equal(back->workflow->version_tag, "weishan-three-level@1");
	p = cl_people_find(back->people, "t001");
	assert_non_null(p);
	assert_non_null(p->talent);
	assert_int_equal(p->talent->first_secretary, 1);
	/* the role index is rebuilt: t001's village reviewer resolves */
	assert_int_equal(cl_config_reviewers(&idx, &n, back, 0, p), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back->people->people[idx[0]].id, "v-nanzhao-01");
	free(idx);
	assert_same_config(cfg, back);
	assert_same_reviewers(cfg, back);
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_config_free(back);
	cl_config_free(cfg);
}

static void test_cache__round_trip_without_needs(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_needs *needs = cfg->needs;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;

	(void)state;
	cfg->needs = NULL;
	cl_config_pack(&a, cfg, "k1");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), 0);
	assert_null(back->needs);
	cl_config_pack(&b, back, "k1");
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	assert_same_config(cfg, back);
	cfg->needs = needs;
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_config_free(back);
	cl_config_free(cfg);
}

/* The data given to unpack may go away at once: the config owns a copy. */
static void test_cache__unpacked_config_owns_its_bytes(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	char *copy;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	copy = malloc(a.size);
	assert_non_null(copy);
	memcpy(copy, a.ptr, a.size);
	assert_int_equal(cl_config_unpack(&back, copy, a.size, "k1", &err), 0);
	memset(copy, 0xa5, a.size);
	free(copy);
	assert_same_config(cfg, back);
	assert_same_reviewers(cfg, back);
	cl_buf_release(&a);
	cl_config_free(back);
	cl_config_free(cfg);
}

static int within(const void *p, const void *base, size_t len)
{
	return (uintptr_t)p >= (uintptr_t)base && (uintptr_t)p < (uintptr_t)base + len;
}

static void released(void *p)
{
	(*(int *)p)++;
}

/* In place, the config reads its strings and tables where they lie in the
 * caller's bytes, which may be read-only (a mapped cache file): the same
 * config as a copy, nothing written to them, and its held bytes released
 * with it.  Bytes not 4-aligned are copied instead. */
static void test_cache__unpacked_in_place_reads_the_callers_bytes(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	const cl_person *p;
	char *ro, *odd;
	int freed = 0;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	ro = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	memcpy(ro, a.ptr, a.size);
	assert_int_equal(mprotect(ro, a.size, PROT_READ), 0);
	assert_int_equal(cl_config_unpack_in_place(&back, ro, a.size, "k1", &err), 0);
	p = cl_people_find(back->people, "t001");
	assert_non_null(p);
	assert_true(within(p->id, ro, a.size));
	assert_true(within(back->people->byid.slots, ro, a.size));
	assert_same_config(cfg, back);
	assert_same_reviewers(cfg, back);
	cl_config_pack(&b, back, "k1");
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	back->held = &freed;
	back->held_free = released;
	cl_config_free(back);
	assert_int_equal(freed, 1);
	/* refusals are the same as a copy's: the key, a damaged byte */
	assert_int_equal(cl_config_unpack_in_place(&back, ro, a.size, "k2", &err), CL_EINVALID);
	assert_null(back);
	assert_int_equal(mprotect(ro, a.size, PROT_READ | PROT_WRITE), 0);
	ro[a.size - 2] ^= 0x20; /* in the string pool, the image's last section */
	assert_int_equal(mprotect(ro, a.size, PROT_READ), 0);
	assert_int_equal(cl_config_unpack_in_place(&back, ro, a.size, "k1", &err), CL_EINVALID);
	assert_non_null(strstr(err.msg, "checksum"));
	assert_null(back);
	munmap(ro, a.size);

	odd = malloc(a.size + 1);
	assert_non_null(odd);
	memcpy(odd + 1, a.ptr, a.size);
	assert_int_equal(cl_config_unpack_in_place(&back, odd + 1, a.size, "k1", &err), 0);
	p = cl_people_find(back->people, "t001");
	assert_non_null(p);
	assert_false(within(p->id, odd, a.size + 1));
	memset(odd, 0xa5, a.size + 1);
	free(odd);
	assert_same_config(cfg, back);
	cl_config_free(back);
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_config_free(cfg);
}

/* Mapped at the address it means to lie at, an image is used as it
 * stands: no block, the structs and their strings read where they lie,
 * nothing written (the mapping is read-only), and its pointers still
 * checked: one moved out of the pool, resealed, is refused there too. */
static void test_cache__at_its_base_the_image_is_used_as_it_stands(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	uintptr_t base = cl_config_cache_base("k1"), v;
	const cl_person *p;
	char *img;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	assert_true(base != 0);
	img = mmap((void *)base, a.size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_true(img == (char *)base);
	memcpy(img, a.ptr, a.size);
	assert_int_equal(mprotect(img, a.size, PROT_READ), 0);
	assert_int_equal(cl_config_unpack_in_place(&back, img, a.size, "k1", &err), 0);
	assert_null(back->image);
	p = cl_people_find(back->people, "t001");
	assert_non_null(p);
	assert_true(within(p, img, a.size));
	assert_true(within(p->id, img, a.size));
	assert_true(within(back->org->units, img, a.size));
	assert_true(p->talent && within(p->talent, img, a.size));
	assert_same_config(cfg, back);
	assert_same_reviewers(cfg, back);
	cl_config_free(back);

	/* a person's id pointer moved just past the pool's end */
	assert_int_equal(mprotect(img, a.size, PROT_READ | PROT_WRITE), 0);
	v = base + a.size;
	memcpy((char *)&p->id, &v, sizeof(v));
	cl_config_cache_reseal(img, a.size);
	assert_int_equal(mprotect(img, a.size, PROT_READ), 0);
	assert_int_equal(cl_config_unpack_in_place(&back, img, a.size, "k1", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache is corrupt");
	assert_null(back);
	munmap(img, a.size);
	cl_buf_release(&a);
	cl_config_free(cfg);
}

static void test_cache__refuses_other_key_truncation_and_corruption(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t cut, at;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k2", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache is for another key");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k", &err), CL_EINVALID);
	for (cut = 0; cut < a.size; cut++) {
		assert_int_equal(cl_config_unpack(&back, a.ptr, cut, "k1", NULL), CL_EINVALID);
		assert_null(back);
	}
	/* the checksum sees any flipped byte */
	for (at = 0; at < a.size; at += 7) {
		a.ptr[at] ^= 0x40;
		assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), CL_EINVALID);
		assert_null(back);
		a.ptr[at] ^= 0x40;
	}
	a.ptr[a.size / 2] ^= 0x40;
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache checksum mismatch");
	a.ptr[a.size / 2] ^= 0x40;
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), 0);
	cl_config_free(back);
	cl_buf_release(&a);
	cl_config_free(cfg);
}

/* Tries one edit of the word at `at`, resealed so that only the reader's
 * own checks stand between it and the config. */
static void try_word(cl_buf *a, size_t at, uint32_t value, const cl_config *orig,
		     size_t *accepted)
{
	cl_config *back = NULL;
	uint32_t old;
	int error;

	memcpy(&old, a->ptr + at, 4);
	if (old == value)
		return;
	memcpy(a->ptr + at, &value, 4);
	cl_config_cache_reseal(a->ptr, a->size);
	error = cl_config_unpack(&back, a->ptr, a->size, "k1", NULL);
	if (error == 0) {
		exercise(back, orig);
		cl_config_free(back);
		(*accepted)++;
	} else {
		assert_int_equal(error, CL_EINVALID);
		assert_null(back);
	}
	memcpy(a->ptr + at, &old, 4);
}

static void test_cache__bounds_checks_refuse_what_the_checksum_would(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t at, accepted = 0, tried = 0, pool;
	uint32_t w;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	memcpy(&w, a.ptr + 16 + 4 * 15, 4); /* the pool's size, in the header */
	pool = a.size - w;
	/* every word before the pool (header, records, maps, role index),
	 * set to CL_NONE's code and to its neighbour, every third with a bit
	 * flipped; the pool (bytes only, any of which may change) sparsely */
	for (at = 16; at + 4 <= a.size; at += at < pool ? 4 : 60, tried += 2) {
		memcpy(&w, a.ptr + at, 4);
		try_word(&a, at, 0xffffffff, cfg, &accepted);
		try_word(&a, at, w + 1, cfg, &accepted);
		if (at % 12 == 0)
			try_word(&a, at, w ^ 0x80, cfg, &accepted);
	}
	assert_true(accepted < tried); /* most edits are refused */
	/* a byte order mark from elsewhere */
	w = 0x04030201;
	memcpy(a.ptr + 16, &w, 4);
	cl_config_cache_reseal(a.ptr, a.size);
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache is for another byte order");
	cl_buf_release(&a);
	cl_config_free(cfg);
}

/* A config of n villages, a secretary each, built without YAML (which
 * would be slow under valgrind): big enough that the block is allocated
 * the way a province's is. */
static cl_config *make_big(size_t n)
{
	cl_config *sample = load_sample(), *cfg = cl_xcalloc(1, sizeof(*cfg));
	cl_org *org = cl_xcalloc(1, sizeof(*org));
	cl_people *people = cl_xcalloc(1, sizeof(*people));
	char id[64];
	size_t i;

	cfg->workflow = sample->workflow;
	sample->workflow = NULL;
	cl_config_free(sample);
	org->types = cl_xcalloc(2, sizeof(char *));
	org->types[0] = cl_xstrdup("county");
	org->types[1] = cl_xstrdup("village");
	org->ntypes = 2;
	org->units = cl_xcalloc(n + 1, sizeof(cl_unit));
	cl_strmap_init(&org->byid, org->units, offsetof(cl_unit, id), sizeof(cl_unit));
	cl_strmap_reserve(&org->byid, n + 1);
	people->people = cl_xcalloc(n, sizeof(cl_person));
	cl_strmap_init(&people->byid, people->people, offsetof(cl_person, id),
		       sizeof(cl_person));
	for (i = 0; i <= n; i++, org->nunits++) {
		snprintf(id, sizeof(id), i ? "village-%zu" : "county", i);
		org->units[i].id = cl_xstrdup(id);
		org->units[i].name = cl_xstrdup(id);
		org->units[i].type = cl_xstrdup(i ? "village" : "county");
		org->units[i].parent = i ? 0 : CL_NONE;
		cl_strmap_put(&org->byid, i);
	}
	for (i = 0; i < n; i++, people->npeople++) {
		cl_person *p = &people->people[i];
		snprintf(id, sizeof(id), "secretary-%zu", i);
		p->id = cl_xstrdup(id);
		p->name = cl_xstrdup(id);
		p->roles = cl_xcalloc(1, sizeof(cl_role));
		p->roles[0].role = cl_xstrdup("secretary");
		p->roles[0].unit = i + 1;
		p->nroles = 1;
		cl_strmap_put(&people->byid, i);
	}
	cl_people_index_roles(people, org->nunits);
	cfg->org = org;
	cfg->people = people;
	return cfg;
}

static void test_cache__round_trip_at_province_size(void **state)
{
	cl_config *cfg = make_big(20000), *back = NULL;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t *idx, n;

	(void)state;
	cl_config_pack(&a, cfg, "big");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "big", &err), 0);
	cl_config_pack(&b, back, "big");
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.ptr, b.ptr, a.size);
	assert_same_config(cfg, back);
	cl_people_holders(&idx, &n, back->people, "secretary",
			  cl_org_find(back->org, "village-12345"));
	assert_int_equal(n, 1);
	assert_string_equal(back->people->people[idx[0]].id, "secretary-12344");
	free(idx);
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_config_free(back);
	cl_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache__round_trip_is_equal),
		cmocka_unit_test(test_cache__round_trip_without_needs),
		cmocka_unit_test(test_cache__round_trip_at_province_size),
		cmocka_unit_test(test_cache__unpacked_config_owns_its_bytes),
		cmocka_unit_test(test_cache__unpacked_in_place_reads_the_callers_bytes),
		cmocka_unit_test(test_cache__at_its_base_the_image_is_used_as_it_stands),
		cmocka_unit_test(test_cache__refuses_other_key_truncation_and_corruption),
		cmocka_unit_test(test_cache__bounds_checks_refuse_what_the_checksum_would),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
