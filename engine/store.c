/*
 * store.c - the history as a bare git repository (see store.h).
 *
 * Why a module of its own: the history is the system of record, and git is
 * an implementation detail of it.  Keeping every libgit2 call here means the
 * rest of the engine deals only in paths, byte strings and cl_oid values,
 * and the few subtle points of libgit2 live in one place:
 *
 * - Writes touch only the trees on the changed paths.  The changes are
 *   sorted by path, so that each tree on a changed path is rebuilt and
 *   written exactly once per commit (no intermediate, dangling trees), and
 *   the cost depends on the depth and the width of the touched directories,
 *   not on the number of files in the history.
 *
 * - The branch moves with a compare-and-swap under the ref's lock:
 *   git_reference_create_matching() with force=1 and the expected old value
 *   (force=0 would check for existence before taking the lock).  A root
 *   commit expects the all-zero id, which libgit2 reads as "must not exist".
 *   A mismatch, a missing branch or a held lock all mean "someone else got
 *   there first": CL_EMOVED, and the caller retries.
 *
 * - Durability is a process-wide libgit2 option that the odb and refdb
 *   backends read when the repository is opened, so it is set before every
 *   open.
 *
 * Semantics beyond store.h:
 * - changes are applied in path order; when one path appears more than
 *   once, only the last change to it in the array is applied;
 * - deleting a file that does not exist is CL_ENOTFOUND, and writing a file
 *   where a directory is (or below a file) is CL_EINVALID: both point at a
 *   caller whose idea of the tree is wrong;
 * - paths are refused (CL_EINVALID) when empty, with a leading or trailing
 *   '/', an empty, "." or ".." or ".git" component, or a control character;
 * - cl_store_diff reports a path that is a file on one side and a directory
 *   on the other as the file deleted (or added) plus each file below the
 *   directory added (or deleted); a file whose mode changed is reported with
 *   both ids even when they are equal.  Paths come in git order, which is
 *   byte order of the full paths.
 */
#include "store.h"
#include "packfile.h"
#include "util.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/stream.h>

_Static_assert(sizeof(git_oid) == sizeof(cl_oid), "git_oid is not SHA-1 sized");

#define STORE_PATH_MAX 4096

typedef struct store_group store_group;

struct cl_store {
	git_repository *repo;    /* the bare repository */
	git_repository *scratch; /* in a group, new objects are made here: a
				  * repository over the group's memory alone,
				  * see store_maker() */
	store_group *group;      /* group commit state, NULL until first used */
	int fold_later;          /* the caller folds (cl_store_maintain) */
	int fold_due;            /* a pack was written since the last fold */
	int memo_set;            /* memo_commit and memo_tree are set */
	cl_oid memo_commit;      /* the last commit whose tree was read ... */
	git_oid memo_tree;       /* ... and its tree: reading many files of
				  * one commit parses it once */
};

static git_repository *store_maker(cl_store *st);

/* One change, with its position in the caller's array to keep order. */
typedef struct store_chg {
	const cl_change *c;
	size_t idx;
} store_chg;

typedef struct store_diff_ctx {
	git_repository *repo;
	cl_store_diff_cb cb;
	void *payload;
	cl_error *err;
	cl_buf path;
} store_diff_ctx;

typedef struct store_list_ctx {
	git_repository *repo;
	cl_store_list_cb cb;
	void *payload;
	cl_error *err;
	cl_buf path;
} store_list_ctx;

static int store_group_tip(cl_store *st, cl_oid *out);
static int store_group_move(cl_store *st, const git_oid *id,
			    const git_oid *parent, cl_error *err);
static void store_group_drop(cl_store *st);

/* ---- object ids ------------------------------------------------------ */

void cl_oid_fmt(char out[CL_OID_HEXSZ + 1], const cl_oid *oid)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < sizeof(oid->id); i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 0xf];
	}
	out[CL_OID_HEXSZ] = '\0';
}

static int store_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cl_oid_parse(cl_oid *out, const char *hex)
{
	cl_oid tmp;
	size_t i;
	int hi, lo;

	if (!hex || strlen(hex) != CL_OID_HEXSZ)
		return -1;
	for (i = 0; i < sizeof(tmp.id); i++) {
		hi = store_hexval(hex[2 * i]);
		lo = store_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		tmp.id[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = tmp;
	return 0;
}

int cl_oid_equal(const cl_oid *a, const cl_oid *b)
{
	return memcmp(a->id, b->id, sizeof(a->id)) == 0;
}

static void store_to_git(git_oid *out, const cl_oid *in)
{
	memcpy(out->id, in->id, sizeof(in->id));
}

static void store_from_git(cl_oid *out, const git_oid *in)
{
	memcpy(out->id, in->id, sizeof(out->id));
}

/* ---- errors ---------------------------------------------------------- */

/* Sets err to "<what>: <libgit2's message>" and returns code. */
static int store_fail(cl_error *err, int code, const char *fmt, ...) CL_PRINTF(3, 4);

static int store_fail(cl_error *err, int code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	char what[CL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cl_error_set(err, code, "%s: %s", what,
			    ge && ge->message ? ge->message : "unknown error");
}

/* CL_ENOTFOUND for libgit2's GIT_ENOTFOUND, else CL_ESTORE. */
static int store_code(int gerr)
{
	return gerr == GIT_ENOTFOUND ? CL_ENOTFOUND : CL_ESTORE;
}

/* ---- paths ----------------------------------------------------------- */

static int store_component_valid(const char *s, size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return !(n == 4 && strncasecmp(s, ".git", 4) == 0);
}

static int store_path_valid(const char *path)
{
	const char *p, *start;
	size_t len;

	if (!path || !*path || (len = strlen(path)) > STORE_PATH_MAX)
		return 0;
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	for (start = p = path;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (!store_component_valid(start, (size_t)(p - start)))
			return 0;
		if (*p == '\0')
			return 1;
		start = p + 1;
	}
}

static int store_check_path(const char *path, cl_error *err)
{
	if (store_path_valid(path))
		return 0;
	return cl_error_set(err, CL_EINVALID, "invalid path '%s' in the history",
			    path ? path : "(null)");
}

/* ---- opening --------------------------------------------------------- */

/* libgit2's global options; they must be set before a repository opens. */
#define STORE_TREE_CACHE_MAX (64 << 10)

/* Whether writes are fsynced (CHAINLOG_FSYNC=0 turns it off): what
 * libgit2 was told, for the writes it does not make (packfile.c). */
static int store_durable = 1;

/*
 * chainlog opens no network connection: a home's history is local, and
 * auditors fetch it with stock git.  Every stream libgit2 could open
 * (sockets for git:// and ssh://, TLS for https://) is looked up in its
 * registry first, and registered here to one that refuses, so no path of
 * the library reaches the network; the CLI relies on it to leave
 * libgit2's TLS stack unset (engine/cli/nonet.c).
 */
static int store_refuse(git_stream **out)
{
	*out = NULL;
	git_error_set_str(GIT_ERROR_NET, "chainlog makes no network connections");
	return -1;
}

static int store_no_stream(git_stream **out, const char *host, const char *port)
{
	(void)host;
	(void)port;
	return store_refuse(out);
}

static int store_no_wrap(git_stream **out, git_stream *in, const char *host)
{
	(void)in;
	(void)host;
	return store_refuse(out);
}

static git_stream_registration store_no_network = {
	GIT_STREAM_VERSION, store_no_stream, store_no_wrap
};

static int store_setup(cl_error *err)
{
	const char *fsync_env = getenv("CHAINLOG_FSYNC");
	int durable = !(fsync_env && strcmp(fsync_env, "0") == 0);

	store_durable = durable;
	if (git_libgit2_init() < 0)
		return store_fail(err, CL_ESTORE, "cannot initialize libgit2");
	/*
	 * Bounded memory for long walks (verify, reindex): libgit2 would
	 * otherwise keep up to 256 MB of objects cached and map whole packs.
	 * Trap: the mapped limit alone does not bound the packs, because a
	 * window is 1 GB on 64-bit systems, so one window maps a whole pack
	 * and every page a walk touches stays resident.  Smaller windows let
	 * libgit2 unmap the ones it used least recently.  2 MB windows under
	 * a 16 MB limit: at 200k records verify took the same time as with
	 * 8 MB under 32 MB (21.0-22.5 against 22.2-23.6 s) and reindex too
	 * (3.2-3.3 against 3.1-3.4 s), with 6 and 13 MB less resident; 8 MB
	 * windows under 16 MB made verify 25-40% slower (too few windows for
	 * the places a walk reads from).
	 *
	 * What is cached: trees up to 64 KB (the shard and period
	 * directories, read again and again; libgit2's default caches none
	 * over 4 KB), and no commits (a walk reads each once: caching them
	 * only fills the cache, and libgit2's eviction rescans its hash
	 * table from the start every time, which cost a walk ~15%).
	 */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, durable) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 << 20)) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT, (size_t)0) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
			     (size_t)STORE_TREE_CACHE_MAX) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(2 << 20)) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(16 << 20)) < 0 ||
	    git_stream_register(GIT_STREAM_STANDARD | GIT_STREAM_TLS, &store_no_network) < 0) {
		store_fail(err, CL_ESTORE, "cannot configure libgit2");
		git_libgit2_shutdown();
		return CL_ESTORE;
	}
	return 0;
}

/* 0 when path does not exist or is an empty directory. */
static int store_check_target(const char *path, cl_error *err)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int used = 0;

	if (stat(path, &sb) < 0)
		return errno == ENOENT ? 0 :
		       cl_error_set(err, CL_ESTORE, "cannot create history at '%s': %s",
				    path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cl_error_set(err, CL_EEXISTS,
				    "cannot create history at '%s': it exists", path);
	if (!(d = opendir(path)))
		return cl_error_set(err, CL_ESTORE, "cannot create history at '%s': %s",
				    path, strerror(errno));
	while (!used && (de = readdir(d)) != NULL)
		used = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	if (used)
		return cl_error_set(err, CL_EEXISTS,
				    "cannot create history at '%s': directory is not empty",
				    path);
	return 0;
}

int cl_store_init(cl_store **out, const char *path, cl_error *err)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	int error, setup = 0;

	*out = NULL;
	if ((error = store_check_target(path, err)) < 0 ||
	    (error = store_setup(err)) < 0)
		goto done;
	setup = 1;
	if ((error = git_repository_init_options_init(
		     &opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION)) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot create history at '%s'", path);
		goto done;
	}
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = CL_STORE_BRANCH; /* "refs/..." is used verbatim */
	if ((error = git_repository_init_ext(&repo, path, &opts)) < 0) {
		error = store_fail(err, error == GIT_EEXISTS ? CL_EEXISTS : CL_ESTORE,
				   "cannot create history at '%s'", path);
		goto done;
	}
	*out = cl_xcalloc(1, sizeof(**out));
	(*out)->repo = repo;
	repo = NULL;
done:
	git_repository_free(repo);
	if (error < 0 && setup)
		git_libgit2_shutdown();
	return error;
}

