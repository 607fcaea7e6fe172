/* SPDX-License-Identifier: MIT */
/*
 * The drivers that count as ready for passthrough: the policy's vfio_drivers
 * (directpath-policy(5)), its grammar, and the one question every rule asks
 * of a device's driver.
 */
#ifndef DP_VFIODRIVER_H
#define DP_VFIODRIVER_H

#include <stdbool.h>
#include <stddef.h>

struct dp_device;
struct dp_policy;

#define DP_VFIO_DRIVERS_MAX 32        /* entries in one list */
#define DP_VFIO_DRIVER_PATTERN_MAX 64 /* characters of one entry's pattern */
#define DP_VFIO_DRIVERS_DEFAULT "vfio-pci *_vfio_pci *:vfio-dev"
#define DP_VFIO_DRIVERS_KEY "vfio_drivers"
#define DP_VFIO_DEV_CONDITION "vfio-dev"
#define DP_VFIO_VARIANT_SUFFIX "_vfio_pci"

struct dp_vfio_driver_entry {
	char pattern[DP_VFIO_DRIVER_PATTERN_MAX + 1]; /* '*' matches any run of characters */
	bool need_vfio_dev; /* ":vfio-dev": only where the kernel registered the device with VFIO */
};

struct dp_vfio_drivers {
	size_t n;
	struct dp_vfio_driver_entry e[DP_VFIO_DRIVERS_MAX];
	/* The list as directpath policy prints it: entries in order, one space apart. */
	char text[DP_VFIO_DRIVERS_MAX * (DP_VFIO_DRIVER_PATTERN_MAX + sizeof(":" DP_VFIO_DEV_CONDITION))];
};

/*
 * Parses a vfio_drivers value: entries PATTERN[:vfio-dev] separated by
 * blanks or one comma. 0, or -EINVAL with why in why (out untouched).
 */
int dp_vfio_drivers_parse(const char *text, struct dp_vfio_drivers *out, char *why,
			  size_t why_len);

/* Sets list to DP_VFIO_DRIVERS_DEFAULT. */
void dp_vfio_drivers_default(struct dp_vfio_drivers *list);

/* Whether the list takes driver, on a device registered with VFIO (registered) or not. */
bool dp_vfio_drivers_match(const struct dp_vfio_drivers *list, const char *driver,
			   bool registered);

/* DP_VFIO_DRIVER_* of dev: a fact of the inventory, no policy. */
uint32_t dp_vfio_driver_kind(const struct dp_device *dev);

/* A driver's name as the kernel's drivers have them: 1 to 64 of [A-Za-z0-9_.-]. */
bool dp_driver_name_valid(const char *name);

/* Whether a driver's name is vfio-pci's or a vfio-pci variant's (NAME_vfio_pci). */
bool dp_vfio_pci_family(const char *driver);

/* Whether dev's driver is ready for passthrough under policy: the question every rule asks. */
bool dp_vfio_driver_ready(const struct dp_policy *policy, const struct dp_device *dev);

#endif
