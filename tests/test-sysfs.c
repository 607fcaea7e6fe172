/* SPDX-License-Identifier: MIT */
/* Attribute readers and the BDF parser, on files a test writes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "parse.h"
#include "sysfs.h"
#include "tmpdir.h"
#include "testrun.h"

static char dir[] = "/tmp/dp-test-sysfs-XXXXXX";
static int dfd = -1;

static void put(const char *name, const void *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void setup(void)
{
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "sysfs"), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
	close(dfd);
	ck_assert_int_eq(dp_test_remove_tree(dir), 0);
}

START_TEST(read_strips_one_newline)
{
	char buf[16];

	put("a", "hello\n", 6);
	ck_assert_int_eq(dp_sysfs_read(dfd, "a", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");
	put("b", "x\n\n", 3);
	ck_assert_int_eq(dp_sysfs_read(dfd, "b", buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "x\n");
	put("c", "", 0);
	ck_assert_int_eq(dp_sysfs_read(dfd, "c", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(read_too_long_is_efbig_missing_is_enoent_nul_is_einval)
{
	char buf[8];

	put("long", "0123456789", 10);
	ck_assert_int_eq(dp_sysfs_read(dfd, "long", buf, sizeof(buf)), -EFBIG);
	ck_assert_int_eq(dp_sysfs_read(dfd, "nope", buf, sizeof(buf)), -ENOENT);
	put("nul", "ab\0c", 4);
	ck_assert_int_eq(dp_sysfs_read(dfd, "nul", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(dp_sysfs_read(dfd, "long", buf, 1), -EINVAL);
}
END_TEST

START_TEST(read_u64_hex_and_garbage)
{
	uint64_t v = 99;

	put("vendor", "0x8086\n", 7);
	ck_assert_int_eq(dp_sysfs_read_u64(dfd, "vendor", 16, 0xffff, &v), 0);
	ck_assert_uint_eq(v, 0x8086);
	put("big", "0x18086\n", 8);
	ck_assert_int_eq(dp_sysfs_read_u64(dfd, "big", 16, 0xffff, &v), -EINVAL);
	put("junk", "0x80zz\n", 7);
	ck_assert_int_eq(dp_sysfs_read_u64(dfd, "junk", 16, 0xffff, &v), -EINVAL);
	put("neg", "-1\n", 3);
	ck_assert_int_eq(dp_sysfs_read_u64(dfd, "neg", 16, 0xffff, &v), -EINVAL);
	put("huge", "0x1234567890123456789012345678901234567890123456789012345678901234567890\n", 73);
	ck_assert_int_eq(dp_sysfs_read_u64(dfd, "huge", 16, UINT64_MAX, &v), -EINVAL);
	ck_assert_uint_eq(v, 0x8086); /* untouched on failure */
}
END_TEST

START_TEST(read_long_bounds)
{
	long v = 5;

	put("numa", "-1\n", 3);
	ck_assert_int_eq(dp_sysfs_read_long(dfd, "numa", -1, 1024, &v), 0);
	ck_assert_int_eq(v, -1);
	put("numa2", "-2\n", 3);
	ck_assert_int_eq(dp_sysfs_read_long(dfd, "numa2", -1, 1024, &v), -EINVAL);
	put("numa3", "1 2\n", 4);
	ck_assert_int_eq(dp_sysfs_read_long(dfd, "numa3", -1, 1024, &v), -EINVAL);
	ck_assert_int_eq(v, -1);
}
END_TEST

