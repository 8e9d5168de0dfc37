/*
 * test_engine.c - unit tests for the home (engine/engine.c): reads that
 * answer from the index alone, and only when it is at the branch tip.
 *
 * Each test makes a home with the sample configuration in a fresh mkdtemp
 * directory and submits t001's 2022H2 log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "engine.h"
#include "index.h"
#include "record.h"
#include "util.h"
#include "yaml.h"

#define T0 1640995200 /* 2022-01-01, the home's first commit */
#define T1 1672531200 /* 2023-01-01, the submission */

struct fixture {
	char dir[64];   /* the mkdtemp directory */
	char home[96];  /* the home in it */
	char cmd[2048]; /* scratch for system() */
};

static void sample_files(cl_buf data[4], cl_config_file files[4])
{
	static const char *const names[] = { "workflow.yaml", "org.yaml", "people.yaml",
					     "needs.yaml" };
	static const char *const paths[] = { CL_SOURCE_ROOT "/workflows/three-level.yaml",
					     CL_SOURCE_ROOT "/records/sample/org.yaml",
					     CL_SOURCE_ROOT "/records/sample/people.yaml",
					     CL_SOURCE_ROOT "/records/sample/needs.yaml" };
	cl_error err = CL_ERROR_INIT;
	int i;

	for (i = 0; i < 4; i++) {
		cl_buf_init(&data[i]);
		assert_int_equal(cl_buf_read_file(&data[i], paths[i], CL_CONFIG_MAX_BYTES, &err), 0);
		files[i] = (cl_config_file){ names[i], names[i], data[i].ptr, data[i].size };
	}
}

static void act(const char *home, cl_action action, const char *actor, int64_t when)
{
	cl_buf data = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_request req = { 0 };
	cl_ynode *log = NULL;
	cl_home *h = NULL;
	static const char path[] = CL_SOURCE_ROOT "/records/sample/logs/t001-2022H2.yaml";

	req.action = action;
	req.record_id = "2022H2/t001";
	req.actor = actor;
	req.time = when;
	req.comment = action == CL_ACTION_REJECT ? "Redo it." : NULL;
	if (action == CL_ACTION_SUBMIT) {
		assert_int_equal(cl_buf_read_file(&data, path, 1 << 20, &err), 0);
		assert_int_equal(cl_yaml_parse(&log, path, data.ptr, data.size, 1 << 20, &err), 0);
		req.log = log;
		req.log_file = path;
	}
	assert_int_equal(cl_home_open(&h, home, &err), 0);
	if (cl_home_act(h, &req, NULL, NULL, &err) < 0)
		fail_msg("act: %s", err.msg);
	cl_home_free(h);
	cl_ynode_free(log);
	cl_buf_release(&data);
}

