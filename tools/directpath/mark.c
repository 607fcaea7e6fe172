/* SPDX-License-Identifier: MIT */
/* directpath mark and unmark: available for passthrough, or not. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Why the library refused, in the words of its errno. */
static int passthrough_failed(const struct dp_device *dev,
			      const struct dp_device_info *info, bool enable,
			      int r, bool explained)
{
	const char *bdf = dp_device_get_bdf(dev);
	const char *what = enable ? "mark" : "unmark";

	const uint64_t guarded = DP_DEVICE_HOST_BRIDGE | DP_DEVICE_BRIDGE |
				 DP_DEVICE_BOOT_VGA | DP_DEVICE_CONFIG_UNREADABLE;

	switch (r) {
	case -EPERM:
		/* The library said what the function is (dp_device_set_passthrough(3)). */
		if (!(info->flags & guarded) || !enable)
			err_msg("%s: cannot %s: %s", bdf, what, strerror(-r));
		else
			err_msg("%s: refused%s; --force overrides", bdf,
				explained ? "" : ": giving it to a VM would take it from the host");
		return EXIT_DENIED;
	case -EACCES:
	case -EROFS:
		err_msg("%s: cannot %s: %s%s", bdf, what, strerror(-r),
			geteuid() != 0 ? " (marking needs root)" : "");
		return EXIT_USAGE;
	case -EIO:
		err_msg("%s: cannot %s now: the driver binding did not take; the previous binding and mark were restored",
			bdf, what);
		return EXIT_DENIED;
	case -ENODEV:
		err_msg("%s: cannot %s now: its VFIO driver is not loaded (modprobe it); nothing changed",
			bdf, what);
		return EXIT_DENIED;
	case -EBUSY:
		err_msg("%s: cannot %s now: it is quarantined; directpath release %s gives it back; nothing changed",
			bdf, what, bdf);
		return EXIT_DENIED;
	default:
		err_msg("%s: cannot %s: %s", bdf, what, strerror(-r));
		return EXIT_USAGE;
	}
}

/* The other members of the group, which only go to a VM together with it. */
static int print_group_followers(struct cli *cli, const struct dp_device *dev,
				 const struct dp_device_info *info)
{
	const char *bdf = dp_device_get_bdf(dev);
	size_t gsize = dp_device_get_group_size(dev);

	if (info->iommu_group < 0 || gsize == 0) {
		err_msg("warning: %s is in no IOMMU group: it cannot be passed through until the IOMMU is enabled",
			bdf);
		return 0;
	}
	if (gsize == 1)
		return 0;
	printf("%s: IOMMU group %" PRId32
	       " also holds these functions; they must follow it to any VM:\n",
	       bdf, info->iommu_group);
	for (size_t i = 0; i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		struct dp_device *md;
		int r;

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				bdf, i, gsize);
			return -EIO;
		}
		if (strcmp(m, bdf) == 0)
			continue;
		r = dp_ctx_find_device(cli->ctx, m, &md);
		if (r == -ENODEV) {
			printf("  %s (not in the scan)\n", m);
			continue;
		}
		if (r < 0) {
			err_msg("%s: cannot look it up: %s", m, strerror(-r));
			return r;
		}
		printf("  %s  driver %s, %s\n", m,
		       or_dash(dp_device_get_driver(md)),
		       dp_device_is_marked(md) ? "marked" : "not marked");
		dp_device_unref(md);
	}
	return 0;
}

/* The driver after --now, from a fresh scan: what the host really did. */
static int print_bound_driver(struct cli *cli, const char *bdf)
{
	struct dp_device *now;
	int r = scan(cli);

	if (r != EXIT_OK)
		return r;
	r = find_device(cli, bdf, &now);
	if (r != EXIT_OK)
		return r;
	printf("%s: now driven by %s\n", bdf,
	       or_dash(dp_device_get_driver(now)));
	dp_device_unref(now);
	return EXIT_OK;
}

static int set_passthrough(struct cli *cli, const char *arg, bool enable)
{
	struct dp_device *dev = NULL;
	struct dp_device_info info;
	uint32_t flags = 0;
	const char *bdf, *driver = opt_value(cli, OPT_DRIVER);
	bool was_marked;
	unsigned errors;
	int r;

	if (cli->opts & OPT_NOW)
		flags |= DP_MARK_APPLY;
	if (cli->opts & OPT_FORCE)
		flags |= DP_MARK_FORCE;

	r = find_device(cli, arg, &dev);
	if (r != EXIT_OK)
		return r;
	bdf = dp_device_get_bdf(dev);
	r = get_info(dev, &info);
	if (r != EXIT_OK)
		goto out;
	was_marked = dp_device_is_marked(dev);

	errors = cli->lib_errors;
	if (enable && driver) {
		struct dp_policy *policy = NULL;

		r = load_policy(cli, &policy);
		if (r != EXIT_OK)
			goto out;
		errors = cli->lib_errors;
		r = dp_device_set_passthrough_driver(dev, policy, driver, flags);
		dp_policy_unref(policy);
		if (r == -EPERM && !(info.flags & DP_DEVICE_CONFIG_UNREADABLE) &&
		    !(info.flags & (DP_DEVICE_HOST_BRIDGE | DP_DEVICE_BRIDGE | DP_DEVICE_BOOT_VGA))) {
			err_msg("%s: refused: %s is not ready for passthrough under the policy's vfio_drivers",
				bdf, driver);
			r = EXIT_DENIED;
			goto out;
		}
	} else {
		r = dp_device_set_passthrough(dev, enable, flags);
	}
	if (r < 0) {
		r = passthrough_failed(dev, &info, enable, r,
				       cli->lib_errors != errors);
		goto out;
	}
	if (enable) {
		printf("%s: %s for passthrough on %s (%s/pci-%s)\n", bdf,
		       was_marked ? "already marked" : "marked", driver ? driver : "vfio-pci",
		       dp_ctx_get_driverctl_dir(cli->ctx), bdf);
		if (!(flags & DP_MARK_APPLY))
			printf("%s: takes effect at the next boot, or now with --now\n",
			       bdf);
		r = print_group_followers(cli, dev, &info) < 0 ? EXIT_USAGE :
								  EXIT_OK;
	} else {
		if (was_marked)
			printf("%s: unmarked (removed %s/pci-%s)\n", bdf,
			       dp_ctx_get_driverctl_dir(cli->ctx), bdf);
		else
			printf("%s: was not marked\n", bdf);
		r = EXIT_OK;
	}
	if (r == EXIT_OK && (flags & DP_MARK_APPLY))
		r = print_bound_driver(cli, bdf);
out:
	dp_device_unref(dev);
	return r;
}

int cmd_mark(struct cli *cli, const char *arg)
{
	return set_passthrough(cli, arg, true);
}

int cmd_unmark(struct cli *cli, const char *arg)
{
	return set_passthrough(cli, arg, false);
}
