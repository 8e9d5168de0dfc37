/*
 * error.h - caller-owned error reports.
 *
 * Every fallible function in the engine returns an int: 0 on success or one
 * of the negative CL_E* codes below, and fills a caller-owned cl_error with
 * a one-line, lowercase message.  There is no global "last error": the
 * caller passes the report down, which keeps the engine re-entrant.
 *
 * cl_error_set() returns the code it was given so that a function can
 * report and return in one statement.
 */
#ifndef CL_ERROR_H
#define CL_ERROR_H

enum {
	CL_OK = 0,
	CL_EINTERNAL = -1, /* a bug or an unexpected library failure */
	CL_EUSAGE = -2,    /* bad command line */
	CL_EINVALID = -3,  /* bad input: YAML, a field, an id, a period */
	CL_ENOTFOUND = -4, /* unknown record, person, unit or home */
	CL_EDENIED = -5,   /* a rule forbids this actor or this action */
	CL_ECONFLICT = -6, /* the record changed meanwhile */
	CL_EVERIFY = -7,   /* verify found violations */
	CL_ESTORE = -8,    /* the history or the index failed */
	CL_EEXISTS = -9,   /* the target already exists */
	CL_EMOVED = -10,   /* internal: the branch moved under a CAS */
};

#define CL_ERROR_MSG_MAX 1024

typedef struct cl_error {
	int code;                    /* last code set, CL_OK when clear */
	char msg[CL_ERROR_MSG_MAX];  /* NUL-terminated one-line message */
} cl_error;

#define CL_ERROR_INIT { 0, { 0 } }

#if defined(__GNUC__)
#define CL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CL_PRINTF(a, b)
#endif

/* Sets code and message; returns code.  err may be NULL. */
int cl_error_set(cl_error *err, int code, const char *fmt, ...) CL_PRINTF(3, 4);

/* Prefixes the existing message with "what: "; returns err->code. */
int cl_error_prefix(cl_error *err, const char *fmt, ...) CL_PRINTF(2, 3);

void cl_error_clear(cl_error *err);

/* The process exit status documented for a code (see README). */
int cl_error_exit_status(int code);

/* A short stable name for a code, e.g. "invalid", for --json output. */
const char *cl_error_name(int code);

#endif
