/* SPDX-License-Identifier: MIT */
/*
 * A context keeps giving the same answers however it read them: a scan that
 * leaves names, driver_override and reset_method for later answers every
 * getter, for every function of the synthetic trees, as a scan that read
 * them at once; pci.ids is read once per context, and only for a name; and
 * the refresh dp_attach makes (the VM's functions, their groups, the host's
 * capabilities, no pci.ids) leaves what the policy reads as a scan would.
 * White-box: the eager scan and the refresh are internal.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "inventory.h"
#include "pciids.h"
#include "policycheck.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_fakesys *fs;

static void setup(void)
{
	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
}

static void teardown(void)
{
	dp_fakesys_free(fs);
	fs = NULL;
}

static void preset(const char *name)
{
	ck_assert_int_eq(dp_fakesys_preset(fs, name), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

#define ASSERT_SAME_STR(what, a, b, bdf)                                              \
	ck_assert_msg(same_str((a), (b)), "%s: %s \"%s\" here, \"%s\" there", (bdf), (what), \
		      (a) ? (a) : "(null)", (b) ? (b) : "(null)")

/* Every getter of the public API says the same of a as of b; a's lazy facts are asked for first. */
static void assert_same_device(const struct dp_device *a, const struct dp_device *b)
{
	struct dp_device_info ia, ib;
	const char *bdf = dp_device_get_bdf(b);

	ASSERT_SAME_STR("device name", dp_device_get_device_name(a), dp_device_get_device_name(b), bdf);
	ASSERT_SAME_STR("reset methods", dp_device_get_reset_methods(a),
			dp_device_get_reset_methods(b), bdf);
	ASSERT_SAME_STR("vendor name", dp_device_get_vendor_name(a), dp_device_get_vendor_name(b), bdf);
	ASSERT_SAME_STR("driver override", dp_device_get_driver_override(a),
			dp_device_get_driver_override(b), bdf);
	ASSERT_SAME_STR("BDF", dp_device_get_bdf(a), bdf, bdf);
	ASSERT_SAME_STR("driver", dp_device_get_driver(a), dp_device_get_driver(b), bdf);
	ASSERT_SAME_STR("physfn", dp_device_get_physfn(a), dp_device_get_physfn(b), bdf);
	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0x55, sizeof(ib));
	ia.sz = ib.sz = sizeof(ia);
	ck_assert_int_eq(dp_device_get_info(a, &ia), 0);
	ck_assert_int_eq(dp_device_get_info(b, &ib), 0);
	ck_assert_msg(memcmp(&ia, &ib, sizeof(ia)) == 0, "%s: dp_device_info differs", bdf);
	ck_assert_int_eq(dp_device_is_marked(a), dp_device_is_marked(b));
	ck_assert_uint_eq(dp_device_get_group_size(a), dp_device_get_group_size(b));
	for (size_t m = 0; m < dp_device_get_group_size(b); m++)
		ASSERT_SAME_STR("group member", dp_device_get_group_member(a, m),
				dp_device_get_group_member(b, m), bdf);
}

/*
 * A lazy scan and an eager one of the mounted tree, compared function by
 * function, the lazy one asked in reverse order; returns the count.
 */
static int compare_lazy_with_full(void)
{
	struct dp_ctx *lazy = dp_fakesys_ctx(fs), *full = dp_fakesys_ctx(fs);
	int n = dp_inventory_scan(full, DP_SCAN_EAGER);

	ck_assert_int_ge(n, 1);
	ck_assert_int_eq(dp_ctx_scan(lazy), n);
	ck_assert_uint_eq(dp_pciids_loads(full), 1);
	/* Nothing lazy was read by the scan: no pci.ids, no lazy attribute. */
	ck_assert_uint_eq(dp_pciids_loads(lazy), 0);
	for (size_t i = 0; i < (size_t)n; i++)
		ck_assert_uint_eq(dp_ctx_get_device(lazy, i)->loaded, 0);
	for (size_t i = (size_t)n; i-- > 0;)
		assert_same_device(dp_ctx_get_device(lazy, i), dp_ctx_get_device(full, i));
	ck_assert_uint_eq(dp_pciids_loads(lazy), 1);
	/* Asked again, in order: the answers given stand. */
	for (size_t i = 0; i < (size_t)n; i++)
		assert_same_device(dp_ctx_get_device(lazy, i), dp_ctx_get_device(full, i));
	ck_assert_uint_eq(dp_pciids_loads(lazy), 1);
	dp_ctx_unref(lazy);
	dp_ctx_unref(full);
	return n;
}

