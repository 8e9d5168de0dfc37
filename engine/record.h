/*
 * record.h - a talent's work log for one period, as stored in the history.
 *
 * A record is one block-style YAML file at
 *   records/<period>/<shard>/<talent>.yaml
 * where shard is two hex digits of the FNV-1a hash of the talent id, so no
 * directory grows past a few hundred entries at province scale and a
 * commit rewrites only three small trees.
 *
 * cl_record_serialize() is deterministic: verify recomputes a transition's
 * record and compares the bytes with what the commit stored.
 * cl_record_parse() is strict: unknown or missing keys are refused.
 */
#ifndef CL_RECORD_H
#define CL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "util.h"
#include "yaml.h"

#define CL_RECORD_MAX_BYTES ((size_t)1 << 20)
#define CL_RECORD_MAX_TRAIL 1000

typedef struct cl_approval {
	char *level;  /* level id */
	char *actor;  /* person id */
	char *grade;  /* grade given, or NULL */
	int64_t at;   /* when */
} cl_approval;

typedef struct cl_trail {
	char *action;  /* submit, approve, ... */
	char *actor;   /* person id */
	char *level;   /* acting level, or NULL */
	char *from;    /* state before */
	char *to;      /* state after */
	char *grade;   /* or NULL */
	char *comment; /* or NULL */
	int64_t at;    /* commit time */
} cl_trail;

typedef struct cl_record {
	char *id;              /* "PERIOD/TALENT" */
	char *period;          /* "2022H2" */
	char *talent;          /* person id */
	char *state;           /* machine state name */
	char *level;           /* current level id, NULL when none */
	char *workflow;        /* "id@version" of the workflow it last ran under */
	int64_t round;         /* 1 + number of times it came back to the talent */
	int64_t since;         /* when it entered its state */
	cl_ynode *fields;      /* the log's fields (a MAP), owned */
	cl_approval *approvals;/* approvals in the current round */
	size_t napprovals;     /* entries */
	cl_trail *trail;       /* every transition, oldest first */
	size_t ntrail;         /* entries */
} cl_record;

/* "records/2022H2/3f/t001.yaml" into out. */
void cl_record_path(cl_buf *out, const char *period, const char *talent);

/* Splits "PERIOD/TALENT" and checks both parts; CL_EINVALID otherwise. */
int cl_record_id_split(char period[8], char talent[CL_ID_MAX_BUF],
		       const char *id, cl_error *err);

int cl_record_parse(cl_record **out, const char *file, const char *data,
		    size_t len, cl_error *err);
int cl_record_serialize(cl_buf *out, const cl_record *r, cl_error *err);
cl_record *cl_record_dup(const cl_record *r);
void cl_record_free(cl_record *r);

/* Appends a trail entry (copies every string). */
void cl_record_add_trail(cl_record *r, const cl_trail *t);
void cl_record_add_approval(cl_record *r, const cl_approval *a);
void cl_record_clear_approvals(cl_record *r);

#endif
