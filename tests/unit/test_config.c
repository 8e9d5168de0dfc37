/*
 * test_config.c - unit tests for engine/org.c, people.c, config.c (needs
 * and the bundle) and worklog.c: the org, people and needs loaders with
 * their refusals, cl_config_load's cross-checks (unknown unit type, a
 * level nobody could review, no admin, needs missing), reviewer
 * resolution for served and dispatcher anchors walking up to a type, and
 * cl_config_check_log: every field rule with its exact message.
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
#include "yaml.h"

/* ---- fixtures ---- */

/* c (county) > tw1 (township) > v1, v2 (villages); c > dep (department) */
static const char ORG[] =
	"types: [county, township, village, department]\n"
	"units:\n"
	"  - {id: c, name: County, type: county}\n"
	"  - {id: tw1, name: Township One, type: township, parent: c}\n"
	"  - {id: v1, name: Village One, type: village, parent: tw1, key: true}\n"
	"  - {id: v2, name: Village Two, type: village, parent: tw1}\n"
	"  - {id: dep, name: Department, type: department, parent: c}\n";

static const char PEOPLE[] =
	"people:\n"
	"  - id: admin\n"
	"    name: Admin\n"
	"    roles: [{role: config-admin, unit: c}]\n"
	"  - {id: sv1, name: Sec V1, roles: [{role: secretary, unit: v1}]}\n"
	"  - {id: sv1b, name: Sec V1 B, roles: [{role: secretary, unit: v1}]}\n"
	"  - {id: stw1, name: Sec TW1, roles: [{role: secretary, unit: tw1}]}\n"
	"  - {id: sdep, name: Sec Dep, roles: [{role: secretary, unit: dep}]}\n"
	"  - id: sc\n"
	"    name: Sec County\n"
	"    roles:\n"
	"      - {role: secretary, unit: c}\n"
	"      - {role: auditor, unit: dep}\n"
	"  - id: t1\n"
	"    name: Talent One\n"
	"    talent:\n"
	"      serves: v1\n"
	"      dispatched_by: dep\n"
	"      mode: resident\n"
	"      first_secretary: true\n"
	"      from: 2022-07-01\n"
	"      to: 2024-06-30\n"
	"  - id: t2\n"
	"    name: Talent Two\n"
	"    talent: {serves: v2, dispatched_by: dep, mode: flexible,\n"
	"             first_secretary: false, from: 2022-07-01,\n"
	"             to: 2023-06-30, note: \"Cang'er\"}\n";

static const char NEEDS[] =
	"categories: [industry, ecology]\n"
	"needs:\n"
	"  - {id: n1, unit: v1, category: industry, title: Walnuts}\n"
	"  - {id: n2, unit: v2, category: ecology, title: Trees}\n";

/* Lines 1-12; "  levels:" is line 13, the first level line 14. */
#define WF_TOP                                                                 \
	"workflow:\n"                                                          \
	"  id: wf\n"                                                           \
	"  title: T\n"                                                         \
	"  version: 1\n"                                                       \
	"  admin_role: config-admin\n"                                         \
	"  on_reject: talent\n"                                                \
	"  fields:\n"                                                          \
	"    - {name: summary, type: text, required: true, min: 1, max: 20}\n" \
	"    - {name: days, type: integer, required: true, min: 0, max: 184}\n"\
	"    - {name: needs, type: list, choices_from: needs, max: 2}\n"       \
	"    - {name: start, type: date, min: 2022-01-01, max: 2022-12-31}\n"  \
	"    - {name: tags, type: list, choices: [a, b, c], min: 1}\n"

#define LV_VILLAGE                                                             \
	"    - {id: village, title: V,\n"                                      \
	"       reviewer: {role: secretary, of: served, type: village}}\n"
#define LV_TOWNSHIP                                                            \
	"    - {id: township, title: T,\n"                                     \
	"       reviewer: {role: secretary, of: served, type: township}}\n"
#define LV_DEPARTMENT                                                          \
	"    - {id: department, title: D,\n"                                   \
	"       reviewer: {role: secretary, of: dispatcher, type: department}}\n"
#define LV_COUNTY                                                              \
	"    - {id: county, title: C,\n"                                       \
	"       reviewer: {role: secretary, of: served, type: county}}\n"

static const char WORKFLOW[] = WF_TOP "  levels:\n" LV_VILLAGE LV_TOWNSHIP
	LV_DEPARTMENT LV_COUNTY;

/* Loads a config from the four texts (needs may be NULL). */
static int load(cl_config **cfg, cl_error *err, const char *wf,
		const char *org, const char *people, const char *needs)
{
	cl_config_file files[4] = {
		{ CL_CONFIG_WORKFLOW, "conf/workflow.yaml", wf, 0 },
		{ CL_CONFIG_ORG, "conf/org.yaml", org, 0 },
		{ CL_CONFIG_PEOPLE, "conf/people.yaml", people, 0 },
		{ CL_CONFIG_NEEDS, "conf/needs.yaml", needs, 0 },
	};
	size_t i;

	for (i = 0; i < 4; i++)
		files[i].len = files[i].data ? strlen(files[i].data) : 0;
	return cl_config_load(cfg, files, needs ? 4 : 3, err);
}

static cl_config *load_ok(const char *wf, const char *org, const char *people,
			  const char *needs)
{
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = NULL;
	int rc = load(&cfg, &err, wf, org, people, needs);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	return cfg;
}