START_TEST(readlink_base_takes_last_component)
{
	char buf[32];

	ck_assert_int_eq(symlinkat("../../../bus/pci/drivers/ixgbe", dfd, "driver"), 0);
	ck_assert_int_eq(dp_sysfs_readlink_base(dfd, "driver", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "ixgbe");
	ck_assert_int_eq(symlinkat("../kernel/iommu_groups/7/", dfd, "g"), 0);
	ck_assert_int_eq(dp_sysfs_readlink_base(dfd, "g", buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "7");
	ck_assert_int_eq(dp_sysfs_readlink_base(dfd, "absent", buf, sizeof(buf)), -ENOENT);
	put("plain", "x", 1);
	ck_assert_int_eq(dp_sysfs_readlink_base(dfd, "plain", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(dp_sysfs_readlink_base(dfd, "driver", buf, 4), -EINVAL);
}
END_TEST

START_TEST(write_replaces_content)
{
	char buf[32];

	put("driver_override", "(null)\n", 7);
	ck_assert_int_eq(dp_sysfs_write(dfd, "driver_override", "vfio-pci"), 0);
	ck_assert_int_eq(dp_sysfs_read(dfd, "driver_override", buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "vfio-pci");
	ck_assert_int_eq(dp_sysfs_write(dfd, "no/such/file", "x"), -ENOENT);
}
END_TEST

START_TEST(bdf_parse_accepts_full_and_short_forms)
{
	uint32_t d = 9;
	uint8_t b = 9, s = 9, f = 9;

	ck_assert_int_eq(dp_bdf_parse("0000:03:00.1", &d, &b, &s, &f), 0);
	ck_assert_uint_eq(d, 0);
	ck_assert_uint_eq(b, 3);
	ck_assert_uint_eq(s, 0);
	ck_assert_uint_eq(f, 1);
	ck_assert_int_eq(dp_bdf_parse("ff:1f.7", &d, &b, &s, &f), 0);
	ck_assert_uint_eq(b, 0xff);
	ck_assert_uint_eq(s, 0x1f);
	ck_assert_uint_eq(f, 7);
	ck_assert_int_eq(dp_bdf_parse("10000:00:00.0", &d, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(d, 0x10000);
	ck_assert_int_eq(dp_bdf_parse("0000:0A:1F.0", NULL, &b, NULL, NULL), 0);
	ck_assert_uint_eq(b, 0x0a);
}
END_TEST

START_TEST(bdf_parse_rejects_malformed)
{
	static const char *const bad[] = {
		"", "0000:zz:00.0", "1:2:3.9", "0000:03:00.8", "03:20.0",
		"0000:03:00.0 ", " 0000:03:00.0", "0000:03:00", "000:03:00.0",
		"0000-03:00.0", "0000:03.00.0", "0000:3:00.0", "3:00.0",
		"000000000:03:00.0", "0000:03:00.0x", "+000:03:00.0",
		"0000:03:00.00",
		"0000000000000000000000000000000000000000000000000000000000000000",
	};
	uint32_t d = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dp_bdf_parse(bad[i], &d, NULL, NULL, NULL) == -EINVAL,
			      "\"%s\" accepted", bad[i]);
	ck_assert_uint_eq(d, 42);
	ck_assert_int_eq(dp_bdf_parse(NULL, &d, NULL, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(the_text_parsers_take_exactly_their_forms)
{
	uint64_t u = 7;

	ck_assert_int_eq(dp_parse_u64("0x1f", 16, 0xff, &u), 0);
	ck_assert_uint_eq(u, 0x1f);
	ck_assert_int_eq(dp_parse_u64("42", 10, 100, &u), 0);
	ck_assert_uint_eq(u, 42);
	u = 7;
	ck_assert_int_eq(dp_parse_u64(" 42", 10, 100, &u), -EINVAL);
	ck_assert_int_eq(dp_parse_u64("-1", 10, 100, &u), -EINVAL);
	ck_assert_int_eq(dp_parse_u64("101", 10, 100, &u), -EINVAL);
	ck_assert_int_eq(dp_parse_u64("4x", 10, 100, &u), -EINVAL);
	ck_assert_uint_eq(u, 7);
	ck_assert_int_eq(dp_parse_bool("Yes"), 1);
	ck_assert_int_eq(dp_parse_bool("off"), 0);
	ck_assert_int_eq(dp_parse_bool("2"), -EINVAL);
	ck_assert_int_eq(dp_parse_hex_n("8086", 4), 0x8086);
	ck_assert_int_eq(dp_parse_hex_n("aBcD", 4), 0xabcd);
	ck_assert_int_eq(dp_parse_hex_n("80g6", 4), -1);
	ck_assert_int_eq(dp_parse_hex_n("0f", 1), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysfs");
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_strips_one_newline);
	tcase_add_test(tc, read_too_long_is_efbig_missing_is_enoent_nul_is_einval);
	tcase_add_test(tc, read_u64_hex_and_garbage);
	tcase_add_test(tc, read_long_bounds);
	tcase_add_test(tc, readlink_base_takes_last_component);
	tcase_add_test(tc, write_replaces_content);
	tcase_add_test(tc, bdf_parse_accepts_full_and_short_forms);
	tcase_add_test(tc, bdf_parse_rejects_malformed);
	tcase_add_test(tc, the_text_parsers_take_exactly_their_forms);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
