/*
 * cmd_withdraw.c - chainlog withdraw --as PERSON RECORD ...
 * The rules live in the engine (transition.c); see cli_act() in cli.c.
 */
#include "commands.h"

int cmd_withdraw(cli_ctx *ctx)
{
	return cli_act(ctx, cli_self("withdraw"), CL_ACTION_WITHDRAW);
}
