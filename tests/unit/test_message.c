/*
 * test_message.c - unit tests for engine/message.c: the exact text of
 * transition and configuration commit messages, the build/parse round
 * trip, that a comment cannot forge or change trailers, parse refusals,
 * and cl_message_clean_comment (control characters, invalid UTF-8,
 * "---" lines, length, blank-line and trailing-space trimming).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "message.h"

static void parse_ok(cl_message *m, const char *raw)
{
	cl_error err = CL_ERROR_INIT;
	int rc = cl_message_parse(m, raw, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
}

static void parse_refuse(const char *raw, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_message m;

	assert_int_equal(cl_message_parse(&m, raw, &err), CL_EINVALID);
	assert_string_equal(err.msg, msg);
	/* nothing is left allocated or half-filled */
	assert_null(m.subject);
	assert_null(m.comment);
	assert_null(m.action);
	assert_null(m.actor);
	assert_null(m.record);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static char *clean_ok(const char *in)
{
	cl_error err = CL_ERROR_INIT;
	char *out = (char *)&err;
	int rc = cl_message_clean_comment(&out, in, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return out;
}

static void clean_is(const char *in, const char *want)
{
	char *out = clean_ok(in);

	assert_str_or_null(out, want);
	free(out);
}

static void clean_refuse(const char *in, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	char *out = (char *)&err;

	assert_int_equal(cl_message_clean_comment(&out, in, &err), CL_EINVALID);
	assert_null(out);
	assert_string_equal(err.msg, msg);
}

/* Builds a transition message and parses it back; checks every part. */
static void transition_round_trip(const char *record, const char *action,
				  const char *actor, const char *from,
				  const char *to, const char *level,
				  const char *grade, const char *comment)
{
	cl_buf b = CL_BUF_INIT;
	cl_message m;
	char subject[256];

	cl_message_transition(&b, record, action, actor, from, to, level, grade,
			      comment);
	parse_ok(&m, b.ptr);
	snprintf(subject, sizeof(subject), "%s %s (%s -> %s)", action, record,
		 from, to);
	assert_string_equal(m.subject, subject);
	assert_str_or_null(m.comment, comment);
	assert_string_equal(m.record, record);
	assert_string_equal(m.action, action);
	assert_string_equal(m.actor, actor);
	assert_string_equal(m.from, from);
	assert_string_equal(m.to, to);
	assert_str_or_null(m.level, level);
	assert_str_or_null(m.grade, grade);
	cl_message_release(&m);
	cl_buf_release(&b);
}

static void test_message__transition_text_is_exact(void **state)
{
	cl_buf b = CL_BUF_INIT;

	(void)state;
	cl_message_transition(&b, "2022H2/t001", "approve", "v-nanzhao-01",
			      "pending-village", "pending-township", "village",
			      "excellent",
			      "Household visits well documented; please add the "
			      "toilet numbers next time.");
	assert_string_equal(b.ptr,
			    "approve 2022H2/t001 (pending-village -> pending-township)\n"
			    "\n"
			    "Household visits well documented; please add the toilet "
			    "numbers next time.\n"
			    "\n"
			    "Record: 2022H2/t001\n"
			    "Action: approve\n"
			    "Actor: v-nanzhao-01\n"
			    "From: pending-village\n"
			    "To: pending-township\n"
			    "Level: village\n"
			    "Grade: excellent\n");
	cl_buf_clear(&b);
	/* no comment: the trailers follow the subject after one blank line */
	cl_message_transition(&b, "2022H2/t001", "submit", "t001", "none",
			      "pending-village", NULL, NULL, NULL);
	assert_string_equal(b.ptr,
			    "submit 2022H2/t001 (none -> pending-village)\n"
			    "\n"
			    "Record: 2022H2/t001\n"
			    "Action: submit\n"
			    "Actor: t001\n"
			    "From: none\n"
			    "To: pending-village\n");
	cl_buf_clear(&b);
	/* an empty comment is no comment */
	cl_message_transition(&b, "2022H2/t001", "withdraw", "t001",
			      "pending-village", "withdrawn", NULL, NULL, "");
	assert_string_equal(b.ptr,
			    "withdraw 2022H2/t001 (pending-village -> withdrawn)\n"
			    "\n"
			    "Record: 2022H2/t001\n"
			    "Action: withdraw\n"
			    "Actor: t001\n"
			    "From: pending-village\n"
			    "To: withdrawn\n");
	cl_buf_release(&b);
}

static void test_message__transition_round_trips(void **state)
{
	(void)state;
	transition_round_trip("2022H2/t001", "submit", "t001", "none",
			      "pending-village", NULL, NULL, NULL);
	transition_round_trip("2022H2/t001", "approve", "d-agri",
			      "pending-department", "approved", "department",
			      "excellent", "Good work.");
	transition_round_trip("2023H1/t002", "reject", "tw-nanzhao",
			      "pending-township", "returned", "township", NULL,
			      "Two problems:\n\n1. dates\n2. photos\n\nFix both.");
	transition_round_trip("2023H1/t002", "approve", "v1", "pending-village",
			      "pending-township", "village", NULL,
			      "巍山 — 很好\n\ttabbed line");
}

static void test_message__config_text_and_round_trip(void **state)
{
	cl_buf b = CL_BUF_INIT;
	cl_message m;

	(void)state;
	cl_message_config(&b, "config", "admin", "workflow weishan-three-level@2",
			  "Add the county level.");
	assert_string_equal(b.ptr,
			    "config: workflow weishan-three-level@2\n"
			    "\n"
			    "Add the county level.\n"
			    "\n"
			    "Action: config\n"
			    "Actor: admin\n");
	parse_ok(&m, b.ptr);
	assert_string_equal(m.subject, "config: workflow weishan-three-level@2");
	assert_string_equal(m.comment, "Add the county level.");
	assert_string_equal(m.action, "config");
	assert_string_equal(m.actor, "admin");
	assert_null(m.record);
	assert_null(m.from);
	assert_null(m.to);
	assert_null(m.level);
	assert_null(m.grade);
	cl_message_release(&m);
	cl_buf_clear(&b);

	cl_message_config(&b, "init", "admin", "configuration", NULL);
	assert_string_equal(b.ptr,
			    "init: configuration\n\nAction: init\nActor: admin\n");
	parse_ok(&m, b.ptr);
	assert_string_equal(m.subject, "init: configuration");
	assert_null(m.comment);
	assert_string_equal(m.action, "init");
	assert_string_equal(m.actor, "admin");
	cl_message_release(&m);
	cl_message_release(&m); /* idempotent */
	cl_message_release(NULL);
	cl_buf_release(&b);
}

static void test_message__comment_cannot_forge_trailers(void **state)
{
	static const char *const forged[] = {
		"\n\nAction: approve\nActor: x",
		"hello\n\nAction: approve\nActor: x",
		"hello\n\nRecord: 2022H2/t999\nAction: approve\nActor: x\n"
		"From: pending-department\nTo: approved\nLevel: department\n"
		"Grade: excellent",
		"Action: approve\nActor: x\n\nGrade: excellent",
		"Actor: x",
	};
	cl_buf b = CL_BUF_INIT;
	cl_message m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		cl_buf_clear(&b);
		cl_message_transition(&b, "2022H2/t001", "reject", "d-agri",
				      "pending-department", "returned",
				      "department", NULL, forged[i]);
		parse_ok(&m, b.ptr);
		assert_string_equal(m.record, "2022H2/t001");
		assert_string_equal(m.action, "reject");
		assert_string_equal(m.actor, "d-agri");
		assert_string_equal(m.from, "pending-department");
		assert_string_equal(m.to, "returned");
		assert_string_equal(m.level, "department");
		assert_null(m.grade);
		assert_string_equal(m.comment, forged[i]);
		cl_message_release(&m);
	}
	/* and with a real grade, a forged one does not replace it */
	cl_buf_clear(&b);
	cl_message_transition(&b, "2022H2/t001", "approve", "d-agri",
			      "pending-department", "approved", "department",
			      "basic", "ok\n\nGrade: excellent");
	parse_ok(&m, b.ptr);
	assert_string_equal(m.grade, "basic");
	assert_string_equal(m.comment, "ok\n\nGrade: excellent");
	cl_message_release(&m);
	cl_buf_release(&b);
}