static void load_refuse(const char *wf, const char *org, const char *people,
			const char *needs, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = (cl_config *)&err;
	int rc = load(&cfg, &err, wf, org, people, needs);

	if (rc != CL_EINVALID)
		print_error("expected refusal '%s', got rc %d\n", msg, rc);
	assert_int_equal(rc, CL_EINVALID);
	assert_null(cfg);
	assert_string_equal(err.msg, msg);
}

static cl_org *org_ok(const char *yaml)
{
	cl_error err = CL_ERROR_INIT;
	cl_org *org = NULL;
	int rc = cl_org_load(&org, "org.yaml", yaml, strlen(yaml), &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return org;
}

static void org_refuse(const char *yaml, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_org *org = (cl_org *)&err;

	assert_int_equal(cl_org_load(&org, "org.yaml", yaml, strlen(yaml), &err),
			 CL_EINVALID);
	assert_null(org);
	assert_string_equal(err.msg, msg);
}

static void people_refuse(const char *yaml, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_org *org = org_ok(ORG);
	cl_people *people = (cl_people *)&err;

	assert_int_equal(cl_people_load(&people, "people.yaml", yaml, strlen(yaml),
					org, &err), CL_EINVALID);
	assert_null(people);
	assert_string_equal(err.msg, msg);
	cl_org_free(org);
}

static void needs_refuse(const char *yaml, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_org *org = org_ok(ORG);
	cl_needs *needs = (cl_needs *)&err;

	assert_int_equal(cl_needs_load(&needs, "needs.yaml", yaml, strlen(yaml),
				       org, &err), CL_EINVALID);
	assert_null(needs);
	assert_string_equal(err.msg, msg);
	cl_org_free(org);
}

/* The reviewers of level for person pid, as "id,id,..." into out. */
static void reviewers(char *out, size_t n, const cl_config *cfg, size_t level,
		      const char *pid)
{
	size_t *idx = NULL, k = 99, i, o = 0;

	assert_int_equal(cl_config_reviewers(&idx, &k, cfg, level,
					     cl_people_find(cfg->people, pid)), 0);
	out[0] = '\0';
	for (i = 0; i < k; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? "," : "",
				      cfg->people->people[idx[i]].id);
	free(idx);
}

static cl_ynode *parse_log(const char *yaml)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root = NULL;
	int rc = cl_yaml_parse(&root, "log.yaml", yaml, strlen(yaml),
			       CL_LOG_MAX_BYTES, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return root;
}

/* Checks log against cfg; returns the normalized fields as YAML text. */
static char *log_ok(const cl_config *cfg, const char *yaml)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *log = parse_log(yaml), *out = NULL;
	cl_buf b = CL_BUF_INIT;
	int rc = cl_config_check_log(&out, cfg, "log.yaml", log, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	assert_int_equal(cl_yaml_emit(&b, out, &err), 0);
	cl_ynode_free(out);
	cl_ynode_free(log);
	return cl_buf_detach(&b);
}

static void log_node_refuse(const cl_config *cfg, const cl_ynode *log,
			    const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *out = (cl_ynode *)&err;
	int rc = cl_config_check_log(&out, cfg, "log.yaml", log, &err);

	if (rc != CL_EINVALID)
		print_error("expected refusal '%s', got rc %d\n", msg, rc);
	assert_int_equal(rc, CL_EINVALID);
	assert_null(out);
	assert_string_equal(err.msg, msg);
}

static void log_refuse(const cl_config *cfg, const char *yaml, const char *msg)
{
	cl_ynode *log = parse_log(yaml);

	log_node_refuse(cfg, log, msg);
	cl_ynode_free(log);
}

static int setup_cfg(void **state)
{
	*state = load_ok(WORKFLOW, ORG, PEOPLE, NEEDS);
	return 0;
}

static int teardown_cfg(void **state)
{
	cl_config_free(*state);
	return 0;
}

/* ---- org ---- */

static void test_config__org_loads_units_and_links_parents(void **state)
{
	cl_org *org;
	size_t c, tw1, v1, v2, dep;

	(void)state;
	/* a parent may come after its children */
	org = org_ok("types: [county, township, village]\n"
		     "units:\n"
		     "  - {id: v1, type: village, parent: tw1, name: V}\n"
		     "  - {id: tw1, name: T, type: township, parent: c}\n"
		     "  - {id: c, name: C, type: county}\n");
	assert_int_equal(org->nunits, 3);
	assert_int_equal(org->ntypes, 3);
	assert_int_equal(org->units[0].parent, 1);
	assert_int_equal(org->units[1].parent, 2);
	assert_int_equal(org->units[2].parent, CL_NONE);
	cl_org_free(org);

	org = org_ok(ORG);
	c = cl_org_find(org, "c");
	tw1 = cl_org_find(org, "tw1");
	v1 = cl_org_find(org, "v1");
	v2 = cl_org_find(org, "v2");
	dep = cl_org_find(org, "dep");
	assert_int_equal(c, 0);
	assert_int_equal(dep, 4);
	assert_int_equal(cl_org_find(org, "nope"), CL_NONE);
	assert_string_equal(org->units[v1].name, "Village One");
	assert_string_equal(org->units[v1].type, "village");
	assert_true(org->units[v1].key);
	assert_false(org->units[v2].key);
	assert_int_equal(org->units[v1].parent, tw1);
	assert_true(cl_org_has_type(org, "department"));
	assert_false(cl_org_has_type(org, "hamlet"));
	/* ancestors: the unit itself first, then upwards */
	assert_int_equal(cl_org_ancestor(org, v1, "village"), v1);
	assert_int_equal(cl_org_ancestor(org, v1, "township"), tw1);
	assert_int_equal(cl_org_ancestor(org, v1, "county"), c);
	assert_int_equal(cl_org_ancestor(org, v1, "department"), CL_NONE);
	assert_int_equal(cl_org_ancestor(org, dep, "township"), CL_NONE);
	assert_int_equal(cl_org_ancestor(org, CL_NONE, "county"), CL_NONE);
	cl_org_free(org);
}

static void test_config__org_refuses_unknown_parent(void **state)
{
	(void)state;
	org_refuse("types: [county, village]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: county}\n"
		   "  - {id: v1, name: V, type: village, parent: nope}\n",
		   "org.yaml:4:46: unit 'v1' has unknown parent 'nope'");
}

static void test_config__org_refuses_cycles(void **state)
{
	(void)state;
	org_refuse("types: [township]\n"
		   "units:\n"
		   "  - {id: a, name: A, type: township, parent: b}\n"
		   "  - {id: b, name: B, type: township, parent: a}\n",
		   "org.yaml:3:5: unit 'a' is its own ancestor");
	org_refuse("types: [township]\n"
		   "units:\n"
		   "  - id: root\n"
		   "    name: Root\n"
		   "    type: township\n"
		   "  - id: self\n"
		   "    name: Self\n"
		   "    type: township\n"
		   "    parent: self\n",
		   "org.yaml:6:5: unit 'self' is its own ancestor");
	/* a cycle that does not pass through the unit being checked */
	org_refuse("types: [t]\n"
		   "units:\n"
		   "  - {id: x, name: X, type: t, parent: a}\n"
		   "  - {id: a, name: A, type: t, parent: b}\n"
		   "  - {id: b, name: B, type: t, parent: a}\n",
		   "org.yaml:3:5: unit 'x' is its own ancestor");
}

static void test_config__org_refuses_bad_units(void **state)
{
	(void)state;
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: county}\n"
		   "  - {id: c, name: D, type: county}\n",
		   "org.yaml:4:10: duplicate unit id 'c'");
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: hamlet}\n",
		   "org.yaml:3:28: unit 'c' has unknown type 'hamlet' "
		   "(not in 'types')");
	org_refuse("types: [county, county]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: county}\n",
		   "org.yaml:1:17: org 'types': duplicate item 'county'");
	org_refuse("types: [county]\n",
		   "org.yaml:1:1: org is missing required key 'units'");
	org_refuse("units: []\n",
		   "org.yaml:1:1: org is missing required key 'types'");
	org_refuse("types: [county]\nunits: {}\n",
		   "org.yaml:2:8: units must be a list");
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: county, colour: red}\n",
		   "org.yaml:3:36: unknown key 'colour' in unit (expected one of: "
		   "id, name, type, parent, key)");
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c, name: C, type: county, key: yes}\n",
		   "org.yaml:3:41: unit 'key' must be true or false");
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c/d, name: C, type: county}\n",
		   "org.yaml:3:10: unit 'id' is not a valid id: 'c/d' (use 1-64 of "
		   "A-Z a-z 0-9 . _ -, starting with a letter or digit)");
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {name: C, type: county}\n",
		   "org.yaml:3:5: unit is missing required key 'id'");
}

