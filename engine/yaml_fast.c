/*
 * yaml_fast.c - hand-written fast paths of cl_yaml_parse and cl_yaml_emit
 * for the documents chainlog writes itself (see yaml_internal.h).
 *
 * Why: verify and reindex read and write every record of the history, and
 * libyaml's token and event machinery was a fifth to a third of their
 * time.  Records are small block-style documents written by cl_yaml_emit,
 * so a parser of just those shapes, and an emitter that writes just those
 * shapes, are much cheaper.  libyaml stays the reference: both fast paths
 * give up (return 0) whenever the input is anything but plain, and the
 * caller then runs the libyaml path on the whole document.
 *
 * The parser's subset, one line at a time, spaces for indentation only:
 *   - block mappings whose keys are plain [A-Za-z0-9_][A-Za-z0-9_./-]*
 *     (at most FAST_MAX_KEY bytes, at most FAST_MAX_PAIRS pairs, no
 *     duplicate), written "key: value" or "key:" with the value on the
 *     following lines;
 *   - block sequences "- item", also "key:\n- item" (indentless) and
 *     "- key: value" / "- - item" (compact);
 *   - plain scalars on one line, single-quoted scalars on one line ('' is
 *     a quote), literal blocks "|" and "|-" (first line not empty, no
 *     trailing blank lines), and the empty "{}" and "[]";
 *   - printable characters: ASCII 0x20-0x7e and UTF-8 from U+00A0, minus
 *     surrogates, U+2028/U+2029, U+FEFF, U+FFFE/U+FFFF.
 * Anything else -- comments, blank lines outside literals, tabs, CR, a
 * trailing space, "---", flow collections, double quotes, anchors, tags,
 * multi-line plain scalars, empty values, a last line without "\n",
 * nesting past CL_YAML_MAX_DEPTH -- makes it give up.  Every node starts
 * after ASCII only (indentation, "- ", a key and ": "), so a node's column
 * is its byte offset in the line.
 *
 * The emitter replays libyaml's emitter state (column, "whitespace" and
 * "indention" flags, indents, indentless sequences in mappings) and its
 * choice of scalar style for the settings of yaml.c (unicode, no width
 * limit, indent 2): plain, single-quoted, or literal with clip or strip
 * chomping.  It gives up on any scalar libyaml would double-quote, write
 * with an indentation hint, or write with a character outside the
 * parser's printable set, on keys libyaml would not write as simple keys,
 * and on roots that are not non-empty collections.  It also gives up on
 * every tree that cl_yaml_emit's checks would refuse (a missing node or
 * value, a key that is not a scalar, "<<", a duplicate key, nesting past
 * CL_YAML_MAX_DEPTH, text with a control character or invalid UTF-8),
 * which is why it can run before them: the refusal then comes from the
 * libyaml path.
 */
#include "yaml_internal.h"

#include <limits.h>
#include <string.h>

#include "buf.h"
#include "util.h"

/* Longer keys go to libyaml (its emitter writes them as "? key"). */
#define FAST_MAX_KEY 128
/* Bigger maps go to libyaml: the duplicate check here is quadratic. */
#define FAST_MAX_PAIRS 64

/* ---- shared ------------------------------------------------------- */

/*
 * Width of the character at s (avail bytes) if both fast paths take it in
 * a scalar, else 0: printable ASCII (no tab, no DEL), and UTF-8 U+00A0 to
 * U+10FFFF minus surrogates, the line breaks U+2028/U+2029, U+FEFF and
 * U+FFFE/U+FFFF.  Line breaks are the callers' business.
 */
static size_t fast_char_width(const unsigned char *s, size_t avail)
{
	unsigned long cp;
	size_t n, k;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] < 0xc2)
		return 0; /* controls, DEL, stray continuations, overlong */
	if (s[0] < 0xe0)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] < 0xf0)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] < 0xf5)
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
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return n;
}

/* ---- parsing ------------------------------------------------------ */

typedef struct fast_parser {
	const char *s; /* the input; s[len - 1] is '\n' */
	size_t len;    /* bytes in s */
	size_t pos;    /* the cursor */
	size_t bol;    /* where the cursor's line begins */
	int line;      /* 1-based line of the cursor */
} fast_parser;

static cl_ynode *fast_node(const fast_parser *p, cl_ynode_kind kind)
{
	cl_ynode *n = cl_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = p->line;
	n->col = (int)(p->pos - p->bol) + 1;
	return n;
}

