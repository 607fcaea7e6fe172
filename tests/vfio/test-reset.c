/* SPDX-License-Identifier: MIT */
/*
 * Reset methods, blast radius and reset verification on the real kernel, in
 * the guest of tests/vm (--bind none); argv[1] is the topology:
 *  - one: edu behind a pcie-root-port, where the kernel reports a bus reset;
 *  - shared-bridge: two edu behind one pcie-pci-bridge, which share a bus;
 *  - nvme: QEMU's NVMe (FLR) and an edu, each behind its own root port.
 * In each: the methods the library reports are the kernel's reset_method
 * (lspci -vv's view is printed as TAP comments), and what a bus reset also
 * resets. one and nvme: dp_vdev_reset (a bus reset, an FLR) verifies and
 * returns 0, an attach and detach leave the hardware's header as it was,
 * and a policy entry is written into reset_method for the attachment and
 * given back after it. shared-bridge: the check is denied while the other
 * edu is on a host driver (pci-stub, through driver_override) and allowed
 * once it is on vfio-pci. White-box: the internal archive, for the header
 * snapshots.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "resetcheck.h"
#include "testlog.h"
#include "testrun.h"

#define NVME_VENDOR 0x1b36
#define NVME_DEVICE 0x0010

static const char *topology;

/*
 * The kernel's reset_method of bdf, read here, not through the library;
 * false when the attribute is absent, which Linux 5.15 and later do for a
 * function they found no method for ("" then).
 */
static bool kernel_methods(const char *bdf, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method", bdf);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		ck_assert_msg(errno == ENOENT, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static void write_attr(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(value, f), 0);
	ck_assert_msg(fclose(f) == 0, "%s <- %s: %s", path, value, strerror(errno));
}

/* driver_override, unbind, drivers_probe: bdf on driver (the kernel's way). */
static void bind_to(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	write_attr(path, driver);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (access(path, F_OK) == 0)
		write_attr(path, bdf);
	write_attr("/sys/bus/pci/drivers_probe", bdf);
}

/* lspci -vv's reset lines for bdf, as TAP comments: the kernel's view from config space. */
static void show_lspci(const char *bdf)
{
	char cmd[128], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "lspci -vv -s %s 2>/dev/null", bdf);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "FLReset") || strstr(line, "NoSoftRst") || strstr(line, "AFCap") ||
		    strstr(line, "PCI bridge"))
			printf("# %s: %s", bdf, line + strspn(line, " \t"));
	pclose(p);
}

/* The library's list is the kernel's; returns it. */
static const char *assert_kernels(struct dp_ctx *ctx, const char *bdf, char *buf, size_t size)
{
	struct dp_device *d;

	bool has = kernel_methods(bdf, buf, size);

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &d), 0);
	ck_assert_str_eq(dp_device_get_reset_list(d), buf);
	/* Without the attribute the library derives the list, as the kernel probed it: none. */
	ck_assert_uint_eq(dp_device_get_reset_source(d),
			  has ? DP_RESET_SOURCE_KERNEL : DP_RESET_SOURCE_DERIVED);
	printf("# %s: reset_method %s\"%s\", %zu function(s) below the same bridge\n", bdf,
	       has ? "" : "absent, derived ", buf, dp_device_get_reset_peer_count(d));
	show_lspci(bdf);
	dp_device_unref(d);
	return buf;
}

/* The first function with these IDs. */
static void find(struct dp_ctx *ctx, uint16_t vendor, uint16_t device, char *bdf)
{
	bdf[0] = '\0';
	ck_assert_int_ge(dp_ctx_scan(ctx), 1);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_device_get_info(d, &info), 0);
		if (info.vendor_id == vendor && info.device_id == device) {
			snprintf(bdf, DP_GUEST_BDF_MAX, "%s", dp_device_get_bdf(d));
			return;
		}
	}
	ck_abort_msg("no %04x:%04x in the guest", vendor, device);
}

static struct dp_vm *vm_of(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, "reset", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
	return vm;
}

/*
 * Attach bdf, reset it through VFIO (verified: 0), detach: the hardware's
 * header after the cycle is the one before it.
 */
