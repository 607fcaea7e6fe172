/* SPDX-License-Identifier: MIT */
/* The context: creation, options, reference counting, logging. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "config.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_ctx *const SENTINEL = (struct dp_ctx *)0x1;

/* Captures everything logged, with its priority and whether ctx was NULL. */
struct capture {
	int count;
	int last_priority;
	int null_ctx;
	char text[4096];
};

static void capture_fn(struct dp_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args, void *userdata) DP_PRINTF(6, 0);
static void capture_fn(struct dp_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args, void *userdata)
{
	struct capture *c = userdata;
	size_t len = strlen(c->text);

	(void)file;
	(void)line;
	(void)fn;
	c->count++;
	c->last_priority = priority;
	c->null_ctx += ctx == NULL;
	vsnprintf(c->text + len, sizeof(c->text) - len, format, args);
	len = strlen(c->text);
	snprintf(c->text + len, sizeof(c->text) - len, "\n");
}

static void setup(void)
{
	unsetenv("DIRECTPATH_LOG");
	unsetenv("DIRECTPATH_DATA_DIR");
	dp_test_log_reset();
}

START_TEST(version_matches_header)
{
	char want[64];

	snprintf(want, sizeof(want), "%d.%d.%d", DP_VERSION_MAJOR,
		 DP_VERSION_MINOR, DP_VERSION_MICRO);
	ck_assert_str_eq(dp_version(), want);
	ck_assert(DP_VERSION_CHECK(0, 0, 0));
	ck_assert(DP_VERSION_CHECK(DP_VERSION_MAJOR, DP_VERSION_MINOR, DP_VERSION_MICRO));
	ck_assert(!DP_VERSION_CHECK(DP_VERSION_MAJOR, DP_VERSION_MINOR, DP_VERSION_MICRO + 1));
	ck_assert(!DP_VERSION_CHECK(DP_VERSION_MAJOR, DP_VERSION_MINOR + 1, 0));
	ck_assert(!DP_VERSION_CHECK(DP_VERSION_MAJOR + 1, 0, 0));
}
END_TEST

START_TEST(ctx_new_null_opts_takes_defaults)
{
	struct dp_ctx *ctx = SENTINEL;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_ptr_ne(ctx, SENTINEL);
	ck_assert_str_eq(dp_ctx_get_config_dir(ctx), DP_DEFAULT_CONFIG_DIR);
	ck_assert_str_eq(dp_ctx_get_run_dir(ctx), DP_DEFAULT_RUN_DIR);
	ck_assert_str_eq(dp_ctx_get_data_dir(ctx), DP_DEFAULT_DATA_DIR);
	ck_assert_str_eq(dp_ctx_get_driverctl_dir(ctx), DP_DEFAULT_DRIVERCTL_DIR);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_ERR);
	ck_assert_ptr_null(dp_ctx_get_userdata(ctx));
	ck_assert_ptr_null(dp_ctx_unref(ctx));
}
END_TEST

START_TEST(ctx_new_takes_directories_from_opts)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .config_dir = "/tmp/c",
		.run_dir = "/tmp/r", .data_dir = "/tmp/d", .driverctl_dir = "/tmp/dc");
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_config_dir(ctx), "/tmp/c");
	ck_assert_str_eq(dp_ctx_get_run_dir(ctx), "/tmp/r");
	ck_assert_str_eq(dp_ctx_get_data_dir(ctx), "/tmp/d");
	ck_assert_str_eq(dp_ctx_get_driverctl_dir(ctx), "/tmp/dc");
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(data_dir_env_serves_a_build_tree)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap);
	struct dp_ctx *ctx = SENTINEL;

	setenv("DIRECTPATH_DATA_DIR", "/src/data", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_data_dir(ctx), "/src/data");
	ck_assert_str_eq(dp_ctx_get_config_dir(ctx), DP_DEFAULT_CONFIG_DIR); /* only data */
	dp_ctx_unref(ctx);

	/* The caller's own data_dir wins. */
	o.data_dir = "/opt/data";
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_data_dir(ctx), "/opt/data");
	dp_ctx_unref(ctx);
	o.data_dir = NULL;

	/* Empty is unset. */
	setenv("DIRECTPATH_DATA_DIR", "", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_data_dir(ctx), DP_DEFAULT_DATA_DIR);
	dp_ctx_unref(ctx);
	ck_assert_int_eq(cap.count, 0);

	/* A relative one is refused, naming the variable. */
	setenv("DIRECTPATH_DATA_DIR", "data", 1);
	ctx = SENTINEL;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, SENTINEL);
	ck_assert_ptr_nonnull(strstr(cap.text, "DIRECTPATH_DATA_DIR \"data\" is not an absolute path"));
	unsetenv("DIRECTPATH_DATA_DIR");
}
END_TEST

