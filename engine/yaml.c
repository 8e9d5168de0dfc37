/*
 * yaml.c - see yaml.h.
 *
 * Parsing runs libyaml's event API and builds the cl_ynode tree with an
 * explicit stack of open collections, so the depth limit is also the
 * stack's size and no input can recurse.  Before libyaml sees a byte we
 * check the size limit, NUL bytes and UTF-8 ourselves, to report them with
 * a position; everything libyaml refuses is reported at its problem mark.
 *
 * Duplicate keys: while a map has fewer than YAML_SMALL_MAP pairs each new
 * key is compared with the keys before it, so the usual small map reports
 * a duplicate as soon as it is read.  A map that grows past that is checked
 * once more when it ends, by sorting its keys (O(n log n) whatever the
 * keys are; a hash set could be flooded by chosen keys), and the repeat
 * reported is the earliest in the document either way.
 *
 * cl_yaml_parse and cl_yaml_emit first try the fast paths of yaml_fast.c,
 * which handle the documents chainlog writes and give up on anything
 * else; what follows is the libyaml path, the reference (yaml_internal.h).
 *
 * Emitting first checks the whole tree against the same rules (text,
 * keys, depth), so that cl_yaml_emit never writes what cl_yaml_parse
 * would refuse, then drives libyaml's emitter.  The emitter recurses, at
 * most CL_YAML_MAX_DEPTH deep.  cl_ynode_free and cl_ynode_dup recurse as
 * deep as the tree: parsed trees are at most CL_YAML_MAX_DEPTH deep.
 */
#define CL_YAML_WITH_LIBYAML
#include <yaml.h> /* ours, which includes libyaml's: see yaml.h */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yaml_internal.h"

/* Maps with fewer pairs are checked for duplicates key by key. */
#define YAML_SMALL_MAP 32
/* Bytes of a key quoted in a message. */
#define YAML_KEY_IN_MSG 64

/* ---- positions and input checks ---------------------------------- */

/* A libyaml 0-based mark component as a 1-based int. */
static int yaml_num(size_t v)
{
	return v < (size_t)INT_MAX ? (int)v + 1 : INT_MAX;
}

/* Length of the UTF-8 sequence at s, or 0 if it is not valid. */
static size_t yaml_utf8_width(const unsigned char *s, size_t avail)
{
	size_t n, k;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Length of the line break at s (as libyaml counts lines), or 0. */
static size_t yaml_break_width(const unsigned char *s, size_t avail)
{
	if (s[0] == '\r')
		return avail > 1 && s[1] == '\n' ? 2 : 1;
	if (s[0] == '\n')
		return 1;
	if (avail > 1 && s[0] == 0xc2 && s[1] == 0x85)
		return 2; /* NEL */
	if (avail > 2 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] == 0xa8 || s[2] == 0xa9))
		return 3; /* LS, PS */
	return 0;
}

/*
 * Walks the first `end` bytes of data counting lines and columns (in
 * characters, 0-based, like libyaml; a leading BOM takes no column).
 * Stops early at a NUL byte or invalid UTF-8, setting *problem.  Returns
 * the offset where it stopped.
 */
static size_t yaml_scan(size_t *line, size_t *col, const char **problem,
			const char *data, size_t end)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, w;

	*line = *col = 0;
	*problem = NULL;
	if (end >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		i = 3;
	while (i < end) {
		size_t brk = yaml_break_width(s + i, end - i);

		if (!s[i] || !(w = yaml_utf8_width(s + i, end - i))) {
			*problem = s[i] ? "invalid UTF-8" : "NUL byte in input";
			return i;
		}
		if (brk) {
			++*line;
			*col = 0;
			w = brk;
		} else {
			++*col;
		}
		i += w;
	}
	return i;
}

/* ---- the tree ----------------------------------------------------- */