static int setup(void **state)
{
	struct fixture *fx = cl_xcalloc(1, sizeof(*fx));
	cl_error err = CL_ERROR_INIT;
	cl_config_file files[4];
	cl_buf data[4];
	int i;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/chainlog-engine-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	sample_files(data, files);
	assert_int_equal(cl_home_create(fx->home, files, 4, NULL, T0, &err), 0);
	for (i = 0; i < 4; i++)
		cl_buf_release(&data[i]);
	act(fx->home, CL_ACTION_SUBMIT, "t001", T1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->cmd, sizeof(fx->cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(fx->cmd), 0);
	free(fx);
	return 0;
}

/* Copies an index whole: the file and its write-ahead log, which holds
 * the commits since the last checkpoint (or no log if FROM has none). */
static void copy_index(struct fixture *fx, const char *from, const char *to)
{
	snprintf(fx->cmd, sizeof(fx->cmd),
		 "cd '%s' && cp '%s' '%s' && if [ -e '%s-wal' ]; then"
		 " cp '%s-wal' '%s-wal'; else rm -f '%s-wal'; fi",
		 fx->home, from, to, from, from, to, to);
	assert_int_equal(system(fx->cmd), 0);
}

/* Opens for reading; *alone says whether it answered without the store. */
static char *read_state(const char *home, int *alone)
{
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;
	cl_home *h = NULL;
	char *state;

	assert_int_equal(cl_home_open_read(&h, home, &err), 0);
	*alone = cl_home_store(h) == NULL;
	if (cl_home_record(&r, h, "2022H2/t001", &err) < 0)
		fail_msg("record: %s", err.msg);
	state = cl_xstrdup(r->state);
	cl_record_free(r);
	cl_home_free(h);
	return state;
}

static void test_engine__read_at_tip_needs_no_store(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	const cl_config *cfg;
	const cl_machine *m;
	cl_record *r = NULL;
	cl_home *h = NULL;
	int alone;
	char *s;

	s = read_state(fx->home, &alone);
	assert_true(alone);
	assert_string_equal(s, "pending-village");
	free(s);
	assert_int_equal(cl_home_open_read(&h, fx->home, &err), 0);
	assert_null(cl_home_store(h));
	assert_int_equal(cl_home_config(&cfg, &m, h, &err), 0);
	assert_non_null(cl_people_find(cfg->people, "t001"));
	assert_int_equal(cl_home_record(&r, h, "2022H2/t404", &err), CL_ENOTFOUND);
	assert_string_equal(err.msg, "no record '2022H2/t404'");
	cl_home_free(h);
}

/* A read loads the configuration only when asked for it; when HOME/cache
 * has gone by then, it comes from the history at the index's head, and
 * the record still answers from the index. */
static void test_engine__read_config_without_cache(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	const cl_config *cfg = NULL;
	const cl_machine *m = NULL;
	cl_index_record row;
	cl_record *r = NULL;
	cl_home *h = NULL;

	assert_int_equal(cl_home_open_read(&h, fx->home, &err), 0);
	assert_null(cl_home_store(h));
	snprintf(fx->cmd, sizeof(fx->cmd), "rm -rf '%s/cache'", fx->home);
	assert_int_equal(system(fx->cmd), 0);
	if (cl_home_config(&cfg, &m, h, &err) < 0)
		fail_msg("config: %s", err.msg);
	assert_non_null(cl_home_store(h)); /* it had to read the history */
	assert_non_null(cl_people_find(cfg->people, "t001"));
	assert_int_equal(cl_home_record(&r, h, "2022H2/t001", &err), 0);
	assert_string_equal(r->state, "pending-village");
	/* the row keeps the village level's deadline: 15 days after since */
	assert_int_equal(cl_index_get(cl_home_index(h), "2022H2/t001", &row, &err), 0);
	assert_int_equal(row.due, cl_workflow_due(cfg->workflow, "village", row.since));
	assert_int_equal(row.due, row.since + 15 * 86400);
	cl_index_record_release(&row);
	cl_record_free(r);
	cl_home_free(h);
}

/* Another process committed and its index update was lost: the index is
 * behind the tip, so the read must take the long way and see the commit. */
static void test_engine__read_behind_tip_catches_up(void **state)
{
	struct fixture *fx = *state;
	int alone;
	char *s;

	copy_index(fx, "index.sqlite", "index.old");
	act(fx->home, CL_ACTION_WITHDRAW, "t001", T1 + 60);
	copy_index(fx, "index.old", "index.sqlite");
	s = read_state(fx->home, &alone);
	assert_false(alone);
	assert_string_equal(s, "withdrawn");
	free(s);
	s = read_state(fx->home, &alone);
	assert_true(alone);
	assert_string_equal(s, "withdrawn");
	free(s);
}

/* A packed branch (git pack-refs) is read too; a branch that moved in
 * packed-refs is seen. */
static void test_engine__read_follows_packed_refs(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_buf packed = CL_BUF_INIT, path = CL_BUF_INIT;
	cl_oid tip, peek;
	cl_home *h = NULL;
	char hex[CL_OID_HEXSZ + 1];
	int alone;
	char *s;

	assert_int_equal(cl_home_open(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_tip(h, &tip, &err), 0);
	cl_home_free(h);
	cl_buf_printf(&path, "%s/history.git", fx->home);
	assert_int_equal(cl_store_peek_tip(path.ptr, &peek, &err), 0);
	assert_true(cl_oid_equal(&tip, &peek));
	/* by hand, as git pack-refs does it */
	cl_oid_fmt(hex, &tip);
	cl_buf_printf(&packed, "# pack-refs with: peeled fully-peeled sorted \n"
		      "%s refs/heads/aaa\n%s refs/heads/main\n", hex, hex);
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s/history.git/packed-refs", fx->home);
	assert_int_equal(cl_buf_write_file(path.ptr, packed.ptr, packed.size, &err), 0);
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s/history.git/refs/heads/main", fx->home);
	assert_int_equal(unlink(path.ptr), 0);
	s = read_state(fx->home, &alone);
	assert_true(alone);
	free(s);
	/* a writer moves the packed branch (libgit2 writes a loose ref) */
	copy_index(fx, "index.sqlite", "index.old");
	act(fx->home, CL_ACTION_WITHDRAW, "t001", T1 + 60);
	copy_index(fx, "index.old", "index.sqlite");
	s = read_state(fx->home, &alone);
	assert_false(alone);
	assert_string_equal(s, "withdrawn");
	free(s);
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s/history.git", fx->home);
	cl_buf_clear(&packed);
	cl_buf_printf(&packed, "%s/history.git/refs/heads/main", fx->home);
	assert_int_equal(unlink(packed.ptr), 0);
	assert_int_equal(cl_store_peek_tip(path.ptr, &peek, &err), 0);
	assert_true(cl_oid_equal(&tip, &peek)); /* the old packed line */
	cl_buf_release(&packed);
	cl_buf_release(&path);
}

static void test_engine__peek_refuses_what_is_no_plain_id(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_buf path = CL_BUF_INIT, git = CL_BUF_INIT;
	cl_oid peek;

	cl_buf_printf(&git, "%s/history.git", fx->home);
	cl_buf_printf(&path, "%s/refs/heads/main", git.ptr);
	assert_int_equal(cl_buf_write_file(path.ptr, "ref: refs/heads/x\n", 18, &err), 0);
	assert_int_equal(cl_store_peek_tip(git.ptr, &peek, &err), CL_EINVALID);
	assert_int_equal(cl_buf_write_file(path.ptr, "12345", 5, &err), 0);
	assert_int_equal(cl_store_peek_tip(git.ptr, &peek, &err), CL_EINVALID);
	assert_int_equal(unlink(path.ptr), 0);
	assert_int_equal(cl_store_peek_tip(git.ptr, &peek, &err), CL_ENOTFOUND);
	assert_int_equal(cl_store_peek_tip("/nonexistent/x.git", &peek, &err), CL_ENOTFOUND);
	cl_buf_release(&path);
	cl_buf_release(&git);
}

/* Everything the index says, as text. */
static int dump_record(const cl_index_record *r, void *payload)
{
	cl_buf *b = payload;
	size_t i;

	cl_buf_printf(b, "%s|%s|%s|%s|%s|%lld|%s|", r->id, r->period, r->talent, r->state,
		      r->level ? r->level : "-", (long long)r->since, r->commit);
	for (i = 0; i < r->nwaiting; i++)
		cl_buf_printf(b, "%s,", r->waiting[i]);
	cl_buf_putc(b, '\n');
	return 0;
}

static int dump_transition(const cl_index_transition *t, void *payload)
{
	cl_buf *b = payload;

	cl_buf_printf(b, "%s|%s|%lld|%s|%s|%s|%s|%s\n", t->commit, t->record ? t->record : "-",
		      (long long)t->time, t->actor, t->action, t->from ? t->from : "-",
		      t->to ? t->to : "-", t->level ? t->level : "-");
	return 0;
}

static void dump(cl_buf *out, const char *home)
{
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	char head[CL_OID_HEXSZ + 1];

	if (cl_home_open(&h, home, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(cl_index_head(cl_home_index(h), head, &err), 0);
	cl_buf_printf(out, "head %s\n", head);
	assert_int_equal(cl_index_query(cl_home_index(h), NULL, dump_record, out, &err), 0);
	assert_int_equal(cl_index_history(cl_home_index(h), "2022H2/t001", dump_transition, out,
					  &err), 0);
	assert_int_equal(cl_index_history(cl_home_index(h), NULL, dump_transition, out, &err), 0);
	assert_int_equal(cl_index_config(cl_home_index(h), out, &err), 0);
	cl_home_free(h);
}

/* An integer the index answers to sql (-999 for no row). */
static int64_t index_int(const char *home, const char *sql)
{
	cl_buf path = CL_BUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -999;

	cl_buf_printf(&path, "%s/index.sqlite", home);
	assert_int_equal(sqlite3_open_v2(path.ptr, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	cl_buf_release(&path);
	return v;
}

/* Where the index's unique index on commit ids starts in the file: a
 * bulk load builds it again, after the rows, so it moves (in a file big
 * enough that the page it left is not the one it takes again). */
/* Runs sql on the index with sqlite alone, as anyone with the file can. */
static void index_exec(const char *home, const char *sql)
{
	cl_buf path = CL_BUF_INIT;
	sqlite3 *db = NULL;

	cl_buf_printf(&path, "%s/index.sqlite", home);
	assert_int_equal(sqlite3_open(path.ptr, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cl_buf_release(&path);
}

/* Commit by commit (each command catching up) and all at once (reindex,
 * or catching up from nothing) give the same index. */
static void test_engine__reindex_equals_catch_up(void **state)
{
	struct fixture *fx = *state;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT, path = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;

	act(fx->home, CL_ACTION_APPROVE, "v-nanzhao-01", T1 + 60);
	act(fx->home, CL_ACTION_REJECT, "tw-nanzhao", T1 + 120);
	dump(&a, fx->home);
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	cl_home_free(h);
	/* however short the history, a reindex loads it in one pass from the
	 * tip back: seq -1 is the tip, -4 the root */
	assert_int_equal(index_int(fx->home, "SELECT min(seq) FROM transitions"), -4);
	assert_int_equal(index_int(fx->home, "SELECT max(seq) FROM transitions"), -1);
	assert_int_equal(index_int(fx->home, "SELECT action = 'reject' FROM transitions"
				   " WHERE seq = -1"), 1);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);
	cl_buf_printf(&path, "%s/index.sqlite", fx->home);
	assert_int_equal(unlink(path.ptr), 0);
	cl_buf_clear(&b);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);
	assert_int_equal(index_int(fx->home, "SELECT min(seq) FROM transitions"), -4);
	/* a transition applied afterwards comes after them all */
	act(fx->home, CL_ACTION_SUBMIT, "t001", T1 + 180);
	assert_int_equal(index_int(fx->home, "SELECT seq FROM transitions"
				   " WHERE action = 'submit' ORDER BY seq DESC LIMIT 1"), 0);
	cl_buf_clear(&a);
	dump(&a, fx->home);
	assert_non_null(strstr(a.ptr, "|reject|pending-township|returned|"));
	assert_true(strstr(a.ptr, "|reject|pending-township|returned|") <
		    strstr(a.ptr, "|submit|returned|pending-village|"));
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_buf_release(&path);
}

/* cl_home_act hands back the record as its commit has it, and nothing
 * when it refuses. */
static void test_engine__act_hands_back_the_record(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_request req = { 0 };
	cl_record *after = NULL, *read = NULL;
	cl_home *h = NULL;
	cl_oid commit, tip;

	req.action = CL_ACTION_APPROVE;
	req.record_id = "2022H2/t001";
	req.actor = "v-nanzhao-01";
	req.time = T1 + 60;
	assert_int_equal(cl_home_open(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_act(h, &req, &commit, &after, &err), 0);
	assert_non_null(after);
	assert_string_equal(after->state, "pending-township");
	assert_int_equal(cl_home_tip(h, &tip, &err), 0);
	assert_true(cl_oid_equal(&tip, &commit));
	assert_int_equal(cl_home_record(&read, h, "2022H2/t001", &err), 0);
	assert_string_equal(read->state, after->state);
	assert_string_equal(read->level, after->level);
	assert_int_equal(read->ntrail, after->ntrail);
	cl_record_free(read);
	cl_record_free(after);
	/* the same reviewer again: refused, and *after is NULL */
	after = (cl_record *)&err; /* anything but NULL */
	assert_int_equal(cl_home_act(h, &req, NULL, &after, &err), CL_EDENIED);
	assert_null(after);
	cl_home_free(h);
}

/* Rounds of approve, reject, submit again on t001: 3 commits each. */
static void rounds(const char *home, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		act(home, CL_ACTION_APPROVE, "v-nanzhao-01", T1 + 180 * i + 60);
		act(home, CL_ACTION_REJECT, "tw-nanzhao", T1 + 180 * i + 120);
		act(home, CL_ACTION_SUBMIT, "t001", T1 + 180 * i + 180);
	}
}

static int index_in_bulk(const char *home)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf path = CL_BUF_INIT;
	cl_index *ix = NULL;
	int on = -1;

	cl_buf_printf(&path, "%s/index.sqlite", home);
	assert_int_equal(cl_index_open(&ix, path.ptr, &err), 0);
	assert_int_equal(cl_index_bulk(ix, &on, &err), 0);
	cl_index_free(ix);
	cl_buf_release(&path);
	return on;
}

/* Leaves the index as a bulk loader that died leaves it, the head
 * unchanged: the secondary indexes dropped, and no record rows (a bulk
 * load puts them at its end). */
static void leave_in_bulk(const char *home)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf path = CL_BUF_INIT;
	cl_index *ix = NULL;
	sqlite3 *db = NULL;
	char head[CL_OID_HEXSZ + 1];

	cl_buf_printf(&path, "%s/index.sqlite", home);
	assert_int_equal(cl_index_open(&ix, path.ptr, &err), 0);
	assert_int_equal(cl_index_head(ix, head, &err), 0);
	assert_int_equal(cl_index_begin(ix, &err), 0);
	assert_int_equal(cl_index_bulk_begin(ix, &err), 0);
	assert_int_equal(cl_index_commit(ix, head, &err), 0);
	cl_index_free(ix);
	assert_int_equal(sqlite3_open(path.ptr, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM records;"
				      " DELETE FROM waiting", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cl_buf_release(&path);
	assert_int_equal(index_in_bulk(home), 1);
}

/* A reindex of more commits than ENGINE_BULK_MIN loads in bulk, and gives
 * the index that catching up commit by commit gave, indexes and all. */
static void test_engine__reindex_in_bulk_equals_catch_up(void **state)
{
	struct fixture *fx = *state;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int64_t records = 0, transitions = 0;

	rounds(fx->home, 22);
	dump(&a, fx->home);
	assert_int_equal(index_in_bulk(fx->home), 0);
	/* rows no history gives: a reindex leaves none of them */
	index_exec(fx->home, "UPDATE records SET state = 'forged';"
		   " UPDATE transitions SET actor = 'forged';"
		   " INSERT INTO waiting (record, person) VALUES ('2022H2/t009', 'm1')");
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	assert_int_equal(cl_index_counts(cl_home_index(h), &records, &transitions, &err), 0);
	cl_home_free(h);
	assert_int_equal(records, 1);
	assert_int_equal(transitions, 68); /* init, submit, 22 rounds of 3 */
	assert_int_equal(index_in_bulk(fx->home), 0);
	assert_int_equal(index_int(fx->home, "SELECT count(*) FROM waiting"
				   " WHERE record = '2022H2/t009'"), 0);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);
	cl_buf_release(&a);
	cl_buf_release(&b);
}

/* An index left in bulk is finished by the next writer: at the tip, or
 * with commits to apply (fewer than ENGINE_BULK_MIN). */
static void test_engine__bulk_left_behind_is_finished(void **state)
{
	struct fixture *fx = *state;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	char *st;
	int alone = 0;

	dump(&a, fx->home);
	leave_in_bulk(fx->home);
	/* a read at the tip does not answer from an index in bulk: it takes
	 * the long way, which ends the load */
	alone = 1;
	st = read_state(fx->home, &alone);
	assert_string_equal(st, "pending-village");
	assert_false(alone);
	free(st);
	assert_int_equal(index_in_bulk(fx->home), 0);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);

	/* a writer at the tip builds the indexes and puts the records */
	leave_in_bulk(fx->home);
	assert_int_equal(cl_home_open(&h, fx->home, &err), 0);
	cl_home_free(h);
	assert_int_equal(index_in_bulk(fx->home), 0);
	cl_buf_clear(&b);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);

	/* behind the tip: the catch-up ends the load */
	leave_in_bulk(fx->home);
	act(fx->home, CL_ACTION_APPROVE, "v-nanzhao-01", T1 + 60);
	assert_int_equal(index_in_bulk(fx->home), 0);
	cl_buf_clear(&a);
	dump(&a, fx->home);
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	cl_home_free(h);
	cl_buf_clear(&b);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);
	cl_buf_release(&a);
	cl_buf_release(&b);
}

/* Runs a shell command in the home's history (a bare repository): stock
 * git, as an outsider could use it. */
static void git_in(struct fixture *fx, const char *script)
{
	int n = snprintf(fx->cmd, sizeof(fx->cmd), "cd '%s/history.git' && %s", fx->home, script);

	assert_true(n > 0 && (size_t)n < sizeof(fx->cmd));
	assert_int_equal(system(fx->cmd), 0);
}

/* A commit on main, made with stock git: the tip's message and tree,
 * with the tree changed by `edit` (update-index arguments). */
static void git_recommit(struct fixture *fx, const char *edit)
{
	char script[400];
	int n;

	n = snprintf(script, sizeof(script),
		 "export GIT_INDEX_FILE=$PWD/forge.idx && git read-tree main && "
		 "git update-index %s && t=$(git write-tree) && "
		 "c=$(git cat-file commit main | sed 1,/^$/d | git commit-tree $t -p main) && "
		 "git update-ref refs/heads/main $c && rm -f forge.idx", edit);
	assert_true(n > 0 && (size_t)n < sizeof(script));
	git_in(fx, script);
}

static void verify_said(const char *commit_hex, const char *msg, void *payload)
{
	(void)commit_hex;
	cl_buf_printf(payload, "%s\n", msg);
}

/* A row comes from the record's transitions (their commits' trailers),
 * never from files: what else the tree holds changes no row, in bulk or
 * one by one.  A record file the head lacks is verify's to find. */
static void test_engine__rows_come_from_trailers_not_files(void **state)
{
	struct fixture *fx = *state;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int64_t records = 0, transitions = 0;
	char script[1024];
	cl_buf t002 = CL_BUF_INIT;

	rounds(fx->home, 22);
	/* Not to be read: a note; t001's file, approved, at a path its id
	 * does not give; t002's file at its own path, but no transition
	 * names t002.  Read, any would change the rows. */
	cl_record_path(&t002, "2022H2", "t002");
	assert_true(snprintf(script, sizeof(script),
		 "p=$(git ls-tree -r --name-only main records/2022H2) && "
		 "b=$(echo note | git hash-object -w --stdin) && "
		 "x=$(git cat-file blob main:$p | sed s/pending-village/approved/ | "
		 "git hash-object -w --stdin) && "
		 "y=$(git cat-file blob main:$p | sed s/t001/t002/g | git hash-object -w --stdin) && "
		 "printf '100644 blob %%s\t%%s\n' $b records/2022H2/zz/notes.txt "
		 "$x records/2022H2/zz/t001.yaml $y %s >forge.add", t002.ptr) <
		    (int)sizeof(script));
	git_in(fx, script);
	git_recommit(fx, "--index-info <forge.add");
	/* one commit caught up one by one, then the whole history in bulk */
	dump(&a, fx->home);
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	assert_int_equal(cl_index_counts(cl_home_index(h), &records, NULL, &err), 0);
	cl_home_free(h);
	assert_int_equal(records, 1);
	assert_int_equal(index_in_bulk(fx->home), 0);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);

	/* t001's file removed by a commit that names it: the rows stand,
	 * and verify says the index and the files disagree */
	git_in(fx, "git ls-tree -r --name-only main records/2022H2 | grep '/[0-9a-f]*/t001.yaml$' "
		   "| sed 's/^/0 0000000000000000000000000000000000000000	/' >forge.del && "
		   "test $(wc -l <forge.del) = 1");
	transitions = index_int(fx->home, "SELECT count(*) FROM transitions");
	git_recommit(fx, "--index-info <forge.del");
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	/* the forging commit repeats its parent's message: one more */
	assert_int_equal(index_int(fx->home, "SELECT count(*) FROM transitions"),
			 transitions + 1);
	assert_int_equal(index_int(fx->home, "SELECT count(*) FROM records"
				   " WHERE id = '2022H2/t001' AND state = 'pending-village'"), 1);
	cl_buf_clear(&a);
	assert_true(cl_home_verify(h, verify_said, &a, NULL, &err) < 0);
	cl_home_free(h);
	assert_non_null(strstr(a.ptr, "the index has 1 records and"));
	assert_non_null(strstr(a.ptr, "; the history 3 and"));
	cl_buf_release(&a);
	cl_buf_release(&b);
	cl_buf_release(&t002);
}

/* A commit on main made with stock git: the tip's tree, the message
 * "subject", a blank line, then trailers (printf's escapes). */
static void git_forge(struct fixture *fx, const char *trailers)
{
	char script[600];

	assert_true(snprintf(script, sizeof(script),
		 "c=$(printf 'forged\\n\\n%s\\n' | git commit-tree 'main^{tree}' -p main) && "
		 "git update-ref refs/heads/main $c", trailers) < (int)sizeof(script));
	git_in(fx, script);
}

/* A load puts a record when its walk back from the tip reaches the
 * record's last submission, and at its end a record it met no
 * submission of; a talent the configuration does not know has no bit to
 * say it was put.  Each way, the rows are those catching up gives. */
static void test_engine__load_puts_every_record_once(void **state)
{
	struct fixture *fx = *state;
	cl_buf a = CL_BUF_INIT, b = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_home *h = NULL;
	int64_t records = 0;

	rounds(fx->home, 2);
	/* zz999 is nobody: submitted, approved, submitted again, approved */
	git_forge(fx, "Record: 2022H2/zz999\\nAction: submit\\nActor: zz999\\n"
		  "From: none\\nTo: pending-village\\nLevel: village");
	git_forge(fx, "Record: 2022H2/zz999\\nAction: approve\\nActor: v-nanzhao-01\\n"
		  "From: pending-village\\nTo: pending-township\\nLevel: village");
	git_forge(fx, "Record: 2022H2/zz999\\nAction: submit\\nActor: zz999\\n"
		  "From: pending-township\\nTo: pending-village\\nLevel: village");
	git_forge(fx, "Record: 2022H2/zz999\\nAction: approve\\nActor: v-nanzhao-02\\n"
		  "From: pending-village\\nTo: pending-township\\nLevel: village");
	/* t002 was never submitted: an approval alone */
	git_forge(fx, "Record: 2022H2/t002\\nAction: approve\\nActor: v-nanzhao-01\\n"
		  "From: pending-village\\nTo: pending-township\\nLevel: village");
	dump(&a, fx->home);
	assert_non_null(strstr(a.ptr, "2022H2/zz999|2022H2|zz999|pending-township|township|"));
	assert_non_null(strstr(a.ptr, "2022H2/t002|2022H2|t002|pending-township|township|"));
	assert_int_equal(cl_home_open_raw(&h, fx->home, &err), 0);
	assert_int_equal(cl_home_reindex(h, &err), 0);
	assert_int_equal(cl_index_counts(cl_home_index(h), &records, NULL, &err), 0);
	cl_home_free(h);
	assert_int_equal(records, 3);
	dump(&b, fx->home);
	assert_string_equal(a.ptr, b.ptr);
	cl_buf_release(&a);
	cl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_engine__##name, setup, teardown)
		T(read_at_tip_needs_no_store),
		T(read_config_without_cache),
		T(read_behind_tip_catches_up),
		T(read_follows_packed_refs),
		T(peek_refuses_what_is_no_plain_id),
		T(reindex_equals_catch_up),
		T(act_hands_back_the_record),
		T(reindex_in_bulk_equals_catch_up),
		T(bulk_left_behind_is_finished),
		T(rows_come_from_trailers_not_files),
		T(load_puts_every_record_once),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
