/*
 * import.c - bulk import through `git fast-import` (see import.h).
 *
 * Why a module of its own: it is the one place where the engine runs a
 * child process, and it keeps what it needs for that (a socket to the
 * child's stdin, a pipe from its stdout, its stderr in a temporary file)
 * away from the rest of the engine.  It decides nothing itself: every
 * transition goes through cl_transition_apply(), cl_record_serialize()
 * and cl_transition_message(), as in cl_home_act(), so verify re-decides
 * an imported commit exactly like any other.
 *
 * The stream, per transition (fast-import's own format):
 *
 *   commit refs/chainlog/import
 *   mark :<n>
 *   author <name> <<person id>> <time> +0000
 *   committer <name> <<person id>> <time> +0000
 *   data <bytes>
 *   <message>
 *   from <tip>                        (the first commit only)
 *   M 100644 inline <record path>
 *   data <bytes>
 *   <record file>
 *
 * and at the end `get-mark :<last>` (the answer, the last commit's id,
 * comes back on the child's stdout) and `done`.  The stream goes through
 * a socket so that a child that died makes send() fail with EPIPE rather
 * than raise SIGPIPE in the caller's process.
 *
 * State: records touched by the import are kept in a hash map of their
 * latest serialized bytes (the stream is write-only, the history does not
 * have them yet); the others are read from the tip's tree.
 *
 * Aborting kills the child before it writes anything but its temporary
 * pack file, which is then removed: the home is left as it was.
 */
#include "import.h"
#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define IMPORT_FLUSH_AT ((size_t)1 << 20) /* send the stream in 1 MiB pieces */
#define IMPORT_ERR_MAX 512                /* bytes of the child's stderr quoted */

/* ---- the child: git fast-import ---------------------------------------- */

typedef struct import_child {
	pid_t pid;        /* 0 once reaped */
	int in;           /* our end of its stdin (a socket), or -1 */
	int out;          /* the read end of its stdout (a pipe), or -1 */
	int errfd;        /* its stderr: an unlinked temporary file, or -1 */
	char *packdir;    /* GITDIR/objects/pack */
	char **tmp;       /* tmp_* files in packdir before it started */
	size_t ntmp;      /* entries in tmp */
} import_child;

static void import_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int import_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Names of the temporary files in the pack directory (fast-import writes
 * its pack as tmp_pack_XXXXXX until it finishes). */
static void import_list_tmp(char ***names, size_t *n, const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	*names = NULL;
	*n = 0;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "tmp_", 4))
			continue;
		*names = cl_xrealloc(*names, cl_xmul(*n + 1, sizeof(char *)));
		(*names)[(*n)++] = cl_xstrdup(e->d_name);
	}
	closedir(d);
}

static int import_listed(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Removes the temporary files a killed child left behind. */
static void import_remove_tmp(const import_child *c)
{
	cl_buf path = CL_BUF_INIT;
	char **now = NULL;
	size_t n = 0, i;

	import_list_tmp(&now, &n, c->packdir);
	for (i = 0; i < n; i++) {
		if (import_listed(c->tmp, c->ntmp, now[i]))
			continue;
		cl_buf_clear(&path);
		cl_buf_printf(&path, "%s/%s", c->packdir, now[i]);
		unlink(path.ptr);
	}
	cl_strv_free(now, n);
	cl_buf_release(&path);
}

/* The first line of what the child wrote on stderr, into err. */
static int import_child_error(import_child *c, const char *what, cl_error *err)
{
	char msg[IMPORT_ERR_MAX + 1];
	ssize_t got = c->errfd >= 0 ? pread(c->errfd, msg, IMPORT_ERR_MAX, 0) : -1;
	char *nl;

	msg[got > 0 ? got : 0] = '\0';
	if ((nl = strchr(msg, '\n')) != NULL)
		*nl = '\0';
	return cl_error_set(err, CL_ESTORE, "git fast-import %s%s%s", what,
			    *msg ? ": " : "", msg);
}

/* Waits for the child; 0 when it exited with status 0. */
static int import_reap(import_child *c)
{
	int status = 0;
	pid_t r;

	if (c->pid <= 0)
		return -1;
	do
		r = waitpid(c->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	c->pid = 0;
	return r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void import_child_kill(import_child *c)
{
	import_close(&c->in);
	import_close(&c->out);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		import_reap(c);
		import_remove_tmp(c);
	}
}

static void import_child_release(import_child *c)
{
	import_child_kill(c);
	import_close(&c->errfd);
	cl_strv_free(c->tmp, c->ntmp);
	free(c->packdir);
	c->tmp = NULL;
	c->ntmp = 0;
	c->packdir = NULL;
}

/* An unlinked temporary file for the child's stderr. */
static int import_errfile(cl_error *err)
{
	const char *dir = getenv("TMPDIR");
	cl_buf path = CL_BUF_INIT;
	int fd;

	cl_buf_printf(&path, "%s/chainlog-import-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path.ptr)) < 0) {
		cl_error_set(err, CL_ESTORE, "cannot create '%s': %s", path.ptr, strerror(errno));
	} else {
		unlink(path.ptr);
		import_cloexec(fd);
	}
	cl_buf_release(&path);
	return fd;
}

static int import_pipes(int sv[2], int po[2], cl_error *err)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return cl_error_set(err, CL_ESTORE, "cannot create a socket: %s", strerror(errno));
	if (pipe(po) < 0) {
		close(sv[0]);
		close(sv[1]);
		return cl_error_set(err, CL_ESTORE, "cannot create a pipe: %s", strerror(errno));
	}
	import_cloexec(sv[0]);
	import_cloexec(sv[1]);
	import_cloexec(po[0]);
	import_cloexec(po[1]);
	return 0;
}

static int import_exec(import_child *c, char **argv, int in, int out, cl_error *err)
{
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, c->errfd, 2);
	rc = posix_spawnp(&c->pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		c->pid = 0;
		return cl_error_set(err, CL_ESTORE, "cannot run git fast-import: %s",
				    strerror(rc));
	}
	return 0;
}

