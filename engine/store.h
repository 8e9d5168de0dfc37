/*
 * store.h - the history: a bare git repository, the system of record.
 *
 * This is the only module that includes git2.h.  It knows nothing of
 * records, workflows or YAML: it stores byte strings at paths, makes
 * commits on one linear branch, and reads them back.
 *
 * Writing: cl_store_commit() makes the blobs, rebuilds only the trees on
 * the changed paths (so the cost does not grow with the number of files),
 * makes the commit, all in memory, then writes them as one small pack and
 * moves the branch with a compare-and-swap from the expected parent.  The
 * CAS is the commit point.  If the branch moved, it returns CL_EMOVED and
 * the caller re-validates and retries.  Small packs are folded as they
 * pile up (see cl_store_maintain); `git gc` packs the rest.
 *
 * Durability: unless CHAINLOG_FSYNC=0 is in the environment, objects and
 * refs are fsynced (GIT_OPT_ENABLE_FSYNC_GITDIR, set before the repository
 * is opened).
 *
 * Errors: every function returns 0 or a negative CL_E* code and fills err
 * with what it was doing plus libgit2's own message.
 */
#ifndef CL_STORE_H
#define CL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* The branch every transition goes on; HEAD names it. */
#define CL_STORE_BRANCH "refs/heads/main"

typedef struct cl_oid {
	unsigned char id[20]; /* raw SHA-1 */
} cl_oid;

#define CL_OID_HEXSZ 40

void cl_oid_fmt(char out[CL_OID_HEXSZ + 1], const cl_oid *oid);
int cl_oid_parse(cl_oid *out, const char *hex); /* 0, or -1 when invalid */
int cl_oid_equal(const cl_oid *a, const cl_oid *b);

typedef struct cl_store cl_store;

/* Creates a bare repository at path (which must not exist yet, or be an
 * empty directory) with HEAD -> CL_STORE_BRANCH, unborn, and opens it. */
int cl_store_init(cl_store **out, const char *path, cl_error *err);

/* Opens an existing repository; CL_ENOTFOUND when path is no repository. */
int cl_store_open(cl_store **out, const char *path, cl_error *err);

void cl_store_free(cl_store *st); /* NULL is fine */

/* The commit the branch points at; CL_ENOTFOUND while the branch is unborn. */
int cl_store_tip(cl_store *st, cl_oid *out, cl_error *err);

/* The blob id at path in commit's tree; CL_ENOTFOUND when there is none. */
int cl_store_path_id(cl_store *st, const cl_oid *commit, const char *path,
		     cl_oid *out, cl_error *err);

/* The tree id of directory path in commit's tree; CL_ENOTFOUND when
 * there is none. */
int cl_store_dir_id(cl_store *st, const cl_oid *commit, const char *path,
		    cl_oid *out, cl_error *err);

/*
 * Re-hash every object read (libgit2's strict hash verification).  Off by
 * default: zlib's checksums already catch a damaged object, and re-hashing
 * every tree on a path doubles the cost of a read.  verify turns it on;
 * `git fsck --strict` checks every object of the history.
 */
int cl_store_verify_hashes(int on);

/*
 * Sets the most bytes libgit2's object cache (process-wide) may hold, and
 * gives the limit it had in *old_max (may be NULL).  A one-pass replay
 * that keeps the few objects it reads again (verify, with a cursor)
 * wants it small: the cache would fill with trees read once, and the
 * limit counts only their raw bytes, not their parsed entries.
 */
int cl_store_cache_limit(size_t max, size_t *old_max);

/*
 * Turns libgit2's object cache (process-wide) off or back on.  A replay
 * that holds what it reads again itself (verify's cursor) is faster with
 * none: every object is read once, and libgit2's eviction rescans its
 * whole table each time the cache is full.
 */
int cl_store_caching(int on);

/* Appends the blob's bytes to out. */
int cl_store_read_blob(cl_store *st, const cl_oid *blob, cl_buf *out,
		       cl_error *err);

/* Appends the bytes at path in commit's tree to out; blob_out (may be NULL)
 * gets the blob id.  CL_ENOTFOUND when there is no such file. */
