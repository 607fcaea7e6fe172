/* SPDX-License-Identifier: MIT */
/*
 * Which VFIO backend a VM gets (backend.c): type1 (the container and its
 * groups) or iommufd (/dev/iommu and each device's own VFIO node). Decided
 * from what exists on the host, without opening anything, so dp_attach and
 * the check-time memlock rule decide alike.
 */
#ifndef DP_BACKEND_H
#define DP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

#define DP_DEV_IOMMU "/dev/iommu"
#define DP_DEV_VFIO_DEVICES "/dev/vfio/devices"
/* What a choice's reason holds: one sentence. */
#define DP_BACKEND_WHY_MAX 256

/*
 * The backend for a VM with these n functions, given what the caller asked
 * for (DP_BACKEND_*): type1 or iommufd as asked; auto gives iommufd where
 * /dev/iommu exists and every function has a VFIO device node (as ctx's
 * inventory last read it: dp_read_vfio_dev), type1 otherwise. *backend and one sentence why. -EOPNOTSUPP when iommufd was
 * asked for on a host without /dev/iommu, -ENODEV when a function has no
 * VFIO device node, -EINVAL for an unknown value (why says it, not logged).
 */
int dp_backend_choose(const struct dp_ctx *ctx, uint32_t requested,
		      const char (*bdfs)[DP_BDF_LEN], size_t n, uint32_t *backend, char *why,
		      size_t size);

/*
 * Whose RLIMIT_MEMLOCK the backend charges pinned guest memory to, as a
 * clause for a sentence ("which type1 charges to this process"); for
 * iommufd, per its IOMMU_OPTION_RLIMIT_MODE (0 per user, the default of a
 * new iommufd; 1 per process).
 */
const char *dp_backend_memlock_mode(uint32_t backend, uint32_t rlimit_mode);

#endif
