/*
 * yaml.c - the YAML fast paths against libyaml, side by side in one run.
 *
 * Why it exists: record files are parsed and written for every commit by
 * verify and reindex, and engine/yaml_fast.c exists to make that cheaper
 * than libyaml (engine/yaml_internal.h).  This measures both paths on the
 * same files, in the same process, alternating, and prints the medians
 * and their ratio, and how many files each fast path took.
 *
 *   yaml [-n SAMPLES] FILE-OR-DIR...
 *
 * Every regular file named or found in a directory (one level) is read;
 * files libyaml refuses are skipped.  Build it against a release build of
 * the engine, from the top of the source tree:
 *
 *   meson setup BUILD --buildtype=release && ninja -C BUILD
 *   cc -O2 -Iengine bench/yaml.c BUILD/engine/libchainlog-engine.a \
 *       $(pkg-config --cflags --libs yaml-0.1 sqlite3 libgit2 zlib) -lmbedcrypto \
 *       -o yaml-bench
 *   ./yaml-bench -n 21 DIR-OF-RECORD-FILES
 *
 * Realistic inputs: the record blobs of a home's history, e.g. after
 * records/sample/demo-cycle.sh CHAINLOG HOME, every blob under records/
 * in `git --git-dir=HOME/history.git rev-list main` (git diff-tree -r,
 * git cat-file -p), one file each.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "yaml_internal.h"

#define BENCH_MAX_FILES 100000
#define BENCH_MAX_BYTES ((size_t)1 << 20)

typedef struct bench_set {
	cl_buf *text;     /* the files' contents */
	cl_ynode **tree;  /* each file's tree, parsed by libyaml */
	size_t n;         /* files kept */
} bench_set;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_file(bench_set *set, const char *path)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf b = CL_BUF_INIT;
	cl_ynode *tree = NULL;

	if (set->n == BENCH_MAX_FILES ||
	    cl_buf_read_file(&b, path, BENCH_MAX_BYTES, &err) < 0 ||
	    cl_yaml_parse_libyaml(&tree, path, b.ptr, b.size, BENCH_MAX_BYTES, &err) < 0 ||
	    !tree) {
		cl_buf_release(&b);
		return;
	}
	set->text[set->n] = b;
	set->tree[set->n++] = tree;
}

static void add_path(bench_set *set, const char *path)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	char child[4096];

	if (stat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_file(set, path);
		return;
	}
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, d->d_name);
		if (stat(child, &st) == 0 && S_ISREG(st.st_mode))
			add_file(set, child);
	}
	closedir(dir);
}

typedef enum bench_op { PARSE_FAST, PARSE_LIBYAML, EMIT_FAST, EMIT_LIBYAML } bench_op;

/* Seconds for one pass of op over every file. */
static double run(const bench_set *set, bench_op op)
{
	cl_error err = CL_ERROR_INIT;
	cl_buf out = CL_BUF_INIT;
	cl_ynode *tree;
	double t = now();
	size_t i;

	for (i = 0; i < set->n; i++) {
		const cl_buf *b = &set->text[i];
		int rc = 0;

		switch (op) {
		case PARSE_FAST:
			rc = cl_yaml_parse(&tree, "r", b->ptr, b->size, BENCH_MAX_BYTES, &err);
			cl_ynode_free(tree);
			break;
		case PARSE_LIBYAML:
			rc = cl_yaml_parse_libyaml(&tree, "r", b->ptr, b->size,
						   BENCH_MAX_BYTES, &err);
			cl_ynode_free(tree);
			break;
		case EMIT_FAST:
			cl_buf_clear(&out);
			rc = cl_yaml_emit(&out, set->tree[i], &err);
			break;
		case EMIT_LIBYAML:
			cl_buf_clear(&out);
			rc = cl_yaml_emit_libyaml(&out, set->tree[i], &err);
			break;
		}
		if (rc < 0) {
			fprintf(stderr, "yaml: %s\n", err.msg);
			exit(1);
		}
	}
	cl_buf_release(&out);
	return now() - t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	bench_set set = { NULL, NULL, 0 };
	double t[4][101], med[4];
	size_t i, fast_parsed = 0, fast_emitted = 0, bytes = 0;
	int samples = 11, a = 1, s, op;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		samples = (int)strtol(argv[2], NULL, 10);
		a = 3;
	}
	if (samples < 1 || samples > 101 || a >= argc) {
		fprintf(stderr, "usage: %s [-n SAMPLES (1-101)] FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	set.text = calloc(BENCH_MAX_FILES, sizeof(*set.text));
	set.tree = calloc(BENCH_MAX_FILES, sizeof(*set.tree));
	if (!set.text || !set.tree)
		return 1;
	for (; a < argc; a++)
		add_path(&set, argv[a]);
	if (!set.n) {
		fprintf(stderr, "yaml: no YAML files read\n");
		return 1;
	}
	for (i = 0; i < set.n; i++) {
		cl_ynode *tree = NULL;
		cl_buf out = CL_BUF_INIT;

		bytes += set.text[i].size;
		fast_parsed += cl_yaml_fast_parse(&tree, set.text[i].ptr, set.text[i].size);
		fast_emitted += cl_yaml_fast_emit(&out, set.tree[i]);
		cl_ynode_free(tree);
		cl_buf_release(&out);
	}
	for (s = 0; s < samples; s++) /* alternate, so drift hits both */
		for (op = 0; op < 4; op++)
			t[op][s] = run(&set, (bench_op)op);
	for (op = 0; op < 4; op++)
		med[op] = median(t[op], samples);
	printf("%zu files, %zu bytes; fast parser took %zu, fast emitter %zu\n",
	       set.n, bytes, fast_parsed, fast_emitted);
	printf("median of %d passes, microseconds per file:\n", samples);
	printf("  parse  fast %8.2f  libyaml %8.2f  libyaml/fast %5.1fx\n",
	       med[PARSE_FAST] * 1e6 / (double)set.n,
	       med[PARSE_LIBYAML] * 1e6 / (double)set.n,
	       med[PARSE_LIBYAML] / med[PARSE_FAST]);
	printf("  emit   fast %8.2f  libyaml %8.2f  libyaml/fast %5.1fx\n",
	       med[EMIT_FAST] * 1e6 / (double)set.n,
	       med[EMIT_LIBYAML] * 1e6 / (double)set.n,
	       med[EMIT_LIBYAML] / med[EMIT_FAST]);
	for (i = 0; i < set.n; i++) {
		cl_buf_release(&set.text[i]);
		cl_ynode_free(set.tree[i]);
	}
	free(set.text);
	free(set.tree);
	return 0;
}
