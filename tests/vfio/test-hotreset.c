/* SPDX-License-Identifier: MIT */
/*
 * dp_vdev_reset through a PCI hot reset on the real kernel, in the guest of
 * tests/vm topology shared-bridge (--bind none): two edu behind one
 * pcie-pci-bridge, where VFIO offers neither a reset of its own (a bus
 * reset reaches both). argv[1] is the backend: type1 (Debian's 6.1, group
 * fds) or iommufd (the 6.12 guest, device cdevs, a zero-length group
 * array).
 *
 * The mark of a reset: each edu's MSI message data, written into the
 * hardware's config space through sysfs. QEMU's reset of a function
 * clears it, and the kernel's save and restore around a bus reset does
 * not put it back (it restores MSI only where its own driver enabled it).
 *  - a VM with both edu: dp_vdev_reset on one returns 0 and clears the
 *    mark on both, each verified as having come back; so does
 *    dp_vpci_reset of its guest-facing function;
 *  - a VM with one: dp_vdev_reset is -EPERM, naming the other edu, and
 *    both marks are as they were; the same with the other edu on a host
 *    driver (pci-stub), where the reason is the backend's rule.
 */
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

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static const char *backend_arg;
static uint32_t backend;

static int config_fd(const char *bdf, int flags)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, flags | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	return fd;
}

static uint32_t cfg_read(const char *bdf, unsigned off, size_t len)
{
	uint32_t v = 0;
	int fd = config_fd(bdf, O_RDONLY);

	ck_assert_int_eq(pread(fd, &v, len, off), (ssize_t)len);
	close(fd);
	return v;
}

static void cfg_write(const char *bdf, unsigned off, uint32_t v, size_t len)
{
	int fd = config_fd(bdf, O_WRONLY);

	ck_assert_int_eq(pwrite(fd, &v, len, off), (ssize_t)len);
	close(fd);
}

/* The config offset of edu's MSI message data (the capability list walked, 64-bit or not). */
static unsigned msi_data_off(const char *bdf)
{
	unsigned cap = cfg_read(bdf, 0x34, 1) & 0xfc;

	for (int n = 0; cap && n < 48; n++) {
		if ((cfg_read(bdf, cap, 1)) == 0x05) /* PCI_CAP_ID_MSI */
			return cap + ((cfg_read(bdf, cap + 2, 2) & 0x80) ? 12 : 8);
		cap = cfg_read(bdf, cap + 1, 1) & 0xfc;
	}
	ck_abort_msg("%s: no MSI capability", bdf);
	return 0;
}

static void mark(const char *bdf, uint16_t v)
{
	cfg_write(bdf, msi_data_off(bdf), v, 2);
	ck_assert_uint_eq(cfg_read(bdf, msi_data_off(bdf), 2), v);
}

static uint16_t marked(const char *bdf)
{
	return (uint16_t)cfg_read(bdf, msi_data_off(bdf), 2);
}

