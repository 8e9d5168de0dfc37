/*
 * test_index.c - unit tests for the derived query index (engine/index.c).
 *
 * Each test gets a fresh mkdtemp directory with an open index in it.  A
 * few tests open the file with sqlite directly, to check what the module
 * promises about the file itself (schema version, WAL, no leftover
 * snapshot) or to damage it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "index.h"
#include "util.h"

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define C4 "4444444444444444444444444444444444444444"
#define C5 "5555555555555555555555555555555555555555"

struct fixture {
	char dir[64];   /* the mkdtemp directory */
	char path[128]; /* the index file in it */
	cl_index *ix;   /* open on path */
};

static int setup(void **state)
{
	struct fixture *fx = cl_xcalloc(1, sizeof(*fx));
	cl_error err = CL_ERROR_INIT;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/chainlog-index-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/index.db", fx->dir);
	assert_int_equal(cl_index_open(&fx->ix, fx->path, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char file[512];
	struct dirent *de;
	DIR *d;

	cl_index_free(fx->ix);
	d = opendir(fx->dir);
	while (d && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(file, sizeof(file), "%s/%s", fx->dir, de->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A record over borrowed strings; waiting is NULL-terminated. */
static cl_index_record rec(const char *id, const char *period,
			   const char *talent, const char *state, char **waiting)
{
	cl_index_record r;
	size_t n = 0;

	memset(&r, 0, sizeof(r));
	r.id = (char *)id;
	r.period = (char *)period;
	r.talent = (char *)talent;
	r.state = (char *)state;
	r.since = 1662285600;
	r.commit = (char *)C1;
	while (waiting && waiting[n])
		n++;
	r.waiting = waiting;
	r.nwaiting = n;
	return r;
}

static void put(cl_index *ix, cl_index_record r)
{
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_put_record(ix, &r, &err), 0);
}

static cl_index_transition tr(const char *commit, const char *record,
			      const char *action)
{
	cl_index_transition t;

	memset(&t, 0, sizeof(t));
	t.commit = (char *)commit;
	t.record = (char *)record;
	t.time = 1662285600;
	t.actor = (char *)"m1";
	t.action = (char *)action;
	return t;
}

/* Applies one commit: its record (may be NULL) and its transition. */
static void apply(cl_index *ix, const char *head, cl_index_record *r,
		  const cl_index_transition *t)
{
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_begin(ix, &err), 0);
	if (r)
		assert_int_equal(cl_index_put_record(ix, r, &err), 0);
	if (t)
		assert_int_equal(cl_index_add_transition(ix, t, &err), 0);
	assert_int_equal(cl_index_commit(ix, head, &err), 0);
}

static void assert_head(cl_index *ix, const char *want)
{
	cl_error err = CL_ERROR_INIT;
	char head[41];

	assert_int_equal(cl_index_head(ix, head, &err), 0);
	assert_string_equal(head, want);
}

static void assert_counts(cl_index *ix, int64_t records, int64_t transitions)
{
	cl_error err = CL_ERROR_INIT;
	int64_t r = -1, t = -1;

	assert_int_equal(cl_index_counts(ix, &r, &t, &err), 0);
	assert_int_equal(r, records);
	assert_int_equal(t, transitions);
}

static void assert_missing(cl_index *ix, const char *id)
{
	cl_error err = CL_ERROR_INIT;
	cl_index_record r;

	assert_int_equal(cl_index_get(ix, id, &r, &err), CL_ENOTFOUND);
	assert_null(r.id);
}

/* Appends "id[w1,w2]" to the cl_buf payload, ";"-separated. */
static int collect(const cl_index_record *r, void *payload)
{
	cl_buf *b = payload;
	size_t i;

	if (b->size)
		cl_buf_putc(b, ';');
	cl_buf_puts(b, r->id);
	if (!r->nwaiting)
		return 0;
	cl_buf_putc(b, '[');
	for (i = 0; i < r->nwaiting; i++)
		cl_buf_printf(b, "%s%s", i ? "," : "", r->waiting[i]);
	cl_buf_putc(b, ']');
	return 0;
}

static void assert_query(cl_index *ix, const cl_index_filter *f,
			 const char *want)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf got = CL_BUF_INIT;

	assert_int_equal(cl_index_query(ix, f, collect, &got, &err), 0);
	assert_string_equal(got.ptr, want);
	cl_buf_release(&got);
}

/* Appends "commit/action" to the cl_buf payload, ";"-separated. */
static int collect_history(const cl_index_transition *t, void *payload)
{
	cl_buf *b = payload;

	cl_buf_printf(b, "%s%.1s/%s", b->size ? ";" : "", t->commit, t->action);
	return 0;
}

/* Appends each transition's commit id, ";"-separated. */
static int collect_commits(const cl_index_transition *t, void *payload)
{
	cl_buf *b = payload;

	cl_buf_printf(b, "%s%s", b->size ? ";" : "", t->commit);
	return 0;
}

static void assert_history(cl_index *ix, const char *record, const char *want)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf got = CL_BUF_INIT;

	assert_int_equal(cl_index_history(ix, record, collect_history, &got,
					  &err), 0);
	assert_string_equal(got.ptr, want);
	cl_buf_release(&got);
}

/* The first column of the first row of sql, on a raw connection. */
static int raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_index__open_creates_schema_and_empty_head(void **state)
{
	struct fixture *fx = *state;

	assert_head(fx->ix, "");
	assert_counts(fx->ix, 0, 0);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 9);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master"
				 " WHERE type = 'table' AND name IN ('meta',"
				 " 'records', 'waiting', 'transitions', 'list_pages')"), 5);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM"
				 " pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

static void test_index__apply_then_get_returns_fields(void **state)
{
	struct fixture *fx = *state;
	char *waiting[] = { "zoe", "amy", "bob", NULL };
	cl_index_record in = rec("2022H2/t001", "2022H2", "t001",
		"submitted", waiting), out;
	cl_index_transition t = tr(C2, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;

	in.level = (char *)"L2";
	in.commit = (char *)C2;
	in.since = 1700000000;
	apply(fx->ix, C2, &in, &t);

	assert_head(fx->ix, C2);
	assert_counts(fx->ix, 1, 1);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t001", &out, &err), 0);
	assert_string_equal(out.id, "2022H2/t001");
	assert_string_equal(out.period, "2022H2");
	assert_string_equal(out.talent, "t001");
	assert_string_equal(out.state, "submitted");
	assert_string_equal(out.level, "L2");
	assert_int_equal(out.since, 1700000000);
	assert_string_equal(out.commit, C2);
	assert_int_equal(out.nwaiting, 3);
	assert_string_equal(out.waiting[0], "amy");
	assert_string_equal(out.waiting[1], "bob");
	assert_string_equal(out.waiting[2], "zoe");
	cl_index_record_release(&out);
	assert_null(out.id);
	assert_null(out.waiting);
	assert_int_equal(out.nwaiting, 0);
	cl_index_record_release(NULL);
}

static void test_index__get_without_level_or_waiting(void **state)
{
	struct fixture *fx = *state;
	cl_index_record in = rec("2022H2/t001", "2022H2", "t001",
		"draft", NULL), out;
	cl_error err = CL_ERROR_INIT;

	apply(fx->ix, C1, &in, NULL);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t001", &out, &err), 0);
	assert_null(out.level);
	assert_null(out.waiting);
	assert_int_equal(out.nwaiting, 0);
	assert_string_equal(out.state, "draft");
	cl_index_record_release(&out);
}

static void test_index__get_missing_is_notfound(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_index_record out;

	assert_int_equal(cl_index_get(fx->ix, "2022H2/t999", &out, &err),
			 CL_ENOTFOUND);
	assert_int_equal(err.code, CL_ENOTFOUND);
	assert_string_equal(err.msg, "no record '2022H2/t999' in the index");
	assert_null(out.id);
	assert_int_equal(out.nwaiting, 0);
}

static void test_index__put_replaces_waiting_set(void **state)
{
	struct fixture *fx = *state;
	char *ab[] = { "a", "b", "b", NULL }, *c[] = { "c", NULL };
	cl_index_filter flying = { .in_flight = 1 };
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", ab);

	apply(fx->ix, C1, &r, NULL);
	assert_query(fx->ix, NULL, "2022H2/t001[a,b]");
	r = rec("2022H2/t001", "2022H2", "t001", "approved", c);
	apply(fx->ix, C2, &r, NULL);
	assert_query(fx->ix, NULL, "2022H2/t001[c]");
	r = rec("2022H2/t001", "2022H2", "t001", "closed", NULL);
	apply(fx->ix, C3, &r, NULL);
	assert_query(fx->ix, NULL, "2022H2/t001");
	assert_query(fx->ix, &flying, "");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 0);
	assert_counts(fx->ix, 1, 0);
}

