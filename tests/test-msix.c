/* SPDX-License-Identifier: MIT */
/*
 * MSI-X table emulation: the shadow table, the PBA, and when vectors are
 * routed and unrouted as the guest writes entries and message control.
 * The routing is recorded by stand-in hooks; the real one (irqfd) is tested
 * in the kvm and vfio suites.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msix.h"
#include "testrun.h"

#define TABLE 0x2000
#define PBA 0x3000

static struct dp_msix m;
static char calls[1024];
static int fail_route;

static int route(void *opaque, uint32_t v, uint64_t address, uint32_t data)
{
	size_t len = strlen(calls);

	(void)opaque;
	if (fail_route)
		return -ENOSPC;
	snprintf(calls + len, sizeof(calls) - len, "route %u %#llx %#x;", v,
		 (unsigned long long)address, data);
	return 0;
}

static int unroute(void *opaque, uint32_t v)
{
	size_t len = strlen(calls);

	(void)opaque;
	snprintf(calls + len, sizeof(calls) - len, "unroute %u;", v);
	return 0;
}

static void setup(void)
{
	calls[0] = '\0';
	fail_route = 0;
	ck_assert_int_eq(dp_msix_init(&m, 4, 2, TABLE, 2, PBA), 0);
	m.route = route;
	m.unroute = unroute;
}

static void teardown(void)
{
	dp_msix_fini(&m);
}

static int w32(uint64_t off, uint32_t v)
{
	return dp_msix_access(&m, 2, off, &v, 4, true);
}

static uint32_t r32(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	ck_assert_int_eq(dp_msix_access(&m, 2, off, &v, 4, false), 1);
	return v;
}

/* The guest's way: address, data, then unmask. */
static void program(unsigned v, uint32_t data, bool unmask)
{
	ck_assert_int_eq(w32(TABLE + v * 16, 0xfee00000), 1);
	ck_assert_int_eq(w32(TABLE + v * 16 + 4, 0), 1);
	ck_assert_int_eq(w32(TABLE + v * 16 + 8, data), 1);
	if (unmask)
		ck_assert_int_eq(w32(TABLE + v * 16 + 12, 0), 1);
}

START_TEST(entries_start_masked_and_read_back)
{
	ck_assert_uint_eq(r32(TABLE + 12), 1);
	ck_assert_uint_eq(r32(TABLE + 3 * 16 + 12), 1);
	program(1, 0x41, false);
	ck_assert_uint_eq(r32(TABLE + 16), 0xfee00000);
	ck_assert_uint_eq(r32(TABLE + 16 + 8), 0x41);
	/* Only the mask bit of vector control is writable. */
	ck_assert_int_eq(w32(TABLE + 16 + 12, 0xfffffffe), 1);
	ck_assert_uint_eq(r32(TABLE + 16 + 12), 0);
	ck_assert_str_eq(calls, ""); /* MSI-X is not enabled yet */
}
END_TEST

START_TEST(a_vector_is_routed_when_enabled_and_unmasked_and_follows_the_guest)
{
	program(0, 0x41, true);
	ck_assert_str_eq(calls, "");
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0);
	ck_assert_str_eq(calls, "route 0 0xfee00000 0x41;");
	calls[0] = '\0';
	ck_assert_int_eq(w32(TABLE + 8, 0x42), 1); /* reprogrammed while live */
	ck_assert_str_eq(calls, "route 0 0xfee00000 0x42;");
	calls[0] = '\0';
	ck_assert_int_eq(w32(TABLE + 12, 1), 1); /* masked */
	ck_assert_str_eq(calls, "unroute 0;");
	calls[0] = '\0';
	ck_assert_int_eq(w32(TABLE + 12, 0), 1);
	ck_assert_str_eq(calls, "route 0 0xfee00000 0x42;");
	calls[0] = '\0';
	program(2, 0x43, true);
	ck_assert_str_eq(calls, "route 2 0xfee00000 0x43;");
	calls[0] = '\0';
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE | DP_MSIX_CTRL_MASKALL), 0);
	ck_assert_str_eq(calls, "unroute 0;unroute 2;");
	calls[0] = '\0';
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0);
	ck_assert_str_eq(calls, "route 0 0xfee00000 0x42;route 2 0xfee00000 0x43;");
	calls[0] = '\0';
	ck_assert_int_eq(dp_msix_control(&m, 0), 0);
	ck_assert_str_eq(calls, "unroute 0;unroute 2;");
}
END_TEST

