/*
 * engine.c - see engine.h.  With catchup.c (the index following the
 * history), the only module that uses the store, the index and the
 * configuration together; everything it decides comes from transition.c,
 * so `verify` can re-decide it later.
 */
#include "engine.h"
#include "cache.h"
#include "home.h"
#include "message.h"
#include "util.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const engine_config_names[] = {
	CL_CONFIG_WORKFLOW, CL_CONFIG_ORG, CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS,
};

static double engine_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraws "what: done/total, rate/s, ETA" at most ten times a second;
 * with total 0 (not known), "what: done, rate/s". */
void cl_progress(const char *what, size_t done, size_t total)
{
	static double start, last;
	static int tty = -1; /* asked once: a load calls this for every row */
	double now, rate;

	if (tty < 0)
		tty = isatty(2);
	if (!tty || !done)
		return;
	now = engine_seconds();
	if (done <= 1)
		start = last = now;
	if (done != total && now - last < 0.1)
		return;
	last = now;
	rate = now > start ? (double)done / (now - start) : 0;
	if (!total) {
		fprintf(stderr, "\r%s: %zu, %.0f/s   ", what, done, rate);
		return;
	}
	fprintf(stderr, "\r%s: %zu/%zu, %.0f/s, %.0f s left   ", what, done, total, rate,
		rate > 0 ? (double)(total - done) / rate : 0);
	if (done == total)
		fputc('\n', stderr);
}

cl_store *cl_home_store(cl_home *h)
{
	return h->store;
}

cl_index *cl_home_index(cl_home *h)
{
	return h->index;
}

void cl_home_free(cl_home *h)
{
	if (!h)
		return;
	cl_machine_free(h->machine);
	cl_config_free(h->cfg);
	cl_index_read_end(h->index);
	cl_index_free(h->index);
	cl_store_free(h->store);
	free(h->dir);
	free(h);
}

static void engine_join(cl_buf *out, const char *dir, const char *name)
{
	cl_buf_clear(out);
	cl_buf_printf(out, "%s/%s", dir, name);
}

int cl_home_tip(cl_home *h, cl_oid *out, cl_error *err)
{
	return cl_store_tip(h->store, out, err);
}

/* ---- configuration at a commit, cached by the ids of its files ---- */

static int engine_config_ids(cl_oid ids[ENGINE_NCONFIG], cl_home *h,
			     const cl_oid *commit, cl_error *err)
{
	cl_buf path = CL_BUF_INIT;
	int i, error = 0;

	for (i = 0; i < ENGINE_NCONFIG && !error; i++) {
		engine_join(&path, "config", engine_config_names[i]);
		memset(&ids[i], 0, sizeof(ids[i]));
		error = cl_store_path_id(h->store, commit, path.ptr, &ids[i], err);
		if (error == CL_ENOTFOUND)
			error = 0;
	}
	cl_buf_release(&path);
	return error;
}

int cl_home_config_at(cl_config **out, cl_home *h, const cl_oid *commit,
		      cl_error *err)
{
	cl_buf data[ENGINE_NCONFIG], path = CL_BUF_INIT;
	cl_config_file files[ENGINE_NCONFIG];
	size_t n = 0;
	int i, error = 0;

	for (i = 0; i < ENGINE_NCONFIG; i++)
		cl_buf_init(&data[i]);
	for (i = 0; i < ENGINE_NCONFIG && !error; i++) {
		engine_join(&path, "config", engine_config_names[i]);
		error = cl_store_read(h->store, commit, path.ptr, &data[i], NULL, err);
		if (error == CL_ENOTFOUND) {
			error = 0;
			continue;
		}
		files[n].name = engine_config_names[i];
		files[n].path = engine_config_names[i];
		files[n].data = data[i].ptr;
		files[n].len = data[i].size;
		n++;
	}
	if (!error)
		error = cl_config_load(out, files, n, err);
	for (i = 0; i < ENGINE_NCONFIG; i++)
		cl_buf_release(&data[i]);
	cl_buf_release(&path);
	/* the parse's documents are freed: at province size ~45 MB that
	 * verify and reindex would otherwise hold for the whole scan */
	cl_heap_release();
	return error;
}

void cl_home_config_key(cl_buf *key, const cl_oid ids[ENGINE_NCONFIG])
{
	char hex[CL_OID_HEXSZ + 1];
	int i;

	for (i = 0; i < ENGINE_NCONFIG; i++) {
		cl_oid_fmt(hex, &ids[i]);
		cl_buf_printf(key, "%s%s", i ? "-" : "", hex);
	}
}

