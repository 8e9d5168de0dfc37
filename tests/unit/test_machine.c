/*
 * test_machine.c - unit tests for engine/machine.c: compiling 1-, 2-, 3-
 * and 5-level workflows into exact state and edge tables, on_reject talent
 * vs previous, lookups, action names, every refusal of cl_machine_check
 * (own record, non-reviewer, approving at two levels, withdraw after
 * review, non-talent submit, illegal action in a state) and the Graphviz
 * output.
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
#include "util.h"

static const char *const level_ids[] = { "village", "township", "department",
	"county", "province" };

typedef struct fixture {
	cl_workflow *wf;
	cl_machine *m;
} fixture;

/* Loads a workflow of n levels (ids from level_ids) and compiles it. */
static void build(fixture *f, size_t n, const char *on_reject)
{
	cl_buf y = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	size_t i;
	int rc;

	cl_buf_printf(&y, "workflow:\n  id: wf\n  title: T\n  version: 1\n"
		      "  admin_role: admin\n  on_reject: %s\n"
		      "  fields: [{name: summary, type: text}]\n  levels:\n",
		      on_reject);
	for (i = 0; i < n; i++)
		cl_buf_printf(&y, "    - {id: %s, title: L%zu, reviewer: "
			      "{role: r%zu, of: served}}\n", level_ids[i], i, i);
	rc = cl_workflow_load(&f->wf, "w.yaml", y.ptr, y.size, &err);
	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	rc = cl_machine_compile(&f->m, f->wf, &err);
	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_ptr_equal(f->m->workflow, f->wf);
	cl_buf_release(&y);
}

static void release(fixture *f)
{
	cl_machine_free(f->m);
	cl_workflow_free(f->wf);
}

static size_t st(const cl_machine *m, const char *name)
{
	size_t i = cl_machine_state(m, name);

	if (i == CL_NONE)
		print_error("no state '%s'\n", name);
	assert_int_not_equal(i, CL_NONE);
	return i;
}

/* The edge (from, a) exists, goes to `to`, by `who` at `level`. */
static void assert_edge(const cl_machine *m, const char *from, cl_action a,
			const char *to, cl_who who, size_t level)
{
	const cl_edge *e = cl_machine_edge(m, st(m, from), a);

	if (!e)
		print_error("no edge %s --%s-->\n", from, cl_action_name(a));
	assert_non_null(e);
	assert_string_equal(m->states[e->to].name, to);
	assert_int_equal(e->who, who);
	assert_int_equal(e->level, level);
	assert_int_equal(e->action, a);
	assert_int_equal(e->from, st(m, from));
}

static void assert_no_edge(const cl_machine *m, const char *from, cl_action a)
{
	assert_null(cl_machine_edge(m, st(m, from), a));
}

/* Every state of the machine, in table order, joined with spaces. */
static void state_names(char *out, size_t n, const cl_machine *m)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < m->nstates; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "",
				      m->states[i].name);
}

/* Checks the talent's edges, common to every machine. */
static void assert_talent_edges(const cl_machine *m, const char *first)
{
	assert_edge(m, "none", CL_ACTION_SUBMIT, first, CL_WHO_TALENT, CL_NONE);
	assert_edge(m, "returned", CL_ACTION_SUBMIT, first, CL_WHO_TALENT, CL_NONE);
	assert_edge(m, "withdrawn", CL_ACTION_SUBMIT, first, CL_WHO_TALENT, CL_NONE);
	assert_edge(m, first, CL_ACTION_WITHDRAW, "withdrawn", CL_WHO_TALENT, CL_NONE);
	assert_no_edge(m, "approved", CL_ACTION_SUBMIT);
	assert_no_edge(m, "approved", CL_ACTION_APPROVE);
	assert_no_edge(m, "approved", CL_ACTION_REJECT);
	assert_no_edge(m, "approved", CL_ACTION_WITHDRAW);
	assert_no_edge(m, "none", CL_ACTION_APPROVE);
	assert_no_edge(m, "returned", CL_ACTION_WITHDRAW);
	assert_no_edge(m, "withdrawn", CL_ACTION_WITHDRAW);
	assert_no_edge(m, first, CL_ACTION_SUBMIT);
}

static int check(const cl_edge **e, cl_error *err, const cl_machine *m,
		 const char *from, cl_action a, int is_talent, int is_reviewer,
		 int approved_before, int reviewed_round)
{
	cl_actor_facts f = { is_talent, is_reviewer, approved_before,
			     reviewed_round, "x1" };

	cl_error_clear(err);
	*e = (const cl_edge *)err; /* must be reset */
	return cl_machine_check(e, m, st(m, from), a, &f, err);
}