static void test_config__org_refuses_unit_without_name(void **state)
{
	(void)state;
	org_refuse("types: [county]\n"
		   "units:\n"
		   "  - {id: c, type: county}\n",
		   "org.yaml:3:5: unit is missing required key 'name'");
}

/* ---- people ---- */

static void test_config__people_loads_roles_and_talents(void **state)
{
	const cl_config *cfg = *state;
	const cl_person *p;
	size_t v1 = cl_org_find(cfg->org, "v1"), dep = cl_org_find(cfg->org, "dep");

	assert_int_equal(cfg->people->npeople, 8);
	p = cl_people_find(cfg->people, "sc");
	assert_non_null(p);
	assert_string_equal(p->name, "Sec County");
	assert_int_equal(p->nroles, 2);
	assert_null(p->talent);
	assert_true(cl_person_has_role(p, "auditor", dep));
	assert_false(cl_person_has_role(p, "auditor", v1));
	assert_false(cl_person_has_role(p, "secretary", dep));
	assert_true(cl_person_has_role_anywhere(p, "secretary"));
	assert_false(cl_person_has_role_anywhere(p, "config-admin"));

	p = cl_people_find(cfg->people, "t1");
	assert_non_null(p->talent);
	assert_int_equal(p->nroles, 0);
	assert_int_equal(p->talent->serves, v1);
	assert_int_equal(p->talent->dispatched_by, dep);
	assert_int_equal(p->talent->mode, CL_MODE_RESIDENT);
	assert_true(p->talent->first_secretary);
	assert_int_equal(p->talent->from, 19174);       /* 2022-07-01 */
	assert_int_equal(p->talent->to, 19174 + 730); /* 2024-06-30 */
	assert_null(p->talent->note);

	p = cl_people_find(cfg->people, "t2");
	assert_int_equal(p->talent->mode, CL_MODE_FLEXIBLE);
	assert_false(p->talent->first_secretary);
	assert_string_equal(p->talent->note, "Cang'er");
	assert_string_equal(cl_mode_name(CL_MODE_REMOTE), "remote");
	assert_string_equal(cl_mode_name(p->talent->mode), "flexible");
	assert_null(cl_people_find(cfg->people, "nobody"));
}