/* Makes room for `slots` item pointers in c. */
static void fast_reserve(cl_ynode *c, size_t slots)
{
	if (slots <= c->cap)
		return;
	c->cap = c->cap ? cl_xmul(c->cap, 2) : 4;
	if (c->cap < slots)
		c->cap = slots;
	c->items = cl_xrealloc(c->items, cl_xmul(c->cap, sizeof(cl_ynode *)));
}

/* Moves the cursor past the '\n' it is on. */
static void fast_newline(fast_parser *p)
{
	p->pos++;
	p->bol = p->pos;
	p->line++;
}

/* Spaces at the start of the line beginning at bol. */
static size_t fast_spaces(const fast_parser *p, size_t bol)
{
	size_t k = 0;

	while (p->s[bol + k] == ' ')
		k++;
	return k;
}

/* Is "- " at offset at? */
static int fast_is_dash(const fast_parser *p, size_t at)
{
	return p->s[at] == '-' && p->s[at + 1] == ' ';
}

/*
 * Length of the plain key at the cursor, if the line has one there
 * followed by ": " or ":\n"; else 0.
 */
static size_t fast_key_len(const fast_parser *p)
{
	const char *s = p->s + p->pos;
	size_t i = 0;
	char c = s[0];

	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	      (c >= '0' && c <= '9') || c == '_'))
		return 0;
	for (i = 1; i <= FAST_MAX_KEY; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
		    c == '/')
			continue;
		if (c == ':' && (s[i + 1] == ' ' || s[i + 1] == '\n') &&
		    i <= FAST_MAX_KEY)
			return i;
		return 0;
	}
	return 0;
}

/*
 * Where the next line puts us, after a node that ended a line: 1 with
 * *indent set, or 0 at the end of the input.  A blank line sets *indent
 * to (size_t)-1, which no caller accepts.
 */
static int fast_peek(size_t *indent, const fast_parser *p)
{
	size_t k;

	if (p->pos >= p->len)
		return 0;
	k = fast_spaces(p, p->pos);
	*indent = p->s[p->pos + k] == '\n' ? (size_t)-1 : k;
	return 1;
}

static int fast_node_at(cl_ynode **out, fast_parser *p, size_t indent,
			int depth, int seq_item);

/* A plain scalar from the cursor to the end of its line. */
static int fast_plain(cl_ynode **out, fast_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t q = p->pos, w;

	if (strchr("-?:,[]{}#&*!|>'\"%@` \n", s[q]))
		return 0; /* an indicator, or nothing: libyaml's business */
	while (s[q] != '\n') {
		if (s[q] == ':' && (s[q + 1] == ' ' || s[q + 1] == '\n'))
			return 0;
		if (s[q] == '#' && s[q - 1] == ' ')
			return 0;
		if (!(w = fast_char_width(s + q, p->len - q)))
			return 0;
		q += w;
	}
	if (s[q - 1] == ' ')
		return 0;
	*out = fast_node(p, CL_YNODE_SCALAR);
	(*out)->str = cl_xstrndup(p->s + p->pos, q - p->pos);
	(*out)->len = q - p->pos;
	(*out)->plain = 1;
	p->pos = q;
	fast_newline(p);
	return 1;
}

/* A single-quoted scalar that ends its line. */
static int fast_single(cl_ynode **out, fast_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t q = p->pos + 1, w, n, i;
	char *str;

	for (;;) {
		if (s[q] == '\'') {
			if (s[q + 1] != '\'')
				break;
			q += 2;
		} else if (s[q] == '\n' || !(w = fast_char_width(s + q, p->len - q))) {
			return 0;
		} else {
			q += w;
		}
	}
	if (s[q + 1] != '\n')
		return 0;
	str = cl_xmalloc(q - p->pos);
	for (i = p->pos + 1, n = 0; i < q; i++) {
		str[n++] = p->s[i];
		if (p->s[i] == '\'')
			i++;
	}
	str[n] = '\0';
	*out = fast_node(p, CL_YNODE_SCALAR);
	(*out)->str = str;
	(*out)->len = n;
	p->pos = q + 1;
	fast_newline(p);
	return 1;
}

/*
 * The lines of a literal block whose content is indented by n, from bol:
 * sets *end to the first line after it.  0 when a line is not in the
 * subset (characters, a line of spaces, trailing blank lines).
 */
