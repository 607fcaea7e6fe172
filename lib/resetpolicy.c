/* SPDX-License-Identifier: MIT */
/*
 * The policy's reset methods per vendor:device ([device VVVV:DDDD]
 * reset_method = ..., in the spirit of ESX's passthru.map): the grammar,
 * the API, and writing the order into sysfs reset_method around an attach.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "policy.h"
#include "quote.h"
#include "resetmethod.h"
#include "sysfs.h"

#define SECTION_PREFIX "device "
#define KEY "reset_method"

const struct dp_reset_rule *dp_reset_rule_find(const struct dp_policy *policy, uint16_t vendor,
					       uint16_t device)
{
	for (size_t i = 0; policy && i < policy->n_reset_rules; i++)
		if (policy->reset_rules[i].vendor == vendor && policy->reset_rules[i].device == device)
			return &policy->reset_rules[i];
	return NULL;
}

/* "device 8086:10fb" (hex, either case) into the IDs; false when it is anything else. */
static bool section_ids(const char *section, uint16_t *vendor, uint16_t *device)
{
	const char *p = section + strlen(SECTION_PREFIX);
	unsigned v = 0;

	if (strncmp(section, SECTION_PREFIX, strlen(SECTION_PREFIX)) != 0 || strlen(p) != 9 ||
	    p[4] != ':')
		return false;
	for (int i = 0; i < 9; i++) {
		if (i == 4)
			continue;
		if (!isxdigit((unsigned char)p[i]))
			return false;
		v = v << 4 | (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0'
					 : (tolower((unsigned char)p[i]) - 'a' + 10));
		if (i == 3) {
			*vendor = (uint16_t)v;
			v = 0;
		}
	}
	*device = (uint16_t)v;
	return true;
}

