/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "quote.h"
#include "vfio.h"

#define DP_PROC "/proc"

int dp_vfio_container_open(struct dp_ctx *ctx, struct dp_vfio_container *c)
{
	int fd = open(DP_DEV_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int r = -errno;

		memset(c, 0, sizeof(*c));
		c->fd = -1;
		dp_err(ctx, "%s: %s (is vfio loaded?)", DP_DEV_VFIO_CONTAINER, strerror(errno));
		return r;
	}
	return dp_vfio_container_adopt(ctx, c, fd);
}

int dp_vfio_container_adopt(struct dp_ctx *ctx, struct dp_vfio_container *c, int fd)
{
	int v;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->dma_avail = UINT64_MAX;
	c->fd = fd;
	v = ioctl(c->fd, VFIO_GET_API_VERSION);
	if (v != VFIO_API_VERSION) {
		dp_err(ctx, "%s: VFIO API version %d, not %d", DP_DEV_VFIO_CONTAINER, v,
		       VFIO_API_VERSION);
		goto err;
	}
	if (ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		dp_err(ctx, "%s: the kernel has no VFIO type1v2 IOMMU", DP_DEV_VFIO_CONTAINER);
		goto err;
	}
	return 0;
err:
	close(c->fd);
	c->fd = -1;
	return -ENOTSUP;
}

void dp_vfio_container_close(struct dp_vfio_container *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->ranges);
	c->ranges = NULL;
	c->n_ranges = 0;
}

/*
 * Who holds path open, as fuser finds out: the first process with a
 * /proc/PID/fd link to it. Its pid, with its name quoted into comm; 0 when
 * none can be seen (another user's process without privilege, or gone).
 */
static pid_t find_holder(const char *path, char *comm, size_t size)
{
	DIR *proc = opendir(DP_PROC);
	struct dirent *de;
	pid_t found = 0;

	if (!proc)
		return 0;
	while (!found && (de = readdir(proc))) {
		char fddir[64], link[PATH_MAX], target[PATH_MAX];
		struct dirent *fe;
		DIR *fds;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (pid <= 0 || *end)
			continue;
		snprintf(fddir, sizeof(fddir), DP_PROC "/%ld/fd", pid);
		fds = opendir(fddir);
		if (!fds)
			continue; /* gone, or not ours to see */
		while ((fe = readdir(fds))) {
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, fe->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, path) == 0) {
				found = (pid_t)pid;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (found) {
		char file[64], name[64] = "";
		FILE *f;

		snprintf(file, sizeof(file), DP_PROC "/%ld/comm", (long)found);
		f = fopen(file, "re");
		if (f) {
			if (fgets(name, sizeof(name), f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
		dp_quote(comm, size, name[0] ? name : "?");
	}
	return found;
}

int dp_vfio_group_open(struct dp_ctx *ctx, int group, const char *bdf, int *fd_out)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), DP_DEV_VFIO_GROUP_FMT, group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		char comm[DP_QUOTE_SIZE(16)];
		pid_t holder = 0;

		r = -errno;
		if (r == -EBUSY) /* a group is opened once: someone has it */
			holder = find_holder(path, comm, sizeof(comm));
		if (holder)
			dp_err(ctx, "%s: IOMMU group %d: %s: %s; held by pid %ld (%s)", bdf, group,
			       path, strerror(-r), (long)holder, comm);
		else
			dp_err(ctx, "%s: IOMMU group %d: %s: %s%s", bdf, group, path, strerror(-r),
			       r == -ENOENT ? " (is the device bound to vfio-pci?)"
			       : r == -EBUSY ? " (another process holds it)" : "");
		return r;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		r = -errno;
		dp_err(ctx, "%s: IOMMU group %d: VFIO_GROUP_GET_STATUS: %s", bdf, group,
		       strerror(errno));
		close(fd);
		return r;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		dp_err(ctx, "%s: IOMMU group %d: not viable: a member is bound to a host driver",
		       bdf, group);
		close(fd);
		return -EPERM;
	}
	*fd_out = fd;
	return 0;
}

/* VFIO_IOMMU_GET_INFO with the argsz the kernel asks for, and its capabilities. */
static int read_iommu_info(struct dp_vfio_container *c)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info);
	int r = 0;

	for (int tries = 0; tries < 4; tries++) {
		info = calloc(1, argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = argsz;
		if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, info) < 0) {
			r = -errno;
			dp_err(c->ctx, "VFIO_IOMMU_GET_INFO: %s", strerror(errno));
			free(info);
			return r;
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz; /* the capabilities need more room */
		free(info);
		info = NULL;
	}
	if (!info)
		return -EIO;
	if (info->flags & VFIO_IOMMU_INFO_PGSIZES)
		c->iova_pgsizes = info->iova_pgsizes;
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset) {
		uint32_t off = info->cap_offset;

		for (int n = 0; off && off + sizeof(struct vfio_info_cap_header) <= argsz && n < 64; n++) {
			struct vfio_info_cap_header *h = (void *)((char *)info + off);

			if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
			    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= argsz) {
				struct vfio_iommu_type1_info_cap_iova_range *ir = (void *)h;
				uint32_t nr = ir->nr_iovas;

				if (off + sizeof(*ir) + nr * sizeof(ir->iova_ranges[0]) > argsz)
					break;
				free(c->ranges);
				c->ranges = calloc(nr ? nr : 1, sizeof(*c->ranges));
				if (!c->ranges) {
					r = -ENOMEM;
					break;
				}
				for (uint32_t i = 0; i < nr; i++) {
					c->ranges[i].start = ir->iova_ranges[i].start;
					c->ranges[i].end = ir->iova_ranges[i].end;
				}
				c->n_ranges = nr;
			} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
				   off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= argsz) {
				c->dma_avail = ((struct vfio_iommu_type1_info_dma_avail *)h)->avail;
			} else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
				c->migration = true;
			}
			off = h->next;
		}
	}
	free(info);
	dp_dbg(c->ctx, "IOMMU: page sizes %#llx, %u IOVA ranges, %llu DMA mappings available",
	       (unsigned long long)c->iova_pgsizes, c->n_ranges,
	       (unsigned long long)c->dma_avail);
	return r;
}

