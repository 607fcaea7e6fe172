/* SPDX-License-Identifier: MIT */
/* Policy rules, policy and VM files, the compatibility list, sizes: no hardware needed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "policy.h"
#include "vm.h"
#include "testlog.h"
#include "testrun.h"
#include "tmpdir.h"

static struct dp_ctx *ctx;
static char dir[64];

/* Writes text to a file in the test's directory; returns its path (static buffer). */
static const char *file(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Writes len bytes (NULs included) to a file in the test's directory; returns its path. */
static const char *file_bytes(const char *name, const char *data, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* A FIFO in the test's directory; returns its path. */
static const char *fifo(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	return path;
}

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");

	dp_test_log_reset();
	ck_assert_int_eq(dp_test_tmpdir(dir, sizeof(dir), "policy"), 0);
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	dp_ctx_set_log_priority(ctx, LOG_DEBUG);
}

static void teardown(void)
{
	ctx = dp_ctx_unref(ctx);
	ck_assert_int_eq(dp_test_remove_tree(dir), 0);
}

static struct dp_policy *policy(void)
{
	struct dp_policy *p = NULL;

	ck_assert_int_eq(dp_policy_new(ctx, &p), 0);
	return p;
}

START_TEST(defaults_are_esx40)
{
	struct dp_policy *p = policy();

	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 7);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_IOMMU), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_INTERRUPT_REMAPPING), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_VIABLE_GROUP), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_MARKED), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_DENY_BRIDGES), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_DENY_BOOT_VGA), 1);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MEMORY_RESERVATION), DP_RESERVATION_FULL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_UNLISTED_DEVICES), DP_ACTION_WARN);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_NO_RESET_METHOD), DP_ACTION_WARN);
	ck_assert_int_eq(dp_policy_get_rule(p, (enum dp_rule)0), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, (enum dp_rule)99), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(NULL, DP_RULE_MIN_HW_VERSION), -EINVAL);
	dp_policy_unref(p);
}
END_TEST

START_TEST(rule_values_come_through_an_out_parameter)
{
	struct dp_policy *p = policy();
	int64_t v = -42;

	ck_assert_int_eq(dp_policy_get_rule_value(p, DP_RULE_MAX_DEVICES_PER_VM, &v), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(dp_policy_set_rule(p, DP_RULE_MIN_HW_VERSION, 11), 0);
	ck_assert_int_eq(dp_policy_get_rule_value(p, DP_RULE_MIN_HW_VERSION, &v), 0);
	ck_assert_int_eq(v, 11);
	/* Errors leave the out-parameter alone. */
	v = -42;
	ck_assert_int_eq(dp_policy_get_rule_value(p, (enum dp_rule)0, &v), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule_value(p, (enum dp_rule)99, &v), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule_value(NULL, DP_RULE_MIN_HW_VERSION, &v), -EINVAL);
	ck_assert_int_eq(v, -42);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_get_rule_value(p, DP_RULE_MIN_HW_VERSION, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "BUG"));
	/* The older form still answers. */
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 11);
	dp_policy_unref(p);
}
END_TEST

START_TEST(rule_names_and_values_round_trip)
{
	struct dp_policy *p = policy();

	ck_assert_str_eq(dp_rule_name(DP_RULE_MAX_DEVICES_PER_VM), "max_devices_per_vm");
	ck_assert_str_eq(dp_rule_name(DP_RULE_NO_RESET_METHOD), "no_reset_method");
	ck_assert_ptr_null(dp_rule_name((enum dp_rule)0));
	ck_assert_ptr_null(dp_rule_name((enum dp_rule)(DP_RULE_MEMLOCK + 1)));
	ck_assert_str_eq(dp_rule_name(DP_RULE_SHARED_RESET), "shared_reset");
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_SHARED_RESET), DP_ACTION_DENY);
	ck_assert_str_eq(dp_rule_name(DP_RULE_DIRECT_REGIONS), "direct_regions");
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_DIRECT_REGIONS), DP_ACTION_DENY);
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_REQUIRE_IOMMU, 0), "no");
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_UNLISTED_DEVICES, DP_ACTION_DENY), "deny");
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_MEMORY_RESERVATION, DP_RESERVATION_NONE), "none");
	ck_assert_ptr_null(dp_rule_value_name(DP_RULE_MAX_DEVICES_PER_VM, 2));
	for (int r = 1; r < 12; r++) {
		const char *name = dp_rule_name((enum dp_rule)r);
		const char *val = dp_rule_value_name((enum dp_rule)r, dp_policy_get_rule(p, (enum dp_rule)r));
		char num[32];

		ck_assert_ptr_nonnull(name);
		snprintf(num, sizeof(num), "%lld", (long long)dp_policy_get_rule(p, (enum dp_rule)r));
		ck_assert_int_eq(dp_policy_set(p, name, val ? val : num), 0);
	}
	dp_policy_unref(p);
}
END_TEST

START_TEST(set_rule_checks_values)
{
	struct dp_policy *p = policy();

	ck_assert_int_eq(dp_policy_set_rule(p, DP_RULE_MAX_DEVICES_PER_VM, 16), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 16);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, DP_RULE_MAX_DEVICES_PER_VM, -1),
				    "max_devices_per_vm"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, DP_RULE_MAX_DEVICES_PER_VM, 4097),
				    "max_devices_per_vm"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, DP_RULE_REQUIRE_IOMMU, 2),
				    "require_iommu"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, DP_RULE_NO_RESET_METHOD, DP_ACTION_ALLOW),
				    "no_reset_method"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, (enum dp_rule)42, 1), "BUG"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 16);
	ck_assert_int_eq(dp_policy_set_rule(NULL, DP_RULE_REQUIRE_IOMMU, 1), -EINVAL);
	dp_policy_unref(p);
}
END_TEST