static void engine_cache_path(cl_buf *path, const cl_home *h, const char *key)
{
	cl_buf_printf(path, "%s/%s/%08x%.8s.cfg", h->dir, CL_HOME_CACHE,
		      (unsigned)cl_hash_fnv1a(key), key);
}

static void engine_cache_key(cl_buf *key, cl_buf *path, const cl_home *h,
			     const cl_oid ids[ENGINE_NCONFIG])
{
	cl_home_config_key(key, ids);
	engine_cache_path(path, h, key->ptr);
}

/* A cache file's mapping, which a config unpacked in place borrows from. */
typedef struct engine_map {
	void *addr;
	size_t len;
} engine_map;

static void engine_map_free(void *p)
{
	engine_map *m = p;

	munmap(m->addr, m->len);
	free(m);
}

/*
 * Maps the cache file read-only at the address its image means to lie at
 * (cl_config_cache_base), where its structs are used as they stand; if
 * that range is taken (or the kernel knows no MAP_FIXED_NOREPLACE and
 * puts it elsewhere), anywhere: the config then relocates its structs.
 */
static void *engine_cache_map(int fd, size_t len, const char *key)
{
	void *map = MAP_FAILED;
#ifdef MAP_FIXED_NOREPLACE
	uintptr_t base = cl_config_cache_base(key);

	/* an address for mmap to use, never dereferenced as such */
	if (base)
		map = mmap((void *)base, /* NOLINT(performance-no-int-to-ptr) */
			   len, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
#else
	(void)key;
#endif
	if (map == MAP_FAILED)
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	return map;
}

/*
 * The compiled configuration from HOME/cache, when a good one is there.
 * The file is mapped, not read, and the config keeps the mapping: its
 * structs, strings, id maps and role index are used where they lie in the
 * file (cl_config_unpack_in_place), page-cache pages shared by every
 * process, where reading, copying or filling structs cost a few ms of
 * fresh pages at province size.  Safe because a cache file is only ever
 * replaced by a rename (engine_cache_store), never rewritten in place, so
 * the mapped file can neither shrink nor change under us.  HOME/cache is
 * chainlog's alone: truncating a file there by hand while a command or
 * `chainlog serve` maps it would crash that process (SIGBUS); deleting it
 * is fine.
 */
static int engine_cache_load(cl_config **cfg, const char *path, const char *key)
{
	struct stat sb;
	engine_map *m;
	void *map;
	int fd, error;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return CL_ENOTFOUND;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > CL_BUF_MAX) {
		close(fd);
		return CL_EINVALID;
	}
	map = engine_cache_map(fd, (size_t)sb.st_size, key);
	close(fd);
	if (map == MAP_FAILED)
		return CL_ESTORE;
	error = cl_config_unpack_in_place(cfg, map, (size_t)sb.st_size, key, NULL);
	if (error < 0) {
		munmap(map, (size_t)sb.st_size);
		return error;
	}
	m = cl_xmalloc(sizeof(*m));
	m->addr = map;
	m->len = (size_t)sb.st_size;
	(*cfg)->held = m;
	(*cfg)->held_free = engine_map_free;
	return 0;
}

/* Best effort: the cache is derived, so a failure to write it is fine. */
static void engine_cache_store(const cl_home *h, const cl_config *cfg,
			       const char *path, const char *key)
{
	cl_buf data = CL_BUF_INIT, dir = CL_BUF_INIT;

	cl_buf_printf(&dir, "%s/%s", h->dir, CL_HOME_CACHE);
	if (mkdir(dir.ptr, 0755) == 0 || errno == EEXIST) {
		cl_config_pack(&data, cfg, key);
		cl_buf_write_file(path, data.ptr, data.size, NULL);
	}
	cl_buf_release(&data);
	cl_buf_release(&dir);
}

static int engine_config_load(cl_config **cfg, cl_home *h, const cl_oid *commit,
			      const cl_oid ids[ENGINE_NCONFIG], cl_error *err)
{
	cl_buf key = CL_BUF_INIT, path = CL_BUF_INIT;
	int error;

	if (h->no_cache)
		return cl_home_config_at(cfg, h, commit, err);
	engine_cache_key(&key, &path, h, ids);
	if ((error = engine_cache_load(cfg, path.ptr, key.ptr)) < 0 &&
	    (error = cl_home_config_at(cfg, h, commit, err)) == 0)
		engine_cache_store(h, *cfg, path.ptr, key.ptr);
	cl_buf_release(&key);
	cl_buf_release(&path);
	return error;
}