START_TEST(lazy_scan_answers_as_a_full_one_on_the_basic_tree)
{
	preset("basic");
	ck_assert_int_eq(compare_lazy_with_full(), DP_FAKE_BASIC_COUNT);
}
END_TEST

START_TEST(lazy_scan_answers_as_a_full_one_without_an_iommu)
{
	preset("noiommu");
	ck_assert_int_eq(compare_lazy_with_full(), DP_FAKE_BASIC_COUNT);
}
END_TEST

START_TEST(lazy_scan_answers_as_a_full_one_with_vmd_domains)
{
	preset("vmd");
	ck_assert_int_eq(compare_lazy_with_full(), DP_FAKE_VMD_COUNT);
}
END_TEST

START_TEST(lazy_scan_answers_as_a_full_one_on_4096_functions)
{
	ck_assert_int_eq(dp_fakesys_add_many(fs, 4096), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(compare_lazy_with_full(), 4096);
}
END_TEST

/* Functions the other tests call hostile, in one tree. */
START_TEST(lazy_scan_answers_as_a_full_one_on_a_hostile_tree)
{
	const struct dp_fake_dev devs[] = {
		{ .bdf = "0000:00:00.0", .vendor = 0x8086, .device = 0x29c0, .class_code = 0x060000,
		  .group = 1 },
		{ .bdf = "0000:00:01.0", .vendor = 0x8086, .device = 0x1901, .class_code = 0x060400,
		  .header_type = 1, .secondary_bus = 1, .group = 2, .caps = DP_FAKE_CAP_PCIE,
		  .config_size = 32 },
		{ .bdf = "0000:00:02.0", .vendor = 0x8086, .device = 0x1901, .class_code = 0x060400,
		  .header_type = 1, .multifunction = true, .secondary_bus = 2, .group = 3,
		  .caps = DP_FAKE_CAP_PCIE, .config_size = 64 },
		{ .bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000,
		  .group = 4, .config_size = 16,
		  .attrs = (const struct dp_fake_attr[]){ { "vendor", "0xzzzz\n" }, { NULL, NULL } } },
		{ .bdf = "0000:03:00.0", .vendor = 0x8086, .device = 0x10fb, .class_code = 0x020000,
		  .group = 5, .numa_node = 1, .driver = "ghost", .driver_dangling = true,
		  .caps = DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI | DP_FAKE_CAP_LOOP_SELF,
		  .attrs = (const struct dp_fake_attr[]){
			  { "numa_node", "one and a half\n" }, { "class", "network\n" },
			  { NULL, NULL } } },
		{ .bdf = "0000:04:00.0", .vendor = 0x8086, .device = 0x10fb, .class_code = 0x020000,
		  .group = 5, .driver_override = "vfio-pci", .reset_method = "",
		  .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_ACS | DP_FAKE_CAP_EXT_LOOP },
		{ .bdf = "0000:05:00.0", .vendor = 0x10de, .device = 0x1c82, .class_code = 0x030000,
		  .group = 6, .boot_vga = true, .driver = "nouveau", .rom_size = 0x20000,
		  .bars = { { 0x1000000, 0 }, { 0x10000000, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH } },
		  .attrs = (const struct dp_fake_attr[]){
			  { "driver_override", "\n" }, { "reset_method", NULL }, { NULL, NULL } } },
		{ .bdf = "0000:06:00.0", .vendor = 0x8086, .device = 0x1521, .class_code = 0x020000,
		  .group = 7, .driver = "igb", .sriov_total_vfs = 7, .sriov_num_vfs = 1,
		  .reset_method = "flr" },
		{ .bdf = "0000:06:10.0", .vendor = 0x8086, .device = 0x1520, .class_code = 0x020000,
		  .group = 8, .driver = "igbvf", .physfn = "0000:06:00.0", .reset_method = "flr" },
		{ .bdf = "0000:07:00.0", .vendor = 0xfffe, .device = 0x0001, .class_code = 0xff0000,
		  .group = 9 },
		{ .bdf = "10000:00:00.0", .vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802,
		  .group = 10, .driver = "nvme", .caps = DP_FAKE_CAP_FLR },
	};

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		ck_assert_int_eq(dp_fakesys_add(fs, &devs[i]), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(compare_lazy_with_full(), (int)(sizeof(devs) / sizeof(devs[0])));
}
END_TEST

START_TEST(pci_ids_is_read_once_per_context_and_only_for_a_name)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs), *other = dp_fakesys_ctx(fs);
	struct dp_device *held = NULL;
	const char *name;

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 0; i < DP_FAKE_BASIC_COUNT; i++) {
		struct dp_device_info info = { .sz = sizeof(info) };
		struct dp_device *dev = dp_ctx_get_device(ctx, i);

		/* Everything but the names. */
		ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
		dp_device_get_driver(dev);
		dp_device_get_driver_override(dev);
		dp_device_get_reset_methods(dev);
		dp_device_get_group_size(dev);
	}
	ck_assert_uint_eq(dp_pciids_loads(ctx), 0);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "03:00.0", &held), 0);
	name = dp_device_get_vendor_name(held);
	ck_assert_str_eq(name, "Intel Corporation");
	ck_assert_uint_eq(dp_pciids_loads(ctx), 1);
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
		for (size_t i = 0; i < DP_FAKE_BASIC_COUNT; i++) {
			dp_device_get_vendor_name(dp_ctx_get_device(ctx, i));
			dp_device_get_device_name(dp_ctx_get_device(ctx, i));
		}
	}
	ck_assert_uint_eq(dp_pciids_loads(ctx), 1);
	/* A held device's names outlive rescans, and the other context reads its own. */
	ck_assert_ptr_eq(dp_device_get_vendor_name(held), name);
	ck_assert_uint_eq(dp_pciids_loads(other), 0);
	ck_assert_int_eq(dp_ctx_scan(other), DP_FAKE_BASIC_COUNT);
	ck_assert_str_eq(dp_device_get_vendor_name(dp_ctx_get_device(other, 4)), "Intel Corporation");
	ck_assert_uint_eq(dp_pciids_loads(other), 1);
	dp_device_unref(held);
	dp_ctx_unref(ctx);
	dp_ctx_unref(other);
}
END_TEST