static int fast_literal_extent(size_t *end, int *lines, const fast_parser *p,
			       size_t bol, size_t n)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t k, q, w;
	int blank = 0;

	*lines = 0;
	while (bol < p->len) {
		k = fast_spaces(p, bol);
		if (s[bol + k] == '\n') {
			if (k)
				return 0;
			blank++;
			bol++;
			++*lines;
			continue;
		}
		if (k < n)
			break;
		for (q = bol + n; s[q] != '\n'; q += w)
			if (!(w = fast_char_width(s + q, p->len - q)))
				return 0;
		bol = q + 1;
		++*lines;
		blank = 0;
	}
	*end = bol;
	return !blank;
}

/* A literal block "|" or "|-" at the cursor; parent is its collection's column. */
static int fast_literal(cl_ynode **out, fast_parser *p, size_t parent)
{
	size_t q = p->pos + 1, bol, n, end, len = 0, k;
	int strip = 0, lines;
	char *str;

	if (p->s[q] == '-')
		strip = 1, q++;
	if (p->s[q] != '\n' || (bol = q + 1) >= p->len)
		return 0;
	n = fast_spaces(p, bol);
	if (n <= parent || p->s[bol + n] == '\n' ||
	    !fast_literal_extent(&end, &lines, p, bol, n))
		return 0;
	str = cl_xmalloc(end - bol + 1);
	while (bol < end) {
		const char *nl = memchr(p->s + bol, '\n', end - bol);

		k = (size_t)(nl - p->s);
		if (k > bol) { /* not an empty line: drop the indentation */
			memcpy(str + len, p->s + bol + n, k - bol - n);
			len += k - bol - n;
		}
		str[len++] = '\n';
		bol = k + 1;
	}
	if (strip)
		len--;
	str[len] = '\0';
	*out = fast_node(p, CL_YNODE_SCALAR);
	(*out)->str = str;
	(*out)->len = len;
	p->pos = p->bol = end;
	p->line += lines + 1;
	return 1;
}

static int fast_map(cl_ynode **out, fast_parser *p, int depth);
static int fast_seq(cl_ynode **out, fast_parser *p, int depth, int indentless);

/* The value of "key:" when it starts on the next line. */
static int fast_value_below(cl_ynode **out, fast_parser *p, size_t col,
			    int depth)
{
	size_t k;

	fast_newline(p);
	if (!fast_peek(&k, p) || k == (size_t)-1 || k < col)
		return 0;
	p->pos += k;
	if (fast_is_dash(p, p->pos))
		return fast_seq(out, p, depth + 1, k == col);
	if (k == col)
		return 0;
	return fast_map(out, p, depth + 1);
}

static int fast_map_has(const cl_ynode *map, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		const cl_ynode *k = map->items[2 * i];

		if (k->len == len && memcmp(k->str, key, len) == 0)
			return 1;
	}
	return 0;
}

/* Reads one "key: value" pair of map, at the cursor. */
static int fast_pair(cl_ynode *map, fast_parser *p, size_t col, int depth)
{
	size_t klen = fast_key_len(p);
	cl_ynode *key, *value = NULL;

	if (!klen || map->n >= FAST_MAX_PAIRS ||
	    fast_map_has(map, p->s + p->pos, klen))
		return 0;
	key = fast_node(p, CL_YNODE_SCALAR);
	key->str = cl_xstrndup(p->s + p->pos, klen);
	key->len = klen;
	key->plain = 1;
	p->pos += klen + 1;
	if (p->s[p->pos] == '\n' ? !fast_value_below(&value, p, col, depth)
				 : (p->pos++, !fast_node_at(&value, p, col, depth, 0))) {
		cl_ynode_free(key);
		return 0;
	}
	fast_reserve(map, 2 * map->n + 2);
	map->items[2 * map->n] = key;
	map->items[2 * map->n + 1] = value;
	map->n++;
	return 1;
}

/* A block mapping whose first key is at the cursor. */
static int fast_map(cl_ynode **out, fast_parser *p, int depth)
{
	size_t col = p->pos - p->bol, k;
	cl_ynode *map;

	if (depth > CL_YAML_MAX_DEPTH)
		return 0;
	map = fast_node(p, CL_YNODE_MAP);
	for (;;) {
		if (!fast_pair(map, p, col, depth)) {
			cl_ynode_free(map);
			return 0;
		}
		if (!fast_peek(&k, p) || k < col)
			break;
		if (k != col || fast_is_dash(p, p->pos + k)) {
			cl_ynode_free(map);
			return 0;
		}
		p->pos += k;
	}
	*out = map;
	return 1;
}