static void test_index__reapply_transition_is_idempotent(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_index_transition t = tr(C1, "2022H2/t001", "submit");
	cl_index_transition t2 = tr(C2, "2022H2/t001", "approve");

	apply(fx->ix, C1, &r, &t);
	apply(fx->ix, C1, &r, &t);
	assert_counts(fx->ix, 1, 1);
	t.action = (char *)"changed";
	apply(fx->ix, C1, &r, &t);
	assert_counts(fx->ix, 1, 1);
	assert_history(fx->ix, "2022H2/t001", "1/submit");
	apply(fx->ix, C2, &r, &t2);
	apply(fx->ix, C1, &r, &t);
	assert_counts(fx->ix, 1, 2);
	assert_history(fx->ix, "2022H2/t001", "1/submit;2/approve");
}

static void test_index__rollback_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r1 = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	char *w[] = { "m1", NULL };
	cl_index_record r2 = rec("2022H2/t002", "2022H2", "t002",
		"submitted", w);
	cl_index_transition t1 = tr(C1, "2022H2/t001", "submit");
	cl_index_transition t2 = tr(C2, "2022H2/t002", "submit");
	cl_error err = CL_ERROR_INIT;

	apply(fx->ix, C1, &r1, &t1);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_put_record(fx->ix, &r2, &err), 0);
	assert_int_equal(cl_index_add_transition(fx->ix, &t2, &err), 0);
	cl_index_rollback(fx->ix);
	cl_index_rollback(fx->ix);

	assert_missing(fx->ix, "2022H2/t002");
	assert_counts(fx->ix, 1, 1);
	assert_head(fx->ix, C1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 0);
	/* the handle is usable again */
	apply(fx->ix, C2, &r2, &t2);
	assert_counts(fx->ix, 2, 2);
	assert_head(fx->ix, C2);
	cl_index_rollback(NULL);
}

static void test_index__write_outside_transaction_is_refused(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_index_transition t = tr(C1, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_put_record(fx->ix, &r, &err), CL_EINTERNAL);
	assert_string_equal(err.msg, "cannot apply record '2022H2/t001' to the"
			    " index: no transaction is open");
	assert_int_equal(cl_index_add_transition(fx->ix, &t, &err), CL_EINTERNAL);
	assert_int_equal(cl_index_commit(fx->ix, C1, &err), CL_EINTERNAL);
	assert_counts(fx->ix, 0, 0);
	assert_head(fx->ix, "");
}

static void test_index__missing_fields_are_invalid(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001", NULL, NULL);
	cl_index_transition t = tr(C1, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_put_record(fx->ix, &r, &err), CL_EINVALID);
	assert_string_equal(err.msg, "record '2022H2/t001' has no state");
	t.actor = NULL;
	assert_int_equal(cl_index_add_transition(fx->ix, &t, &err), CL_EINVALID);
	assert_string_equal(err.msg, "transition " C1 " has no actor");
	cl_index_rollback(fx->ix);
	assert_counts(fx->ix, 0, 0);
}

/* Commit ids are kept as bytes and read back as the hex they came in;
 * anything but 40 lowercase hex digits is refused, and changes nothing. */
static void test_index__commit_ids_round_trip_and_bad_ones_are_refused(void **state)
{
	struct fixture *fx = *state;
	const char *id = "0123456789abcdeffedcba9876543210a5c3e1f0";
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001", "submitted", NULL), got;
	cl_index_transition t = tr(id, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;
	cl_buf h = CL_BUF_INIT;

	r.commit = (char *)id;
	apply(fx->ix, C1, &r, &t);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t001", &got, &err), 0);
	assert_string_equal(got.commit, id);
	cl_index_record_release(&got);
	assert_history(fx->ix, "2022H2/t001", "0/submit");
	assert_int_equal(cl_index_history(fx->ix, "2022H2/t001", collect_commits, &h, &err), 0);
	assert_string_equal(h.ptr, id);
	cl_buf_release(&h);

	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	r.commit = (char *)"0123456789ABCDEFFEDCBA9876543210A5C3E1F0";
	assert_int_equal(cl_index_put_record(fx->ix, &r, &err), CL_EINVALID);
	assert_string_equal(err.msg, "record '2022H2/t001': bad commit id "
			    "'0123456789ABCDEFFEDCBA9876543210A5C3E1F0'");
	t.commit = (char *)"0123";
	assert_int_equal(cl_index_add_transition(fx->ix, &t, &err), CL_EINVALID);
	assert_string_equal(err.msg, "bad commit id '0123'");
	cl_index_rollback(fx->ix);
	assert_counts(fx->ix, 1, 1);
	assert_int_equal(raw_int(fx->path, "SELECT length(commit_id) FROM transitions"), 20);
}

static void test_index__bad_head_rolls_back_the_commit(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_error err = CL_ERROR_INIT;
	const char *bad[] = { "xyz", "ABCDEF1111111111111111111111111111111111",
			      C1 "0", "" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cl_index_begin(fx->ix, &err), 0);
		assert_int_equal(cl_index_put_record(fx->ix, &r, &err), 0);
		assert_int_equal(cl_index_commit(fx->ix, bad[i], &err), CL_EINVALID);
		assert_counts(fx->ix, 0, 0);
		assert_head(fx->ix, "");
	}
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, NULL, &err), CL_EINVALID);
	apply(fx->ix, C1, &r, NULL);
	assert_counts(fx->ix, 1, 0);
}

/* Five records, put in no particular order; ALL_FIVE lists them. */
#define ALL_FIVE "2022H1/t001;2022H2/t001[m1];2022H2/t002[m1,m2];" \
	"2022H2/t003;2022H2/t010"

static void fill_query_records(cl_index *ix)
{
	char *m1[] = { "m1", NULL }, *m12[] = { "m2", "m1", NULL };
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_begin(ix, &err), 0);
	put(ix, rec("2022H2/t010", "2022H2", "t010", "approved", NULL));
	put(ix, rec("2022H2/t002", "2022H2", "t002", "submitted", m12));
	put(ix, rec("2022H1/t001", "2022H1", "t001", "approved", NULL));
	put(ix, rec("2022H2/t003", "2022H2", "t003", "draft", NULL));
	put(ix, rec("2022H2/t001", "2022H2", "t001", "submitted", m1));
	assert_int_equal(cl_index_commit(ix, C1, &err), 0);
}

