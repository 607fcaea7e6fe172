/* SPDX-License-Identifier: MIT */
/*
 * The host inventory on synthetic /sys trees: what dp_ctx_scan lists, in
 * which order, and what it says of each function, including trees that lie.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_device *const SENTINEL = (struct dp_device *)0x1;

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;


static void make_ctx(void)
{
	ctx = dp_fakesys_ctx(fs);
}

static void setup_empty(void)
{
	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	make_ctx();
}

static void setup_preset(const char *name)
{
	setup_empty();
	ck_assert_int_eq(dp_fakesys_preset(fs, name), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
}

static void setup_basic(void)
{
	setup_preset("basic");
}

static void setup_noiommu(void)
{
	setup_preset("noiommu");
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
}

/* The scan's facts of one function. */
static struct dp_device_info info_of(const char *bdf)
{
	struct dp_device_info info = { .sz = sizeof(info) };
	struct dp_device *dev = NULL;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
	dp_device_unref(dev);
	return info;
}

/* A borrowed handle from the last scan. */
static struct dp_device *device(const char *bdf)
{
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *dev = dp_ctx_get_device(ctx, i);

		if (!strcmp(dp_device_get_bdf(dev), bdf))
			return dev;
	}
	ck_abort_msg("%s is not in the inventory", bdf);
	return NULL;
}

static const char *const basic_bdfs[DP_FAKE_BASIC_COUNT] = {
	"0000:00:00.0", "0000:00:14.0", "0000:00:1c.0", "0000:01:00.0",
	"0000:03:00.0", "0000:03:00.1", "0000:05:00.0", "0000:05:10.0",
};

/* ---- the basic preset ---- */

START_TEST(count_is_zero_before_the_first_scan)
{
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
	ck_assert_ptr_null(dp_ctx_get_device(ctx, 0));
}
END_TEST

START_TEST(scan_returns_the_number_of_functions)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), DP_FAKE_BASIC_COUNT);
}
END_TEST

START_TEST(scan_of_a_clean_tree_warns_about_nothing)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_msg(!dp_test_warned(), "warnings on a clean tree:\n%s", dp_test_log_all());
}
END_TEST

START_TEST(devices_come_in_bdf_order)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 0; i < DP_FAKE_BASIC_COUNT; i++) {
		struct dp_device *dev = dp_ctx_get_device(ctx, i);

		ck_assert_ptr_nonnull(dev);
		ck_assert_str_eq(dp_device_get_bdf(dev), basic_bdfs[i]);
		ck_assert_ptr_eq(dp_device_get_ctx(dev), ctx);
	}
	ck_assert_ptr_null(dp_ctx_get_device(ctx, DP_FAKE_BASIC_COUNT));
	ck_assert_ptr_null(dp_ctx_get_device(ctx, SIZE_MAX));
}
END_TEST

START_TEST(ids_class_and_address_come_from_config_space)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:03:00.1");
	ck_assert_uint_eq(i.sz, sizeof(i));
	ck_assert_uint_eq(i.domain, 0);
	ck_assert_uint_eq(i.bus, 3);
	ck_assert_uint_eq(i.dev, 0);
	ck_assert_uint_eq(i.func, 1);
	ck_assert_uint_eq(i.vendor_id, 0x8086);
	ck_assert_uint_eq(i.device_id, 0x10fb);
	ck_assert_uint_eq(i.subsystem_vendor_id, 0x8086);
	ck_assert_uint_eq(i.subsystem_id, 0x000c);
	ck_assert_uint_eq(i.class_code, 0x020000);
	ck_assert_uint_eq(i.revision, 0x01);
	ck_assert_uint_eq(i.header_type, 0);
	ck_assert_uint_eq(i.config_size, 4096);
	ck_assert_int_eq(i.numa_node, 0);

	i = info_of("0000:00:14.0");
	ck_assert_uint_eq(i.device_id, 0xa36d);
	ck_assert_uint_eq(i.subsystem_vendor_id, 0x1028);
	ck_assert_uint_eq(i.subsystem_id, 0x0869);
	ck_assert_uint_eq(i.class_code, 0x0c0330);
	ck_assert_uint_eq(i.revision, 0x10);
	ck_assert_uint_eq(i.config_size, 256);
	ck_assert_int_eq(i.numa_node, -1);
}
END_TEST

START_TEST(names_come_from_pci_ids)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_str_eq(dp_device_get_vendor_name(device("0000:03:00.0")),
			 "Intel Corporation");
	ck_assert_str_eq(dp_device_get_device_name(device("0000:03:00.0")),
			 "82599ES 10-Gigabit SFI/SFP+ Network Connection");
	ck_assert_str_eq(dp_device_get_vendor_name(device("0000:01:00.0")),
			 "NVIDIA Corporation");
}
END_TEST

START_TEST(find_device_accepts_full_and_short_bdf)
{
	struct dp_device *a = SENTINEL, *b = SENTINEL;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0000:03:00.0", &a), 0);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "03:00.0", &b), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_eq(a, device("0000:03:00.0"));
	ck_assert_str_eq(dp_device_get_bdf(a), "0000:03:00.0");
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0000:05:10.0", &b), 0);
	ck_assert_str_eq(dp_device_get_bdf(b), "0000:05:10.0");
	dp_device_unref(b);
	ck_assert_ptr_null(dp_device_unref(a));
	ck_assert_ptr_null(dp_device_unref(a));
	/* Each lookup took a reference; the inventory's handle is still there. */
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, 4)), "0000:03:00.0");
}
END_TEST