START_TEST(set_by_name_parses_each_kind)
{
	struct dp_policy *p = policy();

	ck_assert_int_eq(dp_policy_set(p, "require_iommu", "no"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_IOMMU), 0);
	ck_assert_int_eq(dp_policy_set(p, "require_iommu", "On"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_IOMMU), 1);
	ck_assert_int_eq(dp_policy_set(p, "unlisted_devices", "deny"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_UNLISTED_DEVICES), DP_ACTION_DENY);
	ck_assert_int_eq(dp_policy_set(p, "memory_reservation", "none"), 0);
	ck_assert_int_eq(dp_policy_set(p, "min_hw_version", "11"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 11);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "min_hw_version", "11x"), "min_hw_version"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "min_hw_version", "-1"), "min_hw_version"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "no_reset_method", "allow"), "warn or deny"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "require_iommu", "maybe"), "yes or no"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "require_iommus", "yes"), "unknown rule"), -ENOENT);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 11);
	/* release: host (the default) or quarantine, by name and by number. */
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_RELEASE), DP_RELEASE_HOST);
	ck_assert_str_eq(dp_rule_name(DP_RULE_RELEASE), "release");
	ck_assert_int_eq(dp_policy_set(p, "release", "quarantine"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_RELEASE), DP_RELEASE_QUARANTINE);
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_RELEASE, DP_RELEASE_QUARANTINE), "quarantine");
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_RELEASE, DP_RELEASE_HOST), "host");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "release", "always"),
					    "release takes host or quarantine, not \"always\""), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_rule(p, DP_RULE_RELEASE, 2), "release"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_RELEASE), DP_RELEASE_QUARANTINE);
	ck_assert_int_eq(dp_policy_set_rule(p, DP_RULE_RELEASE, DP_RELEASE_HOST), 0);
	/* The plan's rules (0.12): allow, warn or deny; deny and warn by default. */
	ck_assert_str_eq(dp_rule_name(DP_RULE_MMIO_WINDOW), "mmio_window");
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MMIO_WINDOW), DP_ACTION_DENY);
	ck_assert_str_eq(dp_rule_name(DP_RULE_MEMLOCK), "memlock");
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MEMLOCK), DP_ACTION_WARN);
	ck_assert_int_eq(dp_policy_set(p, "memlock", "deny"), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MEMLOCK), DP_ACTION_DENY);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set(p, "mmio_window", "maybe"), "mmio_window"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MMIO_WINDOW), DP_ACTION_DENY);
	dp_policy_unref(p);
}
END_TEST

START_TEST(policy_file_sets_rules)
{
	struct dp_policy *p = policy();
	const char *path = file("policy.conf",
				"; ESX 4.1-like\n"
				"[policy]\n"
				"max_devices_per_vm = 4\n"
				"min_hw_version=8\n"
				"  unlisted_devices = deny  \n"
				"require_interrupt_remapping = no ; accepted risk\n");

	ck_assert_int_eq(dp_policy_load_file(p, path), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 4);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 8);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_UNLISTED_DEVICES), DP_ACTION_DENY);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_INTERRUPT_REMAPPING), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_IOMMU), 1); /* untouched */
	dp_policy_unref(p);
}
END_TEST

START_TEST(policy_file_errors_name_file_and_line_and_change_nothing)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[policy]\nmax_devices_per_vm = 3\nmax_device_per_vm = 4\n", ":3: unknown key \"max_device_per_vm\"" },
		{ "[policy]\nmax_devices_per_vm = 3\n\nmax_devices_per_vm = 4\n", ":4: duplicate key \"max_devices_per_vm\"" },
		{ "[policy]\nrequire_iommu = perhaps\n", ":2: require_iommu takes yes or no, not \"perhaps\"" },
		{ "[policy]\nmax_devices_per_vm = 99999\n", ":2: max_devices_per_vm takes a number from 0 to 4096" },
		{ "max_devices_per_vm = 3\n", ":1: \"max_devices_per_vm\" outside a section" },
		{ "[polcy]\nmax_devices_per_vm = 3\n", ":1: unknown section [polcy] (policy, device VVVV:DDDD)" },
		{ "[policy]\nmax_devices_per_vm = 3\n[polcy]\n", ":3: unknown section [polcy] (policy, device VVVV:DDDD)" },
		{ "[policy]\nmax_devices_per_vm 3\n", ":2: not a [section] or key = value line" },
		{ "[policy]\n# fine\nunlisted_devices = sometimes\n", ":3: unlisted_devices takes allow, warn or deny" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_policy *p = policy();
		char name[32];
		const char *path;

		snprintf(name, sizeof(name), "bad%zu.conf", i);
		path = file(name, cases[i].text);
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), cases[i].want), -EINVAL);
		ck_assert_msg(strstr(dp_test_log_all(), path), "message lacks the path");
		ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);
		dp_policy_unref(p);
	}
}
END_TEST

START_TEST(policy_file_hostile_forms)
{
	struct dp_policy *p = policy();
	char *big = malloc(2 * 1024 * 1024);
	char longline[400];
	const char *path;

	/* A line longer than libinih takes. */
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	path = file("long.conf", "[policy]\n");
	{
		FILE *f = fopen(path, "a");

		fprintf(f, "require_iommu = %s\nmax_devices_per_vm = 9\n", longline);
		fclose(f);
	}
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), ":2: line longer than"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);

	/* Too large a file, a directory, a missing file, the default path. */
	memset(big, '#', 2 * 1024 * 1024 - 1);
	big[2 * 1024 * 1024 - 1] = '\0';
	path = file("big.conf", big);
	free(big);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), "larger than"), -EFBIG);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, dir), "not a regular file"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, "/nonexistent/x.conf"), "x.conf"), -ENOENT);
	ck_assert_int_eq(dp_policy_load_file(p, NULL), 0); /* no CONFIG_DIR/policy.conf: defaults */
	ck_assert_int_eq(dp_policy_load_file(NULL, path), -EINVAL);
	dp_policy_unref(p);
}
END_TEST

