/* SPDX-License-Identifier: MIT */
/*
 * dp_attach's gate and bookkeeping on synthetic hosts (tests/lib/fakesys,
 * mounted over /sys in a private mount namespace, with /dev/vfio and
 * /lib/modules hidden there): a host without an IOMMU, one with an IOMMU
 * group but no vfio-pci, and one the policy allows but whose VFIO nodes are
 * missing. A refused VM leaves nothing behind (no lease, no fd), a VM
 * without devices attaches without VFIO, and misuse is refused. The real
 * VFIO paths run in the vfio suite.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

#define NIC "0000:03:00.0"

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char run[4096];

/* The host of each test case: the tree written before the ctx reads it. */
enum host_kind {
	HOST_NO_IOMMU,       /* No IOMMU, vfio-pci loaded, the NIC on ixgbe. */
	HOST_IOMMU_NO_VFIO,  /* An Intel IOMMU with remapping, the NIC in group 7, no vfio-pci. */
	HOST_READY,          /* The same with vfio-pci, the NIC marked and bound to it. */
};

/* A driverctl mark for the NIC, as directpath mark would leave it. */
static void mark_nic(const char *driverctl_dir)
{
	char path[4096 + sizeof("/pci-" NIC)];
	FILE *f;

	ck_assert_int_eq(mkdir(driverctl_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/pci-" NIC, driverctl_dir);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("vfio-pci\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void setup_host(enum host_kind kind)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");
	struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
				     .vfio_pci = true, .vfio_type1 = true };
	struct dp_fake_dev nic = { .bdf = NIC, .vendor = 0x8086, .device = 0x10fb,
				   .class_code = 0x020000, .caps = DP_FAKE_CAP_FLR,
				   .group = 7, .driver = "ixgbe",
				   .bars = { { .size = 1 << 20 } } };
	char driverctl[4096];

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	switch (kind) {
	case HOST_NO_IOMMU:
		host = (struct dp_fake_host){ .iommu = DP_FAKE_IOMMU_NONE, .vfio_pci = true,
					      .vfio_type1 = true };
		nic.group = 0;
		break;
	case HOST_IOMMU_NO_VFIO:
		host.vfio_pci = host.vfio_type1 = false;
		break;
	case HOST_READY:
		nic.driver = "vfio-pci";
		break;
	}
	ck_assert_int_eq(dp_fakesys_set_host(fs, &host), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &nic), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);

	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	snprintf(driverctl, sizeof(driverctl), "%s/driverctl.d", dp_fakesys_scratch(fs));
	/* The admin marked the NIC on both IOMMU hosts; vfio-pci took it only where it is. */
	if (kind != HOST_NO_IOMMU)
		mark_nic(driverctl);
	o.run_dir = run;
	o.driverctl_dir = driverctl;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
}

static void setup_no_iommu(void)
{
	setup_host(HOST_NO_IOMMU);
}

static void setup_iommu_no_vfio(void)
{
	setup_host(HOST_IOMMU_NO_VFIO);
}

static void setup_ready(void)
{
	setup_host(HOST_READY);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
}

static struct dp_vm *vm_named(const char *name, const char *bdf)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, name, &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 1ULL << 30, 1ULL << 30), 0);
	if (bdf)
		ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
	return vm;
}

static struct dp_vm *vm_with(const char *bdf)
{
	return vm_named("db01", bdf);
}

/* Entries in the run dir (leases and their temporaries); 0 when it was never made. */
static int run_dir_entries(void)
{
	DIR *d = opendir(run);
	struct dirent *de;
	int entries = 0;

	if (!d) {
		ck_assert_int_eq(errno, ENOENT);
		return 0;
	}
	while ((de = readdir(d)))
		entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return entries;
}

/* Lines in the collected errors. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Attaches vm expecting a refusal with r; its errors, with att and the fds checked untouched. */
static const char *attach_refused(struct dp_vm *vm, int r)
{
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	int fds = dp_test_count_fds();

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), r);
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	return dp_test_log_expect_end();
}

