/* SPDX-License-Identifier: MIT */
/*
 * How a function resets: the kernel's reset_method, or a list derived from
 * config space the way the kernel probes its methods (drivers/pci/pci.c),
 * and which functions a bus reset of it takes along.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "resetmethod.h"
#include "sysfs.h"

/* pci_reset_fn_methods[], in its order: the words reset_method reads and takes. */
const char *const dp_reset_method_names[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus", NULL,
};

static bool is_method(const char *w, size_t n)
{
	for (size_t i = 0; dp_reset_method_names[i]; i++)
		if (strlen(dp_reset_method_names[i]) == n &&
		    memcmp(dp_reset_method_names[i], w, n) == 0)
			return true;
	return false;
}

static bool has_word(const char *list, const char *w, size_t n)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");

		if (len == n && memcmp(p, w, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

int dp_reset_list_parse(const char *text, char out[DP_RESET_LIST_MAX], char *msg, size_t size)
{
	static const char sep[] = " \t,";
	char list[DP_RESET_LIST_MAX] = "";
	size_t len = 0, words = 0;
	bool none = false;

	for (const char *p = text + strspn(text, sep); *p; p += strspn(p, sep)) {
		size_t n = strcspn(p, sep);

		words++;
		if (n == 4 && memcmp(p, "none", 4) == 0) {
			none = true;
		} else if (n == 4 && memcmp(p, "slot", 4) == 0) {
			snprintf(msg, size, "\"slot\" is not a reset method: the kernel's bus method resets a hotplug slot too; write bus");
			return -EINVAL;
		} else if (!is_method(p, n)) {
			snprintf(msg, size, "unknown reset method \"%.*s\" (device_specific, acpi, flr, af_flr, pm, bus, cxl_bus or none)",
				 n > 32 ? 32 : (int)n, p);
			return -EINVAL;
		} else if (has_word(list, p, n)) {
			snprintf(msg, size, "reset method \"%.*s\" named twice", (int)n, p);
			return -EINVAL;
		} else {
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%.*s",
						len ? " " : "", (int)n, p);
		}
		p += n;
	}
	if (words == 0) {
		snprintf(msg, size, "no reset method named (a list such as \"flr bus\", or none)");
		return -EINVAL;
	}
	if (none && words > 1) {
		snprintf(msg, size, "none stands alone: it means no reset at all");
		return -EINVAL;
	}
	memcpy(out, list, sizeof(list));
	return 0;
}

const struct dp_device *dp_reset_parent(const struct dp_ctx *ctx, const struct dp_device *dev)
{
	if (!ctx || !dev || (dev->info.flags & DP_DEVICE_SRIOV_VF))
		return NULL; /* a VF's bus is the PF's, or virtual: the kernel never bus-resets it */
	for (size_t i = 0; i < ctx->n_devices; i++) {
		const struct dp_device *b = ctx->devices[i];

		if (b != dev && b->info.domain == dev->info.domain && b->secondary_bus &&
		    b->secondary_bus == dev->info.bus)
			return b;
	}
	return NULL;
}

/* Is d, not dev, below bridge (secondary to last)? */
static bool is_peer(const struct dp_device *bridge, uint8_t last, const struct dp_device *dev,
		    const struct dp_device *d)
{
	return d != dev && d->info.domain == dev->info.domain &&
	       d->info.bus >= bridge->secondary_bus && d->info.bus <= last;
}

/* The last bus below bridge: one whose subordinate reads below its secondary has that alone. */
static uint8_t last_bus(const struct dp_device *bridge)
{
	return bridge->subordinate_bus < bridge->secondary_bus ? bridge->secondary_bus
							       : bridge->subordinate_bus;
}

size_t dp_reset_peers(const struct dp_ctx *ctx, const struct dp_device *dev,
		      const struct dp_device **out, size_t max)
{
	const struct dp_device *bridge = dp_reset_parent(ctx, dev);
	size_t n = 0;

	if (!bridge)
		return 0;
	for (size_t i = 0; i < ctx->n_devices; i++)
		if (is_peer(bridge, last_bus(bridge), dev, ctx->devices[i])) {
			if (n < max)
				out[n] = ctx->devices[i];
			n++;
		}
	return n;
}

/* pci_init_reset_methods()'s probes, from what config space and the inventory say. */
static void derive(const struct dp_device *dev, char *buf, size_t size)
{
	uint64_t f = dev->info.flags;
	size_t len = 0;

	buf[0] = '\0';
#define ADD(w) (len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", (w)))
	if (f & DP_DEVICE_FLR)
		ADD("flr");
	if (f & DP_DEVICE_AF_FLR)
		ADD("af_flr");
	if ((f & DP_DEVICE_PM) && !(f & DP_DEVICE_PM_NO_SOFT_RESET) && !(f & DP_DEVICE_CONFIG_SHORT))
		ADD("pm");
	/* pci_parent_bus_reset: not a bridge, below one, and alone on that bus. */
	if (!(f & DP_DEVICE_BRIDGE) && dp_reset_parent(dev->ctx, dev)) {
		bool alone = true;

		for (size_t i = 0; i < dev->ctx->n_devices && alone; i++) {
			const struct dp_device *d = dev->ctx->devices[i];

			alone = d == dev || d->info.domain != dev->info.domain ||
				d->info.bus != dev->info.bus;
		}
		if (alone)
			ADD("bus");
	}
#undef ADD
}

const char *dp_reset_effective(const struct dp_device *cdev, bool *derived)
{
	/* The derived list is a cache of what the inventory says, like the lazy facts. */
	struct dp_device *dev = (struct dp_device *)cdev;

	dp_device_load(dev, DP_DEVICE_LOADED_RESET);
	if (dev->has_reset_method && dev->reset_methods) {
		if (derived)
			*derived = false;
		return dev->reset_methods;
	}
	derive(dev, dev->derived_reset, sizeof(dev->derived_reset));
	if (derived)
		*derived = true;
	return dev->derived_reset;
}

bool dp_reset_is_bus(const struct dp_ctx *ctx, const struct dp_device *dev, const char *methods)
{
	size_t n = strcspn(methods, " ");

	if (n == 0) /* no function reset: what vfio-pci can still do is reset the bus */
		return !(dev->info.flags & DP_DEVICE_BRIDGE) && dp_reset_parent(ctx, dev);
	return (n == 3 && memcmp(methods, "bus", 3) == 0) ||
	       (n == 7 && memcmp(methods, "cxl_bus", 7) == 0);
}

const char *dp_device_get_reset_list(const struct dp_device *dev)
{
	return dev ? dp_reset_effective(dev, NULL) : NULL;
}

uint32_t dp_device_get_reset_source(const struct dp_device *dev)
{
	bool derived;

	if (!dev)
		return 0;
	dp_reset_effective(dev, &derived);
	return derived ? DP_RESET_SOURCE_DERIVED : DP_RESET_SOURCE_KERNEL;
}

size_t dp_device_get_reset_peer_count(const struct dp_device *dev)
{
	return dev ? dp_reset_peers(dev->ctx, dev, NULL, 0) : 0;
}

const char *dp_device_get_reset_peer(const struct dp_device *dev, size_t index)
{
	const struct dp_device *bridge = dev ? dp_reset_parent(dev->ctx, dev) : NULL;

	if (!bridge)
		return NULL;
	for (size_t i = 0; i < dev->ctx->n_devices; i++)
		if (is_peer(bridge, last_bus(bridge), dev, dev->ctx->devices[i]) && index-- == 0)
			return dev->ctx->devices[i]->bdf;
	return NULL;
}

/* The bridge above bdf, from where the kernel put its sysfs directory; false on a root bus. */
static bool sysfs_parent(const char *bdf, char out[DP_BDF_LEN])
{
	char path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1], target[4096], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	slash = strrchr(target, '/'); /* ../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0 */
	if (!slash)
		return false;
	*slash = '\0';
	slash = strrchr(target, '/');
	return dp_bdf_normalize(slash ? slash + 1 : target, out) == 0;
}

