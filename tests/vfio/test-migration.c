/* SPDX-License-Identifier: MIT */
/*
 * VFIO migration on the real kernel (tests/vm topology one, --bind none):
 * edu on plain vfio-pci has no migration ops, and Linux 6.1 answers
 * VFIO_DEVICE_FEATURE GET MIGRATION with ENOTTY (vfio_ioctl_device_feature_migration:
 * "if (!device->mig_ops) return -ENOTTY"). dp_attach and dp_policy_check both
 * say "unsupported", the report is what it was before the question was asked,
 * the check leaves no fd and no open group behind, and a group another
 * process holds is "unknown", never disturbed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char edu[DP_GUEST_BDF_MAX];
static int group;
static const char *tool; /* the build tree's directpath, argv[1] */

static void setup(void)
{
	char bdfs[1][DP_GUEST_BDF_MAX];

	ctx = dp_guest_ctx();
	policy = dp_guest_policy(ctx);
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, &group, 1), 1);
	snprintf(edu, sizeof(edu), "%s", bdfs[0]);
	dp_guest_mark(ctx, edu);
	ck_assert_int_ge(dp_ctx_scan(ctx), 1); /* the driver the check reads: vfio-pci now */
}

static void teardown(void)
{
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}

static struct dp_vm *edu_vm(const char *name)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, name, &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	ck_assert_int_eq(dp_vm_set_memory(vm, UINT64_C(1) << 30, UINT64_C(1) << 30), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu), 0);
	return vm;
}

static size_t count_code(const struct dp_report *rep, uint32_t code, char *msg, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code == code && n++ == 0 && msg)
			snprintf(msg, len, "%s", f.message);
	}
	return n;
}

/* Every feature lost, edu the one cause of each: what a plain device costs. */
static void assert_plain_losses(const struct dp_report *rep)
{
	ck_assert_uint_eq(dp_report_get_lost_features(rep), DP_FEATURE_ALL);
	for (uint32_t f = 1; f <= DP_FEATURE_ALL; f <<= 1) {
		ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, f), 1);
		ck_assert_str_eq(dp_report_get_feature_cause(rep, f, 0), edu);
	}
	ck_assert_uint_eq(count_code(rep, DP_FINDING_FEATURE_LOST, NULL, 0), 8);
	ck_assert_uint_eq(count_code(rep, DP_FINDING_MIGRATION_SUPPORTED, NULL, 0), 0);
}

/* /dev/vfio/N opens: nobody, this process included, holds the group. */
static void assert_group_free(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s: the check left the group open", path, strerror(errno));
	close(fd);
}

/* The kernel's own answer on a device fd of our own: its errno. */
static int raw_feature_errno(void)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_migration) + 7) / 8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	char path[64];
	int cfd, gfd, dfd, err;

	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(cfd, 0);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(gfd, 0);
	ck_assert_int_eq(ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd), 0);
	ck_assert_int_eq(ioctl(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, edu);
	ck_assert_int_ge(dfd, 0);
	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	err = ioctl(dfd, VFIO_DEVICE_FEATURE, f) < 0 ? errno : 0;
	close(dfd);
	ck_assert_int_eq(ioctl(gfd, VFIO_GROUP_UNSET_CONTAINER), 0);
	close(gfd);
	close(cfd);
	return err;
}

