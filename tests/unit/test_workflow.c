/*
 * test_workflow.c - unit tests for engine/workflow.c (cl_workflow_load):
 * the shipped three-level workflow loads with every value, defaults, and
 * every refusal (unknown keys at each level of the file, duplicate level
 * ids and field names, missing keys, wrong types, bad on_reject, bad
 * bounds, choices on non-lists, optional reject comments) with the exact
 * "FILE:LINE:COL: message", lines and columns counted from 1.
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
#include "util.h"

/*
 * A minimal valid workflow, assembled from three parts so that a test can
 * replace or extend one of them.  Line numbers:
 *
 *   1 workflow:            7   fields:           10   levels:
 *   2   id: wf             8     - name: summary 11     - id: village
 *   3   title: ...         9       type: text    12       title: Village
 *   4   version: 3                               13       reviewer:
 *   5   admin_role: admin                        14         role: secretary
 *   6   on_reject: talent                        15         of: served
 */
#define HEAD                                                                   \
	"workflow:\n"                                                          \
	"  id: wf\n"                                                           \
	"  title: Test workflow\n"                                             \
	"  version: 3\n"                                                       \
	"  admin_role: admin\n"                                                \
	"  on_reject: talent\n"
#define FIELDS                                                                 \
	"  fields:\n"                                                          \
	"    - name: summary\n"                                                \
	"      type: text\n"
#define LEVELS                                                                 \
	"  levels:\n"                                                          \
	"    - id: village\n"                                                  \
	"      title: Village\n"                                               \
	"      reviewer:\n"                                                    \
	"        role: secretary\n"                                            \
	"        of: served\n"

