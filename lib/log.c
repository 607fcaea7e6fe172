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
	uint64_t v;

	if (!s || !*s)
		return -EINVAL;
	if (dp_parse_uint(s, LOG_DEBUG, &v) == 0)
		return (int)v;
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(s, dp_prio_names[i]) == 0)
			return i;
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

const char *dp_log_priority_name(int priority)
{
	return priority >= LOG_EMERG && priority <= LOG_DEBUG ? dp_prio_names[priority] : NULL;
}

int dp_log_priority_from_name(const char *name, int *priority)
{
	int r = dp_log_priority_parse(name);

	if (r < 0 || !priority)
		return -EINVAL;
	*priority = r;
	return 0;
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
