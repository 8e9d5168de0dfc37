/*
 * test_record.c - unit tests for engine/record.c: record paths and their
 * FNV-1a shards, cl_record_id_split, the exact serialized form, the
 * byte-identical serialize/parse round trip (tricky strings included),
 * strict parsing (unknown and missing keys, bad times, the trail limit),
 * and the copy/append helpers.
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
#include "error.h"
#include "record.h"
#include "util.h"
#include "yaml.h"

#define T_SUBMIT 1671091200  /* 2022-12-15T08:00:00Z */
#define T_VILLAGE 1671526800 /* 2022-12-20T09:00:00Z */

/* A record like the one in records/FORMAT.md, built through the API. */
static cl_record *sample_record(void)
{
	cl_record *r = cl_xcalloc(1, sizeof(*r));
	cl_ynode *needs = cl_ynode_new_seq();
	cl_approval a = { "village", "v-nanzhao-01", NULL, T_VILLAGE };
	cl_trail t1 = { "submit", "t001", NULL, "none", "pending-village", NULL,
			NULL, T_SUBMIT };
	cl_trail t2 = { "approve", "v-nanzhao-01", "village", "pending-village",
			"pending-township", NULL, NULL, T_VILLAGE };

	r->id = cl_xstrdup("2022H2/t001");
	r->period = cl_xstrdup("2022H2");
	r->talent = cl_xstrdup("t001");
	r->state = cl_xstrdup("pending-township");
	r->level = cl_xstrdup("township");
	r->workflow = cl_xstrdup("weishan-three-level@1");
	r->round = 1;
	r->since = T_VILLAGE;
	r->fields = cl_ynode_new_map();
	cl_ynode_set(r->fields, "summary",
		     cl_ynode_new_str("Stayed in Xiying Community for 142 days.\n"
				      "Visited all 312 households.\n"));
	cl_ynode_set(r->fields, "days_in_village", cl_ynode_new_plain("142"));
	cl_ynode_push(needs, cl_ynode_new_str("n001"));
	cl_ynode_push(needs, cl_ynode_new_str("n002"));
	cl_ynode_set(r->fields, "needs", needs);
	cl_record_add_approval(r, &a);
	cl_record_add_trail(r, &t1);
	cl_record_add_trail(r, &t2);
	return r;
}

