/* SPDX-License-Identifier: MIT */
/*
 * Asking the kernel whether a device migrates (VFIO migration v2): on an
 * attached device's fd, and at check time on an idle device of vfio-pci,
 * through its group opened briefly in a container of our own.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "attach.h"
#include "inventory.h"
#include "leases.h"
#include "migration.h"
#include "quote.h"
#include "sysfs.h"
#include "vfio-migration-uapi.h"
#include "vfio.h"
#include "vfiodriver.h"

void dp_migration_ask_fd(struct dp_ctx *ctx, const char *bdf, int device_fd, bool iommu_dirty,
			 struct dp_migration *out)
{
	/* The kernel's selftests size it so: the header, then the feature's data. */
	uint64_t buf[(sizeof(struct vfio_device_feature) +
		      sizeof(struct vfio_device_feature_migration) + 7) / 8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_migration mig = { 0 };
	int mig_errno = 0, log_errno = ENOTTY;

	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	if (ioctl(device_fd, VFIO_DEVICE_FEATURE, f) < 0)
		mig_errno = errno;
	else
		memcpy(&mig, f->data, sizeof(mig));
	if (mig_errno == 0) {
		struct vfio_device_feature probe = {
			.argsz = sizeof(probe),
			.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE |
				 VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
		};

		/* 0: the device can log its DMA writes; ENOTTY: it cannot. */
		log_errno = ioctl(device_fd, VFIO_DEVICE_FEATURE, &probe) < 0 ? errno : 0;
	}
	dp_migration_from_kernel(mig_errno, mig.flags, log_errno, iommu_dirty, out);
	if (out->state == DP_MIGRATION_UNKNOWN)
		dp_warn(ctx, "%s: whether it migrates is unknown: %s", bdf, out->why);
	else if (out->state == DP_MIGRATION_UNSUPPORTED)
		dp_dbg(ctx, "%s: no VFIO migration (VFIO_DEVICE_FEATURE: %s)", bdf, strerror(mig_errno));
	else
		dp_dbg(ctx, "%s: VFIO migration flags %#llx, DMA logging %s", bdf,
		       (unsigned long long)mig.flags, log_errno ? strerror(log_errno) : "yes");
}

static void unknown(struct dp_migration *out, int err, const char *fmt, ...) DP_PRINTF(3, 4);

static void unknown(struct dp_migration *out, int err, const char *fmt, ...)
{
	va_list ap;

	out->state = DP_MIGRATION_UNKNOWN;
	out->flags = 0;
	out->error = err;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

int dp_migration_probe(struct dp_ctx *ctx, const struct dp_device *dev, struct dp_migration *out)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct dp_vfio_container c = { .fd = -1 };
	int group = dev->info.iommu_group, gfd, dfd = -1, r;
	char owner[256], q[DP_QUOTE_SIZE(64)], path[64];
	pid_t pid = 0;

	memset(out, 0, sizeof(*out));
	out->state = DP_MIGRATION_NOT_ASKED;
	if (!(ctx->caps.flags & DP_HOST_VFIO) ||
	    dp_vfio_driver_kind(dev) < DP_VFIO_DRIVER_VFIO_PCI || group < 0)
		return 0; /* nothing to ask: the losses stay a plain device's */
	r = dp_lease_query(ctx, dev->bdf, owner, sizeof(owner), &pid);
	if (r == -ENOMEM)
		return r;
	if (r > 0) {
		unknown(out, EBUSY, "it is leased to VM \"%s\" (pid %ld), and a check never opens a device a VM holds",
			dp_quote(q, sizeof(q), owner), (long)pid);
		return 0;
	}
	/* Opened here, not with dp_vfio_group_open: a busy group is an answer, not an error. */
	snprintf(path, sizeof(path), DP_DEV_VFIO_GROUP_FMT, group);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	if (gfd < 0) {
		if (errno == EBUSY)
			unknown(out, EBUSY, "its IOMMU group %d is open in another process (a running VM or VMM), and a check never disturbs it",
				group);
		else
			unknown(out, errno, "%s: %s", path, strerror(errno));
		dp_info(ctx, "%s: migration not asked: %s", dev->bdf, out->why);
		return 0;
	}
	if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &st) < 0)
		unknown(out, errno, "VFIO_GROUP_GET_STATUS on %s: %s", path, strerror(errno));
	else if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		unknown(out, EPERM, "its IOMMU group %d is not viable (a member is bound to a host driver)", group);
	else if ((r = dp_vfio_container_open(ctx, &c)) < 0)
		unknown(out, -r, "%s: %s", DP_DEV_VFIO_CONTAINER, strerror(-r));
	else if ((r = dp_vfio_group_set_container(&c, gfd, group, dev->bdf)) < 0)
		unknown(out, -r, "its IOMMU group %d cannot be put in a container: %s", group, strerror(-r));
	else if ((r = dp_vfio_device_open(ctx, gfd, dev->bdf, &dfd)) < 0)
		unknown(out, -r, "VFIO cannot open it: %s", strerror(-r));
	else
		dp_migration_ask_fd(ctx, dev->bdf, dfd, c.migration, out);
	if (dfd >= 0)
		close(dfd);
	if (c.iommu_set)
		dp_vfio_group_unset_container(ctx, gfd, group);
	close(gfd);
	dp_vfio_container_close(&c);
	if (out->state == DP_MIGRATION_UNKNOWN)
		dp_info(ctx, "%s: migration not asked: %s", dev->bdf, out->why);
	return 0;
}

int dp_vdev_get_migration(const struct dp_vdev *vdev, struct dp_migration_info *info)
{
	if (!vdev || !info)
		return -EINVAL;
	return dp_migration_info_out(&vdev->migration, vdev->att->n_vdevs, info);
}
