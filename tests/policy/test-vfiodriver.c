/* SPDX-License-Identifier: MIT */
/*
 * Any VFIO driver (issue 22): the policy's vfio_drivers and its grammar, the
 * inventory's vfio-dev node, and the check, group viability and marking on a
 * synthetic host mounted over /sys: a VF on mlx5_vfio_pci, a vGPU VF on
 * nvidia that registered it with VFIO, a NIC on e1000e, and an IOMMU group
 * whose functions sit on vfio-pci and on a variant driver.
 */
#include <check.h>
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

#define MLX   "0000:03:00.0" /* 15b3:101e ConnectX VF on mlx5_vfio_pci, vfio-dev/vfio0 (cdev 511:0) */
#define NV    "0000:04:00.4" /* 10de:2236 vGPU VF on nvidia, vfio-dev/vfio1 without a cdev */
#define NIC   "0000:05:00.0" /* 8086:10d3 on e1000e, the host's */
#define GV0   "0000:06:00.0" /* 1234:11e8 on vfio-pci ... */
#define GV1   "0000:06:00.1" /* ... and its group sibling on hisi_acc_vfio_pci */
#define FREE  "0000:07:00.0" /* 15b3:101e unbound, for marking */
#define DEFAULT_LIST "vfio-pci *_vfio_pci *:vfio-dev"

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;

static void add(const struct dp_fake_dev *d)
{
	ck_assert_int_eq(dp_fakesys_add(fs, d), 0);
}

/* A vfio-dev/NODE directory under bdf, with a dev attribute when devnum is not NULL. */
static void vfio_node(const char *bdf, const char *node, const char *devnum)
{
	char dir[256], rel[320];

	ck_assert_int_eq(dp_fakesys_dev_dir(fs, bdf, dir, sizeof(dir)), 0);
	snprintf(rel, sizeof(rel), "%s/vfio-dev/%s/%s", dir, node, devnum ? "dev" : "uevent");
	ck_assert_int_eq(dp_fakesys_write(fs, rel, devnum ? devnum : ""), 0);
}

static void mark_file(const char *bdf, const char *content)
{
	char path[PATH_MAX + 32];
	int fd;

	mkdir(dp_ctx_get_driverctl_dir(ctx), 0755);
	snprintf(path, sizeof(path), "%s/pci-%s", dp_ctx_get_driverctl_dir(ctx), bdf);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void setup(void)
{
	const struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
					   .vfio_pci = true };

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(dp_fakesys_set_host(fs, &host), 0);
	add(&(struct dp_fake_dev){ .bdf = MLX, .vendor = 0x15b3, .device = 0x101e, .class_code = 0x020000,
				   .group = 3, .driver = "mlx5_vfio_pci", .reset_method = "flr",
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR | DP_FAKE_CAP_MSIX });
	add(&(struct dp_fake_dev){ .bdf = NV, .vendor = 0x10de, .device = 0x2236, .class_code = 0x030200,
				   .group = 4, .driver = "nvidia", .reset_method = "flr",
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR | DP_FAKE_CAP_MSIX });
	add(&(struct dp_fake_dev){ .bdf = NIC, .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000,
				   .group = 5, .driver = "e1000e", .reset_method = "flr",
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR | DP_FAKE_CAP_MSI });
	add(&(struct dp_fake_dev){ .bdf = GV0, .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00,
				   .group = 6, .driver = "vfio-pci", .reset_method = "flr", .multifunction = true,
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR });
	add(&(struct dp_fake_dev){ .bdf = GV1, .vendor = 0x19e5, .device = 0xa251, .class_code = 0x120000,
				   .group = 6, .driver = "hisi_acc_vfio_pci", .reset_method = "flr",
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR });
	add(&(struct dp_fake_dev){ .bdf = FREE, .vendor = 0x15b3, .device = 0x101e, .class_code = 0x020000,
				   .group = 7, .reset_method = "flr",
				   .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR | DP_FAKE_CAP_MSIX });
	ck_assert_int_eq(dp_fakesys_add_driver(fs, "mlx5_vfio_pci"), 0);
	vfio_node(MLX, "vfio0", "511:0\n");
	vfio_node(NV, "vfio1", NULL);
	vfio_node(GV0, "vfio2", "511:2\n");
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ctx = dp_fakesys_ctx(fs);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
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

static void set_list(const char *list)
{
	ck_assert_int_eq(dp_policy_set(policy, "vfio_drivers", list), 0);
}

/* The check of a VM with these devices (NULL-terminated); the caller unrefs the report. */
static struct dp_report *check(const char *const *devices)
{
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;

	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 1ull << 30, 1ull << 30), 0);
	for (size_t i = 0; devices[i]; i++)
		ck_assert_int_eq(dp_vm_add_device(vm, devices[i]), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	dp_vm_unref(vm);
	return rep;
}