static cl_ynode *yaml_node_new(cl_ynode_kind kind)
{
	cl_ynode *n = cl_xcalloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

static cl_ynode *yaml_scalar_new(const char *s, size_t len, int plain)
{
	cl_ynode *n = yaml_node_new(CL_YNODE_SCALAR);

	n->str = cl_xstrndup(s, len);
	n->len = len;
	n->plain = plain;
	return n;
}

/* Makes room for `slots` item pointers. */
static void yaml_reserve(cl_ynode *c, size_t slots)
{
	size_t cap;

	if (slots <= c->cap)
		return;
	cap = c->cap ? c->cap : 4;
	while (cap < slots)
		cap = cl_xmul(cap, 2);
	c->items = cl_xrealloc(c->items, cl_xmul(cap, sizeof(cl_ynode *)));
	c->cap = cap;
}

static void yaml_seq_append(cl_ynode *seq, cl_ynode *item)
{
	yaml_reserve(seq, seq->n + 1);
	seq->items[seq->n++] = item;
}

static void yaml_map_append(cl_ynode *map, cl_ynode *key, cl_ynode *value)
{
	yaml_reserve(map, cl_xmul(map->n + 1, 2));
	map->items[2 * map->n] = key;
	map->items[2 * map->n + 1] = value;
	map->n++;
}

static size_t yaml_slots(const cl_ynode *n)
{
	if (n->kind == CL_YNODE_MAP)
		return cl_xmul(n->n, 2);
	return n->kind == CL_YNODE_SEQ ? n->n : 0;
}

static int yaml_key_is(const cl_ynode *key, const char *s, size_t len)
{
	return key && key->kind == CL_YNODE_SCALAR && key->len == len &&
	       memcmp(key->str, s, len) == 0;
}

typedef struct yaml_keyref {
	const char *s;
	size_t len;
	size_t i; /* pair index */
} yaml_keyref;

static int yaml_keyref_cmp(const void *pa, const void *pb)
{
	const yaml_keyref *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);

	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* yaml_map_find_dup for a small map: each key against the keys before it. */
static int yaml_map_find_dup_small(size_t *first, size_t *dup,
				   const cl_ynode *map)
{
	size_t i, j;

	for (j = 1; j < map->n; j++)
		for (i = 0; i < j; i++)
			if (yaml_key_is(map->items[2 * i], map->items[2 * j]->str,
					map->items[2 * j]->len)) {
				*first = i;
				*dup = j;
				return 1;
			}
	return 0;
}

/*
 * Finds the earliest pair (in document order) of a MAP with scalar keys
 * whose key repeats an earlier one: sets *dup to it and *first to the
 * earlier pair, and returns 1; returns 0 when keys are unique.
 */
static int yaml_map_find_dup(size_t *first, size_t *dup, const cl_ynode *map)
{
	yaml_keyref *refs;
	size_t i, run = 0;
	int found = 0;

	if (map->n < 2)
		return 0;
	if (map->n < YAML_SMALL_MAP) /* the usual map: no allocation, no sort */
		return yaml_map_find_dup_small(first, dup, map);
	refs = cl_xmalloc(cl_xmul(map->n, sizeof(*refs)));
	for (i = 0; i < map->n; i++) {
		refs[i].s = map->items[2 * i]->str;
		refs[i].len = map->items[2 * i]->len;
		refs[i].i = i;
	}
	qsort(refs, map->n, sizeof(*refs), yaml_keyref_cmp);
	for (i = 1; i < map->n; i++) {
		if (refs[i].len != refs[run].len ||
		    memcmp(refs[i].s, refs[run].s, refs[i].len) != 0) {
			run = i;
			continue;
		}
		if (i == run + 1 && (!found || refs[i].i < *dup)) {
			*first = refs[run].i;
			*dup = refs[i].i;
			found = 1;
		}
	}
	free(refs);
	return found;
}

/* How many bytes of a key to show: at most YAML_KEY_IN_MSG, whole chars. */
static int yaml_clip(const char *s, size_t len)
{
	size_t n = len < YAML_KEY_IN_MSG ? len : YAML_KEY_IN_MSG;

	while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* ---- parsing ------------------------------------------------------ */

typedef struct yaml_frame {
	cl_ynode *node; /* the open collection */
	cl_ynode *key;  /* MAP: the key read, waiting for its value */
} yaml_frame;

typedef struct yaml_builder {
	const char *file;
	cl_error *err;
	yaml_frame stack[CL_YAML_MAX_DEPTH];
	int depth;      /* open collections */
	int docs;       /* documents started */
	int done;       /* STREAM-END seen */
	cl_ynode *root;
} yaml_builder;

static int yaml_fail_at(yaml_builder *b, int line, int col, const char *fmt, ...)
	CL_PRINTF(4, 5);

static int yaml_fail_at(yaml_builder *b, int line, int col, const char *fmt, ...)
{
	char msg[CL_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cl_error_set(b->err, CL_EINVALID, "%s:%d:%d: %s", b->file, line,
			    col, msg);
}

static int yaml_fail_mark(yaml_builder *b, yaml_mark_t mark, const char *msg)
{
	return yaml_fail_at(b, yaml_num(mark.line), yaml_num(mark.column), "%s",
			    msg);
}

static int yaml_check_input(yaml_builder *b, const char *data, size_t len,
			    size_t max_bytes)
{
	size_t line, col;
	const char *problem;

	if (len > max_bytes)
		return cl_error_set(b->err, CL_EINVALID,
				    "%s: input is %zu bytes, more than the limit of %zu bytes",
				    b->file, len, max_bytes);
	yaml_scan(&line, &col, &problem, data, len);
	if (problem)
		return yaml_fail_at(b, yaml_num(line), yaml_num(col), "%s", problem);
	return 0;
}

/* Reports the error that stopped yaml_parser_parse. */
static int yaml_fail_parser(yaml_builder *b, const yaml_parser_t *p,
			    const char *data)
{
	const char *problem = p->problem ? p->problem : "syntax error", *bad;
	size_t line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return cl_error_set(b->err, CL_EINTERNAL, "%s: out of memory",
				    b->file);
	case YAML_READER_ERROR:
		yaml_scan(&line, &col, &bad, data, p->problem_offset);
		return yaml_fail_at(b, yaml_num(line), yaml_num(col), "%s", problem);
	default:
		break;
	}
	if (!p->context)
		return yaml_fail_mark(b, p->problem_mark, problem);
	return yaml_fail_at(b, yaml_num(p->problem_mark.line),
			    yaml_num(p->problem_mark.column), "%s (%s at %d:%d)",
			    problem, p->context, yaml_num(p->context_mark.line),
			    yaml_num(p->context_mark.column));
}

static int yaml_check_props(yaml_builder *b, const yaml_event_t *ev,
			    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		return yaml_fail_mark(b, ev->start_mark,
				      "anchors and aliases are not allowed");
	if (tag)
		return yaml_fail_mark(b, ev->start_mark, "tags are not allowed");
	return 0;
}

/* Checks a scalar about to become a key of map. */
static int yaml_check_key(yaml_builder *b, const cl_ynode *map,
			  const cl_ynode *key)
{
	size_t i;

	if (yaml_key_is(key, "<<", 2))
		return yaml_fail_at(b, key->line, key->col,
				    "merge keys are not allowed");
	if (map->n >= YAML_SMALL_MAP)
		return 0; /* checked when the map ends */
	for (i = 0; i < map->n; i++) {
		const cl_ynode *k = map->items[2 * i];

		if (yaml_key_is(k, key->str, key->len))
			return yaml_fail_at(b, key->line, key->col,
					    "duplicate key '%.*s' (first at %d:%d)",
					    yaml_clip(key->str, key->len),
					    key->str, k->line, k->col);
	}
	return 0;
}

/* Hands a complete node to its parent (or makes it the root); owns it. */
static int yaml_attach(yaml_builder *b, cl_ynode *node)
{
	yaml_frame *f;
	int error;

	if (!b->depth) {
		cl_ynode_free(b->root);
		b->root = node;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == CL_YNODE_SEQ) {
		yaml_seq_append(f->node, node);
	} else if (f->key) {
		yaml_map_append(f->node, f->key, node);
		f->key = NULL;
	} else if ((error = yaml_check_key(b, f->node, node)) < 0) {
		cl_ynode_free(node);
		return error;
	} else {
		f->key = node;
	}
	return 0;
}

static int yaml_expecting_key(const yaml_builder *b)
{
	const yaml_frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;

	return f && f->node->kind == CL_YNODE_MAP && !f->key;
}

static int yaml_on_scalar(yaml_builder *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	cl_ynode *node;
	int error;

	if ((error = yaml_check_props(b, ev, ev->data.scalar.anchor,
				      ev->data.scalar.tag)) < 0)
		return error;
	if (!cl_text_valid(value, len, 1))
		return yaml_fail_mark(b, ev->start_mark, "control character in value");
	node = yaml_scalar_new(value, len,
			       ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
	node->line = yaml_num(ev->start_mark.line);
	node->col = yaml_num(ev->start_mark.column);
	return yaml_attach(b, node);
}

static int yaml_on_start(yaml_builder *b, const yaml_event_t *ev)
{
	int is_map = ev->type == YAML_MAPPING_START_EVENT;
	yaml_frame *f;
	int error;

	error = is_map ? yaml_check_props(b, ev, ev->data.mapping_start.anchor,
					  ev->data.mapping_start.tag)
		       : yaml_check_props(b, ev, ev->data.sequence_start.anchor,
					  ev->data.sequence_start.tag);
	if (error < 0)
		return error;
	if (yaml_expecting_key(b))
		return yaml_fail_mark(b, ev->start_mark, "keys must be plain scalars");
	if (b->depth == CL_YAML_MAX_DEPTH)
		return yaml_fail_at(b, yaml_num(ev->start_mark.line),
				    yaml_num(ev->start_mark.column),
				    "nesting deeper than %d levels", CL_YAML_MAX_DEPTH);
	f = &b->stack[b->depth++];
	f->node = yaml_node_new(is_map ? CL_YNODE_MAP : CL_YNODE_SEQ);
	f->node->line = yaml_num(ev->start_mark.line);
	f->node->col = yaml_num(ev->start_mark.column);
	f->key = NULL;
	return 0;
}

static int yaml_on_end(yaml_builder *b)
{
	yaml_frame *f = &b->stack[--b->depth];
	cl_ynode *node = f->node;
	size_t first, dup;
	int error = 0;

	cl_ynode_free(f->key); /* always NULL: libyaml gives every key a value */
	f->node = f->key = NULL;
	if (node->kind == CL_YNODE_MAP && node->n > YAML_SMALL_MAP &&
	    yaml_map_find_dup(&first, &dup, node)) {
		const cl_ynode *k = node->items[2 * dup];

		error = yaml_fail_at(b, k->line, k->col,
				     "duplicate key '%.*s' (first at %d:%d)",
				     yaml_clip(k->str, k->len), k->str,
				     node->items[2 * first]->line,
				     node->items[2 * first]->col);
		cl_ynode_free(node);
		return error;
	}
	return yaml_attach(b, node);
}

static int yaml_on_event(yaml_builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++ > 0)
			return yaml_fail_mark(b, ev->start_mark,
					      "only one document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return yaml_fail_mark(b, ev->start_mark,
				      "anchors and aliases are not allowed");
	case YAML_SCALAR_EVENT:
		return yaml_on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return yaml_on_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return b->depth ? yaml_on_end(b) : 0;
	case YAML_STREAM_END_EVENT:
		b->done = 1;
		return 0;
	default:
		return 0;
	}
}

static int yaml_run(yaml_builder *b, yaml_parser_t *parser, const char *data)
{
	yaml_event_t ev;
	int error = 0;

	while (!error && !b->done) {
		if (!yaml_parser_parse(parser, &ev))
			return yaml_fail_parser(b, parser, data);
		error = yaml_on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	return error;
}

static void yaml_builder_clear(yaml_builder *b)
{
	while (b->depth > 0) {
		b->depth--;
		cl_ynode_free(b->stack[b->depth].node);
		cl_ynode_free(b->stack[b->depth].key);
	}
	cl_ynode_free(b->root);
	b->root = NULL;
}

int cl_yaml_parse(cl_ynode **out, const char *file, const char *data,
		  size_t len, size_t max_bytes, cl_error *err)
{
	/* the fast path takes only what it is sure of; see yaml_internal.h */
	if (data && len && len <= max_bytes && cl_yaml_fast_parse(out, data, len))
		return 0;
	return cl_yaml_parse_libyaml(out, file, data, len, max_bytes, err);
}

int cl_yaml_parse_libyaml(cl_ynode **out, const char *file, const char *data,
			  size_t len, size_t max_bytes, cl_error *err)
{
	yaml_builder b;
	yaml_parser_t parser;
	int error, ready = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.file = file ? file : "<input>";
	b.err = err;
	if (!data && len)
		return cl_error_set(err, CL_EINTERNAL, "%s: no data", b.file);
	if ((error = yaml_check_input(&b, data, len, max_bytes)) < 0 || !len)
		goto done;
	if (!yaml_parser_initialize(&parser)) {
		error = cl_error_set(err, CL_EINTERNAL, "%s: out of memory", b.file);
		goto done;
	}
	ready = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if ((error = yaml_run(&b, &parser, data)) < 0)
		goto done;
	/* "---" alone, or nothing: the root is an empty plain scalar. */
	if (b.root && !(b.root->kind == CL_YNODE_SCALAR && b.root->plain &&
			!b.root->len)) {
		*out = b.root;
		b.root = NULL;
	}
done:
	if (ready)
		yaml_parser_delete(&parser);
	yaml_builder_clear(&b);
	return error;
}

/* ---- access and builders ------------------------------------------ */

void cl_ynode_free(cl_ynode *n)
{
	size_t i, slots;

	if (!n)
		return;
	slots = yaml_slots(n);
	for (i = 0; i < slots; i++)
		cl_ynode_free(n->items[i]);
	free(n->items);
	free(n->str);
	free(n);
}

const cl_ynode *cl_ynode_get(const cl_ynode *map, const char *key)
{
	size_t i, len;

	if (!map || !key || map->kind != CL_YNODE_MAP)
		return NULL;
	len = strlen(key);
	for (i = 0; i < map->n; i++)
		if (yaml_key_is(map->items[2 * i], key, len))
			return map->items[2 * i + 1];
	return NULL;
}

const cl_ynode *cl_ynode_key(const cl_ynode *map, size_t i)
{
	if (!map || map->kind != CL_YNODE_MAP || i >= map->n)
		return NULL;
	return map->items[2 * i];
}

const cl_ynode *cl_ynode_value(const cl_ynode *map, size_t i)
{
	if (!map || map->kind != CL_YNODE_MAP || i >= map->n)
		return NULL;
	return map->items[2 * i + 1];
}

cl_ynode *cl_ynode_new_map(void)
{
	return yaml_node_new(CL_YNODE_MAP);
}

cl_ynode *cl_ynode_new_seq(void)
{
	return yaml_node_new(CL_YNODE_SEQ);
}

cl_ynode *cl_ynode_new_str(const char *s)
{
	if (!s)
		cl_die("cl_ynode_new_str: NULL string");
	return yaml_scalar_new(s, strlen(s), 0);
}

cl_ynode *cl_ynode_new_plain(const char *s)
{
	if (!s)
		cl_die("cl_ynode_new_plain: NULL string");
	return yaml_scalar_new(s, strlen(s), 1);
}

void cl_ynode_push(cl_ynode *seq, cl_ynode *item)
{
	if (!seq || seq->kind != CL_YNODE_SEQ || !item)
		cl_die("cl_ynode_push: not a sequence, or no item");
	yaml_seq_append(seq, item);
}

void cl_ynode_set(cl_ynode *map, const char *key, cl_ynode *value)
{
	if (!map || map->kind != CL_YNODE_MAP || !key || !value)
		cl_die("cl_ynode_set: not a map, or no key or value");
	/* a built key is a name: plain, unless plain would misread it */
	yaml_map_append(map, cl_yaml_reads_as_string(key) ? cl_ynode_new_plain(key)
							   : cl_ynode_new_str(key), value);
}

cl_ynode *cl_ynode_dup(const cl_ynode *n)
{
	cl_ynode *copy;
	size_t i, slots;

	if (!n)
		return NULL;
	copy = yaml_node_new(n->kind);
	copy->line = n->line;
	copy->col = n->col;
	copy->plain = n->plain;
	if (n->str) {
		copy->str = cl_xstrndup(n->str, n->len);
		copy->len = n->len;
	}
	slots = yaml_slots(n);
	if (slots)
		yaml_reserve(copy, slots);
	for (i = 0; i < slots; i++)
		copy->items[i] = cl_ynode_dup(n->items[i]);
	copy->n = n->n;
	return copy;
}

void cl_ynode_where(char *out, size_t n, const char *file, const cl_ynode *node)
{
	if (!out || !n)
		return;
	if (!file)
		file = "<input>";
	if (!node || node->line == 0)
		snprintf(out, n, "%s", file);
	else
		snprintf(out, n, "%s:%d:%d", file, node->line, node->col);
}

/* ---- emitting ----------------------------------------------------- */

static int yaml_ascii_eq(const char *s, size_t len, const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)word[i])
			return 0;
	}
	return 1;
}