/* A block sequence whose first "- " is at the cursor. */
static int fast_seq(cl_ynode **out, fast_parser *p, int depth, int indentless)
{
	size_t col = p->pos - p->bol, k;
	cl_ynode *seq, *item;

	if (depth > CL_YAML_MAX_DEPTH)
		return 0;
	seq = fast_node(p, CL_YNODE_SEQ);
	for (;;) {
		p->pos += 2;
		if (!fast_node_at(&item, p, col, depth, 1)) {
			cl_ynode_free(seq);
			return 0;
		}
		fast_reserve(seq, seq->n + 1);
		seq->items[seq->n++] = item;
		if (!fast_peek(&k, p) || k < col)
			break;
		if (k == col && !fast_is_dash(p, p->pos + k) && indentless)
			break;
		if (k != col || !fast_is_dash(p, p->pos + k)) {
			cl_ynode_free(seq);
			return 0;
		}
		p->pos += k;
	}
	*out = seq;
	return 1;
}

/* "{}" or "[]" ending the line. */
static int fast_empty(cl_ynode **out, fast_parser *p, int depth)
{
	const char *s = p->s + p->pos;

	if (!((s[0] == '{' && s[1] == '}') || (s[0] == '[' && s[1] == ']')) ||
	    s[2] != '\n' || depth > CL_YAML_MAX_DEPTH)
		return 0;
	*out = fast_node(p, s[0] == '{' ? CL_YNODE_MAP : CL_YNODE_SEQ);
	p->pos += 2;
	fast_newline(p);
	return 1;
}

/*
 * The node at the cursor, after "key: " or (seq_item) "- ", in the
 * collection at column indent (depth deep).  Leaves the cursor at the
 * start of the line after the node.
 */
static int fast_node_at(cl_ynode **out, fast_parser *p, size_t indent,
			int depth, int seq_item)
{
	switch (p->s[p->pos]) {
	case '|':
		return fast_literal(out, p, indent);
	case '\'':
		return fast_single(out, p);
	case '{':
	case '[':
		return fast_empty(out, p, depth + 1);
	case '-':
		if (seq_item && fast_is_dash(p, p->pos))
			return fast_seq(out, p, depth + 1, 0);
		return 0;
	default:
		break;
	}
	if (seq_item && fast_key_len(p))
		return fast_map(out, p, depth + 1);
	return fast_plain(out, p);
}

int cl_yaml_fast_parse(cl_ynode **out, const char *data, size_t len)
{
	fast_parser p;
	size_t k;
	int ok;

	*out = NULL;
	if (!data || !len || data[len - 1] != '\n')
		return 0;
	memset(&p, 0, sizeof(p));
	p.s = data;
	p.len = len;
	p.line = 1;
	if (!fast_peek(&k, &p) || k == (size_t)-1)
		return 0;
	p.pos = k;
	ok = fast_is_dash(&p, p.pos) ? fast_seq(out, &p, 1, 0)
				     : fast_map(out, &p, 1);
	if (ok && p.pos < p.len) {
		cl_ynode_free(*out);
		*out = NULL;
		ok = 0;
	}
	return ok;
}

/* ---- emitting ----------------------------------------------------- */

typedef struct fast_emitter {
	cl_buf *out;    /* where the bytes go */
	size_t column;  /* bytes since the last line break */
	int whitespace; /* libyaml's flag: the last thing written was blank */
	int indention;  /* libyaml's flag: the line holds only indentation */
} fast_emitter;

typedef enum fast_style {
	FAST_GIVE_UP,
	FAST_PLAIN,
	FAST_SINGLE,
	FAST_LITERAL,
} fast_style;

/* What libyaml's scalar analysis finds, for the cases handled here. */
typedef struct fast_scan {
	int breaks;        /* has a '\n' */
	int indicators;    /* would not read back as a plain block scalar */
	int lead_space;    /* starts with ' ' */
	int lead_break;    /* starts with '\n' */
	int trail_space;   /* ends with ' ' */
	int space_break;   /* ' ' followed by '\n' */
	int break_space;   /* '\n' followed by ' ' */
} fast_scan;

static int fast_blankz(const char *s, size_t i, size_t len)
{
	return i >= len || s[i] == ' ' || s[i] == '\n';
}

