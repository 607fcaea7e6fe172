/* SPDX-License-Identifier: MIT */
/*
 * Host capabilities on synthetic /sys trees: the IOMMU and its kind,
 * interrupt remapping (Intel ecap bit 3; AMD "IR-" interrupt chips), VFIO
 * and KVM availability, and the memlock limit.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct rlimit saved_memlock;


static void setup(void)
{
	char dc[4096];
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn };

	dp_test_log_reset();
	ck_assert_int_eq(getrlimit(RLIMIT_MEMLOCK, &saved_memlock), 0);
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	o.driverctl_dir = dc;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
	/* With CK_FORK=no the limit would outlive the test. */
	setrlimit(RLIMIT_MEMLOCK, &saved_memlock);
}

/* One function in group 7, so that trees with an IOMMU have a group. */
static void add_nic(int group)
{
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:03:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = group, .driver = "ixgbe" }), 0);
}

static void host(const struct dp_fake_host *h)
{
	ck_assert_int_eq(dp_fakesys_set_host(fs, h), 0);
}

static struct dp_host_caps caps_now(void)
{
	struct dp_host_caps c;

	memset(&c, 0xaa, sizeof(c));
	c.sz = sizeof(c);
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &c), 0);
	ck_assert_uint_eq(c.sz, sizeof(c));
	return c;
}

#define IOMMU_FLAGS (DP_HOST_IOMMU | DP_HOST_IOMMU_GROUPS | DP_HOST_IRQ_REMAP)

START_TEST(intel_iommu_with_interrupt_remapping)
{
	struct dp_host_caps c;

	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_INTEL);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, IOMMU_FLAGS);
	ck_assert_int_eq(c.iommu_group_count, 7); /* groups 1 2 3 4 7 10 11 */
	ck_assert(c.flags & DP_HOST_VFIO_PCI);
	ck_assert(!(c.flags & DP_HOST_UNSAFE_INTERRUPTS));
	/* The caps need no scan, and make none. */
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
}
END_TEST

START_TEST(intel_iommu_without_ecap_bit_3_does_not_remap)
{
	struct dp_host_caps c;

	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = false });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_INTEL);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, DP_HOST_IOMMU | DP_HOST_IOMMU_GROUPS);
	ck_assert_int_eq(c.iommu_group_count, 1);
}
END_TEST

START_TEST(any_dmar_unit_with_ecap_bit_3_remaps)
{
	struct dp_host_caps c;

	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = false });
	ck_assert_int_eq(dp_fakesys_add_dmar(fs, "dmar1", "8"), 0);
	ck_assert_int_eq(dp_fakesys_add_dmar(fs, "dmar2", DP_FAKE_ECAP_NO_IR), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_INTEL);
	ck_assert(c.flags & DP_HOST_IRQ_REMAP);
}
END_TEST

START_TEST(garbage_ecap_is_no_remapping_with_a_warning)
{
	struct dp_host_caps c;

	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true });
	ck_assert_int_eq(dp_fakesys_write(fs, "devices/virtual/iommu/dmar0/intel-iommu/ecap",
					  "remapping, trust me\n"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_INTEL);
	ck_assert(c.flags & DP_HOST_IOMMU);
	ck_assert(!(c.flags & DP_HOST_IRQ_REMAP));
	ck_assert_msg(dp_test_logged(LOG_WARNING, "dmar0/intel-iommu/ecap", NULL), "%s", dp_test_log_all());
}
END_TEST

START_TEST(amd_iommu_remaps_when_interrupt_chips_say_ir)
{
	struct dp_host_caps c;

	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_AMD, .irq_remap = true });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_AMD);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, IOMMU_FLAGS);
}
END_TEST

START_TEST(amd_iommu_without_ir_chips_does_not_remap)
{
	struct dp_host_caps c;

	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_AMD, .irq_remap = false });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_AMD);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, DP_HOST_IOMMU | DP_HOST_IOMMU_GROUPS);
}
END_TEST

START_TEST(ir_chips_without_an_amd_iommu_are_not_remapping)
{
	struct dp_host_caps c;

	add_nic(0);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_NONE });
	ck_assert_int_eq(dp_fakesys_set_interrupts(fs,
		"           CPU0\n 26:   1893  IR-PCI-MSI-0000:00:14.0    0-edge      xhci_hcd\n"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_NONE);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, 0);
}
END_TEST

START_TEST(another_kind_of_iommu_is_other)
{
	struct dp_host_caps c;

	add_nic(7);
	ck_assert_int_eq(dp_fakesys_write(fs, "devices/virtual/iommu/virtio-iommu0/uevent", ""), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../devices/virtual/iommu/virtio-iommu0",
					    "class/iommu/virtio-iommu0"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_OTHER);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, DP_HOST_IOMMU | DP_HOST_IOMMU_GROUPS);
}
END_TEST

START_TEST(no_iommu_means_no_groups_and_no_remapping)
{
	struct dp_host_caps c;

	ck_assert_int_eq(dp_fakesys_preset(fs, "noiommu"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_NONE);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, 0);
	ck_assert_int_eq(c.iommu_group_count, 0);
}
END_TEST

START_TEST(group_directories_alone_count_as_groups)
{
	struct dp_host_caps c;

	add_nic(7);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:04:00.0", .vendor = 0x1af4, .device = 0x1041,
		.class_code = 0x020000, .group = 9 }), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	ck_assert_uint_eq(c.iommu_kind, DP_IOMMU_NONE);
	ck_assert_uint_eq(c.flags & IOMMU_FLAGS, DP_HOST_IOMMU_GROUPS);
	ck_assert_int_eq(c.iommu_group_count, 2);
}
END_TEST

