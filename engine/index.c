/*
 * index.c - the derived query index, see index.h.
 *
 * Why this exists: the history (git) is the system of record, but "what
 * waits on me", "what is in flight in 2022H2" or "what happened to this
 * record" would each mean walking every commit.  This module keeps those
 * answers in sqlite, applied one commit per transaction, so that commands
 * answer from an index that can be thrown away and rebuilt at any time.
 *
 * Rules kept here:
 *
 *  - SQL text is constant.  cl_index_query() picks constant fragments by
 *    which filters are set; every value is bound, never spliced in.
 *
 *  - The fixed statements and the query shapes (one per combination of
 *    filters) are prepared on first use and kept (persistent), and are
 *    reset, with their bindings cleared, after every use, so that none
 *    keeps a read snapshot open or points at caller memory between calls.
 *    A callback may call the read functions of the same handle: a
 *    statement that is still mid-iteration is then not reused, a
 *    temporary copy is prepared instead.  Callbacks must not write.
 *
 *  - Writers take the write lock up front (BEGIN IMMEDIATE) and wait for it
 *    up to the busy timeout, so two writers serialise instead of failing
 *    half-way.  Readers only ever run SELECTs, inside a deferred read
 *    transaction when several statements must see one WAL snapshot, so a
 *    read-only command never holds the write lock.  Opening writes only
 *    when the schema has to be created.
 *
 *  - Schema version: PRAGMA user_version = INDEX_SCHEMA.  A file with any
 *    other version (0: new or unversioned; another number: an older or a
 *    newer chainlog) gets its tables dropped and recreated, with no head.
 *    The index is derived, so rather than refusing to open and asking the
 *    user to rebuild it by hand, we leave head "" and the caller re-applies
 *    the history as it does for a new index.
 *
 *  - A cl_index is used by one thread at a time (SQLITE_OPEN_NOMUTEX).
 */
#include "index.h"
#include "buf.h"
#include "util.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_SCHEMA 9
#define INDEX_BUSY_MS 10000
/* write-ahead log pages after which a commit checkpoints (see
 * index_wal_hook): some five transitions; for a process that writes many
 * (cl_index_long_lived), some twenty */
#define INDEX_WAL_PAGES 64
#define INDEX_WAL_PAGES_LONG 256
/* sqlite's page cache (see index_cache): for writes, sqlite's default of
 * 2 MB; from a read snapshot to the next write, 16 pages; while a bulk
 * load puts its records, 8 MB (see cl_index_bulk_history) */
enum { INDEX_CACHE_WRITE, INDEX_CACHE_READ, INDEX_CACHE_BULK };

/* The tables, without the secondary indexes (index_secondary below). */
static const char index_schema_sql[] =
	"DROP TABLE IF EXISTS meta;"
	"DROP TABLE IF EXISTS records;"
	"DROP TABLE IF EXISTS record_yaml;" /* schema 6 and before kept the
					     * record files; rows now come
					     * from the trailers alone */
	"DROP TABLE IF EXISTS waiting;"
	"DROP TABLE IF EXISTS transitions;"
	"DROP TABLE IF EXISTS list_pages;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE records (id TEXT PRIMARY KEY NOT NULL,"
	" period TEXT NOT NULL, talent TEXT NOT NULL, state TEXT NOT NULL,"
	" level TEXT, since INTEGER NOT NULL, commit_id BLOB NOT NULL,"
	" waiting BLOB NOT NULL, due INTEGER NOT NULL, line TEXT NOT NULL)"
	" WITHOUT ROWID;"
	/* keyed by record: a put replaces its rows off the key, and a bulk
	 * load, putting records in id order, appends them; who waits on a
	 * person is read off waiting_person */
	"CREATE TABLE waiting (record TEXT NOT NULL, person TEXT NOT NULL,"
	" PRIMARY KEY (record, person)) WITHOUT ROWID;"
	/* a period's list lines in runs (see index_pages_put): derived from
	 * records alone */
	"CREATE TABLE list_pages (period TEXT NOT NULL, first TEXT NOT NULL,"
	" text TEXT NOT NULL, PRIMARY KEY (period, first)) WITHOUT ROWID;"
	/* seq is the rowid: transitions are never deleted one by one, so it
	 * only grows within a build and gives the order they were applied */
	"CREATE TABLE transitions (seq INTEGER PRIMARY KEY,"
	" commit_id BLOB NOT NULL, record TEXT, time INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT,"
	" to_state TEXT, level TEXT, grade TEXT, comment TEXT);"
	"PRAGMA user_version = 9;";

/*
 * The indexes a bulk load drops and builds again (see cl_index_bulk_begin),
 * each with its name for the DROP.  transitions_commit comes last: built
 * last and dropped first, its presence says whether the index is in bulk.
 */
static const struct {
	const char *name, *sql;
} index_secondary[] = {
	/* first: a bulk load builds it alone before its records go in
	 * (cl_index_bulk_history), the records' indexes after them */
	{ "transitions_record", "CREATE INDEX IF NOT EXISTS transitions_record"
	  " ON transitions (record, seq)" },
	/* (person, record) in a table keyed by (record, person): a queue */
	{ "waiting_person", "CREATE INDEX IF NOT EXISTS waiting_person"
	  " ON waiting (person)" },
	/* (state, id) in a table keyed by id: also a period's rows in a
	 * state, as an id range within the state */
	{ "records_state", "CREATE INDEX IF NOT EXISTS records_state ON records (state)" },
	{ "records_talent", "CREATE INDEX IF NOT EXISTS records_talent ON records (talent)" },
	{ "transitions_commit", "CREATE UNIQUE INDEX IF NOT EXISTS"
	  " transitions_commit ON transitions (commit_id)" },
};

#define INDEX_NSECONDARY (sizeof(index_secondary) / sizeof(index_secondary[0]))

static const char index_reset_sql[] =
	"DELETE FROM waiting;"
	"DELETE FROM records;"
	"DELETE FROM transitions;"
	"DELETE FROM list_pages;"
	"DELETE FROM meta;";

/* waiting is also a column: the waiting table's rows for the record, in
 * person order, each followed by a NUL, so that a read needs no second
 * lookup per record */
#define INDEX_RECORD_COLUMNS \
	"SELECT r.id, r.period, r.talent, r.state, r.level, r.since," \
	" r.commit_id, r.waiting, r.due"

/* The fixed statements, each prepared on first use (index_stmt): a read
 * command uses four of them, and preparing all twenty at open cost it
 * half a millisecond. */
enum {
	IX_BEGIN_WRITE,
	IX_BEGIN_READ,
	IX_COMMIT,
	IX_ROLLBACK,
	IX_HEAD_GET,
	IX_HEAD_SET,
	IX_META_GET,
	IX_META_SET,
	IX_RECORD_PUT,
	IX_RECORD_GET,
	IX_WAITING_DEL,
	IX_WAITING_ADD,
	IX_TRANSITION_ADD,
	IX_TRANSITION_APPEND,
	IX_BULK_PROBE,
	IX_HISTORY,
	IX_COUNT_RECORDS,
	IX_COUNT_TRANSITIONS,
	IX_COUNT_NAMED,
	IX_TRAILS,
	IX_STAGE_RECORD,
	IX_STAGE_WAITING,
	IX_PAGE_FLOOR,
	IX_PAGE_THIRD,
	IX_PAGE_LINES,
	IX_PAGE_LINES_ALL,
	IX_PAGE_DROP,
	IX_PAGE_PUT,
	IX_NSTMT
};

