/*
 * catchup.c - the index follows the history: cl_home_catch_up() applies
 * the commits the index lacks, cl_home_reindex() rebuilds it from the
 * whole history (see engine.h).  The index is derived: everything here is
 * read from commits' messages and trees, with the configuration each
 * commit was made under.
 */
#include "engine.h"
#include "home.h"
#include "message.h"
#include "record.h"
#include "transition.h"
#include "util.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Catching up applies the commits the index lacks in chunks, one index
 * transaction each, that end at a commit C and leave the index exactly at
 * C.  Within a chunk, each commit gives its transition from its message
 * alone (the trailers say who did what), and notes the record it names.
 * At the chunk's end, each noted record's row is computed once, from its
 * transitions in the index (engine_put_record), with the configuration
 * at C.  No record file is read: the trailers say all a row needs.
 * Memory stays bounded by the chunk's size.
 *
 * The result does not depend on where chunks end: a row's commit is the
 * last commit naming the record, and after a configuration commit every
 * record in flight gets who waits on it under the newer configuration,
 * as applying commit by commit did.
 *
 * A bulk load (below) defers the records to its end instead: each is
 * then put once, however many chunks named it (engine_bulk_complete).
 * Until that end commits, the index is in bulk, and readers do not
 * answer from it (engine_index_at_tip).  An empty index is not caught up
 * in chunks at all: engine_load reads the history once, from the tip.
 */

/* Commits applied per index transaction. */
#define ENGINE_CHUNK 8192

/* A catch-up of at least this many commits, and of more than the index
 * holds, loads in bulk (see cl_index_bulk_begin): an import bigger than
 * the home, or an index far behind.  Fewer are cheaper one by one than
 * building every index again.  An empty index is loaded another way
 * (engine_load, below). */
#define ENGINE_BULK_MIN 64

/* A record named in the chunk. */
typedef struct touched {
	char *id;                    /* record id, owned */
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

static void engine_touch(catch_ctx *c, const char *id)
{
	touched *t;

	if (c->nt == c->talloc) {
		c->talloc = c->talloc ? cl_xmul(c->talloc, 2) : 256;
		c->t = cl_xrealloc(c->t, cl_xmul(c->talloc, sizeof(*c->t)));
	}
	t = &c->t[c->nt++];
	t->id = cl_xstrdup(id);
}

static void engine_touched_clear(catch_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		free(c->t[i].id);
	c->nt = 0;
	c->config = 0;
}

static int engine_touched_cmp(const void *a, const void *b)
{
	return strcmp(((const touched *)a)->id, ((const touched *)b)->id);
}


/* Puts the row of record r as of commit_hex, its last transition. */
static int engine_index_record(cl_home *h, const cl_record *r, const char *commit_hex,
			       cl_error *err)
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
	error = cl_index_put_record(h->index, &row, err);
	free(ids);
	return error;
}

/*
 * A row is computed from the record's transitions alone, as the index has
 * them from the commits' trailers (cl_transition_replay): the record's
 * file is never read.  So a rebuild reads each commit once and no blob at
 * all, and the row is the same whichever way the index was built.
 * verify checks every row against the file at the tip.
 */
typedef struct replay {
	cl_record r;                    /* state, level, since, approvals */
	char commit[CL_OID_HEXSZ + 1];  /* its last transition's commit */
	const cl_machine *m;            /* the configuration's machine */
	size_t n;                       /* transitions folded */
} replay;

/* Starts the replay of record id; CL_EINVALID for an id that is not one. */
static int engine_replay_start(replay *p, const cl_machine *m, const char *id,
			       cl_error *err)
{
	char period[8], talent[CL_ID_MAX_BUF];
	int error;

	memset(p, 0, sizeof(*p));
	p->m = m;
	if ((error = cl_record_id_split(period, talent, id, err)) < 0)
		return error;
	p->r.id = cl_xstrdup(id);
	p->r.period = cl_xstrdup(period);
	p->r.talent = cl_xstrdup(talent);
	return 0;
}

static void engine_replay_release(replay *p)
{
	cl_record_clear_approvals(&p->r);
	free(p->r.id);
	free(p->r.period);
	free(p->r.talent);
	free(p->r.state);
	free(p->r.level);
	memset(p, 0, sizeof(*p));
}