/* Starts `git fast-import` on gitdir, fsyncing its pack unless
 * CHAINLOG_FSYNC=0 (the store's own switch). */
static int import_spawn(import_child *c, const char *gitdir, cl_error *err)
{
	const char *fs = getenv("CHAINLOG_FSYNC");
	cl_buf gd = CL_BUF_INIT;
	char *argv[10];
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, error;

	cl_buf_printf(&gd, "%sobjects/pack", gitdir);
	c->packdir = cl_buf_detach(&gd);
	import_list_tmp(&c->tmp, &c->ntmp, c->packdir);
	if ((c->errfd = import_errfile(err)) < 0)
		return CL_ESTORE;
	if ((error = import_pipes(sv, po, err)) < 0)
		return error;
	cl_buf_printf(&gd, "--git-dir=%s", gitdir);
	argv[0] = "git";
	argv[1] = "-c";
	argv[2] = fs && !strcmp(fs, "0") ? "core.fsync=none" : "core.fsync=objects,pack-metadata";
	argv[3] = gd.ptr;
	argv[4] = "fast-import";
	argv[5] = "--quiet";
	argv[6] = "--done";
	argv[7] = "--force";
	argv[8] = NULL;
	error = import_exec(c, argv, sv[1], po[1], err);
	close(sv[1]);
	close(po[1]);
	c->in = sv[0];
	c->out = po[0];
	cl_buf_release(&gd);
	return error;
}

