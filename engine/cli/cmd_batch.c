/*
 * cmd_batch.c - chainlog batch [--group N]
 *
 * Many transitions in one process: JSON lines on stdin, one command per
 * line, one JSON answer per line on stdout, in order.  Each transition is
 * still its own commit, made by the same engine call as the single
 * commands.  A line is answered only once its commit is durable:
 *
 *   default      each line's commit is written as one small pack and the
 *                branch moved, both fsynced, before the line is answered;
 *   --group N    up to N lines that are already waiting are committed
 *                in memory, then written as one pack and the branch moved
 *                once, both fsynced, and then they are answered together
 *                (group commit).  Should that write fail, none of the
 *                group's commits happened and each of its lines says so.
 *
 * A pack costs fewer fsyncs than the ~6 loose objects of a commit.  The
 * store folds every 16 small packs into one as it goes; what is left is
 * folded by `git -C HOME/history.git repack -d` (or `git gc`).
 *
 * Input:  {"action":"submit","as":"t001","period":"2022H2","log":{...}}
 *         ("file":"LOG.yaml" instead of "log" reads a YAML log)
 *         {"action":"approve","as":"v-x","record":"2022H2/t001",
 *          "grade":"excellent","comment":"..."}   (reject, withdraw alike)
 * Output: {"line":1,"ok":true,"id":"...","commit":"...","state":"..."}
 *         {"line":2,"ok":false,"status":5,"code":"denied","error":"..."}
 * The exit status is 0 when every line succeeded, else that of the last
 * failure.
 */
#include "commands.h"
#include "message.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_LINE_MAX ((size_t)256 << 10)
#define BATCH_GROUP_MAX 4096

/* A line reader on fd 0 that can tell whether a whole line is already
 * waiting, which stdio cannot. */
typedef struct batch_in {
	cl_buf buf;   /* bytes read and not yet consumed */
	size_t pos;   /* start of the next line in buf */
	int eof;      /* read() returned 0 */
} batch_in;