static void assert_denied(const cl_machine *m, const char *from, cl_action a,
			  int is_talent, int is_reviewer, int approved_before,
			  int reviewed_round, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	const cl_edge *e;

	assert_int_equal(check(&e, &err, m, from, a, is_talent, is_reviewer,
			       approved_before, reviewed_round), CL_EDENIED);
	assert_null(e);
	assert_int_equal(err.code, CL_EDENIED);
	assert_string_equal(err.msg, msg);
}

static void assert_allowed(const cl_machine *m, const char *from, cl_action a,
			   int is_talent, int is_reviewer, int approved_before,
			   int reviewed_round, const char *to)
{
	cl_error err = CL_ERROR_INIT;
	const cl_edge *e;
	int rc = check(&e, &err, m, from, a, is_talent, is_reviewer,
		       approved_before, reviewed_round);

	if (rc != 0)
		print_error("unexpected refusal: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(e);
	assert_string_equal(m->states[e->to].name, to);
	assert_int_equal(err.code, CL_OK);
}

static void test_machine__compiles_one_level(void **state)
{
	fixture f;
	char names[256];

	(void)state;
	build(&f, 1, "talent");
	state_names(names, sizeof(names), f.m);
	assert_string_equal(names, "none pending-village returned withdrawn approved");
	assert_int_equal(f.m->nstates, 5);
	assert_int_equal(f.m->nedges, 6);
	assert_int_equal(f.m->states[0].kind, CL_STATE_NONE);
	assert_int_equal(f.m->states[0].level, CL_NONE);
	assert_int_equal(f.m->states[1].kind, CL_STATE_PENDING);
	assert_int_equal(f.m->states[1].level, 0);
	assert_int_equal(f.m->states[2].kind, CL_STATE_RETURNED);
	assert_int_equal(f.m->states[3].kind, CL_STATE_WITHDRAWN);
	assert_int_equal(f.m->states[4].kind, CL_STATE_APPROVED);
	assert_int_equal(f.m->states[4].level, CL_NONE);
	assert_talent_edges(f.m, "pending-village");
	assert_edge(f.m, "pending-village", CL_ACTION_APPROVE, "approved",
		    CL_WHO_REVIEWER, 0);
	assert_edge(f.m, "pending-village", CL_ACTION_REJECT, "returned",
		    CL_WHO_REVIEWER, 0);
	release(&f);
}

static void test_machine__compiles_two_levels(void **state)
{
	fixture f;
	char names[256];

	(void)state;
	build(&f, 2, "talent");
	state_names(names, sizeof(names), f.m);
	assert_string_equal(names, "none pending-village pending-township "
			    "returned withdrawn approved");
	assert_int_equal(f.m->nstates, 6);
	assert_int_equal(f.m->nedges, 8);
	assert_talent_edges(f.m, "pending-village");
	assert_edge(f.m, "pending-village", CL_ACTION_APPROVE, "pending-township",
		    CL_WHO_REVIEWER, 0);
	assert_edge(f.m, "pending-township", CL_ACTION_APPROVE, "approved",
		    CL_WHO_REVIEWER, 1);
	assert_edge(f.m, "pending-township", CL_ACTION_REJECT, "returned",
		    CL_WHO_REVIEWER, 1);
	assert_no_edge(f.m, "pending-township", CL_ACTION_WITHDRAW);
	release(&f);
}

static void test_machine__compiles_three_levels(void **state)
{
	fixture f;
	char names[256];

	(void)state;
	build(&f, 3, "talent");
	state_names(names, sizeof(names), f.m);
	assert_string_equal(names, "none pending-village pending-township "
			    "pending-department returned withdrawn approved");
	assert_int_equal(f.m->nstates, 7);
	assert_int_equal(f.m->nedges, 10);
	assert_int_equal(f.m->states[st(f.m, "pending-department")].level, 2);
	assert_talent_edges(f.m, "pending-village");
	assert_edge(f.m, "pending-township", CL_ACTION_APPROVE, "pending-department",
		    CL_WHO_REVIEWER, 1);
	assert_edge(f.m, "pending-department", CL_ACTION_APPROVE, "approved",
		    CL_WHO_REVIEWER, 2);
	release(&f);
}

static void test_machine__compiles_five_levels(void **state)
{
	fixture f;
	char names[256];
	size_t i;

	(void)state;
	build(&f, 5, "talent");
	state_names(names, sizeof(names), f.m);
	assert_string_equal(names, "none pending-village pending-township "
			    "pending-department pending-county pending-province "
			    "returned withdrawn approved");
	assert_int_equal(f.m->nstates, 9);
	assert_int_equal(f.m->nedges, 14);
	assert_talent_edges(f.m, "pending-village");
	for (i = 0; i < 5; i++) {
		char from[32], to[32];

		snprintf(from, sizeof(from), "pending-%s", level_ids[i]);
		if (i < 4)
			snprintf(to, sizeof(to), "pending-%s", level_ids[i + 1]);
		else
			snprintf(to, sizeof(to), "approved");
		assert_edge(f.m, from, CL_ACTION_APPROVE, to, CL_WHO_REVIEWER, i);
		assert_edge(f.m, from, CL_ACTION_REJECT, "returned",
			    CL_WHO_REVIEWER, i);
		if (i > 0)
			assert_no_edge(f.m, from, CL_ACTION_WITHDRAW);
	}
	assert_int_equal(cl_machine_state(f.m, "pending-city"), CL_NONE);
	assert_int_equal(cl_machine_state(f.m, "pending-"), CL_NONE);
	assert_int_equal(cl_machine_state(f.m, "village"), CL_NONE);
	release(&f);
}

static void test_machine__on_reject_previous_goes_back_one_level(void **state)
{
	fixture f;

	(void)state;
	build(&f, 3, "previous");
	assert_int_equal(f.m->nstates, 7);
	assert_int_equal(f.m->nedges, 10);
	/* the first level has no previous: back to the talent */
	assert_edge(f.m, "pending-village", CL_ACTION_REJECT, "returned",
		    CL_WHO_REVIEWER, 0);
	assert_edge(f.m, "pending-township", CL_ACTION_REJECT, "pending-village",
		    CL_WHO_REVIEWER, 1);
	assert_edge(f.m, "pending-department", CL_ACTION_REJECT, "pending-township",
		    CL_WHO_REVIEWER, 2);
	assert_edge(f.m, "pending-department", CL_ACTION_APPROVE, "approved",
		    CL_WHO_REVIEWER, 2);
	assert_talent_edges(f.m, "pending-village");
	release(&f);

	build(&f, 1, "previous");
	assert_edge(f.m, "pending-village", CL_ACTION_REJECT, "returned",
		    CL_WHO_REVIEWER, 0);
	release(&f);
}

static void test_machine__refuses_duplicate_state_names(void **state)
{
	cl_level levels[2];
	cl_workflow wf;
	cl_machine *m = (cl_machine *)&wf;
	cl_error err = CL_ERROR_INIT;
	char id[] = "wf", lv[] = "x", role[] = "r";

	(void)state;
	/* the loader refuses duplicate level ids; the compiler checks too */
	memset(&wf, 0, sizeof(wf));
	memset(levels, 0, sizeof(levels));
	levels[0].id = lv;
	levels[0].role = role;
	levels[1] = levels[0];
	wf.id = id;
	wf.levels = levels;
	wf.nlevels = 2;
	assert_int_equal(cl_machine_compile(&m, &wf, &err), CL_EINVALID);
	assert_null(m);
	assert_string_equal(err.msg, "workflow 'wf': two states are named 'pending-x'");
}

static void test_machine__action_names_round_trip(void **state)
{
	static const char *const names[] = { "submit", "withdraw", "approve",
		"reject" };
	cl_action a = CL_ACTION_SUBMIT;
	int i;

	(void)state;
	for (i = 0; i < CL_ACTION_COUNT; i++) {
		assert_string_equal(cl_action_name((cl_action)i), names[i]);
		assert_int_equal(cl_action_parse(&a, names[i]), 0);
		assert_int_equal(a, i);
	}
	a = CL_ACTION_REJECT;
	assert_int_equal(cl_action_parse(&a, "Approve"), -1);
	assert_int_equal(cl_action_parse(&a, "approve "), -1);
	assert_int_equal(cl_action_parse(&a, ""), -1);
	assert_int_equal(a, CL_ACTION_REJECT);
	assert_string_equal(cl_action_name((cl_action)17), "unknown");
}

static void test_machine__check_allows_legal_moves(void **state)
{
	fixture f;

	(void)state;
	build(&f, 3, "talent");
	assert_allowed(f.m, "none", CL_ACTION_SUBMIT, 1, 0, 0, 0, "pending-village");
	assert_allowed(f.m, "returned", CL_ACTION_SUBMIT, 1, 0, 0, 1,
		       "pending-village");
	assert_allowed(f.m, "withdrawn", CL_ACTION_SUBMIT, 1, 0, 0, 0,
		       "pending-village");
	assert_allowed(f.m, "pending-village", CL_ACTION_WITHDRAW, 1, 0, 0, 0,
		       "withdrawn");
	assert_allowed(f.m, "pending-village", CL_ACTION_APPROVE, 0, 1, 0, 0,
		       "pending-township");
	assert_allowed(f.m, "pending-department", CL_ACTION_APPROVE, 0, 1, 0, 1,
		       "approved");
	assert_allowed(f.m, "pending-township", CL_ACTION_REJECT, 0, 1, 0, 1,
		       "returned");
	/* having approved another level bars approving, not rejecting */
	assert_allowed(f.m, "pending-township", CL_ACTION_REJECT, 0, 1, 1, 1,
		       "returned");
	release(&f);
}

static void test_machine__check_refuses_talent_on_own_record(void **state)
{
	fixture f;

	(void)state;
	build(&f, 3, "talent");
	/* even when the talent holds the level's role */
	assert_denied(f.m, "pending-village", CL_ACTION_APPROVE, 1, 1, 0, 0,
		      "nobody may approve their own record");
	assert_denied(f.m, "pending-township", CL_ACTION_REJECT, 1, 1, 0, 1,
		      "nobody may reject their own record");
	release(&f);
}

static void test_machine__check_refuses_non_reviewer(void **state)
{
	fixture f;

	(void)state;
	build(&f, 3, "talent");
	assert_denied(f.m, "pending-village", CL_ACTION_APPROVE, 0, 0, 0, 0,
		      "only a reviewer of level 'village' may approve it now, and 'x1' is not one");
	assert_denied(f.m, "pending-department", CL_ACTION_REJECT, 0, 0, 0, 1,
		      "only a reviewer of level 'department' may reject it now, and 'x1' is not one");
	release(&f);
}

static void test_machine__check_refuses_approving_at_two_levels(void **state)
{
	fixture f;

	(void)state;
	build(&f, 3, "talent");
	assert_denied(f.m, "pending-township", CL_ACTION_APPROVE, 0, 1, 1, 1,
		      "one person may not approve the same record at two levels");
	release(&f);
}

static void test_machine__check_refuses_withdraw_after_review(void **state)
{
	fixture f;

	(void)state;
	build(&f, 2, "previous");
	/* back at the first level after a rejection from the second */
	assert_denied(f.m, "pending-village", CL_ACTION_WITHDRAW, 1, 0, 0, 1,
		      "withdraw is allowed only before the first review");
	release(&f);
}

static void test_machine__check_refuses_others_acting_for_talent(void **state)
{
	fixture f;

	(void)state;
	build(&f, 2, "talent");
	assert_denied(f.m, "none", CL_ACTION_SUBMIT, 0, 0, 0, 0,
		      "only the record's talent may submit it");
	assert_denied(f.m, "returned", CL_ACTION_SUBMIT, 0, 1, 0, 0,
		      "only the record's talent may submit it");
	assert_denied(f.m, "pending-village", CL_ACTION_WITHDRAW, 0, 1, 0, 0,
		      "only the record's talent may withdraw it");
	release(&f);
}

static void test_machine__check_refuses_illegal_action_in_state(void **state)
{
	cl_error err = CL_ERROR_INIT;
	const cl_edge *e;
	fixture f;
	int rc;

	(void)state;
	build(&f, 3, "talent");
	rc = check(&e, &err, f.m, "approved", CL_ACTION_APPROVE, 0, 1, 0, 1);
	assert_true(rc < 0);
	assert_int_equal(err.code, rc);
	assert_null(e);
	assert_string_equal(err.msg, "cannot approve a record in state 'approved'");
	rc = check(&e, &err, f.m, "pending-township", CL_ACTION_WITHDRAW, 1, 0, 0, 1);
	assert_true(rc < 0);
	assert_null(e);
	assert_string_equal(err.msg,
			    "cannot withdraw a record in state 'pending-township'");
	rc = check(&e, &err, f.m, "none", CL_ACTION_REJECT, 0, 1, 0, 0);
	assert_true(rc < 0);
	assert_string_equal(err.msg, "cannot reject a record in state 'none'");
	rc = check(&e, &err, f.m, "pending-village", CL_ACTION_SUBMIT, 1, 0, 0, 0);
	assert_true(rc < 0);
	assert_string_equal(err.msg,
			    "cannot submit a record in state 'pending-village'");
	release(&f);
}

static void test_machine__illegal_action_is_denied_naming_the_state(void **state)
{
	(void)state;
	cl_error err = CL_ERROR_INIT;
	const cl_edge *e;
	fixture f;

	build(&f, 3, "talent");
	assert_int_equal(check(&e, &err, f.m, "approved", CL_ACTION_APPROVE,
			       0, 1, 0, 1), CL_EDENIED);
	assert_string_equal(err.msg, "cannot approve a record in state 'approved'");
	release(&f);
}

static void test_machine__dot_is_exact_for_one_level(void **state)
{
	cl_buf b = CL_BUF_INIT;
	fixture f;

	(void)state;
	build(&f, 1, "talent");
	cl_machine_dot(f.m, &b);
	assert_string_equal(b.ptr,
		"digraph \"wf\" {\n"
		"\trankdir=LR;\n"
		"\t\"none\" [shape=point];\n"
		"\t\"pending-village\" [shape=box];\n"
		"\t\"returned\" [shape=box];\n"
		"\t\"withdrawn\" [shape=box];\n"
		"\t\"approved\" [shape=doublecircle];\n"
		"\t\"none\" -> \"pending-village\" [label=\"submit (talent)\"];\n"
		"\t\"returned\" -> \"pending-village\" "
		"[label=\"submit (talent)\"];\n"
		"\t\"withdrawn\" -> \"pending-village\" "
		"[label=\"submit (talent)\"];\n"
		"\t\"pending-village\" -> \"withdrawn\" "
		"[label=\"withdraw (talent)\"];\n"
		"\t\"pending-village\" -> \"approved\" [label=\"approve by r0\"];\n"
		"\t\"pending-village\" -> \"returned\" [label=\"reject by r0\"];\n"
		"}\n");
	cl_buf_release(&b);
	release(&f);
}

static void test_machine__dot_mentions_every_state(void **state)
{
	cl_buf b = CL_BUF_INIT;
	char q[64];
	fixture f;
	size_t i, lines = 0;

	(void)state;
	build(&f, 5, "previous");
	cl_machine_dot(f.m, &b);
	for (i = 0; i < f.m->nstates; i++) {
		snprintf(q, sizeof(q), "\t\"%s\" [shape=", f.m->states[i].name);
		if (!strstr(b.ptr, q))
			print_error("state %s missing\n", f.m->states[i].name);
		assert_non_null(strstr(b.ptr, q));
	}
	assert_non_null(strstr(b.ptr, "\t\"pending-province\" -> \"pending-county\" "
			       "[label=\"reject by r4\"];\n"));
	assert_non_null(strstr(b.ptr, "\t\"pending-province\" -> \"approved\" "
			       "[label=\"approve by r4\"];\n"));
	for (i = 0; i < b.size; i++)
		lines += b.ptr[i] == '\n';
	/* header 2, states, edges, closing brace */
	assert_int_equal(lines, 2 + f.m->nstates + f.m->nedges + 1);
	cl_buf_release(&b);
	release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine__compiles_one_level),
		cmocka_unit_test(test_machine__compiles_two_levels),
		cmocka_unit_test(test_machine__compiles_three_levels),
		cmocka_unit_test(test_machine__compiles_five_levels),
		cmocka_unit_test(test_machine__on_reject_previous_goes_back_one_level),
		cmocka_unit_test(test_machine__refuses_duplicate_state_names),
		cmocka_unit_test(test_machine__action_names_round_trip),
		cmocka_unit_test(test_machine__check_allows_legal_moves),
		cmocka_unit_test(test_machine__check_refuses_talent_on_own_record),
		cmocka_unit_test(test_machine__check_refuses_non_reviewer),
		cmocka_unit_test(test_machine__check_refuses_approving_at_two_levels),
		cmocka_unit_test(test_machine__check_refuses_withdraw_after_review),
		cmocka_unit_test(test_machine__check_refuses_others_acting_for_talent),
		cmocka_unit_test(test_machine__check_refuses_illegal_action_in_state),
		cmocka_unit_test(test_machine__illegal_action_is_denied_naming_the_state),
		cmocka_unit_test(test_machine__dot_is_exact_for_one_level),
		cmocka_unit_test(test_machine__dot_mentions_every_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
