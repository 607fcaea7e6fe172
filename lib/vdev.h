/* SPDX-License-Identifier: MIT */
/*
 * What vdev.c (regions, reset, open, close), vdev-bar.c (BARs in KVM slots)
 * and vdev-irq.c (interrupts) share.
 */
#ifndef DP_VDEV_H
#define DP_VDEV_H

#include <stdint.h>

#include "attach.h"

/* VFIO_DEVICE_SET_IRQS: count eventfds from fds, or none when fds is NULL. 0 or -errno. */
int dp_vdev_set_irqs(struct dp_vdev *v, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const int32_t *fds);
/* Every MSI/MSI-X vector routed through irqfd: its GSI removed, its eventfd closed. */
void dp_vdev_free_routes(struct dp_vdev *v);
/* -ENOENT (logged) unless index is a region the device has; -EINVAL for NULL. */
int dp_vdev_need_region(const struct dp_vdev *v, uint32_t index);
/* Finds the MSI-X capability in config space and sets up the table's shadow. */
int dp_vdev_msix_open(struct dp_vdev *v);

#endif
