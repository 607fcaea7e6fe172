/* SPDX-License-Identifier: MIT */
/*
 * dp_policy_check's reset rules: finding 15 (no reset the library can use,
 * the policy's per-device entry included) and finding 27 (the reset is a
 * bus reset that also resets functions the host uses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "report.h"
#include "resetmethod.h"
#include "sysfs.h"

bool dp_reset_available(const struct dp_policy *policy, const struct dp_device *dev,
			const struct dp_reset_rule **rule)
{
	char list[DP_RESET_LIST_MAX];

	dp_reset_for_device(policy, dev, list, rule);
	return list[0] != '\0';
}

/* Finding 15: what removed the last reset, the policy's entry or the device itself. */
static int check_no_reset(const struct dp_policy *p, const struct dp_device *dev,
			  struct dp_report *rep)
{
	const int64_t *rule = p->rules;
	const struct dp_reset_rule *entry;
	const char *own;

	if (dp_reset_available(p, dev, &entry))
		return 0;
	own = dp_reset_effective(dev, NULL);
	if (entry && !entry->methods[0])
		return dp_report_add(rep, DP_FINDING_NO_RESET_METHOD, dp_action_severity(rule[DP_RULE_NO_RESET_METHOD]), dev->bdf,
				     "no_reset_method",
				     "%s: no reset, for the policy's [device %04x:%04x] says reset_method = none (no_reset_method = %s); state may leak between VMs, so remove the entry or name a method it has (%s) there",
				     dev->bdf, entry->vendor, entry->device,
				     dp_rule_value_name(DP_RULE_NO_RESET_METHOD, rule[DP_RULE_NO_RESET_METHOD]),
				     own[0] ? own : "it has none");
	if (entry)
		return dp_report_add(rep, DP_FINDING_NO_RESET_METHOD, dp_action_severity(rule[DP_RULE_NO_RESET_METHOD]), dev->bdf,
				     "no_reset_method",
				     "%s: no reset, for the policy's [device %04x:%04x] reset_method = %s names none of the methods it has (%s) (no_reset_method = %s); state may leak between VMs, so name one of them there or remove the entry",
				     dev->bdf, entry->vendor, entry->device, entry->methods,
				     own[0] ? own : "none",
				     dp_rule_value_name(DP_RULE_NO_RESET_METHOD, rule[DP_RULE_NO_RESET_METHOD]));
	return dp_report_add(rep, DP_FINDING_NO_RESET_METHOD, dp_action_severity(rule[DP_RULE_NO_RESET_METHOD]), dev->bdf,
			     "no_reset_method",
			     "%s: no way to reset it (no FLR, PM or bus reset; no_reset_method = %s); state may leak between VMs",
			     dev->bdf, dp_rule_value_name(DP_RULE_NO_RESET_METHOD, rule[DP_RULE_NO_RESET_METHOD]));
}

/* How a peer stands: "" when the host uses it (its driver named apart), else why it is fine. */
static const char *peer_state(const struct dp_policy *p, const struct dp_device *d,
			      char (*bdfs)[DP_BDF_LEN], size_t n)
{
	if (dp_bdf_in(bdfs, n, d->bdf))
		return "in this VM";
	if (!d->driver)
		return "unbound";
	if (dp_vfio_driver_ready(p, d))
		return d->driver; /* vfio-pci, or another VFIO driver vfio_drivers lists */
	return "";
}

/*
 * Finding 27: a bus reset takes along every function below the bridge. The
 * host's (bound to a driver other than vfio-pci, and not in this VM) make it
 * a warning or an error by shared_reset; otherwise it is listed, as info.
 */
static int check_shared(const struct dp_policy *p, const struct dp_ctx *ctx,
			const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			struct dp_report *rep)
{
	int64_t action = p->rules[DP_RULE_SHARED_RESET];
	const struct dp_device *bridge = dp_reset_parent(ctx, dev), **peers;
	char list[DP_RESET_LIST_MAX], *host = NULL, *all = NULL;
	size_t np, hlen = 0, alen = 0, size = 1, used = 0;
	uint32_t severity;
	int r = 0;

	dp_reset_for_device(p, dev, list, NULL);
	if (!bridge || !dp_reset_is_bus(ctx, dev, list))
		return 0;
	np = dp_reset_peers(ctx, dev, NULL, 0);
	if (np == 0)
		return 0;
	peers = calloc(np, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	dp_reset_peers(ctx, dev, peers, np);
	for (size_t i = 0; i < np; i++) {
		const char *drv = peers[i]->driver;

		size += strlen(peers[i]->bdf) + (drv ? strlen(drv) : 0) + 16;
		used += peer_state(p, peers[i], bdfs, n)[0] == '\0';
	}
	host = malloc(size);
	all = malloc(size);
	if (!host || !all) {
		r = -ENOMEM;
		goto out;
	}
	host[0] = all[0] = '\0';
	for (size_t i = 0; i < np; i++) {
		const char *state = peer_state(p, peers[i], bdfs, n);

		if (!state[0])
			hlen += (size_t)snprintf(host + hlen, size - hlen, "%s%s (%s)", hlen ? ", " : "",
						 peers[i]->bdf, peers[i]->driver);
		alen += (size_t)snprintf(all + alen, size - alen, "%s%s (%s)", alen ? ", " : "",
					 peers[i]->bdf, state[0] ? state : peers[i]->driver);
	}
	severity = used == 0 || action == DP_ACTION_ALLOW ? DP_SEVERITY_INFO
		   : action == DP_ACTION_DENY ? DP_SEVERITY_ERROR : DP_SEVERITY_WARNING;
	if (severity == DP_SEVERITY_INFO)
		r = dp_report_add(rep, DP_FINDING_SHARED_RESET, severity, dev->bdf, "shared_reset",
				  "%s: its reset is a reset of bus %02x below %s, which also resets %s (shared_reset = %s)%s",
				  dev->bdf, dev->info.bus, bridge->bdf, all,
				  dp_rule_value_name(DP_RULE_SHARED_RESET, action),
				  used ? "; the host's functions among them lose their state" : "");
	else
		r = dp_report_add(rep, DP_FINDING_SHARED_RESET, severity, dev->bdf, "shared_reset",
				  "%s: its reset is a reset of bus %02x below %s, which also resets %s, in use by the host (shared_reset = %s); bind %s to %s and pass %s to this VM too, or move the device to a slot of its own",
				  dev->bdf, dev->info.bus, bridge->bdf, host,
				  dp_rule_value_name(DP_RULE_SHARED_RESET, action),
				  used > 1 ? "them" : "it", DP_VFIO_PCI_DRIVER, used > 1 ? "them" : "it");
out:
	free(host);
	free(all);
	free(peers);
	return r;
}

int dp_check_reset(const struct dp_policy *policy, const struct dp_ctx *ctx,
			  const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			  struct dp_report *rep)
{
	int r = check_no_reset(policy, dev, rep); /* in this order: the report's order */

	return dp_first_err(r, check_shared(policy, ctx, dev, bdfs, n, rep));
}
