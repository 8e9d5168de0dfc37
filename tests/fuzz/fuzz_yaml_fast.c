/*
 * fuzz_yaml_fast.c - libFuzzer target: the fast YAML paths against the
 * libyaml paths they stand in for (engine/yaml_internal.h).
 *
 * For any input:
 *   - if the fast parser accepts it, libyaml's path accepts it too and
 *     builds the same tree (kinds, strings, plain flags, lines, columns);
 *   - cl_yaml_parse returns what the libyaml path returns: the same code,
 *     the same message, the same tree;
 *   - for the tree parsed, for a copy of it whose scalars are all quoted
 *     strings (as cl_ynode_new_str makes them), and for small trees whose
 *     keys and values are the input itself: cl_yaml_emit writes exactly
 *     what the libyaml emitter writes (or fails the same way), and so
 *     does the fast emitter whenever it accepts.
 */
#include "fuzz.h"

#include "buf.h"
#include "error.h"
#include "util.h"
#include "yaml_internal.h"

#define FUZZ_MAX_BYTES ((size_t)1 << 20)

static int same_tree(const cl_ynode *a, const cl_ynode *b)
{
	size_t i, slots;

	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->line != b->line || a->col != b->col ||
	    a->n != b->n)
		return 0;
	if (a->kind == CL_YNODE_SCALAR)
		return a->plain == b->plain && a->len == b->len &&
		       memcmp(a->str, b->str, a->len) == 0;
	slots = a->kind == CL_YNODE_MAP ? 2 * a->n : a->n;
	for (i = 0; i < slots; i++)
		if (!same_tree(a->items[i], b->items[i]))
			return 0;
	return 1;
}

/* Marks every scalar of n as a string to be quoted when needed. */
static void unplain(cl_ynode *n)
{
	size_t i, slots;

	if (n->kind == CL_YNODE_SCALAR) {
		n->plain = 0;
		return;
	}
	slots = n->kind == CL_YNODE_MAP ? 2 * n->n : n->n;
	for (i = 0; i < slots; i++)
		unplain(n->items[i]);
}

/* cl_yaml_emit, the libyaml emitter and the fast emitter must agree. */
static void check_emit(const cl_ynode *root)
{
	cl_buf ref = CL_BUF_INIT, pub = CL_BUF_INIT, fast = CL_BUF_INIT;
	cl_error e1 = CL_ERROR_INIT, e2 = CL_ERROR_INIT;
	int rc1, rc2;

	cl_buf_puts(&pub, "x"); /* both must append, not overwrite */
	cl_buf_puts(&ref, "x");
	rc1 = cl_yaml_emit_libyaml(&ref, root, &e1);
	rc2 = cl_yaml_emit(&pub, root, &e2);
	if (rc1 != rc2 || ref.size != pub.size || memcmp(ref.ptr, pub.ptr, ref.size) ||
	    (rc1 < 0 && strcmp(e1.msg, e2.msg)))
		abort();
	if (root && cl_yaml_fast_emit(&fast, root) &&
	    (rc1 != 0 || fast.size + 1 != ref.size ||
	     memcmp(fast.ptr, ref.ptr + 1, fast.size)))
		abort();
	cl_buf_release(&ref);
	cl_buf_release(&pub);
	cl_buf_release(&fast);
}

/* Trees made of the input as a string: as a value, a key, an item. */
static void check_emit_string(const char *text, size_t size)
{
	cl_ynode *map, *seq;

	if (memchr(text, '\0', size) || !cl_text_valid(text, size, 1))
		return;
	map = cl_ynode_new_map();
	cl_ynode_set(map, "s", cl_ynode_new_str(text));
	cl_ynode_set(map, "p", cl_ynode_new_plain(text));
	seq = cl_ynode_new_seq();
	cl_ynode_push(seq, cl_ynode_new_str(text));
	cl_ynode_push(seq, cl_ynode_new_map());
	cl_ynode_set(map, "l", seq);
	if (strcmp(text, "s") && strcmp(text, "p") && strcmp(text, "l"))
		cl_ynode_set(map, text, cl_ynode_new_plain("v"));
	check_emit(map);
	cl_ynode_free(map);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	cl_error e1 = CL_ERROR_INIT, e2 = CL_ERROR_INIT;
	cl_ynode *ref = NULL, *pub = NULL, *fast = NULL;
	int rc1, rc2;

	rc1 = cl_yaml_parse_libyaml(&ref, "f.yaml", text, size, FUZZ_MAX_BYTES, &e1);
	if (cl_yaml_fast_parse(&fast, text, size) &&
	    (rc1 != 0 || !fast || !same_tree(fast, ref)))
		abort();
	rc2 = cl_yaml_parse(&pub, "f.yaml", text, size, FUZZ_MAX_BYTES, &e2);
	if (rc1 != rc2 || !same_tree(ref, pub) || (rc1 < 0 && strcmp(e1.msg, e2.msg)))
		abort();
	if (ref) {
		check_emit(ref);
		unplain(ref);
		check_emit(ref);
	}
	check_emit_string(text, size);
	cl_ynode_free(fast);
	cl_ynode_free(pub);
	cl_ynode_free(ref);
	free(text);
	return 0;
}
