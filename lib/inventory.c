/* SPDX-License-Identifier: MIT */
/*
 * The host inventory, from sysfs: one listing of /sys/bus/pci/devices, each
 * function read (inventory-read.c), then the VFs, IOMMU groups and driverctl
 * marks; the context's list in BDF order, and the lookups in it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "parse.h"
#include "pciids.h"
#include "quote.h"
#include "sysfs.h"

int dp_bdf_parse(const char *bdf, uint32_t *domain, uint8_t *bus, uint8_t *dev,
		 uint8_t *func)
{
	size_t len, dlen;
	const char *rest;
	long d = 0, b, s, f;

	if (!bdf)
		return -EINVAL;
	len = strnlen(bdf, 32);
	if (len == 7) { /* BB:DD.F */
		rest = bdf;
	} else if (len >= 12 && len <= 16) { /* DDDD:BB:DD.F, domains up to 8 digits */
		dlen = len - 8;
		if (bdf[dlen] != ':')
			return -EINVAL;
		d = 0;
		for (size_t i = 0; i < dlen; i++) {
			long x = dp_parse_hex_n(bdf + i, 1);

			if (x < 0)
				return -EINVAL;
			d = d * 16 + x;
		}
		rest = bdf + dlen + 1;
	} else {
		return -EINVAL;
	}
	if (rest[2] != ':' || rest[5] != '.' || rest[7] != '\0')
		return -EINVAL;
	b = dp_parse_hex_n(rest, 2);
	s = dp_parse_hex_n(rest + 3, 2);
	f = dp_parse_hex_n(rest + 6, 1);
	if (b < 0 || s < 0 || s > 0x1f || f < 0 || f > 7 || d > 0xffffffffL)
		return -EINVAL;
	if (domain)
		*domain = (uint32_t)d;
	if (bus)
		*bus = (uint8_t)b;
	if (dev)
		*dev = (uint8_t)s;
	if (func)
		*func = (uint8_t)f;
	return 0;
}

/* Drops the ctx's device list (a rescan, or the ctx's end). */
static void drop_devices(struct dp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_devices; i++)
		dp_leave_inventory(ctx->devices[i]);
	free(ctx->devices);
	ctx->devices = NULL;
	ctx->n_devices = 0;
}

void dp_inventory_clear(struct dp_ctx *ctx)
{
	drop_devices(ctx);
	dp_pciids_free(ctx->pciids);
	ctx->pciids = NULL;
}

static int cmp_bdf(const void *a, const void *b)
{
	uint64_t kx = dp_dev_key(*(struct dp_device *const *)a);
	uint64_t ky = dp_dev_key(*(struct dp_device *const *)b);

	return kx < ky ? -1 : kx > ky;
}

int dp_bdf_normalize(const char *in, char out[DP_BDF_LEN])
{
	uint32_t d;
	uint8_t b, s, f;

	if (dp_bdf_parse(in, &d, &b, &s, &f) < 0)
		return -EINVAL;
	snprintf(out, DP_BDF_LEN, "%04x:%02x:%02x.%x", (unsigned)d, b, s, f);
	return 0;
}

