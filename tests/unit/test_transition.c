/*
 * test_transition.c - unit tests for engine/transition.c on the bundled
 * sample (workflows/three-level.yaml and records/sample/{org,people,
 * needs}.yaml, read from CL_SOURCE_ROOT): a full cycle through the three
 * levels with the right reviewers, the grade at the last level, reject
 * back to the talent and resubmission (round + 1), withdraw only before
 * review, unknown people, periods outside the term, invalid logs, and the
 * exact commit messages; plus a small custom config for one person
 * holding the reviewer role at two levels and on_reject: previous.
 * cl_transition_waiting is checked at every step.
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
#include "machine.h"
#include "record.h"
#include "transition.h"
#include "util.h"
#include "yaml.h"

#define SAMPLE CL_SOURCE_ROOT "/records/sample"
#define LOG_T001 SAMPLE "/logs/t001-2022H2.yaml"
#define LOG_T002 SAMPLE "/logs/t002-2022H2.yaml"
#define LOG_T003 SAMPLE "/logs/t003-2022H2.yaml"
#define LOG_BAD SAMPLE "/logs/bad-days.yaml"

#define T0 1671091200 /* 2022-12-15T08:00:00Z */
#define HOUR 3600

typedef struct world {
	cl_config *cfg;
	cl_machine *m;
	cl_ynode *log;     /* a valid log for the world's talents */
	const char *log_file;
} world;

/* ---- helpers ---- */

static cl_config *load_config(const char *const paths[4], size_t n)
{
	static const char *const names[] = { CL_CONFIG_WORKFLOW, CL_CONFIG_ORG,
		CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS };
	cl_buf bufs[4] = { CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT };
	cl_config_file files[4];
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = NULL;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		assert_int_equal(cl_buf_read_file(&bufs[i], paths[i],
						  CL_CONFIG_MAX_BYTES, &err), 0);
		files[i].name = names[i];
		files[i].path = paths[i];
		files[i].data = bufs[i].ptr;
		files[i].len = bufs[i].size;
	}
	rc = cl_config_load(&cfg, files, n, &err);
	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	for (i = 0; i < n; i++)
		cl_buf_release(&bufs[i]);
	return cfg;
}

static cl_ynode *load_log(const char *path)
{
	cl_buf b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_ynode *log = NULL;

	assert_int_equal(cl_buf_read_file(&b, path, CL_LOG_MAX_BYTES, &err), 0);
	assert_int_equal(cl_yaml_parse(&log, path, b.ptr, b.size, CL_LOG_MAX_BYTES,
				       &err), 0);
	cl_buf_release(&b);
	return log;
}

static void compile(world *w)
{
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_machine_compile(&w->m, w->cfg->workflow, &err), 0);
}

static int setup_sample(void **state)
{
	static const char *const paths[] = {
		CL_SOURCE_ROOT "/workflows/three-level.yaml",
		SAMPLE "/org.yaml", SAMPLE "/people.yaml", SAMPLE "/needs.yaml",
	};
	world *w = cl_xcalloc(1, sizeof(*w));

	w->cfg = load_config(paths, 4);
	compile(w);
	w->log = load_log(LOG_T001);
	w->log_file = LOG_T001;
	*state = w;
	return 0;
}

/*
 * A small config: "boss" is the secretary of village v and of township
 * tw (so could review two levels), "tw2" a second township secretary,
 * "self" a talent who is also a secretary of the village served; on a
 * rejection the record goes back one level.
 */
static const char CUSTOM_WORKFLOW[] =
	"workflow:\n"
	"  id: small\n"
	"  title: Small\n"
	"  version: 7\n"
	"  admin_role: admin\n"
	"  on_reject: previous\n"
	"  fields: [{name: summary, type: text, required: true}]\n"
	"  levels:\n"
	"    - {id: village, title: V,\n"
	"       reviewer: {role: secretary, of: served, type: village}}\n"
	"    - {id: township, title: T,\n"
	"       reviewer: {role: secretary, of: served, type: township}}\n"
	"    - id: department\n"
	"      title: D\n"
	"      reviewer: {role: secretary, of: dispatcher}\n"
	"      approve: {comment: required, grades: [good, bad]}\n";
static const char CUSTOM_ORG[] =
	"types: [county, township, village, department]\n"
	"units:\n"
	"  - {id: c, name: C, type: county}\n"
	"  - {id: tw, name: TW, type: township, parent: c}\n"
	"  - {id: v, name: V, type: village, parent: tw}\n"
	"  - {id: dep, name: Dep, type: department, parent: c}\n";
