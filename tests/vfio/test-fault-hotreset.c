/* SPDX-License-Identifier: MIT */
/*
 * Fault injection over dp_vdev_reset's PCI hot reset (lib/hotreset.c), in
 * the guest of tests/vm topology shared-bridge (--bind none): a VM with both
 * edu, attached through argv[1]'s backend (type1 in Debian's 6.1, iommufd
 * in the 6.12 guest). Each edu's MSI message data, written through sysfs,
 * marks whether a reset reached it (test-hotreset.c says why).
 *  - VFIO_DEVICE_GET_PCI_HOT_RESET_INFO failing with ENODEV (no slot or bus
 *    reset) is -ENOTSUP, with another errno that errno; and
 *    VFIO_DEVICE_PCI_HOT_RESET failing is its errno: nothing reset, no fd
 *    or memory left, and the next reset goes through;
 *  - every interposed call of a reset (fault.c: both ioctls, the info's
 *    retry, the opens of the config headers before and after) failing once
 *    in turn: an error or the reset done, never an fd more, and a failure
 *    of either ioctl resets nothing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "../../lib/iommufd-uapi.h"
#include "fault.h"
#include "faultstate.h"
#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static uint32_t backend;
static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static struct dp_attachment *att;
static char edu[3][DP_GUEST_BDF_MAX];

/* The config offset of edu's MSI message data, read through sysfs. */
static unsigned msi_data_off(const char *bdf)
{
	char path[PATH_MAX];
	uint8_t cfg[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	close(fd);
	for (unsigned cap = cfg[0x34] & 0xfc, n = 0; cap && n < 48; cap = cfg[cap + 1] & 0xfc, n++)
		if (cfg[cap] == 0x05) /* PCI_CAP_ID_MSI */
			return cap + ((cfg[cap + 2] & 0x80) ? 12 : 8);
	ck_abort_msg("%s: no MSI capability", bdf);
	return 0;
}

/* Writes v (0: only reads) into bdf's MSI data; returns what it holds. */
static uint16_t msi_data(const char *bdf, uint16_t v)
{
	char path[PATH_MAX];
	unsigned off = msi_data_off(bdf);
	uint16_t now = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	if (v)
		ck_assert_int_eq(pwrite(fd, &v, 2, off), 2);
	ck_assert_int_eq(pread(fd, &now, 2, off), 2);
	close(fd);
	return now;
}

static void mark_both(void)
{
	ck_assert_uint_eq(msi_data(edu[0], 0x5a11), 0x5a11);
	ck_assert_uint_eq(msi_data(edu[1], 0x5a12), 0x5a12);
}

static bool both_marked(void)
{
	return msi_data(edu[0], 0) == 0x5a11 && msi_data(edu[1], 0) == 0x5a12;
}

static void setup(void)
{
	DP_OPTS(dp_attach_opts, opts, .backend = backend);

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, NULL, 3), 2);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_mark(ctx, edu[1]);
	policy = dp_guest_policy(ctx);
	ck_assert_int_eq(dp_vm_new(ctx, "fault-hotreset", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 64 << 20, 64 << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu[0]), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu[1]), 0);
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_backend(att, NULL), backend);
	ck_assert_int_eq(dp_vdev_can_reset(dp_attachment_get_vdev(att, 0)), 0);
}

static void teardown(void)
{
	ck_assert_ptr_null(dp_detach(att));
	dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

/* One ioctl failing with err: the reset gives want, resets nothing, leaves nothing. */
static void one_ioctl_fails(unsigned long req, const char *name, int err, int want, const char *msg)
{
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	struct dp_fault_state before, after;

	mark_both();
	dp_fault_state_get(&before, -1);
	dp_fault_arm_ioctl(req, err);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vdev_reset(v), msg), want);
	dp_fault_disarm();
	dp_fault_state_get(&after, -1);
	dp_fault_state_same_but(&before, &after, name, false);
	ck_assert_msg(both_marked(), "%s failing: a function was reset", name);
	ck_assert_int_eq(dp_vdev_reset(v), 0);
	ck_assert_msg(!both_marked(), "the reset after %s failed reset nothing", name);
}

