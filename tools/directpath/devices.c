/* SPDX-License-Identifier: MIT */
/* What list and show share: finding a device, its label, flags and eligibility, its JSON. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Base class names (PCI Code and ID Assignment), for the class line of show. */
const char *class_name(uint32_t class_code)
{
	static const char *const names[] = {
		"unclassified device", "mass storage controller",
		"network controller", "display controller",
		"multimedia controller", "memory controller", "bridge",
		"communication controller", "generic system peripheral",
		"input device controller", "docking station", "processor",
		"serial bus controller", "wireless controller",
		"intelligent controller", "satellite communications controller",
		"encryption controller", "signal processing controller",
		"processing accelerator", "non-essential instrumentation",
	};
	uint32_t base = class_code >> 16;

	if (base < sizeof(names) / sizeof(names[0]))
		return names[base];
	if (base == 0x40)
		return "coprocessor";
	return "unassigned class";
}

/* Bits this library has no name for: a newer library's in an older header's tool. */
uint64_t unknown_flags(uint64_t flags)
{
	for (int b = 0; b < 64; b++)
		if (dp_device_flag_name(UINT64_C(1) << b))
			flags &= ~(UINT64_C(1) << b);
	return flags;
}

/* The one-word eligibility hint of list and show, most serious first. */
const char *device_status(const struct dp_device_info *info,
			  size_t group_size,
			  const struct dp_host_caps *caps)
{
	if (info->flags & (DP_DEVICE_BRIDGE | DP_DEVICE_HOST_BRIDGE))
		return "bridge";
	if (info->flags & DP_DEVICE_BOOT_VGA)
		return "boot-vga";
	if (info->flags & DP_DEVICE_CONFIG_UNREADABLE)
		return "config-unreadable";
	if (!(caps->flags & DP_HOST_IOMMU))
		return "no-iommu";
	if (info->iommu_group < 0)
		return "no-group";
	if (group_size > 1)
		return "shared-group";
	return "eligible";
}

const char *status_meaning(const char *status)
{
	if (strcmp(status, "bridge") == 0)
		return "a bridge; marking it needs --force";
	if (strcmp(status, "boot-vga") == 0)
		return "the boot console; marking it needs --force";
	if (strcmp(status, "config-unreadable") == 0)
		return "its config space could not be read, so what it is is unknown; marking it needs --force";
	if (strcmp(status, "no-iommu") == 0)
		return "this host has no IOMMU";
	if (strcmp(status, "no-group") == 0)
		return "in no IOMMU group";
	if (strcmp(status, "shared-group") == 0)
		return "its IOMMU group holds other functions, which must follow it";
	return "can be marked for passthrough";
}

/* Devices. */

int get_info(const struct dp_device *dev, struct dp_device_info *info)
{
	int r;

	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	r = dp_device_get_info(dev, info);
	if (r < 0) {
		err_msg("%s: cannot read its facts: %s", dp_device_get_bdf(dev),
			strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* A device by BDF, scanning first; exit code on failure. */
int find_device(struct cli *cli, const char *bdf,
		struct dp_device **out)
{
	unsigned errors;
	int r;

	if (dp_bdf_parse(bdf, NULL, NULL, NULL, NULL) < 0) {
		err_msg("\"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
			bdf);
		return EXIT_USAGE;
	}
	errors = cli->lib_errors;
	r = dp_ctx_find_device(cli->ctx, bdf, out);
	if (r == -ENODEV) {
		if (cli->lib_errors == errors) /* else the library said so */
			err_msg("%s: no such PCI function on this host", bdf);
		return EXIT_USAGE;
	}
	if (r < 0) {
		err_msg("%s: cannot look it up: %s", bdf, strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int scan(struct cli *cli)
{
	int r = dp_ctx_scan(cli->ctx);

	if (r < 0) {
		err_msg("cannot scan the PCI bus: %s", strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* "Intel Corporation 82599ES ..." from pci.ids, IDs for what it lacks. */
const char *device_label(const struct dp_device *dev,
			 const struct dp_device_info *info, char *buf,
			 size_t len)
{
	const char *v = dp_device_get_vendor_name(dev);
	const char *d = dp_device_get_device_name(dev);

	if (v && d)
		snprintf(buf, len, "%s %s", v, d);
	else if (v)
		snprintf(buf, len, "%s device %04x", v, info->device_id);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* The kernel's reset methods; "-" when it does not report them. */
const char *reset_methods(const struct dp_device *dev)
{
	const char *s = dp_device_get_reset_methods(dev);

	return !s ? "-" : *s ? s : "none";
}

/* The fields list and show share, for JSON. */
int device_json_common(struct json_object *o,
		       const struct dp_device *dev,
		       const struct dp_device_info *info,
		       const char *status)
{
	int e = 0;

	e |= jadd_str(o, "bdf", dp_device_get_bdf(dev));
	e |= jadd_hex(o, "vendor_id", 4, info->vendor_id);
	e |= jadd_hex(o, "device_id", 4, info->device_id);
	e |= jadd_str(o, "vendor_name", dp_device_get_vendor_name(dev));
	e |= jadd_str(o, "device_name", dp_device_get_device_name(dev));
	e |= jadd_hex(o, "class", 6, info->class_code);
	e |= jadd_str(o, "driver", dp_device_get_driver(dev));
	e |= jadd_int_or_null(o, "iommu_group", info->iommu_group);
	e |= jadd_bool(o, "marked", dp_device_is_marked(dev));
	e |= jadd_str(o, "status", status);
	e |= jadd_quarantine(o, dev);
	return e;
}

/* "quarantine": why the device is held on vfio-pci, or null (dp_device_get_quarantine(3)). */
int jadd_quarantine(struct json_object *o, const struct dp_device *dev)
{
	char *reason = NULL;
	int q = dp_device_get_quarantine(dev, &reason), e;

	if (q == -ENOMEM)
		return -1;
	e = jadd_str(o, "quarantine", q > 0 ? reason : NULL);
	free(reason);
	return e;
}

/* show's "quarantine" line, printed only when it is quarantined; -1 when out of memory. */
int show_quarantine(const struct dp_device *dev)
{
	char *reason = NULL;
	int q = dp_device_get_quarantine(dev, &reason);

	if (q == -ENOMEM)
		return -1;
	if (q > 0)
		printf("  %-19s yes: %s (directpath release %s gives it back)\n", "quarantined", reason,
		       dp_device_get_bdf(dev));
	free(reason);
	return 0;
}
