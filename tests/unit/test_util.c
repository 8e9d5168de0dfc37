/*
 * test_util.c - unit tests for engine/util.c: ids, periods and their first
 * and last days, calendar dates (leap years, bounds), the UTF-8/control
 * character check, FNV-1a shard hashing, timestamps and $CHAINLOG_NOW,
 * and the small allocation helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* Asserts that s parses as a date and formats back to itself. */
static void date_ok(const char *s, int64_t days)
{
	char out[11];
	int64_t d = -12345;

	if (cl_date_parse(&d, s) != 0)
		print_error("date refused: %s\n", s);
	assert_int_equal(cl_date_parse(&d, s), 0);
	assert_int_equal(d, days);
	cl_date_format(out, d);
	assert_string_equal(out, s);
}

static void date_bad(const char *s)
{
	int64_t d = 777;

	if (cl_date_parse(&d, s) != -1)
		print_error("date accepted: %s\n", s ? s : "(null)");
	assert_int_equal(cl_date_parse(&d, s), -1);
	assert_int_equal(d, 777); /* untouched */
}

static void period_bad(const char *s)
{
	cl_period p = { 1, 1 };

	if (cl_period_parse(&p, s) != -1)
		print_error("period accepted: %s\n", s);
	assert_int_equal(cl_period_parse(&p, s), -1);
	assert_int_equal(p.year, 1);
	assert_int_equal(p.half, 1);
}

static void time_ok(const char *s, int64_t t)
{
	char out[32];
	int64_t v = -1;

	assert_int_equal(cl_time_parse(&v, s), 0);
	assert_int_equal(v, t);
	cl_time_format(out, t);
	assert_string_equal(out, s);
}

static void time_bad(const char *s)
{
	int64_t v = 42;

	if (cl_time_parse(&v, s) != -1)
		print_error("time accepted: %s\n", s ? s : "(null)");
	assert_int_equal(cl_time_parse(&v, s), -1);
	assert_int_equal(v, 42);
}

static int text_ok(const char *s, int allow_newline)
{
	return cl_text_valid(s, strlen(s), allow_newline);
}

static void test_util__id_accepts_safe_ids(void **state)
{
	char longest[CL_ID_MAX + 1];

	(void)state;
	assert_true(cl_id_valid("t001"));
	assert_true(cl_id_valid("v-nanzhao-01"));
	assert_true(cl_id_valid("days_in_village"));
	assert_true(cl_id_valid("a.b"));
	assert_true(cl_id_valid("9lives"));
	assert_true(cl_id_valid("Z"));
	memset(longest, 'x', CL_ID_MAX);
	longest[CL_ID_MAX] = '\0';
	assert_true(cl_id_valid(longest));
}

static void test_util__id_refuses_unsafe_ids(void **state)
{
	char too_long[CL_ID_MAX + 2];

	(void)state;
	assert_false(cl_id_valid(NULL));
	assert_false(cl_id_valid(""));
	assert_false(cl_id_valid("-a"));
	assert_false(cl_id_valid(".a"));
	assert_false(cl_id_valid("_a"));
	assert_false(cl_id_valid("a..b"));
	assert_false(cl_id_valid("a/b"));
	assert_false(cl_id_valid("a b"));
	assert_false(cl_id_valid("a\nb"));
	assert_false(cl_id_valid("a:b"));
	assert_false(cl_id_valid("a@b"));
	assert_false(cl_id_valid("\xc3\xa9t\xc3\xa9")); /* "été" */
	memset(too_long, 'x', CL_ID_MAX + 1);
	too_long[CL_ID_MAX + 1] = '\0';
	assert_false(cl_id_valid(too_long));
}

static void test_util__period_parses_halves(void **state)
{
	cl_period p = { 0, 0 };

	(void)state;
	assert_int_equal(cl_period_parse(&p, "2022H2"), 0);
	assert_int_equal(p.year, 2022);
	assert_int_equal(p.half, 2);
	assert_int_equal(cl_period_parse(&p, "1900H1"), 0);
	assert_int_equal(p.year, 1900);
	assert_int_equal(p.half, 1);
	assert_int_equal(cl_period_parse(&p, "9999H2"), 0);
	assert_int_equal(p.year, 9999);
}

static void test_util__period_refuses_malformed(void **state)
{
	(void)state;
	period_bad(NULL);
	period_bad("");
	period_bad("2022H3");
	period_bad("2022H0");
	period_bad("2022h2");
	period_bad("2022-2");
	period_bad("1899H2");
	period_bad("0000H1");
	period_bad("22H2");
	period_bad("20222H2");
	period_bad("2022H2 ");
	period_bad("20a2H1");
	period_bad("-022H1");
}

