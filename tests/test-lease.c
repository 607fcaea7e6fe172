/* SPDX-License-Identifier: MIT */
/* Device leases across processes: one holder, the owner named, freed when it dies. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "lease.h"
#include "testlog.h"

#define BDF "0000:03:00.0"

static struct dp_ctx *ctx;
static char dir[64];

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);
	char run[96];

	dp_test_log_reset();
	strcpy(dir, "/tmp/dp-test-lease-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(run, sizeof(run), "%s/run", dir); /* made on first use */
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
}

static void teardown(void)
{
	char cmd[128];

	ctx = dp_ctx_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A child that takes the lease for "web01", reports on a pipe, then waits to be killed. */
static pid_t holder(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct dp_lease *l;

		close(p[0]);
		c = dp_lease_acquire(ctx, BDF, "web01", &l) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	ck_assert_int_eq(c, 'y');
	return pid;
}

START_TEST(a_lease_is_taken_written_and_released)
{
	struct dp_lease *l = NULL;
	char owner[64], path[128], text[128] = "";
	pid_t pid = 0;
	FILE *f;

	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &pid), 0);
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), 0);
	snprintf(path, sizeof(path), "%s/run/lease-%s", dir, BDF);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "vm=db01\n"));
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &pid), 1);
	ck_assert_str_eq(owner, "db01");
	ck_assert_int_eq(pid, getpid());
	dp_lease_release(l);
	ck_assert_int_eq(access(path, F_OK), -1); /* nothing left behind */
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &pid), 0);
	dp_lease_release(NULL);
}
END_TEST

START_TEST(a_second_claimer_gets_ebusy_naming_the_owner)
{
	struct dp_lease *l = (struct dp_lease *)0x1;
	pid_t pid = holder();
	int status;

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), -EBUSY);
	ck_assert_msg(strstr(dp_test_log_expect_end(), BDF ": already leased by VM \"web01\""),
		      "%s", dp_test_log_all());
	ck_assert_ptr_eq(l, (struct dp_lease *)0x1);
	/* Even within one process, a second lease on the same device is refused. */
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

START_TEST(a_dead_owners_lease_is_free_again)
{
	struct dp_lease *l = NULL, *again = (struct dp_lease *)0x1;
	char owner[64];
	pid_t pid = holder(), who = 0;
	int status;

	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &who), 1);
	ck_assert_str_eq(owner, "web01");
	ck_assert_int_eq(who, pid);
	kill(pid, SIGKILL); /* kill -9: no release ran */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &who), 0);
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db02", &again), -EBUSY);
	dp_test_log_expect_end();
	dp_lease_release(l);
}
END_TEST

START_TEST(racing_processes_exactly_one_wins)
{
	enum { N = 6 };
	pid_t kids[N];
	int p[2], wins = 0, status;

	ck_assert_int_eq(pipe(p), 0);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			struct dp_lease *l;
			char c;

			dp_ctx_set_log_fn(ctx, NULL, NULL);
			c = dp_lease_acquire(ctx, BDF, "racer", &l) == 0 ? 'w' : 'l';
			if (write(p[1], &c, 1) != 1)
				_exit(2);
			sleep(2); /* hold it while the others try */
			_exit(0);
		}
	}
	close(p[1]);
	for (int i = 0; i < N; i++) {
		char c;

		ck_assert_int_eq(read(p[0], &c, 1), 1);
		wins += c == 'w';
	}
	close(p[0]);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
	ck_assert_int_eq(wins, 1);
}
END_TEST

START_TEST(bad_addresses_and_unusable_run_dirs_are_refused)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .run_dir = "/proc/no/such/dir");
	struct dp_lease *l = (struct dp_lease *)0x1;
	struct dp_ctx *c;

	ck_assert_int_eq(dp_lease_acquire(ctx, "03:00", "db01", &l), -EINVAL);
	ck_assert_int_eq(dp_lease_query(ctx, "../../etc/passwd", NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_lease_acquire(c, BDF, "db01", &l), -ENOENT);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "/proc/no/such/dir"));
	ck_assert_ptr_eq(l, (struct dp_lease *)0x1);
	dp_ctx_unref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("lease");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_lease_is_taken_written_and_released);
	tcase_add_test(tc, a_second_claimer_gets_ebusy_naming_the_owner);
	tcase_add_test(tc, a_dead_owners_lease_is_free_again);
	tcase_add_test(tc, racing_processes_exactly_one_wins);
	tcase_add_test(tc, bad_addresses_and_unusable_run_dirs_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
