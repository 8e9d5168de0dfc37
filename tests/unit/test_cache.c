/*
 * test_cache.c - the compiled-configuration cache: what is packed comes
 * back equal, and a file for another key, a truncated or a flipped file is
 * refused rather than trusted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "config.h"

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
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_config_free(back);
	cl_config_free(cfg);
}

static void test_cache__refuses_other_key_truncation_and_corruption(void **state)
{
	cl_config *cfg = load_sample(), *back = NULL;
	cl_buf a = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t cut;

	(void)state;
	cl_config_pack(&a, cfg, "k1");
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k2", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache is for another key");
	for (cut = 0; cut < a.size; cut += a.size / 97 + 1) {
		assert_int_equal(cl_config_unpack(&back, a.ptr, cut, "k1", &err), CL_EINVALID);
		assert_null(back);
	}
	a.ptr[a.size / 2] ^= 0x40;
	assert_int_equal(cl_config_unpack(&back, a.ptr, a.size, "k1", &err), CL_EINVALID);
	assert_string_equal(err.msg, "configuration cache checksum mismatch");
	assert_null(back);
	cl_buf_release(&a);
	cl_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache__round_trip_is_equal),
		cmocka_unit_test(test_cache__refuses_other_key_truncation_and_corruption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
