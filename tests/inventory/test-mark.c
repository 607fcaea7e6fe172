/* SPDX-License-Identifier: MIT */
/*
 * Passthrough marks: the driverctl file, the refusals, which files count as
 * a mark, and applying a mark at once through driver_override, unbind and
 * drivers_probe, on a plain tree (where nothing binds, so everything must
 * be rolled back) and on a tree with the kernel's driver core emulated.
 */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

#define NIC "0000:03:00.0"
#define NIC_DIR "devices/pci0000:00/" NIC

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static char dc[PATH_MAX]; /* the driverctl directory */


/* ---- files ---- */

/* The whole content of path, or "<absent>" / "<error N>". */
static const char *slurp(const char *path)
{
	static char buf[8192];
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(buf, sizeof(buf), errno == ENOENT ? "<absent>" : "<error %d>", errno);
		return buf;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* A file of the tree as it lies on disk (not through /sys). */
static const char *tree(const char *rel)
{
	static char buf[8192];
	int r = dp_fakesys_read(fs, rel, buf, sizeof(buf));

	if (r < 0)
		snprintf(buf, sizeof(buf), r == -ENOENT ? "<absent>" : "<error %d>", -r);
	return buf;
}

/* The driver a function's link names, "" when unbound. */
static const char *bound(const char *bdf)
{
	static char buf[256];
	char rel[128];

	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/driver", bdf);
	if (dp_fakesys_readlink(fs, rel, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	return buf;
}

/* The content of a function's driverctl file, or "<absent>". */
static const char *mark_file(const char *bdf)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/pci-%s", dc, bdf);
	return slurp(path);
}

static void write_mark_file(const char *name, const char *content, size_t len)
{
	char path[PATH_MAX + 64];
	int fd;

	mkdir(dc, 0755);
	snprintf(path, sizeof(path), "%s/%s", dc, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The driverctl directory's entries, space-separated, sorted; "" if none or absent. */
static const char *dc_entries(void)
{
	static char out[4096];
	char names[32][256];
	size_t n = 0, len = 0;
	struct dirent *e;
	DIR *d = opendir(dc);

	out[0] = '\0';
	if (!d)
		return out;
	while ((e = readdir(d)) && n < 32)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "",
					names[i]);
	return out;
}

/* ---- fault injection: the library's own fstat and strdup calls ---- */

static int fail_fstat_errno; /* 0: pass through */
static bool fail_strdup;

/* Whether the caller is libdirectpath (not the test, check or the FUSE server). */
static bool from_library(const void *ret)
{
	Dl_info di;

	return dladdr(ret, &di) && di.dli_fname && strstr(di.dli_fname, "libdirectpath");
}

int fstat64(int fd, struct stat64 *st);
int fstat64(int fd, struct stat64 *st)
{
	static int (*real)(int, struct stat64 *);

	if (fail_fstat_errno && from_library(__builtin_return_address(0))) {
		errno = fail_fstat_errno;
		return -1;
	}
	if (!real) {
		void *p_ = dlsym(RTLD_NEXT, "fstat64");

		memcpy(&real, &p_, sizeof(real)); /* ISO C has no object-to-function cast */
	}
	return real(fd, st);
}

char *strdup(const char *str)
{
	static char *(*real)(const char *);

	if (fail_strdup && from_library(__builtin_return_address(0))) {
		errno = ENOMEM;
		return NULL;
	}
	if (!real) {
		void *p_ = dlsym(RTLD_NEXT, "strdup");

		memcpy(&real, &p_, sizeof(real)); /* ISO C has no object-to-function cast */
	}
	return real(str);
}

/* ---- fixtures ---- */

static void make_ctx(void)
{
	ctx = dp_fakesys_ctx(fs);
	snprintf(dc, sizeof(dc), "%s", dp_ctx_get_driverctl_dir(ctx));
}

static void setup_empty(void)
{
	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	make_ctx();
}

/* The basic preset plus an unbound function, 0000:06:00.0. */
static void build_basic(void)
{
	setup_empty();
	ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:06:00.0", .vendor = 0x8086, .device = 0x1533,
		.class_code = 0x020000, .group = 12, .caps = DP_FAKE_CAP_FLR }), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
}

static void setup_plain(void)
{
	build_basic();
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT + 1);
}