int cl_store_read(cl_store *st, const cl_oid *commit, const char *path,
		  cl_buf *out, cl_oid *blob_out, cl_error *err);

typedef struct cl_change {
	const char *path; /* "a/b/c.yaml", no leading or trailing '/' */
	const char *data; /* new contents; NULL deletes the file */
	size_t len;       /* bytes in data */
} cl_change;

typedef struct cl_signature {
	const char *name;  /* the actor's display name */
	const char *email; /* the actor's person id */
	int64_t time;      /* seconds since the epoch, UTC */
} cl_signature;

/*
 * Makes one commit whose parent is *parent (or a root commit when parent is
 * NULL, which requires an unborn branch), with the parent's tree plus
 * changes, author = committer = sig, and message.  Then moves the branch
 * from parent to it with a compare-and-swap.  Returns CL_EMOVED when the
 * branch no longer points at parent; nothing visible changed then.
 */
int cl_store_commit(cl_store *st, cl_oid *out, const cl_oid *parent,
		    const cl_change *changes, size_t nchanges,
		    const cl_signature *sig, const char *message,
		    cl_error *err);

typedef struct cl_commit_info {
	cl_oid id;          /* this commit */
	cl_oid tree;        /* its tree */
	int nparents;       /* 0 for the root commit */
	cl_oid parent;      /* the first parent, when nparents > 0 */
	char *author_name;  /* owned */
	char *author_email; /* owned */
	int64_t time;       /* author time, seconds since the epoch */
	int tz;             /* author time zone offset, minutes */
	char *committer_name;  /* owned */
	char *committer_email; /* owned */
	int64_t committer_time; /* seconds since the epoch */
	int committer_tz;   /* minutes */
	char *message;      /* owned, the raw message */
} cl_commit_info;

int cl_store_commit_info(cl_store *st, const cl_oid *commit,
			 cl_commit_info *out, cl_error *err);
void cl_commit_info_release(cl_commit_info *ci); /* NULL is fine */

/*
 * Calls cb for each commit after `from` (exclusive; NULL means from the
 * root) up to and including `to`, oldest first, following first parents.
 * Returns CL_EVERIFY when `from` is not an ancestor of `to` (the history
 * was rewritten).  A non-zero return from cb stops the walk and is returned.
 */
typedef int (*cl_store_walk_cb)(const cl_oid *commit, void *payload);
int cl_store_walk(cl_store *st, const cl_oid *from, const cl_oid *to,
		  cl_store_walk_cb cb, void *payload, cl_error *err);

/* The commits cl_store_walk() would visit, oldest first, in *ids (malloc'd,
 * the caller frees it) and *n: for a caller that goes through them in
 * pieces, without a copy of its own. */
int cl_store_chain(cl_oid **ids, size_t *n, cl_store *st, const cl_oid *from,
		   const cl_oid *to, cl_error *err);

/*
 * Calls cb for each file path that differs between the trees of commit
 * `old` (NULL: the empty tree) and commit `new`, comparing tree ids along
 * the way and descending only into subtrees whose ids differ.  old_blob or
 * new_blob is NULL when the file was added or deleted.  A path whose mode
 * changed, or that is not a regular file, is reported with both ids.
 */
typedef int (*cl_store_diff_cb)(const char *path, const cl_oid *old_blob,
				const cl_oid *new_blob, void *payload);
int cl_store_diff(cl_store *st, const cl_oid *old, const cl_oid *new,
		  cl_store_diff_cb cb, void *payload, cl_error *err);

/*
 * Comparing one commit with its parent along one path, for a replay that
 * knows which file each commit should change (verify).  The cursor keeps
 * the trees on the last path it compared (a handful of objects), so the
 * parent's side, which was the new side one step before, is not read
 * again.  It caches only: every answer is the one a fresh cursor gives.
 */
typedef struct cl_store_cursor cl_store_cursor;

/* The cursor reads st, which must outlive it. */
void cl_store_cursor_new(cl_store_cursor **out, cl_store *st);
void cl_store_cursor_free(cl_store_cursor *cur); /* NULL is fine */

