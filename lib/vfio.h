/* SPDX-License-Identifier: MIT */
/* Linux VFIO, type1v2 container and groups: small wrappers, each ioctl named once. */
#ifndef DP_VFIO_H
#define DP_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "internal.h"

struct dp_vfio_container {
	struct dp_ctx *ctx;
	int fd;
	bool iommu_set;
	uint64_t iova_pgsizes;
	uint64_t dma_avail;          /* UINT64_MAX: not reported */
	bool migration;
	struct dp_iova_range *ranges;
	uint32_t n_ranges;
};

/* Opens /dev/vfio/vfio and checks the API version and type1v2. */
int dp_vfio_container_open(struct dp_ctx *ctx, struct dp_vfio_container *c);
/* The same checks on fd, a container opened elsewhere (a manager's handoff); fd is c's, or closed. */
int dp_vfio_container_adopt(struct dp_ctx *ctx, struct dp_vfio_container *c, int fd);
void dp_vfio_container_close(struct dp_vfio_container *c);

/*
 * Opens /dev/vfio/N for bdf (a device of the group, for messages), checks
 * viability; -EPERM when not viable, -EBUSY naming the process that holds it.
 */
int dp_vfio_group_open(struct dp_ctx *ctx, int group, const char *bdf, int *fd_out);
/* Puts the group in the container; the first one also sets the IOMMU and reads its info. */
int dp_vfio_group_set_container(struct dp_vfio_container *c, int group_fd, int group,
				const char *bdf);
/* The same for a group hot added; -EINVAL, not logged: behind another IOMMU than c's. */
int dp_vfio_group_join(struct dp_vfio_container *c, int group_fd, int group, const char *bdf);
int dp_vfio_group_unset_container(struct dp_ctx *ctx, int group_fd, int group);
/* The device fd for bdf from its group. */
int dp_vfio_device_open(struct dp_ctx *ctx, int group_fd, const char *bdf, int *fd_out);

/* Asks the kernel to unmap everything left (VFIO_UNMAP_ALL); logs what it found. */
void dp_vfio_unmap_all(struct dp_vfio_container *c);

/* The kernel side of the DMA manager. */
extern const struct dp_dma_ops dp_vfio_dma_ops;

#endif