static void setup_kernel(void)
{
	build_basic();
	ck_assert_int_eq(dp_fakesys_kernel_start(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_BASIC_COUNT + 1);
}

/* VMD-style domains, and two functions whose config space reads 32 bytes. */
#define CFG_BRIDGE "0000:06:00.0"
#define CFG_NIC "0000:07:00.0"

static void setup_odd(void)
{
	setup_empty();
	ck_assert_int_eq(dp_fakesys_preset(fs, "vmd"), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = CFG_BRIDGE, .vendor = 0x8086, .device = 0xa33e, .class_code = 0x060400,
		.header_type = 1, .secondary_bus = 8, .group = 13, .driver = "pcieport",
		.config_size = 32 }), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = CFG_NIC, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		.group = 14, .caps = DP_FAKE_CAP_FLR, .config_size = 32 }), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ck_assert_int_eq(dp_ctx_scan(ctx), DP_FAKE_VMD_COUNT + 2);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	ck_assert_int_eq(dp_fakesys_kernel_stop(fs), 0);
	dp_fakesys_free(fs);
	fs = NULL;
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

static uint64_t flags_of(const char *bdf)
{
	struct dp_device_info info = { .sz = sizeof(info) };

	ck_assert_int_eq(dp_device_get_info(device(bdf), &info), 0);
	return info.flags;
}

static void rescan(void)
{
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
}

/* ---- the driverctl file ---- */

START_TEST(mark_writes_the_driverctl_file_atomically)
{
	struct stat st;
	char path[PATH_MAX + 32];

	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_str_eq(mark_file(NIC), "vfio-pci\n");
	snprintf(path, sizeof(path), "%s/pci-%s", dc, NIC);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_str_eq(dc_entries(), "pci-" NIC); /* no temporary left behind */
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 1);
	ck_assert(flags_of(NIC) & DP_DEVICE_MARKED);
	/* Without DP_MARK_APPLY, sysfs is not touched. */
	ck_assert_str_eq(tree(NIC_DIR "/driver_override"), "(null)\n");
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/unbind"), "");
	ck_assert_str_eq(tree("bus/pci/drivers_probe"), "");
	ck_assert_str_eq(bound(NIC), "ixgbe");
}
END_TEST

START_TEST(mark_survives_a_rescan_and_marks_nothing_else)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	rescan();
	ck_assert(flags_of(NIC) & DP_DEVICE_MARKED);
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 1);
	ck_assert(!(flags_of("0000:03:00.1") & DP_DEVICE_MARKED));
	ck_assert_int_eq(dp_device_is_marked(device("0000:05:10.0")), 0);
}
END_TEST

START_TEST(unmark_removes_the_driverctl_file)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 0, 0), 0);
	ck_assert_str_eq(mark_file(NIC), "<absent>");
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
}
END_TEST

START_TEST(unmark_of_an_unmarked_device_changes_nothing)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 0, 0), 0);
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
}
END_TEST

static void check_refused(const char *bdf, const char *what)
{
	const char *errs;

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(bdf), 1, 0), -EPERM);
	ck_assert_int_eq(dp_device_set_passthrough(device(bdf), 1, DP_MARK_APPLY), -EPERM);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, bdf) && strstr(errs, what), "%s", errs);
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(bdf)), 0);
	ck_assert_str_eq(tree("bus/pci/drivers_probe"), "");

	ck_assert_int_eq(dp_device_set_passthrough(device(bdf), 1, DP_MARK_FORCE), 0);
	ck_assert_str_eq(mark_file(bdf), "vfio-pci\n");
	ck_assert_int_eq(dp_device_is_marked(device(bdf)), 1);
}

START_TEST(mark_refuses_a_host_bridge_without_force)
{
	check_refused("0000:00:00.0", "host bridge");
}
END_TEST