static int yaml_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Would a YAML 1.1 or 1.2 reader take this plain scalar for a number or a
 * date?  Errs on the side of yes: "1.2.3" and "12ab" are quoted too.
 */
static int yaml_looks_number(const char *s, size_t len)
{
	static const char chars[] = "0123456789abcdefABCDEFxXoO_.:+-";
	size_t i = 0;

	if (len > 4 && yaml_digit(s[0]) && yaml_digit(s[1]) && yaml_digit(s[2]) &&
	    yaml_digit(s[3]) && s[4] == '-')
		return 1; /* a timestamp: 2022-09-04[T10:00:00Z] */
	if (len && (s[0] == '+' || s[0] == '-'))
		i = 1;
	if (yaml_ascii_eq(s + i, len - i, ".inf") ||
	    yaml_ascii_eq(s + i, len - i, ".nan"))
		return 1;
	if (i == len || !(yaml_digit(s[i]) ||
			  (s[i] == '.' && i + 1 < len && yaml_digit(s[i + 1]))))
		return 0;
	for (; i < len; i++)
		if (!memchr(chars, s[i], sizeof(chars) - 1))
			return 0;
	return 1;
}

/* Would a reader take this plain scalar for something but a string? */
static int yaml_plain_misreads(const char *s, size_t len)
{
	static const char *const words[] = {
		"~", "null", "true", "false", "yes", "no", "on", "off",
		"y", "n", "=", "<<",
	};
	size_t i;

	if (!len)
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (yaml_ascii_eq(s, len, words[i]))
			return 1;
	return yaml_looks_number(s, len);
}

