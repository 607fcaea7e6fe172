/* SPDX-License-Identifier: MIT */
/*
 * Quarantine in the backend: at detach, whether each device came back from
 * the kernel's reset (quarantined when not, or always under release =
 * quarantine); and dp_device_release, which resets a quarantined device
 * again, verifies it, and gives it back to the host.
 *
 * The release resets through VFIO, as detach does, rather than through the
 * sysfs reset file: the group open fails (EBUSY) while any process holds
 * the group, a VMM that takes no lease included, so nothing is reset under
 * a running VM; and the kernel's open and close reset what can be reset
 * (function, then the bus once the reset set is closed) and restore the
 * saved config header even where nothing can (edu without a root port has
 * no reset method, and no sysfs reset file).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "attach.h"
#include "inventory.h"
#include "quarantine.h"
#include "sysfs.h"
#include "vfiodriver.h"

#define RELEASE_OWNER "directpath release" /* the lease's VM name while releasing */

/* Verifies bdf against before into reason; 0 came back, -errno (reason set, logged) when not. */
static int verify(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		  const char *when, char *reason, size_t size)
{
	dp_dbg(ctx, "%s: verifying that it came back from the reset %s", bdf, when);
	return dp_reset_check(ctx, bdf, before, when, reason, size);
}

void dp_vdev_check_reset(struct dp_attachment *att, struct dp_vdev *v, const char *when,
			 bool released)
{
	char reason[DP_QUARANTINE_REASON_MAX];
	bool held = false;

	if (v->reset_before.valid &&
	    verify(att->ctx, v->bdf, &v->reset_before, when, reason, sizeof(reason)) < 0)
		held = true;
	else if (released && att->release == DP_RELEASE_QUARANTINE) {
		snprintf(reason, sizeof(reason), "held by policy release = quarantine");
		held = true;
	}
	if (held)
		dp_quarantine_add_before(att->ctx, v->bdf, reason, &v->reset_before);
	else if (v->reset_before.valid)
		dp_dbg(att->ctx, "%s: came back from the reset", v->bdf);
}

void dp_attach_check_resets(struct dp_attachment *att, bool detach)
{
	for (size_t i = 0; i < att->n_vdevs; i++)
		dp_vdev_check_reset(att, att->vdevs[i], detach ? "at detach" : "after a failed attach",
				    detach);
}

/* The kernel's resets through VFIO: at open, VFIO_DEVICE_RESET where offered, at close. */
static int reset_through_vfio(struct dp_ctx *ctx, const char *bdf, int group)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct dp_vfio_container c;
	int gfd = -1, dfd = -1, r;
	bool in_container = false;

	r = dp_vfio_container_open(ctx, &c);
	if (r < 0)
		return r == -ENOENT ? -ENXIO : r; /* no VFIO here; ENOENT says "not quarantined" */
	r = dp_vfio_group_open(ctx, group, bdf, &gfd);
	if (r == -ENOENT)
		r = -ENXIO; /* no /dev/vfio/N: not in that group, or no IOMMU */
	if (r == 0)
		r = dp_vfio_group_set_container(&c, gfd, group, bdf);
	in_container = r == 0;
	if (r == 0)
		r = dp_vfio_device_open(ctx, gfd, bdf, &dfd); /* the kernel resets it and saves its header */
	if (r == 0 && ioctl(dfd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		r = -errno;
		dp_err(ctx, "%s: VFIO_DEVICE_GET_INFO: %s", bdf, strerror(-r));
	}
	if (r == 0 && (info.flags & VFIO_DEVICE_FLAGS_RESET) && ioctl(dfd, VFIO_DEVICE_RESET) < 0) {
		r = -errno;
		dp_err(ctx, "%s: VFIO_DEVICE_RESET: %s", bdf, strerror(-r));
	}
	if (r == 0)
		dp_info(ctx, "%s: reset through VFIO (%s)", bdf,
			info.flags & VFIO_DEVICE_FLAGS_RESET ? "VFIO_DEVICE_RESET, then the kernel's reset at close"
							     : "no reset method: the kernel restores its config header at close");
	if (dfd >= 0)
		close(dfd); /* the kernel resets it again and restores its header; the bus once the set is closed */
	if (in_container)
		dp_vfio_group_unset_container(ctx, gfd, group);
	if (gfd >= 0)
		close(gfd);
	dp_vfio_container_close(&c);
	return r;
}