static void test_config__people_refuses_unknown_units(void **state)
{
	(void)state;
	people_refuse("people:\n"
		      "  - {id: a, name: A, roles: [{role: secretary, unit: v9}]}\n",
		      "people.yaml:2:54: role 'unit' names unknown unit 'v9'");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent: {serves: v9, dispatched_by: dep, mode: resident,\n"
		      "             first_secretary: false, from: 2022-07-01,\n"
		      "             to: 2023-06-30}\n",
		      "people.yaml:4:22: talent 'serves' names unknown unit 'v9'");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent: {serves: v1, dispatched_by: dep9, mode: resident,\n"
		      "             first_secretary: false, from: 2022-07-01,\n"
		      "             to: 2023-06-30}\n",
		      "people.yaml:4:41: talent 'dispatched_by' names unknown "
		      "unit 'dep9'");
}

static void test_config__people_refuses_duplicates_and_bad_values(void **state)
{
	(void)state;
	people_refuse("people:\n"
		      "  - {id: a, name: A}\n"
		      "  - {id: a, name: B}\n",
		      "people.yaml:3:10: duplicate person id 'a'");
	people_refuse("people:\n"
		      "  - {id: a, name: \"A <a@x>\"}\n",
		      "people.yaml:2:19: person name must be one line without "
		      "'<' or '>'");
	people_refuse("people:\n"
		      "  - {id: a}\n",
		      "people.yaml:2:5: person is missing required key 'name'");
	people_refuse("people:\n"
		      "  - {id: a, name: A, roles: secretary}\n",
		      "people.yaml:2:29: roles must be a list");
	people_refuse("people:\n"
		      "  - {id: a, name: A, boss: b}\n",
		      "people.yaml:2:22: unknown key 'boss' in person (expected one "
		      "of: id, name, roles, talent)");
	people_refuse("persons: []\n",
		      "people.yaml:1:1: unknown key 'persons' in people file "
		      "(expected one of: people)");
}

static void test_config__people_refuses_bad_dates_and_terms(void **state)
{
	(void)state;
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: resident\n"
		      "      first_secretary: false\n"
		      "      from: 2022-02-30\n"
		      "      to: 2023-06-30\n",
		      "people.yaml:9:13: talent 'from' must be a date YYYY-MM-DD, "
		      "not '2022-02-30'");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: resident\n"
		      "      first_secretary: false\n"
		      "      from: 2022-07-01\n"
		      "      to: 30/06/2023\n",
		      "people.yaml:10:11: talent 'to' must be a date YYYY-MM-DD, "
		      "not '30/06/2023'");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: resident\n"
		      "      first_secretary: false\n"
		      "      from: 2022-07-01\n"
		      "      to: 2022-06-30\n",
		      "people.yaml:10:11: talent term ends before it starts");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: resident\n"
		      "      first_secretary: false\n"
		      "      to: 2022-06-30\n",
		      "people.yaml:5:7: talent is missing required key 'from'");
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: online\n"
		      "      first_secretary: false\n"
		      "      from: 2022-07-01\n"
		      "      to: 2023-06-30\n",
		      "people.yaml:7:13: talent 'mode' must be resident, flexible or "
		      "remote, not 'online'");
}

static void test_config__people_one_day_term_is_fine(void **state)
{
	cl_error err = CL_ERROR_INIT;
	cl_org *org = org_ok(ORG);
	cl_people *people = NULL;
	const char *y = "people:\n"
			"  - {id: t, name: T, talent: {serves: v1, dispatched_by: dep,\n"
			"     mode: remote, first_secretary: false,\n"
			"     from: 2022-07-01, to: 2022-07-01}}\n";

	(void)state;
	assert_int_equal(cl_people_load(&people, "people.yaml", y, strlen(y), org,
					&err), 0);
	assert_int_equal(people->people[0].talent->mode, CL_MODE_REMOTE);
	assert_int_equal(people->people[0].talent->from, people->people[0].talent->to);
	cl_people_free(people);
	cl_org_free(org);
}

static void test_config__people_refuses_missing_first_secretary(void **state)
{
	(void)state;
	people_refuse("people:\n"
		      "  - id: t\n"
		      "    name: T\n"
		      "    talent:\n"
		      "      serves: v1\n"
		      "      dispatched_by: dep\n"
		      "      mode: resident\n"
		      "      from: 2022-07-01\n"
		      "      to: 2023-06-30\n",
		      "people.yaml:5:7: talent is missing required key "
		      "'first_secretary'");
}

/* ---- needs ---- */

static void test_config__needs_loads_catalogue(void **state)
{
	const cl_config *cfg = *state;

	assert_non_null(cfg->needs);
	assert_int_equal(cfg->needs->nneeds, 2);
	assert_int_equal(cfg->needs->ncategories, 2);
	assert_string_equal(cfg->needs->needs[1].id, "n2");
	assert_string_equal(cfg->needs->needs[1].category, "ecology");
	assert_string_equal(cfg->needs->needs[1].title, "Trees");
	assert_int_equal(cfg->needs->needs[1].unit, cl_org_find(cfg->org, "v2"));
	assert_int_equal(cl_strmap_get(&cfg->needs->byid, "n1"), 0);
	assert_int_equal(cl_strmap_get(&cfg->needs->byid, "n3"), CL_NONE);
}

static void test_config__needs_refuses_bad_entries(void **state)
{
	(void)state;
	needs_refuse("categories: [industry]\n"
		     "needs:\n"
		     "  - {id: n1, unit: v1, category: industry, title: A}\n"
		     "  - {id: n1, unit: v2, category: industry, title: B}\n",
		     "needs.yaml:4:10: duplicate need id 'n1'");
	needs_refuse("categories: [industry]\n"
		     "needs:\n"
		     "  - {id: n1, unit: v7, category: industry, title: A}\n",
		     "needs.yaml:3:20: need 'n1' names unknown unit 'v7'");
	needs_refuse("categories: [industry]\n"
		     "needs:\n"
		     "  - {id: n1, unit: v1, category: fishing, title: A}\n",
		     "needs.yaml:3:34: need 'n1' has unknown category 'fishing'");
	needs_refuse("needs: []\n",
		     "needs.yaml:1:1: needs file is missing required key 'categories'");
	needs_refuse("categories: [industry]\n",
		     "needs.yaml:1:1: needs file is missing required key 'needs'");
	needs_refuse("categories: [industry]\n"
		     "needs:\n"
		     "  - {id: n1, unit: v1, category: industry}\n",
		     "needs.yaml:3:5: need is missing required key 'title'");
}

