/* SPDX-License-Identifier: MIT */
/*
 * Policy files (dp_policy_load_file: lib/policy.c on lib/inifile.c) against
 * directpath-policy(5): the input is the file. The reference reader
 * (ini-ref.h) with the page's rules decides whether the file is valid and
 * what it sets; the loader must agree, set exactly those values when it
 * accepts, and change nothing when it rejects.
 */
#include <strings.h>

#include "fuzz.h"
#include "ini-ref.h"

enum kind { COUNT, BOOL, RESERVATION, ACTION, RESET_ACTION };

static const struct {
	const char *name;
	enum dp_rule rule;
	enum kind kind;
} rules[] = {
	{ "max_devices_per_vm", DP_RULE_MAX_DEVICES_PER_VM, COUNT },
	{ "min_hw_version", DP_RULE_MIN_HW_VERSION, COUNT },
	{ "require_iommu", DP_RULE_REQUIRE_IOMMU, BOOL },
	{ "require_interrupt_remapping", DP_RULE_REQUIRE_INTERRUPT_REMAPPING, BOOL },
	{ "require_viable_group", DP_RULE_REQUIRE_VIABLE_GROUP, BOOL },
	{ "require_marked", DP_RULE_REQUIRE_MARKED, BOOL },
	{ "deny_bridges", DP_RULE_DENY_BRIDGES, BOOL },
	{ "deny_boot_vga", DP_RULE_DENY_BOOT_VGA, BOOL },
	{ "memory_reservation", DP_RULE_MEMORY_RESERVATION, RESERVATION },
	{ "unlisted_devices", DP_RULE_UNLISTED_DEVICES, ACTION },
	{ "no_reset_method", DP_RULE_NO_RESET_METHOD, RESET_ACTION },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

struct ref {
	bool set[N_RULES];
	int64_t value[N_RULES];
};

/* The value by the page, or -1. */
static int64_t ref_value(enum kind kind, const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	int64_t n = 0;

	switch (kind) {
	case COUNT: /* decimal, 0 to 4096, no sign */
		if (!*v)
			return -1;
		for (const char *p = v; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			n = n * 10 + (*p - '0');
			if (n > 4096)
				return -1;
		}
		return n;
	case BOOL:
		for (int i = 0; i < 4; i++) {
			if (strcasecmp(v, yes[i]) == 0)
				return 1;
			if (strcasecmp(v, no[i]) == 0)
				return 0;
		}
		return -1;
	case RESERVATION:
		return !strcmp(v, "none") ? DP_RESERVATION_NONE
		       : !strcmp(v, "full") ? DP_RESERVATION_FULL : -1;
	case ACTION:
		if (!strcmp(v, "allow"))
			return DP_ACTION_ALLOW;
		/* fall through */
	case RESET_ACTION:
		return !strcmp(v, "warn") ? DP_ACTION_WARN : !strcmp(v, "deny") ? DP_ACTION_DENY : -1;
	}
	return -1;
}

static int ref_key(const char *section, const char *key, const char *value, void *ud)
{
	struct ref *ref = ud;

	if (strcmp(section, "policy") != 0)
		return INI_INVALID; /* keys outside [policy], and any other section */
	if (!key)
		return INI_VALID;
	for (size_t i = 0; i < N_RULES; i++) {
		if (strcmp(key, rules[i].name) != 0)
			continue;
		if (ref->set[i])
			return INI_INVALID;
		ref->value[i] = ref_value(rules[i].kind, value);
		ref->set[i] = true;
		return ref->value[i] < 0 ? INI_INVALID : INI_VALID;
	}
	return INI_INVALID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_ctx *ctx = fz_ctx(FZ_NO_DIR);
	struct dp_policy *policy = NULL;
	struct ref ref = { { 0 }, { 0 } };
	int64_t before[N_RULES];
	char path[64];
	int fd, r, verdict;

	if (dp_policy_new(ctx, &policy) < 0)
		abort();
	for (size_t i = 0; i < N_RULES; i++)
		before[i] = dp_policy_get_rule(policy, rules[i].rule);
	verdict = ini_ref(data, size, ref_key, &ref);
	fd = fz_memfd(data, size, path, sizeof(path));
	r = dp_policy_load_file(policy, path);
	close(fd);
	if (verdict == INI_VALID)
		FZ_ASSERT(r == 0, "a valid policy file by directpath-policy(5) is rejected: %d", r);
	else if (verdict == INI_INVALID)
		FZ_ASSERT(r == -EINVAL, "an invalid policy file by directpath-policy(5) gives %d", r);
	FZ_ASSERT(r == 0 || r == -EINVAL, "%d", r);
	for (size_t i = 0; i < N_RULES; i++) {
		int64_t now = dp_policy_get_rule(policy, rules[i].rule);

		/* An open verdict stopped the reference reader early: its set[] says nothing then. */
		if (r < 0 || (!ref.set[i] && verdict != INI_OPEN))
			FZ_ASSERT(now == before[i], "%s changed to %lld", rules[i].name,
				  (long long)now);
		else if (verdict == INI_VALID)
			FZ_ASSERT(now == ref.value[i], "%s = %lld, the file says %lld",
				  rules[i].name, (long long)now, (long long)ref.value[i]);
	}
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}
