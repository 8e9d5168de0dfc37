/*
 * test_yaml.c - unit tests for engine/yaml.c: positions, every refusal
 * with its exact "t.yaml:LINE:COL: message", hostile inputs, the emitter's
 * exact output and the string round-trip guarantee, builders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "util.h"
#include "yaml.h"
#include "yaml_internal.h"

#define MAX (1u << 24)

/* Parses s (strlen) as "t.yaml"; asserts success. */
static cl_ynode *parse_ok(const char *s)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root = NULL;
	int rc = cl_yaml_parse(&root, "t.yaml", s, strlen(s), MAX, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return root;
}

/* Parses len bytes of s; asserts CL_EINVALID with exactly msg. */
static void refuse_n(const char *s, size_t len, const char *msg)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root = (cl_ynode *)&err; /* must be reset to NULL */

	assert_int_equal(cl_yaml_parse(&root, "t.yaml", s, len, MAX, &err),
			 CL_EINVALID);
	assert_null(root);
	assert_int_equal(err.code, CL_EINVALID);
	assert_string_equal(err.msg, msg);
}

static void refuse(const char *s, const char *msg)
{
	refuse_n(s, strlen(s), msg);
}

static void assert_scalar(const cl_ynode *n, const char *s, int line, int col)
{
	assert_non_null(n);
	assert_int_equal(n->kind, CL_YNODE_SCALAR);
	assert_string_equal(n->str, s);
	assert_int_equal(n->len, strlen(s));
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
}

static char *emit_ok(const cl_ynode *root)
{
	cl_buf out = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	int rc = cl_yaml_emit(&out, root, &err);

	if (rc != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return cl_buf_detach(&out);
}

static double seconds_since(clock_t start)
{
	return (double)(clock() - start) / CLOCKS_PER_SEC;
}

/* ---- parsing ------------------------------------------------------ */

static void test_yaml__parses_nested_with_positions(void **state)
{
	const char *doc =
		"id: r-1\n"
		"chain:\n"
		"  - level: lead\n"
		"    who: [ann, bob]\n"
		"  - level: \"dir\"\n"
		"meta: {a: 'x', b: }\n";
	cl_ynode *root = parse_ok(doc);
	const cl_ynode *chain, *item, *who, *meta;

	(void)state;
	assert_int_equal(root->kind, CL_YNODE_MAP);
	assert_int_equal(root->line, 1);
	assert_int_equal(root->col, 1);
	assert_int_equal(root->n, 3);
	assert_scalar(cl_ynode_key(root, 0), "id", 1, 1);
	assert_scalar(cl_ynode_value(root, 0), "r-1", 1, 5);
	assert_int_equal(cl_ynode_value(root, 0)->plain, 1);

	chain = cl_ynode_get(root, "chain");
	assert_non_null(chain);
	assert_int_equal(chain->kind, CL_YNODE_SEQ);
	assert_int_equal(chain->n, 2);
	assert_int_equal(chain->line, 3);
	assert_int_equal(chain->col, 3);
	item = chain->items[0];
	assert_int_equal(item->kind, CL_YNODE_MAP);
	assert_int_equal(item->line, 3);
	assert_int_equal(item->col, 5);
	assert_scalar(cl_ynode_get(item, "level"), "lead", 3, 12);
	who = cl_ynode_get(item, "who");
	assert_int_equal(who->kind, CL_YNODE_SEQ);
	assert_int_equal(who->line, 4);
	assert_int_equal(who->col, 10);
	assert_scalar(who->items[0], "ann", 4, 11);
	assert_scalar(who->items[1], "bob", 4, 16);
	assert_scalar(cl_ynode_get(chain->items[1], "level"), "dir", 5, 12);
	assert_int_equal(cl_ynode_get(chain->items[1], "level")->plain, 0);

	meta = cl_ynode_get(root, "meta");
	assert_int_equal(meta->kind, CL_YNODE_MAP);
	assert_scalar(cl_ynode_get(meta, "a"), "x", 6, 11);
	assert_int_equal(cl_ynode_get(meta, "a")->plain, 0);
	assert_string_equal(cl_ynode_get(meta, "b")->str, "");
	assert_int_equal(cl_ynode_get(meta, "b")->plain, 1);

	assert_null(cl_ynode_get(root, "nope"));
	assert_null(cl_ynode_get(chain, "id"));
	assert_null(cl_ynode_get(NULL, "id"));
	assert_null(cl_ynode_key(root, 3));
	assert_null(cl_ynode_value(root, 3));
	assert_null(cl_ynode_key(chain, 0));
	cl_ynode_free(root);
}

static void test_yaml__columns_count_characters(void **state)
{
	cl_ynode *root = parse_ok("名前: 巍山县\n");

	(void)state;
	/* libyaml counts columns in characters, and so do we */
	assert_scalar(cl_ynode_value(root, 0), "巍山县", 1, 5);
	cl_ynode_free(root);
	root = parse_ok("\xef\xbb\xbf" "a: 1\n");
	assert_scalar(cl_ynode_key(root, 0), "a", 1, 1);
	cl_ynode_free(root);
}

static void test_yaml__literal_and_crlf(void **state)
{
	cl_ynode *root = parse_ok("a: |\r\n  x\r\n  y\r\nb: 2\r\n");

	(void)state;
	assert_scalar(cl_ynode_get(root, "a"), "x\ny\n", 1, 4);
	assert_int_equal(cl_ynode_get(root, "a")->plain, 0);
	assert_scalar(cl_ynode_get(root, "b"), "2", 4, 4);
	cl_ynode_free(root);
}

static void test_yaml__empty_documents_are_null(void **state)
{
	const char *empties[] = { "", "# only a comment\n", "---\n",
				  "--- \n...\n", "\n\n  \n" };
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++)
		assert_null(parse_ok(empties[i]));
	assert_int_equal(cl_yaml_parse(&root, "t.yaml", NULL, 0, MAX, &err), 0);
	assert_null(root);
	/* a quoted empty string is content */
	root = parse_ok("''\n");
	assert_scalar(root, "", 1, 1);
	assert_int_equal(root->plain, 0);
	cl_ynode_free(root);
}

static void test_yaml__accepts_one_explicit_document(void **state)
{
	cl_ynode *root = parse_ok("---\na: 1\n...\n");

	(void)state;
	assert_scalar(cl_ynode_get(root, "a"), "1", 2, 4);
	cl_ynode_free(root);
}