static const char CUSTOM_PEOPLE[] =
	"people:\n"
	"  - {id: admin, name: A, roles: [{role: admin, unit: c}]}\n"
	"  - id: boss\n"
	"    name: Boss\n"
	"    roles:\n"
	"      - {role: secretary, unit: v}\n"
	"      - {role: secretary, unit: tw}\n"
	"  - {id: tw2, name: TW2, roles: [{role: secretary, unit: tw}]}\n"
	"  - {id: sdep, name: SD, roles: [{role: secretary, unit: dep}]}\n"
	"  - id: t\n"
	"    name: T\n"
	"    talent: {serves: v, dispatched_by: dep, mode: resident,\n"
	"             first_secretary: true, from: 2022-01-01, to: 2022-12-31}\n"
	"  - id: self\n"
	"    name: Self\n"
	"    roles: [{role: secretary, unit: v}]\n"
	"    talent: {serves: v, dispatched_by: dep, mode: resident,\n"
	"             first_secretary: true, from: 2022-01-01, to: 2022-12-31}\n";

static int setup_custom(void **state)
{
	cl_config_file files[3] = {
		{ CL_CONFIG_WORKFLOW, "workflow.yaml", CUSTOM_WORKFLOW,
		  sizeof(CUSTOM_WORKFLOW) - 1 },
		{ CL_CONFIG_ORG, "org.yaml", CUSTOM_ORG, sizeof(CUSTOM_ORG) - 1 },
		{ CL_CONFIG_PEOPLE, "people.yaml", CUSTOM_PEOPLE,
		  sizeof(CUSTOM_PEOPLE) - 1 },
	};
	cl_error err = CL_ERROR_INIT;
	world *w = cl_xcalloc(1, sizeof(*w));
	int rc = cl_config_load(&w->cfg, files, 3, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	compile(w);
	assert_int_equal(cl_yaml_parse(&w->log, "log.yaml", "summary: done\n", 14,
				       CL_LOG_MAX_BYTES, &err), 0);
	w->log_file = "log.yaml";
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;

	cl_ynode_free(w->log);
	cl_machine_free(w->m);
	cl_config_free(w->cfg);
	free(w);
	return 0;
}

static cl_request req_make(cl_action a, const char *id, const char *actor,
			   int64_t t)
{
	cl_request r;

	memset(&r, 0, sizeof(r));
	r.action = a;
	r.record_id = id;
	r.actor = actor;
	r.time = t;
	return r;
}

static char *serialize(const cl_record *r)
{
	cl_buf b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_record_serialize(&b, r, &err), 0);
	return cl_buf_detach(&b);
}

