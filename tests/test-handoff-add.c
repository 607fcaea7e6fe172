/* SPDX-License-Identifier: MIT */
/*
 * Additions (dp_handoff_open_device, dp_attachment_add_handoff) on the
 * handoff fixture's synthetic /sys: an addition goes over the socket with
 * its "add" line and two fds, dp_attach refuses it, and each refusal of
 * dp_attachment_add_handoff and dp_handoff_open_device leaves everything as
 * it was: the handoff whole, no fd or lease behind. Root, white-box.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "gate.h"
#include "handoff-fixture.h"
#include "lease.h"
#include "testlog.h"
#include "testrun.h"

/* An addition: "add", no container or iommufd; not for dp_attach, whose gate refuses it whole. */
START_TEST(addition_sent_received)
{
	for (uint32_t b = DP_BACKEND_TYPE1; b <= DP_BACKEND_IOMMUFD; b++) {
		struct dp_handoff *m = manager_as(b, "vm1", true), *h = NULL;
		struct dp_vm *vm = vm_of("vm1", B1);
		struct dp_gate g;

		ck_assert_int_eq(dp_handoff_is_addition(m), 1);
		ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
		dp_handoff_free(m);
		ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
		ck_assert_int_eq(dp_handoff_is_addition(h), 1);
		ck_assert_uint_eq(dp_handoff_get_fd_count(h), 2);
		ck_assert_ptr_nonnull(strstr(dp_handoff_get_description(h), "\nvm vm1\nadd\nfds 2\n"));
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, vm, 0, &g),
						    "an addition of " B1 " to the attached VM"), -EINVAL);
		ck_assert_int_ge(dp_handoff_find(h, DP_HANDOFF_FD_LEASE, -1, B1), 0);
		dp_handoff_free(h);
		ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0);
		dp_vm_unref(vm);
	}
	ck_assert_int_eq(dp_handoff_is_addition(NULL), 0);
}
END_TEST

/* Each refusal of dp_attachment_add_handoff leaves the handoff whole: every fd, the lease held. */
START_TEST(add_handoff_refusals)
{
	struct dp_handoff *full = received("vm1"), *h = NULL, *m;
	struct dp_vm *vm = vm_of("vm1", B2), *vm2 = vm_of("vm2", B2);
	struct dp_attachment att = { .ctx = ctx, .vm = vm, .backend = DP_BACKEND_IOMMUFD,
				     .have_iommufd = true };
	struct dp_vdev v = { .fd = -1 }, *vs[1] = { &v };
	int before;

	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, full, 0, NULL),
					    "the handoff is a whole VM's, for dp_attach"), -EINVAL);
	dp_handoff_free(full);
	m = manager_as(DP_BACKEND_TYPE1, "vm1", true);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, m, 0, NULL),
					    "BUG: dp_attachment_add_handoff: the handoff is the manager's"),
			 -EINVAL);
	ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
	dp_handoff_free(m);
	ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
	before = dp_test_count_fds();
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, h, 1, NULL),
					    "unknown flags 0x1"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, h, 0, NULL),
					    "attached through iommufd, but the handoff is type1"),
			 -EINVAL);
	att.backend = DP_BACKEND_TYPE1;
	att.have_iommufd = false;
	att.vm = vm2;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, h, 0, NULL),
					    "vm2: the handoff is for VM \"vm1\""), -EINVAL);
	att.vm = vm;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, h, 0, NULL),
					    "attached without devices, so there is no container"),
			 -ENODEV);
	att.have_container = true;
	snprintf(v.bdf, sizeof(v.bdf), B1);
	att.vdevs = vs;
	att.n_vdevs = 1;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attachment_add_handoff(&att, h, 0, NULL),
					    B1 " is already attached"), -EEXIST);
	ck_assert_int_eq(dp_test_count_fds(), before);
	ck_assert_int_ge(dp_handoff_find(h, DP_HANDOFF_FD_GROUP, 7, NULL), 0);
	ck_assert_int_ge(dp_handoff_find(h, DP_HANDOFF_FD_LEASE, -1, B1), 0);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 1);
	dp_handoff_free(h);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0);
	dp_vm_unref(vm);
	dp_vm_unref(vm2);
}
END_TEST

/* The manager's addition: the VM's devices named by BDF, the new one not among them. */
START_TEST(open_device_refusals)
{
	struct dp_vm *none = NULL, *req = vm_of("vm1", "1234:11e8"), *vm = vm_of("vm1", B2);
	DP_OPTS(dp_handoff_opts, o, .flags = 1);
	struct dp_handoff *h = NULL;
	struct dp_policy *p = NULL;
	int before = dp_test_count_fds();

	ck_assert_int_eq(dp_policy_new(ctx, &p), 0);
	ck_assert_int_eq(dp_vm_new(ctx, "vm1", &none), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, none, B1, NULL, &h),
					    "attached with no devices"), -ENODEV);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, req, B1, NULL, &h),
					    "\"1234:11e8\" is not a PCI address"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, vm, "02:00.0", NULL, &h),
					    B2 " is attached already"), -EEXIST);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, vm, "nope", NULL, &h),
					    "\"nope\" is not a PCI address"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, vm, B1, &o, &h),
					    "dp_handoff_open_device: unknown flags 0x1"), -EINVAL);
	/* B2 is no device of vm1's: nobody holds its lease. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(p, vm, B1, NULL, &h),
					    B2 " is not leased to it"), -EINVAL);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0);
	ck_assert_int_eq(dp_test_count_fds(), before);
	dp_policy_unref(p);
	dp_vm_unref(none);
	dp_vm_unref(req);
	dp_vm_unref(vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handoff-add");
	TCase *tc = tcase_create("add");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, handoff_fixture_setup, handoff_fixture_teardown);
	tcase_add_test(tc, addition_sent_received);
	tcase_add_test(tc, add_handoff_refusals);
	tcase_add_test(tc, open_device_refusals);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
