/*
 * home.h - what engine.c and catchup.c share of a home.  Internal to the
 * engine: the library's interface is engine.h.
 *
 * engine.c opens a home, loads its configuration, reads and writes
 * records; catchup.c makes the index follow the history (catching up,
 * reindex, the bulk load).
 */
#ifndef CL_HOME_H
#define CL_HOME_H

#include "engine.h"
#include "buf.h"

/* Tries of an operation that found the branch or the index moved. */
#define ENGINE_RETRIES 64

/* Files of a configuration, under config/ in a commit. */
#define ENGINE_NCONFIG 4

struct cl_home {
	char *dir;             /* the home directory */
	cl_store *store;       /* history.git; NULL when answered from the
				* index alone (cl_home_open_read), unless the
				* config cache had to be rebuilt */
	cl_index *index;       /* index.sqlite, NULL when opened raw */
	cl_config *cfg;        /* config at cfg_commit, or NULL */
	cl_machine *machine;   /* compiled from cfg */
	cl_oid cfg_key[ENGINE_NCONFIG]; /* blob ids cfg was loaded from */
	cl_oid cfg_tree;       /* the config/ tree id cfg was loaded from */
	int has_cfg;           /* cfg/machine are valid */
	int no_cache;          /* never use HOME/cache (verify) */
	int snapshot;          /* cl_home_open_read: reads answer from the
				* index's snapshot at the tip, no catch-up */
	cl_oid last_tip;       /* the commit last made or dated here... */
	int64_t last_tip_time; /* ...and its time (batch and serve date each
				* transition after the tip they just made) */
	int has_last_tip;
};

/* The configuration's key: the ids of its files, which the index keeps
 * with its head.  Appends to key. */
void cl_home_config_key(cl_buf *key, const cl_oid ids[ENGINE_NCONFIG]);

#endif