/* The ids cl_transition_waiting returns, joined with ','. */
static void waiting_of(char *got, size_t size, const world *w, const cl_record *r)
{
	const char **ids = NULL;
	size_t n = 99, i, o = 0;

	assert_int_equal(cl_transition_waiting(&ids, &n, w->cfg, w->m, r), 0);
	got[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(got + o, size - o, "%s%s", i ? "," : "", ids[i]);
	free(ids);
}

/* What the index computes from the trailers alone (cl_transition_replay
 * over r's trail) is what the record file says: state, level, since, the
 * round's approvals, and so who waits on it. */
static void replay_matches(const world *w, const cl_record *r)
{
	cl_record p;
	char want[512], got[512];
	size_t i;

	memset(&p, 0, sizeof(p));
	p.id = r->id;
	p.period = r->period;
	p.talent = r->talent;
	for (i = 0; i < r->ntrail; i++)
		cl_transition_replay(&p, w->m, r->trail[i].action, r->trail[i].actor,
				     r->trail[i].level, r->trail[i].to, r->trail[i].grade,
				     r->trail[i].at);
	assert_string_equal(p.state, r->state);
	if (r->level)
		assert_string_equal(p.level, r->level);
	else
		assert_null(p.level);
	assert_int_equal(p.since, r->since);
	assert_int_equal(p.round, r->round);
	assert_int_equal(p.napprovals, r->napprovals);
	for (i = 0; i < r->napprovals; i++) {
		assert_string_equal(p.approvals[i].level, r->approvals[i].level);
		assert_string_equal(p.approvals[i].actor, r->approvals[i].actor);
		assert_int_equal(p.approvals[i].at, r->approvals[i].at);
	}
	waiting_of(want, sizeof(want), w, r);
	waiting_of(got, sizeof(got), w, &p);
	assert_string_equal(got, want);
	cl_record_clear_approvals(&p);
	free(p.state);
	free(p.level);
}

/* Applies req to old; asserts success, that old is untouched, and that
 * the new record's replay from its trail agrees with it. */
static cl_record *apply_ok(const world *w, const cl_record *old,
			   const cl_request *req)
{
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;
	char *before = old ? serialize(old) : NULL, *after;
	int rc = cl_transition_apply(&r, w->cfg, w->m, old, req, &err);

	if (rc != 0)
		print_error("unexpected refusal: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	if (old) {
		after = serialize(old);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	replay_matches(w, r);
	return r;
}

static void apply_refuse(const world *w, const cl_record *old,
			 const cl_request *req, int code, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_record *r = (cl_record *)&err;
	int rc = cl_transition_apply(&r, w->cfg, w->m, old, req, &err);

	if (rc != code)
		print_error("expected '%s', got rc %d: %s\n", msg, rc, err.msg);
	assert_int_equal(rc, code);
	assert_null(r);
	assert_string_equal(err.msg, msg);
}

/* Who waits on r is want. */
static void waiting_is(const world *w, const cl_record *r, const char *want)
{
	char got[512];

	waiting_of(got, sizeof(got), w, r);
	assert_string_equal(got, want);
}

static void message_is(const cl_record *old, const cl_record *r,
		       const cl_request *req, const char *want)
{
	cl_buf b = CL_BUF_INIT;

	cl_transition_message(&b, old, r, req);
	assert_string_equal(b.ptr, want);
	cl_buf_release(&b);
}

static void assert_trail(const cl_trail *t, const char *action, const char *actor,
			 const char *level, const char *from, const char *to,
			 const char *grade, const char *comment, int64_t at)
{
	assert_string_equal(t->action, action);
	assert_string_equal(t->actor, actor);
	if (level)
		assert_string_equal(t->level, level);
	else
		assert_null(t->level);
	assert_string_equal(t->from, from);
	assert_string_equal(t->to, to);
	if (grade)
		assert_string_equal(t->grade, grade);
	else
		assert_null(t->grade);
	if (comment)
		assert_string_equal(t->comment, comment);
	else
		assert_null(t->comment);
	assert_int_equal(t->at, at);
}

static cl_record *submit(const world *w, const cl_record *old, const char *id,
			 const char *talent, int64_t t)
{
	cl_request q = req_make(CL_ACTION_SUBMIT, id, talent, t);

	q.log = w->log;
	q.log_file = w->log_file;
	return apply_ok(w, old, &q);
}

/* ---- the sample ---- */

static void test_transition__full_cycle_through_three_levels(void **state)
{
	world *w = *state;
	cl_request q;
	cl_record *r0, *r1, *r2, *r3;
	const cl_ynode *f;
	char *text;
	cl_record *parsed = NULL;
	cl_error err = CL_ERROR_INIT;

	/* submit */
	q = req_make(CL_ACTION_SUBMIT, "2022H2/t001", "t001", T0);
	q.log = w->log;
	q.log_file = LOG_T001;
	r0 = apply_ok(w, NULL, &q);
	assert_string_equal(r0->id, "2022H2/t001");
	assert_string_equal(r0->period, "2022H2");
	assert_string_equal(r0->talent, "t001");
	assert_string_equal(r0->state, "pending-village");
	assert_string_equal(r0->level, "village");
	assert_string_equal(r0->workflow, "weishan-three-level@1");
	assert_int_equal(r0->round, 1);
	assert_int_equal(r0->since, T0);
	assert_int_equal(r0->napprovals, 0);
	assert_int_equal(r0->ntrail, 1);
	assert_trail(&r0->trail[0], "submit", "t001", NULL, "none",
		     "pending-village", NULL, NULL, T0);
	f = cl_ynode_get(r0->fields, "days_in_village");
	assert_string_equal(f->str, "142");
	f = cl_ynode_get(r0->fields, "needs");
	assert_int_equal(f->n, 2);
	assert_string_equal(f->items[1]->str, "n002");
	assert_non_null(cl_ynode_get(r0->fields, "achievements"));
	message_is(NULL, r0, &q,
		   "submit 2022H2/t001 (none -> pending-village)\n"
		   "\n"
		   "Record: 2022H2/t001\n"
		   "Action: submit\n"
		   "Actor: t001\n"
		   "From: none\n"
		   "To: pending-village\n");
	waiting_is(w, r0, "v-nanzhao-01");

	/* village: only the secretary of nanzhao-01 */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "v-nanzhao-01", T0 + HOUR);
	r1 = apply_ok(w, r0, &q);
	assert_string_equal(r1->state, "pending-township");
	assert_string_equal(r1->level, "township");
	assert_int_equal(r1->round, 1);
	assert_int_equal(r1->since, T0 + HOUR);
	assert_int_equal(r1->napprovals, 1);
	assert_string_equal(r1->approvals[0].level, "village");
	assert_string_equal(r1->approvals[0].actor, "v-nanzhao-01");
	assert_null(r1->approvals[0].grade);
	assert_int_equal(r1->approvals[0].at, T0 + HOUR);
	assert_int_equal(r1->ntrail, 2);
	assert_trail(&r1->trail[1], "approve", "v-nanzhao-01", "village",
		     "pending-village", "pending-township", NULL, NULL, T0 + HOUR);
	message_is(r0, r1, &q,
		   "approve 2022H2/t001 (pending-village -> pending-township)\n"
		   "\n"
		   "Record: 2022H2/t001\n"
		   "Action: approve\n"
		   "Actor: v-nanzhao-01\n"
		   "From: pending-village\n"
		   "To: pending-township\n"
		   "Level: village\n");
	waiting_is(w, r1, "tw-nanzhao");

	/* township, with a comment */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "tw-nanzhao", T0 + 2 * HOUR);
	q.comment = "Well documented.\n\nKeep it up.";
	r2 = apply_ok(w, r1, &q);
	assert_string_equal(r2->state, "pending-department");
	assert_string_equal(r2->level, "department");
	assert_int_equal(r2->napprovals, 2);
	assert_string_equal(r2->approvals[1].actor, "tw-nanzhao");
	assert_trail(&r2->trail[2], "approve", "tw-nanzhao", "township",
		     "pending-township", "pending-department", NULL,
		     "Well documented.\n\nKeep it up.", T0 + 2 * HOUR);
	message_is(r1, r2, &q,
		   "approve 2022H2/t001 (pending-township -> pending-department)\n"
		   "\n"
		   "Well documented.\n"
		   "\n"
		   "Keep it up.\n"
		   "\n"
		   "Record: 2022H2/t001\n"
		   "Action: approve\n"
		   "Actor: tw-nanzhao\n"
		   "From: pending-township\n"
		   "To: pending-department\n"
		   "Level: township\n");
	waiting_is(w, r2, "d-agri");

	/* department: the dispatcher's secretary, with a grade */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "d-agri", T0 + 3 * HOUR);
	q.grade = "excellent";
	r3 = apply_ok(w, r2, &q);
	assert_string_equal(r3->state, "approved");
	assert_null(r3->level);
	assert_int_equal(r3->round, 1);
	assert_int_equal(r3->since, T0 + 3 * HOUR);
	assert_int_equal(r3->napprovals, 3);
	assert_string_equal(r3->approvals[2].level, "department");
	assert_string_equal(r3->approvals[2].actor, "d-agri");
	assert_string_equal(r3->approvals[2].grade, "excellent");
	assert_int_equal(r3->ntrail, 4);
	assert_trail(&r3->trail[3], "approve", "d-agri", "department",
		     "pending-department", "approved", "excellent", NULL,
		     T0 + 3 * HOUR);
	message_is(r2, r3, &q,
		   "approve 2022H2/t001 (pending-department -> approved)\n"
		   "\n"
		   "Record: 2022H2/t001\n"
		   "Action: approve\n"
		   "Actor: d-agri\n"
		   "From: pending-department\n"
		   "To: approved\n"
		   "Level: department\n"
		   "Grade: excellent\n");
	waiting_is(w, r3, "");

	/* approved is final */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "d-agri", T0 + 4 * HOUR);
	q.grade = "basic";
	{
		cl_record *x = (cl_record *)&err;
		int rc = cl_transition_apply(&x, w->cfg, w->m, r3, &q, &err);

		assert_true(rc < 0);
		assert_null(x);
		assert_string_equal(err.msg, "2022H2/t001: cannot approve a record "
				    "in state 'approved'");
		q = req_make(CL_ACTION_SUBMIT, "2022H2/t001", "t001", T0 + 4 * HOUR);
		q.log = w->log;
		q.log_file = LOG_T001;
		rc = cl_transition_apply(&x, w->cfg, w->m, r3, &q, &err);
		assert_true(rc < 0);
		assert_string_equal(err.msg, "2022H2/t001: cannot submit a record "
				    "in state 'approved'");
	}

	/* the result is a record verify could read back */
	text = serialize(r3);
	assert_int_equal(cl_record_parse(&parsed, "r.yaml", text, strlen(text),
					 &err), 0);
	free(text);
	text = serialize(parsed);
	{
		char *again = serialize(r3);

		assert_string_equal(text, again);
		free(again);
	}
	free(text);
	cl_record_free(parsed);
	cl_record_free(r0);
	cl_record_free(r1);
	cl_record_free(r2);
	cl_record_free(r3);
}