START_TEST(mark_refuses_a_pci_bridge_without_force)
{
	check_refused("0000:00:1c.0", "bridge");
}
END_TEST

START_TEST(mark_refuses_the_boot_vga_device_without_force)
{
	check_refused("0000:01:00.0", "boot VGA");
}
END_TEST

START_TEST(mark_refuses_a_bridge_with_unreadable_config_by_its_class)
{
	ck_assert(flags_of(CFG_BRIDGE) & DP_DEVICE_CONFIG_UNREADABLE);
	check_refused(CFG_BRIDGE, "a PCI bridge");
}
END_TEST

START_TEST(mark_refuses_a_function_with_unreadable_config_without_force)
{
	check_refused(CFG_NIC, "config space could not be read");
}
END_TEST

START_TEST(mark_finds_and_marks_a_five_digit_domain)
{
	struct dp_device *dev = NULL;

	/* Sorted as numbers, 0x10000 comes after 0x2000, where no string search would look. */
	ck_assert_int_eq(dp_ctx_find_device(ctx, DP_FAKE_VMD_HIGH, &dev), 0);
	ck_assert_str_eq(dp_device_get_bdf(dev), DP_FAKE_VMD_HIGH);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, 0), 0);
	dp_device_unref(dev);
	ck_assert_str_eq(mark_file(DP_FAKE_VMD_HIGH), "vfio-pci\n");
	ck_assert_str_eq(dc_entries(), "pci-" DP_FAKE_VMD_HIGH);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device(DP_FAKE_VMD_HIGH)), 1);
	ck_assert_int_eq(dp_device_is_marked(device(DP_FAKE_VMD_LOW)), 0);
	ck_assert_int_eq(dp_ctx_find_device(ctx, DP_FAKE_VMD_LOW, &dev), 0);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, 0), 0);
	dp_device_unref(dev);
	ck_assert_str_eq(dc_entries(), "pci-" DP_FAKE_VMD_HIGH " pci-" DP_FAKE_VMD_LOW); /* by name */
}
END_TEST

START_TEST(mark_with_unknown_flags_is_einval)
{
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 1u << 7), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "BUG"));
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_set_passthrough(NULL, 1, 0), -EINVAL);
	ck_assert_int_eq(dp_device_set_passthrough(NULL, 0, DP_MARK_APPLY), -EINVAL);
}
END_TEST

START_TEST(group_members_are_named_when_marking)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_msg(dp_test_logged(LOG_NOTICE,
			     NIC ": IOMMU group 7 also holds 0000:03:00.1 (ixgbe)", NULL),
		      "%s", dp_test_log_all());
	/* Alone in its group: nothing to name. */
	dp_test_log_reset();
	ck_assert_int_eq(dp_device_set_passthrough(device("0000:00:14.0"), 1, 0), 0);
	ck_assert_msg(!strstr(dp_test_log_all(), "also holds"), "%s", dp_test_log_all());
}
END_TEST

/* ---- files that are or are not marks ---- */

START_TEST(handwritten_vfio_pci_files_are_marks)
{
	write_mark_file("pci-0000:03:00.1", "vfio-pci", 8);
	write_mark_file("pci-0000:05:10.0", "vfio-pci\n", 9);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device("0000:03:00.1")), 1);
	ck_assert_int_eq(dp_device_is_marked(device("0000:05:10.0")), 1);
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	ck_assert_msg(!dp_test_warned(), "%s", dp_test_log_all());
}
END_TEST

START_TEST(a_file_naming_another_driver_is_not_a_mark_and_marking_replaces_it)
{
	write_mark_file("pci-" NIC, "ixgbe\n", 6);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-" NIC, "ixgbe"), "%s", dp_test_log_all());
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_str_eq(mark_file(NIC), "vfio-pci\n");
	ck_assert_str_eq(dc_entries(), "pci-" NIC);
}
END_TEST

