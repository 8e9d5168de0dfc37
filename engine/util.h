/*
 * util.h - allocation that never returns NULL, checked arithmetic, ids,
 * periods and dates.  Everything here is pure and free of I/O.
 *
 * Allocation failure is not an error this program can recover from in a
 * useful way, so the x* functions print a message and abort.
 */
#ifndef CL_UTIL_H
#define CL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

void cl_die(const char *msg) __attribute__((noreturn));
#if defined(__GNUC__)
#define CL_NONNULL_RESULT __attribute__((returns_nonnull))
#else
#define CL_NONNULL_RESULT
#endif

void *cl_xmalloc(size_t n) CL_NONNULL_RESULT;
void *cl_xcalloc(size_t n, size_t size) CL_NONNULL_RESULT;
void *cl_xrealloc(void *p, size_t n) CL_NONNULL_RESULT;
/* n * size, aborting on overflow */
size_t cl_xmul(size_t n, size_t size);
char *cl_xstrdup(const char *s) CL_NONNULL_RESULT;
char *cl_xstrndup(const char *s, size_t n) CL_NONNULL_RESULT;
/* Frees n strings and the array; NULL is fine. */
void cl_strv_free(char **v, size_t n);

/* Hands the heap's free memory back to the system (where the C library
 * can: glibc's malloc_trim).  After a large, short-lived structure (a
 * YAML document of thousands of people) is freed, its many small blocks
 * would otherwise stay in the process's resident size to its end. */
void cl_heap_release(void);

#define CL_ID_MAX 64
#define CL_ID_MAX_BUF (CL_ID_MAX + 1)

/*
 * Ids of people, units, levels, needs: 1..64 of [A-Za-z0-9._-], starting
 * with a letter or digit, with no "..".  Such an id is safe in a path, a
 * trailer, an e-mail part and a shell word.
 */
int cl_id_valid(const char *s);

/* A period "YYYYH1" or "YYYYH2" with 1900 <= YYYY <= 9999. */
typedef struct cl_period {
	int year; /* e.g. 2022 */
	int half; /* 1 or 2 */
} cl_period;

int cl_period_parse(cl_period *out, const char *s);
/* first and last day of the period as days since 1970-01-01 */
int64_t cl_period_first_day(const cl_period *p);
int64_t cl_period_last_day(const cl_period *p);

/* "YYYY-MM-DD" to days since 1970-01-01; returns -1 when invalid. */
int cl_date_parse(int64_t *days, const char *s);
void cl_date_format(char out[11], int64_t days);

/* Is s valid UTF-8 with no NUL and no control characters other than
 * (when allow_newline) '\n' and '\t'? */
int cl_text_valid(const char *s, size_t len, int allow_newline);

/* 32-bit FNV-1a, used to shard record paths. */
uint32_t cl_hash_fnv1a(const char *s);

/* Seconds since the epoch: $CHAINLOG_NOW when set (tests), else time(). */
int64_t cl_now(void);
/* "2022-09-04T10:00:00Z" */
void cl_time_format(char out[32], int64_t t);
/* The inverse of cl_time_format; 0 or -1. */
int cl_time_parse(int64_t *out, const char *s);

/*
 * Fault injection, compiled in only with -Dfault_injection=true (test
 * builds).  CHAINLOG_FAULT=<point> kills the process with _exit(99) when
 * it reaches <point>, as a crash or a power cut would; CHAINLOG_PAUSE=
 * <point>:<ms> sleeps there, to widen race windows.  The points are
 * listed in docs/RELIABILITY.md.  In other builds these do nothing.
 */
#ifdef CL_FAULT_INJECTION
void cl_fault(const char *point);
#else
#define cl_fault(point) ((void)0)
#endif

#endif
