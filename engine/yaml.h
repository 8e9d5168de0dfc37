/*
 * yaml.h - YAML documents as plain trees with source positions.
 *
 * This is the only module that includes yaml.h from libyaml.  The config
 * loaders, the work-log validator and the record reader all work on the
 * cl_ynode trees it produces, so they can report `file:line:column` for
 * any value without knowing libyaml.
 *
 * The parser is strict on purpose; it refuses, with file:line:column:
 *   - anchors and aliases (no "billion laughs"), tags, and merge keys;
 *   - duplicate keys, and keys that are not plain scalars;
 *   - nesting deeper than CL_YAML_MAX_DEPTH;
 *   - more than one document, and input larger than the caller's limit;
 *   - NUL bytes, invalid UTF-8, and control characters (libyaml's own
 *     checks plus ours).
 * Lines and columns are counted from 1 (libyaml counts from 0).
 *
 * The emitter writes block style, one key per line, and quotes a scalar
 * whenever a reader could take it for something other than the string it
 * is (so "123" round-trips as a string when it was made with
 * cl_ynode_new_str).  Multi-line strings use literal block style when
 * libyaml allows it.
 */
#ifndef CL_YAML_H
#define CL_YAML_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * engine/ is on the include path, so this file shadows libyaml's own
 * <yaml.h> for both include forms.  yaml.c, and only yaml.c, defines
 * CL_YAML_WITH_LIBYAML and includes <yaml.h> (angle brackets, so that this
 * file is found on the -I path) to get libyaml's header too, which
 * #include_next finds further down the path.  Everyone else just includes
 * "yaml.h" and sees no libyaml.
 */
#ifdef CL_YAML_WITH_LIBYAML
#include_next <yaml.h>
#endif

#define CL_YAML_MAX_DEPTH 32

typedef enum cl_ynode_kind {
	CL_YNODE_SCALAR,
	CL_YNODE_SEQ,
	CL_YNODE_MAP,
} cl_ynode_kind;

typedef struct cl_ynode {
	cl_ynode_kind kind;     /* what this node is */
	int line;               /* 1-based line of the node's start, 0 if built */
	int col;                /* 1-based column of the node's start */
	char *str;              /* SCALAR: the value, NUL-terminated, owned */
	size_t len;             /* SCALAR: bytes in str */
	int plain;              /* SCALAR: written unquoted in the source (or,
				   when built, may be emitted unquoted) */
	size_t n;               /* SEQ: items; MAP: pairs */
	struct cl_ynode **items;/* SEQ: n items; MAP: 2n nodes, key then value */
	size_t cap;             /* allocated slots in items */
} cl_ynode;

/*
 * Parses data (len bytes) as one YAML document.  `file` is used in error
 * messages only.  *out is the root node, or NULL for an empty document.
 * Refuses input longer than max_bytes.  On error *out is NULL and err
 * reads "FILE:LINE:COL: message".
 */
int cl_yaml_parse(cl_ynode **out, const char *file, const char *data,
		  size_t len, size_t max_bytes, cl_error *err);

/* Frees a node and everything under it.  NULL is fine. */
void cl_ynode_free(cl_ynode *n);

/* In a MAP, the value for key (borrowed), or NULL. */
const cl_ynode *cl_ynode_get(const cl_ynode *map, const char *key);
/* In a MAP, the key node of pair i and its value. */
const cl_ynode *cl_ynode_key(const cl_ynode *map, size_t i);
const cl_ynode *cl_ynode_value(const cl_ynode *map, size_t i);

/* Builders for emitting; they abort on allocation failure. */
cl_ynode *cl_ynode_new_map(void);
cl_ynode *cl_ynode_new_seq(void);
/* A string scalar: emitted quoted whenever plain would read differently. */
cl_ynode *cl_ynode_new_str(const char *s);
/* A scalar that is meant to be read as what it says (an integer, true). */
cl_ynode *cl_ynode_new_plain(const char *s);
/* Appends to a SEQ; takes ownership of item. */
void cl_ynode_push(cl_ynode *seq, cl_ynode *item);
/* Appends a pair to a MAP; takes ownership of value.  The key is plain
 * unless it would then read as something else than a string. */
void cl_ynode_set(cl_ynode *map, const char *key, cl_ynode *value);
/* A deep copy. */
cl_ynode *cl_ynode_dup(const cl_ynode *n);

/* Does plain (unquoted) s read back as the same string?  False for
 * numbers, booleans, null and the like. */
int cl_yaml_reads_as_string(const char *s);

/* "FILE:LINE:COL" of a node, for messages: writes into out (size n). */
void cl_ynode_where(char *out, size_t n, const char *file, const cl_ynode *node);

/* Appends a block-style YAML document (no "---", no "...") to out. */
int cl_yaml_emit(cl_buf *out, const cl_ynode *root, cl_error *err);

#endif