START_TEST(unmark_leaves_another_drivers_file_and_says_so)
{
	write_mark_file("pci-" NIC, "ixgbe\n", 6);
	rescan();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 0, 0), 0);
	ck_assert_str_eq(mark_file(NIC), "ixgbe\n");
	ck_assert_msg(dp_test_logged(LOG_WARNING, NIC ": ", "left alone"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(untrustworthy_files_are_not_marks)
{
	char big[5000];
	char path[PATH_MAX + 32];

	memset(big, ' ', sizeof(big));
	memcpy(big, "vfio-pci\n", 9);
	write_mark_file("pci-0000:03:00.0", big, sizeof(big));
	write_mark_file("pci-0000:03:00.1", "vfio-pci\0\n", 10);
	snprintf(path, sizeof(path), "%s/pci-0000:05:10.0", dc);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device("0000:03:00.0")), 0);
	ck_assert_int_eq(dp_device_is_marked(device("0000:03:00.1")), 0);
	ck_assert_int_eq(dp_device_is_marked(device("0000:05:10.0")), 0);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-0000:03:00.0", "not trusted"), "%s", dp_test_log_all());
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-0000:03:00.1", "not trusted"), "%s", dp_test_log_all());
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-0000:05:10.0", "not trusted"), "%s", dp_test_log_all());
}
END_TEST

START_TEST(a_symlink_is_not_followed)
{
	char target[PATH_MAX + 32], link[PATH_MAX + 32];
	struct stat st;
	int fd;

	snprintf(target, sizeof(target), "%s/elsewhere", dp_fakesys_scratch(fs));
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "vfio-pci\n", 9), 9);
	close(fd);
	mkdir(dc, 0755);
	snprintf(link, sizeof(link), "%s/pci-%s", dc, NIC);
	ck_assert_int_eq(symlink(target, link), 0);
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-" NIC, "symbolic link"), "%s", dp_test_log_all());

	/* Marking replaces the link itself, never what it points at. */
	fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "precious\n", 9), 9);
	close(fd);
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_str_eq(slurp(target), "precious\n");
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_str_eq(mark_file(NIC), "vfio-pci\n");
}
END_TEST

START_TEST(unknown_files_in_the_directory_are_ignored)
{
	write_mark_file("README", "vfio-pci\n", 9);
	write_mark_file("pci-0000:99:00.0", "vfio-pci\n", 9);
	write_mark_file("usb-1-1", "vfio-pci\n", 9);
	write_mark_file("pci-03:00.0", "vfio-pci\n", 9);
	rescan();
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++)
		ck_assert_int_eq(dp_device_is_marked(dp_ctx_get_device(ctx, i)), 0);
	ck_assert_msg(!dp_test_warned(), "%s", dp_test_log_all());
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, 0), 0);
	ck_assert_str_eq(dc_entries(), "README pci-0000:03:00.0 pci-0000:99:00.0 pci-03:00.0 usb-1-1");
}
END_TEST

/* ---- DP_MARK_APPLY on a plain tree: nothing binds ---- */

START_TEST(apply_without_vfio_pci_is_enodev_and_changes_nothing)
{
	const char *errs;

	/* Not the preset: a host without vfio-pci. */
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = NIC, .vendor = 0x8086, .device = 0x10fb, .class_code = 0x020000,
		.group = 7, .driver = "ixgbe" }), 0);
	ck_assert_int_eq(dp_fakesys_set_host(fs, &(struct dp_fake_host){
		.iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true }), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	rescan();

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), -ENODEV);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, NIC) && strstr(errs, "vfio-pci"), "%s", errs);
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_str_eq(tree(NIC_DIR "/driver_override"), "(null)\n");
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/unbind"), "");
	ck_assert_str_eq(tree("bus/pci/drivers_probe"), "");
	ck_assert_str_eq(bound(NIC), "ixgbe");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
}
END_TEST

