/* SPDX-License-Identifier: MIT */
/* Quarantine records in a temporary run directory: written whole, read back, and never trusted blindly. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "quarantine.h"
#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

#define BDF "0000:03:00.0"

static struct dp_ctx *ctx;
static char dir[64], qdir[128], rec[160];

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);
	char run[96];

	dp_test_log_reset();
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "quarantine"), 0);
	snprintf(run, sizeof(run), "%s/run", dir); /* made on first use */
	snprintf(qdir, sizeof(qdir), "%s/quarantine", run);
	snprintf(rec, sizeof(rec), "%s/" BDF, qdir);
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	ck_assert_int_eq(dp_test_remove_tree(dir), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* Expects dp_quarantine_get to refuse the record with code, logging want and "not trusted". */
static void assert_untrusted(int code, const char *want)
{
	char *reason = (char *)"untouched";

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, &reason), code);
	{
		const char *errs = dp_test_log_expect_end();

		ck_assert_msg(strstr(errs, want) && strstr(errs, "not trusted"), "%s", errs);
	}
	ck_assert_str_eq(reason, "untouched"); /* written only on success */
}

START_TEST(add_get_remove)
{
	struct stat st;
	char *reason = NULL;

	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, &reason), 0); /* no run directory yet */
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "did not come back: BAR0 0xfea00000 -> 0x00000000"), 0);
	ck_assert(dp_test_logged(LOG_WARNING, BDF ": quarantined: did not come back", NULL));
	ck_assert_int_eq(lstat(rec, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(lstat(qdir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, &reason), 1);
	ck_assert_str_eq(reason, "did not come back: BAR0 0xfea00000 -> 0x00000000");
	free(reason);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 1);
	/* Another device is not quarantined by it. */
	ck_assert_int_eq(dp_quarantine_get(ctx, "0000:03:00.1", NULL), 0);
	ck_assert_int_eq(dp_quarantine_remove(ctx, BDF), 0);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 0);
	ck_assert_int_eq(access(rec, F_OK), -1);
	ck_assert_int_eq(dp_quarantine_remove(ctx, BDF), 0); /* none: no error */
}
END_TEST

START_TEST(add_replaces_and_keeps_one_line)
{
	struct dp_quarantine_record r;
	struct dp_reset_snapshot s = { .valid = true, .vendor = 0x1234, .device = 0x11e8,
				       .command = 0x0103, .bar = { 0xfea00000 }, .rom = 0xfeb00000 };
	char buf[DP_QUARANTINE_RECORD_MAX + 1];
	ssize_t n;
	int fd;

	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "first"), 0);
	ck_assert_int_eq(dp_quarantine_add_before(ctx, BDF, "second\nline\x1b[2J", &s), 0);
	ck_assert_int_eq(dp_quarantine_read(ctx, BDF, &r), 1);
	ck_assert_str_eq(r.reason, "second line [2J"); /* control characters became spaces */
	ck_assert(r.before.valid);
	ck_assert_mem_eq(&r.before, &s, sizeof(s));
	ck_assert_int_ge(r.time, 1700000000);
	fd = open(rec, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "reason=second line [2J\ntime=", 28) == 0, "%s", buf);
	ck_assert_msg(strstr(buf, "\nbefore=1234 11e8 0103 00 fea00000 00000000 00000000 00000000 00000000 00000000 feb00000\n"),
		      "%s", buf);
	/* No temporary file is left beside it. */
	ck_assert_int_eq(unlink(rec), 0);
	ck_assert_int_eq(rmdir(qdir), 0);
}
END_TEST

START_TEST(garbage_is_not_trusted)
{
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "x"), 0);
	write_file(rec, "reason=a\ntime=soon\n", 0644);
	assert_untrusted(-EINVAL, "time is not a decimal number");
	write_file(rec, "reason=a\ntime=1", 0644);
	assert_untrusted(-EINVAL, "truncated");
	write_file(rec, "", 0644);
	assert_untrusted(-EINVAL, "empty");
	/* The administrator's way out: removing it works whatever it holds. */
	ck_assert_int_eq(dp_quarantine_remove(ctx, BDF), 0);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 0);
}
END_TEST

START_TEST(symlink_is_not_followed)
{
	char target[128];
	char *reason = NULL;

	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	write_file(target, "reason=planted\ntime=1\n", 0644);
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "x"), 0);
	ck_assert_int_eq(unlink(rec), 0);
	ck_assert_int_eq(symlink(target, rec), 0);
	assert_untrusted(-EPERM, "a symbolic link");
	/* add replaces the link itself (rename), and writes nothing through it. */
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "real"), 0);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, &reason), 1);
	ck_assert_str_eq(reason, "real");
	free(reason);
	ck_assert_int_eq(unlink(rec), 0);
	ck_assert_int_eq(symlink(target, rec), 0);
	ck_assert_int_eq(dp_quarantine_remove(ctx, BDF), 0);
	ck_assert_int_eq(access(target, F_OK), 0); /* the link went, not its target */
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 0);
}
END_TEST