static int engine_replay_one(const cl_index_transition *t, void *payload)
{
	replay *p = payload;

	cl_transition_replay(&p->r, p->m, t->action, t->actor, t->level, t->to,
			     t->grade, t->time);
	snprintf(p->commit, sizeof(p->commit), "%s", t->commit);
	p->n++;
	return 0;
}

/* Puts record id's row from its transitions in the index. */
static int engine_put_record(cl_home *h, const char *id, cl_error *err)
{
	replay p;
	int error;

	assert(h->has_cfg);
	if ((error = engine_replay_start(&p, h->machine, id, err)) == 0 &&
	    (error = cl_index_history(h->index, id, engine_replay_one, &p, err)) == 0) {
		if (!p.n)
			error = cl_error_set(err, CL_ENOTFOUND, "no record '%s'", id);
		else
			error = engine_index_record(h, &p.r, p.commit, err);
	}
	engine_replay_release(&p);
	return error;
}

typedef struct refresh_ctx {
	char **ids;     /* record ids collected */
	size_t n;       /* entries */
} refresh_ctx;

static int engine_collect(const cl_index_record *r, void *payload)
{
	refresh_ctx *c = payload;

	c->ids = cl_xrealloc(c->ids, cl_xmul(c->n + 1, sizeof(char *)));
	c->ids[c->n++] = cl_xstrdup(r->id);
	return 0;
}

static int engine_touched_find(const void *key, const void *elem)
{
	return strcmp(key, ((const touched *)elem)->id);
}

/* After a configuration change, who waits on what may change for every
 * record in flight; what else the rows say does not.  The records in
 * skip (nskip of them, sorted by id) were just put: they are left alone. */
static int engine_refresh_waiting(cl_home *h, const touched *skip, size_t nskip,
				  cl_error *err)
{
	cl_index_filter f = { 0 };
	refresh_ctx c = { NULL, 0 };
	size_t i;
	int error;

	f.in_flight = 1;
	error = cl_index_query(h->index, &f, engine_collect, &c, err);
	for (i = 0; i < c.n && !error; i++)
		if (!nskip || !bsearch(c.ids[i], skip, nskip, sizeof(*skip), engine_touched_find))
			error = engine_put_record(h, c.ids[i], err);
	cl_strv_free(c.ids, c.n);
	return error;
}

/* The transition of commit hex, made at time, whose message is msg. */
static cl_index_transition engine_transition(const char *hex, int64_t time,
					     const cl_message *msg)
{
	cl_index_transition t = { 0 };

	t.commit = (char *)hex;
	t.record = msg->record;
	t.time = time;
	t.actor = msg->actor;
	t.action = msg->action;
	t.from = msg->from;
	t.to = msg->to;
	t.level = msg->level;
	t.grade = msg->grade;
	t.comment = msg->comment;
	return t;
}

/* Parses the message of commit hex (read into ci) into msg. */
static int engine_message(cl_message *msg, const char *hex, const cl_commit_info *ci,
			  cl_error *err)
{
	int error = cl_message_parse(msg, ci->message, err);

	if (error < 0)
		cl_error_prefix(err, "commit %s", hex);
	return error;
}

/* Adds commit's transition (from its message) and notes its record. */
static int engine_apply_message(catch_ctx *c, const cl_oid *commit)
{
	char hex[CL_OID_HEXSZ + 1];
	cl_commit_info ci = { 0 };
	cl_message msg = { 0 };
	cl_index_transition t;
	int error;

	cl_oid_fmt(hex, commit);
	if ((error = cl_store_commit_info(c->h->store, commit, &ci, c->err)) < 0)
		return error;
	if ((error = engine_message(&msg, hex, &ci, c->err)) < 0)
		goto done;
	t = engine_transition(hex, ci.time, &msg);
	if ((error = cl_index_add_transition(c->h->index, &t, c->err)) < 0 || c->defer)
		goto done;
	if (msg.record)
		engine_touch(c, msg.record);
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

	cl_home_config_key(&key, h->cfg_key);
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
			continue; /* once per record */
		error = engine_put_record(h, c->t[i].id, c->err);
	}
	if (!error && c->config)
		error = engine_refresh_waiting(h, c->t, c->nt, c->err);
	if (!error)
		error = engine_store_config_key(h, c->err);
	return error;
}