START_TEST(unsafe_interrupts_follow_the_module_parameter)
{
	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_INTEL, .vfio_type1 = true,
				     .unsafe_interrupts = true });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert(caps_now().flags & DP_HOST_UNSAFE_INTERRUPTS);
	/* Read again at each call: the admin may flip it at run time. */
	ck_assert_int_eq(dp_fakesys_write(fs,
		"module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "N\n"), 0);
	ck_assert(!(caps_now().flags & DP_HOST_UNSAFE_INTERRUPTS));
	ck_assert_int_eq(dp_fakesys_write(fs,
		"module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", NULL), 0);
	ck_assert(!(caps_now().flags & DP_HOST_UNSAFE_INTERRUPTS));
}
END_TEST

START_TEST(vfio_pci_is_there_when_its_driver_directory_is)
{
	add_nic(7);
	host(&(struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_INTEL });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert(!(caps_now().flags & DP_HOST_VFIO_PCI));
	ck_assert_int_eq(dp_fakesys_add_driver(fs, "vfio-pci"), 0);
	ck_assert(caps_now().flags & DP_HOST_VFIO_PCI);
	/* Loaded implies loadable. */
	ck_assert(caps_now().flags & DP_HOST_VFIO_PCI_MODULE);
}
END_TEST

START_TEST(vfio_follows_dev_vfio_vfio)
{
	struct stat st;
	bool there = stat("/dev/vfio/vfio", &st) == 0 && S_ISCHR(st.st_mode);

	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(!!(caps_now().flags & DP_HOST_VFIO), there);
}
END_TEST

START_TEST(kvm_is_api_12_when_dev_kvm_opens)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api = fd < 0 ? -1 : ioctl(fd, KVM_GET_API_VERSION, 0);
	struct dp_host_caps c;

	if (fd >= 0)
		close(fd);
	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	c = caps_now();
	if (api == KVM_API_VERSION) {
		ck_assert_int_eq(c.kvm_api_version, 12);
		ck_assert(c.flags & DP_HOST_KVM);
	} else {
		ck_assert_int_eq(c.kvm_api_version, api < 0 ? -1 : api);
		ck_assert(!(c.flags & DP_HOST_KVM));
	}
}
END_TEST

START_TEST(memlock_is_the_process_limit)
{
	/* Only the soft limit moves: raising the hard one needs CAP_SYS_RESOURCE. */
	struct rlimit rl = saved_memlock;
	uint64_t hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	struct dp_host_caps c;

	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	rl.rlim_cur = hard < (UINT64_C(12) << 20) ? hard / 2 + 4096 : UINT64_C(12) << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	c = caps_now();
	ck_assert_uint_eq(c.memlock_cur, rl.rlim_cur);
	ck_assert_uint_eq(c.memlock_max, hard);

	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	c = caps_now();
	ck_assert_uint_eq(c.memlock_cur, hard); /* UINT64_MAX for RLIM_INFINITY */
	ck_assert_uint_eq(c.memlock_max, hard);
}
END_TEST

START_TEST(caps_reject_a_struct_too_small_and_null)
{
	struct dp_host_caps c;
	const char *errs;

	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	memset(&c, 0xaa, sizeof(c));
	c.sz = sizeof(c) - 1;
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &c), -EINVAL);
	c.sz = 0;
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &c), -EINVAL);
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, NULL), -EINVAL);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_nonnull(strstr(errs, "BUG"));
	ck_assert_uint_eq(c.flags, 0xaaaaaaaau); /* nothing written */
	ck_assert_int_eq(dp_ctx_get_host_caps(NULL, &c), -EINVAL);
}
END_TEST

START_TEST(caps_for_a_newer_caller_zero_what_it_does_not_know)
{
	struct {
		struct dp_host_caps caps;
		uint8_t more[16];
	} big;

	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	memset(&big, 0xaa, sizeof(big));
	big.caps.sz = sizeof(big);
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &big.caps), 0);
	ck_assert_uint_eq(big.caps.sz, sizeof(big));
	ck_assert_uint_eq(big.caps.iommu_kind, DP_IOMMU_INTEL);
	for (size_t i = 0; i < sizeof(big.more); i++)
		ck_assert_uint_eq(big.more[i], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("caps");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, intel_iommu_with_interrupt_remapping);
	tcase_add_test(tc, intel_iommu_without_ecap_bit_3_does_not_remap);
	tcase_add_test(tc, any_dmar_unit_with_ecap_bit_3_remaps);
	tcase_add_test(tc, garbage_ecap_is_no_remapping_with_a_warning);
	tcase_add_test(tc, amd_iommu_remaps_when_interrupt_chips_say_ir);
	tcase_add_test(tc, amd_iommu_without_ir_chips_does_not_remap);
	tcase_add_test(tc, ir_chips_without_an_amd_iommu_are_not_remapping);
	tcase_add_test(tc, another_kind_of_iommu_is_other);
	tcase_add_test(tc, no_iommu_means_no_groups_and_no_remapping);
	tcase_add_test(tc, group_directories_alone_count_as_groups);
	tcase_add_test(tc, unsafe_interrupts_follow_the_module_parameter);
	tcase_add_test(tc, vfio_pci_is_there_when_its_driver_directory_is);
	tcase_add_test(tc, vfio_follows_dev_vfio_vfio);
	tcase_add_test(tc, kvm_is_api_12_when_dev_kvm_opens);
	tcase_add_test(tc, memlock_is_the_process_limit);
	tcase_add_test(tc, caps_reject_a_struct_too_small_and_null);
	tcase_add_test(tc, caps_for_a_newer_caller_zero_what_it_does_not_know);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
