/* SPDX-License-Identifier: MIT */
/*
 * Reset methods on synthetic hosts (tests/lib/fakesys, mounted over /sys in
 * a private mount namespace): the list derived from config space and the
 * bus where the kernel has no reset_method (each rule of derivation), the
 * kernel's list where it has one, the policy's per-device order and "none",
 * the blast radius of a bus reset (finding 27 by shared_reset), writing the
 * order into reset_method and giving it back, and the reset verification
 * from the sysfs config file.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "policy.h"
#include "quarantine.h"
#include "resetcheck.h"
#include "resetmethod.h"
#include "testlog.h"
#include "testrun.h"

/*
 * The host: RP1 above A alone on bus 1; RP2 above B and C sharing bus 2;
 * RP3 above G and H (one group) sharing bus 3; D on the root bus; E and F
 * with the kernel's reset_method.
 */
#define RP1 "0000:00:1c.0"
#define RP2 "0000:00:1d.0"
#define RP3 "0000:00:1e.0"
#define A   "0000:01:00.0" /* no capability, alone below RP1: bus */
#define B   "0000:02:00.0" /* FLR, AF FLR, PM: flr af_flr pm */
#define C   "0000:02:01.0" /* PM with No_Soft_Reset, on ixgbe: nothing */
#define D   "0000:00:05.0" /* PM on the root bus: pm */
#define E   "0000:00:06.0" /* reset_method "flr bus" (kernel), no capability */
#define F   "0000:00:07.0" /* reset_method "": every method off */
#define G   "0000:03:00.0" /* 1234:11e8, no capability, shares bus 3 with H */
#define H   "0000:03:00.1" /* 1234:11e8 on pci-stub (or as the test rebinds it) */

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;

static void add(const struct dp_fake_dev *d)
{
	ck_assert_int_eq(dp_fakesys_add(fs, d), 0);
}

static void setup(void)
{
	struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
				     .vfio_pci = true, .vfio_type1 = true };

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(dp_fakesys_set_host(fs, &host), 0);
	for (int i = 0; i < 3; i++) {
		static const char *const bdf[] = { RP1, RP2, RP3 };

		add(&(struct dp_fake_dev){ .bdf = bdf[i], .vendor = 0x8086, .device = 0xa110,
					   .class_code = 0x060400, .header_type = 1,
					   .secondary_bus = (uint8_t)(i + 1), .group = i + 1,
					   .driver = "pcieport", .caps = DP_FAKE_CAP_PCIE });
	}
	add(&(struct dp_fake_dev){ .bdf = A, .vendor = 0x1af4, .device = 0x1000,
				   .class_code = 0x020000, .group = 10 });
	add(&(struct dp_fake_dev){ .bdf = B, .vendor = 0x8086, .device = 0x10fb,
				   .class_code = 0x020000, .group = 11,
				   .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_AF_FLR | DP_FAKE_CAP_PM });
	add(&(struct dp_fake_dev){ .bdf = C, .vendor = 0x8086, .device = 0x10fb,
				   .class_code = 0x020000, .group = 12, .driver = "ixgbe",
				   .caps = DP_FAKE_CAP_PM_NO_SOFT_RESET });
	add(&(struct dp_fake_dev){ .bdf = D, .vendor = 0x8086, .device = 0x1533,
				   .class_code = 0x020000, .group = 13, .caps = DP_FAKE_CAP_PM });
	add(&(struct dp_fake_dev){ .bdf = E, .vendor = 0x10de, .device = 0x1b80,
				   .class_code = 0x030000, .group = 14, .reset_method = "flr bus" });
	add(&(struct dp_fake_dev){ .bdf = F, .vendor = 0x10de, .device = 0x1b81,
				   .class_code = 0x030000, .group = 15, .reset_method = "" });
	add(&(struct dp_fake_dev){ .bdf = G, .vendor = 0x1234, .device = 0x11e8,
				   .class_code = 0x00ff00, .group = 16, .multifunction = true,
				   .driver = "vfio-pci", .bars = { { .size = 1 << 20 } } });
	add(&(struct dp_fake_dev){ .bdf = H, .vendor = 0x1234, .device = 0x11e8,
				   .class_code = 0x00ff00, .group = 17, .driver = "pci-stub",
				   .bars = { { .size = 1 << 20 } } });
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	ctx = dp_fakesys_ctx(fs);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_ge(dp_ctx_scan(ctx), 11);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
}