START_TEST(vm_file_reads_every_key)
{
	struct dp_vm *vm = NULL;
	const char *path = file("db01.vm",
				"[vm]\n"
				"name = db01\n"
				"hw_version = 7\n"
				"memory = 4G\n"
				"reservation = 4096MiB\n"
				"features = vmotion, fault_tolerance snapshot_memory\n"
				"[passthrough]\n"
				"device = 0000:03:00.0\n"
				"device = 04:00.0\n");

	ck_assert_int_eq(dp_vm_new_from_file(ctx, path, &vm), 0);
	ck_assert_str_eq(dp_vm_get_name(vm), "db01");
	ck_assert_uint_eq(dp_vm_get_hw_version(vm), 7);
	ck_assert_uint_eq(dp_vm_get_memory(vm), 4ULL << 30);
	ck_assert_uint_eq(dp_vm_get_reservation(vm), 4ULL << 30);
	ck_assert_uint_eq(dp_vm_get_features(vm),
			  DP_FEATURE_VMOTION | DP_FEATURE_FAULT_TOLERANCE | DP_FEATURE_SNAPSHOT_MEMORY);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 2);
	ck_assert_str_eq(dp_vm_get_device(vm, 0), "0000:03:00.0");
	ck_assert_str_eq(dp_vm_get_device(vm, 1), "04:00.0");
	ck_assert_ptr_null(dp_vm_get_device(vm, 2));
	dp_vm_unref(vm);
}
END_TEST

START_TEST(vm_file_errors_name_file_and_line)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[vm]\nname = a\nmemory = lots\n", ":3: memory \"lots\" is not a size" },
		{ "[vm]\nname = a\nmemory = 99999999999999999999G\n", ":3: memory \"99999999999999999999G\" is not a size (such as 4096M or 4G): too large" },
		{ "[vm]\nname = a\nhw_version = seven\n", ":3: hw_version \"seven\" is not a number" },
		{ "[vm]\nname = a\nname = b\n", ":3: duplicate key \"name\"" },
		{ "[vm]\nname = a\nfeatures = vmotion teleport\n", ":3: unknown feature \"teleport\"" },
		{ "[vm]\nname = a\n[passthrough]\ndevices = 03:00.0\n", ":4: unknown key \"devices\"" },
		{ "[vm]\nname = a\ncpus = 4\n", ":3: unknown key \"cpus\"" },
		{ "[machine]\nname = a\n", ":1: unknown section [machine] (vm, passthrough)" },
		{ "[vm]\nname = a\n[extra]\n", ":3: unknown section [extra] (vm, passthrough)" },
		{ "[vm]\nname = a\n[]\n", ":3: unknown section [] (vm, passthrough)" },
		{ "[vm]\nname = a\n[passthrough]\ndevice = 0000:00:00.0000000000000000000000000000000000000000000000000000000000000\n",
		  ":4: device \"0000:00:00.000000000000000000000...\" is far too long" },
		{ "[vm]\nname = a\"b\n", ":2: name must be" },
		{ "[vm]\nhw_version = 7\n", "no name in [vm]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_vm *vm = (struct dp_vm *)0x1;
		char name[32];
		const char *path;

		snprintf(name, sizeof(name), "bad%zu.vm", i);
		path = file(name, cases[i].text);
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm), cases[i].want), -EINVAL);
		ck_assert_ptr_eq(vm, (struct dp_vm *)0x1);
	}
}
END_TEST

START_TEST(vm_api_rejects_bad_input)
{
	struct dp_vm *vm = NULL, *keep = (struct dp_vm *)0x1;
	char longname[200];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new(ctx, "", &keep), "VM name"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new(ctx, NULL, &keep), "VM name"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new(ctx, longname, &keep), "VM name"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new(ctx, "tab\there", &keep), "VM name"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new(ctx, "a", NULL), "BUG"), -EINVAL);
	ck_assert_int_eq(dp_vm_new(NULL, "a", &keep), -EINVAL);
	ck_assert_ptr_eq(keep, (struct dp_vm *)0x1);

	ck_assert_int_eq(dp_vm_new(ctx, "vm1", &vm), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_set_features(vm, 1u << 20, 1), "unknown feature"), -EINVAL);
	ck_assert_int_eq(dp_vm_set_features(vm, DP_FEATURE_ALL, 1), 0);
	ck_assert_int_eq(dp_vm_set_features(vm, DP_FEATURE_VMOTION, 0), 0);
	ck_assert_uint_eq(dp_vm_get_features(vm), DP_FEATURE_ALL & ~DP_FEATURE_VMOTION);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_add_device(vm, NULL), "BUG"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_add_device(vm, longname), "too long"), -EINVAL);
	ck_assert_int_eq(dp_vm_set_memory(vm, UINT64_MAX, UINT64_MAX), 0);
	ck_assert_uint_eq(dp_vm_get_memory(vm), UINT64_MAX);
	ck_assert_int_eq(dp_vm_set_memory(NULL, 1, 1), -EINVAL);
	ck_assert_int_eq(dp_vm_set_hw_version(NULL, 7), -EINVAL);
	ck_assert_ptr_eq(dp_vm_ref(vm), vm);
	ck_assert_ptr_null(dp_vm_unref(vm));
	ck_assert_ptr_null(dp_vm_unref(vm));
	ck_assert_ptr_null(dp_vm_unref(NULL));
	ck_assert_ptr_null(dp_vm_get_name(NULL));
	ck_assert_uint_eq(dp_vm_get_device_count(NULL), 0);
}
END_TEST