/* Makes h->cfg the configuration of commit, reloading only when its
 * config files differ from the cached ones. */
int cl_home_use_config(cl_home *h, const cl_oid *commit, cl_error *err)
{
	cl_oid ids[ENGINE_NCONFIG], tree;
	cl_config *cfg = NULL;
	cl_machine *m = NULL;
	int error;

	/* one lookup when config/ did not change, as for most commits */
	if ((error = cl_store_dir_id(h->store, commit, "config", &tree, err)) < 0)
		return error;
	if (h->has_cfg && cl_oid_equal(&tree, &h->cfg_tree))
		return 0;
	if ((error = engine_config_ids(ids, h, commit, err)) < 0)
		return error;
	if (h->has_cfg && !memcmp(ids, h->cfg_key, sizeof(ids))) {
		h->cfg_tree = tree;
		return 0;
	}
	if ((error = engine_config_load(&cfg, h, commit, ids, err)) < 0)
		return error;
	assert(cfg);
	if ((error = cl_machine_compile(&m, cfg->workflow, err)) < 0) {
		cl_config_free(cfg);
		return error;
	}
	cl_machine_free(h->machine);
	cl_config_free(h->cfg);
	h->cfg = cfg;
	h->machine = m;
	memcpy(h->cfg_key, ids, sizeof(ids));
	h->cfg_tree = tree;
	h->has_cfg = 1;
	return 0;
}

void cl_home_no_cache(cl_home *h)
{
	h->no_cache = 1;
}

static int engine_read_config_late(cl_home *h, cl_error *err);

int cl_home_config(const cl_config **cfg, const cl_machine **m, cl_home *h,
		   cl_error *err)
{
	cl_oid tip;
	int error;

	if (h->snapshot) { /* the index's (cl_home_open_read), on first use */
		if (!h->has_cfg && (error = engine_read_config_late(h, err)) < 0)
			return error;
		*cfg = h->cfg;
		*m = h->machine;
		return 0;
	}
	if ((error = cl_store_tip(h->store, &tip, err)) < 0 ||
	    (error = cl_home_use_config(h, &tip, err)) < 0)
		return error;
	*cfg = h->cfg;
	*m = h->machine;
	return 0;
}

/* ---- records ---- */

int cl_home_record_at(cl_record **out, cl_oid *blob, cl_home *h,
		      const cl_oid *commit, const char *id, cl_error *err)
{
	char period[8], talent[CL_ID_MAX_BUF];
	cl_buf path = CL_BUF_INIT, data = CL_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = cl_record_id_split(period, talent, id, err)) < 0)
		return error;
	cl_record_path(&path, period, talent);
	error = cl_store_read(h->store, commit, path.ptr, &data, blob, err);
	if (error == CL_ENOTFOUND)
		error = cl_error_set(err, CL_ENOTFOUND, "no record '%s'", id);
	if (!error)
		error = cl_record_parse(out, path.ptr, data.ptr, data.size, err);
	cl_buf_release(&path);
	cl_buf_release(&data);
	return error;
}

/* The commit a snapshot is at (the index's head), with the history
 * opened if it was not yet: a home opened by cl_home_open_read opens it
 * only when a command needs a file (the configuration when its cache is
 * gone, a record for show). */
static int engine_snapshot_commit(cl_oid *at, cl_home *h, cl_error *err)
{
	char head[CL_OID_HEXSZ + 1];
	cl_buf git = CL_BUF_INIT;
	int error;

	if ((error = cl_index_head(h->index, head, err)) < 0)
		return error;
	if (cl_oid_parse(at, head) < 0)
		return cl_error_set(err, CL_ESTORE, "the index's head '%.40s' is "
				    "not a commit id", head);
	if (h->store)
		return 0;
	engine_join(&git, h->dir, CL_HOME_HISTORY);
	error = cl_store_open(&h->store, git.ptr, err);
	cl_buf_release(&git);
	return error;
}

/* The record at the snapshot's commit: the index keeps rows, not files. */
static int engine_snapshot_record(cl_record **out, cl_home *h, const char *id,
				  cl_error *err)
{
	cl_oid at, blob;
	int error;

	if ((error = engine_snapshot_commit(&at, h, err)) < 0)
		return error;
	return cl_home_record_at(out, &blob, h, &at, id, err);
}