static char *serialize(const cl_record *r)
{
	cl_buf b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	int rc = cl_record_serialize(&b, r, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return cl_buf_detach(&b);
}

static cl_record *parse_ok(const char *text)
{
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;
	int rc = cl_record_parse(&r, "r.yaml", text, strlen(text), &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	return r;
}

static void refuse(const char *text, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_record *r = (cl_record *)&err;
	int rc = cl_record_parse(&r, "r.yaml", text, strlen(text), &err);

	if (rc != CL_EINVALID)
		print_error("expected refusal '%s', got rc %d\n", msg, rc);
	assert_int_equal(rc, CL_EINVALID);
	assert_null(r);
	assert_string_equal(err.msg, msg);
}

/* serialize -> parse -> serialize gives the same bytes; returns them. */
static char *round_trip(const cl_record *r, cl_record **parsed)
{
	char *a = serialize(r), *b;
	cl_record *p = parse_ok(a);

	b = serialize(p);
	assert_string_equal(a, b);
	free(b);
	if (parsed)
		*parsed = p;
	else
		cl_record_free(p);
	return a;
}

static void split_refuse(const char *id, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	char period[8], talent[CL_ID_MAX_BUF];

	assert_int_equal(cl_record_id_split(period, talent, id, &err), CL_EINVALID);
	assert_string_equal(err.msg, msg);
}

/* A minimal valid record text; tests append or replace lines. */
#define REC_HEAD                                                               \
	"id: 2022H2/t001\n"                                                    \
	"period: 2022H2\n"                                                     \
	"talent: t001\n"                                                       \
	"state: returned\n"                                                    \
	"level: null\n"                                                        \
	"workflow: wf@1\n"                                                     \
	"round: 1\n"                                                           \
	"since: 2022-12-20T09:00:00Z\n"
#define REC_FIELDS "fields: {}\n"
#define REC_APPROVALS "approvals: []\n"
#define REC_TRAIL                                                              \
	"trail:\n"                                                             \
	"- action: submit\n"                                                   \
	"  actor: t001\n"                                                      \
	"  from: none\n"                                                       \
	"  to: pending-village\n"                                              \
	"  at: 2022-12-15T08:00:00Z\n"

static void test_record__path_is_sharded_by_fnv1a(void **state)
{
	cl_buf b = CL_BUF_INIT;

	(void)state;
	cl_record_path(&b, "2022H2", "t001");
	assert_string_equal(b.ptr, "records/2022H2/1e/t001.yaml");
	cl_buf_clear(&b);
	cl_record_path(&b, "2022H2", "t002");
	assert_string_equal(b.ptr, "records/2022H2/8b/t002.yaml");
	cl_buf_clear(&b);
	cl_record_path(&b, "2023H1", "t003");
	assert_string_equal(b.ptr, "records/2023H1/f8/t003.yaml");
	cl_buf_clear(&b);
	/* FNV-1a("a") = 0xe40c292c: the low byte */
	cl_record_path(&b, "2022H1", "a");
	assert_string_equal(b.ptr, "records/2022H1/2c/a.yaml");
	/* appends */
	cl_buf_puts(&b, "|");
	cl_record_path(&b, "2022H1", "t001");
	assert_string_equal(b.ptr, "records/2022H1/2c/a.yaml|"
			    "records/2022H1/1e/t001.yaml");
	cl_buf_release(&b);
}

static void test_record__path_shard_has_two_hex_digits(void **state)
{
	cl_buf b = CL_BUF_INIT;
	char id[16], want[64];
	int i, found = 0;

	(void)state;
	/* find a talent id whose shard is below 0x10 */
	for (i = 0; i < 1000 && !found; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		found = (cl_hash_fnv1a(id) & 0xff) < 0x10;
	}
	assert_true(found);
	cl_record_path(&b, "2022H2", id);
	snprintf(want, sizeof(want), "records/2022H2/0%x/%s.yaml",
		 (unsigned)(cl_hash_fnv1a(id) & 0xff), id);
	assert_string_equal(b.ptr, want);
	assert_int_equal(strlen(b.ptr), strlen("records/2022H2/00/.yaml") + strlen(id));
	cl_buf_release(&b);
}

static void test_record__id_split_accepts_period_and_talent(void **state)
{
	cl_error err = CL_ERROR_INIT;
	char period[8], talent[CL_ID_MAX_BUF];
	char id[80];

	(void)state;
	assert_int_equal(cl_record_id_split(period, talent, "2022H2/t001", &err), 0);
	assert_string_equal(period, "2022H2");
	assert_string_equal(talent, "t001");
	assert_int_equal(cl_record_id_split(period, talent, "1900H1/a.b_c-d", &err), 0);
	assert_string_equal(period, "1900H1");
	assert_string_equal(talent, "a.b_c-d");
	/* the longest talent id fits */
	memcpy(id, "2024H1/", 7);
	memset(id + 7, 'x', CL_ID_MAX);
	id[7 + CL_ID_MAX] = '\0';
	assert_int_equal(cl_record_id_split(period, talent, id, &err), 0);
	assert_int_equal(strlen(talent), CL_ID_MAX);
	assert_int_equal(err.code, CL_OK);
}

static void test_record__id_split_refuses_bad_ids(void **state)
{
	char id[80];

	(void)state;
	split_refuse("2022H3/t1",
		     "record id '2022H3/t1' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("2022H2/../x",
		     "record id '2022H2/../x' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("x", "record id 'x' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("2022H2/-a",
		     "record id '2022H2/-a' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("", "record id '' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("2022H2/",
		     "record id '2022H2/' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("2022H2/a/b",
		     "record id '2022H2/a/b' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("22H2/t1",
		     "record id '22H2/t1' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("12022H2/t1",
		     "record id '12022H2/t1' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("1899H2/t1",
		     "record id '1899H2/t1' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	split_refuse("2022H2/t\n1",
		     "record id '2022H2/t\\x0a1' is not PERIOD/TALENT "
		     "(e.g. 2022H2/t001)");
	/* one character too long for an id; the message is clipped */
	memcpy(id, "2024H1/", 7);
	memset(id + 7, 'x', CL_ID_MAX + 1);
	id[8 + CL_ID_MAX] = '\0';
	/* the message quotes the first 40 bytes: 7 + 33 'x', then "..." */
	split_refuse(id, "record id '2024H1/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is "
		     "not PERIOD/TALENT (e.g. 2022H2/t001)");
}

static void test_record__serializes_exactly(void **state)
{
	cl_record *r = sample_record();
	char *text = serialize(r);

	(void)state;
	assert_string_equal(text,
			    "id: 2022H2/t001\n"
			    "period: 2022H2\n"
			    "talent: t001\n"
			    "state: pending-township\n"
			    "level: township\n"
			    "workflow: weishan-three-level@1\n"
			    "round: 1\n"
			    "since: '2022-12-20T09:00:00Z'\n"
			    "fields:\n"
			    "  summary: |\n"
			    "    Stayed in Xiying Community for 142 days.\n"
			    "    Visited all 312 households.\n"
			    "  days_in_village: 142\n"
			    "  needs:\n"
			    "  - n001\n"
			    "  - n002\n"
			    "approvals:\n"
			    "- level: village\n"
			    "  actor: v-nanzhao-01\n"
			    "  at: '2022-12-20T09:00:00Z'\n"
			    "trail:\n"
			    "- action: submit\n"
			    "  actor: t001\n"
			    "  from: none\n"
			    "  to: pending-village\n"
			    "  at: '2022-12-15T08:00:00Z'\n"
			    "- action: approve\n"
			    "  actor: v-nanzhao-01\n"
			    "  level: village\n"
			    "  from: pending-village\n"
			    "  to: pending-township\n"
			    "  at: '2022-12-20T09:00:00Z'\n");
	free(text);
	cl_record_free(r);
}

static void test_record__round_trip_is_byte_identical(void **state)
{
	cl_record *r = sample_record(), *p = NULL;
	char *text;

	(void)state;
	text = round_trip(r, &p);
	assert_string_equal(p->id, "2022H2/t001");
	assert_string_equal(p->period, "2022H2");
	assert_string_equal(p->talent, "t001");
	assert_string_equal(p->state, "pending-township");
	assert_string_equal(p->level, "township");
	assert_string_equal(p->workflow, "weishan-three-level@1");
	assert_int_equal(p->round, 1);
	assert_int_equal(p->since, T_VILLAGE);
	assert_int_equal(p->napprovals, 1);
	assert_string_equal(p->approvals[0].level, "village");
	assert_string_equal(p->approvals[0].actor, "v-nanzhao-01");
	assert_null(p->approvals[0].grade);
	assert_int_equal(p->approvals[0].at, T_VILLAGE);
	assert_int_equal(p->ntrail, 2);
	assert_string_equal(p->trail[0].action, "submit");
	assert_null(p->trail[0].level);
	assert_null(p->trail[0].comment);
	assert_int_equal(p->trail[0].at, T_SUBMIT);
	assert_string_equal(p->trail[1].level, "village");
	assert_string_equal(p->trail[1].to, "pending-township");
	assert_string_equal(cl_ynode_get(p->fields, "days_in_village")->str, "142");
	assert_int_equal(cl_ynode_get(p->fields, "needs")->n, 2);
	free(text);
	cl_record_free(p);
	cl_record_free(r);
}

static void test_record__round_trip_of_tricky_values(void **state)
{
	static const char *const values[] = {
		"", "yes", "No", "null", "~", "true", "123", "007", "1e3", "0x1F",
		"-", "- item", ": colon", "a: b", "# hash", "'single", "\"double",
		"tab\there", "  leading spaces", "trailing space ",
		"line one\nline two", "ends with newline\n", "two newlines\n\n",
		"\n", "\nleading newline", "  indented\nblock\n",
		"巍山彝族回族自治县", "2022-07-01", "2022H2/t001", "{a: 1}", "[x]",
		"&anchor", "*alias", "!tag", "%directive", "@at", "`tick", "|",
		">", "---", "...", "a #b", "x\n---\ny",
	};
	cl_record *r = sample_record(), *p = NULL;
	cl_approval a = { "township", "tw-nanzhao", "excellent", T_VILLAGE + 60 };
	cl_trail t = { "reject", "d-agri", "department", "pending-department",
		       "returned", NULL, "Please add numbers.\nAnd photos.",
		       T_VILLAGE + 120 };
	char key[16], *text;
	size_t i;

	(void)state;
	cl_record_add_approval(r, &a);
	cl_record_add_trail(r, &t);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(key, sizeof(key), "f%zu", i);
		cl_ynode_set(r->fields, key, cl_ynode_new_str(values[i]));
	}
	free(r->level);
	r->level = NULL;
	free(r->state);
	r->state = cl_xstrdup("returned");
	r->round = 12;
	text = round_trip(r, &p);
	assert_non_null(strstr(text, "\nlevel: null\n"));
	assert_null(p->level);
	assert_int_equal(p->round, 12);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const cl_ynode *v;

		snprintf(key, sizeof(key), "f%zu", i);
		v = cl_ynode_get(p->fields, key);
		assert_non_null(v);
		assert_int_equal(v->kind, CL_YNODE_SCALAR);
		if (strcmp(v->str, values[i]))
			print_error("value %zu changed: '%s'\n", i, v->str);
		assert_string_equal(v->str, values[i]);
	}
	assert_string_equal(p->approvals[1].grade, "excellent");
	assert_string_equal(p->trail[2].comment, "Please add numbers.\nAnd photos.");
	assert_null(p->trail[2].grade);
	free(text);
	cl_record_free(p);
	cl_record_free(r);
}

static void test_record__level_named_null_is_a_string(void **state)
{
	cl_record *r = sample_record(), *p = NULL;
	char *text;

	(void)state;
	free(r->level);
	r->level = cl_xstrdup("null");
	text = round_trip(r, &p);
	assert_non_null(strstr(text, "\nlevel: 'null'\n"));
	assert_non_null(p->level);
	assert_string_equal(p->level, "null");
	free(text);
	cl_record_free(p);
	cl_record_free(r);
}

static void test_record__parses_the_documented_example(void **state)
{
	cl_record *r;
	char *text;

	(void)state;
	/* records/FORMAT.md's example, timestamps unquoted as there */
	r = parse_ok("id: 2022H2/t001\n"
		     "period: 2022H2\n"
		     "talent: t001\n"
		     "state: pending-township\n"
		     "level: township\n"
		     "workflow: weishan-three-level@1\n"
		     "round: 1\n"
		     "since: 2022-12-20T09:00:00Z\n"
		     "fields:\n"
		     "  summary: |\n"
		     "    Stayed in Xiying Community for 142 days.\n"
		     "    Visited all 312 households.\n"
		     "  days_in_village: 142\n"
		     "  needs:\n"
		     "    - n001\n"
		     "    - n002\n"
		     "approvals:\n"
		     "  - level: village\n"
		     "    actor: v-nanzhao-01\n"
		     "    at: 2022-12-20T09:00:00Z\n"
		     "trail:\n"
		     "  - action: submit\n"
		     "    actor: t001\n"
		     "    at: 2022-12-15T08:00:00Z\n"
		     "    from: none\n"
		     "    to: pending-village\n"
		     "  - action: approve\n"
		     "    actor: v-nanzhao-01\n"
		     "    at: 2022-12-20T09:00:00Z\n"
		     "    from: pending-village\n"
		     "    to: pending-township\n"
		     "    level: village\n");
	assert_int_equal(r->since, T_VILLAGE);
	assert_int_equal(r->trail[0].at, T_SUBMIT);
	/* and it writes the canonical form, the same as the API-built one */
	text = serialize(r);
	{
		cl_record *b = sample_record();
		char *want = serialize(b);

		assert_string_equal(text, want);
		free(want);
		cl_record_free(b);
	}
	free(text);
	cl_record_free(r);
}

static void test_record__parse_refuses_unknown_keys(void **state)
{
	(void)state;
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS REC_TRAIL "colour: red\n",
	       "r.yaml:17:1: unknown key 'colour' in record (expected one of: id, "
	       "period, talent, state, level, workflow, round, since, fields, "
	       "approvals, trail)");
	refuse(REC_HEAD REC_FIELDS
	       "approvals:\n"
	       "- level: village\n"
	       "  actor: v1\n"
	       "  comment: ok\n"
	       "  at: 2022-12-20T09:00:00Z\n" REC_TRAIL,
	       "r.yaml:13:3: unknown key 'comment' in approval (expected one of: "
	       "level, actor, grade, at)");
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS REC_TRAIL "  by: admin\n",
	       "r.yaml:17:3: unknown key 'by' in trail entry (expected one of: "
	       "action, actor, level, from, to, grade, comment, at)");
}

