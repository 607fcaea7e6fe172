/* SPDX-License-Identifier: MIT */
/* The smallest program that links libdirectpath: a context with a logger. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include <directpath/directpath.h>

static void log_to_stderr(struct dp_ctx *ctx, int prio, const char *file,
			  int line, const char *fn, const char *fmt,
			  va_list args, void *userdata)
{
	(void)ctx; (void)file; (void)line; (void)userdata;
	fprintf(stderr, "directpath[%d] %s: ", prio, fn);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

int main(void)
{
	DP_OPTS(dp_ctx_opts, opts, .log_fn = log_to_stderr);
	struct dp_ctx *ctx;
	int r = dp_ctx_new(&opts, &ctx);

	if (r < 0) {
		fprintf(stderr, "dp_ctx_new: error %d\n", r);
		return 1;
	}
	dp_ctx_set_log_priority(ctx, LOG_INFO);
	printf("libdirectpath %s, run dir %s\n", dp_version(),
	       dp_ctx_get_run_dir(ctx));
	dp_ctx_unref(ctx);
	return 0;
}