/*
 * Would a literal block need "keep" chomping (|+) for this string, i.e.
 * does it end in a blank line or is it a lone break?  libyaml then ends
 * the document with "...", and an editor trimming blank lines at the end
 * of the file would change the value; such strings are double-quoted.
 */
static int yaml_keeps_breaks(const char *s, size_t len)
{
	return len && s[len - 1] == '\n' && (len == 1 || s[len - 2] == '\n');
}

static int yaml_emit_check(const cl_ynode *n, int depth, cl_error *err);

static int yaml_emit_check_scalar(const cl_ynode *n, cl_error *err)
{
	if (!n->str)
		return cl_error_set(err, CL_EINVALID, "cannot write a scalar without a value");
	if (n->len > INT_MAX) /* libyaml's limit */
		return cl_error_set(err, CL_EINVALID, "cannot write a value of %zu bytes",
				    n->len);
	if (!cl_text_valid(n->str, n->len, 1))
		return cl_error_set(err, CL_EINVALID,
				    "cannot write a value with a control character or invalid UTF-8");
	return 0;
}

static int yaml_emit_check_keys(const cl_ynode *map, cl_error *err)
{
	size_t i, first, dup;
	const cl_ynode *k;

	for (i = 0; i < map->n; i++) {
		k = map->items[2 * i];
		if (!k || k->kind != CL_YNODE_SCALAR || !k->str)
			return cl_error_set(err, CL_EINVALID, "keys must be plain scalars");
		if (yaml_key_is(k, "<<", 2))
			return cl_error_set(err, CL_EINVALID, "merge keys are not allowed");
	}
	if (!yaml_map_find_dup(&first, &dup, map))
		return 0;
	k = map->items[2 * dup];
	return cl_error_set(err, CL_EINVALID, "cannot write duplicate key '%.*s'",
			    yaml_clip(k->str, k->len), k->str);
}