static void test_yaml__quoted_keys_are_scalars(void **state)
{
	cl_ynode *root = parse_ok("'123': a\n\"x y\": b\n? c\n: d\n");

	(void)state;
	assert_scalar(cl_ynode_get(root, "123"), "a", 1, 8);
	assert_scalar(cl_ynode_get(root, "x y"), "b", 2, 8);
	assert_scalar(cl_ynode_get(root, "c"), "d", 4, 3);
	cl_ynode_free(root);
}

/* ---- refusals ----------------------------------------------------- */

static void test_yaml__refuses_input_over_limit(void **state)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root;

	(void)state;
	assert_int_equal(cl_yaml_parse(&root, "t.yaml", "a: 1\n", 5, 4, &err),
			 CL_EINVALID);
	assert_null(root);
	assert_string_equal(err.msg,
			    "t.yaml: input is 5 bytes, more than the limit of 4 bytes");
	assert_int_equal(cl_yaml_parse(&root, "t.yaml", "a: 1\n", 5, 5, &err), 0);
	cl_ynode_free(root);
}

static void test_yaml__refuses_nul_byte_with_position(void **state)
{
	(void)state;
	refuse_n("a: 1\nbb: x\0y\n", 13, "t.yaml:2:6: NUL byte in input");
	refuse_n("\0", 1, "t.yaml:1:1: NUL byte in input");
	/* CR LF is one line break; a character is one column */
	refuse_n("a: 1\r\n\xc3\xa9\xc3\xa9\0", 11, "t.yaml:2:3: NUL byte in input");
}

static void test_yaml__refuses_invalid_utf8_with_position(void **state)
{
	(void)state;
	refuse("a: 1\nb: \xff\n", "t.yaml:2:4: invalid UTF-8");
	refuse("a: \xc0\xaf\n", "t.yaml:1:4: invalid UTF-8");         /* overlong */
	refuse("a: \xed\xa0\x80\n", "t.yaml:1:4: invalid UTF-8");     /* surrogate */
	refuse("a: \xf4\x90\x80\x80\n", "t.yaml:1:4: invalid UTF-8"); /* > U+10FFFF */
	refuse("a: b\xe5\xb7", "t.yaml:1:5: invalid UTF-8");          /* truncated */
	refuse("\xff\xfe" "a\0:\0", "t.yaml:1:1: invalid UTF-8");     /* UTF-16 */
}

static void test_yaml__reports_libyaml_errors_with_position(void **state)
{
	(void)state;
	refuse("a: 1\nb: 2\nc: d: e\n",
	       "t.yaml:3:5: mapping values are not allowed in this context");
	refuse("a: [1, 2\n",
	       "t.yaml:2:1: did not find expected ',' or ']' "
	       "(while parsing a flow sequence at 1:4)");
	refuse("a: \"x\n", "t.yaml:2:1: found unexpected end of stream "
	       "(while scanning a quoted scalar at 1:4)");
	/* libyaml's reader refuses raw control characters: we place them */
	refuse("a: 1\nb: x\x01y\n",
	       "t.yaml:2:5: control characters are not allowed");
}

static void test_yaml__refuses_control_character_in_value(void **state)
{
	(void)state;
	refuse("a: 1\nb: \"x\\x01\"\n", "t.yaml:2:4: control character in value");
	refuse("b: \"x\\0y\"\n", "t.yaml:1:4: control character in value");
	refuse("b: \"x\\ry\"\n", "t.yaml:1:4: control character in value");
	refuse("b: \"\\x85\"\n", "t.yaml:1:4: control character in value");
	refuse("\"\\e\": 1\n", "t.yaml:1:1: control character in value");
}

static void test_yaml__allows_newline_and_tab_in_values(void **state)
{
	cl_ynode *root = parse_ok("b: \"x\\ty\\nz\"\n");

	(void)state;
	assert_string_equal(cl_ynode_get(root, "b")->str, "x\ty\nz");
	cl_ynode_free(root);
}

static void test_yaml__refuses_anchors_aliases_and_tags(void **state)
{
	(void)state;
	refuse("a: 1\nb: &x 2\n", "t.yaml:2:4: anchors and aliases are not allowed");
	refuse("a: 1\nb: *x\n", "t.yaml:2:4: anchors and aliases are not allowed");
	refuse("a: &m {x: 1}\n", "t.yaml:1:4: anchors and aliases are not allowed");
	refuse("a: &s\n  - 1\n", "t.yaml:1:4: anchors and aliases are not allowed");
	refuse("a: 1\nb: !!str 2\n", "t.yaml:2:4: tags are not allowed");
	refuse("a: ! 2\n", "t.yaml:1:4: tags are not allowed");
	refuse("a: !!map {x: 1}\n", "t.yaml:1:4: tags are not allowed");
	refuse("a: !seq [1]\n", "t.yaml:1:4: tags are not allowed");
	refuse("--- !!map\na: 1\n", "t.yaml:1:5: tags are not allowed");
}

