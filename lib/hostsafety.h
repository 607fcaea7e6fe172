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

#endif