int cl_store_open(cl_store **out, const char *path, cl_error *err)
{
	git_repository *repo = NULL;
	int error;

	*out = NULL;
	if ((error = store_setup(err)) < 0)
		return error;
	if ((error = git_repository_open_ext(&repo, path,
					     GIT_REPOSITORY_OPEN_NO_SEARCH |
					     GIT_REPOSITORY_OPEN_BARE, NULL)) < 0) {
		error = store_fail(err, store_code(error),
				   "cannot open history at '%s'", path);
		goto done;
	}
	*out = cl_xcalloc(1, sizeof(**out));
	(*out)->repo = repo;
	repo = NULL;
done:
	if (error < 0)
		git_libgit2_shutdown();
	return error;
}

void cl_store_free(cl_store *st)
{
	if (!st)
		return;
	store_group_drop(st);
	git_repository_free(st->scratch); /* before the database it aliases */
	git_repository_free(st->repo);
	free(st);
	git_libgit2_shutdown();
}

int cl_store_tip(cl_store *st, cl_oid *out, cl_error *err)
{
	git_oid id;
	int error;

	if (store_group_tip(st, out))
		return 0;
	if ((error = git_reference_name_to_id(&id, st->repo, CL_STORE_BRANCH)) < 0) {
		if (error == GIT_ENOTFOUND)
			return cl_error_set(err, CL_ENOTFOUND,
					    "history is empty: %s is unborn",
					    CL_STORE_BRANCH);
		return store_fail(err, CL_ESTORE, "cannot read %s", CL_STORE_BRANCH);
	}
	store_from_git(out, &id);
	return 0;
}

/* ---- reading --------------------------------------------------------- */

/*
 * A read can race a fold in another process (store_fold).  libgit2 finds
 * the object listed in a pack's index, but the fold has removed that pack
 * meanwhile, and the pack it copied the object into came after libgit2
 * last read the pack directory.  libgit2 rereads the directory once on a
 * miss, which can come before the fold's new pack, and then reports the
 * object missing (e2e/concurrency.sh met it: "cannot read commit ...:
 * object not found").  A fold writes its pack before it removes the old
 * ones, so after one more rescan the object is found if it exists.
 */
#define STORE_READ_TRIES 3

/* git_odb_read, again after a rescan of the packs when it misses. */
static int store_odb_read(git_odb_object **out, git_odb *odb, const git_oid *id)
{
	int error, tries = 0;

	while ((error = git_odb_read(out, odb, id)) == GIT_ENOTFOUND &&
	       ++tries < STORE_READ_TRIES && git_odb_refresh(odb) == 0)
		;
	return error;
}

/* git_object_lookup of an object of type type, the same way. */
static int store_object_lookup(git_object **out, git_repository *repo,
			       const git_oid *id, git_object_t type)
{
	git_odb *odb = NULL;
	int error, tries = 0;

	while ((error = git_object_lookup(out, repo, id, type)) == GIT_ENOTFOUND &&
	       ++tries < STORE_READ_TRIES && git_repository_odb(&odb, repo) == 0) {
		error = git_odb_refresh(odb);
		git_odb_free(odb);
		if (error < 0)
			return error;
	}
	return error;
}

static int store_commit_lookup(git_commit **out, cl_store *st,
			       const cl_oid *commit, cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1];
	git_object *obj = NULL;
	git_oid id;
	int error;

	store_to_git(&id, commit);
	error = store_object_lookup(&obj, st->repo, &id, GIT_OBJECT_COMMIT);
	*out = (git_commit *)obj;
	if (error < 0) {
		cl_oid_fmt(hex, commit);
		return store_fail(err, store_code(error), "cannot read commit %s", hex);
	}
	return 0;
}

static int store_commit_tree(git_tree **out, cl_store *st, const cl_oid *commit,
			     cl_error *err)
{
	git_commit *c = NULL;
	char hex[CL_OID_HEXSZ + 1];
	int error;

	if (st->memo_set && cl_oid_equal(&st->memo_commit, commit) &&
	    git_tree_lookup(out, st->repo, &st->memo_tree) == 0)
		return 0;
	if ((error = store_commit_lookup(&c, st, commit, err)) < 0)
		return error;
	if ((error = git_commit_tree(out, c)) < 0) {
		cl_oid_fmt(hex, commit);
		error = store_fail(err, CL_ESTORE, "cannot read the tree of commit %s",
				   hex);
	} else {
		/* ids name content: the pair stays true whatever happens */
		st->memo_commit = *commit;
		git_oid_cpy(&st->memo_tree, git_commit_tree_id(c));
		st->memo_set = 1;
	}
	git_commit_free(c);
	return error;
}

/* The entry at path in commit's tree (caller frees), or an error. */
static int store_entry(git_tree_entry **entry, cl_store *st, const cl_oid *commit,
		       const char *path, cl_error *err)
{
	git_tree *tree = NULL;
	int error;

	*entry = NULL;
	if ((error = store_check_path(path, err)) < 0 ||
	    (error = store_commit_tree(&tree, st, commit, err)) < 0)
		return error;
	if ((error = git_tree_entry_bypath(entry, tree, path)) < 0)
		error = store_fail(err, store_code(error), "cannot find '%s'", path);
	git_tree_free(tree);
	return error;
}

int cl_store_dir_id(cl_store *st, const cl_oid *commit, const char *path,
		    cl_oid *out, cl_error *err)
{
	git_tree_entry *entry = NULL;
	int error = store_entry(&entry, st, commit, path, err);

	if (!error && git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		error = cl_error_set(err, CL_ENOTFOUND, "cannot find directory '%s'", path);
	if (!error)
		store_from_git(out, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	return error;
}

int cl_store_verify_hashes(int on)
{
	return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, on) < 0 ? CL_ESTORE : 0;
}

int cl_store_caching(int on)
{
	return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, on) < 0 ? CL_ESTORE : 0;
}

int cl_store_cache_limit(size_t max, size_t *old_max)
{
	ssize_t cur = 0, allowed = 0;

	assert(max <= (size_t)SSIZE_MAX);
	if (git_libgit2_opts(GIT_OPT_GET_CACHED_MEMORY, &cur, &allowed) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)max) < 0)
		return CL_ESTORE;
	if (old_max)
		*old_max = allowed > 0 ? (size_t)allowed : 0;
	return 0;
}