START_TEST(find_device_rejects_malformed_bdf_naming_it)
{
	static const char *const bad[] = {
		"0000:zz:00.0", "1:2:3.9", "", "0000:03:00.8", "03:20.0",
		"0000:03:00", "0000-03:00.0", "0000:03:00.0 ", " 03:00.0",
		"0000:03:0.00", NULL /* 64 characters */,
	};
	struct dp_device *dev = SENTINEL;
	char overlong[65];
	const char *errs;

	memset(overlong, '0', 64);
	overlong[64] = '\0';
	memcpy(overlong, "0000:03:00.0", 12);
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *s = bad[i] ? bad[i] : overlong;

		dp_test_log_expect_err();
		ck_assert_msg(dp_ctx_find_device(ctx, s, &dev) == -EINVAL,
			      "\"%s\" was accepted", s);
		errs = dp_test_log_expect_end();
		ck_assert_ptr_eq(dev, SENTINEL);
		if (bad[i] && bad[i][0])
			ck_assert_msg(strstr(errs, s), "message does not name \"%s\": %s",
				      s, errs);
	}
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, NULL, &dev), -EINVAL);
	dp_test_log_expect_end();
	ck_assert_ptr_eq(dev, SENTINEL);
}
END_TEST

START_TEST(find_device_absent_is_enodev_naming_it)
{
	struct dp_device *dev = SENTINEL;
	const char *errs;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0000:07:00.0", &dev), -ENODEV);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "03:00.2", &dev), -ENODEV);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0001:03:00.0", &dev), -ENODEV);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_eq(dev, SENTINEL);
	ck_assert_ptr_nonnull(strstr(errs, "0000:07:00.0"));
	ck_assert_ptr_nonnull(strstr(errs, "0000:03:00.2"));
}
END_TEST

START_TEST(find_device_scans_first_when_never_scanned)
{
	struct dp_device *dev = NULL;

	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "00:1c.0", &dev), 0);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_str_eq(dp_device_get_bdf(dev), "0000:00:1c.0");
	dp_device_unref(dev);
}
END_TEST

START_TEST(rescan_replaces_devices_and_held_references_keep_their_facts)
{
	struct dp_device *held = NULL, *now = NULL;
	struct dp_device_info i = { .sz = sizeof(i) };

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0000:03:00.1", &held), 0);

	/* The host changes: 03:00.1 moves to vfio-pci, a function appears. */
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../bus/pci/drivers/vfio-pci",
					    "devices/pci0000:00/0000:03:00.1/driver"), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:04:00.0", .vendor = 0x1af4, .device = 0x1041,
		.class_code = 0x020000, .group = 8 }), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT + 1);
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, 6)), "0000:04:00.0");

	ck_assert_int_eq(dp_ctx_find_device(ctx, "0000:03:00.1", &now), 0);
	ck_assert_ptr_ne(held, now);
	ck_assert_str_eq(dp_device_get_driver(now), "vfio-pci");
	ck_assert_str_eq(dp_device_get_bdf(held), "0000:03:00.1");
	ck_assert_str_eq(dp_device_get_driver(held), "ixgbe");
	ck_assert_int_eq(dp_device_get_info(held, &i), 0);
	ck_assert_uint_eq(i.device_id, 0x10fb);
	ck_assert_uint_eq(dp_device_get_group_size(held), 2);
	dp_device_unref(now);

	/* A held device keeps its context alive. */
	ctx = dp_ctx_unref(ctx);
	ck_assert_ptr_nonnull(dp_device_get_ctx(held));
	ck_assert_str_eq(dp_device_get_vendor_name(held), "Intel Corporation");
	ck_assert_ptr_null(dp_device_unref(held));
}
END_TEST

START_TEST(host_bridge_is_flagged_as_such_and_not_as_a_bridge)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:00:00.0");
	ck_assert(i.flags & DP_DEVICE_HOST_BRIDGE);
	ck_assert(!(i.flags & DP_DEVICE_BRIDGE));
	ck_assert(!(i.flags & DP_DEVICE_MULTIFUNCTION));
	ck_assert_uint_eq(i.header_type, 0);
	/* 0x0604 is a PCI-to-PCI bridge, not a host bridge. */
	i = info_of("0000:00:1c.0");
	ck_assert(!(i.flags & DP_DEVICE_HOST_BRIDGE));
}
END_TEST

START_TEST(pci_bridge_has_header_type_1_and_its_capabilities)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:00:1c.0");
	ck_assert_uint_eq(i.header_type, 1);
	ck_assert_uint_eq(i.class_code, 0x060400);
	ck_assert_uint_eq(i.flags & (DP_DEVICE_BRIDGE | DP_DEVICE_PCIE | DP_DEVICE_PM |
				     DP_DEVICE_MSI | DP_DEVICE_ACS | DP_DEVICE_MSIX |
				     DP_DEVICE_FLR),
			  DP_DEVICE_BRIDGE | DP_DEVICE_PCIE | DP_DEVICE_PM |
				  DP_DEVICE_MSI | DP_DEVICE_ACS);
	ck_assert_uint_eq(i.config_size, 4096);
}
END_TEST