START_TEST(either_ioctl_failing_resets_nothing)
{
	one_ioctl_fails(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
			ENODEV, -ENOTSUP, "the kernel can reset neither its slot nor its bus");
	one_ioctl_fails(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
			EFAULT, -EFAULT, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: Bad address");
	one_ioctl_fails(VFIO_DEVICE_PCI_HOT_RESET, "VFIO_DEVICE_PCI_HOT_RESET", EBUSY, -EBUSY,
			"VFIO_DEVICE_PCI_HOT_RESET: Device or resource busy");
}
END_TEST

/*
 * The failed call for a message: fault.c names an ioctl number by the
 * table's VFIO user of it, and these two share VFIO_IOMMU_GET_INFO's and
 * VFIO_IOMMU_MAP_DMA's (a container's ioctls, on another fd).
 */
static const char *failed_name(unsigned long req)
{
	if (strcmp(dp_fault_failed_kind(), "ioctl") != 0)
		return dp_fault_failed_name();
	if (req == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO)
		return "ioctl VFIO_DEVICE_GET_PCI_HOT_RESET_INFO";
	if (req == VFIO_DEVICE_PCI_HOT_RESET)
		return "ioctl VFIO_DEVICE_PCI_HOT_RESET";
	return dp_fault_failed_name();
}

START_TEST(every_call_of_a_hot_reset_failing_leaves_nothing)
{
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	struct dp_fault_state before, after;
	long total, ioctls = 0;
	char where[256];

	dp_fault_state_get(&before, -1);
	dp_fault_arm(0, 0);
	ck_assert_int_eq(dp_vdev_reset(v), 0);
	total = dp_fault_disarm();
	printf("# a hot reset makes %ld interposed calls\n", total);
	ck_assert_int_ge(total, 3); /* the info twice, the reset */
	for (long n = 1; n <= total; n++) {
		unsigned long req;
		bool reset;
		int r;

		mark_both();
		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm(n, DP_FAULT_PLAUSIBLE);
		r = dp_vdev_reset(v);
		dp_fault_disarm();
		dp_test_log_expect_end();
		req = dp_fault_failed_request();
		ck_assert_msg(dp_fault_failed_kind() != NULL, "call %ld of %ld: none failed", n, total);
		snprintf(where, sizeof(where), "call %ld of %ld (%s, %s) failing", n, total,
			 failed_name(req), strerror(dp_fault_failed_errno()));
		reset = !both_marked();
		printf("# %s: %d, %s\n", where, r, reset ? "reset" : "nothing reset");
		if (strcmp(dp_fault_failed_kind(), "ioctl") == 0 &&
		    (req == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO || req == VFIO_DEVICE_PCI_HOT_RESET)) {
			ioctls++;
			ck_assert_msg(r < 0, "%s: %d", where, r);
			ck_assert_msg(!reset, "%s: a function was reset", where);
		} else {
			ck_assert_msg(r < 0 || reset, "%s: 0 and nothing reset", where);
		}
		dp_fault_state_get(&after, -1);
		dp_fault_state_same_but(&before, &after, where, false);
		ck_assert_msg(!dp_test_logged(LOG_ERR, "did not come back", NULL), "%s: quarantined",
			      where);
		mark_both();
		ck_assert_int_eq(dp_vdev_reset(v), 0);
		ck_assert_msg(!both_marked(), "%s: the next reset reset nothing", where);
	}
	ck_assert_int_ge(ioctls, 3);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("fault-hotreset");
	TCase *tc = tcase_create("fault-hotreset");
	const char *b = argc > 1 ? argv[1] : "";

	dp_guest_require_vfio();
	if (strcmp(b, "type1") == 0)
		backend = DP_BACKEND_TYPE1;
	else if (strcmp(b, "iommufd") == 0)
		backend = DP_BACKEND_IOMMUFD;
	else {
		fprintf(stderr, "usage: test-fault-hotreset type1|iommufd\n");
		return 2;
	}
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, either_ioctl_failing_resets_nothing);
	tcase_add_test(tc, every_call_of_a_hot_reset_failing_leaves_nothing);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