static void test_yaml__refuses_billion_laughs_fast(void **state)
{
	cl_buf doc = CL_BUF_INIT;
	clock_t start = clock();
	int i;

	(void)state;
	cl_buf_puts(&doc, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (i = 1; i < 10; i++)
		cl_buf_printf(&doc, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
			      'a' + i, 'a' + i, 'a' + i - 1, 'a' + i - 1,
			      'a' + i - 1, 'a' + i - 1, 'a' + i - 1, 'a' + i - 1,
			      'a' + i - 1, 'a' + i - 1);
	refuse(doc.ptr, "t.yaml:1:4: anchors and aliases are not allowed");
	/* aliases alone, no anchor first */
	refuse("a: [*x, *x, *x]\n", "t.yaml:1:5: anchors and aliases are not allowed");
	assert_true(seconds_since(start) < 2.0);
	cl_buf_release(&doc);
}

static void test_yaml__refuses_duplicate_key_naming_both(void **state)
{
	(void)state;
	refuse("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at 1:1)");
	refuse("m:\n  k: 1\n  x: 2\n  k: 3\n",
	       "t.yaml:4:3: duplicate key 'k' (first at 2:3)");
	refuse("{x: 1, 'x': 2}\n", "t.yaml:1:8: duplicate key 'x' (first at 1:2)");
	/* equal after escapes are decoded */
	refuse("ab: 1\n\"\\x61b\": 2\n",
	       "t.yaml:2:1: duplicate key 'ab' (first at 1:1)");
	/* the same key in different maps is fine */
	cl_ynode_free(parse_ok("a: {k: 1}\nb: {k: 2}\n"));
}

static void test_yaml__duplicate_key_message_is_clipped(void **state)
{
	char doc[512], msg[200];
	char key[201];

	(void)state;
	memset(key, 'k', 200);
	key[200] = '\0';
	snprintf(doc, sizeof(doc), "? %s\n: 1\n? %s\n: 2\n", key, key);
	snprintf(msg, sizeof(msg),
		 "t.yaml:3:3: duplicate key '%.64s' (first at 1:3)", key);
	refuse(doc, msg);
}

/* A map of n keys "kI: I", with key `dup` repeated at the end. */
static void big_map(cl_buf *doc, int n, int dup)
{
	int i;

	for (i = 0; i < n; i++)
		cl_buf_printf(doc, "k%d: %d\n", i, i);
	if (dup >= 0)
		cl_buf_printf(doc, "k%d: again\n", dup);
}

static void test_yaml__refuses_duplicate_key_in_big_map(void **state)
{
	cl_buf doc = CL_BUF_INIT;

	(void)state;
	big_map(&doc, 1000, 500);
	cl_buf_puts(&doc, "k7: twice\n");
	/* the earliest repeat in the document is reported */
	refuse(doc.ptr, "t.yaml:1001:1: duplicate key 'k500' (first at 501:1)");
	cl_buf_clear(&doc);
	big_map(&doc, 40, 3);
	refuse(doc.ptr, "t.yaml:41:1: duplicate key 'k3' (first at 4:1)");
	cl_buf_release(&doc);
}

static void test_yaml__big_map_is_not_quadratic(void **state)
{
	cl_buf doc = CL_BUF_INIT;
	clock_t start = clock();
	cl_ynode *root;

	(void)state;
	big_map(&doc, 100000, -1);
	root = parse_ok(doc.ptr);
	assert_int_equal(root->n, 100000);
	assert_scalar(cl_ynode_value(root, 99999), "99999", 100000, 9);
	assert_true(seconds_since(start) < 20.0);
	cl_ynode_free(root);
	cl_buf_release(&doc);
}

static void test_yaml__refuses_non_scalar_keys(void **state)
{
	(void)state;
	refuse("? [a]\n: 1\n", "t.yaml:1:3: keys must be plain scalars");
	refuse("{[a]: 1}\n", "t.yaml:1:2: keys must be plain scalars");
	refuse("a: 1\n? {b: 1}\n: 2\n", "t.yaml:2:3: keys must be plain scalars");
	refuse("? - a\n: 1\n", "t.yaml:1:3: keys must be plain scalars");
}

static void test_yaml__refuses_merge_keys(void **state)
{
	(void)state;
	refuse("a: 1\n<<: {b: 2}\n", "t.yaml:2:1: merge keys are not allowed");
	refuse("x:\n  '<<': 1\n", "t.yaml:2:3: merge keys are not allowed");
	/* "<<" as a value is just a string */
	cl_ynode_free(parse_ok("a: <<\n"));
}

/* n nested flow sequences holding one scalar: "[[[x]]]" */
static void nested_flow(cl_buf *doc, int n)
{
	int i;

	for (i = 0; i < n; i++)
		cl_buf_putc(doc, '[');
	cl_buf_putc(doc, 'x');
	for (i = 0; i < n; i++)
		cl_buf_putc(doc, ']');
	cl_buf_putc(doc, '\n');
}

static void test_yaml__refuses_deep_nesting(void **state)
{
	cl_buf doc = CL_BUF_INIT;
	cl_ynode *root;
	const cl_ynode *n;
	int i;

	(void)state;
	nested_flow(&doc, 100);
	refuse(doc.ptr, "t.yaml:1:33: nesting deeper than 32 levels");
	cl_buf_clear(&doc);
	nested_flow(&doc, 33);
	refuse(doc.ptr, "t.yaml:1:33: nesting deeper than 32 levels");
	cl_buf_clear(&doc);
	nested_flow(&doc, 32);
	root = parse_ok(doc.ptr);
	for (n = root, i = 0; n->kind == CL_YNODE_SEQ; n = n->items[0])
		i++;
	assert_int_equal(i, 32);
	assert_string_equal(n->str, "x");
	cl_ynode_free(root);
	cl_buf_clear(&doc);
	/* block mappings: "k:" then deeper and deeper */
	for (i = 0; i < 100; i++)
		cl_buf_printf(&doc, "%*sk:\n", 2 * i, "");
	refuse(doc.ptr, "t.yaml:33:65: nesting deeper than 32 levels");
	cl_buf_release(&doc);
}

static void test_yaml__refuses_second_document(void **state)
{
	(void)state;
	refuse("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one document is allowed");
	refuse("--- a\n--- b\n", "t.yaml:2:1: only one document is allowed");
	refuse("a: 1\n...\n--- b\n", "t.yaml:3:1: only one document is allowed");
	refuse("a: 1\n---\n", "t.yaml:2:1: only one document is allowed");
}

static void test_yaml__error_without_file_name(void **state)
{
	cl_error err = CL_ERROR_INIT;
	cl_ynode *root;

	(void)state;
	assert_int_equal(cl_yaml_parse(&root, NULL, "a: *x\n", 6, MAX, &err),
			 CL_EINVALID);
	assert_string_equal(err.msg, "<input>:1:4: anchors and aliases are not allowed");
	/* err may be NULL */
	assert_int_equal(cl_yaml_parse(&root, "t.yaml", "a: *x\n", 6, MAX, NULL),
			 CL_EINVALID);
	assert_null(root);
}

/* ---- emitting ----------------------------------------------------- */

static const char *const tricky[] = {
	"123", "-1", "0x1f", "1e3", "true", "No", "null", "~", "",
	" leading space", "trailing space ", "a: b", "- x", "#x", "x #y",
	"multi\nline\n", "multi\nline no final newline",
	"line with trailing space \nnext", "Action: approve", "\"quoted\"",
	"'single'", "tab\there", "巍山县", "key: value\nAction: approve\n---\n",
	"...", "---", "\n", "x\n\n\n", "\n\nx", "  indented\nfirst line",
	"-", "?", ":", "y", "OFF", "2022-09-04", "12:30", ".5", "+.inf",
	"<<", "=", "[a]", "{a}", "&a", "*a", "!t", "|", ">", "%x", "@x", "`x",
	"a'b", "x:", "--- x", "a\n---\nb", "a\n...\n", "\u2028sep", "2022H1",
	"plain words", "https://example.com/a#b",
};

/* Strings that a YAML reader would not take as strings if unquoted. */
static const char *const typed[] = {
	"123", "-1", "0x1f", "1e3", "true", "No", "null", "~", "", "y", "OFF",
	"2022-09-04", "12:30", ".5", "+.inf", "0o17", "1_000", "TRUE", "Yes",
	"on", "=", "<<",
};

static void test_yaml__emit_round_trips_tricky_strings(void **state)
{
	size_t i, n = sizeof(tricky) / sizeof(tricky[0]);
	cl_ynode *map = cl_ynode_new_map(), *seq = cl_ynode_new_seq(), *back;
	char key[32], *text;

	(void)state;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		cl_ynode_set(map, key, cl_ynode_new_str(tricky[i]));
		cl_ynode_push(seq, cl_ynode_new_str(tricky[i]));
	}
	for (i = 0; i < n; i++) /* the strings as keys, too ("<<" can't be) */
		cl_ynode_set(map, strcmp(tricky[i], "<<") ? tricky[i] : "<",
			     cl_ynode_new_plain("1"));
	cl_ynode_set(map, "seq", seq);
	text = emit_ok(map);
	back = parse_ok(text);
	assert_int_equal(back->n, 2 * n + 1);
	for (i = 0; i < n; i++) {
		assert_string_equal(cl_ynode_value(back, i)->str, tricky[i]);
		assert_int_equal(cl_ynode_value(back, i)->len, strlen(tricky[i]));
		assert_string_equal(cl_ynode_get(back, "seq")->items[i]->str, tricky[i]);
		assert_string_equal(cl_ynode_key(back, n + i)->str,
				    strcmp(tricky[i], "<<") ? tricky[i] : "<");
	}
	free(text);
	cl_ynode_free(back);
	cl_ynode_free(map);
}

