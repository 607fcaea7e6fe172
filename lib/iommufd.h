/* SPDX-License-Identifier: MIT */
/*
 * The iommufd backend (iommufd.c): /dev/iommu, one IOAS for the VM, and
 * its devices bound and attached through their VFIO device nodes; small
 * wrappers, each ioctl named once.
 */
#ifndef DP_IOMMUFD_H
#define DP_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "internal.h"
#include "inventory.h"

/* IOMMU_OPTION_RLIMIT_MODE's values: whose RLIMIT_MEMLOCK pinned pages count against. */
#define DP_IOMMUFD_RLIMIT_USER 0    /* the user's locked_vm, all its processes together */
#define DP_IOMMUFD_RLIMIT_PROCESS 1 /* the process's, as type1 does */

struct dp_iommufd {
	struct dp_ctx *ctx;
	int fd;                      /* /dev/iommu; -1: not open */
	bool have_ioas;
	uint32_t ioas;               /* the VM's IOAS */
	uint64_t iova_alignment;     /* the IOAS's smallest mapping (>= 4096) */
	struct dp_iova_range *ranges; /* usable IOVA ranges, as its devices leave them */
	uint32_t n_ranges;
	uint32_t rlimit_mode;        /* DP_IOMMUFD_RLIMIT_* */
};

/* An iommufd not yet opened (fd -1). */
void dp_iommufd_init(struct dp_iommufd *i, struct dp_ctx *ctx);
/*
 * Opens /dev/iommu (unless i->fd is set already), allocates the IOAS and
 * reads the locked-memory accounting mode; all or nothing. 0 or -errno (logged).
 */
int dp_iommufd_open(struct dp_iommufd *i);
/* Destroys the IOAS (every mapping with it) and closes the fd it opened or was given. */
void dp_iommufd_close(struct dp_iommufd *i);
/* Reads the IOAS's usable IOVA ranges and alignment again (its devices reserve some). */
int dp_iommufd_read_ranges(struct dp_iommufd *i);
/* Unmaps whatever is left in the IOAS; logs what it found (detach's last look). */
void dp_iommufd_unmap_all(struct dp_iommufd *i);

/*
 * Opens dev's VFIO device node (/dev/vfio/devices/vfioN), checking that it
 * is the device number sysfs gives it. 0 and *fd, or -errno (logged).
 */
int dp_iommufd_device_open(struct dp_ctx *ctx, const struct dp_device *dev, int *fd);
/* VFIO_DEVICE_BIND_IOMMUFD: the device fd on i (vfio-pci opens and resets the device here). */
int dp_iommufd_bind(struct dp_iommufd *i, int dev_fd, const char *bdf, uint32_t *devid);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT to i's IOAS, and its DETACH. */
int dp_iommufd_attach(struct dp_iommufd *i, int dev_fd, const char *bdf);
int dp_iommufd_detach(struct dp_ctx *ctx, int dev_fd, const char *bdf);

/* The kernel side of the DMA manager (opaque: the struct dp_iommufd). */
extern const struct dp_dma_ops dp_iommufd_dma_ops;

#endif
