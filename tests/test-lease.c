/* SPDX-License-Identifier: MIT */
/* Device leases across processes: one holder, the owner named, freed when it dies. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "lease.h"
#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

#define BDF "0000:03:00.0"

static struct dp_ctx *ctx;
static char dir[64];

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);
	char run[96];

	dp_test_log_reset();
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "lease"), 0);
	snprintf(run, sizeof(run), "%s/run", dir); /* made on first use */
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	ck_assert_int_eq(dp_test_remove_tree(dir), 0);
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

/* Nothing in the run directory but what is listed (NULL-terminated). */
static void assert_run_dir_holds(const char *const *names)
{
	char run[96];
	struct dirent *de;
	DIR *d;

	snprintf(run, sizeof(run), "%s/run", dir);
	d = opendir(run);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		bool listed = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (size_t i = 0; names[i]; i++)
			listed |= !strcmp(de->d_name, names[i]);
		ck_assert_msg(listed, "%s left in the run directory", de->d_name);
	}
	closedir(d);
}

/*
 * The claimer's temporary file is created with O_EXCL under a name of its
 * pid: names a dead process with the same pid left behind (a file, a
 * symlink) are passed over and left as they were.
 */
START_TEST(a_leftover_temporary_name_is_passed_over_untouched)
{
	const char *names[10];
	char run[96], path[8][160], target[128];
	struct dp_lease *l = NULL;

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	snprintf(target, sizeof(target), "%s/target", dir);
	for (unsigned n = 0; n < 8; n++) {
		snprintf(path[n], sizeof(path[n]), "%s/.lease-%s.%ld.%u", run, BDF, (long)getpid(), n);
		if (n == 7) {
			ck_assert_int_eq(symlink(target, path[n]), 0);
		} else {
			int fd = open(path[n], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(write(fd, "old", 3), 3);
			close(fd);
		}
	}
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), 0);
	for (unsigned n = 0; n < 7; n++) {
		char buf[8] = "";
		int fd = open(path[n], O_RDONLY | O_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
		ck_assert_str_eq(buf, "old");
		close(fd);
	}
	ck_assert_int_eq(access(target, F_OK), -1); /* the symlink was not followed */
	/* Nothing else: the leftovers, the lease, no temporary file of ours. */
	names[0] = "lease-" BDF;
	for (unsigned n = 0; n < 8; n++)
		names[n + 1] = strrchr(path[n], '/') + 1;
	names[9] = NULL;
	assert_run_dir_holds(names);
	dp_lease_release(l);
}
END_TEST

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
	{
		/* Held as the page says: OFD write lock on byte 0, and flock for older versions. */
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		static const char *const only[] = { "lease-" BDF, NULL };
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fcntl(fd, F_OFD_GETLK, &fl), 0);
		ck_assert_int_eq(fl.l_type, F_WRLCK);
		ck_assert_int_eq(flock(fd, LOCK_SH | LOCK_NB), -1);
		ck_assert_int_eq(errno, EWOULDBLOCK);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0644);
		close(fd);
		assert_run_dir_holds(only); /* no temporary file left */
	}
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

/* In a child: the last error logged, for the parent to check. */
static char child_err[512];

static void child_log(struct dp_ctx *c, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args, void *userdata)
{
	(void)c, (void)file, (void)line, (void)fn, (void)userdata;
	if (priority <= LOG_ERR)
		vsnprintf(child_err, sizeof(child_err), format, args);
}

/* What a racer reports: one write, shorter than PIPE_BUF, so it arrives whole. */
struct race_result {
	char kind;            /* 'w' won, 'l' lost with -EBUSY, 'e' anything else */
	int index, rc, query_rc;
	pid_t pid, query_pid;
	char query_owner[64];
	char err[512];
};