static void test_yaml__emit_quotes_strings_that_read_as_other_types(void **state)
{
	size_t i, n = sizeof(typed) / sizeof(typed[0]);
	cl_ynode *seq = cl_ynode_new_seq(), *back;
	char *text;

	(void)state;
	for (i = 0; i < n; i++)
		cl_ynode_push(seq, cl_ynode_new_str(typed[i]));
	cl_ynode_push(seq, cl_ynode_new_str("plain"));
	text = emit_ok(seq);
	back = parse_ok(text);
	for (i = 0; i < n; i++) {
		assert_string_equal(back->items[i]->str, typed[i]);
		assert_int_equal(back->items[i]->plain, 0);
	}
	assert_int_equal(back->items[n]->plain, 1); /* no needless quotes */
	free(text);
	cl_ynode_free(back);
	cl_ynode_free(seq);
}

static void test_yaml__emit_plain_scalars_unquoted(void **state)
{
	cl_ynode *map = cl_ynode_new_map();
	char *text;

	(void)state;
	cl_ynode_set(map, "count", cl_ynode_new_plain("123"));
	cl_ynode_set(map, "ok", cl_ynode_new_plain("true"));
	cl_ynode_set(map, "none", cl_ynode_new_plain(""));
	cl_ynode_set(map, "odd", cl_ynode_new_plain("a: b"));
	text = emit_ok(map);
	assert_string_equal(text, "count: 123\nok: true\nnone:\nodd: 'a: b'\n");
	free(text);
	cl_ynode_free(map);
}

static void test_yaml__emit_exact_record(void **state)
{
	cl_ynode *rec = cl_ynode_new_map(), *chain = cl_ynode_new_seq();
	cl_ynode *who = cl_ynode_new_map(), *step = cl_ynode_new_map();
	char *text;

	(void)state;
	cl_ynode_set(rec, "id", cl_ynode_new_str("2022H1-ann"));
	cl_ynode_set(rec, "amount", cl_ynode_new_plain("1200"));
	cl_ynode_set(rec, "code", cl_ynode_new_str("007"));
	cl_ynode_set(who, "name", cl_ynode_new_str("Ann Lee"));
	cl_ynode_set(who, "unit", cl_ynode_new_str("巍山县"));
	cl_ynode_set(rec, "who", who);
	cl_ynode_set(step, "level", cl_ynode_new_str("lead"));
	cl_ynode_set(step, "note", cl_ynode_new_str("Action: approve\nok\n"));
	cl_ynode_push(chain, step);
	cl_ynode_push(chain, cl_ynode_new_str("done"));
	cl_ynode_set(rec, "chain", chain);
	cl_ynode_set(rec, "tags", cl_ynode_new_seq());
	cl_ynode_set(rec, "extra", cl_ynode_new_map());
	text = emit_ok(rec);
	assert_string_equal(text,
			    "id: 2022H1-ann\n"
			    "amount: 1200\n"
			    "code: '007'\n"
			    "who:\n"
			    "  name: Ann Lee\n"
			    "  unit: 巍山县\n"
			    "chain:\n"
			    "- level: lead\n"
			    "  note: |\n"
			    "    Action: approve\n"
			    "    ok\n"
			    "- done\n"
			    "tags: []\n"
			    "extra: {}\n");
	free(text);
	cl_ynode_free(rec);
}

static void test_yaml__emit_does_not_fold_long_lines(void **state)
{
	cl_buf s = CL_BUF_INIT;
	cl_ynode *map = cl_ynode_new_map(), *back;
	char *text;
	int i;

	(void)state;
	for (i = 0; i < 300; i++)
		cl_buf_puts(&s, "word ");
	cl_buf_puts(&s, "end");
	cl_ynode_set(map, "a", cl_ynode_new_str(s.ptr));
	cl_buf_puts(&s, ": quoted");
	cl_ynode_set(map, "b", cl_ynode_new_str(s.ptr));
	text = emit_ok(map);
	assert_non_null(strstr(text, "\nb: '"));
	assert_int_equal(strchr(text, '\n') - text, strlen("a: ") + 300 * 5 + 3);
	back = parse_ok(text);
	assert_string_equal(cl_ynode_get(back, "b")->str, s.ptr);
	free(text);
	cl_ynode_free(back);
	cl_ynode_free(map);
	cl_buf_release(&s);
}

