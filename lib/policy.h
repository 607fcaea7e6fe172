/* SPDX-License-Identifier: MIT */
#ifndef DP_POLICY_H
#define DP_POLICY_H

#include "internal.h"
#include "vfiodriver.h"

#define DP_RULE_COUNT 26 /* highest rule number + 1 */

struct dp_compat_entry {
	uint32_t vendor, device, subvendor, subdevice; /* DP_ID_ANY: any */
	int level;
	char *name;
	const char *source;  /* one of the policy's sources, or NULL */
	unsigned line;
};

struct dp_policy {
	int refcount;
	struct dp_ctx *ctx;
	int64_t rules[DP_RULE_COUNT];
	struct dp_compat_entry *compat;
	size_t n_compat;
	char **sources;      /* the files entries came from */
	size_t n_sources;
	char *source;        /* the policy file the rules came from, or NULL */
	struct dp_reset_rule *reset_rules; /* per vendor:device reset methods (resetpolicy.c) */
	size_t n_reset_rules;
	struct dp_vfio_drivers vfio_drivers; /* vfio_drivers: ready for passthrough (vfiodriver.c) */
};

/* The severity of a finding under an allow/warn/deny rule that did not allow it. */
static inline uint32_t dp_action_severity(int64_t action)
{
	return action == DP_ACTION_DENY ? DP_SEVERITY_ERROR : DP_SEVERITY_WARNING;
}

/* The level and entry name for IDs; DP_SUPPORT_UNLISTED when nothing matches. */
int dp_compat_lookup(const struct dp_policy *policy, uint32_t vendor, uint32_t device,
		     uint32_t subvendor, uint32_t subdevice, const char **name);
/* Loads every *.list in dir, in name order; a missing dir is no error. */
int dp_compat_load_dir(struct dp_policy *policy, const char *dir);
void dp_compat_free(struct dp_policy *policy);

#endif