int cl_store_path_id(cl_store *st, const cl_oid *commit, const char *path,
		     cl_oid *out, cl_error *err)
{
	git_tree_entry *entry = NULL;
	int error = store_entry(&entry, st, commit, path, err);

	if (!error && (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
		       git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK))
		error = cl_error_set(err, CL_ENOTFOUND, "cannot find '%s': not a file", path);
	if (!error)
		store_from_git(out, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	return error;
}

int cl_store_read_blob(cl_store *st, const cl_oid *blob, cl_buf *out,
		       cl_error *err)
{
	git_blob *b = NULL;
	git_object_size_t size;
	char hex[CL_OID_HEXSZ + 1];
	git_oid id;
	git_object *obj = NULL;
	int error;

	store_to_git(&id, blob);
	cl_oid_fmt(hex, blob);
	error = store_object_lookup(&obj, st->repo, &id, GIT_OBJECT_BLOB);
	b = (git_blob *)obj;
	if (error < 0)
		return store_fail(err, store_code(error), "cannot read blob %s", hex);
	size = git_blob_rawsize(b);
	if (size >= CL_BUF_MAX) {
		error = cl_error_set(err, CL_ESTORE, "cannot read blob %s: too large",
				     hex);
		goto done;
	}
	cl_buf_put(out, git_blob_rawcontent(b), (size_t)size);
done:
	git_blob_free(b);
	return error;
}

int cl_store_read(cl_store *st, const cl_oid *commit, const char *path,
		  cl_buf *out, cl_oid *blob_out, cl_error *err)
{
	cl_oid blob;
	int error;

	if ((error = cl_store_path_id(st, commit, path, &blob, err)) < 0 ||
	    (error = cl_store_read_blob(st, &blob, out, err)) < 0)
		return error;
	if (blob_out)
		*blob_out = blob;
	return 0;
}

/* ---- writing: trees -------------------------------------------------- */

static int store_chg_cmp(const void *a, const void *b)
{
	const store_chg *x = a, *y = b;
	int cmp = strcmp(x->c->path, y->c->path);

	if (cmp)
		return cmp;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int store_build(git_oid *out, size_t *count, cl_store *st,
		       const git_oid *base, const store_chg *chg, size_t n,
		       size_t off, int root, cl_error *err);

/* Sets or removes the file `name` in bld, for the change c. */
static int store_apply_leaf(git_treebuilder *bld, cl_store *st,
			    const char *name, const cl_change *c, cl_error *err)
{
	const git_tree_entry *e = git_treebuilder_get(bld, name);
	git_oid blob;

	if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return cl_error_set(err, CL_EINVALID,
				    "cannot %s '%s': it is a directory",
				    c->data ? "write" : "delete", c->path);
	if (!c->data) {
		if (!e)
			return cl_error_set(err, CL_ENOTFOUND,
					    "cannot delete '%s': no such file", c->path);
		if (git_treebuilder_remove(bld, name) < 0)
			return store_fail(err, CL_ESTORE, "cannot delete '%s'", c->path);
		return 0;
	}
	if (git_blob_create_from_buffer(&blob, store_maker(st), c->data, c->len) < 0)
		return store_fail(err, CL_ESTORE, "cannot write blob for '%s'", c->path);
	if (git_treebuilder_insert(NULL, bld, name, &blob, GIT_FILEMODE_BLOB) < 0)
		return store_fail(err, CL_ESTORE, "cannot write '%s'", c->path);
	return 0;
}

/* Rebuilds the subdirectory `name` of bld for the n changes below it. */
static int store_apply_dir(git_treebuilder *bld, cl_store *st, const char *name,
			   const store_chg *chg, size_t n, size_t off,
			   cl_error *err)
{
	const git_tree_entry *e = git_treebuilder_get(bld, name);
	git_oid sub, built;
	size_t count = 0;
	int error;

	if (e && git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return cl_error_set(err, CL_EINVALID,
				    "cannot write '%s': '%.*s' is a file",
				    chg[0].c->path, (int)(off - 1), chg[0].c->path);
	if (e)
		git_oid_cpy(&sub, git_tree_entry_id(e));
	if ((error = store_build(&built, &count, st, e ? &sub : NULL, chg, n, off,
				 0, err)) < 0)
		return error;
	if (count == 0) {
		if (e && git_treebuilder_remove(bld, name) < 0)
			return store_fail(err, CL_ESTORE, "cannot remove directory '%.*s'",
					  (int)(off - 1), chg[0].c->path);
		return 0;
	}
	if (git_treebuilder_insert(NULL, bld, name, &built, GIT_FILEMODE_TREE) < 0)
		return store_fail(err, CL_ESTORE, "cannot write directory '%.*s'",
				  (int)(off - 1), chg[0].c->path);
	return 0;
}

/* Applies chg[i..] that share its first component (after off) to bld;
 * *used is how many it consumed. */
static int store_apply_group(size_t *used, git_treebuilder *bld, cl_store *st,
			     const store_chg *chg, size_t n, size_t off,
			     cl_error *err)
{
	const char *rest = chg[0].c->path + off, *slash = strchr(rest, '/');
	size_t len, j;
	char *name;
	int error;

	if (!slash) {
		*used = 1;
		if (n > 1 && strcmp(chg[1].c->path, chg[0].c->path) == 0)
			return 0; /* a later change to the same path wins */
		return store_apply_leaf(bld, st, rest, chg[0].c, err);
	}
	len = (size_t)(slash - rest);
	for (j = 1; j < n; j++) {
		const char *r = chg[j].c->path + off;
		if (strncmp(r, rest, len) != 0 || r[len] != '/')
			break;
	}
	name = cl_xstrndup(rest, len);
	error = store_apply_dir(bld, st, name, chg, j, off + len + 1, err);
	free(name);
	*used = j;
	return error;
}

/*
 * Writes the tree `base` (NULL: empty) with the n changes applied, whose
 * paths relative to this tree start at byte off.  *count is its number of
 * entries; an empty tree is only written (to out) when root is set.
 */
static int store_build(git_oid *out, size_t *count, cl_store *st,
		       const git_oid *base, const store_chg *chg, size_t n,
		       size_t off, int root, cl_error *err)
{
	git_tree *tree = NULL;
	git_treebuilder *bld = NULL;
	size_t i, used = 0;
	git_object *obj = NULL;
	int error = 0;

	if (base && (error = store_object_lookup(&obj, st->repo, base, GIT_OBJECT_TREE)) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot read tree");
		goto done;
	}
	tree = (git_tree *)obj;
	if ((error = git_treebuilder_new(&bld, store_maker(st), tree)) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot build tree");
		goto done;
	}
	for (i = 0; i < n; i += used)
		if ((error = store_apply_group(&used, bld, st, chg + i, n - i, off,
					       err)) < 0)
			goto done;
	*count = git_treebuilder_entrycount(bld);
	if ((*count > 0 || root) && (error = git_treebuilder_write(out, bld)) < 0)
		error = store_fail(err, CL_ESTORE, "cannot write tree");
done:
	git_treebuilder_free(bld);
	git_tree_free(tree);
	return error;
}

/* The tree `base` with all changes applied, written. */
static int store_write_tree(git_oid *out, cl_store *st, const git_oid *base,
			    const cl_change *changes, size_t nchanges,
			    cl_error *err)
{
	store_chg *chg = NULL;
	size_t i, count = 0;
	int error;

	chg = cl_xcalloc(nchanges ? nchanges : 1, sizeof(*chg));
	for (i = 0; i < nchanges; i++) {
		chg[i].c = &changes[i];
		chg[i].idx = i;
	}
	qsort(chg, nchanges, sizeof(*chg), store_chg_cmp);
	error = store_build(out, &count, st, base, chg, nchanges, 0, 1, err);
	free(chg);
	return error;
}

/* ---- writing: commits ------------------------------------------------ */

static int store_sig_valid(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s == '<' || *s == '>' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

static int store_check_commit_args(const cl_change *changes, size_t nchanges,
				   const cl_signature *sig, const char *message,
				   cl_error *err)
{
	size_t i;
	int error;

	if (!sig || !store_sig_valid(sig->name) || !store_sig_valid(sig->email))
		return cl_error_set(err, CL_EINVALID,
				    "invalid signature for a commit: name and email "
				    "must be non-empty, without '<', '>' or control characters");
	if (!message)
		return cl_error_set(err, CL_EINVALID, "a commit needs a message");
	if (nchanges && !changes)
		return cl_error_set(err, CL_EINVALID, "no changes given");
	for (i = 0; i < nchanges; i++)
		if ((error = store_check_path(changes[i].path, err)) < 0)
			return error;
	return 0;
}

/*
 * Every chainlog writer holds an flock on <gitdir>/chainlog.lock while it
 * moves the branch.  The kernel drops an flock when its process dies, so
 * whoever holds it knows that no live chainlog process is inside
 * libgit2's ref update: a refs/heads/main.lock found then was left by a
 * process killed between taking git's lock and renaming it, and is
 * removed.  Returns the lock's fd (>= 0) or an error.
 */
static int store_writer_lock(cl_store *st, cl_error *err)
{
	cl_buf path = CL_BUF_INIT;
	int fd;

	cl_buf_printf(&path, "%schainlog.lock", git_repository_path(st->repo));
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot lock '%s': %s", path.ptr, strerror(errno));
		if (fd >= 0)
			close(fd);
		cl_buf_release(&path);
		return CL_ESTORE;
	}
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s%s.lock", git_repository_path(st->repo), CL_STORE_BRANCH);
	if (unlink(path.ptr) == 0)
		fprintf(stderr, "chainlog: removed a stale lock left by a dead process: %s\n",
			path.ptr);
	cl_buf_release(&path);
	return fd;
}

/* Moves the branch from parent (NULL: unborn) to id, or CL_EMOVED. */
static int store_move_branch(cl_store *st, const git_oid *id,
			     const git_oid *parent, cl_error *err)
{
	git_reference *ref = NULL;
	git_oid expect;
	int error, lock;

	if (cl_store_grouped(st))
		return store_group_move(st, id, parent, err);
	if ((lock = store_writer_lock(st, err)) < 0)
		return lock;
	cl_fault("before-cas");
	if (parent)
		git_oid_cpy(&expect, parent);
	else
		memset(&expect, 0, sizeof(expect)); /* zero: must not exist yet */
	error = git_reference_create_matching(&ref, st->repo, CL_STORE_BRANCH, id,
					      1, &expect, "chainlog: commit");
	git_reference_free(ref);
	close(lock);
	if (error == GIT_EMODIFIED || error == GIT_ELOCKED || error == GIT_ENOTFOUND)
		return store_fail(err, CL_EMOVED, "branch moved meanwhile");
	if (error < 0)
		return store_fail(err, CL_ESTORE, "cannot move %s", CL_STORE_BRANCH);
	return 0;
}

/*
 * Writes the commit object.  In a group it goes to the group's memory
 * through store_maker(): made as a buffer, as git_commit_create() would
 * look its parent up in the repository it writes to, which there holds
 * only the group's new objects.
 */
static int store_commit_object(git_oid *id, cl_store *st, const git_signature *sig,
			       const char *message, const git_tree *tree,
			       const git_commit **parents, size_t nparents)
{
	git_buf buf = GIT_BUF_INIT;
	git_odb *odb = NULL;
	int error;

	if (!cl_store_grouped(st))
		return git_commit_create(id, st->repo, NULL, sig, sig, NULL, message, tree,
					 nparents, parents);
	if ((error = git_commit_create_buffer(&buf, st->repo, sig, sig, NULL, message, tree,
					      nparents, parents)) == 0 &&
	    (error = git_repository_odb(&odb, st->scratch)) == 0)
		error = git_odb_write(id, odb, buf.ptr, buf.size, GIT_OBJECT_COMMIT);
	git_odb_free(odb);
	git_buf_dispose(&buf);
	return error;
}

static int store_single_begin(cl_store *st, const git_oid *parent, cl_error *err);
static int store_single_end(cl_store *st, int ok, cl_error *err);

int cl_store_commit(cl_store *st, cl_oid *out, const cl_oid *parent,
		    const cl_change *changes, size_t nchanges,
		    const cl_signature *sig, const char *message,
		    cl_error *err)
{
	git_commit *pcommit = NULL;
	git_tree *tree = NULL;
	git_signature *gsig = NULL;
	const git_commit *parents[1];
	git_oid tree_id, id;
	int error, single = 0;

	if ((error = store_check_commit_args(changes, nchanges, sig, message,
					     err)) < 0 ||
	    (parent && (error = store_commit_lookup(&pcommit, st, parent, err)) < 0))
		goto done;
	if (pcommit && !cl_store_grouped(st)) {
		if ((error = store_single_begin(st, git_commit_id(pcommit), err)) < 0)
			goto done;
		single = 1;
	}
	if ((error = store_write_tree(&tree_id, st,
				      pcommit ? git_commit_tree_id(pcommit) : NULL,
				      changes, nchanges, err)) < 0)
		goto done;
	if ((error = git_tree_lookup(&tree, st->repo, &tree_id)) < 0 ||
	    (error = git_signature_new(&gsig, sig->name, sig->email,
				       (git_time_t)sig->time, 0)) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot prepare commit");
		goto done;
	}
	parents[0] = pcommit;
	cl_fault("after-blob");
	if ((error = store_commit_object(&id, st, gsig, message, tree, parents,
					 pcommit ? 1 : 0)) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot write commit");
		goto done;
	}
	cl_fault("after-commit-object");
	if ((error = store_move_branch(st, &id,
				       pcommit ? git_commit_id(pcommit) : NULL,
				       err)) < 0)
		goto done;
	if (single) {
		single = 0;
		if ((error = store_single_end(st, 1, err)) < 0)
			goto done;
	}
	store_from_git(out, &id);
done:
	if (single)
		store_single_end(st, 0, err);
	git_signature_free(gsig);
	git_tree_free(tree);
	git_commit_free(pcommit);
	return error;
}

/* ---- commit metadata ------------------------------------------------- */

/*
 * A commit's headers and message, parsed from its raw bytes.  libgit2's
 * commit parser allocates a signature per person, a parent array and a
 * copy of the message for every commit, which a catch-up or verify over a
 * million commits pays a million times; this reads only what
 * cl_commit_info holds, and refuses what it cannot read rather than
 * guessing.
 */

/* The line at *p (up to end) that starts with `key` and a space: its
 * value in *v, *vlen; *p moves past it.  0 when the line is not key's. */
static int store_header(const char **p, const char *end, const char *key,
			const char **v, size_t *vlen)
{
	size_t k = strlen(key);
	const char *nl;

	if ((size_t)(end - *p) <= k || memcmp(*p, key, k) || (*p)[k] != ' ')
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return 0;
	*v = *p + k + 1;
	*vlen = (size_t)(nl - *v);
	*p = nl + 1;
	return 1;
}

/* 40 lowercase hex digits into out. */
static int store_hex_oid(cl_oid *out, const char *v, size_t len)
{
	char hex[CL_OID_HEXSZ + 1];

	if (len != CL_OID_HEXSZ)
		return -1;
	memcpy(hex, v, CL_OID_HEXSZ);
	hex[CL_OID_HEXSZ] = '\0';
	return cl_oid_parse(out, hex);
}

/* "Name <email> 1672531200 +0800", as git writes a person: the name
 * before the last '<', the email up to the last '>', then the time and
 * its zone. */
static int store_person(char **name, char **email, int64_t *when, int *tz,
			const char *v, size_t len)
{
	const char *lt = NULL, *gt = NULL, *p, *end = v + len;
	int64_t t = 0;
	int sign, hh, mm;
	size_t i, n;

	for (i = 0; i < len; i++) {
		if (v[i] == '<')
			lt = v + i;
		else if (v[i] == '>')
			gt = v + i;
	}
	if (!lt || !gt || gt < lt || lt == v || lt[-1] != ' ')
		return -1;
	p = gt + 1;
	if (p == end || *p++ != ' ' || p == end)
		return -1;
	for (n = 0; p < end && *p >= '0' && *p <= '9'; p++, n++) {
		if (t > (INT64_MAX - 9) / 10)
			return -1;
		t = t * 10 + (*p - '0');
	}
	if (!n || end - p != 6 || p[0] != ' ' || (p[1] != '+' && p[1] != '-'))
		return -1;
	for (i = 2; i < 6; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	sign = p[1] == '-' ? -1 : 1;
	hh = (p[2] - '0') * 10 + (p[3] - '0');
	mm = (p[4] - '0') * 10 + (p[5] - '0');
	*name = cl_xstrndup(v, (size_t)(lt - 1 - v));
	*email = cl_xstrndup(lt + 1, (size_t)(gt - lt - 1));
	*when = t;
	*tz = sign * (hh * 60 + mm);
	return 0;
}

/* The tree and parent lines at *p: the tree, the first parent and how
 * many there are; *p moves past them. */
static int store_commit_links(const char **p, const char *end, cl_oid *tree,
			      cl_oid *parent, int *nparents)
{
	const char *v;
	size_t len;

	*nparents = 0;
	if (!store_header(p, end, "tree", &v, &len) || store_hex_oid(tree, v, len) < 0)
		return -1;
	while (store_header(p, end, "parent", &v, &len)) {
		if (!*nparents && store_hex_oid(parent, v, len) < 0)
			return -1;
		if (*nparents == INT_MAX)
			return -1;
		++*nparents;
	}
	return 0;
}

static int store_commit_parse(cl_commit_info *out, const char *data, size_t size)
{
	const char *p = data, *end = data + size, *v;
	size_t len;

	if (store_commit_links(&p, end, &out->tree, &out->parent, &out->nparents) < 0)
		return -1;
	if (!store_header(&p, end, "author", &v, &len) ||
	    store_person(&out->author_name, &out->author_email, &out->time, &out->tz,
			 v, len) < 0)
		return -1;
	if (!store_header(&p, end, "committer", &v, &len) ||
	    store_person(&out->committer_name, &out->committer_email,
			 &out->committer_time, &out->committer_tz, v, len) < 0)
		return -1;
	/* other headers (encoding, gpgsig with its continuation lines) up
	 * to the blank line; the message is everything after it */
	while (p < end && *p != '\n') {
		v = memchr(p, '\n', (size_t)(end - p));
		if (!v)
			return -1;
		p = v + 1;
	}
	if (p == end)
		return -1;
	p++;
	if (memchr(p, '\0', (size_t)(end - p)))
		return -1;
	out->message = cl_xstrndup(p, (size_t)(end - p));
	return 0;
}

/* Reads commit's raw object from odb into *obj (the caller frees it), or
 * says why not: missing, or not a commit. */
static int store_commit_raw(git_odb_object **obj, git_odb *odb, const cl_oid *commit,
			    cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1];
	git_oid id;
	int rc;

	*obj = NULL;
	store_to_git(&id, commit);
	if ((rc = store_odb_read(obj, odb, &id)) < 0) {
		cl_oid_fmt(hex, commit);
		return store_fail(err, store_code(rc), "cannot read commit %s", hex);
	}
	if (git_odb_object_type(*obj) != GIT_OBJECT_COMMIT) {
		cl_oid_fmt(hex, commit);
		rc = cl_error_set(err, CL_ESTORE, "cannot read commit %s: it is a %s", hex,
				  git_object_type2string(git_odb_object_type(*obj)));
		git_odb_object_free(*obj);
		*obj = NULL;
		return rc;
	}
	return 0;
}

/* The "malformed" refusal of a commit that was read but not understood. */
static int store_commit_malformed(const cl_oid *commit, cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1];

	cl_oid_fmt(hex, commit);
	return cl_error_set(err, CL_ESTORE, "cannot read commit %s: malformed", hex);
}

int cl_store_commit_info(cl_store *st, const cl_oid *commit,
			 cl_commit_info *out, cl_error *err)
{
	git_odb_object *obj = NULL;
	git_odb *odb = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if (git_repository_odb(&odb, st->repo) < 0)
		return store_fail(err, CL_ESTORE, "cannot read the history");
	if ((error = store_commit_raw(&obj, odb, commit, err)) == 0) {
		out->id = *commit;
		if (store_commit_parse(out, git_odb_object_data(obj),
				       git_odb_object_size(obj)) < 0) {
			cl_commit_info_release(out);
			error = store_commit_malformed(commit, err);
		}
	}
	git_odb_object_free(obj);
	git_odb_free(odb);
	return error;
}

void cl_commit_info_release(cl_commit_info *ci)
{
	if (!ci)
		return;
	free(ci->author_name);
	free(ci->author_email);
	free(ci->committer_name);
	free(ci->committer_email);
	free(ci->message);
	memset(ci, 0, sizeof(*ci));
}

/* ---- walking --------------------------------------------------------- */

/* The first parent of commit and in *has how many it has (0 for a root
 * commit), from its raw bytes: a walk needs nothing else of it. */
static int store_first_parent(cl_oid *parent, int *has, git_odb *odb, const cl_oid *commit,
			      cl_error *err)
{
	git_odb_object *obj = NULL;
	const char *p;
	cl_oid tree;
	int error;

	*has = 0;
	if ((error = store_commit_raw(&obj, odb, commit, err)) < 0)
		return error;
	p = git_odb_object_data(obj);
	if (store_commit_links(&p, p + git_odb_object_size(obj), &tree, parent, has) < 0)
		error = store_commit_malformed(commit, err);
	git_odb_object_free(obj);
	return error;
}

/* The first-parent chain from `to` back to (not including) `from`, newest
 * first, in *ids (malloc'd) and *n. */
static int store_collect(cl_oid **ids, size_t *n, cl_store *st,
			 const cl_oid *from, const cl_oid *to, cl_error *err)
{
	cl_oid cur = *to, parent;
	char hex[CL_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	size_t alloc = 0;
	int error = 0, has;

	*ids = NULL;
	*n = 0;
	if (git_repository_odb(&odb, st->repo) < 0)
		return store_fail(err, CL_ESTORE, "cannot read the history");
	while (!from || !cl_oid_equal(&cur, from)) {
		if ((error = store_first_parent(&parent, &has, odb, &cur, err)) < 0)
			goto done;
		if (*n == alloc) {
			alloc = alloc ? cl_xmul(alloc, 2) : 64;
			*ids = cl_xrealloc(*ids, cl_xmul(alloc, sizeof(**ids)));
		}
		(*ids)[(*n)++] = cur;
		if (!has)
			break;
		cur = parent;
	}
	if (from && !cl_oid_equal(&cur, from)) {
		cl_oid_fmt(hex, from);
		error = cl_error_set(err, CL_EVERIFY,
				     "history rewritten: indexed head %s is not an "
				     "ancestor of the branch tip", hex);
	}
done:
	git_odb_free(odb);
	return error;
}

int cl_store_chain(cl_oid **ids, size_t *n, cl_store *st, const cl_oid *from,
		   const cl_oid *to, cl_error *err)
{
	size_t i;
	cl_oid t;
	int error;

	if ((error = store_collect(ids, n, st, from, to, err)) < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return error;
	}
	for (i = 0; i < *n / 2; i++) {
		t = (*ids)[i];
		(*ids)[i] = (*ids)[*n - 1 - i];
		(*ids)[*n - 1 - i] = t;
	}
	return 0;
}

int cl_store_walk(cl_store *st, const cl_oid *from, const cl_oid *to,
		  cl_store_walk_cb cb, void *payload, cl_error *err)
{
	cl_oid *ids = NULL;
	size_t n = 0, i;
	int error = cl_store_chain(&ids, &n, st, from, to, err);

	for (i = 0; !error && i < n; i++)
		error = cb(&ids[i], payload);
	free(ids);
	return error;
}

/* ---- diff ------------------------------------------------------------ */

static int store_tree_lookup(git_tree **out, git_repository *repo,
			     const git_oid *id, cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1];
	git_object *obj = NULL;

	*out = NULL;
	if (!id)
		return 0;
	if (store_object_lookup(&obj, repo, id, GIT_OBJECT_TREE) == 0) {
		*out = (git_tree *)obj;
		return 0;
	}
	git_oid_tostr(hex, sizeof(hex), id);
	return store_fail(err, CL_ESTORE, "cannot read tree %s", hex);
}

static int store_diff_trees(store_diff_ctx *ctx, const git_oid *a,
			    const git_oid *b);

/* Reports the entry pair (either may be NULL, not both) at ctx->path. */
static int store_diff_entry(store_diff_ctx *ctx, const git_tree_entry *a,
			    const git_tree_entry *b)
{
	const git_tree_entry *any = a ? a : b;
	size_t len = ctx->path.size;
	cl_oid oa, ob;
	int error = 0;

	if (ctx->path.size)
		cl_buf_putc(&ctx->path, '/');
	cl_buf_puts(&ctx->path, git_tree_entry_name(any));
	if (git_tree_entry_type(any) == GIT_OBJECT_TREE) {
		error = store_diff_trees(ctx, a ? git_tree_entry_id(a) : NULL,
					 b ? git_tree_entry_id(b) : NULL);
	} else if (!a || !b || !git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) ||
		   git_tree_entry_filemode(a) != git_tree_entry_filemode(b)) {
		if (a)
			store_from_git(&oa, git_tree_entry_id(a));
		if (b)
			store_from_git(&ob, git_tree_entry_id(b));
		error = ctx->cb(ctx->path.ptr, a ? &oa : NULL, b ? &ob : NULL,
				ctx->payload);
	}
	cl_buf_truncate(&ctx->path, len);
	return error;
}

/* Merges the entries of two sorted trees (NULL: empty); entries that
 * compare equal have the same name and are both trees or both not. */
static int store_diff_merge(store_diff_ctx *ctx, const git_tree *ta,
			    const git_tree *tb)
{
	size_t i = 0, j = 0, na = ta ? git_tree_entrycount(ta) : 0;
	size_t nb = tb ? git_tree_entrycount(tb) : 0;
	const git_tree_entry *a, *b;
	int cmp, error = 0;

	while (!error && (i < na || j < nb)) {
		a = i < na ? git_tree_entry_byindex(ta, i) : NULL;
		b = j < nb ? git_tree_entry_byindex(tb, j) : NULL;
		cmp = !a ? 1 : !b ? -1 : git_tree_entry_cmp(a, b);
		if (cmp == 0 && git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) &&
		    git_tree_entry_filemode(a) == git_tree_entry_filemode(b)) {
			i++, j++;
			continue;
		}
		error = store_diff_entry(ctx, cmp <= 0 ? a : NULL, cmp >= 0 ? b : NULL);
		i += cmp <= 0;
		j += cmp >= 0;
	}
	return error;
}