static int batch_fill(batch_in *in, int wait)
{
	char chunk[65536];
	struct pollfd p = { 0, POLLIN, 0 };
	ssize_t n;

	if (in->eof || (!wait && poll(&p, 1, 0) <= 0))
		return 0;
	if (in->pos) {
		memmove(in->buf.ptr, in->buf.ptr + in->pos, in->buf.size - in->pos);
		cl_buf_truncate(&in->buf, in->buf.size - in->pos);
		in->pos = 0;
	}
	do
		n = read(0, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		in->eof = 1;
	else
		cl_buf_put(&in->buf, chunk, (size_t)n);
	return n > 0;
}

/* Next line into *line (NUL-terminated, in the buffer); 0 at the end.
 * With wait=0, returns 0 unless a whole line is already available. */
static int batch_next(batch_in *in, char **line, int wait)
{
	char *nl;

	for (;;) {
		nl = memchr(in->buf.ptr + in->pos, '\n', in->buf.size - in->pos);
		if (nl || (in->eof && in->pos < in->buf.size)) {
			if (!nl)
				cl_buf_putc(&in->buf, '\n');
			nl = memchr(in->buf.ptr + in->pos, '\n', in->buf.size - in->pos);
			*nl = '\0';
			*line = in->buf.ptr + in->pos;
			in->pos = (size_t)(nl - in->buf.ptr) + 1;
			return 1;
		}
		if (in->buf.size - in->pos > BATCH_LINE_MAX)
			cl_die("batch input line too long");
		if (!batch_fill(in, wait))
			return 0;
	}
}

typedef struct batch_req {
	cl_request req;      /* what the engine runs */
	json_t *json;        /* the parsed line; req's strings point into it */
	cl_buf id;           /* the record id, owned */
	cl_ynode *log;       /* submit: the log, owned */
	char *comment;       /* cleaned comment, owned */
	size_t line;         /* input line number */
} batch_req;

static void batch_req_release(batch_req *b)
{
	json_decref(b->json);
	cl_buf_release(&b->id);
	cl_ynode_free(b->log);
	free(b->comment);
	memset(b, 0, sizeof(*b));
	cl_buf_init(&b->id);
}

static const char *batch_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int batch_log(batch_req *b, json_t *o, cl_error *err)
{
	const char *file = batch_str(o, "file");
	cl_buf data = CL_BUF_INIT;
	int error = 0;

	if (file) {
		if ((error = cl_buf_read_file(&data, file, CL_LOG_MAX_BYTES, err)) == 0)
			error = cl_yaml_parse(&b->log, file, data.ptr, data.size,
					      CL_LOG_MAX_BYTES, err);
		b->req.log_file = file;
	} else if (json_is_object(json_object_get(o, "log"))) {
		error = cli_json_log(&b->log, json_object_get(o, "log"), err);
		b->req.log_file = "log";
	} else {
		error = cl_error_set(err, CL_EUSAGE, "submit needs \"log\" or \"file\"");
	}
	b->req.log = b->log;
	cl_buf_release(&data);
	return error;
}

static int batch_record_id(batch_req *b, json_t *o, cl_error *err)
{
	const char *period = batch_str(o, "period"), *record = batch_str(o, "record");

	if (b->req.action == CL_ACTION_SUBMIT) {
		if (!period)
			return cl_error_set(err, CL_EUSAGE, "submit needs \"period\"");
		cl_buf_printf(&b->id, "%s/%s", period, b->req.actor);
	} else if (record) {
		cl_buf_puts(&b->id, record);
	} else {
		return cl_error_set(err, CL_EUSAGE, "\"record\" is required");
	}
	b->req.record_id = b->id.ptr;
	return 0;
}

/* Turns one JSON line into a request. */
static int batch_parse(batch_req *b, const char *line, cl_error *err)
{
	const char *action, *comment;
	json_error_t jerr;
	json_t *o;
	int error;

	b->req.record_id = "(batch)";
	o = b->json = json_loads(line, 0, &jerr);
	if (!o || !json_is_object(o))
		return cl_error_set(err, CL_EUSAGE, "line is not a JSON object%s%s",
				    o ? "" : ": ", o ? "" : jerr.text);
	action = batch_str(o, "action");
	comment = batch_str(o, "comment");
	b->req.actor = batch_str(o, "as");
	b->req.grade = batch_str(o, "grade");
	if (!action || cl_action_parse(&b->req.action, action) < 0)
		return cl_error_set(err, CL_EUSAGE,
				    "\"action\" must be submit, approve, reject or withdraw");
	if (!b->req.actor)
		return cl_error_set(err, CL_EUSAGE, "\"as\" is required");
	if ((error = batch_record_id(b, o, err)) < 0 ||
	    (b->req.action == CL_ACTION_SUBMIT && (error = batch_log(b, o, err)) < 0) ||
	    (comment && (error = cl_message_clean_comment(&b->comment, comment, err)) < 0))
		return error;
	b->req.comment = b->comment;
	return 0;
}

static void batch_answer(const batch_req *b, int error, const cl_error *err,
			 const cl_oid *commit, const char *state)
{
	char hex[CL_OID_HEXSZ + 1];
	json_t *o = json_object();

	json_object_set_new(o, "line", json_integer((json_int_t)b->line));
	json_object_set_new(o, "ok", json_boolean(!error));
	json_object_set_new(o, "id", json_string(b->req.record_id));
	if (error) {
		json_object_set_new(o, "status", json_integer(cl_error_exit_status(error)));
		json_object_set_new(o, "code", json_string(cl_error_name(error)));
		json_object_set_new(o, "error", json_string(err->msg));
	} else {
		cl_oid_fmt(hex, commit);
		json_object_set_new(o, "commit", json_string(hex));
		json_object_set_new(o, "state", cli_json_str(state));
	}
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

typedef struct batch_slot {
	batch_req b;     /* the request */
	int error;       /* its outcome */
	cl_error err;    /* its message */
	cl_oid commit;   /* its commit */
	char *state;     /* the record's state right after it, owned */
} batch_slot;

/* Runs one parsed line and notes the record's state right after it. */
static void batch_run(batch_slot *s, cl_home *h)
{
	cl_record *r = NULL;

	s->error = cl_home_act(h, &s->b.req, &s->commit, &r, &s->err);
	if (!s->error)
		s->state = cl_xstrdup(r->state);
	cl_record_free(r);
}

/* Writes the group; if that fails, none of its commits happened, and the
 * lines that had succeeded are answered with the reason. */
static void batch_group_end(batch_slot *slots, size_t n, cl_home *h)
{
	cl_error err = CL_ERROR_INIT;
	size_t moved, i;
	int error;

	error = cl_store_group_end(cl_home_store(h), &moved, &err);
	for (i = 0; error && i < n; i++) {
		if (slots[i].error)
			continue;
		slots[i].error = error;
		cl_error_set(&slots[i].err, error, "%s: not committed: %s",
			     slots[i].b.req.record_id, err.msg);
	}
	cl_error_clear(&err);
	/* as after a single transition: the index lagging is repaired by
	 * the next command, so it is not this line's failure */
	if (!error && moved && cl_home_catch_up(h, &err) < 0)
		fprintf(stderr, "chainlog: warning: %s\n", err.msg);
}

/* Runs up to `group` lines: the first may wait for input, the rest only
 * when already there.  Returns how many lines were read; *failed gets the
 * status of the last failure. */
static size_t batch_group(batch_in *in, batch_slot *slots, size_t group, size_t *lineno,
			  cl_home *h, int *failed)
{
	size_t n = 0, i;
	char *line;
	int grouped = 0;

	while (n < group && batch_next(in, &line, n == 0)) {
		batch_slot *s = &slots[n++];
		s->b.line = ++*lineno;
		cl_error_clear(&s->err);
		s->error = batch_parse(&s->b, line, &s->err);
		/* the group (and its writer lock) starts once a line is in
		 * hand, never while waiting for input */
		if (!s->error && !grouped) {
			if ((s->error = cl_store_group_begin(cl_home_store(h), &s->err)) < 0)
				continue;
			grouped = 1;
		}
		if (!s->error)
			batch_run(s, h);
	}
	if (grouped)
		batch_group_end(slots, n, h);
	for (i = 0; i < n; i++) {
		batch_answer(&slots[i].b, slots[i].error, &slots[i].err, &slots[i].commit,
			     slots[i].state);
		if (slots[i].error)
			*failed = cl_error_exit_status(slots[i].error);
		batch_req_release(&slots[i].b);
		free(slots[i].state);
		slots[i].state = NULL;
	}
	fflush(stdout);
	cl_store_maintain(cl_home_store(h)); /* once the group is answered */
	return n;
}

int cmd_batch(cli_ctx *ctx)
{
	const cli_command *cmd = cli_self("batch");
	const char *group_s;
	cli_opt opts[] = { { "group", 1, &group_s }, { NULL, 0, NULL } };
	batch_in in = { CL_BUF_INIT, 0, 0 };
	cl_error err = CL_ERROR_INIT;
	batch_slot *slots;
	cl_home *h = NULL;
	size_t lineno = 0, group = 1, i;
	int status = 0, failed = 0;
	char *end;

	if (cli_parse(ctx, cmd, opts, NULL, 0, 0, &status) < 0)
		return status;
	if (group_s) {
		group = (size_t)strtoul(group_s, &end, 10);
		if (*end || group < 1 || group > BATCH_GROUP_MAX)
			return cli_usage(cmd, "--group takes 1 to %d", BATCH_GROUP_MAX);
	}
	if (cli_open(&h, ctx, &err) < 0)
		return cli_fail(&err);
	cl_store_fold_later(cl_home_store(h), 1); /* after each group's answers */
	cl_index_long_lived(cl_home_index(h));
	slots = cl_xcalloc(group, sizeof(*slots));
	for (i = 0; i < group; i++)
		cl_buf_init(&slots[i].b.id);
	while (batch_group(&in, slots, group, &lineno, h, &failed) > 0)
		;
	free(slots);
	cl_buf_release(&in.buf);
	cl_home_free(h);
	return failed;
}
