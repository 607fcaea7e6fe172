/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "testlog.h"

static bool expecting;
static char errors[8192];
static char all[16384];

static void append(char *buf, size_t size, const char *msg)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s\n", msg);
}

void dp_test_log_fn(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata)
{
	char msg[2048];

	(void)ctx;
	(void)userdata;
	vsnprintf(msg, sizeof(msg), format, args);
	append(all, sizeof(all), msg);
	if (priority > LOG_ERR)
		return;
	if (!expecting)
		ck_abort_msg("unexpected error logged at %s:%d (%s): %s", file,
			     line, fn, msg);
	append(errors, sizeof(errors), msg);
}

void dp_test_log_attach(struct dp_ctx *ctx)
{
	dp_ctx_set_log_fn(ctx, dp_test_log_fn, NULL);
	dp_ctx_set_log_priority(ctx, LOG_DEBUG);
}

void dp_test_log_expect_err(void)
{
	expecting = true;
	errors[0] = '\0';
}

const char *dp_test_log_expect_end(void)
{
	expecting = false;
	return errors;
}

const char *dp_test_log_all(void)
{
	return all;
}

void dp_test_log_reset(void)
{
	all[0] = '\0';
	errors[0] = '\0';
	expecting = false;
}
