/* SPDX-License-Identifier: MIT */
/* The host inventory: libpciaccess for enumeration, config space and names; sysfs for the rest. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pciaccess.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "pciconf.h"
#include "quote.h"
#include "parse.h"
#include "sysfs.h"

/* libpciaccess keeps its state in globals: one scan at a time per process. */
static pthread_mutex_t dp_pciaccess_lock = PTHREAD_MUTEX_INITIALIZER;

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

static void dp_device_free(struct dp_device *dev)
{
	free(dev->vendor_name);
	free(dev->device_name);
	free(dev->driver);
	free(dev->driver_override);
	free(dev->reset_methods);
	free(dev->physfn);
	free(dev->group);
	free(dev);
}

void dp_inventory_clear(struct dp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_devices; i++) {
		struct dp_device *dev = ctx->devices[i];

		dev->in_inventory = false;
		if (dev->refcount == 0)
			dp_device_free(dev);
	}
	free(ctx->devices);
	ctx->devices = NULL;
	ctx->n_devices = 0;
}

struct dp_device *dp_device_ref(struct dp_device *dev)
{
	if (!dev)
		return NULL;
	if (dev->refcount++ == 0)
		dp_ctx_ref(dev->ctx);
	return dev;
}

struct dp_device *dp_device_unref(struct dp_device *dev)
{
	struct dp_ctx *ctx;

	if (!dev || dev->refcount <= 0)
		return NULL;
	if (--dev->refcount > 0)
		return NULL;
	ctx = dev->ctx;
	if (!dev->in_inventory)
		dp_device_free(dev);
	dp_ctx_unref(ctx); /* may end the ctx, and with it the inventory */
	return NULL;
}

/* A strdup that treats NULL as NULL. */
static int dup_or_null(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static void warn_attr(struct dp_ctx *ctx, const char *bdf, const char *attr,
		      int r)
{
	if (r == -EINVAL || r == -EFBIG)
		dp_warn(ctx, "%s: sysfs attribute %s holds garbage; treated as unknown",
			bdf, attr);
	else
		dp_warn(ctx, "%s: sysfs attribute %s unreadable (%s); treated as unknown",
			bdf, attr, strerror(-r));
}

/* For functions whose config space is short: the IDs from sysfs attributes. */
static void ids_from_attrs(struct dp_ctx *ctx, int dfd, struct dp_device *dev)
{
	static const struct {
		const char *name;
		uint64_t max;
		size_t off;
		size_t size;
	} attrs[] = {
		{ "vendor", 0xffff, offsetof(struct dp_device_info, vendor_id), 2 },
		{ "device", 0xffff, offsetof(struct dp_device_info, device_id), 2 },
		{ "subsystem_vendor", 0xffff, offsetof(struct dp_device_info, subsystem_vendor_id), 2 },
		{ "subsystem_device", 0xffff, offsetof(struct dp_device_info, subsystem_id), 2 },
		{ "class", 0xffffff, offsetof(struct dp_device_info, class_code), 4 },
		{ "revision", 0xff, offsetof(struct dp_device_info, revision), 1 },
	};

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		uint64_t v;
		int r = dp_sysfs_read_u64(dfd, attrs[i].name, 16, attrs[i].max, &v);
		unsigned char *p = (unsigned char *)&dev->info + attrs[i].off;

		if (r < 0) {
			if (r != -ENOENT)
				warn_attr(ctx, dev->bdf, attrs[i].name, r);
			continue;
		}
		if (attrs[i].size == 1) {
			uint8_t x = (uint8_t)v;
			memcpy(p, &x, 1);
		} else if (attrs[i].size == 2) {
			uint16_t x = (uint16_t)v;
			memcpy(p, &x, 2);
		} else {
			uint32_t x = (uint32_t)v;
			memcpy(p, &x, 4);
		}
	}
}

/*
 * Config space is the truth about IDs; libpciaccess may have read them from
 * sysfs attributes, where garbage becomes 0. A disagreement is reported.
 */
