/*
 * verify.c - replays the history from its first commit and checks every
 * promise the engine makes about it:
 *
 *   - the branch is linear and every commit's message parses;
 *   - the author is the actor named in Actor:, with the name the people
 *     file (at the parent) gives;
 *   - a record commit changes exactly its record's file, is a legal
 *     transition by an authorised actor under the configuration at its
 *     parent, and its file and message are byte for byte what the
 *     transition produces (so trailers match the tree);
 *   - a configuration commit changes only config/, is made by an
 *     administrator of the parent configuration, loads, and strands no
 *     record in flight;
 *   - the index, once caught up, agrees with the tip.
 *
 * It streams: one commit at a time, with the configuration cached by the
 * ids of its files, so memory does not grow with the history.
 */
#include "engine.h"
#include "message.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_MAX_PATHS 16
/* libgit2's object cache while verifying: commits, config trees */
#define VERIFY_CACHE_BYTES (4u << 20)

typedef struct verify_ctx {
	cl_home *h;              /* the home */
	cl_verify_report report; /* where violations go */
	void *payload;           /* for report */
	cl_oid prev;             /* the previous commit */
	cl_oid prev_tree;        /* its tree */
	cl_oid cfg_commit;       /* h's cached configuration is this one's */
	int has_cfg_commit;      /* cfg_commit is set */
	cl_store_cursor *cursor; /* the trees on the last record's path */
	cl_buf got;              /* the record file read, reused */
	int64_t prev_time;       /* its time */
	int has_prev;            /* prev is set */
	size_t violations;       /* found so far */
	size_t checked;          /* commits checked */
	size_t total;            /* commits in all, for progress */
	char hex[CL_OID_HEXSZ + 1]; /* the commit being checked */
} verify_ctx;

typedef struct verify_paths {
	char *paths[VERIFY_MAX_PATHS]; /* changed paths, owned */
	size_t n;                      /* paths kept */
	size_t total;                  /* paths changed */
	int deleted;                   /* some path was deleted */
} verify_paths;

static void verify_fail(verify_ctx *c, const char *fmt, ...) CL_PRINTF(2, 3);

static void verify_fail(verify_ctx *c, const char *fmt, ...)
{
	char msg[CL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->violations++;
	c->report(c->hex, msg, c->payload);
}

static int verify_collect(const char *path, const cl_oid *old_blob,
			  const cl_oid *new_blob, void *payload)
{
	verify_paths *p = payload;

	(void)old_blob;
	if (!new_blob)
		p->deleted = 1;
	if (p->n < VERIFY_MAX_PATHS)
		p->paths[p->n++] = cl_xstrdup(path);
	p->total++;
	return 0;
}

static void verify_paths_release(verify_paths *p)
{
	while (p->n)
		free(p->paths[--p->n]);
}

static int verify_only_config(const verify_paths *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strncmp(p->paths[i], "config/", 7) || strchr(p->paths[i] + 7, '/'))
			return 0;
	return p->n == p->total;
}

/* The committer is the author, at the same time, in UTC. */
static void verify_signatures(verify_ctx *c, const cl_commit_info *ci)
{
	if (strcmp(ci->committer_email, ci->author_email) ||
	    strcmp(ci->committer_name, ci->author_name))
		verify_fail(c, "the committer '%s <%s>' is not the author and actor '%s <%s>'",
			    ci->committer_name, ci->committer_email, ci->author_name,
			    ci->author_email);
	if (ci->committer_time != ci->time || ci->tz || ci->committer_tz)
		verify_fail(c, "the committer's time or time zone differs from the author's");
}

static void verify_author(verify_ctx *c, const cl_config *cfg,
			  const cl_commit_info *ci, const cl_message *msg)
{
	const cl_person *p = cl_people_find(cfg->people, msg->actor);

	if (!p) {
		verify_fail(c, "Actor: '%s' is not a person in the configuration at its parent",
			    msg->actor);
		return;
	}
	if (strcmp(ci->author_email, p->id) || strcmp(ci->author_name, p->name))
		verify_fail(c, "the author '%s <%s>' is not the actor '%s <%s>'",
			    ci->author_name, ci->author_email, p->name, p->id);
	verify_signatures(c, ci);
}

static void verify_bytes(verify_ctx *c, const char *what, const char *want,
			 size_t wlen, const char *got, size_t glen)
{
	if (wlen != glen || memcmp(want, got, wlen))
		verify_fail(c, "%s differs from what the transition produces", what);
}

/* Re-decides the transition from old (NULL: none) to the file got, parsed
 * as cur, and compares the bytes of the file and of the message. */
