/* SPDX-License-Identifier: MIT */
/*
 * The plan's arithmetic (lib/plan.c) and the dma-costs parser
 * (lib/dmacosts.c), white-box: BARs packed with natural alignment, largest
 * first, bottom-up and top-down; which BARs go below and above 4 GiB; and
 * dma-costs texts accepted and refused.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "dmacosts.h"
#include "plan.h"
#include "testrun.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

START_TEST(packing_is_the_sum_with_alignment)
{
	uint64_t a[] = { 16 * KiB, 64 * MiB, 1 * MiB };
	uint64_t none[1] = { 0 };
	uint64_t odd[] = { 24 * KiB, 16 * KiB }; /* not powers of two: the gap shows */

	/* Largest first from an aligned base: no gap between powers of two. */
	ck_assert_uint_eq(dp_plan_pack(a, 3), 64 * MiB + 1 * MiB + 16 * KiB);
	ck_assert_uint_eq(a[0], 64 * MiB); /* sorted, largest first */
	ck_assert_uint_eq(a[2], 16 * KiB);
	ck_assert_uint_eq(dp_plan_pack(none, 0), 0);
	ck_assert_uint_eq(dp_plan_pack(odd, 2), 24 * KiB + 8 * KiB + 16 * KiB);
}
END_TEST

START_TEST(packing_down_aligns_each_below_the_top)
{
	uint64_t a[] = { 16 * KiB, 64 * MiB, 1 * MiB, 256 * MiB };
	uint64_t too_big[] = { 8 * GiB };
	uint64_t exact[] = { 2 * GiB, 1 * GiB, 1 * GiB };

	/* 0xfc000000: ECAM at 0xe0000000 (256 MiB aligned), 64 MiB at 0xdc000000, ... */
	ck_assert_uint_eq(dp_plan_pack_down(a, 4, 0xfc000000), 0xdbefc000);
	ck_assert_uint_eq(dp_plan_pack_down(too_big, 1, 0xfc000000), 0);
	/* Filling to 0 exactly is "fits at 0", the same as not fitting: no RAM below. */
	ck_assert_uint_eq(dp_plan_pack_down(exact, 3, 4 * GiB), 0);
}
END_TEST

START_TEST(io_bars_take_no_mmio_and_64_bit_prefetchable_go_high)
{
	struct dp_device_info info = { .sz = sizeof(info) };
	uint64_t low[DP_PLAN_BARS_MAX], high[DP_PLAN_BARS_MAX];
	size_t nl = 0, nh = 0;

	info.bar_flags[0] = DP_BAR_PRESENT | DP_BAR_MEM64 | DP_BAR_PREFETCH;
	info.bar_size[0] = 8 * GiB;
	info.bar_flags[1] = DP_BAR_PRESENT; /* its upper half: not a BAR of its own */
	info.bar_size[1] = 8 * GiB;
	info.bar_flags[2] = DP_BAR_PRESENT | DP_BAR_MEM64; /* non-prefetchable: low */
	info.bar_size[2] = 16 * KiB;
	info.bar_flags[4] = DP_BAR_PRESENT | DP_BAR_IO;
	info.bar_size[4] = 256;
	info.bar_flags[5] = DP_BAR_PRESENT | DP_BAR_PREFETCH; /* 32-bit prefetchable: low */
	info.bar_size[5] = 1 * MiB;
	info.rom_size = 64 * KiB;
	dp_plan_device_bars(&info, low, &nl, high, &nh);
	ck_assert_uint_eq(nh, 1);
	ck_assert_uint_eq(high[0], 8 * GiB);
	ck_assert_uint_eq(nl, 3);
	ck_assert_uint_eq(low[0], 16 * KiB);
	ck_assert_uint_eq(low[1], 1 * MiB);
	ck_assert_uint_eq(low[2], 64 * KiB);
}
END_TEST

static int parse(const char *text, struct dp_dma_costs *c, char *why)
{
	dp_dma_costs_default(c);
	return dp_dma_costs_parse(text, strlen(text), c, why, 160);
}

START_TEST(dma_costs_are_read_with_comments_and_blanks)
{
	struct dp_dma_costs c;
	char why[160] = "";

	ck_assert_int_eq(parse("# bench-dma\n\n4k = 2000000000\n  thp=1500000000  \r\n"
			       "hugetlbfs =\t900000000\nlater_key = whatever\n", &c, why), 0);
	ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_4K], 2000000000);
	ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_THP], 1500000000);
	ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_HUGETLB], 900000000);
	ck_assert_uint_eq(c.given, 7);
	/* One figure: the others stay the defaults. */
	ck_assert_int_eq(parse("hugetlbfs = 1", &c, why), 0);
	ck_assert_uint_eq(c.given, 1u << DP_PLAN_PAGE_HUGETLB);
	ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_HUGETLB], 1);
	ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_4K], 5690000000);
	ck_assert_int_eq(parse("", &c, why), 0);
	ck_assert_uint_eq(c.given, 0);
}
END_TEST

START_TEST(garbled_dma_costs_are_refused_whole)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "4k = 1\ngarbage\n", "line 2: not \"PAGE = NS\"" },
		{ "4k = 1\n4k = 2\n", "line 2: 4k given twice" },
		{ "thp = -1\n", "line 1: thp: not a number" },
		{ "thp = 0\n", "line 1: thp: not a number" },
		{ "thp = 12ms\n", "line 1: thp: not a number" },
		{ "thp = 1000000000001\n", "line 1: thp: not a number" },
		{ "thp = 99999999999999999999999\n", "line 1: thp: not a number" },
		{ "= 5\n", "line 1: no page size" },
		{ "4k = 1\n\0thp = 2\n", "line 2: a NUL byte" },
	};
	static const size_t lens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 16 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dp_dma_costs c;
		char why[160] = "";
		size_t len = lens[i] ? lens[i] : strlen(bad[i].text);

		dp_dma_costs_default(&c);
		c.ns_per_gib[DP_PLAN_PAGE_4K] = 7;
		ck_assert_int_eq(dp_dma_costs_parse(bad[i].text, len, &c, why, sizeof(why)), -EINVAL);
		ck_assert_msg(strstr(why, bad[i].why), "case %zu: \"%s\"", i, why);
		ck_assert_uint_eq(c.ns_per_gib[DP_PLAN_PAGE_4K], 7); /* untouched */
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan-pack");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, packing_is_the_sum_with_alignment);
	tcase_add_test(tc, packing_down_aligns_each_below_the_top);
	tcase_add_test(tc, io_bars_take_no_mmio_and_64_bit_prefetchable_go_high);
	tcase_add_test(tc, dma_costs_are_read_with_comments_and_blanks);
	tcase_add_test(tc, garbled_dma_costs_are_refused_whole);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