START_TEST(boot_vga_is_flagged_with_its_rom)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:01:00.0");
	ck_assert(i.flags & DP_DEVICE_BOOT_VGA);
	ck_assert(i.flags & DP_DEVICE_ROM);
	ck_assert_uint_eq(i.rom_size, 0x80000);
	for (size_t n = 0; n < DP_FAKE_BASIC_COUNT; n++)
		if (strcmp(basic_bdfs[n], "0000:01:00.0"))
			ck_assert_msg(!(info_of(basic_bdfs[n]).flags & DP_DEVICE_BOOT_VGA),
				      "%s flagged boot VGA", basic_bdfs[n]);
	i = info_of("0000:00:14.0");
	ck_assert(!(i.flags & DP_DEVICE_ROM));
	ck_assert_uint_eq(i.rom_size, 0);
}
END_TEST

START_TEST(nic_capabilities_come_from_its_capability_list)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:03:00.0");
	ck_assert_uint_eq(i.flags & ~(uint64_t)DP_DEVICE_ROM,
			  DP_DEVICE_MULTIFUNCTION | DP_DEVICE_PCIE | DP_DEVICE_FLR |
				  DP_DEVICE_PM | DP_DEVICE_MSI | DP_DEVICE_MSIX);
	ck_assert_uint_eq(i.msi_vectors, 1);
	ck_assert_uint_eq(i.msix_table_size, 64);
	ck_assert_uint_eq(i.msix_table_bir, 4);
	ck_assert_uint_eq(i.msix_table_offset, 0);
	ck_assert_uint_eq(i.msix_pba_bir, 4);
	ck_assert_uint_eq(i.msix_pba_offset, 0x2000);

	/* USB: PM and 8-vector MSI, no PCIe, no MSI-X. */
	i = info_of("0000:00:14.0");
	ck_assert_uint_eq(i.flags, DP_DEVICE_PM | DP_DEVICE_MSI);
	ck_assert_uint_eq(i.msi_vectors, 8);
	ck_assert_uint_eq(i.msix_table_size, 0);
}
END_TEST

START_TEST(bars_have_the_sizes_and_kinds_of_the_resource_file)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:03:00.0");
	ck_assert_uint_eq(i.bar_size[0], 0x80000);
	ck_assert_uint_eq(i.bar_flags[0], DP_BAR_PRESENT | DP_BAR_MEM64);
	ck_assert_uint_eq(i.bar_size[1], 0); /* BAR 0's upper half */
	ck_assert_uint_eq(i.bar_flags[1], 0);
	ck_assert_uint_eq(i.bar_size[2], 0x20);
	ck_assert_uint_eq(i.bar_flags[2], DP_BAR_PRESENT | DP_BAR_IO);
	ck_assert_uint_eq(i.bar_size[3], 0);
	ck_assert_uint_eq(i.bar_flags[3], 0);
	ck_assert_uint_eq(i.bar_size[4], 0x4000);
	ck_assert_uint_eq(i.bar_flags[4], DP_BAR_PRESENT | DP_BAR_MEM64);
	ck_assert_uint_eq(i.bar_flags[5], 0);

	i = info_of("0000:01:00.0");
	ck_assert_uint_eq(i.bar_size[0], 0x1000000);
	ck_assert_uint_eq(i.bar_flags[0], DP_BAR_PRESENT);
	ck_assert_uint_eq(i.bar_size[1], 0x10000000);
	ck_assert_uint_eq(i.bar_flags[1], DP_BAR_PRESENT | DP_BAR_MEM64 | DP_BAR_PREFETCH);
	ck_assert_uint_eq(i.bar_size[3], 0x2000000);
	ck_assert_uint_eq(i.bar_flags[3], DP_BAR_PRESENT | DP_BAR_MEM64 | DP_BAR_PREFETCH);
	ck_assert_uint_eq(i.bar_size[5], 0x80);
	ck_assert_uint_eq(i.bar_flags[5], DP_BAR_PRESENT | DP_BAR_IO);

	i = info_of("0000:00:00.0");
	for (int b = 0; b < 6; b++) {
		ck_assert_uint_eq(i.bar_size[b], 0);
		ck_assert_uint_eq(i.bar_flags[b], 0);
	}
}
END_TEST

START_TEST(sriov_pf_and_vf_know_each_other)
{
	struct dp_device_info i;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	i = info_of("0000:05:00.0");
	ck_assert(i.flags & DP_DEVICE_SRIOV_PF);
	ck_assert(!(i.flags & DP_DEVICE_SRIOV_VF));
	ck_assert_uint_eq(i.sriov_total_vfs, 7);
	ck_assert_uint_eq(i.sriov_num_vfs, 1);
	ck_assert_ptr_null(dp_device_get_physfn(device("0000:05:00.0")));

	i = info_of("0000:05:10.0");
	ck_assert(i.flags & DP_DEVICE_SRIOV_VF);
	ck_assert(!(i.flags & DP_DEVICE_SRIOV_PF));
	ck_assert_uint_eq(i.sriov_total_vfs, 0);
	ck_assert_str_eq(dp_device_get_physfn(device("0000:05:10.0")), "0000:05:00.0");

	i = info_of("0000:03:00.0");
	ck_assert(!(i.flags & (DP_DEVICE_SRIOV_PF | DP_DEVICE_SRIOV_VF)));
}
END_TEST