static void test_yaml__emit_appends_and_null_root(void **state)
{
	cl_buf out = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;
	cl_ynode *s = cl_ynode_new_str("x");

	(void)state;
	cl_buf_puts(&out, "# head\n");
	assert_int_equal(cl_yaml_emit(&out, NULL, &err), 0);
	assert_string_equal(out.ptr, "# head\n");
	assert_int_equal(cl_yaml_emit(&out, s, &err), 0);
	assert_string_equal(out.ptr, "# head\nx\n");
	cl_buf_release(&out);
	cl_ynode_free(s);
}

static void emit_refused(const cl_ynode *root, const char *msg)
{
	cl_buf out = CL_BUF_INIT;
	cl_error err = CL_ERROR_INIT;

	cl_buf_puts(&out, "keep");
	assert_int_equal(cl_yaml_emit(&out, root, &err), CL_EINVALID);
	assert_string_equal(err.msg, msg);
	assert_string_equal(out.ptr, "keep"); /* nothing half-written */
	cl_buf_release(&out);
}

static void test_yaml__emit_refuses_what_parse_refuses(void **state)
{
	cl_ynode *map = cl_ynode_new_map(), *deep = cl_ynode_new_seq(), *n;
	int i;

	(void)state;
	cl_ynode_set(map, "a", cl_ynode_new_str("bell\a"));
	emit_refused(map, "cannot write a value with a control character or invalid UTF-8");
	cl_ynode_free(map);

	map = cl_ynode_new_map();
	cl_ynode_set(map, "a", cl_ynode_new_str("bad \xff"));
	emit_refused(map, "cannot write a value with a control character or invalid UTF-8");
	cl_ynode_free(map);

	map = cl_ynode_new_map();
	cl_ynode_set(map, "a", cl_ynode_new_str("1"));
	cl_ynode_set(map, "b", cl_ynode_new_str("2"));
	cl_ynode_set(map, "a", cl_ynode_new_str("3"));
	emit_refused(map, "cannot write duplicate key 'a'");
	cl_ynode_free(map);

	map = cl_ynode_new_map();
	cl_ynode_set(map, "<<", cl_ynode_new_str("1"));
	emit_refused(map, "merge keys are not allowed");
	cl_ynode_free(map);

	for (n = deep, i = 1; i < 32; i++) {
		cl_ynode_push(n, cl_ynode_new_seq());
		n = n->items[0];
	}
	free(emit_ok(deep)); /* 32 levels are fine */
	cl_ynode_push(n, cl_ynode_new_seq()); /* the 33rd level */
	emit_refused(deep, "nesting deeper than 32 levels");
	cl_ynode_free(deep);
}

/* ---- builders ----------------------------------------------------- */

static void test_yaml__builders_dup_and_free(void **state)
{
	cl_ynode *map = cl_ynode_new_map(), *seq = cl_ynode_new_seq(), *copy;
	char *a, *b;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		char v[16];

		snprintf(v, sizeof(v), "v%d", i);
		cl_ynode_push(seq, cl_ynode_new_str(v));
	}
	cl_ynode_set(map, "list", seq);
	cl_ynode_set(map, "n", cl_ynode_new_plain("5"));
	assert_int_equal(map->n, 2);
	assert_int_equal(seq->n, 100);
	assert_true(seq->cap >= 100);
	assert_int_equal(cl_ynode_key(map, 1)->plain, 0);
	assert_int_equal(cl_ynode_get(map, "n")->plain, 1);
	assert_int_equal(cl_ynode_get(map, "n")->line, 0);

	copy = cl_ynode_dup(map);
	assert_ptr_not_equal(copy, map);
	assert_ptr_not_equal(cl_ynode_get(copy, "list"), seq);
	a = emit_ok(map);
	b = emit_ok(copy);
	assert_string_equal(a, b);
	cl_ynode_free(map);
	assert_string_equal(cl_ynode_get(copy, "list")->items[99]->str, "v99");
	assert_null(cl_ynode_dup(NULL));
	cl_ynode_free(NULL);
	free(a);
	free(b);
	cl_ynode_free(copy);
}

static void test_yaml__dup_keeps_positions(void **state)
{
	cl_ynode *root = parse_ok("a:\n  b: 'x'\n"), *copy = cl_ynode_dup(root);
	const cl_ynode *v = cl_ynode_get(cl_ynode_get(copy, "a"), "b");

	(void)state;
	assert_scalar(v, "x", 2, 6);
	assert_int_equal(v->plain, 0);
	cl_ynode_free(root);
	cl_ynode_free(copy);
}

static void test_yaml__where(void **state)
{
	cl_ynode *root = parse_ok("a:\n  b: 1\n"), *built = cl_ynode_new_str("x");
	char out[64], tiny[6];

	(void)state;
	cl_ynode_where(out, sizeof(out), "t.yaml",
		       cl_ynode_get(cl_ynode_get(root, "a"), "b"));
	assert_string_equal(out, "t.yaml:2:6");
	cl_ynode_where(out, sizeof(out), "t.yaml", built);
	assert_string_equal(out, "t.yaml");
	cl_ynode_where(out, sizeof(out), "t.yaml", NULL);
	assert_string_equal(out, "t.yaml");
	cl_ynode_where(tiny, sizeof(tiny), "t.yaml", root);
	assert_string_equal(tiny, "t.yam");
	cl_ynode_free(root);
	cl_ynode_free(built);
}

/* ---- fast paths against libyaml ----------------------------------- */

static void assert_same_tree(const cl_ynode *a, const cl_ynode *b)
{
	size_t i, slots;

	if (!a || !b) {
		assert_ptr_equal(a, b);
		return;
	}
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->col, b->col);
	assert_int_equal(a->n, b->n);
	if (a->kind == CL_YNODE_SCALAR) {
		assert_int_equal(a->plain, b->plain);
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->str, b->str, a->len);
		return;
	}
	slots = a->kind == CL_YNODE_MAP ? 2 * a->n : a->n;
	for (i = 0; i < slots; i++)
		assert_same_tree(a->items[i], b->items[i]);
}