static const char *const index_sql[IX_NSTMT] = {
	[IX_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[IX_BEGIN_READ] = "BEGIN DEFERRED",
	[IX_COMMIT] = "COMMIT",
	[IX_ROLLBACK] = "ROLLBACK",
	[IX_HEAD_GET] = "SELECT value FROM meta WHERE key = 'head'",
	[IX_HEAD_SET] = "INSERT INTO meta (key, value) VALUES ('head', ?1)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[IX_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[IX_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[IX_RECORD_PUT] = "INSERT INTO records (id, period, talent, state,"
		" level, since, commit_id, waiting, due, line)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (id) DO UPDATE SET period = excluded.period,"
		" talent = excluded.talent, state = excluded.state,"
		" level = excluded.level, since = excluded.since,"
		" commit_id = excluded.commit_id, waiting = excluded.waiting,"
		" due = excluded.due, line = excluded.line",
	[IX_RECORD_GET] = INDEX_RECORD_COLUMNS " FROM records r"
		" WHERE r.id = ?1",
	[IX_WAITING_DEL] = "DELETE FROM waiting WHERE record = ?1",
	/* a person listed twice waits once */
	[IX_WAITING_ADD] = "INSERT INTO waiting (record, person)"
		" VALUES (?1, ?2) ON CONFLICT (record, person) DO NOTHING",
	/* re-applying a commit keeps the first row, and so its seq; unlike
	 * INSERT OR IGNORE this does not also swallow NOT NULL violations,
	 * and unlike ON CONFLICT it prepares while a bulk load has dropped
	 * the unique index (a handle opened then must still work after) */
	[IX_TRANSITION_ADD] = "INSERT INTO transitions (commit_id, record,"
		" time, actor, action, from_state, to_state, level, grade,"
		" comment) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
		" WHERE NOT EXISTS (SELECT 1 FROM transitions WHERE commit_id = ?1)",
	/* the same during a bulk load, which has no index to conflict on:
	 * a commit applied twice then fails when the index is built.  ?11
	 * is the place the caller gives (a load from the tip back), or NULL
	 * (unbound): after the last, as a NULL rowid always is */
	[IX_TRANSITION_APPEND] = "INSERT INTO transitions (commit_id, record,"
		" time, actor, action, from_state, to_state, level, grade,"
		" comment, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[IX_BULK_PROBE] = "SELECT 1 FROM sqlite_schema WHERE type = 'index'"
		" AND name = 'transitions_commit'",
	/* IS matches NULL for ?1 NULL (configuration changes) */
	[IX_HISTORY] = "SELECT commit_id, record, time, actor, action,"
		" from_state, to_state, level, grade, comment FROM transitions"
		" WHERE record IS ?1 ORDER BY seq",
	[IX_COUNT_RECORDS] = "SELECT count(*) FROM records",
	[IX_COUNT_TRANSITIONS] = "SELECT count(*) FROM transitions",
	/* the three below read transitions_record: not during a bulk load */
	/* count(DISTINCT) leaves out NULL: configuration changes */
	[IX_COUNT_NAMED] = "SELECT count(DISTINCT record) FROM transitions",
	/* every record's transitions, record by record, from the index on
	 * (record, seq): no sort */
	/* while staging (cl_index_stage_begin): the tables it creates */
	[IX_STAGE_RECORD] = "INSERT INTO temp.stage_records (id, period,"
		" talent, state, level, since, commit_id, waiting, due, line)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[IX_STAGE_WAITING] = "INSERT INTO temp.stage_waiting (record, person)"
		" VALUES (?1, ?2)",
	/* the list's pages (index_pages_put): the run a record falls in, the
	 * third run from an id on, the lines of a range of records, all */
	[IX_PAGE_FLOOR] = "SELECT first FROM list_pages WHERE period = ?1"
		" AND first <= ?2 ORDER BY first DESC LIMIT 1",
	[IX_PAGE_THIRD] = "SELECT first FROM list_pages WHERE period = ?1"
		" AND first >= ?2 ORDER BY first LIMIT 1 OFFSET 2",
	[IX_PAGE_LINES] = "SELECT id, line FROM records WHERE id >= ?1"
		" AND id < ?2 ORDER BY id",
	[IX_PAGE_LINES_ALL] = "SELECT id, line, period FROM records ORDER BY id",
	[IX_PAGE_DROP] = "DELETE FROM list_pages WHERE period = ?1"
		" AND first >= ?2 AND first < ?3",
	[IX_PAGE_PUT] = "INSERT INTO list_pages (period, first, text)"
		" VALUES (?1, ?2, ?3)",
	[IX_TRAILS] = "SELECT commit_id, record, time, actor, action,"
		" from_state, to_state, level, grade, comment FROM transitions"
		" WHERE record IS NOT NULL ORDER BY record, seq",
};

/* Bits of a query shape: which filters are set. */
enum {
	IX_Q_PERIOD = 1 << 0,
	IX_Q_STATE = 1 << 1,
	IX_Q_WAITING = 1 << 2,
	IX_Q_TALENT = 1 << 3,
	IX_Q_IN_FLIGHT = 1 << 4,
	IX_Q_BRIEF = 1 << 5,
	IX_Q_LINES = 1 << 6,
	IX_Q_PAGES = 1 << 7,
	IX_Q_SHAPES = 1 << 8
};

struct cl_index {
	sqlite3 *db;                      /* the connection */
	char *path;                       /* the file, for messages */
	sqlite3_stmt *stmt[IX_NSTMT];     /* fixed statements, see index_sql */
	sqlite3_stmt *query[IX_Q_SHAPES]; /* by filter bits; NULL until used */
	int writing;                      /* in cl_index_begin .. commit */
	int bulk;                         /* the secondary indexes are gone,
					   * as of the last cl_index_bulk*() */
	int snapshot;                     /* in cl_index_read_begin .. end */
	int cache;                        /* INDEX_CACHE_*: the page cache's
					   * size, as index_cache last set it */
	int busy;                         /* the last cl_index_begin() found
					   * another writer past the timeout */
	int emptied;                      /* who waits was emptied for a bulk
					   * load's puts (cl_index_bulk_history):
					   * a put has no rows to delete */
	int staging;                      /* puts go to the staging tables
					   * (cl_index_stage_begin) */
	int log_limit;                    /* log pages that make a commit
					   * checkpoint (index_wal_hook) */
	int log_pages;                    /* the log's pages after this
					   * connection's last commit */
};

static int index_fail(cl_index *ix, cl_error *err, const char *fmt, ...)
	CL_PRINTF(3, 4);

/* Reports CL_ESTORE: what we were doing, then sqlite's message.  Call it
 * right after the failing call, before the statement is reset. */
static int index_fail(cl_index *ix, cl_error *err, const char *fmt, ...)
{
	char what[CL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cl_error_set(err, CL_ESTORE, "%s: %s", what,
			    sqlite3_errmsg(ix->db));
}

/* Readies a statement for its next use; NULL is fine. */
static void index_reset(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds s, or NULL when s is NULL.  Bindings are cleared after every use,
 * so the statement never outlives the caller's strings. */
static int index_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* A copy of column i, or NULL when the column is NULL. */
static char *index_column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	s = sqlite3_column_text(st, i);
	if (!s)
		cl_die("out of memory");
	return cl_xstrndup((const char *)s, (size_t)sqlite3_column_bytes(st, i));
}

/* Appends the bytes of column i (a blob, or text without its NUL). */
static void index_column_put(cl_buf *out, sqlite3_stmt *st, int i)
{
	const void *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (n && !p)
		cl_die("out of memory");
	if (n)
		cl_buf_put(out, p, n);
}

static int index_stmt(cl_index *ix, int which, sqlite3_stmt **out, cl_error *err);

/* Steps fixed statement which, which returns no rows, and resets it. */
static int index_exec(cl_index *ix, int which, cl_error *err,
		      const char *what)
{
	sqlite3_stmt *st;
	int error;

	if ((error = index_stmt(ix, which, &st, err)) < 0)
		return error;
	if (sqlite3_step(st) != SQLITE_DONE)
		error = index_fail(ix, err, "%s", what);
	index_reset(st);
	return error;
}

/* 40 lowercase hex digits, as git prints a commit id. */
static int index_hex_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[40] == '\0';
}

/*
 * Commit ids are kept as the 20 bytes their 40 hex digits spell: half the
 * room in the rows and in transitions_commit.  The API speaks hex.
 */
#define INDEX_OID_RAW 20
#define INDEX_OID_HEX (2 * INDEX_OID_RAW + 1)

static int index_bind_commit(sqlite3_stmt *st, int i, const char *hex)
{
	unsigned char raw[INDEX_OID_RAW];
	size_t k;

	if (!index_hex_valid(hex))
		return SQLITE_MISMATCH; /* the checks before a bind refuse it */
	for (k = 0; k < INDEX_OID_RAW; k++) {
		unsigned hi = (unsigned char)hex[2 * k], lo = (unsigned char)hex[2 * k + 1];

		hi = hi <= '9' ? hi - '0' : hi - 'a' + 10;
		lo = lo <= '9' ? lo - '0' : lo - 'a' + 10;
		raw[k] = (unsigned char)(hi << 4 | lo);
	}
	return sqlite3_bind_blob(st, i, raw, INDEX_OID_RAW, SQLITE_TRANSIENT);
}

/* Column i's commit id, in hex, into out; NULL for NULL.  Bytes that are
 * no commit id (written by another program) read as "". */
static char *index_column_commit(sqlite3_stmt *st, int i, char out[INDEX_OID_HEX])
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = sqlite3_column_blob(st, i);
	size_t k;

	if (!p)
		return NULL;
	if (sqlite3_column_bytes(st, i) != INDEX_OID_RAW) {
		out[0] = '\0';
		return out;
	}
	for (k = 0; k < INDEX_OID_RAW; k++) {
		out[2 * k] = digits[p[k] >> 4];
		out[2 * k + 1] = digits[p[k] & 15];
	}
	out[2 * INDEX_OID_RAW] = '\0';
	return out;
}

/* Inside cl_index_begin .. commit/rollback, and sqlite agrees (it ends a
 * transaction by itself after some errors). */
static int index_writing(cl_index *ix)
{
	return ix->writing && !sqlite3_get_autocommit(ix->db);
}

static int index_prepare(cl_index *ix, const char *sql, unsigned flags,
			 sqlite3_stmt **out, cl_error *err)
{
	*out = NULL;
	if (sqlite3_prepare_v3(ix->db, sql, -1, flags, out, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot prepare an index statement");
	return 0;
}

/* Fixed statement which, prepared now if this is its first use. */
static int index_stmt(cl_index *ix, int which, sqlite3_stmt **out, cl_error *err)
{
	int error = 0;

	if (!ix->stmt[which])
		error = index_prepare(ix, index_sql[which], SQLITE_PREPARE_PERSISTENT,
				      &ix->stmt[which], err);
	*out = ix->stmt[which];
	return error;
}

/*
 * Opening.
 */

/*
 * The write-ahead log is checkpointed by the commit that takes it past
 * INDEX_WAL_PAGES, not when a connection closes.  sqlite's default, a
 * checkpoint by the last connection to close, made every write command
 * pay four syncs (the log's header and its directory on restart, then
 * the log and the file at the checkpoint) for some 25 pages.  The price:
 * index.sqlite alone is not the whole index, its -wal file is part of it
 * until the next checkpoint; and a command that opens the index first
 * rebuilds the log's shared-memory map, reading the whole log: ~5 us a
 * page, which at 256 pages (2 MB) made a read command at 200k records
 * 2.4 times an empty start-up instead of 1.7.  At 64 pages a checkpoint
 * comes every five transitions or so: side by side over 40 approvals
 * the mean was the same (8.66 / 8.62 ms), show 3.53 -> 3.14 ms and list
 * 3.45 -> 2.86 ms (medians).
 *
 * That read is the next process's, so a process that keeps the index
 * open while it writes many transitions (batch, serve: its map stays
 * live, no other opener rebuilds it) checkpoints at 256 pages instead,
 * which writes each changed page to the file fewer times (at 64 pages,
 * checkpoints were 8% of a batch's time with fsync off), and leaves the
 * log under 64 pages when it closes (cl_index_free).
 *
 * TRUNCATE leaves an empty log, so commands that follow skip that read,
 * and a log that a reindex grew to the index's size goes at once.  It
 * does not wait: with a reader on an older snapshot (or another writer)
 * it checkpoints what it can, as PASSIVE does, and the next commit over
 * the limit tries again.
 */
static void index_checkpoint(cl_index *ix, sqlite3 *db, const char *name)
{
	sqlite3_busy_timeout(db, 0);
	if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL) == SQLITE_OK)
		ix->log_pages = 0;
	sqlite3_busy_timeout(db, INDEX_BUSY_MS);
}

static int index_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	cl_index *ix = arg;

	ix->log_pages = pages;
	if (pages >= ix->log_limit)
		index_checkpoint(ix, db, name);
	return SQLITE_OK;
}