static void ids_from_config(struct dp_ctx *ctx, struct dp_device *dev,
			    const struct pci_device *pd, const uint8_t *cfg)
{
	struct dp_device_info *i = &dev->info;
	uint32_t class_code = (uint32_t)cfg[9] | (uint32_t)cfg[10] << 8 | (uint32_t)cfg[11] << 16;

	i->vendor_id = (uint16_t)(cfg[0] | cfg[1] << 8);
	i->device_id = (uint16_t)(cfg[2] | cfg[3] << 8);
	i->revision = cfg[8];
	i->class_code = class_code;
	if ((cfg[0x0e] & 0x7f) == 0) {
		i->subsystem_vendor_id = (uint16_t)(cfg[0x2c] | cfg[0x2d] << 8);
		i->subsystem_id = (uint16_t)(cfg[0x2e] | cfg[0x2f] << 8);
	} else { /* bridges keep theirs in a capability: take what the kernel says */
		i->subsystem_vendor_id = pd->subvendor_id;
		i->subsystem_id = pd->subdevice_id;
	}
	if (pd->vendor_id != i->vendor_id)
		dp_warn(ctx, "%s: sysfs vendor (%#06x) disagrees with config space (%#06x); config space used",
			dev->bdf, pd->vendor_id, i->vendor_id);
	if (pd->device_id != i->device_id)
		dp_warn(ctx, "%s: sysfs device (%#06x) disagrees with config space (%#06x); config space used",
			dev->bdf, pd->device_id, i->device_id);
	if ((pd->device_class & 0xffffff) != class_code)
		dp_warn(ctx, "%s: sysfs class (%#08x) disagrees with config space (%#08x); config space used",
			dev->bdf, pd->device_class & 0xffffff, class_code);
}

/* What the parsed config space says: IDs, header, capabilities. */
static void config_facts(struct dp_ctx *ctx, struct dp_device *dev,
			 const struct pci_device *pd, const uint8_t *cfg,
			 const struct dp_pciconf *pc)
{
	ids_from_config(ctx, dev, pd, cfg);
	dev->info.flags |= pc->flags;
	dev->info.header_type = pc->header_type;
	dev->info.msi_vectors = pc->msi_vectors;
	dev->info.msix_table_size = pc->msix_table_size;
	dev->info.msix_table_bir = pc->msix_table_bir;
	dev->info.msix_table_offset = pc->msix_table_offset;
	dev->info.msix_pba_bir = pc->msix_pba_bir;
	dev->info.msix_pba_offset = pc->msix_pba_offset;
	if (pc->cap_loop)
		dp_warn(ctx, "%s: capability list loops or is too long; walk stopped",
			dev->bdf);
	if (pc->ext_cap_loop)
		dp_warn(ctx, "%s: extended capability list loops or is too long; walk stopped",
			dev->bdf);
}

/* What libpciaccess knows: IDs, config space, BARs, names. */
static struct dp_device *device_from_pci(struct dp_ctx *ctx,
					 struct pci_device *pd, bool *short_warned)
{
	uint8_t cfg[DP_PCI_CFG_SPACE_EXP];
	struct dp_pciconf pc;
	pciaddr_t got = 0;
	struct dp_device *dev = calloc(1, sizeof(*dev));
	int probe_err, read_err;

	if (!dev)
		return NULL;
	dev->ctx = ctx;
	dev->in_inventory = true;
	dev->info.sz = sizeof(dev->info);
	dev->info.domain = pd->domain;
	dev->info.bus = pd->bus;
	dev->info.dev = pd->dev;
	dev->info.func = pd->func;
	snprintf(dev->bdf, sizeof(dev->bdf), "%04x:%02x:%02x.%x",
		 (unsigned)pd->domain, pd->bus, pd->dev, pd->func);
	dev->info.iommu_group = -1;
	dev->info.numa_node = -1;