START_TEST(policy_source_names_the_file_loaded)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = dir);
	struct dp_ctx *c = NULL;
	struct dp_policy *p = policy(), *q = NULL;
	char want[128];
	const char *path;

	ck_assert_ptr_null(dp_policy_get_source(p)); /* the defaults */
	ck_assert_ptr_null(dp_policy_get_source(NULL));
	path = file("first.conf", "[policy]\nmax_devices_per_vm = 3\n");
	ck_assert_int_eq(dp_policy_load_file(p, path), 0);
	ck_assert_str_eq(dp_policy_get_source(p), path);
	/* A file that fails to load changes nothing, its source included. */
	path = file("bad.conf", "[policy]\nmax_devices_per_vm = lots\n");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), "bad.conf:2:"), -EINVAL);
	snprintf(want, sizeof(want), "%s/first.conf", dir);
	ck_assert_str_eq(dp_policy_get_source(p), want);
	ck_assert_int_eq(dp_policy_load_file(p, NULL), 0); /* no CONFIG_DIR/policy.conf here */
	ck_assert_str_eq(dp_policy_get_source(p), want);
	dp_policy_unref(p);

	/* NULL loads CONFIG_DIR/policy.conf and names it. */
	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_policy_new(c, &q), 0);
	ck_assert_int_eq(dp_policy_load_file(q, NULL), 0);
	ck_assert_ptr_null(dp_policy_get_source(q));
	file("policy.conf", "[policy]\nmin_hw_version = 8\n");
	ck_assert_int_eq(dp_policy_load_file(q, NULL), 0);
	snprintf(want, sizeof(want), "%s/policy.conf", dir);
	ck_assert_str_eq(dp_policy_get_source(q), want);
	ck_assert_int_eq(dp_policy_get_rule(q, DP_RULE_MIN_HW_VERSION), 8);
	dp_policy_unref(q);
	dp_ctx_unref(c);
}
END_TEST

START_TEST(policy_line_max_is_the_loaders_limit)
{
	size_t max = dp_policy_line_max();
	char line[512];
	struct dp_policy *p = policy();
	const char *path;
	int n;

	ck_assert_uint_ge(max, 80);
	ck_assert_uint_lt(max + 2, sizeof(line));
	/* A comment of exactly max bytes loads; one byte more does not. */
	n = snprintf(line, sizeof(line), "[policy]\n#%0*d\nmin_hw_version = 9\n", (int)max - 1, 0);
	ck_assert_int_gt(n, 0);
	path = file("max.conf", line);
	ck_assert_int_eq(dp_policy_load_file(p, path), 0);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 9);
	snprintf(line, sizeof(line), "[policy]\n#%0*d\nmin_hw_version = 10\n", (int)max, 0);
	path = file("over.conf", line);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), ":2: line longer than"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MIN_HW_VERSION), 9);
	dp_policy_unref(p);
}
END_TEST