/* Is it marked? Read now, not from the scan: the mark decides where it goes. */
static bool marked_now(struct dp_ctx *ctx, const char *bdf)
{
	int dirfd = open(ctx->driverctl_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool m;

	if (dirfd < 0)
		return false;
	m = dp_mark_read(ctx, dirfd, bdf, NULL, 0) == 1;
	close(dirfd);
	return m;
}

/*
 * The live driver of bdf into buf ("" when unbound), and whether it is a VFIO
 * driver: vfio-pci, a variant, or one that registered bdf with VFIO (its
 * vfio-dev node). 0 or -ENODEV when the function is gone.
 */
static int live_driver(struct dp_ctx *ctx, const char *bdf, char *buf, size_t size, bool *vfio)
{
	char path[PATH_MAX];
	int fd, r;

	snprintf(path, sizeof(path), DP_SYS_PCI_DEVICES "/%s", bdf);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		dp_err(ctx, "%s: %s: %s", bdf, path, strerror(errno));
		return -ENODEV;
	}
	r = dp_sysfs_readlink_base(fd, "driver", buf, size);
	if (r < 0)
		buf[0] = '\0';
	*vfio = buf[0] && (dp_vfio_pci_family(buf) || faccessat(fd, "vfio-dev", F_OK, 0) == 0);
	close(fd);
	return 0;
}

int dp_device_release(struct dp_device *dev, uint32_t flags)
{
	struct dp_quarantine_record rec;
	struct dp_reset_snapshot before;
	char driver[256], reason[DP_QUARANTINE_REASON_MAX];
	struct dp_lease *lease = NULL;
	struct dp_ctx *ctx;
	const char *bdf;
	bool vfio = false;
	int q, r;

	if (!dev)
		return -EINVAL;
	ctx = dev->ctx;
	bdf = dev->bdf;
	if (flags & ~DP_DEVICE_RELEASE_FORCE) {
		dp_err(ctx, "BUG: dp_device_release: unknown flags %#x", flags & ~DP_DEVICE_RELEASE_FORCE);
		return -EINVAL;
	}
	q = dp_quarantine_read(ctx, bdf, &rec);
	if (q == 0) {
		dp_err(ctx, "%s: not quarantined, so there is nothing to release; directpath unmark --now %s gives a marked device back to the host",
		       bdf, bdf);
		return -ENOENT;
	}
	if (q == -ENAMETOOLONG)
		return q; /* the record could not be removed either */
	/* An untrusted record (logged) still holds the device: release it, without its header. */
	r = dp_lease_acquire(ctx, bdf, RELEASE_OWNER, &lease);
	if (r < 0)
		return r; /* -EBUSY: a running VM has it (logged) */
	r = live_driver(ctx, bdf, driver, sizeof(driver), &vfio);
	if (r == 0 && !vfio) {
		dp_err(ctx, "%s: %s%s, not %s or another VFIO driver, so the library cannot reset it; bind it with directpath mark --now %s, then release it",
		       bdf, driver[0] ? "bound to " : "unbound", driver, DP_VFIO_PCI_DRIVER, bdf);
		r = -ENODEV;
	}
	if (r < 0)
		goto out;
	if (q == 1 && rec.before.valid && !(flags & DP_DEVICE_RELEASE_FORCE)) {
		before = rec.before; /* as it was before the library first reset it */
	} else {
		r = dp_reset_snapshot_take(ctx, bdf, &before);
		if (r < 0)
			goto out;
		dp_info(ctx, "%s: to be verified against its config header as it is now%s", bdf,
			flags & DP_DEVICE_RELEASE_FORCE ? " (force)" : ": its record holds none it can trust");
	}
	r = reset_through_vfio(ctx, bdf, dev->info.iommu_group);
	if (r < 0)
		goto out;
	r = verify(ctx, bdf, &before, "at release", reason, sizeof(reason));
	if (r < 0) {
		dp_quarantine_add_before(ctx, bdf, reason, &before); /* still held, with the new reason */
		r = -EIO;
		goto out;
	}
	r = dp_quarantine_remove(ctx, bdf);
	if (r < 0)
		goto out;
	if (marked_now(ctx, bdf)) {
		dp_notice(ctx, "%s: released; it stays on %s because it is marked for passthrough (directpath unmark --now %s gives it to the host)",
			  bdf, driver, bdf);
		goto out;
	}
	dp_info(ctx, "%s: released; giving it back to the host", bdf);
	/* Not marked: unmarking with APPLY clears driver_override, unbinds and probes (mark.c). */
	r = dp_device_set_passthrough(dev, 0, DP_MARK_APPLY);
out:
	dp_lease_release(lease);
	return r;
}