START_TEST(ctx_new_zero_field_opts_is_defaults)
{
	DP_OPTS_NONE(dp_ctx_opts, o);
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_run_dir(ctx), DP_DEFAULT_RUN_DIR);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(ctx_new_null_out_is_einval_and_logged)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap);

	ck_assert_int_eq(dp_ctx_new(&o, NULL), -EINVAL);
	ck_assert_int_eq(cap.count, 1);
	ck_assert_int_eq(cap.last_priority, LOG_ERR);
	ck_assert_int_eq(cap.null_ctx, 1);
	ck_assert_ptr_nonnull(strstr(cap.text, "BUG: dp_ctx_new: out is NULL"));
	ck_assert_int_eq(dp_ctx_new(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(ctx_new_relative_dir_is_einval_naming_it)
{
	static const char *const names[] = { "config_dir", "run_dir", "data_dir",
					     "driverctl_dir" };

	for (int i = 0; i < 4; i++) {
		struct capture cap = { 0 };
		DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap);
		struct dp_ctx *ctx = SENTINEL;
		const char **fields[] = { &o.config_dir, &o.run_dir, &o.data_dir,
					  &o.driverctl_dir };
		const char **field = fields[i];

		*field = "relative/dir";
		ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
		ck_assert_ptr_eq(ctx, SENTINEL);
		ck_assert_msg(strstr(cap.text, names[i]) && strstr(cap.text, "relative/dir"),
			      "message does not name %s: %s", names[i], cap.text);
		*field = "";
		ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
		ck_assert_ptr_eq(ctx, SENTINEL);
	}
}
END_TEST

START_TEST(ctx_new_overlong_dir_is_enametoolong)
{
	char *path = malloc(PATH_MAX + 2);
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap,
		.run_dir = path);
	struct dp_ctx *ctx = SENTINEL;

	memset(path, 'a', PATH_MAX + 1);
	path[0] = '/';
	path[PATH_MAX + 1] = '\0';
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -ENAMETOOLONG);
	ck_assert_ptr_eq(ctx, SENTINEL);
	ck_assert_ptr_nonnull(strstr(cap.text, "run_dir"));
	free(path);
}
END_TEST

/* The size of struct dp_ctx_opts as version 0.1 (DIRECTPATH_1.0) shipped it. */
#define CTX_OPTS_V1_SZ (offsetof(struct dp_ctx_opts, data_dir) + sizeof(const char *))

START_TEST(ctx_new_older_caller_gets_default_driverctl_dir)
{
	struct dp_ctx_opts o = { .sz = CTX_OPTS_V1_SZ, .run_dir = "/tmp/r",
				 .driverctl_dir = "/must/not/be/read" };
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_str_eq(dp_ctx_get_run_dir(ctx), "/tmp/r");
	ck_assert_str_eq(dp_ctx_get_driverctl_dir(ctx), DP_DEFAULT_DRIVERCTL_DIR);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(ctx_new_short_sz_is_einval)
{
	struct dp_ctx_opts o = { .sz = CTX_OPTS_V1_SZ - 1 };
	struct dp_ctx *ctx = SENTINEL;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
	o.sz = 0;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, SENTINEL);
}
END_TEST

/* A caller built against a future header with one more field. */
struct future_opts {
	struct dp_ctx_opts v1;
	uint64_t future_field;
};