/* ---- the bundle ---- */

static void test_config__load_needs_three_files(void **state)
{
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = (cl_config *)&err;
	cl_config_file files[2] = {
		{ CL_CONFIG_WORKFLOW, "conf/workflow.yaml", WORKFLOW,
		  sizeof(WORKFLOW) - 1 },
		{ CL_CONFIG_ORG, "conf/org.yaml", ORG, sizeof(ORG) - 1 },
	};

	(void)state;
	assert_int_equal(cl_config_load(&cfg, files, 2, &err), CL_EINVALID);
	assert_null(cfg);
	assert_string_equal(err.msg, "the configuration needs workflow.yaml, "
			    "org.yaml and people.yaml");
}

static void test_config__load_reports_the_file_path(void **state)
{
	(void)state;
	load_refuse(WORKFLOW, "types: [county]\nunits: []\nextra: 1\n", PEOPLE, NEEDS,
		    "conf/org.yaml:3:1: unknown key 'extra' in org (expected one of: "
		    "types, units)");
	load_refuse(WORKFLOW, ORG, "people:\n  - {id: x, name: X, roles: "
		    "[{role: config-admin, unit: nowhere}]}\n", NEEDS,
		    "conf/people.yaml:2:57: role 'unit' names unknown unit 'nowhere'");
	load_refuse(WORKFLOW, ORG, PEOPLE, "categories: []\nneeds: []\n",
		    "conf/needs.yaml:1:13: needs file 'categories' must be a "
		    "non-empty list");
	load_refuse("workflow: 1\n", ORG, PEOPLE, NEEDS,
		    "conf/workflow.yaml:1:11: workflow must be a mapping");
}

static void test_config__load_refuses_unknown_unit_type_in_level(void **state)
{
	(void)state;
	load_refuse(WF_TOP "  levels:\n" LV_VILLAGE
		    "    - {id: ward, title: W,\n"
		    "       reviewer: {role: secretary, of: served, type: ward}}\n",
		    ORG, PEOPLE, NEEDS,
		    "conf/workflow.yaml:16:7: level 'ward' names unknown unit "
		    "type 'ward'");
}

static void test_config__load_refuses_level_nobody_could_review(void **state)
{
	(void)state;
	/* nobody holds the role at all */
	load_refuse(WF_TOP "  levels:\n"
		    "    - {id: village, title: V,\n"
		    "       reviewer: {role: inspector, of: served, type: village}}\n",
		    ORG, PEOPLE, NEEDS,
		    "conf/workflow.yaml:14:7: level 'village' can never be reviewed: "
		    "nobody holds role 'inspector'");
	/* the role is held, but never at a unit of the level's type */
	load_refuse(WF_TOP "  levels:\n" LV_VILLAGE
		    "    - {id: audit, title: A,\n"
		    "       reviewer: {role: auditor, of: served, type: township}}\n",
		    ORG, PEOPLE, NEEDS,
		    "conf/workflow.yaml:16:7: level 'audit' can never be reviewed: "
		    "nobody holds role 'auditor'");
}

static void test_config__load_accepts_level_without_type(void **state)
{
	cl_config *cfg;
	char ids[128];

	(void)state;
	/* no type: the anchor unit itself; auditor is held at dep */
	cfg = load_ok(WF_TOP "  levels:\n"
		      "    - {id: audit, title: A,\n"
		      "       reviewer: {role: auditor, of: dispatcher}}\n",
		      ORG, PEOPLE, NEEDS);
	reviewers(ids, sizeof(ids), cfg, 0, "t1");
	assert_string_equal(ids, "sc");
	cl_config_free(cfg);
}

static void test_config__load_refuses_config_without_admin(void **state)
{
	(void)state;
	load_refuse(WF_TOP "  levels:\n" LV_VILLAGE, ORG,
		    "people:\n"
		    "  - {id: sv1, name: S, roles: [{role: secretary, unit: v1}]}\n",
		    NEEDS,
		    "conf/workflow.yaml: nobody holds the admin_role 'config-admin', "
		    "so the configuration could never change again");
}

static void test_config__load_refuses_choices_from_without_needs(void **state)
{
	cl_config *cfg;

	(void)state;
	load_refuse(WORKFLOW, ORG, PEOPLE, NULL,
		    "conf/workflow.yaml: field 'needs' takes its choices from needs, "
		    "but there is no needs.yaml");
	/* without such a field needs.yaml is optional */
	cfg = load_ok("workflow:\n  id: wf\n  title: T\n  version: 1\n"
		      "  admin_role: config-admin\n  on_reject: talent\n"
		      "  fields: [{name: summary, type: text}]\n"
		      "  levels:\n" LV_VILLAGE, ORG, PEOPLE, NULL);
	assert_null(cfg->needs);
	assert_int_equal(cfg->workflow->nlevels, 1);
	cl_config_free(cfg);
}

/* ---- reviewers ---- */