/*
 * Left at sqlite's default: SQLITE_CONFIG_STMTJRNL_SPILL.  A write command
 * spills the statement journal of a record's put (~16 pages) to a file in
 * the temporary directory, and raising the spill size would save that.
 * But the setting also sizes the in-memory files of the sorter, which are
 * written out of order: at 256 KiB a bulk load's CREATE INDEX failed with
 * "database or disk is full".
 */
static int index_connect(cl_index *ix, cl_error *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX, persist = 1;

	/* on failure db is still set (to report the error), or NULL, for
	 * which sqlite3_errmsg() says "out of memory" */
	if (sqlite3_open_v2(ix->path, &ix->db, flags, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot open the index '%s'", ix->path);
	sqlite3_busy_timeout(ix->db, INDEX_BUSY_MS);
	/* keep the -wal and -shm files when the last connection closes
	 * (else every read command creates both and deletes them again),
	 * and leave checkpoints to index_wal_hook */
	sqlite3_file_control(ix->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	sqlite3_db_config(ix->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	ix->log_limit = INDEX_WAL_PAGES;
	sqlite3_wal_hook(ix->db, index_wal_hook, ix);
	/* if the file system cannot do WAL, sqlite keeps a rollback
	 * journal: still correct, with readers and the writer taking turns */
	/* 8 KiB pages for a new file (an existing one keeps its own): a
	 * reindex at 200k took 12% longer with 4 KiB, no less with 16 KiB,
	 * and every write transaction logs its pages whole */
	if (sqlite3_exec(ix->db, "PRAGMA page_size = 8192;"
			 "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = NORMAL;"
			 "PRAGMA journal_size_limit = 4194304;"
			 /* Debian builds sqlite with secure delete on: every
			  * row removed or replaced is zeroed, and every freed
			  * page written again.  The index is derived from a
			  * history anyone with the files can read. */
			 "PRAGMA secure_delete = OFF;"
			 "PRAGMA foreign_keys = OFF;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot open the index '%s'", ix->path);
	return 0;
}

static int index_user_version(cl_index *ix, int *out, cl_error *err)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(ix->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		error = index_fail(ix, err, "cannot open the index '%s'",
				   ix->path);
		goto done;
	}
	*out = sqlite3_column_int(st, 0);
done:
	sqlite3_finalize(st);
	return error;
}

/* Builds the first n secondary indexes that are missing, in order. */
static int index_secondary_create(cl_index *ix, size_t n)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(ix->db, index_secondary[i].sql, NULL, NULL, NULL);
	return rc;
}

/* Creates the schema unless the file already has this version; only then
 * does opening write.  See the top of the file for other versions. */
static int index_schema(cl_index *ix, cl_error *err)
{
	int version = 0, error;

	if ((error = index_user_version(ix, &version, err)) < 0 ||
	    version == INDEX_SCHEMA)
		return error;
	if (sqlite3_exec(ix->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot create the index schema");
	/* another process may have created it while we waited */
	if ((error = index_user_version(ix, &version, err)) < 0)
		goto done;
	if (version != INDEX_SCHEMA &&
	    (sqlite3_exec(ix->db, index_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	     index_secondary_create(ix, INDEX_NSECONDARY) != SQLITE_OK)) {
		error = index_fail(ix, err, "cannot create the index schema");
		goto done;
	}
	if (sqlite3_exec(ix->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		error = index_fail(ix, err, "cannot create the index schema");
done:
	if (!sqlite3_get_autocommit(ix->db))
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

int cl_index_open(cl_index **out, const char *path, cl_error *err)
{
	cl_index *ix;
	int error;

	*out = NULL;
	if (!path)
		return cl_error_set(err, CL_EINTERNAL, "no index path given");
	ix = cl_xcalloc(1, sizeof(*ix));
	ix->path = cl_xstrdup(path);
	if ((error = index_connect(ix, err)) < 0 ||
	    (error = index_schema(ix, err)) < 0)
		goto done;
	*out = ix;
	ix = NULL;
done:
	cl_index_free(ix);
	return error;
}

/* A transaction still open is rolled back by sqlite3_close_v2(). */
void cl_index_long_lived(cl_index *ix)
{
	ix->log_limit = INDEX_WAL_PAGES_LONG;
}

void cl_index_free(cl_index *ix)
{
	size_t i;

	if (!ix)
		return;
	/* a long-lived writer leaves the log as short as a command would */
	if (ix->db && ix->log_pages >= INDEX_WAL_PAGES)
		index_checkpoint(ix, ix->db, "main");
	for (i = 0; i < IX_NSTMT; i++)
		sqlite3_finalize(ix->stmt[i]);
	for (i = 0; i < IX_Q_SHAPES; i++)
		sqlite3_finalize(ix->query[i]);
	sqlite3_close_v2(ix->db);
	free(ix->path);
	free(ix);
}

/*
 * Transactions.
 */

/* Opens a read transaction unless one (the caller's, or ours further up
 * when a callback re-enters) is already open; *own says whether to end
 * it.  Deferred: it takes a WAL snapshot at the first read, never a
 * write lock. */
static int index_read_begin(cl_index *ix, int *own, cl_error *err)
{
	int error;

	*own = 0;
	if (!sqlite3_get_autocommit(ix->db))
		return 0;
	if ((error = index_exec(ix, IX_BEGIN_READ, err,
				"cannot read the index")) < 0)
		return error;
	*own = 1;
	return 0;
}

static void index_read_end(cl_index *ix, int own)
{
	if (own && !sqlite3_get_autocommit(ix->db))
		index_exec(ix, IX_ROLLBACK, NULL, "");
}

/*
 * Sizes sqlite's page cache for what comes: a write touches a few pages,
 * a read streams its pages once (a list of a period reads some two
 * hundred: a cache that grows page by page costs more in fresh memory
 * than it saves, where a few pages reused stay warm), and a bulk load
 * puts every row: with the default 2 MB, sqlite spills dirty pages to the
 * log in the middle of the transaction and reads them back.  A failure
 * only leaves the size it was.
 */
static void index_cache(cl_index *ix, int which)
{
	static const char *const sql[] = {
		[INDEX_CACHE_WRITE] = "PRAGMA cache_size = -2000",
		[INDEX_CACHE_READ] = "PRAGMA cache_size = 16",
		[INDEX_CACHE_BULK] = "PRAGMA cache_size = -16384",
	};

	if (ix->cache != which &&
	    sqlite3_exec(ix->db, sql[which], NULL, NULL, NULL) == SQLITE_OK)
		ix->cache = which;
}

int cl_index_begin(cl_index *ix, cl_error *err)
{
	int error;

	index_cache(ix, INDEX_CACHE_WRITE);
	if ((error = index_exec(ix, IX_BEGIN_WRITE, err,
				"cannot start writing to the index")) < 0) {
		ix->busy = (sqlite3_errcode(ix->db) & 0xff) == SQLITE_BUSY;
		return error;
	}
	ix->busy = 0;
	ix->writing = 1;
	return 0;
}

int cl_index_busy(const cl_index *ix)
{
	return ix && ix->busy;
}

void cl_index_rollback(cl_index *ix)
{
	if (!ix)
		return;
	if (index_writing(ix))
		index_exec(ix, IX_ROLLBACK, NULL, "");
	ix->writing = 0;
	ix->emptied = 0;
	ix->staging = 0;
}

static int index_head_set(cl_index *ix, const char *head_hex, cl_error *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = index_stmt(ix, IX_HEAD_SET, &st, err)) < 0)
		return error;
	if (index_bind_text(st, 1, head_hex) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		error = index_fail(ix, err, "cannot set the index head to %s",
				   head_hex);
	index_reset(st);
	return error;
}

/* On any failure the whole transaction is rolled back. */
int cl_index_commit(cl_index *ix, const char *head_hex, cl_error *err)
{
	int error;

	if (!index_writing(ix)) {
		error = cl_error_set(err, CL_EINTERNAL, "cannot commit to the "
				     "index: no transaction is open");
		goto done;
	}
	if (!index_hex_valid(head_hex)) {
		error = cl_error_set(err, CL_EINVALID, "invalid index head '%s'",
				     head_hex ? head_hex : "");
		goto done;
	}
	if (ix->staging) {
		error = cl_error_set(err, CL_EINTERNAL, "cannot commit to the "
				     "index: records are still staged");
		goto done;
	}
	if ((error = index_head_set(ix, head_hex, err)) < 0)
		goto done;
	error = index_exec(ix, IX_COMMIT, err, "cannot commit to the index");
done:
	cl_index_rollback(ix); /* only clears the flag once committed */
	return error;
}

/* Joins the caller's write transaction when there is one. */
int cl_index_reset(cl_index *ix, cl_error *err)
{
	int own = !index_writing(ix), error = 0;

	if (own && (error = cl_index_begin(ix, err)) < 0)
		return error;
	if (sqlite3_exec(ix->db, index_reset_sql, NULL, NULL, NULL) != SQLITE_OK) {
		error = index_fail(ix, err, "cannot reset the index");
		goto done;
	}
	if (own)
		error = index_exec(ix, IX_COMMIT, err, "cannot reset the index");
done:
	if (own)
		cl_index_rollback(ix);
	return error;
}

int cl_index_head(cl_index *ix, char out[41], cl_error *err)
{
	sqlite3_stmt *st;
	const char *v;
	int rc, error;

	out[0] = '\0';
	if ((error = index_stmt(ix, IX_HEAD_GET, &st, err)) < 0)
		return error;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (index_hex_valid(v))
			memcpy(out, v, 41);
		else
			error = cl_error_set(err, CL_ESTORE,
					     "the index head is not a commit id");
	} else if (rc != SQLITE_DONE) {
		error = index_fail(ix, err, "cannot read the index head");
	}
	index_reset(st);
	return error;
}

int cl_index_read_begin(cl_index *ix, cl_error *err)
{
	int error;

	if (!sqlite3_get_autocommit(ix->db))
		return cl_error_set(err, CL_EINTERNAL,
				    "cannot start reading the index: a transaction is open");
	if ((error = index_exec(ix, IX_BEGIN_READ, err,
				"cannot read the index")) < 0)
		return error;
	ix->snapshot = 1;
	/* a read streams its pages once (a list of a period reads some two
	 * hundred): a cache that grows page by page costs more in fresh
	 * memory than it saves, where a few pages reused stay warm */
	index_cache(ix, INDEX_CACHE_READ);
	return 0;
}

void cl_index_read_end(cl_index *ix)
{
	if (!ix || !ix->snapshot)
		return;
	ix->snapshot = 0;
	if (!sqlite3_get_autocommit(ix->db))
		index_exec(ix, IX_ROLLBACK, NULL, "");
}

int cl_index_set_config(cl_index *ix, const char *key, cl_error *err)
{
	sqlite3_stmt *st;
	int error;

	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot set the index's "
				    "configuration: no transaction is open");
	if (!key)
		return cl_error_set(err, CL_EINVALID, "no configuration key given");
	if ((error = index_stmt(ix, IX_META_SET, &st, err)) < 0)
		return error;
	if (index_bind_text(st, 1, "config") != SQLITE_OK ||
	    index_bind_text(st, 2, key) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		error = index_fail(ix, err, "cannot set the index's configuration");
	index_reset(st);
	return error;
}

int cl_index_config(cl_index *ix, cl_buf *out, cl_error *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = index_stmt(ix, IX_META_GET, &st, err)) < 0)
		return error;
	rc = index_bind_text(st, 1, "config");
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		index_column_put(out, st, 0);
	else if (rc == SQLITE_DONE)
		error = cl_error_set(err, CL_ENOTFOUND, "the index has no configuration key");
	else
		error = index_fail(ix, err, "cannot read the index's configuration");
	index_reset(st);
	return error;
}

/*
 * Writing records and transitions.
 */

static int index_record_check(cl_index *ix, const cl_index_record *r,
			      cl_error *err)
{
	const char *missing = NULL;
	size_t i;

	if (!r || !r->id)
		return cl_error_set(err, CL_EINVALID, "record without an id");
	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL,
				    "cannot apply record '%s' to the index: %s",
				    r->id, "no transaction is open");
	if (!r->period)
		missing = "period";
	else if (strncmp(r->id, r->period, strlen(r->period)) ||
		 r->id[strlen(r->period)] != '/')
		return cl_error_set(err, CL_EINVALID, "record '%s' is not in "
				    "period '%s'", r->id, r->period);
	else if (!r->talent)
		missing = "talent";
	else if (!r->state)
		missing = "state";
	else if (!r->commit)
		missing = "commit";
	else if (!index_hex_valid(r->commit))
		return cl_error_set(err, CL_EINVALID, "record '%s': bad commit id "
				    "'%.40s'", r->id, r->commit);
	for (i = 0; !missing && i < r->nwaiting; i++)
		if (!r->waiting || !r->waiting[i])
			missing = "waiting person";
	if (missing)
		return cl_error_set(err, CL_EINVALID, "record '%s' has no %s",
				    r->id, missing);
	return 0;
}

static int index_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The waiting column: r's people sorted, once each, NUL-terminated. */
static void index_waiting_text(cl_buf *out, const cl_index_record *r)
{
	char **v = cl_xmalloc(cl_xmul(r->nwaiting ? r->nwaiting : 1, sizeof(*v)));
	size_t i;

	for (i = 0; i < r->nwaiting; i++)
		v[i] = r->waiting[i];
	if (r->nwaiting)
		qsort(v, r->nwaiting, sizeof(*v), index_strcmp);
	for (i = 0; i < r->nwaiting; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			cl_buf_put(out, v[i], strlen(v[i]) + 1);
	free(v);
}

void cl_index_list_line(cl_buf *out, const cl_index_record *r)
{
	char since[32];

	cl_time_format(since, r->since);
	cl_buf_printf(out, "%-24s %-22s %-12s %s", r->id, r->state,
		      r->level ? r->level : "-", since);
}

/* waiting: the waiting column's text, line the list's, bound as is. */
static int index_bind_record(sqlite3_stmt *st, const cl_index_record *r,
			     const cl_buf *waiting, const cl_buf *line)
{
	int rc = index_bind_text(st, 1, r->id);

	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 2, r->period);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 3, r->talent);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 4, r->state);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 5, r->level);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, r->since);
	if (rc == SQLITE_OK)
		rc = index_bind_commit(st, 7, r->commit);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(st, 8, waiting->ptr, waiting->size,
					 SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, r->due);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text64(st, 10, line->ptr, line->size,
					 SQLITE_STATIC, SQLITE_UTF8);
	return rc;
}