static void test_transition__only_the_level_reviewers_act(void **state)
{
	world *w = *state;
	cl_record *r0 = submit(w, NULL, "2022H2/t001", "t001", T0), *r1;
	cl_request q;

	/* the next level's reviewer, another village's, the admin */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "tw-nanzhao", T0 + 1);
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only a reviewer of level 'village' may "
		     "approve it now, and 'tw-nanzhao' is not one");
	q.actor = "v-nanzhao-02";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only a reviewer of level 'village' may "
		     "approve it now, and 'v-nanzhao-02' is not one");
	q.actor = "admin";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only a reviewer of level 'village' may "
		     "approve it now, and 'admin' is not one");
	q.actor = "t001";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: nobody may approve their own record");
	q = req_make(CL_ACTION_REJECT, "2022H2/t001", "d-agri", T0 + 1);
	q.comment = "no";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only a reviewer of level 'village' may "
		     "reject it now, and 'd-agri' is not one");
	/* a grade where the level has none */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "v-nanzhao-01", T0 + 1);
	q.grade = "excellent";
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: approve takes no grade here, got 'excellent'");

	/* at the department: a grade is required and must be listed */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "v-nanzhao-01", T0 + 2);
	r1 = apply_ok(w, r0, &q);
	cl_record_free(r0);
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "tw-nanzhao", T0 + 3);
	r0 = apply_ok(w, r1, &q);
	cl_record_free(r1);
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "d-agri", T0 + 4);
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: level 'department' needs a grade to approve "
		     "(--grade one of: excellent, competent, basic, incompetent)");
	q.grade = "superb";
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: unknown grade 'superb' for level 'department'");
	q.grade = "a b";
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: unknown grade '(invalid)' for level 'department'");
	/* another department's secretary */
	q.actor = "d-water";
	q.grade = "basic";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only a reviewer of level 'department' may "
		     "approve it now, and 'd-water' is not one");
	cl_record_free(r0);
}