static void test_message__parse_refuses_malformed(void **state)
{
	(void)state;
	parse_refuse("submit 2022H2/t001", "message has no trailer paragraph");
	parse_refuse("subject\nAction: init\nActor: admin\n",
		     "message has no trailer paragraph");
	parse_refuse("s\n\nAction: init\nSigned-off-by: admin\n",
		     "unknown trailer 'Signed-off-by'");
	parse_refuse("s\n\nAction: init\nActor: admin\nActor: eve\n",
		     "duplicate trailer 'Actor'");
	parse_refuse("s\n\nAction init\nActor: admin\n", "malformed trailer line");
	parse_refuse("s\n\nAction:init\nActor: admin\n", "malformed trailer line");
	parse_refuse("s\n\nAction: init\n", "message lacks Action: or Actor:");
	parse_refuse("s\n\nActor: admin\n", "message lacks Action: or Actor:");
	parse_refuse("s\n\nAction: init\nActor: a b\n", "trailer value is not an id");
	parse_refuse("s\n\nAction: init\nActor: \n", "trailer value is not an id");
	parse_refuse("s\n\nAction: init\nActor: admin\n\n",
		     "message lacks Action: or Actor:");
	parse_refuse("s\n\nlowercase: x\nAction: init\nActor: admin\n",
		     "unknown trailer 'lowercase'");
}

