/* SPDX-License-Identifier: MIT */
/*
 * The policy file's per-device reset methods (directpath-policy(5)):
 * [device VVVV:DDDD] sections with reset_method = the kernel's method names
 * in order, or none. Good files load whole; each bad line is refused with
 * its line number and why, and leaves the policy as it was.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char dir[4096], path[4200];

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "reset-grammar"), 0);
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
}

static void teardown(void)
{
	dp_test_remove_tree(dir);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

static int load(const char *text)
{
	FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return dp_policy_load_file(policy, path);
}

START_TEST(good_files_load_whole)
{
	ck_assert_int_eq(load("[policy]\nshared_reset = warn\n\n"
			      "[device 10DE:1b80]\nreset_method = bus flr\n"
			      "; a comment\n[device 8086:10fb]\nreset_method = none\n"
			      "[device 1234:11e8]\nreset_method = pm,af_flr , device_specific\n"),
			 0);
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x10de, 0x1b80), "bus flr");
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x8086, 0x10fb), "none");
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x1234, 0x11e8),
			 "pm af_flr device_specific");
	ck_assert_int_eq(dp_policy_get_rule(policy, DP_RULE_SHARED_RESET), DP_ACTION_WARN);
	ck_assert_uint_eq(dp_policy_get_reset_entry_count(policy), 3);
	/* A second file replaces the entries it names and keeps the rest. */
	ck_assert_int_eq(load("[device 10de:1b80]\nreset_method = flr\n"), 0);
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x10de, 0x1b80), "flr");
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x8086, 0x10fb), "none");
	ck_assert_uint_eq(dp_policy_get_reset_entry_count(policy), 3);
	/* The default of shared_reset. */
	ck_assert_int_eq(dp_policy_set(policy, "shared_reset", "deny"), 0);
	ck_assert_str_eq(dp_rule_name(DP_RULE_SHARED_RESET), "shared_reset");
}
END_TEST

static const struct bad {
	const char *text, *err;
} bad[] = {
	{ "[device 10de]\nreset_method = flr\n",
	  ":1: [device 10de]: a device section is [device VVVV:DDDD], vendor and device ID in hex" },
	{ "[policy]\n[device 10de:1b8g]\n",
	  ":2: [device 10de:1b8g]: a device section is [device VVVV:DDDD]" },
	{ "[device 10de:1b80:00]\n", ":1: [device 10de:1b80:00]: a device section" },
	{ "[device ]\n", ":1: unknown section [device ] (policy, device VVVV:DDDD)" },
	{ "[device 10de:1b80]\nreset = flr\n",
	  ":2: unknown key \"reset\" in [device 10de:1b80] (reset_method)" },
	{ "[device 10de:1b80]\nreset_method = flr warp\n",
	  ":2: [device 10de:1b80] reset_method: unknown reset method \"warp\" (device_specific, acpi, flr, af_flr, pm, bus, cxl_bus or none)" },
	{ "[device 10de:1b80]\nreset_method = flr slot\n",
	  ":2: [device 10de:1b80] reset_method: \"slot\" is not a reset method: the kernel's bus method resets a hotplug slot too; write bus" },
	{ "[device 10de:1b80]\nreset_method = flr bus flr\n",
	  ":2: [device 10de:1b80] reset_method: reset method \"flr\" named twice" },
	{ "[device 10de:1b80]\nreset_method = none flr\n",
	  ":2: [device 10de:1b80] reset_method: none stands alone: it means no reset at all" },
	{ "[device 10de:1b80]\nreset_method =\n",
	  ":2: [device 10de:1b80] reset_method: no reset method named (a list such as \"flr bus\", or none)" },
	{ "[device 10de:1b80]\nreset_method = flr\n\n[device 10DE:1B80]\nreset_method = bus\n",
	  ":5: a second reset_method for 10de:1b80 (the first is on line 2)" },
	{ "[device 10de:1b80]\nreset_method = flr\nreset_method = bus\n",
	  ":3: a second reset_method for 10de:1b80 (the first is on line 2)" },
	{ "[policy]\nshared_reset = maybe\n",
	  ":2: shared_reset takes allow, warn or deny, not \"maybe\"" },
};

START_TEST(bad_lines_are_refused_with_their_number)
{
	char want[4800];

	/* Something in force first: a refused file must leave it. */
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, "pm"), 0);
	snprintf(want, sizeof(want), "%s%s", path, bad[_i].err);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(load(bad[_i].text), want), -EINVAL);
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x10de, 0x1b80), "pm");
	ck_assert_uint_eq(dp_policy_get_reset_entry_count(policy), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reset-grammar");
	TCase *tc = tcase_create("grammar");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_files_load_whole);
	tcase_add_loop_test(tc, bad_lines_are_refused_with_their_number, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