static void test_transition__reject_returns_to_talent_and_resubmit(void **state)
{
	world *w = *state;
	cl_record *r0, *r1, *r2, *r3;
	cl_request q;

	r0 = submit(w, NULL, "2022H2/t002", "t002", T0);
	waiting_is(w, r0, "v-nanzhao-02");
	q = req_make(CL_ACTION_APPROVE, "2022H2/t002", "v-nanzhao-02", T0 + HOUR);
	r1 = apply_ok(w, r0, &q);

	/* a rejection needs a comment */
	q = req_make(CL_ACTION_REJECT, "2022H2/t002", "tw-nanzhao", T0 + 2 * HOUR);
	apply_refuse(w, r1, &q, CL_EINVALID,
		     "2022H2/t002: reject at level 'township' needs a comment "
		     "(--comment)");
	q.grade = "excellent";
	q.comment = "x";
	apply_refuse(w, r1, &q, CL_EINVALID,
		     "2022H2/t002: reject takes no grade here, got 'excellent'");
	q.grade = NULL;
	q.comment = "Add the training dates.";
	r2 = apply_ok(w, r1, &q);
	assert_string_equal(r2->state, "returned");
	assert_null(r2->level);
	assert_int_equal(r2->round, 1);
	assert_int_equal(r2->since, T0 + 2 * HOUR);
	assert_int_equal(r2->napprovals, 0); /* approvals cleared */
	assert_int_equal(r2->ntrail, 3);
	assert_trail(&r2->trail[2], "reject", "tw-nanzhao", "township",
		     "pending-township", "returned", NULL,
		     "Add the training dates.", T0 + 2 * HOUR);
	message_is(r1, r2, &q,
		   "reject 2022H2/t002 (pending-township -> returned)\n"
		   "\n"
		   "Add the training dates.\n"
		   "\n"
		   "Record: 2022H2/t002\n"
		   "Action: reject\n"
		   "Actor: tw-nanzhao\n"
		   "From: pending-township\n"
		   "To: returned\n"
		   "Level: township\n");
	waiting_is(w, r2, "t002");

	/* only the talent resubmits; round + 1 */
	q = req_make(CL_ACTION_SUBMIT, "2022H2/t002", "v-nanzhao-02", T0 + 3 * HOUR);
	q.log = w->log;
	q.log_file = LOG_T001;
	apply_refuse(w, r2, &q, CL_EDENIED,
		     "2022H2/t002: only the record's talent may submit it");
	cl_ynode_free(w->log);
	w->log = load_log(LOG_T002);
	r3 = submit(w, r2, "2022H2/t002", "t002", T0 + 3 * HOUR);
	assert_string_equal(r3->state, "pending-village");
	assert_string_equal(r3->level, "village");
	assert_int_equal(r3->round, 2);
	assert_int_equal(r3->napprovals, 0);
	assert_int_equal(r3->ntrail, 4);
	assert_trail(&r3->trail[3], "submit", "t002", NULL, "returned",
		     "pending-village", NULL, NULL, T0 + 3 * HOUR);
	assert_string_equal(cl_ynode_get(r3->fields, "days_in_village")->str, "128");
	assert_null(cl_ynode_get(r3->fields, "achievements"));
	waiting_is(w, r3, "v-nanzhao-02");
	message_is(r2, r3, &q,
		   "submit 2022H2/t002 (returned -> pending-village)\n"
		   "\n"
		   "Record: 2022H2/t002\n"
		   "Action: submit\n"
		   "Actor: t002\n"
		   "From: returned\n"
		   "To: pending-village\n");
	cl_record_free(r0);
	cl_record_free(r1);
	cl_record_free(r2);
	cl_record_free(r3);
}