/* The message of the finding with this code and subject, or NULL; its severity in *sev. */
static const char *finding(const struct dp_report *rep, uint32_t code, const char *subject,
			   uint32_t *sev)
{
	static char msg[1024];

	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != code || strcmp(f.subject, subject) != 0)
			continue;
		if (sev)
			*sev = f.severity;
		snprintf(msg, sizeof(msg), "%s", f.message);
		return msg;
	}
	return NULL;
}

/* The report's JSON as text; freed by the next call. */
static const char *json(const struct dp_report *rep)
{
	static char *text;

	free(text);
	text = NULL;
	ck_assert_int_eq(dp_report_to_json(rep, &text), 0);
	return text;
}

/* ---- the setting ---- */

START_TEST(the_default_lists_vfio_pci_its_variants_and_registered_drivers)
{
	ck_assert_str_eq(dp_policy_get_vfio_drivers(policy), DEFAULT_LIST);
	set_list("vfio-pci,mlx5_vfio_pci\tnvidia:vfio-dev");
	ck_assert_str_eq(dp_policy_get_vfio_drivers(policy), "vfio-pci mlx5_vfio_pci nvidia:vfio-dev");
}
END_TEST

START_TEST(a_bad_list_is_refused_with_why_and_changes_nothing)
{
	static const struct { const char *value, *why; } bad[] = {
		{ "", "lists no driver" },
		{ "*", "would count every host driver as ready; write *:vfio-dev" },
		{ "vfio-pci,", "an empty entry after the last comma" },
		{ "nvidia:cdev", "the only condition is :vfio-dev" },
		{ "vfio/pci", "is not a driver name" },
		{ "vfio-pci vfio-pci", "vfio-pci is listed twice" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(policy, "vfio_drivers", bad[i].value),
						    bad[i].why), -EINVAL);
		ck_assert_str_eq(dp_policy_get_vfio_drivers(policy), DEFAULT_LIST);
	}
}
END_TEST

START_TEST(a_policy_file_sets_the_list_all_or_nothing)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.conf", dp_fakesys_scratch(fs));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[policy]\nvfio_drivers = vfio-pci nvidia:vfio-dev\n", f);
	fclose(f);
	ck_assert_int_eq(dp_policy_load_file(policy, path), 0);
	ck_assert_str_eq(dp_policy_get_vfio_drivers(policy), "vfio-pci nvidia:vfio-dev");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[policy]\nvfio_drivers = vfio-pci\nrequire_iommu = maybe\n", f);
	fclose(f);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(policy, path), "require_iommu"), -EINVAL);
	ck_assert_str_eq(dp_policy_get_vfio_drivers(policy), "vfio-pci nvidia:vfio-dev");
}
END_TEST

/* ---- the inventory ---- */

START_TEST(the_inventory_reads_the_vfio_dev_node_and_its_cdev)
{
	uint32_t major = 0, minor = 0;

	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_str_eq(dp_device_get_vfio_dev(device(MLX)), "vfio0");
	ck_assert_int_eq(dp_device_get_vfio_devnum(device(MLX), &major, &minor), 0);
	ck_assert_uint_eq(major, 511);
	ck_assert_uint_eq(minor, 0);
	ck_assert_str_eq(dp_device_get_vfio_dev(device(NV)), "vfio1");
	ck_assert_int_eq(dp_device_get_vfio_devnum(device(NV), &major, &minor), -ENOENT);
	ck_assert_ptr_null(dp_device_get_vfio_dev(device(NIC)));
	ck_assert_ptr_null(dp_device_get_vfio_dev(device(FREE)));
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(device(MLX)), DP_VFIO_DRIVER_VARIANT);
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(device(NV)), DP_VFIO_DRIVER_VENDOR);
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(device(NIC)), DP_VFIO_DRIVER_HOST);
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(device(GV0)), DP_VFIO_DRIVER_VFIO_PCI);
	ck_assert_uint_eq(dp_device_get_vfio_driver_kind(device(FREE)), DP_VFIO_DRIVER_NONE);
}
END_TEST

