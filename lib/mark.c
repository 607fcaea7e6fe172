/* SPDX-License-Identifier: MIT */
/*
 * Marking devices available for passthrough: the admin's choice persists as
 * a driverctl file (pci-BDF holding "vfio-pci", or the VFIO driver the admin
 * named: a vfio-pci variant, or a vendor driver, mark-driver.c), and may be applied at once
 * through driver_override, unbind and drivers_probe, as driverctl and
 * libvirt's managed mode do.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "quote.h"
#include "sysfs.h"
#include "vfiodriver.h"

#define MARK_FILE_MAX 4096

/* Reads a driverctl file into buf; 1 found, 0 absent, <0 untrustworthy (logged). */
static int read_mark_file(struct dp_ctx *ctx, int dirfd, const char *name,
			  char *buf, size_t size, size_t *len_out)
{
	struct stat st;
	size_t len = 0;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		dp_warn(ctx, "%s/%s: %s; not trusted as a passthrough mark",
			ctx->driverctl_dir, name,
			errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -EACCES;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		dp_warn(ctx, "%s/%s: %s; not trusted as a passthrough mark",
			ctx->driverctl_dir, name, strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MARK_FILE_MAX) {
		dp_warn(ctx, "%s/%s: %s; not trusted as a passthrough mark",
			ctx->driverctl_dir, name,
			!S_ISREG(st.st_mode) ? "not a regular file" : "larger than 4 KiB");
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		size_t want = size - 1 - len;
		ssize_t n = read(fd, buf + len, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dp_warn(ctx, "%s/%s: %s; not trusted as a passthrough mark",
				ctx->driverctl_dir, name, strerror(errno));
			close(fd);
			return -EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			dp_warn(ctx, "%s/%s: larger than 4 KiB; not trusted as a passthrough mark",
				ctx->driverctl_dir, name);
			close(fd);
			return -EINVAL;
		}
		if ((size_t)n < want)
			break; /* a regular file's end */
	}
	close(fd);
	buf[len] = '\0';
	*len_out = len;
	return 1;
}

/* dp_mark_read; with dev, a file naming dev's driver, which registered it with VFIO, marks it too. */
static int mark_read(struct dp_ctx *ctx, int dirfd, const char *bdf, const struct dp_device *dev,
		     char *other, size_t other_size)
{
	char name[DP_BDF_LEN + sizeof(DP_DRIVERCTL_PREFIX)];
	char buf[MARK_FILE_MAX + 2], q[DP_QUOTE_SIZE(64)];
	size_t len;
	int r;

	if (other && other_size)
		other[0] = '\0';
	snprintf(name, sizeof(name), DP_DRIVERCTL_PREFIX "%s", bdf);
	r = read_mark_file(ctx, dirfd, name, buf, sizeof(buf), &len);
	if (r <= 0)
		return 0;
	if (memchr(buf, '\0', len)) {
		dp_warn(ctx, "%s/%s: holds a NUL byte; not trusted as a passthrough mark",
			ctx->driverctl_dir, name);
		return 0;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (dp_vfio_pci_family(buf) && dp_driver_name_valid(buf))
		return 1; /* vfio-pci, or a variant: NAME_vfio_pci */
	if (dev && dev->driver && dev->vfio_dev[0] && strcmp(buf, dev->driver) == 0)
		return 1; /* a vendor driver's own VFIO device, as nvidia's vGPU VFs */
	if (len == 0)
		dp_warn(ctx, "%s/%s: empty (truncated?); not a passthrough mark",
			ctx->driverctl_dir, name);
	else
		dp_warn(ctx, "%s/%s: overrides the driver to \"%s\", not %s; not a passthrough mark",
			ctx->driverctl_dir, name, dp_quote(q, sizeof(q), buf), DP_VFIO_PCI_DRIVER);
	if (other && other_size)
		snprintf(other, other_size, "%s", buf);
	return 0;
}

int dp_mark_read(struct dp_ctx *ctx, int dirfd, const char *bdf, char *other,
		 size_t other_size)
{
	return mark_read(ctx, dirfd, bdf, NULL, other, other_size);
}

int dp_mark_read_dev(struct dp_ctx *ctx, int dirfd, const struct dp_device *dev)
{
	return mark_read(ctx, dirfd, dev->bdf, dev, NULL, 0);
}

/* mkdir -p for the driverctl directory; 0 or -errno. */
static int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The state a failed change returns to. */
struct mark_state {
	bool had_file;
	char file[MARK_FILE_MAX + 2];
	size_t file_len;
	char driver[256];      /* "" when unbound */
	char override[256];    /* "" when unset */
};

int dp_write_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[64 + DP_BDF_LEN];
	ssize_t n;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	n = r ? -1 : write(fd, data, len);
	if (!r && n < 0)
		r = -errno;
	else if (!r && (size_t)n != len)
		r = -EIO;
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

static int remove_file(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* The device's live driver and override, not the scan's. */
static void read_binding(int devfd, char *driver, size_t dsize, char *override,
			 size_t osize)
{
	if (dp_sysfs_readlink_base(devfd, "driver", driver, dsize) < 0)
		driver[0] = '\0';
	if (dp_sysfs_read(devfd, "driver_override", override, osize) < 0 ||
	    strcmp(override, "(null)") == 0)
		override[0] = '\0';
}

static int write_driver_file(const char *driver, const char *file,
			     const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", DP_SYS_PCI_DRIVERS, driver, file);
	return dp_sysfs_write(AT_FDCWD, path, bdf);
}

/* Puts the binding back as it was: override, then the old driver. */
static void restore_binding(struct dp_ctx *ctx, struct dp_device *dev, int devfd,
			    const struct mark_state *old)
{
	char driver[256], override[256];
	int r;

	r = dp_sysfs_write(devfd, "driver_override", old->override[0] ? old->override : "\n");
	if (r < 0)
		dp_err(ctx, "%s: could not restore driver_override \"%s\": %s", dev->bdf,
		       old->override, strerror(-r));
	read_binding(devfd, driver, sizeof(driver), override, sizeof(override));
	if (strcmp(driver, old->driver) == 0)
		return;
	if (driver[0] && (r = dp_sysfs_write(devfd, "driver/unbind", dev->bdf)) < 0)
		dp_err(ctx, "%s: could not unbind from %s while restoring: %s", dev->bdf,
		       driver, strerror(-r));
	if (old->driver[0] && (r = write_driver_file(old->driver, "bind", dev->bdf)) < 0)
		dp_err(ctx, "%s: could not bind %s again: %s", dev->bdf, old->driver,
		       strerror(-r));
}

/*
 * Binds to vfio (the mark's driver) now (enable) or gives the device back to
 * the host (disable). A vendor driver that registered the device with VFIO
 * is the host's driver too: unmarking leaves the device on it.
 */
static int apply_binding(struct dp_ctx *ctx, struct dp_device *dev, int devfd,
			 bool enable, const struct mark_state *old, const char *vfio)
{
	char driver[256], override[256];
	int r;

	if (enable) {
		r = dp_sysfs_write(devfd, "driver_override", vfio);
		if (r < 0) {
			dp_err(ctx, "%s: cannot write driver_override: %s", dev->bdf, strerror(-r));
			return r;
		}
		if (strcmp(old->driver, vfio) == 0)
			return 0;
	} else {
		if (strcmp(old->override, vfio) == 0) {
			r = dp_sysfs_write(devfd, "driver_override", "\n");
			if (r < 0) {
				dp_err(ctx, "%s: cannot clear driver_override: %s", dev->bdf,
				       strerror(-r));
				return r;
			}
		}
		if (strcmp(old->driver, vfio) != 0 || !dp_vfio_pci_family(vfio))
			return 0;
	}
	if (old->driver[0]) {
		r = dp_sysfs_write(devfd, "driver/unbind", dev->bdf);
		if (r < 0) {
			dp_err(ctx, "%s: cannot unbind from %s: %s", dev->bdf, old->driver,
			       strerror(-r));
			restore_binding(ctx, dev, devfd, old);
			return r;
		}
	}
	r = dp_sysfs_write(AT_FDCWD, DP_SYS_PCI_DRIVERS_PROBE, dev->bdf);
	if (r < 0)
		dp_dbg(ctx, "%s: drivers_probe: %s", dev->bdf, strerror(-r));
	read_binding(devfd, driver, sizeof(driver), override, sizeof(override));
	if (enable ? strcmp(driver, vfio) != 0 : strcmp(driver, vfio) == 0) {
		dp_err(ctx, "%s: %s%s after the probe, not %s; the previous binding (%s) was restored",
		       dev->bdf, driver[0] ? "bound to " : "unbound", driver,
		       enable ? vfio : "a host driver",
		       old->driver[0] ? old->driver : "unbound");
		restore_binding(ctx, dev, devfd, old);
		return -EIO;
	}
	dp_info(ctx, "%s: now %s%s", dev->bdf, driver[0] ? "bound to " : "unbound",
		driver);
	return 0;
}

/* Looks up a BDF's driver in the inventory, for messages. */
static const char *driver_of(const struct dp_ctx *ctx, const char *bdf)
{
	const struct dp_device *d = dp_inventory_lookup(ctx, bdf);

	if (!d)
		return "not scanned";
	return d->driver ? d->driver : "no driver";
}

/* Only a whole group can go to a VM: name the members that must follow. */
static void log_group(struct dp_ctx *ctx, const struct dp_device *dev)
{
	char msg[1024];
	size_t len = 0, others = 0;

	msg[0] = '\0';
	for (size_t i = 0; i < dev->group_size; i++) {
		if (strcmp(dev->group[i], dev->bdf) == 0)
			continue;
		others++;
		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s (%s)",
						others > 1 ? ", " : "", dev->group[i],
						driver_of(ctx, dev->group[i]));
	}
	if (others)
		dp_notice(ctx, "%s: IOMMU group %d also holds %s; they go to a VM only together, so mark them too or leave them unbound",
			  dev->bdf, dev->info.iommu_group, msg);
}

static int refuse(struct dp_ctx *ctx, const struct dp_device *dev)
{
	const char *what = dev->info.flags & DP_DEVICE_HOST_BRIDGE ? "a host bridge"
			   : dev->info.flags & DP_DEVICE_BRIDGE  ? "a PCI bridge"
			   : dev->info.flags & DP_DEVICE_BOOT_VGA ? "the boot VGA device"
								  : NULL;

	if (!what && (dev->info.flags & DP_DEVICE_CONFIG_UNREADABLE)) {
		/* Unknown is not eligible: it may be a bridge or the host's own device. */
		dp_err(ctx, "%s: its config space could not be read, so what it is cannot be known; passing it through may take a bridge or a device from the host (force to override)",
		       dev->bdf);
		return -EPERM;
	}
	if (!what)
		return 0;
	dp_err(ctx, "%s: is %s; passing it through takes it from the host (force to override)",
	       dev->bdf, what);
	return -EPERM;
}

/* A quarantined device goes back to the host only through a release, which verifies it first. */
static int refuse_quarantined(const struct dp_device *dev)
{
	char *reason = NULL;
	int q = dp_device_get_quarantine(dev, &reason);

	if (q <= 0)
		return q == -ENOMEM ? q : 0;
	dp_err(dev->ctx, "%s: quarantined (%s), so it is not given back to the host unverified; directpath release %s resets it, verifies it and gives it back",
	       dev->bdf, reason, dev->bdf);
	free(reason);
	return -EBUSY;
}

int dp_device_set_passthrough(struct dp_device *dev, int enable, uint32_t flags)
{
	return dp_mark_set(dev, enable, flags, DP_VFIO_PCI_DRIVER);
}

/* The driver a mark file's text names, trailing white space removed, into buf ("" none). */
static void mark_driver(const char *file, size_t len, char *buf, size_t size)
{
	while (len > 0 && (file[len - 1] == '\n' || file[len - 1] == '\t' ||
			   file[len - 1] == '\r' || file[len - 1] == ' '))
		len--;
	snprintf(buf, size, "%.*s", (int)len, file);
	if (memchr(file, '\0', len) || !dp_driver_name_valid(buf))
		buf[0] = '\0';
}

int dp_mark_set(struct dp_device *dev, int enable, uint32_t flags, const char *vfio)
{
	struct dp_ctx *ctx = dev ? dev->ctx : NULL;
	char name[DP_BDF_LEN + sizeof(DP_DRIVERCTL_PREFIX)];
	char devpath[PATH_MAX], content[DP_VFIO_DRIVER_PATTERN_MAX + 2], marked[256];
	char drvdir[sizeof(DP_SYS_PCI_DRIVERS) + DP_VFIO_DRIVER_PATTERN_MAX + 2];
	struct mark_state *old = NULL;
	char *new_driver = NULL, *new_override = NULL;
	int dirfd = -1, devfd = -1, r;
	bool file_changed = false, is_mark = false;

	if (!dev)
		return -EINVAL;
	if (flags & ~(DP_MARK_APPLY | DP_MARK_FORCE)) {
		dp_err(ctx, "BUG: dp_device_set_passthrough: unknown flags %#x",
		       flags & ~(DP_MARK_APPLY | DP_MARK_FORCE));
		return -EINVAL;
	}
	if (enable && !(flags & DP_MARK_FORCE) && (r = refuse(ctx, dev)) < 0)
		return r;
	if (enable)
		log_group(ctx, dev);
	if (!enable && (flags & DP_MARK_APPLY) && (r = refuse_quarantined(dev)) < 0)
		return r;

	old = calloc(1, sizeof(*old));
	/* Room for the binding's names, taken before anything changes. */
	if (old && (flags & DP_MARK_APPLY)) {
		new_driver = malloc(sizeof(old->driver));
		new_override = malloc(sizeof(old->override));
	}
	if (!old || ((flags & DP_MARK_APPLY) && (!new_driver || !new_override))) {
		free(new_driver);
		free(new_override);
		free(old);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), DP_DRIVERCTL_PREFIX "%s", dev->bdf);
	if (flags & DP_MARK_APPLY) {
		snprintf(devpath, sizeof(devpath), "%s/%s", DP_SYS_PCI_DEVICES, dev->bdf);
		devfd = open(devpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (devfd < 0) {
			r = errno == ENOENT ? -ENODEV : -errno;
			dp_err(ctx, "%s: %s: %s", dev->bdf, devpath, strerror(errno));
			goto out;
		}
		read_binding(devfd, old->driver, sizeof(old->driver), old->override,
			     sizeof(old->override));
		snprintf(drvdir, sizeof(drvdir), DP_SYS_PCI_DRIVERS "/%s", vfio);
		if (enable && access(drvdir, F_OK) < 0) {
			dp_err(ctx, "%s: the %s driver is not loaded (modprobe %s)", dev->bdf, vfio, vfio);
			r = -ENODEV;
			goto out;
		}
	}

	r = make_dirs(ctx->driverctl_dir);
	if (r == 0) {
		dirfd = open(ctx->driverctl_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dirfd < 0 ? -errno : 0;
	}
	if (r < 0) {
		dp_err(ctx, "%s: %s", ctx->driverctl_dir, strerror(-r));
		goto out;
	}
	r = read_mark_file(ctx, dirfd, name, old->file, sizeof(old->file), &old->file_len);
	old->had_file = r == 1;
	/* Unmarking undoes the mark's own driver: vfio-pci, a variant or the vendor's. */
	mark_driver(old->had_file ? old->file : "", old->had_file ? old->file_len : 0, marked,
		    sizeof(marked));
	is_mark = !enable && old->had_file && dp_mark_read_dev(ctx, dirfd, dev) == 1;
	if (!enable)
		vfio = is_mark ? marked : DP_VFIO_PCI_DRIVER;

	if (enable) {
		snprintf(content, sizeof(content), "%s\n", vfio);
		r = dp_write_atomic(dirfd, name, content, strlen(content));
		file_changed = true;
	} else {
		char q[DP_QUOTE_SIZE(64)];

		if (is_mark) {
			r = remove_file(dirfd, name);
			file_changed = true;
		} else {
			r = 0;
			if (marked[0])
				dp_warn(ctx, "%s: %s/%s belongs to driverctl's override to %s; left alone",
					dev->bdf, ctx->driverctl_dir, name,
					dp_quote(q, sizeof(q), marked));
		}
	}
	if (r < 0) {
		dp_err(ctx, "%s: cannot %s %s/%s: %s", dev->bdf, enable ? "write" : "remove",
		       ctx->driverctl_dir, name, strerror(-r));
		goto out;
	}

	if (flags & DP_MARK_APPLY) {
		r = apply_binding(ctx, dev, devfd, enable, old, vfio);
		if (r < 0)
			goto out;
	}

	if (enable)
		dev->info.flags |= DP_DEVICE_MARKED;
	else
		dev->info.flags &= ~DP_DEVICE_MARKED;
	if (devfd >= 0) {
		/* Into the buffers taken up front: nothing can fail after the change. */
		read_binding(devfd, new_driver, sizeof(old->driver), new_override,
			     sizeof(old->override));
		free(dev->driver);
		free(dev->driver_override);
		dev->driver = new_driver[0] ? new_driver : NULL;
		dev->driver_override = new_override[0] ? new_override : NULL;
		dev->loaded |= DP_DEVICE_LOADED_OVERRIDE;
		/* The new driver's vfio-dev node, or none: out of memory reads as none. */
		dp_read_vfio_dev(ctx, devfd, dev);
		if (dev->driver)
			new_driver = NULL;
		if (dev->driver_override)
			new_override = NULL;
	}
	dp_info(ctx, "%s: %s for passthrough%s", dev->bdf, enable ? "marked" : "unmarked",
		flags & DP_MARK_APPLY ? ", applied now" : " (applied at the next boot or rebind)");
	r = 0;
out:
	if (r < 0 && file_changed) {
		int u = old->had_file ? dp_write_atomic(dirfd, name, old->file, old->file_len)
				      : remove_file(dirfd, name);

		if (u < 0)
			dp_err(ctx, "%s: could not restore %s/%s: %s", dev->bdf,
			       ctx->driverctl_dir, name, strerror(-u));
	}
	if (dirfd >= 0)
		close(dirfd);
	if (devfd >= 0)
		close(devfd);
	free(new_driver);
	free(new_override);
	free(old);
	return r;
}
