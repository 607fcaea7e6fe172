/* SPDX-License-Identifier: MIT */
/* An attached device through its VFIO fd: regions, config space, BARs, reset; open and close. */
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hotreset.h"
#include "vdev.h"
#include "vpci.h"

/* Region info with its capability chain (sparse mmap areas). */
static int read_region(struct dp_vdev *v, uint32_t index)
{
	struct dp_vdev_region *reg = &v->regions[index];
	struct vfio_region_info *ri;
	uint32_t argsz = sizeof(*ri);
	int r = 0;

	for (int tries = 0; tries < 4; tries++) {
		ri = calloc(1, argsz);
		if (!ri)
			return -ENOMEM;
		ri->argsz = argsz;
		ri->index = index;
		if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0) {
			r = -errno;
			free(ri);
			if (r == -EINVAL) /* an index this device does not have */
				return 0;
			dp_err(v->att->ctx, "%s: region %u: VFIO_DEVICE_GET_REGION_INFO: %s",
			       v->bdf, index, strerror(-r));
			return r;
		}
		if (ri->argsz <= argsz)
			break;
		argsz = ri->argsz;
		free(ri);
		ri = NULL;
	}
	if (!ri)
		return -EIO;
	reg->flags = ri->flags;
	reg->size = ri->size;
	reg->offset = ri->offset;
	if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && ri->cap_offset) {
		uint32_t off = ri->cap_offset;

		for (int n = 0; off && off + sizeof(struct vfio_info_cap_header) <= argsz && n < 64; n++) {
			struct vfio_info_cap_header *h = (void *)((char *)ri + off);

			if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
			    off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= argsz) {
				struct vfio_region_info_cap_sparse_mmap *sp = (void *)h;
				uint32_t nr = sp->nr_areas;

				if (off + sizeof(*sp) + (uint64_t)nr * sizeof(sp->areas[0]) > argsz)
					break;
				reg->sparse = calloc(nr ? nr : 1, sizeof(*reg->sparse));
				if (!reg->sparse) {
					r = -ENOMEM;
					break;
				}
				for (uint32_t i = 0; i < nr; i++)
					reg->sparse[i] = (struct dp_dma_seg){ 0, sp->areas[i].offset,
									      sp->areas[i].size };
				reg->n_sparse = nr;
				reg->has_sparse = true;
			}
			off = h->next;
		}
	}
	free(ri);
	return r;
}

