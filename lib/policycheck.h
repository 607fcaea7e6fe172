/* SPDX-License-Identifier: MIT */
/* check.c's entry for the library itself (not check.h: that name is the check framework's). */
#ifndef DP_POLICYCHECK_H
#define DP_POLICYCHECK_H

#include "internal.h"

/*
 * dp_policy_check on the inventory as it stands, with no scan: for a caller
 * that brought it up to date itself (dp_attach, through dp_inventory_refresh).
 * policy, vm and out are not NULL, and vm belongs to policy's context.
 */
int dp_policy_check_inventory(struct dp_policy *policy, const struct dp_vm *vm,
			      struct dp_report **out);

#endif
