/* SPDX-License-Identifier: MIT */
/*
 * The iommufd backend (iommufd.h). One IOAS per attachment; a device is
 * bound to the iommufd through its VFIO device node and attached to the
 * IOAS, and undone in reverse: detached, its fd closed (which unbinds it),
 * the IOAS destroyed, /dev/iommu closed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend.h"
#include "iommufd-uapi.h"
#include "iommufd.h"
#include "sysfs.h"

#define DP_IOMMUFD_PAGE 4096u

void dp_iommufd_init(struct dp_iommufd *i, struct dp_ctx *ctx)
{
	memset(i, 0, sizeof(*i));
	i->ctx = ctx;
	i->fd = -1;
	i->iova_alignment = DP_IOMMUFD_PAGE;
}

int dp_iommufd_read_ranges(struct dp_iommufd *i)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = i->ioas };
	struct iommu_iova_range *buf = NULL;
	struct dp_iova_range *ranges;
	int r = 0;

	/* First the count, then the ranges; again with the kernel's count should it grow. */
	for (int tries = 0; tries < 4; tries++) {
		q.allowed_iovas = (uint64_t)(uintptr_t)buf;
		if (ioctl(i->fd, IOMMU_IOAS_IOVA_RANGES, &q) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		if (r != -EMSGSIZE)
			break;
		free(buf);
		buf = calloc(q.num_iovas ? q.num_iovas : 1, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	if (r < 0) {
		dp_err(i->ctx, "iommufd: IOMMU_IOAS_IOVA_RANGES: %s", strerror(-r));
		free(buf);
		return r;
	}
	ranges = calloc(q.num_iovas ? q.num_iovas : 1, sizeof(*ranges));
	if (!ranges) {
		free(buf);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < q.num_iovas; k++)
		ranges[k] = (struct dp_iova_range){ buf[k].start, buf[k].last };
	free(buf);
	free(i->ranges);
	i->ranges = ranges;
	i->n_ranges = q.num_iovas;
	/* A power of two the kernel aligns mappings to; never below a page. */
	i->iova_alignment = DP_IOMMUFD_PAGE;
	if (q.out_iova_alignment > DP_IOMMUFD_PAGE && !(q.out_iova_alignment & (q.out_iova_alignment - 1)))
		i->iova_alignment = q.out_iova_alignment;
	dp_dbg(i->ctx, "iommufd: IOAS %u: %u usable IOVA ranges, alignment %#llx", i->ioas,
	       i->n_ranges, (unsigned long long)i->iova_alignment);
	return 0;
}

int dp_iommufd_open(struct dp_iommufd *i)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	bool opened = false;
	int r;

	if (i->fd < 0) {
		i->fd = open(DP_DEV_IOMMU, O_RDWR | O_CLOEXEC);
		if (i->fd < 0) {
			r = -errno;
			dp_err(i->ctx, "%s: %s%s", DP_DEV_IOMMU, strerror(errno),
			       errno == ENOENT ? " (a kernel without CONFIG_IOMMUFD)" : "");
			return r;
		}
		opened = true;
	}
	if (ioctl(i->fd, IOMMU_OPTION, &o) < 0) {
		r = -errno;
		dp_err(i->ctx, "iommufd: IOMMU_OPTION (get RLIMIT_MODE): %s", strerror(errno));
		goto err;
	}
	if (o.val64 > DP_IOMMUFD_RLIMIT_PROCESS) {
		dp_err(i->ctx, "iommufd: RLIMIT_MODE %llu is neither per user (0) nor per process (1)",
		       (unsigned long long)o.val64);
		r = -EPROTO;
		goto err;
	}
	i->rlimit_mode = (uint32_t)o.val64;
	if (ioctl(i->fd, IOMMU_IOAS_ALLOC, &a) < 0) {
		r = -errno;
		dp_err(i->ctx, "iommufd: IOMMU_IOAS_ALLOC: %s", strerror(errno));
		goto err;
	}
	i->ioas = a.out_ioas_id;
	i->have_ioas = true;
	r = dp_iommufd_read_ranges(i);
	if (r < 0)
		goto err;
	dp_dbg(i->ctx, "iommufd: IOAS %u; locked memory counted per %s", i->ioas,
	       i->rlimit_mode ? "process" : "user");
	return 0;
err:
	if (i->have_ioas) {
		struct iommu_destroy d = { .size = sizeof(d), .id = i->ioas };

		ioctl(i->fd, IOMMU_DESTROY, &d);
		i->have_ioas = false;
	}
	if (opened) {
		close(i->fd);
		i->fd = -1;
	}
	return r;
}

void dp_iommufd_close(struct dp_iommufd *i)
{
	if (i->have_ioas) {
		struct iommu_destroy d = { .size = sizeof(d), .id = i->ioas };

		if (ioctl(i->fd, IOMMU_DESTROY, &d) < 0)
			dp_warn(i->ctx, "iommufd: IOMMU_DESTROY of IOAS %u: %s (closing the iommufd frees it)",
				i->ioas, strerror(errno));
		i->have_ioas = false;
	}
	if (i->fd >= 0)
		close(i->fd);
	i->fd = -1;
	free(i->ranges);
	i->ranges = NULL;
	i->n_ranges = 0;
}

void dp_iommufd_unmap_all(struct dp_iommufd *i)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = i->ioas,
		.iova = 0,
		.length = UINT64_MAX,
	};

	if (!i->have_ioas)
		return;
	if (ioctl(i->fd, IOMMU_IOAS_UNMAP, &u) < 0)
		dp_warn(i->ctx, "detach: IOMMU_IOAS_UNMAP of everything: %s", strerror(errno));
	else if (u.length)
		dp_err(i->ctx, "detach: the IOAS still mapped %llu bytes the library did not know of; unmapped",
		       (unsigned long long)u.length);
}