/* Scans s like libyaml's analysis; 0 for a character handled elsewhere. */
static int fast_scan_scalar(fast_scan *a, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, w;

	memset(a, 0, sizeof(*a));
	if (len >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
			 (s[0] == '.' && s[1] == '.' && s[2] == '.')))
		a->indicators = 1;
	for (i = 0; i < len; i += w) {
		if (s[i] == '\n') {
			w = 1;
		} else if (u[i] >= 0xf0 || !(w = fast_char_width(u + i, len - i))) {
			return 0; /* libyaml double-quotes it */
		}
		if (i == 0 && strchr("#,[]{}&*!|>'\"%@`", s[0]))
			a->indicators = 1;
		if (s[i] == ':' || (i == 0 && (s[i] == '?' || s[i] == '-')))
			a->indicators |= fast_blankz(s, i + 1, len);
		if (i > 0 && s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\n'))
			a->indicators = 1;
		if (s[i] == ' ') {
			a->lead_space |= i == 0;
			a->trail_space |= i + 1 == len;
			a->break_space |= i > 0 && s[i - 1] == '\n';
		} else if (s[i] == '\n') {
			a->breaks = 1;
			a->lead_break |= i == 0;
			a->space_break |= i > 0 && s[i - 1] == ' ';
		}
	}
	return 1;
}

/* The style libyaml picks for scalar n (yaml.c's event settings). */
static fast_style fast_pick(const cl_ynode *n, int key)
{
	fast_scan a;

	if ((key && n->len > FAST_MAX_KEY) || n->len > INT_MAX)
		return FAST_GIVE_UP; /* not a simple key, or too long for libyaml */
	if (!n->len)
		return key || !n->plain ? FAST_SINGLE : FAST_PLAIN;
	if (!fast_scan_scalar(&a, n->str, n->len))
		return FAST_GIVE_UP;
	if (a.breaks) {
		/* literal asked for; libyaml double-quotes when it cannot, and
		   a leading space or break needs an indentation hint */
		if (key || a.trail_space || a.space_break || a.lead_space ||
		    a.lead_break || (n->len >= 2 && n->str[n->len - 1] == '\n' &&
				     n->str[n->len - 2] == '\n'))
			return FAST_GIVE_UP;
		return FAST_LITERAL;
	}
	if (a.lead_space || a.trail_space || a.indicators)
		return FAST_SINGLE;
	if (!n->plain && !cl_yaml_reads_as_string(n->str))
		return FAST_SINGLE;
	return FAST_PLAIN;
}

static void fast_put(fast_emitter *e, const char *s, size_t n)
{
	cl_buf_put(e->out, s, n);
	e->column += n;
}

static void fast_break(fast_emitter *e)
{
	cl_buf_putc(e->out, '\n');
	e->column = 0;
}

/* libyaml's yaml_emitter_write_indent. */
static void fast_indent(fast_emitter *e, size_t indent)
{
	static const char spaces[] = "                                ";

	if (!e->indention || e->column > indent ||
	    (e->column == indent && !e->whitespace))
		fast_break(e);
	while (e->column < indent) {
		size_t n = indent - e->column;

		fast_put(e, spaces, n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1);
	}
	e->whitespace = 1;
	e->indention = 1;
}

/* libyaml's yaml_emitter_write_indicator. */
static void fast_indicator(fast_emitter *e, const char *ind, int need_space,
			   int is_space, int is_indention)
{
	if (need_space && !e->whitespace)
		fast_put(e, " ", 1);
	fast_put(e, ind, strlen(ind));
	e->whitespace = is_space;
	e->indention = e->indention && is_indention;
}

static void fast_put_single(fast_emitter *e, const cl_ynode *n)
{
	const char *s = n->str, *q;
	size_t left = n->len;

	fast_indicator(e, "'", 1, 0, 0);
	while ((q = memchr(s, '\'', left))) {
		fast_put(e, s, (size_t)(q - s) + 1);
		fast_put(e, "'", 1);
		left -= (size_t)(q - s) + 1;
		s = q + 1;
	}
	fast_put(e, s, left);
	fast_indicator(e, "'", 0, 0, 0);
}

