/*
 * config.h - the configuration in force: workflow, org chart, people and
 * the needs catalogue, loaded from YAML and cross-checked.
 *
 * Loaders take bytes plus a file name (for `file:line:column` messages)
 * and never do I/O themselves, so the same code loads a config directory,
 * the config/ tree of any commit in the history, and fuzz input.
 *
 * Everything here is immutable once loaded.  Getters return borrowed
 * pointers that live as long as the cl_config.  Errors are CL_EINVALID
 * with "FILE:LINE:COL: message".
 */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "yaml.h"

#define CL_NONE ((size_t)-1)

/* Limits of the input files (documented in records/FORMAT.md). */
#define CL_CONFIG_MAX_BYTES ((size_t)16 << 20)
#define CL_LOG_MAX_BYTES ((size_t)64 << 10)
#define CL_COMMENT_MAX_BYTES 4096

/* The config files, as named in a config directory and in the history's
 * config/ tree. */
#define CL_CONFIG_WORKFLOW "workflow.yaml"
#define CL_CONFIG_ORG "org.yaml"
#define CL_CONFIG_PEOPLE "people.yaml"
#define CL_CONFIG_NEEDS "needs.yaml"

/*
 * A string -> index hash map over an array of entries that each hold their
 * own key (the id field of a unit, person or need).  The map stores only
 * entry indexes, never key pointers, so a cache image can carry it ready
 * to use (see cache.c).  Open addressing, linear probing, FNV-1a, at a
 * load of at most 2/3 (any cap: the slot is hash * cap / 2^32).
 *
 * Traps: the entries array must not move while the map is in use (the
 * loaders size it once, before the first put); and cache images hold
 * maps as hashed, so changing the hash or the slot rule means a new
 * cache magic (cache.c).
 */
typedef struct cl_strmap {
	uint32_t *slots;   /* cap slots: 1 + entry index, 0 when empty */
	size_t cap;        /* slots; 0 before the first put */
	size_t n;          /* keys in use, always < cap when cap > 0 */
	const char *base;  /* the entries array */
	size_t key_at;     /* offset of the key (a char *) in an entry */
	size_t stride;     /* bytes from one entry to the next */
	int borrowed;      /* slots belong to a cache image: release keeps them */
} cl_strmap;

/* Keys are the char * at base + i * stride + key_at, for entry i. */
void cl_strmap_init(cl_strmap *m, const void *base, size_t key_at, size_t stride);
/* Sizes the map for n keys at once (a loader knows how many will come). */
void cl_strmap_reserve(cl_strmap *m, size_t n);
/* Adds entry val under its key (which must not be in the map yet). */
void cl_strmap_put(cl_strmap *m, size_t val);
size_t cl_strmap_get(const cl_strmap *m, const char *key); /* CL_NONE */
void cl_strmap_release(cl_strmap *m);

/* ---- org ---- */

typedef struct cl_unit {
	char *id;      /* unique unit id */
	char *name;    /* display name */
	char *type;    /* one of the org's types */
	size_t parent; /* index of the parent unit, CL_NONE for a root */
	int key;       /* a key village (or any unit flagged key: true) */
} cl_unit;

typedef struct cl_org {
	cl_unit *units;  /* all units in file order */
	size_t nunits;   /* entries in units */
	char **types;    /* declared unit types */
	size_t ntypes;   /* entries in types */
	cl_strmap byid;  /* unit id -> index */
	int in_image;    /* units, types and their strings live in the cache
			  * image of the cl_config: cl_org_free frees only
			  * this struct */
} cl_org;

int cl_org_load(cl_org **out, const char *file, const char *data, size_t len,
		cl_error *err);
void cl_org_free(cl_org *org);
size_t cl_org_find(const cl_org *org, const char *id);
int cl_org_has_type(const cl_org *org, const char *type);
/* From unit u upwards (u included), the first unit of type; CL_NONE. */
size_t cl_org_ancestor(const cl_org *org, size_t u, const char *type);

/* ---- people ---- */

