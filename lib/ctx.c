/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "internal.h"
#include "quote.h"

const char *dp_version(void)
{
	return DP_PACKAGE_VERSION;
}

/* A directory option: NULL takes the default; otherwise absolute and sane. */
static int dp_ctx_set_dir(struct dp_ctx *ctx, char **dst, const char *what,
			  const char *value, const char *dflt)
{
	if (!value)
		value = dflt;
	if (value[0] != '/') {
		char q[DP_QUOTE_SIZE(64)];

		dp_err(ctx, "%s \"%s\" is not an absolute path", what, dp_quote(q, sizeof(q), value));
		return -EINVAL;
	}
	if (strnlen(value, PATH_MAX) >= PATH_MAX) {
		dp_err(ctx, "%s is longer than PATH_MAX", what);
		return -ENAMETOOLONG;
	}
	*dst = strdup(value);
	return *dst ? 0 : -ENOMEM;
}

/* DIRECTPATH_LOG=PRIORITY: the only way to get output without code. */
static void dp_ctx_apply_env(struct dp_ctx *ctx)
{
	const char *env = secure_getenv("DIRECTPATH_LOG");
	int prio;

	if (!env)
		return;
	prio = dp_log_priority_parse(env);
	if (!ctx->log_fn)
		ctx->log_fn = dp_log_stderr;
	if (prio < 0) {
		char q[DP_QUOTE_SIZE(16)];

		dp_err(ctx, "DIRECTPATH_LOG=\"%s\" is not a priority (err, warning, info, debug or 0-7); ignored",
		       dp_quote(q, sizeof(q), env));
		return;
	}
	ctx->log_priority = prio;
}

/* Errors before the context exists go to the caller's logger, if any. */
static void dp_ctx_early_err(dp_log_fn fn, void *userdata, const char *format,
			     ...) DP_PRINTF(3, 4);
static void dp_ctx_early_err(dp_log_fn fn, void *userdata, const char *format,
			     ...)
{
	struct dp_ctx tmp = {
		.log_priority = LOG_ERR,
		.log_fn = fn,
		.log_userdata = userdata,
	};
	va_list args;

	dp_ctx_apply_env(&tmp);
	if (!tmp.log_fn || tmp.log_priority < LOG_ERR)
		return;
	va_start(args, format);
	tmp.log_fn(NULL, LOG_ERR, __FILE__, __LINE__, "dp_ctx_new", format,
		   args, tmp.log_userdata);
	va_end(args);
}

