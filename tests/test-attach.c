/* SPDX-License-Identifier: MIT */
/*
 * dp_attach's gate and bookkeeping on this host (no IOMMU): a denied VM
 * leaves nothing behind, a VM without devices attaches without VFIO, and
 * misuse is refused. The real VFIO paths run in the vfio suite.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char dir[64], run[96];

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");

	dp_test_log_reset();
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "attach"), 0);
	snprintf(run, sizeof(run), "%s/run", dir);
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	ck_assert_int_eq(dp_test_remove_tree(dir), 0);
}

static struct dp_vm *vm_with(const char *bdf)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, "db01", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 1ULL << 30, 1ULL << 30), 0);
	if (bdf)
		ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
	return vm;
}

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
	dp_vm_unref(vm);
}
END_TEST

START_TEST(a_denied_vm_is_refused_with_the_reasons_and_nothing_left)
{
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	struct dp_vm *vm;
	DIR *d;
	int fds, entries = 0;
	const char *errs;
	struct dirent *de;

	/* A real function of this host: no IOMMU here, so the policy says no. */
	d = opendir("/sys/bus/pci/devices");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	ck_assert_ptr_nonnull(de);
	vm = vm_with(de->d_name);
	closedir(d);
	fds = dp_test_count_fds();
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), -EPERM);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, "db01: the policy denies passthrough"), "%s", errs);
	ck_assert_msg(strstr(errs, "the host has no IOMMU (require_iommu)"), "%s", errs);
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	d = opendir(run); /* no lease taken: the run dir was never needed */
	while (d && (de = readdir(d)))
		entries += de->d_name[0] != '.';
	if (d)
		closedir(d);
	ck_assert_int_eq(entries, 0);
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

int main(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("attach");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_vm_without_devices_attaches_without_vfio);
	tcase_add_test(tc, a_denied_vm_is_refused_with_the_reasons_and_nothing_left);
	tcase_add_test(tc, misuse_is_refused);
	tcase_add_test(tc, a_newer_callers_opts_are_e2big_and_not_called_a_bug);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
