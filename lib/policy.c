/* SPDX-License-Identifier: MIT */
/* The rules: ESX 4.0's defaults, set by number, by name, or from a policy file. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "parse.h"
#include "policy.h"
#include "quote.h"
#include "resetmethod.h"

enum rule_kind { KIND_COUNT, KIND_BOOL, KIND_RESERVATION, KIND_ACTION, KIND_RESET_ACTION,
		 KIND_RELEASE };

static const struct rule_def {
	const char *name;
	enum rule_kind kind;
	int64_t dflt;
} rule_defs[DP_RULE_COUNT] = {
	[DP_RULE_MAX_DEVICES_PER_VM] = { "max_devices_per_vm", KIND_COUNT, 2 },
	[DP_RULE_MIN_HW_VERSION] = { "min_hw_version", KIND_COUNT, 7 },
	[DP_RULE_REQUIRE_IOMMU] = { "require_iommu", KIND_BOOL, 1 },
	[DP_RULE_REQUIRE_INTERRUPT_REMAPPING] = { "require_interrupt_remapping", KIND_BOOL, 1 },
	[DP_RULE_REQUIRE_VIABLE_GROUP] = { "require_viable_group", KIND_BOOL, 1 },
	[DP_RULE_REQUIRE_MARKED] = { "require_marked", KIND_BOOL, 1 },
	[DP_RULE_DENY_BRIDGES] = { "deny_bridges", KIND_BOOL, 1 },
	[DP_RULE_DENY_BOOT_VGA] = { "deny_boot_vga", KIND_BOOL, 1 },
	[DP_RULE_MEMORY_RESERVATION] = { "memory_reservation", KIND_RESERVATION, DP_RESERVATION_FULL },
	[DP_RULE_UNLISTED_DEVICES] = { "unlisted_devices", KIND_ACTION, DP_ACTION_WARN },
	[DP_RULE_NO_RESET_METHOD] = { "no_reset_method", KIND_RESET_ACTION, DP_ACTION_WARN },
	[DP_RULE_DIRECT_REGIONS] = { "direct_regions", KIND_ACTION, DP_ACTION_DENY },
	[DP_RULE_SHARED_RESET] = { "shared_reset", KIND_ACTION, DP_ACTION_DENY },
	[DP_RULE_INVALID_ROM] = { "invalid_rom", KIND_ACTION, DP_ACTION_WARN },
	[DP_RULE_HOST_INPUT_DEVICES] = { "host_input_devices", KIND_ACTION, DP_ACTION_WARN },
	[DP_RULE_HOST_STORAGE] = { "host_storage", KIND_ACTION, DP_ACTION_WARN },
	[DP_RULE_HOST_BOOT_FILESYSTEM] = { "host_boot_filesystem", KIND_ACTION, DP_ACTION_DENY },
	[DP_RULE_HOST_DEFAULT_ROUTE] = { "host_default_route", KIND_ACTION, DP_ACTION_DENY },
	[DP_RULE_HOST_CONSOLE] = { "host_console", KIND_ACTION, DP_ACTION_WARN },
	[DP_RULE_RELEASE] = { "release", KIND_RELEASE, DP_RELEASE_HOST },
	[DP_RULE_MMIO_WINDOW] = { "mmio_window", KIND_ACTION, DP_ACTION_DENY },
	[DP_RULE_MEMLOCK] = { "memlock", KIND_ACTION, DP_ACTION_WARN },
};

/* Largest count a rule takes: far beyond any hypervisor's limit, well inside int. */
#define RULE_COUNT_MAX 4096

static const char *const action_names[] = { "allow", "warn", "deny" };
static const char *const reservation_names[] = { "none", "full" };
static const char *const release_names[] = { "host", "quarantine" }; /* DP_RELEASE_* */

static bool rule_known(int rule)
{
	return rule > 0 && rule < DP_RULE_COUNT && rule_defs[rule].name;
}

const char *dp_rule_name(enum dp_rule rule)
{
	return rule_known((int)rule) ? rule_defs[rule].name : NULL;
}

const char *dp_rule_value_name(enum dp_rule rule, int64_t value)
{
	if (!rule_known((int)rule))
		return NULL;
	switch (rule_defs[rule].kind) {
	case KIND_BOOL:
		return value ? "yes" : "no";
	case KIND_RESERVATION:
		return reservation_names[value ? 1 : 0];
	case KIND_RELEASE:
		return release_names[value ? 1 : 0];
	case KIND_ACTION:
	case KIND_RESET_ACTION:
		return value >= 0 && value <= 2 ? action_names[value] : "?";
	default:
		return NULL;
	}
}

