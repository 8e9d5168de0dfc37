/*
 * schema.c - see schema.h.  Part of the config loaders, so it works on
 * cl_ynode trees only and never sees libyaml itself.
 */
#include "schema.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cl_schema_fail(const cl_schema *s, const cl_ynode *node, const char *fmt, ...)
{
	char where[512], msg[CL_ERROR_MSG_MAX];
	va_list ap;

	cl_ynode_where(where, sizeof(where), s->file, node);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cl_error_set(s->err, CL_EINVALID, "%s: %s", where, msg);
}

const char *cl_schema_quote(char *out, size_t n, const char *v)
{
	size_t i = 0, o = 0;

	if (!n)
		return out;
	for (; v[i] && o + 5 < n && i < 40; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (v[i] && o + 4 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static int schema_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(key, *allowed))
			return 1;
	return 0;
}

int cl_schema_map(const cl_schema *s, const cl_ynode *node, const char *what,
		  const char *const *allowed)
{
	char list[512] = "", q[64];
	size_t i, o = 0;

	if (!node || node->kind != CL_YNODE_MAP)
		return cl_schema_fail(s, node, "%s must be a mapping", what);
	for (i = 0; i < node->n; i++) {
		const cl_ynode *k = cl_ynode_key(node, i);
		if (!k->plain)
			return cl_schema_fail(s, k, "keys must be plain, not quoted: '%s'",
					      cl_schema_quote(q, sizeof(q), k->str));
		if (schema_allowed(k->str, allowed))
			continue;
		for (; *allowed && o < sizeof(list) - 1; allowed++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
					      o ? ", " : "", *allowed);
		return cl_schema_fail(s, k, "unknown key '%s' in %s (expected one of: %s)",
				      cl_schema_quote(q, sizeof(q), k->str), what, list);
	}
	return 0;
}

int cl_schema_seq(const cl_schema *s, const cl_ynode *node, const char *what)
{
	if (!node || node->kind != CL_YNODE_SEQ)
		return cl_schema_fail(s, node, "%s must be a list", what);
	return 0;
}

int cl_schema_str(const char **out, const cl_schema *s, const cl_ynode *map,
		  const char *what, const char *key, int required)
{
	const cl_ynode *v = cl_ynode_get(map, key);

	*out = NULL;
	if (!v) {
		if (required)
			return cl_schema_fail(s, map, "%s is missing required key '%s'",
					      what, key);
		return 0;
	}
	if (v->kind != CL_YNODE_SCALAR)
		return cl_schema_fail(s, v, "%s '%s' must be a string", what, key);
	if (!cl_text_valid(v->str, v->len, 1) || strlen(v->str) != v->len)
		return cl_schema_fail(s, v, "%s '%s' has a control character or invalid UTF-8",
				      what, key);
	*out = v->str;
	return 0;
}

int cl_schema_id(const char **out, const cl_schema *s, const cl_ynode *map,
		 const char *what, const char *key, int required)
{
	char q[64];
	int error;

	if ((error = cl_schema_str(out, s, map, what, key, required)) < 0)
		return error;
	if (*out && !cl_id_valid(*out))
		return cl_schema_fail(s, cl_ynode_get(map, key),
				      "%s '%s' is not a valid id: '%s' (use 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
				      what, key, cl_schema_quote(q, sizeof(q), *out));
	return 0;
}

int cl_schema_parse_int(int64_t *out, const char *str)
{
	char *end;
	long long v;

	if (!*str || (str[0] != '-' && (str[0] < '0' || str[0] > '9')))
		return -1;
	errno = 0;
	v = strtoll(str, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cl_schema_int(int64_t *out, int *present, const cl_schema *s,
		  const cl_ynode *map, const char *what, const char *key,
		  int required)
{
	const cl_ynode *v = cl_ynode_get(map, key);
	char q[64];

	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return cl_schema_fail(s, map, "%s is missing required key '%s'",
					      what, key);
		return 0;
	}
	if (v->kind != CL_YNODE_SCALAR || !v->plain || cl_schema_parse_int(out, v->str) < 0)
		return cl_schema_fail(s, v, "%s '%s' must be an integer, not '%s'", what,
				      key, v->kind == CL_YNODE_SCALAR ?
				      cl_schema_quote(q, sizeof(q), v->str) : "a collection");
	return 0;
}

int cl_schema_bool(int *out, const cl_schema *s, const cl_ynode *map,
		   const char *what, const char *key, int dflt)
{
	const cl_ynode *v = cl_ynode_get(map, key);

	*out = dflt;
	if (!v)
		return 0;
	if (v->kind == CL_YNODE_SCALAR && v->plain && !strcmp(v->str, "true"))
		*out = 1;
	else if (v->kind == CL_YNODE_SCALAR && v->plain && !strcmp(v->str, "false"))
		*out = 0;
	else
		return cl_schema_fail(s, v, "%s '%s' must be true or false", what, key);
	return 0;
}

int cl_schema_idlist(char ***out, size_t *n, const cl_schema *s,
		     const cl_ynode *map, const char *what, const char *key,
		     int required)
{
	const cl_ynode *v = cl_ynode_get(map, key);
	char **list;
	size_t i, j;
	char q[64];

	*out = NULL;
	*n = 0;
	if (!v) {
		if (required)
			return cl_schema_fail(s, map, "%s is missing required key '%s'",
					      what, key);
		return 0;
	}
	if (v->kind != CL_YNODE_SEQ || v->n == 0)
		return cl_schema_fail(s, v, "%s '%s' must be a non-empty list", what, key);
	list = cl_xcalloc(v->n, sizeof(char *));
	for (i = 0; i < v->n; i++) {
		const cl_ynode *it = v->items[i];
		if (it->kind != CL_YNODE_SCALAR || !cl_id_valid(it->str)) {
			cl_strv_free(list, i);
			return cl_schema_fail(s, it, "%s '%s': item is not a valid id: '%s'",
					      what, key, it->kind == CL_YNODE_SCALAR ?
					      cl_schema_quote(q, sizeof(q), it->str) : "a collection");
		}
		for (j = 0; j < i; j++) {
			if (strcmp(list[j], it->str))
				continue;
			cl_strv_free(list, i);
			return cl_schema_fail(s, it, "%s '%s': duplicate item '%s'",
					      what, key, it->str);
		}
		list[i] = cl_xstrdup(it->str);
	}
	*out = list;
	*n = v->n;
	return 0;
}