static cl_workflow *load_ok_as(const char *file, const char *yaml)
{
	cl_error err = CL_ERROR_INIT;
	cl_workflow *wf = NULL;
	int rc = cl_workflow_load(&wf, file, yaml, strlen(yaml), &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(err.code, CL_OK);
	assert_non_null(wf);
	return wf;
}

static cl_workflow *load_ok(const char *yaml)
{
	return load_ok_as("w.yaml", yaml);
}

/* Asserts CL_EINVALID with exactly msg (file name "w.yaml"). */
static void refuse(const char *yaml, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_workflow *wf = (cl_workflow *)&err; /* must be reset to NULL */
	int rc = cl_workflow_load(&wf, "w.yaml", yaml, strlen(yaml), &err);

	if (rc != CL_EINVALID)
		print_error("expected refusal '%s', got rc %d\n", msg, rc);
	assert_int_equal(rc, CL_EINVALID);
	assert_null(wf);
	assert_int_equal(err.code, CL_EINVALID);
	assert_string_equal(err.msg, msg);
}

static void test_workflow__loads_three_level_sample(void **state)
{
	cl_buf b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	const char *path = CL_SOURCE_ROOT "/workflows/three-level.yaml";
	static const char *const grades[] = { "excellent", "competent", "basic",
		"incompetent" };
	cl_workflow *wf;
	const cl_field *f;
	const cl_level *l;
	size_t i;

	(void)state;
	assert_int_equal(cl_buf_read_file(&b, path, CL_CONFIG_MAX_BYTES, &err), 0);
	wf = load_ok_as(path, b.ptr);
	assert_string_equal(wf->id, "weishan-three-level");
	assert_string_equal(wf->title, "Weishan half-year work log, three-level audit");
	assert_int_equal(wf->version, 1);
	assert_string_equal(wf->version_tag, "weishan-three-level@1");
	assert_string_equal(wf->admin_role, "config-admin");
	assert_int_equal(wf->on_reject, CL_REJECT_TO_TALENT);
	assert_string_equal(wf->file, path);

	assert_int_equal(wf->nfields, 4);
	f = &wf->fields[0];
	assert_string_equal(f->name, "summary");
	assert_int_equal(f->type, CL_FIELD_TEXT);
	assert_true(f->required);
	assert_true(f->has_min && f->has_max);
	assert_int_equal(f->min, 1);
	assert_int_equal(f->max, 20000);
	f = &wf->fields[1];
	assert_string_equal(f->name, "days_in_village");
	assert_int_equal(f->type, CL_FIELD_INTEGER);
	assert_true(f->required);
	assert_int_equal(f->min, 0);
	assert_int_equal(f->max, 184);
	f = &wf->fields[2];
	assert_string_equal(f->name, "needs");
	assert_int_equal(f->type, CL_FIELD_LIST);
	assert_false(f->required);
	assert_false(f->has_min);
	assert_true(f->has_max);
	assert_int_equal(f->max, 20);
	assert_string_equal(f->choices_from, "needs");
	assert_null(f->choices);
	f = &wf->fields[3];
	assert_string_equal(f->name, "achievements");
	assert_false(f->required);
	assert_null(f->choices_from);

	assert_int_equal(wf->nlevels, 3);
	l = &wf->levels[0];
	assert_string_equal(l->id, "village");
	assert_string_equal(l->title, "Village (community) party organization");
	assert_string_equal(l->role, "secretary");
	assert_int_equal(l->anchor, CL_ANCHOR_SERVED);
	assert_string_equal(l->unit_type, "village");
	assert_int_equal(l->deadline_days, 15);
	assert_int_equal(l->approve_comment, CL_COMMENT_OPTIONAL);
	assert_int_equal(l->reject_comment, CL_COMMENT_REQUIRED);
	assert_null(l->grades);
	assert_int_equal(l->line, 43);
	assert_int_equal(l->col, 7);
	l = &wf->levels[1];
	assert_string_equal(l->id, "township");
	assert_int_equal(l->anchor, CL_ANCHOR_SERVED);
	assert_string_equal(l->unit_type, "township");
	assert_int_equal(l->line, 55);
	l = &wf->levels[2];
	assert_string_equal(l->id, "department");
	assert_int_equal(l->anchor, CL_ANCHOR_DISPATCHER);
	assert_string_equal(l->unit_type, "department");
	assert_int_equal(l->deadline_days, 30);
	assert_int_equal(l->ngrades, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(l->grades[i], grades[i]);
	assert_int_equal(l->line, 67);

	assert_int_equal(cl_workflow_level(wf, "village"), 0);
	assert_int_equal(cl_workflow_level(wf, "department"), 2);
	assert_int_equal(cl_workflow_level(wf, "county"), CL_NONE);
	cl_workflow_free(wf);
	cl_buf_release(&b);
}

static void test_workflow__minimal_gets_defaults(void **state)
{
	cl_workflow *wf;
	const cl_level *l;

	(void)state;
	wf = load_ok(HEAD FIELDS LEVELS);
	assert_string_equal(wf->version_tag, "wf@3");
	assert_string_equal(wf->file, "w.yaml");
	assert_int_equal(wf->nfields, 1);
	assert_false(wf->fields[0].required);
	assert_false(wf->fields[0].has_min);
	assert_false(wf->fields[0].has_max);
	assert_null(wf->fields[0].choices);
	assert_null(wf->fields[0].choices_from);
	assert_int_equal(wf->nlevels, 1);
	l = &wf->levels[0];
	assert_string_equal(l->title, "Village");
	assert_null(l->unit_type);
	assert_int_equal(l->deadline_days, 0);
	assert_int_equal(l->approve_comment, CL_COMMENT_OPTIONAL);
	assert_int_equal(l->reject_comment, CL_COMMENT_REQUIRED);
	assert_null(l->grades);
	assert_int_equal(l->ngrades, 0);
	assert_int_equal(l->line, 11);
	assert_int_equal(l->col, 7);
	cl_workflow_free(wf);
}

static void test_workflow__loads_every_field_type_and_rule(void **state)
{
	cl_workflow *wf;
	const cl_field *f;

	(void)state;
	wf = load_ok("workflow:\n"
		     "  id: wf\n"
		     "  title: T\n"
		     "  version: 12\n"
		     "  admin_role: admin\n"
		     "  on_reject: previous\n"
		     "  fields:\n"
		     "    - name: count\n"
		     "      type: integer\n"
		     "      required: true\n"
		     "      min: -5\n"
		     "      max: 5\n"
		     "    - name: started\n"
		     "      type: date\n"
		     "      required: false\n"
		     "      min: 2022-01-01\n"
		     "      max: \"2022-12-31\"\n"
		     "    - name: tags\n"
		     "      type: list\n"
		     "      choices: [red, green]\n"
		     "      min: 0\n"
		     "    - name: note\n"
		     "      type: text\n"
		     "      min: 3\n"
		     "      max: 3\n"
		     "  levels:\n"
		     "    - id: one\n"
		     "      title: One\n"
		     "      reviewer: {role: boss, of: dispatcher, type: department}\n"
		     "      deadline_days: 3660\n"
		     "      approve:\n"
		     "        comment: required\n"
		     "        grades: [good, bad]\n"
		     "      reject:\n"
		     "        comment: required\n");
	assert_string_equal(wf->version_tag, "wf@12");
	assert_int_equal(wf->on_reject, CL_REJECT_TO_PREVIOUS);
	assert_int_equal(wf->nfields, 4);
	f = &wf->fields[0];
	assert_int_equal(f->type, CL_FIELD_INTEGER);
	assert_true(f->required);
	assert_int_equal(f->min, -5);
	assert_int_equal(f->max, 5);
	f = &wf->fields[1];
	assert_int_equal(f->type, CL_FIELD_DATE);
	assert_false(f->required);
	assert_true(f->has_min && f->has_max);
	assert_int_equal(f->min, 18993);  /* 2022-01-01 */
	assert_int_equal(f->max, 19357);  /* 2022-12-31 */
	f = &wf->fields[2];
	assert_int_equal(f->type, CL_FIELD_LIST);
	assert_int_equal(f->nchoices, 2);
	assert_string_equal(f->choices[0], "red");
	assert_string_equal(f->choices[1], "green");
	assert_true(f->has_min);
	assert_int_equal(f->min, 0);
	f = &wf->fields[3];
	assert_int_equal(f->min, 3);
	assert_int_equal(f->max, 3);
	assert_int_equal(wf->levels[0].anchor, CL_ANCHOR_DISPATCHER);
	assert_string_equal(wf->levels[0].unit_type, "department");
	assert_string_equal(wf->levels[0].role, "boss");
	assert_int_equal(wf->levels[0].deadline_days, 3660);
	assert_int_equal(wf->levels[0].approve_comment, CL_COMMENT_REQUIRED);
	assert_int_equal(wf->levels[0].ngrades, 2);
	assert_string_equal(wf->levels[0].grades[1], "bad");
	cl_workflow_free(wf);
}

static void test_workflow__error_names_the_given_file(void **state)
{
	cl_error err = CL_ERROR_INIT;
	cl_workflow *wf = NULL;
	const char *y = HEAD FIELDS LEVELS "  colour: red\n";

	(void)state;
	assert_int_equal(cl_workflow_load(&wf, "conf/workflow.yaml", y, strlen(y),
					  &err), CL_EINVALID);
	assert_null(wf);
	assert_string_equal(err.msg,
			    "conf/workflow.yaml:16:3: unknown key 'colour' in workflow "
			    "(expected one of: id, title, version, admin_role, on_reject, "
			    "fields, levels)");
}

static void test_workflow__refuses_unknown_keys(void **state)
{
	(void)state;
	refuse(HEAD FIELDS LEVELS "extra: 1\n",
	       "w.yaml:16:1: unknown key 'extra' in workflow file "
	       "(expected one of: workflow)");
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      size: 3\n" LEVELS,
	       "w.yaml:10:7: unknown key 'size' in field (expected one of: name, "
	       "type, required, min, max, choices, choices_from)");
	refuse(HEAD FIELDS LEVELS "      sla: 3\n",
	       "w.yaml:16:7: unknown key 'sla' in level (expected one of: id, "
	       "title, reviewer, deadline_days, approve, reject)");
	refuse(HEAD FIELDS LEVELS "        unit: v1\n",
	       "w.yaml:16:9: unknown key 'unit' in reviewer (expected one of: "
	       "role, of, type)");
	refuse(HEAD FIELDS LEVELS "      approve:\n        grade: [a]\n",
	       "w.yaml:17:9: unknown key 'grade' in approve (expected one of: "
	       "comment, grades)");
	refuse(HEAD FIELDS LEVELS "      reject:\n        grades: [a]\n",
	       "w.yaml:17:9: unknown key 'grades' in reject (expected one of: "
	       "comment)");
}

static void test_workflow__refuses_duplicate_level_id(void **state)
{
	(void)state;
	refuse(HEAD FIELDS LEVELS
	       "    - id: village\n"
	       "      title: Again\n"
	       "      reviewer:\n"
	       "        role: secretary\n"
	       "        of: served\n",
	       "w.yaml:16:11: duplicate level id 'village'");
}

static void test_workflow__refuses_duplicate_field(void **state)
{
	(void)state;
	refuse(HEAD
	       "  fields:\n"
	       "    - name: summary\n"
	       "      type: text\n"
	       "    - name: summary\n"
	       "      type: integer\n" LEVELS,
	       "w.yaml:10:13: duplicate field name 'summary'");
}

static void test_workflow__refuses_missing_top_keys(void **state)
{
	(void)state;
	refuse("", "w.yaml: workflow file must be a mapping");
	refuse("{}\n", "w.yaml:1:1: workflow file is missing required key 'workflow'");
	refuse("workflow:\n", "w.yaml:1:10: workflow must be a mapping");
	refuse("workflow:\n"
	       "  title: T\n  version: 1\n  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:2:3: workflow is missing required key 'id'");
	refuse("workflow:\n"
	       "  id: wf\n  version: 1\n  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:2:3: workflow is missing required key 'title'");
	refuse("workflow:\n"
	       "  id: wf\n  title: T\n  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:2:3: workflow is missing required key 'version'");
	refuse("workflow:\n"
	       "  id: wf\n  title: T\n  version: 1\n" FIELDS LEVELS,
	       "w.yaml:2:3: workflow is missing required key 'admin_role'");
	refuse(HEAD LEVELS, "w.yaml:2:3: workflow is missing required key 'fields'");
	refuse(HEAD FIELDS, "w.yaml:2:3: workflow is missing required key 'levels'");
}

static void test_workflow__refuses_missing_on_reject(void **state)
{
	(void)state;
	refuse("workflow:\n"
	       "  id: wf\n  title: T\n  version: 1\n  admin_role: admin\n"
	       FIELDS LEVELS,
	       "w.yaml:2:3: workflow is missing required key 'on_reject'");
}

static void test_workflow__refuses_empty_field_list(void **state)
{
	(void)state;
	refuse(HEAD "  fields: []\n" LEVELS,
	       "w.yaml:7:11: workflow needs at least one field");
}

static void test_workflow__refuses_missing_field_and_level_keys(void **state)
{
	(void)state;
	refuse(HEAD "  fields:\n    - type: text\n" LEVELS,
	       "w.yaml:8:7: field is missing required key 'name'");
	refuse(HEAD "  fields:\n    - name: summary\n" LEVELS,
	       "w.yaml:8:7: field is missing required key 'type'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - title: Village\n"
	       "      reviewer: {role: secretary, of: served}\n",
	       "w.yaml:11:7: level is missing required key 'id'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      reviewer: {role: secretary, of: served}\n",
	       "w.yaml:11:7: level is missing required key 'title'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      title: Village\n",
	       "w.yaml:11:7: level 'village' is missing required key 'reviewer'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      title: Village\n"
	       "      reviewer:\n"
	       "        of: served\n",
	       "w.yaml:14:9: reviewer is missing required key 'role'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      title: Village\n"
	       "      reviewer:\n"
	       "        role: secretary\n",
	       "w.yaml:14:9: reviewer is missing required key 'of'");
}

static void test_workflow__refuses_wrong_types_in_head(void **state)
{
	(void)state;
	refuse("workflow:\n  id: \"bad id\"\n  title: T\n  version: 1\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:2:7: workflow 'id' is not a valid id: 'bad id' (use 1-64 of "
	       "A-Z a-z 0-9 . _ -, starting with a letter or digit)");
	refuse("workflow:\n  id: wf\n  title: [a, b]\n  version: 1\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:3:10: workflow 'title' must be a string");
	refuse("workflow:\n  id: wf\n  title: T\n  version: \"3\"\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:4:12: workflow 'version' must be an integer, not '3'");
	refuse("workflow:\n  id: wf\n  title: T\n  version: three\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:4:12: workflow 'version' must be an integer, not 'three'");
	refuse("workflow:\n  id: wf\n  title: T\n  version: [1]\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:4:12: workflow 'version' must be an integer, "
	       "not 'a collection'");
	refuse("workflow:\n  id: wf\n  title: T\n  version: 0\n"
	       "  admin_role: admin\n" FIELDS LEVELS,
	       "w.yaml:4:12: workflow version must be 1 or more");
	refuse("workflow:\n  id: wf\n  title: T\n  version: 1\n"
	       "  admin_role: ../admin\n" FIELDS LEVELS,
	       "w.yaml:5:15: workflow 'admin_role' is not a valid id: '../admin' "
	       "(use 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
	refuse(HEAD "  fields: none\n" LEVELS, "w.yaml:7:11: fields must be a list");
	refuse(HEAD FIELDS "  levels: {}\n", "w.yaml:10:11: levels must be a list");
	refuse(HEAD FIELDS "  levels: []\n",
	       "w.yaml:10:11: workflow needs at least one level");
}

static void test_workflow__refuses_bad_on_reject(void **state)
{
	(void)state;
	refuse("workflow:\n  id: wf\n  title: T\n  version: 1\n  admin_role: admin\n"
	       "  on_reject: sideways\n" FIELDS LEVELS,
	       "w.yaml:6:14: workflow 'on_reject' must be talent or previous, "
	       "not 'sideways'");
	refuse("workflow:\n  id: wf\n  title: T\n  version: 1\n  admin_role: admin\n"
	       "  on_reject: [talent]\n" FIELDS LEVELS,
	       "w.yaml:6:14: workflow 'on_reject' must be a string");
}

static void test_workflow__refuses_wrong_types_in_fields(void **state)
{
	(void)state;
	refuse(HEAD "  fields:\n    - summary\n" LEVELS,
	       "w.yaml:8:7: field must be a mapping");
	refuse(HEAD "  fields:\n    - name: sum mary\n      type: text\n" LEVELS,
	       "w.yaml:8:13: field 'name' is not a valid id: 'sum mary' (use 1-64 "
	       "of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
	refuse(HEAD "  fields:\n    - name: summary\n      type: number\n" LEVELS,
	       "w.yaml:9:13: field type must be text, integer, date or list, "
	       "not 'number'");
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      required: yes\n" LEVELS,
	       "w.yaml:10:17: field 'required' must be true or false");
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      min: abc\n" LEVELS,
	       "w.yaml:10:12: field 'min' must be an integer, not 'abc'");
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      max: \"10\"\n" LEVELS,
	       "w.yaml:10:12: field 'max' must be an integer, not '10'");
	refuse(HEAD "  fields:\n    - name: day\n      type: date\n"
	       "      min: 2022-02-30\n" LEVELS,
	       "w.yaml:10:12: field 'min' must be a date YYYY-MM-DD");
	refuse(HEAD "  fields:\n    - name: day\n      type: date\n"
	       "      max: 5\n" LEVELS,
	       "w.yaml:10:12: field 'max' must be a date YYYY-MM-DD");
}