static void test_config__reviewers_walk_up_from_the_served_unit(void **state)
{
	const cl_config *cfg = *state;
	char ids[128];

	reviewers(ids, sizeof(ids), cfg, 0, "t1"); /* village of v1 */
	assert_string_equal(ids, "sv1,sv1b");
	reviewers(ids, sizeof(ids), cfg, 1, "t1"); /* township above v1 */
	assert_string_equal(ids, "stw1");
	reviewers(ids, sizeof(ids), cfg, 3, "t1"); /* county, two levels up */
	assert_string_equal(ids, "sc");
	/* v2 has no secretary: nobody reviews t2's first level */
	reviewers(ids, sizeof(ids), cfg, 0, "t2");
	assert_string_equal(ids, "");
	reviewers(ids, sizeof(ids), cfg, 1, "t2");
	assert_string_equal(ids, "stw1");
}

static void test_config__reviewers_of_the_dispatcher(void **state)
{
	const cl_config *cfg = *state;
	char ids[128];

	reviewers(ids, sizeof(ids), cfg, 2, "t1");
	assert_string_equal(ids, "sdep");
	reviewers(ids, sizeof(ids), cfg, 2, "t2");
	assert_string_equal(ids, "sdep");
}

static void test_config__reviewers_none_for_non_talents(void **state)
{
	const cl_config *cfg = *state;
	size_t *idx = (size_t *)1, n = 7;

	assert_int_equal(cl_config_reviewers(&idx, &n, cfg, 0,
					     cl_people_find(cfg->people, "sv1")), 0);
	assert_null(idx);
	assert_int_equal(n, 0);
	assert_int_equal(cl_config_reviewers(&idx, &n, cfg, 0, NULL), 0);
	assert_null(idx);
	assert_int_equal(n, 0);
}

static void test_config__reviewers_none_when_no_unit_of_type(void **state)
{
	cl_config *cfg;
	char ids[128];

	(void)state;
	/* walking up from the department never meets a village */
	cfg = load_ok(WF_TOP "  levels:\n" LV_VILLAGE
		      "    - {id: odd, title: O,\n"
		      "       reviewer: {role: secretary, of: dispatcher,\n"
		      "                  type: village}}\n",
		      ORG, PEOPLE, NEEDS);
	reviewers(ids, sizeof(ids), cfg, 1, "t1");
	assert_string_equal(ids, "");
	cl_config_free(cfg);
}

static void test_config__reviewers_many_holders(void **state)
{
	cl_buf people = CL_BUF_INIT;
	cl_config *cfg;
	char ids[256];
	int i;

	(void)state;
	/* more holders than the initial capacity of the result */
	cl_buf_puts(&people, PEOPLE);
	for (i = 0; i < 9; i++)
		cl_buf_printf(&people, "  - {id: x%d, name: X, roles: "
			      "[{role: secretary, unit: v1}]}\n", i);
	cfg = load_ok(WORKFLOW, ORG, people.ptr, NEEDS);
	reviewers(ids, sizeof(ids), cfg, 0, "t1");
	assert_string_equal(ids, "sv1,sv1b,x0,x1,x2,x3,x4,x5,x6,x7,x8");
	cl_config_free(cfg);
	cl_buf_release(&people);
}

/* ---- work logs ---- */

static void test_config__log_normalizes_in_field_order(void **state)
{
	const cl_config *cfg = *state;
	char *text;

	text = log_ok(cfg, "tags: [b, a]\n"
			   "days: 042\n"
			   "summary: \"Did things\"\n"
			   "start: 2022-05-01\n"
			   "needs: [n2]\n");
	assert_string_equal(text, "summary: Did things\n"
				  "days: 42\n"
				  "needs:\n"
				  "- n2\n"
				  "start: '2022-05-01'\n"
				  "tags:\n"
				  "- b\n"
				  "- a\n");
	free(text);
	/* optional fields may be left out; limits are inclusive */
	text = log_ok(cfg, "summary: \"12345678901234567890\"\ndays: 184\n");
	assert_string_equal(text, "summary: '12345678901234567890'\ndays: 184\n");
	free(text);
	text = log_ok(cfg, "summary: |\n  two\n  lines\tand a tab\ndays: 0\n"
			   "start: 2022-12-31\nneeds: []\ntags: [c]\n");
	/* libyaml cannot write a tab in a literal block: double quotes */
	assert_string_equal(text, "summary: \"two\\nlines\\tand a tab\\n\"\n"
				  "days: 0\nneeds: []\nstart: '2022-12-31'\n"
				  "tags:\n- c\n");
	free(text);
}

static void test_config__log_must_be_a_mapping(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "- summary\n",
		   "log.yaml:1:1: a work log must be a mapping of fields");
	log_node_refuse(cfg, NULL, "log.yaml: a work log must be a mapping of fields");
}

static void test_config__log_refuses_unknown_and_missing_fields(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "summary: x\ndays: 1\ncolour: red\n",
		   "log.yaml:3:1: unknown field 'colour' (the workflow 'wf' does "
		   "not declare it)");
	log_refuse(cfg, "summary: x\n",
		   "log.yaml:1:1: required field 'days' is missing");
	log_refuse(cfg, "days: 1\n",
		   "log.yaml:1:1: required field 'summary' is missing");
}