int cl_home_record(cl_record **out, cl_home *h, const char *id, cl_error *err)
{
	cl_oid tip, blob;
	int error;

	*out = NULL;
	if (h->snapshot)
		return engine_snapshot_record(out, h, id, err);
	if ((error = cl_store_tip(h->store, &tip, err)) < 0)
		return error;
	return cl_home_record_at(out, &blob, h, &tip, id, err);
}

/* ---- opening ---- */

/*
 * A command's index must be at the tip before it answers.  Another process
 * may hold the index's write lock for longer than sqlite's busy timeout:
 * loading an empty index in one transaction (catchup.c), or the end of a
 * bulk load.  There is nothing else to answer from, so the command waits
 * for it, up to ENGINE_OPEN_WAIT seconds, and says so once.
 */
#define ENGINE_OPEN_WAIT 900

static int engine_open_catch_up(cl_home *h, cl_error *err)
{
	double start = engine_seconds();
	int error, said = 0;

	while ((error = cl_home_catch_up(h, err)) < 0 && cl_index_busy(h->index) &&
	       engine_seconds() - start < ENGINE_OPEN_WAIT) {
		if (!said++)
			fprintf(stderr, "chainlog: another process is writing the index"
				" (loading it, or a big import): waiting for it\n");
		cl_error_clear(err);
	}
	return error;
}

static int engine_open(cl_home **out, const char *dir, int with_index, cl_error *err)
{
	cl_home *h = cl_xcalloc(1, sizeof(*h));
	cl_buf path = CL_BUF_INIT;
	int error;

	*out = NULL;
	h->dir = cl_xstrdup(dir);
	engine_join(&path, dir, CL_HOME_HISTORY);
	if ((error = cl_store_open(&h->store, path.ptr, err)) < 0) {
		if (error == CL_ENOTFOUND)
			cl_error_set(err, CL_ENOTFOUND,
				     "'%s' is not a chainlog home (no %s; see 'chainlog init')",
				     dir, CL_HOME_HISTORY);
		goto done;
	}
	engine_join(&path, dir, CL_HOME_INDEX);
	if ((error = cl_index_open(&h->index, path.ptr, err)) < 0)
		goto done;
	if (with_index && (error = engine_open_catch_up(h, err)) < 0)
		goto done;
	*out = h;
	h = NULL;
done:
	cl_home_free(h);
	cl_buf_release(&path);
	return error;
}

int cl_home_open(cl_home **out, const char *dir, cl_error *err)
{
	return engine_open(out, dir, 1, err);
}

int cl_home_open_raw(cl_home **out, const char *dir, cl_error *err)
{
	return engine_open(out, dir, 0, err);
}

/* The configuration named by the index's key, from HOME/cache only. */
static int engine_read_config(cl_home *h, cl_error *err)
{
	cl_buf key = CL_BUF_INIT, path = CL_BUF_INIT;
	int error;

	if ((error = cl_index_config(h->index, &key, err)) < 0)
		goto done;
	engine_cache_path(&path, h, key.ptr);
	if ((error = engine_cache_load(&h->cfg, path.ptr, key.ptr)) < 0 ||
	    (error = cl_machine_compile(&h->machine, h->cfg->workflow, err)) < 0)
		goto done;
	h->has_cfg = 1;
done:
	cl_buf_release(&key);
	cl_buf_release(&path);
	return error;
}

/*
 * The configuration of a home opened by cl_home_open_read, on first use
 * (a list or a queue that finds rows never needs it): from HOME/cache, or
 * when the cache has gone missing or bad meanwhile, from the history at
 * the index's head, the commit the snapshot is at.  Sets has_cfg, or err.
 */
static int engine_read_config_late(cl_home *h, cl_error *err)
{
	cl_oid at;
	int error;

	if (engine_read_config(h, err) == 0)
		return 0;
	cl_error_clear(err);
	if ((error = engine_snapshot_commit(&at, h, err)) < 0)
		return error;
	return cl_home_use_config(h, &at, err);
}

/*
 * 0 when the index, read in a snapshot, is at the branch tip and has what
 * reads need; h then holds that snapshot (the configuration is loaded on
 * first use, see engine_read_config_late).  The head
 * is read before the tip, as catch-up does: if they are equal, no commit
 * the snapshot lacks existed when the tip was read.  Any other outcome
 * means "take the long way", never an answer from a stale index.
 */
