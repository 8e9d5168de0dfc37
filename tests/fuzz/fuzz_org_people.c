/*
 * fuzz_org_people.c - libFuzzer target: org.yaml, then people.yaml and
 * needs.yaml against that org.
 *
 * The input is split at the first "\n---8<---\n": the part before it is
 * the org, the part after it the people and the needs files.  Without the
 * marker the whole input is used for all three.
 */
#include "fuzz.h"

#include "config.h"
#include "error.h"

#define FUZZ_MARK "\n---8<---\n"

/* The first occurrence of the marker in data, or NULL (memmem is GNU). */
static const uint8_t *find_mark(const uint8_t *data, size_t size)
{
	size_t mlen = sizeof(FUZZ_MARK) - 1, i;

	for (i = 0; i + mlen <= size; i++)
		if (data[i] == '\n' && !memcmp(data + i, FUZZ_MARK, mlen))
			return data + i;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *mark = find_mark(data, size);
	size_t olen = mark ? (size_t)(mark - data) : size;
	const uint8_t *rest = mark ? mark + sizeof(FUZZ_MARK) - 1 : data;
	size_t rlen = mark ? size - olen - (sizeof(FUZZ_MARK) - 1) : size;
	char *otext = fuzz_cstr(data, olen), *rtext = fuzz_cstr(rest, rlen);
	cl_error err = CL_ERROR_INIT;
	cl_org *org = NULL;
	cl_people *people = NULL;
	cl_needs *needs = NULL;

	if (cl_org_load(&org, "org.yaml", otext, olen, &err) == 0) {
		if (!org)
			abort();
		cl_error_clear(&err);
		if (cl_people_load(&people, "people.yaml", rtext, rlen, org, &err) == 0 &&
		    !people)
			abort();
		cl_error_clear(&err);
		if (cl_needs_load(&needs, "needs.yaml", rtext, rlen, org, &err) == 0 &&
		    !needs)
			abort();
	}
	cl_needs_free(needs);
	cl_people_free(people);
	cl_org_free(org);
	free(otext);
	free(rtext);
	return 0;
}