START_TEST(a_lazy_fact_once_given_stays)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);
	struct dp_device *dev;

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dev = dp_inventory_lookup(ctx, "0000:03:00.0");
	ck_assert_ptr_null(dp_device_get_driver_override(dev));
	ck_assert_str_eq(dp_device_get_reset_methods(dev), "flr bus");
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:03:00.0/driver_override",
					  "vfio-pci\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:03:00.0/reset_method",
					  "bus\n"), 0);
	ck_assert_ptr_null(dp_device_get_driver_override(dev));
	ck_assert_str_eq(dp_device_get_reset_methods(dev), "flr bus");
	/* A rescan reads the host as it is now. */
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dev = dp_inventory_lookup(ctx, "0000:03:00.0");
	ck_assert_str_eq(dp_device_get_driver_override(dev), "vfio-pci");
	ck_assert_str_eq(dp_device_get_reset_methods(dev), "bus");
	dp_ctx_unref(ctx);
}
END_TEST

/* ---- the refresh of dp_attach ---- */

static const char *const basic_bdfs[DP_FAKE_BASIC_COUNT] = {
	"0000:00:00.0", "0000:00:14.0", "0000:00:1c.0", "0000:01:00.0",
	"0000:03:00.0", "0000:03:00.1", "0000:05:00.0", "0000:05:10.0",
};

/* What a new eager scan says of bdf, against the inventory of ctx. */
static void assert_as_a_scan_says(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_ctx *full = dp_fakesys_ctx(fs);
	struct dp_device *want, *got = dp_inventory_lookup(ctx, bdf);

	ck_assert_int_ge(dp_inventory_scan(full, DP_SCAN_EAGER), 1);
	want = dp_inventory_lookup(full, bdf);
	ck_assert_msg(want && got, "%s: in the scan %d, refreshed %d", bdf, !!want, !!got);
	assert_same_device(got, want);
	dp_ctx_unref(full);
}

static int refresh(struct dp_ctx *ctx, const char *a, const char *b)
{
	char bdfs[2][DP_BDF_LEN];
	size_t n = 0;

	if (a)
		ck_assert_int_eq(dp_bdf_normalize(a, bdfs[n++]), 0);
	if (b)
		ck_assert_int_eq(dp_bdf_normalize(b, bdfs[n++]), 0);
	return dp_inventory_refresh(ctx, bdfs, n);
}