static void test_workflow__refuses_min_above_max(void **state)
{
	(void)state;
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      min: 10\n      max: 5\n" LEVELS,
	       "w.yaml:10:12: field 'summary': min is larger than max");
	refuse(HEAD "  fields:\n    - name: day\n      type: date\n"
	       "      min: 2022-07-02\n      max: 2022-07-01\n" LEVELS,
	       "w.yaml:10:12: field 'day': min is larger than max");
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      min: -1\n" LEVELS,
	       "w.yaml:10:12: field 'summary': a length cannot be negative");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      min: -2\n" LEVELS,
	       "w.yaml:10:12: field 'tags': a length cannot be negative");
}

static void test_workflow__refuses_choices_on_non_list(void **state)
{
	(void)state;
	refuse(HEAD "  fields:\n    - name: summary\n      type: text\n"
	       "      choices: [a, b]\n" LEVELS,
	       "w.yaml:8:7: field 'summary': choices apply to lists only");
	refuse(HEAD "  fields:\n    - name: nn\n      type: integer\n"
	       "      choices_from: needs\n" LEVELS,
	       "w.yaml:8:7: field 'nn': choices apply to lists only");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      choices: [a]\n      choices_from: needs\n" LEVELS,
	       "w.yaml:8:7: field 'tags': give 'choices' or 'choices_from', not both");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      choices_from: people\n" LEVELS,
	       "w.yaml:10:21: field 'tags': choices_from must be 'needs', "
	       "not 'people'");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      choices: [a, b, a]\n" LEVELS,
	       "w.yaml:10:23: field 'choices': duplicate item 'a'");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      choices: []\n" LEVELS,
	       "w.yaml:10:16: field 'choices' must be a non-empty list");
	refuse(HEAD "  fields:\n    - name: tags\n      type: list\n"
	       "      choices: [ok, \"not ok\"]\n" LEVELS,
	       "w.yaml:10:21: field 'choices': item is not a valid id: 'not ok'");
}