/*
 * cl_yaml_parse and the libyaml path agree on len bytes of doc (code,
 * message, tree); the fast parser took it iff want_fast (-1: either).
 * Returns the fast parser's verdict.
 */
static int diff_parse_n(const char *doc, size_t len, int want_fast)
{
	cl_error e1 = CL_ERROR_INIT, e2 = CL_ERROR_INIT;
	cl_ynode *ref = NULL, *pub = NULL, *fast = NULL;
	int rc1, rc2, took;

	rc1 = cl_yaml_parse_libyaml(&ref, "t.yaml", doc, len, MAX, &e1);
	rc2 = cl_yaml_parse(&pub, "t.yaml", doc, len, MAX, &e2);
	took = cl_yaml_fast_parse(&fast, doc, len);
	if (want_fast >= 0 && took != want_fast)
		print_error("fast parser %s:\n%.*s\n", took ? "took" : "refused",
			    (int)len, doc);
	if (want_fast >= 0)
		assert_int_equal(took, want_fast);
	assert_int_equal(rc1, rc2);
	assert_string_equal(e1.msg, e2.msg);
	assert_same_tree(ref, pub);
	if (took) {
		assert_int_equal(rc1, 0);
		assert_same_tree(ref, fast);
	}
	cl_ynode_free(ref);
	cl_ynode_free(pub);
	cl_ynode_free(fast);
	return took;
}

static int diff_parse(const char *doc, int want_fast)
{
	return diff_parse_n(doc, strlen(doc), want_fast);
}

/*
 * cl_yaml_emit and the libyaml emitter write the same bytes (or fail
 * alike); the fast emitter took root iff want_fast (-1: either) and then
 * wrote them too.  The output parses alike on both paths.
 */
static void diff_emit(const cl_ynode *root, int want_fast)
{
	cl_buf ref = CL_BUF_INIT, pub = CL_BUF_INIT, fast = CL_BUF_INIT;
	cl_error e1 = CL_ERROR_INIT, e2 = CL_ERROR_INIT;
	int rc1 = cl_yaml_emit_libyaml(&ref, root, &e1);
	int rc2 = cl_yaml_emit(&pub, root, &e2);
	int took = cl_yaml_fast_emit(&fast, root);

	if (want_fast >= 0 && took != want_fast)
		print_error("fast emitter %s; libyaml wrote:\n%s\n",
			    took ? "took" : "refused", ref.ptr);
	if (want_fast >= 0)
		assert_int_equal(took, want_fast);
	assert_int_equal(rc1, rc2);
	assert_string_equal(e1.msg, e2.msg);
	assert_string_equal(ref.ptr, pub.ptr);
	if (took)
		assert_string_equal(ref.ptr, fast.ptr);
	else
		assert_int_equal(fast.size, 0);
	if (rc1 == 0)
		diff_parse_n(ref.ptr, ref.size, -1);
	cl_buf_release(&ref);
	cl_buf_release(&pub);
	cl_buf_release(&fast);
}

static const char fast_record[] =
	"id: 2016H2/t09592\n"
	"period: 2016H2\n"
	"talent: t09592\n"
	"state: pending-township\n"
	"level: township\n"
	"workflow: weishan-three-level@1\n"
	"round: 1\n"
	"since: '2017-06-01T08:02:40Z'\n"
	"fields:\n"
	"  summary: 'Served c116-t06-04 in 2016H2: visited households, joined branch meetings and followed up the village needs list.'\n"
	"  days_in_village: 124\n"
	"  needs:\n"
	"  - c116-n079\n"
	"  - c116-n080\n"
	"  achievements: |\n"
	"    Visited all 96 households;\n"
	"\n"
	"      followed up both needs, it's \"done\" # really.\n"
	"  notes: |-\n"
	"    no final break\n"
	"    \xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9\n"
	"approvals:\n"
	"- level: village\n"
	"  actor: v-c116-t06-04\n"
	"  grade: excellent\n"
	"  at: '2017-06-01T08:02:40Z'\n"
	"trail:\n"
	"- action: reject\n"
	"  actor: v-c116-t06-04\n"
	"  from: pending-village\n"
	"  to: returned\n"
	"  comment: |-\n"
	"    Please list the households.\n"
	"    And the needs.\n"
	"  at: '2016-12-01T10:39:52Z'\n"
	"- action: submit\n"
	"  actor: t09592\n"
	"  comment: 'it''s: done'\n"
	"  empty: ''\n"
	"  none: {}\n"
	"  list: []\n"
	"  at: '2016-12-01T10:39:52Z'\n";

static void test_yaml__fast_paths_match_libyaml_on_a_record(void **state)
{
	cl_ynode *root;

	(void)state;
	diff_parse(fast_record, 1);
	root = parse_ok(fast_record);
	diff_emit(root, 1);
	cl_ynode_free(root);
}

