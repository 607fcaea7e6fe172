/* SPDX-License-Identifier: MIT */
/*
 * The inventory and host capabilities on this machine's own /sys, no
 * namespace: whatever the machine has, the scan must agree with sysfs.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

static struct dp_ctx *ctx;
static char dc[] = "/tmp/dp-realsys-driverctl.XXXXXX";

static void setup(void)
{
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn,
				 .driverctl_dir = dc };

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The entries of a directory (no dot entries), sorted; their count. */
static size_t list_dir(const char *path, char (*names)[64], size_t max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		int w;

		if (e->d_name[0] == '.' || n >= max)
			continue;
		w = snprintf(names[n], 64, "%s", e->d_name);
		if (w > 0 && w < 64)
			n++;
	}
	closedir(d);
	qsort(names, n, 64, cmp_name);
	return n;
}

/* A sysfs hex attribute of a function, or -1. */
static long attr_hex(const char *bdf, const char *name)
{
	char path[PATH_MAX], buf[64];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, name);
	f = fopen(path, "re");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* The last component of a function's symlink, "" when there is none. */
static const char *link_base(const char *bdf, const char *name)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

static char names[1024][64];

START_TEST(scan_lists_every_entry_of_sys_bus_pci_devices_in_order)
{
	size_t n = list_dir(PCI_DEVICES, names, 1024);

	ck_assert_int_eq(dp_ctx_scan(ctx), (int)n);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), n);
	/* Same-width names: their sorted order is BDF order. */
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(dp_device_get_bdf(dp_ctx_get_device(ctx, i)), names[i]);
}
END_TEST

START_TEST(ids_and_class_equal_the_sysfs_attributes)
{
	size_t n = list_dir(PCI_DEVICES, names, 1024);

	ck_assert_int_eq(dp_ctx_scan(ctx), (int)n);
	for (size_t i = 0; i < n; i++) {
		struct dp_device_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_device_get_info(dp_ctx_get_device(ctx, i), &info), 0);
		ck_assert_int_eq(info.vendor_id, attr_hex(names[i], "vendor"));
		ck_assert_int_eq(info.device_id, attr_hex(names[i], "device"));
		ck_assert_int_eq(info.class_code, attr_hex(names[i], "class"));
		ck_assert_int_ne(info.vendor_id, 0);
	}
}
END_TEST

START_TEST(groups_and_drivers_equal_the_sysfs_links)
{
	size_t n = list_dir(PCI_DEVICES, names, 1024);

	ck_assert_int_eq(dp_ctx_scan(ctx), (int)n);
	for (size_t i = 0; i < n; i++) {
		struct dp_device *dev = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };
		const char *group = link_base(names[i], "iommu_group");
		const char *driver;

		ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
		ck_assert_int_eq(info.iommu_group, *group ? atoi(group) : -1);
		if (!*group)
			ck_assert_uint_eq(dp_device_get_group_size(dev), 0);
		driver = link_base(names[i], "driver");
		if (*driver)
			ck_assert_str_eq(dp_device_get_driver(dev), driver);
		else
			ck_assert_ptr_null(dp_device_get_driver(dev));
		ck_assert_int_eq(dp_device_is_marked(dev), 0);
	}
}
END_TEST

START_TEST(caps_say_what_sys_class_iommu_says)
{
	static char iommus[64][64], groups[1024][64];
	size_t n = list_dir("/sys/class/iommu", iommus, 64);
	size_t g = list_dir("/sys/kernel/iommu_groups", groups, 1024);
	struct dp_host_caps caps = { .sz = sizeof(caps) };

	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &caps), 0);
	ck_assert_int_eq(caps.iommu_group_count, (int)g);
	ck_assert_int_eq(!!(caps.flags & DP_HOST_IOMMU_GROUPS), g > 0);
	if (n == 0) {
		ck_assert_uint_eq(caps.iommu_kind, DP_IOMMU_NONE);
		ck_assert(!(caps.flags & (DP_HOST_IOMMU | DP_HOST_IRQ_REMAP)));
	} else {
		ck_assert(caps.flags & DP_HOST_IOMMU);
		if (!strncmp(iommus[0], "dmar", 4))
			ck_assert_uint_eq(caps.iommu_kind, DP_IOMMU_INTEL);
		else if (!strncmp(iommus[0], "ivhd", 4))
			ck_assert_uint_eq(caps.iommu_kind, DP_IOMMU_AMD);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("realsys");
	TCase *tc = tcase_create("realsys");
	int failed;

	if (access(PCI_DEVICES, F_OK) < 0)
		dp_fakesys_skip("this machine has no %s", PCI_DEVICES);
	/* A driverctl directory of our own, empty: the host's marks are not ours to read. */
	if (!mkdtemp(dc)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scan_lists_every_entry_of_sys_bus_pci_devices_in_order);
	tcase_add_test(tc, ids_and_class_equal_the_sysfs_attributes);
	tcase_add_test(tc, groups_and_drivers_equal_the_sysfs_links);
	tcase_add_test(tc, caps_say_what_sys_class_iommu_says);
	suite_add_tcase(s, tc);
	failed = dp_test_run(s);
	rmdir(dc);
	return failed;
}
