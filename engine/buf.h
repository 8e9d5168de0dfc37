/*
 * buf.h - the one growable string type (after git's strbuf).
 *
 * ptr is never NULL and always NUL-terminated, even for an empty buffer,
 * once set up with CL_BUF_INIT.  _release frees the contents and returns the
 * buffer to its initial state; _detach hands the memory to the caller.
 * Every buffer is capped at CL_BUF_MAX bytes; growth past it aborts, since
 * no legitimate input of this program comes near it.
 */
#ifndef CL_BUF_H
#define CL_BUF_H

#include <stddef.h>
#include <stdarg.h>

#include "error.h"

#define CL_BUF_MAX ((size_t)1 << 30)

typedef struct cl_buf {
	char *ptr;    /* contents, NUL-terminated; never NULL */
	size_t size;  /* bytes used, not counting the NUL */
	size_t asize; /* bytes allocated; 0 while ptr points at a static "" */
} cl_buf;

extern char cl_buf__empty[];
#define CL_BUF_INIT { cl_buf__empty, 0, 0 }

void cl_buf_init(cl_buf *b);
void cl_buf_release(cl_buf *b);
void cl_buf_grow(cl_buf *b, size_t extra);
void cl_buf_put(cl_buf *b, const void *data, size_t len);
void cl_buf_puts(cl_buf *b, const char *s);
void cl_buf_putc(cl_buf *b, char c);
void cl_buf_printf(cl_buf *b, const char *fmt, ...) CL_PRINTF(2, 3);
void cl_buf_vprintf(cl_buf *b, const char *fmt, va_list ap) CL_PRINTF(2, 0);
void cl_buf_clear(cl_buf *b);
void cl_buf_truncate(cl_buf *b, size_t len);
/* Hands ownership of ptr to the caller (always heap memory); resets b. */
char *cl_buf_detach(cl_buf *b);

/* Reads a whole file, refusing files larger than max bytes. */
int cl_buf_read_file(cl_buf *b, const char *path, size_t max, cl_error *err);
/* Writes a whole file atomically (temporary file, fsync, rename). */
int cl_buf_write_file(const char *path, const void *data, size_t len, cl_error *err);

#endif