static void test_index__query_filters(void **state)
{
	struct fixture *fx = *state;
	cl_index_filter f;

	fill_query_records(fx->ix);
	assert_query(fx->ix, NULL, ALL_FIVE);
	f = (cl_index_filter){ .period = "2022H2" };
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2];"
		     "2022H2/t003;2022H2/t010");
	f = (cl_index_filter){ .state = "submitted" };
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2]");
	f = (cl_index_filter){ .period = "2022H2", .state = "approved" };
	assert_query(fx->ix, &f, "2022H2/t010");
	f = (cl_index_filter){ .waiting = "m2" };
	assert_query(fx->ix, &f, "2022H2/t002[m1,m2]");
	f = (cl_index_filter){ .waiting = "m1", .in_flight = 1 };
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2]");
	f = (cl_index_filter){ .in_flight = 1 };
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2]");
	f = (cl_index_filter){ .talent = "t001" };
	assert_query(fx->ix, &f, "2022H1/t001;2022H2/t001[m1]");
	f = (cl_index_filter){ .talent = "t001", .in_flight = 1 };
	assert_query(fx->ix, &f, "2022H2/t001[m1]");
	f = (cl_index_filter){ .period = "2022H1", .waiting = "m1" };
	assert_query(fx->ix, &f, "");
	f = (cl_index_filter){ .waiting = "nobody" };
	assert_query(fx->ix, &f, "");
	f = (cl_index_filter){ .period = "2022H2", .state = "submitted",
			       .waiting = "m1", .talent = "t002",
			       .in_flight = 1 };
	assert_query(fx->ix, &f, "2022H2/t002[m1,m2]");
}

static int collect_lines(const cl_index_record *r, void *payload)
{
	cl_buf *out = payload;

	/* a lines row has its id and line, and nothing else */
	assert_non_null(r->id);
	assert_null(r->state);
	assert_int_equal(r->line_len, strlen(r->line));
	cl_buf_printf(out, "%s|%s\n", r->id, r->line);
	return 0;
}

/* Appends a pages row's text and a newline; checks the row's shape. */
static int collect_pages(const cl_index_record *r, void *payload)
{
	cl_buf *out = payload;

	assert_non_null(r->id);
	assert_null(r->state);
	assert_int_equal(r->line_len, strlen(r->line));
	/* a run fits its cell (index.c: INDEX_PAGE_BYTES) */
	assert_true(r->line_len <= 1900);
	/* the row's id is its first line's */
	assert_int_equal(strncmp(r->line, r->id, strlen(r->id)), 0);
	assert_int_equal(r->line[strlen(r->id)], ' ');
	cl_buf_put(out, r->line, r->line_len);
	cl_buf_putc(out, '\n');
	return 0;
}

/* The list of f->period (all periods when NULL) read both ways, record by
 * record and in runs: the same text.  Returns the number of runs. */
static size_t assert_pages_match(cl_index *ix, const char *period)
{
	cl_index_filter f = { .period = period, .lines = 1 };
	cl_error err = CL_ERROR_INIT;
	cl_buf lines = CL_BUF_INIT, pages = CL_BUF_INIT;
	size_t n = 0, i;

	assert_int_equal(cl_index_query(ix, &f, collect_lines, &lines, &err), 0);
	f.pages = 1;
	assert_int_equal(cl_index_query(ix, &f, collect_pages, &pages, &err), 0);
	/* collect_lines wrote "id|line": keep the lines */
	for (i = 0; i < lines.size; i++) {
		size_t bar = i;

		while (lines.ptr[bar] != '|')
			bar++;
		memmove(lines.ptr + i, lines.ptr + bar + 1, lines.size - bar - 1);
		lines.size -= bar + 1 - i;
		while (lines.ptr[i] != '\n')
			i++;
	}
	assert_int_equal(pages.size, lines.size);
	assert_memory_equal(pages.ptr ? pages.ptr : "", lines.ptr ? lines.ptr : "", lines.size);
	for (i = 0; i < pages.size; i++)
		n += pages.ptr[i] == '\n';
	cl_buf_release(&lines);
	cl_buf_release(&pages);
	return n;
}

/* Puts talents t000..t(n-1) of period in a scrambled order, then again in
 * another state, in transactions of seven. */
static void put_scrambled(cl_index *ix, const char *period, unsigned n,
			  unsigned stride, const char *state)
{
	cl_error err = CL_ERROR_INIT;
	char id[32], talent[16];
	unsigned i, k;

	for (i = 0; i < n; i++) {
		if (i % 7 == 0)
			assert_int_equal(cl_index_begin(ix, &err), 0);
		k = (i * stride) % n; /* stride prime to n: each once */
		snprintf(talent, sizeof(talent), "t%03u", k);
		snprintf(id, sizeof(id), "%s/%s", period, talent);
		put(ix, rec(id, period, talent, state, NULL));
		if (i % 7 == 6 || i == n - 1)
			assert_int_equal(cl_index_commit(ix, C1, &err), 0);
	}
}

static void test_index__pages_hold_the_list_in_runs(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	size_t runs;

	/* none yet: no rows */
	assert_int_equal(assert_pages_match(fx->ix, "2022H2"), 0);
	/* records come in before, between and after the runs there are:
	 * each put rebuilds its run, cutting it when it outgrows a cell */
	put_scrambled(fx->ix, "2022H2", 300, 7, "submitted");
	put_scrambled(fx->ix, "2023H1", 100, 3, "draft");
	assert_int_equal(assert_pages_match(fx->ix, "2022H2"), 300);
	assert_int_equal(assert_pages_match(fx->ix, "2023H1"), 100);
	assert_int_equal(assert_pages_match(fx->ix, NULL), 400);
	runs = (size_t)raw_int(fx->path, "SELECT count(*) FROM list_pages");
	/* 82 bytes a line with its newline: at most 23 lines a run (18
	 * runs); a run that spills fills the next, so they stay over half
	 * full on the whole (25 here) */
	assert_true(runs >= (400 + 22) / 23 && runs <= 2 * ((400 + 22) / 23));
	/* a put again changes the line in place */
	put_scrambled(fx->ix, "2022H2", 300, 11, "pending-township");
	assert_int_equal(assert_pages_match(fx->ix, "2022H2"), 300);
	assert_int_equal(assert_pages_match(fx->ix, NULL), 400);
	/* a bulk load's end rebuilds them all, packed */
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_bulk_begin(fx->ix, &err), 0);
	raw_exec(fx->path, "SELECT 1"); /* another connection: no effect */
	assert_int_equal(cl_index_bulk_history(fx->ix, &err), 0);
	put(fx->ix, rec("2022H2/t999", "2022H2", "t999", "approved", NULL));
	assert_int_equal(cl_index_bulk_end(fx->ix, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C2, &err), 0);
	assert_int_equal(assert_pages_match(fx->ix, "2022H2"), 301);
	assert_int_equal(assert_pages_match(fx->ix, NULL), 401);
	assert_true((size_t)raw_int(fx->path, "SELECT count(*) FROM list_pages") <= runs);
}

/* bad after cl_index_check_lines, which must succeed. */
static void assert_lines_check(cl_index *ix, const char *want)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf bad = CL_BUF_INIT;

	assert_int_equal(cl_index_check_lines(ix, &bad, &err), 0);
	assert_string_equal(bad.size ? bad.ptr : "", want);
	cl_buf_release(&bad);
}

/* Breaks the index with SQL, checks what the lines check says, then
 * mends it and checks that all agrees again. */
static void tamper(struct fixture *fx, const char *break_sql, const char *want,
		   const char *mend_sql)
{
	raw_exec(fx->path, break_sql);
	assert_lines_check(fx->ix, want);
	raw_exec(fx->path, mend_sql);
	assert_lines_check(fx->ix, "");
}

