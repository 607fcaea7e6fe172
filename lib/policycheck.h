/* SPDX-License-Identifier: MIT */
/* check.c's entry for the library itself (not check.h: that name is the check framework's). */
#ifndef DP_POLICYCHECK_H
#define DP_POLICYCHECK_H

#include "internal.h"
#include "inventory.h"

/*
 * dp_policy_check on the inventory as it stands, with no scan: for a caller
 * that brought it up to date itself (dp_attach, through dp_inventory_refresh).
 * policy, vm and out are not NULL, and vm belongs to policy's context.
 */
int dp_policy_check_inventory(struct dp_policy *policy, const struct dp_vm *vm,
			      struct dp_report **out);

/*
 * A hot add's check: the VM like (its name and settings) with its n - 1
 * functions bdfs and bdfs[n - 1], what the rules read of them read again,
 * then every rule; their own leases are not held against them. 0 allowed,
 * -EPERM denied (each finding logged), or -errno (hotplug.c).
 */
int dp_policy_check_addition(struct dp_policy *policy, const struct dp_vm *like,
			     char (*bdfs)[DP_BDF_LEN], size_t n);

struct dp_selection;

/*
 * The same, with the VM's ID and label requests resolved into leased
 * (select.h), whose take and release the caller (the backend) set, so that
 * each request's function is leased as it is chosen; the caller frees it.
 * NULL: resolved as a check does, without leases. A request's function is
 * not found leased by its own lease.
 */
int dp_policy_check_select(struct dp_policy *policy, const struct dp_vm *vm,
			   struct dp_selection *leased, struct dp_report **out);

/*
 * Every per-device rule on dev as one of the VM's n functions bdfs (the group,
 * the reset, the lease when lease, the quarantine, reserved regions, host use,
 * the ROM): a request's candidates pass the same rules as named devices.
 */
int dp_check_device_rules(struct dp_policy *policy, const struct dp_vm *vm,
			  const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			  bool lease, struct dp_report *rep);

/*
 * dev's driver under vfio_drivers: recorded for the report's JSON, finding
 * 42 on a listed VFIO driver other than vfio-pci, 43 on an unlisted one
 * (check-vfiodriver.c).
 */
int dp_check_vfio_driver(const struct dp_policy *p, const struct dp_device *dev,
			 struct dp_report *rep);

#endif
