/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void dp_log_impl(struct dp_ctx *ctx, int priority, const char *file, int line,
		 const char *fn, const char *format, ...)
{
	va_list args;
	int saved = errno; /* a log call must not disturb the caller's errno */

	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args,
		    ctx->log_userdata);
	va_end(args);
	errno = saved;
}

void dp_log_bug(struct dp_ctx *ctx, const char *file, int line, const char *fn,
		const char *cond)
{
	if (ctx && ctx->log_fn && ctx->log_priority >= LOG_ERR)
		dp_log_impl(ctx, LOG_ERR, file, line, fn, "BUG: %s: %s", fn, cond);
}

static const char *const dp_prio_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int dp_log_priority_parse(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && errno == 0)
		return v >= LOG_EMERG && v <= LOG_DEBUG ? (int)v : -EINVAL;
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(s, dp_prio_names[i]) == 0)
			return i;
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

/*
 * The one place the library writes to stderr: the sink DIRECTPATH_LOG turns
 * on when the caller installed no log callback (dp_ctx_new, ctx.c).
 */
void dp_log_stderr(struct dp_ctx *ctx, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args,
		   void *userdata)
{
	(void)ctx;
	(void)file;
	(void)line;
	(void)userdata;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	fprintf(stderr, "libdirectpath: %s: %s: ", dp_prio_names[priority], fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}