static int store_diff_trees(store_diff_ctx *ctx, const git_oid *a,
			    const git_oid *b)
{
	git_tree *ta = NULL, *tb = NULL;
	int error;

	if (a && b && git_oid_equal(a, b))
		return 0;
	if ((error = store_tree_lookup(&ta, ctx->repo, a, ctx->err)) < 0 ||
	    (error = store_tree_lookup(&tb, ctx->repo, b, ctx->err)) < 0)
		goto done;
	error = store_diff_merge(ctx, ta, tb);
done:
	git_tree_free(ta);
	git_tree_free(tb);
	return error;
}

static int store_commit_tree_id(git_oid *out, cl_store *st, const cl_oid *commit,
				cl_error *err)
{
	git_commit *c = NULL;
	int error;

	if ((error = store_commit_lookup(&c, st, commit, err)) < 0)
		return error;
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

int cl_store_diff(cl_store *st, const cl_oid *old, const cl_oid *new,
		  cl_store_diff_cb cb, void *payload, cl_error *err)
{
	store_diff_ctx ctx = { st->repo, cb, payload, err, CL_BUF_INIT };
	git_oid a, b;
	int error;

	if ((old && (error = store_commit_tree_id(&a, st, old, err)) < 0) ||
	    (error = store_commit_tree_id(&b, st, new, err)) < 0)
		goto done;
	error = store_diff_trees(&ctx, old ? &a : NULL, &b);
done:
	cl_buf_release(&ctx.path);
	return error;
}

/* ---- comparing along one path ---------------------------------------- */

/*
 * The cursor reads trees as raw objects and compares their bytes rather
 * than having libgit2 parse them into entries: a tree is a run of entries
 * "<octal mode> <name>\0<20-byte id>" sorted by name, so two trees have
 * the same entries apart from the one named N exactly when the bytes
 * before N's entry and the bytes after it are the same.  verify asks this
 * of four trees a commit (root, records/, the period, the shard); parsing
 * the 256-entry period directory each time was a third of its walk.
 * Anything not plainly well formed is reported as "not only this path",
 * which sends the caller to cl_store_diff() and libgit2's own parser.
 */

/* Deeper paths are left to cl_store_diff(); records are 4 levels down. */
#define STORE_CURSOR_DEPTH 16

struct cl_store_cursor {
	cl_store *st;                              /* the store it reads */
	git_odb *odb;                              /* its object database */
	git_odb_object *trees[STORE_CURSOR_DEPTH]; /* new side of the last call,
						    * root first, by depth */
	size_t n;                                  /* trees held */
};

void cl_store_cursor_new(cl_store_cursor **out, cl_store *st)
{
	assert(st);
	*out = cl_xcalloc(1, sizeof(**out));
	(*out)->st = st;
	if (git_repository_odb(&(*out)->odb, st->repo) < 0)
		(*out)->odb = NULL; /* reported by the first read */
}

static void store_cursor_drop(cl_store_cursor *cur)
{
	while (cur->n)
		git_odb_object_free(cur->trees[--cur->n]);
}

void cl_store_cursor_free(cl_store_cursor *cur)
{
	if (!cur)
		return;
	store_cursor_drop(cur);
	git_odb_free(cur->odb);
	free(cur);
}

/* The raw tree id at depth: the one held when the ids match, else read. */
static int store_cursor_tree(git_odb_object **out, cl_store_cursor *cur,
			     size_t depth, const git_oid *id, cl_error *err)
{
	git_odb_object *held = depth < cur->n ? cur->trees[depth] : NULL;
	char hex[CL_OID_HEXSZ + 1];

	if (held && git_oid_equal(git_odb_object_id(held), id))
		return git_odb_object_dup(out, held) < 0
			       ? store_fail(err, CL_ESTORE, "cannot copy a tree")
			       : 0;
	if (cur->odb && store_odb_read(out, cur->odb, id) == 0) {
		if (git_odb_object_type(*out) == GIT_OBJECT_TREE)
			return 0;
		git_odb_object_free(*out);
		*out = NULL;
	}
	git_oid_tostr(hex, sizeof(hex), id);
	return store_fail(err, CL_ESTORE, "cannot read tree %s", hex);
}

/* One entry of a raw tree. */
typedef struct store_raw_entry {
	const char *start;  /* first byte of the entry */
	const char *end;    /* one past its id */
	const char *mode;   /* the octal mode, mode_len digits */
	size_t mode_len;
	const char *name;   /* the name, name_len bytes */
	size_t name_len;
	const unsigned char *id; /* 20 bytes */
} store_raw_entry;

/* Reads the entry at *p (before end) into e and moves *p past it; 0 at
 * the end, -1 when the bytes are not an entry. */
static int store_raw_next(store_raw_entry *e, const char **p, const char *end)
{
	const char *sp, *nul;

	if (*p == end)
		return 0;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	if (!sp || sp == *p)
		return -1;
	nul = memchr(sp + 1, '\0', (size_t)(end - sp - 1));
	if (!nul || nul == sp + 1 || (size_t)(end - nul - 1) < GIT_OID_RAWSZ)
		return -1;
	e->start = *p;
	e->mode = *p;
	e->mode_len = (size_t)(sp - *p);
	e->name = sp + 1;
	e->name_len = (size_t)(nul - sp - 1);
	e->id = (const unsigned char *)nul + 1;
	e->end = nul + 1 + GIT_OID_RAWSZ;
	*p = e->end;
	return 1;
}

static int store_raw_mode(const store_raw_entry *e, const char *mode)
{
	return e->mode_len == strlen(mode) && !memcmp(e->mode, mode, e->mode_len);
}

/* A regular file (not a link, not a directory). */
static int store_raw_is_file(const store_raw_entry *e)
{
	return store_raw_mode(e, "100644") || store_raw_mode(e, "100755");
}

static int store_raw_is_dir(const store_raw_entry *e)
{
	return store_raw_mode(e, "40000");
}

/* Finds the entry named name[0..len) in the raw tree t (NULL: empty):
 * *found is 1 and e is it, or 0 and e->start = e->end is where it would
 * be.  -1 when t is not plainly well formed or has the name twice. */
static int store_raw_find(store_raw_entry *e, int *found, git_odb_object *t,
			  const char *name, size_t len)
{
	const char *p = t ? git_odb_object_data(t) : NULL;
	const char *end = t ? p + git_odb_object_size(t) : NULL;
	store_raw_entry x, next;
	const char *q;
	int rc;

	*found = 0;
	memset(e, 0, sizeof(*e));
	e->start = e->end = p;
	while ((rc = store_raw_next(&x, &p, end)) > 0) {
		if (x.name_len == len && !memcmp(x.name, name, len)) {
			q = p;
			if (store_raw_next(&next, &q, end) > 0 && next.name_len == len &&
			    !memcmp(next.name, name, len))
				return -1; /* twice */
			*e = x;
			*found = 1;
			return 0;
		}
		e->start = e->end = p;
	}
	/* not there: e->start at the end is as good a place as any, the
	 * bytes around must simply agree */
	return rc < 0 ? -1 : 0;
}

/*
 * 1 when raw trees a (NULL: empty) and b have the same entries, byte for
 * byte, apart from the one named name[0..len); *fa and *fb say whether
 * each has it, and ea and eb are the entries.
 */
static int store_raw_same_but(store_raw_entry *ea, int *fa, store_raw_entry *eb, int *fb,
			      git_odb_object *a, git_odb_object *b, const char *name,
			      size_t len)
{
	const char *pa, *pb;
	size_t before_a, before_b, after_a, after_b;

	if (store_raw_find(ea, fa, a, name, len) < 0 || store_raw_find(eb, fb, b, name, len) < 0)
		return 0;
	pa = a ? git_odb_object_data(a) : NULL;
	pb = git_odb_object_data(b);
	before_a = a ? (size_t)(ea->start - pa) : 0;
	before_b = (size_t)(eb->start - pb);
	after_a = a ? git_odb_object_size(a) - (size_t)(ea->end - pa) : 0;
	after_b = git_odb_object_size(b) - (size_t)(eb->end - pb);
	if (!*fa && a)
		/* where name would go in a is where it is in b: the bytes
		 * before it there */
		before_a = before_b, after_a = git_odb_object_size(a) - before_b;
	if (!*fb)
		before_b = before_a, after_b = git_odb_object_size(b) - before_a;
	if (before_a != before_b || after_a != after_b)
		return 0;
	return (!before_a || !memcmp(pa, pb, before_a)) &&
	       (!after_a || !memcmp(pa + git_odb_object_size(a) - after_a,
				    pb + git_odb_object_size(b) - after_b, after_a));
}

/* The leaf: sets out when the file at path is a changed or added file. */
static void store_leaf_change(cl_store_path_change *out, const store_raw_entry *ea, int fa,
			      const store_raw_entry *eb, int fb)
{
	if (!fb || !store_raw_is_file(eb) || (fa && !store_raw_is_file(ea)))
		return;
	if (fa && !memcmp(ea->id, eb->id, GIT_OID_RAWSZ) && ea->mode_len == eb->mode_len &&
	    !memcmp(ea->mode, eb->mode, ea->mode_len))
		return;
	out->only = 1;
	out->has_old = fa;
	if (fa)
		memcpy(out->old_blob.id, ea->id, GIT_OID_RAWSZ);
	memcpy(out->new_blob.id, eb->id, GIT_OID_RAWSZ);
}

/*
 * Walks down path in a[] and b[] from depth 0 (read already), reading each
 * next level into a[] and b[] while only the entry on path differs.
 */
static int store_cursor_walk(cl_store_cursor *cur, git_odb_object **a,
			     git_odb_object **b, const char *path,
			     cl_store_path_change *out, cl_error *err)
{
	store_raw_entry ea, eb;
	const char *name = path, *slash;
	git_oid ida, idb;
	size_t d, len;
	int fa, fb, error = 0;

	for (d = 0; !error; d++, name = slash + 1) {
		slash = strchr(name, '/');
		len = slash ? (size_t)(slash - name) : strlen(name);
		if (!store_raw_same_but(&ea, &fa, &eb, &fb, a[d], b[d], name, len))
			return 0;
		if (!slash) {
			store_leaf_change(out, &ea, fa, &eb, fb);
			return 0;
		}
		if (d + 1 == STORE_CURSOR_DEPTH || !fb || !store_raw_is_dir(&eb) ||
		    (fa && (!store_raw_is_dir(&ea) || !memcmp(ea.id, eb.id, GIT_OID_RAWSZ))))
			return 0;
		if (fa) {
			memcpy(ida.id, ea.id, GIT_OID_RAWSZ);
			if ((error = store_cursor_tree(&a[d + 1], cur, d + 1, &ida, err)) < 0)
				return error;
		}
		memcpy(idb.id, eb.id, GIT_OID_RAWSZ);
		error = store_cursor_tree(&b[d + 1], cur, d + 1, &idb, err);
	}
	return error;
}

int cl_store_cursor_change(cl_store_cursor *cur, const cl_oid *old_tree,
			   const cl_oid *new_tree, const char *path,
			   cl_store_path_change *out, cl_error *err)
{
	git_odb_object *a[STORE_CURSOR_DEPTH] = { 0 }, *b[STORE_CURSOR_DEPTH] = { 0 };
	size_t i;
	git_oid ida, idb;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = store_check_path(path, err)) < 0)
		return error;
	store_to_git(&idb, new_tree);
	if (old_tree)
		store_to_git(&ida, old_tree);
	if ((old_tree && (error = store_cursor_tree(&a[0], cur, 0, &ida, err)) < 0) ||
	    (error = store_cursor_tree(&b[0], cur, 0, &idb, err)) < 0)
		goto done;
	error = store_cursor_walk(cur, a, b, path, out, err);