/* Runs statement st with ?1 = a and ?2 = b (when b is set). */
static int index_run2(sqlite3_stmt *st, const char *a, const char *b)
{
	int rc = index_bind_text(st, 1, a);

	if (rc == SQLITE_OK && b)
		rc = index_bind_text(st, 2, b);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Replaces the record's waiting set. */
static int index_put_waiting(cl_index *ix, const cl_index_record *r,
			     cl_error *err)
{
	sqlite3_stmt *del, *add;
	size_t i;
	int rc, error;

	if ((error = index_stmt(ix, IX_WAITING_DEL, &del, err)) < 0 ||
	    (error = index_stmt(ix, ix->staging ? IX_STAGE_WAITING : IX_WAITING_ADD,
				&add, err)) < 0)
		return error;
	/* a bulk load's puts: the table is empty (or not the table) */
	rc = ix->emptied || ix->staging ? SQLITE_OK : index_run2(del, r->id, NULL);
	for (i = 0; rc == SQLITE_OK && i < r->nwaiting; i++) {
		index_reset(add);
		rc = index_run2(add, r->id, r->waiting[i]);
	}
	if (rc != SQLITE_OK)
		error = index_fail(ix, err, "cannot apply record '%s' to the index",
				   r->id);
	index_reset(del);
	index_reset(add);
	return error;
}

/*
 * The list's pages.  `list --period` prints a period's lines (records'
 * line column, in id order): ten thousand rows at 200k records, and
 * stepping sqlite once a row was most of its time (~1.5 of ~2.4 ms past
 * the process's start-up).  list_pages keeps the lines in runs: a row
 * holds the lines of consecutive records of one period, joined by
 * newlines, at most INDEX_PAGE_BYTES of them (so that the row fits in
 * its b-tree cell of an 8 KiB page, with no overflow page to read or
 * write), keyed by the period and the id of its first record; a period's
 * runs cover its records in order.  Derived from records alone: a put
 * rebuilds the run its record falls in, cutting it where it outgrows the
 * limit (index_pages_put); the end of a bulk load rebuilds them all
 * (index_pages_rebuild).  A put then writes one page more to the log.
 */
#define INDEX_PAGE_BYTES 1900

typedef struct {
	sqlite3_stmt *put; /* IX_PAGE_PUT */
	cl_buf period;     /* of the run being built */
	cl_buf first;      /* its first record's id */
	cl_buf text;       /* its lines so far, joined by newlines */
} index_pager;

static int index_pager_flush(index_pager *pg)
{
	int rc;

	if (!pg->text.size)
		return SQLITE_OK;
	rc = index_bind_text(pg->put, 1, pg->period.ptr);
	if (rc == SQLITE_OK)
		rc = index_bind_text(pg->put, 2, pg->first.ptr);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text64(pg->put, 3, pg->text.ptr, pg->text.size,
					 SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pg->put)) == SQLITE_DONE)
		rc = SQLITE_OK;
	index_reset(pg->put);
	cl_buf_clear(&pg->text);
	return rc;
}