static void test_util__period_first_and_last_day(void **state)
{
	cl_period h1 = { 2022, 1 }, h2 = { 2022, 2 }, leap = { 2024, 1 };
	char out[11];

	(void)state;
	assert_int_equal(cl_period_first_day(&h1), 18993);
	assert_int_equal(cl_period_last_day(&h1), 19173);
	assert_int_equal(cl_period_first_day(&h2), 19174);
	assert_int_equal(cl_period_last_day(&h2), 19357);
	cl_date_format(out, cl_period_first_day(&leap));
	assert_string_equal(out, "2024-01-01");
	cl_date_format(out, cl_period_last_day(&leap));
	assert_string_equal(out, "2024-06-30");
	/* a half year has 181..184 days */
	assert_int_equal(cl_period_last_day(&h1) - cl_period_first_day(&h1) + 1, 181);
	assert_int_equal(cl_period_last_day(&h2) - cl_period_first_day(&h2) + 1, 184);
	assert_int_equal(cl_period_last_day(&leap) - cl_period_first_day(&leap) + 1, 182);
}

static void test_util__date_parses_and_formats(void **state)
{
	(void)state;
	date_ok("1970-01-01", 0);
	date_ok("2022-07-01", 19174);
	date_ok("2022-12-31", 19357);
	date_ok("1900-01-01", -25567);
	date_ok("2000-02-29", 11016);
	date_ok("2024-02-29", 19782);
	date_ok("9999-12-31", 2932896);
	date_ok("2023-04-30", 19477);
}

static void test_util__date_refuses_impossible_days(void **state)
{
	(void)state;
	date_bad(NULL);
	date_bad("");
	date_bad("1899-12-31");
	date_bad("2023-02-29");
	date_bad("1900-02-29"); /* 1900 is not a leap year */
	date_bad("2022-02-30");
	date_bad("2022-04-31");
	date_bad("2022-13-01");
	date_bad("2022-00-10");
	date_bad("2022-01-00");
	date_bad("2022-01-32");
	date_bad("2022-7-01");
	date_bad("2022/07/01");
	date_bad("2022-07-01T");
	date_bad("2022-07-0a");
	date_bad(" 2022-07-1");
}

static void test_util__text_valid_accepts_utf8(void **state)
{
	(void)state;
	assert_true(text_ok("", 0));
	assert_true(text_ok("plain ascii", 0));
	assert_true(text_ok("\xe5\xbe\xae\xe5\xb1\xb1", 0));     /* 巍山 */
	assert_true(text_ok("\xc2\xa0nbsp", 0));                  /* U+00A0 */
	assert_true(text_ok("\xf0\x9f\x8c\xbe", 0));              /* U+1F33E */
	assert_true(text_ok("\xf4\x8f\xbf\xbf", 0));              /* U+10FFFF */
	assert_true(text_ok("two\nlines\tand tab", 1));
}

static void test_util__text_valid_refuses_controls_and_bad_utf8(void **state)
{
	(void)state;
	assert_false(text_ok("a\nb", 0));
	assert_false(text_ok("a\tb", 0));
	assert_false(text_ok("a\rb", 1));
	assert_false(text_ok("a\x1b[31m", 1));
	assert_false(text_ok("del\x7f", 1));
	assert_false(text_ok("c1 \xc2\x85", 1));      /* U+0085 NEL */
	assert_false(text_ok("c1 \xc2\x9f", 1));      /* U+009F */
	assert_false(text_ok("\xc0\xaf", 1));         /* overlong '/' */
	assert_false(text_ok("\xe0\x80\xaf", 1));     /* overlong, 3 bytes */
	assert_false(text_ok("\xf0\x80\x80\xaf", 1)); /* overlong, 4 bytes */
	assert_false(text_ok("\xed\xa0\x80", 1));     /* surrogate U+D800 */
	assert_false(text_ok("\xf4\x90\x80\x80", 1)); /* above U+10FFFF */
	assert_false(text_ok("\xff", 1));
	assert_false(text_ok("\x80", 1));             /* lone continuation */
	assert_false(text_ok("\xe5\xbe", 1));         /* truncated */
	assert_false(text_ok("\xe5\x41\xae", 1));     /* bad continuation */
	/* a NUL inside the given length */
	assert_false(cl_text_valid("a\0b", 3, 1));
	/* only len bytes are looked at */
	assert_true(cl_text_valid("ab\x01", 2, 0));
}

static void test_util__fnv1a_matches_reference_values(void **state)
{
	(void)state;
	assert_int_equal(cl_hash_fnv1a(""), 0x811c9dc5u);
	assert_int_equal(cl_hash_fnv1a("a"), 0xe40c292cu);
	assert_int_equal(cl_hash_fnv1a("foobar"), 0xbf9cf968u);
	/* the shards documented in records/FORMAT.md */
	assert_int_equal(cl_hash_fnv1a("t001") & 0xff, 0x1e);
	assert_int_equal(cl_hash_fnv1a("t002") & 0xff, 0x8b);
	assert_int_equal(cl_hash_fnv1a("t003") & 0xff, 0xf8);
	assert_int_equal(cl_hash_fnv1a("t001"), 0xc88e441eu);
}

/* The hand-made formatter agrees with gmtime_r + strftime, from before
 * 1970 to the last second of 9999, and on the day and leap boundaries. */
