/*
 * util.c - see util.h.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>
#include <unistd.h>

void cl_die(const char *msg)
{
	fprintf(stderr, "chainlog: fatal: %s\n", msg);
	abort();
}

void *cl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		cl_die("out of memory");
	return p;
}

void *cl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		cl_die("out of memory");
	return p;
}

void *cl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		cl_die("out of memory");
	return q;
}

size_t cl_xmul(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		cl_die("size overflow");
	return n * size;
}

char *cl_xstrdup(const char *s)
{
	return cl_xstrndup(s, strlen(s));
}

char *cl_xstrndup(const char *s, size_t n)
{
	char *p = cl_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int cl_id_valid(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > CL_ID_MAX)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!ok)
			return 0;
	}
	return strstr(s, "..") == NULL;
}

int cl_period_parse(cl_period *out, const char *s)
{
	int y = 0, i;

	if (!s || strlen(s) != 6 || s[4] != 'H' || (s[5] != '1' && s[5] != '2'))
		return -1;
	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	if (y < 1900)
		return -1;
	out->year = y;
	out->half = s[5] - '0';
	return 0;
}

/* days from civil, after Howard Hinnant's well-known algorithm */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int64_t cl_period_first_day(const cl_period *p)
{
	return days_from_civil(p->year, p->half == 1 ? 1 : 7, 1);
}

int64_t cl_period_last_day(const cl_period *p)
{
	return p->half == 1 ? days_from_civil(p->year, 6, 30)
			    : days_from_civil(p->year, 12, 31);
}

int cl_date_parse(int64_t *days, const char *s)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int v[3] = { 0, 0, 0 }, i, f = 0;
	int leap;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			f++;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v[f] = v[f] * 10 + (s[i] - '0');
	}
	if (v[0] < 1900 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    (unsigned)v[2] > mdays[v[1] - 1])
		return -1;
	leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	if (v[1] == 2 && v[2] == 29 && !leap)
		return -1;
	*days = days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
	return 0;
}

void cl_date_format(char out[11], int64_t days)
{
	int y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, m % 100u,
		     d % 100u) < 0)
		out[0] = '\0';
}

int cl_text_valid(const char *s, size_t len, int allow_newline)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && !(allow_newline && (c == '\n' || c == '\t'))) ||
			    c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			unsigned char cc = (unsigned char)s[i + k];
			if ((cc & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += n;
	}
	return 1;
}

uint32_t cl_hash_fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int64_t cl_now(void)
{
	const char *e = getenv("CHAINLOG_NOW");
	char *end;
	long long v;

	if (e && *e) {
		v = strtoll(e, &end, 10);
		if (*end == '\0' && v > 0)
			return v;
	}
	return (int64_t)time(NULL);
}

static char *put2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* Lists print a time per row: digits by hand rather than gmtime_r and
 * strftime, which cost more than the rest of a row.  Years outside
 * 1000..9999 (strftime does not pad them) take the slow path. */
void cl_time_format(char out[32], int64_t t)
{
	int64_t days = t / 86400, secs = t % 86400;
	unsigned m, d;
	char *p = out;
	int y;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 1000 || y > 9999) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	p = put2(p, (unsigned)y / 100);
	p = put2(p, (unsigned)y % 100);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (unsigned)(secs / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(secs / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(secs % 60));
	*p++ = 'Z';
	*p = '\0';
}

int cl_time_parse(int64_t *out, const char *s)
{
	char date[11];
	int64_t days;
	int h, m, sec, i;

	if (!s || strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -1;
	for (i = 11; i < 19; i++)
		if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (cl_date_parse(&days, date) < 0)
		return -1;
	h = (s[11] - '0') * 10 + (s[12] - '0');
	m = (s[14] - '0') * 10 + (s[15] - '0');
	sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*out = days * 86400 + h * 3600 + m * 60 + sec;
	return 0;
}

void cl_heap_release(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

void cl_strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

#ifdef CL_FAULT_INJECTION
void cl_fault(const char *point)
{
	const char *f = getenv("CHAINLOG_FAULT"), *p = getenv("CHAINLOG_PAUSE");
	size_t n = strlen(point);
	struct timespec ts;
	long ms;

	if (f && !strcmp(f, point))
		_exit(99);
	if (p && !strncmp(p, point, n) && p[n] == ':') {
		ms = strtol(p + n + 1, NULL, 10);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}
#endif