static struct dp_device *dev_of(const char *bdf)
{
	struct dp_device *d = NULL;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &d), 0);
	return d;
}

static void assert_list(const char *bdf, const char *want, uint32_t source)
{
	struct dp_device *d = dev_of(bdf);

	ck_assert_msg(strcmp(dp_device_get_reset_list(d), want) == 0, "%s: \"%s\", not \"%s\"",
		      bdf, dp_device_get_reset_list(d), want);
	ck_assert_uint_eq(dp_device_get_reset_source(d), source);
	dp_device_unref(d);
}

START_TEST(each_rule_of_derivation_and_the_kernels_list)
{
	assert_list(A, "bus", DP_RESET_SOURCE_DERIVED);          /* alone below its bridge */
	assert_list(B, "flr af_flr pm", DP_RESET_SOURCE_DERIVED); /* not alone: no bus */
	assert_list(C, "", DP_RESET_SOURCE_DERIVED);             /* PM keeps state: no pm */
	assert_list(D, "pm", DP_RESET_SOURCE_DERIVED);           /* root bus: no bus */
	assert_list(RP1, "", DP_RESET_SOURCE_DERIVED);           /* a bridge: never bus */
	assert_list(E, "flr bus", DP_RESET_SOURCE_KERNEL);       /* the kernel's, whatever config says */
	assert_list(F, "", DP_RESET_SOURCE_KERNEL);
	/* The old getter is the kernel's alone, as before 0.11. */
	{
		struct dp_device *d = dev_of(A);

		ck_assert_ptr_null(dp_device_get_reset_methods(d));
		dp_device_unref(d);
	}
	ck_assert_ptr_null(dp_device_get_reset_list(NULL));
	ck_assert_uint_eq(dp_device_get_reset_source(NULL), 0);
}
END_TEST

START_TEST(a_bus_reset_takes_every_function_below_the_bridge)
{
	struct dp_device *b = dev_of(B), *a = dev_of(A), *d = dev_of(D);

	ck_assert_uint_eq(dp_device_get_reset_peer_count(b), 1);
	ck_assert_str_eq(dp_device_get_reset_peer(b, 0), C);
	ck_assert_ptr_null(dp_device_get_reset_peer(b, 1));
	ck_assert_uint_eq(dp_device_get_reset_peer_count(a), 0);
	ck_assert_uint_eq(dp_device_get_reset_peer_count(d), 0); /* the root bus has no bridge */
	dp_device_unref(b);
	dp_device_unref(a);
	dp_device_unref(d);
}
END_TEST

START_TEST(the_policys_order_is_what_the_library_uses)
{
	struct dp_device *b = dev_of(B), *e = dev_of(E), *g = dev_of(G);
	char buf[64];

	ck_assert_int_eq(dp_policy_get_device_reset(policy, b, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "flr af_flr pm");
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x8086, 0x10fb, "pm,flr"), 0);
	ck_assert_str_eq(dp_policy_get_reset_methods(policy, 0x8086, 0x10fb), "pm flr");
	ck_assert_int_eq(dp_policy_get_device_reset(policy, b, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "pm flr");
	/* Bus first on E: the library's reset is then a bus reset (E alone: no peer). */
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, "bus flr"), 0);
	ck_assert_int_eq(dp_policy_get_device_reset(policy, e, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "bus flr");
	/* G has no function reset and shares its bus: a bus reset, one peer. */
	ck_assert_int_eq(dp_policy_get_device_reset(policy, g, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(dp_policy_get_device_reset(policy, e, buf, 3), -ENOSPC);
	ck_assert_uint_eq(dp_policy_get_reset_entry_count(policy), 2);
	{
		uint32_t v, d;

		ck_assert_int_eq(dp_policy_get_reset_entry(policy, 1, &v, &d), 0);
		ck_assert_uint_eq(v, 0x10de);
		ck_assert_uint_eq(d, 0x1b80);
		ck_assert_int_eq(dp_policy_get_reset_entry(policy, 2, &v, &d), -ENOENT);
	}
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, NULL), 0);
	ck_assert_ptr_null(dp_policy_get_reset_methods(policy, 0x10de, 0x1b80));
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_reset_methods(policy, 1, 2, "flr slot"),
					    "\"slot\" is not a reset method"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_set_reset_methods(policy, 0x10000, 2, "flr"),
					    "is not a vendor and device ID"), -EINVAL);
	dp_device_unref(b);
	dp_device_unref(e);
	dp_device_unref(g);
}
END_TEST

