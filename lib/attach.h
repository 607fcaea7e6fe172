/* SPDX-License-Identifier: MIT */
#ifndef DP_ATTACH_H
#define DP_ATTACH_H

#include <linux/vfio.h>

#include "backend.h"
#include "dma.h"
#include "inventory.h"
#include "iommufd.h"
#include "kvm.h"
#include "lease.h"
#include "migration.h"
#include "msix.h"
#include "resetcheck.h"
#include "resetmethod.h"
#include "vfio.h"

#define DP_VDEV_REGIONS VFIO_PCI_NUM_REGIONS
#define DP_VDEV_IRQS VFIO_PCI_NUM_IRQS
#define DP_VDEV_BAR_SLOTS 16 /* pieces of one BAR: sparse areas, or around the MSI-X pages */

struct dp_vdev_region {
	uint32_t flags;          /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size, offset;   /* offset: in the device fd */
	struct dp_dma_seg *sparse; /* mmap-able areas (iova unused: offset, size) */
	uint32_t n_sparse;
	bool has_sparse;
	void *map;               /* dp_vdev_map_region's mapping */
};

struct dp_vdev {
	struct dp_attachment *att;
	char bdf[DP_BDF_LEN];
	int group;
	int fd;
	uint32_t flags;          /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions, num_irqs;
	struct dp_vdev_region regions[DP_VDEV_REGIONS];
	struct {
		uint32_t flags, count;
		uint32_t enabled;    /* vectors wired to eventfds */
	} irqs[DP_VDEV_IRQS];
	struct dp_lease *lease;
	/* The direct path: each BAR's KVM memory slots, and the MSI-X table's place. */
	uint32_t bar_slots[6][DP_VDEV_BAR_SLOTS];
	size_t n_bar_slots[6];
	bool has_msix;
	uint8_t msix_table_bir, msix_pba_bir;
	uint32_t msix_table_offset, msix_pba_offset;
	uint16_t msix_table_size;
	/* MSI/MSI-X vectors routed through irqfd: an eventfd and a GSI each. */
	struct dp_vdev_route {
		int efd;             /* -1: not routed */
		uint32_t gsi;
	} *routes[DP_VDEV_IRQS];
	uint32_t n_routes[DP_VDEV_IRQS];
	int intx_efd, intx_resample;  /* -1: INTx not routed through irqfd */
	uint32_t intx_gsi;
	uint16_t msix_cap;            /* config offset of the MSI-X capability; 0: none */
	struct dp_msix msix;          /* the trapped table's shadow */
	struct dp_vpci *vpci;         /* its guest-facing function, if one was made */
	struct dp_migration migration; /* VFIO migration as the kernel answered at open */
	/* Its option ROM, validated (vdev-rom.c): read once, freed at close. */
	uint8_t *rom;
	size_t rom_len;
	int rom_err;                  /* the answer kept when not 0: -ENOENT, -EBADMSG */
	/* Its config header before the library first reset it (lib/resetcheck.h). */
	struct dp_reset_snapshot reset_before;
	/* reset_method as it was before the policy's order was written (resetpolicy.c). */
	char reset_saved[DP_RESET_LIST_MAX];
	bool reset_written;
	/* The iommufd backend's (vdev-cdev.c): bound to the iommufd, attached to its IOAS, on KVM-VFIO. */
	uint32_t devid;
	bool pt_attached, in_kvm;
};

struct dp_attach_group {
	int num;
	int fd;
	bool in_container;
	bool in_kvm;
	struct dp_vfio_container *own; /* its container when not the attachment's first (containers.c) */
};

/* Containers a VM may have beyond its first, for groups the first cannot take. */
#define DP_ATTACH_EXTRA_MAX 7

