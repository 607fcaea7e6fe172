/* SPDX-License-Identifier: MIT */
/*
 * Marking a device for a VFIO driver other than vfio-pci: the admin names
 * it (directpath mark --driver NAME), and the policy's vfio_drivers must
 * count it as ready for passthrough, or the mark would only ever be refused.
 */
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "policy.h"
#include "quote.h"
#include "sysfs.h"
#include "vfiodriver.h"

int dp_device_set_passthrough_driver(struct dp_device *dev, const struct dp_policy *policy,
				     const char *driver, uint32_t flags)
{
	char q[DP_QUOTE_SIZE(64)];
	bool registered;

	if (!dev || dp_bug_on(dev->ctx, !policy))
		return -EINVAL;
	if (!driver)
		driver = DP_VFIO_PCI_DRIVER;
	if (!dp_driver_name_valid(driver)) {
		dp_err(dev->ctx, "%s: \"%s\" is not a driver name (1 to %d letters, digits, _ - and .)",
		       dev->bdf, dp_quote(q, sizeof(q), driver), DP_VFIO_DRIVER_PATTERN_MAX);
		return -EINVAL;
	}
	/* A :vfio-dev entry takes only a driver the device is on and registered with VFIO: now. */
	registered = dev->driver && strcmp(dev->driver, driver) == 0 && dev->vfio_dev[0];
	if (!dp_vfio_drivers_match(&policy->vfio_drivers, driver, registered)) {
		bool later = dp_vfio_drivers_match(&policy->vfio_drivers, driver, true);

		dp_err(dev->ctx, "%s: %s is not a driver vfio_drivers (%s) counts as ready for passthrough%s; list it in vfio_drivers in the policy, or mark the device for %s",
		       dev->bdf, driver, policy->vfio_drivers.text,
		       later ? ", unless the device is on it and it registered the device with VFIO (a vfio-dev node), which it has not" : "",
		       DP_VFIO_PCI_DRIVER);
		return -EPERM;
	}
	return dp_mark_set(dev, 1, flags, driver);
}
