/* SPDX-License-Identifier: MIT */
/* The host inventory: devices as one scan saw them. */
#ifndef DP_INVENTORY_H
#define DP_INVENTORY_H

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "internal.h"

/* "0000:00:00.0" plus NUL, with room for 8-digit domains */
#define DP_BDF_LEN 17

/* Whether bdf is one of n normalized BDFs (a VM's, in a check). */
static inline bool dp_bdf_in(char (*bdfs)[DP_BDF_LEN], size_t n, const char *bdf)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(bdfs[i], bdf) == 0)
			return true;
	return false;
}

/*
 * Facts read at the first call that needs them rather than by the scan,
 * then kept: what a listing does not print and the attach path does not
 * need every time. dp_device.loaded says which have been read.
 */
#define DP_DEVICE_LOADED_NAMES    (1u << 0) /* vendor_name, device_name (pci.ids) */
#define DP_DEVICE_LOADED_OVERRIDE (1u << 1) /* driver_override */
#define DP_DEVICE_LOADED_RESET    (1u << 2) /* reset_methods, has_reset_method */
#define DP_DEVICE_LOADED_ALL      (DP_DEVICE_LOADED_NAMES | DP_DEVICE_LOADED_OVERRIDE | \
				   DP_DEVICE_LOADED_RESET)

struct dp_device {
	int refcount;        /* the caller's references */
	bool in_inventory;   /* the ctx's list still holds it */
	struct dp_ctx *ctx;  /* owned while refcount > 0 */
	char bdf[DP_BDF_LEN];
	struct dp_device_info info;
	unsigned loaded;     /* DP_DEVICE_LOADED_*: the lazy facts read so far */
	const char *vendor_name; /* borrowed from the ctx's pci.ids */
	const char *device_name;
	char *driver;
	char *driver_override;
	char *reset_methods;
	bool has_reset_method;
	char derived_reset[48];  /* reset methods derived from capabilities (resetmethod.c) */
	uint8_t secondary_bus;   /* a PCI-to-PCI bridge's buses, from config space; 0: none */
	uint8_t subordinate_bus;
	char *physfn;
	/* vfio-dev/vfioN: the driver registered it with VFIO ("" none), and its cdev (vfiodev.c). */
	char vfio_dev[16];
	bool vfio_cdev;
	uint32_t vfio_major, vfio_minor;
	char (*group)[DP_BDF_LEN]; /* members, BDF order */
	size_t group_size;
	/* Which sysfs entry the config space and BARs were read from, for freshness. */
	dev_t sysfs_dev;
	ino_t sysfs_ino;
	bool static_known;   /* they were read without a failure a second read might not have */
};

/* Frees the ctx's inventory, devices and names: the ctx's inventory_free, called at its end. */
void dp_inventory_clear(struct dp_ctx *ctx);

/* dp_inventory_scan flags */
#define DP_SCAN_EAGER (1u << 0) /* read the lazy facts too, during the scan */

/*
 * dp_ctx_scan with flags: reads every function. Without DP_SCAN_EAGER the
 * facts of DP_DEVICE_LOADED_* wait for the first getter that needs them.
 */
int dp_inventory_scan(struct dp_ctx *ctx, unsigned flags);

/*
 * Brings the inventory up to date for the n functions (normalised BDFs),
 * the members of their IOMMU groups and the host capabilities, without a
 * scan of the rest and without pci.ids: what dp_policy_check reads of them
 * is then what a scan now would give. A function whose sysfs entry is the
 * one its config space was read from keeps that; everything else sysfs
 * says (driver, override, group, mark, reset methods, ...) is read again.
 * A function that is gone leaves the inventory; one the inventory lacks is
 * read and added. Devices whose facts did not change stay the same objects.
 * The n functions' driver_override and reset methods are read too.
 * The count and list of a context never scanned stay empty (0 or -errno).
 */
int dp_inventory_refresh(struct dp_ctx *ctx, char (*bdfs)[DP_BDF_LEN], size_t n);

/* Reads the lazy facts in what (DP_DEVICE_LOADED_*) that dev has not read yet. */
void dp_device_load(const struct dp_device *dev, unsigned what);

/*
 * The one BDF normalisation: "03:00.0" or "0000:03:00.0" (any case) into the
 * kernel's lower-case "0000:03:00.0", domains of 5 to 8 digits kept as such.
 * 0, or -EINVAL (nothing written) when malformed.
 */
int dp_bdf_normalize(const char *in, char out[DP_BDF_LEN]);

/*
 * The one BDF lookup: the function of the last scan with this address (any
 * form dp_bdf_normalize takes), found in the scan's numeric order; borrowed.
 * NULL when malformed or absent; logs nothing.
 */
struct dp_device *dp_inventory_lookup(const struct dp_ctx *ctx, const char *bdf);

/* The driverctl file name of a device: "pci-0000:03:00.0". */
#define DP_DRIVERCTL_PREFIX "pci-"

/*
 * Reads driverctl_dir/pci-BDF: 1 when it holds "vfio-pci" or a vfio-pci
 * variant's name (NAME_vfio_pci), 0 when absent, another driver's name, or
 * not trustworthy (logged), never an error. If other is not NULL, it
 * receives the other driver's name (or "").
 */
int dp_mark_read(struct dp_ctx *ctx, int dirfd, const char *bdf, char *other,
		 size_t other_size);

/*
 * The same for dev: a file naming the very driver dev is on
 * is a mark too when that driver registered dev with VFIO (its vfio-dev
 * node), as a vendor's vGPU driver does. 1 or 0.
 */
int dp_mark_read_dev(struct dp_ctx *ctx, int dirfd, const struct dp_device *dev);

/*
 * dp_device_set_passthrough with the mark's driver vfio (enable); unmarking
 * undoes whichever VFIO driver the mark names (mark.c).
 */
int dp_mark_set(struct dp_device *dev, int enable, uint32_t flags, const char *vfio);

/*
 * Writes name in dirfd atomically, mode 0644: a temporary file (O_EXCL,
 * O_NOFOLLOW), fsync, rename over name, fsync of the directory; 0 or -errno
 * (mark.c; the quarantine records use it too).
 */
int dp_write_atomic(int dirfd, const char *name, const char *data, size_t len);

#endif