typedef enum cl_mode {
	CL_MODE_RESIDENT,
	CL_MODE_FLEXIBLE,
	CL_MODE_REMOTE,
} cl_mode;

typedef struct cl_role {
	char *role;  /* role name, e.g. "secretary" */
	size_t unit; /* index into the org */
} cl_role;

typedef struct cl_talent {
	size_t serves;        /* unit served (org index) */
	size_t dispatched_by; /* dispatching unit (org index) */
	cl_mode mode;         /* how they serve */
	int first_secretary;  /* serves as the village's first secretary */
	int64_t from;         /* term start, days since the epoch */
	int64_t to;           /* term end (inclusive) */
	char *note;           /* free text or NULL */
} cl_talent;

typedef struct cl_person {
	char *id;          /* person id, also the e-mail part of commits */
	char *name;        /* display name */
	cl_role *roles;    /* roles held */
	size_t nroles;     /* entries in roles */
	cl_talent *talent; /* the assignment, NULL when not a talent */
} cl_person;

typedef struct cl_people {
	cl_person *people; /* in file order */
	size_t npeople;    /* entries in people */
	cl_strmap byid;    /* person id -> index */
	uint32_t *at_unit; /* role holders grouped by unit: person indexes */
	uint32_t *at_role; /* ... and, in step, the index of the role held */
	uint32_t *unit_start; /* unit u's holders: [unit_start[u], unit_start[u+1]) */
	size_t nunits;     /* units covered by unit_start (org size) */
	size_t nheld;      /* entries in at_unit and at_role (all roles held) */
	int in_image;      /* people, roles, talents, strings and tables live in
			    * the cache image of the cl_config:
			    * cl_people_free frees only this struct */
} cl_people;

int cl_people_load(cl_people **out, const char *file, const char *data,
		   size_t len, const cl_org *org, cl_error *err);
void cl_people_free(cl_people *people);
const cl_person *cl_people_find(const cl_people *people, const char *id);
int cl_person_has_role(const cl_person *p, const char *role, size_t unit);
/* Groups the role holders by unit (the loaders call it). */
void cl_people_index_roles(cl_people *people, size_t nunits);
/* The people holding role at unit, as person indexes into idx (caller
 * frees); *n is 0 when nobody does. */
void cl_people_holders(size_t **idx, size_t *n, const cl_people *people,
		       const char *role, size_t unit);
int cl_person_has_role_anywhere(const cl_person *p, const char *role);
const char *cl_mode_name(cl_mode m);

/* ---- needs ---- */

typedef struct cl_need {
	char *id;       /* need id */
	size_t unit;    /* the unit that has the need */
	char *category; /* one of the declared categories */
	char *title;    /* short description */
} cl_need;

typedef struct cl_needs {
	cl_need *needs;     /* in file order */
	size_t nneeds;      /* entries */
	char **categories;  /* declared categories */
	size_t ncategories; /* entries */
	cl_strmap byid;     /* need id -> index */
	int in_image;       /* needs, categories and their strings live in the
			     * cache image of the cl_config: cl_needs_free
			     * frees only this struct */
} cl_needs;

int cl_needs_load(cl_needs **out, const char *file, const char *data,
		  size_t len, const cl_org *org, cl_error *err);
void cl_needs_free(cl_needs *needs);

/* ---- workflow ---- */

typedef enum cl_field_type {
	CL_FIELD_TEXT,
	CL_FIELD_INTEGER,
	CL_FIELD_DATE,
	CL_FIELD_LIST,
} cl_field_type;

typedef struct cl_field {
	char *name;          /* field name in the log */
	cl_field_type type;  /* what values it takes */
	int required;        /* must be present */
	int has_min;         /* min is set */
	int has_max;         /* max is set */
	int64_t min;         /* text: chars; integer: value; date: day; list: items */
	int64_t max;         /* as min */
	char **choices;      /* list: allowed items, or NULL */
	size_t nchoices;     /* entries in choices */
	char *choices_from;  /* list: "needs" to take items from the catalogue */
} cl_field;