/* verify's check: the lines agree with the rows, the pages with the
 * lines; each way they can disagree is named, at its first record. */
static void test_index__lines_check_finds_what_disagrees(void **state)
{
	struct fixture *fx = *state;

	assert_lines_check(fx->ix, ""); /* nothing at all agrees */
	put_scrambled(fx->ix, "2022H2", 60, 7, "submitted");
	put_scrambled(fx->ix, "2023H1", 30, 7, "draft");
	assert_lines_check(fx->ix, "");

	tamper(fx, "UPDATE records SET line = replace(line, 'submitted', 'approved ')"
	       " WHERE id = '2022H2/t017'",
	       "record '2022H2/t017' keeps a line its row does not make",
	       "UPDATE records SET line = replace(line, 'approved ', 'submitted')"
	       " WHERE id = '2022H2/t017'");
	tamper(fx, "UPDATE list_pages SET text = replace(text,"
	       " '2022H2/t031              submitted', '2022H2/t031              approved ')",
	       "the list's pages show record '2022H2/t031' otherwise",
	       "UPDATE list_pages SET text = replace(text,"
	       " '2022H2/t031              approved ', '2022H2/t031              submitted')");
	raw_exec(fx->path, "CREATE TABLE keep AS SELECT * FROM list_pages");
	tamper(fx, "DELETE FROM list_pages WHERE period = '2023H1'",
	       "record '2023H1/t000' is missing from the list's pages",
	       "INSERT INTO list_pages SELECT * FROM keep WHERE period = '2023H1'");
	tamper(fx, "UPDATE list_pages SET first = '2022H2/t000x' WHERE first = '2022H2/t000'",
	       "the list's pages do not start a run at record '2022H2/t000'",
	       "UPDATE list_pages SET first = '2022H2/t000' WHERE first = '2022H2/t000x'");
	tamper(fx, "INSERT INTO list_pages VALUES ('2024H1', '2024H1/t001', 'x')",
	       "the list's pages hold lines of no record",
	       "DELETE FROM list_pages WHERE period = '2024H1'");
}

/* Pages are asked for with other filters too: rows then come one record
 * each, as for lines alone. */
static void test_index__pages_with_other_filters_are_lines(void **state)
{
	struct fixture *fx = *state;
	cl_index_filter f = { .period = "2022H2", .state = "submitted",
			      .lines = 1, .pages = 1 };
	cl_error err = CL_ERROR_INIT;
	cl_buf got = CL_BUF_INIT;

	fill_query_records(fx->ix);
	assert_int_equal(cl_index_query(fx->ix, &f, collect_lines, &got, &err), 0);
	assert_string_equal(got.ptr,
		"2022H2/t001|2022H2/t001              submitted              -            2022-09-04T10:00:00Z\n"
		"2022H2/t002|2022H2/t002              submitted              -            2022-09-04T10:00:00Z\n");
	cl_buf_release(&got);
}

static void test_index__lines_are_kept_with_their_rows(void **state)
{
	struct fixture *fx = *state;
	cl_index_filter f = { .period = "2022H2", .lines = 1 };
	cl_error err = CL_ERROR_INIT;
	cl_index_record r;
	cl_buf got = CL_BUF_INIT, want = CL_BUF_INIT;

	fill_query_records(fx->ix);
	assert_int_equal(cl_index_query(fx->ix, &f, collect_lines, &got, &err), 0);
	/* 1662285600 is 2022-09-04T10:00:00Z; no level shows as "-" */
	assert_string_equal(got.ptr,
		"2022H2/t001|2022H2/t001              submitted              -            2022-09-04T10:00:00Z\n"
		"2022H2/t002|2022H2/t002              submitted              -            2022-09-04T10:00:00Z\n"
		"2022H2/t003|2022H2/t003              draft                  -            2022-09-04T10:00:00Z\n"
		"2022H2/t010|2022H2/t010              approved               -            2022-09-04T10:00:00Z\n");

	/* a put again replaces the line with the new state, level and time */
	r = rec("2022H2/t003", "2022H2", "t003", "pending-township", NULL);
	r.level = (char *)"township";
	r.since = 1662285600 + 86400 + 61;
	apply(fx->ix, C2, &r, NULL);
	cl_buf_clear(&got);
	f.state = "pending-township";
	assert_int_equal(cl_index_query(fx->ix, &f, collect_lines, &got, &err), 0);
	cl_index_list_line(&want, &r);
	cl_buf_putc(&want, '\n');
	assert_string_equal(got.ptr + strlen("2022H2/t003|"), want.ptr);
	assert_string_equal(want.ptr, "2022H2/t003              pending-township       township     2022-09-05T10:01:01Z\n");
	cl_buf_release(&got);
	cl_buf_release(&want);
}

static int stop_after_two(const cl_index_record *r, void *payload)
{
	int *seen = payload;

	(void)r;
	return ++*seen == 2 ? 42 : 0;
}

static void test_index__query_stops_with_callback_value(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	int seen = 0;

	fill_query_records(fx->ix);
	assert_int_equal(cl_index_query(fx->ix, NULL, stop_after_two, &seen,
					&err), 42);
	assert_int_equal(seen, 2);
	/* the statement was reset: the same query runs again from the top */
	assert_query(fx->ix, NULL, ALL_FIVE);
}

struct reentry {
	cl_index *ix; /* the handle being queried */
	int calls;    /* outer callbacks so far */
};

/* Runs the same query, a get and a history inside the callback. */
static int reenter(const cl_index_record *r, void *payload)
{
	struct reentry *re = payload;
	cl_error err = CL_ERROR_INIT;
	cl_index_record got;

	re->calls++;
	assert_query(re->ix, NULL, ALL_FIVE);
	assert_int_equal(cl_index_get(re->ix, r->id, &got, &err), 0);
	assert_string_equal(got.state, r->state);
	assert_int_equal(got.nwaiting, r->nwaiting);
	cl_index_record_release(&got);
	assert_history(re->ix, r->id, "");
	return 0;
}

static void test_index__query_callback_may_reenter(void **state)
{
	struct fixture *fx = *state;
	struct reentry re = { fx->ix, 0 };
	cl_error err = CL_ERROR_INIT;

	fill_query_records(fx->ix);
	assert_int_equal(cl_index_query(fx->ix, NULL, reenter, &re, &err), 0);
	assert_int_equal(re.calls, 5);
	assert_query(fx->ix, NULL, ALL_FIVE);
}

/* Appends every field of the transitions to the cl_buf payload. */
static int dump_history(const cl_index_transition *t, void *payload)
{
	cl_buf *b = payload;

	cl_buf_printf(b, "%.1s %s %lld %s %s %s %s %s %s %s\n", t->commit,
		      t->record ? t->record : "-", (long long)t->time, t->actor,
		      t->action, t->from ? t->from : "-", t->to ? t->to : "-",
		      t->level ? t->level : "-", t->grade ? t->grade : "-",
		      t->comment ? t->comment : "-");
	return 0;
}