/* The rule for the IDs in rules[0..n), or a new one at its end (zeroed). */
static struct dp_reset_rule *rule_slot(struct dp_reset_rule **rules, size_t *n, uint16_t vendor,
				       uint16_t device, bool *found)
{
	struct dp_reset_rule *p;

	for (size_t i = 0; i < *n; i++)
		if ((*rules)[i].vendor == vendor && (*rules)[i].device == device) {
			*found = true;
			return &(*rules)[i];
		}
	*found = false;
	p = realloc(*rules, (*n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	*rules = p;
	p = &p[(*n)++];
	memset(p, 0, sizeof(*p));
	p->vendor = vendor;
	p->device = device;
	return p;
}

int dp_reset_rule_key(struct dp_inifile *f, const char *section, const char *key,
		      const char *value, struct dp_reset_rule **rules, size_t *n)
{
	char q[DP_QUOTE_SIZE(64)], msg[160], list[DP_RESET_LIST_MAX];
	struct dp_reset_rule *rule;
	uint16_t vendor = 0, device = 0;
	bool found;

	if (!section_ids(section, &vendor, &device))
		return dp_inifile_error(f, "[%s]: a device section is [device VVVV:DDDD], vendor and device ID in hex",
					dp_quote(q, sizeof(q), section));
	if (!key)
		return 0; /* the header: its name is right */
	if (strcmp(key, KEY) != 0)
		return dp_inifile_error(f, "unknown key \"%s\" in [device %04x:%04x] (" KEY ")",
					dp_quote(q, sizeof(q), key), vendor, device);
	if (dp_reset_list_parse(value, list, msg, sizeof(msg)) < 0)
		return dp_inifile_error(f, "[device %04x:%04x] " KEY ": %s", vendor, device, msg);
	rule = rule_slot(rules, n, vendor, device, &found);
	if (!rule)
		return -ENOMEM;
	if (found)
		return dp_inifile_error(f, "a second " KEY " for %04x:%04x (the first is on line %u)",
					vendor, device, rule->line);
	memcpy(rule->methods, list, sizeof(list));
	rule->line = dp_inifile_line(f);
	return 0;
}

int dp_reset_rules_merge(struct dp_policy *policy, const struct dp_reset_rule *rules, size_t n)
{
	struct dp_reset_rule *all = policy->reset_rules;

	/* Room first, so that a failure leaves the policy as it was. */
	if (n) {
		all = realloc(all, (policy->n_reset_rules + n) * sizeof(*all));
		if (!all)
			return -ENOMEM;
		policy->reset_rules = all;
	}
	for (size_t i = 0; i < n; i++) {
		size_t at = 0;

		while (at < policy->n_reset_rules && (all[at].vendor != rules[i].vendor ||
						      all[at].device != rules[i].device))
			at++;
		all[at] = rules[i];
		if (at == policy->n_reset_rules)
			policy->n_reset_rules++;
	}
	return 0;
}

void dp_reset_rules_free(struct dp_policy *policy)
{
	free(policy->reset_rules);
	policy->reset_rules = NULL;
	policy->n_reset_rules = 0;
}

static int check_ids(const struct dp_policy *policy, const char *fn, uint32_t vendor,
		     uint32_t device)
{
	if (vendor > 0xffff || device > 0xffff) {
		dp_err(policy->ctx, "BUG: %s: %#x:%#x is not a vendor and device ID", fn, vendor,
		       device);
		return -EINVAL;
	}
	return 0;
}

int dp_policy_set_reset_methods(struct dp_policy *policy, uint32_t vendor, uint32_t device,
				const char *methods)
{
	char list[DP_RESET_LIST_MAX], msg[160];
	struct dp_reset_rule rule = { .vendor = (uint16_t)vendor, .device = (uint16_t)device };
	int r;

	if (!policy)
		return -EINVAL;
	r = check_ids(policy, __func__, vendor, device);
	if (r < 0)
		return r;
	if (!methods) {
		const struct dp_reset_rule *old = dp_reset_rule_find(policy, (uint16_t)vendor,
								     (uint16_t)device);

		if (old) {
			size_t at = (size_t)(old - policy->reset_rules);

			memmove(&policy->reset_rules[at], &policy->reset_rules[at + 1],
				(policy->n_reset_rules - at - 1) * sizeof(*old));
			policy->n_reset_rules--;
		}
		return 0;
	}
	if (dp_reset_list_parse(methods, list, msg, sizeof(msg)) < 0) {
		dp_err(policy->ctx, "policy: %04x:%04x: %s", vendor, device, msg);
		return -EINVAL;
	}
	memcpy(rule.methods, list, sizeof(list));
	return dp_reset_rules_merge(policy, &rule, 1);
}

const char *dp_policy_get_reset_methods(const struct dp_policy *policy, uint32_t vendor,
					uint32_t device)
{
	const struct dp_reset_rule *rule;

	if (!policy || vendor > 0xffff || device > 0xffff)
		return NULL;
	rule = dp_reset_rule_find(policy, (uint16_t)vendor, (uint16_t)device);
	if (!rule)
		return NULL;
	return rule->methods[0] ? rule->methods : "none";
}

size_t dp_policy_get_reset_entry_count(const struct dp_policy *policy)
{
	return policy ? policy->n_reset_rules : 0;
}

int dp_policy_get_reset_entry(const struct dp_policy *policy, size_t index, uint32_t *vendor,
			      uint32_t *device)
{
	if (!policy || dp_bug_on(policy->ctx, !vendor) || dp_bug_on(policy->ctx, !device))
		return -EINVAL;
	if (index >= policy->n_reset_rules)
		return -ENOENT;
	*vendor = policy->reset_rules[index].vendor;
	*device = policy->reset_rules[index].device;
	return 0;
}

void dp_reset_for_device(const struct dp_policy *policy, const struct dp_device *dev,
			 char out[DP_RESET_LIST_MAX], const struct dp_reset_rule **prule)
{
	const struct dp_reset_rule *rule = dp_reset_rule_find(policy, dev->info.vendor_id,
							      dev->info.device_id);
	const char *own = dp_reset_effective(dev, NULL);
	size_t len = 0;

	if (prule)
		*prule = rule;
	if (!rule) {
		snprintf(out, DP_RESET_LIST_MAX, "%s", own);
		return;
	}
	/* The policy's order, of the methods the function has: the kernel takes no other. */
	out[0] = '\0';
	for (const char *p = rule->methods; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");

		for (const char *o = own; *o; o += strspn(o, " ")) {
			size_t m = strcspn(o, " ");

			if (m == n && memcmp(o, p, n) == 0) {
				len += (size_t)snprintf(out + len, DP_RESET_LIST_MAX - len, "%s%.*s",
							len ? " " : "", (int)n, p);
				break;
			}
			o += m;
		}
		p += n;
	}
}

int dp_policy_get_device_reset(const struct dp_policy *policy, const struct dp_device *dev,
			       char *buf, size_t size)
{
	char list[DP_RESET_LIST_MAX];

	if (!policy || dp_bug_on(policy->ctx, !dev) || dp_bug_on(policy->ctx, !buf && size))
		return -EINVAL;
	dp_reset_for_device(policy, dev, list, NULL);
	if (strlen(list) >= size) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, list, strlen(list) + 1);
	return dp_reset_is_bus(dev->ctx, dev, list) ? (int)dp_reset_peers(dev->ctx, dev, NULL, 0)
						    : 0;
}

static int open_dev(const char *bdf)
{
	char path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1];

	snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, bdf);
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Writes list into reset_method ("" as "\n": every method off) and reads it back. */
static int write_methods(struct dp_ctx *ctx, const char *bdf, const char *list)
{
	char now[DP_SYSFS_ATTR_MAX];
	int dfd = open_dev(bdf), r;

	if (dfd < 0)
		return -errno;
	r = dp_sysfs_write(dfd, "reset_method", list[0] ? list : "\n");
	if (r == 0) {
		r = dp_sysfs_read(dfd, "reset_method", now, sizeof(now));
		if (r >= 0 && strcmp(now, list) != 0) {
			dp_err(ctx, "%s: reset_method reads \"%s\" after \"%s\" was written", bdf,
			       now, list);
			r = -EIO;
		}
	}
	close(dfd);
	return r < 0 ? r : 0;
}