/* The same with opts asking for a backend. */
static const char *attach_refused_as(struct dp_vm *vm, uint32_t backend, int r)
{
	DP_OPTS(dp_attach_opts, opts, .backend = backend);
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	int fds = dp_test_count_fds();

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), r);
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	return dp_test_log_expect_end();
}

START_TEST(a_backend_the_host_cannot_give_is_refused_and_nothing_left)
{
	struct dp_vm *vm = vm_with(NIC);
	bool iommu = access("/dev/iommu", F_OK) == 0;
	const char *errs;

	/* No /dev/iommu here, or (a host with it) no vfio-dev node in the synthetic tree. */
	errs = attach_refused_as(vm, DP_BACKEND_IOMMUFD, iommu ? -ENODEV : -EOPNOTSUPP);
	ck_assert_msg(strstr(errs, iommu ? "iommufd cannot be used: " NIC " has no VFIO device node"
					 : "iommufd cannot be used: /dev/iommu is absent"), "%s", errs);
	ck_assert_msg(lines(errs) == 1, "%s", errs);
	ck_assert_int_eq(run_dir_entries(), 0); /* the lease given back */
	errs = attach_refused_as(vm, DP_BACKEND_IOMMUFD + 5, -EINVAL); /* before anything */
	ck_assert_msg(strstr(errs, "BUG: dp_attach: backend 7 is none of auto, type1 or iommufd"),
		      "%s", errs);
	ck_assert_int_eq(run_dir_entries(), 0);
	/* type1, asked for, is what auto gives here: it gets as far as /dev/vfio/vfio. */
	errs = attach_refused_as(vm, DP_BACKEND_TYPE1, -ENOENT);
	ck_assert_msg(strstr(errs, "/dev/vfio/vfio"), "%s", errs);
	ck_assert_int_eq(run_dir_entries(), 0);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_vm_without_devices_attaches_without_vfio)
{
	struct dp_vm *vm = vm_with(NULL);
	struct dp_attachment *att = NULL;
	struct dp_iommu_info info = { .sz = sizeof(info) };
	int fds = dp_test_count_fds();
	char page[4096];

	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_ptr_nonnull(att);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 0);
	ck_assert_ptr_null(dp_attachment_get_vdev(att, 0));
	ck_assert_int_eq(dp_attachment_get_iommu_info(att, &info), 0);
	ck_assert_uint_eq(info.n_iova_ranges, 0);
	ck_assert_int_eq(dp_attachment_get_iova_range(att, 0, NULL, NULL), -ERANGE);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_dma_map(att, 0, page, sizeof(page)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "db01: no devices attached"));
	ck_assert_ptr_null(dp_detach(att));
	ck_assert_int_eq(dp_test_count_fds(), fds);
	ck_assert_int_eq(run_dir_entries(), 0);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_denied_vm_is_refused_with_the_reasons_and_nothing_left)
{
	struct dp_vm *vm = vm_with(NIC);
	const char *errs = attach_refused(vm, -EPERM);

	ck_assert_msg(strstr(errs, "db01: the policy denies passthrough"), "%s", errs);
	ck_assert_msg(strstr(errs, "db01: the host has no IOMMU (require_iommu)"), "%s", errs);
	ck_assert_msg(strstr(errs, "db01: the host has no interrupt remapping"), "%s", errs);
	ck_assert_msg(strstr(errs, NIC ": not marked available for passthrough"), "%s", errs);
	/* vfio-pci is loaded here, and nothing else is wrong. */
	ck_assert_msg(!strstr(errs, "vfio-pci"), "%s", errs);
	ck_assert_msg(lines(errs) == 4, "%s", errs);
	/* No lease taken: the run dir was never needed. */
	ck_assert_int_eq(run_dir_entries(), 0);
	ck_assert_int_eq(access(run, F_OK), -1);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(an_iommu_group_without_vfio_pci_is_refused_and_nothing_left)
{
	struct dp_vm *vm = vm_with(NIC);
	const char *errs = attach_refused(vm, -EPERM);

	ck_assert_msg(strstr(errs, "db01: the policy denies passthrough"), "%s", errs);
	ck_assert_msg(strstr(errs, "db01: the host's kernel has no vfio-pci driver"), "%s", errs);
	ck_assert_msg(strstr(errs, NIC ": marked for passthrough but bound to ixgbe, not vfio-pci"),
		      "%s", errs);
	/* The IOMMU, its remapping, the group and the mark are all fine. */
	ck_assert_msg(!strstr(errs, "IOMMU"), "%s", errs);
	ck_assert_msg(!strstr(errs, "remapping"), "%s", errs);
	ck_assert_msg(!strstr(errs, "not marked"), "%s", errs);
	ck_assert_msg(lines(errs) == 3, "%s", errs);
	ck_assert_int_eq(run_dir_entries(), 0);
	ck_assert_int_eq(access(run, F_OK), -1);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(an_allowed_vm_without_dev_vfio_fails_after_the_gate_and_releases_its_lease)
{
	struct dp_vm *vm = vm_with(NIC), *other = vm_named("db02", NIC);
	struct dp_report *rep = NULL;
	const char *errs;

	/* The policy allows it: only the missing VFIO nodes stop the attach. */
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	rep = dp_report_unref(rep);

	errs = attach_refused(vm, -ENOENT);
	ck_assert_msg(strstr(errs, "/dev/vfio/vfio: No such file or directory (is vfio loaded?)"),
		      "%s", errs);
	ck_assert_msg(!strstr(errs, "denies"), "%s", errs);
	ck_assert_msg(lines(errs) == 1, "%s", errs);
	/* The lease was taken, then given back: the run dir exists and is empty. */
	ck_assert_int_eq(access(run, F_OK), 0);
	ck_assert_int_eq(run_dir_entries(), 0);
	/* So another VM's check finds the NIC free, and its attach fails the same way. */
	ck_assert_int_eq(dp_policy_check(policy, other, &rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		ck_assert_uint_ne(f.code, DP_FINDING_DEVICE_LEASED);
	}
	dp_report_unref(rep);
	errs = attach_refused(other, -ENOENT);
	ck_assert_msg(strstr(errs, "/dev/vfio/vfio"), "%s", errs);
	ck_assert_int_eq(run_dir_entries(), 0);
	dp_vm_unref(other);
	dp_vm_unref(vm);
}
END_TEST

/*
 * Hot add: an attachment made without devices has no container to take
 * one (ENODEV, nothing leased, the VM unchanged); bad calls are refused
 * before anything is read. The real add and remove run in the vfio suite
 * (vfio-hotplug).
 */
START_TEST(a_hot_add_without_a_container_or_with_bad_arguments_changes_nothing)
{
	struct dp_vm *vm = vm_with(NULL);
	struct dp_attachment *att = NULL;
	struct dp_vdev *v = (struct dp_vdev *)0x1;
	int fds;

	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	fds = dp_test_count_fds();
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attachment_add_device(att, policy, NIC, 0, &v), -ENODEV);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "no container or IOAS to add " NIC " to"));
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attachment_add_device(att, policy, "03:00", 0, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, NIC, 2, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, NULL, 0, &v), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "unknown flags 0x2"));
	ck_assert_int_eq(dp_attachment_add_device(NULL, policy, NIC, 0, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(att, NULL, NIC, 0, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_remove_device(att, NULL, 0), -EINVAL);
	ck_assert_int_eq(dp_attachment_remove_device(NULL, NULL, 0), -EINVAL);
	ck_assert_ptr_eq(v, (struct dp_vdev *)0x1);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 0);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 0);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	ck_assert_int_eq(run_dir_entries(), 0);
	dp_detach(att);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(misuse_is_refused)
{
	struct dp_vm *vm = vm_with(NULL);
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	struct dp_attach_opts small = { .sz = 8 };
	DP_OPTS(dp_attach_opts, bad_flags, .flags = 0x80);
	uint64_t start;

	ck_assert_int_eq(dp_attach(NULL, vm, NULL, &att), -EINVAL);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, NULL, NULL, &att), -EINVAL);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, NULL), -EINVAL);
	ck_assert_int_eq(dp_attach(policy, vm, &small, &att), -EINVAL);
	ck_assert_int_eq(dp_attach(policy, vm, &bad_flags, &att), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "unknown flags 0x80"));
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	ck_assert_ptr_null(dp_detach(NULL));
	ck_assert_int_eq(dp_dma_map(NULL, 0, NULL, 4096), -EINVAL);
	ck_assert_int_eq(dp_dma_unmap(NULL, 0, 4096), -EINVAL);
	ck_assert_int_eq(dp_attachment_get_iova_range(NULL, 0, &start, NULL), -EINVAL);
	ck_assert_int_eq(dp_vdev_reset(NULL), -EINVAL);
	ck_assert_int_eq(dp_vdev_config_read(NULL, 0, &start, 4), -EINVAL);
	ck_assert_ptr_null(dp_vdev_get_bdf(NULL));
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_newer_callers_opts_are_e2big_and_not_called_a_bug)
{
	struct dp_vm *vm = vm_with(NULL);
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	struct {
		struct dp_attach_opts o;
		uint64_t newer_field;
	} big = { .o = { .sz = sizeof(big) }, .newer_field = 1 };
	const char *errs;

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, &big.o, &att), -E2BIG);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, "sets fields this library"), "%s", errs);
	ck_assert_msg(!strstr(errs, "BUG"), "%s", errs);
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	/* A larger sz with a zero tail is fine. */
	big.newer_field = 0;
	ck_assert_int_eq(dp_attach(policy, vm, &big.o, &att), 0);
	ck_assert_ptr_null(dp_detach(att));
	dp_vm_unref(vm);
}
END_TEST