static int engine_index_at_tip(cl_home *h, cl_error *err)
{
	char head[CL_OID_HEXSZ + 1];
	cl_buf git = CL_BUF_INIT, path = CL_BUF_INIT;
	cl_oid tip, at;
	struct stat sb;
	int error, bulk = 0;

	engine_join(&git, h->dir, CL_HOME_HISTORY);
	engine_join(&path, h->dir, CL_HOME_INDEX);
	/* never create an index where there is no home */
	if (stat(git.ptr, &sb) < 0 || !S_ISDIR(sb.st_mode) || stat(path.ptr, &sb) < 0) {
		error = CL_ENOTFOUND;
		goto done;
	}
	if ((error = cl_index_open(&h->index, path.ptr, err)) < 0 ||
	    (error = cl_index_read_begin(h->index, err)) < 0 ||
	    (error = cl_index_head(h->index, head, err)) < 0 ||
	    (error = cl_store_peek_tip(git.ptr, &tip, err)) < 0)
		goto done;
	if (cl_oid_parse(&at, head) < 0 || !cl_oid_equal(&at, &tip))
		error = CL_EMOVED;
	/* a bulk load not ended has no record rows yet: the long way ends it */
	else if ((error = cl_index_bulk(h->index, &bulk, err)) == 0 && bulk)
		error = CL_EMOVED;
done:
	cl_buf_release(&git);
	cl_buf_release(&path);
	return error;
}

int cl_home_open_read(cl_home **out, const char *dir, cl_error *err)
{
	cl_home *h = cl_xcalloc(1, sizeof(*h));
	cl_error ignored = CL_ERROR_INIT;

	*out = NULL;
	h->dir = cl_xstrdup(dir);
	if (engine_index_at_tip(h, &ignored) == 0) {
		h->snapshot = 1;
		*out = h;
		return 0;
	}
	cl_home_free(h);
	return cl_home_open(out, dir, err);
}

/* ---- writing ---- */


static int engine_signature(cl_signature *sig, const cl_config *cfg,
			    const char *actor, int64_t time, cl_error *err)
{
	const cl_person *p = cl_people_find(cfg->people, actor);

	if (!p)
		return cl_error_set(err, CL_ENOTFOUND, "unknown person '%s'", actor);
	sig->name = p->name;
	sig->email = p->id;
	sig->time = time;
	return 0;
}

static int engine_tip_time(int64_t *out, cl_home *h, const cl_oid *tip, cl_error *err)
{
	cl_commit_info ci = { 0 };
	int error;

	if (h->has_last_tip && cl_oid_equal(&h->last_tip, tip)) {
		*out = h->last_tip_time;
		return 0;
	}
	if ((error = cl_store_commit_info(h->store, tip, &ci, err)) < 0)
		return error;
	*out = ci.time;
	cl_commit_info_release(&ci);
	h->last_tip = *tip;
	h->last_tip_time = *out;
	h->has_last_tip = 1;
	return 0;
}

/* *out = *req, dated no earlier than commit tip. */
static int engine_not_before(cl_request *out, cl_home *h, const cl_oid *tip,
			     const cl_request *req, cl_error *err)
{
	int64_t t;
	int error;

	*out = *req;
	if ((error = engine_tip_time(&t, h, tip, err)) < 0)
		return error;
	if (out->time < t)
		out->time = t;
	return 0;
}

/* One attempt at a transition against the current tip. */
static int engine_act_once(cl_home *h, const cl_request *req, cl_oid *seen,
			   int *have_seen, cl_oid *out, cl_record **after, cl_error *err)
{
	cl_buf path = CL_BUF_INIT, data = CL_BUF_INIT, msg = CL_BUF_INIT;
	char period[8], talent[CL_ID_MAX_BUF];
	cl_record *old = NULL, *rec = NULL;
	cl_request r;
	cl_oid tip, blob;
	cl_signature sig;
	cl_change ch;
	int error;

	memset(&blob, 0, sizeof(blob));
	if ((error = cl_record_id_split(period, talent, req->record_id, err)) < 0 ||
	    (error = cl_store_tip(h->store, &tip, err)) < 0 ||
	    (error = cl_home_use_config(h, &tip, err)) < 0)
		goto done;
	error = cl_home_record_at(&old, &blob, h, &tip, req->record_id, err);
	if (error == CL_ENOTFOUND)
		error = 0;
	if (error)
		goto done;
	if (*have_seen && !cl_oid_equal(seen, &blob)) {
		error = cl_error_set(err, CL_ECONFLICT,
				     "%s: the record changed meanwhile; look at it again and retry",
				     req->record_id);
		goto done;
	}
	*seen = blob;
	*have_seen = 1;
	/* Clocks of concurrent writers interleave: a commit is never dated
	 * before its parent, so the history's times never go backwards. */
	if ((error = engine_not_before(&r, h, &tip, req, err)) < 0)
		goto done;
	req = &r;
	if ((error = cl_transition_apply(&rec, h->cfg, h->machine, old, req, err)) < 0 ||
	    (error = cl_record_serialize(&data, rec, err)) < 0 ||
	    (error = engine_signature(&sig, h->cfg, req->actor, req->time, err)) < 0)
		goto done;
	cl_transition_message(&msg, old, rec, req);
	cl_record_path(&path, period, talent);
	ch.path = path.ptr;
	ch.data = data.ptr;
	ch.len = data.size;
	error = cl_store_commit(h->store, out, &tip, &ch, 1, &sig, msg.ptr, err);
	if (!error) {
		/* dated as its signature (engine_signature) */
		h->last_tip = *out;
		h->last_tip_time = req->time;
		h->has_last_tip = 1;
	}
	if (!error && after) {
		*after = rec;
		rec = NULL;
	}
done:
	cl_record_free(old);
	cl_record_free(rec);
	cl_buf_release(&path);
	cl_buf_release(&data);
	cl_buf_release(&msg);
	return error;
}

