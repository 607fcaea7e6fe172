/* SPDX-License-Identifier: MIT */
/*
 * Two devices in two IOMMU groups (tests/vm topology two, --bind none): both
 * groups join one container (the second without VFIO_SET_IOMMU), one DMA
 * mapping serves both devices, and detach lets both go.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

START_TEST(two_groups_share_one_container)
{
	char bdfs[3][DP_GUEST_BDF_MAX]; /* room for one too many */
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_vm *vm;
	struct dp_attachment *att = NULL;
	int groups[3];
	size_t n = dp_guest_find_edu(ctx, bdfs, groups, 3);
	uint8_t *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(dp_vm_new(ctx, "two", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	for (size_t i = 0; i < n; i++) {
		dp_guest_mark(ctx, bdfs[i]);
		ck_assert_int_eq(dp_vm_add_device(vm, bdfs[i]), 0);
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_int_ne(groups[0], groups[1]);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 2);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, mem, 1 << 20), 0);
	for (size_t i = 0; i < 2; i++) {
		uint16_t vendor = 0;

		ck_assert_int_eq(dp_vdev_config_read(dp_attachment_get_vdev(att, i), 0, &vendor, 2), 0);
		ck_assert_uint_eq(vendor, 0x1234);
	}
	ck_assert_ptr_null(dp_detach(att));
	/* Both groups are free again. */
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	dp_detach(att);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	munmap(mem, 1 << 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("two");
	TCase *tc = tcase_create("two");

	dp_guest_require_vfio();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_groups_share_one_container);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