static void test_workflow__refuses_bad_level_values(void **state)
{
	(void)state;
	refuse(HEAD FIELDS "  levels:\n    - village\n",
	       "w.yaml:11:7: level must be a mapping");
	refuse(HEAD FIELDS LEVELS "      deadline_days: -1\n",
	       "w.yaml:16:22: level 'village': deadline_days must be 0 to 3660");
	refuse(HEAD FIELDS LEVELS "      deadline_days: 3661\n",
	       "w.yaml:16:22: level 'village': deadline_days must be 0 to 3660");
	refuse(HEAD FIELDS LEVELS "      deadline_days: soon\n",
	       "w.yaml:16:22: level 'deadline_days' must be an integer, not 'soon'");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      title: Village\n"
	       "      reviewer: secretary\n",
	       "w.yaml:13:17: reviewer must be a mapping");
	refuse(HEAD FIELDS
	       "  levels:\n"
	       "    - id: village\n"
	       "      title: Village\n"
	       "      reviewer:\n"
	       "        role: secretary\n"
	       "        of: above\n",
	       "w.yaml:15:13: reviewer 'of' must be served or dispatcher, not 'above'");
	refuse(HEAD FIELDS LEVELS "        type: \"a b\"\n",
	       "w.yaml:16:15: reviewer 'type' is not a valid id: 'a b' (use 1-64 "
	       "of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
	refuse(HEAD FIELDS LEVELS "      approve: yes\n",
	       "w.yaml:16:16: approve must be a mapping");
	refuse(HEAD FIELDS LEVELS "      approve:\n        comment: maybe\n",
	       "w.yaml:17:18: approve 'comment' must be required or optional, "
	       "not 'maybe'");
	refuse(HEAD FIELDS LEVELS "      approve:\n        grades: []\n",
	       "w.yaml:17:17: approve 'grades' must be a non-empty list");
	refuse(HEAD FIELDS LEVELS "      approve:\n        grades: [a, b, a]\n",
	       "w.yaml:17:24: approve 'grades': duplicate item 'a'");
	refuse(HEAD FIELDS LEVELS "      reject:\n        comment: never\n",
	       "w.yaml:17:18: reject 'comment' must be required or optional, "
	       "not 'never'");
}

