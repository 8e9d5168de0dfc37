/*
 * yaml_internal.h - the two implementations behind cl_yaml_parse and
 * cl_yaml_emit.  For engine/yaml.c, engine/yaml_fast.c and the tests
 * only; the rest of the engine includes "yaml.h".
 *
 * cl_yaml_parse and cl_yaml_emit first try the hand-written fast paths of
 * yaml_fast.c, which know only the block-style shapes that cl_yaml_emit
 * writes for record files.  Whenever the input has anything else, the fast
 * path gives up before it has produced anything and the libyaml path below
 * does the whole job, so every error message comes from libyaml's path.
 * For every input the fast paths accept, the result is the same as the
 * libyaml path's: the same tree (kinds, strings, plain flags, order, lines
 * and columns), or the same bytes.  tests/unit/test_yaml.c and the fuzz
 * target tests/fuzz/fuzz_yaml_fast.c compare the two.
 */
#ifndef CL_YAML_INTERNAL_H
#define CL_YAML_INTERNAL_H

#include "yaml.h"

/* cl_yaml_parse through libyaml only; the same contract. */
int cl_yaml_parse_libyaml(cl_ynode **out, const char *file, const char *data,
			  size_t len, size_t max_bytes, cl_error *err);

/* cl_yaml_emit through libyaml only; the same contract. */
int cl_yaml_emit_libyaml(cl_buf *out, const cl_ynode *root, cl_error *err);

/*
 * The fast parser.  Returns 1 and sets *out (owned by the caller, never
 * NULL) when all len bytes of data are in its subset; returns 0 with *out
 * NULL, having freed whatever it built, otherwise.  It reports no errors:
 * on 0 the caller runs the libyaml path.  It does not check the size
 * limit; the caller does.
 */
int cl_yaml_fast_parse(cl_ynode **out, const char *data, size_t len);

/*
 * The fast emitter.  Returns 1 after appending exactly the bytes that
 * cl_yaml_emit_libyaml would append; returns 0 with out as it was when it
 * cannot be sure of that, and for every tree that cl_yaml_emit_libyaml
 * refuses (so that cl_yaml_emit can try it first, and leave the refusal
 * to the libyaml path).
 */
int cl_yaml_fast_emit(cl_buf *out, const cl_ynode *root);

#endif