/* Refuses, before writing anything, a tree that cl_yaml_parse would. */
static int yaml_emit_check(const cl_ynode *n, int depth, cl_error *err)
{
	size_t i, slots;
	int error;

	if (!n)
		return cl_error_set(err, CL_EINVALID, "cannot write a missing node");
	if (n->kind == CL_YNODE_SCALAR)
		return yaml_emit_check_scalar(n, err);
	if (depth > CL_YAML_MAX_DEPTH)
		return cl_error_set(err, CL_EINVALID, "nesting deeper than %d levels",
				    CL_YAML_MAX_DEPTH);
	if (n->kind == CL_YNODE_MAP && (error = yaml_emit_check_keys(n, err)) < 0)
		return error;
	slots = yaml_slots(n);
	for (i = 0; i < slots; i++)
		if ((error = yaml_emit_check(n->items[i], depth + 1, err)) < 0)
			return error;
	return 0;
}

static int yaml_emit_fail(const yaml_emitter_t *em, cl_error *err)
{
	if (em->error == YAML_MEMORY_ERROR)
		return cl_error_set(err, CL_EINTERNAL, "out of memory writing YAML");
	return cl_error_set(err, CL_EINTERNAL, "cannot write YAML: %s",
			    em->problem ? em->problem : "unknown error");
}

