/*
 * test_store.c - unit tests for the history store (engine/store.c).
 *
 * Each test gets a fresh temporary directory with a bare repository in it.
 * CHAINLOG_FSYNC=0 keeps them fast; one test runs in durable mode.  Where
 * git itself is the best judge (fsck, rev-parse, dangling objects) the
 * tests ask the git command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>

#include "buf.h"
#include "error.h"
#include "store.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

typedef struct fixture {
	char dir[64];
	char repo[128];
	cl_store *st;
	cl_error err;
} fixture;

static const cl_signature sig = { "Ann Approver", "ann", 1662285600 };

/* ---- helpers --------------------------------------------------------- */

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/chainlog-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->repo, sizeof(f->repo), "%s/history.git", f->dir);
	assert_int_equal(setenv("CHAINLOG_FSYNC", "0", 1), 0);
	assert_int_equal(cl_store_init(&f->st, f->repo, &f->err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[160];

	cl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* One commit setting (data) or deleting (NULL) the given paths. */
static int commit_files(fixture *f, cl_oid *out, const cl_oid *parent,
			const char *const *paths, const char *const *data,
			size_t n, const char *message)
{
	cl_change ch[8];
	size_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		ch[i].path = paths[i];
		ch[i].data = data[i];
		ch[i].len = data[i] ? strlen(data[i]) : 0;
	}
	return cl_store_commit(f->st, out, parent, ch, n, &sig, message, &f->err);
}

static int commit1(fixture *f, cl_oid *out, const cl_oid *parent,
		   const char *path, const char *data)
{
	return commit_files(f, out, parent, &path, &data, 1, "change\n");
}

static void assert_file(fixture *f, const cl_oid *commit, const char *path,
			const char *want)
{
	cl_buf b = CL_BUF_INIT;

	assert_int_equal(cl_store_read(f->st, commit, path, &b, NULL, &f->err), 0);
	assert_int_equal(b.size, strlen(want));
	assert_memory_equal(b.ptr, want, b.size);
	cl_buf_release(&b);
}

static void assert_tip(fixture *f, const cl_oid *want)
{
	cl_oid tip;

	assert_int_equal(cl_store_tip(f->st, &tip, &f->err), 0);
	assert_true(cl_oid_equal(&tip, want));
}

/* Runs a shell command and returns its stdout (caller frees). */
static char *run(const char *fmt, ...) CL_PRINTF(1, 2);

static char *run(const char *fmt, ...)
{
	cl_buf cmd = CL_BUF_INIT, out = CL_BUF_INIT;
	char chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	cl_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		cl_buf_put(&out, chunk, n);
	assert_int_equal(pclose(p), 0);
	cl_buf_release(&cmd);
	return cl_buf_detach(&out);
}

typedef struct oid_list {
	cl_oid ids[64];
	size_t n;
	size_t stop_after; /* 0: never stop */
} oid_list;

static int collect_walk(const cl_oid *commit, void *payload)
{
	oid_list *l = payload;

	assert_true(l->n < 64);
	l->ids[l->n++] = *commit;
	return l->stop_after && l->n == l->stop_after ? 42 : 0;
}

typedef struct path_list {
	char *paths[2100];
	int has_old[2100];
	int has_new[2100];
	cl_oid blobs[2100];
	size_t n;
} path_list;

static int collect_diff(const char *path, const cl_oid *old_blob,
			const cl_oid *new_blob, void *payload)
{
	path_list *l = payload;

	assert_true(l->n < 2100);
	l->paths[l->n] = strdup(path);
	l->has_old[l->n] = old_blob != NULL;
	l->has_new[l->n] = new_blob != NULL;
	if (new_blob)
		l->blobs[l->n] = *new_blob;
	l->n++;
	return 0;
}

static int collect_list(const char *path, const cl_oid *blob, void *payload)
{
	return collect_diff(path, NULL, blob, payload);
}

static path_list *path_list_new(void)
{
	path_list *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

static void path_list_free(path_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l);
}

/* ---- tests ----------------------------------------------------------- */

static void test_store__oid_helpers(void **state)
{
	const char *hex = "0123456789abcdef0123456789ABCDEF01234567";
	char out[CL_OID_HEXSZ + 1];
	cl_oid a, b;

	(void)state;
	assert_int_equal(cl_oid_parse(&a, hex), 0);
	cl_oid_fmt(out, &a);
	assert_string_equal(out, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(cl_oid_parse(&b, out), 0);
	assert_true(cl_oid_equal(&a, &b));
	b.id[19] ^= 1;
	assert_false(cl_oid_equal(&a, &b));
	assert_int_equal(cl_oid_parse(&a, "0123"), -1);
	assert_int_equal(cl_oid_parse(&a, "g123456789abcdef0123456789abcdef01234567"), -1);
	assert_int_equal(cl_oid_parse(&a, "0123456789abcdef0123456789abcdef012345678"), -1);
	assert_int_equal(cl_oid_parse(&a, NULL), -1);
}

static void test_store__commit_and_read(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "records/ab/r1.yaml", "org.yaml" };
	const char *data[] = { "id: r1\n", "units: []\n" };
	const char *msg = "approve r1\n\nChainlog-Actor: ann\n";
	cl_oid c1, c2, tip, blob, blob2;
	cl_commit_info ci;
	cl_buf b = CL_BUF_INIT;
	char hex[CL_OID_HEXSZ + 1];
	char *git_tip, *git_msg;

	assert_int_equal(cl_store_tip(f->st, &tip, &f->err), CL_ENOTFOUND);
	assert_non_null(strstr(f->err.msg, "unborn"));

	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 2, msg), 0);
	assert_tip(f, &c1);
	assert_file(f, &c1, "records/ab/r1.yaml", "id: r1\n");
	assert_file(f, &c1, "org.yaml", "units: []\n");

	/* read hands back the blob id, which path_id and read_blob agree on */
	assert_int_equal(cl_store_read(f->st, &c1, "org.yaml", &b, &blob, &f->err), 0);
	assert_int_equal(cl_store_path_id(f->st, &c1, "org.yaml", &blob2, &f->err), 0);
	assert_true(cl_oid_equal(&blob, &blob2));
	cl_buf_clear(&b);
	assert_int_equal(cl_store_read_blob(f->st, &blob, &b, &f->err), 0);
	assert_string_equal(b.ptr, "units: []\n");
	cl_buf_release(&b);

	/* missing files and directories are not found */
	assert_int_equal(cl_store_read(f->st, &c1, "nope.yaml", &b, NULL, &f->err),
			 CL_ENOTFOUND);
	assert_int_equal(cl_store_path_id(f->st, &c1, "records/ab", &blob, &f->err),
			 CL_ENOTFOUND);
	assert_int_equal(b.size, 0);

	assert_int_equal(cl_store_commit_info(f->st, &c1, &ci, &f->err), 0);
	assert_true(cl_oid_equal(&ci.id, &c1));
	assert_int_equal(ci.nparents, 0);
	assert_string_equal(ci.author_name, "Ann Approver");
	assert_string_equal(ci.author_email, "ann");
	assert_int_equal(ci.time, 1662285600);
	assert_string_equal(ci.message, msg);
	cl_commit_info_release(&ci);

	assert_int_equal(commit1(f, &c2, &c1, "records/ab/r1.yaml", "id: r1\nstate: ok\n"), 0);
	assert_tip(f, &c2);
	assert_file(f, &c2, "records/ab/r1.yaml", "id: r1\nstate: ok\n");
	assert_file(f, &c2, "org.yaml", "units: []\n");
	assert_file(f, &c1, "records/ab/r1.yaml", "id: r1\n"); /* old one intact */
	assert_int_equal(cl_store_commit_info(f->st, &c2, &ci, &f->err), 0);
	assert_int_equal(ci.nparents, 1);
	assert_true(cl_oid_equal(&ci.parent, &c1));
	assert_string_equal(ci.message, "change\n");
	cl_commit_info_release(&ci);
	cl_commit_info_release(NULL);

	/* git agrees: HEAD -> main -> c2, message bytes exact */
	cl_oid_fmt(hex, &c2);
	git_tip = run("git --git-dir='%s' rev-parse HEAD", f->repo);
	assert_int_equal(strncmp(git_tip, hex, CL_OID_HEXSZ), 0);
	cl_oid_fmt(hex, &c1);
	git_msg = run("git --git-dir='%s' log -1 --format=%%B%%x00 %s", f->repo, hex);
	assert_int_equal(strncmp(git_msg, msg, strlen(msg)), 0);
	free(git_tip);
	free(git_msg);

	/* a reopened store sees the same history */
	cl_store_free(f->st);
	assert_int_equal(cl_store_open(&f->st, f->repo, &f->err), 0);
	assert_tip(f, &c2);
}