static void reset_and_cycle(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_reset_snapshot before, after;
	struct dp_attachment *att = NULL;
	struct dp_vm *vm;
	char why[128];

	dp_guest_mark(ctx, bdf);
	vm = vm_of(ctx, bdf);
	ck_assert_int_eq(dp_reset_snapshot_take(ctx, bdf, &before), 0);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_int_eq(dp_vdev_can_reset(dp_attachment_get_vdev(att, 0)), 1);
	ck_assert_int_eq(dp_vdev_reset(dp_attachment_get_vdev(att, 0)), 0);
	ck_assert_int_eq(dp_vdev_reset(dp_attachment_get_vdev(att, 0)), 0);
	ck_assert_ptr_null(dp_detach(att));
	ck_assert_int_eq(dp_reset_snapshot_take(ctx, bdf, &after), 0);
	ck_assert_uint_eq(after.vendor, before.vendor);
	ck_assert_uint_eq(after.device, before.device);
	ck_assert_uint_eq(after.command & 3, before.command & 3);
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(after.bar[i], before.bar[i]);
	ck_assert_uint_eq(after.rom & ~1u, before.rom & ~1u);
	ck_assert_int_eq(dp_reset_verify(ctx, bdf, &before, why, sizeof(why)), 0);
	ck_assert(!dp_test_logged(LOG_ERR, "did not come back", NULL));
	dp_vm_unref(vm);
	dp_policy_unref(policy);
}

/* A policy entry is the kernel's order for the attachment, and the old list after it. */
static void entry_written_and_given_back(struct dp_ctx *ctx, const char *bdf, uint16_t vendor,
					 uint16_t device, const char *entry, const char *want)
{
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_attachment *att = NULL;
	struct dp_vm *vm = vm_of(ctx, bdf);
	char old[64], now[64];

	kernel_methods(bdf, old, sizeof(old));
	ck_assert_int_eq(dp_policy_set_reset_methods(policy, vendor, device, entry), 0);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	kernel_methods(bdf, now, sizeof(now));
	ck_assert_str_eq(now, want);
	printf("# %s: reset_method \"%s\" while attached under \"%s\"\n", bdf, now, entry);
	/* Without a method VFIO offers no reset; with one, it verifies. */
	ck_assert_int_eq(dp_vdev_can_reset(dp_attachment_get_vdev(att, 0)), want[0] ? 1 : 0);
	if (want[0])
		ck_assert_int_eq(dp_vdev_reset(dp_attachment_get_vdev(att, 0)), 0);
	ck_assert_ptr_null(dp_detach(att));
	kernel_methods(bdf, now, sizeof(now));
	ck_assert_str_eq(now, old);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
}

START_TEST(edu_behind_a_root_port_has_a_bus_reset_that_verifies)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	char bdf[DP_GUEST_BDF_MAX], m[64];

	find(ctx, DP_EDU_VENDOR, DP_EDU_DEVICE, bdf);
	ck_assert_str_eq(assert_kernels(ctx, bdf, m, sizeof(m)), "bus");
	{
		struct dp_device *d;

		ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &d), 0);
		ck_assert_uint_eq(dp_device_get_reset_peer_count(d), 0); /* alone below its port */
		dp_device_unref(d);
	}
	reset_and_cycle(ctx, bdf);
	entry_written_and_given_back(ctx, bdf, DP_EDU_VENDOR, DP_EDU_DEVICE, "none", "");
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(nvme_has_flr_and_its_reset_verifies)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	char bdf[DP_GUEST_BDF_MAX], edu[DP_GUEST_BDF_MAX], m[64];

	find(ctx, NVME_VENDOR, NVME_DEVICE, bdf);
	ck_assert_str_eq(assert_kernels(ctx, bdf, m, sizeof(m)), "flr bus");
	find(ctx, DP_EDU_VENDOR, DP_EDU_DEVICE, edu);
	ck_assert_str_eq(assert_kernels(ctx, edu, m, sizeof(m)), "bus");
	reset_and_cycle(ctx, bdf);
	/* The policy's order: bus before FLR, for the attachment only. */
	entry_written_and_given_back(ctx, bdf, NVME_VENDOR, NVME_DEVICE, "bus flr", "bus flr");
	dp_ctx_unref(ctx);
}
END_TEST