static void verify_replay(verify_ctx *c, const cl_commit_info *ci,
			  const cl_message *msg, cl_request *req, const char *path,
			  const cl_record *old, const cl_record *cur,
			  const cl_buf *got)
{
	const cl_config *cfg = cl_home_cached_config(c->h);
	const cl_machine *m = cl_home_cached_machine(c->h);
	cl_buf want = CL_BUF_INIT, wmsg = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_record *exp = NULL;

	req->record_id = msg->record;
	req->actor = msg->actor;
	req->time = ci->time;
	req->comment = msg->comment;
	req->grade = msg->grade;
	req->log = cur->fields;
	req->log_file = path;
	if (cl_transition_apply(&exp, cfg, m, old, req, &err) < 0) {
		verify_fail(c, "not a legal transition under the configuration at its parent: %s",
			    err.msg);
		goto done;
	}
	cl_record_serialize(&want, exp, &err);
	verify_bytes(c, "the record file", want.ptr, want.size, got->ptr, got->size);
	cl_transition_message(&wmsg, old, exp, req);
	verify_bytes(c, "the message (subject, comment or trailers)", wmsg.ptr, wmsg.size,
		     ci->message, strlen(ci->message));
done:
	cl_record_free(exp);
	cl_buf_release(&want);
	cl_buf_release(&wmsg);
}

/* A record transition: re-decide it and compare the bytes. */
static void verify_record(verify_ctx *c, const cl_oid *commit, const cl_commit_info *ci,
			  const cl_message *msg, const verify_paths *paths)
{
	cl_buf path = CL_BUF_INIT, got = CL_BUF_INIT;
	char period[8], talent[CL_ID_MAX_BUF];
	cl_record *old = NULL, *cur = NULL;
	cl_request req = { 0 };
	cl_error err = CL_ERROR_INIT;
	cl_oid blob;
	int error;

	if (cl_record_id_split(period, talent, msg->record, &err) < 0 ||
	    cl_action_parse(&req.action, msg->action) < 0) {
		verify_fail(c, "bad Record: or Action: trailer: %s", err.msg);
		return;
	}
	cl_record_path(&path, period, talent);
	if (paths->total != 1 || strcmp(paths->paths[0], path.ptr)) {
		verify_fail(c, "changes %zu path(s), not just '%s' (rule: one record per transition)",
			    paths->total, path.ptr);
		goto done;
	}
	error = cl_home_record_at(&old, &blob, c->h, &c->prev, msg->record, &err);
	if (error < 0 && error != CL_ENOTFOUND) {
		verify_fail(c, "record at the parent does not load: %s", err.msg);
		goto done;
	}
	if (cl_store_read(cl_home_store(c->h), commit, path.ptr, &got, &blob, &err) < 0 ||
	    cl_record_parse(&cur, path.ptr, got.ptr, got.size, &err) < 0) {
		verify_fail(c, "record file '%s' is missing or does not load: %s", path.ptr, err.msg);
		goto done;
	}
	verify_replay(c, ci, msg, &req, path.ptr, old, cur, &got);
done:
	cl_record_free(old);
	cl_record_free(cur);
	cl_buf_release(&path);
	cl_buf_release(&got);
}

/*
 * The same checks as verify_record() after the general tree diff, for the
 * common case only: the commit changes its record's file and nothing
 * else.  Its trees are compared along that path (the parent's side is
 * still held by the cursor) and both versions of the file are read by
 * blob id.  Returns 0, having reported nothing, when the commit is not
 * that case, and the general checks then run and name what is wrong.
 */