START_TEST(a_qword_write_and_an_unprogrammed_vector)
{
	uint64_t addr = 0xfee00000ULL;

	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0);
	ck_assert_int_eq(w32(TABLE + 3 * 16 + 12, 0), 1); /* unmasked, but no address: nothing */
	ck_assert_str_eq(calls, "");
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE + 3 * 16, &addr, 8, true), 1);
	ck_assert_str_eq(calls, "route 3 0xfee00000 0;");
}
END_TEST

START_TEST(a_failed_route_is_reported_and_retried)
{
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0);
	fail_route = 1;
	program(1, 0x41, false);
	ck_assert_int_eq(w32(TABLE + 16 + 12, 0), -EIO);
	fail_route = 0;
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0); /* the next sync retries */
	ck_assert_str_eq(calls, "route 1 0xfee00000 0x41;");
}
END_TEST

START_TEST(the_pba_reads_zero_and_ignores_writes)
{
	uint32_t v = 0xffffffff;

	ck_assert_uint_eq(r32(PBA), 0);
	ck_assert_int_eq(dp_msix_access(&m, 2, PBA, &v, 4, true), 1);
	ck_assert_uint_eq(r32(PBA), 0);
}
END_TEST

START_TEST(other_accesses_are_not_msix_and_odd_ones_are_refused)
{
	uint32_t v = 0;
	uint16_t h = 0;

	ck_assert_int_eq(dp_msix_access(&m, 2, 0x0, &v, 4, false), 0);          /* before */
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE + 4 * 16, &v, 4, false), 0); /* past the table */
	ck_assert_int_eq(dp_msix_access(&m, 0, TABLE, &v, 4, false), 0);        /* another BAR */
	ck_assert_int_eq(dp_msix_access(&m, 2, PBA + 8, &v, 4, false), 0);      /* past the PBA */
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE + 2, &v, 4, false), -EINVAL);
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE, &h, 2, false), -EINVAL);
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE + 4, &v, 8, false), -EINVAL);
	ck_assert_int_eq(dp_msix_access(&m, 2, TABLE + 4 * 16 - 4, &v, 8, false), 0); /* runs past */
}
END_TEST

START_TEST(without_routing_the_table_is_a_shadow_only)
{
	m.route = NULL;
	m.unroute = NULL;
	ck_assert_int_eq(dp_msix_control(&m, DP_MSIX_CTRL_ENABLE), 0);
	program(0, 0x41, true);
	ck_assert_uint_eq(r32(TABLE + 8), 0x41);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(table_and_pba_sizes_follow_the_vector_count)
{
	ck_assert_uint_eq(dp_msix_table_bytes(1), 16);
	ck_assert_uint_eq(dp_msix_table_bytes(2048), 32768);
	ck_assert_uint_eq(dp_msix_pba_bytes(1), 8);
	ck_assert_uint_eq(dp_msix_pba_bytes(64), 8);
	ck_assert_uint_eq(dp_msix_pba_bytes(65), 16);
	ck_assert_uint_eq(dp_msix_pba_bytes(2048), 256);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msix");
	TCase *tc = tcase_create("msix");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entries_start_masked_and_read_back);
	tcase_add_test(tc, a_vector_is_routed_when_enabled_and_unmasked_and_follows_the_guest);
	tcase_add_test(tc, a_qword_write_and_an_unprogrammed_vector);
	tcase_add_test(tc, a_failed_route_is_reported_and_retried);
	tcase_add_test(tc, the_pba_reads_zero_and_ignores_writes);
	tcase_add_test(tc, other_accesses_are_not_msix_and_odd_ones_are_refused);
	tcase_add_test(tc, without_routing_the_table_is_a_shadow_only);
	tcase_add_test(tc, table_and_pba_sizes_follow_the_vector_count);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