/* Adds a record's line to the run being built, writing the run out first
 * when it is another period's or the line would take it past the limit. */
static int index_pager_add(index_pager *pg, const char *period, const char *id,
			   const void *line, size_t len)
{
	int rc = SQLITE_OK;

	if (pg->text.size && (strcmp(pg->period.ptr, period) ||
			      pg->text.size + 1 + len > INDEX_PAGE_BYTES))
		rc = index_pager_flush(pg);
	if (rc != SQLITE_OK)
		return rc;
	if (!pg->text.size) {
		cl_buf_clear(&pg->period);
		cl_buf_puts(&pg->period, period);
		cl_buf_clear(&pg->first);
		cl_buf_puts(&pg->first, id);
	} else {
		cl_buf_putc(&pg->text, '\n');
	}
	cl_buf_put(&pg->text, line, len);
	return SQLITE_OK;
}

/* Builds runs off every row of st (id, line, and the period unless
 * period is given), and writes the last one out. */
static int index_pager_run(index_pager *pg, sqlite3_stmt *st, const char *period)
{
	const char *id, *line, *p;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		line = (const char *)sqlite3_column_text(st, 1);
		p = period ? period : (const char *)sqlite3_column_text(st, 2);
		if (!id || !line || !p)
			cl_die("out of memory");
		rc = index_pager_add(pg, p, id, line, (size_t)sqlite3_column_bytes(st, 1));
		if (rc != SQLITE_OK)
			return rc;
	}
	return rc == SQLITE_DONE ? index_pager_flush(pg) : rc;
}

static void index_pager_release(index_pager *pg)
{
	cl_buf_release(&pg->period);
	cl_buf_release(&pg->first);
	cl_buf_release(&pg->text);
}

/* The first id of period's run at or before id (IX_PAGE_FLOOR), or of
 * the third run from id on (IX_PAGE_THIRD), into out: empty when there
 * is none. */
static int index_page_find(cl_index *ix, int which, const char *period,
			   const char *id, cl_buf *out, cl_error *err)
{
	sqlite3_stmt *st;
	const char *first;
	int rc, error;

	cl_buf_clear(out);
	if ((error = index_stmt(ix, which, &st, err)) < 0)
		return error;
	rc = index_run2(st, period, id);
	if (rc == SQLITE_ROW) {
		if (!(first = (const char *)sqlite3_column_text(st, 0)))
			cl_die("out of memory");
		cl_buf_puts(out, first);
	} else if (rc != SQLITE_OK) {
		error = index_fail(ix, err, "cannot read the list's pages");
	}
	index_reset(st);
	return error;
}

/* Rebuilds period's runs from id lo up to hi (the first id of the run
 * after them, or "" for the period's end) off the records' lines. */
static int index_pages_range(cl_index *ix, const char *period, const char *lo,
			     const char *hi, cl_error *err)
{
	index_pager pg = { NULL, CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT };
	sqlite3_stmt *drop = NULL, *lines = NULL;
	cl_buf end = CL_BUF_INIT;
	int rc, error;

	if (*hi) {
		cl_buf_puts(&end, hi);
	} else { /* every id of the period starts with it and '/': '0' follows */
		cl_buf_puts(&end, period);
		cl_buf_putc(&end, '0');
	}
	if ((error = index_stmt(ix, IX_PAGE_DROP, &drop, err)) < 0 ||
	    (error = index_stmt(ix, IX_PAGE_LINES, &lines, err)) < 0 ||
	    (error = index_stmt(ix, IX_PAGE_PUT, &pg.put, err)) < 0)
		goto done;
	rc = index_bind_text(drop, 1, period);
	if (rc == SQLITE_OK)
		rc = index_bind_text(drop, 2, lo);
	if (rc == SQLITE_OK)
		rc = index_bind_text(drop, 3, end.ptr);
	if (rc == SQLITE_OK && (rc = sqlite3_step(drop)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = index_bind_text(lines, 1, lo);
	if (rc == SQLITE_OK)
		rc = index_bind_text(lines, 2, end.ptr);
	if (rc == SQLITE_OK)
		rc = index_pager_run(&pg, lines, period);
	if (rc != SQLITE_OK)
		error = index_fail(ix, err, "cannot write the list's pages");
done:
	index_reset(drop);
	index_reset(lines);
	index_pager_release(&pg);
	cl_buf_release(&end);
	return error;
}

/* After r's row is put: rebuilds the run r falls in and the one after
 * (a run that outgrows the limit spills into it, rather than leaving a
 * run of the one line left over each time).  A record before the
 * period's first run joins it, which then starts at r.  Either way that
 * is the two runs from lo on, lo being the run's first id or r's. */
static int index_pages_put(cl_index *ix, const cl_index_record *r, cl_error *err)
{
	cl_buf lo = CL_BUF_INIT, hi = CL_BUF_INIT;
	int error;

	if ((error = index_page_find(ix, IX_PAGE_FLOOR, r->period, r->id, &lo, err)) == 0) {
		if (!lo.size)
			cl_buf_puts(&lo, r->id);
		error = index_page_find(ix, IX_PAGE_THIRD, r->period, lo.ptr, &hi, err);
	}
	if (!error)
		error = index_pages_range(ix, r->period, lo.ptr, hi.size ? hi.ptr : "", err);
	cl_buf_release(&lo);
	cl_buf_release(&hi);
	return error;
}

/* Every run again, off every record: the end of a bulk load. */
static int index_pages_rebuild(cl_index *ix, cl_error *err)
{
	index_pager pg = { NULL, CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT };
	sqlite3_stmt *all;
	int rc, error;

	if (sqlite3_exec(ix->db, "DELETE FROM list_pages", NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot write the list's pages");
	if ((error = index_stmt(ix, IX_PAGE_LINES_ALL, &all, err)) < 0 ||
	    (error = index_stmt(ix, IX_PAGE_PUT, &pg.put, err)) < 0)
		return error;
	if ((rc = index_pager_run(&pg, all, NULL)) != SQLITE_OK)
		error = index_fail(ix, err, "cannot write the list's pages");
	index_reset(all);
	index_pager_release(&pg);
	return error;
}

int cl_index_put_record(cl_index *ix, const cl_index_record *r, cl_error *err)
{
	sqlite3_stmt *st;
	cl_buf waiting = CL_BUF_INIT, line = CL_BUF_INIT;
	int error;

	if ((error = index_record_check(ix, r, err)) < 0 ||
	    (error = index_stmt(ix, ix->staging ? IX_STAGE_RECORD : IX_RECORD_PUT,
				&st, err)) < 0)
		return error;
	index_waiting_text(&waiting, r);
	cl_index_list_line(&line, r);
	if (index_bind_record(st, r, &waiting, &line) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		error = index_fail(ix, err, "cannot apply record '%s' to the index",
				   r->id);
	index_reset(st);
	cl_buf_release(&waiting);
	cl_buf_release(&line);

	if (!error)
		error = index_put_waiting(ix, r, err);
	/* a bulk load rebuilds the pages at its end (cl_index_bulk_end) */
	if (!error && !ix->bulk && !ix->emptied && !ix->staging)
		error = index_pages_put(ix, r, err);
	return error;
}

static int index_transition_check(cl_index *ix, const cl_index_transition *t,
				  cl_error *err)
{
	const char *missing = NULL;

	if (!t || !t->commit)
		return cl_error_set(err, CL_EINVALID,
				    "transition without a commit id");
	if (!index_hex_valid(t->commit))
		return cl_error_set(err, CL_EINVALID, "bad commit id '%.40s'",
				    t->commit);
	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL,
				    "cannot apply transition %s to the index: %s",
				    t->commit, "no transaction is open");
	if (!t->actor)
		missing = "actor";
	else if (!t->action)
		missing = "action";
	if (missing)
		return cl_error_set(err, CL_EINVALID, "transition %s has no %s",
				    t->commit, missing);
	return 0;
}

static int index_bind_transition(sqlite3_stmt *st,
				 const cl_index_transition *t)
{
	int rc = index_bind_commit(st, 1, t->commit);

	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 2, t->record);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, t->time);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 4, t->actor);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 5, t->action);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 6, t->from);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 7, t->to);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 8, t->level);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 9, t->grade);
	if (rc == SQLITE_OK)
		rc = index_bind_text(st, 10, t->comment);
	return rc;
}