/* ... and with other_iommu_ok, EINVAL (another IOMMU than the container's) is the caller's to say. */
static int set_container(struct dp_vfio_container *c, int group_fd, int group, const char *bdf,
			 bool other_iommu_ok)
{
	int r;

	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0) {
		r = -errno;
		if (other_iommu_ok && r == -EINVAL && c->iommu_set)
			return r;
		dp_err(c->ctx, "%s: IOMMU group %d: VFIO_GROUP_SET_CONTAINER: %s%s", bdf, group,
		       strerror(errno), errno == EPERM ? " (the group is not viable)" : "");
		return r;
	}
	if (c->iommu_set)
		return 0;
	if (ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
		r = -errno;
		dp_err(c->ctx, "%s: IOMMU group %d: VFIO_SET_IOMMU type1v2: %s%s", bdf, group,
		       strerror(errno),
		       errno == EPERM ? " (no interrupt remapping; vfio_iommu_type1 allow_unsafe_interrupts=1 overrides)"
				      : "");
		ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER);
		return r;
	}
	c->iommu_set = true;
	r = read_iommu_info(c);
	if (r < 0) {
		ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER);
		c->iommu_set = false;
	}
	return r;
}

int dp_vfio_group_set_container(struct dp_vfio_container *c, int group_fd, int group,
				const char *bdf)
{
	return set_container(c, group_fd, group, bdf, false);
}

int dp_vfio_group_join(struct dp_vfio_container *c, int group_fd, int group, const char *bdf)
{
	return set_container(c, group_fd, group, bdf, true);
}

int dp_vfio_group_unset_container(struct dp_ctx *ctx, int group_fd, int group)
{
	if (ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER) < 0) {
		int r = -errno;

		dp_err(ctx, "IOMMU group %d: VFIO_GROUP_UNSET_CONTAINER: %s%s", group,
		       strerror(errno), errno == EBUSY ? " (a BAR is still mapped?)" : "");
		return r;
	}
	return 0;
}

int dp_vfio_device_open(struct dp_ctx *ctx, int group_fd, const char *bdf, int *fd_out)
{
	int fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);

	if (fd < 0) {
		int r = -errno;

		dp_err(ctx, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf, strerror(errno));
		return r;
	}
	*fd_out = fd;
	return 0;
}

static int vfio_map(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct dp_vfio_container *c = opaque;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m) < 0 ? -errno : 0;
}

static int vfio_unmap(void *opaque, uint64_t iova, uint64_t size)
{
	struct dp_vfio_container *c = opaque;
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		return -errno;
	return u.size == size ? 0 : -EIO;
}

void dp_vfio_unmap_all(struct dp_vfio_container *c)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};

	int has = ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL);

	if (has < 0)
		dp_warn(c->ctx, "detach: VFIO_CHECK_EXTENSION: %s", strerror(errno));
	if (has <= 0)
		return;
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		dp_warn(c->ctx, "detach: VFIO_IOMMU_UNMAP_DMA of everything: %s", strerror(errno));
	else if (u.size)
		dp_err(c->ctx, "detach: the IOMMU still mapped %llu bytes the library did not know of; unmapped",
		       (unsigned long long)u.size);
}

const struct dp_dma_ops dp_vfio_dma_ops = { vfio_map, vfio_unmap };
