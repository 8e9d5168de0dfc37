/*
 * maxrss.c - runs a command and reports its wall time and peak resident
 * memory, for machines without GNU time (/usr/bin/time -v).
 *
 * Why it exists: bench/run.sh reports the peak RSS of verify and reindex;
 * it prefers /usr/bin/time and falls back to this.  The peak comes from
 * wait4()'s rusage (ru_maxrss, the child's VmHWM when it exited).
 *
 *   maxrss OUTFILE COMMAND [ARGS...]
 *
 * writes "SECONDS KB" to OUTFILE and exits with the command's status.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int status = 0;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: maxrss OUTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (!(out = fopen(argv[1], "w"))) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "%.3f %ld\n", (double)(b.tv_sec - a.tv_sec) +
		(double)(b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