static void test_workflow__refuses_optional_reject_comment(void **state)
{
	(void)state;
	refuse(HEAD FIELDS LEVELS "      reject:\n        comment: optional\n",
	       "w.yaml:17:18: level 'village': a rejection always needs a comment");
	refuse(HEAD FIELDS LEVELS
	       "    - id: township\n"
	       "      title: Township\n"
	       "      reviewer: {role: secretary, of: served, type: township}\n"
	       "      reject: {comment: optional}\n",
	       "w.yaml:19:25: level 'township': a rejection always needs a comment");
}

static void test_workflow__reject_without_comment_key_is_required(void **state)
{
	cl_workflow *wf;

	(void)state;
	/* an empty reject mapping keeps the default: required */
	wf = load_ok(HEAD FIELDS LEVELS "      reject: {}\n      approve: {}\n");
	assert_int_equal(wf->levels[0].reject_comment, CL_COMMENT_REQUIRED);
	assert_int_equal(wf->levels[0].approve_comment, CL_COMMENT_OPTIONAL);
	cl_workflow_free(wf);
}

static void test_workflow__refuses_yaml_errors_with_position(void **state)
{
	(void)state;
	refuse(HEAD FIELDS LEVELS "  title: Again\n",
	       "w.yaml:16:3: duplicate key 'title' (first at 3:3)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workflow__loads_three_level_sample),
		cmocka_unit_test(test_workflow__minimal_gets_defaults),
		cmocka_unit_test(test_workflow__loads_every_field_type_and_rule),
		cmocka_unit_test(test_workflow__error_names_the_given_file),
		cmocka_unit_test(test_workflow__refuses_unknown_keys),
		cmocka_unit_test(test_workflow__refuses_duplicate_level_id),
		cmocka_unit_test(test_workflow__refuses_duplicate_field),
		cmocka_unit_test(test_workflow__refuses_missing_top_keys),
		cmocka_unit_test(test_workflow__refuses_missing_on_reject),
		cmocka_unit_test(test_workflow__refuses_empty_field_list),
		cmocka_unit_test(test_workflow__refuses_missing_field_and_level_keys),
		cmocka_unit_test(test_workflow__refuses_wrong_types_in_head),
		cmocka_unit_test(test_workflow__refuses_bad_on_reject),
		cmocka_unit_test(test_workflow__refuses_wrong_types_in_fields),
		cmocka_unit_test(test_workflow__refuses_min_above_max),
		cmocka_unit_test(test_workflow__refuses_choices_on_non_list),
		cmocka_unit_test(test_workflow__refuses_bad_level_values),
		cmocka_unit_test(test_workflow__refuses_optional_reject_comment),
		cmocka_unit_test(test_workflow__reject_without_comment_key_is_required),
		cmocka_unit_test(test_workflow__refuses_yaml_errors_with_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