done:
	/* the new side is the next call's old side */
	store_cursor_drop(cur);
	for (i = 0; i < STORE_CURSOR_DEPTH; i++) {
		git_odb_object_free(a[i]);
		if (b[i])
			cur->trees[cur->n++] = b[i]; /* b[] has no gaps */
	}
	return error;
}

/* ---- listing --------------------------------------------------------- */

static int store_list_tree(store_list_ctx *ctx, const git_oid *id)
{
	git_tree *tree = NULL;
	const git_tree_entry *e;
	size_t i, n, len = ctx->path.size;
	cl_oid blob;
	int error;

	if ((error = store_tree_lookup(&tree, ctx->repo, id, ctx->err)) < 0)
		return error;
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !error; i++) {
		e = git_tree_entry_byindex(tree, i);
		if (len)
			cl_buf_putc(&ctx->path, '/');
		cl_buf_puts(&ctx->path, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			error = store_list_tree(ctx, git_tree_entry_id(e));
		} else {
			store_from_git(&blob, git_tree_entry_id(e));
			error = ctx->cb(ctx->path.ptr, &blob, ctx->payload);
		}
		cl_buf_truncate(&ctx->path, len);
	}
	git_tree_free(tree);
	return error;
}

int cl_store_list(cl_store *st, const cl_oid *commit, const char *dir,
		  cl_store_list_cb cb, void *payload, cl_error *err)
{
	store_list_ctx ctx = { st->repo, cb, payload, err, CL_BUF_INIT };
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	git_oid id;
	int error;

	if (dir && *dir && (error = store_check_path(dir, err)) < 0)
		return error;
	if ((error = store_commit_tree(&root, st, commit, err)) < 0)
		return error;
	git_oid_cpy(&id, git_tree_id(root));
	if (dir && *dir) {
		if ((error = git_tree_entry_bypath(&entry, root, dir)) < 0) {
			error = error == GIT_ENOTFOUND ? 0 :
				store_fail(err, CL_ESTORE, "cannot find '%s'", dir);
			goto done;
		}
		if (git_tree_entry_type(entry) != GIT_OBJECT_TREE)
			goto done; /* a file: nothing below it */
		git_oid_cpy(&id, git_tree_entry_id(entry));
		cl_buf_puts(&ctx.path, dir);
	}
	error = store_list_tree(&ctx, &id);
done:
	cl_buf_release(&ctx.path);
	git_tree_entry_free(entry);
	git_tree_free(root);
	return error;
}