/* The VM's report: findings of code on subject, as "S:message" lines. */
static char *check(const char *const *devices, uint32_t code, const char *subject)
{
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	static char out[4096];
	size_t len = 0;

	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	for (size_t i = 0; devices[i]; i++)
		ck_assert_int_eq(dp_vm_add_device(vm, devices[i]), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	out[0] = '\0';
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code == code && strcmp(f.subject, subject) == 0)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s:%s\n",
						dp_severity_name(f.severity), f.message);
	}
	dp_report_unref(rep);
	dp_vm_unref(vm);
	return out;
}

START_TEST(a_host_driver_below_the_bridge_denies_by_shared_reset)
{
	const char *vm[] = { G, NULL };

	ck_assert_str_eq(check(vm, DP_FINDING_SHARED_RESET, G),
			 "error:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (pci-stub), in use by the host (shared_reset = deny); bind it to vfio-pci"
			 " and pass it to this VM too, or move the device to a slot of its own\n");
	ck_assert_int_eq(dp_policy_set(policy, "shared_reset", "warn"), 0);
	ck_assert_str_eq(check(vm, DP_FINDING_SHARED_RESET, G),
			 "warning:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (pci-stub), in use by the host (shared_reset = warn); bind it to vfio-pci"
			 " and pass it to this VM too, or move the device to a slot of its own\n");
	ck_assert_int_eq(dp_policy_set(policy, "shared_reset", "allow"), 0);
	ck_assert_str_eq(check(vm, DP_FINDING_SHARED_RESET, G),
			 "info:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (pci-stub) (shared_reset = allow); the host's functions among them lose"
			 " their state\n");
}
END_TEST

START_TEST(an_unbound_peer_or_one_in_the_vm_is_listed_and_fine)
{
	const char *both[] = { G, H, NULL }, *one[] = { G, NULL };

	ck_assert_str_eq(check(both, DP_FINDING_SHARED_RESET, G),
			 "info:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (in this VM) (shared_reset = deny)\n");
	ck_assert_int_eq(dp_fakesys_set_driver(fs, H, NULL), 0);
	ck_assert_int_ge(dp_ctx_scan(ctx), 11);
	ck_assert_str_eq(check(one, DP_FINDING_SHARED_RESET, G),
			 "info:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (unbound) (shared_reset = deny)\n");
	ck_assert_int_eq(dp_fakesys_set_driver(fs, H, "vfio-pci"), 0);
	ck_assert_int_ge(dp_ctx_scan(ctx), 11);
	ck_assert_str_eq(check(one, DP_FINDING_SHARED_RESET, G),
			 "info:" G ": its reset is a reset of bus 03 below " RP3 ", which also resets "
			 H " (vfio-pci) (shared_reset = deny)\n");
	/* A function reset takes nothing along: no finding. */
	{
		const char *b[] = { B, NULL };

		ck_assert_str_eq(check(b, DP_FINDING_SHARED_RESET, B), "");
	}
}
END_TEST