START_TEST(vm_reservation_all_follows_the_memory)
{
	struct dp_vm *vm = NULL;

	ck_assert_int_eq(dp_vm_new(ctx, "all", &vm), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 8ULL << 30, 1ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_get_reservation(vm), 1ULL << 30);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, 4ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_get_memory(vm), 4ULL << 30);
	ck_assert_uint_eq(dp_vm_get_reservation(vm), 4ULL << 30);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, UINT64_MAX), 0);
	ck_assert_uint_eq(dp_vm_get_reservation(vm), UINT64_MAX);
	ck_assert_int_eq(dp_vm_set_memory_size(NULL, 1), -EINVAL);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(uints_parse_digits_only)
{
	static const struct {
		const char *s;
		uint64_t max;
		int rc;
		uint64_t v;
	} cases[] = {
		{ "0", 10, 0, 0 },          { "7", 10, 0, 7 },           { "007", 10, 0, 7 },
		{ "10", 10, 0, 10 },        { "11", 10, -ERANGE, 0 },    { "4294967295", UINT32_MAX, 0, UINT32_MAX },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 }, { "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 }, { "1", 0, -ERANGE, 0 },
		{ "0", 0, 0, 0 },           { "", 10, -EINVAL, 0 },      { " 7", 10, -EINVAL, 0 },
		{ "7 ", 10, -EINVAL, 0 },   { "+7", 10, -EINVAL, 0 },    { "-0", 10, -EINVAL, 0 },
		{ "0x7", 10, -EINVAL, 0 },  { "7a", 10, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = dp_parse_uint(cases[i].s, cases[i].max, &v);

		ck_assert_msg(rc == cases[i].rc, "\"%s\": %d, want %d", cases[i].s, rc, cases[i].rc);
		ck_assert_msg(v == (rc == 0 ? cases[i].v : 12345), "\"%s\": %llu", cases[i].s,
			      (unsigned long long)v);
	}
	ck_assert_int_eq(dp_parse_uint(NULL, 1, NULL), -EINVAL);
	ck_assert_int_eq(dp_parse_uint("1", 1, NULL), -EINVAL);
}
END_TEST

START_TEST(vm_mmio_hole_lays_out_the_ram)
{
	struct dp_vm *vm = NULL;
	uint64_t start[2], end[2];
	const char *path;

	ck_assert_int_eq(dp_vm_new(ctx, "hole", &vm), 0);
	ck_assert_uint_eq(dp_vm_get_mmio_hole(vm), 3ULL << 30);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, 2ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 1);
	ck_assert_uint_eq(start[0], 0);
	ck_assert_uint_eq(end[0], (2ULL << 30) - 1);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, 8ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 2);
	ck_assert_uint_eq(end[0], (3ULL << 30) - 1);
	ck_assert_uint_eq(start[1], 4ULL << 30);
	ck_assert_uint_eq(end[1], (9ULL << 30) - 1);
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, 4ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 2);
	ck_assert_uint_eq(end[0], (4ULL << 30) - 1);
	ck_assert_uint_eq(end[1], (8ULL << 30) - 1);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, 0), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 0);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, UINT64_MAX), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 2);
	ck_assert_uint_eq(end[1], UINT64_MAX - 1); /* 4 GiB below, the rest above: no wrap */
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, 3ULL << 30), 0);
	ck_assert_uint_eq(dp_vm_ram_ranges(vm, start, end), 2);
	ck_assert_uint_eq(end[1], UINT64_MAX); /* past the end of the address space: clamped */
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, 4ULL << 30), 0);
	/* Out of range or not whole MiB: refused and logged, nothing changed. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_set_mmio_hole(vm, (4ULL << 30) + (1 << 20)), "mmio_hole"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_set_mmio_hole(vm, 0), "mmio_hole"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_set_mmio_hole(vm, (3ULL << 30) + 4096), "1 MiB"), -EINVAL);
	ck_assert_uint_eq(dp_vm_get_mmio_hole(vm), 4ULL << 30);
	ck_assert_int_eq(dp_vm_set_mmio_hole(NULL, 1 << 20), -EINVAL);
	ck_assert_uint_eq(dp_vm_get_mmio_hole(NULL), 0);
	vm = dp_vm_unref(vm);

	path = file("hole.vm", "[vm]\nname = h\nhw_version = 7\nmemory = 8G\nmmio_hole = 2G\n");
	ck_assert_int_eq(dp_vm_new_from_file(ctx, path, &vm), 0);
	ck_assert_uint_eq(dp_vm_get_mmio_hole(vm), 2ULL << 30);
	vm = dp_vm_unref(vm);
	path = file("badhole.vm", "[vm]\nname = h\nmemory = 8G\nmmio_hole = 5G\n");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm),
					    ":4: mmio_hole \"5G\" is not a size from 1M to 4G"), -EINVAL);
	ck_assert_ptr_null(vm);
}
END_TEST

START_TEST(sizes_parse_and_overflow)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },           { "4096", 0, 4096 },         { "4K", 0, 4096 },
		{ "4k", 0, 4096 },       { "4KiB", 0, 4096 },         { "4KB", 0, 4096 },
		{ "512M", 0, 512ULL << 20 }, { "4G", 0, 4ULL << 30 }, { "4 G", 0, 4ULL << 30 },
		{ "1T", 0, 1ULL << 40 }, { "16777215T", 0, 16777215ULL << 40 },
		{ "16777216T", -ERANGE, 0 }, { "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "", -EINVAL, 0 }, { "G", -EINVAL, 0 },
		{ "4X", -EINVAL, 0 },    { "-4G", -EINVAL, 0 },       { "4GG", -EINVAL, 0 },
		{ "4.5G", -EINVAL, 0 },  { " 4G", -EINVAL, 0 },       { "4Gi", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = dp_parse_size(cases[i].s, &v);

		ck_assert_msg(rc == cases[i].rc, "\"%s\": %d, want %d", cases[i].s, rc, cases[i].rc);
		ck_assert_msg(v == (rc == 0 ? cases[i].v : 12345), "\"%s\": %llu", cases[i].s,
			      (unsigned long long)v);
	}
	ck_assert_int_eq(dp_parse_size(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(feature_names_round_trip)
{
	static const char *const names[] = {
		"vmotion", "storage_vmotion", "fault_tolerance", "hot_add",
		"suspend_resume", "record_replay", "snapshot_memory", "memory_overcommit",
	};

	for (unsigned i = 0; i < 8; i++) {
		ck_assert_str_eq(dp_feature_name(1u << i), names[i]);
		ck_assert_uint_eq(dp_feature_from_name(names[i]), 1u << i);
	}
	ck_assert_ptr_null(dp_feature_name(0));
	ck_assert_ptr_null(dp_feature_name(3));
	ck_assert_ptr_null(dp_feature_name(1u << 8));
	ck_assert_uint_eq(dp_feature_from_name("VMOTION"), 0);
	ck_assert_uint_eq(dp_feature_from_name(NULL), 0);
	ck_assert_uint_eq(DP_FEATURE_ALL, 0xff);
}
END_TEST

START_TEST(compat_file_parses_and_most_specific_wins)
{
	struct dp_policy *p = policy();
	const char *path = file("site.list",
				"# site list\n"
				"8086:* unsupported Intel, by default\n"
				"8086:10fb supported Intel 82599\n"
				"  8086:10fb 8086:000c experimental 82599 on X520  \n"
				"   \n"
				"*:* 1028:* supported anything Dell-branded\n"
				"8086:10FB 1028:* unsupported a later tie wins\n");
	const char *name = NULL;

	ck_assert_int_eq(dp_policy_load_compat_file(p, path), 0);
	ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x1234, 0x8086, 0x1, &name), DP_SUPPORT_UNSUPPORTED);
	ck_assert_str_eq(name, "Intel, by default");
	ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x10fb, 0x8086, 0x1, &name), DP_SUPPORT_SUPPORTED);
	ck_assert_str_eq(name, "Intel 82599");
	ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x10fb, 0x8086, 0x000c, &name), DP_SUPPORT_EXPERIMENTAL);
	ck_assert_str_eq(name, "82599 on X520");
	ck_assert_int_eq(dp_compat_lookup(p, 0x10de, 0x1, 0x1028, 0x5, &name), DP_SUPPORT_SUPPORTED);
	ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x10fb, 0x1028, 0x5, &name), DP_SUPPORT_UNSUPPORTED);
	ck_assert_str_eq(name, "a later tie wins");
	ck_assert_int_eq(dp_compat_lookup(p, 0x10de, 0x1, 0x10de, 0x5, &name), DP_SUPPORT_UNLISTED);
	ck_assert_ptr_null(name);

	ck_assert_str_eq(dp_support_level_name(DP_SUPPORT_SUPPORTED), "supported");
	ck_assert_str_eq(dp_support_level_name(DP_SUPPORT_UNLISTED), "unlisted");
	ck_assert_ptr_null(dp_support_level_name(9));
	ck_assert_uint_eq(dp_policy_get_compat_count(p), 5);
	{
		struct dp_compat_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_policy_get_compat_entry(p, 2, &info), 0);
		ck_assert_uint_eq(info.vendor_id, 0x8086);
		ck_assert_uint_eq(info.device_id, 0x10fb);
		ck_assert_uint_eq(info.subsystem_vendor_id, 0x8086);
		ck_assert_uint_eq(info.subsystem_id, 0x000c);
		ck_assert_int_eq(info.level, DP_SUPPORT_EXPERIMENTAL);
		ck_assert_uint_eq(info.line, 4);
		ck_assert_str_eq(info.name, "82599 on X520");
		ck_assert_str_eq(info.source, path);
		ck_assert_int_eq(dp_policy_get_compat_entry(p, 4, &info), 0);
		ck_assert_uint_eq(info.device_id, 0x10fb); /* "10FB" */
		ck_assert_uint_eq(info.subsystem_id, DP_ID_ANY);
		ck_assert_int_eq(dp_policy_get_compat_entry(p, 5, &info), -ERANGE);
		ck_assert_int_eq(dp_policy_get_compat_entry(NULL, 0, &info), -EINVAL);
		info.sz = 8;
		ck_assert_int_eq(dp_policy_get_compat_entry(p, 0, &info), -EINVAL);
	}
	ck_assert_int_eq(dp_policy_add_compat(p, 0x1234, 0x11e8, DP_ID_ANY, DP_ID_ANY,
					      DP_SUPPORT_EXPERIMENTAL, "edu"), 0);
	{
		struct dp_compat_info info = { .sz = sizeof(info) };

		ck_assert_uint_eq(dp_policy_get_compat_count(p), 6);
		ck_assert_int_eq(dp_policy_get_compat_entry(p, 5, &info), 0);
		ck_assert_ptr_null(info.source);
		ck_assert_uint_eq(info.line, 0);
	}
	ck_assert_int_eq(dp_compat_lookup(p, 0x1234, 0x11e8, 0x1af4, 0x1100, &name), DP_SUPPORT_EXPERIMENTAL);
	ck_assert_str_eq(name, "edu");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_add_compat(p, 0x10000, 1, DP_ID_ANY, DP_ID_ANY,
							 DP_SUPPORT_SUPPORTED, NULL), "BUG"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_add_compat(p, 1, 1, DP_ID_ANY, DP_ID_ANY,
							 DP_SUPPORT_UNLISTED, NULL), "BUG"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_support(p, NULL, &name), -EINVAL);
	dp_policy_unref(p);
}
END_TEST

