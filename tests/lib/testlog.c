/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "testlog.h"

static bool expecting;
static char errors[8192];
static char all[65536];

static void append(char *buf, size_t size, const char *msg)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s\n", msg);
}

void dp_test_log_fn(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata)
{
	char msg[2048], tagged[2100];

	(void)ctx;
	(void)userdata;
	vsnprintf(msg, sizeof(msg), format, args);
	snprintf(tagged, sizeof(tagged), "<%d>%s", priority, msg);
	append(all, sizeof(all), tagged);
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

bool dp_test_logged(int priority, const char *a, const char *b)
{
	char tag[8];
	const char *p = all;

	snprintf(tag, sizeof(tag), "<%d>", priority);
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[2200];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (!strncmp(line, tag, strlen(tag)) && strstr(line, a) &&
		    (!b || strstr(line, b)))
			return true;
		p += len + (end ? 1 : 0);
	}
	return false;
}

bool dp_test_warned(void)
{
	for (int prio = LOG_EMERG; prio <= LOG_WARNING; prio++)
		if (dp_test_logged(prio, "", NULL))
			return true;
	return false;
}

void dp_test_log_reset(void)
{
	all[0] = '\0';
	errors[0] = '\0';
	expecting = false;
}

int dp_test_check_err(int r, const char *want)
{
	const char *e = dp_test_log_expect_end();

	ck_assert_msg(strstr(e, want), "error \"%s\" lacks \"%s\"", e, want);
	return r;
}

int dp_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}