static void test_record__parse_refuses_missing_keys(void **state)
{
	(void)state;
	refuse("period: 2022H2\n",
	       "r.yaml:1:1: record is missing required key 'id'");
	refuse("id: 2022H2/t001\nperiod: 2022H2\ntalent: t001\nstate: returned\n"
	       "workflow: wf@1\nround: 1\nsince: 2022-12-20T09:00:00Z\n"
	       REC_FIELDS REC_APPROVALS REC_TRAIL,
	       "r.yaml:1:1: record is missing required key 'level'");
	refuse("id: 2022H2/t001\nperiod: 2022H2\ntalent: t001\nstate: returned\n"
	       "level: null\nworkflow: wf@1\nsince: 2022-12-20T09:00:00Z\n"
	       REC_FIELDS REC_APPROVALS REC_TRAIL,
	       "r.yaml:1:1: record is missing required key 'round'");
	refuse(REC_HEAD REC_APPROVALS REC_TRAIL,
	       "r.yaml:1:1: record is missing one of 'fields', 'approvals', 'trail'");
	refuse(REC_HEAD REC_FIELDS REC_TRAIL,
	       "r.yaml:1:1: record is missing one of 'fields', 'approvals', 'trail'");
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS,
	       "r.yaml:1:1: record is missing one of 'fields', 'approvals', 'trail'");
	refuse(REC_HEAD REC_FIELDS
	       "approvals:\n- level: village\n  at: 2022-12-20T09:00:00Z\n" REC_TRAIL,
	       "r.yaml:11:3: approval is missing required key 'actor'");
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS
	       "trail:\n- action: submit\n  actor: t001\n  from: none\n"
	       "  to: pending-village\n",
	       "r.yaml:12:3: trail entry is missing required key 'at'");
}

