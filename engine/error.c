/*
 * error.c - see error.h.  Messages are truncated, never overflowed; control
 * characters are replaced so that a report is always exactly one line.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_oneline(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int cl_error_set(cl_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	error_oneline(err->msg);
	return code;
}

int cl_error_prefix(cl_error *err, const char *fmt, ...)
{
	char head[CL_ERROR_MSG_MAX], tail[CL_ERROR_MSG_MAX];
	va_list ap;

	if (!err)
		return CL_EINTERNAL;
	memcpy(tail, err->msg, sizeof(tail));
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* truncating a long message is fine; it stays one line */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", head, tail) < 0)
		err->msg[0] = '\0';
	error_oneline(err->msg);
	return err->code;
}

void cl_error_clear(cl_error *err)
{
	if (!err)
		return;
	err->code = CL_OK;
	err->msg[0] = '\0';
}

int cl_error_exit_status(int code)
{
	switch (code) {
	case CL_OK: return 0;
	case CL_EINTERNAL: return 1;
	case CL_EUSAGE: return 2;
	case CL_EINVALID: return 3;
	case CL_ENOTFOUND: return 4;
	case CL_EDENIED: return 5;
	case CL_ECONFLICT: return 6;
	case CL_EVERIFY: return 7;
	case CL_ESTORE: return 8;
	case CL_EEXISTS: return 9;
	case CL_EMOVED: return 6;
	}
	return 1;
}

const char *cl_error_name(int code)
{
	switch (code) {
	case CL_OK: return "ok";
	case CL_EINTERNAL: return "internal";
	case CL_EUSAGE: return "usage";
	case CL_EINVALID: return "invalid";
	case CL_ENOTFOUND: return "not-found";
	case CL_EDENIED: return "denied";
	case CL_ECONFLICT: return "conflict";
	case CL_EVERIFY: return "verify";
	case CL_ESTORE: return "store";
	case CL_EEXISTS: return "exists";
	case CL_EMOVED: return "conflict";
	}
	return "internal";
}
