/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "guest.h"
#include "testlog.h"

void dp_guest_require_vfio(void)
{
	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		printf("1..0 # SKIP needs VFIO with an IOMMU (run through tests/vm/run-in-guest)\n");
		exit(0);
	}
}

struct dp_ctx *dp_guest_ctx(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .driverctl_dir = "/tmp/dp-driverctl",
		.run_dir = "/tmp/dp-run", .config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	struct dp_ctx *ctx;

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	return ctx;
}

size_t dp_guest_find_edu(struct dp_ctx *ctx, char (*bdfs)[DP_GUEST_BDF_MAX], int *groups,
			 size_t max)
{
	size_t n = 0;

	ck_assert_int_ge(dp_ctx_scan(ctx), 1);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx) && n < max; i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_device_get_info(d, &info), 0);
		if (info.vendor_id != DP_EDU_VENDOR || info.device_id != DP_EDU_DEVICE)
			continue;
		snprintf(bdfs[n], DP_GUEST_BDF_MAX, "%s", dp_device_get_bdf(d));
		if (groups)
			groups[n] = info.iommu_group;
		n++;
	}
	return n;
}

void dp_guest_mark(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_device_get_driver(dev), "vfio-pci");
	dp_device_unref(dev);
}

struct dp_policy *dp_guest_policy(struct dp_ctx *ctx)
{
	struct dp_policy *p;

	ck_assert_int_eq(dp_policy_new(ctx, &p), 0);
	ck_assert_int_eq(dp_policy_set(p, "unlisted_devices", "allow"), 0);
	return p;
}