/* ---- for the bulk import -------------------------------------------- */

const char *cl_store_path(cl_store *st)
{
	return git_repository_path(st->repo);
}

int cl_store_ref_delete(cl_store *st, const char *ref, cl_error *err)
{
	int error;

	if (!ref || strncmp(ref, "refs/", 5) || !strcmp(ref, CL_STORE_BRANCH))
		return cl_error_set(err, CL_EINVALID, "refusing to delete ref '%s'",
				    ref ? ref : "(null)");
	error = git_reference_remove(st->repo, ref);
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return store_fail(err, CL_ESTORE, "cannot delete %s", ref);
	return 0;
}

int cl_store_advance(cl_store *st, const cl_oid *from, const cl_oid *to,
		     cl_error *err)
{
	git_commit *c = NULL;
	git_oid id, expect;
	int error;

	/* The new tip must be a commit that is really there (looked up,
	 * which also makes libgit2 notice a pack written by another
	 * process) before any ref names it. */
	if ((error = store_commit_lookup(&c, st, to, err)) < 0)
		return error;
	git_commit_free(c);
	store_to_git(&id, to);
	store_to_git(&expect, from);
	return store_move_branch(st, &id, &expect, err);
}

/* ---- group commit ---------------------------------------------------- */

/*
 * A group's objects go to an in-memory object database (libgit2's
 * mempack) registered in front of the repository's own, and the branch
 * moves only in memory.  cl_store_group_end() writes every object of the
 * group as one pack, then moves the real branch once, so a group costs one
 * pack and one ref update on disk instead of ~6 loose objects and a ref
 * update per commit.  The writer lock is held from begin to end: other
 * writers wait for the group, never see half of it.
 *
 * The mempack backend cannot list what it holds (its own dump packs only
 * what commits reach, i.e. whole trees), so a thin backend in front of it
 * notes each id written.
 */

typedef struct store_mem {
	git_odb_backend parent; /* first: libgit2 calls us through it */
	git_odb_backend *mem;   /* the mempack that holds the objects */
	git_oid *ids;           /* ids written since the last reset */
	size_t n;               /* entries in ids */
	size_t cap;             /* slots in ids */
} store_mem;

struct store_group {
	store_mem *mem;  /* registered in the repository's odb, which owns it */
	int active;      /* a group is open */
	int lock;        /* the writer lock's fd while active (-1: a single
			  * commit, which takes it only to write) */
	git_oid from;    /* the branch when the group began */
	git_oid tip;     /* the branch as the group moved it */
};

static int store_mem_write(git_odb_backend *b, const git_oid *id, const void *data,
			   size_t len, git_object_t type)
{
	store_mem *m = (store_mem *)b;
	int error = m->mem->write(m->mem, id, data, len, type);

	if (error < 0)
		return error;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->ids = cl_xrealloc(m->ids, m->cap * sizeof(*m->ids));
	}
	git_oid_cpy(&m->ids[m->n++], id);
	return 0;
}

static int store_mem_read(void **data, size_t *len, git_object_t *type,
			  git_odb_backend *b, const git_oid *id)
{
	store_mem *m = (store_mem *)b;

	return m->mem->read(data, len, type, m->mem, id);
}

static int store_mem_header(size_t *len, git_object_t *type, git_odb_backend *b,
			    const git_oid *id)
{
	store_mem *m = (store_mem *)b;

	return m->mem->read_header(len, type, m->mem, id);
}

static int store_mem_exists(git_odb_backend *b, const git_oid *id)
{
	store_mem *m = (store_mem *)b;

	return m->mem->exists(m->mem, id);
}

static void store_mem_free(git_odb_backend *b)
{
	store_mem *m = (store_mem *)b;

	m->mem->free(m->mem);
	free(m->ids);
	free(m);
}

/* Registers the in-memory backend in front of the repository's. */
static int store_mem_attach(store_mem **out, cl_store *st, cl_error *err)
{
	git_odb *odb = NULL;
	store_mem *m = cl_xcalloc(1, sizeof(*m));
	int error;

	if ((error = git_odb_init_backend(&m->parent, GIT_ODB_BACKEND_VERSION)) < 0 ||
	    (error = git_mempack_new(&m->mem)) < 0) {
		free(m);
		return store_fail(err, CL_ESTORE, "cannot set up a group commit");
	}
	m->parent.write = store_mem_write;
	m->parent.read = store_mem_read;
	m->parent.read_header = store_mem_header;
	m->parent.exists = store_mem_exists;
	m->parent.free = store_mem_free;
	/* above every on-disk backend: new objects are written here */
	if ((error = git_repository_odb(&odb, st->repo)) < 0 ||
	    (error = git_odb_add_backend(odb, &m->parent, 1000)) < 0) {
		git_odb_free(odb);
		store_mem_free(&m->parent);
		return store_fail(err, CL_ESTORE, "cannot set up a group commit");
	}
	git_odb_free(odb);
	*out = m;
	return 0;
}

/*
 * The scratch repository: its object database is the group's memory
 * alone (through a second, non-owning backend over the same store_mem).
 * Blobs, trees and commits made there never touch the repository's own
 * database, where each new object is first looked for on disk, and the
 * miss makes libgit2 rescan the pack directory: six rescans a transition,
 * a sixth of a served one's time.
 */
typedef struct store_alias {
	git_odb_backend parent;
	store_mem *m;            /* owned by the repository's database */
} store_alias;

static int store_alias_write(git_odb_backend *b, const git_oid *id, const void *data,
			     size_t len, git_object_t type)
{
	return store_mem_write(&((store_alias *)b)->m->parent, id, data, len, type);
}

static int store_alias_read(void **data, size_t *len, git_object_t *type,
			    git_odb_backend *b, const git_oid *id)
{
	return store_mem_read(data, len, type, &((store_alias *)b)->m->parent, id);
}

static int store_alias_header(size_t *len, git_object_t *type, git_odb_backend *b,
			      const git_oid *id)
{
	return store_mem_header(len, type, &((store_alias *)b)->m->parent, id);
}

static int store_alias_exists(git_odb_backend *b, const git_oid *id)
{
	return store_mem_exists(&((store_alias *)b)->m->parent, id);
}

static void store_alias_free(git_odb_backend *b)
{
	free(b);
}

static int store_scratch_open(cl_store *st, store_mem *m, cl_error *err)
{
	store_alias *a = cl_xcalloc(1, sizeof(*a));
	git_odb *odb = NULL;

	if (git_odb_init_backend(&a->parent, GIT_ODB_BACKEND_VERSION) < 0) {
		free(a);
		return store_fail(err, CL_ESTORE, "cannot set up a group commit");
	}
	a->m = m;
	a->parent.write = store_alias_write;
	a->parent.read = store_alias_read;
	a->parent.read_header = store_alias_header;
	a->parent.exists = store_alias_exists;
	a->parent.free = store_alias_free;
	if (git_odb_new(&odb) < 0 || git_odb_add_backend(odb, &a->parent, 1) < 0) {
		git_odb_free(odb);
		free(a);
		return store_fail(err, CL_ESTORE, "cannot set up a group commit");
	}
	if (git_repository_wrap_odb(&st->scratch, odb) < 0) {
		git_odb_free(odb);
		return store_fail(err, CL_ESTORE, "cannot set up a group commit");
	}
	git_odb_free(odb); /* the scratch repository holds it */
	return 0;
}

int cl_store_grouped(const cl_store *st)
{
	return st->group && st->group->active;
}

/* Where new objects are made: the group's memory in a group, else the
 * repository (loose objects). */
static git_repository *store_maker(cl_store *st)
{
	return cl_store_grouped(st) ? st->scratch : st->repo;
}

static int store_group_tip(cl_store *st, cl_oid *out)
{
	if (!cl_store_grouped(st))
		return 0;
	store_from_git(out, &st->group->tip);
	return 1;
}

static int store_group_move(cl_store *st, const git_oid *id,
			    const git_oid *parent, cl_error *err)
{
	store_group *g = st->group;

	if (g->lock >= 0) /* a single commit's is in store_single_end */
		cl_fault("before-cas");
	if (!parent || !git_oid_equal(parent, &g->tip))
		return cl_error_set(err, CL_EMOVED, "branch moved meanwhile");
	git_oid_cpy(&g->tip, id);
	return 0;
}