START_TEST(group_members_are_listed_in_bdf_order_device_included)
{
	struct dp_device *nic, *usb;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	nic = device("0000:03:00.1");
	ck_assert_int_eq(info_of("0000:03:00.1").iommu_group, 7);
	ck_assert_uint_eq(dp_device_get_group_size(nic), 2);
	ck_assert_str_eq(dp_device_get_group_member(nic, 0), "0000:03:00.0");
	ck_assert_str_eq(dp_device_get_group_member(nic, 1), "0000:03:00.1");
	ck_assert_ptr_null(dp_device_get_group_member(nic, 2));

	usb = device("0000:00:14.0");
	ck_assert_int_eq(info_of("0000:00:14.0").iommu_group, 3);
	ck_assert_uint_eq(dp_device_get_group_size(usb), 1);
	ck_assert_str_eq(dp_device_get_group_member(usb, 0), "0000:00:14.0");
	ck_assert_int_eq(info_of("0000:01:00.0").iommu_group, 1);
	ck_assert_int_eq(info_of("0000:05:10.0").iommu_group, 11);
}
END_TEST

START_TEST(driver_override_and_reset_methods_are_read)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_str_eq(dp_device_get_driver(device("0000:03:00.0")), "ixgbe");
	ck_assert_str_eq(dp_device_get_driver(device("0000:00:14.0")), "xhci_hcd");
	ck_assert_ptr_null(dp_device_get_driver(device("0000:00:00.0")));
	ck_assert_ptr_null(dp_device_get_driver_override(device("0000:03:00.0")));
	ck_assert_str_eq(dp_device_get_reset_methods(device("0000:03:00.0")), "flr bus");
	ck_assert_str_eq(dp_device_get_reset_methods(device("0000:05:10.0")), "flr");
	/* No reset_method file: a kernel that does not say. */
	ck_assert_ptr_null(dp_device_get_reset_methods(device("0000:00:00.0")));
	ck_assert_int_eq(dp_device_is_marked(device("0000:03:00.0")), 0);
}
END_TEST

START_TEST(info_rejects_a_struct_too_small)
{
	struct dp_device_info i;
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dev = device("0000:03:00.0");
	memset(&i, 0xaa, sizeof(i));
	i.sz = 0;
	ck_assert_int_eq(dp_device_get_info(dev, &i), -EINVAL);
	i.sz = sizeof(size_t);
	ck_assert_int_eq(dp_device_get_info(dev, &i), -EINVAL);
	i.sz = sizeof(i) - 1;
	ck_assert_int_eq(dp_device_get_info(dev, &i), -EINVAL);
	ck_assert_uint_eq(i.flags, UINT64_C(0xaaaaaaaaaaaaaaaa)); /* nothing written */
	ck_assert_int_eq(dp_device_get_info(dev, NULL), -EINVAL);
	ck_assert_int_eq(dp_device_get_info(NULL, &i), -EINVAL);
}
END_TEST

START_TEST(info_for_a_newer_caller_zeroes_what_it_does_not_know)
{
	struct {
		struct dp_device_info info;
		uint8_t more[24];
	} big;

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	memset(&big, 0xaa, sizeof(big));
	big.info.sz = sizeof(big);
	ck_assert_int_eq(dp_device_get_info(device("0000:03:00.0"), &big.info), 0);
	ck_assert_uint_eq(big.info.sz, sizeof(big));
	ck_assert_uint_eq(big.info.device_id, 0x10fb);
	for (size_t n = 0; n < sizeof(big.more); n++)
		ck_assert_uint_eq(big.more[n], 0);
}
END_TEST

START_TEST(null_arguments_are_refused_or_empty)
{
	struct dp_device *dev = SENTINEL;

	ck_assert_int_eq(dp_ctx_scan(NULL), -EINVAL);
	ck_assert_uint_eq(dp_ctx_get_device_count(NULL), 0);
	ck_assert_ptr_null(dp_ctx_get_device(NULL, 0));
	ck_assert_int_eq(dp_ctx_find_device(NULL, "03:00.0", &dev), -EINVAL);
	ck_assert_ptr_eq(dev, SENTINEL);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, "03:00.0", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "BUG"));
	ck_assert_ptr_null(dp_device_ref(NULL));
	ck_assert_ptr_null(dp_device_unref(NULL));
	ck_assert_ptr_null(dp_device_get_ctx(NULL));
	ck_assert_ptr_null(dp_device_get_bdf(NULL));
	ck_assert_ptr_null(dp_device_get_vendor_name(NULL));
	ck_assert_ptr_null(dp_device_get_device_name(NULL));
	ck_assert_ptr_null(dp_device_get_driver(NULL));
	ck_assert_ptr_null(dp_device_get_driver_override(NULL));
	ck_assert_ptr_null(dp_device_get_reset_methods(NULL));
	ck_assert_ptr_null(dp_device_get_physfn(NULL));
	ck_assert_int_eq(dp_device_is_marked(NULL), 0);
	ck_assert_uint_eq(dp_device_get_group_size(NULL), 0);
	ck_assert_ptr_null(dp_device_get_group_member(NULL, 0));
}
END_TEST

/* ---- without an IOMMU ---- */

START_TEST(without_iommu_no_device_has_a_group)
{
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t n = 0; n < DP_FAKE_BASIC_COUNT; n++) {
		struct dp_device *dev = dp_ctx_get_device(ctx, n);

		ck_assert_int_eq(info_of(basic_bdfs[n]).iommu_group, -1);
		ck_assert_uint_eq(dp_device_get_group_size(dev), 0);
		ck_assert_ptr_null(dp_device_get_group_member(dev, 0));
	}
	ck_assert_msg(!dp_test_warned(), "warnings:\n%s", dp_test_log_all());
}
END_TEST