static void test_transition__withdraw_only_before_review(void **state)
{
	world *w = *state;
	cl_record *r0, *r1, *r2, *r3;
	cl_request q;

	r0 = submit(w, NULL, "2022H2/t001", "t001", T0);
	q = req_make(CL_ACTION_WITHDRAW, "2022H2/t001", "v-nanzhao-01", T0 + 1);
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: only the record's talent may withdraw it");
	q.actor = "t001";
	r1 = apply_ok(w, r0, &q);
	assert_string_equal(r1->state, "withdrawn");
	assert_null(r1->level);
	assert_int_equal(r1->round, 1);
	assert_trail(&r1->trail[1], "withdraw", "t001", NULL, "pending-village",
		     "withdrawn", NULL, NULL, T0 + 1);
	message_is(r0, r1, &q,
		   "withdraw 2022H2/t001 (pending-village -> withdrawn)\n"
		   "\n"
		   "Record: 2022H2/t001\n"
		   "Action: withdraw\n"
		   "Actor: t001\n"
		   "From: pending-village\n"
		   "To: withdrawn\n");
	waiting_is(w, r1, "t001");
	apply_refuse(w, r1, &q, CL_EDENIED,
		     "2022H2/t001: cannot withdraw a record in state 'withdrawn'");

	/* resubmitting starts a new round */
	r2 = submit(w, r1, "2022H2/t001", "t001", T0 + 2);
	assert_int_equal(r2->round, 2);
	assert_string_equal(r2->trail[2].from, "withdrawn");

	/* after the first level approved, it is too late */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "v-nanzhao-01", T0 + 3);
	r3 = apply_ok(w, r2, &q);
	q = req_make(CL_ACTION_WITHDRAW, "2022H2/t001", "t001", T0 + 4);
	apply_refuse(w, r3, &q, CL_EDENIED,
		     "2022H2/t001: cannot withdraw a record in state "
		     "'pending-township'");
	cl_record_free(r0);
	cl_record_free(r1);
	cl_record_free(r2);
	cl_record_free(r3);
}

static void test_transition__unknown_people_are_not_found(void **state)
{
	world *w = *state;
	cl_record *r0 = submit(w, NULL, "2022H2/t001", "t001", T0);
	cl_request q;

	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "nobody", T0 + 1);
	apply_refuse(w, r0, &q, CL_ENOTFOUND, "2022H2/t001: unknown person 'nobody'");
	q.actor = "../etc";
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: '../etc' is not a valid person id (use 1-64 of A-Z a-z 0-9 . _ -)");
	q.actor = "";
	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t001: '' is not a valid person id (use 1-64 of A-Z a-z 0-9 . _ -)");
	q = req_make(CL_ACTION_SUBMIT, "2022H2/t999", "t999", T0);
	q.log = w->log;
	q.log_file = LOG_T001;
	apply_refuse(w, NULL, &q, CL_ENOTFOUND, "2022H2/t999: unknown person 't999'");
	/* a person who is not a talent has no records */
	q = req_make(CL_ACTION_SUBMIT, "2022H2/admin", "admin", T0);
	q.log = w->log;
	q.log_file = LOG_T001;
	apply_refuse(w, NULL, &q, CL_ENOTFOUND,
		     "2022H2/admin: 'admin' is not a talent");
	q = req_make(CL_ACTION_SUBMIT, "2022H2/t999", "t001", T0);
	q.log = w->log;
	q.log_file = LOG_T001;
	apply_refuse(w, NULL, &q, CL_ENOTFOUND, "2022H2/t999: 't999' is not a talent");
	/* a malformed record id */
	q = req_make(CL_ACTION_SUBMIT, "2022H3/t001", "t001", T0);
	q.log = w->log;
	q.log_file = LOG_T001;
	apply_refuse(w, NULL, &q, CL_EINVALID,
		     "record id '2022H3/t001' is not PERIOD/TALENT (e.g. 2022H2/t001)");
	cl_record_free(r0);
}

static void test_transition__period_must_overlap_the_term(void **state)
{
	world *w = *state;
	cl_request q;
	cl_record *r;

	cl_ynode_free(w->log);
	w->log = load_log(LOG_T003);
	/* t003: 2022-07-01 to 2023-06-30 */
	q = req_make(CL_ACTION_SUBMIT, "2023H2/t003", "t003", T0);
	q.log = w->log;
	q.log_file = LOG_T003;
	apply_refuse(w, NULL, &q, CL_EINVALID,
		     "2023H2/t003: period '2023H2' is outside the term of talent "
		     "'t003' (2022-07-01 to 2023-06-30)");
	q.record_id = "2022H1/t003";
	apply_refuse(w, NULL, &q, CL_EINVALID,
		     "2022H1/t003: period '2022H1' is outside the term of talent "
		     "'t003' (2022-07-01 to 2023-06-30)");
	q.record_id = "2023H1/t003";
	r = apply_ok(w, NULL, &q);
	assert_string_equal(r->period, "2023H1");
	assert_string_equal(r->state, "pending-village");
	cl_record_free(r);
	q.record_id = "2022H2/t003";
	r = apply_ok(w, NULL, &q);
	assert_string_equal(r->id, "2022H2/t003");
	waiting_is(w, r, "v-nanzhao-03");
	cl_record_free(r);
}

static void test_transition__submit_validates_the_log(void **state)
{
	world *w = *state;
	cl_ynode *bad = load_log(LOG_BAD);
	cl_request q = req_make(CL_ACTION_SUBMIT, "2022H2/t001", "t001", T0);

	q.log = bad;
	q.log_file = LOG_BAD;
	apply_refuse(w, NULL, &q, CL_EINVALID,
		     "2022H2/t001: " LOG_BAD ":6:18: field 'days_in_village' must "
		     "be at most 184, not 200");
	q.grade = "excellent";
	q.log = w->log;
	apply_refuse(w, NULL, &q, CL_EINVALID,
		     "2022H2/t001: submit takes no grade here, got 'excellent'");
	cl_ynode_free(bad);
}