static int check_value(const struct dp_policy *p, int rule, int64_t value)
{
	const struct rule_def *d = &rule_defs[rule];
	bool ok;

	switch (d->kind) {
	case KIND_COUNT:
		ok = value >= 0 && value <= RULE_COUNT_MAX;
		break;
	case KIND_BOOL:
	case KIND_RESERVATION:
	case KIND_RELEASE:
		ok = value == 0 || value == 1;
		break;
	case KIND_ACTION:
		ok = value >= DP_ACTION_ALLOW && value <= DP_ACTION_DENY;
		break;
	case KIND_RESET_ACTION:
		ok = value == DP_ACTION_WARN || value == DP_ACTION_DENY;
		break;
	default:
		ok = false;
	}
	if (!ok) {
		dp_err(p->ctx, "policy: %lld is not a value of %s", (long long)value, d->name);
		return -EINVAL;
	}
	return 0;
}

int dp_policy_new(struct dp_ctx *ctx, struct dp_policy **out)
{
	struct dp_policy *p;
	char dir[PATH_MAX];
	int r;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !out))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->refcount = 1;
	p->ctx = dp_ctx_ref(ctx);
	for (int i = 1; i < DP_RULE_COUNT; i++)
		p->rules[i] = rule_defs[i].dflt;
	dp_vfio_drivers_default(&p->vfio_drivers);
	snprintf(dir, sizeof(dir), "%s/compat.d", ctx->data_dir);
	r = dp_compat_load_dir(p, dir);
	if (r < 0) {
		dp_policy_unref(p);
		return r;
	}
	*out = p;
	return 0;
}

struct dp_policy *dp_policy_ref(struct dp_policy *policy)
{
	if (policy)
		policy->refcount++;
	return policy;
}

struct dp_policy *dp_policy_unref(struct dp_policy *policy)
{
	if (!policy || --policy->refcount > 0)
		return NULL;
	dp_compat_free(policy);
	dp_reset_rules_free(policy);
	free(policy->source);
	dp_ctx_unref(policy->ctx);
	free(policy);
	return NULL;
}

int dp_policy_set_rule(struct dp_policy *policy, enum dp_rule rule, int64_t value)
{
	int r;

	if (!policy)
		return -EINVAL;
	if (!rule_known((int)rule)) {
		dp_err(policy->ctx, "BUG: dp_policy_set_rule: unknown rule %d", (int)rule);
		return -EINVAL;
	}
	r = check_value(policy, (int)rule, value);
	if (r == 0)
		policy->rules[rule] = value;
	return r;
}

int64_t dp_policy_get_rule(const struct dp_policy *policy, enum dp_rule rule)
{
	if (!policy || !rule_known((int)rule))
		return -EINVAL;
	return policy->rules[rule];
}

int dp_policy_get_rule_value(const struct dp_policy *policy, enum dp_rule rule, int64_t *value)
{
	if (!policy || dp_bug_on(policy->ctx, !value))
		return -EINVAL;
	if (!rule_known((int)rule)) {
		dp_dbg(policy->ctx, "policy: rule %d is unknown to this library (%s)", (int)rule,
		       dp_version());
		return -EINVAL;
	}
	*value = policy->rules[rule];
	return 0;
}

/* Parses a value by the rule's kind; -EINVAL with why in msg. */
static int parse_value(int rule, const char *text, int64_t *out, char *msg, size_t size)
{
	const struct rule_def *d = &rule_defs[rule];
	char q[44]; /* 40 bytes of the value, or fewer escaped, then "..." */
	uint64_t u;
	int b;

	dp_quote(q, sizeof(q), text);
	switch (d->kind) {
	case KIND_COUNT:
		if (dp_parse_u64(text, 10, RULE_COUNT_MAX, &u) < 0) {
			snprintf(msg, size, "%s takes a number from 0 to %d, not \"%s\"",
				 d->name, RULE_COUNT_MAX, q);
			return -EINVAL;
		}
		*out = (int64_t)u;
		return 0;
	case KIND_BOOL:
		b = dp_parse_bool(text);
		if (b < 0) {
			snprintf(msg, size, "%s takes yes or no, not \"%s\"", d->name, q);
			return -EINVAL;
		}
		*out = b;
		return 0;
	case KIND_RESERVATION:
		for (int i = 0; i < 2; i++)
			if (strcmp(text, reservation_names[i]) == 0) {
				*out = i;
				return 0;
			}
		snprintf(msg, size, "%s takes full or none, not \"%s\"", d->name, q);
		return -EINVAL;
	case KIND_RELEASE:
		for (int i = 0; i < 2; i++)
			if (strcmp(text, release_names[i]) == 0) {
				*out = i;
				return 0;
			}
		snprintf(msg, size, "%s takes host or quarantine, not \"%s\"", d->name, q);
		return -EINVAL;
	case KIND_ACTION:
	case KIND_RESET_ACTION:
		for (int i = d->kind == KIND_ACTION ? 0 : 1; i < 3; i++)
			if (strcmp(text, action_names[i]) == 0) {
				*out = i;
				return 0;
			}
		snprintf(msg, size, "%s takes %s, not \"%s\"", d->name,
			 d->kind == KIND_ACTION ? "allow, warn or deny" : "warn or deny", q);
		return -EINVAL;
	}
	return -EINVAL;
}