static void test_record__parse_refuses_bad_values(void **state)
{
	cl_buf b = CL_BUF_INIT;
	int i;

	(void)state;
	refuse("id: 2022H2/t001\nperiod: 2022H2\ntalent: t001\nstate: returned\n"
	       "level: null\nworkflow: wf@1\nround: 1\nsince: yesterday\n"
	       REC_FIELDS REC_APPROVALS REC_TRAIL,
	       "r.yaml:8:8: record 'since' must be a time YYYY-MM-DDTHH:MM:SSZ");
	refuse("id: 2022H2/t001\nperiod: 2022H2\ntalent: t001\nstate: returned\n"
	       "level: null\nworkflow: wf@1\nround: one\nsince: 2022-12-20T09:00:00Z\n"
	       REC_FIELDS REC_APPROVALS REC_TRAIL,
	       "r.yaml:7:8: record 'round' must be an integer, not 'one'");
	refuse("id: 2022H2/t001\nperiod: 2022H2\ntalent: t001\nstate: returned\n"
	       "level: [a]\nworkflow: wf@1\nround: 1\nsince: 2022-12-20T09:00:00Z\n"
	       REC_FIELDS REC_APPROVALS REC_TRAIL,
	       "r.yaml:5:8: record 'level' must be a string");
	refuse(REC_HEAD "fields: [a]\n" REC_APPROVALS REC_TRAIL,
	       "r.yaml:9:9: record 'fields' must be a mapping");
	refuse(REC_HEAD REC_FIELDS "approvals: {}\n" REC_TRAIL,
	       "r.yaml:10:12: approvals must be a list");
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS "trail: x\n",
	       "r.yaml:11:8: trail must be a list");
	refuse(REC_HEAD REC_FIELDS REC_APPROVALS
	       "trail:\n- action: submit\n  actor: t001\n  from: none\n"
	       "  to: pending-village\n  at: 2022-12-15 08:00:00\n",
	       "r.yaml:16:7: trail entry 'at' must be a time YYYY-MM-DDTHH:MM:SSZ");
	refuse("- a\n", "r.yaml:1:1: record must be a mapping");
	refuse("", "r.yaml: record must be a mapping");

	/* the trail is capped */
	cl_buf_puts(&b, REC_HEAD REC_FIELDS REC_APPROVALS "trail:\n");
	for (i = 0; i <= CL_RECORD_MAX_TRAIL; i++)
		cl_buf_puts(&b, "- {action: submit, actor: t001, from: none, "
			    "to: pending-village, at: 2022-12-15T08:00:00Z}\n");
	refuse(b.ptr, "r.yaml:12:1: trail has more than 1000 entries");
	cl_buf_release(&b);
}