typedef struct cl_store_path_change {
	int only;        /* 1: path alone differs, and is a file in new */
	int has_old;     /* path was a file in old (only when only is set) */
	cl_oid old_blob; /* its blob, when has_old */
	cl_oid new_blob; /* the blob at path in new, when only is set */
} cl_store_path_change;

/*
 * Compares tree old_tree (NULL: the empty tree) with tree new_tree.  Sets
 * out->only when the file at path (a blob, not a link) differs in id or
 * mode, was absent or a file in old, and every other entry of both trees
 * is the same (name, id and mode).  Otherwise out->only is 0: nothing at
 * path changed, something else did, or path is a directory, a link or
 * missing in new; cl_store_diff() then tells what changed.  Reads only
 * the trees on path.  CL_EINVALID for a bad path, CL_ESTORE when a tree
 * cannot be read.
 */
int cl_store_cursor_change(cl_store_cursor *cur, const cl_oid *old_tree,
			   const cl_oid *new_tree, const char *path,
			   cl_store_path_change *out, cl_error *err);

/* Calls cb for every file under dir (recursively) in commit's tree, in
 * path order.  A missing dir is not an error. */
typedef int (*cl_store_list_cb)(const char *path, const cl_oid *blob,
				void *payload);
int cl_store_list(cl_store *st, const cl_oid *commit, const char *dir,
		  cl_store_list_cb cb, void *payload, cl_error *err);

/* ---- for the bulk import (import.c), which writes with `git fast-import` */

/* The repository's directory (libgit2's spelling: with a trailing '/'),
 * for a helper that runs git on it. */
const char *cl_store_path(cl_store *st);

/* Deletes ref (e.g. a temporary "refs/chainlog/..."); a missing ref is not
 * an error.  Refuses CL_STORE_BRANCH. */
int cl_store_ref_delete(cl_store *st, const char *ref, cl_error *err);

/*
 * Moves the branch from *from to *to, a commit already in the object
 * store (written by someone else, e.g. fast-import), with the same
 * compare-and-swap as cl_store_commit().  Returns CL_EMOVED when the
 * branch no longer points at *from; nothing visible changed then.
 */
int cl_store_advance(cl_store *st, const cl_oid *from, const cl_oid *to,
		     cl_error *err);

/*
 * Group commit.  Between begin and end, commits (cl_store_commit) go to
 * memory and move the branch in memory only: cl_store_tip() and reads see
 * them, nothing on disk does.  end writes all their objects as one pack
 * and then moves the branch once (compare-and-swap from where it was at
 * begin), each durable when fsync is on; *moved is 1 when the branch moved.
 * A group that fails, or a crash before end, leaves the branch where it
 * was: none of the group's commits happened.  The writer lock is held from
 * begin to end, so keep groups short.
 *
 * Folding: each group and each single commit writes one small pack.  When
 * 16 packs of one size class (up to 64 objects, 1,024, 16,384) are in the
 * pack directory, whoever wrote any process's, they are folded into one
 * of the next class: at the end of the commit or group, or, after
 * cl_store_fold_later(st, 1), when the caller calls cl_store_maintain(),
 * e.g. once it has answered.  `git repack` or `git gc` packs the rest.
 */
int cl_store_group_begin(cl_store *st, cl_error *err);
int cl_store_group_end(cl_store *st, size_t *moved, cl_error *err);
int cl_store_grouped(const cl_store *st); /* a group is open */
void cl_store_fold_later(cl_store *st, int on);
void cl_store_maintain(cl_store *st); /* outside a group; may take a while */

/* ---- for fast reads, which answer from the index without libgit2 */

/*
 * The commit CL_STORE_BRANCH points at, read from the ref files of the
 * repository at gitdir with plain file reads: no libgit2, no
 * git_libgit2_init().  CL_ENOTFOUND when the branch is in neither the
 * loose ref nor packed-refs, CL_EINVALID when the ref is not a plain id
 * (a symbolic ref, say); a caller then asks cl_store_tip() instead.
 */
int cl_store_peek_tip(const char *gitdir, cl_oid *out, cl_error *err);

#endif