/* Emits ev, which the emitter owns from here on, whatever happens. */
static int yaml_emit_event(yaml_emitter_t *em, yaml_event_t *ev, int made,
			   cl_error *err)
{
	if (!made)
		return cl_error_set(err, CL_EINTERNAL, "out of memory writing YAML");
	if (!yaml_emitter_emit(em, ev))
		return yaml_emit_fail(em, err);
	return 0;
}

static int yaml_emit_scalar(yaml_emitter_t *em, const cl_ynode *n,
			    cl_error *err)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	int plain_implicit = 1, made;
	yaml_event_t ev;

	if (yaml_keeps_breaks(n->str, n->len)) {
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		plain_implicit = 0;
	} else if (memchr(n->str, '\n', n->len)) {
		/* libyaml falls back to double quotes when literal can't do */
		style = YAML_LITERAL_SCALAR_STYLE;
		plain_implicit = 0;
	} else if (!n->plain && yaml_plain_misreads(n->str, n->len)) {
		plain_implicit = 0; /* libyaml picks single or double quotes */
	}
	made = yaml_scalar_event_initialize(&ev, NULL, NULL,
					    (yaml_char_t *)n->str, (int)n->len,
					    plain_implicit, 1, style);
	return yaml_emit_event(em, &ev, made, err);
}