/*
 * The end of a bulk load: its chunks applied the transitions only, and
 * here every record is put once, as commit by commit would have left it:
 * from its transitions (cl_transition_replay), read record by record in
 * id order from the index on (record, seq), with the configuration at the
 * head (who waits on a record in flight follows the newest
 * configuration; a finished record has no one waiting).  No record file
 * is read, and rows go in in id order: random inserts are what bulk
 * loading avoids.
 */
typedef struct bulk_ctx {
	cl_home *h;
	replay p;         /* the record being replayed (p.r.id NULL: none) */
	int64_t named;    /* records the transitions name */
	int64_t put;      /* records put */
	cl_error *err;
} bulk_ctx;

/* Puts the record replayed so far, if any. */
static int engine_bulk_put(bulk_ctx *c)
{
	int error;

	if (!c->p.r.id)
		return 0;
	error = engine_index_record(c->h, &c->p.r, c->p.commit, c->err);
	engine_replay_release(&c->p);
	if (!error)
		cl_progress("indexing records", (size_t)++c->put, (size_t)c->named);
	return error;
}

static int engine_bulk_trail(const cl_index_transition *t, void *payload)
{
	bulk_ctx *c = payload;
	int error;

	if (!c->p.r.id || strcmp(c->p.r.id, t->record)) {
		if ((error = engine_bulk_put(c)) < 0 ||
		    (error = engine_replay_start(&c->p, c->h->machine, t->record, c->err)) < 0)
			return error;
	}
	return engine_replay_one(t, &c->p);
}

/* Ends a bulk load at commit `at`, the head the caller commits with. */
static int engine_bulk_complete(cl_home *h, const cl_oid *at, cl_error *err)
{
	bulk_ctx c = { 0 };
	int error;

	c.h = h;
	c.err = err;
	if ((error = cl_index_bulk_history(h->index, err)) < 0 ||
	    (error = cl_home_use_config(h, at, err)) < 0 ||
	    (error = cl_index_named(h->index, &c.named, err)) < 0)
		return error;
	error = cl_index_trails(h->index, engine_bulk_trail, &c, err);
	if (!error)
		error = engine_bulk_put(&c);
	engine_replay_release(&c.p);
	if (!error && (error = cl_index_bulk_end(h->index, err)) == 0)
		error = engine_store_config_key(h, err);
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

/*
 * An empty index (a reindex, a new index file, a schema rebuilt) is
 * loaded in one pass over the history, from the tip back to the root, in
 * one transaction.  Each commit is read once and gives both its transition
 * and its first parent: going forward in chunks reads every commit twice,
 * once to find the chain and once for its message.  The transitions get
 * seq -1 for the tip, -2 for its parent, and so on, so that seq still
 * orders them as applied (and rows added later, numbered after the
 * largest, follow them).  They are written in runs of ENGINE_LOAD_RUN,
 * each in ascending seq: a B-tree filled only from its left end would
 * leave its pages half full.  The records are then put as at the end of
 * any bulk load (engine_bulk_complete).
 *
 * One transaction: a reader keeps answering from the index as it was,
 * and a process killed meanwhile leaves it so (reindex empties it in the
 * same transaction).  The price is a write-ahead log as big as the index
 * until the checkpoint after the commit, and writers' index updates wait
 * (a transition is still committed; its index row follows, as after any
 * lag).
 */
#define ENGINE_LOAD_RUN 16384

typedef struct load_entry {
	char hex[CL_OID_HEXSZ + 1]; /* the commit */
	int64_t time;               /* its time */
	cl_message msg;             /* its message, parsed */
} load_entry;

/*
 * The records of a load are put while the walk goes on, not at its end.
 * The walk meets a record's transitions newest first, and its row depends
 * only on those since its last submission: a submission starts a round
 * (cl_transition_replay clears the approvals), and every transition sets
 * state, level and since.  So the transitions met are kept for the record
 * (it is open) until its last submission comes; the row is then computed
 * from them, oldest first, with the configuration at the tip, and the
 * record is closed: its older transitions are passed over.  A record the
 * walk meets no submission of is put at the end, from all of its
 * transitions.  Either way the row is what engine_put_record computes
 * from the whole trail.
 *
 * Closed records are bits, one per period and person of the tip's
 * configuration (57 KB for 20 periods of a province), so that memory
 * follows the records in flight, not the history.  A talent the
 * configuration does not know stays in the open table, marked closed.
 * The rows come in no useful order: they go to the index's staging
 * (cl_index_stage_begin), which sorts them into place at the end.
 */
typedef struct load_tx {
	int64_t time;
	char commit[CL_OID_HEXSZ + 1];
	const char *action, *actor, *level, *to, *grade; /* into str, or NULL */
	char str[];
} load_tx;

typedef struct load_open {
	struct load_open *next; /* in its bucket */
	load_tx **tx;           /* the transitions met, newest first */
	size_t n, cap;
	int closed;             /* put already (a talent not in the
				 * configuration: no bit to say it) */
	char id[];
} load_open;

typedef struct load_period {
	char name[8];           /* "2022H2" */
	unsigned char *bits;    /* closed records: one bit per person */
} load_period;

typedef struct load_recs {
	cl_home *h;             /* its configuration is the tip's */
	load_open **bucket;     /* open records, chained */
	size_t nbucket, nopen;
	load_period *period;    /* periods met, few */
	size_t nperiod;
	size_t last;            /* the period looked up last */
} load_recs;

#define LOAD_BUCKETS 4096

static void load_recs_init(load_recs *L, cl_home *h)
{
	memset(L, 0, sizeof(*L));
	L->h = h;
	L->nbucket = LOAD_BUCKETS;
	L->bucket = cl_xcalloc(L->nbucket, sizeof(load_open *));
}

static void load_open_free(load_open *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->tx[i]);
	free(o->tx);
	free(o);
}