START_TEST(ctx_new_newer_caller_zero_tail_ok_nonzero_e2big)
{
	struct capture cap = { 0 };
	struct future_opts f = {
		.v1 = { .sz = sizeof(f), .log_fn = capture_fn, .log_userdata = &cap },
	};
	struct dp_ctx *ctx = SENTINEL;

	ck_assert_int_eq(dp_ctx_new(&f.v1, &ctx), 0);
	ck_assert_ptr_ne(ctx, SENTINEL);
	dp_ctx_unref(ctx);
	ck_assert_int_eq(cap.count, 0);

	ctx = SENTINEL;
	f.future_field = 1;
	ck_assert_int_eq(dp_ctx_new(&f.v1, &ctx), -E2BIG);
	ck_assert_ptr_eq(ctx, SENTINEL);
	ck_assert_int_eq(cap.count, 1);
	ck_assert_ptr_nonnull(strstr(cap.text, "does not know"));
}
END_TEST

START_TEST(ctx_ref_unref_counts)
{
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_ptr_eq(dp_ctx_ref(ctx), ctx);
	ck_assert_ptr_null(dp_ctx_unref(ctx));
	/* Still alive: one reference left. */
	ck_assert_str_eq(dp_ctx_get_run_dir(ctx), DP_DEFAULT_RUN_DIR);
	ck_assert_ptr_null(dp_ctx_unref(ctx));
	ck_assert_ptr_null(dp_ctx_ref(NULL));
	ck_assert_ptr_null(dp_ctx_unref(NULL));
}
END_TEST

START_TEST(ctx_null_is_einval_everywhere)
{
	ck_assert_int_eq(dp_ctx_set_log_fn(NULL, capture_fn, NULL), -EINVAL);
	ck_assert_int_eq(dp_ctx_set_log_priority(NULL, LOG_INFO), -EINVAL);
	ck_assert_int_eq(dp_ctx_get_log_priority(NULL), -EINVAL);
	ck_assert_int_eq(dp_ctx_set_userdata(NULL, NULL), -EINVAL);
	ck_assert_ptr_null(dp_ctx_get_userdata(NULL));
	ck_assert_ptr_null(dp_ctx_get_config_dir(NULL));
	ck_assert_ptr_null(dp_ctx_get_run_dir(NULL));
	ck_assert_ptr_null(dp_ctx_get_data_dir(NULL));
	ck_assert_ptr_null(dp_ctx_get_driverctl_dir(NULL));
}
END_TEST

START_TEST(ctx_userdata_roundtrip)
{
	struct dp_ctx *ctx;
	int x;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_userdata(ctx, &x), 0);
	ck_assert_ptr_eq(dp_ctx_get_userdata(ctx), &x);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(log_priority_filters_messages)
{
	struct capture cap = { 0 };
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_fn(ctx, capture_fn, &cap), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_INFO), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_INFO);
	dp_ctx_ref(ctx);
	dp_ctx_unref(ctx); /* not the last: no message either way */
	ck_assert_int_eq(cap.count, 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	dp_ctx_unref(ctx); /* the last one logs at debug */
	ck_assert_int_eq(cap.count, 1);
	ck_assert_int_eq(cap.last_priority, LOG_DEBUG);
	ck_assert_int_eq(cap.null_ctx, 0);
	ck_assert_ptr_nonnull(strstr(cap.text, "freed"));
}
END_TEST