/* ---- hostile and unusual trees ---- */

/* A host bridge, so that no tree is a single function. */
static void add_host_bridge(void)
{
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:00:00.0", .vendor = 0x8086, .device = 0x29c0,
		.class_code = 0x060000, .group = 1 }), 0);
}

static void add_and_scan(const struct dp_fake_dev *d)
{
	add_host_bridge();
	ck_assert_int_eq(dp_fakesys_add(fs, d), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), 2);
}

START_TEST(config_shorter_than_the_header_is_listed_with_ids_from_sysfs)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10d3,
		.subsystem_vendor = 0x8086, .subsystem_device = 0xa01f,
		.class_code = 0x020000, .revision = 0x02, .group = 2,
		.caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_MSIX, .config_size = 40 });
	i = info_of("0000:02:00.0");
	ck_assert(i.flags & DP_DEVICE_CONFIG_SHORT);
	ck_assert_uint_eq(i.config_size, 40);
	ck_assert(i.flags & DP_DEVICE_CONFIG_UNREADABLE); /* unknown, so never eligible */
	ck_assert_uint_eq(i.vendor_id, 0x8086);
	ck_assert_uint_eq(i.device_id, 0x10d3);
	ck_assert_uint_eq(i.subsystem_vendor_id, 0x8086);
	ck_assert_uint_eq(i.subsystem_id, 0xa01f);
	ck_assert_uint_eq(i.class_code, 0x020000);
	ck_assert_uint_eq(i.revision, 0x02);
	ck_assert(!(i.flags & (DP_DEVICE_PCIE | DP_DEVICE_MSIX)));
	ck_assert_int_eq(i.iommu_group, 2);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "config"), "%s", dp_test_log_all());
	ck_assert(!(info_of("0000:00:00.0").flags &
		    (DP_DEVICE_CONFIG_SHORT | DP_DEVICE_CONFIG_UNREADABLE)));
	ck_assert(!(i.flags & (DP_DEVICE_BRIDGE | DP_DEVICE_HOST_BRIDGE)));
}
END_TEST

START_TEST(a_bridge_with_unreadable_config_is_a_bridge_by_its_sysfs_class)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:00:01.0", .vendor = 0x8086, .device = 0x1901,
		.class_code = 0x060400, .header_type = 1, .secondary_bus = 1, .group = 2,
		.caps = DP_FAKE_CAP_PCIE, .config_size = 32 });
	i = info_of("0000:00:01.0");
	ck_assert_uint_eq(i.config_size, 32);
	ck_assert_uint_eq(i.class_code, 0x060400);
	ck_assert(i.flags & DP_DEVICE_CONFIG_UNREADABLE);
	ck_assert(i.flags & DP_DEVICE_BRIDGE);
	ck_assert(!(i.flags & DP_DEVICE_HOST_BRIDGE));
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:00:01.0", "config space unreadable (32 bytes read)"),
		      "%s", dp_test_log_all());
}
END_TEST

START_TEST(a_failed_config_read_is_logged_and_flagged_unreadable)
{
	char path[PATH_MAX];
	struct dp_device_info i;

	add_host_bridge();
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .caps = DP_FAKE_CAP_FLR,
		.attrs = (const struct dp_fake_attr[]){ { "config", NULL }, { NULL, NULL } } }), 0);
	/* A config "file" whose every read fails (EISDIR): not a short read, an error. */
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:02:00.0/config",
		 dp_fakesys_root(fs));
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), 2);
	i = info_of("0000:02:00.0");
	ck_assert(i.flags & DP_DEVICE_CONFIG_UNREADABLE);
	ck_assert_uint_eq(i.config_size, 0);
	ck_assert_uint_eq(i.vendor_id, 0x8086); /* from sysfs */
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", strerror(EISDIR)), "%s",
		      dp_test_log_all());
}
END_TEST

START_TEST(config_of_the_header_alone_keeps_the_header_facts)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:00:01.0", .vendor = 0x8086, .device = 0x1901,
		.class_code = 0x060400, .header_type = 1, .multifunction = true,
		.secondary_bus = 1, .group = 2, .caps = DP_FAKE_CAP_PCIE,
		.config_size = 64 });
	i = info_of("0000:00:01.0");
	ck_assert_uint_eq(i.config_size, 64);
	ck_assert(i.flags & DP_DEVICE_CONFIG_SHORT);
	ck_assert(!(i.flags & DP_DEVICE_CONFIG_UNREADABLE)); /* what non-root readers get */
	ck_assert(i.flags & DP_DEVICE_BRIDGE);
	ck_assert(i.flags & DP_DEVICE_MULTIFUNCTION);
	ck_assert_uint_eq(i.header_type, 1);
	ck_assert_uint_eq(i.device_id, 0x1901);
	ck_assert(!(i.flags & DP_DEVICE_PCIE)); /* past what could be read */
}
END_TEST

static void check_loop(uint32_t loop)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2,
		.caps = DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI | DP_FAKE_CAP_MSIX |
			DP_FAKE_CAP_FLR | loop,
		.msix_table_size = 16 });
	i = info_of("0000:02:00.0");
	/* The walk stopped, and kept every capability it met before the loop. */
	ck_assert_uint_eq(i.flags & (DP_DEVICE_PM | DP_DEVICE_MSI | DP_DEVICE_MSIX |
				     DP_DEVICE_PCIE | DP_DEVICE_FLR),
			  DP_DEVICE_PM | DP_DEVICE_MSI | DP_DEVICE_MSIX |
				  DP_DEVICE_PCIE | DP_DEVICE_FLR);
	ck_assert_uint_eq(i.msix_table_size, 16);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "loop"), "%s", dp_test_log_all());
}