static void load_recs_release(load_recs *L)
{
	size_t i;
	load_open *o, *next;

	for (i = 0; i < L->nbucket; i++)
		for (o = L->bucket[i]; o; o = next) {
			next = o->next;
			load_open_free(o);
		}
	free(L->bucket);
	for (i = 0; i < L->nperiod; i++)
		free(L->period[i].bits);
	free(L->period);
	memset(L, 0, sizeof(*L));
}

/* Doubles the buckets once the open records outnumber them. */
static void load_recs_grow(load_recs *L)
{
	size_t n = L->nbucket * 2, i;
	load_open **b = cl_xcalloc(n, sizeof(load_open *)), *o, *next;

	for (i = 0; i < L->nbucket; i++)
		for (o = L->bucket[i]; o; o = next) {
			size_t k = cl_hash_fnv1a(o->id) % n;

			next = o->next;
			o->next = b[k];
			b[k] = o;
		}
	free(L->bucket);
	L->bucket = b;
	L->nbucket = n;
}

/* The open record id, added when not there. */
static load_open *load_open_get(load_recs *L, const char *id)
{
	load_open *o, **slot;
	size_t len;

	slot = &L->bucket[cl_hash_fnv1a(id) % L->nbucket];
	for (o = *slot; o; o = o->next)
		if (!strcmp(o->id, id))
			return o;
	len = strlen(id);
	o = cl_xcalloc(1, sizeof(*o) + len + 1);
	memcpy(o->id, id, len + 1);
	o->next = *slot;
	*slot = o;
	if (++L->nopen > L->nbucket)
		load_recs_grow(L);
	return o;
}

static void load_open_remove(load_recs *L, load_open *o)
{
	load_open **p = &L->bucket[cl_hash_fnv1a(o->id) % L->nbucket];

	while (*p != o)
		p = &(*p)->next;
	*p = o->next;
	L->nopen--;
	load_open_free(o);
}

/* The byte holding record id's closed bit, and its mask; NULL when the
 * id has no bit (its talent is not in the configuration, or it is not a
 * record id: the put reports that). */