START_TEST(compat_file_errors_name_line_and_add_nothing)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "8086:10fb supported\n8086 supported\n", ":2: expected VENDOR:DEVICE" },
		{ "808g:10fb supported\n", ":1: expected VENDOR:DEVICE" },
		{ "8086:10fb maybe\n", ":1: expected a level" },
		{ "8086:10fb\n", ":1: expected a level" },
		{ "8086:10fb 8086:zz supported\n", ":1: expected SUBVENDOR:SUBDEVICE" },
		{ "80861:10fb supported\n", ":1: expected VENDOR:DEVICE" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_policy *p = policy();
		char fname[32];
		const char *path;

		snprintf(fname, sizeof(fname), "bad%zu.list", i);
		path = file(fname, cases[i].text);
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_compat_file(p, path), cases[i].want), -EINVAL);
		ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x10fb, 0x8086, 0x10fb, NULL),
				 DP_SUPPORT_UNLISTED); /* the good first line did not stay */
		dp_policy_unref(p);
	}
}
END_TEST

START_TEST(shipped_list_loads_from_the_data_dir)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = DP_TEST_DATA_DIR);
	struct dp_ctx *c;
	struct dp_policy *p;

	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	dp_ctx_set_log_priority(c, LOG_DEBUG);
	ck_assert_int_eq(dp_policy_new(c, &p), 0);
	ck_assert_msg(strstr(dp_test_log_all(), "10-esx40-experimental.list: 17 compatibility entries"),
		      "%s", dp_test_log_all());
	dp_policy_unref(p);
	dp_ctx_unref(c);
}
END_TEST

START_TEST(a_broken_installed_list_fails_policy_new)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = dir);
	struct dp_ctx *c;
	struct dp_policy *p = (struct dp_policy *)0x1;
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/compat.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	file("compat.d/00-good.list", "8086:10fb supported\n");
	file("compat.d/50-bad.list", "# x\n8086:10fb sometimes\n");
	file("compat.d/README", "not a list: ignored\n");
	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_new(c, &p), "50-bad.list:2: expected a level"), -EINVAL);
	ck_assert_ptr_eq(p, (struct dp_policy *)0x1);
	dp_ctx_unref(c);
}
END_TEST

/* Nothing may block on a FIFO: each is refused at once, by name, as mark.c refuses one. */
START_TEST(fifos_are_refused_not_waited_on)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = dir, .config_dir = dir);
	struct dp_policy *p = policy(), *q = (struct dp_policy *)0x1;
	struct dp_vm *vm = (struct dp_vm *)0x1;
	char sub[128], want[160];
	struct dp_ctx *c;
	const char *path;

	alarm(20); /* a hang fails here, not at the suite's timeout */
	path = fifo("policy.conf"); /* also CONFIG_DIR/policy.conf of c */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), path), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_all(), "not a regular file"));
	path = fifo("db01.vm");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm), path), -EINVAL);
	ck_assert_ptr_eq(vm, (struct dp_vm *)0x1);
	path = fifo("site.list");
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_compat_file(p, path), path), -EINVAL);
	ck_assert_uint_eq(dp_policy_get_compat_count(p), 0);
	dp_policy_unref(p);

	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_policy_new(c, &p), 0); /* no compat.d yet */
	snprintf(want, sizeof(want), "%s/policy.conf: not a regular file", dir);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, NULL), want), -EINVAL);
	dp_policy_unref(p);
	snprintf(sub, sizeof(sub), "%s/compat.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	file("compat.d/00-good.list", "8086:10fb supported\n");
	fifo("compat.d/50-fifo.list");
	snprintf(want, sizeof(want), "%s/compat.d/50-fifo.list: not a regular file", dir);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_new(c, &q), want), -EINVAL);
	ck_assert_ptr_eq(q, (struct dp_policy *)0x1);
	dp_ctx_unref(c);
	alarm(0);
}
END_TEST

