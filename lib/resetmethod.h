/* SPDX-License-Identifier: MIT */
/*
 * How a function resets: the kernel's reset_method list, or one derived from
 * config space where the kernel has none; the policy's per-device order;
 * and the blast radius of a bus reset (every function below the same bridge).
 */
#ifndef DP_RESETMETHOD_H
#define DP_RESETMETHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "inventory.h"

/* Longest method list: every name the kernel knows, once each, with spaces. */
#define DP_RESET_LIST_MAX 64

/* One [device VVVV:DDDD] entry of the policy. */
struct dp_reset_rule {
	uint16_t vendor, device;
	char methods[DP_RESET_LIST_MAX]; /* "flr bus"; "" is none */
	unsigned line;                   /* of the policy file; 0: set by the API */
};

/* The kernel's reset method names, in the kernel's default order; NULL-terminated. */
extern const char *const dp_reset_method_names[];

/*
 * Parses a method list ("flr bus", "none", commas or spaces between names)
 * into out ("flr bus", "" for none). -EINVAL with why in msg when a name is
 * unknown or repeated, "none" is not alone, or the list is empty.
 */
int dp_reset_list_parse(const char *text, char out[DP_RESET_LIST_MAX], char *msg, size_t size);

/* The effective list of dev: the kernel's, or derived; *derived says which. Never NULL. */
const char *dp_reset_effective(const struct dp_device *dev, bool *derived);

/* The bridge above dev's bus, or NULL when dev is on a root bus (borrowed, inventory). */
const struct dp_device *dp_reset_parent(const struct dp_ctx *ctx, const struct dp_device *dev);

/*
 * The functions a reset of dev's bus also resets (below its parent bridge,
 * dev excluded), in BDF order, up to max into out; the count of all of them.
 */
size_t dp_reset_peers(const struct dp_ctx *ctx, const struct dp_device *dev,
		      const struct dp_device **out, size_t max);

/*
 * dp_attach's refresh: the bridge above each of the n functions and every
 * function below it, found through sysfs (where the kernel put the
 * function's directory), read again into the inventory, so that a bus
 * reset's reach is known without a scan. 0 or -errno.
 */
int dp_reset_refresh_around(struct dp_ctx *ctx, char (*bdfs)[DP_BDF_LEN], size_t n);

/* The policy's rule for these IDs, or NULL. */
const struct dp_reset_rule *dp_reset_rule_find(const struct dp_policy *policy, uint16_t vendor,
					       uint16_t device);

/*
 * The methods the library asks the kernel to use for dev, in order: the
 * policy's (those dev has), or dev's own. *rule gets the policy's entry or
 * NULL. "" when none.
 */
void dp_reset_for_device(const struct dp_policy *policy, const struct dp_device *dev,
			 char out[DP_RESET_LIST_MAX], const struct dp_reset_rule **rule);

/*
 * Whether the reset the library causes is a bus reset of dev's bus: the
 * first method is bus or cxl_bus, or there is no function reset and dev
 * sits below a bridge (vfio-pci then resets the whole bus).
 */
bool dp_reset_is_bus(const struct dp_ctx *ctx, const struct dp_device *dev, const char *methods);

/* Policy file: a key of a [device VVVV:DDDD] section; 0, or -errno with dp_inifile_error. */
struct dp_inifile;
int dp_reset_rule_key(struct dp_inifile *f, const char *section, const char *key,
		      const char *value, struct dp_reset_rule **rules, size_t *n);
/* Merges the file's rules into the policy's (same IDs: the file wins); 0 or -ENOMEM. */
int dp_reset_rules_merge(struct dp_policy *policy, const struct dp_reset_rule *rules, size_t n);
void dp_reset_rules_free(struct dp_policy *policy);

/*
 * Before an attach: writes the order the policy sets for dev's IDs into its
 * reset_method (only when it differs), the list it had into saved, and
 * *written. 0 also without an entry; -errno (logged) when it cannot.
 */
int dp_reset_apply(const struct dp_policy *policy, const struct dp_device *dev,
		   char saved[DP_RESET_LIST_MAX], bool *written);
/* After the devices are closed: gives reset_method back what it had, if *written. */
void dp_reset_restore(struct dp_ctx *ctx, const char *bdf, const char *saved, bool *written);

/* dp_policy_check's findings 15 (no-reset-method) and 27 (shared-reset) for dev in a VM of bdfs. */
int dp_check_reset(const struct dp_policy *policy, const struct dp_ctx *ctx,
			  const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			  struct dp_report *rep);
/* Finding 15's test: the reset the library would use, and the policy entry that removed it. */
bool dp_reset_available(const struct dp_policy *policy, const struct dp_device *dev,
			const struct dp_reset_rule **rule);

#endif
