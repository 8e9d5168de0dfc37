/*
 * fuzz_record.c - libFuzzer target: record files as stored in the history.
 *
 * A record that parses must serialize, the output must parse again, and
 * serializing that must give the same bytes (serialization is a fixed
 * point after one round: verify compares record bytes).
 */
#include "fuzz.h"

#include "buf.h"
#include "error.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL, *back = NULL;
	cl_buf one = CL_BUF_INIT, two = CL_BUF_INIT;

	if (cl_record_parse(&r, "record.yaml", text, size, &err) == 0) {
		if (!r)
			abort();
		if (cl_record_serialize(&one, r, &err) < 0 ||
		    cl_record_parse(&back, "record.yaml", one.ptr, one.size, &err) < 0 ||
		    cl_record_serialize(&two, back, &err) < 0)
			abort();
		if (one.size != two.size || memcmp(one.ptr, two.ptr, one.size))
			abort();
	}
	cl_buf_release(&one);
	cl_buf_release(&two);
	cl_record_free(back);
	cl_record_free(r);
	free(text);
	return 0;
}