START_TEST(apply_that_does_not_take_is_rolled_back_exactly)
{
	const char *errs;

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), -EIO);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, NIC), "%s", errs);
	/* What was asked of the "kernel", in order: override, unbind, probe. */
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/unbind"), NIC);
	ck_assert_str_eq(tree("bus/pci/drivers_probe"), NIC);
	/* And undone: the override cleared again, as the kernel takes "\n". */
	ck_assert_str_eq(tree(NIC_DIR "/driver_override"), "\n");
	/* The link never moved, so the old driver was never left: no bind. */
	ck_assert_str_eq(bound(NIC), "ixgbe");
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/bind"), "");
	ck_assert_str_eq(tree("bus/pci/drivers/vfio-pci/bind"), "");
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	ck_assert_str_eq(dp_device_get_driver(device(NIC)), "ixgbe");
}
END_TEST

START_TEST(apply_rollback_restores_the_previous_driverctl_file)
{
	write_mark_file("pci-" NIC, "ixgbe\n", 6);
	rescan();
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), -EIO);
	dp_test_log_expect_end();
	ck_assert_str_eq(mark_file(NIC), "ixgbe\n");
	ck_assert_str_eq(dc_entries(), "pci-" NIC);
}
END_TEST

START_TEST(apply_failing_to_unbind_restores_everything)
{
	const char *errs;

	/* A driver link to a driver that is not there: unbind cannot be written. */
	ck_assert_int_eq(dp_fakesys_add(fs, &(struct dp_fake_dev){
		.bdf = "0000:07:00.0", .vendor = 0x8086, .device = 0x10fb,
		.class_code = 0x020000, .group = 13, .driver = "ghost",
		.driver_dangling = true }), 0);
	rescan();
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device("0000:07:00.0"), 1, DP_MARK_APPLY),
			 -ENOENT);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, "0000:07:00.0") && strstr(errs, "ghost"), "%s", errs);
	ck_assert_str_eq(tree("devices/pci0000:00/0000:07:00.0/driver_override"), "\n");
	ck_assert_str_eq(tree("bus/pci/drivers_probe"), "");
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device("0000:07:00.0")), 0);
}
END_TEST

/* ---- DP_MARK_APPLY with the kernel's driver core emulated ---- */

START_TEST(apply_binds_to_vfio_pci)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs),
			 "override " NIC " vfio-pci\n"
			 "unbind ixgbe " NIC "\n"
			 "probe " NIC " vfio-pci\n");
	ck_assert_str_eq(bound(NIC), "vfio-pci");
	ck_assert_str_eq(slurp("/sys/bus/pci/devices/" NIC "/driver_override"), "vfio-pci\n");
	ck_assert_str_eq(tree("bus/pci/drivers/vfio-pci/" NIC "/vendor"), "0x8086\n");
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/" NIC "/vendor"), "<absent>");
	ck_assert_str_eq(mark_file(NIC), "vfio-pci\n");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 1);
	ck_assert_str_eq(dp_device_get_driver(device(NIC)), "vfio-pci");
	ck_assert_str_eq(dp_device_get_driver_override(device(NIC)), "vfio-pci");
	/* The sibling in the group is left where it was. */
	ck_assert_str_eq(bound("0000:03:00.1"), "ixgbe");
	rescan();
	ck_assert_str_eq(dp_device_get_driver(device(NIC)), "vfio-pci");
	ck_assert(flags_of(NIC) & DP_DEVICE_MARKED);
}
END_TEST

START_TEST(apply_again_on_vfio_pci_only_sets_the_override)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), 0);
	rescan();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs),
			 "override " NIC " vfio-pci\n"
			 "unbind ixgbe " NIC "\n"
			 "probe " NIC " vfio-pci\n"
			 "override " NIC " vfio-pci\n");
	ck_assert_str_eq(bound(NIC), "vfio-pci");
}
END_TEST

START_TEST(unmark_with_apply_gives_the_device_back_to_its_driver)
{
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), 0);
	rescan();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 0, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs),
			 "override " NIC " vfio-pci\n"
			 "unbind ixgbe " NIC "\n"
			 "probe " NIC " vfio-pci\n"
			 "override " NIC " \n"
			 "unbind vfio-pci " NIC "\n"
			 "probe " NIC " ixgbe\n");
	ck_assert_str_eq(bound(NIC), "ixgbe");
	ck_assert_str_eq(slurp("/sys/bus/pci/devices/" NIC "/driver_override"), "(null)\n");
	ck_assert_str_eq(tree("bus/pci/drivers/vfio-pci/" NIC "/vendor"), "<absent>");
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	ck_assert_str_eq(dp_device_get_driver(device(NIC)), "ixgbe");
	ck_assert_ptr_null(dp_device_get_driver_override(device(NIC)));
}
END_TEST