/* The build tree's directpath (argv[1]) with the guest context's directories: its stdout into out, its status. */
static int tool_output(const char *args, char *out, size_t size)
{
	char cmd[PATH_MAX + 256];
	size_t len = 0, n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s --run-dir /tmp/dp-run --driverctl-dir /tmp/dp-driverctl --config-dir /tmp/dp-etc %s",
		 tool, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (len + 1 < size && (n = fread(out + len, 1, size - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	st = pclose(p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(the_kernel_says_enotty_for_edu)
{
	struct dp_migration_info info = { .sz = sizeof(info) };
	struct dp_attachment *att = NULL;
	struct dp_vm *vm = edu_vm("mig-attach");

	/* Linux 6.1 on plain vfio-pci: no migration ops, ENOTTY. */
	ck_assert_int_eq(raw_feature_errno(), ENOTTY);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	/* The library's record of it, made at open. */
	ck_assert_int_eq(dp_vdev_get_migration(dp_attachment_get_vdev(att, 0), &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_UNSUPPORTED);
	ck_assert_int_eq(info.error, ENOTTY);
	ck_assert_uint_eq(info.flags, 0);
	ck_assert_uint_eq(info.devices, 1);
	ck_assert_uint_eq(info.kept, 0);
	ck_assert_uint_eq(info.lost, DP_FEATURE_ALL);
	ck_assert_int_eq(dp_vdev_get_migration(NULL, &info), -EINVAL);
	ck_assert_ptr_null(dp_detach(att));
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_check_on_an_idle_edu_says_unsupported_and_leaves_nothing)
{
	struct dp_migration_info info = { .sz = sizeof(info) };
	struct dp_vm *vm = edu_vm("mig-check");
	struct dp_report *rep = NULL;
	int fds = dp_test_count_fds();
	char *json = NULL;

	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	assert_group_free();
	ck_assert_int_eq(dp_report_get_device_migration(rep, edu, &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_UNSUPPORTED);
	ck_assert_int_eq(info.error, ENOTTY);
	ck_assert_uint_eq(info.kept, 0);
	ck_assert_uint_eq(info.lost, DP_FEATURE_ALL);
	/* The report is today's: no migration finding, every feature lost to edu. */
	ck_assert_uint_eq(count_code(rep, DP_FINDING_MIGRATION_UNKNOWN, NULL, 0), 0);
	assert_plain_losses(rep);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	ck_assert_int_eq(dp_report_get_device_migration(rep, "0000:1f:1f.7", &info), -ENOENT);
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	ck_assert_msg(strstr(json, "\"state\": \"unsupported\"") && strstr(json, "\"errno\": \"ENOTTY\""),
		      "%s", json);
	free(json);
	dp_report_unref(rep);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_busy_group_or_a_leased_device_is_unknown)
{
	struct dp_migration_info info = { .sz = sizeof(info) };
	struct dp_vm *vm = edu_vm("mig-busy"), *other;
	struct dp_attachment *att = NULL;
	struct dp_report *rep = NULL;
	char path[64], msg[1024] = "";
	int gfd;

	/* Another process's VMM holds the group: asked of nothing, said so. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(gfd, 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_get_device_migration(rep, edu, &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_UNKNOWN);
	ck_assert_int_eq(info.error, EBUSY);
	ck_assert_uint_eq(info.lost, DP_FEATURE_ALL);
	ck_assert_uint_eq(count_code(rep, DP_FINDING_MIGRATION_UNKNOWN, msg, sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "is open in another process (a running VM or VMM), and a check never disturbs it"),
		      "%s", msg);
	ck_assert_msg(strncmp(msg, edu, strlen(edu)) == 0, "%s", msg);
	assert_plain_losses(rep);
	rep = dp_report_unref(rep);
	close(gfd);

	/* A running VM holds its lease (and the group): the check does not even try the group. */
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	other = edu_vm("mig-other");
	ck_assert_int_eq(dp_policy_check(policy, other, &rep), 0);
	ck_assert_int_eq(dp_report_get_device_migration(rep, edu, &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_UNKNOWN);
	ck_assert_int_eq(info.error, EBUSY);
	ck_assert_uint_eq(count_code(rep, DP_FINDING_MIGRATION_UNKNOWN, msg, sizeof(msg)), 1);
	ck_assert_msg(strstr(msg, "it is leased to VM \"mig-busy\""), "%s", msg);
	ck_assert_uint_eq(count_code(rep, DP_FINDING_DEVICE_LEASED, NULL, 0), 1);
	rep = dp_report_unref(rep);
	/* ... and the VM's device works on: its config space still answers. */
	{
		uint16_t vendor = 0;

		ck_assert_int_eq(dp_vdev_config_read(dp_attachment_get_vdev(att, 0), 0, &vendor, 2), 0);
		ck_assert_uint_eq(vendor, DP_EDU_VENDOR);
	}
	ck_assert_ptr_null(dp_detach(att));
	dp_vm_unref(other);
	dp_vm_unref(vm);
	assert_group_free();
}
END_TEST

START_TEST(the_tool_prints_a_line_per_device_asked)
{
	char args[256], out[16384], want[256];
	int fds = dp_test_count_fds();

	snprintf(args, sizeof(args), "check --devices %s --hw-version 7 --memory 64M", edu);
	ck_assert_int_eq(tool_output(args, out, sizeof(out)), 0);
	snprintf(want, sizeof(want),
		 "Migration (VFIO migration v2, asked of the kernel):\n  %s  unsupported (ENOTTY): keeps none; loses vmotion, storage_vmotion, fault_tolerance, hot_add, suspend_resume, record_replay, snapshot_memory, memory_overcommit\n",
		 edu);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(!strstr(out, "migration-supported") && !strstr(out, "migration-unknown"), "%s", out);
	snprintf(args, sizeof(args), "check --json --devices %s --hw-version 7 --memory 64M", edu);
	ck_assert_int_eq(tool_output(args, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "\"migration\": [\n    {\n      \"device\": \"%s\",\n      \"state\": \"unsupported\",\n      \"flags\": [\n      ],\n      \"errno\": \"ENOTTY\",\n      \"kept\": [\n      ],\n      \"lost\": [\n", edu);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "\"cause\": \"the device does not support VFIO migration, so its state lives in the hardware\""), "%s", out);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	assert_group_free();
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("migration");
	TCase *tc = tcase_create("migration");

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_DIRECTPATH\n", argv[0]);
		return 2;
	}
	tool = argv[1];
	dp_guest_require_vfio();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, the_kernel_says_enotty_for_edu);
	tcase_add_test(tc, a_check_on_an_idle_edu_says_unsupported_and_leaves_nothing);
	tcase_add_test(tc, a_busy_group_or_a_leased_device_is_unknown);
	tcase_add_test(tc, the_tool_prints_a_line_per_device_asked);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
