/* SPDX-License-Identifier: MIT */
/* The host inventory: devices as one scan saw them. */
#ifndef DP_INVENTORY_H
#define DP_INVENTORY_H

#include <stdbool.h>

#include "internal.h"

/* "0000:00:00.0" plus NUL, with room for 8-digit domains */
#define DP_BDF_LEN 17

struct dp_device {
	int refcount;        /* the caller's references */
	bool in_inventory;   /* the ctx's list still holds it */
	struct dp_ctx *ctx;  /* owned while refcount > 0 */
	char bdf[DP_BDF_LEN];
	struct dp_device_info info;
	char *vendor_name;
	char *device_name;
	char *driver;
	char *driver_override;
	char *reset_methods;
	bool has_reset_method;
	char *physfn;
	char (*group)[DP_BDF_LEN]; /* members, BDF order */
	size_t group_size;
};

/* Drops the ctx's whole device list (rescan, ctx end). */
void dp_inventory_clear(struct dp_ctx *ctx);

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
 * Reads driverctl_dir/pci-BDF: 1 when it holds "vfio-pci", 0 when absent,
 * another driver's name, or not trustworthy (logged), never an error.
 * If other is not NULL, it receives the other driver's name (or "").
 */
int dp_mark_read(struct dp_ctx *ctx, int dirfd, const char *bdf, char *other,
		 size_t other_size);

#endif
