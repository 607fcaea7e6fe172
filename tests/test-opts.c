/* SPDX-License-Identifier: MIT */
/* The extensible-struct rules every entry point applies, and log priorities. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "internal.h"
#include "testrun.h"

/* A struct as version 1 shipped it, and as version 2 grew it. */
struct v1 {
	size_t sz;
	uint64_t a;
	uint64_t b;
};
struct v2 {
	size_t sz;
	uint64_t a;
	uint64_t b;
	uint64_t c;
};
#define V1_MIN (offsetof(struct v1, b) + sizeof(uint64_t))

START_TEST(opts_null_is_einval)
{
	ck_assert_int_eq(dp_opts_check(NULL, V1_MIN, sizeof(struct v2)), -EINVAL);
}
END_TEST

START_TEST(opts_sz_below_first_version_is_einval)
{
	struct v1 o = { .sz = V1_MIN - 1 };

	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), -EINVAL);
	o.sz = 0;
	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), -EINVAL);
}
END_TEST

START_TEST(opts_older_caller_gets_defaults_for_the_rest)
{
	struct v1 o = { .sz = sizeof(o), .a = 7, .b = 9 };
	struct v2 got;

	memset(&got, 0xa5, sizeof(got));
	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), 0);
	dp_opts_copy(&got, sizeof(got), &o);
	ck_assert_uint_eq(got.sz, sizeof(struct v2));
	ck_assert_uint_eq(got.a, 7);
	ck_assert_uint_eq(got.b, 9);
	ck_assert_uint_eq(got.c, 0);
}
END_TEST

START_TEST(opts_same_version_is_copied_whole)
{
	struct v2 o = { .sz = sizeof(o), .a = 1, .b = 2, .c = 3 }, got;

	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), 0);
	dp_opts_copy(&got, sizeof(got), &o);
	ck_assert_uint_eq(got.c, 3);
}
END_TEST

START_TEST(opts_newer_caller_with_zero_tail_is_accepted)
{
	struct v2 o = { .sz = sizeof(o), .a = 1, .b = 2, .c = 0 };
	struct v1 got;

	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v1)), 0);
	dp_opts_copy(&got, sizeof(got), &o);
	ck_assert_uint_eq(got.sz, sizeof(struct v1));
	ck_assert_uint_eq(got.a, 1);
	ck_assert_uint_eq(got.b, 2);
}
END_TEST

START_TEST(opts_newer_caller_with_nonzero_tail_is_e2big)
{
	struct v2 o = { .sz = sizeof(o), .c = 1 };

	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v1)), -E2BIG);
	/* One byte set at the very end is enough. */
	o.c = (uint64_t)1 << 56;
	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v1)), -E2BIG);
}
END_TEST

START_TEST(opts_absurd_sz_is_e2big_without_reading_it)
{
	struct v2 o = { .sz = (size_t)-1 };

	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), -E2BIG);
	o.sz = DP_OPTS_SZ_MAX + 1;
	ck_assert_int_eq(dp_opts_check(&o, V1_MIN, sizeof(struct v2)), -E2BIG);
}
END_TEST

START_TEST(info_out_to_older_caller_writes_only_its_size)
{
	struct v2 src = { .sz = sizeof(src), .a = 1, .b = 2, .c = 3 };
	struct v2 dst;

	memset(&dst, 0xa5, sizeof(dst));
	dst.sz = sizeof(struct v1);
	ck_assert_int_eq(dp_info_copy_out(&dst, V1_MIN, &src, sizeof(src)), 0);
	ck_assert_uint_eq(dst.sz, sizeof(struct v1));
	ck_assert_uint_eq(dst.a, 1);
	ck_assert_uint_eq(dst.b, 2);
	ck_assert_uint_eq(dst.c, 0xa5a5a5a5a5a5a5a5ULL); /* beyond its sz: untouched */
}
END_TEST

START_TEST(info_out_to_newer_caller_zeroes_unknown_fields)
{
	struct v1 src = { .sz = sizeof(src), .a = 1, .b = 2 };
	struct v2 dst;

	memset(&dst, 0xa5, sizeof(dst));
	dst.sz = sizeof(dst);
	ck_assert_int_eq(dp_info_copy_out(&dst, V1_MIN, &src, sizeof(src)), 0);
	ck_assert_uint_eq(dst.sz, sizeof(struct v2));
	ck_assert_uint_eq(dst.a, 1);
	ck_assert_uint_eq(dst.b, 2);
	ck_assert_uint_eq(dst.c, 0);
}
END_TEST

START_TEST(info_out_rejects_null_and_short_and_absurd)
{
	struct v2 src = { .sz = sizeof(src) };
	struct v2 dst = { .sz = V1_MIN - 1 };

	ck_assert_int_eq(dp_info_copy_out(NULL, V1_MIN, &src, sizeof(src)), -EINVAL);
	ck_assert_int_eq(dp_info_copy_out(&dst, V1_MIN, &src, sizeof(src)), -EINVAL);
	dst.sz = (size_t)-1;
	ck_assert_int_eq(dp_info_copy_out(&dst, V1_MIN, &src, sizeof(src)), -EINVAL);
}
END_TEST

START_TEST(log_priority_names_and_numbers)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "err", LOG_ERR },    { "error", LOG_ERR },   { "3", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "6", LOG_INFO },
		{ "debug", LOG_DEBUG }, { "7", LOG_DEBUG },    { "0", LOG_EMERG },
		{ "8", -EINVAL },      { "-1", -EINVAL },      { "", -EINVAL },
		{ "DEBUG", -EINVAL },  { "7x", -EINVAL },      { "99999999999999999999", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(dp_log_priority_parse(cases[i].s) == cases[i].want,
			      "\"%s\" parsed as %d, want %d", cases[i].s,
			      dp_log_priority_parse(cases[i].s), cases[i].want);
	ck_assert_int_eq(dp_log_priority_parse(NULL), -EINVAL);
}
END_TEST

START_TEST(a_run_of_calls_keeps_its_first_error)
{
	/* OR-ing errnos makes a third one: -ENOMEM | -EINVAL is -ENOENT. */
	ck_assert_int_eq(dp_first_err(0, 0), 0);
	ck_assert_int_eq(dp_first_err(0, -EINVAL), -EINVAL);
	ck_assert_int_eq(dp_first_err(-ENOMEM, -EINVAL), -ENOMEM);
	ck_assert_int_eq(dp_first_err(-EINVAL, -ENOMEM), -EINVAL);
	ck_assert_int_eq(dp_first_err(-EIO, 0), -EIO);
	ck_assert_int_eq(dp_first_err(dp_first_err(0, -EPERM), -ENOMEM), -EPERM);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("opts");

	tcase_add_test(tc, opts_null_is_einval);
	tcase_add_test(tc, opts_sz_below_first_version_is_einval);
	tcase_add_test(tc, opts_older_caller_gets_defaults_for_the_rest);
	tcase_add_test(tc, opts_same_version_is_copied_whole);
	tcase_add_test(tc, opts_newer_caller_with_zero_tail_is_accepted);
	tcase_add_test(tc, opts_newer_caller_with_nonzero_tail_is_e2big);
	tcase_add_test(tc, opts_absurd_sz_is_e2big_without_reading_it);
	tcase_add_test(tc, info_out_to_older_caller_writes_only_its_size);
	tcase_add_test(tc, info_out_to_newer_caller_zeroes_unknown_fields);
	tcase_add_test(tc, info_out_rejects_null_and_short_and_absurd);
	tcase_add_test(tc, log_priority_names_and_numbers);
	tcase_add_test(tc, a_run_of_calls_keeps_its_first_error);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