START_TEST(log_priority_comes_through_an_out_parameter)
{
	struct dp_ctx *ctx;
	int prio = -42;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, &prio), 0);
	ck_assert_int_eq(prio, LOG_ERR);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, &prio), 0);
	ck_assert_int_eq(prio, LOG_DEBUG);
	prio = -42;
	ck_assert_int_eq(dp_ctx_get_log_priority_value(NULL, &prio), -EINVAL);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, NULL), -EINVAL);
	ck_assert_int_eq(prio, -42);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_DEBUG); /* the older form */
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(log_priority_out_of_range_is_einval_and_unchanged)
{
	struct capture cap = { 0 };
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	dp_ctx_set_log_fn(ctx, capture_fn, &cap);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, 8), -EINVAL);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, -1), -EINVAL);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_ERR);
	ck_assert_int_eq(cap.count, 2);
	ck_assert_ptr_nonnull(strstr(cap.text, "BUG: dp_ctx_set_log_priority"));
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(log_fn_removed_with_null)
{
	struct capture cap = { 0 };
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	dp_ctx_set_log_fn(ctx, capture_fn, &cap);
	dp_ctx_set_log_fn(ctx, NULL, NULL);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, 99), -EINVAL);
	ck_assert_int_eq(cap.count, 0);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(log_env_raises_priority)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap);
	struct dp_ctx *ctx;

	setenv("DIRECTPATH_LOG", "debug", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_DEBUG);
	ck_assert_int_ge(cap.count, 1); /* creation is logged at debug */
	ck_assert_ptr_nonnull(strstr(cap.text, "config"));
	dp_ctx_unref(ctx);

	setenv("DIRECTPATH_LOG", "6", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_INFO);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(log_env_garbage_is_reported_and_ignored)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap);
	struct dp_ctx *ctx;

	setenv("DIRECTPATH_LOG", "loud", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority(ctx), LOG_ERR);
	ck_assert_int_eq(cap.count, 1);
	ck_assert_ptr_nonnull(strstr(cap.text, "DIRECTPATH_LOG=\"loud\""));
	dp_ctx_unref(ctx);
}
END_TEST

/* Runs fn with stderr sent to a temporary file; returns what was written. */
static void with_stderr_captured(void (*fn)(void), char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static void make_ctx_and_misuse_it(void)
{
	struct dp_ctx *ctx;

	ck_assert_int_eq(dp_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, 42), -EINVAL);
	dp_ctx_unref(ctx);
}

START_TEST(log_nothing_printed_by_default)
{
	char buf[1024];

	with_stderr_captured(make_ctx_and_misuse_it, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(log_env_without_callback_prints_to_stderr)
{
	char buf[4096];

	setenv("DIRECTPATH_LOG", "debug", 1);
	with_stderr_captured(make_ctx_and_misuse_it, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "libdirectpath: err: dp_ctx_set_log_priority: BUG"),
		      "stderr: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "libdirectpath: debug: "));
}
END_TEST

START_TEST(log_priority_from_opts_yields_to_env)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap,
		.log_priority = LOG_WARNING);
	struct dp_ctx *ctx;
	int prio = -1;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, &prio), 0);
	ck_assert_int_eq(prio, LOG_WARNING);
	dp_ctx_unref(ctx);

	setenv("DIRECTPATH_LOG", "info", 1);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, &prio), 0);
	ck_assert_int_eq(prio, LOG_INFO);
	dp_ctx_unref(ctx);
	unsetenv("DIRECTPATH_LOG");

	o.log_priority = 0; /* LOG_EMERG would silence the library: 0 is the default */
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_get_log_priority_value(ctx, &prio), 0);
	ck_assert_int_eq(prio, LOG_ERR);
	dp_ctx_unref(ctx);
	ck_assert_int_eq(cap.count, 0);
}
END_TEST

START_TEST(log_priority_from_opts_out_of_range_is_einval_and_logged)
{
	struct capture cap = { 0 };
	DP_OPTS(dp_ctx_opts, o, .log_fn = capture_fn, .log_userdata = &cap,
		.log_priority = 8);
	struct dp_ctx *ctx = SENTINEL;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, SENTINEL);
	ck_assert_ptr_nonnull(strstr(cap.text, "log_priority 8"));
	o.log_priority = -1;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, SENTINEL);
}
END_TEST