/* Appends bdf to the list at *list (n entries, room for *cap) once; 0 or -ENOMEM. */
static int add_once(char (**list)[DP_BDF_LEN], size_t *n, size_t *cap, const char *bdf)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], bdf) == 0)
			return 0;
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void *p = realloc(*list, c * sizeof(**list));

		if (!p)
			return -ENOMEM;
		*list = p;
		*cap = c;
	}
	snprintf((*list)[(*n)++], DP_BDF_LEN, "%s", bdf);
	return 0;
}

/* The bridge above bdf and every function below it, from sysfs, onto the list. */
static int around_one(const char *bdf, char (**list)[DP_BDF_LEN], size_t *n, size_t *cap)
{
	char bridge[DP_BDF_LEN], path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1];
	uint8_t hdr[0x1b];
	uint32_t dom, d;
	uint8_t b, s, f, bus;
	struct dirent *de;
	long got;
	int dfd, r;
	DIR *dir;

	if (!sysfs_parent(bdf, bridge) || dp_bdf_parse(bridge, &dom, &b, &s, &f) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, bridge);
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	got = dfd < 0 ? -errno : dp_sysfs_read_bin(dfd, "config", hdr, sizeof(hdr));
	if (dfd >= 0)
		close(dfd);
	if (got < (long)sizeof(hdr) || (hdr[0x0e] & 0x7f) != 1)
		return 0; /* not a PCI-to-PCI bridge we can read: the scan's inventory decides */
	r = add_once(list, n, cap, bridge);
	dir = r < 0 ? NULL : opendir(DP_SYS_PCI_DEVICES);
	while (dir && r == 0 && (de = readdir(dir)))
		if (dp_bdf_parse(de->d_name, &d, &bus, &s, &f) == 0 && d == dom &&
		    bus >= hdr[0x19] && bus <= (hdr[0x1a] < hdr[0x19] ? hdr[0x19] : hdr[0x1a]))
			r = add_once(list, n, cap, de->d_name);
	if (dir)
		closedir(dir);
	return r;
}

int dp_reset_refresh_around(struct dp_ctx *ctx, char (*bdfs)[DP_BDF_LEN], size_t n)
{
	char (*list)[DP_BDF_LEN] = NULL;
	size_t count = 0, cap = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = around_one(bdfs[i], &list, &count, &cap);
	if (r == 0 && count)
		r = dp_inventory_refresh(ctx, list, count);
	free(list);
	return r;
}