/* ---- the check ---- */

START_TEST(a_device_on_mlx5_vfio_pci_is_ready)
{
	struct dp_report *rep;
	const char *m;
	uint32_t sev = 99;

	mark_file(MLX, "mlx5_vfio_pci\n");
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_device_is_marked(device(MLX)), 1);
	ck_assert_int_eq(dp_policy_vfio_driver_ready(policy, device(MLX)), 1);
	rep = check((const char *[]){ MLX, NULL });
	ck_assert_msg(dp_report_is_allowed(rep), "%s", json(rep));
	m = finding(rep, DP_FINDING_VFIO_DRIVER, MLX, &sev);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sev, DP_SEVERITY_INFO);
	ck_assert_str_eq(m, MLX ": on mlx5_vfio_pci, a vfio-pci variant driver, which adds the vendor's device features, typically migration (the migration answer says which) (vfio_drivers lists it); VFIO opens it through the group /dev/vfio/3 and the cdev /dev/vfio/devices/vfio0 (iommufd)");
	ck_assert_ptr_null(finding(rep, DP_FINDING_NOT_BOUND, MLX, NULL));
	ck_assert_ptr_nonnull(strstr(json(rep), "\"vfio_driver\": {\n        \"name\": \"mlx5_vfio_pci\",\n        \"kind\": \"variant\",\n        \"ready\": true,\n        \"vfio_dev\": \"vfio0\",\n        \"group\": \"/dev/vfio/3\",\n        \"cdev\": \"/dev/vfio/devices/vfio0\""));
	dp_report_unref(rep);
}
END_TEST

START_TEST(a_policy_narrowed_to_vfio_pci_refuses_the_variant_driver)
{
	struct dp_report *rep;
	uint32_t sev = 99;
	const char *m;

	mark_file(MLX, "mlx5_vfio_pci\n");
	set_list("vfio-pci");
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_policy_vfio_driver_ready(policy, device(MLX)), 0);
	rep = check((const char *[]){ MLX, NULL });
	ck_assert(!dp_report_is_allowed(rep));
	m = finding(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, MLX, &sev);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	ck_assert_str_eq(m, MLX ": on mlx5_vfio_pci, a vfio-pci variant driver, which vfio_drivers (vfio-pci) does not count as ready for passthrough; add mlx5_vfio_pci to vfio_drivers in the policy, or bind it to a driver the list names");
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER, MLX, NULL));
	ck_assert_ptr_nonnull(strstr(json(rep), "\"ready\": false"));
	dp_report_unref(rep);
}
END_TEST

START_TEST(nvidia_with_a_vfio_dev_node_is_ready_when_the_policy_allows_it)
{
	struct dp_report *rep;
	uint32_t sev = 99;
	const char *m;

	mark_file(NV, "nvidia\n"); /* a vendor driver's mark: the device is on it, registered */
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_device_is_marked(device(NV)), 1);
	/* The default takes any driver that registered the device with VFIO. */
	rep = check((const char *[]){ NV, NULL });
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, NV, NULL));
	m = finding(rep, DP_FINDING_VFIO_DRIVER, NV, &sev);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "a vendor driver that registered it with VFIO itself"));
	ck_assert_ptr_nonnull(strstr(m, "through the group /dev/vfio/4 (no VFIO cdev"));
	dp_report_unref(rep);
	/* Explicitly: nvidia, only with its vfio-dev node. */
	set_list("vfio-pci nvidia:vfio-dev");
	rep = check((const char *[]){ NV, NULL });
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, NV, NULL));
	ck_assert_ptr_nonnull(finding(rep, DP_FINDING_VFIO_DRIVER, NV, NULL));
	dp_report_unref(rep);
}
END_TEST

