/* out.c - coloured text and section titles, as EVE's device prints them. */
#include <stdarg.h>

#include "cmd.h"

static const char *const colour_code[] = {
        [CMD_RED] = "1;31",   [CMD_BLUE] = "1;34",   [CMD_CYAN] = "1;36",
        [CMD_GREEN] = "0;32", [CMD_YELLOW] = "0;93", [CMD_PURPLE] = "1;95",
};

static void EV_PRINTF(3, 0)
        vcolour(struct cmd_ctx *ctx, enum cmd_colour c, const char *fmt, va_list ap)
{
	if (ctx->colour)
		fprintf(ctx->out, "\033[%sm", colour_code[c]);
	vfprintf(ctx->out, fmt, ap);
	if (ctx->colour)
		fputs("\033[0m", ctx->out);
}

void
cmd_colour(struct cmd_ctx *ctx, enum cmd_colour c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcolour(ctx, c, fmt, ap);
	va_end(ap);
}

void
cmd_colour_line(struct cmd_ctx *ctx, enum cmd_colour c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcolour(ctx, c, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->out);
}

void
cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(ctx->out, fmt, ap);
	va_end(ap);
}

void
cmd_title(struct cmd_ctx *ctx, enum cmd_category cat, const char *item)
{
	static const char *const names[] = {
	        [CMD_NETWORK] = "Network",
	        [CMD_SYSTEM] = "System",
	        [CMD_PUBSUB] = "Pub/Sub",
	        [CMD_LOG] = "Log",
	};

	cmd_colour_line(ctx, CMD_PURPLE, "\n === %s: <%s> ===\n", names[cat], item);
	fflush(ctx->out);
}