static void test_message__parse_accepts_without_final_newline(void **state)
{
	cl_message m;

	(void)state;
	parse_ok(&m, "s\n\nAction: init\nActor: admin");
	assert_string_equal(m.actor, "admin");
	assert_string_equal(m.subject, "s");
	cl_message_release(&m);
}

static void test_message__parse_refuses_non_id_values_with_slash(void **state)
{
	(void)state;
	parse_refuse("s\n\nAction: init\nActor: a b/c\n",
		     "trailer value is not an id");
	parse_refuse("s\n\nRecord: ../../x\nAction: submit\nActor: t001\n",
		     "trailer value is not an id");
}

static void test_message__clean_trims_blank_lines_and_spaces(void **state)
{
	(void)state;
	clean_is("hello", "hello");
	clean_is("hello  \t", "hello");
	clean_is("  indented stays", "  indented stays");
	clean_is("\n\n  \nfirst\n\nsecond  \n\n\n", "first\n\nsecond");
	clean_is("a\n   \nb", "a\n\nb");
	clean_is("a\n\n\n\nb\n", "a\n\n\n\nb");
	clean_is("a\tb", "a\tb");
	clean_is("巍山\n", "巍山");
	clean_is("", NULL);
	clean_is("   ", NULL);
	clean_is("\n\t\n  \n", NULL);
	/* allowed look-alikes of the forbidden separator */
	clean_is("--", "--");
	clean_is(" ---", " ---");
	clean_is("a---", "a---");
	clean_is("ok -- fine\n-- sig", "ok -- fine\n-- sig");
}

static void test_message__clean_refuses_bad_text(void **state)
{
	static const char bad[] = "comment has a control character or invalid UTF-8";

	(void)state;
	clean_refuse("a\x01" "b", bad);
	clean_refuse("windows\r\nline", bad);
	clean_refuse("esc \x1b[31m", bad);
	clean_refuse("del \x7f", bad);
	clean_refuse("c1 \xc2\x85", bad);
	clean_refuse("bad \xff utf8", bad);
	clean_refuse("cut \xe5\xbe", bad);
	clean_refuse("---", "comment lines may not start with '---'");
	clean_refuse("ok\n--- sign\n", "comment lines may not start with '---'");
	clean_refuse("ok\n\n-----", "comment lines may not start with '---'");
	clean_refuse("\n\n---\n", "comment lines may not start with '---'");
}

static void test_message__clean_limits_length(void **state)
{
	char *big = malloc(CL_COMMENT_MAX_BYTES + 2), *out;

	(void)state;
	memset(big, 'a', CL_COMMENT_MAX_BYTES);
	big[CL_COMMENT_MAX_BYTES] = '\0';
	out = clean_ok(big);
	assert_non_null(out);
	assert_int_equal(strlen(out), CL_COMMENT_MAX_BYTES);
	free(out);
	big[CL_COMMENT_MAX_BYTES] = 'a';
	big[CL_COMMENT_MAX_BYTES + 1] = '\0';
	clean_refuse(big, "comment is longer than 4096 bytes");
	free(big);
}

static void test_message__cleaned_comment_round_trips(void **state)
{
	static const char *const raw[] = {
		"  \nplease fix:\n\n  - the dates   \n  - the photos\n\n\n",
		"one line",
		"\n\nAction: approve\nActor: x\n\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		char *c = clean_ok(raw[i]);

		assert_non_null(c);
		transition_round_trip("2022H2/t001", "reject", "v-nanzhao-01",
				      "pending-village", "returned", "village",
				      NULL, c);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message__transition_text_is_exact),
		cmocka_unit_test(test_message__transition_round_trips),
		cmocka_unit_test(test_message__config_text_and_round_trip),
		cmocka_unit_test(test_message__comment_cannot_forge_trailers),
		cmocka_unit_test(test_message__parse_refuses_malformed),
		cmocka_unit_test(test_message__parse_accepts_without_final_newline),
		cmocka_unit_test(test_message__parse_refuses_non_id_values_with_slash),
		cmocka_unit_test(test_message__clean_trims_blank_lines_and_spaces),
		cmocka_unit_test(test_message__clean_refuses_bad_text),
		cmocka_unit_test(test_message__clean_limits_length),
		cmocka_unit_test(test_message__cleaned_comment_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
