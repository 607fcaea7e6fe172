/* SPDX-License-Identifier: MIT */
/*
 * dp_policy_check of a VM with 16 marked devices on a synthetic host of 4096
 * functions, mounted over /sys: 1000 checks, each with a fresh report, and
 * the median time of one. The scan is done once before; a check only reads
 * it. Prints, never asserts a time.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <directpath/directpath.h>

#include "bench.h"
#include "fakesys.h"

#define FUNCTIONS 4096
#define DEVICES 16
#define CHECKS 1000

static int fail(const char *what, int r)
{
	fprintf(stderr, "bench-check: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 1;
}

/* Marks the first DEVICES functions (slots 0 and 1 of bus 0x10, whole groups) and lists them in vm. */
static int mark_and_add(struct dp_ctx *ctx, struct dp_vm *vm)
{
	for (unsigned i = 0; i < DEVICES; i++) {
		struct dp_device *dev;
		char bdf[16];
		int r;

		snprintf(bdf, sizeof(bdf), "0000:10:%02x.%u", i / 8, i % 8);
		r = dp_ctx_find_device(ctx, bdf, &dev);
		if (r < 0)
			return fail(bdf, r);
		r = dp_device_set_passthrough(dev, 1, 0);
		dp_device_unref(dev);
		if (r < 0)
			return fail(bdf, r);
		r = dp_vm_add_device(vm, bdf);
		if (r < 0)
			return fail(bdf, r);
	}
	return 0;
}

/* The checks; 0, or 1 when one fails or says something other than the first. */
static int bench(struct dp_policy *policy, struct dp_vm *vm, double *t)
{
	size_t want = 0;

	for (int i = 0; i < CHECKS; i++) {
		struct dp_report *rep = NULL;
		double t0 = dp_bench_now_us();
		int r = dp_policy_check(policy, vm, &rep);

		t[i] = dp_bench_now_us() - t0;
		if (r < 0)
			return fail("dp_policy_check", r);
		if (i == 0)
			want = dp_report_get_finding_count(rep);
		/* 16 unlisted-device warnings and 8 lost features, and allowed. */
		if (dp_report_get_finding_count(rep) != want || want != DEVICES + 8 ||
		    !dp_report_is_allowed(rep)) {
			fprintf(stderr, "bench-check: check %d: %zu findings, %s; expected %d, allowed\n",
				i, dp_report_get_finding_count(rep),
				dp_report_is_allowed(rep) ? "allowed" : "denied", DEVICES + 8);
			dp_report_unref(rep);
			return 1;
		}
		dp_report_unref(rep);
	}
	return 0;
}

int main(void)
{
	struct dp_ctx_opts o = { .sz = sizeof(o), .data_dir = DP_TEST_DATA_DIR };
	static double t[CHECKS];
	char dc[PATH_MAX], conf[PATH_MAX];
	struct dp_fakesys *fs;
	struct dp_ctx *ctx = NULL;
	struct dp_policy *policy = NULL;
	struct dp_vm *vm = NULL;
	double m;
	int r, rc = 1;

	dp_fakesys_enter_namespace();
	fs = dp_fakesys_new();
	if (!fs)
		return fail("dp_fakesys_new", errno);
	r = dp_fakesys_add_many(fs, FUNCTIONS);
	if (r == 0)
		r = dp_fakesys_set_host(fs, &(struct dp_fake_host){
			.iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true, .vfio_pci = true,
			.vfio_type1 = true });
	if (r == 0)
		r = dp_fakesys_mount(fs);
	if (r < 0) {
		fail("building the tree", r);
		goto out;
	}
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	snprintf(conf, sizeof(conf), "%s/etc", dp_fakesys_scratch(fs));
	o.driverctl_dir = dc;
	o.config_dir = conf;
	if ((r = dp_ctx_new(&o, &ctx)) < 0 || (r = dp_policy_new(ctx, &policy)) < 0 ||
	    (r = dp_policy_set_rule(policy, DP_RULE_MAX_DEVICES_PER_VM, DEVICES)) < 0 ||
	    (r = dp_vm_new(ctx, "bench", &vm)) < 0 || (r = dp_vm_set_hw_version(vm, 7)) < 0 ||
	    (r = dp_vm_set_memory(vm, UINT64_C(16) << 30, UINT64_C(16) << 30)) < 0) {
		fail("setting up", r);
		goto out;
	}
	r = dp_ctx_scan(ctx);
	if (r != FUNCTIONS) {
		fprintf(stderr, "bench-check: the scan found %d functions, not %d\n", r, FUNCTIONS);
		goto out;
	}
	if (mark_and_add(ctx, vm) || bench(policy, vm, t))
		goto out;
	m = dp_bench_median(t, CHECKS);
	printf("check: median %.1f us per check, %.0f checks/s (%d devices, %d functions)\n", m,
	       1e6 / m, DEVICES, FUNCTIONS);
	rc = 0;
out:
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	return rc;
}