/* Writes body as a commit object with stock git (--literally: as is) and
 * reads it back into ci; returns cl_store_commit_info's result. */
static int raw_commit_info(fixture *f, const char *body, cl_commit_info *ci)
{
	char cmd[4096], hex[CL_OID_HEXSZ + 1] = "";
	cl_oid id;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | git --git-dir='%s' hash-object"
		 " --literally -t commit -w --stdin", body, f->repo);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, sizeof(hex), p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(cl_oid_parse(&id, hex), 0);
	return cl_store_commit_info(f->st, &id, ci, &f->err);
}

#define TREE0 "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
#define PARENT1 "parent 1111111111111111111111111111111111111111\n"
#define PARENT2 "parent 2222222222222222222222222222222222222222\n"

/* The commit reader takes what git writes, every header included, and
 * refuses what it cannot read. */
static void test_store__commit_info_reads_raw_commits(void **state)
{
	fixture *f = *state;
	cl_commit_info ci;

	/* two parents, a signature with its continuation lines, an
	 * encoding, a zone west of Greenwich, a '<' in the name */
	assert_int_equal(raw_commit_info(f, TREE0 PARENT1 PARENT2
		"author A <b> <a@x> 1700000000 -0330\n"
		"committer C D <c@x> 1700000060 +0800\n"
		"encoding UTF-8\n"
		"gpgsig -----BEGIN SSH SIGNATURE-----\n"
		" U1NIU0lH\n"
		" -----END SSH SIGNATURE-----\n"
		"\n"
		"subject\n\nChainlog-Actor: t001\n", &ci), 0);
	assert_int_equal(ci.nparents, 2);
	assert_string_equal(ci.author_name, "A <b>");
	assert_string_equal(ci.author_email, "a@x");
	assert_int_equal(ci.time, 1700000000);
	assert_int_equal(ci.tz, -(3 * 60 + 30));
	assert_string_equal(ci.committer_name, "C D");
	assert_int_equal(ci.committer_time, 1700000060);
	assert_int_equal(ci.committer_tz, 480);
	assert_string_equal(ci.message, "subject\n\nChainlog-Actor: t001\n");
	cl_commit_info_release(&ci);

	/* a root commit with an empty message */
	assert_int_equal(raw_commit_info(f, TREE0 "author A <a> 0 +0000\n"
					 "committer A <a> 0 +0000\n\n", &ci), 0);
	assert_int_equal(ci.nparents, 0);
	assert_string_equal(ci.message, "");
	cl_commit_info_release(&ci);

	/* malformed: nothing is handed back */
	static const char *const bad[] = {
		"author A <a> 1 +0000\ncommitter A <a> 1 +0000\n\nm\n",   /* no tree */
		TREE0 "committer A <a> 1 +0000\n\nm\n",                    /* no author */
		TREE0 "author A <a> 1 +0000\n\nm\n",                       /* no committer */
		TREE0 "author A a> 1 +0000\ncommitter A <a> 1 +0000\n\nm\n",
		TREE0 "author A <a> x +0000\ncommitter A <a> 1 +0000\n\nm\n",
		TREE0 "author A <a> 1 0000\ncommitter A <a> 1 +0000\n\nm\n",
		TREE0 "author A <a> 1 +0000\ncommitter A <a> 1 +0000\nm\n", /* no blank line */
		"tree 4b825dc6\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\n\nm\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ci, 0x5a, sizeof(ci));
		assert_int_equal(raw_commit_info(f, bad[i], &ci), CL_ESTORE);
		assert_non_null(strstr(f->err.msg, "malformed"));
		assert_null(ci.message);
		assert_null(ci.author_name);
	}

	/* an id that names a blob, both for the reader and for a walk */
	cl_oid blob;
	cl_oid *ids = NULL;
	size_t n = 0;
	assert_int_equal(commit1(f, &blob, NULL, "a", "1\n"), 0);
	assert_int_equal(cl_store_path_id(f->st, &blob, "a", &blob, &f->err), 0);
	assert_int_equal(cl_store_commit_info(f->st, &blob, &ci, &f->err), CL_ESTORE);
	assert_non_null(strstr(f->err.msg, "it is a blob"));
	assert_null(ci.message);
	assert_int_equal(cl_store_chain(&ids, &n, f->st, NULL, &blob, &f->err), CL_ESTORE);
	assert_non_null(strstr(f->err.msg, "it is a blob"));
	assert_null(ids);
	assert_int_equal(n, 0);
}