/* Where the function with this key is, or would go, in list (n, in BDF order). */
static size_t position_in(struct dp_device *const *list, size_t n, uint64_t want, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = dp_dev_key(list[mid]);

		if (k == want) {
			*found = true;
			return mid;
		}
		if (k < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

size_t dp_position(const struct dp_ctx *ctx, uint64_t want, bool *found)
{
	return position_in(ctx->devices, ctx->n_devices, want, found);
}

/* The function with this address in list (n, in BDF order), or NULL. */
static struct dp_device *find_in(struct dp_device **list, size_t n, const char *bdf)
{
	uint32_t d;
	uint8_t b, s, f;
	size_t at;
	bool found;

	if (dp_bdf_parse(bdf, &d, &b, &s, &f) < 0)
		return NULL;
	at = position_in(list, n, dp_bdf_key(d, b, s, f), &found);
	return found ? list[at] : NULL;
}

struct dp_device *dp_inventory_lookup(const struct dp_ctx *ctx, const char *bdf)
{
	return ctx ? find_in(ctx->devices, ctx->n_devices, bdf) : NULL;
}

static int cmp_name_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first device seen of each IOMMU group: an open-addressing table. */
struct group_index {
	struct dp_device **slot;
	size_t size; /* a power of two, at least twice the devices */
};

static int group_index_init(struct group_index *gi, size_t n)
{
	gi->size = 16;
	while (gi->size < 2 * n)
		gi->size *= 2;
	gi->slot = calloc(gi->size, sizeof(*gi->slot));
	return gi->slot ? 0 : -ENOMEM;
}

/* Returns the earlier member of dev's group, or records dev as the first. */
static const struct dp_device *group_seen(struct group_index *gi,
					  struct dp_device *dev)
{
	size_t i = ((uint32_t)dev->info.iommu_group * 2654435761u) & (gi->size - 1);

	while (gi->slot[i]) {
		if (gi->slot[i]->info.iommu_group == dev->info.iommu_group)
			return gi->slot[i];
		i = (i + 1) & (gi->size - 1);
	}
	gi->slot[i] = dev;
	return NULL;
}

/* The group's members into dev: a read, or the copy of an earlier member's. */
static int group_members(struct dp_ctx *ctx, int groups_fd, struct group_index *seen,
			 struct dp_device *dev)
{
	const struct dp_device *same;

	if (dev->info.iommu_group < 0 || groups_fd < 0)
		return 0;
	same = group_seen(seen, dev);
	return same ? dp_copy_group(dev, same) : dp_read_group(ctx, groups_fd, dev);
}

/* The driverctl files present, sorted: most functions have none, and need no open. */
struct name_list {
	char **names;
	size_t n;
};

static void name_list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

static int list_marks(int dirfd, struct name_list *l)
{
	int fd = dup(dirfd);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char **p;

		if (strncmp(de->d_name, DP_DRIVERCTL_PREFIX, strlen(DP_DRIVERCTL_PREFIX)) != 0)
			continue;
		p = realloc(l->names, (l->n + 1) * sizeof(*p));
		if (!p || !(p[l->n] = strdup(de->d_name + strlen(DP_DRIVERCTL_PREFIX)))) {
			l->names = p ? p : l->names;
			closedir(d);
			return -ENOMEM;
		}
		l->names = p;
		l->n++;
	}
	closedir(d);
	if (l->n)
		qsort(l->names, l->n, sizeof(*l->names), cmp_name_ptr);
	return 0;
}

static bool has_mark_file(const struct name_list *l, const char *bdf)
{
	return l->n && bsearch(&bdf, l->names, l->n, sizeof(*l->names), cmp_name_ptr);
}

/* The driverctl directory, or -1 (a warning unless it is simply absent). */
int dp_open_marks(struct dp_ctx *ctx)
{
	int fd = open(ctx->driverctl_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT)
		dp_warn(ctx, "%s: %s; no device is marked for passthrough",
			ctx->driverctl_dir, strerror(errno));
	return fd;
}

/*
 * /sys/bus/pci/devices, and the filesystem it is on (FS_UNKNOWN when fstat
 * fails); -ENODEV (logged) when there is no PCI bus.
 */
int dp_open_devices(struct dp_ctx *ctx, dev_t *fs)
{
	struct stat st;
	int fd = open(DP_SYS_PCI_DEVICES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		dp_err(ctx, "no PCI bus in sysfs: %s: %s", DP_SYS_PCI_DEVICES, strerror(errno));
		return -ENODEV;
	}
	*fs = fstat(fd, &st) == 0 ? st.st_dev : FS_UNKNOWN;
	return fd;
}

/*
 * The VFs of each PF of the scan, from its virtfn links (the kernel makes
 * them with the VF's physfn link): flagged, with their PF. 0 or -ENOMEM.
 */
static int mark_vfs(int devices_fd, struct dp_device **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct dp_device *pf = list[i];
		int dfd;

		if (!(pf->info.flags & DP_DEVICE_SRIOV_PF))
			continue;
		dfd = openat(devices_fd, pf->bdf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		for (unsigned k = 0; k <= UINT16_MAX; k++) {
			char name[32], buf[DP_SYSFS_ATTR_MAX];
			struct dp_device *vf;

			snprintf(name, sizeof(name), "virtfn%u", k);
			if (dp_sysfs_readlink_base(dfd, name, buf, sizeof(buf)) < 0)
				break;
			vf = find_in(list, n, buf);
			if (!vf)
				continue;
			free(vf->physfn);
			vf->physfn = strdup(pf->bdf);
			if (!vf->physfn) {
				close(dfd);
				return -ENOMEM;
			}
			vf->info.flags |= DP_DEVICE_SRIOV_VF;
		}
		close(dfd);
	}
	return 0;
}

int dp_inventory_scan(struct dp_ctx *ctx, unsigned flags)
{
	struct dp_device **list = NULL;
	struct group_index seen = { 0 };
	struct name_list marks = { 0 };
	struct dirent *de;
	DIR *d = NULL;
	struct read_opts ro = {
		.crosscheck = true,
		.vfs_from_pfs = true,
		.load = flags & DP_SCAN_EAGER ? DP_DEVICE_LOADED_ALL : 0,
	};
	size_t n = 0, cap = 0;
	int devices_fd, groups_fd = -1, marks_fd = -1;
	dev_t fs;
	int r = 0;

	if (!ctx)
		return -EINVAL;
	devices_fd = dp_open_devices(ctx, &fs);
	if (devices_fd < 0)
		return devices_fd;
	d = fdopendir(devices_fd);
	if (!d) {
		close(devices_fd);
		r = -ENOMEM;
		goto err;
	}
	while ((de = readdir(d))) {
		struct dp_device *dev;
		uint32_t dom;
		uint8_t bus, slot, fn;

		if (de->d_name[0] == '.')
			continue;
		if (dp_bdf_parse(de->d_name, &dom, &bus, &slot, &fn) < 0) {
			char q[DP_QUOTE_SIZE(64)];

			dp_warn(ctx, "%s/%s: not a PCI address; skipped", DP_SYS_PCI_DEVICES,
				dp_quote(q, sizeof(q), de->d_name));
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *p = realloc(list, ncap * sizeof(*list));

			if (!p) {
				r = -ENOMEM;
				goto err;
			}
			list = p;
			cap = ncap;
		}
		dev = dp_device_new(ctx, dom, bus, slot, fn);
		if (!dev) {
			r = -ENOMEM;
			goto err;
		}
		/* The entry, a link the kernel makes with the function: the same one while it stays. */
		dev->sysfs_dev = fs;
		dev->sysfs_ino = de->d_ino;
		r = dp_read_function(ctx, dirfd(d), dev, &ro);
		if (r == -ENOENT) { /* gone since the listing */
			dp_device_free(dev);
			r = 0;
			continue;
		}
		dev->in_inventory = true;
		list[n++] = dev;
		if (r < 0)
			goto err;
	}

	if (n)
		qsort(list, n, sizeof(*list), cmp_bdf);
	r = mark_vfs(dirfd(d), list, n);
	if (r < 0)
		goto err;
	groups_fd = open(DP_SYS_IOMMU_GROUPS, O_PATH | O_DIRECTORY | O_CLOEXEC);
	marks_fd = dp_open_marks(ctx);
	if (marks_fd >= 0) {
		r = list_marks(marks_fd, &marks);
		if (r < 0)
			goto err;
	}
	r = group_index_init(&seen, n);
	if (r < 0)
		goto err;
	for (size_t i = 0; i < n; i++) {
		struct dp_device *dev = list[i];

		r = group_members(ctx, groups_fd, &seen, dev);
		if (r < 0)
			goto err;
		if (marks_fd >= 0 && has_mark_file(&marks, dev->bdf) &&
		    dp_mark_read_dev(ctx, marks_fd, dev) == 1)
			dev->info.flags |= DP_DEVICE_MARKED;
	}
	closedir(d);
	if (groups_fd >= 0)
		close(groups_fd);
	if (marks_fd >= 0)
		close(marks_fd);
	free(seen.slot);
	name_list_free(&marks);

	drop_devices(ctx);
	dp_caps_read(ctx, &ctx->caps);
	ctx->inventory_free = dp_inventory_clear;
	ctx->devices = list;
	ctx->n_devices = n;
	ctx->scanned = true;
	dp_dbg(ctx, "scan: %zu PCI functions", n);
	return (int)n;
err:
	free(seen.slot);
	name_list_free(&marks);
	if (d)
		closedir(d);
	if (groups_fd >= 0)
		close(groups_fd);
	if (marks_fd >= 0)
		close(marks_fd);
	for (size_t i = 0; i < n; i++)
		dp_device_free(list[i]);
	free(list);
	if (r == -ENOMEM)
		dp_err(ctx, "scan: out of memory");
	return r;
}

int dp_ctx_scan(struct dp_ctx *ctx)
{
	return dp_inventory_scan(ctx, 0);
}

/* Before the first scan the list may hold what a refresh read: not a scan, so not listed. */
size_t dp_ctx_get_device_count(const struct dp_ctx *ctx)
{
	return ctx && ctx->scanned ? ctx->n_devices : 0;
}

struct dp_device *dp_ctx_get_device(const struct dp_ctx *ctx, size_t index)
{
	if (!ctx || !ctx->scanned || index >= ctx->n_devices)
		return NULL;
	return ctx->devices[index];
}

int dp_ctx_find_device(struct dp_ctx *ctx, const char *bdf,
		       struct dp_device **out)
{
	char want[DP_BDF_LEN], q[DP_QUOTE_SIZE(64)];
	struct dp_device *dev;
	int r;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !out))
		return -EINVAL;
	if (!bdf || dp_bdf_normalize(bdf, want) < 0) {
		dp_err(ctx, "\"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
		       dp_quote(q, sizeof(q), bdf));
		return -EINVAL;
	}
	if (!ctx->scanned) {
		r = dp_ctx_scan(ctx);
		if (r < 0)
			return r;
	}
	dev = dp_inventory_lookup(ctx, want);
	if (!dev) {
		dp_err(ctx, "%s: no such PCI function on this host", want);
		return -ENODEV;
	}
	*out = dp_device_ref(dev);
	return 0;
}