static void test_transition__stored_record_must_match(void **state)
{
	world *w = *state;
	cl_record *r0 = submit(w, NULL, "2022H2/t001", "t001", T0), *big;
	cl_request q = req_make(CL_ACTION_APPROVE, "2022H2/t002", "v-nanzhao-02",
				T0 + 1);
	cl_trail t = { "submit", "t001", NULL, "returned", "pending-village",
		       NULL, NULL, T0 };
	int i;

	apply_refuse(w, r0, &q, CL_EINVALID,
		     "2022H2/t002: stored record does not match its id");
	free(r0->state);
	r0->state = cl_xstrdup("pending-county");
	q = req_make(CL_ACTION_APPROVE, "2022H2/t001", "v-nanzhao-01", T0 + 1);
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/t001: state 'pending-county' is not in workflow "
		     "'weishan-three-level@1'");
	free(r0->state);
	r0->state = cl_xstrdup("pending-village");

	/* the trail is capped */
	big = cl_record_dup(r0);
	for (i = 1; i < CL_RECORD_MAX_TRAIL; i++)
		cl_record_add_trail(big, &t);
	apply_refuse(w, big, &q, CL_EDENIED,
		     "2022H2/t001: record has reached its limit of transitions");
	cl_record_free(big);
	cl_record_free(r0);
}

/* ---- the custom config ---- */

static void test_transition__same_person_cannot_approve_two_levels(void **state)
{
	world *w = *state;
	cl_record *r0, *r1, *r2, *r3;
	cl_request q;

	r0 = submit(w, NULL, "2022H2/t", "t", T0);
	assert_string_equal(r0->workflow, "small@7");
	waiting_is(w, r0, "boss,self");
	q = req_make(CL_ACTION_APPROVE, "2022H2/t", "boss", T0 + 1);
	r1 = apply_ok(w, r0, &q);
	assert_string_equal(r1->state, "pending-township");
	/* boss holds the township role too, but approved the village */
	waiting_is(w, r1, "tw2");
	q.time = T0 + 2;
	apply_refuse(w, r1, &q, CL_EDENIED,
		     "2022H2/t: one person may not approve the same record at "
		     "two levels");
	q.actor = "tw2";
	r2 = apply_ok(w, r1, &q);
	assert_string_equal(r2->state, "pending-department");
	waiting_is(w, r2, "sdep");
	/* the department level needs a comment and one of its grades */
	q = req_make(CL_ACTION_APPROVE, "2022H2/t", "sdep", T0 + 3);
	q.grade = "good";
	apply_refuse(w, r2, &q, CL_EINVALID,
		     "2022H2/t: approve at level 'department' needs a comment "
		     "(--comment)");
	q.comment = "Fine.";
	q.grade = NULL;
	apply_refuse(w, r2, &q, CL_EINVALID,
		     "2022H2/t: level 'department' needs a grade to approve "
		     "(--grade one of: good, bad)");
	q.grade = "good";
	r3 = apply_ok(w, r2, &q);
	assert_string_equal(r3->state, "approved");
	assert_string_equal(r3->approvals[2].grade, "good");
	message_is(r2, r3, &q,
		   "approve 2022H2/t (pending-department -> approved)\n"
		   "\n"
		   "Fine.\n"
		   "\n"
		   "Record: 2022H2/t\n"
		   "Action: approve\n"
		   "Actor: sdep\n"
		   "From: pending-department\n"
		   "To: approved\n"
		   "Level: department\n"
		   "Grade: good\n");
	cl_record_free(r0);
	cl_record_free(r1);
	cl_record_free(r2);
	cl_record_free(r3);
}

static void test_transition__talent_never_reviews_own_record(void **state)
{
	world *w = *state;
	cl_record *r0;
	cl_request q;

	r0 = submit(w, NULL, "2022H2/self", "self", T0);
	/* "self" holds the village role, but not for their own record */
	waiting_is(w, r0, "boss");
	q = req_make(CL_ACTION_APPROVE, "2022H2/self", "self", T0 + 1);
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/self: nobody may approve their own record");
	q.action = CL_ACTION_REJECT;
	q.comment = "mine";
	apply_refuse(w, r0, &q, CL_EDENIED,
		     "2022H2/self: nobody may reject their own record");
	cl_record_free(r0);
}