static void test_store__empty_and_binary_contents(void **state)
{
	fixture *f = *state;
	static const char bin[] = { 'a', '\0', 'b', '\n', '\xff' };
	cl_change ch[2] = { { "empty", "", 0 }, { "bin/data", bin, sizeof(bin) } };
	cl_buf b = CL_BUF_INIT;
	cl_oid c1, c2;
	char hex[CL_OID_HEXSZ + 1];
	char *tree;

	assert_int_equal(cl_store_commit(f->st, &c1, NULL, ch, 2, &sig, "m\n", &f->err), 0);
	assert_int_equal(cl_store_read(f->st, &c1, "empty", &b, NULL, &f->err), 0);
	assert_int_equal(b.size, 0);
	assert_int_equal(cl_store_read(f->st, &c1, "bin/data", &b, NULL, &f->err), 0);
	assert_int_equal(b.size, sizeof(bin));
	assert_memory_equal(b.ptr, bin, sizeof(bin));
	cl_buf_release(&b);

	/* a commit without changes keeps the tree */
	assert_int_equal(cl_store_commit(f->st, &c2, &c1, NULL, 0, &sig, "noop\n", &f->err), 0);
	cl_oid_fmt(hex, &c2);
	tree = run("git --git-dir='%s' ls-tree -r --name-only %s", f->repo, hex);
	assert_string_equal(tree, "bin/data\nempty\n");
	free(tree);
}

static void test_store__cas_refuses_moved_branch(void **state)
{
	fixture *f = *state;
	cl_oid c1, c2, c3, x;
	char lock[200];
	FILE *fp;

	assert_int_equal(commit1(f, &c1, NULL, "a", "1\n"), 0);
	assert_int_equal(commit1(f, &c2, &c1, "a", "2\n"), 0);

	/* a writer that still thinks c1 is the tip loses */
	assert_int_equal(commit1(f, &x, &c1, "a", "stale\n"), CL_EMOVED);
	assert_non_null(strstr(f->err.msg, "branch moved meanwhile"));
	assert_tip(f, &c2);
	assert_file(f, &c2, "a", "2\n");

	/* a ref lock left by a dead process (nobody holds chainlog.lock) is
	 * recognised as stale and cleared: the next writer goes through */
	snprintf(lock, sizeof(lock), "%s/refs/heads/main.lock", f->repo);
	fp = fopen(lock, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(commit1(f, &c3, &c2, "a", "3\n"), 0);
	assert_int_equal(access(lock, F_OK), -1);
	assert_tip(f, &c3);
	assert_file(f, &c3, "a", "3\n");
}

static void test_store__cas_when_branch_deleted(void **state)
{
	fixture *f = *state;
	cl_oid c1, x, tip;
	char cmd[256];

	assert_int_equal(commit1(f, &c1, NULL, "a", "1\n"), 0);
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' update-ref -d refs/heads/main",
		 f->repo);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cl_store_tip(f->st, &tip, &f->err), CL_ENOTFOUND);
	assert_int_equal(commit1(f, &x, &c1, "a", "2\n"), CL_EMOVED);
	assert_int_equal(cl_store_tip(f->st, &tip, &f->err), CL_ENOTFOUND);
}

static void test_store__root_commit_needs_unborn_branch(void **state)
{
	fixture *f = *state;
	cl_oid c1, x;
	oid_list l = { .n = 0 };

	assert_int_equal(commit1(f, &c1, NULL, "a", "1\n"), 0);
	assert_int_equal(commit1(f, &x, NULL, "b", "other root\n"), CL_EMOVED);
	assert_tip(f, &c1);
	assert_int_equal(cl_store_walk(f->st, NULL, &c1, collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(cl_store_path_id(f->st, &c1, "b", &x, &f->err), CL_ENOTFOUND);
}

static void test_store__delete_removes_empty_dirs(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "a/b/c.yaml", "a/d.yaml", "e.yaml" };
	const char *data[] = { "c\n", "d\n", "e\n" };
	cl_oid c1, c2, c3, c4, x;
	cl_commit_info ci;
	char hex[CL_OID_HEXSZ + 1];
	char *tree;

	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 3, "m\n"), 0);
	assert_int_equal(commit1(f, &c2, &c1, "a/b/c.yaml", NULL), 0);
	cl_oid_fmt(hex, &c2);
	tree = run("git --git-dir='%s' ls-tree -r -t --name-only %s", f->repo, hex);
	assert_string_equal(tree, "a\na/d.yaml\ne.yaml\n");
	free(tree);

	/* deleting what is not there is refused and changes nothing */
	assert_int_equal(commit1(f, &x, &c2, "a/b/c.yaml", NULL), CL_ENOTFOUND);
	assert_int_equal(commit1(f, &x, &c2, "zz/top", NULL), CL_ENOTFOUND);
	assert_int_equal(commit1(f, &x, &c2, "a", NULL), CL_EINVALID); /* a directory */
	assert_tip(f, &c2);

	/* removing the last files leaves the empty tree */
	assert_int_equal(commit1(f, &c3, &c2, "a/d.yaml", NULL), 0);
	assert_int_equal(commit1(f, &c4, &c3, "e.yaml", NULL), 0);
	assert_int_equal(cl_store_commit_info(f->st, &c4, &ci, &f->err), 0);
	cl_oid_fmt(hex, &ci.tree);
	assert_string_equal(hex, EMPTY_TREE);
	cl_commit_info_release(&ci);
	assert_file(f, &c1, "a/b/c.yaml", "c\n");
}