/* A literal block; indent is the enclosing collection's. */
static void fast_put_literal(fast_emitter *e, const cl_ynode *n, size_t indent)
{
	const char *s = n->str, *end = n->str + n->len, *nl;

	fast_indicator(e, "|", 1, 0, 0);
	if (end[-1] != '\n')
		fast_indicator(e, "-", 0, 0, 0);
	fast_break(e);
	e->indention = 1;
	e->whitespace = 1;
	while (s < end) {
		if (*s == '\n') {
			fast_break(e);
			e->indention = 1;
			s++;
			continue;
		}
		fast_indent(e, indent + 2);
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		fast_put(e, s, (size_t)(nl - s));
		e->indention = 0;
		s = nl;
	}
}

static int fast_put_scalar(fast_emitter *e, const cl_ynode *n, size_t indent,
			   int key)
{
	switch (fast_pick(n, key)) {
	case FAST_GIVE_UP:
		return 0;
	case FAST_PLAIN:
		if (!e->whitespace && n->len)
			fast_put(e, " ", 1);
		fast_put(e, n->str, n->len);
		e->whitespace = 0;
		e->indention = 0;
		return 1;
	case FAST_SINGLE:
		fast_put_single(e, n);
		return 1;
	case FAST_LITERAL:
		fast_put_literal(e, n, indent);
		return 1;
	}
	return 0;
}

/*
 * Would cl_yaml_emit's checks pass the keys of map?  Scalars, not "<<",
 * no duplicates.  Their text is checked as they are written.
 */
static int fast_keys_ok(const cl_ynode *map)
{
	size_t i, j;

	if (map->n > FAST_MAX_PAIRS)
		return 0;
	for (j = 0; j < map->n; j++) {
		const cl_ynode *k = map->items[2 * j];

		if (!k || k->kind != CL_YNODE_SCALAR || !k->str ||
		    (k->len == 2 && k->str[0] == '<' && k->str[1] == '<'))
			return 0;
		for (i = 0; i < j; i++) {
			const cl_ynode *o = map->items[2 * i];

			if (o->len == k->len && memcmp(o->str, k->str, k->len) == 0)
				return 0;
		}
	}
	return 1;
}

/*
 * Writes n, whose parent collection has indent `parent` (-1 for the
 * root) and is depth - 1 deep; in_map: n is a mapping's value.  Gives up
 * also on whatever cl_yaml_emit's checks refuse, so that they need not
 * run first.
 */
static int fast_put_node(fast_emitter *e, const cl_ynode *n, long parent,
			 int in_map, int depth)
{
	size_t i, indent;

	if (!n)
		return 0;
	if (n->kind == CL_YNODE_SCALAR)
		return n->str && fast_put_scalar(e, n, (size_t)parent, 0);
	if (depth > CL_YAML_MAX_DEPTH ||
	    (n->kind == CL_YNODE_MAP && !fast_keys_ok(n)))
		return 0;
	if (!n->n) {
		fast_indicator(e, n->kind == CL_YNODE_MAP ? "{" : "[", 1, 1, 0);
		fast_indicator(e, n->kind == CL_YNODE_MAP ? "}" : "]", 0, 0, 0);
		return 1;
	}
	indent = parent < 0 ? 0 : (size_t)parent + 2;
	if (n->kind == CL_YNODE_SEQ && in_map && !e->indention)
		indent = (size_t)parent; /* "key:\n- item" */
	for (i = 0; i < n->n; i++) {
		fast_indent(e, indent);
		if (n->kind == CL_YNODE_SEQ) {
			fast_indicator(e, "-", 1, 0, 1);
			if (!fast_put_node(e, n->items[i], (long)indent, 0, depth + 1))
				return 0;
			continue;
		}
		if (!fast_put_scalar(e, n->items[2 * i], indent, 1))
			return 0;
		fast_indicator(e, ":", 0, 0, 0);
		if (!fast_put_node(e, n->items[2 * i + 1], (long)indent, 1,
				   depth + 1))
			return 0;
	}
	return 1;
}

int cl_yaml_fast_emit(cl_buf *out, const cl_ynode *root)
{
	fast_emitter e;
	size_t start = out->size;

	if (!root || root->kind == CL_YNODE_SCALAR || !root->n)
		return 0;
	e.out = out;
	e.column = 0;
	e.whitespace = 1;
	e.indention = 1;
	if (!fast_put_node(&e, root, -1, 0, 1)) {
		cl_buf_truncate(out, start);
		return 0;
	}
	if (!e.indention || e.column > 0 || !e.whitespace)
		fast_break(&e);
	return 1;
}
