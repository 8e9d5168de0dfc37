/*
 * schema.h - small helpers the YAML loaders share to read a cl_ynode tree
 * strictly: a mapping with only known keys, required scalars, ids,
 * integers, booleans.  Every error is CL_EINVALID with "FILE:LINE:COL:
 * message" pointing at the offending node (or at the map that lacks a key).
 */
#ifndef CL_SCHEMA_H
#define CL_SCHEMA_H

#include <stdint.h>

#include "error.h"
#include "yaml.h"

typedef struct cl_schema {
	const char *file; /* the file name used in messages */
	cl_error *err;    /* where errors go */
} cl_schema;

/* Reports at node's position; returns CL_EINVALID. */
int cl_schema_fail(const cl_schema *s, const cl_ynode *node, const char *fmt,
		   ...) CL_PRINTF(3, 4);

/* node must be a MAP whose keys are all in the NULL-terminated `allowed`.
 * `what` names the map in messages ("level", "unit"). */
int cl_schema_map(const cl_schema *s, const cl_ynode *node, const char *what,
		  const char *const *allowed);
int cl_schema_seq(const cl_schema *s, const cl_ynode *node, const char *what);

/* A scalar string at key; *out is borrowed (NULL when absent and not
 * required). */
int cl_schema_str(const char **out, const cl_schema *s, const cl_ynode *map,
		  const char *what, const char *key, int required);
/* The same, checked with cl_id_valid. */
int cl_schema_id(const char **out, const cl_schema *s, const cl_ynode *map,
		 const char *what, const char *key, int required);
/* An integer (plain scalar) at key; *present says whether it was there. */
int cl_schema_int(int64_t *out, int *present, const cl_schema *s,
		  const cl_ynode *map, const char *what, const char *key,
		  int required);
/* true/false at key (default when absent). */
int cl_schema_bool(int *out, const cl_schema *s, const cl_ynode *map,
		   const char *what, const char *key, int dflt);
/* A sequence of ids at key, copied into *out (caller frees each and the
 * array); duplicates are refused. */
int cl_schema_idlist(char ***out, size_t *n, const cl_schema *s,
		     const cl_ynode *map, const char *what, const char *key,
		     int required);

/* Parses a whole integer from a scalar; 0 or -1. */
int cl_schema_parse_int(int64_t *out, const char *s);

/* Quotes v for a message: at most 40 bytes, control characters escaped. */
const char *cl_schema_quote(char *out, size_t n, const char *v);


#endif
