/*
 * cmd_approve.c - chainlog approve --as PERSON RECORD ...
 * The rules live in the engine (transition.c); see cli_act() in cli.c.
 */
#include "commands.h"

int cmd_approve(cli_ctx *ctx)
{
	return cli_act(ctx, cli_self("approve"), CL_ACTION_APPROVE);
}
