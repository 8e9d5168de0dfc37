/*
 * engine.c - see engine.h.  The only module that uses the store, the
 * index and the configuration together; everything it decides comes from
 * transition.c, so `verify` can re-decide it later.
 */
#include "engine.h"
#include "cache.h"
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

#define ENGINE_RETRIES 64

static const char *const engine_config_names[] = {
	CL_CONFIG_WORKFLOW, CL_CONFIG_ORG, CL_CONFIG_PEOPLE, CL_CONFIG_NEEDS,
};
#define ENGINE_NCONFIG 4

struct cl_home {
	char *dir;             /* the home directory */
	cl_store *store;       /* history.git; NULL when answered from the
				* index alone (cl_home_open_read), unless the
				* config cache had to be rebuilt */
	cl_index *index;       /* index.sqlite, NULL when opened raw */
	cl_config *cfg;        /* config at cfg_commit, or NULL */
	cl_machine *machine;   /* compiled from cfg */
	cl_oid cfg_key[ENGINE_NCONFIG]; /* blob ids cfg was loaded from */
	cl_oid cfg_tree;       /* the config/ tree id cfg was loaded from */
	int has_cfg;           /* cfg/machine are valid */
	int no_cache;          /* never use HOME/cache (verify) */
	int snapshot;          /* cl_home_open_read: reads answer from the
				* index's snapshot at the tip, no catch-up */
};

static double engine_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraws "what: done/total, rate/s, ETA" at most ten times a second. */
void cl_progress(const char *what, size_t done, size_t total)
{
	static double start, last;
	double now, rate;

	if (!isatty(2) || !total)
		return;
	now = engine_seconds();
	if (done <= 1)
		start = last = now;
	if (done != total && now - last < 0.1)
		return;
	last = now;
	rate = now > start ? (double)done / (now - start) : 0;
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
	return error;
}

/* The configuration's key: the ids of its files, which the index keeps
 * with its head. */
static void engine_config_key_string(cl_buf *key, const cl_oid ids[ENGINE_NCONFIG])
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
	engine_config_key_string(key, ids);
	engine_cache_path(path, h, key->ptr);
}

/* The compiled configuration from HOME/cache, when a good one is there. */
/*
 * Maps the cache file rather than reading it: at province size reading
 * costs a few ms of fresh pages, mapping almost nothing.  Safe because
 * unpack copies all it keeps, and a cache file is only ever replaced by a
 * rename (engine_cache_store), never rewritten in place, so the mapped
 * file cannot shrink under us.
 */