static int rule_by_name(const char *key)
{
	for (int i = 1; i < DP_RULE_COUNT; i++)
		if (rule_defs[i].name && strcmp(rule_defs[i].name, key) == 0)
			return i;
	return -1;
}

int dp_policy_set(struct dp_policy *policy, const char *key, const char *value)
{
	char msg[256], q[68];
	int64_t v;
	int rule;

	if (!policy || dp_bug_on(policy->ctx, !key) || dp_bug_on(policy->ctx, !value))
		return -EINVAL;
	if (strcmp(key, DP_VFIO_DRIVERS_KEY) == 0) {
		if (dp_vfio_drivers_parse(value, &policy->vfio_drivers, msg, sizeof(msg)) < 0) {
			dp_err(policy->ctx, "policy: %s", msg);
			return -EINVAL;
		}
		return 0;
	}
	rule = rule_by_name(key);
	if (rule < 0) {
		dp_err(policy->ctx, "policy: unknown rule \"%s\"", dp_quote(q, sizeof(q), key));
		return -ENOENT;
	}
	if (parse_value(rule, value, &v, msg, sizeof(msg)) < 0) {
		dp_err(policy->ctx, "policy: %s", msg);
		return -EINVAL;
	}
	policy->rules[rule] = v;
	return 0;
}

struct policy_file {
	struct dp_policy *policy;
	int64_t rules[DP_RULE_COUNT];
	bool set[DP_RULE_COUNT];
	struct dp_reset_rule *resets; /* [device VVVV:DDDD] sections (resetpolicy.c) */
	size_t n_resets;
	struct dp_vfio_drivers vfio_drivers; /* when vfio_set */
	bool vfio_set;
};

static int policy_key(struct dp_inifile *f, const char *section, const char *key,
		      const char *value, void *userdata)
{
	struct policy_file *pf = userdata;
	char msg[256], q[DP_QUOTE_SIZE(64)];
	int rule, r;

	if (strncmp(section, "device ", 7) == 0)
		return dp_reset_rule_key(f, section, key, value, &pf->resets, &pf->n_resets);
	if (section[0] == '\0')
		return dp_inifile_error(f, "\"%s\" outside a section; put it under [policy]",
					dp_quote(q, sizeof(q), key));
	if (strcmp(section, "policy") != 0)
		return dp_inifile_error(f, "unknown section [%s] (policy)",
					dp_quote(q, sizeof(q), section));
	rule = rule_by_name(key);
	if (rule < 0 && strcmp(key, DP_VFIO_DRIVERS_KEY) != 0)
		return dp_inifile_error(f, "unknown key \"%s\"", dp_quote(q, sizeof(q), key));
	r = dp_inifile_seen(f, section, key);
	if (r < 0)
		return r;
	if (r > 0)
		return dp_inifile_error(f, "duplicate key \"%s\"", dp_quote(q, sizeof(q), key));
	if (rule < 0) {
		if (dp_vfio_drivers_parse(value, &pf->vfio_drivers, msg, sizeof(msg)) < 0)
			return dp_inifile_error(f, "%s", msg);
		pf->vfio_set = true;
		return 0;
	}
	if (parse_value(rule, value, &pf->rules[rule], msg, sizeof(msg)) < 0)
		return dp_inifile_error(f, "%s", msg);
	pf->set[rule] = true;
	return 0;
}

int dp_policy_load_file(struct dp_policy *policy, const char *path)
{
	struct policy_file pf = { .policy = policy };
	char dflt[PATH_MAX], *source;
	int r;

	if (!policy)
		return -EINVAL;
	if (!path) {
		if (snprintf(dflt, sizeof(dflt), "%s/policy.conf",
			     policy->ctx->config_dir) >= (int)sizeof(dflt)) {
			dp_err(policy->ctx, "%s/policy.conf: the name is too long",
			       policy->ctx->config_dir);
			return -ENAMETOOLONG;
		}
		path = dflt;
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			dp_dbg(policy->ctx, "policy: no %s; the defaults stand", path);
			return 0;
		}
	}
	r = dp_inifile_parse_sections(policy->ctx, path,
				      (const char *const[]){ "policy", "device *VVVV:DDDD", NULL },
				      policy_key, &pf);
	source = r < 0 ? NULL : strdup(path);
	if (r == 0 && (!source || dp_reset_rules_merge(policy, pf.resets, pf.n_resets) < 0))
		r = -ENOMEM;
	free(pf.resets);
	if (r < 0) {
		free(source);
		return r; /* all or nothing: the policy is unchanged */
	}
	for (int i = 1; i < DP_RULE_COUNT; i++)
		if (pf.set[i])
			policy->rules[i] = pf.rules[i];
	if (pf.vfio_set)
		policy->vfio_drivers = pf.vfio_drivers;
	free(policy->source);
	policy->source = source;
	dp_dbg(policy->ctx, "policy: loaded %s", path);
	return 0;
}

const char *dp_policy_get_source(const struct dp_policy *policy)
{
	return policy ? policy->source : NULL;
}

size_t dp_policy_line_max(void)
{
	return dp_inifile_line_max();
}
