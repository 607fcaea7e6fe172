/* SPDX-License-Identifier: MIT */
/*
 * The DMA map manager's logic against a recording stand-in for the kernel:
 * coalescing, checks, splits, and rollback when the Nth kernel call fails.
 * (The real kernel's answers are tested in the vfio suite.)
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "dma.h"
#include "testlog.h"
#include "testrun.h"

#define PG 4096ULL
#define MB (1ULL << 20)

/* The stand-in kernel: its mappings, its call log, and a call that fails. */
static struct {
	struct dp_dma_seg maps[256];
	size_t n;
	unsigned calls;
	unsigned fail_at; /* 1-based call number that fails; 0: none */
	char log[8192];
} k;

static int k_fail(void)
{
	return k.fail_at && ++k.calls == k.fail_at;
}

static int k_map(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	size_t len = strlen(k.log);

	(void)opaque;
	if (k_fail())
		return -EFAULT;
	for (size_t i = 0; i < k.n; i++)
		if (iova < k.maps[i].iova + k.maps[i].size && k.maps[i].iova < iova + size)
			return -EEXIST;
	k.maps[k.n++] = (struct dp_dma_seg){ iova, vaddr, size };
	snprintf(k.log + len, sizeof(k.log) - len, "map %llx+%llx ", (unsigned long long)iova,
		 (unsigned long long)size);
	return 0;
}

static int k_unmap(void *opaque, uint64_t iova, uint64_t size)
{
	size_t len = strlen(k.log);

	(void)opaque;
	if (k_fail())
		return -EFAULT;
	for (size_t i = 0; i < k.n; i++)
		if (k.maps[i].iova == iova && k.maps[i].size == size) {
			k.maps[i] = k.maps[--k.n];
			snprintf(k.log + len, sizeof(k.log) - len, "unmap %llx+%llx ",
				 (unsigned long long)iova, (unsigned long long)size);
			return 0;
		}
	return -EINVAL; /* type1v2: only whole mappings */
}

static const struct dp_dma_ops ops = { k_map, k_unmap };
static struct dp_ctx *ctx;
static struct dp_dma dma;

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);

	memset(&k, 0, sizeof(k));
	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_dma_init(&dma, ctx, &ops, NULL, PG), 0);
}

static void teardown(void)
{
	ck_assert_int_eq(dp_dma_fini(&dma), 0);
	ck_assert_uint_eq(k.n, 0); /* fini leaves nothing mapped */
	ctx = dp_ctx_unref(ctx);
}

static int map1(uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct dp_dma_seg s = { iova, vaddr, size };

	return dp_dma_map_segs(&dma, &s, 1);
}

START_TEST(contiguous_pieces_become_one_mapping)
{
	struct dp_dma_seg segs[128];

	for (int i = 0; i < 128; i++) /* 256 MiB in 2 MiB pieces, given out of order */
		segs[i] = (struct dp_dma_seg){ (uint64_t)(127 - i) * 2 * MB,
					       0x7f0000000000ULL + (uint64_t)(127 - i) * 2 * MB, 2 * MB };
	ck_assert_int_eq(dp_dma_map_segs(&dma, segs, 128), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_uint_eq(k.maps[0].size, 256 * MB);
	ck_assert_uint_eq(dma.map_calls, 1);
	ck_assert_uint_eq(dma.pinned, 256 * MB);
}
END_TEST

START_TEST(host_discontiguity_breaks_a_run)
{
	struct dp_dma_seg segs[] = {
		{ 0, 0x100000000ULL, 2 * MB },
		{ 2 * MB, 0x100000000ULL + 2 * MB, 2 * MB },
		{ 4 * MB, 0x200000000ULL, 2 * MB }, /* host memory elsewhere */
		{ 8 * MB, 0x200000000ULL + 2 * MB, 2 * MB }, /* IOVA hole */
	};

	ck_assert_int_eq(dp_dma_map_segs(&dma, segs, 4), 0);
	ck_assert_uint_eq(k.n, 3);
	ck_assert_uint_eq(dma.map_calls, 3);
}
END_TEST

START_TEST(bad_segments_are_refused_and_nothing_mapped)
{
	struct dp_iova_range r[] = { { 0, 0xfedfffffULL }, { 0xfef00000ULL, 0x7fffffffffULL } };
	struct dp_dma_seg two[] = { { 0, 0x10000, PG }, { 0, 0x20000, PG } };

	ck_assert_int_eq(dp_dma_set_usable(&dma, r, 2), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0, 0x1000, 0), "empty"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0x800, 0x1000, PG), "not aligned"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0, 0x1800, PG), "not aligned"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0, 0x1000, PG + 1), "not aligned"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(UINT64_MAX - PG + 1, 0x1000, 2 * PG), "wraps"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0xfee00000ULL, 0x1000, PG), "MSI window"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0xfed00000ULL, 0x1000, 4 * MB), "usable"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(0x8000000000ULL, 0x1000, PG), "usable"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_segs(&dma, two, 2), "overlap each other"), -EEXIST);
	ck_assert_uint_eq(k.n, 0);
	ck_assert_int_eq(map1(0, 0x10000, 2 * PG), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(PG, 0x50000, PG), "overlaps an existing"), -EEXIST);
	ck_assert_uint_eq(k.n, 1);
}
END_TEST

START_TEST(dma_avail_and_memlock_are_checked_first)
{
	struct dp_dma_seg segs[] = { { 0, 0x10000, PG }, { 2 * PG, 0x90000, PG }, { 8 * PG, 0xa0000, PG } };

	dma.dma_avail = 2;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_segs(&dma, segs, 3), "allows only 2 more"), -ENOSPC);
	ck_assert_uint_eq(k.calls + k.n, 0);
	dma.dma_avail = UINT64_MAX;
	dma.memlock_limit = 2 * PG;
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_segs(&dma, segs, 3), "RLIMIT_MEMLOCK"), -ENOMEM);
	ck_assert_uint_eq(k.n, 0);
	ck_assert_int_eq(dp_dma_map_segs(&dma, segs, 2), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(16 * PG, 0xb0000, PG), "at least"), -ENOMEM);
}
END_TEST