/* Forgets the group's objects in memory. */
static void store_group_forget(store_group *g)
{
	git_mempack_reset(g->mem->mem);
	g->mem->n = 0;
}

/* Lets other writers in.  A group whose objects reached the disk may keep
 * them in memory too (keep), until the next group begins: the index's
 * catch-up that follows then reads them there, not from a pack the
 * repository has not scanned yet. */
static void store_group_close(store_group *g, int keep)
{
	if (!keep)
		store_group_forget(g);
	close(g->lock);
	g->lock = -1;
	g->active = 0;
}

static void store_group_drop(cl_store *st)
{
	if (cl_store_grouped(st))
		store_group_close(st->group, 0);
	free(st->group); /* the backend itself belongs to the odb */
	st->group = NULL;
}

/* The memory backend and the scratch repository, set up on first use. */
static int store_group_setup(cl_store *st, cl_error *err)
{
	int error;

	if (!st->group) {
		st->group = cl_xcalloc(1, sizeof(*st->group));
		st->group->lock = -1;
		if ((error = store_mem_attach(&st->group->mem, st, err)) < 0) {
			free(st->group);
			st->group = NULL;
			return error;
		}
		if ((error = store_scratch_open(st, st->group->mem, err)) < 0)
			return error; /* the group stays, unusable: setup fails again */
	}
	if (!st->scratch)
		return cl_error_set(err, CL_ESTORE, "cannot set up a group commit");
	store_group_forget(st->group); /* the last group's, kept for its catch-up */
	return 0;
}

int cl_store_group_begin(cl_store *st, cl_error *err)
{
	store_group *g;
	int lock, error;

	assert(!cl_store_grouped(st));
	if ((error = store_group_setup(st, err)) < 0)
		return error;
	g = st->group;
	if ((lock = store_writer_lock(st, err)) < 0)
		return lock;
	if ((error = git_reference_name_to_id(&g->from, st->repo, CL_STORE_BRANCH)) < 0) {
		close(lock);
		return store_fail(err, error == GIT_ENOTFOUND ? CL_ENOTFOUND : CL_ESTORE,
				  "cannot read %s", CL_STORE_BRANCH);
	}
	git_oid_cpy(&g->tip, &g->from);
	g->lock = lock;
	g->active = 1;
	return 0;
}

/* An object read back for the pack writer. */
typedef struct store_raw_obj {
	git_odb_object *obj;
} store_raw_obj;

/*
 * Writes objects ids (distinct: a commit's or a group's new objects, in
 * memory, or those of the packs being folded) as one pack with our own
 * writer (packfile.h: no indexer pass, no delta search, which were most
 * of a durable transition's time).  name gets the pack's name.
 */

static int store_write_group_pack(char name[GIT_OID_HEXSZ + 1], cl_store *st,
				  const git_oid *ids, size_t n, cl_error *err)
{
	cl_pack_object *objs = cl_xcalloc(n ? n : 1, sizeof(*objs));
	store_raw_obj *raw = cl_xcalloc(n ? n : 1, sizeof(*raw));
	cl_buf dir = CL_BUF_INIT;
	git_odb *odb = NULL;
	size_t i;
	int error = 0;

	if (git_repository_odb(&odb, st->repo) < 0)
		error = store_fail(err, CL_ESTORE, "cannot open the object database");
	for (i = 0; i < n && !error; i++) {
		if (git_odb_read(&raw[i].obj, odb, &ids[i]) < 0) {
			error = store_fail(err, CL_ESTORE, "cannot read a new object back");
			break;
		}
		memcpy(objs[i].id, ids[i].id, sizeof(objs[i].id));
		objs[i].type = (int)git_odb_object_type(raw[i].obj);
		objs[i].data = git_odb_object_data(raw[i].obj);
		objs[i].len = git_odb_object_size(raw[i].obj);
	}
	cl_buf_printf(&dir, "%sobjects/pack", git_repository_path(st->repo));
	if (!error)
		error = cl_pack_write(name, dir.ptr, objs, n, store_durable, err);
	for (i = 0; i < n; i++)
		git_odb_object_free(raw[i].obj);
	free(raw);
	free(objs);
	git_odb_free(odb);
	cl_buf_release(&dir);
	return error;
}

/*
 * Folding.  Each group and each single commit writes one small pack, and
 * a reader searches the packs in turn: they must not pile up.  Packs are
 * sorted into tiers by their object count: tier 0 holds up to STORE_TIER0
 * objects (a commit's handful, a small group's), each next tier
 * STORE_FOLD times as many.  When a tier holds STORE_FOLD packs, they are
 * folded into one, which lands in a higher tier: an object is written
 * again once per tier, and at most STORE_FOLD - 1 packs wait in each.
 * Packs past the last tier (git gc's, or a fold of the last tier) wait
 * for `git gc`.  A fold copies the packs' entries as they are, each
 * checked against its CRC (cl_pack_fold): no object is looked up,
 * inflated or compressed.  libgit2's packbuilder would compress them and
 * search for deltas, some 25 ms for the 16 packs of tier 0, over 1.5 ms a
 * commit for each tier; reading the objects back through libgit2 (each
 * looked up across the pack directory) was still 16% of a batch's time.
 * A pack git made with deltas is folded that way still.  Compressing is
 * left to `git gc`: until it runs, the history takes some 10 KB a
 * transition, where gc makes it under 1 KB.
 *
 * The pack directory is the only record, so the packs of every process
 * (commands, batch, serve) fold alike.  A pack with a .keep file is left
 * alone, as git does, and a directory with a multi-pack index (which names
 * its packs) is not folded at all.  The fold holds the writer lock: two processes
 * never fold the same packs.  The new pack is durable before the old ones
 * go; a reader that still looks for one of them finds its objects in the
 * new pack (libgit2 rescans the pack directory on a miss), as with `git
 * repack`.  A failure leaves the small packs, which are still valid.
 */
#define STORE_FOLD 16
#define STORE_TIER0 64
#define STORE_TIERS 3 /* tiers that are folded */
#define STORE_IDX_HEAD (8 + 256 * 4) /* magic, version, fan-out table */

typedef struct store_small_pack {
	char name[GIT_OID_HEXSZ + 1];
	uint32_t count; /* objects in it */
} store_small_pack;

/* The tier of a pack of count objects; STORE_TIERS for one never folded. */
static int store_pack_tier(uint32_t count)
{
	uint64_t most = STORE_TIER0;
	int tier = 0;

	while (count > most && tier < STORE_TIERS) {
		most *= STORE_FOLD;
		tier++;
	}
	return tier;
}

static int store_oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static uint32_t store_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* objects/pack/pack-<name>.<ext> in path, which is cleared first. */
static const char *store_pack_path(cl_buf *path, cl_store *st, const char *name,
				   const char *ext)
{
	cl_buf_clear(path);
	cl_buf_printf(path, "%sobjects/pack/pack-%s.%s", git_repository_path(st->repo),
		      name, ext);
	return path->ptr;
}

/* Whether pack p may be folded: it has its pack file and no .keep. */
static int store_pack_foldable(cl_store *st, const store_small_pack *p)
{
	cl_buf path = CL_BUF_INIT;
	int ok = access(store_pack_path(&path, st, p->name, "keep"), F_OK) < 0 &&
		 access(store_pack_path(&path, st, p->name, "pack"), F_OK) == 0;

	cl_buf_release(&path);
	return ok;
}

/* Appends the ids pack p holds to *ids: 0, or -1 when its index cannot
 * be read or is not a version 2 one. */
static int store_pack_ids(cl_store *st, const store_small_pack *p, git_oid **ids,
			  size_t *n, size_t *cap)
{
	unsigned char head[STORE_IDX_HEAD], *raw = NULL;
	cl_buf path = CL_BUF_INIT;
	size_t i, count, len;
	int fd = -1, error = -1;

	if ((fd = open(store_pack_path(&path, st, p->name, "idx"), O_RDONLY | O_CLOEXEC)) < 0)
		goto done;
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, "\377tOc\0\0\0\2", 8) != 0)
		goto done;
	count = store_be32(head + 8 + 255 * 4);
	len = count * GIT_OID_RAWSZ;
	raw = cl_xmalloc(len ? len : 1);
	if (pread(fd, raw, len, STORE_IDX_HEAD) != (ssize_t)len)
		goto done;
	if (*n + count > *cap) {
		*cap = 2 * (*n + count);
		*ids = cl_xrealloc(*ids, *cap * sizeof(**ids));
	}
	for (i = 0; i < count; i++)
		memcpy((*ids)[(*n)++].id, raw + i * GIT_OID_RAWSZ, GIT_OID_RAWSZ);
	error = 0;
done:
	free(raw);
	if (fd >= 0)
		close(fd);
	cl_buf_release(&path);
	return error;
}

/*
 * The packs of the lowest tier that holds STORE_FOLD of them (at most
 * STORE_FOLD, in *packs); 0 when no tier is full.  Cheap when there is
 * nothing to fold: fewer than STORE_FOLD indexes cost a directory read,
 * more a stat each, the count of objects being worked out from the
 * index's size (a version 2 index of n objects under 2 GiB is 1,072 +
 * 28 n bytes).
 */
static size_t store_fold_pick(cl_store *st, store_small_pack packs[STORE_FOLD])
{
	store_small_pack *all = NULL;
	size_t n = 0, cap = 0, i, k = 0, in[STORE_TIERS] = { 0 };
	cl_buf dir = CL_BUF_INIT;
	struct dirent *de;
	struct stat sb;
	int tier, full;
	DIR *d;

	cl_buf_printf(&dir, "%sobjects/pack", git_repository_path(st->repo));
	d = opendir(dir.ptr);
	cl_buf_release(&dir);
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		/* git's multi-pack index names its packs: folding is left
		 * to git then */
		if (strcmp(de->d_name, "multi-pack-index") == 0) {
			n = 0;
			break;
		}
		/* pack-<40 hex>.idx */
		if (len != 5 + GIT_OID_HEXSZ + 4 || strncmp(de->d_name, "pack-", 5) ||
		    strcmp(de->d_name + 5 + GIT_OID_HEXSZ, ".idx"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			all = cl_xrealloc(all, cap * sizeof(*all));
		}
		memcpy(all[n].name, de->d_name + 5, GIT_OID_HEXSZ);
		all[n++].name[GIT_OID_HEXSZ] = '\0';
	}
	for (i = 0; d && n >= STORE_FOLD && i < n; i++) {
		char file[5 + GIT_OID_HEXSZ + 4 + 1];

		snprintf(file, sizeof(file), "pack-%s.idx", all[i].name);
		all[i].count = UINT32_MAX; /* never folded */
		if (fstatat(dirfd(d), file, &sb, 0) == 0 && sb.st_size >= 1072 &&
		    (sb.st_size - 1072) / 28 < UINT32_MAX)
			all[i].count = (uint32_t)((sb.st_size - 1072) / 28);
		if ((tier = store_pack_tier(all[i].count)) < STORE_TIERS)
			in[tier]++;
	}
	if (d)
		closedir(d);
	for (full = 0; full < STORE_TIERS && in[full] < STORE_FOLD; full++)
		;
	for (i = 0; full < STORE_TIERS && i < n && k < STORE_FOLD; i++)
		if (store_pack_tier(all[i].count) == full)
			packs[k++] = all[i];
	free(all);
	return k;
}