	probe_err = pci_device_probe(pd);
	read_err = pci_device_cfg_read(pd, cfg, 0, sizeof(cfg), &got);
	dev->info.config_size = (uint32_t)got;
	if (read_err || got < DP_PCI_CFG_HEADER || dp_pciconf_parse(cfg, got, &pc) < 0) {
		/*
		 * Less than the header, or a read that failed (part-way too): not
		 * to be trusted. Unknown is not eligible: the flag makes the
		 * policy and mark refuse it; IDs and class come from sysfs.
		 */
		dev->info.flags |= DP_DEVICE_CONFIG_SHORT | DP_DEVICE_CONFIG_UNREADABLE;
		dp_warn(ctx, "%s: config space unreadable (%u bytes read%s%s); what it is and how it resets are unknown",
			dev->bdf, (unsigned)got, read_err ? ", then " : "",
			read_err ? strerror(read_err) : "");
	} else {
		if (got < DP_PCI_CFG_SPACE) {
			/* Unprivileged readers get the header alone: capabilities are unknown, not absent. */
			dev->info.flags |= DP_DEVICE_CONFIG_SHORT;
			if (!*short_warned)
				dp_warn(ctx, "%s: only %u bytes of config space readable (not root?); capabilities unknown",
					dev->bdf, (unsigned)got);
			*short_warned = true;
		}
		config_facts(ctx, dev, pd, cfg, &pc);
	}

	if (probe_err == 0) {
		for (int i = 0; i < 6; i++) {
			const struct pci_mem_region *reg = &pd->regions[i];

			if (reg->size == 0)
				continue;
			if (reg->size & (reg->size - 1)) {
				dp_warn(ctx, "%s: BAR %d size %#llx is not a power of two; ignored",
					dev->bdf, i, (unsigned long long)reg->size);
				continue;
			}
			dev->info.bar_size[i] = reg->size;
			dev->info.bar_flags[i] = DP_BAR_PRESENT |
						 (reg->is_IO ? DP_BAR_IO : 0) |
						 (reg->is_64 ? DP_BAR_MEM64 : 0) |
						 (reg->is_prefetchable ? DP_BAR_PREFETCH : 0);
		}
		if (pd->rom_size) {
			dev->info.rom_size = pd->rom_size;
			dev->info.flags |= DP_DEVICE_ROM;
		}
	} else {
		dp_warn(ctx, "%s: libpciaccess could not probe it (%s); BARs unknown",
			dev->bdf, strerror(probe_err));
	}
	if (dup_or_null(&dev->vendor_name, pci_device_get_vendor_name(pd)) < 0 ||
	    dup_or_null(&dev->device_name, pci_device_get_device_name(pd)) < 0) {
		dp_device_free(dev);
		return NULL;
	}
	return dev;
}

/* What sysfs adds: group, driver, override, boot VGA, reset, SR-IOV, NUMA. */
static int complete_from_sysfs(struct dp_ctx *ctx, int devices_fd,
			       struct dp_device *dev)
{
	char buf[DP_SYSFS_ATTR_MAX];
	uint64_t u;
	long l;
	int dfd, r;

	dfd = openat(devices_fd, dev->bdf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		dp_warn(ctx, "%s: no sysfs directory (%s)", dev->bdf, strerror(errno));
		return 0;
	}
	if (dev->info.flags & DP_DEVICE_CONFIG_SHORT)
		ids_from_attrs(ctx, dfd, dev);
	/* The class says "bridge" even where the header type is unknown (config unreadable). */
	switch (dev->info.class_code >> 8) {
	case 0x0600: /* host bridge */
		dev->info.flags |= DP_DEVICE_HOST_BRIDGE;
		break;
	case 0x0604: /* PCI-to-PCI */
	case 0x0607: /* CardBus */
	case 0x0609: /* semi-transparent PCI-to-PCI */
		dev->info.flags |= DP_DEVICE_BRIDGE;
		break;
	default:
		break;
	}

	r = dp_sysfs_readlink_base(dfd, "driver", buf, sizeof(buf));
	if (r >= 0 && !(dev->driver = strdup(buf)))
		goto oom;
	r = dp_sysfs_read(dfd, "driver_override", buf, sizeof(buf));
	if (r > 0 && strcmp(buf, "(null)") != 0 && !(dev->driver_override = strdup(buf)))
		goto oom;
	else if (r < 0 && r != -ENOENT)
		warn_attr(ctx, dev->bdf, "driver_override", r);

