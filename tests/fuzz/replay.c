/*
 * replay.c - runs a libFuzzer target without libFuzzer.
 *
 *   replay_<target> PATH...
 *
 * Calls LLVMFuzzerTestOneInput once on every regular file named on the
 * command line or found (recursively, in name order, dot files skipped)
 * under a directory named there.  Each input is handed over in a heap
 * block of exactly its size, so AddressSanitizer and valgrind catch reads
 * past the end.  Prints how many inputs ran; exits 1 when there was none
 * or a path could not be read.  A target that finds a bug aborts.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static size_t replay_count;

/* Runs the target on the file at path; 0 or -1. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, got;
	int error = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (size == cap) {
			uint8_t *bigger;
			cap = cap ? cap * 2 : 4096;
			if (!(bigger = realloc(data, cap)))
				abort();
			data = bigger;
		}
		got = fread(data + size, 1, cap - size, f);
		size += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		error = -1;
	}
	fclose(f);
	if (!error) {
		/* an exact-size copy, so that overreads are caught */
		uint8_t *exact = malloc(size ? size : 1);
		if (!exact)
			abort();
		if (size)
			memcpy(exact, data, size);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
		replay_count++;
	}
	free(data);
	return error;
}

static int skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int replay_path(const char *path);

static int replay_dir(const char *dir)
{
	struct dirent **list;
	int n, i, error = 0;

	if ((n = scandir(dir, &list, skip_dots, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(list[i]->d_name) + 2;
		char *child = malloc(len);

		if (!child)
			abort();
		snprintf(child, len, "%s/%s", dir, list[i]->d_name);
		if (replay_path(child) < 0)
			error = -1;
		free(child);
		free(list[i]);
	}
	free(list);
	return error;
}

static int replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(path);
	if (!S_ISREG(st.st_mode))
		return 0;
	return replay_file(path);
}

int main(int argc, char **argv)
{
	int i, error = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i]) < 0)
			error = 1;
	printf("replay: ran %zu inputs\n", replay_count);
	if (!replay_count) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	return error;
}