START_TEST(none_in_the_policy_is_no_reset_naming_the_entry)
{
	const char *e[] = { E, NULL }, *a[] = { A, NULL };

	ck_assert_str_eq(check(e, DP_FINDING_NO_RESET_METHOD, E), "");
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, "none"), 0);
	ck_assert_str_eq(check(e, DP_FINDING_NO_RESET_METHOD, E),
			 "warning:" E ": no reset, for the policy's [device 10de:1b80] says reset_method ="
			 " none (no_reset_method = warn); state may leak between VMs, so remove the entry"
			 " or name a method it has (flr bus) there\n");
	/* Methods it lacks leave it none of its own. */
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x1af4, 0x1000, "flr pm"), 0);
	ck_assert_str_eq(check(a, DP_FINDING_NO_RESET_METHOD, A),
			 "warning:" A ": no reset, for the policy's [device 1af4:1000] reset_method = flr pm"
			 " names none of the methods it has (bus) (no_reset_method = warn); state may leak"
			 " between VMs, so name one of them there or remove the entry\n");
	/* Without an entry: as before. */
	{
		const char *f[] = { F, NULL };

		ck_assert_str_eq(check(f, DP_FINDING_NO_RESET_METHOD, F),
				 "warning:" F ": no way to reset it (no FLR, PM or bus reset;"
				 " no_reset_method = warn); state may leak between VMs\n");
	}
}
END_TEST

START_TEST(the_order_is_written_into_reset_method_and_given_back)
{
	struct dp_device *e = dev_of(E), *a = dev_of(A);
	char saved[DP_RESET_LIST_MAX], rel[256], now[64];
	bool written = true;

	ck_assert_int_eq(dp_reset_apply(policy, e, saved, &written), 0); /* no entry: untouched */
	ck_assert(!written);
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, "bus, flr"), 0);
	ck_assert_int_eq(dp_reset_apply(policy, e, saved, &written), 0);
	ck_assert(written);
	ck_assert_str_eq(saved, "flr bus");
	ck_assert_int_eq(dp_fakesys_dev_dir(fs, E, rel, sizeof(rel) - 16), 0);
	strcat(rel, "/reset_method");
	ck_assert_int_ge(dp_fakesys_read(fs, rel, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "bus flr");
	dp_reset_restore(ctx, E, saved, &written);
	ck_assert(!written);
	ck_assert_int_ge(dp_fakesys_read(fs, rel, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "flr bus");
	/* none: every method off, which the kernel takes as a lone newline. */
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x10de, 0x1b80, "none"), 0);
	ck_assert_int_eq(dp_reset_apply(policy, e, saved, &written), 0);
	ck_assert_int_ge(dp_fakesys_read(fs, rel, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "\n");
	dp_reset_restore(ctx, E, saved, &written);
	/* No reset_method file: the entry cannot be applied, and nothing is written. */
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x1af4, 0x1000, "bus"), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_reset_apply(policy, a, saved, &written),
					    "the kernel has no reset_method attribute"), -EOPNOTSUPP);
	ck_assert(!written);
	/* ... unless it has no method to order: nothing to write, no error. */
	{
		struct dp_device *c = dev_of(C);

		ck_assert_int_eq(dp_policy_set_reset_methods(policy, 0x8086, 0x10fb, "none"), 0);
		ck_assert_int_eq(dp_reset_apply(policy, c, saved, &written), 0);
		ck_assert(!written);
		dp_device_unref(c);
	}
	dp_device_unref(e);
	dp_device_unref(a);
}
END_TEST

