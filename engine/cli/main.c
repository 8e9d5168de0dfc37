/*
 * main.c - chainlog's entry point: global options and the command table.
 *
 *   chainlog [-C HOME] COMMAND [ARGS]
 *
 * HOME defaults to $CHAINLOG_HOME, then to the current directory.  Each
 * command lives in its own cmd_<verb>.c file.
 */
#include "cli.h"
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#ifndef CHAINLOG_VERSION
#define CHAINLOG_VERSION "0.1.0"
#endif

const cli_command cli_commands[] = {
	CLI_COMMANDS
	{ NULL, NULL, NULL, NULL },
};

static void main_usage(FILE *out)
{
	const cli_command *c;

	fprintf(out, "usage: chainlog [-C HOME] COMMAND [ARGS]\n\n"
		     "A multi-level audit of half-year work logs, kept in git.\n\n"
		     "commands:\n");
	for (c = cli_commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fprintf(out, "\nHOME defaults to $CHAINLOG_HOME, then to the current directory.\n"
		     "Run 'chainlog COMMAND --help' for a command's options.\n"
		     "Exit status: 0 done; 1 internal error; 2 usage; 3 invalid input;\n"
		     "4 not found; 5 denied by a rule; 6 changed meanwhile; 7 verify found\n"
		     "violations; 8 history or index failure; 9 already exists.\n");
}

static const cli_command *main_find(int *argc, char ***argv)
{
	const cli_command *c;
	size_t n;

	for (c = cli_commands; c->name; c++) {
		const char *sp = strchr(c->name, ' ');
		if (!sp) {
			if (!strcmp(c->name, (*argv)[0]))
				return c;
			continue;
		}
		n = (size_t)(sp - c->name);
		if (*argc >= 2 && strlen((*argv)[0]) == n && !strncmp(c->name, (*argv)[0], n) &&
		    !strcmp(sp + 1, (*argv)[1])) {
			(*argc)--;
			(*argv)++;
			return c;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = { NULL, 0, NULL };
	const cli_command *cmd;
	const char *env = getenv("CHAINLOG_HOME");

	ctx.home = env && *env ? env : ".";
	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-C") && argc >= 2) {
			ctx.home = argv[1];
			argc -= 2;
			argv += 2;
		} else if (!strcmp(argv[0], "--version")) {
			printf("chainlog %s\n", CHAINLOG_VERSION);
			return 0;
		} else if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
			main_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "chainlog: unknown option '%s'\n", argv[0]);
			main_usage(stderr);
			return 2;
		}
	}
	if (argc == 0) {
		main_usage(stderr);
		return 2;
	}
	if (!(cmd = main_find(&argc, &argv))) {
		fprintf(stderr, "chainlog: unknown command '%s' (see 'chainlog --help')\n", argv[0]);
		return 2;
	}
	ctx.argc = argc;
	ctx.argv = argv;
	return cmd->run(&ctx);
}