START_TEST(nvidia_is_refused_with_vfio_driver_not_listed_when_the_policy_does_not_allow_it)
{
	struct dp_report *rep;
	uint32_t sev = 99;
	const char *m;

	mark_file(NV, "nvidia\n");
	set_list("vfio-pci *_vfio_pci");
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	rep = check((const char *[]){ NV, NULL });
	ck_assert(!dp_report_is_allowed(rep));
	m = finding(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, NV, &sev);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	ck_assert_str_eq(m, NV ": on nvidia, a driver that registered it with VFIO, which vfio_drivers (vfio-pci *_vfio_pci) does not count as ready for passthrough; add nvidia:vfio-dev to vfio_drivers in the policy, or bind it to a driver the list names");
	ck_assert_ptr_null(finding(rep, DP_FINDING_NOT_BOUND, NV, NULL));
	dp_report_unref(rep);
}
END_TEST

START_TEST(a_device_on_a_host_driver_is_not_ready)
{
	struct dp_report *rep;
	const char *m;

	mark_file(NIC, "vfio-pci\n"); /* marked, never applied */
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_policy_vfio_driver_ready(policy, device(NIC)), 0);
	rep = check((const char *[]){ NIC, NULL });
	ck_assert(!dp_report_is_allowed(rep));
	m = finding(rep, DP_FINDING_NOT_BOUND, NIC, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "bound to e1000e, not vfio-pci"));
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER, NIC, NULL));
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, NIC, NULL));
	ck_assert_ptr_nonnull(strstr(json(rep), "\"kind\": \"host\",\n        \"ready\": false"));
	dp_report_unref(rep);
}
END_TEST

START_TEST(a_group_sibling_on_a_variant_driver_keeps_the_group_viable)
{
	struct dp_report *rep;
	const char *m;

	mark_file(GV0, "vfio-pci\n");
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	rep = check((const char *[]){ GV0, NULL });
	ck_assert_ptr_null(finding(rep, DP_FINDING_GROUP_NOT_VIABLE, GV0, NULL));
	ck_assert_ptr_null(finding(rep, DP_FINDING_VFIO_DRIVER, GV0, NULL)); /* vfio-pci: nothing to say */
	dp_report_unref(rep);
	/* Narrowed to vfio-pci, the sibling is the host's as far as the policy knows. */
	set_list("vfio-pci");
	rep = check((const char *[]){ GV0, NULL });
	m = finding(rep, DP_FINDING_GROUP_NOT_VIABLE, GV0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "also holds " GV1 ", bound to hisi_acc_vfio_pci"));
	dp_report_unref(rep);
}
END_TEST

START_TEST(a_vm_whose_devices_are_all_on_ready_vfio_drivers_does_not_need_vfio_pci)
{
	struct dp_host_caps caps = { .sz = sizeof(caps) };
	struct dp_report *rep;
	uint32_t sev = 99;

	/* No bus/pci/drivers/vfio-pci: GV0's driver directory goes with it. */
	ck_assert_int_eq(dp_fakesys_set_driver(fs, GV0, NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/drivers/vfio-pci/uevent", NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/drivers/vfio-pci/bind", NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/drivers/vfio-pci/unbind", NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/drivers/vfio-pci/new_id", NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/drivers/vfio-pci/remove_id", NULL), 0);
	ck_assert_int_eq(rmdir("/sys/bus/pci/drivers/vfio-pci"), 0);
	mark_file(MLX, "mlx5_vfio_pci\n");
	mark_file(NIC, "vfio-pci\n");
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &caps), 0);
	ck_assert(!(caps.flags & DP_HOST_VFIO_PCI));
	rep = check((const char *[]){ MLX, NULL });
	ck_assert_ptr_null(finding(rep, DP_FINDING_NO_VFIO_PCI, "vm", NULL));
	ck_assert_msg(dp_report_is_allowed(rep), "%s", json(rep));
	dp_report_unref(rep);
	/* The NIC is to be bound to vfio-pci, which this host lacks (unless it can load it). */
	rep = check((const char *[]){ MLX, NIC, NULL });
	if (!(caps.flags & DP_HOST_VFIO_PCI_MODULE)) {
		ck_assert_ptr_nonnull(finding(rep, DP_FINDING_NO_VFIO_PCI, "vm", &sev));
		ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	}
	dp_report_unref(rep);
}
END_TEST

/* ---- marking for a driver ---- */