/* The check of a VM holding edu alone: "allowed"/"denied" and its shared-reset finding. */
static void check_alone(struct dp_ctx *ctx, struct dp_policy *policy, const char *bdf,
			bool *allowed, char *finding, size_t size)
{
	struct dp_report *rep = NULL;
	struct dp_vm *vm = vm_of(ctx, bdf);

	ck_assert_int_ge(dp_ctx_scan(ctx), 1);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	*allowed = dp_report_is_allowed(rep);
	finding[0] = '\0';
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		printf("# %s %s: %s\n", dp_severity_name(f.severity),
		       dp_finding_code_name(f.code), f.message);
		if (f.code == DP_FINDING_SHARED_RESET)
			snprintf(finding, size, "%s:%s", dp_severity_name(f.severity), f.message);
	}
	dp_report_unref(rep);
	dp_vm_unref(vm);
}

START_TEST(two_edu_behind_one_bridge_reset_together)
{
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	char bdfs[3][DP_GUEST_BDF_MAX], m[64], f[1024], want[512];
	struct dp_device *d;
	bool allowed;

	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 3), 2);
	/*
	 * Whatever the kernel lists, the library says the same. (Linux 6.1 lists
	 * "bus" for the first edu, probed before its sibling joined the bus, and
	 * nothing for the second; a reset of either resets the bus below the
	 * bridge, which the kernel refuses while the other is there.)
	 */
	assert_kernels(ctx, bdfs[0], m, sizeof(m));
	assert_kernels(ctx, bdfs[1], m, sizeof(m));
	ck_assert_str_eq(m, "");
	ck_assert_int_eq(dp_ctx_find_device(ctx, bdfs[0], &d), 0);
	ck_assert_uint_eq(dp_device_get_reset_peer_count(d), 1);
	ck_assert_str_eq(dp_device_get_reset_peer(d, 0), bdfs[1]);
	ck_assert_int_eq(dp_policy_get_device_reset(policy, d, m, sizeof(m)), 1);
	dp_device_unref(d);

	dp_guest_mark(ctx, bdfs[0]);
	bind_to(bdfs[1], "pci-stub");
	check_alone(ctx, policy, bdfs[0], &allowed, f, sizeof(f));
	ck_assert(!allowed);
	snprintf(want, sizeof(want), "error:%s: its reset is a reset of bus", bdfs[0]);
	ck_assert_msg(strncmp(f, want, strlen(want)) == 0, "%s", f);
	snprintf(want, sizeof(want), "which also resets %s (pci-stub), in use by the host (shared_reset = deny)",
		 bdfs[1]);
	ck_assert_msg(strstr(f, want) != NULL, "%s", f);
	/* dp_attach on a context never scanned: its refresh finds the bridge and the other edu. */
	{
		struct dp_ctx *fresh = dp_guest_ctx();
		struct dp_policy *p = dp_guest_policy(fresh);
		struct dp_attachment *att = NULL;
		struct dp_vm *vm = vm_of(fresh, bdfs[0]);

		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attach(p, vm, NULL, &att), want), -EPERM);
		ck_assert_ptr_null(att);
		dp_vm_unref(vm);
		dp_policy_unref(p);
		dp_ctx_unref(fresh);
	}

	bind_to(bdfs[1], "vfio-pci");
	check_alone(ctx, policy, bdfs[0], &allowed, f, sizeof(f));
	ck_assert(allowed);
	snprintf(want, sizeof(want), "which also resets %s (vfio-pci) (shared_reset = deny)", bdfs[1]);
	ck_assert_msg(strncmp(f, "info:", 5) == 0 && strstr(f, want) != NULL, "%s", f);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("reset");
	TCase *tc = tcase_create("reset");

	dp_guest_require_vfio();
	topology = argc > 1 ? argv[1] : "";
	tcase_set_timeout(tc, 240);
	if (strcmp(topology, "one") == 0)
		tcase_add_test(tc, edu_behind_a_root_port_has_a_bus_reset_that_verifies);
	else if (strcmp(topology, "nvme") == 0)
		tcase_add_test(tc, nvme_has_flr_and_its_reset_verifies);
	else if (strcmp(topology, "shared-bridge") == 0)
		tcase_add_test(tc, two_edu_behind_one_bridge_reset_together);
	else {
		fprintf(stderr, "usage: test-reset one|nvme|shared-bridge\n");
		return 2;
	}
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
