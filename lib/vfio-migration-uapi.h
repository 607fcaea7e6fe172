/* SPDX-License-Identifier: MIT */
/*
 * The VFIO migration uAPI this library reads, from the system's linux/vfio.h;
 * what an older header lacks is defined here with the kernel's values, and
 * yields to the system's definition where it has one.
 */
#ifndef DP_VFIO_MIGRATION_UAPI_H
#define DP_VFIO_MIGRATION_UAPI_H

#include <linux/vfio.h>

/* Linux 6.2 (Debian 12's linux-libc-dev 6.1 lacks it). */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY (1 << 2)
#endif
/* Linux 6.1 has these; older headers do not. */
#ifndef VFIO_DEVICE_FEATURE_DMA_LOGGING_START
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START 6
#endif
#ifndef VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2
#endif

#endif