int cl_home_act(cl_home *h, const cl_request *req, cl_oid *commit, cl_record **after,
		cl_error *err)
{
	cl_oid seen = { { 0 } }, out = { { 0 } };
	int have_seen = 0, i, error = CL_EMOVED;

	if (after)
		*after = NULL;
	for (i = 0; i < ENGINE_RETRIES && error == CL_EMOVED; i++)
		error = engine_act_once(h, req, &seen, &have_seen, &out, after, err);
	if (error == CL_EMOVED)
		return cl_error_set(err, CL_ECONFLICT, "%s: the history kept moving; retry",
				    req->record_id);
	if (error)
		return error;
	cl_fault("after-ref");
	if (commit)
		*commit = out;
	/* The commit is durable and final here; a failure to index it is
	 * repaired by the next command's catch-up, so it is not an error.
	 * In a group commit the branch on disk has not moved yet: the index
	 * catches up once the group is written (cl_store_group_end). */
	if (!cl_store_grouped(h->store) && cl_home_catch_up(h, err) < 0)
		fprintf(stderr, "chainlog: warning: %s\n", err->msg);
	cl_error_clear(err);
	return 0;
}

int cl_config_strands(const cl_config *cfg, const cl_machine *m,
		      const cl_record *r, cl_error *err)
{
	const char **ids = NULL;
	size_t st, n = 0;

	assert(cfg && m && r);
	st = cl_machine_state(m, r->state);
	if (st == CL_NONE)
		return cl_error_set(err, CL_EDENIED,
				    "%s: the new workflow has no state '%s', which the record is in",
				    r->id, r->state);
	if (m->states[st].kind == CL_STATE_APPROVED)
		return 0;
	if (!cl_people_find(cfg->people, r->talent))
		return cl_error_set(err, CL_EDENIED,
				    "%s: the new people file drops its talent '%s'", r->id, r->talent);
	cl_transition_waiting(&ids, &n, cfg, m, r);
	free(ids);
	if (!n)
		return cl_error_set(err, CL_EDENIED,
				    "%s: nobody could act on it at level '%s' under the new configuration",
				    r->id, r->level ? r->level : r->state);
	return 0;
}

static int engine_config_changes(cl_change *ch, size_t *nch, cl_buf *paths,
				 const cl_config_file *files, size_t n, cl_home *h,
				 const cl_oid *tip, cl_error *err)
{
	size_t i, j;
	cl_oid id;
	int error;

	*nch = 0;
	for (i = 0; i < ENGINE_NCONFIG; i++) {
		const cl_config_file *f = NULL;
		for (j = 0; j < n; j++)
			if (!strcmp(files[j].name, engine_config_names[i]))
				f = &files[j];
		engine_join(&paths[i], "config", engine_config_names[i]);
		error = cl_store_path_id(h->store, tip, paths[i].ptr, &id, err);
		if (error < 0 && error != CL_ENOTFOUND)
			return error;
		if (!f && error == CL_ENOTFOUND)
			continue;
		ch[*nch].path = paths[i].ptr;
		ch[*nch].data = f ? f->data : NULL;
		ch[*nch].len = f ? f->len : 0;
		(*nch)++;
	}
	return 0;
}