START_TEST(permissions_are_checked)
{
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "x"), 0);
	ck_assert_int_eq(chmod(rec, 0666), 0);
	assert_untrusted(-EPERM, "writable by group or others");
	ck_assert_int_eq(chmod(rec, 0644), 0);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 1);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(rec, 4242, 4242), 0);
		assert_untrusted(-EPERM, "owned by another user");
		ck_assert_int_eq(chown(rec, 0, 0), 0);
	}
	/* A directory others may write: no record in it counts, and none is written there. */
	ck_assert_int_eq(chmod(qdir, 0777), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), -EPERM);
	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "y"), -EPERM);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "quarantine: writable by group or others; its quarantine records are not trusted"),
		      "%s", dp_test_log_all());
	ck_assert_int_eq(chmod(qdir, 0755), 0);
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), 1);
}
END_TEST

START_TEST(not_a_regular_file)
{
	char big[DP_QUARANTINE_RECORD_MAX + 64];

	ck_assert_int_eq(dp_quarantine_add(ctx, BDF, "x"), 0);
	ck_assert_int_eq(unlink(rec), 0);
	ck_assert_int_eq(mkfifo(rec, 0644), 0); /* opened without blocking */
	assert_untrusted(-EPERM, "not a regular file");
	ck_assert_int_eq(unlink(rec), 0);
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "reason=", 7);
	write_file(rec, big, 0644);
	assert_untrusted(-EPERM, "larger than 4 KiB");
	ck_assert_int_eq(unlink(rec), 0);
	ck_assert_int_eq(mkdir(rec, 0755), 0);
	assert_untrusted(-EPERM, "not a regular file");
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_quarantine_remove(ctx, BDF), -EISDIR);
	ck_assert_msg(strstr(dp_test_log_expect_end(), BDF ": cannot remove its quarantine record"), "%s",
		      dp_test_log_all());
	ck_assert_int_eq(rmdir(rec), 0);
	/* The directory itself as a symbolic link. */
	ck_assert_int_eq(rmdir(qdir), 0);
	ck_assert_int_eq(symlink(dir, qdir), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_quarantine_get(ctx, BDF, NULL), -EPERM);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "quarantine: a symbolic link; its quarantine records are not trusted"),
		      "%s", dp_test_log_all());
	ck_assert_int_eq(unlink(qdir), 0);
}
END_TEST

START_TEST(bad_bdf_is_refused)
{
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_quarantine_add(ctx, "../../etc/passwd", "x"), -EINVAL);
	ck_assert_int_eq(dp_quarantine_get(ctx, "0000:03:00", NULL), -EINVAL);
	ck_assert_int_eq(dp_quarantine_remove(ctx, ""), -EINVAL);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "quarantine: \"../../etc/passwd\" is not a PCI address"),
		      "%s", dp_test_log_all());
	ck_assert_int_eq(access(qdir, F_OK), -1); /* nothing was made */
}
END_TEST

START_TEST(parser)
{
	struct dp_quarantine_record r;
	char why[160];
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "time=1\n", "no reason= line" },
		{ "reason=a\n", "no time= line" },
		{ "reason=a\nreason=b\ntime=1\n", "line 2: a second reason" },
		{ "reason=a\ntime=1\ntime=2\n", "line 3: a second time" },
		{ "reason=a\ntime=1\n\n", "line 3 is not key=value" },
		{ "reason=a\ttab\ntime=1\n", "line 1 holds a control character" },
		{ "REASON=a\ntime=1\n", "line 1: the key is not [a-z_]+" },
		{ "reason=a\ntime=1\nbefore=1234 11e8 0103 00 fea00000\n", "before: field 5 is not followed" },
		{ "reason=a\ntime=1\nbefore=123g 11e8 0103 00 0 0 0 0 0 0 0\n", "before: field 1 is not 4 hex digits" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(dp_quarantine_parse(bad[i].text, strlen(bad[i].text), &r, why, sizeof(why)),
				 -EINVAL);
		ck_assert_msg(strstr(why, bad[i].why), "%zu: %s", i, why);
	}
	{
		const char *ok = "reason=a=b\r\ntime=007\r\nnewer_key=x\n";

		ck_assert_int_eq(dp_quarantine_parse(ok, strlen(ok), &r, why, sizeof(why)), 0);
	}
	ck_assert_str_eq(r.reason, "a=b");
	ck_assert_int_eq(r.time, 7);
	ck_assert(!r.before.valid);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quarantine");
	TCase *tc = tcase_create("records");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_get_remove);
	tcase_add_test(tc, add_replaces_and_keeps_one_line);
	tcase_add_test(tc, garbage_is_not_trusted);
	tcase_add_test(tc, symlink_is_not_followed);
	tcase_add_test(tc, permissions_are_checked);
	tcase_add_test(tc, not_a_regular_file);
	tcase_add_test(tc, bad_bdf_is_refused);
	tcase_add_test(tc, parser);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
