/* SPDX-License-Identifier: MIT */
/*
 * The backend choice (backend.h): /dev/iommu and the functions' vfio-dev
 * nodes (as the inventory read them) looked at, nothing opened.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <directpath/directpath.h>

#include "backend.h"
#include "sysfs.h"

static bool have_iommu(void)
{
	struct stat st;

	return stat(DP_DEV_IOMMU, &st) == 0 && S_ISCHR(st.st_mode);
}

int dp_backend_choose(const struct dp_ctx *ctx, uint32_t requested,
		      const char (*bdfs)[DP_BDF_LEN], size_t n, uint32_t *backend, char *why,
		      size_t size)
{
	switch (requested) {
	case DP_BACKEND_TYPE1:
		*backend = DP_BACKEND_TYPE1;
		snprintf(why, size, "type1 was asked for");
		return 0;
	case DP_BACKEND_AUTO:
	case DP_BACKEND_IOMMUFD:
		break;
	default:
		snprintf(why, size, "backend %u is none of auto, type1 or iommufd", requested);
		return -EINVAL;
	}
	*backend = DP_BACKEND_TYPE1;
	if (!have_iommu()) {
		snprintf(why, size, "%s: %s is absent (a kernel without CONFIG_IOMMUFD)",
			 requested == DP_BACKEND_AUTO ? "type1 as auto chose" : "iommufd cannot be used",
			 DP_DEV_IOMMU);
		return requested == DP_BACKEND_AUTO ? 0 : -EOPNOTSUPP;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dp_device *dev = dp_inventory_lookup(ctx, bdfs[i]);

		if (dev && dev->vfio_cdev)
			continue;
		snprintf(why, size, "%s: %s has no VFIO device node (%s/%s/vfio-dev: not on a VFIO driver, or a kernel without CONFIG_VFIO_DEVICE_CDEV)",
			 requested == DP_BACKEND_AUTO ? "type1 as auto chose" : "iommufd cannot be used",
			 bdfs[i], DP_SYS_PCI_DEVICES, bdfs[i]);
		return requested == DP_BACKEND_AUTO ? 0 : -ENODEV;
	}
	*backend = DP_BACKEND_IOMMUFD;
	if (requested == DP_BACKEND_AUTO)
		snprintf(why, size, "iommufd as auto chose: %s exists and every device has a VFIO device node",
			 DP_DEV_IOMMU);
	else
		snprintf(why, size, "iommufd was asked for, and %s exists with every device's VFIO device node",
			 DP_DEV_IOMMU);
	return 0;
}

const char *dp_backend_memlock_mode(uint32_t backend, uint32_t rlimit_mode)
{
	if (backend != DP_BACKEND_IOMMUFD)
		return "which type1 charges to this process";
	return rlimit_mode ? "which iommufd charges to this process, its RLIMIT_MODE being per process"
			   : "which iommufd charges to this user, all of the user's processes together";
}
