/* SPDX-License-Identifier: MIT */
/* The device object: its references, its getters, and the facts it reads when first asked. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "pciids.h"
#include "sysfs.h"

void dp_device_free(struct dp_device *dev)
{
	free(dev->driver);
	free(dev->driver_override);
	free(dev->reset_methods);
	free(dev->physfn);
	free(dev->group);
	free(dev);
}

/* Takes dev out of the ctx's list; it lives on while the caller holds it. */
void dp_leave_inventory(struct dp_device *dev)
{
	dev->in_inventory = false;
	if (dev->refcount == 0)
		dp_device_free(dev);
}

struct dp_device *dp_device_ref(struct dp_device *dev)
{
	if (!dev)
		return NULL;
	if (dev->refcount++ == 0)
		dp_ctx_ref(dev->ctx);
	return dev;
}

struct dp_device *dp_device_unref(struct dp_device *dev)
{
	struct dp_ctx *ctx;

	if (!dev || dev->refcount <= 0)
		return NULL;
	if (--dev->refcount > 0)
		return NULL;
	ctx = dev->ctx;
	if (!dev->in_inventory)
		dp_device_free(dev);
	dp_ctx_unref(ctx); /* may end the ctx, and with it the inventory */
	return NULL;
}

/* The lazy driver_override: "(null)" and "" are none. */
static int load_override(struct dp_device *dev, int dfd)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_read(dfd, "driver_override", buf, sizeof(buf));

	free(dev->driver_override);
	dev->driver_override = NULL;
	if (r > 0 && strcmp(buf, "(null)") != 0 && !(dev->driver_override = strdup(buf)))
		return -ENOMEM;
	if (r < 0 && r != -ENOENT)
		dp_warn_attr(dev->ctx, dev->bdf, "driver_override", r);
	dev->loaded |= DP_DEVICE_LOADED_OVERRIDE;
	return 0;
}

/* The lazy reset_method: the kernel's list, "" when every method is off; absent is unknown. */
static int load_reset(struct dp_device *dev, int dfd)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_read(dfd, "reset_method", buf, sizeof(buf));

	free(dev->reset_methods);
	dev->reset_methods = NULL;
	dev->has_reset_method = false;
	if (r >= 0) {
		if (!(dev->reset_methods = strdup(buf)))
			return -ENOMEM;
		dev->has_reset_method = true;
	} else if (r != -ENOENT) {
		dp_warn_attr(dev->ctx, dev->bdf, "reset_method", r);
	}
	dev->loaded |= DP_DEVICE_LOADED_RESET;
	return 0;
}

/* The lazy names: pci.ids is read at the first name any device of the ctx asks for. */
static void load_names(struct dp_device *dev)
{
	struct dp_pciids *ids = dp_pciids_get(dev->ctx);

	dev->vendor_name = dp_pciids_vendor(ids, dev->info.vendor_id);
	dev->device_name = dp_pciids_device(ids, dev->info.vendor_id, dev->info.device_id);
	dev->loaded |= DP_DEVICE_LOADED_NAMES;
}

/* The lazy facts in what, read through the open directory dfd (-1: by path). */
int dp_device_load_at(struct dp_device *dev, int dfd, unsigned what)
{
	unsigned need = what & ~dev->loaded;
	int fd = dfd, r = 0;

	if (need & DP_DEVICE_LOADED_NAMES)
		load_names(dev);
	if (!(need & (DP_DEVICE_LOADED_OVERRIDE | DP_DEVICE_LOADED_RESET)))
		return 0;
	if (fd < 0) {
		char path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1];

		snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, dev->bdf);
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* Gone since the scan: the attributes read as absent, so unknown. */
	}
	if (need & DP_DEVICE_LOADED_OVERRIDE)
		r = dp_first_err(r, load_override(dev, fd));
	if (need & DP_DEVICE_LOADED_RESET)
		r = dp_first_err(r, load_reset(dev, fd));
	if (fd >= 0 && fd != dfd)
		close(fd);
	return r;
}

void dp_device_load(const struct dp_device *cdev, unsigned what)
{
	/* A device is used by one thread at a time; the lazy facts are a cache of what it is. */
	struct dp_device *dev = (struct dp_device *)cdev;

	if (!dev || !(what & ~dev->loaded))
		return;
	if (dp_device_load_at(dev, -1, what) < 0) /* not marked loaded: a later call tries again */
		dp_err(dev->ctx, "%s: out of memory reading its sysfs attributes", dev->bdf);
}

/* A device of this address, not yet read; NULL when out of memory. */
struct dp_device *dp_device_new(struct dp_ctx *ctx, uint32_t domain, uint8_t bus,
				 uint8_t slot, uint8_t func)
{
	struct dp_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->ctx = ctx;
	dev->info.sz = sizeof(dev->info);
	dev->info.domain = domain;
	dev->info.bus = bus;
	dev->info.dev = slot;
	dev->info.func = func;
	snprintf(dev->bdf, sizeof(dev->bdf), "%04x:%02x:%02x.%x", (unsigned)domain, bus, slot,
		 func);
	dev->info.iommu_group = -1;
	dev->info.numa_node = -1;
	return dev;
}

struct dp_ctx *dp_device_get_ctx(const struct dp_device *dev)
{
	return dev ? dev->ctx : NULL;
}

int dp_device_get_info(const struct dp_device *dev, struct dp_device_info *info)
{
	if (!dev || !info)
		return -EINVAL;
	return dp_info_copy_out(info,
				offsetof(struct dp_device_info, rom_size) + sizeof(uint64_t),
				&dev->info, sizeof(dev->info));
}

const char *dp_device_get_bdf(const struct dp_device *dev)
{
	return dev ? dev->bdf : NULL;
}

const char *dp_device_get_vendor_name(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_NAMES);
	return dev ? dev->vendor_name : NULL;
}

const char *dp_device_get_device_name(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_NAMES);
	return dev ? dev->device_name : NULL;
}

const char *dp_device_get_driver(const struct dp_device *dev)
{
	return dev ? dev->driver : NULL;
}

const char *dp_device_get_driver_override(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_OVERRIDE);
	return dev ? dev->driver_override : NULL;
}

const char *dp_device_get_reset_methods(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_RESET);
	return dev && dev->has_reset_method ? dev->reset_methods : NULL;
}

const char *dp_device_get_physfn(const struct dp_device *dev)
{
	return dev ? dev->physfn : NULL;
}

int dp_device_is_marked(const struct dp_device *dev)
{
	return dev && (dev->info.flags & DP_DEVICE_MARKED) ? 1 : 0;
}

size_t dp_device_get_group_size(const struct dp_device *dev)
{
	return dev ? dev->group_size : 0;
}

const char *dp_device_get_group_member(const struct dp_device *dev,
				       size_t index)
{
	if (!dev || index >= dev->group_size)
		return NULL;
	return dev->group[index];
}