static int verify_record_fast(verify_ctx *c, const cl_commit_info *ci,
			      const cl_message *msg)
{
	cl_store *st = cl_home_store(c->h);
	char period[8], talent[CL_ID_MAX_BUF];
	cl_buf path = CL_BUF_INIT, data = CL_BUF_INIT, *got = &c->got;
	cl_record *old = NULL, *cur = NULL;
	cl_store_path_change ch;
	cl_request req = { 0 };
	cl_error err = CL_ERROR_INIT;

	if (cl_record_id_split(period, talent, msg->record, &err) < 0 ||
	    cl_action_parse(&req.action, msg->action) < 0)
		return 0;
	cl_record_path(&path, period, talent);
	if (cl_store_cursor_change(c->cursor, &c->prev_tree, &ci->tree, path.ptr,
				   &ch, &err) < 0 || !ch.only) {
		cl_buf_release(&path);
		return 0;
	}
	if (!c->has_cfg_commit || !cl_oid_equal(&c->cfg_commit, &c->prev)) {
		c->has_cfg_commit = 0;
		if (cl_home_use_config(c->h, &c->prev, &err) < 0) {
			verify_fail(c, "the configuration at its parent does not load: %s",
				    err.msg);
			goto done;
		}
	}
	/* only path changed, so the configuration is also this commit's */
	c->has_cfg_commit = strncmp(path.ptr, "config/", 7) != 0;
	c->cfg_commit = ci->id;
	verify_author(c, cl_home_cached_config(c->h), ci, msg);
	if (ch.has_old && (cl_store_read_blob(st, &ch.old_blob, &data, &err) < 0 ||
			   cl_record_parse(&old, path.ptr, data.ptr, data.size, &err) < 0)) {
		verify_fail(c, "record at the parent does not load: %s", err.msg);
		goto done;
	}
	cl_buf_clear(got);
	if (cl_store_read_blob(st, &ch.new_blob, got, &err) < 0 ||
	    cl_record_parse(&cur, path.ptr, got->ptr, got->size, &err) < 0) {
		verify_fail(c, "record file '%s' is missing or does not load: %s", path.ptr, err.msg);
		goto done;
	}
	verify_replay(c, ci, msg, &req, path.ptr, old, cur, got);
done:
	cl_record_free(old);
	cl_record_free(cur);
	cl_buf_release(&path);
	cl_buf_release(&data);
	return 1;
}

typedef struct strand_walk {
	verify_ctx *c;          /* the verification */
	const cl_config *cfg;   /* the new configuration */
	const cl_machine *m;    /* its machine */
} strand_walk;

static int verify_strand_one(const char *path, const cl_oid *blob, void *payload)
{
	strand_walk *w = payload;
	cl_buf data = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;

	if (cl_store_read_blob(cl_home_store(w->c->h), blob, &data, &err) < 0 ||
	    cl_record_parse(&r, path, data.ptr, data.size, &err) < 0)
		verify_fail(w->c, "record '%s' does not load: %s", path, err.msg);
	else if (cl_config_strands(w->cfg, w->m, r, &err) < 0)
		verify_fail(w->c, "the configuration change strands a record: %s", err.msg);
	cl_record_free(r);
	cl_buf_release(&data);
	return 0;
}

static void verify_config(verify_ctx *c, const cl_oid *commit, const cl_commit_info *ci,
			  const cl_message *msg, const verify_paths *paths, int root)
{
	const cl_config *parent = cl_home_cached_config(c->h);
	cl_buf wmsg = CL_BUF_INIT, summary = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_config *cfg = NULL;
	cl_machine *m = NULL;
	strand_walk w = { c, NULL, NULL };
	const cl_person *p;

	if (!verify_only_config(paths))
		verify_fail(c, "a %s commit may change only config/ files", msg->action);
	if (cl_home_config_at(&cfg, c->h, commit, &err) < 0 ||
	    cl_machine_compile(&m, cfg->workflow, &err) < 0) {
		verify_fail(c, "the configuration does not load: %s", err.msg);
		goto done;
	}
	if (!root)
		verify_author(c, parent, ci, msg);
	else
		verify_signatures(c, ci);
	p = cl_people_find(root ? cfg->people : parent->people, msg->actor);
	if (p && !cl_person_has_role_anywhere(p, (root ? cfg : parent)->workflow->admin_role))
		verify_fail(c, "'%s' changed the configuration without the admin role '%s'",
			    msg->actor, (root ? cfg : parent)->workflow->admin_role);
	if (root && !p)
		verify_fail(c, "Actor: '%s' is not in the initial people file", msg->actor);
	w.cfg = cfg;
	w.m = m;
	if (!root)
		cl_store_list(cl_home_store(c->h), commit, "records", verify_strand_one, &w, &err);
	cl_buf_printf(&summary, "workflow %s", cfg->workflow->version_tag);
	cl_message_config(&wmsg, msg->action, msg->actor, summary.ptr, msg->comment);
	verify_bytes(c, "the message", wmsg.ptr, wmsg.size, ci->message, strlen(ci->message));
done:
	cl_buf_release(&wmsg);
	cl_buf_release(&summary);
	cl_machine_free(m);
	cl_config_free(cfg);
}