/* The attack of issue 13: a NUL hides a line's length, and its tail became a line of its own. */
START_TEST(a_nul_byte_is_an_error_naming_file_and_line)
{
	char attack[2048];
	size_t n = 0;
	struct dp_policy *p = policy();
	struct dp_vm *vm = (struct dp_vm *)0x1;
	const char *path;

	n += (size_t)sprintf(attack + n, "[policy]\n#");
	attack[n++] = '\0';
	memset(attack + n, 'A', 1023); /* to the end of the old 1026-byte fgets() buffer */
	n += 1023;
	n += (size_t)sprintf(attack + n, "require_iommu = no\n");
	path = file_bytes("nul.conf", attack, n);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), ":2: a NUL byte"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_all(), path));
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_REQUIRE_IOMMU), 1);

	/* Text after a NUL is not silently dropped: "a\0b" is not "a". */
	path = file_bytes("nul.vm", "[vm]\nhw_version = 7\nname = a\0b\n", 29);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm), ":3: a NUL byte"), -EINVAL);
	ck_assert_ptr_eq(vm, (struct dp_vm *)0x1);
	path = file_bytes("nul2.conf", "[policy]\nmax_devices_per_vm = 3\0 junk\n", 38);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), ":2: a NUL byte"), -EINVAL);
	ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);

	/* The same trick against the compatibility list, with its 514-byte buffer. */
	n = 0;
	attack[n++] = '#';
	attack[n++] = '\0';
	memset(attack + n, 'A', 511);
	n += 511;
	n += (size_t)sprintf(attack + n, "8086:10fb supported injected\n");
	path = file_bytes("nul.list", attack, n);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_compat_file(p, path), ":1: a NUL byte"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_all(), path));
	ck_assert_uint_eq(dp_policy_get_compat_count(p), 0);
	path = file_bytes("nul2.list", "8086:10fb supported Intel\0 X520\n", 32);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_compat_file(p, path), ":1: a NUL byte"), -EINVAL);
	ck_assert_uint_eq(dp_policy_get_compat_count(p), 0);
	dp_policy_unref(p);
}
END_TEST

/* "max_devices_per_vm = 3 ;xxx...": a line of exactly len bytes that sets the rule to 3. */
static void rule_line(char *buf, size_t len)
{
	static const char head[] = "max_devices_per_vm = 3 ;";

	memset(buf, 'x', len);
	memcpy(buf, head, strlen(head));
	buf[len] = '\0';
}

/* 198 bytes a line, not counting LF or CR LF, counted before anything is stripped. */
START_TEST(policy_line_length_is_counted_as_the_page_says)
{
	static const struct {
		size_t len;
		const char *end;
		size_t indent;
		bool ok;
	} cases[] = {
		{ 198, "\n", 0, true },    { 198, "\r\n", 0, true },  { 198, "", 0, true },
		{ 199, "\n", 0, false },   { 199, "\r\n", 0, false }, { 199, "", 0, false },
		{ 199, "\n", 100, false }, { 198, "\n", 100, true },  { 922, "\n", 900, false },
	};
	char text[1200], line[1000];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_policy *p = policy();
		struct dp_vm *vm = NULL;
		const char *path;
		char name[32];

		memset(line, ' ', cases[i].indent);
		rule_line(line + cases[i].indent, cases[i].len - cases[i].indent);
		snprintf(text, sizeof(text), "[policy]\n%s%s", line, cases[i].end);
		snprintf(name, sizeof(name), "len%zu.conf", i);
		path = file(name, text);
		if (cases[i].ok) {
			ck_assert_msg(dp_policy_load_file(p, path) == 0, "case %zu", i);
			ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 3);
		} else {
			ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path),
							    ":2: line longer than 198 characters"), -EINVAL);
			ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);
		}
		dp_policy_unref(p);

		/* A VM file counts the same way. */
		memset(line, ' ', cases[i].indent);
		memset(line + cases[i].indent, 'x', cases[i].len - cases[i].indent);
		memcpy(line + cases[i].indent, "name = db01 ;", 13);
		line[cases[i].len] = '\0';
		snprintf(text, sizeof(text), "[vm]\n%s%s", line, cases[i].end);
		snprintf(name, sizeof(name), "len%zu.vm", i);
		path = file(name, text);
		if (cases[i].ok) {
			dp_test_log_reset();
			ck_assert_msg(dp_vm_new_from_file(ctx, path, &vm) == 0, "case %zu", i);
			ck_assert_str_eq(dp_vm_get_name(vm), "db01");
			dp_vm_unref(vm);
		} else {
			ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm),
							    ":2: line longer than 198 characters"), -EINVAL);
		}
	}
	/* A byte order mark is not counted; it and CR LF are taken together. */
	{
		struct dp_policy *p = policy();

		rule_line(line, 198);
		snprintf(text, sizeof(text), "\xef\xbb\xbf[policy]\r\n%s\r\n", line);
		ck_assert_int_eq(dp_policy_load_file(p, file("bom.conf", text)), 0);
		ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 3);
		rule_line(line, 199);
		snprintf(text, sizeof(text), "\xef\xbb\xbf%s\r\n[policy]\n", line);
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, file("bom2.conf", text)),
						    ":1: line longer than 198"), -EINVAL);
		dp_policy_unref(p);
	}
}
END_TEST

/* 512 bytes a line, not counting LF or CR LF, counted before anything is stripped. */
START_TEST(compat_line_length_is_counted_as_the_page_says)
{
	static const struct {
		size_t len;
		const char *end;
		size_t indent;
		bool ok;
	} cases[] = {
		{ 512, "\n", 0, true },    { 512, "\r\n", 0, true },  { 512, "", 0, true },
		{ 513, "\n", 0, false },   { 513, "\r\n", 0, false }, { 513, "", 0, false },
		{ 512, "\n", 100, true },  { 600, "\n", 580, false },
	};
	char text[1200], line[1000];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_policy *p = policy();
		const char *path, *name = NULL;
		char fname[32];

		memset(line, ' ', cases[i].indent);
		memset(line + cases[i].indent, 'n', cases[i].len - cases[i].indent);
		memcpy(line + cases[i].indent, "8086:10fb supported ", 20);
		line[cases[i].len] = '\0';
		snprintf(text, sizeof(text), "%s%s", line, cases[i].end);
		snprintf(fname, sizeof(fname), "len%zu.list", i);
		path = file(fname, text);
		if (cases[i].ok) {
			ck_assert_msg(dp_policy_load_compat_file(p, path) == 0, "case %zu", i);
			ck_assert_int_eq(dp_compat_lookup(p, 0x8086, 0x10fb, 1, 1, &name), DP_SUPPORT_SUPPORTED);
			ck_assert_uint_eq(strlen(name), cases[i].len - cases[i].indent - 20);
		} else {
			ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_compat_file(p, path),
							    ":1: line longer than 512 characters"), -EINVAL);
			ck_assert_uint_eq(dp_policy_get_compat_count(p), 0);
		}
		dp_policy_unref(p);
	}
}
END_TEST