START_TEST(capability_pointing_at_itself_ends_the_walk_with_a_warning)
{
	check_loop(DP_FAKE_CAP_LOOP_SELF);
}
END_TEST

START_TEST(capability_pointing_back_ends_the_walk_with_a_warning)
{
	check_loop(DP_FAKE_CAP_LOOP_BACK);
}
END_TEST

START_TEST(looping_extended_capabilities_end_the_walk_with_a_warning)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2,
		.caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_ACS | DP_FAKE_CAP_EXT_LOOP });
	i = info_of("0000:02:00.0");
	ck_assert(i.flags & DP_DEVICE_ACS);
	ck_assert(i.flags & DP_DEVICE_PCIE);
	ck_assert_uint_eq(i.config_size, 4096);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "loop"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(missing_iommu_group_link_is_group_minus_one)
{
	struct dp_device *dev;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 0 });
	dev = device("0000:02:00.0");
	ck_assert_int_eq(info_of("0000:02:00.0").iommu_group, -1);
	ck_assert_uint_eq(dp_device_get_group_size(dev), 0);
	ck_assert_ptr_null(dp_device_get_group_member(dev, 0));
	ck_assert_int_eq(info_of("0000:00:00.0").iommu_group, 1);
}
END_TEST

START_TEST(garbage_numa_node_is_unknown_with_a_warning)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .numa_node = 1,
		.attrs = (const struct dp_fake_attr[]){
			{ "numa_node", "one and a half\n" }, { NULL, NULL } } });
	i = info_of("0000:02:00.0");
	ck_assert_int_eq(i.numa_node, -1);
	ck_assert_uint_eq(i.device_id, 0x10fb);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "numa_node"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(garbage_ids_in_sysfs_are_unknown_when_config_is_short)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .config_size = 16,
		.attrs = (const struct dp_fake_attr[]){
			{ "vendor", "0xzzzz\n" }, { "class", "network\n" },
			{ NULL, NULL } } });
	i = info_of("0000:02:00.0");
	ck_assert(i.flags & DP_DEVICE_CONFIG_SHORT);
	ck_assert_uint_eq(i.vendor_id, 0);
	ck_assert_uint_eq(i.class_code, 0);
	ck_assert_uint_eq(i.device_id, 0x10fb);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "vendor"), "%s", dp_test_log_all());
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "class"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(garbage_ids_in_sysfs_yield_to_config_space_with_a_warning)
{
	struct dp_device_info i;

	/* The kernel's copies of the IDs: config space wins, and the disagreement is told. */
	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2,
		.attrs = (const struct dp_fake_attr[]){
			{ "vendor", "0xzzzz\n" }, { "class", "network\n" },
			{ NULL, NULL } } });
	i = info_of("0000:02:00.0");
	ck_assert(!(i.flags & DP_DEVICE_CONFIG_SHORT));
	ck_assert_uint_eq(i.vendor_id, 0x8086);
	ck_assert_uint_eq(i.class_code, 0x020000);
	ck_assert_uint_eq(i.device_id, 0x10fb);
	ck_assert_int_eq(i.iommu_group, 2);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "vendor"), "%s", dp_test_log_all());
	ck_assert_msg(dp_test_logged(LOG_WARNING, "0000:02:00.0", "class"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(driver_link_to_a_missing_driver_still_names_it)
{
	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .driver = "ghost",
		.driver_dangling = true });
	ck_assert_str_eq(dp_device_get_driver(device("0000:02:00.0")), "ghost");
	ck_assert_uint_eq(info_of("0000:02:00.0").vendor_id, 0x8086);
}
END_TEST

START_TEST(driver_override_set_is_reported)
{
	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .driver_override = "vfio-pci" });
	ck_assert_str_eq(dp_device_get_driver_override(device("0000:02:00.0")),
			 "vfio-pci");
	ck_assert_ptr_null(dp_device_get_driver(device("0000:02:00.0")));
}
END_TEST

START_TEST(empty_reset_method_is_an_empty_list)
{
	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2, .reset_method = "" });
	ck_assert_str_eq(dp_device_get_reset_methods(device("0000:02:00.0")), "");
}
END_TEST

START_TEST(pm_no_soft_reset_and_the_largest_msi_and_msix)
{
	struct dp_device_info i;

	add_and_scan(&(struct dp_fake_dev){
		.bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 2,
		.caps = DP_FAKE_CAP_PM_NO_SOFT_RESET | DP_FAKE_CAP_MSI | DP_FAKE_CAP_MSIX,
		.msi_vectors = 32, .msix_table_size = 2048, .msix_table_bir = 2,
		.msix_table_offset = 0x10000, .msix_pba_bir = 5, .msix_pba_offset = 0x8 });
	i = info_of("0000:02:00.0");
	ck_assert_uint_eq(i.flags, DP_DEVICE_PM | DP_DEVICE_PM_NO_SOFT_RESET |
					   DP_DEVICE_MSI | DP_DEVICE_MSIX);
	ck_assert_uint_eq(i.msi_vectors, 32);
	ck_assert_uint_eq(i.msix_table_size, 2048);
	ck_assert_uint_eq(i.msix_table_bir, 2);
	ck_assert_uint_eq(i.msix_table_offset, 0x10000);
	ck_assert_uint_eq(i.msix_pba_bir, 5);
	ck_assert_uint_eq(i.msix_pba_offset, 0x8);
}
END_TEST