static void test_store__file_dir_conflicts_refused(void **state)
{
	fixture *f = *state;
	cl_oid c1, c2, x;

	assert_int_equal(commit1(f, &c1, NULL, "a/b", "file\n"), 0);
	assert_int_equal(commit1(f, &x, &c1, "a/b/c", "below a file\n"), CL_EINVALID);
	assert_non_null(strstr(f->err.msg, "'a/b' is a file"));
	assert_int_equal(commit1(f, &x, &c1, "a", "over a directory\n"), CL_EINVALID);
	assert_tip(f, &c1);

	/* replacing a file by a directory in one commit works */
	{
		const char *paths[] = { "a/b", "a/b/c" };
		const char *data[] = { NULL, "now a dir\n" };
		assert_int_equal(commit_files(f, &c2, &c1, paths, data, 2, "m\n"), 0);
		assert_file(f, &c2, "a/b/c", "now a dir\n");
	}
}

static void test_store__multiple_changes_one_commit(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "d/x/1", "d/y/2", "d/x/3", "top", "d/x/1", "d/x-y" };
	const char *data[] = { "first\n", "2\n", "3\n", "t\n", "last wins\n", "dash\n" };
	path_list *l = path_list_new();
	cl_oid c1, c2;
	char hex[CL_OID_HEXSZ + 1];
	char *tree, *dangling;

	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 6, "m\n"), 0);
	assert_file(f, &c1, "d/x/1", "last wins\n");
	assert_file(f, &c1, "d/x/3", "3\n");
	assert_file(f, &c1, "d/y/2", "2\n");
	assert_file(f, &c1, "d/x-y", "dash\n");
	cl_oid_fmt(hex, &c1);
	tree = run("git --git-dir='%s' ls-tree -r --name-only %s", f->repo, hex);
	assert_string_equal(tree, "d/x-y\nd/x/1\nd/x/3\nd/y/2\ntop\n");
	free(tree);

	{
		const char *p2[] = { "d/x/3", "d/y/2", "d/z/new" };
		const char *d2[] = { NULL, "two\n", "new\n" };
		assert_int_equal(commit_files(f, &c2, &c1, p2, d2, 3, "m2\n"), 0);
	}
	assert_int_equal(cl_store_list(f->st, &c2, NULL, collect_list, l, &f->err), 0);
	assert_int_equal(l->n, 5);
	assert_string_equal(l->paths[0], "d/x-y");
	assert_string_equal(l->paths[1], "d/x/1");
	assert_string_equal(l->paths[2], "d/y/2");
	assert_string_equal(l->paths[3], "d/z/new");
	assert_string_equal(l->paths[4], "top");
	path_list_free(l);

	/* every tree on the changed paths was written once: nothing dangles */
	dangling = run("git --git-dir='%s' fsck --dangling --no-progress 2>&1", f->repo);
	assert_null(strstr(dangling, "dangling"));
	free(dangling);
}

static void test_store__diff_reports_only_changed_paths(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "a/1", "a/2", "b/c/3", "d", "e/4" };
	const char *data[] = { "1\n", "2\n", "3\n", "d\n", "4\n" };
	path_list *l = path_list_new();
	cl_oid c1, c2, b3;

	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 5, "m\n"), 0);

	/* from the empty tree: everything, added, in path order */
	assert_int_equal(cl_store_diff(f->st, NULL, &c1, collect_diff, l, &f->err), 0);
	assert_int_equal(l->n, 5);
	assert_string_equal(l->paths[0], "a/1");
	assert_string_equal(l->paths[2], "b/c/3");
	assert_string_equal(l->paths[4], "e/4");
	assert_false(l->has_old[0]);
	assert_true(l->has_new[0]);
	assert_int_equal(cl_store_path_id(f->st, &c1, "b/c/3", &b3, &f->err), 0);
	assert_true(cl_oid_equal(&l->blobs[2], &b3));
	path_list_free(l);

	{
		/* modify a/2, delete b/c/3, add f/5, turn file d into dir d/6 */
		const char *p2[] = { "a/2", "b/c/3", "f/5", "d", "d/6" };
		const char *d2[] = { "two\n", NULL, "5\n", NULL, "6\n" };
		assert_int_equal(commit_files(f, &c2, &c1, p2, d2, 5, "m2\n"), 0);
	}
	l = path_list_new();
	assert_int_equal(cl_store_diff(f->st, &c1, &c2, collect_diff, l, &f->err), 0);
	assert_int_equal(l->n, 5);
	assert_string_equal(l->paths[0], "a/2");
	assert_true(l->has_old[0] && l->has_new[0]);
	assert_string_equal(l->paths[1], "b/c/3");
	assert_true(l->has_old[1] && !l->has_new[1]);
	assert_string_equal(l->paths[2], "d");
	assert_true(l->has_old[2] && !l->has_new[2]);
	assert_string_equal(l->paths[3], "d/6");
	assert_true(!l->has_old[3] && l->has_new[3]);
	assert_string_equal(l->paths[4], "f/5");
	assert_true(!l->has_old[4] && l->has_new[4]);
	path_list_free(l);

	/* the same commit on both sides: nothing */
	l = path_list_new();
	assert_int_equal(cl_store_diff(f->st, &c2, &c2, collect_diff, l, &f->err), 0);
	assert_int_equal(l->n, 0);
	path_list_free(l);
}

/* The tree of commit c. */
static cl_oid tree_of(fixture *f, const cl_oid *c)
{
	cl_commit_info ci;
	cl_oid t;

	assert_int_equal(cl_store_commit_info(f->st, c, &ci, &f->err), 0);
	t = ci.tree;
	cl_commit_info_release(&ci);
	return t;
}