int dp_ctx_new(const struct dp_ctx_opts *opts, struct dp_ctx **out)
{
	struct dp_ctx_opts o = { .sz = sizeof(o) };
	const char *data_env;
	struct dp_ctx *ctx;
	int r;

	if (opts) {
		r = DP_OPTS_CHECK(opts, dp_ctx_opts, data_dir);
		if (r == -E2BIG) {
			dp_ctx_early_err(opts->log_fn, opts->log_userdata,
					 "struct dp_ctx_opts (sz %zu) sets fields this library (%s, sz %zu) does not know",
					 opts->sz, dp_version(), sizeof(o));
			return r;
		}
		if (r < 0) /* too small to hold a logger we could trust */
			return r;
		dp_opts_copy(&o, sizeof(o), opts);
	}
	if (!out) {
		dp_ctx_early_err(o.log_fn, o.log_userdata,
				 "BUG: dp_ctx_new: out is NULL");
		return -EINVAL;
	}
	if (o.log_priority < LOG_EMERG || o.log_priority > LOG_DEBUG) {
		dp_ctx_early_err(o.log_fn, o.log_userdata,
				 "BUG: dp_ctx_new: log_priority %lld is not a syslog priority (0-7)",
				 (long long)o.log_priority);
		return -EINVAL;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->log_priority = o.log_priority ? (int)o.log_priority : LOG_ERR;
	ctx->log_fn = o.log_fn;
	ctx->log_userdata = o.log_userdata;
	dp_ctx_apply_env(ctx);

	r = dp_ctx_set_dir(ctx, &ctx->config_dir, "config_dir", o.config_dir,
			   DP_DEFAULT_CONFIG_DIR);
	if (r < 0)
		goto err;
	r = dp_ctx_set_dir(ctx, &ctx->run_dir, "run_dir", o.run_dir,
			   DP_DEFAULT_RUN_DIR);
	if (r < 0)
		goto err;
	/* DIRECTPATH_DATA_DIR: a build tree's data (meson devenv), or a packager's test. */
	data_env = o.data_dir ? NULL : secure_getenv("DIRECTPATH_DATA_DIR");
	if (data_env && !*data_env)
		data_env = NULL;
	r = dp_ctx_set_dir(ctx, &ctx->data_dir, data_env ? "DIRECTPATH_DATA_DIR" : "data_dir",
			   data_env ? data_env : o.data_dir, DP_DEFAULT_DATA_DIR);
	if (r < 0)
		goto err;
	r = dp_ctx_set_dir(ctx, &ctx->driverctl_dir, "driverctl_dir",
			   o.driverctl_dir, DP_DEFAULT_DRIVERCTL_DIR);
	if (r < 0)
		goto err;

	dp_dbg(ctx, "context %p: config %s, run %s, data %s, driverctl %s",
	       (void *)ctx, ctx->config_dir, ctx->run_dir, ctx->data_dir,
	       ctx->driverctl_dir);
	*out = ctx;
	return 0;
err:
	dp_ctx_unref(ctx);
	return r;
}

struct dp_ctx *dp_ctx_ref(struct dp_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

struct dp_ctx *dp_ctx_unref(struct dp_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	dp_dbg(ctx, "context %p freed", (void *)ctx);
	if (ctx->inventory_free)
		ctx->inventory_free(ctx);
	free(ctx->config_dir);
	free(ctx->driverctl_dir);
	free(ctx->run_dir);
	free(ctx->data_dir);
	free(ctx);
	return NULL;
}

int dp_ctx_set_log_fn(struct dp_ctx *ctx, dp_log_fn fn, void *userdata)
{
	if (!ctx)
		return -EINVAL;
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
	return 0;
}

int dp_ctx_set_log_priority(struct dp_ctx *ctx, int priority)
{
	if (!ctx)
		return -EINVAL;
	if (priority < LOG_EMERG || priority > LOG_DEBUG) {
		dp_err(ctx, "BUG: dp_ctx_set_log_priority: %d is not a syslog priority (0-7)",
		       priority);
		return -EINVAL;
	}
	ctx->log_priority = priority;
	return 0;
}

int dp_ctx_get_log_priority(const struct dp_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

int dp_ctx_get_log_priority_value(const struct dp_ctx *ctx, int *priority)
{
	if (!ctx || !priority) /* a const ctx cannot log: its callback takes a mutable one */
		return -EINVAL;
	*priority = ctx->log_priority;
	return 0;
}

int dp_ctx_set_userdata(struct dp_ctx *ctx, void *userdata)
{
	if (!ctx)
		return -EINVAL;
	ctx->userdata = userdata;
	return 0;
}

void *dp_ctx_get_userdata(const struct dp_ctx *ctx)
{
	return ctx ? ctx->userdata : NULL;
}

const char *dp_ctx_get_config_dir(const struct dp_ctx *ctx)
{
	return ctx ? ctx->config_dir : NULL;
}

const char *dp_ctx_get_run_dir(const struct dp_ctx *ctx)
{
	return ctx ? ctx->run_dir : NULL;
}

const char *dp_ctx_get_data_dir(const struct dp_ctx *ctx)
{
	return ctx ? ctx->data_dir : NULL;
}

const char *dp_ctx_get_driverctl_dir(const struct dp_ctx *ctx)
{
	return ctx ? ctx->driverctl_dir : NULL;
}