static void test_index__history_oldest_first(void **state)
{
	struct fixture *fx = *state;
	cl_index_transition t1 = tr(C1, "2022H2/t001", "submit");
	cl_index_transition t2 = tr(C2, "2022H2/t002", "submit");
	cl_index_transition t3 = tr(C3, "2022H2/t001", "approve");
	cl_index_transition t4 = tr(C4, NULL, "config");
	cl_index_transition t5 = tr(C5, "2022H2/t001", "approve");
	cl_error err = CL_ERROR_INIT;
	cl_buf got = CL_BUF_INIT;

	t1.from = (char *)"draft";
	t1.to = (char *)"submitted";
	t1.actor = (char *)"t001";
	t3.time = 100; /* applied later, though dated earlier */
	t3.from = (char *)"submitted";
	t3.to = (char *)"approved-1";
	t3.level = (char *)"L1";
	t3.grade = (char *)"B";
	t3.comment = (char *)"fine\nwork";
	t5.time = 1662285700;
	apply(fx->ix, C1, NULL, &t1);
	apply(fx->ix, C2, NULL, &t2);
	apply(fx->ix, C3, NULL, &t3);
	apply(fx->ix, C4, NULL, &t4);
	apply(fx->ix, C5, NULL, &t5);

	assert_int_equal(cl_index_history(fx->ix, "2022H2/t001", dump_history,
					  &got, &err), 0);
	assert_string_equal(got.ptr,
		"1 2022H2/t001 1662285600 t001 submit draft submitted - - -\n"
		"3 2022H2/t001 100 m1 approve submitted approved-1 L1 B fine\nwork\n"
		"5 2022H2/t001 1662285700 m1 approve - - - - -\n");
	cl_buf_release(&got);
	assert_int_equal(cl_index_history(fx->ix, NULL, dump_history, &got,
					  &err), 0);
	assert_string_equal(got.ptr, "4 - 1662285600 m1 config - - - - -\n");
	cl_buf_release(&got);
	assert_history(fx->ix, "2022H2/t002", "2/submit");
	assert_history(fx->ix, "2022H2/t999", "");
	assert_counts(fx->ix, 0, 5);
}

static void test_index__reset_empties(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t009", "2022H2", "t009", "draft", NULL);
	cl_index_transition t = tr(C2, NULL, "config");
	cl_error err = CL_ERROR_INIT;

	fill_query_records(fx->ix);
	apply(fx->ix, C2, NULL, &t);
	assert_counts(fx->ix, 5, 1);
	assert_int_equal(cl_index_reset(fx->ix, &err), 0);
	assert_counts(fx->ix, 0, 0);
	assert_head(fx->ix, "");
	assert_missing(fx->ix, "2022H2/t001");
	assert_query(fx->ix, NULL, "");
	assert_history(fx->ix, NULL, "");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 0);

	/* inside a write transaction it joins it: an atomic rebuild */
	fill_query_records(fx->ix);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_reset(fx->ix, &err), 0);
	assert_int_equal(cl_index_put_record(fx->ix, &r, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C3, &err), 0);
	assert_query(fx->ix, NULL, "2022H2/t009");
	assert_head(fx->ix, C3);
}

static int count_indexes(const char *path)
{
	return raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
		       " AND name NOT LIKE 'sqlite_autoindex%'");
}

/* A bulk load drops the secondary indexes, answers the same without
 * them, even across transactions and handles, and builds them again. */
static void test_index__bulk_load(void **state)
{
	struct fixture *fx = *state;
	cl_index_transition t1 = tr(C2, "2022H2/t001", "approve");
	cl_index_transition t2 = tr(C3, "2022H2/t002", "approve");
	cl_index_filter f = { .waiting = "m1", .in_flight = 1 };
	cl_error err = CL_ERROR_INIT;
	cl_index *other = NULL;
	int on = -1, all = count_indexes(fx->path);

	assert_int_equal(all, 5);
	assert_int_equal(cl_index_bulk(fx->ix, &on, &err), 0);
	assert_int_equal(on, 0);
	/* only inside a write transaction, and nothing changes otherwise */
	assert_int_equal(cl_index_bulk_begin(fx->ix, &err), CL_EINTERNAL);
	assert_int_equal(cl_index_bulk_end(fx->ix, &err), CL_EINTERNAL);
	assert_int_equal(count_indexes(fx->path), all);

	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	if (cl_index_bulk_begin(fx->ix, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cl_index_commit(fx->ix, C1, &err), 0);
	assert_int_equal(count_indexes(fx->path), 0);
	assert_int_equal(cl_index_open(&other, fx->path, &err), 0);
	assert_int_equal(cl_index_bulk(other, &on, &err), 0);
	assert_int_equal(on, 1);

	fill_query_records(other);
	apply(other, C2, NULL, &t1);
	assert_query(fx->ix, NULL, ALL_FIVE);
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2]");
	assert_history(fx->ix, "2022H2/t001", "2/approve");

	assert_int_equal(cl_index_begin(other, &err), 0);
	assert_int_equal(cl_index_add_transition(other, &t2, &err), 0);
	assert_int_equal(cl_index_bulk_end(other, &err), 0);
	assert_int_equal(cl_index_commit(other, C3, &err), 0);
	assert_int_equal(count_indexes(fx->path), all);
	assert_int_equal(cl_index_bulk(fx->ix, &on, &err), 0);
	assert_int_equal(on, 0);
	assert_query(fx->ix, &f, "2022H2/t001[m1];2022H2/t002[m1,m2]");
	assert_history(fx->ix, "2022H2/t002", "3/approve");
	/* out of bulk, a commit applied again is harmless */
	apply(fx->ix, C3, NULL, &t2);
	assert_history(fx->ix, "2022H2/t002", "3/approve");
	cl_index_free(other);
}

/* At a bulk load's end, before the records go in: the transitions'
 * index by record alone and how many records the transitions name; who
 * waits is emptied, and the records put then wait on whom they say. */
static void test_index__bulk_history_names_records(void **state)
{
	struct fixture *fx = *state;
	cl_index_transition t[] = { tr(C1, "2022H2/t001", "submit"), tr(C2, NULL, "config"),
				    tr(C3, "2022H2/t002", "submit"),
				    tr(C4, "2022H2/t001", "approve") };
	char *w1[] = { "m2", "m1", NULL }, *w2[] = { "m1", NULL }, *w9[] = { "m9", NULL };
	cl_index_filter f = { .waiting = "m1", .in_flight = 1 };
	cl_index_record old = rec("2022H2/t001", "2022H2", "t001", "submitted", w9);
	cl_error err = CL_ERROR_INIT;
	int64_t n = -1;
	size_t i;

	assert_int_equal(cl_index_bulk_history(fx->ix, &err), CL_EINTERNAL);
	apply(fx->ix, C1, &old, NULL);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 1);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_bulk_begin(fx->ix, &err), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(cl_index_add_transition(fx->ix, &t[i], &err), 0);
	assert_int_equal(cl_index_bulk_history(fx->ix, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C4, &err), 0);
	/* the one just built */
	assert_int_equal(count_indexes(fx->path), 1);

	/* emptied of the row from before the load (waiting on m9) */
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 0);

	/* the configuration change names no record */
	assert_int_equal(cl_index_named(fx->ix, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	put(fx->ix, rec("2022H2/t001", "2022H2", "t001", "submitted", w1));
	put(fx->ix, rec("2022H2/t002", "2022H2", "t002", "submitted", w2));
	assert_int_equal(cl_index_bulk_end(fx->ix, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C4, &err), 0);
	assert_int_equal(count_indexes(fx->path), 5);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 3);
	assert_query(fx->ix, &f, "2022H2/t001[m1,m2];2022H2/t002[m1]");
	f.waiting = "m2";
	assert_query(fx->ix, &f, "2022H2/t001[m1,m2]");
	f.waiting = "m9";
	assert_query(fx->ix, &f, "");
}

/* Opens a transaction that empties the index and stages, and puts r. */
static void stage_anew(cl_index *ix, cl_index_record r)
{
	cl_error err = CL_ERROR_INIT;

	assert_int_equal(cl_index_begin(ix, &err), 0);
	assert_int_equal(cl_index_reset(ix, &err), 0);
	assert_int_equal(cl_index_stage_begin(ix, &err), 0);
	put(ix, r);
}

