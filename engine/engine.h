/*
 * engine.h - a chainlog home: the history (store), the index, and the
 * configuration in force at the branch tip, tied together.
 *
 * A home is a directory holding history.git (the system of record) and
 * index.sqlite (derived).  cl_home_open() catches the index up with the
 * history before anything reads it.  cl_home_act() runs one transition:
 *
 *   validate against the tip's tree -> write objects -> compare-and-swap
 *   the branch (the commit point) -> apply the commit to the index
 *
 * retrying from the top when another writer moved the branch meanwhile.
 * If the record itself changed meanwhile the retry stops with
 * CL_ECONFLICT.  Actors are explicit in every call.
 */
#ifndef CL_ENGINE_H
#define CL_ENGINE_H

#include "config.h"
#include "error.h"
#include "index.h"
#include "machine.h"
#include "record.h"
#include "store.h"
#include "transition.h"

#define CL_HOME_HISTORY "history.git"
#define CL_HOME_INDEX "index.sqlite"
#define CL_HOME_CACHE "cache"

typedef struct cl_home cl_home;

/* Creates a home in dir (which must not exist or be empty) whose first
 * commit holds the given configuration.  actor: the administrator who
 * initialises; NULL picks the first holder of the workflow's admin_role.
 * when: the first commit's time (0: now); a programme that will import
 * past periods starts its history before them, since a history's times
 * never go backwards. */
int cl_home_create(const char *dir, const cl_config_file *files, size_t n,
		   const char *actor, int64_t when, cl_error *err);

/* Opens a home and catches its index up.  CL_ENOTFOUND when dir is not a
 * home; CL_EVERIFY when the history was rewritten behind the index. */
int cl_home_open(cl_home **out, const char *dir, cl_error *err);
/*
 * Opens a home for reading only (show, queue, list).  When the index is
 * already at the branch tip (read from the ref files, without libgit2)
 * and has the configuration's key, and HOME/cache has that
 * configuration, the home answers from the index alone, inside one index
 * snapshot: cl_home_store() is then NULL, and only cl_home_index(),
 * cl_home_config() and cl_home_record() may be used (a record is read
 * from the history at the index's head).
 * Otherwise it is cl_home_open().  Never answers from a stale index.
 */
int cl_home_open_read(cl_home **out, const char *dir, cl_error *err);
/* Opens without touching the index (for reindex and verify). */
int cl_home_open_raw(cl_home **out, const char *dir, cl_error *err);
void cl_home_free(cl_home *h);

cl_store *cl_home_store(cl_home *h);
cl_index *cl_home_index(cl_home *h);
/* The configuration and machine at the tip (loaded on first use). */
int cl_home_config(const cl_config **cfg, const cl_machine **m, cl_home *h,
		   cl_error *err);
int cl_home_tip(cl_home *h, cl_oid *out, cl_error *err);

/* Reads the record at the tip; CL_ENOTFOUND when there is none. */
int cl_home_record(cl_record **out, cl_home *h, const char *id, cl_error *err);

/* Runs one transition; *commit gets the new commit and *after the record
 * as that commit has it, for the caller to free (either may be NULL; on
 * failure *after is NULL). */
int cl_home_act(cl_home *h, const cl_request *req, cl_oid *commit, cl_record **after,
		cl_error *err);

/* Validates and commits a new configuration (one commit). */
int cl_home_config_apply(cl_home *h, const cl_config_file *files, size_t n,
			 const char *actor, const char *comment, cl_error *err);

/* Applies every commit the index lacks, one transaction each. */
int cl_home_catch_up(cl_home *h, cl_error *err);
/* Deletes the index and rebuilds it from the history. */
int cl_home_reindex(cl_home *h, cl_error *err);

/* Would cfg strand record r (leave it where nobody can act)?  CL_EDENIED
 * names the record and the reason. */
int cl_config_strands(const cl_config *cfg, const cl_machine *m,
		      const cl_record *r, cl_error *err);

/* Loads the configuration stored in commit's config/ tree. */
int cl_home_config_at(cl_config **out, cl_home *h, const cl_oid *commit,
		      cl_error *err);

/* Makes the home's cached configuration that of commit (reloading only
 * when its config files differ); cl_home_config() then returns it. */
int cl_home_use_config(cl_home *h, const cl_oid *commit, cl_error *err);
/* From now on load configurations from the history's YAML only, never
 * from HOME/cache (verify trusts nothing derived). */
void cl_home_no_cache(cl_home *h);
/* The cached configuration, as made by cl_home_use_config(). */
const cl_config *cl_home_cached_config(const cl_home *h);
const cl_machine *cl_home_cached_machine(const cl_home *h);

/* Reads record id in commit's tree; blob gets its blob id. */
int cl_home_record_at(cl_record **out, cl_oid *blob, cl_home *h,
		      const cl_oid *commit, const char *id, cl_error *err);


/* Progress on stderr when it is a terminal: done of total, total 0 when
 * not known (then done == total, once, ends the line). */
void cl_progress(const char *what, size_t done, size_t total);

/* Verify: replays the history; calls report once per violation.  Returns
 * 0 when all holds, CL_EVERIFY when something did not, or another error
 * when it could not run. */
typedef void (*cl_verify_report)(const char *commit_hex, const char *msg,
				 void *payload);
int cl_home_verify(cl_home *h, cl_verify_report report, void *payload,
		   size_t *checked, cl_error *err);

#endif