static unsigned char *load_closed_bit(load_recs *L, const char *id,
				      unsigned char *mask)
{
	const cl_people *people = L->h->cfg->people;
	const char *slash = strchr(id, '/');
	size_t plen = slash ? (size_t)(slash - id) : 0, who, i;

	if (!slash || plen >= sizeof(L->period[0].name) ||
	    (who = cl_strmap_get(&people->byid, slash + 1)) == CL_NONE)
		return NULL;
	i = L->last;
	if (i >= L->nperiod || strncmp(L->period[i].name, id, plen) ||
	    L->period[i].name[plen]) {
		for (i = 0; i < L->nperiod; i++)
			if (!strncmp(L->period[i].name, id, plen) &&
			    !L->period[i].name[plen])
				break;
		if (i == L->nperiod) {
			L->period = cl_xrealloc(L->period, cl_xmul(L->nperiod + 1,
								   sizeof(*L->period)));
			memcpy(L->period[i].name, id, plen);
			L->period[i].name[plen] = '\0';
			L->period[i].bits = cl_xcalloc(people->npeople / 8 + 1, 1);
			L->nperiod++;
		}
		L->last = i;
	}
	*mask = (unsigned char)(1u << (who % 8));
	return &L->period[i].bits[who / 8];
}

static char *load_tx_str(char **at, const char *s)
{
	char *p = *at;
	size_t len;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	memcpy(p, s, len);
	*at += len;
	return p;
}

/* A copy of what cl_transition_replay needs of t, in one allocation. */
static load_tx *load_tx_new(const cl_index_transition *t)
{
	const char *s[] = { t->action, t->actor, t->level, t->to, t->grade };
	size_t len = 0, i;
	load_tx *x;
	char *at;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		len += s[i] ? strlen(s[i]) + 1 : 0;
	x = cl_xmalloc(sizeof(*x) + len);
	x->time = t->time;
	snprintf(x->commit, sizeof(x->commit), "%s", t->commit);
	at = x->str;
	x->action = load_tx_str(&at, t->action);
	x->actor = load_tx_str(&at, t->actor);
	x->level = load_tx_str(&at, t->level);
	x->to = load_tx_str(&at, t->to);
	x->grade = load_tx_str(&at, t->grade);
	return x;
}

/* Puts open record o's row from the transitions kept, oldest first. */
static int load_put(load_recs *L, load_open *o, cl_error *err)
{
	replay p;
	size_t i;
	int error;

	if ((error = engine_replay_start(&p, L->h->machine, o->id, err)) == 0) {
		for (i = o->n; i-- > 0;)
			cl_transition_replay(&p.r, p.m, o->tx[i]->action, o->tx[i]->actor,
					     o->tx[i]->level, o->tx[i]->to,
					     o->tx[i]->grade, o->tx[i]->time);
		error = engine_index_record(L->h, &p.r, o->tx[0]->commit, err);
	}
	engine_replay_release(&p);
	return error;
}

/* The walk met t, older than every transition it met before. */
static int load_see(load_recs *L, const cl_index_transition *t, cl_error *err)
{
	unsigned char mask = 0, *bit;
	load_open *o;
	cl_action act;
	int error;

	if (!t->record)
		return 0; /* a configuration change */
	bit = load_closed_bit(L, t->record, &mask);
	if (bit && (*bit & mask))
		return 0;
	o = load_open_get(L, t->record);
	if (o->closed)
		return 0;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 4;
		o->tx = cl_xrealloc(o->tx, cl_xmul(o->cap, sizeof(load_tx *)));
	}
	o->tx[o->n++] = load_tx_new(t);
	if (cl_action_parse(&act, t->action) < 0 || act != CL_ACTION_SUBMIT)
		return 0;
	if ((error = load_put(L, o, err)) < 0)
		return error;
	if (bit) {
		*bit |= mask;
		load_open_remove(L, o);
	} else {
		o->closed = 1;
	}
	return 0;
}

/* The walk is over: puts the records still open. */
static int load_recs_finish(load_recs *L, cl_error *err)
{
	load_open *o;
	size_t i;
	int error = 0;

	for (i = 0; i < L->nbucket && !error; i++)
		for (o = L->bucket[i]; o && !error; o = o->next)
			if (!o->closed)
				error = load_put(L, o, err);
	return error;
}