START_TEST(log_priority_names_round_trip)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	int prio;

	for (int i = LOG_EMERG; i <= LOG_DEBUG; i++) {
		char num[4];

		ck_assert_str_eq(dp_log_priority_name(i), names[i]);
		prio = -1;
		ck_assert_int_eq(dp_log_priority_from_name(dp_log_priority_name(i), &prio), 0);
		ck_assert_int_eq(prio, i);
		snprintf(num, sizeof(num), "%d", i);
		ck_assert_int_eq(dp_log_priority_from_name(num, &prio), 0);
		ck_assert_int_eq(prio, i);
	}
	ck_assert_ptr_null(dp_log_priority_name(-1));
	ck_assert_ptr_null(dp_log_priority_name(LOG_DEBUG + 1));
	ck_assert_int_eq(dp_log_priority_from_name("error", &prio), 0);
	ck_assert_int_eq(prio, LOG_ERR);
	ck_assert_int_eq(dp_log_priority_from_name("warn", &prio), 0);
	ck_assert_int_eq(prio, LOG_WARNING);
	prio = 42;
	ck_assert_int_eq(dp_log_priority_from_name("8", &prio), -EINVAL);
	ck_assert_int_eq(dp_log_priority_from_name(" 7", &prio), -EINVAL);
	ck_assert_int_eq(dp_log_priority_from_name("Debug", &prio), -EINVAL);
	ck_assert_int_eq(dp_log_priority_from_name("", &prio), -EINVAL);
	ck_assert_int_eq(dp_log_priority_from_name(NULL, &prio), -EINVAL);
	ck_assert_int_eq(prio, 42);
	ck_assert_int_eq(dp_log_priority_from_name("info", NULL), -EINVAL);
}
END_TEST

START_TEST(two_contexts_are_independent)
{
	struct capture a = { 0 }, b = { 0 };
	struct dp_ctx *ca, *cb;

	ck_assert_int_eq(dp_ctx_new(NULL, &ca), 0);
	ck_assert_int_eq(dp_ctx_new(NULL, &cb), 0);
	dp_ctx_set_log_fn(ca, capture_fn, &a);
	dp_ctx_set_log_fn(cb, capture_fn, &b);
	dp_ctx_set_log_priority(cb, LOG_DEBUG);
	dp_ctx_set_log_priority(ca, 100);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(b.count, 0);
	ck_assert_int_eq(dp_ctx_get_log_priority(ca), LOG_ERR);
	ck_assert_int_eq(dp_ctx_get_log_priority(cb), LOG_DEBUG);
	dp_ctx_unref(ca);
	dp_ctx_unref(cb);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(b.count, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_create("ctx");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, version_matches_header);
	tcase_add_test(tc, ctx_new_null_opts_takes_defaults);
	tcase_add_test(tc, ctx_new_takes_directories_from_opts);
	tcase_add_test(tc, ctx_new_zero_field_opts_is_defaults);
	tcase_add_test(tc, data_dir_env_serves_a_build_tree);
	tcase_add_test(tc, ctx_new_null_out_is_einval_and_logged);
	tcase_add_test(tc, ctx_new_relative_dir_is_einval_naming_it);
	tcase_add_test(tc, ctx_new_overlong_dir_is_enametoolong);
	tcase_add_test(tc, ctx_new_older_caller_gets_default_driverctl_dir);
	tcase_add_test(tc, ctx_new_short_sz_is_einval);
	tcase_add_test(tc, ctx_new_newer_caller_zero_tail_ok_nonzero_e2big);
	tcase_add_test(tc, ctx_ref_unref_counts);
	tcase_add_test(tc, ctx_null_is_einval_everywhere);
	tcase_add_test(tc, ctx_userdata_roundtrip);
	tcase_add_test(tc, log_priority_filters_messages);
	tcase_add_test(tc, log_priority_out_of_range_is_einval_and_unchanged);
	tcase_add_test(tc, log_priority_comes_through_an_out_parameter);
	tcase_add_test(tc, log_fn_removed_with_null);
	tcase_add_test(tc, log_env_raises_priority);
	tcase_add_test(tc, log_env_garbage_is_reported_and_ignored);
	tcase_add_test(tc, log_nothing_printed_by_default);
	tcase_add_test(tc, log_env_without_callback_prints_to_stderr);
	tcase_add_test(tc, log_priority_from_opts_yields_to_env);
	tcase_add_test(tc, log_priority_from_opts_out_of_range_is_einval_and_logged);
	tcase_add_test(tc, log_priority_names_round_trip);
	tcase_add_test(tc, two_contexts_are_independent);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