START_TEST(section_headers_take_nothing_after_them)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: accepted */
	} cases[] = {
		{ "[policy] trailing junk\nmax_devices_per_vm = 3\n", ":1: text after the section header" },
		{ "[policy]]]\nmax_devices_per_vm = 3\n", ":1: text after the section header" },
		{ "[policy]x\nmax_devices_per_vm = 3\n", ":1: text after the section header" },
		{ "[policy] # not a comment here\nmax_devices_per_vm = 3\n", ":1: text after the section header" },
		{ "[policy];x\nmax_devices_per_vm = 3\n", ":1: text after the section header" },
		{ "max_devices_per_vm = 3\n[policy\n", ":1: \"max_devices_per_vm\" outside a section" },
		{ "[policy]\nmax_devices_per_vm = 3\n[policy ; x]\n", ":3: no ']' to end the section header" },
		{ "[policy]\nmax_devices_per_vm = 3\n[policy\n", ":3: no ']' to end the section header" },
		{ "[policy]   ; a comment\nmax_devices_per_vm = 3\n", NULL },
		{ "[policy]\t\nmax_devices_per_vm = 3\n", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_policy *p = policy();
		char name[32];
		const char *path;

		snprintf(name, sizeof(name), "sec%zu.conf", i);
		path = file(name, cases[i].text);
		if (cases[i].want) {
			ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path), cases[i].want), -EINVAL);
			ck_assert_msg(strstr(dp_test_log_all(), path), "message lacks the path");
			ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 2);
		} else {
			ck_assert_msg(dp_policy_load_file(p, path) == 0, "case %zu", i);
			ck_assert_int_eq(dp_policy_get_rule(p, DP_RULE_MAX_DEVICES_PER_VM), 3);
		}
		dp_policy_unref(p);
	}
	{
		struct dp_vm *vm = (struct dp_vm *)0x1;
		const char *path = file("sec.vm", "[vm] junk\nname = a\n");

		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &vm),
						    ":1: text after the section header"), -EINVAL);
		ck_assert_ptr_eq(vm, (struct dp_vm *)0x1);
	}
}
END_TEST

/* The first error is the one reported, whoever finds it. */
START_TEST(the_first_error_of_a_file_is_reported)
{
	struct dp_policy *p = policy();
	static const char text[] = "[policy]\nmax_devices_per_vm 3\nmax_devices_per_vm = 3\0\n";
	const char *path = file_bytes("first.conf", text, sizeof(text) - 1);

	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_load_file(p, path),
					    ":2: not a [section] or key = value line"), -EINVAL);
	dp_policy_unref(p);
}
END_TEST

START_TEST(a_vm_has_at_most_1024_devices)
{
	size_t size = 64 + 1025 * 24, n;
	char *text = malloc(size);
	struct dp_vm *vm = NULL, *keep = (struct dp_vm *)0x1;
	const char *path;

	n = (size_t)snprintf(text, size, "[vm]\nname = big\n[passthrough]\n");
	for (unsigned i = 0; i < 1024; i++)
		n += (size_t)snprintf(text + n, size - n, "device = 0000:%02x:%02x.%u\n", i / 32,
				      i % 32, 0);
	path = file("1024.vm", text);
	ck_assert_int_eq(dp_vm_new_from_file(ctx, path, &vm), 0);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 1024);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_add_device(vm, "0001:00:00.0"),
					    "more than 1024 passthrough devices"), -E2BIG);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 1024);
	dp_vm_unref(vm);
	snprintf(text + n, size - n, "device = 0001:00:00.0\n");
	path = file("1025.vm", text);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vm_new_from_file(ctx, path, &keep),
					    ":1028: more than 1024 devices"), -EINVAL);
	ck_assert_ptr_eq(keep, (struct dp_vm *)0x1);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_are_esx40);
	tcase_add_test(tc, rule_names_and_values_round_trip);
	tcase_add_test(tc, set_rule_checks_values);
	tcase_add_test(tc, set_by_name_parses_each_kind);
	tcase_add_test(tc, policy_file_sets_rules);
	tcase_add_test(tc, policy_file_errors_name_file_and_line_and_change_nothing);
	tcase_add_test(tc, policy_file_hostile_forms);
	tcase_add_test(tc, vm_file_reads_every_key);
	tcase_add_test(tc, vm_file_errors_name_file_and_line);
	tcase_add_test(tc, vm_api_rejects_bad_input);
	tcase_add_test(tc, sizes_parse_and_overflow);
	tcase_add_test(tc, uints_parse_digits_only);
	tcase_add_test(tc, policy_source_names_the_file_loaded);
	tcase_add_test(tc, policy_line_max_is_the_loaders_limit);
	tcase_add_test(tc, vm_reservation_all_follows_the_memory);
	tcase_add_test(tc, vm_mmio_hole_lays_out_the_ram);
	tcase_add_test(tc, feature_names_round_trip);
	tcase_add_test(tc, compat_file_parses_and_most_specific_wins);
	tcase_add_test(tc, compat_file_errors_name_line_and_add_nothing);
	tcase_add_test(tc, shipped_list_loads_from_the_data_dir);
	tcase_add_test(tc, a_broken_installed_list_fails_policy_new);
	tcase_add_test(tc, fifos_are_refused_not_waited_on);
	tcase_add_test(tc, a_nul_byte_is_an_error_naming_file_and_line);
	tcase_add_test(tc, policy_line_length_is_counted_as_the_page_says);
	tcase_add_test(tc, compat_line_length_is_counted_as_the_page_says);
	tcase_add_test(tc, section_headers_take_nothing_after_them);
	tcase_add_test(tc, the_first_error_of_a_file_is_reported);
	tcase_add_test(tc, a_vm_has_at_most_1024_devices);
	tcase_add_test(tc, rule_values_come_through_an_out_parameter);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