typedef enum cl_anchor {
	CL_ANCHOR_SERVED,     /* the unit the talent serves */
	CL_ANCHOR_DISPATCHER, /* the dispatching unit */
} cl_anchor;

typedef enum cl_need_comment {
	CL_COMMENT_OPTIONAL,
	CL_COMMENT_REQUIRED,
} cl_need_comment;

typedef struct cl_level {
	char *id;               /* level id, used in state names */
	char *title;            /* display title */
	char *role;             /* reviewer role */
	cl_anchor anchor;       /* where to start looking for the unit */
	char *unit_type;        /* type of unit to walk up to, NULL: the anchor */
	int deadline_days;      /* 0: no deadline */
	cl_need_comment approve_comment; /* comment on approve */
	cl_need_comment reject_comment;  /* comment on reject */
	char **grades;          /* approve needs one of these, or NULL */
	size_t ngrades;         /* entries in grades */
	int line;               /* where the level is defined, for messages */
	int col;                /* column of the same */
} cl_level;

typedef enum cl_on_reject {
	CL_REJECT_TO_TALENT,   /* back to the talent: state returned */
	CL_REJECT_TO_PREVIOUS, /* back one level (the first: to the talent) */
} cl_on_reject;

typedef struct cl_workflow {
	char *id;             /* workflow id */
	char *title;          /* display title */
	int64_t version;      /* bumped by the administrator on change */
	char *version_tag;    /* "id@version", stored in each record */
	char *admin_role;     /* holders may apply configuration changes */
	cl_on_reject on_reject; /* what a rejection does */
	cl_field *fields;     /* the log's fields */
	size_t nfields;       /* entries */
	cl_level *levels;     /* the chain, first reviewer first */
	size_t nlevels;       /* entries, at least 1 */
	char *file;           /* the file it was loaded from, for messages */
} cl_workflow;

int cl_workflow_load(cl_workflow **out, const char *file, const char *data,
		     size_t len, cl_error *err);
void cl_workflow_free(cl_workflow *wf);
size_t cl_workflow_level(const cl_workflow *wf, const char *id);
/* When a record at level (NULL: none) since that time is due: since plus
 * the level's deadline, 0 when it has none. */
int64_t cl_workflow_due(const cl_workflow *wf, const char *level, int64_t since);

/* ---- the bundle ---- */

/*
 * A config unpacked from a cache image (cache.h) keeps its org, people and
 * needs in one block, image: they borrow from it, so they must be freed
 * with the config (cl_config_free), never kept after it.
 */
typedef struct cl_config {
	cl_workflow *workflow; /* owned */
	cl_org *org;           /* owned */
	cl_people *people;     /* owned */
	cl_needs *needs;       /* owned, NULL when the config has none */
	void *image;           /* owned block of an unpacked cache, or NULL */
	void *held;            /* what the config borrows from when unpacked in
				* place (cl_config_unpack_in_place), or NULL */
	void (*held_free)(void *held); /* releases held, after the rest */
} cl_config;

/* One config file's bytes, by its base name (CL_CONFIG_*). */
typedef struct cl_config_file {
	const char *name; /* e.g. "org.yaml" */
	const char *path; /* for messages, e.g. "conf/org.yaml" */
	const char *data; /* bytes */
	size_t len;       /* bytes in data */
} cl_config_file;

/* Loads and cross-checks a config from its files (needs.yaml optional). */
int cl_config_load(cl_config **out, const cl_config_file *files, size_t n,
		   cl_error *err);
void cl_config_free(cl_config *cfg);

/* The reviewers of level for talent: people holding the level's role at
 * the resolved unit.  Fills idx (caller frees) with person indexes. */
int cl_config_reviewers(size_t **idx, size_t *n, const cl_config *cfg,
			size_t level, const cl_person *talent);

/* Validates a work log against the workflow's fields.  On success *out is
 * the normalized fields map (caller frees).  Errors name the field, the
 * rule, the offending value and file:line:column. */
int cl_config_check_log(cl_ynode **out, const cl_config *cfg,
			const char *file, const cl_ynode *log, cl_error *err);

#endif