static int engine_cache_load(cl_config **cfg, const char *path, const char *key)
{
	struct stat sb;
	void *map;
	int fd, error;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return CL_ENOTFOUND;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > CL_BUF_MAX) {
		close(fd);
		return CL_EINVALID;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return CL_ESTORE;
	error = cl_config_unpack(cfg, map, (size_t)sb.st_size, key, NULL);
	munmap(map, (size_t)sb.st_size);
	return error;
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

/* The record as the index stored it (the index is at the tip). */
static int engine_index_yaml(cl_record **out, cl_home *h, const char *id, cl_error *err)
{
	char period[8], talent[CL_ID_MAX_BUF];
	cl_buf path = CL_BUF_INIT, data = CL_BUF_INIT;
	int error;

	if ((error = cl_record_id_split(period, talent, id, err)) < 0)
		return error;
	cl_record_path(&path, period, talent);
	error = cl_index_record_yaml(h->index, id, &data, err);
	if (error == CL_ENOTFOUND)
		error = cl_error_set(err, CL_ENOTFOUND, "no record '%s'", id);
	if (!error)
		error = cl_record_parse(out, path.ptr, data.ptr, data.size, err);
	cl_buf_release(&path);
	cl_buf_release(&data);
	return error;
}

int cl_home_record(cl_record **out, cl_home *h, const char *id, cl_error *err)
{
	cl_oid tip, blob;
	int error;

	*out = NULL;
	if (h->snapshot)
		return engine_index_yaml(out, h, id, err);
	if ((error = cl_store_tip(h->store, &tip, err)) < 0)
		return error;
	return cl_home_record_at(out, &blob, h, &tip, id, err);
}

/* ---- applying commits to the index ---- */

/*
 * Catching up applies the commits the index lacks in chunks, one index
 * transaction each, that end at a commit C and leave the index exactly at
 * C.  Within a chunk, each commit gives its transition from its message
 * alone (the trailers say who did what), and notes the record it names.
 * At the chunk's end, each noted record is read once, from C's tree, and
 * its row computed with the configuration at C.  So a record is read and
 * parsed once per chunk rather than once per commit, and all reads of a
 * chunk go through one set of trees (libgit2's cache keeps them), where
 * reading each commit's own tree parsed a fresh copy of the big
 * directories every time.  Memory stays bounded by the chunk's size.
 *
 * The result does not depend on where chunks end: a row's commit is the
 * last commit naming the record, and after a configuration commit every
 * record in flight gets who waits on it under the newer configuration,
 * as applying commit by commit did.
 *
 * A bulk load (below) defers the records to its end instead: each is
 * then read once, however many chunks named it (engine_bulk_complete).
 * Until that end commits, the index is in bulk, and readers do not
 * answer from it (engine_index_at_tip).
 */

/* Commits applied per index transaction. */
#define ENGINE_CHUNK 8192

/* A catch-up of at least this many commits, and of more than the index
 * holds, loads in bulk (see cl_index_bulk_begin): a reindex, a schema
 * rebuilt, an import bigger than the home.  Fewer are cheaper one by one
 * than building every index again. */
#define ENGINE_BULK_MIN 64

/* A record named in the chunk: id and the commit that named it last. */
typedef struct touched {
	char *id;                    /* record id, owned */
	size_t seq;                  /* position in the chunk */
	char hex[CL_OID_HEXSZ + 1];  /* the commit */
} touched;

typedef struct catch_ctx {
	cl_home *h;       /* the home */
	char prev[CL_OID_HEXSZ + 1]; /* the index head before the chunk */
	cl_oid *ids;      /* commits to apply, oldest first */
	size_t n;         /* entries in ids */
	touched *t;       /* records named in the chunk */
	size_t nt, talloc;/* entries in t, allocated */
	int config;       /* the chunk has a configuration commit */
	int bulk;         /* load in bulk from the first chunk on */
	int defer;        /* the chunk is in a bulk load: no record is put
			   * until its end (engine_bulk_complete) */
	size_t done;      /* commits applied, for progress */
	cl_error *err;    /* where errors go */
} catch_ctx;

static void engine_touch(catch_ctx *c, const char *id, const char *hex)
{
	touched *t;

	if (c->nt == c->talloc) {
		c->talloc = c->talloc ? cl_xmul(c->talloc, 2) : 256;
		c->t = cl_xrealloc(c->t, cl_xmul(c->talloc, sizeof(*c->t)));
	}
	t = &c->t[c->nt];
	t->id = cl_xstrdup(id);
	t->seq = c->nt++;
	memcpy(t->hex, hex, sizeof(t->hex));
}

static void engine_touched_clear(catch_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		free(c->t[i].id);
	c->nt = 0;
	c->config = 0;
}

/* By id, then the order they were named in. */
static int engine_touched_cmp(const void *a, const void *b)
{
	const touched *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	if (d)
		return d;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads record id in commit's tree: its bytes into data, parsed into *out. */
static int engine_record_bytes(cl_record **out, cl_buf *data, cl_home *h,
			       const cl_oid *commit, const char *id, cl_error *err)
{
	char period[8], talent[CL_ID_MAX_BUF];
	cl_buf path = CL_BUF_INIT;
	int error;

	*out = NULL;
	cl_buf_clear(data);
	if ((error = cl_record_id_split(period, talent, id, err)) < 0)
		return error;
	cl_record_path(&path, period, talent);
	error = cl_store_read(h->store, commit, path.ptr, data, NULL, err);
	if (error == CL_ENOTFOUND)
		error = cl_error_set(err, CL_ENOTFOUND, "no record '%s'", id);
	if (!error)
		error = cl_record_parse(out, path.ptr, data->ptr, data->size, err);
	cl_buf_release(&path);
	return error;
}

/* Puts record r (whose YAML is data) as of commit_hex. */
static int engine_index_record(cl_home *h, const cl_record *r, const cl_buf *data,
			       const char *commit_hex, cl_error *err)
{
	cl_index_record row = { 0 };
	const char **ids = NULL;
	size_t n = 0;
	int error;

	assert(r && h->has_cfg);
	cl_transition_waiting(&ids, &n, h->cfg, h->machine, r);
	row.id = r->id;
	row.period = r->period;
	row.talent = r->talent;
	row.state = r->state;
	row.level = r->level;
	row.since = r->since;
	row.due = cl_workflow_due(h->cfg->workflow, r->level, r->since);
	row.commit = (char *)commit_hex;
	row.waiting = (char **)ids;
	row.nwaiting = n;
	row.yaml = data->ptr;
	row.yaml_len = data->size;
	error = cl_index_put_record(h->index, &row, err);
	free(ids);
	return error;
}

/* Reads record id at commit and puts it as of commit_hex. */
static int engine_put_record(cl_home *h, const cl_oid *commit, const char *id,
			     const char *commit_hex, cl_error *err)
{
	cl_buf data = CL_BUF_INIT;
	cl_record *r = NULL;
	int error;

	if ((error = engine_record_bytes(&r, &data, h, commit, id, err)) == 0)
		error = engine_index_record(h, r, &data, commit_hex, err);
	cl_record_free(r);
	cl_buf_release(&data);
	return error;
}

typedef struct refresh_ctx {
	char **ids;     /* record ids collected */
	char **commits; /* the commit each row names */
	size_t n;       /* entries */
} refresh_ctx;

static int engine_collect(const cl_index_record *r, void *payload)
{
	refresh_ctx *c = payload;

	c->ids = cl_xrealloc(c->ids, cl_xmul(c->n + 1, sizeof(char *)));
	c->commits = cl_xrealloc(c->commits, cl_xmul(c->n + 1, sizeof(char *)));
	c->ids[c->n] = cl_xstrdup(r->id);
	c->commits[c->n++] = cl_xstrdup(r->commit);
	return 0;
}

static int engine_touched_find(const void *key, const void *elem)
{
	return strcmp(key, ((const touched *)elem)->id);
}

/* After a configuration change, who waits on what may change for every
 * record in flight; what else the rows say does not.  The records in
 * skip (nskip of them, sorted by id) were just put as of commit: they are
 * left alone. */
static int engine_refresh_waiting(cl_home *h, const cl_oid *commit, const touched *skip,
				  size_t nskip, cl_error *err)
{
	cl_index_filter f = { 0 };
	refresh_ctx c = { NULL, NULL, 0 };
	size_t i;
	int error;

	f.in_flight = 1;
	error = cl_index_query(h->index, &f, engine_collect, &c, err);
	for (i = 0; i < c.n && !error; i++)
		if (!nskip || !bsearch(c.ids[i], skip, nskip, sizeof(*skip), engine_touched_find))
			error = engine_put_record(h, commit, c.ids[i], c.commits[i], err);
	cl_strv_free(c.ids, c.n);
	cl_strv_free(c.commits, c.n);
	return error;
}

/* Adds commit's transition (from its message) and notes its record. */
static int engine_apply_message(catch_ctx *c, const cl_oid *commit)
{
	char hex[CL_OID_HEXSZ + 1];
	cl_commit_info ci = { 0 };
	cl_message msg = { 0 };
	cl_index_transition t = { 0 };
	int error;

	cl_oid_fmt(hex, commit);
	if ((error = cl_store_commit_info(c->h->store, commit, &ci, c->err)) < 0)
		return error;
	if ((error = cl_message_parse(&msg, ci.message, c->err)) < 0) {
		cl_error_prefix(c->err, "commit %s", hex);
		goto done;
	}
	t.commit = hex;
	t.record = msg.record;
	t.time = ci.time;
	t.actor = msg.actor;
	t.action = msg.action;
	t.from = msg.from;
	t.to = msg.to;
	t.level = msg.level;
	t.grade = msg.grade;
	t.comment = msg.comment;
	if ((error = cl_index_add_transition(c->h->index, &t, c->err)) < 0 || c->defer)
		goto done;
	if (msg.record)
		engine_touch(c, msg.record, hex);
	else
		c->config = 1;
done:
	cl_message_release(&msg);
	cl_commit_info_release(&ci);
	return error;
}

/* Stores the key of the configuration in use with the head. */
static int engine_store_config_key(cl_home *h, cl_error *err)
{
	cl_buf key = CL_BUF_INIT;
	int error;

	engine_config_key_string(&key, h->cfg_key);
	error = cl_index_set_config(h->index, key.ptr, err);
	cl_buf_release(&key);
	return error;
}

/* Puts the chunk's records as of its last commit `end`, then the rows a
 * configuration change touches, then the configuration key.  In a bulk
 * load, only the key: the records wait for engine_bulk_complete. */
static int engine_chunk_records(catch_ctx *c, const cl_oid *end)
{
	cl_home *h = c->h;
	size_t i;
	int error;

	if ((error = cl_home_use_config(h, end, c->err)) < 0)
		return error;
	if (c->nt)
		qsort(c->t, c->nt, sizeof(*c->t), engine_touched_cmp);
	for (i = 0; i < c->nt && !error; i++) {
		if (i + 1 < c->nt && !strcmp(c->t[i].id, c->t[i + 1].id))
			continue; /* only the last commit naming it counts */
		error = engine_put_record(h, end, c->t[i].id, c->t[i].hex, c->err);
	}
	if (!error && c->config)
		error = engine_refresh_waiting(h, end, c->t, c->nt, c->err);
	if (!error)
		error = engine_store_config_key(h, c->err);
	return error;
}

/*
 * The end of a bulk load: its chunks applied the transitions only, and
 * here every record is put once, as commit by commit would have left it.
 * A row is the record's file at the head, the configuration at the head
 * (who waits on a record in flight follows the newest configuration; a
 * finished record has no one waiting) and the last commit naming it.
 * Walking the head's tree in order reads each file once, with no lookup
 * by path; a history where a record moves many times is read no more
 * often than one where it is submitted once.  Files under records/ that
 * no transition names are left out, as commit by commit would; a record a
 * transition names but the head lacks is an error, as it was there.
 */
typedef struct bulk_file {
	char *id;         /* the record id its path gives */
	cl_oid blob;      /* the file */
} bulk_file;

typedef struct bulk_ctx {
	cl_home *h;
	bulk_file *f;     /* one period's record files, put in id order:
			   * the tree's order is by shard, random by id,
			   * and random inserts are what bulk loading avoids */
	size_t nf, falloc;
	cl_buf data;      /* the record file being read */
	cl_buf path;      /* a record's path */
	int64_t named;    /* records the transitions name */
	int64_t put;      /* records put */
	cl_error *err;
} bulk_ctx;

static int engine_bulk_file_cmp(const void *a, const void *b)
{
	return strcmp(((const bulk_file *)a)->id, ((const bulk_file *)b)->id);
}

/* Puts the record in file f, if a transition names it. */
static int engine_bulk_put(bulk_ctx *c, const bulk_file *f)
{
	char period[8], talent[CL_ID_MAX_BUF], commit[CL_OID_HEXSZ + 1];
	cl_record *r = NULL;
	int error;

	error = cl_index_last_commit(c->h->index, f->id, commit, c->err);
	if (error == CL_ENOTFOUND)
		return 0;
	if (error < 0 || (error = cl_record_id_split(period, talent, f->id, c->err)) < 0)
		return error;
	cl_buf_clear(&c->path);
	cl_record_path(&c->path, period, talent);
	cl_buf_clear(&c->data);
	if ((error = cl_store_read_blob(c->h->store, &f->blob, &c->data, c->err)) < 0 ||
	    (error = cl_record_parse(&r, c->path.ptr, c->data.ptr, c->data.size, c->err)) < 0)
		return error;
	if (strcmp(r->id, f->id))
		error = cl_error_set(c->err, CL_EINVALID, "%s: the record says it is '%s'",
				     c->path.ptr, r->id);
	else
		error = engine_index_record(c->h, r, &c->data, commit, c->err);
	cl_record_free(r);
	if (!error)
		cl_progress("indexing records", (size_t)++c->put, (size_t)c->named);
	return error;
}

/* Puts the period's files gathered so far, in id order. */
static int engine_bulk_flush(bulk_ctx *c)
{
	size_t i;
	int error = 0;

	if (c->nf)
		qsort(c->f, c->nf, sizeof(*c->f), engine_bulk_file_cmp);
	for (i = 0; i < c->nf && !error; i++)
		error = engine_bulk_put(c, &c->f[i]);
	for (i = 0; i < c->nf; i++)
		free(c->f[i].id);
	c->nf = 0;
	return error;
}

/* Gathers a record file; a new period puts the previous one's. */
static int engine_bulk_record(const char *path, const cl_oid *blob, void *payload)
{
	bulk_ctx *c = payload;
	char id[CL_ID_MAX_BUF + 8];
	const char *p = path + strlen("records/"), *slash;
	size_t len;
	int error;

	/* records/PERIOD/XX/TALENT.yaml, at the path its id gives: anything
	 * else is not a record file, and commit by commit never read it */
	if ((slash = strchr(p, '/')) == NULL || slash - p != 6 ||
	    (slash = strchr(slash + 1, '/')) == NULL)
		return 0;
	len = strlen(slash + 1);
	if (len <= 5 || len - 5 >= CL_ID_MAX_BUF || strcmp(slash + 1 + len - 5, ".yaml"))
		return 0;
	snprintf(id, sizeof(id), "%.6s/%.*s", p, (int)(len - 5), slash + 1);
	cl_buf_clear(&c->path);
	cl_record_path(&c->path, (char[8]){ p[0], p[1], p[2], p[3], p[4], p[5], 0 }, id + 7);
	if (strcmp(c->path.ptr, path))
		return 0;
	if (c->nf && strncmp(c->f[0].id, id, 7) && (error = engine_bulk_flush(c)) < 0)
		return error;
	if (c->nf == c->falloc) {
		c->falloc = c->falloc ? cl_xmul(c->falloc, 2) : 1024;
		c->f = cl_xrealloc(c->f, cl_xmul(c->falloc, sizeof(*c->f)));
	}
	c->f[c->nf].id = cl_xstrdup(id);
	c->f[c->nf++].blob = *blob;
	return 0;
}

/* Ends a bulk load at commit `at`, the head the caller commits with. */
static int engine_bulk_complete(cl_home *h, const cl_oid *at, cl_error *err)
{
	bulk_ctx c = { h, NULL, 0, 0, CL_BUF_INIT, CL_BUF_INIT, 0, 0, err };
	size_t i;
	int error;

	if ((error = cl_index_bulk_history(h->index, err)) < 0 ||
	    (error = cl_home_use_config(h, at, err)) < 0 ||
	    (error = cl_index_named(h->index, &c.named, NULL, err)) < 0)
		return error;
	error = cl_store_list(h->store, at, "records", engine_bulk_record, &c, err);
	if (!error)
		error = engine_bulk_flush(&c);
	if (!error && c.put != c.named &&
	    (error = cl_index_named(h->index, NULL, &c.data, err)) == 0)
		error = cl_error_set(err, CL_ENOTFOUND, "no record '%s'",
				     c.data.size ? c.data.ptr : "(unknown)");
	if (!error && (error = cl_index_bulk_end(h->index, err)) == 0)
		error = engine_store_config_key(h, err);
	for (i = 0; i < c.nf; i++)
		free(c.f[i].id);
	free(c.f);
	cl_buf_release(&c.data);
	cl_buf_release(&c.path);
	return error;
}

/*
 * Applies ids[first .. first+len) in one index transaction that extends
 * c->prev.  Another process may be catching up the same commits: when the
 * head is no longer c->prev, CL_EMOVED tells the caller to start over from
 * the new head.
 */
static int engine_chunk(catch_ctx *c, size_t first, size_t len)
{
	char head[CL_OID_HEXSZ + 1], end[CL_OID_HEXSZ + 1];
	size_t i;
	int error, bulk = 0;

	if ((error = cl_index_begin(c->h->index, c->err)) < 0)
		return error;
	if ((error = cl_index_head(c->h->index, head, c->err)) < 0 ||
	    (strcmp(head, c->prev) && (error = CL_EMOVED) < 0) ||
	    (error = cl_index_bulk(c->h->index, &bulk, c->err)) < 0)
		goto done;
	if (c->bulk && !bulk && (error = cl_index_bulk_begin(c->h->index, c->err)) < 0)
		goto done;
	c->defer = c->bulk || bulk;
	for (i = first; i < first + len && !error; i++) {
		error = engine_apply_message(c, &c->ids[i]);
		cl_progress("indexing", ++c->done, c->n);
	}
	if (error)
		goto done;
	/* the last chunk ends a bulk load, whoever began it */
	if (c->defer && first + len == c->n)
		error = engine_bulk_complete(c->h, &c->ids[first + len - 1], c->err);
	else if (c->defer &&
		 (error = cl_home_use_config(c->h, &c->ids[first + len - 1], c->err)) == 0)
		error = engine_store_config_key(c->h, c->err);
	else if (!c->defer)
		error = engine_chunk_records(c, &c->ids[first + len - 1]);
	if (error < 0)
		goto done;
	cl_oid_fmt(end, &c->ids[first + len - 1]);
	cl_fault("during-index");
	if ((error = cl_index_commit(c->h->index, end, c->err)) == 0)
		memcpy(c->prev, end, sizeof(end));
done:
	engine_touched_clear(c);
	cl_index_rollback(c->h->index);
	return error;
}

/* An index at the tip may still be in bulk: its loader died after its
 * last chunk but one, and the chunk that would have ended the load was
 * someone else's commit.  Builds the indexes and puts the records at
 * head, unless the head moved meanwhile (CL_EMOVED: the caller starts
 * over). */
static int engine_bulk_finish(cl_home *h, const char *prev, cl_error *err)
{
	char head[CL_OID_HEXSZ + 1];
	cl_oid at;
	int error, bulk;

	if ((error = cl_index_bulk(h->index, &bulk, err)) < 0 || !bulk)
		return error;
	if (cl_oid_parse(&at, prev) < 0)
		return cl_error_set(err, CL_ESTORE, "index head '%s' is not a commit id", prev);
	if ((error = cl_index_begin(h->index, err)) < 0)
		return error;
	if ((error = cl_index_head(h->index, head, err)) == 0 &&
	    (error = strcmp(head, prev) ? CL_EMOVED : 0) == 0 &&
	    (error = engine_bulk_complete(h, &at, err)) == 0)
		error = cl_index_commit(h->index, head, err);
	cl_index_rollback(h->index);
	return error;
}

static int engine_catch_up_once(cl_home *h, cl_error *err)
{
	catch_ctx c = { 0 };
	cl_oid tip, from;
	int64_t have = 0;
	size_t i, len;
	int error;

	c.h = h;
	c.err = err;
	/* The index head first: read the other way round, a writer could
	 * move tip and head in between, and a head newer than the tip we
	 * read would look like a rewritten history. */
	if ((error = cl_index_head(h->index, c.prev, err)) < 0 ||
	    (error = cl_store_tip(h->store, &tip, err)) < 0)
		return error;
	if (*c.prev && cl_oid_parse(&from, c.prev) < 0)
		return cl_error_set(err, CL_ESTORE, "index head '%s' is not a commit id", c.prev);
	if (*c.prev && cl_oid_equal(&from, &tip))
		return engine_bulk_finish(h, c.prev, err);
	error = cl_store_chain(&c.ids, &c.n, h->store, *c.prev ? &from : NULL, &tip, err);
	if (!error && c.n >= ENGINE_BULK_MIN &&
	    (error = cl_index_counts(h->index, NULL, &have, err)) == 0)
		c.bulk = have >= 0 && c.n > (size_t)have;
	for (i = 0; !error && i < c.n; i += len) {
		len = c.n - i < ENGINE_CHUNK ? c.n - i : ENGINE_CHUNK;
		error = engine_chunk(&c, i, len);
	}
	free(c.ids);
	free(c.t);
	return error;
}

/* libgit2's object cache while catching up: a long catch-up reads each
 * tree and blob about once, so a big cache only grows the process (its
 * limit counts raw bytes, not parsed entries), as in verify. */
#define ENGINE_CATCH_UP_CACHE ((size_t)4 << 20)

int cl_home_catch_up(cl_home *h, cl_error *err)
{
	size_t cache = 0;
	int i, error = CL_EMOVED, limited;

	limited = cl_store_cache_limit(ENGINE_CATCH_UP_CACHE, &cache) == 0;
	for (i = 0; i < ENGINE_RETRIES && error == CL_EMOVED; i++)
		error = engine_catch_up_once(h, err);
	if (limited)
		cl_store_cache_limit(cache, NULL);
	if (error == CL_EMOVED)
		return cl_error_set(err, CL_ESTORE, "the index kept moving while catching up");
	return error;
}

int cl_home_reindex(cl_home *h, cl_error *err)
{
	int error;

	if ((error = cl_index_reset(h->index, err)) < 0)
		return error;
	return cl_home_catch_up(h, err);
}

/* ---- opening ---- */

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
	if (with_index && (error = cl_home_catch_up(h, err)) < 0)
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
	char head[CL_OID_HEXSZ + 1];
	cl_buf git = CL_BUF_INIT;
	cl_oid at;
	int error;

	if (engine_read_config(h, err) == 0)
		return 0;
	cl_error_clear(err);
	engine_join(&git, h->dir, CL_HOME_HISTORY);
	if ((error = cl_index_head(h->index, head, err)) == 0) {
		if (cl_oid_parse(&at, head) < 0)
			error = cl_error_set(err, CL_ESTORE, "the index's head '%.40s' is "
					     "not a commit id", head);
		else if ((error = cl_store_open(&h->store, git.ptr, err)) == 0)
			error = cl_home_use_config(h, &at, err);
	}
	cl_buf_release(&git);
	return error;
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

	if ((error = cl_store_commit_info(h->store, tip, &ci, err)) < 0)
		return error;
	*out = ci.time;
	cl_commit_info_release(&ci);
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
