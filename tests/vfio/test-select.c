/* SPDX-License-Identifier: MIT */
/*
 * Requests by ID and label on the real kernel (tests/vm topology two: two
 * edu, one group each, --bind none). Several processes attach at once, each
 * a VM asking for any edu ("1234:11e8" or "label:edu"): the lease decides, so
 * exactly two attach, with different functions, and the others are denied
 * with no-free-device naming each edu as leased. Then nothing is left: no
 * lease file, both edu free for a VM that asks for two of them.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define RACERS 4
#define RUN_DIR "/tmp/dp-run"
#define CONFIG_DIR "/tmp/dp-etc"

/* A racer's errors: why its VM was denied, for the parent to read. */
static char errors[4096];

static void collect(struct dp_ctx *ctx, int priority, const char *file, int line, const char *fn,
		    const char *format, va_list args, void *userdata)
{
	size_t len = strlen(errors);

	(void)ctx, (void)file, (void)line, (void)fn, (void)userdata;
	if (priority <= LOG_ERR && len + 2 < sizeof(errors)) {
		vsnprintf(errors + len, sizeof(errors) - len - 1, format, args);
		strcat(errors, "\n");
	}
}

/*
 * One racer: waits at the start line, attaches a VM asking for request,
 * writes "ok BDF" or "denied RC ERRORS" on out, holds its devices until the
 * parent closes hold, then detaches. Exit status 0 unless something broke.
 */
static int racer(int i, const char *request, int start, int hold, int out)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = collect, .driverctl_dir = "/tmp/dp-driverctl",
		.run_dir = RUN_DIR, .config_dir = CONFIG_DIR, .data_dir = "/nonexistent");
	struct dp_attachment *att = NULL;
	struct dp_policy *policy = NULL;
	struct dp_ctx *ctx = NULL;
	struct dp_vm *vm = NULL;
	char name[32], msg[4200], c;
	int r;

	snprintf(name, sizeof(name), "racer%d", i);
	if (dp_ctx_new(&o, &ctx) < 0 || dp_policy_new(ctx, &policy) < 0 ||
	    dp_policy_set(policy, "unlisted_devices", "allow") < 0 || dp_vm_new(ctx, name, &vm) < 0 ||
	    dp_vm_set_hw_version(vm, 7) < 0 || dp_vm_set_memory(vm, 64 << 20, 64 << 20) < 0 ||
	    dp_vm_add_device(vm, request) < 0)
		return 10;
	if (read(start, &c, 1) != 0) /* the start line: the parent closes it for all at once */
		return 11;
	r = dp_attach(policy, vm, NULL, &att);
	if (r == 0)
		snprintf(msg, sizeof(msg), "ok %s",
			 dp_vdev_get_bdf(dp_attachment_get_vdev(att, 0)));
	else
		snprintf(msg, sizeof(msg), "denied %d %s", r, errors);
	if (write(out, msg, strlen(msg) + 1) != (ssize_t)strlen(msg) + 1)
		return 12;
	if (read(hold, &c, 1) != 0)
		return 13;
	dp_detach(att);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}

/* Lease files in the run directory: none may outlive their VMs. */
static size_t count_leases(void)
{
	DIR *d = opendir(RUN_DIR);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, "lease-", 6) == 0;
	closedir(d);
	return n;
}