START_TEST(apply_on_an_unbound_device_does_not_unbind)
{
	ck_assert_int_eq(dp_device_set_passthrough(device("0000:06:00.0"), 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs),
			 "override 0000:06:00.0 vfio-pci\n"
			 "probe 0000:06:00.0 vfio-pci\n");
	ck_assert_str_eq(bound("0000:06:00.0"), "vfio-pci");
	rescan();
	/* Given back, it stays unbound: it had no driver of its own. */
	ck_assert_int_eq(dp_device_set_passthrough(device("0000:06:00.0"), 0, DP_MARK_APPLY), 0);
	ck_assert_str_eq(bound("0000:06:00.0"), "");
	ck_assert_ptr_nonnull(strstr(dp_fakesys_kernel_log(fs),
				     "unbind vfio-pci 0000:06:00.0\n"
				     "probe 0000:06:00.0 none\n"));
}
END_TEST

START_TEST(apply_whose_probe_fails_binds_the_old_driver_back)
{
	const char *errs;

	ck_assert_int_eq(dp_fakesys_kernel_fail_probe(fs, "vfio-pci"), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY), -EIO);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, NIC) && strstr(errs, "ixgbe"), "%s", errs);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs),
			 "override " NIC " vfio-pci\n"
			 "unbind ixgbe " NIC "\n"
			 "probe " NIC " none\n"
			 "override " NIC " \n"
			 "bind ixgbe " NIC "\n");
	ck_assert_str_eq(bound(NIC), "ixgbe");
	ck_assert_str_eq(slurp("/sys/bus/pci/devices/" NIC "/driver_override"), "(null)\n");
	ck_assert_str_eq(tree("bus/pci/drivers/ixgbe/" NIC "/vendor"), "0x8086\n");
	ck_assert_str_eq(dc_entries(), "");
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
}
END_TEST

START_TEST(an_unreadable_mark_file_is_not_a_mark_and_says_why)
{
	write_mark_file("pci-" NIC, "vfio-pci\n", 9);
	fail_fstat_errno = EIO;
	rescan();
	fail_fstat_errno = 0;
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 0);
	/* The reason is fstat's, not a guess from an unset struct stat. */
	ck_assert_msg(dp_test_logged(LOG_WARNING, "pci-" NIC, strerror(EIO)), "%s",
		      dp_test_log_all());
	ck_assert_msg(!dp_test_logged(LOG_WARNING, "pci-" NIC, "not a regular file") &&
		      !dp_test_logged(LOG_WARNING, "pci-" NIC, "larger than"), "%s",
		      dp_test_log_all());
	rescan();
	ck_assert_int_eq(dp_device_is_marked(device(NIC)), 1);
}
END_TEST

START_TEST(a_failed_allocation_never_shows_a_bound_device_as_unbound)
{
	int r;

	fail_strdup = true;
	r = dp_device_set_passthrough(device(NIC), 1, DP_MARK_APPLY);
	fail_strdup = false;
	if (r == -ENOMEM) {
		/* Refused before anything changed. */
		ck_assert_str_eq(bound(NIC), "ixgbe");
		ck_assert_str_eq(dp_device_get_driver(device(NIC)), "ixgbe");
		ck_assert_str_eq(dc_entries(), "");
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(bound(NIC), "vfio-pci");
	/* What the device says is what the kernel says, allocation or not. */
	ck_assert_ptr_nonnull(dp_device_get_driver(device(NIC)));
	ck_assert_str_eq(dp_device_get_driver(device(NIC)), "vfio-pci");
	ck_assert_ptr_nonnull(dp_device_get_driver_override(device(NIC)));
	ck_assert_str_eq(dp_device_get_driver_override(device(NIC)), "vfio-pci");
}
END_TEST

/* Whether FUSE can serve files here: the kernel emulation needs it. */
static bool fuse_usable(void)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	FILE *f;
	char line[256];
	bool fuse = false;

	if (fd < 0)
		return false;
	close(fd);
	f = fopen("/proc/filesystems", "re");
	while (f && fgets(line, sizeof(line), f))
		fuse |= strcmp(line, "nodev\tfuse\n") == 0;
	if (f)
		fclose(f);
	return fuse;
}