int cl_index_add_transition(cl_index *ix, const cl_index_transition *t,
			    cl_error *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = index_transition_check(ix, t, err)) < 0)
		return error;
	if (t->seq && !ix->bulk)
		return cl_error_set(err, CL_EINTERNAL, "cannot apply transition %s at a"
				    " place of its own: not in a bulk load", t->commit);
	if ((error = index_stmt(ix, ix->bulk ? IX_TRANSITION_APPEND : IX_TRANSITION_ADD,
				&st, err)) < 0)
		return error;
	if (index_bind_transition(st, t) != SQLITE_OK ||
	    (t->seq && sqlite3_bind_int64(st, 11, t->seq) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE)
		error = index_fail(ix, err,
				   "cannot apply transition %s to the index",
				   t->commit);
	index_reset(st);
	return error;
}

/*
 * Bulk loading.
 */

int cl_index_bulk(cl_index *ix, int *on, cl_error *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = index_stmt(ix, IX_BULK_PROBE, &st, err)) < 0)
		return error;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		ix->bulk = rc == SQLITE_DONE;
	else
		error = index_fail(ix, err, "cannot read the index schema");
	index_reset(st);
	if (on)
		*on = ix->bulk;
	return error;
}

int cl_index_bulk_begin(cl_index *ix, cl_error *err)
{
	char sql[96];
	size_t i;
	int error;

	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot start a bulk load: "
				    "no transaction is open");
	for (i = INDEX_NSECONDARY; i-- > 0;) {
		snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS %s", index_secondary[i].name);
		if (sqlite3_exec(ix->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return index_fail(ix, err, "cannot start a bulk load");
	}
	if ((error = cl_index_bulk(ix, NULL, err)) == 0 && !ix->bulk)
		error = cl_error_set(err, CL_EINTERNAL, "cannot start a bulk load: "
				     "an index is still there");
	/* the load's sorts (the staged records into place, each secondary
	 * index) on two threads: at 1M transitions they took 2.45-2.59
	 * against 2.99 s and 2.33 against 2.74 s; a sort too small for it
	 * stays on one.  Best effort: a build without worker threads keeps
	 * one. */
	if (!error)
		sqlite3_exec(ix->db, "PRAGMA threads = 2", NULL, NULL, NULL);
	return error;
}

int cl_index_bulk_history(cl_index *ix, cl_error *err)
{
	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot index the transitions: "
				    "no transaction is open");
	index_cache(ix, INDEX_CACHE_BULK); /* every row goes in now */
	if (index_secondary_create(ix, 1) != SQLITE_OK)
		return index_fail(ix, err, "cannot index the transitions by record");
	/* every record is put again, with no rows of its own to delete */
	if (sqlite3_exec(ix->db, "DELETE FROM waiting", NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot empty who waits on the records");
	ix->emptied = 1;
	return 0;
}

/* The staging tables: a record's row and who waits, as the index's own
 * but without keys (rows go in as they come). */
static const char index_stage_sql[] =
	"DROP TABLE IF EXISTS temp.stage_records;"
	"DROP TABLE IF EXISTS temp.stage_waiting;"
	"CREATE TEMP TABLE stage_records (id TEXT NOT NULL, period TEXT NOT NULL,"
	" talent TEXT NOT NULL, state TEXT NOT NULL, level TEXT,"
	" since INTEGER NOT NULL, commit_id BLOB NOT NULL, waiting BLOB NOT NULL,"
	" due INTEGER NOT NULL, line TEXT NOT NULL);"
	"CREATE TEMP TABLE stage_waiting (record TEXT NOT NULL, person TEXT NOT NULL);";

/* Into the index in key order, then gone.  A record staged twice fails
 * on the records' key; a person listed twice waits once. */
static const char index_unstage_sql[] =
	"INSERT INTO records (id, period, talent, state, level, since,"
	" commit_id, waiting, due, line) SELECT id, period, talent, state,"
	" level, since, commit_id, waiting, due, line FROM temp.stage_records"
	" ORDER BY id;"
	"INSERT INTO waiting (record, person) SELECT record, person"
	" FROM temp.stage_waiting WHERE 1 ORDER BY record, person"
	" ON CONFLICT (record, person) DO NOTHING;"
	"DROP TABLE temp.stage_records;"
	"DROP TABLE temp.stage_waiting;";

int cl_index_stage_begin(cl_index *ix, cl_error *err)
{
	int64_t n = 0;
	int error;

	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot stage records: "
				    "no transaction is open");
	if ((error = cl_index_counts(ix, &n, NULL, err)) < 0)
		return error;
	if (n)
		return cl_error_set(err, CL_EINTERNAL, "cannot stage records: "
				    "the index has records");
	if (sqlite3_exec(ix->db, index_stage_sql, NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot stage records");
	ix->staging = 1;
	return 0;
}

int cl_index_stage_end(cl_index *ix, cl_error *err)
{
	if (!ix->staging)
		return cl_error_set(err, CL_EINTERNAL, "no records are staged");
	ix->staging = 0;
	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot put the staged records: "
				    "no transaction is open");
	if (sqlite3_exec(ix->db, index_unstage_sql, NULL, NULL, NULL) != SQLITE_OK)
		return index_fail(ix, err, "cannot put the staged records");
	return 0;
}

int cl_index_bulk_end(cl_index *ix, cl_error *err)
{
	int error;

	if (!index_writing(ix))
		return cl_error_set(err, CL_EINTERNAL, "cannot end a bulk load: "
				    "no transaction is open");
	ix->emptied = 0;
	if (index_secondary_create(ix, INDEX_NSECONDARY) != SQLITE_OK)
		return index_fail(ix, err, "cannot build the index's indexes");
	if ((error = index_pages_rebuild(ix, err)) < 0)
		return error;
	if ((error = cl_index_bulk(ix, NULL, err)) == 0 && ix->bulk)
		error = cl_error_set(err, CL_EINTERNAL, "cannot end a bulk load: "
				     "an index is missing");
	return error;
}

/*
 * Reading records.
 */

void cl_index_record_release(cl_index_record *r)
{
	size_t i;

	if (!r)
		return;
	free(r->id);
	free(r->period);
	free(r->talent);
	free(r->state);
	free(r->level);
	free(r->commit);
	for (i = 0; i < r->nwaiting; i++)
		free(r->waiting[i]);
	free(r->waiting);
	memset(r, 0, sizeof(*r));
}

/* Splits the waiting column (see index_waiting_text) into r->waiting. */
static void index_waiting_split(cl_index_record *r, sqlite3_stmt *st, int col)
{
	const char *p = sqlite3_column_blob(st, col), *end;
	size_t len = (size_t)sqlite3_column_bytes(st, col), n = 0, i;

	if (!len)
		return;
	if (!p)
		cl_die("out of memory");
	for (i = 0; i < len; i++)
		n += p[i] == '\0';
	r->waiting = cl_xmalloc(cl_xmul(n + 1, sizeof(*r->waiting)));
	for (end = p + len; p < end; p += strlen(p) + 1) {
		if (!memchr(p, '\0', (size_t)(end - p)))
			break; /* not ours: no final NUL */
		r->waiting[r->nwaiting++] = cl_xstrdup(p);
	}
}

/* Copies a row of INDEX_RECORD_COLUMNS. */
static void index_record_fill(sqlite3_stmt *st, cl_index_record *r)
{
	char hex[INDEX_OID_HEX];

	memset(r, 0, sizeof(*r));
	r->id = index_column_dup(st, 0);
	r->period = index_column_dup(st, 1);
	r->talent = index_column_dup(st, 2);
	r->state = index_column_dup(st, 3);
	r->level = index_column_dup(st, 4);
	r->since = sqlite3_column_int64(st, 5);
	r->commit = index_column_commit(st, 6, hex) ? cl_xstrdup(hex) : NULL;
	r->due = sqlite3_column_int64(st, 8);
	index_waiting_split(r, st, 7);
}

static int index_get_row(cl_index *ix, const char *id, cl_index_record *out,
			 cl_error *err)
{
	sqlite3_stmt *st;
	int rc, error;

	if ((error = index_stmt(ix, IX_RECORD_GET, &st, err)) < 0)
		return error;
	rc = index_bind_text(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		index_record_fill(st, out);
	else if (rc == SQLITE_DONE)
		error = cl_error_set(err, CL_ENOTFOUND,
				     "no record '%s' in the index", id);
	else
		error = index_fail(ix, err,
				   "cannot read record '%s' from the index", id);
	index_reset(st);
	return error;
}

int cl_index_get(cl_index *ix, const char *id, cl_index_record *out,
		 cl_error *err)
{
	int own, error;

	memset(out, 0, sizeof(*out));
	if (!id)
		return cl_error_set(err, CL_EINVALID, "no record id given");
	if ((error = index_read_begin(ix, &own, err)) < 0)
		return error;
	error = index_get_row(ix, id, out, err);
	if (error)
		cl_index_record_release(out);
	index_read_end(ix, own);
	return error;
}

/* The statement in *slot, prepared (persistent) on first use.  When a
 * callback re-enters while *slot is mid-iteration, a temporary statement
 * is prepared instead and *temp set: release it with index_stmt_done(). */
static int index_stmt_claim(cl_index *ix, sqlite3_stmt **slot,
			    const char *sql, sqlite3_stmt **out, int *temp,
			    cl_error *err)
{
	int error;

	*temp = *slot && sqlite3_stmt_busy(*slot);
	if (*slot && !*temp) {
		*out = *slot;
		return 0;
	}
	error = index_prepare(ix, sql, *temp ? 0 : SQLITE_PREPARE_PERSISTENT,
			      out, err);
	if (!error && !*temp)
		*slot = *out;
	return error;
}

static void index_stmt_done(sqlite3_stmt *st, int temp)
{
	if (temp)
		sqlite3_finalize(st);
	else
		index_reset(st);
}

static unsigned index_query_mask(const cl_index_filter *f)
{
	unsigned mask = 0;

	mask |= f->period ? IX_Q_PERIOD : 0;
	mask |= f->state ? IX_Q_STATE : 0;
	mask |= f->waiting ? IX_Q_WAITING : 0;
	mask |= f->talent ? IX_Q_TALENT : 0;
	/* waiting on someone already implies in flight */
	mask |= f->in_flight && !f->waiting ? IX_Q_IN_FLIGHT : 0;
	mask |= f->brief && !f->lines ? IX_Q_BRIEF : 0;
	mask |= f->lines ? IX_Q_LINES : 0;
	/* pages hold every record of a period: no other filter */
	if (f->lines && f->pages && !(mask & ~(unsigned)(IX_Q_PERIOD | IX_Q_LINES)))
		mask |= IX_Q_PAGES;
	return mask;
}

/* The SQL of a query shape, from constant fragments only. */
static void index_query_sql(cl_buf *sql, unsigned mask)
{
	static const struct {
		unsigned bit;     /* filter that adds this condition */
		const char *cond; /* the condition, values bound by name */
	} where[] = {
		/* an id starts with its period and '/' (a put refuses any
		 * other), so the range is exactly the period's rows, read in
		 * id order off the primary key; '0' follows '/' */
		{ IX_Q_PERIOD, "r.id > :period || '/' AND r.id < :period || '0'" },
		{ IX_Q_STATE, "r.state = :state" },
		{ IX_Q_TALENT, "r.talent = :talent" },
		{ IX_Q_IN_FLIGHT,
		  "EXISTS (SELECT 1 FROM waiting w WHERE w.record = r.id)" },
	};
	const char *sep = " WHERE ";
	size_t i;

	/* pages: a period's lines, a run of records a row (ids start with
	 * the period, so period then first is id order) */
	if (mask & IX_Q_PAGES) {
		cl_buf_puts(sql, mask & IX_Q_PERIOD
			    ? "SELECT first, text FROM list_pages"
			      " WHERE period = :period ORDER BY first"
			    : "SELECT first, text FROM list_pages ORDER BY period, first");
		return;
	}
	/* brief: the same columns, NULL where a brief row has nothing;
	 * lines: the id and the list's line only */
	if (mask & IX_Q_LINES)
		cl_buf_puts(sql, "SELECT r.id, r.line FROM records r");
	else
		cl_buf_puts(sql, mask & IX_Q_BRIEF
			    ? "SELECT r.id, NULL, NULL, r.state, r.level, r.since,"
			      " NULL, NULL, r.due FROM records r"
			    : INDEX_RECORD_COLUMNS " FROM records r");
	if (mask & IX_Q_WAITING)
		cl_buf_puts(sql, " JOIN waiting p ON p.record = r.id"
			    " AND p.person = :waiting");
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		if (!(mask & where[i].bit))
			continue;
		cl_buf_puts(sql, sep);
		cl_buf_puts(sql, where[i].cond);
		sep = " AND ";
	}
	cl_buf_puts(sql, " ORDER BY r.id");
}

/* Binds value to :name when the statement has that parameter. */
static int index_bind_name(sqlite3_stmt *st, const char *name,
			   const char *value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	return i ? index_bind_text(st, i, value) : SQLITE_OK;
}

static int index_query_bind(cl_index *ix, sqlite3_stmt *st,
			    const cl_index_filter *f, cl_error *err)
{
	if (index_bind_name(st, ":period", f->period) != SQLITE_OK ||
	    index_bind_name(st, ":state", f->state) != SQLITE_OK ||
	    index_bind_name(st, ":waiting", f->waiting) != SQLITE_OK ||
	    index_bind_name(st, ":talent", f->talent) != SQLITE_OK)
		return index_fail(ix, err, "cannot query the index");
	return 0;
}

/* A text column as a pointer into the row (NULL stays NULL); valid until
 * the statement steps or resets.  Casting the const away is safe: the
 * callback only ever sees the record as const. */
static char *index_column_view(sqlite3_stmt *st, int i)
{
	return (char *)sqlite3_column_text(st, i);
}

/* Points r at the current row of INDEX_RECORD_COLUMNS without copying:
 * a list of thousands of rows then costs no allocation per row.  *wv
 * (capacity *wcap) is reused from row to row for the waiting people, hex
 * for the commit id. */
static void index_record_view(sqlite3_stmt *st, cl_index_record *r,
			      char ***wv, size_t *wcap, char hex[INDEX_OID_HEX])
{
	const char *p, *end;
	size_t len, n = 0, i;

	memset(r, 0, sizeof(*r));
	r->id = index_column_view(st, 0);
	r->period = index_column_view(st, 1);
	r->talent = index_column_view(st, 2);
	r->state = index_column_view(st, 3);
	r->level = index_column_view(st, 4);
	r->since = sqlite3_column_int64(st, 5);
	r->commit = index_column_commit(st, 6, hex);
	r->due = sqlite3_column_int64(st, 8);
	p = sqlite3_column_blob(st, 7);
	len = (size_t)sqlite3_column_bytes(st, 7);
	if (!r->id || !r->state)
		cl_die("out of memory");
	if (!len)
		return;
	if (!p || !r->period || !r->talent || !r->commit)
		cl_die("out of memory");
	for (i = 0; i < len; i++)
		n += p[i] == '\0';
	if (n + 1 > *wcap) {
		*wcap = n + 1;
		*wv = cl_xrealloc(*wv, cl_xmul(*wcap, sizeof(**wv)));
	}
	r->waiting = *wv;
	for (end = p + len; p < end; p += strlen(p) + 1) {
		if (!memchr(p, '\0', (size_t)(end - p)))
			break; /* not ours: no final NUL */
		r->waiting[r->nwaiting++] = (char *)p;
	}
}

/* Points r at the id and the line of the current row of a lines query. */
static void index_line_view(sqlite3_stmt *st, cl_index_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = index_column_view(st, 0);
	r->line = index_column_view(st, 1);
	r->line_len = (size_t)sqlite3_column_bytes(st, 1);
	if (!r->id || !r->line)
		cl_die("out of memory");
}

/* Streams the rows: one record at a time, read in place. */
static int index_query_rows(cl_index *ix, sqlite3_stmt *st, unsigned mask,
			    cl_index_record_cb cb, void *payload,
			    cl_error *err)
{
	cl_index_record r;
	char **wv = NULL, hex[INDEX_OID_HEX];
	size_t wcap = 0;
	int rc, error = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (mask & IX_Q_LINES)
			index_line_view(st, &r);
		else
			index_record_view(st, &r, &wv, &wcap, hex);
		if ((error = cb(&r, payload)) != 0)
			break;
	}
	free(wv);
	if (error)
		return error;
	if (rc != SQLITE_DONE)
		return index_fail(ix, err, "cannot query the index");
	return 0;
}

int cl_index_query(cl_index *ix, const cl_index_filter *f,
		   cl_index_record_cb cb, void *payload, cl_error *err)
{
	static const cl_index_filter any;
	cl_buf sql = CL_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int own = 0, temp = 0, error;
	unsigned mask;

	if (!cb)
		return cl_error_set(err, CL_EINTERNAL, "query without a callback");
	if (!f)
		f = &any;
	mask = index_query_mask(f);
	index_query_sql(&sql, mask);
	error = index_stmt_claim(ix, &ix->query[mask], sql.ptr, &st, &temp, err);
	cl_buf_release(&sql);
	if (error < 0)
		return error;
	if ((error = index_read_begin(ix, &own, err)) < 0 ||
	    (error = index_query_bind(ix, st, f, err)) < 0)
		goto done;
	error = index_query_rows(ix, st, mask, cb, payload, err);
done:
	index_stmt_done(st, temp);
	index_read_end(ix, own);
	return error;
}

/*
 * Reading history and counts.
 */

/* The transition in st's row (IX_HISTORY's columns), its strings
 * sqlite's (the commit id in hex): valid until the statement steps or
 * resets. */
static void index_transition_view(sqlite3_stmt *st, cl_index_transition *t,
				  char hex[INDEX_OID_HEX])
{
	t->commit = index_column_commit(st, 0, hex);
	t->record = (char *)sqlite3_column_text(st, 1);
	t->time = sqlite3_column_int64(st, 2);
	t->actor = (char *)sqlite3_column_text(st, 3);
	t->action = (char *)sqlite3_column_text(st, 4);
	t->from = (char *)sqlite3_column_text(st, 5);
	t->to = (char *)sqlite3_column_text(st, 6);
	t->level = (char *)sqlite3_column_text(st, 7);
	t->grade = (char *)sqlite3_column_text(st, 8);
	t->comment = (char *)sqlite3_column_text(st, 9);
	t->seq = 0;
}

/* The same, with copies of its strings. */
static void index_transition_fill(sqlite3_stmt *st, cl_index_transition *t)
{
	/* by column; the commit (0) is bytes, time (2) no string */
	char **s[] = { NULL, &t->record, NULL, &t->actor, &t->action, &t->from,
		       &t->to, &t->level, &t->grade, &t->comment };
	char hex[INDEX_OID_HEX];
	size_t i;

	index_transition_view(st, t, hex);
	t->commit = t->commit ? cl_xstrdup(hex) : NULL;
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i])
			*s[i] = index_column_dup(st, (int)i);
}