START_TEST(vms_asking_at_once_get_different_devices_or_are_denied)
{
	char bdfs[3][DP_GUEST_BDF_MAX], buf[4200];
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_report *rep = NULL;
	struct dp_attachment *att = NULL;
	struct dp_vm *vm = NULL;
	int start[2], hold[2], out[RACERS][2], winners = 0;
	pid_t pids[RACERS];
	char won[2][DP_GUEST_BDF_MAX] = { "", "" };
	size_t n = dp_guest_find_edu(ctx, bdfs, NULL, 3);
	FILE *f;

	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		dp_guest_mark(ctx, bdfs[i]);
	ck_assert(mkdir(CONFIG_DIR, 0755) == 0 || errno == EEXIST);
	f = fopen(CONFIG_DIR "/labels.conf", "w");
	ck_assert_ptr_nonnull(f);
	fputs("[label edu]\nid = 1234:11e8\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(count_leases(), 0);

	ck_assert_int_eq(pipe(start), 0);
	ck_assert_int_eq(pipe(hold), 0);
	for (int i = 0; i < RACERS; i++) {
		ck_assert_int_eq(pipe(out[i]), 0);
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(start[1]);
			close(hold[1]);
			close(out[i][0]);
			_exit(racer(i, i % 2 ? "label:edu" : "1234:11e8", start[0], hold[0], out[i][1]));
		}
		close(out[i][1]);
	}
	close(start[0]);
	close(hold[0]);
	close(start[1]); /* go */
	for (int i = 0; i < RACERS; i++) {
		ssize_t len = read(out[i][0], buf, sizeof(buf) - 1);

		ck_assert_msg(len > 0, "racer %d said nothing", i);
		buf[len] = '\0';
		if (strncmp(buf, "ok ", 3) == 0) {
			ck_assert_int_lt(winners, 2);
			snprintf(won[winners++], DP_GUEST_BDF_MAX, "%.31s", buf + 3);
			continue;
		}
		ck_assert_msg(strncmp(buf, "denied -1 ", 10) == 0, "racer %d: %s", i, buf); /* -EPERM */
		ck_assert_msg(strstr(buf, "no free device the policy allows matches it"), "racer %d: %s",
			      i, buf);
		for (size_t k = 0; k < n; k++) {
			char leased[160];

			snprintf(leased, sizeof(leased), "%s (device-leased)", bdfs[k]);
			ck_assert_msg(strstr(buf, leased), "racer %d: no \"%s\" in %s", i, leased, buf);
		}
	}
	ck_assert_int_eq(winners, 2);
	ck_assert_str_ne(won[0], won[1]);
	for (int k = 0; k < 2; k++)
		ck_assert_msg(strcmp(won[k], bdfs[0]) == 0 || strcmp(won[k], bdfs[1]) == 0, "%s", won[k]);
	ck_assert_uint_eq(count_leases(), 2);

	/* While the winners run, a check says no edu is free, and why. */
	ck_assert_int_eq(dp_vm_new(ctx, "late", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	ck_assert_int_eq(dp_vm_add_device(vm, "label:edu"), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 0);
	ck_assert_ptr_null(dp_report_get_device_bdf(rep, 0));
	rep = dp_report_unref(rep);
	vm = dp_vm_unref(vm);

	close(hold[1]); /* the winners detach */
	for (int i = 0; i < RACERS; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "racer %d: status %d", i,
			      status);
		close(out[i][0]);
	}
	ck_assert_uint_eq(count_leases(), 0);

	/* Nothing left behind: a VM asking for two edu gets both, in address order. */
	ck_assert_int_eq(dp_vm_new(ctx, "both", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	ck_assert_int_eq(dp_vm_add_device(vm, "label:edu"), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, "1234:11e8"), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	ck_assert_str_eq(dp_report_get_device_bdf(rep, 0), bdfs[0]);
	ck_assert_str_eq(dp_report_get_device_bdf(rep, 1), bdfs[1]);
	rep = dp_report_unref(rep);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 2);
	/* vdev i is the VM's entry i: the chosen function of request i. */
	ck_assert_str_eq(dp_vdev_get_bdf(dp_attachment_get_vdev(att, 0)), bdfs[0]);
	ck_assert_str_eq(dp_vdev_get_bdf(dp_attachment_get_vdev(att, 1)), bdfs[1]);
	ck_assert_uint_eq(count_leases(), 2);
	ck_assert_ptr_null(dp_detach(att));
	ck_assert_uint_eq(count_leases(), 0);
	vm = dp_vm_unref(vm);

	/* Denied after its request was leased (hardware version 6 < 7): the lease goes too. */
	ck_assert_int_eq(dp_vm_new(ctx, "old", &vm), 0);
	dp_vm_set_hw_version(vm, 6);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	ck_assert_int_eq(dp_vm_add_device(vm, "label:edu"), 0);
	att = (struct dp_attachment *)&att;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attach(policy, vm, NULL, &att), "hardware version 6"),
			 -EPERM);
	ck_assert_ptr_eq(att, (struct dp_attachment *)&att); /* not written on failure */
	ck_assert_uint_eq(count_leases(), 0);
	unlink(CONFIG_DIR "/labels.conf");
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("select");
	TCase *tc = tcase_create("select");

	dp_guest_require_vfio();
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, vms_asking_at_once_get_different_devices_or_are_denied);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
