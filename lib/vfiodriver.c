/* SPDX-License-Identifier: MIT */
/*
 * Which drivers are ready for passthrough. vfio-pci is one; its variant
 * drivers (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) are others, and so is a
 * vendor driver that registers its devices with VFIO itself (NVIDIA's vGPU
 * VFs on nvidia, Linux 6.8+): the kernel then gives the device a
 * vfio-dev/vfioN node. The policy's vfio_drivers lists which count.
 */
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "policy.h"
#include "quote.h"
#include "sysfs.h"
#include "vfiodriver.h"

static bool pattern_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '*';
}

/* One entry, text[0..len): PATTERN[:vfio-dev]; 0 or -EINVAL with why. */
static int parse_entry(const char *text, size_t len, struct dp_vfio_driver_entry *e,
		       char *why, size_t why_len)
{
	const char *colon = memchr(text, ':', len);
	size_t plen = colon ? (size_t)(colon - text) : len;
	char q[DP_QUOTE_SIZE(40)], tmp[DP_VFIO_DRIVER_PATTERN_MAX + 16];

	snprintf(tmp, sizeof(tmp), "%.*s", (int)(len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1), text);
	dp_quote(q, sizeof(q), tmp);
	memset(e, 0, sizeof(*e));
	if (plen == 0) {
		snprintf(why, why_len, "vfio_drivers: \"%s\" names no driver before the colon", q);
		return -EINVAL;
	}
	if (plen > DP_VFIO_DRIVER_PATTERN_MAX) {
		snprintf(why, why_len, "vfio_drivers: \"%s...\" is longer than %d characters", q,
			 DP_VFIO_DRIVER_PATTERN_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < plen; i++)
		if (!pattern_char(text[i])) {
			snprintf(why, why_len, "vfio_drivers: \"%s\" is not a driver name (letters, digits, _ - . and * only)",
				 q);
			return -EINVAL;
		}
	if (colon) {
		size_t clen = len - plen - 1;

		if (clen != strlen(DP_VFIO_DEV_CONDITION) ||
		    memcmp(colon + 1, DP_VFIO_DEV_CONDITION, clen) != 0) {
			snprintf(why, why_len, "vfio_drivers: \"%s\": the only condition is :%s", q,
				 DP_VFIO_DEV_CONDITION);
			return -EINVAL;
		}
		e->need_vfio_dev = true;
	}
	memcpy(e->pattern, text, plen);
	e->pattern[plen] = '\0';
	if (!e->need_vfio_dev && strspn(e->pattern, "*") == plen) {
		/* Any host driver would count, and VFIO cannot open a device a host driver holds. */
		snprintf(why, why_len, "vfio_drivers: \"%s\" would count every host driver as ready; write %s:%s for the drivers that registered the device with VFIO",
			 q, e->pattern, DP_VFIO_DEV_CONDITION);
		return -EINVAL;
	}
	return 0;
}

static int add_entry(struct dp_vfio_drivers *l, const char *text, size_t len, char *why,
		     size_t why_len)
{
	struct dp_vfio_driver_entry e;
	int r;

	if (l->n == DP_VFIO_DRIVERS_MAX) {
		snprintf(why, why_len, "vfio_drivers: more than %d entries", DP_VFIO_DRIVERS_MAX);
		return -EINVAL;
	}
	r = parse_entry(text, len, &e, why, why_len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].need_vfio_dev == e.need_vfio_dev && strcmp(l->e[i].pattern, e.pattern) == 0) {
			snprintf(why, why_len, "vfio_drivers: %s%s%s is listed twice", e.pattern,
				 e.need_vfio_dev ? ":" : "", e.need_vfio_dev ? DP_VFIO_DEV_CONDITION : "");
			return -EINVAL;
		}
	l->e[l->n++] = e;
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int dp_vfio_drivers_parse(const char *text, struct dp_vfio_drivers *out, char *why,
			  size_t why_len)
{
	struct dp_vfio_drivers l = { 0 }; /* about 5 KiB: out is written only on success */
	size_t len = 0;
	const char *p = text;

	for (;;) {
		const char *part = p, *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);
		size_t before = l.n;

		/* A comma-separated part: one or more blank-separated entries. */
		while (part < stop) {
			const char *w;

			while (part < stop && blank(*part))
				part++;
			w = part;
			while (part < stop && !blank(*part))
				part++;
			if (part > w && add_entry(&l, w, (size_t)(part - w), why, why_len) < 0)
				return -EINVAL;
		}
		if (l.n == before && (end || l.n > 0)) {
			snprintf(why, why_len, "vfio_drivers: an empty entry %s",
				 end ? "before a comma" : "after the last comma");
			return -EINVAL;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (l.n == 0) {
		snprintf(why, why_len, "vfio_drivers lists no driver; name at least one (the default is %s)",
			 DP_VFIO_DRIVERS_DEFAULT);
		return -EINVAL;
	}
	for (size_t i = 0; i < l.n; i++)
		len += (size_t)snprintf(l.text + len, sizeof(l.text) - len, "%s%s%s%s", i ? " " : "",
					l.e[i].pattern, l.e[i].need_vfio_dev ? ":" : "",
					l.e[i].need_vfio_dev ? DP_VFIO_DEV_CONDITION : "");
	*out = l;
	return 0;
}

/* '*' matches any run, everything else itself: the classic two-pointer walk, linear backtracking. */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

bool dp_vfio_drivers_match(const struct dp_vfio_drivers *list, const char *driver,
			   bool registered)
{
	for (size_t i = 0; driver && i < list->n; i++)
		if ((!list->e[i].need_vfio_dev || registered) && glob_match(list->e[i].pattern, driver))
			return true;
	return false;
}

bool dp_vfio_pci_family(const char *driver)
{
	size_t n = driver ? strlen(driver) : 0, s = strlen(DP_VFIO_VARIANT_SUFFIX);

	if (!driver)
		return false;
	return strcmp(driver, DP_VFIO_PCI_DRIVER) == 0 ||
	       (n > s && strcmp(driver + n - s, DP_VFIO_VARIANT_SUFFIX) == 0);
}

uint32_t dp_vfio_driver_kind(const struct dp_device *dev)
{
	if (!dev->driver)
		return DP_VFIO_DRIVER_NONE;
	if (strcmp(dev->driver, DP_VFIO_PCI_DRIVER) == 0)
		return DP_VFIO_DRIVER_VFIO_PCI;
	if (dp_vfio_pci_family(dev->driver))
		return DP_VFIO_DRIVER_VARIANT;
	return dev->vfio_dev[0] ? DP_VFIO_DRIVER_VENDOR : DP_VFIO_DRIVER_HOST;
}

bool dp_vfio_driver_ready(const struct dp_policy *policy, const struct dp_device *dev)
{
	return dp_vfio_drivers_match(&policy->vfio_drivers, dev->driver, dev->vfio_dev[0] != '\0');
}

void dp_vfio_drivers_default(struct dp_vfio_drivers *list)
{
	char why[8];

	dp_vfio_drivers_parse(DP_VFIO_DRIVERS_DEFAULT, list, why, sizeof(why)); /* valid by test */
}

uint32_t dp_device_get_vfio_driver_kind(const struct dp_device *dev)
{
	return dev ? dp_vfio_driver_kind(dev) : DP_VFIO_DRIVER_NONE;
}

const char *dp_policy_get_vfio_drivers(const struct dp_policy *policy)
{
	return policy ? policy->vfio_drivers.text : NULL;
}

int dp_policy_vfio_driver_ready(const struct dp_policy *policy, const struct dp_device *dev)
{
	if (!policy || dp_bug_on(policy->ctx, !dev))
		return -EINVAL;
	return dp_vfio_driver_ready(policy, dev) ? 1 : 0;
}

bool dp_driver_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > DP_VFIO_DRIVER_PATTERN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '*' || !pattern_char(name[i]))
			return false;
	return true;
}
