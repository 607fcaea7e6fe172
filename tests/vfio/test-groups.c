/* SPDX-License-Identifier: MIT */
/*
 * IOMMU group viability on the real kernel (tests/vm topology multifn: two
 * edu functions sharing one group), run with --bind none. A member on a host
 * driver makes the group not viable: the policy says so, naming it, and the
 * kernel itself refuses the group when the policy is told to look away.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char fn0[DP_GUEST_BDF_MAX], fn1[DP_GUEST_BDF_MAX];

/* Binds bdf to driver (or unbinds it with NULL) the way an administrator would. */
static void bind_to(const char *bdf, const char *driver)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	f = fopen(path, "w");
	if (f) {
		fputs(bdf, f);
		fclose(f);
	}
	if (!driver)
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(driver, f);
	fclose(f);
	f = fopen("/sys/bus/pci/drivers_probe", "w");
	ck_assert_ptr_nonnull(f);
	fputs(bdf, f);
	fclose(f);
}

static void setup(void)
{
	char bdfs[3][DP_GUEST_BDF_MAX]; /* room for one too many */

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 3), 2);
	snprintf(fn0, sizeof(fn0), "%s", bdfs[0]);
	snprintf(fn1, sizeof(fn1), "%s", bdfs[1]);
	policy = dp_guest_policy(ctx);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

static struct dp_vm *vm_of(const char *a, const char *b)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, "grouped", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	dp_vm_add_device(vm, a);
	if (b)
		dp_vm_add_device(vm, b);
	return vm;
}

START_TEST(the_two_functions_share_one_group)
{
	struct dp_device *d;

	ck_assert_int_eq(dp_ctx_find_device(ctx, fn0, &d), 0);
	ck_assert_uint_eq(dp_device_get_group_size(d), 2);
	ck_assert_str_eq(dp_device_get_group_member(d, 0), fn0);
	ck_assert_str_eq(dp_device_get_group_member(d, 1), fn1);
	dp_device_unref(d);
}
END_TEST

START_TEST(a_member_on_a_host_driver_is_refused_and_named)
{
	struct dp_vm *vm;
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	const char *errs;
	char want[128];

	dp_guest_mark(ctx, fn0);
	bind_to(fn1, "uio_pci_generic");
	ck_assert_int_ge(dp_ctx_scan(ctx), 2);
	vm = vm_of(fn0, NULL);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), -EPERM);
	errs = dp_test_log_expect_end();
	snprintf(want, sizeof(want), "also holds %s, bound to uio_pci_generic", fn1);
	ck_assert_msg(strstr(errs, want), "%s", errs);

	/* Told to look away, the policy lets it through: the kernel then refuses. */
	ck_assert_int_eq(dp_policy_set(policy, "require_viable_group", "no"), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), -EPERM);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, "not viable"), "%s", errs);
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	{
		char lease[96];

		snprintf(lease, sizeof(lease), "/tmp/dp-run/lease-%s", fn0);
		ck_assert_int_eq(access(lease, F_OK), -1);
	}
	dp_vm_unref(vm);
	bind_to(fn1, NULL);
}
END_TEST

START_TEST(an_unbound_member_is_viable_and_both_attach_together)
{
	struct dp_vm *vm;
	struct dp_attachment *att = NULL;

	dp_guest_mark(ctx, fn0);
	bind_to(fn1, NULL);
	ck_assert_int_ge(dp_ctx_scan(ctx), 2);
	vm = vm_of(fn0, NULL);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0); /* the sibling is unbound: fine */
	dp_detach(att);
	dp_vm_unref(vm);
	dp_guest_mark(ctx, fn1);
	vm = vm_of(fn0, fn1);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 2);
	dp_detach(att);
	dp_vm_unref(vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("groups");
	TCase *tc = tcase_create("groups");

	dp_guest_require_vfio();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, the_two_functions_share_one_group);
	tcase_add_test(tc, a_member_on_a_host_driver_is_refused_and_named);
	tcase_add_test(tc, an_unbound_member_is_viable_and_both_attach_together);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