static struct dp_attachment *attach(struct dp_ctx *ctx, struct dp_policy *policy,
				    char (*edu)[DP_GUEST_BDF_MAX], size_t n, struct dp_vm **vm)
{
	DP_OPTS(dp_attach_opts, opts, .backend = backend);
	struct dp_attachment *att = NULL;
	const char *why = NULL;

	ck_assert_int_eq(dp_vm_new(ctx, "hotreset", vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(*vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(*vm, 64 << 20, 64 << 20), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dp_vm_add_device(*vm, edu[i]), 0);
	ck_assert_int_eq(dp_attach(policy, *vm, &opts, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_backend(att, &why), backend);
	printf("# %zu edu attached through %s: %s\n", n, dp_backend_name(backend), why);
	for (size_t i = 0; i < n; i++) {
		struct dp_vdev *v = dp_attachment_get_vdev(att, i);

		printf("# %s: VFIO offers %s reset of it alone\n", dp_vdev_get_bdf(v),
		       dp_vdev_can_reset(v) ? "a" : "no");
	}
	return att;
}

/* The vdev of the two with no reset of its own (on Linux 6.1 and 6.12: both). */
static struct dp_vdev *no_reset_of_its_own(struct dp_attachment *att, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!dp_vdev_can_reset(dp_attachment_get_vdev(att, i)))
			return dp_attachment_get_vdev(att, i);
	ck_abort_msg("VFIO offers a reset of each edu alone: no hot reset to test");
	return NULL;
}

START_TEST(a_vm_with_both_edu_resets_both_through_a_hot_reset)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	char edu[3][DP_GUEST_BDF_MAX];
	struct dp_attachment *att;
	struct dp_vdev *v;
	struct dp_vm *vm;
	uint32_t alive;
	void *bar;

	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, NULL, 3), 2);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_mark(ctx, edu[1]);
	att = attach(ctx, policy, edu, 2, &vm);
	v = no_reset_of_its_own(att, 2);
	/* What edu keeps: its liveness register (BAR0 + 4 reads back the complement). */
	ck_assert_int_eq(dp_vdev_map_region(v, 0, &bar), 0);
	*(volatile uint32_t *)((uint8_t *)bar + 4) = 0x1234abcd;
	mark(edu[0], 0x5a01);
	mark(edu[1], 0x5a02);
	dp_test_log_reset();
	ck_assert_int_eq(dp_vdev_reset(v), 0);
	ck_assert_msg(dp_test_logged(LOG_INFO, "reset by a PCI hot reset (2 function(s)",
				     backend == DP_BACKEND_IOMMUFD ? "through the iommufd"
								   : "through their groups"),
		      "%s", dp_test_log_all());
	printf("# %s: %s\n", edu[0], marked(edu[0]) ? "MSI data kept" : "MSI data cleared");
	printf("# %s: %s\n", edu[1], marked(edu[1]) ? "MSI data kept" : "MSI data cleared");
	ck_assert_uint_eq(marked(edu[0]), 0);
	ck_assert_uint_eq(marked(edu[1]), 0);
	alive = *(volatile uint32_t *)((uint8_t *)bar + 4);
	printf("# %s: edu's liveness register %s the hot reset (0x%08x)\n", dp_vdev_get_bdf(v),
	       alive == ~0x1234abcdu ? "kept through" : "changed by", alive);
	ck_assert(!dp_test_logged(LOG_ERR, "did not come back", NULL));
	/* Twice: nothing of the first is left in the way. */
	ck_assert_int_eq(dp_vdev_reset(v), 0);
	ck_assert_int_eq(dp_vdev_unmap_region(v, 0), 0);
	/* The guest-facing function's reset (its FLR, the VMM's reset) takes the same way. */
	{
		DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_VMM_DECODES);
		struct dp_vpci *f = NULL;

		ck_assert_int_eq(dp_vpci_new(v, &o, &f), 0);
		mark(edu[0], 0x5a07);
		mark(edu[1], 0x5a08);
		ck_assert_int_eq(dp_vpci_reset(f), 0);
		ck_assert_uint_eq(marked(edu[0]), 0);
		ck_assert_uint_eq(marked(edu[1]), 0);
		dp_vpci_unref(f);
	}
	ck_assert_ptr_null(dp_detach(att));
	ck_assert(!dp_test_logged(LOG_ERR, "did not come back", NULL));
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

/*
 * A VM with the first edu alone, the second on driver: dp_vdev_reset is
 * -EPERM, the message naming the second with why, and neither is reset.
 */
static void refused_alone(const char *driver, const char *why)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	char edu[3][DP_GUEST_BDF_MAX], want[256];
	struct dp_attachment *att;
	struct dp_vm *vm;

	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, NULL, 3), 2);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_bind_driver(edu[1], driver);
	/* A host driver's function is shared_reset's to allow; the kernel's rule still holds. */
	ck_assert_int_eq(dp_policy_set(policy, "shared_reset", "allow"), 0);
	att = attach(ctx, policy, edu, 1, &vm);
	ck_assert_int_eq(dp_vdev_can_reset(dp_attachment_get_vdev(att, 0)), 0);
	mark(edu[0], 0x5a03);
	mark(edu[1], 0x5a04);
	snprintf(want, sizeof(want), "would also reset %s (%s): refused", edu[1], why);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vdev_reset(dp_attachment_get_vdev(att, 0)), want),
			 -EPERM);
	ck_assert_uint_eq(marked(edu[0]), 0x5a03);
	ck_assert_uint_eq(marked(edu[1]), 0x5a04);
	ck_assert_ptr_null(dp_detach(att));
	dp_guest_bind_driver(edu[1], "vfio-pci");
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}

/* The other edu on vfio-pci, free: the VM's backend would own it, the VM does not. */
START_TEST(a_vm_with_one_edu_is_refused_the_hot_reset)
{
	refused_alone("vfio-pci", "not a device of this VM");
}
END_TEST

/*
 * The other edu on a host driver (pci-stub): under iommufd the kernel lists
 * it as not owned (not bound to the VM's iommufd); under type1 its group is
 * the VM's, so it is refused as not a device of this VM.
 */
START_TEST(a_hot_reset_reaching_a_host_driver_is_refused)
{
	refused_alone("pci-stub", backend == DP_BACKEND_IOMMUFD ? "not bound to the VM's iommufd"
								 : "not a device of this VM");
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("hotreset");
	TCase *tc = tcase_create("hotreset");

	dp_guest_require_vfio();
	backend_arg = argc > 1 ? argv[1] : "";
	if (strcmp(backend_arg, "type1") == 0)
		backend = DP_BACKEND_TYPE1;
	else if (strcmp(backend_arg, "iommufd") == 0)
		backend = DP_BACKEND_IOMMUFD;
	else {
		fprintf(stderr, "usage: test-hotreset type1|iommufd\n");
		return 2;
	}
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, a_vm_with_both_edu_resets_both_through_a_hot_reset);
	tcase_add_test(tc, a_vm_with_one_edu_is_refused_the_hot_reset);
	tcase_add_test(tc, a_hot_reset_reaching_a_host_driver_is_refused);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