static int yaml_emit_node(yaml_emitter_t *em, const cl_ynode *n, cl_error *err);

static int yaml_emit_collection(yaml_emitter_t *em, const cl_ynode *n,
				cl_error *err)
{
	int is_map = n->kind == CL_YNODE_MAP, made, error;
	size_t i, slots = yaml_slots(n);
	yaml_event_t ev;

	if (is_map)
		made = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			slots ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
	else
		made = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			slots ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
	if ((error = yaml_emit_event(em, &ev, made, err)) < 0)
		return error;
	for (i = 0; i < slots; i++)
		if ((error = yaml_emit_node(em, n->items[i], err)) < 0)
			return error;
	made = is_map ? yaml_mapping_end_event_initialize(&ev)
		      : yaml_sequence_end_event_initialize(&ev);
	return yaml_emit_event(em, &ev, made, err);
}

static int yaml_emit_node(yaml_emitter_t *em, const cl_ynode *n, cl_error *err)
{
	if (n->kind == CL_YNODE_SCALAR)
		return yaml_emit_scalar(em, n, err);
	return yaml_emit_collection(em, n, err);
}

static int yaml_emit_document(yaml_emitter_t *em, const cl_ynode *root,
			      cl_error *err)
{
	yaml_event_t ev;
	int error, made;

	made = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if ((error = yaml_emit_event(em, &ev, made, err)) < 0)
		return error;
	made = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if ((error = yaml_emit_event(em, &ev, made, err)) < 0)
		return error;
	if ((error = yaml_emit_node(em, root, err)) < 0)
		return error;
	made = yaml_document_end_event_initialize(&ev, 1);
	if ((error = yaml_emit_event(em, &ev, made, err)) < 0)
		return error;
	made = yaml_stream_end_event_initialize(&ev);
	return yaml_emit_event(em, &ev, made, err);
}

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	cl_buf_put(data, buffer, size);
	return 1;
}