static void racer(int i, int go, int res, int rel)
{
	struct race_result out = { .index = i, .pid = getpid() };
	struct dp_lease *l = NULL;
	char name[32], c;

	dp_ctx_set_log_fn(ctx, child_log, NULL);
	snprintf(name, sizeof(name), "racer%d", i);
	if (read(go, &c, 1) != 0) /* the parent closes it: all start at once */
		_exit(2);
	out.rc = dp_lease_acquire(ctx, BDF, name, &l);
	out.kind = out.rc == 0 ? 'w' : out.rc == -EBUSY ? 'l' : 'e';
	snprintf(out.err, sizeof(out.err), "%s", child_err);
	if (out.rc == -EBUSY) /* the winner holds until every racer has reported */
		out.query_rc = dp_lease_query(ctx, BDF, out.query_owner, sizeof(out.query_owner),
					      &out.query_pid);
	if (write(res, &out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(2);
	if (out.rc == 0) {
		if (read(rel, &c, 1) == 1) /* 'r': release; EOF or a signal: die holding it */
			dp_lease_release(l);
	}
	_exit(0);
}

/* One round: N processes race for BDF; exactly one wins, every loser names it. */
static void race_round(int round, bool kill_winner)
{
	enum { N = 8 };
	struct race_result r[N];
	pid_t kids[N];
	int go[2], res[2], rel[2], winner = -1, status;
	char want[128], path[128];

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(res), 0);
	ck_assert_int_eq(pipe(rel), 0);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			close(go[1]);
			close(res[0]);
			close(rel[1]);
			racer(i, go[0], res[1], rel[0]);
		}
	}
	close(go[0]);
	close(res[1]);
	close(rel[0]);
	close(go[1]); /* go */
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(read(res[0], &r[i], sizeof(r[i])), sizeof(r[i]));
		ck_assert_msg(r[i].kind != 'e', "round %d: racer %ld: %d: %s", round,
			      (long)r[i].pid, r[i].rc, r[i].err);
		if (r[i].kind == 'w') {
			ck_assert_msg(winner < 0, "round %d: two winners", round);
			winner = i;
		}
	}
	close(res[0]);
	ck_assert_msg(winner >= 0, "round %d: nobody won", round);
	for (int i = 0; i < N; i++) {
		char wname[32];

		if (i == winner)
			continue;
		snprintf(wname, sizeof(wname), "racer%d", r[winner].index);
		snprintf(want, sizeof(want), BDF ": already leased by VM \"%s\" (pid %ld)", wname,
			 (long)r[winner].pid);
		ck_assert_msg(strstr(r[i].err, want), "round %d: loser %ld said \"%s\", want \"%s\"",
			      round, (long)r[i].pid, r[i].err, want);
		ck_assert_msg(r[i].query_rc == 1 && r[i].query_pid == r[winner].pid &&
			      strcmp(r[i].query_owner, wname) == 0,
			      "round %d: query by %ld: %d \"%s\" pid %ld", round, (long)r[i].pid,
			      r[i].query_rc, r[i].query_owner, (long)r[i].query_pid);
	}
	for (int i = 0; i < N; i++)
		if (kids[i] != r[winner].pid)
			ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
	if (kill_winner)
		kill(r[winner].pid, SIGKILL); /* leaves its file behind, stale */
	else
		ck_assert_int_eq(write(rel[1], "r", 1), 1);
	close(rel[1]);
	ck_assert_int_eq(waitpid(r[winner].pid, &status, 0), r[winner].pid);
	snprintf(path, sizeof(path), "%s/run/lease-" BDF, dir);
	ck_assert_int_eq(access(path, F_OK), kill_winner ? 0 : -1);
}

START_TEST(every_loser_of_a_race_names_the_live_winner)
{
	static const char *const none[] = { NULL };

	for (int round = 0; round < 50; round++)
		race_round(round, false);
	assert_run_dir_holds(none);
}
END_TEST

