/*
 * server.h - `chainlog serve` and its client: the transition commands
 * (submit, approve, reject, withdraw) hand their request to a running
 * server of the same home, which keeps libgit2, the configuration and the
 * index open, instead of paying for all three in every process.
 *
 * The wire is one JSON line each way over the home's Unix socket
 * (HOME/chainlog.sock, see CLI_SERVER_SOCKET):
 *
 *   request  {"action","as","record","time"[,"grade"][,"comment"]
 *             [,"log","log_file"]}     log: the work log's YAML bytes
 *   answer   {"ok":true,"commit","state","level"}
 *            {"ok":false,"code":<cl_error code>,"error":"message"}
 *
 * The answer is written only once the transition is durable, and it is the
 * very outcome the command would have had in its own process: the same
 * engine call, the same messages.  With no server (no socket, or nobody
 * listening) the client says so and the command runs in its own process.
 */
#ifndef CL_CLI_SERVER_H
#define CL_CLI_SERVER_H

#include "cli.h"

#define CLI_SERVER_SOCKET "chainlog.sock"
#define CLI_SERVER_LINE_MAX ((size_t)512 << 10)

/* The outcome of cli_server_call(). */
typedef enum cli_server_outcome {
	CLI_SERVER_NONE,    /* nobody serves this home: run in-process */
	CLI_SERVER_ANSWER,  /* *answer holds the server's answer */
	CLI_SERVER_BROKEN,  /* sent, but no answer came: outcome unknown */
} cli_server_outcome;

/*
 * Sends req to the server of home, if one listens.  log (len bytes, may
 * be NULL) is the submit's work log as the user wrote it, so the server's
 * messages name the same file, line and column.  CHAINLOG_SERVER=0 skips
 * the server.
 */
cli_server_outcome cli_server_call(json_t **answer, const char *home,
				   const cl_request *req, const char *log,
				   size_t len);

/* Prints the answer as the command would have printed its own outcome
 * (id, or --json {id, commit, state, level}; or the error) and returns
 * the exit status. */
int cli_server_print(json_t *answer, const char *id, int json);

/* Runs `chainlog serve` on an open home until SIGINT or SIGTERM. */
int cli_server_run(cl_home *h, const char *home);

#endif
