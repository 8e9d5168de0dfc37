/*
 * fuzz_message.c - libFuzzer target: commit messages and review comments.
 *
 * The input is parsed as a raw commit message.  It is also cleaned as a
 * review comment; a comment that cleans is put into a transition message
 * and a configuration message, which must parse back to exactly the
 * trailers given and the cleaned comment: a comment can never forge a
 * trailer.
 */
#include "fuzz.h"

#include "buf.h"
#include "error.h"
#include "message.h"


/* NULL-aware string equality. */
static int same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void check_transition(const char *comment, int graded)
{
	static const char rec[] = "2022H2/t001", act[] = "approve",
		actor[] = "d-agri", from[] = "pending-department", to[] = "approved",
		level[] = "department", grade[] = "excellent";
	const char *g = graded ? grade : NULL;
	cl_error err = CL_ERROR_INIT;
	cl_buf raw = CL_BUF_INIT;
	cl_message m;

	cl_message_transition(&raw, rec, act, actor, from, to, level, g, comment);
	if (cl_message_parse(&m, raw.ptr, &err) < 0)
		abort();
	if (!same(m.record, rec) || !same(m.action, act) || !same(m.actor, actor) ||
	    !same(m.from, from) || !same(m.to, to) || !same(m.level, level) ||
	    !same(m.grade, g) || !same(m.comment, comment) ||
	    !same(m.subject, "approve 2022H2/t001 (pending-department -> approved)"))
		abort();
	cl_message_release(&m);
	cl_buf_release(&raw);
}

static void check_config(const char *comment)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf raw = CL_BUF_INIT;
	cl_message m;

	cl_message_config(&raw, "config", "admin", "workflow weishan-three-level@2",
			  comment);
	if (cl_message_parse(&m, raw.ptr, &err) < 0)
		abort();
	if (!same(m.action, "config") || !same(m.actor, "admin") || m.record ||
	    m.from || m.to || m.level || m.grade || !same(m.comment, comment))
		abort();
	cl_message_release(&m);
	cl_buf_release(&raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *clean = NULL;
	cl_error err = CL_ERROR_INIT;
	cl_message m;

	if (cl_message_parse(&m, text, &err) == 0) {
		if (!m.action || !m.actor || !m.subject)
			abort();
		cl_message_release(&m);
	}
	cl_error_clear(&err);
	if (cl_message_clean_comment(&clean, text, &err) == 0) {
		check_transition(clean, size & 1);
		check_config(clean);
	}
	free(clean);
	free(text);
	return 0;
}