static void test_config__log_checks_text(void **state)
{
	const cl_config *cfg = *state;
	char *text;

	log_refuse(cfg, "summary: [a]\ndays: 1\n",
		   "log.yaml:1:10: field 'summary' must be text, not a list");
	log_refuse(cfg, "summary: {a: b}\ndays: 1\n",
		   "log.yaml:1:10: field 'summary' must be text, not a mapping");
	log_refuse(cfg, "summary: abcdefghijklmnopqrstu\ndays: 1\n",
		   "log.yaml:1:10: field 'summary' must have at most 20 characters, "
		   "not 21");
	log_refuse(cfg, "summary: ''\ndays: 1\n",
		   "log.yaml:1:10: field 'summary' must have at least 1 characters, "
		   "not 0");
	/* lengths are counted in characters, not bytes: 20 CJK chars pass */
	text = log_ok(cfg, "summary: 巍山巍山巍山巍山巍山巍山巍山巍山巍山巍山\ndays: 1\n");
	assert_string_equal(text, "summary: 巍山巍山巍山巍山巍山巍山巍山巍山巍山巍山\n"
				  "days: 1\n");
	free(text);
	log_refuse(cfg, "summary: 巍山巍山巍山巍山巍山巍山巍山巍山巍山巍山县\ndays: 1\n",
		   "log.yaml:1:10: field 'summary' must have at most 20 characters, "
		   "not 21");
}

static void test_config__log_refuses_nul_and_control_characters(void **state)
{
	const cl_config *cfg = *state;
	cl_ynode *log = cl_ynode_new_map(), *s = cl_ynode_new_str("a?b");

	/* built trees (line 0) carry no position; the parser would refuse
	 * these bytes itself, so the validator is tested on its own */
	s->str[1] = '\0';
	cl_ynode_set(log, "summary", s);
	cl_ynode_set(log, "days", cl_ynode_new_plain("1"));
	log_node_refuse(cfg, log, "log.yaml: field 'summary' has a NUL, a control "
			"character or invalid UTF-8");
	s->str[1] = '\x01';
	log_node_refuse(cfg, log, "log.yaml: field 'summary' has a NUL, a control "
			"character or invalid UTF-8");
	s->str[1] = '\r';
	log_node_refuse(cfg, log, "log.yaml: field 'summary' has a NUL, a control "
			"character or invalid UTF-8");
	s->str[1] = '\xff';
	log_node_refuse(cfg, log, "log.yaml: field 'summary' has a NUL, a control "
			"character or invalid UTF-8");
	s->str[1] = '-';
	cl_ynode_set(log, "start", cl_ynode_new_str("2022-05-0\x01"));
	log_node_refuse(cfg, log, "log.yaml: field 'start' has a NUL, a control "
			"character or invalid UTF-8");
	cl_ynode_free(log);
}

static void test_config__log_checks_integers(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "summary: x\ndays: 185\n",
		   "log.yaml:2:7: field 'days' must be at most 184, not 185");
	log_refuse(cfg, "summary: x\ndays: -1\n",
		   "log.yaml:2:7: field 'days' must be at least 0, not -1");
	log_refuse(cfg, "summary: x\ndays: '12'\n",
		   "log.yaml:2:7: field 'days' must be an integer, not '12'");
	log_refuse(cfg, "summary: x\ndays: 1.5\n",
		   "log.yaml:2:7: field 'days' must be an integer, not '1.5'");
	log_refuse(cfg, "summary: x\ndays: 0x10\n",
		   "log.yaml:2:7: field 'days' must be an integer, not '0x10'");
	log_refuse(cfg, "summary: x\ndays: +5\n",
		   "log.yaml:2:7: field 'days' must be an integer, not '+5'");
	log_refuse(cfg, "summary: x\ndays: 99999999999999999999\n",
		   "log.yaml:2:7: field 'days' must be an integer, not "
		   "'99999999999999999999'");
	log_refuse(cfg, "summary: x\ndays: [1]\n",
		   "log.yaml:2:7: field 'days' must be an integer, not a list");
}

static void test_config__log_checks_dates(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "summary: x\ndays: 1\nstart: 2022-02-30\n",
		   "log.yaml:3:8: field 'start' must be a date YYYY-MM-DD, not "
		   "'2022-02-30'");
	log_refuse(cfg, "summary: x\ndays: 1\nstart: 2022-5-1\n",
		   "log.yaml:3:8: field 'start' must be a date YYYY-MM-DD, not "
		   "'2022-5-1'");
	log_refuse(cfg, "summary: x\ndays: 1\nstart: 2021-12-31\n",
		   "log.yaml:3:8: field 'start' must be on or after 2022-01-01, not "
		   "'2021-12-31'");
	log_refuse(cfg, "summary: x\ndays: 1\nstart: 2023-01-01\n",
		   "log.yaml:3:8: field 'start' must be on or before 2022-12-31, not "
		   "'2023-01-01'");
	log_refuse(cfg, "summary: x\ndays: 1\nstart: {d: 1}\n",
		   "log.yaml:3:8: field 'start' must be a date, not a mapping");
}

static void test_config__log_checks_lists(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "summary: x\ndays: 1\ntags: a\n",
		   "log.yaml:3:7: field 'tags' must be a list");
	log_refuse(cfg, "summary: x\ndays: 1\ntags: []\n",
		   "log.yaml:3:7: field 'tags' must have at least 1 items, not 0");
	log_refuse(cfg, "summary: x\ndays: 1\ntags: [a, d]\n",
		   "log.yaml:3:11: field 'tags': unknown choice 'd'");
	log_refuse(cfg, "summary: x\ndays: 1\ntags: [a, b, a]\n",
		   "log.yaml:3:14: field 'tags': duplicate item 'a'");
	log_refuse(cfg, "summary: x\ndays: 1\ntags: [a, 'x y']\n",
		   "log.yaml:3:11: field 'tags': item 2 must be an id, not 'x y'");
	log_refuse(cfg, "summary: x\ndays: 1\ntags: [[a]]\n",
		   "log.yaml:3:8: field 'tags': item 1 must be an id, "
		   "not 'a collection'");
}