static int import_send(import_child *c, const char *p, size_t n, cl_error *err)
{
	ssize_t w;

	while (n > 0) {
		w = send(c->in, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			import_close(&c->in);
			import_reap(c);
			return import_child_error(c, "stopped reading the stream", err);
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads the answer to get-mark: 40 hex digits and a newline. */
static int import_read_mark(import_child *c, cl_oid *out, cl_error *err)
{
	char line[CL_OID_HEXSZ + 2];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(line) - 1) {
		r = read(c->out, line + got, sizeof(line) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	line[got] = '\0';
	if (got != CL_OID_HEXSZ + 1 || line[CL_OID_HEXSZ] != '\n')
		return import_child_error(c, "gave no commit id", err);
	line[CL_OID_HEXSZ] = '\0';
	if (cl_oid_parse(out, line) < 0)
		return import_child_error(c, "gave a bad commit id", err);
	return 0;
}

/* Sends `done`, closes the stream and waits for the child to finish. */
static int import_finish(import_child *c, cl_error *err)
{
	int error;

	if ((error = import_send(c, "done\n", 5, err)) < 0)
		return error;
	import_close(&c->in);
	import_close(&c->out);
	if (import_reap(c) < 0)
		return import_child_error(c, "failed", err);
	return 0;
}

/* ---- records touched by the import ------------------------------------- */

typedef struct import_slot {
	char *id;    /* record id, owned; NULL when the slot is empty */
	cl_buf data; /* its latest serialized bytes */
} import_slot;

typedef struct import_map {
	import_slot *slots; /* cap slots, open addressing */
	size_t cap;         /* a power of two, or 0 */
	size_t n;           /* slots in use */
} import_map;

static import_slot *import_map_slot(const import_map *m, const char *id)
{
	size_t i = cl_hash_fnv1a(id) & (m->cap - 1);

	while (m->slots[i].id && strcmp(m->slots[i].id, id))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static const import_slot *import_map_get(const import_map *m, const char *id)
{
	const import_slot *s;

	if (!m->cap)
		return NULL;
	s = import_map_slot(m, id);
	return s->id ? s : NULL;
}

static void import_map_grow(import_map *m)
{
	import_map bigger = { NULL, m->cap ? cl_xmul(m->cap, 2) : 1024, 0 };
	size_t i;

	bigger.slots = cl_xcalloc(bigger.cap, sizeof(import_slot));
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].id)
			*import_map_slot(&bigger, m->slots[i].id) = m->slots[i];
	bigger.n = m->n;
	free(m->slots);
	*m = bigger;
}

/* Takes data's contents as id's latest bytes (data is left empty). */
static void import_map_put(import_map *m, const char *id, cl_buf *data)
{
	import_slot *s;

	if ((m->n + 1) * 2 > m->cap)
		import_map_grow(m);
	s = import_map_slot(m, id);
	if (!s->id) {
		s->id = cl_xstrdup(id);
		m->n++;
	} else {
		cl_buf_release(&s->data);
	}
	s->data = *data;
	cl_buf_init(data);
}

static void import_map_release(import_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].id);
		cl_buf_release(&m->slots[i].data);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the import --------------------------------------------------------- */

struct cl_import {
	cl_home *h;                 /* the home */
	const cl_config *cfg;       /* the configuration at the tip (h's cache) */
	const cl_machine *m;        /* its machine */
	cl_oid base;                /* the tip at begin */
	char base_hex[CL_OID_HEXSZ + 1];
	int64_t last_time;          /* the latest request's time (at first, the tip's) */
	size_t n;                   /* transitions queued */
	import_map records;         /* records touched so far */
	cl_buf stream;              /* not yet sent to the child */
	import_child child;         /* git fast-import */
};

static void import_free(cl_import *im)
{
	if (!im)
		return;
	import_child_release(&im->child);
	import_map_release(&im->records);
	cl_buf_release(&im->stream);
	free(im);
}

void cl_import_abort(cl_import *im)
{
	import_free(im);
}

size_t cl_import_count(const cl_import *im)
{
	return im->n;
}

/* The time of commit tip: imported commits may not be dated before it
 * (verify checks that no commit is dated before its parent). */
static int import_tip_time(int64_t *out, cl_home *h, const cl_oid *tip, cl_error *err)
{
	cl_commit_info ci = { 0 };
	int error;

	if ((error = cl_store_commit_info(cl_home_store(h), tip, &ci, err)) < 0)
		return error;
	*out = ci.time;
	cl_commit_info_release(&ci);
	return 0;
}

int cl_import_begin(cl_import **out, cl_home *h, cl_error *err)
{
	cl_import *im = cl_xcalloc(1, sizeof(*im));
	int error;

	*out = NULL;
	im->h = h;
	im->child.in = im->child.out = im->child.errfd = -1;
	cl_buf_init(&im->stream);
	if ((error = cl_home_tip(h, &im->base, err)) < 0 ||
	    (error = import_tip_time(&im->last_time, h, &im->base, err)) < 0 ||
	    (error = cl_home_config(&im->cfg, &im->m, h, err)) < 0 ||
	    (error = import_spawn(&im->child, cl_store_path(cl_home_store(h)), err)) < 0) {
		import_free(im);
		return error;
	}
	cl_oid_fmt(im->base_hex, &im->base);
	*out = im;
	return 0;
}

static int import_check_time(const cl_import *im, const cl_request *req, cl_error *err)
{
	char t[32], last[32];

	if (req->time < 0)
		return cl_error_set(err, CL_EINVALID, "%s: a time before 1970 cannot be imported",
				    req->record_id);
	if (req->time >= im->last_time)
		return 0;
	cl_time_format(t, req->time);
	cl_time_format(last, im->last_time);
	if (!im->n)
		return cl_error_set(err, CL_EINVALID,
				    "%s: time %s is before the history's last commit, %s (the history's "
				    "times never go backwards: past periods go into a home made with "
				    "'chainlog init --date' before them)", req->record_id, t, last);
	return cl_error_set(err, CL_EINVALID,
			    "%s: time %s is before the previous transition's %s (times must not decrease)",
			    req->record_id, t, last);
}

/* The record as the import left it, or as the tip holds it, or NULL. */
static int import_old(cl_record **out, cl_import *im, const char *id, cl_error *err)
{
	const import_slot *s = import_map_get(&im->records, id);
	cl_oid blob;
	int error;

	*out = NULL;
	if (s)
		return cl_record_parse(out, id, s->data.ptr, s->data.size, err);
	error = cl_home_record_at(out, &blob, im->h, &im->base, id, err);
	if (error == CL_ENOTFOUND) {
		cl_error_clear(err);
		return 0;
	}
	return error;
}

/* A signature fast-import can take: no '<', '>' or control characters. */
static int import_sig_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '<' || *s == '>' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

static int import_author(const cl_person **out, const cl_import *im,
			 const cl_request *req, cl_error *err)
{
	const cl_person *p = cl_people_find(im->cfg->people, req->actor);

	if (!p) {
		cl_error_set(err, CL_ENOTFOUND, "unknown person '%s'", req->actor);
		return CL_ENOTFOUND;
	}
	if (!*p->name || !import_sig_ok(p->name)) {
		cl_error_set(err, CL_EINVALID,
			     "the name of '%s' cannot be a commit author (a '<', '>' or control character)",
			     p->id);
		return CL_EINVALID;
	}
	*out = p;
	return 0;
}

static void import_emit(cl_import *im, const cl_person *p, int64_t time,
			const cl_buf *msg, const cl_buf *path, const cl_buf *data)
{
	cl_buf *s = &im->stream;

	cl_buf_printf(s, "commit %s\nmark :%zu\n", CL_IMPORT_REF, im->n + 1);
	cl_buf_printf(s, "author %s <%s> %lld +0000\n", p->name, p->id, (long long)time);
	cl_buf_printf(s, "committer %s <%s> %lld +0000\n", p->name, p->id, (long long)time);
	cl_buf_printf(s, "data %zu\n", msg->size);
	cl_buf_put(s, msg->ptr, msg->size);
	if (!im->n)
		cl_buf_printf(s, "\nfrom %s", im->base_hex);
	cl_buf_printf(s, "\nM 100644 inline %s\ndata %zu\n", path->ptr, data->size);
	cl_buf_put(s, data->ptr, data->size);
	cl_buf_puts(s, "\n\n");
}

static int import_flush(cl_import *im, size_t at, cl_error *err)
{
	int error;

	if (im->stream.size < at || !im->stream.size)
		return 0;
	error = import_send(&im->child, im->stream.ptr, im->stream.size, err);
	cl_buf_clear(&im->stream);
	return error;
}

int cl_import_add(cl_import *im, const cl_request *req, cl_error *err)
{
	cl_buf data = CL_BUF_INIT, msg = CL_BUF_INIT, path = CL_BUF_INIT;
	char period[8], talent[CL_ID_MAX_BUF];
	cl_record *old = NULL, *rec = NULL;
	const cl_person *p = NULL;
	int error;

	if ((error = import_check_time(im, req, err)) < 0 ||
	    (error = cl_record_id_split(period, talent, req->record_id, err)) < 0 ||
	    (error = import_old(&old, im, req->record_id, err)) < 0 ||
	    (error = cl_transition_apply(&rec, im->cfg, im->m, old, req, err)) < 0 ||
	    (error = cl_record_serialize(&data, rec, err)) < 0 ||
	    (error = import_author(&p, im, req, err)) < 0)
		goto done;
	cl_transition_message(&msg, old, rec, req);
	cl_record_path(&path, period, talent);
	import_emit(im, p, req->time, &msg, &path, &data);
	import_map_put(&im->records, req->record_id, &data);
	im->last_time = req->time;
	im->n++;
	error = import_flush(im, IMPORT_FLUSH_AT, err);
done:
	cl_record_free(old);
	cl_record_free(rec);
	cl_buf_release(&data);
	cl_buf_release(&msg);
	cl_buf_release(&path);
	return error;
}

/* Moves the branch to tip, drops the temporary ref, catches the index up. */
static int import_publish(cl_import *im, const cl_oid *tip, cl_error *err)
{
	cl_store *st = cl_home_store(im->h);
	cl_error ignored = CL_ERROR_INIT;
	int error = cl_store_advance(st, &im->base, tip, err);

	cl_store_ref_delete(st, CL_IMPORT_REF, &ignored);
	if (error == CL_EMOVED)
		return cl_error_set(err, CL_ECONFLICT,
				    "the history moved during the import (another writer); "
				    "nothing was imported: run the import again");
	if (error < 0)
		return error;
	/* Durable and final here, as in cl_home_act(): a failure to index
	 * is repaired by the next command's catch-up. */
	if (cl_home_catch_up(im->h, err) < 0)
		fprintf(stderr, "chainlog: warning: %s\n", err->msg);
	cl_error_clear(err);
	return 0;
}

int cl_import_commit(cl_import *im, cl_error *err)
{
	cl_error ignored = CL_ERROR_INIT;
	cl_oid tip;
	int error;

	if (im->n)
		cl_buf_printf(&im->stream, "get-mark :%zu\n", im->n);
	if ((error = import_flush(im, 0, err)) < 0 ||
	    (im->n && (error = import_read_mark(&im->child, &tip, err)) < 0) ||
	    (error = import_finish(&im->child, err)) < 0) {
		cl_store_ref_delete(cl_home_store(im->h), CL_IMPORT_REF, &ignored);
		goto done;
	}
	if (im->n)
		error = import_publish(im, &tip, err);
done:
	import_free(im);
	return error;
}
