/* SPDX-License-Identifier: MIT */
/*
 * The plan on the real kernel (tests/vm topology nvme, --bind none): what
 * dp_report_get_plan says of QEMU's edu (BAR0 1 MiB, 32-bit) and NVMe
 * (BAR0 16 KiB, 64-bit non-prefetchable) matches the BAR sizes the guest
 * kernel gives in sysfs (resource), read here without the library: both go
 * below 4 GiB, nothing above.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define IORESOURCE_IO 0x100u
#define IORESOURCE_MEM 0x200u
#define IORESOURCE_PREFETCH 0x2000u
#define IORESOURCE_MEM_64 0x100000u

/* The first function with these IDs, by sysfs, into bdf. */
static void find(struct dp_ctx *ctx, uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	ck_assert_int_ge(dp_ctx_scan(ctx), 1);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_device_get_info(d, &info), 0);
		if (info.vendor_id == vendor && info.device_id == device) {
			snprintf(bdf, len, "%s", dp_device_get_bdf(d));
			return;
		}
	}
	ck_abort_msg("no %04x:%04x in the guest", vendor, device);
}

/* The kernel's resource file: memory BARs (and the ROM) below 4 GiB and above, I/O left out. */
static void sysfs_space(const char *bdf, uint64_t *low, uint64_t *high, uint64_t *bar0,
			unsigned *bar0_flags)
{
	char path[128];
	unsigned long long s, e, fl;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	*low = *high = 0;
	for (int i = 0; i < 7 && fscanf(f, "%llx %llx %llx", &s, &e, &fl) == 3; i++) {
		uint64_t size = e ? e - s + 1 : 0;

		if (i == 0) {
			*bar0 = size;
			*bar0_flags = (unsigned)fl;
		}
		if (!size || (fl & IORESOURCE_IO) || !(fl & IORESOURCE_MEM))
			continue;
		if (i < 6 && (fl & IORESOURCE_MEM_64) && (fl & IORESOURCE_PREFETCH))
			*high += size;
		else
			*low += size;
	}
	fclose(f);
}

static struct dp_plan plan_of(struct dp_ctx *ctx, struct dp_policy *policy, const char *a,
			      const char *b)
{
	struct dp_plan pl = { .sz = sizeof(pl) };
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;

	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, 64 << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, a), 0);
	if (b)
		ck_assert_int_eq(dp_vm_add_device(vm, b), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_get_plan(rep, &pl), 0);
	dp_report_unref(rep);
	dp_vm_unref(vm);
	return pl;
}

START_TEST(the_plan_matches_the_kernels_bar_sizes)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	char edu[32], nvme[32];
	uint64_t el, eh, nl, nh, e0, n0;
	unsigned ef, nf;
	struct dp_plan pl;

	find(ctx, DP_EDU_VENDOR, DP_EDU_DEVICE, edu, sizeof(edu));
	find(ctx, 0x1b36, 0x0010, nvme, sizeof(nvme));
	sysfs_space(edu, &el, &eh, &e0, &ef);
	sysfs_space(nvme, &nl, &nh, &n0, &nf);
	/* What the kernel says, as testing.md records it. */
	ck_assert_uint_eq(e0, 1u << 20);
	ck_assert_uint_eq(ef & IORESOURCE_MEM_64, 0);
	ck_assert_uint_eq(n0, 16u << 10);
	ck_assert_uint_eq(nf & (IORESOURCE_MEM_64 | IORESOURCE_PREFETCH), IORESOURCE_MEM_64);
	/* What the plan says: each alone, then both. */
	pl = plan_of(ctx, policy, edu, NULL);
	ck_assert_uint_eq(pl.mmio32_size, el);
	ck_assert_uint_eq(pl.mmio64_size, eh);
	pl = plan_of(ctx, policy, nvme, NULL);
	ck_assert_uint_eq(pl.mmio32_size, nl);
	ck_assert_uint_eq(pl.mmio64_size, 0);
	pl = plan_of(ctx, policy, edu, nvme);
	ck_assert_uint_eq(pl.mmio32_size, el + nl);
	ck_assert_uint_eq(pl.mmio64_size, eh + nh);
	ck_assert_uint_eq(pl.address_spaces, 1);
	ck_assert_uint_eq(pl.memlock_needed, 64u << 20);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vfio-plan");
	TCase *tc = tcase_create("plan");

	dp_guest_require_vfio();
	tcase_add_test(tc, the_plan_matches_the_kernels_bar_sizes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
