/* SPDX-License-Identifier: MIT */
/*
 * The function's VFIO device node: a driver that registers the function
 * with VFIO (vfio-pci, its variants, a vendor driver such as nvidia's for
 * vGPU VFs) gives it /sys/bus/pci/devices/BDF/vfio-dev/vfioN, and with
 * CONFIG_VFIO_DEVICE_CDEV (Linux 6.6+) a dev attribute, the character
 * device /dev/vfio/devices/vfioN.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "parse.h"
#include "procparse.h"
#include "sysfs.h"

#define VFIO_DEV_DIR "vfio-dev"

/* "vfio" and 1 to 10 digits, as the kernel names them. */
static bool vfio_node_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && n <= 14 && strncmp(name, "vfio", 4) == 0 &&
	       strspn(name + 4, "0123456789") == n - 4;
}

int dp_read_vfio_dev(struct dp_ctx *ctx, int dfd, struct dp_device *dev)
{
	char buf[64];
	struct dirent *de;
	DIR *d;
	int vfd, r;

	dev->vfio_dev[0] = '\0';
	dev->vfio_cdev = false;
	dev->vfio_major = dev->vfio_minor = 0;
	if (!dev->driver)
		return 0; /* only a bound driver registers it */
	vfd = openat(dfd, VFIO_DEV_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (vfd < 0)
		return errno == ENOMEM ? -ENOMEM : 0;
	d = fdopendir(vfd);
	if (!d) {
		close(vfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		if (!vfio_node_name(de->d_name))
			continue;
		if (dev->vfio_dev[0]) {
			dp_warn(ctx, "%s: %s holds both %s and %s; taking the first", dev->bdf,
				VFIO_DEV_DIR, dev->vfio_dev, de->d_name);
			continue;
		}
		snprintf(dev->vfio_dev, sizeof(dev->vfio_dev), "%s", de->d_name);
	}
	if (dev->vfio_dev[0]) {
		char rel[sizeof(dev->vfio_dev) + 8];

		snprintf(rel, sizeof(rel), "%s/dev", dev->vfio_dev);
		r = dp_sysfs_read(vfd, rel, buf, sizeof(buf));
		if (r > 0 && dp_devnum_parse(buf, (size_t)r, &dev->vfio_major, &dev->vfio_minor) == 0)
			dev->vfio_cdev = true;
		else if (r != -ENOENT)
			dp_warn_attr(ctx, dev->bdf, VFIO_DEV_DIR "/vfioN/dev", r < 0 ? r : -EINVAL);
	}
	closedir(d);
	return 0;
}

const char *dp_device_get_vfio_dev(const struct dp_device *dev)
{
	return dev && dev->vfio_dev[0] ? dev->vfio_dev : NULL;
}

int dp_device_get_vfio_devnum(const struct dp_device *dev, uint32_t *major, uint32_t *minor)
{
	if (!dev || dp_bug_on(dev->ctx, !major) || dp_bug_on(dev->ctx, !minor))
		return -EINVAL;
	if (!dev->vfio_cdev)
		return -ENOENT;
	*major = dev->vfio_major;
	*minor = dev->vfio_minor;
	return 0;
}