static void test_transition__reject_to_previous_level(void **state)
{
	world *w = *state;
	cl_record *r0, *r1, *r2, *r3, *r4, *r5;
	cl_request q;

	r0 = submit(w, NULL, "2022H2/t", "t", T0);
	q = req_make(CL_ACTION_APPROVE, "2022H2/t", "boss", T0 + 1);
	r1 = apply_ok(w, r0, &q);
	q = req_make(CL_ACTION_APPROVE, "2022H2/t", "tw2", T0 + 2);
	r2 = apply_ok(w, r1, &q);
	/* the department sends it back to the township */
	q = req_make(CL_ACTION_REJECT, "2022H2/t", "sdep", T0 + 3);
	q.comment = "Township, check the numbers.";
	r3 = apply_ok(w, r2, &q);
	assert_string_equal(r3->state, "pending-township");
	assert_string_equal(r3->level, "township");
	assert_int_equal(r3->round, 1);
	assert_int_equal(r3->napprovals, 1); /* the township's is removed */
	assert_string_equal(r3->approvals[0].level, "village");
	assert_string_equal(r3->approvals[0].actor, "boss");
	message_is(r2, r3, &q,
		   "reject 2022H2/t (pending-department -> pending-township)\n"
		   "\n"
		   "Township, check the numbers.\n"
		   "\n"
		   "Record: 2022H2/t\n"
		   "Action: reject\n"
		   "Actor: sdep\n"
		   "From: pending-department\n"
		   "To: pending-township\n"
		   "Level: department\n");
	waiting_is(w, r3, "tw2");
	/* boss may reject at the township (only approving twice is barred) */
	q = req_make(CL_ACTION_REJECT, "2022H2/t", "boss", T0 + 4);
	q.comment = "Village, redo it.";
	r4 = apply_ok(w, r3, &q);
	assert_string_equal(r4->state, "pending-village");
	assert_int_equal(r4->napprovals, 0);
	waiting_is(w, r4, "boss,self");
	/* reviewed in this round: too late to withdraw */
	q = req_make(CL_ACTION_WITHDRAW, "2022H2/t", "t", T0 + 5);
	apply_refuse(w, r4, &q, CL_EDENIED,
		     "2022H2/t: withdraw is allowed only before the first review");
	/* the village rejects: back to the talent, who may resubmit */
	q = req_make(CL_ACTION_REJECT, "2022H2/t", "self", T0 + 5);
	q.comment = "x";
	r5 = apply_ok(w, r4, &q);
	assert_string_equal(r5->state, "returned");
	assert_null(r5->level);
	waiting_is(w, r5, "t");
	cl_record_free(r0);
	cl_record_free(r1);
	cl_record_free(r2);
	cl_record_free(r3);
	cl_record_free(r4);
	cl_record_free(r5);
}

static void test_transition__workflow_tag_is_that_of_the_latest_transition(void **state)
{
	(void)state;
	world *w = *state;
	world w8;
	cl_buf y = CL_BUF_INIT;
	cl_config_file files[3] = {
		{ CL_CONFIG_WORKFLOW, "workflow.yaml", NULL, 0 },
		{ CL_CONFIG_ORG, "org.yaml", CUSTOM_ORG, sizeof(CUSTOM_ORG) - 1 },
		{ CL_CONFIG_PEOPLE, "people.yaml", CUSTOM_PEOPLE,
		  sizeof(CUSTOM_PEOPLE) - 1 },
	};
	cl_error err = CL_ERROR_INIT;
	cl_record *r0, *r1;
	cl_request q;
	char *v;

	cl_buf_puts(&y, CUSTOM_WORKFLOW);
	v = strstr(y.ptr, "version: 7");
	v[9] = '8';
	files[0].data = y.ptr;
	files[0].len = y.size;
	memset(&w8, 0, sizeof(w8));
	assert_int_equal(cl_config_load(&w8.cfg, files, 3, &err), 0);
	compile(&w8);
	r0 = submit(w, NULL, "2022H2/t", "t", T0);
	assert_string_equal(r0->workflow, "small@7");
	q = req_make(CL_ACTION_APPROVE, "2022H2/t", "boss", T0 + 1);
	r1 = apply_ok(&w8, r0, &q);
	assert_string_equal(r1->workflow, "small@8");
	cl_record_free(r0);
	cl_record_free(r1);
	cl_machine_free(w8.m);
	cl_config_free(w8.cfg);
	cl_buf_release(&y);
}

#define SAMPLE_TEST(t) cmocka_unit_test_setup_teardown(t, setup_sample, teardown)
#define CUSTOM_TEST(t) cmocka_unit_test_setup_teardown(t, setup_custom, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SAMPLE_TEST(test_transition__full_cycle_through_three_levels),
		SAMPLE_TEST(test_transition__only_the_level_reviewers_act),
		SAMPLE_TEST(test_transition__reject_returns_to_talent_and_resubmit),
		SAMPLE_TEST(test_transition__withdraw_only_before_review),
		SAMPLE_TEST(test_transition__unknown_people_are_not_found),
		SAMPLE_TEST(test_transition__period_must_overlap_the_term),
		SAMPLE_TEST(test_transition__submit_validates_the_log),
		SAMPLE_TEST(test_transition__stored_record_must_match),
		CUSTOM_TEST(test_transition__same_person_cannot_approve_two_levels),
		CUSTOM_TEST(test_transition__talent_never_reviews_own_record),
		CUSTOM_TEST(test_transition__reject_to_previous_level),
		CUSTOM_TEST(test_transition__workflow_tag_is_that_of_the_latest_transition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
