/*
 * message.c - see message.h.
 */
#include "message.h"
#include "config.h"
#include "record.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void message_trailer(cl_buf *out, const char *key, const char *v)
{
	if (v)
		cl_buf_printf(out, "%s: %s\n", key, v);
}

void cl_message_transition(cl_buf *out, const char *record, const char *action,
			   const char *actor, const char *from, const char *to,
			   const char *level, const char *grade,
			   const char *comment)
{
	cl_buf_printf(out, "%s %s (%s -> %s)\n\n", action, record, from, to);
	if (comment && *comment)
		cl_buf_printf(out, "%s\n\n", comment);
	message_trailer(out, "Record", record);
	message_trailer(out, "Action", action);
	message_trailer(out, "Actor", actor);
	message_trailer(out, "From", from);
	message_trailer(out, "To", to);
	message_trailer(out, "Level", level);
	message_trailer(out, "Grade", grade);
}

void cl_message_config(cl_buf *out, const char *action, const char *actor,
		       const char *summary, const char *comment)
{
	cl_buf_printf(out, "%s: %s\n\n", action, summary);
	if (comment && *comment)
		cl_buf_printf(out, "%s\n\n", comment);
	message_trailer(out, "Action", action);
	message_trailer(out, "Actor", actor);
}

void cl_message_release(cl_message *m)
{
	if (!m)
		return;
	free(m->subject);
	free(m->comment);
	free(m->record);
	free(m->action);
	free(m->actor);
	free(m->from);
	free(m->to);
	free(m->level);
	free(m->grade);
	memset(m, 0, sizeof(*m));
}

static char **message_slot(cl_message *m, const char *key, size_t klen)
{
	static const char *const keys[] = { "Record", "Action", "Actor", "From",
		"To", "Level", "Grade" };
	char **slots[] = { &m->record, &m->action, &m->actor, &m->from, &m->to,
		&m->level, &m->grade };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == klen && !memcmp(keys[i], key, klen))
			return slots[i];
	return NULL;
}

/* Every value is an id or a state name, and a Record: is PERIOD/TALENT. */
static int message_value_ok(const cl_message *m, char **slot)
{
	char period[8], talent[CL_ID_MAX_BUF];

	if (slot == &m->record)
		return cl_record_id_split(period, talent, *slot, NULL) == 0;
	return cl_id_valid(*slot);
}

static int message_trailers(cl_message *m, const char *p, cl_error *err)
{
	assert(p);
	while (*p) {
		const char *eol = strchr(p, '\n'), *colon = strchr(p, ':');
		char **slot;

		if (!eol)
			eol = p + strlen(p);
		if (!colon || colon > eol || colon[1] != ' ')
			return cl_error_set(err, CL_EINVALID, "malformed trailer line");
		if (!(slot = message_slot(m, p, (size_t)(colon - p))))
			return cl_error_set(err, CL_EINVALID, "unknown trailer '%.*s'",
					    (int)(colon - p < 40 ? colon - p : 40), p);
		if (*slot)
			return cl_error_set(err, CL_EINVALID, "duplicate trailer '%.*s'",
					    (int)(colon - p), p);
		*slot = cl_xstrndup(colon + 2, (size_t)(eol - colon - 2));
		if (!message_value_ok(m, slot))
			return cl_error_set(err, CL_EINVALID, "trailer value is not an id");
		p = *eol ? eol + 1 : eol;
	}
	if (!m->action || !m->actor)
		return cl_error_set(err, CL_EINVALID, "message lacks Action: or Actor:");
	return 0;
}

int cl_message_parse(cl_message *out, const char *raw, cl_error *err)
{
	const char *first = strstr(raw, "\n\n"), *last = NULL, *p;
	int error;

	memset(out, 0, sizeof(*out));
	if (!first)
		return cl_error_set(err, CL_EINVALID, "message has no trailer paragraph");
	for (p = first; (p = strstr(p, "\n\n")) != NULL; p++)
		last = p;
	out->subject = cl_xstrndup(raw, (size_t)(first - raw));
	/* overlapping blank lines ("\n\n\n") leave no room for a comment */
	if (last >= first + 2)
		out->comment = cl_xstrndup(first + 2, (size_t)(last - first - 2));
	if ((error = message_trailers(out, last + 2, err)) < 0)
		cl_message_release(out);
	return error;
}

static int comment_line_ok(const char *line, size_t len)
{
	return !(len >= 3 && !memcmp(line, "---", 3));
}

int cl_message_clean_comment(char **out, const char *in, cl_error *err)
{
	cl_buf b = CL_BUF_INIT;
	size_t len = strlen(in), i, start = 0;

	*out = NULL;
	if (len > CL_COMMENT_MAX_BYTES)
		return cl_error_set(err, CL_EINVALID, "comment is longer than %d bytes",
				    (int)CL_COMMENT_MAX_BYTES);
	if (!cl_text_valid(in, len, 1))
		return cl_error_set(err, CL_EINVALID,
				    "comment has a control character or invalid UTF-8");
	for (i = 0; i <= len; i++) {
		size_t end = i;
		if (i < len && in[i] != '\n')
			continue;
		while (end > start && (in[end - 1] == ' ' || in[end - 1] == '\t'))
			end--;
		if (!comment_line_ok(in + start, end - start)) {
			cl_buf_release(&b);
			return cl_error_set(err, CL_EINVALID,
					    "comment lines may not start with '---'");
		}
		if (b.size || end > start) {
			cl_buf_put(&b, in + start, end - start);
			cl_buf_putc(&b, '\n');
		}
		start = i + 1;
	}
	while (b.size && b.ptr[b.size - 1] == '\n')
		cl_buf_truncate(&b, b.size - 1);
	if (b.size)
		*out = cl_buf_detach(&b);
	cl_buf_release(&b);
	return 0;
}
