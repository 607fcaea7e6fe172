/* SPDX-License-Identifier: MIT */
/*
 * A PCI hot reset (hotreset.c): dp_vdev_reset's way for a device VFIO
 * offers no reset of its own (no VFIO_DEVICE_FLAGS_RESET).
 */
#ifndef DP_HOTRESET_H
#define DP_HOTRESET_H

struct dp_vdev;

/*
 * Resets the slot or bus under vdev through VFIO_DEVICE_PCI_HOT_RESET when
 * every function it reaches is a device of vdev's attachment that the VM
 * owns by its backend's rule (type1: its group is one of the
 * attachment's; iommufd: bound to the attachment's iommufd), then checks
 * that each came back (dp_reset_came_back). 0; -EPERM naming the
 * functions the VM does not own, nothing reset; -ENOTSUP when the kernel
 * can reset neither the slot nor the bus; -EIO when a function did not
 * come back; another -errno of the kernel's. Logged.
 */
int dp_vdev_hot_reset(struct dp_vdev *vdev);

#endif