int dp_reset_apply(const struct dp_policy *policy, const struct dp_device *dev,
		   char saved[DP_RESET_LIST_MAX], bool *written)
{
	const struct dp_reset_rule *rule;
	char want[DP_RESET_LIST_MAX];
	int r;

	*written = false;
	dp_reset_for_device(policy, dev, want, &rule);
	if (!rule)
		return 0;
	dp_device_load(dev, DP_DEVICE_LOADED_RESET);
	/* No attribute and nothing derived (5.15+ hides it when the kernel found none): nothing to order. */
	if ((!dev->has_reset_method || !dev->reset_methods) && !dp_reset_effective(dev, NULL)[0])
		return 0;
	if (!dev->has_reset_method || !dev->reset_methods) {
		dp_err(policy->ctx, "%s: the policy's [device %04x:%04x] " KEY " = %s cannot be applied: the kernel has no reset_method attribute for it (Linux 5.15 or later has)",
		       dev->bdf, rule->vendor, rule->device, rule->methods[0] ? rule->methods : "none");
		return -EOPNOTSUPP;
	}
	if (strcmp(dev->reset_methods, want) == 0)
		return 0;
	if (strlen(dev->reset_methods) >= DP_RESET_LIST_MAX) {
		dp_err(policy->ctx, "%s: its reset_method \"%s\" is longer than any list of the kernel's methods",
		       dev->bdf, dev->reset_methods);
		return -EINVAL;
	}
	r = write_methods(policy->ctx, dev->bdf, want);
	if (r < 0) {
		dp_err(policy->ctx, "%s: cannot set its reset methods to \"%s\" as the policy's [device %04x:%04x] says: %s; run as root, or remove the entry",
		       dev->bdf, want[0] ? want : "none", rule->vendor, rule->device, strerror(-r));
		return r;
	}
	snprintf(saved, DP_RESET_LIST_MAX, "%s", dev->reset_methods);
	*written = true;
	dp_info(policy->ctx, "%s: reset methods \"%s\" (the policy's [device %04x:%04x]; were \"%s\")",
		dev->bdf, want[0] ? want : "none", rule->vendor, rule->device, saved);
	return 0;
}

void dp_reset_restore(struct dp_ctx *ctx, const char *bdf, const char *saved, bool *written)
{
	int r;

	if (!*written)
		return;
	r = write_methods(ctx, bdf, saved);
	if (r < 0)
		dp_warn(ctx, "%s: cannot give reset_method back its \"%s\": %s", bdf, saved,
			strerror(-r));
	*written = false;
}