	r = dp_sysfs_readlink_base(dfd, "iommu_group", buf, sizeof(buf));
	if (r >= 0) {
		if (dp_parse_u64(buf, 10, INT32_MAX, &u) == 0)
			dev->info.iommu_group = (int32_t)u;
		else
			warn_attr(ctx, dev->bdf, "iommu_group", -EINVAL);
	}

	r = dp_sysfs_read_long(dfd, "numa_node", -1, INT32_MAX, &l);
	if (r == 0)
		dev->info.numa_node = (int32_t)l;
	else if (r != -ENOENT)
		warn_attr(ctx, dev->bdf, "numa_node", r);

	if ((dev->info.class_code >> 16) == 0x03) { /* the kernel has boot_vga for displays only */
		r = dp_sysfs_read_long(dfd, "boot_vga", 0, 1, &l);
		if (r == 0 && l == 1)
			dev->info.flags |= DP_DEVICE_BOOT_VGA;
		else if (r < 0 && r != -ENOENT)
			warn_attr(ctx, dev->bdf, "boot_vga", r);
	}

	r = dp_sysfs_read(dfd, "reset_method", buf, sizeof(buf));
	if (r >= 0) {
		dev->has_reset_method = true;
		if (!(dev->reset_methods = strdup(buf)))
			goto oom;
	} else if (r != -ENOENT) {
		warn_attr(ctx, dev->bdf, "reset_method", r);
	}