static void test_record__dup_is_deep(void **state)
{
	cl_record *r = sample_record(), *d;
	char *a, *b;

	(void)state;
	d = cl_record_dup(r);
	a = serialize(r);
	b = serialize(d);
	assert_string_equal(a, b);
	free(b);
	/* changing the copy leaves the original alone */
	d->state[0] = 'X';
	d->approvals[0].actor[0] = 'X';
	d->trail[1].from[0] = 'X';
	cl_ynode_get(d->fields, "needs")->items[0]->str[0] = 'X';
	cl_record_clear_approvals(d);
	assert_int_equal(d->napprovals, 0);
	assert_null(d->approvals);
	b = serialize(r);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cl_record_free(d);
	cl_record_free(r);
}

static void test_record__add_helpers_copy_strings(void **state)
{
	cl_record *r = cl_xcalloc(1, sizeof(*r));
	char actor[] = "someone", comment[] = "fine";
	cl_approval a = { "village", actor, "good", 5 };
	cl_trail t = { "approve", actor, "village", "pending-village", "approved",
		       "good", comment, 6 };

	(void)state;
	cl_record_add_approval(r, &a);
	cl_record_add_trail(r, &t);
	actor[0] = 'X';
	comment[0] = 'X';
	assert_string_equal(r->approvals[0].actor, "someone");
	assert_string_equal(r->approvals[0].grade, "good");
	assert_int_equal(r->approvals[0].at, 5);
	assert_string_equal(r->trail[0].actor, "someone");
	assert_string_equal(r->trail[0].comment, "fine");
	assert_int_equal(r->trail[0].at, 6);
	t.comment = NULL;
	t.grade = NULL;
	cl_record_add_trail(r, &t);
	assert_int_equal(r->ntrail, 2);
	assert_null(r->trail[1].comment);
	assert_null(r->trail[1].grade);
	cl_record_clear_approvals(r);
	cl_record_clear_approvals(r);
	assert_int_equal(r->napprovals, 0);
	cl_record_free(r);
	cl_record_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record__path_is_sharded_by_fnv1a),
		cmocka_unit_test(test_record__path_shard_has_two_hex_digits),
		cmocka_unit_test(test_record__id_split_accepts_period_and_talent),
		cmocka_unit_test(test_record__id_split_refuses_bad_ids),
		cmocka_unit_test(test_record__serializes_exactly),
		cmocka_unit_test(test_record__round_trip_is_byte_identical),
		cmocka_unit_test(test_record__round_trip_of_tricky_values),
		cmocka_unit_test(test_record__level_named_null_is_a_string),
		cmocka_unit_test(test_record__parses_the_documented_example),
		cmocka_unit_test(test_record__parse_refuses_unknown_keys),
		cmocka_unit_test(test_record__parse_refuses_missing_keys),
		cmocka_unit_test(test_record__parse_refuses_bad_values),
		cmocka_unit_test(test_record__dup_is_deep),
		cmocka_unit_test(test_record__add_helpers_copy_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