int main(void)
{
	Suite *s = suite_create("mark");
	TCase *file = tcase_create("file");
	TCase *novfio = tcase_create("apply-novfio");
	TCase *plain = tcase_create("apply-plain");
	TCase *kernel = tcase_create("apply-kernel");
	TCase *odd = tcase_create("odd");

	dp_fakesys_enter_namespace();

	tcase_add_checked_fixture(file, setup_plain, teardown);
	tcase_add_test(file, mark_writes_the_driverctl_file_atomically);
	tcase_add_test(file, mark_survives_a_rescan_and_marks_nothing_else);
	tcase_add_test(file, unmark_removes_the_driverctl_file);
	tcase_add_test(file, unmark_of_an_unmarked_device_changes_nothing);
	tcase_add_test(file, mark_refuses_a_host_bridge_without_force);
	tcase_add_test(file, mark_refuses_a_pci_bridge_without_force);
	tcase_add_test(file, mark_refuses_the_boot_vga_device_without_force);
	tcase_add_test(file, mark_with_unknown_flags_is_einval);
	tcase_add_test(file, group_members_are_named_when_marking);
	tcase_add_test(file, handwritten_vfio_pci_files_are_marks);
	tcase_add_test(file, a_file_naming_another_driver_is_not_a_mark_and_marking_replaces_it);
	tcase_add_test(file, unmark_leaves_another_drivers_file_and_says_so);
	tcase_add_test(file, untrustworthy_files_are_not_marks);
	tcase_add_test(file, a_symlink_is_not_followed);
	tcase_add_test(file, unknown_files_in_the_directory_are_ignored);
	tcase_add_test(file, an_unreadable_mark_file_is_not_a_mark_and_says_why);
	suite_add_tcase(s, file);

	tcase_add_checked_fixture(odd, setup_odd, teardown);
	tcase_add_test(odd, mark_refuses_a_bridge_with_unreadable_config_by_its_class);
	tcase_add_test(odd, mark_refuses_a_function_with_unreadable_config_without_force);
	tcase_add_test(odd, mark_finds_and_marks_a_five_digit_domain);
	suite_add_tcase(s, odd);

	tcase_add_checked_fixture(novfio, setup_empty, teardown);
	tcase_add_test(novfio, apply_without_vfio_pci_is_enodev_and_changes_nothing);
	suite_add_tcase(s, novfio);

	tcase_add_checked_fixture(plain, setup_plain, teardown);
	tcase_add_test(plain, apply_that_does_not_take_is_rolled_back_exactly);
	tcase_add_test(plain, apply_rollback_restores_the_previous_driverctl_file);
	tcase_add_test(plain, apply_failing_to_unbind_restores_everything);
	suite_add_tcase(s, plain);

	if (fuse_usable()) {
		tcase_add_checked_fixture(kernel, setup_kernel, teardown);
		tcase_add_test(kernel, apply_binds_to_vfio_pci);
		tcase_add_test(kernel, apply_again_on_vfio_pci_only_sets_the_override);
		tcase_add_test(kernel, unmark_with_apply_gives_the_device_back_to_its_driver);
		tcase_add_test(kernel, apply_on_an_unbound_device_does_not_unbind);
		tcase_add_test(kernel, apply_whose_probe_fails_binds_the_old_driver_back);
		tcase_add_test(kernel, a_failed_allocation_never_shows_a_bound_device_as_unbound);
		suite_add_tcase(s, kernel);
	} else {
		fprintf(stderr, "no usable FUSE: the emulated-kernel tests are not run\n");
	}

	return dp_test_run(s);
}