START_TEST(mark_driver_refuses_a_driver_the_policy_does_not_list)
{
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	set_list("vfio-pci");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_device_set_passthrough_driver(device(FREE), policy,
									      "mlx5_vfio_pci", 0),
					    FREE ": mlx5_vfio_pci is not a driver vfio_drivers (vfio-pci) counts as ready for passthrough; list it"),
			 -EPERM);
	/* nvidia is listed only where it registered the device: FREE is on no driver. */
	set_list("vfio-pci nvidia:vfio-dev");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_device_set_passthrough_driver(device(FREE), policy, "nvidia", 0),
					    "unless the device is on it and it registered the device with VFIO"),
			 -EPERM);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_device_set_passthrough_driver(device(FREE), policy, "a b", 0),
					    "is not a driver name"),
			 -EINVAL);
	ck_assert_int_eq(access(dp_ctx_get_driverctl_dir(ctx), F_OK), -1); /* nothing written */
	ck_assert_int_eq(dp_device_is_marked(device(FREE)), 0);
}
END_TEST

START_TEST(mark_driver_binds_the_variant_driver_and_unmark_gives_it_back)
{
	char buf[64], path[PATH_MAX + 32];
	FILE *f;

	ck_assert_int_eq(dp_fakesys_kernel_start(fs), 0);
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_device_set_passthrough_driver(device(FREE), policy, "mlx5_vfio_pci",
							  DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_fakesys_kernel_log(fs), "override " FREE " mlx5_vfio_pci\n"
						    "probe " FREE " mlx5_vfio_pci\n");
	ck_assert_str_eq(dp_device_get_driver(device(FREE)), "mlx5_vfio_pci");
	ck_assert_ptr_null(dp_device_get_vfio_dev(device(FREE))); /* the emulated kernel makes no node */
	snprintf(path, sizeof(path), "%s/pci-" FREE, dp_ctx_get_driverctl_dir(ctx));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "mlx5_vfio_pci\n");
	vfio_node(FREE, "vfio3", "511:3\n"); /* what the real driver registers */
	ck_assert_int_gt(dp_ctx_scan(ctx), 0);
	ck_assert_int_eq(dp_device_is_marked(device(FREE)), 1);
	ck_assert_str_eq(dp_device_get_driver(device(FREE)), "mlx5_vfio_pci");
	ck_assert_str_eq(dp_device_get_vfio_dev(device(FREE)), "vfio3");
	/* Unmarking undoes the mark's own driver, whatever it is; the handle follows. */
	ck_assert_int_eq(dp_device_set_passthrough(device(FREE), 0, DP_MARK_APPLY), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_ptr_nonnull(strstr(dp_fakesys_kernel_log(fs), "override " FREE " \n"
						       "unbind mlx5_vfio_pci " FREE "\n"));
	ck_assert_ptr_null(dp_device_get_driver(device(FREE)));
	ck_assert_ptr_null(dp_device_get_vfio_dev(device(FREE)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vfiodriver");
	TCase *tc = tcase_create("vfiodriver");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_default_lists_vfio_pci_its_variants_and_registered_drivers);
	tcase_add_test(tc, a_bad_list_is_refused_with_why_and_changes_nothing);
	tcase_add_test(tc, a_policy_file_sets_the_list_all_or_nothing);
	tcase_add_test(tc, the_inventory_reads_the_vfio_dev_node_and_its_cdev);
	tcase_add_test(tc, a_device_on_mlx5_vfio_pci_is_ready);
	tcase_add_test(tc, a_policy_narrowed_to_vfio_pci_refuses_the_variant_driver);
	tcase_add_test(tc, nvidia_with_a_vfio_dev_node_is_ready_when_the_policy_allows_it);
	tcase_add_test(tc, nvidia_is_refused_with_vfio_driver_not_listed_when_the_policy_does_not_allow_it);
	tcase_add_test(tc, a_device_on_a_host_driver_is_not_ready);
	tcase_add_test(tc, a_group_sibling_on_a_variant_driver_keeps_the_group_viable);
	tcase_add_test(tc, a_vm_whose_devices_are_all_on_ready_vfio_drivers_does_not_need_vfio_pci);
	tcase_add_test(tc, mark_driver_refuses_a_driver_the_policy_does_not_list);
	if (access("/dev/fuse", R_OK | W_OK) == 0)
		tcase_add_test(tc, mark_driver_binds_the_variant_driver_and_unmark_gives_it_back);
	else
		fprintf(stderr, "no usable FUSE: the emulated-kernel test is not run\n");
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