struct dp_attachment {
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	struct dp_attach_opts opts;
	struct dp_vfio_container container;
	bool have_container, have_dma, have_kvm;
	struct dp_kvm kvm;
	struct dp_dma dma;
	struct dp_attach_group *groups;
	size_t n_groups;
	struct dp_vdev **vdevs;
	size_t n_vdevs;
	int64_t release;              /* the policy's release rule (DP_RELEASE_*) at dp_attach */
	struct dp_vfio_container **extra; /* beyond the first, each with every DMA mapping */
	size_t n_extra;
	/* DP_BACKEND_TYPE1 (container, groups) or DP_BACKEND_IOMMUFD (iommufd, no groups). */
	uint32_t backend;
	char backend_why[DP_BACKEND_WHY_MAX];
	struct dp_iommufd iommufd;    /* fd -1 until opened (or set) */
	bool have_iommufd;
};

/* DMA map and unmap on every container of the attachment (opaque: the attachment). */
extern const struct dp_dma_ops dp_attach_dma_ops;
/*
 * A container of its own for a group the first one refused: opened, the
 * group in it, every DMA mapping replayed (under the DMA lock); all or
 * nothing. 0 and *out, or -errno (logged).
 */
int dp_attach_container_add(struct dp_attachment *att, int group_fd, int group, const char *bdf,
			    struct dp_vfio_container **out);
/* Closes one of them (its group out of it already). */
void dp_attach_container_drop(struct dp_attachment *att, struct dp_vfio_container *c);
/* Closes them all (teardown). */
void dp_attach_containers_close(struct dp_attachment *att);

/*
 * After teardown closed every device fd (the kernel's reset): verifies each
 * device that was opened against its reset_before, and quarantines one that
 * did not come back; after a detach (not a failed attach) under release =
 * quarantine, every device (release.c).
 */
void dp_attach_check_resets(struct dp_attachment *att, bool detach);
/*
 * The same for one device whose fd was closed; when names the moment in
 * messages ("at hot remove"); released: the VM gave it up (not a failed
 * attach or add), so release = quarantine holds it.
 */
void dp_vdev_check_reset(struct dp_attachment *att, struct dp_vdev *v, const char *when,
			 bool released);
/* Takes the group off the KVM-VFIO device and out of the container, and closes it (hotplug.c). */
void dp_attach_group_close(struct dp_attachment *att, struct dp_attach_group *g);
/* A new vdev's fields from the inventory's dev: its address, group and MSI-X layout. */
void dp_vdev_set_device(struct dp_vdev *vdev, const struct dp_device *dev);
/* Opens the device and reads its regions and interrupts; group_fd -1 under iommufd. */
int dp_vdev_open(struct dp_attachment *att, struct dp_vdev *vdev, int group_fd);
/*
 * Under iommufd (vdev-cdev.c): the device's VFIO node opened (unless
 * vdev->fd is set), on the KVM-VFIO device when the attachment has KVM,
 * bound to the iommufd (vfio-pci's reset at open, checked) and attached to
 * the IOAS; and that undone short of closing the fd. 0 or -errno (logged);
 * the caller closes on failure.
 */
int dp_vdev_cdev_open(struct dp_attachment *att, struct dp_vdev *vdev);
void dp_vdev_cdev_release(struct dp_vdev *vdev);
/* Reads the IOAS's usable ranges again into the DMA manager (after a device joined it). */
int dp_attach_iommufd_ranges(struct dp_attachment *att);
/* Whose RLIMIT_MEMLOCK the backend charges pinned pages to, for dp_dma's message. */
const char *dp_attach_memlock_mode(const struct dp_attachment *att);
/* Unmaps, disables interrupts, resets and closes. */
void dp_vdev_close(struct dp_vdev *vdev);
/* VFIO unmasks INTx when fd is signalled (a resample eventfd); -1 stops that. */
int dp_vdev_set_intx_unmask_fd(struct dp_vdev *vdev, int32_t fd);
/* dp_vdev_map_region with the mapping's start aligned to align (a power of two, or 0). */
int dp_vdev_map_region_aligned(struct dp_vdev *vdev, uint32_t index, uint64_t align, void **addr);
/* Frees what dp_vdev_get_rom kept (vdev-rom.c). */
void dp_vdev_rom_free(struct dp_vdev *vdev);

#endif