static void test_config__log_list_from_needs(void **state)
{
	const cl_config *cfg = *state;

	log_refuse(cfg, "summary: x\ndays: 1\nneeds: [n1, n2, n1]\n",
		   "log.yaml:3:8: field 'needs' must have at most 2 items, not 3");
	log_refuse(cfg, "summary: x\ndays: 1\nneeds: [n9]\n",
		   "log.yaml:3:9: field 'needs': unknown need 'n9'");
	log_refuse(cfg, "summary: x\ndays: 1\nneeds: [n1, n1]\n",
		   "log.yaml:3:13: field 'needs': duplicate item 'n1'");
	/* a need id is not a plain choice of another list */
	log_refuse(cfg, "summary: x\ndays: 1\ntags: [n1]\n",
		   "log.yaml:3:8: field 'tags': unknown choice 'n1'");
}

static void test_config__sample_bad_log_is_refused(void **state)
{
	static const char *const names[] = { CL_CONFIG_WORKFLOW, CL_CONFIG_ORG,
		CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS };
	static const char *const paths[] = {
		CL_SOURCE_ROOT "/workflows/three-level.yaml",
		CL_SOURCE_ROOT "/records/sample/org.yaml",
		CL_SOURCE_ROOT "/records/sample/people.yaml",
		CL_SOURCE_ROOT "/records/sample/needs.yaml",
	};
	const char *log_path = CL_SOURCE_ROOT "/records/sample/logs/bad-days.yaml";
	cl_buf bufs[4] = { CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT };
	cl_buf logb = CL_BUF_INIT;
	cl_config_file files[4];
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = NULL;
	cl_ynode *log = NULL, *out = NULL;
	char msg[1024];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(cl_buf_read_file(&bufs[i], paths[i],
						  CL_CONFIG_MAX_BYTES, &err), 0);
		files[i].name = names[i];
		files[i].path = paths[i];
		files[i].data = bufs[i].ptr;
		files[i].len = bufs[i].size;
	}
	assert_int_equal(cl_config_load(&cfg, files, 4, &err), 0);
	assert_int_equal(cfg->org->nunits, 107);
	assert_int_equal(cfg->needs->nneeds, 140);
	assert_int_equal(cl_buf_read_file(&logb, log_path, CL_LOG_MAX_BYTES, &err), 0);
	assert_int_equal(cl_yaml_parse(&log, log_path, logb.ptr, logb.size,
				       CL_LOG_MAX_BYTES, &err), 0);
	assert_int_equal(cl_config_check_log(&out, cfg, log_path, log, &err),
			 CL_EINVALID);
	assert_null(out);
	snprintf(msg, sizeof(msg), "%s:6:18: field 'days_in_village' must be at "
		 "most 184, not 200", log_path);
	assert_string_equal(err.msg, msg);
	cl_ynode_free(log);
	cl_buf_release(&logb);
	cl_config_free(cfg);
	for (i = 0; i < 4; i++)
		cl_buf_release(&bufs[i]);
}

#define WITH_CFG(t) cmocka_unit_test_setup_teardown(t, setup_cfg, teardown_cfg)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__org_loads_units_and_links_parents),
		cmocka_unit_test(test_config__org_refuses_unknown_parent),
		cmocka_unit_test(test_config__org_refuses_cycles),
		cmocka_unit_test(test_config__org_refuses_bad_units),
		cmocka_unit_test(test_config__org_refuses_unit_without_name),
		WITH_CFG(test_config__people_loads_roles_and_talents),
		cmocka_unit_test(test_config__people_refuses_unknown_units),
		cmocka_unit_test(test_config__people_refuses_duplicates_and_bad_values),
		cmocka_unit_test(test_config__people_refuses_bad_dates_and_terms),
		cmocka_unit_test(test_config__people_one_day_term_is_fine),
		cmocka_unit_test(test_config__people_refuses_missing_first_secretary),
		WITH_CFG(test_config__needs_loads_catalogue),
		cmocka_unit_test(test_config__needs_refuses_bad_entries),
		cmocka_unit_test(test_config__load_needs_three_files),
		cmocka_unit_test(test_config__load_reports_the_file_path),
		cmocka_unit_test(test_config__load_refuses_unknown_unit_type_in_level),
		cmocka_unit_test(test_config__load_refuses_level_nobody_could_review),
		cmocka_unit_test(test_config__load_accepts_level_without_type),
		cmocka_unit_test(test_config__load_refuses_config_without_admin),
		cmocka_unit_test(test_config__load_refuses_choices_from_without_needs),
		WITH_CFG(test_config__reviewers_walk_up_from_the_served_unit),
		WITH_CFG(test_config__reviewers_of_the_dispatcher),
		WITH_CFG(test_config__reviewers_none_for_non_talents),
		cmocka_unit_test(test_config__reviewers_none_when_no_unit_of_type),
		cmocka_unit_test(test_config__reviewers_many_holders),
		WITH_CFG(test_config__log_normalizes_in_field_order),
		WITH_CFG(test_config__log_must_be_a_mapping),
		WITH_CFG(test_config__log_refuses_unknown_and_missing_fields),
		WITH_CFG(test_config__log_checks_text),
		WITH_CFG(test_config__log_refuses_nul_and_control_characters),
		WITH_CFG(test_config__log_checks_integers),
		WITH_CFG(test_config__log_checks_dates),
		WITH_CFG(test_config__log_checks_lists),
		WITH_CFG(test_config__log_list_from_needs),
		cmocka_unit_test(test_config__sample_bad_log_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