START_TEST(every_loser_names_the_live_winner_never_a_dead_holder)
{
	/* The stale file of the last winner, and the lock of takeovers (0600). */
	static const char *const lease[] = { "lease-" BDF, ".lease.lock", NULL };
	struct stat st;
	char lock[128];
	pid_t pid = holder();
	int status;

	kill(pid, SIGKILL); /* a stale file naming web01 */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	for (int round = 0; round < 50; round++)
		race_round(round, true); /* each winner dies holding: the next round starts stale */
	assert_run_dir_holds(lease);
	snprintf(lock, sizeof(lock), "%s/run/.lease.lock", dir);
	ck_assert_int_eq(stat(lock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(a_stale_record_is_never_named)
{
	struct dp_lease *l = NULL;
	char owner[64] = "", path[128];
	pid_t pid = holder(), who = 0;
	int status;
	FILE *f;

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* Anyone holding a read lock on the stale file does not make it held. */
	snprintf(path, sizeof(path), "%s/run/lease-" BDF, dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(flock(fileno(f), LOCK_SH), 0);
	{
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

		ck_assert_int_eq(fcntl(fileno(f), F_OFD_SETLK, &fl), 0);
	}
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &who), 0);
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), 0);
	fclose(f);
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &who), 1);
	ck_assert_str_eq(owner, "db01");
	ck_assert_int_eq(who, getpid());
	dp_lease_release(l);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(a_short_write_fails_with_its_own_error_and_leaves_nothing)
{
	static const char *const none[] = { NULL };
	char run[96];
	pid_t pid;
	int p[2], status;
	char msg[600] = "";

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit lim = { 5, 5 }; /* the record gets 5 bytes, then EFBIG */
		struct dp_lease *l = (struct dp_lease *)0x1;
		int rc;

		close(p[0]);
		dp_ctx_set_log_fn(ctx, child_log, NULL);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
			_exit(3);
		errno = 0; /* what a stale errno would be after a short write */
		rc = dp_lease_acquire(ctx, BDF, "db01", &l);
		snprintf(msg, sizeof(msg), "%d %s %s", rc, l == (struct dp_lease *)0x1 ? "untouched" : "set",
			 child_err);
		if (write(p[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_gt(read(p[0], msg, sizeof(msg) - 1), 0);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!strncmp(msg, "-27 untouched ", 14) && strstr(msg, BDF) && strstr(msg, run),
		      "%s", msg); /* -EFBIG */
	assert_run_dir_holds(none);
}
END_TEST

START_TEST(a_fifo_as_lease_file_is_refused_not_waited_on)
{
	struct dp_lease *l = (struct dp_lease *)0x1;
	char run[96], path[128], owner[64];
	pid_t who;
	const char *msg;

	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/lease-" BDF, run);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	alarm(20); /* a hang fails the test rather than the suite's timeout */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_lease_query(ctx, BDF, owner, sizeof(owner), &who), -EINVAL);
	msg = dp_test_log_expect_end();
	ck_assert_msg(strstr(msg, path) && strstr(msg, "not a regular file"), "%s", msg);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_lease_acquire(ctx, BDF, "db01", &l), -EINVAL);
	msg = dp_test_log_expect_end();
	ck_assert_msg(strstr(msg, path) && strstr(msg, "not a regular file"), "%s", msg);
	alarm(0);
	ck_assert_ptr_eq(l, (struct dp_lease *)0x1);
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

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_leftover_temporary_name_is_passed_over_untouched);
	tcase_add_test(tc, a_lease_is_taken_written_and_released);
	tcase_add_test(tc, a_second_claimer_gets_ebusy_naming_the_owner);
	tcase_add_test(tc, a_dead_owners_lease_is_free_again);
	tcase_add_test(tc, racing_processes_exactly_one_wins);
	tcase_add_test(tc, every_loser_of_a_race_names_the_live_winner);
	tcase_add_test(tc, every_loser_names_the_live_winner_never_a_dead_holder);
	tcase_add_test(tc, a_stale_record_is_never_named);
	tcase_add_test(tc, a_short_write_fails_with_its_own_error_and_leaves_nothing);
	tcase_add_test(tc, a_fifo_as_lease_file_is_refused_not_waited_on);
	tcase_add_test(tc, bad_addresses_and_unusable_run_dirs_are_refused);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
