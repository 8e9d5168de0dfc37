/*
 * server.c - see server.h.
 *
 * One connection at a time: a transition waits for its fsyncs anyway, and
 * the engine already serialises writers on the history's lock, so a
 * second worker would only wait on the first.  Each request runs as a
 * group of one (cl_store_group_begin/end): its objects go to disk as one
 * small pack, which costs fewer fsyncs than loose objects, and the store
 * folds every 16 of them into one.
 *
 * Trap: the answer must never be sent before the transition is durable,
 * and a client that got no answer cannot know whether it happened; it
 * says so (CLI_SERVER_BROKEN) instead of retrying in its own process.
 */
#define _GNU_SOURCE /* accept4 */
#include "server.h"
#include "message.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SERVER_TIMEOUT_SEC 30 /* a client that sends nothing is dropped */

/* The socket's address for home; -1 when the path does not fit. */
static int server_addr(struct sockaddr_un *sa, const char *home)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", home, CLI_SERVER_SOCKET);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -1 : 0;
}

/* Writes all of data; -1 on failure (no SIGPIPE). */
static int server_send(int fd, const char *data, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = send(fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads one line (without its newline) into out; -1 on EOF before the
 * newline, an error, a timeout, or a line longer than max. */
static int server_recv_line(cl_buf *out, int fd, size_t max)
{
	char chunk[4096], *nl;
	ssize_t r;

	cl_buf_clear(out);
	for (;;) {
		r = recv(fd, chunk, sizeof(chunk), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		nl = memchr(chunk, '\n', (size_t)r);
		cl_buf_put(out, chunk, nl ? (size_t)(nl - chunk) : (size_t)r);
		if (out->size > max)
			return -1;
		if (nl)
			return 0;
	}
}

static int server_json_send(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	int error;

	if (!s)
		return -1;
	error = server_send(fd, s, strlen(s));
	if (!error)
		error = server_send(fd, "\n", 1);
	free(s);
	return error;
}

/* ---- the client -------------------------------------------------------- */

static json_t *server_request(const cl_request *req, const char *log, size_t len)
{
	json_t *o = json_object();

	json_object_set_new(o, "action", json_string(cl_action_name(req->action)));
	json_object_set_new(o, "as", json_string(req->actor));
	json_object_set_new(o, "record", json_string(req->record_id));
	json_object_set_new(o, "time", json_integer((json_int_t)req->time));
	if (req->grade)
		json_object_set_new(o, "grade", json_string(req->grade));
	if (req->comment)
		json_object_set_new(o, "comment", json_string(req->comment));
	if (log) {
		json_object_set_new(o, "log", json_stringn(log, len));
		json_object_set_new(o, "log_file", json_string(req->log_file));
	}
	return o;
}

cli_server_outcome cli_server_call(json_t **answer, const char *home,
				   const cl_request *req, const char *log,
				   size_t len)
{
	const char *env = getenv("CHAINLOG_SERVER");
	struct sockaddr_un sa;
	cl_buf line = CL_BUF_INIT;
	cli_server_outcome out = CLI_SERVER_NONE;
	json_t *o;
	int fd, sent;

	*answer = NULL;
	if ((env && strcmp(env, "0") == 0) || server_addr(&sa, home) < 0 ||
	    access(sa.sun_path, F_OK) < 0)
		return CLI_SERVER_NONE;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CLI_SERVER_NONE;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd); /* a socket left by a server that is gone */
		return CLI_SERVER_NONE;
	}
	o = server_request(req, log, len);
	/* the server acts on a whole line only: a send that failed part way
	 * changed nothing, and the command may run in its own process */
	sent = server_json_send(fd, o) == 0;
	json_decref(o);
	if (sent) {
		out = CLI_SERVER_BROKEN;
		if (server_recv_line(&line, fd, CLI_SERVER_LINE_MAX) == 0 &&
		    (*answer = json_loadb(line.ptr, line.size, 0, NULL)) != NULL) {
			if (json_is_object(*answer)) {
				out = CLI_SERVER_ANSWER;
			} else {
				json_decref(*answer);
				*answer = NULL;
			}
		}
	}
	cl_buf_release(&line);
	close(fd);
	return out;
}

int cli_server_print(json_t *answer, const char *id, int json)
{
	cl_error err = CL_ERROR_INIT;
	json_t *o;
	const char *msg;
	int code;

	if (!json_is_true(json_object_get(answer, "ok"))) {
		code = (int)json_integer_value(json_object_get(answer, "code"));
		msg = json_string_value(json_object_get(answer, "error"));
		cl_error_set(&err, code < 0 ? code : CL_EINTERNAL, "%s",
			     msg ? msg : "the server gave no reason");
		return cli_fail(&err);
	}
	if (!json) {
		printf("%s\n", id);
		return 0;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set(o, "commit", json_object_get(answer, "commit"));
	json_object_set(o, "state", json_object_get(answer, "state"));
	json_object_set(o, "level", json_object_get(answer, "level"));
	cli_json_print(o);
	return 0;
}

/* ---- the server -------------------------------------------------------- */

static volatile sig_atomic_t server_stop;

static void server_on_signal(int sig)
{
	(void)sig;
	server_stop = 1;
}

/* A request's parts, owned. */
typedef struct server_req {
	cl_request req;  /* what the engine runs */
	cl_ynode *log;   /* submit: the parsed log */
	char *comment;   /* cleaned comment */
} server_req;

static const char *server_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int server_decode(server_req *r, json_t *o, cl_error *err)
{
	const char *action = server_str(o, "action"), *comment = server_str(o, "comment");
	json_t *log = json_object_get(o, "log");
	int error;

	r->req.record_id = server_str(o, "record");
	r->req.actor = server_str(o, "as");
	r->req.grade = server_str(o, "grade");
	r->req.time = (int64_t)json_integer_value(json_object_get(o, "time"));
	if (!action || cl_action_parse(&r->req.action, action) < 0 || !r->req.record_id ||
	    !r->req.actor || !json_is_integer(json_object_get(o, "time")))
		return cl_error_set(err, CL_EUSAGE, "malformed request to the server");
	if (comment && (error = cl_message_clean_comment(&r->comment, comment, err)) < 0) {
		cl_error_prefix(err, "%s", r->req.record_id);
		return error;
	}
	r->req.comment = r->comment;
	if (r->req.action != CL_ACTION_SUBMIT)
		return 0;
	r->req.log_file = server_str(o, "log_file");
	if (!json_is_string(log) || !r->req.log_file)
		return cl_error_set(err, CL_EUSAGE, "a submit to the server needs its log");
	if ((error = cl_yaml_parse(&r->log, r->req.log_file, json_string_value(log),
				   json_string_length(log), CL_LOG_MAX_BYTES, err)) < 0) {
		cl_error_prefix(err, "%s", r->req.record_id);
		return error;
	}
	r->req.log = r->log;
	return 0;
}

/* Runs a request as a group of one; the answer's fields on success. */
static int server_act(json_t *ans, cl_home *h, const cl_request *req, cl_error *err)
{
	char hex[CL_OID_HEXSZ + 1];
	cl_error e2 = CL_ERROR_INIT;
	cl_record *rec = NULL;
	cl_oid commit;
	size_t moved = 0;
	int error;

	if ((error = cl_store_group_begin(cl_home_store(h), err)) < 0)
		return error;
	error = cl_home_act(h, req, &commit, &rec, err);
	if (cl_store_group_end(cl_home_store(h), &moved, error ? &e2 : err) < 0 && !error)
		error = CL_ESTORE;
	if (!error && moved && cl_home_catch_up(h, &e2) < 0)
		fprintf(stderr, "chainlog serve: warning: %s\n", e2.msg);
	if (!error) {
		cl_oid_fmt(hex, &commit);
		json_object_set_new(ans, "commit", json_string(hex));
		json_object_set_new(ans, "state", json_string(rec->state));
		json_object_set_new(ans, "level", cli_json_str(rec->level));
	}
	cl_record_free(rec);
	return error;
}

/* Serves one connection: one request, one answer. */
static void server_one(cl_home *h, int fd)
{
	struct timeval tv = { SERVER_TIMEOUT_SEC, 0 };
	cl_error err = CL_ERROR_INIT;
	server_req r = { 0 };
	cl_buf line = CL_BUF_INIT;
	json_t *o = NULL, *ans = json_object();
	int error;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (server_recv_line(&line, fd, CLI_SERVER_LINE_MAX) < 0)
		goto done; /* nothing whole arrived: nothing is done */
	o = json_loadb(line.ptr, line.size, 0, NULL);
	if (!json_is_object(o))
		error = cl_error_set(&err, CL_EUSAGE, "malformed request to the server");
	else if ((error = server_decode(&r, o, &err)) == 0)
		error = server_act(ans, h, &r.req, &err);
	json_object_set_new(ans, "ok", json_boolean(!error));
	if (error) {
		json_object_set_new(ans, "code", json_integer(error));
		json_object_set_new(ans, "error", json_string(err.msg));
	}
	fprintf(stderr, "chainlog serve: %s %s by %s: %s\n",
		r.req.record_id ? cl_action_name(r.req.action) : "?",
		r.req.record_id ? r.req.record_id : "?", r.req.actor ? r.req.actor : "?",
		error ? err.msg : "done");
	if (server_json_send(fd, ans) < 0)
		fprintf(stderr, "chainlog serve: the client left before its answer\n");
done:
	cl_ynode_free(r.log);
	free(r.comment);
	json_decref(o);
	json_decref(ans);
	cl_buf_release(&line);
}

/* 1 when a server answers on sa. */
static int server_alive(const struct sockaddr_un *sa)
{
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), alive;

	if (probe < 0)
		return 0;
	alive = connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(probe);
	return alive;
}

/* Binds the home's socket; refuses when a live server already has it. */
static int server_listen(int *out, const struct sockaddr_un *sa, cl_error *err)
{
	const struct sockaddr *addr = (const struct sockaddr *)sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return cl_error_set(err, CL_ESTORE, "cannot make a socket: %s", strerror(errno));
	if (bind(fd, addr, sizeof(*sa)) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		if (server_alive(sa)) {
			close(fd);
			return cl_error_set(err, CL_EEXISTS,
					    "a server already serves this home ('%s')", sa->sun_path);
		}
		unlink(sa->sun_path); /* left by a server that died */
		if (bind(fd, addr, sizeof(*sa)) < 0)
			goto fail;
	}
	if (listen(fd, 64) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	cl_error_set(err, CL_ESTORE, "cannot listen on '%s': %s", sa->sun_path, strerror(errno));
	close(fd);
	return CL_ESTORE;
}

int cli_server_run(cl_home *h, const char *home)
{
	struct sockaddr_un sa;
	struct sigaction act;
	cl_error err = CL_ERROR_INIT;
	int fd = -1, c;

	if (server_addr(&sa, home) < 0) {
		cl_error_set(&err, CL_EUSAGE, "the home's path is too long for a socket: '%s'",
			     home);
		return cli_fail(&err);
	}
	if (server_listen(&fd, &sa, &err) < 0)
		return cli_fail(&err);
	memset(&act, 0, sizeof(act));
	act.sa_handler = server_on_signal; /* no SA_RESTART: accept returns */
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "chainlog serve: serving %s on %s\n", home, sa.sun_path);
	/* folding small packs waits until a request is answered */
	cl_store_fold_later(cl_home_store(h), 1);
	while (!server_stop) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			cl_error_set(&err, CL_ESTORE, "cannot accept: %s", strerror(errno));
			break;
		}
		server_one(h, c);
		close(c);
		cl_store_maintain(cl_home_store(h));
	}
	unlink(sa.sun_path);
	close(fd);
	fprintf(stderr, "chainlog serve: stopped\n");
	return err.code ? cli_fail(&err) : 0;
}
