/*
 * buf.c - see buf.h.
 */
#include "buf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char cl_buf__empty[1];

void cl_buf_init(cl_buf *b)
{
	b->ptr = cl_buf__empty;
	b->size = 0;
	b->asize = 0;
}

void cl_buf_release(cl_buf *b)
{
	if (b->asize)
		free(b->ptr);
	cl_buf_init(b);
}

void cl_buf_grow(cl_buf *b, size_t extra)
{
	size_t want, n;

	if (extra > CL_BUF_MAX || b->size > CL_BUF_MAX - extra - 1)
		cl_die("buffer limit exceeded");
	want = b->size + extra + 1;
	if (want <= b->asize)
		return;
	n = b->asize ? b->asize : 64;
	while (n < want)
		n = n < CL_BUF_MAX / 2 ? n * 2 : CL_BUF_MAX + 1;
	if (b->asize) {
		b->ptr = cl_xrealloc(b->ptr, n);
	} else {
		b->ptr = cl_xmalloc(n);
		b->ptr[0] = '\0';
	}
	b->asize = n;
}

void cl_buf_put(cl_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	cl_buf_grow(b, len);
	memcpy(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
}

void cl_buf_puts(cl_buf *b, const char *s)
{
	cl_buf_put(b, s, strlen(s));
}

void cl_buf_putc(cl_buf *b, char c)
{
	cl_buf_put(b, &c, 1);
}

void cl_buf_vprintf(cl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		cl_die("bad format string");
	cl_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	b->size += (size_t)n;
}

void cl_buf_printf(cl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void cl_buf_clear(cl_buf *b)
{
	cl_buf_truncate(b, 0);
}

void cl_buf_truncate(cl_buf *b, size_t len)
{
	if (len >= b->size)
		return;
	b->size = len;
	b->ptr[len] = '\0';
}

char *cl_buf_detach(cl_buf *b)
{
	char *p = b->asize ? b->ptr : cl_xstrdup("");

	cl_buf_init(b);
	return p;
}

int cl_buf_read_file(cl_buf *b, const char *path, size_t max, cl_error *err)
{
	char chunk[8192];
	FILE *f;
	size_t n;
	int error = 0;

	if (!(f = fopen(path, "rb")))
		return cl_error_set(err, errno == ENOENT ? CL_ENOTFOUND : CL_EINVALID,
				    "cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->size + n > max) {
			error = cl_error_set(err, CL_EINVALID,
					     "%s: file is larger than the limit of %zu bytes",
					     path, max);
			break;
		}
		cl_buf_put(b, chunk, n);
	}
	if (!error && ferror(f))
		error = cl_error_set(err, CL_EINVALID, "cannot read '%s': %s",
				     path, strerror(errno));
	fclose(f);
	return error;
}

int cl_buf_write_file(const char *path, const void *data, size_t len, cl_error *err)
{
	cl_buf tmp = CL_BUF_INIT;
	int fd = -1, error = 0;

	cl_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		error = cl_error_set(err, CL_ESTORE, "cannot write '%s': %s", path,
				     strerror(errno));
		goto done;
	}
	if (close(fd) < 0 || rename(tmp.ptr, path) < 0) {
		fd = -1;
		error = cl_error_set(err, CL_ESTORE, "cannot write '%s': %s", path,
				     strerror(errno));
		goto done;
	}
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	if (error)
		unlink(tmp.ptr);
	cl_buf_release(&tmp);
	return error;
}
