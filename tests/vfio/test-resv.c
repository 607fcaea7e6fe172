/* SPDX-License-Identifier: MIT */
/*
 * Reserved regions on the real kernel (tests/vm topology one, --bind none):
 * the guest's intel-iommu gives every group the x86 MSI window
 * 0xfee00000-0xfeefffff as an msi region. A VM whose RAM below 4 GiB runs
 * over it is denied at check time, with both ranges named; the default
 * layout is not; the region the kernel reports is the one the finding
 * names. QEMU has no RMRR to give, so direct regions are tested on
 * synthetic trees only (tests/policy/test-check.c).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

/* The msi region of group g as the kernel lists it; fails the test when there is none. */
static void msi_region(int g, uint64_t *start, uint64_t *end)
{
	char path[96], type[32];
	unsigned long long s, e;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions", g);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s cannot be opened", path);
	while (fscanf(f, "%llx %llx %31s", &s, &e, type) == 3) {
		if (strcmp(type, "msi") == 0 && !found) {
			*start = s;
			*end = e;
			found = true;
		}
	}
	fclose(f);
	ck_assert_msg(found, "%s has no msi region", path);
}

/* The report's findings of one code, counted; the first one's message into msg. */
static size_t findings_of(const struct dp_report *rep, uint32_t code, char *msg, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != code)
			continue;
		if (n++ == 0)
			snprintf(msg, len, "%s", f.message);
	}
	return n;
}

START_TEST(msi_window_against_guest_ram)
{
	char bdfs[2][DP_GUEST_BDF_MAX], msg[512] = "", want[128];
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_attachment *att = NULL;
	struct dp_report *rep = NULL;
	struct dp_vm *vm;
	uint64_t start = 0, end = 0;
	int groups[2];

	/* The MSI window alone: a hole this high leaves the BARs no room, which mmio_window judges. */
	ck_assert_int_eq(dp_policy_set(policy, "mmio_window", "warn"), 0);
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, groups, 2), 1);
	dp_guest_mark(ctx, bdfs[0]);
	msi_region(groups[0], &start, &end);
	ck_assert_uint_eq(start, 0xfee00000);
	ck_assert_uint_eq(end, 0xfeefffff);

	ck_assert_int_eq(dp_vm_new(ctx, "resv", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	ck_assert_int_eq(dp_vm_set_memory(vm, UINT64_C(8) << 30, UINT64_C(8) << 30), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, bdfs[0]), 0);

	/* The default hole (RAM below 4 GiB ends at 3 GiB): nothing to say. */
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_uint_eq(findings_of(rep, DP_FINDING_RESERVED_OVERLAP, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(findings_of(rep, DP_FINDING_DIRECT_REGION, msg, sizeof(msg)), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	rep = dp_report_unref(rep);

	/* RAM up to 0xff000000 covers the MSI window: denied, both ranges named, the fix given. */
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, 0xff000000), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_uint_eq(findings_of(rep, DP_FINDING_RESERVED_OVERLAP, msg, sizeof(msg)), 1);
	ck_assert_int_eq(dp_report_is_allowed(rep), 0);
	snprintf(want, sizeof(want), "guest RAM 0x0-0xfeffffff overlaps IOMMU group %d's msi region 0x%" PRIx64 "-0x%" PRIx64,
		 groups[0], start, end);
	ck_assert_msg(strstr(msg, want), "\"%s\" lacks \"%s\"", msg, want);
	ck_assert_msg(strstr(msg, "lower the VM's mmio_hole to 0xfee00000 or below"), "%s", msg);
	rep = dp_report_unref(rep);

	/* dp_attach makes the same check: refused before anything is opened. */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), -EPERM);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "overlaps IOMMU group"));
	ck_assert_ptr_null(att);

	/* The hole where the fix says: allowed, and the device attaches. */
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, 0xfee00000), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_uint_eq(findings_of(rep, DP_FINDING_RESERVED_OVERLAP, msg, sizeof(msg)), 0);
	rep = dp_report_unref(rep);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_ptr_null(dp_detach(att));

	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resv");
	TCase *tc = tcase_create("resv");

	dp_guest_require_vfio();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, msi_window_against_guest_ram);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