static void index_transition_release(cl_index_transition *t)
{
	free(t->commit);
	free(t->record);
	free(t->actor);
	free(t->action);
	free(t->from);
	free(t->to);
	free(t->level);
	free(t->grade);
	free(t->comment);
	memset(t, 0, sizeof(*t));
}

static int index_history_rows(cl_index *ix, sqlite3_stmt *st,
			      const char *record, cl_index_transition_cb cb,
			      void *payload, cl_error *err)
{
	cl_index_transition t;
	int rc = index_bind_text(st, 1, record), error;

	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			index_transition_fill(st, &t);
			error = cb(&t, payload);
			index_transition_release(&t);
			if (error)
				return error;
		}
	if (rc == SQLITE_DONE)
		return 0;
	if (record)
		return index_fail(ix, err,
				  "cannot read the history of record '%s'", record);
	return index_fail(ix, err, "cannot read the configuration history");
}

int cl_index_history(cl_index *ix, const char *record,
		     cl_index_transition_cb cb, void *payload, cl_error *err)
{
	sqlite3_stmt *st = NULL;
	int own = 0, temp = 0, error;

	if (!cb)
		return cl_error_set(err, CL_EINTERNAL, "history without a callback");
	if ((error = index_stmt_claim(ix, &ix->stmt[IX_HISTORY],
				      index_sql[IX_HISTORY], &st, &temp, err)) < 0)
		return error;
	if ((error = index_read_begin(ix, &own, err)) < 0)
		goto done;
	error = index_history_rows(ix, st, record, cb, payload, err);
done:
	index_stmt_done(st, temp);
	index_read_end(ix, own);
	return error;
}