static void test_util__time_format_matches_strftime(void **state)
{
	static const int64_t edges[] = { 0, -1, 86399, 86400, -86400, -86401,
					 951782400, 951868799, 4107542400, 253402300799,
					 -62167219200 };
	char out[32], ref[32];
	struct tm tm;
	time_t tt;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000; i++) {
		t = i < sizeof(edges) / sizeof(edges[0])
			    ? edges[i]
			    : -62167219200 + (int64_t)i * 1266835 + (int64_t)(i * 7919 % 86400);
		if (t > 253402300799)
			break;
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(ref, sizeof(ref), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cl_time_format(out, t);
		if (strcmp(out, ref))
			print_error("%lld: %s, expected %s\n", (long long)t, out, ref);
		assert_string_equal(out, ref);
	}
}

static void test_util__time_round_trips(void **state)
{
	(void)state;
	time_ok("1970-01-01T00:00:00Z", 0);
	time_ok("2022-12-15T08:00:00Z", 1671091200);
	time_ok("2022-12-20T09:00:00Z", 1671526800);
	time_ok("2023-01-05T11:30:00Z", 1672918200);
	time_ok("2024-02-29T23:59:59Z", 19782LL * 86400 + 86399);
}

static void test_util__time_refuses_malformed(void **state)
{
	(void)state;
	time_bad(NULL);
	time_bad("");
	time_bad("2022-12-15");
	time_bad("2022-12-15T08:00:00");
	time_bad("2022-12-15t08:00:00Z");
	time_bad("2022-12-15 08:00:00Z");
	time_bad("2022-12-15T08:00:00+00:00");
	time_bad("2022-12-15T24:00:00Z");
	time_bad("2022-12-15T23:60:00Z");
	time_bad("2022-12-15T23:59:60Z");
	time_bad("2022-02-30T00:00:00Z");
	time_bad("2022-12-15T0a:00:00Z");
	time_bad("2022-12-15T08-00-00Z");
}

static void test_util__now_honours_chainlog_now(void **state)
{
	int64_t before, now;

	(void)state;
	assert_int_equal(setenv("CHAINLOG_NOW", "1671091200", 1), 0);
	assert_int_equal(cl_now(), 1671091200);

	/* garbage, zero and negative values fall back to the clock */
	before = (int64_t)time(NULL);
	assert_int_equal(setenv("CHAINLOG_NOW", "12abc", 1), 0);
	now = cl_now();
	assert_true(now >= before && now <= before + 5);
	assert_int_equal(setenv("CHAINLOG_NOW", "0", 1), 0);
	now = cl_now();
	assert_true(now >= before && now <= before + 5);
	assert_int_equal(setenv("CHAINLOG_NOW", "-5", 1), 0);
	now = cl_now();
	assert_true(now >= before && now <= before + 5);
	assert_int_equal(setenv("CHAINLOG_NOW", "", 1), 0);
	now = cl_now();
	assert_true(now >= before && now <= before + 5);
	assert_int_equal(unsetenv("CHAINLOG_NOW"), 0);
	now = cl_now();
	assert_true(now >= before && now <= before + 5);
}

static void test_util__alloc_helpers(void **state)
{
	char *s, **v;
	unsigned char *z;
	size_t i;

	(void)state;
	s = cl_xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = cl_xstrdup("");
	assert_string_equal(s, "");
	free(s);

	z = cl_xcalloc(16, 4);
	for (i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);
	z = cl_xrealloc(z, 128);
	z[127] = 1;
	free(z);
	/* zero-sized requests still return memory */
	z = cl_xmalloc(0);
	assert_non_null(z);
	free(z);

	assert_int_equal(cl_xmul(0, SIZE_MAX), 0);
	assert_int_equal(cl_xmul(SIZE_MAX, 0), 0);
	assert_int_equal(cl_xmul(1000, 24), 24000);
	assert_int_equal(cl_xmul(SIZE_MAX / 8, 8), (SIZE_MAX / 8) * 8);

	v = cl_xcalloc(3, sizeof(char *));
	v[0] = cl_xstrdup("a");
	v[1] = cl_xstrdup("b");
	v[2] = NULL;
	cl_strv_free(v, 3);
	cl_strv_free(NULL, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__id_accepts_safe_ids),
		cmocka_unit_test(test_util__id_refuses_unsafe_ids),
		cmocka_unit_test(test_util__period_parses_halves),
		cmocka_unit_test(test_util__period_refuses_malformed),
		cmocka_unit_test(test_util__period_first_and_last_day),
		cmocka_unit_test(test_util__date_parses_and_formats),
		cmocka_unit_test(test_util__date_refuses_impossible_days),
		cmocka_unit_test(test_util__text_valid_accepts_utf8),
		cmocka_unit_test(test_util__text_valid_refuses_controls_and_bad_utf8),
		cmocka_unit_test(test_util__fnv1a_matches_reference_values),
		cmocka_unit_test(test_util__time_round_trips),
		cmocka_unit_test(test_util__time_format_matches_strftime),
		cmocka_unit_test(test_util__time_refuses_malformed),
		cmocka_unit_test(test_util__now_honours_chainlog_now),
		cmocka_unit_test(test_util__alloc_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
