/*
 * floor.c - the floor for one chainlog transition: the least libgit2 work
 * any implementation of "one record change = one commit on a branch moved
 * by compare-and-swap" must do, with nothing else (no config, no rules,
 * no index, no process start per commit).
 *
 * Why it exists: bench/run.sh compares chainlog's durable transition with
 * it, so that "chainlog is slow" and "git is slow here" can be told apart.
 *
 *   floor GITDIR FSYNC N PERIOD TALENT...
 *
 * makes N commits on refs/heads/main of the bare repository GITDIR, each
 * replacing records/PERIOD/<shard>/<talent>.yaml (shard as in
 * records/FORMAT.md) for the talents in turn: one blob, the three trees on
 * the sharded path plus the root tree, one commit, and
 * git_reference_create_matching() from the old tip.  FSYNC 1 sets
 * GIT_OPT_ENABLE_FSYNC_GITDIR first (as chainlog does).  Prints the
 * microseconds of each commit, one per line.  Build:
 *   cc -O2 floor.c $(pkg-config --cflags --libs libgit2) -o floor
 */
#define _POSIX_C_SOURCE 200809L
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "floor: %s: %s\n", what, e && e->message ? e->message : "?");
	return 1;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes tree `base` with name set to id (mode), into out. */
static int put(git_oid *out, git_repository *repo, const git_oid *base,
	       const char *name, const git_oid *id, git_filemode_t mode)
{
	git_tree *tree = NULL;
	git_treebuilder *bld = NULL;
	int error;

	if (base && (error = git_tree_lookup(&tree, repo, base)) < 0)
		return error;
	if ((error = git_treebuilder_new(&bld, repo, tree)) == 0 &&
	    (error = git_treebuilder_insert(NULL, bld, name, id, mode)) == 0)
		error = git_treebuilder_write(out, bld);
	git_treebuilder_free(bld);
	git_tree_free(tree);
	return error;
}

/* The id of the subtree name in tree base, or NULL. */
static const git_oid *sub(git_oid *out, git_repository *repo, const git_oid *base,
			  const char *name)
{
	git_tree *tree = NULL;
	const git_tree_entry *e;
	const git_oid *r = NULL;

	if (!base || git_tree_lookup(&tree, repo, base) < 0)
		return NULL;
	if ((e = git_tree_entry_byname(tree, name)) != NULL) {
		git_oid_cpy(out, git_tree_entry_id(e));
		r = out;
	}
	git_tree_free(tree);
	return r;
}

static int one(git_repository *repo, const char *period, const char *talent, int i)
{
	git_oid tip, root, recs, per, shard, blob, t1, t2, t3, t4, cid;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	char shardname[3], file[128], data[512], msg[512];
	const git_oid *r, *p, *s;
	int error;

	snprintf(shardname, sizeof(shardname), "%02x", (unsigned)(fnv1a(talent) & 0xff));
	snprintf(file, sizeof(file), "%s.yaml", talent);
	/* the process id too: a later run must not find its blobs and trees
	 * written already (libgit2 skips an object that exists) */
	snprintf(data, sizeof(data), "id: %s/%s\nstate: pending-township\nfloor: %ld.%d\n",
		 period, talent, (long)getpid(), i);
	snprintf(msg, sizeof(msg), "approve %s/%s (pending-village -> pending-township)\n\n"
		 "Record: %s/%s\nAction: approve\nActor: floor\nFrom: pending-village\n"
		 "To: pending-township\nLevel: village\n", period, talent, period, talent);
	if ((error = git_reference_name_to_id(&tip, repo, "refs/heads/main")) < 0 ||
	    (error = git_commit_lookup(&parent, repo, &tip)) < 0)
		return error;
	git_oid_cpy(&root, git_commit_tree_id(parent));
	r = sub(&recs, repo, &root, "records");
	p = sub(&per, repo, r, period);
	s = sub(&shard, repo, p, shardname);
	if ((error = git_blob_create_from_buffer(&blob, repo, data, strlen(data))) < 0 ||
	    (error = put(&t1, repo, s, file, &blob, GIT_FILEMODE_BLOB)) < 0 ||
	    (error = put(&t2, repo, p, shardname, &t1, GIT_FILEMODE_TREE)) < 0 ||
	    (error = put(&t3, repo, r, period, &t2, GIT_FILEMODE_TREE)) < 0 ||
	    (error = put(&t4, repo, &root, "records", &t3, GIT_FILEMODE_TREE)) < 0 ||
	    (error = git_tree_lookup(&tree, repo, &t4)) < 0 ||
	    (error = git_signature_new(&sig, "Floor", "floor", 1700000000 + i, 0)) < 0 ||
	    (error = git_commit_create(&cid, repo, NULL, sig, sig, NULL, msg, tree, 1,
				       (const git_commit **)&parent)) < 0)
		goto done;
	error = git_reference_create_matching(&ref, repo, "refs/heads/main", &cid, 1, &tip,
					      "floor");
done:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	return error;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	int n, i, fsync_on;
	int64_t t0;

	if (argc < 6) {
		fprintf(stderr, "usage: floor GITDIR FSYNC N PERIOD TALENT...\n");
		return 2;
	}
	fsync_on = argv[2][0] == '1';
	n = (int)strtol(argv[3], NULL, 10);
	git_libgit2_init();
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, fsync_on) < 0 ||
	    git_repository_open_bare(&repo, argv[1]) < 0)
		return fail("open");
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (one(repo, argv[4], argv[5 + i % (argc - 5)], i) < 0)
			return fail("commit");
		printf("%lld\n", (long long)(now_us() - t0));
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	return 0;
}