typedef struct strand_ctx {
	cl_home *h;            /* the home */
	const cl_oid *tip;     /* where the records are read */
	const cl_config *cfg;  /* the new configuration */
	const cl_machine *m;   /* its machine */
	cl_error *err;         /* where the refusal goes */
} strand_ctx;

static int engine_strand_one(const cl_index_record *row, void *payload)
{
	strand_ctx *c = payload;
	cl_record *r = NULL;
	cl_oid blob;
	int error;

	if ((error = cl_home_record_at(&r, &blob, c->h, c->tip, row->id, c->err)) < 0)
		return error;
	error = cl_config_strands(c->cfg, c->m, r, c->err);
	cl_record_free(r);
	return error;
}

static int engine_config_commit(cl_home *h, const cl_config_file *files, size_t n,
				const char *actor, const char *comment,
				const cl_oid *tip, cl_error *err)
{
	cl_buf paths[ENGINE_NCONFIG], msg = CL_BUF_INIT, summary = CL_BUF_INIT;
	cl_change ch[ENGINE_NCONFIG];
	cl_config *cfg = NULL;
	cl_machine *m = NULL;
	cl_index_filter f = { 0 };
	strand_ctx sc = { h, tip, NULL, NULL, err };
	cl_signature sig;
	cl_oid out;
	int64_t when;
	size_t nch, i;
	int error;

	for (i = 0; i < ENGINE_NCONFIG; i++)
		cl_buf_init(&paths[i]);
	if ((error = cl_config_load(&cfg, files, n, err)) < 0 ||
	    (error = cl_machine_compile(&m, cfg->workflow, err)) < 0)
		goto done;
	sc.cfg = cfg;
	sc.m = m;
	f.in_flight = 1;
	if ((error = cl_index_query(h->index, &f, engine_strand_one, &sc, err)) < 0) {
		cl_error_prefix(err, "refused: the change would strand a record in flight");
		goto done;
	}
	if ((error = engine_tip_time(&when, h, tip, err)) < 0 ||
	    (error = engine_signature(&sig, h->cfg, actor, when > cl_now() ? when : cl_now(),
				      err)) < 0 ||
	    (error = engine_config_changes(ch, &nch, paths, files, n, h, tip, err)) < 0)
		goto done;
	cl_buf_printf(&summary, "workflow %s", cfg->workflow->version_tag);
	cl_message_config(&msg, "config", actor, summary.ptr, comment);
	error = cl_store_commit(h->store, &out, tip, ch, nch, &sig, msg.ptr, err);
done:
	for (i = 0; i < ENGINE_NCONFIG; i++)
		cl_buf_release(&paths[i]);
	cl_buf_release(&msg);
	cl_buf_release(&summary);
	cl_machine_free(m);
	cl_config_free(cfg);
	return error;
}

static int engine_config_unchanged(cl_home *h, const cl_config_file *files,
				   size_t n, const cl_oid *tip, cl_error *err)
{
	cl_buf data = CL_BUF_INIT, path = CL_BUF_INIT;
	size_t i, same = 0, stored = 0;
	int error = 0;

	for (i = 0; i < ENGINE_NCONFIG && !error; i++) {
		engine_join(&path, "config", engine_config_names[i]);
		cl_buf_clear(&data);
		error = cl_store_read(h->store, tip, path.ptr, &data, NULL, err);
		if (error == CL_ENOTFOUND) {
			error = 0;
			continue;
		}
		stored++;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(files[j].name, engine_config_names[i]) &&
			    files[j].len == data.size && !memcmp(files[j].data, data.ptr, data.size))
				same++;
	}
	cl_buf_release(&data);
	cl_buf_release(&path);
	if (error)
		return error;
	return same == stored && n == stored;
}

int cl_home_config_apply(cl_home *h, const cl_config_file *files, size_t n,
			 const char *actor, const char *comment, cl_error *err)
{
	const cl_person *p;
	cl_oid tip;
	int i, error = CL_EMOVED;

	for (i = 0; i < ENGINE_RETRIES && error == CL_EMOVED; i++) {
		if ((error = cl_store_tip(h->store, &tip, err)) < 0 ||
		    (error = cl_home_use_config(h, &tip, err)) < 0)
			return error;
		if (!cl_id_valid(actor))
			return cl_error_set(err, CL_EINVALID, "'%.64s' is not a valid person id",
					    actor);
		if (!(p = cl_people_find(h->cfg->people, actor)))
			return cl_error_set(err, CL_ENOTFOUND, "unknown person '%s'", actor);
		if (!cl_person_has_role_anywhere(p, h->cfg->workflow->admin_role))
			return cl_error_set(err, CL_EDENIED,
					    "'%s' does not hold the admin role '%s'; only an administrator may change the configuration",
					    actor, h->cfg->workflow->admin_role);
		if ((error = engine_config_unchanged(h, files, n, &tip, err)) < 0)
			return error;
		if (error == 1)
			return cl_error_set(err, CL_EINVALID,
					    "the configuration is unchanged; nothing to apply");
		error = engine_config_commit(h, files, n, actor, comment, &tip, err);
	}
	if (error)
		return error;
	if (cl_home_catch_up(h, err) < 0)
		fprintf(stderr, "chainlog: warning: %s\n", err->msg);
	cl_error_clear(err);
	return 0;
}