/* Each IOMMU address space (a hot added group's own container) pins and charges it again. */
START_TEST(memlock_counts_every_address_space)
{
	dma.memlock_limit = 4 * PG;
	dma.spaces = 2;
	ck_assert_int_eq(map1(0, 0x10000, PG), 0);
	ck_assert_int_eq(map1(2 * PG, 0x20000, PG), 0);
	/* A third page would be 6 pages in two spaces: refused, saying so. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(map1(4 * PG, 0x30000, PG), "would make 24 KiB"), -ENOMEM);
	ck_assert_uint_eq(k.n, 2);
	dma.spaces = 1;
	ck_assert_int_eq(map1(4 * PG, 0x30000, PG), 0);
}
END_TEST

START_TEST(a_failing_kernel_call_rolls_the_whole_map_back)
{
	struct dp_dma_seg segs[] = { { 0, 0x10000, PG }, { 4 * PG, 0x90000, PG }, { 8 * PG, 0xa0000, PG } };

	for (unsigned n = 1; n <= 3; n++) {
		memset(&k, 0, sizeof(k));
		k.fail_at = n;
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_segs(&dma, segs, 3), "refused"), -EFAULT);
		ck_assert_msg(k.n == 0, "call %u: %zu mappings left", n, k.n);
		ck_assert_uint_eq(dma.n_maps, 0);
		ck_assert_uint_eq(dma.pinned, 0);
	}
}
END_TEST

START_TEST(partial_unmap_splits_a_mapping)
{
	ck_assert_int_eq(map1(0, 0x100000, 16 * PG), 0);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 4 * PG, 4 * PG), 0);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_uint_eq(dma.n_maps, 2);
	ck_assert_uint_eq(dma.maps[0].iova, 0);
	ck_assert_uint_eq(dma.maps[0].size, 4 * PG);
	ck_assert_uint_eq(dma.maps[1].iova, 8 * PG);
	ck_assert_uint_eq(dma.maps[1].vaddr, 0x100000 + 8 * PG);
	ck_assert_uint_eq(dma.maps[1].size, 8 * PG);
	ck_assert_uint_eq(dma.pinned, 12 * PG);
	/* A hole in the range: refused, nothing changes. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_unmap_range(&dma, 2 * PG, 8 * PG), "not all of it"), -ENOENT);
	ck_assert_uint_eq(dma.n_maps, 2);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 0, 4 * PG), 0);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 8 * PG, 8 * PG), 0);
	ck_assert_uint_eq(k.n, 0);
	/* Across two mappings (host memory apart, so not coalesced). */
	ck_assert_int_eq(map1(0, 0x100000, 8 * PG), 0);
	ck_assert_int_eq(map1(8 * PG, 0x900000, 8 * PG), 0);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 4 * PG, 8 * PG), 0);
	ck_assert_uint_eq(dma.n_maps, 2);
	ck_assert_uint_eq(dma.maps[0].iova, 0);
	ck_assert_uint_eq(dma.maps[0].size, 4 * PG);
	ck_assert_uint_eq(dma.maps[1].iova, 12 * PG);
	ck_assert_uint_eq(dma.maps[1].vaddr, 0x900000 + 4 * PG);
	ck_assert_uint_eq(dma.maps[1].size, 4 * PG);
	ck_assert_uint_eq(dma.pinned, 8 * PG);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 0, 4 * PG), 0);
	ck_assert_int_eq(dp_dma_unmap_range(&dma, 12 * PG, 4 * PG), 0);
	ck_assert_uint_eq(k.n, 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_unmap_range(&dma, 0, 0), "empty"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_unmap_range(&dma, 1, PG), "unaligned"), -EINVAL);
}
END_TEST

START_TEST(a_failing_split_leaves_the_mapping_as_it_was)
{
	for (unsigned n = 1; n <= 3; n++) { /* unmap, re-map left, re-map right */
		memset(&k, 0, sizeof(k));
		ck_assert_int_eq(map1(0, 0x100000, 16 * PG), 0);
		k.fail_at = n;
		k.calls = 0;
		dp_test_log_expect_err();
		ck_assert_int_eq(dp_dma_unmap_range(&dma, 4 * PG, 4 * PG), -EFAULT);
		dp_test_log_expect_end();
		k.fail_at = 0;
		ck_assert_msg(k.n == 1 && k.maps[0].iova == 0 && k.maps[0].size == 16 * PG,
			      "call %u: kernel has %zu mappings", n, k.n);
		ck_assert_uint_eq(dma.n_maps, 1);
		ck_assert_uint_eq(dma.pinned, 16 * PG);
		ck_assert_int_eq(dp_dma_unmap_range(&dma, 0, 16 * PG), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dma");
	TCase *tc = tcase_create("dma");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, contiguous_pieces_become_one_mapping);
	tcase_add_test(tc, host_discontiguity_breaks_a_run);
	tcase_add_test(tc, bad_segments_are_refused_and_nothing_mapped);
	tcase_add_test(tc, dma_avail_and_memlock_are_checked_first);
	tcase_add_test(tc, memlock_counts_every_address_space);
	tcase_add_test(tc, a_failing_kernel_call_rolls_the_whole_map_back);
	tcase_add_test(tc, partial_unmap_splits_a_mapping);
	tcase_add_test(tc, a_failing_split_leaves_the_mapping_as_it_was);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