/* The index as the staging test leaves it before each attempt. */
static void assert_only_t009(cl_index *ix)
{
	static const cl_index_filter all;

	assert_head(ix, C1);
	assert_query(ix, &all, "2022H2/t009[m1,m2]");
}

/* Staged records go in sorted by id at the stage's end, whatever order
 * they were put in; staging is refused on an index with records or
 * outside a transaction, a commit while staging fails, and a record put
 * twice fails at the end.  A refusal changes nothing. */
static void test_index__staged_records_go_in_sorted(void **state)
{
	struct fixture *fx = *state;
	char *w1[] = { "m2", "m1", NULL }, *w3[] = { "m1", "m1", NULL };
	cl_index_record old = rec("2022H2/t009", "2022H2", "t009", "submitted", w1);
	cl_index_filter f = { .waiting = "m1", .in_flight = 1 };
	cl_index_filter all = { 0 };
	cl_error err = CL_ERROR_INIT;
	int64_t n = -1;

	assert_int_equal(cl_index_stage_begin(fx->ix, &err), CL_EINTERNAL);
	apply(fx->ix, C1, &old, NULL);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_stage_begin(fx->ix, &err), CL_EINTERNAL);
	assert_non_null(strstr(err.msg, "the index has records"));
	cl_index_rollback(fx->ix);
	assert_query(fx->ix, &all, "2022H2/t009[m1,m2]");

	/* a commit while staging: refused, and the transaction is gone */
	stage_anew(fx->ix, rec("2022H2/t003", "2022H2", "t003", "submitted", w3));
	assert_int_equal(cl_index_commit(fx->ix, C2, &err), CL_EINTERNAL);
	assert_non_null(strstr(err.msg, "records are still staged"));
	assert_only_t009(fx->ix);

	/* put twice: the end fails, and the rollback leaves the index be */
	stage_anew(fx->ix, rec("2022H2/t003", "2022H2", "t003", "submitted", w3));
	put(fx->ix, rec("2022H2/t003", "2022H2", "t003", "submitted", w3));
	assert_int_equal(cl_index_stage_end(fx->ix, &err), CL_ESTORE);
	assert_non_null(strstr(err.msg, "cannot put the staged records"));
	cl_index_rollback(fx->ix);
	assert_only_t009(fx->ix);

	/* out of order in, in order out; a person listed twice waits once */
	stage_anew(fx->ix, rec("2022H2/t003", "2022H2", "t003", "submitted", w3));
	put(fx->ix, rec("2022H2/t001", "2022H2", "t001", "submitted", w1));
	put(fx->ix, rec("2022H2/t002", "2022H2", "t002", "approved", NULL));
	/* inside the transaction: emptied, and nothing in place yet */
	assert_int_equal(cl_index_counts(fx->ix, &n, NULL, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cl_index_stage_end(fx->ix, &err), 0);
	assert_int_equal(cl_index_counts(fx->ix, &n, NULL, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cl_index_stage_end(fx->ix, &err), CL_EINTERNAL);
	assert_int_equal(cl_index_commit(fx->ix, C3, &err), 0);
	assert_query(fx->ix, &all, "2022H2/t001[m1,m2];2022H2/t002;2022H2/t003[m1]");
	assert_query(fx->ix, &f, "2022H2/t001[m1,m2];2022H2/t003[m1]");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM waiting"), 3);
	/* and a put after it replaces a row as ever */
	apply(fx->ix, C4, &old, NULL);
	assert_query(fx->ix, &all, "2022H2/t001[m1,m2];2022H2/t002;2022H2/t003[m1];2022H2/t009[m1,m2]");
}

/* In bulk, a commit applied twice is caught when the indexes are built,
 * and that rolls the whole transaction back. */
static void test_index__bulk_end_refuses_a_commit_twice(void **state)
{
	struct fixture *fx = *state;
	cl_index_transition t = tr(C2, "2022H2/t001", "approve");
	cl_error err = CL_ERROR_INIT;
	int on = 0;

	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_bulk_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_add_transition(fx->ix, &t, &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C1, &err), 0);

	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_add_transition(fx->ix, &t, &err), 0);
	assert_int_equal(cl_index_bulk_end(fx->ix, &err), CL_ESTORE);
	assert_non_null(strstr(err.msg, "cannot build the index's indexes"));
	assert_non_null(strstr(err.msg, "UNIQUE"));
	cl_index_rollback(fx->ix);
	assert_head(fx->ix, C1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM transitions"), 1);
	assert_int_equal(cl_index_bulk(fx->ix, &on, &err), 0);
	assert_int_equal(on, 1);
	assert_int_equal(count_indexes(fx->path), 0);
}

#define EVIL_PERIOD "2022H2' OR '1'='1"
#define EVIL_ID EVIL_PERIOD "/x'); DROP TABLE records;--"
#define EVIL_PERSON "\" OR 1=1 --"
#define EVIL_COMMENT "'; DELETE FROM transitions; --"

static void test_index__injection_strings_are_stored_verbatim(void **state)
{
	struct fixture *fx = *state;
	char *w[] = { EVIL_PERSON, "%", NULL };
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_index_record evil = rec(EVIL_ID, EVIL_PERIOD, "t001",
		"s'; --", w), out;
	cl_index_transition t = tr(C2, EVIL_ID, "approve");
	cl_index_filter f;
	cl_error err = CL_ERROR_INIT;

	evil.level = (char *)"L1'--";
	t.comment = (char *)EVIL_COMMENT;
	apply(fx->ix, C1, &r, NULL);
	apply(fx->ix, C2, &evil, &t);

	assert_int_equal(cl_index_get(fx->ix, EVIL_ID, &out, &err), 0);
	assert_string_equal(out.id, EVIL_ID);
	assert_string_equal(out.period, EVIL_PERIOD);
	assert_string_equal(out.state, "s'; --");
	assert_string_equal(out.level, "L1'--");
	assert_int_equal(out.nwaiting, 2);
	assert_string_equal(out.waiting[0], EVIL_PERSON);
	assert_string_equal(out.waiting[1], "%");
	cl_index_record_release(&out);

	f = (cl_index_filter){ .period = EVIL_PERIOD };
	assert_query(fx->ix, &f, EVIL_ID "[" EVIL_PERSON ",%]");
	f = (cl_index_filter){ .period = "2022H2" };
	assert_query(fx->ix, &f, "2022H2/t001");
	f = (cl_index_filter){ .waiting = "%" };
	assert_query(fx->ix, &f, EVIL_ID "[" EVIL_PERSON ",%]");
	f = (cl_index_filter){ .state = "' OR 1=1 --" };
	assert_query(fx->ix, &f, "");
	assert_history(fx->ix, EVIL_ID, "2/approve");
	assert_counts(fx->ix, 2, 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM transitions"
				 " WHERE comment = '''; DELETE FROM transitions; --'"), 1);
}