/* Writes run[0 .. n) oldest first, run[i] being the (back + i + 1)-th
 * commit counting back from the tip; meets their records newest first;
 * then releases their messages. */
static int engine_load_run(load_recs *L, load_entry *run, size_t n, int64_t back,
			   cl_error *err)
{
	cl_index_transition t;
	size_t i;
	int error = 0;

	for (i = n; i-- > 0 && !error;) {
		t = engine_transition(run[i].hex, run[i].time, &run[i].msg);
		t.seq = -(back + (int64_t)i + 1);
		error = cl_index_add_transition(L->h->index, &t, err);
	}
	for (i = 0; i < n && !error; i++) {
		t = engine_transition(run[i].hex, run[i].time, &run[i].msg);
		error = load_see(L, &t, err);
	}
	for (i = 0; i < n; i++)
		cl_message_release(&run[i].msg);
	return error;
}

/*
 * The walk reads commits in a thread of its own while the caller's thread
 * writes the runs it hands over: reading and parsing a commit costs about
 * what writing its row does, so the two overlap.  Two runs: the walker
 * fills one while the writer writes the other.  The walker uses the
 * store, the writer the index; neither touches the other's until the
 * walker has ended (joined).
 */
typedef struct load_walk {
	cl_home *h;
	load_recs recs;       /* the writer's: the records met */
	load_entry *run[2];   /* the two runs */
	size_t n[2];          /* entries in each */
	int full[2];          /* run i waits for the writer */
	int ended;            /* the walk is over: root, error or stop */
	int stop;             /* the writer failed: the walker stops */
	int64_t expect;       /* commits expected, for progress (0: unknown) */
	int64_t done;         /* commits read */
	int error;            /* the walker's outcome */
	cl_error err;         /* its error */
	cl_oid tip;           /* where it starts */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} load_walk;

static void engine_run_release(load_entry *run, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl_message_release(&run[i].msg);
}

/* Hands run k, n entries, to the writer; waits until the other run is
 * free.  0, or 1 when the writer stopped. */