static void verify_commit(verify_ctx *c, const cl_oid *commit, const cl_commit_info *ci,
			  const cl_message *msg)
{
	verify_paths paths = { { 0 }, 0, 0, 0 };
	cl_error err = CL_ERROR_INIT;
	int root = !c->has_prev;

	if (!root && msg->record && strcmp(msg->action, "config") &&
	    verify_record_fast(c, ci, msg))
		return;
	c->has_cfg_commit = 0;
	if (cl_store_diff(cl_home_store(c->h), root ? NULL : &c->prev, commit,
			  verify_collect, &paths, &err) < 0) {
		verify_fail(c, "cannot compare trees: %s", err.msg);
		return;
	}
	if (root) {
		if (strcmp(msg->action, "init"))
			verify_fail(c, "the first commit must be Action: init, not '%s'", msg->action);
		verify_config(c, commit, ci, msg, &paths, 1);
	} else if (cl_home_use_config(c->h, &c->prev, &err) < 0) {
		verify_fail(c, "the configuration at its parent does not load: %s", err.msg);
	} else if (!strcmp(msg->action, "config")) {
		verify_config(c, commit, ci, msg, &paths, 0);
	} else if (msg->record) {
		verify_author(c, cl_home_cached_config(c->h), ci, msg);
		verify_record(c, commit, ci, msg, &paths);
	} else {
		verify_fail(c, "unknown Action: '%s'", msg->action);
	}
	verify_paths_release(&paths);
}

static int verify_one(const cl_oid *commit, void *payload)
{
	verify_ctx *c = payload;
	cl_commit_info ci = { 0 };
	cl_message msg = { 0 };
	cl_error err = CL_ERROR_INIT;

	cl_oid_fmt(c->hex, commit);
	if (cl_store_commit_info(cl_home_store(c->h), commit, &ci, &err) < 0) {
		verify_fail(c, "cannot read the commit: %s", err.msg);
		return 0;
	}
	if (ci.nparents > 1 || (c->has_prev && !cl_oid_equal(&ci.parent, &c->prev)))
		verify_fail(c, "the history is not linear here (a merge or a graft)");
	if (c->has_prev && ci.time < c->prev_time)
		verify_fail(c, "time goes backwards: %lld seconds before its parent",
			    (long long)(c->prev_time - ci.time));
	if (cl_message_parse(&msg, ci.message, &err) < 0)
		verify_fail(c, "the message does not parse: %s", err.msg);
	else
		verify_commit(c, commit, &ci, &msg);
	c->prev = *commit;
	c->prev_tree = ci.tree;
	c->prev_time = ci.time;
	c->has_prev = 1;
	cl_message_release(&msg);
	cl_commit_info_release(&ci);
	cl_progress("verifying", ++c->checked, c->total);
	return 0;
}

typedef struct index_walk {
	verify_ctx *c;       /* the verification */
	const cl_config *cfg;/* the configuration at the tip */
	const cl_machine *m; /* its machine */
	size_t records;      /* records in the tip's tree */
} index_walk;

static int verify_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether row's waiting set (sorted, unique) is who waits on r at the tip. */
static int verify_same_waiting(const index_walk *w, const cl_index_record *row,
			       const cl_record *r)
{
	const char **ids = NULL;
	size_t n = 0, i, k = 0;
	int same;

	cl_transition_waiting(&ids, &n, w->cfg, w->m, r);
	if (n)
		qsort(ids, n, sizeof(*ids), verify_str_cmp);
	for (i = 0; i < n; i++)
		if (!k || strcmp(ids[k - 1], ids[i]))
			ids[k++] = ids[i];
	same = k == row->nwaiting;
	for (i = 0; same && i < k; i++)
		same = !strcmp(ids[i], row->waiting[i]);
	free(ids);
	return same;
}