	r = dp_sysfs_readlink_base(dfd, "physfn", buf, sizeof(buf));
	if (r >= 0) {
		if (dp_bdf_parse(buf, NULL, NULL, NULL, NULL) == 0) {
			dev->info.flags |= DP_DEVICE_SRIOV_VF;
			if (!(dev->physfn = strdup(buf)))
				goto oom;
		} else {
			warn_attr(ctx, dev->bdf, "physfn", -EINVAL);
		}
	}
	if (faccessat(dfd, "virtfn0", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		dev->info.flags |= DP_DEVICE_SRIOV_PF;
	if (dp_sysfs_read_long(dfd, "sriov_totalvfs", 0, INT32_MAX, &l) == 0) {
		dev->info.sriov_total_vfs = (uint32_t)l;
		if (dp_sysfs_read_long(dfd, "sriov_numvfs", 0, INT32_MAX, &l) == 0)
			dev->info.sriov_num_vfs = (uint32_t)l;
	}
	close(dfd);
	return 0;
oom:
	close(dfd);
	return -ENOMEM;
}

/* The inventory's order: domain, bus, device, function, as numbers (not as text). */
static uint64_t bdf_key(uint32_t domain, uint8_t bus, uint8_t dev, uint8_t func)
{
	return (uint64_t)domain << 16 | (uint64_t)bus << 8 | (uint64_t)dev << 3 | func;
}

static uint64_t dev_key(const struct dp_device *d)
{
	return bdf_key(d->info.domain, d->info.bus, d->info.dev, d->info.func);
}

static int cmp_bdf(const void *a, const void *b)
{
	uint64_t kx = dev_key(*(struct dp_device *const *)a);
	uint64_t ky = dev_key(*(struct dp_device *const *)b);

	return kx < ky ? -1 : kx > ky;
}

/* Group members: normalised BDF strings, in the same numeric order. */
static int cmp_member(const void *a, const void *b)
{
	uint32_t d[2] = { 0, 0 };
	uint8_t bus[2] = { 0, 0 }, dev[2] = { 0, 0 }, fn[2] = { 0, 0 };
	uint64_t kx, ky;

	dp_bdf_parse(a, &d[0], &bus[0], &dev[0], &fn[0]);
	dp_bdf_parse(b, &d[1], &bus[1], &dev[1], &fn[1]);
	kx = bdf_key(d[0], bus[0], dev[0], fn[0]);
	ky = bdf_key(d[1], bus[1], dev[1], fn[1]);
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

struct dp_device *dp_inventory_lookup(const struct dp_ctx *ctx, const char *bdf)
{
	uint32_t d;
	uint8_t b, s, f;
	uint64_t want;

	if (!ctx || dp_bdf_parse(bdf, &d, &b, &s, &f) < 0)
		return NULL;
	want = bdf_key(d, b, s, f);
	for (size_t lo = 0, hi = ctx->n_devices; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = dev_key(ctx->devices[mid]);

		if (k == want)
			return ctx->devices[mid];
		if (k < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_name_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The members of IOMMU group n, sorted, into dev (a fresh read per group). */
static int read_group(struct dp_ctx *ctx, int groups_fd, struct dp_device *dev)
{
	char name[32];
	struct dirent *de;
	DIR *d;
	int fd;
	size_t cap = 0;

	snprintf(name, sizeof(name), "%d/devices", dev->info.iommu_group);
	fd = openat(groups_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		dp_warn(ctx, "%s: IOMMU group %d has no device list (%s)", dev->bdf,
			dev->info.iommu_group, strerror(errno));
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char bdf[DP_BDF_LEN];

		if (dp_bdf_normalize(de->d_name, bdf) < 0)
			continue;
		if (dev->group_size == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			void *p = realloc(dev->group, ncap * sizeof(*dev->group));

			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			dev->group = p;
			cap = ncap;
		}
		memcpy(dev->group[dev->group_size++], bdf, sizeof(bdf));
	}
	closedir(d);
	if (dev->group_size)
		qsort(dev->group, dev->group_size, sizeof(*dev->group), cmp_member);
	return 0;
}

/* Copies the member list of an earlier device in the same group. */
static int copy_group(struct dp_device *dst, const struct dp_device *src)
{
	if (src->group_size == 0)
		return 0;
	dst->group = malloc(src->group_size * sizeof(*src->group));
	if (!dst->group)
		return -ENOMEM;
	memcpy(dst->group, src->group, src->group_size * sizeof(*src->group));
	dst->group_size = src->group_size;
	return 0;
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

/* libpciaccess failed: find out which function it choked on, for the message. */
static int scan_failed(struct dp_ctx *ctx, int err)
{
	DIR *d = opendir(DP_SYS_PCI_DEVICES);
	struct dirent *de;
	int found = 0;

	if (!d) {
		dp_err(ctx, "no PCI bus in sysfs: %s: %s", DP_SYS_PCI_DEVICES,
		       strerror(errno));
		return -ENODEV;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/config", de->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			dp_err(ctx, "%s: config space unreadable (%s); libpciaccess cannot read the bus",
			       de->d_name, strerror(errno));
			found++;
		} else {
			close(fd);
		}
	}
	closedir(d);
	if (!found)
		dp_err(ctx, "libpciaccess could not read the PCI bus: %s", strerror(err));
	return -EIO;
}

int dp_ctx_scan(struct dp_ctx *ctx)
{
	struct dp_device **list = NULL;
	struct group_index seen = { 0 };
	struct name_list marks = { 0 };
	struct pci_device_iterator *it;
	struct pci_device *pd;
	size_t n = 0, cap = 0;
	bool short_warned = false;
	int devices_fd = -1, groups_fd = -1, marks_fd = -1;
	int r;

	if (!ctx)
		return -EINVAL;

	pthread_mutex_lock(&dp_pciaccess_lock);
	r = pci_system_init();
	if (r != 0) {
		pci_system_cleanup();
		pthread_mutex_unlock(&dp_pciaccess_lock);
		return scan_failed(ctx, r);
	}
	it = pci_slot_match_iterator_create(NULL);
	r = it ? 0 : -ENOMEM;
	while (r == 0 && (pd = pci_device_next(it))) {
		struct dp_device *dev;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *p = realloc(list, ncap * sizeof(*list));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			list = p;
			cap = ncap;
		}
		dev = device_from_pci(ctx, pd, &short_warned);
		if (!dev) {
			r = -ENOMEM;
			break;
		}
		list[n++] = dev;
	}
	if (it)
		pci_iterator_destroy(it);
	pci_system_cleanup();
	pthread_mutex_unlock(&dp_pciaccess_lock);
	if (r < 0)
		goto err;

	if (n)
		qsort(list, n, sizeof(*list), cmp_bdf);
	devices_fd = open(DP_SYS_PCI_DEVICES, O_PATH | O_DIRECTORY | O_CLOEXEC);
	groups_fd = open(DP_SYS_IOMMU_GROUPS, O_PATH | O_DIRECTORY | O_CLOEXEC);
	marks_fd = open(ctx->driverctl_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (marks_fd < 0 && errno != ENOENT)
		dp_warn(ctx, "%s: %s; no device is marked for passthrough",
			ctx->driverctl_dir, strerror(errno));
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

		if (devices_fd >= 0) {
			r = complete_from_sysfs(ctx, devices_fd, dev);
			if (r < 0)
				goto err;
		}
		if (dev->info.iommu_group >= 0 && groups_fd >= 0) {
			/* Members share one list: reuse an earlier member's read. */
			const struct dp_device *same = NULL;

			same = group_seen(&seen, dev);
			r = same ? copy_group(dev, same) : read_group(ctx, groups_fd, dev);
			if (r < 0)
				goto err;
		}
		if (marks_fd >= 0 && has_mark_file(&marks, dev->bdf) &&
		    dp_mark_read(ctx, marks_fd, dev->bdf, NULL, 0) == 1)
			dev->info.flags |= DP_DEVICE_MARKED;
	}
	if (devices_fd >= 0)
		close(devices_fd);
	if (groups_fd >= 0)
		close(groups_fd);
	if (marks_fd >= 0)
		close(marks_fd);
	free(seen.slot);
	name_list_free(&marks);

	dp_inventory_clear(ctx);
	dp_caps_read(ctx, &ctx->caps);
	ctx->devices = list;
	ctx->n_devices = n;
	ctx->scanned = true;
	dp_dbg(ctx, "scan: %zu PCI functions", n);
	return (int)n;
err:
	free(seen.slot);
	name_list_free(&marks);
	if (devices_fd >= 0)
		close(devices_fd);
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

size_t dp_ctx_get_device_count(const struct dp_ctx *ctx)
{
	return ctx ? ctx->n_devices : 0;
}

struct dp_device *dp_ctx_get_device(const struct dp_ctx *ctx, size_t index)
{
	if (!ctx || index >= ctx->n_devices)
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

struct dp_ctx *dp_device_get_ctx(const struct dp_device *dev)
{
	return dev ? dev->ctx : NULL;
}

int dp_device_get_info(const struct dp_device *dev, struct dp_device_info *info)
{
	if (!dev || !info)
		return -EINVAL;
	return dp_info_copy_out(info,
				offsetof(struct dp_device_info, rom_size) + sizeof(uint64_t),
				&dev->info, sizeof(dev->info));
}

const char *dp_device_get_bdf(const struct dp_device *dev)
{
	return dev ? dev->bdf : NULL;
}

const char *dp_device_get_vendor_name(const struct dp_device *dev)
{
	return dev ? dev->vendor_name : NULL;
}

const char *dp_device_get_device_name(const struct dp_device *dev)
{
	return dev ? dev->device_name : NULL;
}

const char *dp_device_get_driver(const struct dp_device *dev)
{
	return dev ? dev->driver : NULL;
}

const char *dp_device_get_driver_override(const struct dp_device *dev)
{
	return dev ? dev->driver_override : NULL;
}

const char *dp_device_get_reset_methods(const struct dp_device *dev)
{
	return dev && dev->has_reset_method ? dev->reset_methods : NULL;
}

const char *dp_device_get_physfn(const struct dp_device *dev)
{
	return dev ? dev->physfn : NULL;
}

int dp_device_is_marked(const struct dp_device *dev)
{
	return dev && (dev->info.flags & DP_DEVICE_MARKED) ? 1 : 0;
}

size_t dp_device_get_group_size(const struct dp_device *dev)
{
	return dev ? dev->group_size : 0;
}

const char *dp_device_get_group_member(const struct dp_device *dev,
				       size_t index)
{
	if (!dev || index >= dev->group_size)
		return NULL;
	return dev->group[index];
}
