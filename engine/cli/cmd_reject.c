/*
 * cmd_reject.c - chainlog reject --as PERSON RECORD ...
 * The rules live in the engine (transition.c); see cli_act() in cli.c.
 */
#include "commands.h"

int cmd_reject(cli_ctx *ctx)
{
	return cli_act(ctx, cli_self("reject"), CL_ACTION_REJECT);
}