/*
 * This machine's VFIO nodes and kernel modules, hidden in this namespace, so
 * that only the trees decide: no /dev/vfio/vfio, vfio-pci never loadable.
 */
static void hide(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	if (mount("dp-attach-hidden", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755") < 0) {
		fprintf(stderr, "hiding %s: %s\n", path, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

int main(void)
{
	Suite *s = suite_create("attach");
	TCase *none = tcase_create("no-iommu");
	TCase *novfio = tcase_create("iommu-no-vfio");
	TCase *ready = tcase_create("ready-no-dev-vfio");

	dp_fakesys_enter_namespace();
	hide("/dev/vfio");
	hide("/lib/modules");

	tcase_add_checked_fixture(none, setup_no_iommu, teardown);
	tcase_add_test(none, a_vm_without_devices_attaches_without_vfio);
	tcase_add_test(none, a_denied_vm_is_refused_with_the_reasons_and_nothing_left);
	tcase_add_test(none, misuse_is_refused);
	tcase_add_test(none, a_newer_callers_opts_are_e2big_and_not_called_a_bug);
	suite_add_tcase(s, none);

	tcase_add_checked_fixture(novfio, setup_iommu_no_vfio, teardown);
	tcase_add_test(novfio, an_iommu_group_without_vfio_pci_is_refused_and_nothing_left);
	suite_add_tcase(s, novfio);

	tcase_add_checked_fixture(ready, setup_ready, teardown);
	tcase_add_test(ready, a_vm_without_devices_attaches_without_vfio);
	tcase_add_test(ready, a_hot_add_without_a_container_or_with_bad_arguments_changes_nothing);
	tcase_add_test(ready, an_allowed_vm_without_dev_vfio_fails_after_the_gate_and_releases_its_lease);
	tcase_add_test(ready, a_backend_the_host_cannot_give_is_refused_and_nothing_left);
	suite_add_tcase(s, ready);
	return dp_test_run(s);
}