/* The cursor's answer for path between commits a (NULL: empty) and b. */
static cl_store_path_change change_at(fixture *f, cl_store_cursor *cur,
				      const cl_oid *a, const cl_oid *b,
				      const char *path)
{
	cl_store_path_change ch;
	cl_oid ta, tb = tree_of(f, b);

	if (a)
		ta = tree_of(f, a);
	assert_int_equal(cl_store_cursor_change(cur, a ? &ta : NULL, &tb, path,
						&ch, &f->err), 0);
	return ch;
}

static void test_store__cursor_change_along_one_path(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "a/1", "a/2", "b/c/3", "d" };
	const char *data[] = { "1\n", "2\n", "3\n", "d\n" };
	cl_store_cursor *cur;
	cl_store_path_change ch;
	cl_oid c1, c2, c3, c4, c5, c6, old2, new2;

	cl_store_cursor_new(&cur, f->st);
	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 4, "m\n"), 0);
	assert_int_equal(commit1(f, &c2, &c1, "a/2", "two\n"), 0);
	assert_int_equal(cl_store_path_id(f->st, &c1, "a/2", &old2, &f->err), 0);
	assert_int_equal(cl_store_path_id(f->st, &c2, "a/2", &new2, &f->err), 0);

	ch = change_at(f, cur, &c1, &c2, "a/2");
	assert_true(ch.only && ch.has_old);
	assert_true(cl_oid_equal(&ch.old_blob, &old2));
	assert_true(cl_oid_equal(&ch.new_blob, &new2));
	/* a/2 changed, not a/1 nor b/c/3; and nothing at all between c2 and c2 */
	assert_false(change_at(f, cur, &c1, &c2, "a/1").only);
	assert_false(change_at(f, cur, &c1, &c2, "b/c/3").only);
	assert_false(change_at(f, cur, &c2, &c2, "a/2").only);

	/* an added file in a new directory */
	assert_int_equal(commit1(f, &c3, &c2, "e/f/5", "5\n"), 0);
	ch = change_at(f, cur, &c2, &c3, "e/f/5");
	assert_true(ch.only && !ch.has_old);
	/* a second file changed as well */
	{
		const char *p4[] = { "e/f/5", "b/c/3" };
		const char *d4[] = { "five\n", "three\n" };
		assert_int_equal(commit_files(f, &c4, &c3, p4, d4, 2, "m4\n"), 0);
	}
	assert_false(change_at(f, cur, &c3, &c4, "e/f/5").only);
	assert_false(change_at(f, cur, &c3, &c4, "b/c/3").only);
	/* a deleted file; a file that became a directory */
	assert_int_equal(commit1(f, &c5, &c4, "a/1", NULL), 0);
	assert_false(change_at(f, cur, &c4, &c5, "a/1").only);
	{
		const char *p6[] = { "d", "d/6" };
		const char *d6[] = { NULL, "6\n" };
		assert_int_equal(commit_files(f, &c6, &c5, p6, d6, 2, "m6\n"), 0);
	}
	assert_false(change_at(f, cur, &c5, &c6, "d/6").only);
	assert_false(change_at(f, cur, &c5, &c6, "d").only);
	/* from the empty tree: only when that one file is all there is */
	assert_false(change_at(f, cur, NULL, &c1, "a/1").only);
	assert_int_equal(cl_store_cursor_change(cur, NULL, &ch.new_blob, "x/../y", &ch,
						&f->err), CL_EINVALID);
	cl_store_cursor_free(cur);
	cl_store_cursor_free(NULL);
}

static int count_diff(const char *path, const cl_oid *old_blob,
		      const cl_oid *new_blob, void *payload)
{
	path_list *l = payload;

	(void)old_blob;
	return collect_diff(path, NULL, new_blob, l);
}

/*
 * A random linear history over a few paths, checked against the trivial
 * model: the cursor says "only" exactly when cl_store_diff reports that
 * one path alone, with a new blob, and the blobs are those at the path.
 * One cursor follows the history (its cache in use), one is fresh.
 */
static void test_store__cursor_matches_diff_randomized(void **state)
{
	fixture *f = *state;
	static const char *const pool[] = { "r/p1/00/a", "r/p1/00/b", "r/p1/01/c",
					    "r/p2/00/a", "r/p2/02/d", "q", "r/p1/00" };
	const size_t npool = sizeof(pool) / sizeof(pool[0]);
	cl_store_cursor *follow, *fresh;
	cl_store_path_change ch, ch2;
	cl_oid prev, next, blob;
	int has_prev = 0, step, error;
	unsigned seed = 12345;
	size_t i, k;

	cl_store_cursor_new(&follow, f->st);
	for (step = 0; step < 120; step++) {
		const char *p[2], *d[2];
		char v[2][16];
		size_t n = 1 + (seed = seed * 1103515245 + 12345) % 3 / 2;

		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			p[k] = pool[(seed >> 8) % (npool - 1)];
			snprintf(v[k], sizeof(v[k]), "%u\n", (seed >> 16) % 5);
			d[k] = (seed >> 4) % 7 == 0 ? NULL : v[k];
		}
		if (n == 2 && !strcmp(p[0], p[1]))
			n = 1;
		error = commit_files(f, &next, has_prev ? &prev : NULL, p, d, n, "r\n");
		if (error == CL_ENOTFOUND || error == CL_EINVALID)
			continue; /* deleted a missing file, or a conflict */
		assert_int_equal(error, 0);
		for (i = 0; i < npool; i++) {
			path_list *l = path_list_new();
			int want;

			assert_int_equal(cl_store_diff(f->st, has_prev ? &prev : NULL, &next,
						       count_diff, l, &f->err), 0);
			want = l->n == 1 && !strcmp(l->paths[0], pool[i]) && l->has_new[0];
			cl_store_cursor_new(&fresh, f->st);
			ch = change_at(f, follow, has_prev ? &prev : NULL, &next, pool[i]);
			ch2 = change_at(f, fresh, has_prev ? &prev : NULL, &next, pool[i]);
			cl_store_cursor_free(fresh);
			assert_int_equal(ch.only, want);
			assert_memory_equal(&ch, &ch2, sizeof(ch));
			if (want) {
				assert_int_equal(cl_store_path_id(f->st, &next, pool[i], &blob,
								  &f->err), 0);
				assert_true(cl_oid_equal(&ch.new_blob, &blob));
				assert_int_equal(ch.has_old,
						 has_prev && cl_store_path_id(f->st, &prev, pool[i],
									     &blob, &f->err) == 0);
				assert_true(!ch.has_old || cl_oid_equal(&ch.old_blob, &blob));
			}
			path_list_free(l);
		}
		prev = next;
		has_prev = 1;
	}
	cl_store_cursor_free(follow);
}