START_TEST(refresh_of_a_new_context_reads_the_group_lists_nothing_and_no_names)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);

	preset("basic");
	ck_assert_int_eq(refresh(ctx, "0000:03:00.0", NULL), 0);
	/* Not a scan: the context still lists nothing. */
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
	ck_assert_ptr_null(dp_ctx_get_device(ctx, 0));
	ck_assert_ptr_null(dp_inventory_lookup(ctx, "0000:00:14.0"));
	ck_assert_uint_eq(dp_pciids_loads(ctx), 0);
	assert_as_a_scan_says(ctx, "0000:03:00.0");
	assert_as_a_scan_says(ctx, "0000:03:00.1"); /* the other member of group 7 */
	/* A lookup by the API scans, as before. */
	{
		struct dp_device *dev;

		ck_assert_int_eq(dp_ctx_find_device(ctx, "00:14.0", &dev), 0);
		ck_assert_uint_eq(dp_ctx_get_device_count(ctx), DP_FAKE_BASIC_COUNT);
		dp_device_unref(dev);
	}
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(refresh_keeps_the_objects_of_functions_that_did_not_change)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);
	struct dp_device *before[DP_FAKE_BASIC_COUNT];

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 0; i < DP_FAKE_BASIC_COUNT; i++) {
		before[i] = dp_ctx_get_device(ctx, i);
		dp_device_get_reset_methods(before[i]);
	}
	ck_assert_int_eq(refresh(ctx, "03:00.0", "05:10.0"), 0);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 0; i < DP_FAKE_BASIC_COUNT; i++)
		ck_assert_msg(dp_ctx_get_device(ctx, i) == before[i], "%s was replaced", basic_bdfs[i]);
	ck_assert_uint_eq(dp_pciids_loads(ctx), 0);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(refresh_reads_again_what_may_change_and_held_handles_keep_theirs)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);
	struct dp_device *held = NULL, *now;
	char path[PATH_MAX];

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_int_eq(dp_ctx_find_device(ctx, "00:14.0", &held), 0);
	ck_assert_ptr_null(dp_device_get_reset_methods(held));
	ck_assert_ptr_null(dp_device_get_driver_override(held));
	/* The admin binds it to vfio-pci and marks it; the kernel now says how it resets. */
	ck_assert_int_eq(dp_fakesys_set_driver(fs, "0000:00:14.0", "vfio-pci"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:00:14.0/driver_override",
					  "vfio-pci\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:00:14.0/reset_method", "\n"), 0);
	snprintf(path, sizeof(path), "%s/driverctl.d", dp_fakesys_scratch(fs));
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/driverctl.d/pci-0000:00:14.0", dp_fakesys_scratch(fs));
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs("vfio-pci\n", f);
		fclose(f);
	}
	ck_assert_int_eq(refresh(ctx, "00:14.0", NULL), 0);
	now = dp_inventory_lookup(ctx, "00:14.0");
	ck_assert_ptr_ne(now, held);
	ck_assert_ptr_eq(dp_ctx_get_device(ctx, 1), now);
	ck_assert_str_eq(dp_device_get_driver(now), "vfio-pci");
	ck_assert_int_eq(dp_device_is_marked(now), 1);
	assert_as_a_scan_says(ctx, "0000:00:14.0");
	/* The handle held keeps the facts it gave. */
	ck_assert_str_eq(dp_device_get_reset_methods(now), "");
	ck_assert_str_eq(dp_device_get_driver(held), "xhci_hcd");
	ck_assert_ptr_null(dp_device_get_reset_methods(held));
	ck_assert_ptr_null(dp_device_get_driver_override(held));
	ck_assert_int_eq(dp_device_is_marked(held), 0);
	dp_device_unref(held);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(refresh_reads_the_group_members_the_policy_asks_about)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_int_eq(dp_fakesys_set_driver(fs, "0000:03:00.1", NULL), 0);
	ck_assert_str_eq(dp_device_get_driver(dp_inventory_lookup(ctx, "03:00.1")), "ixgbe");
	ck_assert_int_eq(refresh(ctx, "03:00.0", NULL), 0);
	ck_assert_ptr_null(dp_device_get_driver(dp_inventory_lookup(ctx, "03:00.1")));
	assert_as_a_scan_says(ctx, "0000:03:00.1");
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(refresh_drops_a_function_that_is_gone_and_adds_a_new_one)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);

	preset("basic");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:00:14.0", NULL), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:04:00.0", .vendor = 0x1af4, .device = 0x1041,
		.class_code = 0x020000, .group = 8, .reset_method = "flr" }), 0);
	ck_assert_int_eq(refresh(ctx, "00:14.0", "04:00.0"), 0);
	ck_assert_ptr_null(dp_inventory_lookup(ctx, "00:14.0"));
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), DP_FAKE_BASIC_COUNT);
	for (size_t i = 1; i < DP_FAKE_BASIC_COUNT; i++) /* still in BDF order */
		ck_assert_str_lt(dp_device_get_bdf(dp_ctx_get_device(ctx, i - 1)),
				 dp_device_get_bdf(dp_ctx_get_device(ctx, i)));
	assert_as_a_scan_says(ctx, "0000:04:00.0");
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(a_read_that_failed_is_not_kept_by_the_next_refresh)
{
	struct dp_ctx *ctx = dp_fakesys_ctx(fs);
	char cfg[PATH_MAX], aside[PATH_MAX + 8];
	struct dp_device_info info = { .sz = sizeof(info) };

	preset("basic");
	snprintf(cfg, sizeof(cfg), "%s/bus/pci/devices/0000:00:14.0/config", dp_fakesys_root(fs));
	snprintf(aside, sizeof(aside), "%s.aside", cfg);
	/* Its config space fails to read (EISDIR) once, then reads again. */
	ck_assert_int_eq(rename(cfg, aside), 0);
	ck_assert_int_eq(mkdir(cfg, 0755), 0);
	ck_assert_int_eq(refresh(ctx, "00:14.0", NULL), 0);
	ck_assert_int_eq(dp_device_get_info(dp_inventory_lookup(ctx, "00:14.0"), &info), 0);
	ck_assert(info.flags & DP_DEVICE_CONFIG_UNREADABLE);
	ck_assert_int_eq(rmdir(cfg), 0);
	ck_assert_int_eq(rename(aside, cfg), 0);
	ck_assert_int_eq(refresh(ctx, "00:14.0", NULL), 0);
	assert_as_a_scan_says(ctx, "0000:00:14.0");
	dp_ctx_unref(ctx);
}
END_TEST

