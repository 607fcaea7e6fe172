/* SPDX-License-Identifier: MIT */
/*
 * Policy files (dp_policy_load_file: lib/policy.c on lib/inifile.c) against
 * directpath-policy(5): the input is the file. The reference reader
 * (ini-ref.h) with the page's rules decides whether the file is valid and
 * what it sets; the loader must agree, set exactly those values when it
 * accepts, and change nothing when it rejects. [device VVVV:DDDD] sections
 * with reset_method (0.11), and vfio_drivers (0.13), are held to the page
 * the same way.
 */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"
#include "ini-ref.h"

enum kind { COUNT, BOOL, RESERVATION, ACTION, RESET_ACTION, RELEASE };

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
	{ "direct_regions", DP_RULE_DIRECT_REGIONS, ACTION },
	{ "shared_reset", DP_RULE_SHARED_RESET, ACTION },
	{ "invalid_rom", DP_RULE_INVALID_ROM, ACTION },
	{ "host_input_devices", DP_RULE_HOST_INPUT_DEVICES, ACTION },
	{ "host_storage", DP_RULE_HOST_STORAGE, ACTION },
	{ "host_boot_filesystem", DP_RULE_HOST_BOOT_FILESYSTEM, ACTION },
	{ "host_default_route", DP_RULE_HOST_DEFAULT_ROUTE, ACTION },
	{ "host_console", DP_RULE_HOST_CONSOLE, ACTION },
	{ "release", DP_RULE_RELEASE, RELEASE },
	{ "mmio_window", DP_RULE_MMIO_WINDOW, ACTION },
	{ "memlock", DP_RULE_MEMLOCK, ACTION },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

#define MAX_DEVICES 64

struct ref {
	bool set[N_RULES];
	int64_t value[N_RULES];
	/* [device VVVV:DDDD] entries: IDs and the list by the page, single spaces. */
	unsigned vendor[MAX_DEVICES], device[MAX_DEVICES];
	char methods[MAX_DEVICES][64];
	size_t n;
	bool too_many;
	/* vfio_drivers: its entries by the page, single spaces; "" when not set. */
	char vfio[4096];
};

#define DEFAULT_VFIO_DRIVERS "vfio-pci *_vfio_pci *:vfio-dev"

/* One entry by the page: PATTERN[:vfio-dev], the pattern 1 to 64 of [A-Za-z0-9_.-*], not all '*' bare. */
static bool ref_vfio_entry(const char *w)
{
	const char *colon = strchr(w, ':');
	size_t n = colon ? (size_t)(colon - w) : strlen(w), stars = 0;

	if (n == 0 || n > 64 || (colon && strcmp(colon, ":vfio-dev") != 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)w[i]) && !strchr("_-.*", w[i]))
			return false;
		stars += w[i] == '*';
	}
	return colon || stars < n;
}