static void test_index__reopen_keeps_data(void **state)
{
	struct fixture *fx = *state;
	char *w[] = { "m1", NULL };
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", w), out;
	cl_index_transition t = tr(C1, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;

	apply(fx->ix, C1, &r, &t);
	cl_index_free(fx->ix);
	fx->ix = NULL;
	assert_int_equal(cl_index_open(&fx->ix, fx->path, &err), 0);
	assert_head(fx->ix, C1);
	assert_counts(fx->ix, 1, 1);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t001", &out, &err), 0);
	assert_string_equal(out.state, "submitted");
	assert_int_equal(out.nwaiting, 1);
	assert_string_equal(out.waiting[0], "m1");
	cl_index_record_release(&out);
	assert_history(fx->ix, "2022H2/t001", "1/submit");
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Applies the submission of record 2022H2/t<i> as commit <i> (in hex). */
static void submit_nth(cl_index *ix, int i)
{
	char id[32], head[48], *w[] = { "m1", NULL };
	cl_index_record r;
	cl_index_transition t;

	snprintf(id, sizeof(id), "2022H2/t%05d", i);
	snprintf(head, sizeof(head), "%040x", i);
	r = rec(id, "2022H2", id + 7, "submitted", w);
	t = tr(head, id, "submit");
	apply(ix, head, &r, &t);
}

/* Submits records from first on until a commit leaves the log wal empty
 * (it checkpointed), at most up to 999: returns the number of that
 * record, *most the log's largest size before it. */
static int submit_until_checkpoint(cl_index *ix, const char *wal, int first,
				   long long *most)
{
	long long size;
	int i;

	*most = 0;
	for (i = first; i < 1000; i++) {
		submit_nth(ix, i);
		if ((size = file_size(wal)) == 0)
			break;
		*most = size > *most ? size : *most;
	}
	return i;
}

/* Closing does not checkpoint: the commits stay in the write-ahead log,
 * part of the index, until a commit takes the log past its limit; that
 * one checkpoints and leaves the log empty, with nothing lost. */
static void test_index__log_is_checkpointed_by_size_not_on_close(void **state)
{
	struct fixture *fx = *state;
	char wal[160], head[48], *w[] = { "m1", NULL };
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001", "submitted", w);
	cl_index_transition t = tr(C1, "2022H2/t001", "submit");
	cl_error err = CL_ERROR_INIT;
	long long most;
	int i;

	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	apply(fx->ix, C1, &r, &t);
	cl_index_free(fx->ix);
	fx->ix = NULL;
	assert_true(file_size(wal) > 0);
	assert_int_equal(cl_index_open(&fx->ix, fx->path, &err), 0);
	assert_head(fx->ix, C1);
	assert_counts(fx->ix, 1, 1);
	i = submit_until_checkpoint(fx->ix, wal, 2, &most);
	assert_true(i < 1000);
	/* some five commits at least went by before the checkpoint, which
	 * came once the log held 64 pages of 8 KiB (index.c: INDEX_WAL_PAGES) */
	assert_true(i > 5);
	assert_true(most >= 64 * 8192 / 2);
	snprintf(head, sizeof(head), "%040x", i);
	assert_head(fx->ix, head);
	assert_counts(fx->ix, i, i);
}

/* A long-lived writer (batch, serve) lets the log grow to 256 pages
 * before a commit checkpoints, and closing leaves it empty, as a one-shot
 * command's next opener would want. */
static void test_index__long_lived_writer_checkpoints_later_and_on_close(void **state)
{
	struct fixture *fx = *state;
	char wal[160];
	long long most;
	int i, n;

	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	cl_index_long_lived(fx->ix);
	n = submit_until_checkpoint(fx->ix, wal, 1, &most);
	assert_true(n < 1000);
	/* past the one-shot limit (64 pages of 8 KiB), up to the long one */
	assert_true(most > 64 * 8192 + 32768);
	/* some commits more, then the log is left over 64 pages */
	for (i = 1000; file_size(wal) <= 64 * 8192 + 32768; i++)
		submit_nth(fx->ix, i);
	cl_index_free(fx->ix);
	fx->ix = NULL;
	assert_int_equal(file_size(wal), 0);
	/* nothing lost: every commit is in the file */
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM records"), n + i - 1000);
}

static void test_index__two_handles_share_committed_data(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r1 = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_index_record r2 = rec("2022H2/t002", "2022H2", "t002",
		"submitted", NULL);
	cl_error err = CL_ERROR_INIT;
	cl_index *other = NULL;

	assert_int_equal(cl_index_open(&other, fx->path, &err), 0);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_put_record(fx->ix, &r1, &err), 0);
	/* not committed yet: invisible, and the reader is not blocked */
	assert_missing(other, "2022H2/t001");
	assert_head(other, "");
	assert_int_equal(cl_index_commit(fx->ix, C1, &err), 0);
	assert_head(other, C1);
	assert_query(other, NULL, "2022H2/t001");

	apply(other, C2, &r2, NULL);
	assert_head(fx->ix, C2);
	assert_query(fx->ix, NULL, "2022H2/t001;2022H2/t002");
	cl_index_free(other);
}

struct writer {
	cl_index *ix;     /* the other handle, which writes */
	cl_index *reader; /* the handle whose query calls us */
	int calls;        /* callbacks so far */
};

/* While the reader is mid-query, the other handle writes and commits. */
static int write_meanwhile(const cl_index_record *r, void *payload)
{
	struct writer *w = payload;
	cl_index_record n = rec("2022H2/t099", "2022H2", "t099", "draft", NULL);

	(void)r;
	if (w->calls++)
		return 0;
	apply(w->ix, C2, &n, NULL);
	/* the reader keeps its snapshot until its query ends */
	assert_missing(w->reader, "2022H2/t099");
	return 0;
}

static void test_index__readers_never_hold_the_write_lock(void **state)
{
	struct fixture *fx = *state;
	struct writer w = { NULL, fx->ix, 0 };
	cl_error err = CL_ERROR_INIT;
	cl_index_record out;

	fill_query_records(fx->ix);
	assert_int_equal(cl_index_open(&w.ix, fx->path, &err), 0);
	assert_int_equal(cl_index_query(fx->ix, NULL, write_meanwhile, &w,
					&err), 0);
	assert_int_equal(w.calls, 5);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t099", &out, &err), 0);
	cl_index_record_release(&out);
	assert_history(fx->ix, "2022H2/t099", "");
	assert_counts(fx->ix, 6, 0);
	assert_head(fx->ix, C2);
	/* no read left a snapshot open: the WAL can be checkpointed away */
	assert_int_equal(raw_int(fx->path, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	cl_index_free(w.ix);
}

static void test_index__other_schema_version_is_rebuilt(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001",
		"submitted", NULL);
	cl_error err = CL_ERROR_INIT;

	apply(fx->ix, C1, &r, NULL);
	cl_index_free(fx->ix);
	fx->ix = NULL;
	raw_exec(fx->path, "PRAGMA user_version = 6");
	assert_int_equal(cl_index_open(&fx->ix, fx->path, &err), 0);
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 9);
	assert_head(fx->ix, "");
	assert_counts(fx->ix, 0, 0);
	apply(fx->ix, C1, &r, NULL);
	assert_counts(fx->ix, 1, 0);
}

static void test_index__open_rejects_a_file_that_is_no_database(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	char path[192], junk[4096];
	cl_index *ix = (cl_index *)&junk;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/junk.db", fx->dir);
	memset(junk, 'x', sizeof(junk));
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(cl_index_open(&ix, path, &err), CL_ESTORE);
	assert_null(ix);
	assert_non_null(strstr(err.msg, "cannot open the index '"));
	assert_non_null(strstr(err.msg, "': file is not a database"));
}

static int trail_line(const cl_index_transition *t, void *payload)
{
	cl_buf *b = payload;

	cl_buf_printf(b, "%s %s %s %s\n", t->record, t->commit, t->action,
		      t->to ? t->to : "-");
	return 0;
}

static int trail_stop(const cl_index_transition *t, void *payload)
{
	(void)t;
	return ++*(int *)payload == 2 ? 7 : 0;
}

/* A rebuild reads the transitions record by record, each record's in the
 * order applied, and none of a configuration change. */
static void test_index__trails_are_by_record_then_order_applied(void **state)
{
	struct fixture *fx = *state;
	cl_index_transition t;
	cl_error err = CL_ERROR_INIT;
	cl_buf got = CL_BUF_INIT;
	int seen = 0;

	t = tr(C1, "2022H2/t002", "submit");
	t.to = (char *)"pending-village";
	apply(fx->ix, C1, NULL, &t);
	t = tr(C2, "2022H2/t001", "submit");
	t.to = (char *)"pending-village";
	apply(fx->ix, C2, NULL, &t);
	t = tr(C3, NULL, "config");
	apply(fx->ix, C3, NULL, &t);
	t = tr(C4, "2022H2/t002", "approve");
	t.to = (char *)"approved";
	apply(fx->ix, C4, NULL, &t);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_trails(fx->ix, trail_line, &got, &err), 0);
	assert_string_equal(got.ptr, "2022H2/t001 " C2 " submit pending-village\n"
				     "2022H2/t002 " C1 " submit pending-village\n"
				     "2022H2/t002 " C4 " approve approved\n");
	/* a callback's non-zero stops the walk and is returned */
	assert_int_equal(cl_index_trails(fx->ix, trail_stop, &seen, &err), 7);
	assert_int_equal(seen, 2);
	cl_index_rollback(fx->ix);
	cl_buf_release(&got);
}