/* ---- creating a home ---- */

static int engine_empty_dir(const char *dir, cl_error *err)
{
	struct dirent *e;
	DIR *d;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return cl_error_set(err, CL_ESTORE, "cannot create '%s': %s", dir, strerror(errno));
	if (!(d = opendir(dir)))
		return cl_error_set(err, CL_EEXISTS, "'%s' exists and is not a directory", dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			return cl_error_set(err, CL_EEXISTS,
					    "'%s' is not empty; init needs a new or empty directory",
					    dir);
		}
	}
	closedir(d);
	return 0;
}

static const char *engine_first_admin(const cl_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->people->npeople; i++)
		if (cl_person_has_role_anywhere(&cfg->people->people[i],
						cfg->workflow->admin_role))
			return cfg->people->people[i].id;
	return NULL;
}

static int engine_root_commit(cl_store *st, const cl_config_file *files, size_t n,
			      const cl_config *cfg, const char *actor, int64_t when,
			      cl_error *err)
{
	cl_buf paths[ENGINE_NCONFIG], msg = CL_BUF_INIT, summary = CL_BUF_INIT;
	cl_change ch[ENGINE_NCONFIG];
	const cl_person *p = cl_people_find(cfg->people, actor);
	cl_signature sig = { p->name, p->id, when ? when : cl_now() };
	size_t i;
	cl_oid out;
	int error;

	for (i = 0; i < n && i < ENGINE_NCONFIG; i++) {
		cl_buf_init(&paths[i]);
		engine_join(&paths[i], "config", files[i].name);
		ch[i].path = paths[i].ptr;
		ch[i].data = files[i].data;
		ch[i].len = files[i].len;
	}
	cl_buf_printf(&summary, "workflow %s", cfg->workflow->version_tag);
	cl_message_config(&msg, "init", actor, summary.ptr, NULL);
	error = cl_store_commit(st, &out, NULL, ch, i, &sig, msg.ptr, err);
	while (i--)
		cl_buf_release(&paths[i]);
	cl_buf_release(&msg);
	cl_buf_release(&summary);
	return error;
}

int cl_home_create(const char *dir, const cl_config_file *files, size_t n,
		   const char *actor, int64_t when, cl_error *err)
{
	cl_buf path = CL_BUF_INIT;
	cl_config *cfg = NULL;
	cl_store *st = NULL;
	cl_home *h = NULL;
	const cl_person *p;
	int error;

	if ((error = cl_config_load(&cfg, files, n, err)) < 0)
		goto done;
	if (!actor)
		actor = engine_first_admin(cfg);
	p = actor && cl_id_valid(actor) ? cl_people_find(cfg->people, actor) : NULL;
	if (!p || !cl_person_has_role_anywhere(p, cfg->workflow->admin_role)) {
		error = cl_error_set(err, CL_EDENIED, "'%s' does not hold the admin role '%s'",
				     actor && cl_id_valid(actor) ? actor : "(none)",
				     cfg->workflow->admin_role);
		goto done;
	}
	if ((error = engine_empty_dir(dir, err)) < 0)
		goto done;
	engine_join(&path, dir, CL_HOME_HISTORY);
	if ((error = cl_store_init(&st, path.ptr, err)) < 0 ||
	    (error = engine_root_commit(st, files, n, cfg, actor, when, err)) < 0)
		goto done;
	cl_store_free(st);
	st = NULL;
	error = cl_home_open(&h, dir, err);
done:
	cl_home_free(h);
	cl_store_free(st);
	cl_config_free(cfg);
	cl_buf_release(&path);
	return error;
}

const cl_config *cl_home_cached_config(const cl_home *h)
{
	return h->has_cfg ? h->cfg : NULL;
}

const cl_machine *cl_home_cached_machine(const cl_home *h)
{
	return h->has_cfg ? h->machine : NULL;
}
