/*
 * import.h - bulk import of past transitions (e.g. a county's paper
 * records of earlier half years) through `git fast-import`.
 *
 * Why it exists: cl_home_act() writes one durable commit at a time, with
 * an fsync and an index update each; migrating hundreds of thousands of
 * transitions that way takes hours.  An import decides every transition
 * exactly as cl_home_act() does (cl_transition_apply() against the
 * configuration at the tip, the record as the import left it or as the
 * tip holds it), builds the same record bytes, message and signature,
 * and streams the commits to one `git fast-import` child, which packs
 * them in one go.  The result is ordinary history: `chainlog verify`
 * cannot tell it from commits made one by one (the commit ids are the
 * same).
 *
 *   cl_import_begin -> cl_import_add ... -> cl_import_commit | cl_import_abort
 *
 * All or nothing: the commits go to a temporary ref; cl_import_commit()
 * moves the branch from the tip seen at begin to the last imported commit
 * with the store's compare-and-swap, then catches the index up.  If the
 * branch moved meanwhile it refuses with CL_ECONFLICT, and neither the
 * branch nor the index changed.  cl_import_abort() (after a refused
 * transition, say) kills the child and leaves the home as it was.
 *
 * Times: each request carries its historical time (req->time), which
 * must not decrease from one request to the next, nor be before the tip's
 * commit (verify checks that no commit is dated before its parent): past
 * periods go into a home whose last commit is older than them, e.g. one
 * initialised for the migration.  The configuration is the one at the
 * tip; an import never changes it.
 *
 * This is the engine's only user of a child process.  It does not include
 * git2.h or sqlite3.h: git objects are written by the child, refs moved
 * by the store, the index updated by the engine.
 */
#ifndef CL_IMPORT_H
#define CL_IMPORT_H

#include <stddef.h>

#include "engine.h"
#include "error.h"
#include "transition.h"

/* The temporary ref the commits are written to until the branch moves. */
#define CL_IMPORT_REF "refs/chainlog/import"

typedef struct cl_import cl_import;

/* Starts an import on h at its current tip (starts `git fast-import`). */
int cl_import_begin(cl_import **out, cl_home *h, cl_error *err);

/*
 * Decides req (with its explicit time) against the state so far and, when
 * it is a legal transition, queues its commit.  A refusal (the codes of
 * cl_transition_apply, or CL_EINVALID for a time going backwards) leaves
 * the import as it was: the caller normally aborts it.
 */
int cl_import_add(cl_import *im, const cl_request *req, cl_error *err);

/* Transitions queued so far. */
size_t cl_import_count(const cl_import *im);

/*
 * Finishes the stream, moves the branch to the last imported commit and
 * catches the index up.  Frees im whatever happens.  CL_ECONFLICT when the
 * branch moved since begin (nothing changed then).
 */
int cl_import_commit(cl_import *im, cl_error *err);

/* Drops everything queued and frees im (NULL is fine). */
void cl_import_abort(cl_import *im);

#endif