static void test_store__cache_limit_set_and_given_back(void **state)
{
	fixture *f = *state;
	size_t was = 0, was2 = 0;
	cl_oid c1;

	assert_int_equal(cl_store_cache_limit(1 << 20, &was), 0);
	assert_int_equal(was, 32 << 20); /* what opening the store set */
	assert_int_equal(cl_store_cache_limit(0, &was2), 0);
	assert_int_equal(was2, 1 << 20);
	/* with no cache at all, reads still work */
	assert_int_equal(commit1(f, &c1, NULL, "a/b", "x\n"), 0);
	assert_file(f, &c1, "a/b", "x\n");
	assert_file(f, &c1, "a/b", "x\n");
	assert_int_equal(cl_store_cache_limit(was, NULL), 0);
	assert_int_equal(cl_store_cache_limit(was, &was2), 0);
	assert_int_equal(was2, was);
}

static void test_store__list_under_dir(void **state)
{
	fixture *f = *state;
	const char *paths[] = { "r/b/2", "r/a/1", "r/a-/3", "s/4" };
	const char *data[] = { "2", "1", "3", "4" };
	path_list *l = path_list_new();
	cl_oid c1;

	assert_int_equal(commit_files(f, &c1, NULL, paths, data, 4, "m\n"), 0);
	assert_int_equal(cl_store_list(f->st, &c1, "r", collect_list, l, &f->err), 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->paths[0], "r/a-/3");
	assert_string_equal(l->paths[1], "r/a/1");
	assert_string_equal(l->paths[2], "r/b/2");
	path_list_free(l);

	l = path_list_new();
	assert_int_equal(cl_store_list(f->st, &c1, "missing/dir", collect_list, l, &f->err), 0);
	assert_int_equal(cl_store_list(f->st, &c1, "s/4", collect_list, l, &f->err), 0);
	assert_int_equal(l->n, 0);
	assert_int_equal(cl_store_list(f->st, &c1, "", collect_list, l, &f->err), 0);
	assert_int_equal(l->n, 4);
	assert_int_equal(cl_store_list(f->st, &c1, "r/../s", collect_list, l, &f->err),
			 CL_EINVALID);
	path_list_free(l);
}