/* Folds one full tier, if any; a failure only warns. */
static void store_fold(cl_store *st)
{
	store_small_pack packs[STORE_FOLD];
	const char *names[STORE_FOLD];
	char name[GIT_OID_HEXSZ + 1];
	cl_error err = CL_ERROR_INIT;
	cl_buf path = CL_BUF_INIT;
	git_oid *ids = NULL;
	size_t n, i, k, nids = 0, cap = 0;
	uint64_t objects = 0;
	int lock = -1, error = 0;

	st->fold_due = 0;
	/* looked at again under the lock: another writer may have folded */
	if (!store_fold_pick(st, packs) || (lock = store_writer_lock(st, &err)) < 0 ||
	    !(n = store_fold_pick(st, packs)))
		goto done;
	/* a kept pack, or one without its pack file, is left out */
	for (i = 0, k = 0; i < n; i++)
		if (store_pack_foldable(st, &packs[i])) {
			objects += packs[i].count;
			packs[k++] = packs[i];
		}
	if ((n = k) < 2 || !objects)
		goto done;
	/* the entries copied as they are */
	for (i = 0; i < n; i++)
		names[i] = packs[i].name;
	cl_buf_printf(&path, "%sobjects/pack", git_repository_path(st->repo));
	error = cl_pack_fold(name, path.ptr, names, n, store_durable, &err);
	if (error == CL_EFOLD_COPY) {
		/* a pack holds a delta (git made it): the objects read back
		 * and written again, leaving out a pack whose index is not a
		 * version 2 one */
		for (i = 0, k = 0; i < n; i++)
			if (store_pack_ids(st, &packs[i], &ids, &nids, &cap) == 0)
				packs[k++] = packs[i];
		if ((n = k) < 2 || !nids)
			goto done;
		/* an object may be in two packs (a pack left by a commit that
		 * died before its branch moved, then written again) */
		qsort(ids, nids, sizeof(*ids), store_oid_cmp);
		for (i = 0, k = 0; i < nids; i++)
			if (!k || !git_oid_equal(&ids[k - 1], &ids[i]))
				ids[k++] = ids[i];
		error = store_write_group_pack(name, st, ids, k, &err);
	}
	for (i = 0; !error && i < n; i++) {
		/* the index first: no pack without one; then what git may
		 * have made beside a pack (a bitmap, a reverse index) */
		static const char *const ext[] = { "idx", "pack", "bitmap", "rev" };
		size_t e;

		if (strcmp(packs[i].name, name) == 0)
			continue;
		for (e = 0; e < sizeof(ext) / sizeof(ext[0]); e++)
			unlink(store_pack_path(&path, st, packs[i].name, ext[e]));
	}
done:
	if (lock >= 0)
		close(lock);
	if (err.code)
		fprintf(stderr, "chainlog: warning: %s\n", err.msg);
	cl_error_clear(&err);
	cl_buf_release(&path);
	free(ids);
}

/*
 * Writes the group's new objects, if any, as one pack, then moves the
 * branch from where the group began to its tip (compare-and-swap):
 * fault names the crash point between the two, log the reflog message.
 * Returns a CL_E* code (err set) if the pack failed, else 0 with
 * libgit2's result of the move in *moved.
 */
static int store_group_write(cl_store *st, const char *fault, const char *log,
			     int *moved, cl_error *err)
{
	store_group *g = st->group;
	git_reference *ref = NULL;
	char pack[GIT_OID_HEXSZ + 1];
	int error;

	/* no new object: all were on disk already (e.g. in the pack of a
	 * group that died before moving the branch) */
	if (g->mem->n && (error = store_write_group_pack(pack, st, g->mem->ids, g->mem->n,
							 err)) < 0)
		return error;
	(void)fault; /* unused where fault points are compiled out */
	cl_fault(fault);
	*moved = git_reference_create_matching(&ref, st->repo, CL_STORE_BRANCH, &g->tip, 1,
					       &g->from, log);
	git_reference_free(ref);
	return 0;
}

/*
 * A single commit (outside a group) is made as a group of one: its
 * objects go to memory, and only once the commit is whole does it take
 * the writer lock, check that the branch is still at its parent, write
 * the objects as one pack and move the branch (compare-and-swap, as
 * ever).  A pack costs three fsyncs where the six or so loose objects of
 * a transition cost two each, and making the objects looks nothing up on
 * disk (see store_scratch_open).  A history's first commit is written
 * loose.  A branch that moved meanwhile gives CL_EMOVED before anything
 * is written.
 */
static int store_single_begin(cl_store *st, const git_oid *parent, cl_error *err)
{
	int error;

	if ((error = store_group_setup(st, err)) < 0)
		return error;
	git_oid_cpy(&st->group->from, parent);
	git_oid_cpy(&st->group->tip, parent);
	st->group->lock = -1; /* taken in store_single_end */
	st->group->active = 1;
	return 0;
}

/* Writes the commit and moves the branch (ok), or drops it (!ok, after a
 * failure: err keeps its message).  The objects of a commit that moved
 * the branch stay in memory for the reads that follow (the index's
 * catch-up), until the next commit begins. */
static int store_single_end(cl_store *st, int ok, cl_error *err)
{
	store_group *g = st->group;
	git_oid now;
	int lock = -1, error = 0, gerr = 0, moved = 0;

	if (!ok)
		goto done;
	if ((lock = store_writer_lock(st, err)) < 0) {
		error = lock;
		goto done;
	}
	cl_fault("before-cas");
	error = git_reference_name_to_id(&now, st->repo, CL_STORE_BRANCH);
	if (error == GIT_ENOTFOUND || (!error && !git_oid_equal(&now, &g->from))) {
		error = cl_error_set(err, CL_EMOVED, "branch moved meanwhile");
		goto done;
	}
	if (error < 0) {
		error = store_fail(err, CL_ESTORE, "cannot read %s", CL_STORE_BRANCH);
		goto done;
	}
	if ((error = store_group_write(st, "after-pack", "chainlog: commit", &gerr,
				       err)) < 0)
		goto done;
	if (gerr == GIT_EMODIFIED || gerr == GIT_ELOCKED || gerr == GIT_ENOTFOUND)
		error = store_fail(err, CL_EMOVED, "branch moved meanwhile");
	else if (gerr < 0)
		error = store_fail(err, CL_ESTORE, "cannot move %s", CL_STORE_BRANCH);
	else
		moved = 1;
done:
	if (lock >= 0)
		close(lock);
	if (!moved)
		store_group_forget(g);
	g->active = 0;
	if (moved && g->mem->n)
		st->fold_due = 1;
	if (st->fold_due && !st->fold_later)
		store_fold(st);
	return error;
}

int cl_store_group_end(cl_store *st, size_t *moved, cl_error *err)
{
	store_group *g = st->group;
	int error = 0, gerr = 0;

	assert(cl_store_grouped(st));
	*moved = 0;
	if (git_oid_equal(&g->from, &g->tip))
		goto done;
	if ((error = store_group_write(st, "group-after-pack", "chainlog: group commit",
				       &gerr, err)) < 0)
		goto done;
	if ((error = gerr) < 0) {
		error = store_fail(err, CL_ESTORE, "cannot move %s to the group's last commit",
				   CL_STORE_BRANCH);
		goto done;
	}
	*moved = 1;
	if (g->mem->n)
		st->fold_due = 1;
done:
	store_group_close(g, *moved);
	if (st->fold_due && !st->fold_later)
		store_fold(st);
	return error;
}

void cl_store_fold_later(cl_store *st, int on)
{
	st->fold_later = on;
}

void cl_store_maintain(cl_store *st)
{
	if (!cl_store_grouped(st) && st->fold_due)
		store_fold(st);
}

/* ---- reading the branch tip without libgit2 (fast reads) -------------- */

/*
 * Why plain file reads: every process that calls git_libgit2_init() pays
 * for libgit2's global set-up (in Debian's build, parsing the system CA
 * bundle), which is most of the time a read command takes.  A read whose
 * index is already at the tip needs no object, only the tip's id, and the
 * files backend keeps that in one of two places: the loose ref, which wins
 * when present, or a line of packed-refs.  git replaces either with a
 * rename, so a read sees a whole old or a whole new file.
 */

/* 40 hex digits followed by end, '\n' or ' ' at s[40]. */
static int store_peek_hex(cl_oid *out, const char *s, size_t len)
{
	char hex[CL_OID_HEXSZ + 1];

	if (len < CL_OID_HEXSZ ||
	    (len > CL_OID_HEXSZ && s[CL_OID_HEXSZ] != '\n' && s[CL_OID_HEXSZ] != ' '))
		return -1;
	memcpy(hex, s, CL_OID_HEXSZ);
	hex[CL_OID_HEXSZ] = '\0';
	return cl_oid_parse(out, hex);
}

/* The line "<hex> CL_STORE_BRANCH" of a packed-refs file. */
static int store_peek_packed(cl_oid *out, const cl_buf *data)
{
	static const char name[] = " " CL_STORE_BRANCH;
	const size_t nlen = sizeof(name) - 1;
	const char *p = data->ptr, *end = data->ptr + data->size, *nl;

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if ((size_t)(nl - p) == CL_OID_HEXSZ + nlen &&
		    !memcmp(p + CL_OID_HEXSZ, name, nlen))
			return store_peek_hex(out, p, CL_OID_HEXSZ + 1) < 0 ? CL_EINVALID : 0;
	}
	return CL_ENOTFOUND;
}

int cl_store_peek_tip(const char *gitdir, cl_oid *out, cl_error *err)
{
	cl_buf path = CL_BUF_INIT, data = CL_BUF_INIT;
	int error;

	cl_buf_printf(&path, "%s/%s", gitdir, CL_STORE_BRANCH);
	error = cl_buf_read_file(&data, path.ptr, 4096, err);
	if (!error) {
		if (store_peek_hex(out, data.ptr, data.size) < 0)
			error = cl_error_set(err, CL_EINVALID, "'%s' is not a plain commit id",
					     path.ptr);
		goto done;
	}
	if (error != CL_ENOTFOUND)
		goto done;
	cl_buf_clear(&path);
	cl_buf_printf(&path, "%s/packed-refs", gitdir);
	if ((error = cl_buf_read_file(&data, path.ptr, CL_BUF_MAX, err)) < 0)
		goto done;
	if ((error = store_peek_packed(out, &data)) < 0)
		cl_error_set(err, error, "no plain %s in '%s'", CL_STORE_BRANCH, path.ptr);
done:
	cl_buf_release(&path);
	cl_buf_release(&data);
	return error;
}