START_TEST(other_domains_sort_after_domain_zero)
{
	struct dp_device *dev = NULL;

	add_host_bridge();
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0001:00:00.0", .vendor = 0x8086, .device = 0x29c0,
		.class_code = 0x060000, .group = 5 }), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:80:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 6 }), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), 3);
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, 0)), "0000:00:00.0");
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, 1)), "0000:80:00.0");
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, 2)), "0001:00:00.0");
	ck_assert_int_eq(dp_ctx_find_device(ctx, "0001:00:00.0", &dev), 0);
	ck_assert_uint_eq(info_of("0001:00:00.0").domain, 1);
	dp_device_unref(dev);
	/* The short form is domain 0. */
	ck_assert_int_eq(dp_ctx_find_device(ctx, "00:00.0", &dev), 0);
	ck_assert_str_eq(dp_device_get_bdf(dev), "0000:00:00.0");
	dp_device_unref(dev);
}
END_TEST

START_TEST(five_digit_domains_sort_and_are_found_as_numbers)
{
	static const char *const spellings[] = {
		DP_FAKE_VMD_HIGH, "0010000:00:00.0", "00010000:00:00.0",
	};
	struct dp_device *dev = SENTINEL;
	const char *errs;

	ck_assert_int_eq(dp_fakesys_preset(fs, "vmd"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_VMD_COUNT);
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, DP_FAKE_BASIC_COUNT)),
			 DP_FAKE_VMD_LOW);
	ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, DP_FAKE_BASIC_COUNT + 1)),
			 DP_FAKE_VMD_HIGH);
	/* Every function listed is found, by the address it is listed under. */
	for (size_t k = 0; k < DP_FAKE_VMD_COUNT; k++) {
		const char *bdf = dp_device_get_bdf(dp_ctx_get_device(ctx, k));

		ck_assert_msg(dp_ctx_find_device(ctx, bdf, &dev) == 0, "%s not found", bdf);
		ck_assert_ptr_eq(dev, dp_ctx_get_device(ctx, k));
		dp_device_unref(dev);
	}
	for (size_t k = 0; k < sizeof(spellings) / sizeof(spellings[0]); k++) {
		ck_assert_int_eq(dp_ctx_find_device(ctx, spellings[k], &dev), 0);
		ck_assert_str_eq(dp_device_get_bdf(dev), DP_FAKE_VMD_HIGH);
		dp_device_unref(dev);
	}
	ck_assert_uint_eq(info_of(DP_FAKE_VMD_HIGH).domain, 0x10000);
	ck_assert_uint_eq(dp_device_get_group_size(device(DP_FAKE_VMD_HIGH)), 1);
	ck_assert_str_eq(dp_device_get_group_member(device(DP_FAKE_VMD_HIGH), 0), DP_FAKE_VMD_HIGH);
	dev = SENTINEL;
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, "10000:01:00.0", &dev), -ENODEV);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_eq(dev, SENTINEL);
	ck_assert_ptr_nonnull(strstr(errs, "10000:01:00.0: no such PCI function"));
}
END_TEST

START_TEST(find_device_escapes_control_characters_of_what_it_quotes)
{
	struct dp_device *dev = SENTINEL;
	const char *errs;
	char longer[200];

	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, "\x1b]0;owned\a03:00.0\x7f\xc3\xa9", &dev), -EINVAL);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_eq(dev, SENTINEL);
	ck_assert_msg(strstr(errs, "\"\\x1b]0;owned\\x0703:00.0\\x7f\\xc3\\xa9\" is not a PCI address"),
		      "%s", errs);
	for (const char *p = errs; *p; p++)
		ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p < 0x7f), "raw byte %#x in: %s",
			      (unsigned char)*p, errs);
	/* A long one is cut, and says so. */
	memset(longer, '\x1b', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_ctx_find_device(ctx, longer, &dev), -EINVAL);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_null(strchr(errs, '\x1b'));
	ck_assert_ptr_nonnull(strstr(errs, "\\x1b...\" is not a PCI address"));
}
END_TEST

/* ---- dp_bdf_parse ---- */