/* The report of a check, as JSON, for comparison. */
static char *report_of(struct dp_ctx *ctx, struct dp_policy *policy, struct dp_vm *vm,
		       bool after_refresh)
{
	struct dp_report *rep = NULL;
	char *json = NULL;

	if (after_refresh) {
		char bdfs[2][DP_BDF_LEN];
		size_t n = 0;

		for (size_t i = 0; i < dp_vm_get_device_count(vm); i++)
			if (dp_bdf_normalize(dp_vm_get_device(vm, i), bdfs[n]) == 0)
				n++;
		ck_assert_int_eq(dp_inventory_refresh(ctx, bdfs, n), 0);
		ck_assert_int_eq(dp_policy_check_inventory(policy, vm, &rep), 0);
	} else {
		ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	}
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	dp_report_unref(rep);
	return json;
}

START_TEST(a_check_after_the_refresh_reports_what_a_check_after_a_scan_does)
{
	static const char *const vms[][2] = {
		{ "0000:03:00.0", NULL }, { "0000:03:00.0", "0000:03:00.1" },
		{ "0000:00:14.0", NULL }, { "0000:01:00.0", NULL }, { "0000:00:00.0", NULL },
		{ "0000:05:10.0", "0000:05:00.0" }, { "0000:09:00.0", NULL },
		{ "zz:00.0", "0000:00:1c.0" },
	};
	char path[PATH_MAX];

	preset("basic");
	snprintf(path, sizeof(path), "%s/driverctl.d", dp_fakesys_scratch(fs));
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/driverctl.d/pci-0000:03:00.0", dp_fakesys_scratch(fs));
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs("vfio-pci\n", f);
		fclose(f);
	}
	for (size_t v = 0; v < sizeof(vms) / sizeof(vms[0]); v++) {
		struct dp_ctx *a = dp_fakesys_ctx(fs), *b = dp_fakesys_ctx(fs);
		struct dp_policy *pa, *pb;
		struct dp_vm *va, *vb;
		char *ja, *jb;

		ck_assert_int_eq(dp_policy_new(a, &pa), 0);
		ck_assert_int_eq(dp_policy_new(b, &pb), 0);
		ck_assert_int_eq(dp_vm_new(a, "vm", &va), 0);
		ck_assert_int_eq(dp_vm_new(b, "vm", &vb), 0);
		for (int k = 0; k < 2 && vms[v][k]; k++) {
			ck_assert_int_eq(dp_vm_add_device(va, vms[v][k]), 0);
			ck_assert_int_eq(dp_vm_add_device(vb, vms[v][k]), 0);
		}
		ja = report_of(a, pa, va, false);
		jb = report_of(b, pb, vb, true);
		ck_assert_str_eq(jb, ja);
		ck_assert_uint_eq(dp_pciids_loads(b), 0);
		free(ja);
		free(jb);
		dp_vm_unref(va);
		dp_vm_unref(vb);
		dp_policy_unref(pa);
		dp_policy_unref(pb);
		dp_ctx_unref(a);
		dp_ctx_unref(b);
	}
}
END_TEST