static int engine_walk_hand(load_walk *w, int k, size_t n)
{
	int stop;

	pthread_mutex_lock(&w->mu);
	w->n[k] = n;
	w->full[k] = 1;
	pthread_cond_broadcast(&w->cv);
	while (w->full[!k] && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

static void *engine_walk(void *payload)
{
	load_walk *w = payload;
	cl_commit_info ci = { 0 };
	cl_oid at = w->tip;
	size_t n = 0;
	int k = 0, root = 0, error = 0;

	while (!root) {
		load_entry *e = &w->run[k][n];

		cl_oid_fmt(e->hex, &at);
		if ((error = cl_store_commit_info(w->h->store, &at, &ci, &w->err)) < 0 ||
		    (error = engine_message(&e->msg, e->hex, &ci, &w->err)) < 0)
			break;
		e->time = ci.time;
		n++;
		root = ci.nparents == 0;
		at = ci.parent;
		cl_commit_info_release(&ci);
		/* a history longer than expected: count without a total */
		++w->done;
		cl_progress("indexing", (size_t)w->done,
			    w->done <= w->expect ? (size_t)w->expect : 0);
		if (n == ENGINE_LOAD_RUN || root) {
			if (engine_walk_hand(w, k, n)) {
				n = 0; /* handed: released by the caller */
				break;
			}
			k = !k;
			n = 0;
		}
	}
	cl_commit_info_release(&ci);
	engine_run_release(w->run[k], n); /* a run not handed over */
	pthread_mutex_lock(&w->mu);
	w->error = error;
	w->ended = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Stops the walker, if it still runs, and returns once it has ended. */
static void engine_walk_stop(load_walk *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	while (!w->ended)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Writes the runs the walker hands over, oldest last.  The walker has
 * ended when this returns. */
static int engine_write_runs(load_walk *w, cl_error *err)
{
	int64_t written = 0;
	int k = 0, error = 0, have;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->full[k] && !w->ended)
			pthread_cond_wait(&w->cv, &w->mu);
		have = w->full[k];
		pthread_mutex_unlock(&w->mu);
		if (!have)
			break;
		error = engine_load_run(&w->recs, w->run[k], w->n[k], written, err);
		written += (int64_t)w->n[k];
		pthread_mutex_lock(&w->mu);
		w->full[k] = 0;
		w->stop = error < 0;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		if (error < 0)
			break;
		k = !k;
	}
	engine_walk_stop(w); /* ended already, unless the writer failed */
	return error;
}

/* Loads the index, empty or emptied first (reset), up to the tip; expect
 * is how many commits that should be, for progress (0: unknown).
 * CL_EMOVED when, without reset, the index is no longer empty. */
static int engine_load(cl_home *h, int reset, int64_t expect, cl_error *err)
{
	char head[CL_OID_HEXSZ + 1], tip_hex[CL_OID_HEXSZ + 1];
	load_walk w;
	pthread_t walker;
	int error, k;

	memset(&w, 0, sizeof(w));
	w.h = h;
	w.expect = expect;
	cl_error_clear(&w.err);
	if ((error = cl_index_begin(h->index, err)) < 0)
		return error;
	if ((error = cl_index_head(h->index, head, err)) < 0 ||
	    (!reset && *head && (error = CL_EMOVED) < 0) ||
	    (error = cl_store_tip(h->store, &w.tip, err)) < 0 ||
	    /* before the walker takes the store */
	    (error = cl_home_use_config(h, &w.tip, err)) < 0)
		goto done;
	cl_oid_fmt(tip_hex, &w.tip);
	load_recs_init(&w.recs, h);
	w.run[0] = cl_xcalloc(ENGINE_LOAD_RUN, sizeof(load_entry));
	w.run[1] = cl_xcalloc(ENGINE_LOAD_RUN, sizeof(load_entry));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (pthread_create(&walker, NULL, engine_walk, &w) != 0) {
		error = cl_error_set(err, CL_EINTERNAL, "cannot start a thread to read the history");
	} else {
		/* the walk starts while the old rows go */
		if ((error = cl_index_reset(h->index, err)) == 0 &&
		    (error = cl_index_bulk_begin(h->index, err)) == 0 &&
		    (error = cl_index_stage_begin(h->index, err)) == 0)
			error = engine_write_runs(&w, err);
		else
			engine_walk_stop(&w);
		pthread_join(walker, NULL);
		if (w.error < 0 && error >= 0) {
			*err = w.err;
			error = w.error;
		}
	}
	for (k = 0; k < 2; k++)
		if (w.full[k])
			engine_run_release(w.run[k], w.n[k]);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	free(w.run[0]);
	free(w.run[1]);
	if (!error && w.done != expect) /* end the line */
		cl_progress("indexing", (size_t)w.done, (size_t)w.done);
	if (!error && (error = load_recs_finish(&w.recs, err)) == 0 &&
	    (error = cl_index_stage_end(h->index, err)) == 0 &&
	    (error = cl_index_bulk_end(h->index, err)) == 0 &&
	    (error = engine_store_config_key(h, err)) == 0)
		error = cl_index_commit(h->index, tip_hex, err);
	load_recs_release(&w.recs);
done:
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
	if (!*c.prev)
		return engine_load(h, 0, 0, err);
	if (cl_oid_parse(&from, c.prev) < 0)
		return cl_error_set(err, CL_ESTORE, "index head '%s' is not a commit id", c.prev);
	if (cl_oid_equal(&from, &tip))
		return engine_bulk_finish(h, c.prev, err);
	error = cl_store_chain(&c.ids, &c.n, h->store, &from, &tip, err);
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

/* The whole history again, in one transaction that empties the index
 * first; then whatever was committed meanwhile. */
int cl_home_reindex(cl_home *h, cl_error *err)
{
	size_t cache = 0;
	int64_t expect = 0;
	int error, limited;

	/* what the index held: the length of the history, unless it lagged */
	if ((error = cl_index_counts(h->index, NULL, &expect, err)) < 0)
		return error;
	limited = cl_store_cache_limit(ENGINE_CATCH_UP_CACHE, &cache) == 0;
	error = engine_load(h, 1, expect, err);
	if (limited)
		cl_store_cache_limit(cache, NULL);
	if (error < 0)
		return error;
	return cl_home_catch_up(h, err);
}
