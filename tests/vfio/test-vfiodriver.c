/* SPDX-License-Identifier: MIT */
/*
 * Any VFIO driver (issue 22) on the real kernel: the inventory's vfio-dev
 * node of an edu on vfio-pci, which Debian's 6.1 gives without a cdev and
 * the iommufd kernel (6.12) with one, the cdev's number matching
 * /dev/vfio/devices/vfioN; and vfio_drivers deciding whether the check
 * takes vfio-pci (finding vfio-driver-not-listed when it does not).
 * Usage: test-vfiodriver (in the guest, edu bound to vfio-pci)
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "guest.h"
#include "testrun.h"

static struct dp_ctx *ctx;
static char edu[1][DP_GUEST_BDF_MAX];

static void setup(void)
{
	ctx = dp_guest_ctx();
	ck_assert_uint_ge(dp_guest_find_edu(ctx, edu, NULL, 1), 1);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
}

START_TEST(the_inventory_reads_the_kernels_vfio_dev_node)
{
	struct dp_device *dev = NULL;
	const char *kernel = getenv("DP_GUEST_KERNEL");
	char path[256];
	uint32_t major = 0, minor = 0;
	const char *node;
	struct stat st;
	int r;

	ck_assert_int_eq(dp_ctx_find_device(ctx, edu[0], &dev), 0);
	ck_assert_str_eq(dp_device_get_driver(dev), "vfio-pci");
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(dev), DP_VFIO_DRIVER_VFIO_PCI);
	node = dp_device_get_vfio_dev(dev);
	ck_assert_ptr_nonnull(node);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/%s", edu[0], node);
	ck_assert_int_eq(stat(path, &st), 0);
	r = dp_device_get_vfio_devnum(dev, &major, &minor);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", node);
	if (kernel && strcmp(kernel, "iommufd") == 0) {
		/* CONFIG_VFIO_DEVICE_CDEV: the node's dev is the cdev the kernel made. */
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		ck_assert_uint_eq(major, major(st.st_rdev));
		ck_assert_uint_eq(minor, minor(st.st_rdev));
	} else {
		ck_assert_int_eq(r, -ENOENT); /* Debian's 6.1: the node, no cdev */
		ck_assert_int_eq(stat(path, &st), -1);
	}
	dp_device_unref(dev);
}
END_TEST

START_TEST(vfio_drivers_decides_whether_vfio_pci_is_ready)
{
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_device *dev = NULL;
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	bool found = false;

	ck_assert_int_eq(dp_ctx_find_device(ctx, edu[0], &dev), 0);
	ck_assert_int_eq(dp_policy_vfio_driver_ready(policy, dev), 1);
	ck_assert_int_eq(dp_policy_set(policy, "vfio_drivers", "*_vfio_pci nvidia:vfio-dev"), 0);
	ck_assert_int_eq(dp_policy_vfio_driver_ready(policy, dev), 0);
	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 64 << 20, 64 << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu[0]), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert(!dp_report_is_allowed(rep));
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code == DP_FINDING_VFIO_DRIVER_NOT_LISTED) {
			found = true;
			ck_assert_str_eq(f.subject, edu[0]);
			ck_assert_ptr_nonnull(strstr(f.message, "on vfio-pci, the generic VFIO driver, which vfio_drivers (*_vfio_pci nvidia:vfio-dev) does not count"));
		}
	}
	ck_assert(found);
	dp_report_unref(rep);
	dp_vm_unref(vm);
	dp_device_unref(dev);
	dp_policy_unref(policy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vfiodriver");
	TCase *tc = tcase_create("vfiodriver");

	dp_guest_require_vfio();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_inventory_reads_the_kernels_vfio_dev_node);
	tcase_add_test(tc, vfio_drivers_decides_whether_vfio_pci_is_ready);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