int dp_iommufd_device_open(struct dp_ctx *ctx, const struct dp_device *dev, int *fd_out)
{
	char path[64];
	struct stat st;
	int fd, r;

	if (!dev->vfio_cdev) {
		dp_err(ctx, "%s: no VFIO device node in %s/%s/vfio-dev (is it bound to a VFIO driver, on a kernel with CONFIG_VFIO_DEVICE_CDEV?)",
		       dev->bdf, DP_SYS_PCI_DEVICES, dev->bdf);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), DP_DEV_VFIO_DEVICES "/%s", dev->vfio_dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		dp_err(ctx, "%s: %s: %s", dev->bdf, path, strerror(errno));
		return r;
	}
	/* The node is the one sysfs names: not another device's under a reused name. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != dev->vfio_major ||
	    minor(st.st_rdev) != dev->vfio_minor) {
		dp_err(ctx, "%s: %s is not the VFIO device node sysfs names for it (%u:%u)", dev->bdf,
		       path, dev->vfio_major, dev->vfio_minor);
		close(fd);
		return -ENODEV;
	}
	*fd_out = fd;
	return 0;
}

int dp_iommufd_bind(struct dp_iommufd *i, int dev_fd, const char *bdf, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = i->fd };

	if (ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &b) < 0) {
		int r = -errno;

		dp_err(i->ctx, "%s: VFIO_DEVICE_BIND_IOMMUFD: %s%s", bdf, strerror(errno),
		       errno == EBUSY ? " (another process has it open)" : "");
		return r;
	}
	*devid = b.out_devid;
	return 0;
}

int dp_iommufd_attach(struct dp_iommufd *i, int dev_fd, const char *bdf)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = i->ioas };

	if (ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) < 0) {
		int r = -errno;

		dp_err(i->ctx, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT to IOAS %u: %s%s", bdf, i->ioas,
		       strerror(errno),
		       errno == EADDRINUSE ? " (a DMA mapping covers an IOVA the device reserves)" : "");
		return r;
	}
	return 0;
}

int dp_iommufd_detach(struct dp_ctx *ctx, int dev_fd, const char *bdf)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	if (ioctl(dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) < 0) {
		int r = -errno;

		dp_warn(ctx, "%s: VFIO_DEVICE_DETACH_IOMMUFD_PT: %s (closing the device detaches it)",
			bdf, strerror(errno));
		return r;
	}
	return 0;
}

static int ioas_map(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct dp_iommufd *i = opaque;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = i->ioas,
		.user_va = vaddr,
		.length = size,
		.iova = iova,
	};

	return ioctl(i->fd, IOMMU_IOAS_MAP, &m) < 0 ? -errno : 0;
}

static int ioas_unmap(void *opaque, uint64_t iova, uint64_t size)
{
	struct dp_iommufd *i = opaque;
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = i->ioas,
		.iova = iova,
		.length = size,
	};

	if (ioctl(i->fd, IOMMU_IOAS_UNMAP, &u) < 0)
		return -errno;
	return u.length == size ? 0 : -EIO;
}

const struct dp_dma_ops dp_iommufd_dma_ops = { ioas_map, ioas_unmap };
