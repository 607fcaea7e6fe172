/* SPDX-License-Identifier: MIT */
/* directpath release: a quarantined function reset, verified and given back to the host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Why the library refused, in the words of its errno; it logged the details. */
static int release_failed(const char *bdf, int r)
{
	switch (r) {
	case -ENOENT:
		err_msg("%s: not quarantined; nothing to release", bdf);
		return EXIT_DENIED;
	case -EBUSY:
		err_msg("%s: in use by a running VM (or its IOMMU group is open elsewhere); stop it, then release", bdf);
		return EXIT_DENIED;
	case -EIO:
		err_msg("%s: did not come back from the reset; it stays quarantined (--force verifies it against its state now)",
			bdf);
		return EXIT_DENIED;
	case -ENODEV:
		err_msg("%s: not on vfio-pci or another VFIO driver, so it cannot be reset; bind it with directpath mark --now %s, then release it",
			bdf, bdf);
		return EXIT_DENIED;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		err_msg("%s: cannot release: %s%s", bdf, strerror(-r),
			geteuid() != 0 ? " (releasing needs root)" : "");
		return EXIT_USAGE;
	default:
		err_msg("%s: cannot release: %s", bdf, strerror(-r));
		return EXIT_USAGE;
	}
}

int cmd_release(struct cli *cli, const char *arg)
{
	struct dp_device *dev = NULL, *now = NULL;
	struct json_object *o = NULL;
	uint32_t flags = cli->opts & OPT_FORCE ? DP_DEVICE_RELEASE_FORCE : 0;
	char bdf[32];
	const char *driver;
	bool marked;
	int r;

	r = find_device(cli, arg, &dev);
	if (r != EXIT_OK)
		return r;
	snprintf(bdf, sizeof(bdf), "%s", dp_device_get_bdf(dev));
	r = dp_device_release(dev, flags);
	dp_device_unref(dev);
	if (r < 0)
		return release_failed(bdf, r);
	/* Where it went, from a fresh scan: what the host really did. */
	r = scan(cli);
	if (r == EXIT_OK)
		r = find_device(cli, bdf, &now);
	if (r != EXIT_OK)
		return r;
	driver = dp_device_get_driver(now);
	marked = dp_device_is_marked(now);
	if (cli->opts & OPT_JSON) {
		o = json_object_new_object();
		if (!o || jadd_str(o, "bdf", bdf) || jadd_bool(o, "released", true) ||
		    jadd_bool(o, "marked", marked) || jadd_str(o, "driver", driver)) {
			json_object_put(o);
			dp_device_unref(now);
			return oom();
		}
		dp_device_unref(now);
		return json_print(o);
	}
	printf("%s: released: reset and verified, its quarantine record removed\n", bdf);
	if (marked)
		printf("%s: still marked for passthrough, so it stays on %s; directpath unmark --now %s gives it to the host\n",
		       bdf, or_dash(driver), bdf);
	else
		printf("%s: now driven by %s\n", bdf, or_dash(driver));
	dp_device_unref(now);
	return EXIT_OK;
}