/* Runs libyaml's emitter on a tree that passed yaml_emit_check. */
static int yaml_emit_run(cl_buf *out, const cl_ynode *root, cl_error *err)
{
	yaml_emitter_t em;
	size_t start = out->size;
	int error;

	if (!yaml_emitter_initialize(&em))
		return cl_error_set(err, CL_EINTERNAL, "out of memory writing YAML");
	yaml_emitter_set_output(&em, yaml_write, out);
	yaml_emitter_set_encoding(&em, YAML_UTF8_ENCODING);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);
	error = yaml_emit_document(&em, root, err);
	if (!error && !yaml_emitter_flush(&em))
		error = yaml_emit_fail(&em, err);
	yaml_emitter_delete(&em);
	if (error)
		cl_buf_truncate(out, start);
	return error;
}

int cl_yaml_emit(cl_buf *out, const cl_ynode *root, cl_error *err)
{
	/* the fast path writes only what it is sure libyaml would write, and
	   gives up on whatever yaml_emit_check refuses */
	if (root && cl_yaml_fast_emit(out, root))
		return 0;
	return cl_yaml_emit_libyaml(out, root, err);
}

int cl_yaml_emit_libyaml(cl_buf *out, const cl_ynode *root, cl_error *err)
{
	int error;

	if (!root)
		return 0;
	if ((error = yaml_emit_check(root, 1, err)) < 0)
		return error;
	return yaml_emit_run(out, root, err);
}

int cl_yaml_reads_as_string(const char *s)
{
	return !yaml_plain_misreads(s, strlen(s));
}
