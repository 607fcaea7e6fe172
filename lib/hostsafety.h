/* SPDX-License-Identifier: MIT */
/* What passing a device through risks for the host and the VM beyond the basic rules (hostsafety.c). */
#ifndef DP_HOSTSAFETY_H
#define DP_HOSTSAFETY_H

#include "inventory.h"
#include "policy.h"
#include "report.h"
#include "vm.h"

/*
 * The findings of the device's IOMMU group's reserved regions: a direct
 * region (RMRR, IVMD) by direct_regions, a relaxable one as a warning, and
 * an msi or reserved region that the VM's RAM covers as an error. Nothing
 * when the device is in no group; a file that cannot be read or parsed is
 * logged and reported as a warning, and the check goes on.
 */
int dp_check_reserved_regions(const struct dp_policy *p, const struct dp_vm *vm,
			      const struct dp_device *dev, struct dp_report *rep);

/*
 * The findings of what the host loses with the device (hostuse-check.c):
 * its USB keyboards and other HIDs by host_input_devices, USB storage and
 * mounted block devices by host_storage, the root or /boot filesystem by
 * host_boot_filesystem, the default route by host_default_route, the
 * framebuffer console by host_console, and a warning for what could not be
 * read whole. Nothing is read when all five rules are allow. 0 or -ENOMEM.
 */
int dp_check_host_use(const struct dp_policy *p, const struct dp_device *dev, struct dp_report *rep);

#endif