/* The value by the page into out (entries, one space apart); false when invalid. */
static bool ref_vfio(const char *value, char *out, size_t size)
{
	char copy[4096], *part;
	char words[32][80];
	size_t n = 0, len = 0;
	bool last = false;

	if (strlen(value) >= sizeof(copy))
		return false;
	strcpy(copy, value);
	out[0] = '\0';
	/* strsep keeps the empty parts strtok would drop: "a,,b" and "a," are wrong. */
	for (char *rest = copy; !last;) {
		char *w, *wsave = NULL;
		size_t before = n;

		part = strsep(&rest, ",");
		last = rest == NULL;
		for (w = strtok_r(part, " \t", &wsave); w; w = strtok_r(NULL, " \t", &wsave)) {
			if (n == 32 || !ref_vfio_entry(w))
				return false;
			for (size_t i = 0; i < n; i++)
				if (strcmp(words[i], w) == 0)
					return false;
			snprintf(words[n++], sizeof(words[0]), "%s", w);
		}
		if (n == before && (!last || n > 0))
			return false;
	}
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", words[i]);
	return n > 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "device VVVV:DDDD" into the IDs; false when the section is any other "device ..." */
static bool ref_ids(const char *section, unsigned *vendor, unsigned *device)
{
	const char *p = section + 7;

	if (strlen(p) != 9 || p[4] != ':')
		return false;
	*vendor = *device = 0;
	for (int i = 0; i < 9; i++) {
		if (i == 4)
			continue;
		if (hexval(p[i]) < 0)
			return false;
		if (i < 4)
			*vendor = *vendor << 4 | (unsigned)hexval(p[i]);
		else
			*device = *device << 4 | (unsigned)hexval(p[i]);
	}
	return true;
}

/* reset_method's value by the page into out; false when invalid. */
static bool ref_methods(const char *v, char out[64])
{
	static const char *const names[] = { "device_specific", "acpi", "flr", "af_flr",
					     "pm", "bus", "cxl_bus" };
	bool seen[7] = { false }, none = false;
	size_t words = 0, len = 0;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	out[0] = '\0';
	for (char *w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		size_t i;

		words++;
		if (strcmp(w, "none") == 0) {
			none = true;
			continue;
		}
		for (i = 0; i < 7 && strcmp(w, names[i]) != 0; i++)
			;
		if (i == 7 || seen[i])
			return false;
		seen[i] = true;
		len += (size_t)snprintf(out + len, 64 - len, "%s%s", len ? " " : "", w);
	}
	return words > 0 && !(none && words > 1);
}

static int ref_device(struct ref *ref, const char *section, const char *key, const char *value)
{
	unsigned v, d;

	if (!ref_ids(section, &v, &d))
		return INI_INVALID;
	if (!key)
		return INI_VALID;
	if (strcmp(key, "reset_method") != 0)
		return INI_INVALID;
	for (size_t i = 0; i < ref->n; i++)
		if (ref->vendor[i] == v && ref->device[i] == d)
			return INI_INVALID;
	if (ref->n == MAX_DEVICES) {
		ref->too_many = true; /* not checked one by one beyond this */
		return ref_methods(value, (char[64]){ 0 }) ? INI_VALID : INI_INVALID;
	}
	ref->vendor[ref->n] = v;
	ref->device[ref->n] = d;
	if (!ref_methods(value, ref->methods[ref->n]))
		return INI_INVALID;
	ref->n++;
	return INI_VALID;
}

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
	case RELEASE:
		return !strcmp(v, "host") ? DP_RELEASE_HOST
		       : !strcmp(v, "quarantine") ? DP_RELEASE_QUARANTINE : -1;
	}
	return -1;
}

static int ref_key(const char *section, const char *key, const char *value, void *ud)
{
	struct ref *ref = ud;

	if (strncmp(section, "device ", 7) == 0 && section[7])
		return ref_device(ref, section, key, value);
	if (strcmp(section, "policy") != 0)
		return INI_INVALID; /* keys outside [policy], and any other section */
	if (!key)
		return INI_VALID;
	if (strcmp(key, "vfio_drivers") == 0) {
		if (ref->vfio[0])
			return INI_INVALID;
		return ref_vfio(value, ref->vfio, sizeof(ref->vfio)) ? INI_VALID : INI_INVALID;
	}
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
	static struct ref ref;
	int64_t before[N_RULES];
	char path[64];
	int fd, r, verdict;

	memset(&ref, 0, sizeof(ref));
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
	if (r < 0 || (verdict == INI_VALID && !ref.vfio[0]))
		FZ_ASSERT(strcmp(dp_policy_get_vfio_drivers(policy), DEFAULT_VFIO_DRIVERS) == 0,
			  "vfio_drivers changed to \"%s\"", dp_policy_get_vfio_drivers(policy));
	else if (verdict == INI_VALID)
		FZ_ASSERT(strcmp(dp_policy_get_vfio_drivers(policy), ref.vfio) == 0,
			  "vfio_drivers = \"%s\", the file says \"%s\"", dp_policy_get_vfio_drivers(policy), ref.vfio);
	if (r < 0)
		FZ_ASSERT(dp_policy_get_reset_entry_count(policy) == 0,
			  "a rejected file left %zu reset entries", dp_policy_get_reset_entry_count(policy));
	else if (verdict == INI_VALID && !ref.too_many) {
		FZ_ASSERT(dp_policy_get_reset_entry_count(policy) == ref.n, "%zu reset entries, the file has %zu",
			  dp_policy_get_reset_entry_count(policy), ref.n);
		for (size_t i = 0; i < ref.n; i++) {
			const char *m = dp_policy_get_reset_methods(policy, ref.vendor[i], ref.device[i]);
			const char *want = ref.methods[i][0] ? ref.methods[i] : "none";

			FZ_ASSERT(m && strcmp(m, want) == 0, "%04x:%04x reset_method \"%s\", the file says \"%s\"",
				  ref.vendor[i], ref.device[i], m ? m : "(none)", want);
		}
	}
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}