/* Overwrites len bytes at off of bdf's config file in the tree; truncates it when data is NULL. */
static void poke_config(const char *bdf, off_t off, const void *data, size_t len)
{
	char rel[256], path[4096];
	int fd;

	ck_assert_int_eq(dp_fakesys_dev_dir(fs, bdf, rel, sizeof(rel)), 0);
	snprintf(path, sizeof(path), "%s/%s/config", dp_fakesys_root(fs), rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	if (data)
		ck_assert_int_eq(pwrite(fd, data, len, off), (ssize_t)len);
	else
		ck_assert_int_eq(ftruncate(fd, off), 0);
	close(fd);
}

/* A run directory in the tree's scratch space, for quarantine records. */
static const char *run_dir(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/run", dp_fakesys_scratch(fs));
	return dir;
}

static int verify(const struct dp_reset_snapshot *s, char *why)
{
	return dp_reset_verify(ctx, G, s, why, 128);
}

START_TEST(verification_reads_the_hardware_header)
{
	struct dp_reset_snapshot s, t;
	char why[128];

	ck_assert_int_eq(dp_reset_snapshot_take(ctx, G, &s), 0);
	ck_assert(s.valid);
	ck_assert_uint_eq(s.vendor, 0x1234);
	ck_assert_uint_eq(s.device, 0x11e8);
	ck_assert_uint_eq(s.command, 0x0006);
	ck_assert_uint_ne(s.bar[0], 0);
	ck_assert_int_eq(verify(&s, why), 0);
	ck_assert_str_eq(why, "");
	/* An enable the kernel turned on at open is no failure. */
	t = s;
	t.command = 0x0004;
	ck_assert_int_eq(verify(&t, why), 0);
	/* A changed BAR. */
	t = s;
	t.bar[2] = 0xfe000000;
	ck_assert_int_eq(verify(&t, why), -EIO);
	ck_assert_str_eq(why, "BAR2 0xfe000000 -> 0x00000000");
	/* The command register lost memory decoding. */
	poke_config(G, 0x04, "\x04\x00", 2);
	ck_assert_int_eq(verify(&s, why), -EIO);
	ck_assert_str_eq(why, "command 0x0006 -> 0x0004 (memory decoding lost)");
	/* Gone from the bus: all ones. */
	poke_config(G, 0x00, "\xff\xff\xff\xff", 4);
	ck_assert_int_eq(verify(&s, why), -EIO);
	ck_assert_str_eq(why, "vendor ID reads 0xffff");
	/* Truncated: not even the header. */
	poke_config(G, 32, NULL, 0);
	ck_assert_int_eq(verify(&s, why), -EIO);
	ck_assert_str_eq(why, "config space unreadable: 32 of 64 header bytes");
	/* An invalid snapshot checks the IDs alone; a NULL why is allowed. */
	poke_config(G, 0x00, "\x34\x12\xe8\x11", 4);
	poke_config(H, 0x04, "\x00\x00", 2);
	t = s;
	t.valid = false;
	ck_assert_int_eq(dp_reset_verify(ctx, H, &t, NULL, 0), 0);
	ck_assert_int_eq(dp_reset_verify(ctx, H, &s, NULL, 0), -EIO);
	/* A function that is gone. */
	ck_assert_int_eq(dp_reset_verify(ctx, "0000:7f:00.0", &s, why, sizeof(why)), -EIO);
	ck_assert_str_eq(why, "it is gone from /sys/bus/pci/devices");
}
END_TEST

START_TEST(a_device_that_did_not_come_back_is_quarantined_with_the_reason)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .run_dir = run_dir());
	struct dp_reset_snapshot s;
	struct dp_ctx *c;
	char *reason = NULL;

	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_reset_snapshot_take(c, G, &s), 0);
	ck_assert_int_eq(dp_reset_came_back(c, G, &s, "at open"), 0);
	ck_assert_int_eq(dp_quarantine_get(c, G, &reason), 0);
	poke_config(G, 0x10, "\x00\x00\x00\x00", 4);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_reset_came_back(c, G, &s, "at open"),
					    "did not come back from the reset at open: BAR0 0x"), -EIO);
	ck_assert_int_eq(dp_quarantine_get(c, G, &reason), 1);
	ck_assert_ptr_nonnull(reason);
	ck_assert_msg(strncmp(reason, "did not come back from the reset at open: BAR0 0x", 49) == 0 &&
		      strstr(reason, " -> 0x00000000"), "%s", reason);
	free(reason);
	dp_ctx_unref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reset");
	TCase *tc = tcase_create("synthetic");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, each_rule_of_derivation_and_the_kernels_list);
	tcase_add_test(tc, a_bus_reset_takes_every_function_below_the_bridge);
	tcase_add_test(tc, the_policys_order_is_what_the_library_uses);
	tcase_add_test(tc, a_host_driver_below_the_bridge_denies_by_shared_reset);
	tcase_add_test(tc, an_unbound_peer_or_one_in_the_vm_is_listed_and_fine);
	tcase_add_test(tc, none_in_the_policy_is_no_reset_naming_the_entry);
	tcase_add_test(tc, the_order_is_written_into_reset_method_and_given_back);
	tcase_add_test(tc, verification_reads_the_hardware_header);
	tcase_add_test(tc, a_device_that_did_not_come_back_is_quarantined_with_the_reason);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