int cl_index_trails(cl_index *ix, cl_index_transition_cb cb, void *payload,
		    cl_error *err)
{
	cl_index_transition t = { 0 };
	char hex[INDEX_OID_HEX];
	sqlite3_stmt *st;
	int rc, error;

	if ((error = index_stmt(ix, IX_TRAILS, &st, err)) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		index_transition_view(st, &t, hex);
		if (!t.commit || !t.record || !t.actor || !t.action) {
			rc = SQLITE_NOMEM; /* NOT NULL columns: out of memory */
			break;
		}
		if ((error = cb(&t, payload)) != 0)
			break;
	}
	if (!error && rc != SQLITE_DONE)
		error = index_fail(ix, err, "cannot read the transitions of the index");
	index_reset(st);
	return error;
}

static int index_count(cl_index *ix, int which, int64_t *out, cl_error *err)
{
	sqlite3_stmt *st;
	int error;

	if ((error = index_stmt(ix, which, &st, err)) < 0)
		return error;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		error = index_fail(ix, err, "cannot count the index rows");
	index_reset(st);
	return error;
}

int cl_index_named(cl_index *ix, int64_t *n, cl_error *err)
{
	return index_count(ix, IX_COUNT_NAMED, n, err);
}

/* Either pointer may be NULL; both counts come from one snapshot. */
int cl_index_counts(cl_index *ix, int64_t *records, int64_t *transitions,
		    cl_error *err)
{
	int own, error;

	if ((error = index_read_begin(ix, &own, err)) < 0)
		return error;
	if (records)
		error = index_count(ix, IX_COUNT_RECORDS, records, err);
	if (!error && transitions)
		error = index_count(ix, IX_COUNT_TRANSITIONS, transitions, err);
	index_read_end(ix, own);
	return error;
}

/*
 * What `list` shows against what the rows say, for verify: every record's
 * line is the one its columns make (cl_index_list_line), and the list's
 * pages hold exactly those lines, in id order, each run within its
 * period and keyed by its first record.  bad gets what disagrees first,
 * or stays empty.
 */
int cl_index_check_lines(cl_index *ix, cl_buf *bad, cl_error *err)
{
	sqlite3_stmt *rows = NULL, *pages = NULL;
	cl_buf want = CL_BUF_INIT;
	cl_index_record r;
	const char *text = NULL, *line, *nl, *period;
	size_t left = 0, len, n;
	int own, rc, prc, error;

	cl_buf_clear(bad);
	if ((error = index_read_begin(ix, &own, err)) < 0)
		return error;
	if ((error = index_prepare(ix, "SELECT id, period, state, level, since,"
				   " line FROM records ORDER BY id", 0, &rows, err)) < 0 ||
	    (error = index_prepare(ix, "SELECT period, first, text FROM list_pages"
				   " ORDER BY period, first", 0, &pages, err)) < 0)
		goto done;
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = index_column_view(rows, 0);
		period = (const char *)sqlite3_column_text(rows, 1);
		r.state = index_column_view(rows, 2);
		r.level = index_column_view(rows, 3);
		r.since = sqlite3_column_int64(rows, 4);
		line = (const char *)sqlite3_column_text(rows, 5);
		len = (size_t)sqlite3_column_bytes(rows, 5);
		if (!r.id || !period || !r.state || !line)
			cl_die("out of memory");
		cl_buf_clear(&want);
		cl_index_list_line(&want, &r);
		if (want.size != len || memcmp(want.ptr, line, len)) {
			cl_buf_printf(bad, "record '%s' keeps a line its row does not make", r.id);
			break;
		}
		if (!left) { /* the next run: it must start at this record */
			if ((prc = sqlite3_step(pages)) != SQLITE_ROW) {
				if (prc != SQLITE_DONE)
					error = index_fail(ix, err, "cannot read the list's pages");
				else
					cl_buf_printf(bad, "record '%s' is missing from the list's pages", r.id);
				break;
			}
			text = (const char *)sqlite3_column_text(pages, 2);
			left = (size_t)sqlite3_column_bytes(pages, 2);
			if (!text || strcmp((const char *)sqlite3_column_text(pages, 0), period) ||
			    strcmp((const char *)sqlite3_column_text(pages, 1), r.id)) {
				cl_buf_printf(bad, "the list's pages do not start a run at record '%s'", r.id);
				break;
			}
		}
		nl = memchr(text, '\n', left);
		n = nl ? (size_t)(nl - text) : left;
		if (n != len || memcmp(text, line, len)) {
			cl_buf_printf(bad, "the list's pages show record '%s' otherwise", r.id);
			break;
		}
		text += nl ? n + 1 : n;
		left -= nl ? n + 1 : n;
	}
	if (error || bad->size)
		goto done;
	if (rc != SQLITE_DONE)
		error = index_fail(ix, err, "cannot read the records");
	else if (left || (prc = sqlite3_step(pages)) == SQLITE_ROW)
		cl_buf_puts(bad, "the list's pages hold lines of no record");
	else if (prc != SQLITE_DONE)
		error = index_fail(ix, err, "cannot read the list's pages");
done:
	sqlite3_finalize(rows);
	sqlite3_finalize(pages);
	cl_buf_release(&want);
	index_read_end(ix, own);
	return error;
}
