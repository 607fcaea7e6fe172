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

#include "testlog.h"

START_TEST(two_groups_share_one_container)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .driverctl_dir = "/tmp/dp-driverctl",
		.run_dir = "/tmp/dp-run", .config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	struct dp_ctx *ctx;
	struct dp_policy *policy;
	struct dp_vm *vm;
	struct dp_attachment *att = NULL;
	int groups[2], n = 0;
	uint8_t *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_ge(dp_ctx_scan(ctx), 2);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
	ck_assert_int_eq(dp_policy_set(policy, "unlisted_devices", "allow"), 0);
	ck_assert_int_eq(dp_vm_new(ctx, "two", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		dp_device_get_info(d, &info);
		if (info.vendor_id != 0x1234 || info.device_id != 0x11e8)
			continue;
		ck_assert_int_lt(n, 2);
		groups[n++] = info.iommu_group;
		ck_assert_int_eq(dp_device_set_passthrough(d, 1, DP_MARK_APPLY), 0);
		ck_assert_int_eq(dp_vm_add_device(vm, dp_device_get_bdf(d)), 0);
	}
	ck_assert_int_eq(n, 2);
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
	SRunner *sr;
	int failed;

	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		printf("1..0 # SKIP needs VFIO with an IOMMU (run through tests/vm/run-in-guest)\n");
		return 0;
	}
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_groups_share_one_container);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