/* Whether two optional strings are equal. */
static int verify_same_opt(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static int verify_index_one(const char *path, const cl_oid *blob, void *payload)
{
	index_walk *w = payload;
	cl_index_record row = { 0 };
	cl_buf data = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_record *r = NULL;

	w->records++;
	if (cl_store_read_blob(cl_home_store(w->c->h), blob, &data, &err) < 0 ||
	    cl_record_parse(&r, path, data.ptr, data.size, &err) < 0)
		verify_fail(w->c, "record '%s' at the tip does not load: %s", path, err.msg);
	else if (cl_index_get(cl_home_index(w->c->h), r->id, &row, &err) < 0)
		verify_fail(w->c, "the index lacks record '%s': %s", r->id, err.msg);
	else if (strcmp(row.state, r->state))
		verify_fail(w->c, "the index has '%s' in state '%s', the history '%s'",
			    r->id, row.state, r->state);
	else if (!verify_same_opt(row.level, r->level) || row.since != r->since)
		verify_fail(w->c, "the index has '%s' at level '%s' since %lld, the history"
			    " at '%s' since %lld", r->id, row.level ? row.level : "-",
			    (long long)row.since, r->level ? r->level : "-",
			    (long long)r->since);
	else if (w->cfg && !verify_same_waiting(w, &row, r))
		verify_fail(w->c, "the index has other people waiting on '%s' than the"
			    " history", r->id);
	cl_index_record_release(&row);
	cl_record_free(r);
	cl_buf_release(&data);
	return 0;
}

static void verify_index(verify_ctx *c, const cl_oid *tip)
{
	char head[CL_OID_HEXSZ + 1], tiphex[CL_OID_HEXSZ + 1];
	index_walk w = { c, NULL, NULL, 0 };
	cl_buf bad = CL_BUF_INIT;
	int64_t nrec = 0, ntrans = 0;
	cl_error err = CL_ERROR_INIT;

	cl_oid_fmt(c->hex, tip);
	if (cl_home_catch_up(c->h, &err) < 0) {
		verify_fail(c, "the index cannot catch up: %s", err.msg);
		return;
	}
	cl_oid_fmt(tiphex, tip);
	if (cl_index_head(cl_home_index(c->h), head, &err) < 0 || strcmp(head, tiphex)) {
		verify_fail(c, "the index is at '%s', not at the tip", head);
		return;
	}
	if (cl_home_config(&w.cfg, &w.m, c->h, &err) < 0) {
		verify_fail(c, "the configuration at the tip does not load: %s", err.msg);
		w.cfg = NULL;
		w.m = NULL;
		cl_error_clear(&err);
	}
	/* one read transaction for the million lookups, not one each */
	if (cl_index_read_begin(cl_home_index(c->h), &err) < 0) {
		verify_fail(c, "cannot read the index: %s", err.msg);
		return;
	}
	cl_store_list(cl_home_store(c->h), tip, "records", verify_index_one, &w, &err);
	cl_index_read_end(cl_home_index(c->h));
	if (cl_index_counts(cl_home_index(c->h), &nrec, &ntrans, &err) < 0)
		verify_fail(c, "cannot count the index: %s", err.msg);
	else if ((size_t)nrec != w.records || (size_t)ntrans != c->checked)
		verify_fail(c, "the index has %lld records and %lld transitions; the history %zu and %zu",
			    (long long)nrec, (long long)ntrans, w.records, c->checked);
	if (cl_index_check_lines(cl_home_index(c->h), &bad, &err) < 0)
		verify_fail(c, "cannot read the index's list: %s", err.msg);
	else if (bad.size)
		verify_fail(c, "the index's list disagrees with its records: %s", bad.ptr);
	cl_buf_release(&bad);
}

int cl_home_verify(cl_home *h, cl_verify_report report, void *payload,
		   size_t *checked, cl_error *err)
{
	verify_ctx c;
	size_t cache = 0, i;
	cl_oid tip, *ids = NULL;
	int error;

	memset(&c, 0, sizeof(c));
	c.h = h;
	c.report = report;
	c.payload = payload;
	cl_buf_init(&c.got);
	cl_home_no_cache(h);
	/* the cursor holds what is read again; the rest is read once */
	if (cl_store_cache_limit(VERIFY_CACHE_BYTES, &cache) < 0)
		return cl_error_set(err, CL_ESTORE, "cannot limit the object cache");
	cl_store_cursor_new(&c.cursor, cl_home_store(h));
	error = cl_store_tip(cl_home_store(h), &tip, err);
	/* ... and so the walk runs with no cache at all */
	if (!error && (error = cl_store_caching(0)) < 0)
		cl_error_set(err, CL_ESTORE, "cannot turn the object cache off");
	/* The chain is read first, for its order; then every object the
	 * walk reads, those commits again included, is re-hashed, so a
	 * tampered object fails however its parent link read. */
	if (!error)
		error = cl_store_chain(&ids, &c.total, cl_home_store(h), NULL, &tip, err);
	if (!error && cl_store_verify_hashes(1) < 0)
		error = cl_error_set(err, CL_ESTORE, "cannot turn hash verification on");
	for (i = 0; !error && i < c.total; i++)
		error = verify_one(&ids[i], &c);
	free(ids);
	cl_store_caching(1);
	cl_store_cursor_free(c.cursor);
	cl_buf_release(&c.got);
	/* The tip's records were each read, and hashed, by the walk, at the
	 * commit that wrote them: no need to hash them again here. */
	cl_store_verify_hashes(0);
	if (!error)
		verify_index(&c, &tip);
	cl_store_cache_limit(cache, NULL);
	if (error < 0)
		return error;
	if (checked)
		*checked = c.checked;
	if (c.violations)
		return cl_error_set(err, CL_EVERIFY, "%zu violation(s) in %zu commit(s)",
				    c.violations, c.checked);
	return 0;
}