static void test_index__waiting_is_sorted_and_unique(void **state)
{
	struct fixture *fx = *state;
	char *w[] = { "m3", "m1", "m3", "m2", NULL };
	cl_index_record r = rec("2022H2/t001", "2022H2", "t001", "pending", w);
	cl_index_filter f = { 0 };
	cl_error err = CL_ERROR_INIT;
	cl_index_record out;

	apply(fx->ix, C1, &r, NULL);
	assert_int_equal(cl_index_get(fx->ix, "2022H2/t001", &out, &err), 0);
	assert_int_equal(out.nwaiting, 3);
	assert_string_equal(out.waiting[0], "m1");
	assert_string_equal(out.waiting[2], "m3");
	cl_index_record_release(&out);
	f.waiting = "m3";
	assert_query(fx->ix, &f, "2022H2/t001[m1,m2,m3]");
	f.waiting = "m4";
	assert_query(fx->ix, &f, "");
}

static void test_index__period_filter_matches_only_that_period(void **state)
{
	struct fixture *fx = *state;
	const char *ids[] = { "2022H1/t001", "2022H2/t001", "2022H2/t002",
			      "2022H20/t001", "2023H1/t001" };
	cl_index_filter f = { 0 };
	char period[16];
	size_t i;

	{
		cl_index_record bad = rec("2022H2/t001", "2022H1", "t001", "draft", NULL);
		cl_error err = CL_ERROR_INIT;

		assert_int_equal(cl_index_begin(fx->ix, &err), 0);
		assert_int_equal(cl_index_put_record(fx->ix, &bad, &err), CL_EINVALID);
		assert_string_equal(err.msg, "record '2022H2/t001' is not in period '2022H1'");
		bad.period = (char *)"2022";
		assert_int_equal(cl_index_put_record(fx->ix, &bad, &err), CL_EINVALID);
		cl_index_rollback(fx->ix);
	}
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		cl_index_record r = rec(ids[i], "", "t001", "draft", NULL);
		snprintf(period, sizeof(period), "%.*s",
			 (int)(strchr(ids[i], '/') - ids[i]), ids[i]);
		r.period = period;
		apply(fx->ix, C1, &r, NULL);
	}
	f.period = "2022H2";
	assert_query(fx->ix, &f, "2022H2/t001;2022H2/t002");
	f.period = "2022H20";
	assert_query(fx->ix, &f, "2022H20/t001");
	f.period = "2022";
	assert_query(fx->ix, &f, "");
}

static void test_index__config_key_goes_with_the_head(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_buf key = CL_BUF_INIT;

	assert_int_equal(cl_index_config(fx->ix, &key, &err), CL_ENOTFOUND);
	assert_int_equal(cl_index_set_config(fx->ix, "k1", &err), CL_EINTERNAL);
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_set_config(fx->ix, "k1", &err), 0);
	assert_int_equal(cl_index_commit(fx->ix, C1, &err), 0);
	assert_int_equal(cl_index_config(fx->ix, &key, &err), 0);
	assert_string_equal(key.ptr, "k1");
	/* a rolled-back transaction keeps the old key with the old head */
	assert_int_equal(cl_index_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_set_config(fx->ix, "k2", &err), 0);
	cl_index_rollback(fx->ix);
	cl_buf_clear(&key);
	assert_int_equal(cl_index_config(fx->ix, &key, &err), 0);
	assert_string_equal(key.ptr, "k1");
	assert_head(fx->ix, C1);
	cl_buf_release(&key);
}

static void test_index__snapshot_ignores_later_writes(void **state)
{
	struct fixture *fx = *state;
	cl_index_record r1 = rec("2022H2/t001", "2022H2", "t001", "submitted", NULL);
	cl_error err = CL_ERROR_INIT;
	cl_index *other = NULL;

	apply(fx->ix, C1, &r1, NULL);
	assert_int_equal(cl_index_open(&other, fx->path, &err), 0);
	assert_int_equal(cl_index_read_begin(fx->ix, &err), 0);
	assert_int_equal(cl_index_read_begin(fx->ix, &err), CL_EINTERNAL);
	assert_head(fx->ix, C1);
	/* a reindex meanwhile: the reader still sees the head and rows it
	 * checked, not the emptied index */
	assert_int_equal(cl_index_reset(other, &err), 0);
	assert_head(other, "");
	assert_head(fx->ix, C1);
	assert_query(fx->ix, NULL, "2022H2/t001");
	assert_counts(fx->ix, 1, 0);
	cl_index_read_end(fx->ix);
	cl_index_read_end(fx->ix);
	assert_head(fx->ix, "");
	assert_query(fx->ix, NULL, "");
	cl_index_read_end(NULL);
	cl_index_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_index__##name, setup, teardown)
		T(open_creates_schema_and_empty_head),
		T(apply_then_get_returns_fields),
		T(get_without_level_or_waiting),
		T(get_missing_is_notfound),
		T(put_replaces_waiting_set),
		T(reapply_transition_is_idempotent),
		T(rollback_leaves_nothing),
		T(write_outside_transaction_is_refused),
		T(missing_fields_are_invalid),
		T(commit_ids_round_trip_and_bad_ones_are_refused),
		T(bad_head_rolls_back_the_commit),
		T(query_filters),
		T(lines_are_kept_with_their_rows),
		T(pages_hold_the_list_in_runs),
		T(pages_with_other_filters_are_lines),
		T(lines_check_finds_what_disagrees),
		T(query_stops_with_callback_value),
		T(query_callback_may_reenter),
		T(history_oldest_first),
		T(reset_empties),
		T(bulk_load),
		T(bulk_end_refuses_a_commit_twice),
		T(bulk_history_names_records),
		T(staged_records_go_in_sorted),
		T(injection_strings_are_stored_verbatim),
		T(reopen_keeps_data),
	T(log_is_checkpointed_by_size_not_on_close),
	T(long_lived_writer_checkpoints_later_and_on_close),
		T(two_handles_share_committed_data),
		T(readers_never_hold_the_write_lock),
		T(other_schema_version_is_rebuilt),
		T(trails_are_by_record_then_order_applied),
		T(waiting_is_sorted_and_unique),
		T(period_filter_matches_only_that_period),
		T(config_key_goes_with_the_head),
		T(snapshot_ignores_later_writes),
		T(open_rejects_a_file_that_is_no_database),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
