/*
 * test_packfile.c - unit tests for the pack writer (engine/packfile.c).
 *
 * What it writes is checked by stock git: `git verify-pack` recomputes
 * every checksum, CRC and object id, and `git cat-file` reads the objects
 * back through the index.
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

#include <git2.h>

#include "buf.h"
#include "packfile.h"
#include "util.h"

struct fixture {
	char dir[64];    /* a bare repository made by git init */
	char cmd[1024];  /* scratch for system() */
};

static int setup(void **state)
{
	struct fixture *fx = cl_xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/chainlog-pack-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->cmd, sizeof(fx->cmd), "git init -q --bare '%s/repo.git'", fx->dir);
	assert_int_equal(system(fx->cmd), 0);
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

/* obj's id as libgit2 computes it (SHA-1 of "<type> <len>\0" and the
 * data), not by the SHA-1 the writer uses.  Pack types are git's. */
static void object(cl_pack_object *obj, int type, const void *data, size_t len)
{
	git_oid oid;

	assert_int_equal(git_odb_hash(&oid, data, len, (git_object_t)type), 0);
	memcpy(obj->id, oid.id, sizeof(obj->id));
	obj->type = type;
	obj->data = data;
	obj->len = len;
}

static void hex(char out[41], const unsigned char id[20])
{
	int i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Runs cmd (printf-style) and returns its first output line. */
static char *run(struct fixture *fx, const char *fmt, ...)
{
	char line[4096] = "";
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(fx->cmd, sizeof(fx->cmd), fmt, ap);
	va_end(ap);
	p = popen(fx->cmd, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return cl_xstrdup(line);
}

static void test_packfile__git_reads_what_it_writes(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_pack_object objs[5];
	char name[41], id[41], cid[41], bid[41], eid[41], tree[64], commit[512];
	char *big = cl_xmalloc(300000), *out;
	static const char blob[] = "id: 2022H2/t001\nstate: pending-village\n";
	cl_buf path = CL_BUF_INIT;
	size_t i, tlen;
	int clen;

	for (i = 0; i < 300000; i++) /* more than one stored block, a long size header */
		big[i] = (char)('a' + (i * 7 + i / 13) % 26);
	object(&objs[0], 3, blob, strlen(blob));
	/* a tree naming the blob: "100644 t001.yaml\0" and the raw id */
	tlen = (size_t)snprintf(tree, sizeof(tree), "100644 t001.yaml") + 1;
	memcpy(tree + tlen, objs[0].id, 20);
	tlen += 20;
	object(&objs[1], 2, tree, tlen);
	hex(id, objs[1].id);
	clen = snprintf(commit, sizeof(commit),
			"tree %s\nauthor A <a> 1672531200 +0000\ncommitter A <a> 1672531200 +0000\n"
			"\nsubmit 2022H2/t001\n", id);
	object(&objs[2], 1, commit, (size_t)clen);
	object(&objs[3], 3, big, 300000);
	object(&objs[4], 3, "", 0); /* the empty blob: an empty zlib stream */
	hex(cid, objs[2].id); /* the writer sorts objs by id */
	hex(bid, objs[3].id);
	hex(eid, objs[4].id);

	assert_int_equal(cl_pack_write(name, "", objs, 0, 1, &err), CL_EINTERNAL);
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	if (cl_pack_write(name, path.ptr, objs, 5, 1, &err) < 0)
		fail_msg("write: %s", err.msg);
	assert_int_equal(strlen(name), 40);

	/* every checksum, CRC and id recomputed by git */
	snprintf(fx->cmd, sizeof(fx->cmd), "git verify-pack '%s/pack-%s.idx' >/dev/null",
		 path.ptr, name);
	assert_int_equal(system(fx->cmd), 0);
	/* and the objects read back through the index */
	out = run(fx, "git --git-dir='%s/repo.git' cat-file -p %s | tail -n 1", fx->dir, cid);
	assert_string_equal(out, "submit 2022H2/t001");
	free(out);
	out = run(fx, "git --git-dir='%s/repo.git' cat-file -s %s", fx->dir, bid);
	assert_string_equal(out, "300000");
	free(out);
	out = run(fx, "git --git-dir='%s/repo.git' cat-file -s %s", fx->dir, eid);
	assert_string_equal(out, "0");
	free(out);
	assert_string_equal(eid, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	out = run(fx, "git --git-dir='%s/repo.git' fsck --strict >/dev/null 2>&1; echo $?",
		  fx->dir);
	assert_string_equal(out, "0");
	free(out);
	/* nothing else was left in the directory: one pack, one index */
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	assert_string_equal(out, "2");
	free(out);
	cl_buf_release(&path);
	free(big);
}

/* An object twice is a caller's bug: refused, and no file is written. */
static void test_packfile__refuses_an_object_twice(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_pack_object objs[2];
	cl_buf path = CL_BUF_INIT;
	char name[41], *out;

	object(&objs[0], 3, "x", 1);
	object(&objs[1], 3, "x", 1);
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	assert_int_equal(cl_pack_write(name, path.ptr, objs, 2, 0, &err), CL_EINTERNAL);
	assert_string_equal(err.msg, "an object twice in one pack");
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	assert_string_equal(out, "0");
	free(out);
	cl_buf_release(&path);
}

/* A directory it cannot write in: an error naming it, nothing left. */
static void test_packfile__reports_an_unwritable_directory(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	cl_pack_object obj;
	cl_buf path = CL_BUF_INIT;
	char name[41];

	object(&obj, 3, "x", 1);
	cl_buf_printf(&path, "%s/no-such-dir", fx->dir);
	assert_int_equal(cl_pack_write(name, path.ptr, &obj, 1, 0, &err), CL_ESTORE);
	assert_non_null(strstr(err.msg, "cannot write a pack in"));
	assert_non_null(strstr(err.msg, "no-such-dir"));
	cl_buf_release(&path);
}


/* Writes blobs "<prefix>0".."<prefix>n-1" as one pack; its name in name. */
static void blob_pack(struct fixture *fx, char name[41], const char *prefix, int n)
{
	cl_error err = CL_ERROR_INIT;
	cl_pack_object objs[8];
	char data[8][32];
	cl_buf path = CL_BUF_INIT;
	int i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		snprintf(data[i], sizeof(data[i]), "%s%d\n", prefix, i);
		object(&objs[i], 3, data[i], strlen(data[i]));
	}
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	if (cl_pack_write(name, path.ptr, objs, (size_t)n, 0, &err) < 0)
		fail_msg("write: %s", err.msg);
	cl_buf_release(&path);
}

/* The fold copies every entry of the packs into one that git reads and
 * checks; an object in two packs is written once. */
static void test_packfile__fold_copies_entries_git_reads(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	char a[41], b[41], c[41], name[41], *out;
	const char *names[3] = { a, b, c };
	cl_buf path = CL_BUF_INIT;

	blob_pack(fx, a, "a", 3);
	blob_pack(fx, b, "b", 2);
	blob_pack(fx, c, "a", 2); /* a0 and a1 again */
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	if (cl_pack_fold(name, path.ptr, names, 3, 1, &err) != 0)
		fail_msg("fold: %s", err.msg);
	assert_int_equal(strlen(name), 40);
	/* the old packs are the caller's to remove */
	snprintf(fx->cmd, sizeof(fx->cmd), "cd '%s' && rm pack-%s.* pack-%s.* pack-%s.*",
		 path.ptr, a, b, c);
	assert_int_equal(system(fx->cmd), 0);
	snprintf(fx->cmd, sizeof(fx->cmd), "git verify-pack '%s/pack-%s.idx' >/dev/null",
		 path.ptr, name);
	assert_int_equal(system(fx->cmd), 0);
	out = run(fx, "git verify-pack -v '%s/pack-%s.idx' | grep -c ' blob '", path.ptr, name);
	assert_string_equal(out, "5");
	free(out);
	out = run(fx, "printf 'a2\\n' | git hash-object --stdin | "
		      "git --git-dir='%s/repo.git' cat-file --batch-check",
		  fx->dir);
	assert_non_null(strstr(out, " blob 3"));
	free(out);
	out = run(fx, "printf 'b1\\n' | git hash-object --stdin | "
		      "git --git-dir='%s/repo.git' cat-file --batch-check",
		  fx->dir);
	assert_non_null(strstr(out, " blob 3"));
	free(out);
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	assert_string_equal(out, "2");
	free(out);
	cl_buf_release(&path);
}

/* An entry whose bytes fail their CRC is an error naming its pack, and
 * nothing is written. */
static void test_packfile__fold_refuses_a_damaged_entry(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	char a[41], b[41], name[41], *out;
	const char *names[2] = { a, b };
	cl_buf path = CL_BUF_INIT;

	blob_pack(fx, a, "a", 2);
	blob_pack(fx, b, "b", 2);
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	/* a byte of b's first entry's data (after the 12-byte header, the
	 * entry's header and the stream's), flipped in place */
	snprintf(fx->cmd, sizeof(fx->cmd),
		 "cd '%s' && chmod u+w pack-%s.pack && printf 'X' | "
		 "dd of=pack-%s.pack bs=1 seek=20 conv=notrunc 2>/dev/null",
		 path.ptr, b, b);
	assert_int_equal(system(fx->cmd), 0);
	assert_int_equal(cl_pack_fold(name, path.ptr, names, 2, 0, &err), CL_ESTORE);
	assert_non_null(strstr(err.msg, b));
	assert_non_null(strstr(err.msg, "does not agree with its index"));
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	assert_string_equal(out, "4");
	free(out);
	cl_buf_release(&path);
}

/* A pack git made with deltas is not copied (a delta's base may be in
 * another pack): the caller is told to read the objects back instead. */
static void test_packfile__fold_leaves_deltas_to_the_caller(void **state)
{
	struct fixture *fx = *state;
	cl_error err = CL_ERROR_INIT;
	char a[41], g[41], name[41], *out, *line;
	const char *names[2] = { a, g };
	cl_buf path = CL_BUF_INIT;

	blob_pack(fx, a, "a", 2);
	/* two large, nearly equal blobs: git stores one as a delta */
	snprintf(fx->cmd, sizeof(fx->cmd),
		 "cd '%s' && seq 1 3000 >x && (cat x; echo y) >y && "
		 "git --git-dir=repo.git hash-object -w x y | "
		 "git --git-dir=repo.git pack-objects -q repo.git/objects/pack/pack >/dev/null && "
		 "rm x y",
		 fx->dir);
	assert_int_equal(system(fx->cmd), 0);
	cl_buf_printf(&path, "%s/repo.git/objects/pack", fx->dir);
	/* the pack git made: the one that is not a's */
	line = run(fx, "cd '%s' && ls pack-*.idx | grep -v %s | sed 's/pack-//; s/.idx//'",
		   path.ptr, a);
	assert_int_equal(strlen(line), 40);
	memcpy(g, line, 41);
	free(line);
	out = run(fx, "git verify-pack -v '%s/pack-%s.idx' | grep -c ' blob .* 1 '", path.ptr, g);
	assert_string_equal(out, "1"); /* the delta, at depth 1 */
	free(out);
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	line = cl_xstrdup(out);
	free(out);
	assert_int_equal(cl_pack_fold(name, path.ptr, names, 2, 0, &err), CL_EFOLD_COPY);
	out = run(fx, "ls '%s' | wc -l", path.ptr);
	assert_string_equal(out, line);
	free(out);
	free(line);
	cl_buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_packfile__##name, setup, teardown)
		T(git_reads_what_it_writes),
		T(refuses_an_object_twice),
		T(reports_an_unwritable_directory),
		T(fold_copies_entries_git_reads),
		T(fold_refuses_a_damaged_entry),
		T(fold_leaves_deltas_to_the_caller),
#undef T
	};

	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