static void test_store__walk_oldest_first_and_detects_rewrite(void **state)
{
	fixture *f = *state;
	cl_oid c[5], r;
	oid_list l = { .n = 0 };
	char hex[CL_OID_HEXSZ + 1], cmd[256];
	char name[8], body[8];
	size_t i;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		snprintf(body, sizeof(body), "%zu\n", i);
		assert_int_equal(commit1(f, &c[i], i ? &c[i - 1] : NULL, name, body), 0);
	}

	assert_int_equal(cl_store_walk(f->st, NULL, &c[4], collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 5);
	for (i = 0; i < 5; i++)
		assert_true(cl_oid_equal(&l.ids[i], &c[i]));

	l.n = 0;
	assert_int_equal(cl_store_walk(f->st, &c[1], &c[4], collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 3);
	assert_true(cl_oid_equal(&l.ids[0], &c[2]));
	assert_true(cl_oid_equal(&l.ids[2], &c[4]));

	l.n = 0;
	assert_int_equal(cl_store_walk(f->st, &c[4], &c[4], collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 0);

	/* the callback stops the walk and its value comes back */
	l.n = 0;
	l.stop_after = 2;
	assert_int_equal(cl_store_walk(f->st, NULL, &c[4], collect_walk, &l, &f->err), 42);
	assert_int_equal(l.n, 2);
	l.stop_after = 0;

	/* `from` newer than `to` is no ancestor */
	l.n = 0;
	assert_int_equal(cl_store_walk(f->st, &c[3], &c[1], collect_walk, &l, &f->err),
			 CL_EVERIFY);
	assert_int_equal(l.n, 0);

	/* rewrite: reset the branch to c1 and build on it */
	cl_oid_fmt(hex, &c[1]);
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' update-ref refs/heads/main %s",
		 f->repo, hex);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(commit1(f, &r, &c[1], "g", "rewritten\n"), 0);
	assert_int_equal(cl_store_walk(f->st, &c[3], &r, collect_walk, &l, &f->err),
			 CL_EVERIFY);
	assert_int_equal(l.n, 0);
	cl_oid_fmt(hex, &c[3]);
	assert_non_null(strstr(f->err.msg, "history rewritten: indexed head"));
	assert_non_null(strstr(f->err.msg, hex));
	assert_int_equal(cl_store_walk(f->st, &c[1], &r, collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 1);
	assert_true(cl_oid_equal(&l.ids[0], &r));
}

/* The chain in one array, oldest first, counted before anything reads it:
 * what catch-up and verify go through in pieces. */
static void test_store__chain_oldest_first(void **state)
{
	fixture *f = *state;
	cl_oid c[4], *ids = NULL;
	size_t n = 99, i;
	char name[8];

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(commit1(f, &c[i], i ? &c[i - 1] : NULL, name, "x\n"), 0);
	}
	assert_int_equal(cl_store_chain(&ids, &n, f->st, NULL, &c[3], &f->err), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_true(cl_oid_equal(&ids[i], &c[i]));
	free(ids);
	assert_int_equal(cl_store_chain(&ids, &n, f->st, &c[1], &c[3], &f->err), 0);
	assert_int_equal(n, 2);
	assert_true(cl_oid_equal(&ids[0], &c[2]));
	assert_true(cl_oid_equal(&ids[1], &c[3]));
	free(ids);
	assert_int_equal(cl_store_chain(&ids, &n, f->st, &c[3], &c[3], &f->err), 0);
	assert_int_equal(n, 0);
	free(ids);
	/* from is not an ancestor of to: refused, nothing handed back */
	assert_int_equal(cl_store_chain(&ids, &n, f->st, &c[3], &c[1], &f->err), CL_EVERIFY);
	assert_null(ids);
	assert_int_equal(n, 0);
}

static void test_store__invalid_path_refused(void **state)
{
	fixture *f = *state;
	static const char *bad[] = {
		"", "/a", "a/", "a//b", ".", "./a", "a/./b", "..", "a/../b",
		"a/..", ".git", "x/.git/y", "x/.GiT", "a\nb", "a\tb",
	};
	cl_signature bad_sig = { "Ann <evil>", "ann", 1 };
	cl_signature nl_sig = { "Ann", "ann\nparent 0000", 1 };
	cl_oid c1, x;
	cl_buf b = CL_BUF_INIT;
	size_t i;
	cl_change ch = { "ok", "x", 1 };

	assert_int_equal(commit1(f, &c1, NULL, "ok", "fine\n"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(commit1(f, &x, &c1, bad[i], "x\n"), CL_EINVALID);
		assert_int_equal(commit1(f, &x, &c1, bad[i], NULL), CL_EINVALID);
		assert_int_equal(cl_store_read(f->st, &c1, bad[i], &b, NULL, &f->err),
				 CL_EINVALID);
	}
	ch.path = NULL;
	assert_int_equal(cl_store_commit(f->st, &x, &c1, &ch, 1, &sig, "m\n", &f->err),
			 CL_EINVALID);
	/* one bad path spoils the whole commit */
	{
		const char *paths[] = { "good", "bad/" };
		const char *data[] = { "g\n", "b\n" };
		assert_int_equal(commit_files(f, &x, &c1, paths, data, 2, "m\n"), CL_EINVALID);
	}
	ch.path = "ok";
	assert_int_equal(cl_store_commit(f->st, &x, &c1, &ch, 1, &bad_sig, "m\n", &f->err),
			 CL_EINVALID);
	assert_int_equal(cl_store_commit(f->st, &x, &c1, &ch, 1, &nl_sig, "m\n", &f->err),
			 CL_EINVALID);
	assert_tip(f, &c1);
	assert_int_equal(b.size, 0);
	cl_buf_release(&b);
}

/* While a store is open, no path of libgit2 reaches the network: a
 * transport's connection is refused by the streams the store registers,
 * before a socket is made (without them, port 9 of this host refuses it
 * instead: "failed to connect to 127.0.0.1: Connection refused").  Not
 * asked: git://, whose transport in libgit2 1.5 leaks 82 bytes when its
 * stream is refused, and a remote of a repository, whose config lookup
 * leaks pcre2's match data: a detached remote reads no config. */
static void test_store__no_network_connection(void **state)
{
	static const char *const urls[] = {
		"https://127.0.0.1:9/x.git", "http://127.0.0.1:9/x.git",
		"ssh://git@127.0.0.1:9/x.git",
	};
	git_remote *remote;
	const git_error *e;
	size_t i;

	(void)state; /* the fixture's store is open */
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_int_equal(git_remote_create_detached(&remote, urls[i]), 0);
		assert_true(git_remote_connect(remote, GIT_DIRECTION_FETCH, NULL,
					       NULL, NULL) < 0);
		e = git_error_last();
		assert_non_null(e);
		if (!strstr(e->message, "chainlog makes no network connections"))
			fail_msg("%s: %s", urls[i], e->message);
		git_remote_free(remote);
	}
}

static void test_store__open_missing_repo_notfound(void **state)
{
	fixture *f = *state;
	cl_store *st = NULL;
	cl_error err = CL_ERROR_INIT;
	char path[200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/nothing-here", f->dir);
	assert_int_equal(cl_store_open(&st, path, &err), CL_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err.msg, "cannot open history at"));

	/* an empty directory is no repository either, but can become one */
	snprintf(path, sizeof(path), "%s/empty", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cl_store_open(&st, path, &err), CL_ENOTFOUND);
	assert_int_equal(cl_store_init(&st, path, &err), 0);
	cl_store_free(st);
	assert_int_equal(cl_store_open(&st, path, &err), 0);
	cl_store_free(st);
	cl_store_free(NULL);

	/* init refuses existing repositories, files and non-empty dirs */
	st = NULL;
	assert_int_equal(cl_store_init(&st, f->repo, &err), CL_EEXISTS);
	assert_null(st);
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(cl_store_init(&st, path, &err), CL_EEXISTS);
	assert_int_equal(cl_store_init(&st, f->dir, &err), CL_EEXISTS);
	assert_null(st);
}

static void test_store__history_passes_git_fsck_strict(void **state)
{
	fixture *f = *state;
	cl_oid c1, c2, c3;
	char cmd[256];
	char *head, *count;

	{
		const char *paths[] = { "records/00/a.yaml", "records/01/b.yaml", "org.yaml" };
		const char *data[] = { "a\n", "b\n", "o\n" };
		assert_int_equal(commit_files(f, &c1, NULL, paths, data, 3,
					      "create a\n\nChainlog-Actor: ann\n"), 0);
	}
	assert_int_equal(commit1(f, &c2, &c1, "records/00/a.yaml", NULL), 0);
	assert_int_equal(commit1(f, &c3, &c2, "records/01/c.yaml", "c\n"), 0);

	snprintf(cmd, sizeof(cmd),
		 "git --git-dir='%s' fsck --strict --no-progress >/dev/null 2>&1",
		 f->repo);
	assert_int_equal(system(cmd), 0);
	head = run("git --git-dir='%s' symbolic-ref HEAD", f->repo);
	assert_string_equal(head, "refs/heads/main\n");
	count = run("git --git-dir='%s' rev-list --count main", f->repo);
	assert_string_equal(count, "3\n");
	free(head);
	free(count);
}

static void test_store__many_files_sharded(void **state)
{
	fixture *f = *state;
	enum { N = 2000 };
	cl_change *ch = calloc(N, sizeof(*ch));
	char (*paths)[32] = calloc(N, sizeof(*paths));
	path_list *l = path_list_new();
	cl_oid c1, c2, blob;
	size_t i;

	assert_non_null(ch);
	assert_non_null(paths);
	for (i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "r/%02zx/%02zx/rec-%04zu.yaml",
			 i % 16, (i / 16) % 16, i);
		ch[i].path = paths[i];
		ch[i].data = paths[i];
		ch[i].len = strlen(paths[i]);
	}
	assert_int_equal(cl_store_commit(f->st, &c1, NULL, ch, N, &sig, "bulk\n", &f->err), 0);
	assert_int_equal(cl_store_list(f->st, &c1, NULL, collect_list, l, &f->err), 0);
	assert_int_equal(l->n, N);
	for (i = 1; i < N; i++)
		assert_true(strcmp(l->paths[i - 1], l->paths[i]) < 0);
	path_list_free(l);

	assert_int_equal(commit1(f, &c2, &c1, paths[1234], "changed\n"), 0);
	l = path_list_new();
	assert_int_equal(cl_store_diff(f->st, &c1, &c2, collect_diff, l, &f->err), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->paths[0], paths[1234]);
	assert_true(l->has_old[0] && l->has_new[0]);
	assert_int_equal(cl_store_path_id(f->st, &c2, paths[1234], &blob, &f->err), 0);
	assert_true(cl_oid_equal(&l->blobs[0], &blob));
	path_list_free(l);
	assert_file(f, &c2, paths[1234], "changed\n");
	assert_file(f, &c2, paths[1233], paths[1233]);
	free(ch);
	free(paths);
}

static void test_store__durable_mode_works(void **state)
{
	fixture *f = *state;
	cl_store *st = NULL;
	char path[200];
	cl_oid c1, c2;

	assert_int_equal(unsetenv("CHAINLOG_FSYNC"), 0);
	snprintf(path, sizeof(path), "%s/durable.git", f->dir);
	assert_int_equal(cl_store_init(&st, path, &f->err), 0);
	{
		cl_change ch = { "x/y", "durable\n", 8 };
		cl_buf b = CL_BUF_INIT;
		assert_int_equal(cl_store_commit(st, &c1, NULL, &ch, 1, &sig, "d\n", &f->err), 0);
		assert_int_equal(cl_store_commit(st, &c2, &c1, NULL, 0, &sig, "e\n", &f->err), 0);
		cl_store_free(st);
		assert_int_equal(cl_store_open(&st, path, &f->err), 0);
		assert_int_equal(cl_store_read(st, &c2, "x/y", &b, NULL, &f->err), 0);
		assert_string_equal(b.ptr, "durable\n");
		cl_buf_release(&b);
	}
	cl_store_free(st);
	assert_int_equal(setenv("CHAINLOG_FSYNC", "0", 1), 0);
}

/* Two processes append to the same branch; the CAS serializes them. */
static void test_store__concurrent_writers_serialize(void **state)
{
	fixture *f = *state;
	enum { PER = 20 };
	oid_list l = { .n = 0 };
	cl_oid root, tip;
	pid_t pid;
	int status, who;

	assert_int_equal(commit1(f, &root, NULL, "start", "s\n"), 0);
	pid = fork();
	assert_true(pid >= 0);
	who = pid == 0;
	{
		cl_store *st = NULL;
		cl_error err = CL_ERROR_INIT;
		int i, rc, ok = 1;
		char path[32], body[32];

		ok = cl_store_open(&st, f->repo, &err) == 0;
		for (i = 0; ok && i < PER; i++) {
			snprintf(path, sizeof(path), "w%d/%02d", who, i);
			snprintf(body, sizeof(body), "%d %d\n", who, i);
			do {
				cl_change ch = { path, body, strlen(body) };
				cl_oid parent, out;
				ok = cl_store_tip(st, &parent, &err) == 0;
				rc = ok ? cl_store_commit(st, &out, &parent, &ch, 1, &sig,
							  "c\n", &err) : -1;
			} while (ok && rc == CL_EMOVED);
			ok = ok && rc == 0;
		}
		cl_store_free(st);
		if (!ok)
			fprintf(stderr, "writer %d: %s\n", who, err.msg);
		if (pid == 0)
			_exit(ok ? 0 : 1);
		assert_true(ok);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(cl_store_tip(f->st, &tip, &f->err), 0);
	assert_int_equal(cl_store_walk(f->st, &root, &tip, collect_walk, &l, &f->err), 0);
	assert_int_equal(l.n, 2 * PER);
	assert_file(f, &tip, "w0/00", "0 0\n");
	assert_file(f, &tip, "w1/19", "1 19\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store__oid_helpers),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_store__commit_and_read),
		T(test_store__commit_info_reads_raw_commits),
		T(test_store__empty_and_binary_contents),
		T(test_store__cas_refuses_moved_branch),
		T(test_store__cas_when_branch_deleted),
		T(test_store__root_commit_needs_unborn_branch),
		T(test_store__delete_removes_empty_dirs),
		T(test_store__file_dir_conflicts_refused),
		T(test_store__multiple_changes_one_commit),
		T(test_store__diff_reports_only_changed_paths),
		T(test_store__cursor_change_along_one_path),
		T(test_store__cursor_matches_diff_randomized),
		T(test_store__cache_limit_set_and_given_back),
		T(test_store__list_under_dir),
		T(test_store__walk_oldest_first_and_detects_rewrite),
		T(test_store__chain_oldest_first),
		T(test_store__invalid_path_refused),
		T(test_store__open_missing_repo_notfound),
		T(test_store__history_passes_git_fsck_strict),
		T(test_store__no_network_connection),
		T(test_store__many_files_sharded),
		T(test_store__durable_mode_works),
		T(test_store__concurrent_writers_serialize),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
