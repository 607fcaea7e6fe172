/* SPDX-License-Identifier: MIT */
/* IOMMU group reserved regions (lib/resv.c): the kernel's text, and broken text. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "resv.h"
#include "testrun.h"

static struct dp_resv_region r[DP_RESV_MAX];
static size_t n;
static char why[160];

static int parse(const char *text)
{
	why[0] = '\0';
	n = 12345;
	return dp_resv_parse(text, strlen(text), r, DP_RESV_MAX, &n, why, sizeof(why));
}

static void assert_invalid(const char *text, const char *want)
{
	ck_assert_int_eq(parse(text), -EINVAL);
	ck_assert_msg(strstr(why, want), "why \"%s\" lacks \"%s\"", why, want);
	ck_assert_uint_eq(n, 12345);
}

START_TEST(kernel_text)
{
	/* An Intel host's group with a USB controller's RMRR, as 6.1 prints it. */
	ck_assert_int_eq(parse("0x000000008e800000 0x000000008e81ffff direct-relaxable\n"
			       "0x00000000fee00000 0x00000000feefffff msi\n"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].start, 0x8e800000);
	ck_assert_uint_eq(r[0].end, 0x8e81ffff);
	ck_assert_int_eq(r[0].type, DP_RESV_DIRECT_RELAXABLE);
	ck_assert_int_eq(r[1].type, DP_RESV_MSI);
	ck_assert_int_eq(parse("0x0000000000000000 0x0000000000ffffff direct\n"
			       "0x0000000000000000 0xffffffffffffffff reserved"), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].type, DP_RESV_DIRECT);
	ck_assert_uint_eq(r[1].end, UINT64_MAX);
	ck_assert_int_eq(parse(""), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(dp_resv_type_name(DP_RESV_DIRECT_RELAXABLE), "direct-relaxable");
	ck_assert_ptr_null(dp_resv_type_name((enum dp_resv_type)4));
}
END_TEST

START_TEST(garbage_says_which_line)
{
	assert_invalid("0x1000 0x1fff msi\ngarbage\n", "line 2: not \"0xSTART 0xEND TYPE\"");
	assert_invalid("0x1000 0x1fff msi extra\n", "line 1: not");
	assert_invalid("0x1000 0x1fff\n", "line 1: not");
	assert_invalid("\n", "line 1: not");
	assert_invalid("1000 0x1fff msi\n", "line 1: an address");
	assert_invalid("0x 0x1fff msi\n", "line 1: an address");
	assert_invalid("0x10000000000000000 0x1fff msi\n", "line 1: an address");
	assert_invalid("0x-1 0x1fff msi\n", "line 1: an address");
	assert_invalid("0xfee00000 0xfeefffff MSI\n", "line 1: unknown type");
	assert_invalid("0x2000 0x1fff reserved\n", "line 1: start 0x2000 above end 0x1fff");
	ck_assert_int_eq(dp_resv_parse("0x1000 0x1fff msi\0", 18, r, DP_RESV_MAX, &n, why,
				       sizeof(why)), -EINVAL);
	{
		char long_line[200];

		memset(long_line, ' ', sizeof(long_line) - 1);
		long_line[sizeof(long_line) - 1] = '\0';
		assert_invalid(long_line, "line 1: longer than 80");
	}
}
END_TEST

START_TEST(more_regions_than_room)
{
	const char *two = "0x1000 0x1fff msi\n0x3000 0x3fff direct\n";

	why[0] = '\0';
	ck_assert_int_eq(dp_resv_parse(two, strlen(two), r, 1, &n, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "line 2: more than 1 regions"));
	ck_assert_int_eq(dp_resv_parse(two, strlen(two), NULL, 0, &n, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(dp_resv_parse("", 0, NULL, 0, &n, NULL, 0), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(dp_resv_parse(NULL, 0, r, 1, &n, NULL, 0), -EINVAL);
	ck_assert_int_eq(dp_resv_parse(two, strlen(two), r, 2, NULL, NULL, 0), -EINVAL);
}
END_TEST

static Suite *resv_suite(void)
{
	Suite *s = suite_create("resv");
	TCase *tc = tcase_create("resv");

	tcase_add_test(tc, kernel_text);
	tcase_add_test(tc, garbage_says_which_line);
	tcase_add_test(tc, more_regions_than_room);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dp_test_run(resv_suite());
}