static void test_yaml__fast_parse_matches_libyaml_on_shapes(void **state)
{
	static const char *const docs[] = {
		"a: 1\n",
		"- a\n- b\n",
		"- - a\n  - b\n- c\n",
		"- a: 1\n  b:\n  - x\n  - y: 2\n    z: 3\n- []\n- {}\n",
		"a:\n  b:\n    c: d\n  e: f\ng: h\n",
		"a:\n    - x\n    - y\nb: 2\n",
		"a:\n   b: 1\n",
		"  a: 1\n  b: 2\n",
		"k: a:b\nl: a#b\nm: a - b, [c] {d}\nn: ~\no: caf\xc3\xa9\n",
		"k: \xf0\x9f\x98\x80 emoji\n",
		"k: '  spaces  '\nl: ''''\nm: '#x'\n",
		"- |\n  lit\n- |-\n  lit\n",
		"a:\n- |\n  x\n\n  y\n",
		"k: |\n      deep\n        more\n",
		"key_1.x/y-z: v\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		diff_parse(docs[i], 1);
}

/* Documents outside the subset: the fallback answers, the same way. */
static void test_yaml__fast_parse_refuses_the_unusual(void **state)
{
	static const char *const docs[] = {
		"a: 1", /* no final break */
		"# comment\na: 1\n", "a: 1 # comment\n", "a: 1\n\nb: 2\n",
		"a: 1\r\n", "a:\t1\n", "a: \"q\"\n", "a: [1, 2]\n", "a: {b: 1}\n",
		"a: &x 1\nb: *x\n", "a: !t 1\n", "<<: {a: 1}\n", "a: 1\na: 2\n",
		"'a': 1\n", "a:\n", "a: 1\nb:\n", "- \n", "-\n  a\n",
		"a: b\n  c\n", "a: b \n", "a:  b\n", "--- \na: 1\n", "---\na: 1\n",
		"a: 1\n...\n", "a: 1\n---\nb: 2\n", "\xef\xbb\xbf" "a: 1\n",
		"a: \xc2\x85\n", "a: \xe2\x80\xa8x\n", "a: \x7f\n", "a: \x01\n",
		"a: \xff\n", "a: 'x\n  y'\n", "a: |+\n  x\n\n", "a: |2\n   x\n",
		"a: |\n\n  x\n", "a: |\n  x\n\n", "a: |\n  x\n   \n  y\n",
		"a: |\nx\n", "a: >\n  x\n", "- a\nb: 1\n", "a: 1\n- b\n",
		"a: 1\n b: 2\n", "? a\n: 1\n", "a: -1\n", "a: :x\n", "a: ?x\n",
		"a: 'x' \n", "a: 'x'y\n", "a: %x\n", "a: @x\n", "a: `x\n",
		"a\xc3\xa9: 1\n", "a : 1\n", "a: 1\n  \n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		diff_parse(docs[i], 0);
	diff_parse_n("a: 1\n\0", 6, 0);
	diff_parse_n("a: x\0y\n", 7, 0);
}

/* 32 nested collections are taken, 33 left to the libyaml path's error. */
static void test_yaml__fast_parse_depth_limit(void **state)
{
	cl_buf doc = CL_BUF_INIT;
	int d, i;

	(void)state;
	for (d = CL_YAML_MAX_DEPTH; d <= CL_YAML_MAX_DEPTH + 1; d++) {
		cl_buf_clear(&doc);
		for (i = 0; i < d; i++)
			cl_buf_printf(&doc, "%*sk:%s", 2 * i, "", i + 1 < d ? "\n" : " v\n");
		diff_parse(doc.ptr, d <= CL_YAML_MAX_DEPTH);
		cl_buf_clear(&doc);
		for (i = 0; i < d; i++)
			cl_buf_puts(&doc, "- ");
		cl_buf_puts(&doc, "v\n");
		diff_parse(doc.ptr, d <= CL_YAML_MAX_DEPTH);
	}
	/* a map past the fast parser's size goes to libyaml, which agrees */
	cl_buf_clear(&doc);
	for (i = 0; i < 70; i++)
		cl_buf_printf(&doc, "k%d: v\n", i);
	diff_parse(doc.ptr, 0);
	cl_buf_puts(&doc, "k3: again\n");
	diff_parse(doc.ptr, 0);
	cl_buf_release(&doc);
}

/* Every kind of string, as a string, as a plain scalar, an item, a key. */
static void test_yaml__fast_emit_matches_libyaml_on_strings(void **state)
{
	static const char *const strs[] = {
		"", "x", "123", "0x1f", "1.5", "-1", "+1", ".inf", "true", "True",
		"no", "y", "~", "null", "=", "<<", "2017-06-01T08:02:40Z",
		"2016H2/t09592", "a: b", "a:b", "a:", ":", "a #b", "a#b", "#x",
		"- x", "-x", "-", "--", "---", "---x", "...", "? x", "?x", ",x",
		"[x]", "{x}", "a,b[c]{d}", "&x", "*x", "!x", "|", ">", "'", "\"",
		"it's", "'q'", "a\"b", "\\", "%x", "@x", "`x", " lead", "trail ",
		"in  side", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
		"\xc2\xa0nbsp", "\xee\x80\x80", "\xef\xbf\xbd", "\xf0\x9f\x98\x80",
		"\xe2\x80\xa8", "\xef\xbb\xbf", "tab\there", "multi\nline\n",
		"multi\nline", "a\n\nb\n", "x\n\n", "\n", "\nlead", " \nx",
		"a \nb", "a\n b", "a\n b\n", "a\n\n", "#\n# x\n", "'\n'",
		"a: b\nc: d\n", "- x\n- y", "trail \n",
	};
	char longs[3000];
	size_t i;

	(void)state;
	memset(longs, 'w', sizeof(longs) - 1);
	for (i = 5; i < sizeof(longs) - 1; i += 7)
		longs[i] = ' ';
	longs[sizeof(longs) - 1] = '\0';
	for (i = 0; i <= sizeof(strs) / sizeof(strs[0]); i++) {
		const char *s = i < sizeof(strs) / sizeof(strs[0]) ? strs[i] : longs;
		cl_ynode *map = cl_ynode_new_map(), *seq = cl_ynode_new_seq();
		cl_ynode *inner = cl_ynode_new_map();

		cl_ynode_set(map, "str", cl_ynode_new_str(s));
		cl_ynode_set(map, "plain", cl_ynode_new_plain(s));
		cl_ynode_push(seq, cl_ynode_new_str(s));
		cl_ynode_set(inner, "in", cl_ynode_new_str(s));
		cl_ynode_push(seq, inner);
		cl_ynode_set(map, "seq", seq);
		diff_emit(map, -1);
		if (!strchr(s, '\n') && strcmp(s, "str") && strlen(s) <= 128) {
			cl_ynode *keyed = cl_ynode_new_map();

			cl_ynode_set(keyed, s, cl_ynode_new_str("v"));
			diff_emit(keyed, -1);
			cl_ynode_free(keyed);
		}
		cl_ynode_free(map);
	}
}

/* What the fast emitter is sure of, and what it leaves to libyaml. */
static void test_yaml__fast_emit_takes_and_refuses(void **state)
{
	static const char *const taken[] = {
		"", "123", "a: b", "it's", "caf\xc3\xa9", "multi\nline\n",
		"multi\nline", "a\n\nb",
	};
	static const char *const refused[] = {
		"\xf0\x9f\x98\x80", "tab\there", "x\n\n", "\nlead", " \nx",
		"a \nb", "trail \n",
	};
	cl_ynode *root, *deep, *n;
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		root = cl_ynode_new_map();
		cl_ynode_set(root, "k", cl_ynode_new_str(taken[i]));
		diff_emit(root, 1);
		cl_ynode_free(root);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		root = cl_ynode_new_map();
		cl_ynode_set(root, "k", cl_ynode_new_str(refused[i]));
		diff_emit(root, 0);
		cl_ynode_free(root);
	}
	/* not collections, or empty: left to libyaml */
	root = cl_ynode_new_str("x");
	diff_emit(root, 0);
	cl_ynode_free(root);
	root = cl_ynode_new_map();
	diff_emit(root, 0);
	/* what the checks refuse: a duplicate key, "<<", a control character */
	cl_ynode_set(root, "a", cl_ynode_new_str("1"));
	cl_ynode_set(root, "a", cl_ynode_new_str("2"));
	diff_emit(root, 0);
	cl_ynode_free(root);
	root = cl_ynode_new_map();
	cl_ynode_set(root, "<<", cl_ynode_new_str("1"));
	diff_emit(root, 0);
	cl_ynode_free(root);
	root = cl_ynode_new_map();
	cl_ynode_set(root, "a", cl_ynode_new_str("\x01"));
	diff_emit(root, 0);
	cl_ynode_free(root);
	/* 32 levels are taken, 33 refused by the checks */
	for (d = CL_YAML_MAX_DEPTH; d <= CL_YAML_MAX_DEPTH + 1; d++) {
		deep = cl_ynode_new_str("v");
		for (i = 0; i < (size_t)d; i++) {
			n = i % 2 ? cl_ynode_new_seq() : cl_ynode_new_map();
			if (i % 2)
				cl_ynode_push(n, deep);
			else
				cl_ynode_set(n, "k", deep);
			deep = n;
		}
		diff_emit(deep, d <= CL_YAML_MAX_DEPTH);
		cl_ynode_free(deep);
	}
}

/* Both paths on every file of dir: parse, and emit what parsed. */
static void diff_dir(const char *dir)
{
	struct dirent **list;
	char path[4096];
	int n, i;

	n = scandir(dir, &list, NULL, alphasort);
	assert_true(n > 2);
	for (i = 0; i < n; i++) {
		cl_buf text = CL_BUF_INIT;
		cl_error err = CL_ERROR_INIT;
		cl_ynode *root = NULL;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (list[i]->d_name[0] != '.' &&
		    cl_buf_read_file(&text, path, MAX, &err) == 0) {
			diff_parse_n(text.ptr, text.size, -1);
			if (cl_yaml_parse_libyaml(&root, "t.yaml", text.ptr, text.size,
						  MAX, &err) == 0 && root)
				diff_emit(root, -1);
		}
		cl_ynode_free(root);
		cl_buf_release(&text);
		free(list[i]);
	}
	free(list);
}

/* The sample's logs, and the YAML files of the fuzz corpora (among them
 * the records of sample homes' histories, and hostile variants). */
static void test_yaml__fast_paths_match_libyaml_on_sample_files(void **state)
{
	(void)state;
	diff_dir(CL_SOURCE_ROOT "/records/sample/logs");
	diff_dir(CL_SOURCE_ROOT "/tests/fuzz/corpus/record");
	diff_dir(CL_SOURCE_ROOT "/tests/fuzz/corpus/yaml_fast");
	diff_dir(CL_SOURCE_ROOT "/tests/fuzz/corpus/worklog");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml__parses_nested_with_positions),
		cmocka_unit_test(test_yaml__columns_count_characters),
		cmocka_unit_test(test_yaml__literal_and_crlf),
		cmocka_unit_test(test_yaml__empty_documents_are_null),
		cmocka_unit_test(test_yaml__accepts_one_explicit_document),
		cmocka_unit_test(test_yaml__quoted_keys_are_scalars),
		cmocka_unit_test(test_yaml__refuses_input_over_limit),
		cmocka_unit_test(test_yaml__refuses_nul_byte_with_position),
		cmocka_unit_test(test_yaml__refuses_invalid_utf8_with_position),
		cmocka_unit_test(test_yaml__reports_libyaml_errors_with_position),
		cmocka_unit_test(test_yaml__refuses_control_character_in_value),
		cmocka_unit_test(test_yaml__allows_newline_and_tab_in_values),
		cmocka_unit_test(test_yaml__refuses_anchors_aliases_and_tags),
		cmocka_unit_test(test_yaml__refuses_billion_laughs_fast),
		cmocka_unit_test(test_yaml__refuses_duplicate_key_naming_both),
		cmocka_unit_test(test_yaml__duplicate_key_message_is_clipped),
		cmocka_unit_test(test_yaml__refuses_duplicate_key_in_big_map),
		cmocka_unit_test(test_yaml__big_map_is_not_quadratic),
		cmocka_unit_test(test_yaml__refuses_non_scalar_keys),
		cmocka_unit_test(test_yaml__refuses_merge_keys),
		cmocka_unit_test(test_yaml__refuses_deep_nesting),
		cmocka_unit_test(test_yaml__refuses_second_document),
		cmocka_unit_test(test_yaml__error_without_file_name),
		cmocka_unit_test(test_yaml__emit_round_trips_tricky_strings),
		cmocka_unit_test(test_yaml__emit_quotes_strings_that_read_as_other_types),
		cmocka_unit_test(test_yaml__emit_plain_scalars_unquoted),
		cmocka_unit_test(test_yaml__emit_exact_record),
		cmocka_unit_test(test_yaml__emit_does_not_fold_long_lines),
		cmocka_unit_test(test_yaml__emit_appends_and_null_root),
		cmocka_unit_test(test_yaml__emit_refuses_what_parse_refuses),
		cmocka_unit_test(test_yaml__builders_dup_and_free),
		cmocka_unit_test(test_yaml__dup_keeps_positions),
		cmocka_unit_test(test_yaml__where),
		cmocka_unit_test(test_yaml__fast_paths_match_libyaml_on_a_record),
		cmocka_unit_test(test_yaml__fast_parse_matches_libyaml_on_shapes),
		cmocka_unit_test(test_yaml__fast_parse_refuses_the_unusual),
		cmocka_unit_test(test_yaml__fast_parse_depth_limit),
		cmocka_unit_test(test_yaml__fast_emit_matches_libyaml_on_strings),
		cmocka_unit_test(test_yaml__fast_emit_takes_and_refuses),
		cmocka_unit_test(test_yaml__fast_paths_match_libyaml_on_sample_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