START_TEST(attach_reads_no_pci_ids)
{
	struct dp_attachment *att = NULL;
	struct dp_policy *policy;
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	char dc[PATH_MAX], run[PATH_MAX], mark[PATH_MAX + 32];
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn };
	FILE *f;
	int r;

	preset("basic");
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	snprintf(mark, sizeof(mark), "%s/pci-0000:00:14.0", dc);
	ck_assert_int_eq(mkdir(dc, 0755), 0);
	f = fopen(mark, "w");
	ck_assert_ptr_nonnull(f);
	fputs("vfio-pci\n", f);
	fclose(f);
	ck_assert_int_eq(dp_fakesys_set_driver(fs, "0000:00:14.0", "vfio-pci"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/0000:00:14.0/reset_method",
					  "flr\n"), 0);
	o.driverctl_dir = dc;
	o.run_dir = run;
	o.data_dir = "/nonexistent";
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
	ck_assert_int_eq(dp_policy_set(policy, "unlisted_devices", "allow"), 0);
	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 256 << 20, 256 << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, "00:14.0"), 0);
	/* Allowed, leased, then no VFIO on this machine: it got past the policy. */
	dp_test_log_expect_err();
	r = dp_attach(policy, vm, NULL, &att);
	dp_test_log_expect_end();
	ck_assert_int_lt(r, 0);
	ck_assert_int_ne(r, -EPERM);
	ck_assert_ptr_null(att);
	ck_assert_uint_eq(dp_pciids_loads(ctx), 0);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lazy");
	TCase *scan = tcase_create("scan");
	TCase *refresh_tc = tcase_create("refresh");

	dp_fakesys_enter_namespace();

	tcase_add_checked_fixture(scan, setup, teardown);
	tcase_set_timeout(scan, 120);
	tcase_add_test(scan, lazy_scan_answers_as_a_full_one_on_the_basic_tree);
	tcase_add_test(scan, lazy_scan_answers_as_a_full_one_without_an_iommu);
	tcase_add_test(scan, lazy_scan_answers_as_a_full_one_with_vmd_domains);
	tcase_add_test(scan, lazy_scan_answers_as_a_full_one_on_4096_functions);
	tcase_add_test(scan, lazy_scan_answers_as_a_full_one_on_a_hostile_tree);
	tcase_add_test(scan, pci_ids_is_read_once_per_context_and_only_for_a_name);
	tcase_add_test(scan, a_lazy_fact_once_given_stays);
	suite_add_tcase(s, scan);

	tcase_add_checked_fixture(refresh_tc, setup, teardown);
	tcase_add_test(refresh_tc, refresh_of_a_new_context_reads_the_group_lists_nothing_and_no_names);
	tcase_add_test(refresh_tc, refresh_keeps_the_objects_of_functions_that_did_not_change);
	tcase_add_test(refresh_tc, refresh_reads_again_what_may_change_and_held_handles_keep_theirs);
	tcase_add_test(refresh_tc, refresh_reads_the_group_members_the_policy_asks_about);
	tcase_add_test(refresh_tc, refresh_drops_a_function_that_is_gone_and_adds_a_new_one);
	tcase_add_test(refresh_tc, a_read_that_failed_is_not_kept_by_the_next_refresh);
	tcase_add_test(refresh_tc, a_check_after_the_refresh_reports_what_a_check_after_a_scan_does);
	tcase_add_test(refresh_tc, attach_reads_no_pci_ids);
	suite_add_tcase(s, refresh_tc);

	return dp_test_run(s);
}
