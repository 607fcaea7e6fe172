/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing PCI function (layer 6). It reaches the device through a
 * small backend, the VFIO device (dp_vdev) in the library and a fake in the
 * unit tests, and the VM through the VMM's dp_vpci_ops or, for each NULL
 * one, the attachment's KVM VM fd.
 */
#ifndef DP_VPCI_H
#define DP_VPCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct dp_kvm;
struct dp_dma;

/* The device under the function; dev is the first argument of each. 0 or -errno. */
struct dp_vpci_dev_ops {
	const char *(*name)(void *dev);                  /* for messages: the host BDF */
	/* Region info as dp_vdev_get_region_info; index 7 is config space. */
	int (*region_info)(void *dev, uint32_t index, struct dp_region_info *info);
	int (*sparse_area)(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			   uint64_t *size);
	int (*region_read)(void *dev, uint32_t index, uint64_t offset, void *buf, size_t len);
	int (*region_write)(void *dev, uint32_t index, uint64_t offset, const void *buf,
			    size_t len);
	/* The region mapped (sparse: the areas only), its start aligned to align. */
	int (*region_map)(void *dev, uint32_t index, uint64_t align, void **addr);
	int (*region_unmap)(void *dev, uint32_t index);
	/* The fd and offset a VMM would mmap the region from. */
	int (*region_fd)(void *dev, uint32_t index, int *fd, uint64_t *offset);
	int (*irq_info)(void *dev, uint32_t index, struct dp_irq_info *info);
	/* VFIO_DEVICE_SET_IRQS, trigger eventfds as dp_vdev_set_irq_eventfds (count 0: off). */
	int (*set_irq_eventfds)(void *dev, uint32_t index, uint32_t start, uint32_t count,
				const int32_t *fds);
	/* INTx's unmask eventfd (the resample one); -1 removes it. */
	int (*set_intx_unmask_fd)(void *dev, int32_t fd);
	int (*unmask_irq)(void *dev, uint32_t index, uint32_t vector);
	int (*reset)(void *dev);                         /* -ENOTSUP when it has none */
	/* The validated option ROM as dp_vdev_get_rom (-ENOENT, -EBADMSG); NULL: none. */
	int (*rom)(void *dev, const void **image, size_t *len);
};

/*
 * Makes a function on any backend. kvm (may be NULL) does the jobs whose
 * dp_vpci_ops member is NULL; dma (may be NULL) is the guest RAM mapped for
 * DMA, where no BAR may be placed.
 */
int dp_vpci_new_backend(struct dp_ctx *ctx, const struct dp_vpci_dev_ops *dev_ops, void *dev,
			struct dp_kvm *kvm, struct dp_dma *dma, const struct dp_vpci_opts *opts,
			struct dp_vpci **out);

/* The attachment is going: everything of the function's goes first; its calls then fail. */
void dp_vpci_orphan(struct dp_vpci *vpci);

#endif