int dp_vdev_open(struct dp_attachment *att, struct dp_vdev *v, int group_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int r;

	if (att->backend == DP_BACKEND_IOMMUFD) {
		r = dp_vdev_cdev_open(att, v);
		if (r < 0)
			goto err;
	} else {
		/* vfio-pci resets the function at open: the header before, to check it after. */
		if (dp_reset_snapshot_take(att->ctx, v->bdf, &v->reset_before) < 0)
			v->reset_before.valid = false; /* logged; after open, the IDs alone are checked */
		if (v->fd < 0 && (r = dp_vfio_device_open(att->ctx, group_fd, v->bdf, &v->fd)) < 0)
			return r;
		r = dp_reset_came_back(att->ctx, v->bdf, &v->reset_before, "at open");
		if (r < 0)
			goto err;
	}
	if (ioctl(v->fd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		r = -errno;
		dp_err(att->ctx, "%s: VFIO_DEVICE_GET_INFO: %s", v->bdf, strerror(errno));
		goto err;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		dp_err(att->ctx, "%s: not a VFIO PCI device", v->bdf);
		r = -ENODEV;
		goto err;
	}
	v->flags = info.flags;
	v->num_regions = info.num_regions < DP_VDEV_REGIONS ? info.num_regions : DP_VDEV_REGIONS;
	v->num_irqs = info.num_irqs < DP_VDEV_IRQS ? info.num_irqs : DP_VDEV_IRQS;
	for (uint32_t i = 0; i < v->num_regions; i++) {
		r = read_region(v, i);
		if (r < 0)
			goto err;
	}
	for (uint32_t i = 0; i < v->num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		if (ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) {
			r = -errno;
			if (r == -EINVAL) { /* e.g. the error index of a conventional PCI device */
				r = 0;
				continue;
			}
			dp_err(att->ctx, "%s: irq index %u: VFIO_DEVICE_GET_IRQ_INFO: %s", v->bdf,
			       i, strerror(errno));
			goto err;
		}
		v->irqs[i].flags = ii.flags;
		v->irqs[i].count = ii.count;
	}
	r = dp_vdev_msix_open(v);
	if (r < 0)
		goto err;
	/* What the VM keeps: never fails the open (an unknown answer is a warning). */
	dp_migration_ask_fd(att->ctx, v->bdf, v->fd, att->container.migration, &v->migration);
	dp_dbg(att->ctx, "%s: %u regions, %u irq indexes%s", v->bdf, v->num_regions,
	       v->num_irqs, v->flags & VFIO_DEVICE_FLAGS_RESET ? ", resettable" : "");
	return 0;
err:
	dp_vdev_close(v);
	return r;
}

void dp_vdev_set_device(struct dp_vdev *v, const struct dp_device *dev)
{
	snprintf(v->bdf, sizeof(v->bdf), "%s", dev->bdf);
	v->group = dev->info.iommu_group;
	v->has_msix = dev->info.flags & DP_DEVICE_MSIX;
	v->msix_table_bir = dev->info.msix_table_bir;
	v->msix_table_offset = dev->info.msix_table_offset;
	v->msix_table_size = dev->info.msix_table_size;
	v->msix_pba_bir = dev->info.msix_pba_bir;
	v->msix_pba_offset = dev->info.msix_pba_offset;
}

void dp_vdev_close(struct dp_vdev *v)
{
	/* The guest-facing function goes first: its slots hold the BAR mappings. */
	if (v->vpci)
		dp_vpci_orphan(v->vpci);
	v->vpci = NULL;
	dp_vdev_rom_free(v);
	for (uint32_t i = 0; i < DP_VDEV_REGIONS; i++) {
		if (v->regions[i].map)
			dp_vdev_unmap_region(v, i);
		free(v->regions[i].sparse);
		v->regions[i].sparse = NULL;
	}
	for (uint32_t i = 0; i < DP_VDEV_IRQS && v->fd >= 0; i++)
		if (v->irqs[i].enabled &&
		    dp_vdev_set_irqs(v, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, i, 0, 0,
				     NULL) < 0)
			dp_warn(v->att->ctx, "%s: cannot disable irq index %u", v->bdf, i);
	dp_vdev_free_routes(v); /* after the device stops signalling them */
	dp_msix_fini(&v->msix);
	if (v->intx_efd >= 0) {
		dp_kvm_unroute_intx(&v->att->kvm, v->intx_gsi, v->intx_efd);
		close(v->intx_efd);
		close(v->intx_resample);
		v->intx_efd = v->intx_resample = -1;
	}
	if (v->fd >= 0 && (v->flags & VFIO_DEVICE_FLAGS_RESET) &&
	    ioctl(v->fd, VFIO_DEVICE_RESET) < 0)
		dp_warn(v->att->ctx, "%s: reset on release: %s", v->bdf, strerror(errno));
	dp_vdev_cdev_release(v); /* under iommufd: out of the IOAS and off KVM-VFIO first */
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

const char *dp_vdev_get_bdf(const struct dp_vdev *vdev)
{
	return vdev ? vdev->bdf : NULL;
}

uint32_t dp_vdev_get_region_count(const struct dp_vdev *vdev)
{
	return vdev ? vdev->num_regions : 0;
}

uint32_t dp_vdev_get_irq_count(const struct dp_vdev *vdev)
{
	return vdev ? vdev->num_irqs : 0;
}

int dp_vdev_can_reset(const struct dp_vdev *vdev)
{
	return vdev && (vdev->flags & VFIO_DEVICE_FLAGS_RESET) ? 1 : 0;
}

int dp_vdev_need_region(const struct dp_vdev *v, uint32_t index)
{
	if (!v)
		return -EINVAL;
	if (index >= v->num_regions || v->regions[index].size == 0) {
		dp_err(v->att->ctx, "%s: no region %u", v->bdf, index);
		return -ENOENT;
	}
	return 0;
}

int dp_vdev_get_region_info(const struct dp_vdev *vdev, uint32_t index,
			    struct dp_region_info *info)
{
	struct dp_region_info i = { .sz = sizeof(i) };
	const struct dp_vdev_region *reg;

	if (!vdev || !info)
		return -EINVAL;
	if (index >= vdev->num_regions)
		return -ERANGE;
	reg = &vdev->regions[index];
	i.size = reg->size;
	i.offset = reg->offset;
	i.flags = (reg->flags & VFIO_REGION_INFO_FLAG_READ ? DP_REGION_READ : 0) |
		  (reg->flags & VFIO_REGION_INFO_FLAG_WRITE ? DP_REGION_WRITE : 0) |
		  (reg->flags & VFIO_REGION_INFO_FLAG_MMAP ? DP_REGION_MMAP : 0) |
		  (reg->has_sparse ? DP_REGION_SPARSE : 0);
	i.n_sparse = reg->n_sparse;
	return dp_info_copy_out(info, offsetof(struct dp_region_info, n_sparse) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_vdev_get_sparse_area(const struct dp_vdev *vdev, uint32_t index, uint32_t area,
			    uint64_t *offset, uint64_t *size)
{
	if (!vdev)
		return -EINVAL;
	if (index >= vdev->num_regions || area >= vdev->regions[index].n_sparse)
		return -ERANGE;
	if (offset)
		*offset = vdev->regions[index].sparse[area].vaddr;
	if (size)
		*size = vdev->regions[index].sparse[area].size;
	return 0;
}

/* Whole transfers only: a short read or write is an error. */
static int region_io(struct dp_vdev *v, uint32_t index, uint64_t offset, void *buf,
		     size_t len, bool write)
{
	const struct dp_vdev_region *reg;
	size_t done = 0;
	int r = dp_vdev_need_region(v, index);

	if (r < 0)
		return r;
	reg = &v->regions[index];
	if (!(reg->flags & (write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ))) {
		dp_err(v->att->ctx, "%s: region %u cannot be %s", v->bdf, index,
		       write ? "written" : "read");
		return -EACCES;
	}
	if (offset > reg->size || len > reg->size - offset) {
		dp_err(v->att->ctx, "%s: region %u: %zu bytes at %#llx are past its %#llx bytes",
		       v->bdf, index, len, (unsigned long long)offset,
		       (unsigned long long)reg->size);
		return -ERANGE;
	}
	while (done < len) {
		ssize_t n = write ? pwrite(v->fd, (const char *)buf + done, len - done,
					   (off_t)(reg->offset + offset + done))
				  : pread(v->fd, (char *)buf + done, len - done,
					  (off_t)(reg->offset + offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			dp_err(v->att->ctx, "%s: region %u: %s at %#llx: %s", v->bdf, index,
			       write ? "write" : "read", (unsigned long long)(offset + done),
			       strerror(-r));
			return r;
		}
		done += (size_t)n;
	}
	return 0;
}

int dp_vdev_region_read(struct dp_vdev *vdev, uint32_t index, uint64_t offset, void *buf,
			size_t len)
{
	if (!vdev || (!buf && len))
		return -EINVAL;
	return region_io(vdev, index, offset, buf, len, false);
}

int dp_vdev_region_write(struct dp_vdev *vdev, uint32_t index, uint64_t offset,
			 const void *buf, size_t len)
{
	if (!vdev || (!buf && len))
		return -EINVAL;
	return region_io(vdev, index, offset, (void *)buf, len, true);
}

int dp_vdev_config_read(struct dp_vdev *vdev, uint32_t offset, void *buf, size_t len)
{
	return dp_vdev_region_read(vdev, VFIO_PCI_CONFIG_REGION_INDEX, offset, buf, len);
}

int dp_vdev_config_write(struct dp_vdev *vdev, uint32_t offset, const void *buf, size_t len)
{
	int r = dp_vdev_region_write(vdev, VFIO_PCI_CONFIG_REGION_INDEX, offset, buf, len);
	uint16_t ctrl;

	/* The guest enabling or masking MSI-X: route what its table asks for. */
	if (r == 0 && vdev->msix_cap && vdev->att->have_kvm && vdev->att->kvm.gsi_count &&
	    offset < vdev->msix_cap + 4u && offset + len > vdev->msix_cap + 2u &&
	    dp_vdev_region_read(vdev, VFIO_PCI_CONFIG_REGION_INDEX, vdev->msix_cap + 2u, &ctrl, 2) == 0)
		r = dp_msix_control(&vdev->msix, ctrl);
	return r;
}

/*
 * Reserves size bytes of address space whose start is aligned to align (a
 * power of two; KVM backs a slot with huge pages only where guest and host
 * addresses agree modulo the page size).
 */
static void *reserve_aligned(uint64_t size, uint64_t align)
{
	uint64_t extra = align > 4096 ? align : 0;
	uintptr_t start, aligned;
	void *base = mmap(NULL, size + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);

	if (base == MAP_FAILED || !extra)
		return base;
	start = (uintptr_t)base;
	aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	if (aligned > start)
		munmap(base, aligned - start);
	if (start + extra > aligned)
		munmap((char *)aligned + size, start + extra - aligned);
	return (void *)aligned;
}

int dp_vdev_map_region_aligned(struct dp_vdev *vdev, uint32_t index, uint64_t align, void **addr)
{
	struct dp_vdev_region *reg;
	int prot, r = dp_vdev_need_region(vdev, index);
	void *base;

	if (r < 0)
		return r;
	if (dp_bug_on(vdev->att->ctx, !addr))
		return -EINVAL;
	reg = &vdev->regions[index];
	if (reg->map) {
		*addr = reg->map;
		return 0;
	}
	if (!(reg->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		dp_err(vdev->att->ctx, "%s: region %u cannot be mmapped", vdev->bdf, index);
		return -ENOTSUP;
	}
	if (align & (align - 1))
		return -EINVAL;
	prot = (reg->flags & VFIO_REGION_INFO_FLAG_READ ? PROT_READ : 0) |
	       (reg->flags & VFIO_REGION_INFO_FLAG_WRITE ? PROT_WRITE : 0);
	/* Reserve the range, then map the region, or only its sparse areas, over it. */
	base = reserve_aligned(reg->size, align);
	if (base == MAP_FAILED) {
		r = -errno;
		dp_err(vdev->att->ctx, "%s: reserving %#llx bytes for region %u: %s", vdev->bdf,
		       (unsigned long long)reg->size, index, strerror(errno));
		return r;
	}
	for (uint32_t i = 0; i < (reg->has_sparse ? reg->n_sparse : 1); i++) {
		struct dp_dma_seg a = reg->has_sparse ? reg->sparse[i]
						      : (struct dp_dma_seg){ 0, 0, reg->size };

		if (a.size == 0)
			continue;
		if (a.vaddr > reg->size || a.size > reg->size - a.vaddr)
			r = -EINVAL; /* the kernel's area lies outside its region */
		else if (mmap((char *)base + a.vaddr, a.size, prot, MAP_SHARED | MAP_FIXED, vdev->fd,
			      (off_t)(reg->offset + a.vaddr)) == MAP_FAILED)
			r = -errno;
		if (r < 0) {
			dp_err(vdev->att->ctx, "%s: mmap of region %u%s: %s", vdev->bdf, index,
			       reg->has_sparse ? " (a sparse area)" : "", strerror(-r));
			munmap(base, reg->size);
			return r;
		}
	}
	reg->map = base;
	*addr = base;
	return 0;
}

int dp_vdev_map_region(struct dp_vdev *vdev, uint32_t index, void **addr)
{
	return dp_vdev_map_region_aligned(vdev, index, 0, addr);
}

int dp_vdev_unmap_region(struct dp_vdev *vdev, uint32_t index)
{
	struct dp_vdev_region *reg;

	if (!vdev)
		return -EINVAL;
	if (index >= DP_VDEV_REGIONS)
		return -ERANGE;
	reg = &vdev->regions[index];
	if (!reg->map)
		return 0;
	/* The mapping holds the device: VFIO_GROUP_UNSET_CONTAINER is EBUSY until it goes. */
	if (munmap(reg->map, reg->size) < 0)
		return -errno;
	reg->map = NULL;
	return 0;
}

int dp_vdev_reset(struct dp_vdev *vdev)
{
	struct dp_reset_snapshot now;

	if (!vdev)
		return -EINVAL;
	if (!(vdev->flags & VFIO_DEVICE_FLAGS_RESET))
		return dp_vdev_hot_reset(vdev); /* its slot or bus, with what else that reaches */
	/* The header now (the guest may have turned decoding off), else the one before open. */
	if (dp_reset_snapshot_take(vdev->att->ctx, vdev->bdf, &now) < 0)
		now = vdev->reset_before;
	if (ioctl(vdev->fd, VFIO_DEVICE_RESET) < 0) {
		int r = -errno;

		dp_err(vdev->att->ctx, "%s: VFIO_DEVICE_RESET: %s", vdev->bdf, strerror(errno));
		return r;
	}
	return dp_reset_came_back(vdev->att->ctx, vdev->bdf, &now, "of VFIO_DEVICE_RESET");
}