START_TEST(bdf_parse_splits_full_and_short_forms)
{
	uint32_t domain = 7;
	uint8_t bus = 7, dev = 7, func = 7;

	ck_assert_int_eq(dp_bdf_parse("0000:03:1f.7", &domain, &bus, &dev, &func), 0);
	ck_assert_uint_eq(domain, 0);
	ck_assert_uint_eq(bus, 3);
	ck_assert_uint_eq(dev, 0x1f);
	ck_assert_uint_eq(func, 7);
	ck_assert_int_eq(dp_bdf_parse("ab:00.1", &domain, &bus, &dev, &func), 0);
	ck_assert_uint_eq(domain, 0);
	ck_assert_uint_eq(bus, 0xab);
	ck_assert_uint_eq(dev, 0);
	ck_assert_uint_eq(func, 1);
	ck_assert_int_eq(dp_bdf_parse("10000:ff:00.0", &domain, &bus, NULL, NULL), 0);
	ck_assert_uint_eq(domain, 0x10000);
	ck_assert_uint_eq(bus, 0xff);
	ck_assert_int_eq(dp_bdf_parse("0000:03:00.0", NULL, NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(bdf_parse_rejects_malformed_and_leaves_outputs)
{
	static const char *const bad[] = {
		"0000:zz:00.0", "1:2:3.9", "", "0000:03:00.8", "03:20.0",
		"0000:03:00", "03:00", "0000:03:00.0\n", "0x00:03:00.0",
		"000000000:03:00.0", "0000:03:00.0.0", "-000:03:00.0",
		"0000:03:00.0000000000000000000000000000000000000000000000000000",
	};
	uint32_t domain = 7;
	uint8_t bus = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dp_bdf_parse(bad[i], &domain, &bus, NULL, NULL) == -EINVAL,
			      "\"%s\" was accepted", bad[i]);
	ck_assert_int_eq(dp_bdf_parse(NULL, &domain, &bus, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(domain, 7);
	ck_assert_uint_eq(bus, 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("inventory");
	TCase *basic = tcase_create("basic");
	TCase *noiommu = tcase_create("noiommu");
	TCase *hostile = tcase_create("hostile");
	TCase *bdf = tcase_create("bdf");

	dp_fakesys_enter_namespace();

	tcase_add_checked_fixture(basic, setup_basic, teardown);
	tcase_add_test(basic, count_is_zero_before_the_first_scan);
	tcase_add_test(basic, scan_returns_the_number_of_functions);
	tcase_add_test(basic, scan_of_a_clean_tree_warns_about_nothing);
	tcase_add_test(basic, devices_come_in_bdf_order);
	tcase_add_test(basic, ids_class_and_address_come_from_config_space);
	tcase_add_test(basic, names_come_from_pci_ids);
	tcase_add_test(basic, find_device_accepts_full_and_short_bdf);
	tcase_add_test(basic, find_device_rejects_malformed_bdf_naming_it);
	tcase_add_test(basic, find_device_absent_is_enodev_naming_it);
	tcase_add_test(basic, find_device_escapes_control_characters_of_what_it_quotes);
	tcase_add_test(basic, find_device_scans_first_when_never_scanned);
	tcase_add_test(basic, rescan_replaces_devices_and_held_references_keep_their_facts);
	tcase_add_test(basic, host_bridge_is_flagged_as_such_and_not_as_a_bridge);
	tcase_add_test(basic, pci_bridge_has_header_type_1_and_its_capabilities);
	tcase_add_test(basic, boot_vga_is_flagged_with_its_rom);
	tcase_add_test(basic, nic_capabilities_come_from_its_capability_list);
	tcase_add_test(basic, bars_have_the_sizes_and_kinds_of_the_resource_file);
	tcase_add_test(basic, sriov_pf_and_vf_know_each_other);
	tcase_add_test(basic, group_members_are_listed_in_bdf_order_device_included);
	tcase_add_test(basic, driver_override_and_reset_methods_are_read);
	tcase_add_test(basic, info_rejects_a_struct_too_small);
	tcase_add_test(basic, info_for_a_newer_caller_zeroes_what_it_does_not_know);
	tcase_add_test(basic, null_arguments_are_refused_or_empty);
	suite_add_tcase(s, basic);

	tcase_add_checked_fixture(noiommu, setup_noiommu, teardown);
	tcase_add_test(noiommu, without_iommu_no_device_has_a_group);
	suite_add_tcase(s, noiommu);

	tcase_add_checked_fixture(hostile, setup_empty, teardown);
	tcase_add_test(hostile, config_shorter_than_the_header_is_listed_with_ids_from_sysfs);
	tcase_add_test(hostile, config_of_the_header_alone_keeps_the_header_facts);
	tcase_add_test(hostile, capability_pointing_at_itself_ends_the_walk_with_a_warning);
	tcase_add_test(hostile, capability_pointing_back_ends_the_walk_with_a_warning);
	tcase_add_test(hostile, looping_extended_capabilities_end_the_walk_with_a_warning);
	tcase_add_test(hostile, missing_iommu_group_link_is_group_minus_one);
	tcase_add_test(hostile, garbage_numa_node_is_unknown_with_a_warning);
	tcase_add_test(hostile, garbage_ids_in_sysfs_are_unknown_when_config_is_short);
	tcase_add_test(hostile, garbage_ids_in_sysfs_yield_to_config_space_with_a_warning);
	tcase_add_test(hostile, driver_link_to_a_missing_driver_still_names_it);
	tcase_add_test(hostile, driver_override_set_is_reported);
	tcase_add_test(hostile, empty_reset_method_is_an_empty_list);
	tcase_add_test(hostile, pm_no_soft_reset_and_the_largest_msi_and_msix);
	tcase_add_test(hostile, other_domains_sort_after_domain_zero);
	tcase_add_test(hostile, five_digit_domains_sort_and_are_found_as_numbers);
	tcase_add_test(hostile, a_bridge_with_unreadable_config_is_a_bridge_by_its_sysfs_class);
	tcase_add_test(hostile, a_failed_config_read_is_logged_and_flagged_unreadable);
	suite_add_tcase(s, hostile);

	tcase_add_test(bdf, bdf_parse_splits_full_and_short_forms);
	tcase_add_test(bdf, bdf_parse_rejects_malformed_and_leaves_outputs);
	suite_add_tcase(s, bdf);

	return dp_test_run(s);
}
