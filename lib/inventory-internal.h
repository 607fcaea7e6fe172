/* SPDX-License-Identifier: MIT */
/*
 * What the files of the inventory share: inventory.c (the scan, the
 * context's list), inventory-read.c (one function's facts), device.c (the
 * device object, its getters, the lazy facts) and inventory-refresh.c
 * (dp_attach's partial refresh).
 */
#ifndef DP_INVENTORY_INTERNAL_H
#define DP_INVENTORY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "inventory.h"

/* How dp_read_function reads a function. */
struct read_opts {
	bool have_static;    /* what static_facts and the fixed sysfs facts say is known */
	bool crosscheck;     /* compare the kernel's ID attributes with config space */
	bool vfs_from_pfs;   /* a scan: VFs are found from their PFs' links afterwards (mark_vfs) */
	unsigned load;       /* the lazy facts to read now (DP_DEVICE_LOADED_*) */
	bool short_warned;   /* said once per scan: config space cut to the header */
};

/* No filesystem: the entries of a listing whose filesystem is unknown are never the same. */
#define FS_UNKNOWN ((dev_t)-1)

/* The inventory's order: domain, bus, device, function, as numbers (not as text). */
static inline uint64_t dp_bdf_key(uint32_t domain, uint8_t bus, uint8_t dev, uint8_t func)
{
	return (uint64_t)domain << 16 | (uint64_t)bus << 8 | (uint64_t)dev << 3 | func;
}

static inline uint64_t dp_dev_key(const struct dp_device *d)
{
	return dp_bdf_key(d->info.domain, d->info.bus, d->info.dev, d->info.func);
}

/* device.c */

/* Frees dev and what it owns, whatever its references. */
void dp_device_free(struct dp_device *dev);

/* Takes dev out of the ctx's list; it lives on while the caller holds it. */
void dp_leave_inventory(struct dp_device *dev);

/* A device of this address, not yet read; NULL when out of memory. */
struct dp_device *dp_device_new(struct dp_ctx *ctx, uint32_t domain, uint8_t bus,
				 uint8_t slot, uint8_t func);

/* The lazy facts in what, read through the open directory dfd (-1: by path). */
int dp_device_load_at(struct dp_device *dev, int dfd, unsigned what);

/* vfiodev.c: the vfio-dev node of a bound function, through its directory dfd; 0 or -ENOMEM. */
int dp_read_vfio_dev(struct dp_ctx *ctx, int dfd, struct dp_device *dev);

/* inventory-read.c */

/* Warns that a sysfs attribute of bdf is garbage or unreadable (r), so unknown. */
void dp_warn_attr(struct dp_ctx *ctx, const char *bdf, const char *attr,
		  int r);

/*
 * Reads the function devices_fd/dev->bdf as ro says: its static facts
 * (unless known), its sysfs facts, and lazy ones now. 0, -ENOENT when its
 * directory is gone, or -ENOMEM.
 */
int dp_read_function(struct dp_ctx *ctx, int devices_fd, struct dp_device *dev,
		     struct read_opts *ro);

/* The members of dev's IOMMU group, sorted, into dev; 0 or -ENOMEM. */
int dp_read_group(struct dp_ctx *ctx, int groups_fd, struct dp_device *dev);

/* Copies the member list of an earlier device in the same group; 0 or -ENOMEM. */
int dp_copy_group(struct dp_device *dst, const struct dp_device *src);

/* inventory.c */

/* Where the function with key want is, or would go, in the ctx's list. */
size_t dp_position(const struct dp_ctx *ctx, uint64_t want, bool *found);

/* The driverctl directory, or -1 (a warning unless it is simply absent). */
int dp_open_marks(struct dp_ctx *ctx);

/*
 * /sys/bus/pci/devices, and the filesystem it is on (FS_UNKNOWN when fstat
 * fails); -ENODEV (logged) when there is no PCI bus.
 */
int dp_open_devices(struct dp_ctx *ctx, dev_t *fs);

#endif
