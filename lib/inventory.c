/* SPDX-License-Identifier: MIT */
/*
 * The host inventory, from sysfs: one listing of /sys/bus/pci/devices, then
 * for each function its config space (read once), its resource file, and
 * the attributes and links that say how the host uses it. Names (pci.ids),
 * driver_override and reset_method are read when first asked for. The IDs
 * and BARs are taken as libpciaccess takes them, so that they did not change
 * when the scan stopped going through it.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "parse.h"
#include "pciconf.h"
#include "pciids.h"
#include "quote.h"
#include "sysfs.h"

/* The first 7 lines of a resource file (6 BARs, the ROM) fit here, as libpciaccess reads it. */
#define RESOURCE_READ 511

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
	free(dev->driver);
	free(dev->driver_override);
	free(dev->reset_methods);
	free(dev->physfn);
	free(dev->group);
	free(dev);
}

/* Takes dev out of the ctx's list; it lives on while the caller holds it. */
static void leave_inventory(struct dp_device *dev)
{
	dev->in_inventory = false;
	if (dev->refcount == 0)
		dp_device_free(dev);
}

/* Drops the ctx's device list (a rescan, or the ctx's end). */
static void drop_devices(struct dp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_devices; i++)
		leave_inventory(ctx->devices[i]);
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

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
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

/*
 * A read of a fact that stays for the function's life failed in a way that
 * another read may not (EIO, EACCES, ENOMEM...): what was read is not kept
 * across refreshes. Absent (-ENOENT) and garbage (-EINVAL, -EFBIG) are the
 * kernel's answers, and stay.
 */
static void note_failure(struct dp_device *dev, int r)
{
	if (r < 0 && r != -ENOENT && r != -EINVAL && r != -EFBIG)
		dev->static_known = false;
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
			note_failure(dev, r);
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
 * An ID attribute as libpciaccess reads it: the hex number it starts with,
 * garbage being 0. 0, or -ENOENT etc. when it cannot be opened.
 */
static int read_id_attr(int dfd, const char *name, uint64_t mask, uint64_t *v)
{
	char buf[64];
	int r = dp_sysfs_read(dfd, name, buf, sizeof(buf));

	if (r < 0 && r != -EINVAL && r != -EFBIG)
		return r;
	*v = r < 0 ? 0 : strtoull(buf, NULL, 16) & mask;
	return 0;
}

/* How read_function reads a function. */
struct read_opts {
	bool have_static;    /* what static_facts and the fixed sysfs facts say is known */
	bool crosscheck;     /* compare the kernel's ID attributes with config space */
	bool vfs_from_pfs;   /* a scan: VFs are found from their PFs' links afterwards (mark_vfs) */
	unsigned load;       /* the lazy facts to read now (DP_DEVICE_LOADED_*) */
	bool short_warned;   /* said once per scan: config space cut to the header */
};

/*
 * The kernel's copy of the IDs (the vendor, device and class attributes)
 * against config space, which the inventory reports: they disagree only
 * where one of them is wrong, and a disagreement is told.
 */
static void crosscheck_ids(struct dp_ctx *ctx, int dfd, struct dp_device *dev)
{
	const struct dp_device_info *i = &dev->info;
	uint64_t v;

	if (read_id_attr(dfd, "vendor", 0xffff, &v) == 0 && v != i->vendor_id)
		dp_warn(ctx, "%s: sysfs vendor (%#06x) disagrees with config space (%#06x); config space used",
			dev->bdf, (unsigned)v, i->vendor_id);
	if (read_id_attr(dfd, "device", 0xffff, &v) == 0 && v != i->device_id)
		dp_warn(ctx, "%s: sysfs device (%#06x) disagrees with config space (%#06x); config space used",
			dev->bdf, (unsigned)v, i->device_id);
	if (read_id_attr(dfd, "class", 0xffffff, &v) == 0 && v != i->class_code)
		dp_warn(ctx, "%s: sysfs class (%#08x) disagrees with config space (%#08x); config space used",
			dev->bdf, (unsigned)v, i->class_code);
}

/* Config space is the truth about IDs; a bridge's subsystem IDs are the kernel's. */
static void ids_from_config(struct dp_ctx *ctx, int dfd, struct dp_device *dev,
			    const uint8_t *cfg, bool crosscheck)
{
	struct dp_device_info *i = &dev->info;
	uint64_t sv, sd;
	int r = 0;

	i->vendor_id = (uint16_t)(cfg[0] | cfg[1] << 8);
	i->device_id = (uint16_t)(cfg[2] | cfg[3] << 8);
	i->revision = cfg[8];
	i->class_code = (uint32_t)cfg[9] | (uint32_t)cfg[10] << 8 | (uint32_t)cfg[11] << 16;
	if ((cfg[0x0e] & 0x7f) != 0 && (r = read_id_attr(dfd, "subsystem_vendor", 0xffff, &sv)) == 0 &&
	    (r = read_id_attr(dfd, "subsystem_device", 0xffff, &sd)) == 0) {
		/* Bridges keep theirs in a capability: take what the kernel says. */
		i->subsystem_vendor_id = (uint16_t)sv;
		i->subsystem_id = (uint16_t)sd;
	} else {
		note_failure(dev, r);
		i->subsystem_vendor_id = (uint16_t)(cfg[0x2c] | cfg[0x2d] << 8);
		i->subsystem_id = (uint16_t)(cfg[0x2e] | cfg[0x2f] << 8);
	}
	if (crosscheck)
		crosscheck_ids(ctx, dfd, dev);
}

/* What the parsed config space says: IDs, header, capabilities. */
static void config_facts(struct dp_ctx *ctx, int dfd, struct dp_device *dev,
			 const uint8_t *cfg, const struct dp_pciconf *pc, bool crosscheck)
{
	ids_from_config(ctx, dfd, dev, cfg, crosscheck);
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

/* Config space, read once: a positive errno when the file could not be read (part-way too). */
static int read_config(int dfd, uint8_t *cfg, size_t size, size_t *got)
{
	int fd = openat(dfd, "config", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int err = 0;

	*got = 0;
	if (fd < 0)
		return errno;
	while (*got < size) {
		size_t want = size - *got;
		ssize_t n = pread(fd, cfg + *got, want, (off_t)*got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		*got += (size_t)n;
		if ((size_t)n < want)
			break; /* its end: sysfs hands over all it may in one read */
	}
	close(fd);
	return err;
}

/* The BARs and ROM from the resource file, as libpciaccess reads them: a region starts above 0. */
static void bars_from_resource(struct dp_ctx *ctx, int dfd, struct dp_device *dev)
{
	char text[RESOURCE_READ + 1], *next = text;
	ssize_t n;
	int fd = openat(dfd, "resource", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		note_failure(dev, -errno);
		return;
	}
	do
		n = read(fd, text, RESOURCE_READ);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		note_failure(dev, -errno);
	close(fd);
	if (n < 0)
		return;
	text[n] = '\0';
	for (int i = 0; i < 7; i++) {
		uint64_t start = strtoull(next, &next, 16);
		uint64_t end = strtoull(next, &next, 16);
		uint64_t flags = strtoull(next, &next, 16);
		uint64_t size = end - start + 1;

		if (start == 0)
			continue;
		if (i == 6) {
			if (size) {
				dev->info.rom_size = size;
				dev->info.flags |= DP_DEVICE_ROM;
			}
			continue;
		}
		if (size & (size - 1)) {
			dp_warn(ctx, "%s: BAR %d size %#llx is not a power of two; ignored",
				dev->bdf, i, (unsigned long long)size);
			continue;
		}
		if (size == 0)
			continue;
		dev->info.bar_size[i] = size;
		dev->info.bar_flags[i] = DP_BAR_PRESENT | (flags & 0x01 ? DP_BAR_IO : 0) |
					 (flags & 0x04 ? DP_BAR_MEM64 : 0) |
					 (flags & 0x08 ? DP_BAR_PREFETCH : 0);
	}
}

/*
 * What config space and the resource file say, which stays true as long as
 * the function's sysfs entry does: IDs, class, header, capabilities, BARs.
 */
static void static_facts(struct dp_ctx *ctx, int dfd, struct dp_device *dev,
			 struct read_opts *ro)
{
	uint8_t cfg[DP_PCI_CFG_SPACE_EXP];
	struct dp_pciconf pc;
	size_t got;
	int err = read_config(dfd, cfg, sizeof(cfg), &got);

	dev->info.config_size = (uint32_t)got;
	note_failure(dev, -err);
	if (err || got < DP_PCI_CFG_HEADER || dp_pciconf_parse(cfg, got, &pc) < 0) {
		/*
		 * Less than the header, or a read that failed (part-way too): not
		 * to be trusted. Unknown is not eligible: the flag makes the
		 * policy and mark refuse it; IDs and class come from sysfs.
		 */
		dev->info.flags |= DP_DEVICE_CONFIG_SHORT | DP_DEVICE_CONFIG_UNREADABLE;
		dp_warn(ctx, "%s: config space unreadable (%u bytes read%s%s); what it is and how it resets are unknown",
			dev->bdf, (unsigned)got, err ? ", then " : "", err ? strerror(err) : "");
		if (err)
			dp_warn(ctx, "%s: BARs unknown: %s", dev->bdf, strerror(err));
	} else {
		if (got < DP_PCI_CFG_SPACE) {
			/* Unprivileged readers get the header alone: capabilities are unknown, not absent. */
			dev->info.flags |= DP_DEVICE_CONFIG_SHORT;
			if (!ro->short_warned)
				dp_warn(ctx, "%s: only %u bytes of config space readable (not root?); capabilities unknown",
					dev->bdf, (unsigned)got);
			ro->short_warned = true;
		}
		config_facts(ctx, dfd, dev, cfg, &pc, ro->crosscheck);
		bars_from_resource(ctx, dfd, dev);
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
}

/* A VF: its PF's address, from the physfn link the kernel gives it. 0 or -ENOMEM. */
static int read_physfn(struct dp_ctx *ctx, int dfd, struct dp_device *dev)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_readlink_base(dfd, "physfn", buf, sizeof(buf));

	note_failure(dev, r);
	if (r < 0)
		return 0;
	if (dp_bdf_parse(buf, NULL, NULL, NULL, NULL) < 0) {
		warn_attr(ctx, dev->bdf, "physfn", -EINVAL);
		return 0;
	}
	dev->info.flags |= DP_DEVICE_SRIOV_VF;
	return (dev->physfn = strdup(buf)) ? 0 : -ENOMEM;
}

/*
 * What sysfs says of the function and of how the host uses it: driver,
 * IOMMU group, NUMA node, boot VGA, SR-IOV. The NUMA node, boot VGA, the
 * physfn link and sriov_totalvfs are the kernel's for the function's life,
 * and read only when ro->have_static is false; the rest may change at any
 * time. 0 or -ENOMEM.
 */
static int sysfs_facts(struct dp_ctx *ctx, int dfd, struct dp_device *dev,
		       const struct read_opts *ro)
{
	char buf[DP_SYSFS_ATTR_MAX];
	uint64_t u;
	long l;
	int r;

	r = dp_sysfs_readlink_base(dfd, "driver", buf, sizeof(buf));
	if (r >= 0 && !(dev->driver = strdup(buf)))
		return -ENOMEM;

	r = dp_sysfs_readlink_base(dfd, "iommu_group", buf, sizeof(buf));
	if (r >= 0) {
		if (dp_parse_u64(buf, 10, INT32_MAX, &u) == 0)
			dev->info.iommu_group = (int32_t)u;
		else
			warn_attr(ctx, dev->bdf, "iommu_group", -EINVAL);
	}

	if (ro->have_static) {
		/* A PF's VFs come and go; nothing else of SR-IOV does. */
		if (!(dev->info.flags & DP_DEVICE_SRIOV_PF) && !dev->info.sriov_total_vfs)
			return 0;
		dev->info.flags &= ~(uint64_t)DP_DEVICE_SRIOV_PF;
		dev->info.sriov_num_vfs = 0;
		if (faccessat(dfd, "virtfn0", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			dev->info.flags |= DP_DEVICE_SRIOV_PF;
		if (dev->info.sriov_total_vfs &&
		    dp_sysfs_read_long(dfd, "sriov_numvfs", 0, INT32_MAX, &l) == 0)
			dev->info.sriov_num_vfs = (uint32_t)l;
		return 0;
	}

	r = dp_sysfs_read_long(dfd, "numa_node", -1, INT32_MAX, &l);
	if (r == 0)
		dev->info.numa_node = (int32_t)l;
	else if (r != -ENOENT)
		warn_attr(ctx, dev->bdf, "numa_node", r);
	note_failure(dev, r);

	if ((dev->info.class_code >> 16) == 0x03) { /* the kernel has boot_vga for displays only */
		r = dp_sysfs_read_long(dfd, "boot_vga", 0, 1, &l);
		if (r == 0 && l == 1)
			dev->info.flags |= DP_DEVICE_BOOT_VGA;
		else if (r < 0 && r != -ENOENT)
			warn_attr(ctx, dev->bdf, "boot_vga", r);
		note_failure(dev, r);
	}

	if (ro->vfs_from_pfs) {
		/*
		 * Only a PF has sriov_totalvfs, and its virtfn links name its VFs:
		 * one lookup for most functions rather than three, most of them of
		 * names that are not there.
		 */
		r = dp_sysfs_read_long(dfd, "sriov_totalvfs", 0, INT32_MAX, &l);
		note_failure(dev, r);
		if (r < 0)
			return 0;
		dev->info.sriov_total_vfs = (uint32_t)l;
		if (faccessat(dfd, "virtfn0", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			dev->info.flags |= DP_DEVICE_SRIOV_PF;
		if (dp_sysfs_read_long(dfd, "sriov_numvfs", 0, INT32_MAX, &l) == 0)
			dev->info.sriov_num_vfs = (uint32_t)l;
		return 0;
	}
	r = read_physfn(ctx, dfd, dev);
	if (r < 0)
		return r;
	if (faccessat(dfd, "virtfn0", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		dev->info.flags |= DP_DEVICE_SRIOV_PF;
	r = dp_sysfs_read_long(dfd, "sriov_totalvfs", 0, INT32_MAX, &l);
	note_failure(dev, r);
	if (r == 0) {
		dev->info.sriov_total_vfs = (uint32_t)l;
		if (dp_sysfs_read_long(dfd, "sriov_numvfs", 0, INT32_MAX, &l) == 0)
			dev->info.sriov_num_vfs = (uint32_t)l;
	}
	return 0;
}

/* The lazy driver_override: "(null)" and "" are none. */
static int load_override(struct dp_device *dev, int dfd)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_read(dfd, "driver_override", buf, sizeof(buf));

	free(dev->driver_override);
	dev->driver_override = NULL;
	if (r > 0 && strcmp(buf, "(null)") != 0 && !(dev->driver_override = strdup(buf)))
		return -ENOMEM;
	if (r < 0 && r != -ENOENT)
		warn_attr(dev->ctx, dev->bdf, "driver_override", r);
	dev->loaded |= DP_DEVICE_LOADED_OVERRIDE;
	return 0;
}

/* The lazy reset_method: the kernel's list, "" when every method is off; absent is unknown. */
static int load_reset(struct dp_device *dev, int dfd)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_read(dfd, "reset_method", buf, sizeof(buf));

	free(dev->reset_methods);
	dev->reset_methods = NULL;
	dev->has_reset_method = false;
	if (r >= 0) {
		if (!(dev->reset_methods = strdup(buf)))
			return -ENOMEM;
		dev->has_reset_method = true;
	} else if (r != -ENOENT) {
		warn_attr(dev->ctx, dev->bdf, "reset_method", r);
	}
	dev->loaded |= DP_DEVICE_LOADED_RESET;
	return 0;
}

/* The lazy names: pci.ids is read at the first name any device of the ctx asks for. */
static void load_names(struct dp_device *dev)
{
	struct dp_pciids *ids = dp_pciids_get(dev->ctx);

	dev->vendor_name = dp_pciids_vendor(ids, dev->info.vendor_id);
	dev->device_name = dp_pciids_device(ids, dev->info.vendor_id, dev->info.device_id);
	dev->loaded |= DP_DEVICE_LOADED_NAMES;
}

/* The lazy facts in what, read through the open directory dfd (-1: by path). */
static int load(struct dp_device *dev, int dfd, unsigned what)
{
	unsigned need = what & ~dev->loaded;
	int fd = dfd, r = 0;

	if (need & DP_DEVICE_LOADED_NAMES)
		load_names(dev);
	if (!(need & (DP_DEVICE_LOADED_OVERRIDE | DP_DEVICE_LOADED_RESET)))
		return 0;
	if (fd < 0) {
		char path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1];

		snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, dev->bdf);
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* Gone since the scan: the attributes read as absent, so unknown. */
	}
	if (need & DP_DEVICE_LOADED_OVERRIDE)
		r = dp_first_err(r, load_override(dev, fd));
	if (need & DP_DEVICE_LOADED_RESET)
		r = dp_first_err(r, load_reset(dev, fd));
	if (fd >= 0 && fd != dfd)
		close(fd);
	return r;
}

void dp_device_load(const struct dp_device *cdev, unsigned what)
{
	/* A device is used by one thread at a time; the lazy facts are a cache of what it is. */
	struct dp_device *dev = (struct dp_device *)cdev;

	if (!dev || !(what & ~dev->loaded))
		return;
	if (load(dev, -1, what) < 0) /* not marked loaded: a later call tries again */
		dp_err(dev->ctx, "%s: out of memory reading its sysfs attributes", dev->bdf);
}

/* A device of this address, not yet read; NULL when out of memory. */
static struct dp_device *device_new(struct dp_ctx *ctx, uint32_t domain, uint8_t bus,
				    uint8_t slot, uint8_t func)
{
	struct dp_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->ctx = ctx;
	dev->info.sz = sizeof(dev->info);
	dev->info.domain = domain;
	dev->info.bus = bus;
	dev->info.dev = slot;
	dev->info.func = func;
	snprintf(dev->bdf, sizeof(dev->bdf), "%04x:%02x:%02x.%x", (unsigned)domain, bus, slot,
		 func);
	dev->info.iommu_group = -1;
	dev->info.numa_node = -1;
	return dev;
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

/* Where the function with this key is, or would go, in list (n, in BDF order). */
static size_t position_in(struct dp_device *const *list, size_t n, uint64_t want, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k = dev_key(list[mid]);

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

static size_t position(const struct dp_ctx *ctx, uint64_t want, bool *found)
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
	at = position_in(list, n, bdf_key(d, b, s, f), &found);
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

/* Appends a member to dev's list, which has room for cap; 0 or -ENOMEM. */
static int add_member(struct dp_device *dev, size_t *cap, const char *bdf)
{
	if (dev->group_size == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *p = realloc(dev->group, ncap * sizeof(*dev->group));

		if (!p)
			return -ENOMEM;
		dev->group = p;
		*cap = ncap;
	}
	memcpy(dev->group[dev->group_size++], bdf, DP_BDF_LEN);
	return 0;
}

/*
 * The members of dev's IOMMU group, sorted, into dev (a fresh read per
 * group), through getdents64 itself: readdir's DIR costs three more calls.
 */
static int read_group(struct dp_ctx *ctx, int groups_fd, struct dp_device *dev)
{
	char name[32];
	_Alignas(struct dirent64) char buf[4096];
	size_t cap = 0;
	ssize_t n;
	int fd, r = 0;

	snprintf(name, sizeof(name), "%d/devices", dev->info.iommu_group);
	fd = openat(groups_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		dp_warn(ctx, "%s: IOMMU group %d has no device list (%s)", dev->bdf,
			dev->info.iommu_group, strerror(errno));
		return 0;
	}
	while (r == 0 && (n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; r == 0 && off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			char bdf[DP_BDF_LEN] = "";

			off += de->d_reclen;
			if (dp_bdf_normalize(de->d_name, bdf) == 0)
				r = add_member(dev, &cap, bdf);
		}
	}
	if (r == 0 && n < 0)
		dp_warn(ctx, "%s: IOMMU group %d: its device list cannot be read (%s)", dev->bdf,
			dev->info.iommu_group, strerror(errno));
	close(fd);
	if (r == 0 && dev->group_size)
		qsort(dev->group, dev->group_size, sizeof(*dev->group), cmp_member);
	return r;
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

/* The group's members into dev: a read, or the copy of an earlier member's. */
static int group_members(struct dp_ctx *ctx, int groups_fd, struct group_index *seen,
			 struct dp_device *dev)
{
	const struct dp_device *same;

	if (dev->info.iommu_group < 0 || groups_fd < 0)
		return 0;
	same = group_seen(seen, dev);
	return same ? copy_group(dev, same) : read_group(ctx, groups_fd, dev);
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
static int open_marks(struct dp_ctx *ctx)
{
	int fd = open(ctx->driverctl_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT)
		dp_warn(ctx, "%s: %s; no device is marked for passthrough",
			ctx->driverctl_dir, strerror(errno));
	return fd;
}

/* No filesystem: the entries of a listing whose filesystem is unknown are never the same. */
#define FS_UNKNOWN ((dev_t)-1)

/*
 * /sys/bus/pci/devices, and the filesystem it is on (FS_UNKNOWN when fstat
 * fails); -ENODEV (logged) when there is no PCI bus.
 */
static int open_devices(struct dp_ctx *ctx, dev_t *fs)
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
 * Reads the function devices_fd/dev->bdf as ro says: its static facts
 * (unless known), its sysfs facts, and lazy ones now. 0, -ENOENT when its
 * directory is gone, or -ENOMEM.
 */
static int read_function(struct dp_ctx *ctx, int devices_fd, struct dp_device *dev,
			 struct read_opts *ro)
{
	int dfd = openat(devices_fd, dev->bdf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return -ENOENT;
	if (dfd < 0) {
		/* Listed, but nothing of it can be read: unknown, so not eligible. */
		dp_warn(ctx, "%s: no sysfs directory (%s)", dev->bdf, strerror(errno));
		dev->info.flags |= DP_DEVICE_CONFIG_SHORT | DP_DEVICE_CONFIG_UNREADABLE;
		dev->static_known = false;
		return 0;
	}
	if (!ro->have_static) {
		dev->static_known = true;
		static_facts(ctx, dfd, dev, ro);
	}
	r = sysfs_facts(ctx, dfd, dev, ro);
	if (r == 0 && ro->load)
		r = load(dev, dfd, ro->load);
	close(dfd);
	return r;
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
	devices_fd = open_devices(ctx, &fs);
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
		dev = device_new(ctx, dom, bus, slot, fn);
		if (!dev) {
			r = -ENOMEM;
			goto err;
		}
		/* The entry, a link the kernel makes with the function: the same one while it stays. */
		dev->sysfs_dev = fs;
		dev->sysfs_ino = de->d_ino;
		r = read_function(ctx, dirfd(d), dev, &ro);
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
	marks_fd = open_marks(ctx);
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
		    dp_mark_read(ctx, marks_fd, dev->bdf, NULL, 0) == 1)
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

/* What one refresh has read: each function once, each group's member list once. */
struct refresh {
	int devices_fd, groups_fd, marks_fd;
	dev_t fs;
	bool short_warned;   /* as in a scan: config space cut to the header, said once */
	char (*done)[DP_BDF_LEN];
	size_t n_done;
	const struct dp_device **groups; /* a device of each group read, in the inventory */
	size_t n_groups;
};

static bool refreshed(const struct refresh *rf, const char *bdf)
{
	for (size_t i = 0; i < rf->n_done; i++)
		if (strcmp(rf->done[i], bdf) == 0)
			return true;
	return false;
}

static int note_refreshed(struct refresh *rf, const char *bdf)
{
	void *p = realloc(rf->done, (rf->n_done + 1) * sizeof(*rf->done));

	if (!p)
		return -ENOMEM;
	rf->done = p;
	snprintf(rf->done[rf->n_done++], DP_BDF_LEN, "%s", bdf);
	return 0;
}

/* dev's group members: copied from a device of the same group this refresh read, or read. */
static int refresh_group(struct dp_ctx *ctx, struct refresh *rf, struct dp_device *dev)
{
	if (dev->info.iommu_group < 0 || rf->groups_fd < 0)
		return 0;
	for (size_t i = 0; i < rf->n_groups; i++)
		if (rf->groups[i]->info.iommu_group == dev->info.iommu_group)
			return copy_group(dev, rf->groups[i]);
	return read_group(ctx, rf->groups_fd, dev);
}

static int note_group(struct refresh *rf, const struct dp_device *dev)
{
	void *p;

	if (dev->info.iommu_group < 0)
		return 0;
	for (size_t i = 0; i < rf->n_groups; i++)
		if (rf->groups[i]->info.iommu_group == dev->info.iommu_group)
			return 0;
	p = realloc(rf->groups, (rf->n_groups + 1) * sizeof(*rf->groups));
	if (!p)
		return -ENOMEM;
	rf->groups = p;
	rf->groups[rf->n_groups++] = dev;
	return 0;
}

/*
 * Whether every getter, and the policy, would say the same of a as of b;
 * b has read the lazy facts a has.
 */
static bool same_facts(const struct dp_device *a, const struct dp_device *b)
{
	if (memcmp(&a->info, &b->info, sizeof(a->info)) != 0 || !str_eq(a->driver, b->driver) ||
	    !str_eq(a->physfn, b->physfn) || a->group_size != b->group_size)
		return false;
	for (size_t i = 0; i < a->group_size; i++)
		if (strcmp(a->group[i], b->group[i]) != 0)
			return false;
	if ((a->loaded & DP_DEVICE_LOADED_OVERRIDE) && !str_eq(a->driver_override, b->driver_override))
		return false;
	if ((a->loaded & DP_DEVICE_LOADED_RESET) &&
	    (a->has_reset_method != b->has_reset_method || !str_eq(a->reset_methods, b->reset_methods)))
		return false;
	return true;
}

/* Puts dev in its place in the ctx's list, instead of the device of the same address. */
static int put_in_inventory(struct dp_ctx *ctx, struct dp_device *dev)
{
	bool found;
	size_t at = position(ctx, dev_key(dev), &found);

	if (found) {
		leave_inventory(ctx->devices[at]);
	} else {
		void *p = realloc(ctx->devices, (ctx->n_devices + 1) * sizeof(*ctx->devices));

		if (!p)
			return -ENOMEM;
		ctx->devices = p;
		memmove(&ctx->devices[at + 1], &ctx->devices[at],
			(ctx->n_devices - at) * sizeof(*ctx->devices));
		ctx->n_devices++;
	}
	ctx->devices[at] = dev;
	dev->in_inventory = true;
	return 0;
}

/* A function that is gone leaves the list. */
static void remove_from_inventory(struct dp_ctx *ctx, const struct dp_device *dev)
{
	bool found;
	size_t at = position(ctx, dev_key(dev), &found);

	if (!found)
		return;
	leave_inventory(ctx->devices[at]);
	memmove(&ctx->devices[at], &ctx->devices[at + 1],
		(ctx->n_devices - at - 1) * sizeof(*ctx->devices));
	ctx->n_devices--;
}

/* The lazy facts new read and old has not given yet become old's (new keeps the rest). */
static void adopt_lazy(struct dp_device *old, struct dp_device *new)
{
	unsigned take = new->loaded & ~old->loaded;

	if (take & DP_DEVICE_LOADED_OVERRIDE) {
		old->driver_override = new->driver_override;
		new->driver_override = NULL;
	}
	if (take & DP_DEVICE_LOADED_RESET) {
		old->reset_methods = new->reset_methods;
		old->has_reset_method = new->has_reset_method;
		new->reset_methods = NULL;
	}
	old->loaded |= take & (DP_DEVICE_LOADED_OVERRIDE | DP_DEVICE_LOADED_RESET);
}

/*
 * One function of dp_inventory_refresh, with the lazy facts in need read
 * now: for the VM's functions, all of them, so that the policy reads nothing
 * itself and every attach makes the same calls whatever came before it.
 * 0 or -ENOMEM.
 */
static int refresh_one(struct dp_ctx *ctx, struct refresh *rf, const char *bdf, unsigned need)
{
	struct dp_device *old = dp_inventory_lookup(ctx, bdf), *dev;
	/* No ID cross-check: a diagnostic for listings, not a fact the policy reads. */
	struct read_opts ro = { .short_warned = rf->short_warned };
	struct stat st;
	uint32_t dom;
	uint8_t bus, slot, fn;
	int r;

	if (refreshed(rf, bdf) || dp_bdf_parse(bdf, &dom, &bus, &slot, &fn) < 0)
		return 0;
	r = note_refreshed(rf, bdf);
	if (r < 0)
		return r;
	if (fstatat(rf->devices_fd, bdf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			dp_warn(ctx, "%s: %s/%s: %s", bdf, DP_SYS_PCI_DEVICES, bdf, strerror(errno));
		if (old)
			remove_from_inventory(ctx, old);
		return 0;
	}
	dev = device_new(ctx, dom, bus, slot, fn);
	if (!dev)
		return -ENOMEM;
	dev->sysfs_dev = rf->fs;
	dev->sysfs_ino = st.st_ino;
	if (old && old->static_known && rf->fs != FS_UNKNOWN && old->sysfs_dev == rf->fs &&
	    old->sysfs_ino == dev->sysfs_ino) {
		/* The same function as the one read before, and read whole: what it is is known. */
		ro.have_static = true;
		dev->static_known = true;
		dev->info = old->info;
		dev->info.flags &= ~(uint64_t)DP_DEVICE_MARKED;
		dev->info.iommu_group = -1;
		if (old->physfn && !(dev->physfn = strdup(old->physfn))) {
			dp_device_free(dev);
			return -ENOMEM;
		}
		dev->vendor_name = old->vendor_name;
		dev->device_name = old->device_name;
		dev->loaded = old->loaded & DP_DEVICE_LOADED_NAMES;
	}
	/* And what a held handle has answered, to compare. */
	ro.load = need;
	if (old)
		ro.load |= old->loaded & (DP_DEVICE_LOADED_OVERRIDE | DP_DEVICE_LOADED_RESET);
	r = read_function(ctx, rf->devices_fd, dev, &ro);
	rf->short_warned = ro.short_warned;
	if (r == -ENOENT) {
		dp_device_free(dev);
		if (old)
			remove_from_inventory(ctx, old);
		return 0;
	}
	if (r == 0)
		r = refresh_group(ctx, rf, dev);
	if (r < 0) {
		dp_device_free(dev);
		return r;
	}
	if (rf->marks_fd >= 0 && dp_mark_read(ctx, rf->marks_fd, bdf, NULL, 0) == 1)
		dev->info.flags |= DP_DEVICE_MARKED;
	if (old && same_facts(old, dev)) {
		/* Nothing changed: handles to it stay current, and it is this entry's now. */
		old->sysfs_dev = dev->sysfs_dev;
		old->sysfs_ino = dev->sysfs_ino;
		old->static_known = dev->static_known;
		adopt_lazy(old, dev);
		dp_device_free(dev);
		dev = old;
	} else {
		r = put_in_inventory(ctx, dev);
		if (r < 0) {
			dp_device_free(dev);
			return r;
		}
	}
	return note_group(rf, dev);
}

int dp_inventory_refresh(struct dp_ctx *ctx, char (*bdfs)[DP_BDF_LEN], size_t n)
{
	struct refresh rf = { .groups_fd = -1, .marks_fd = -1 };
	int r = 0;

	rf.devices_fd = open_devices(ctx, &rf.fs);
	if (rf.devices_fd < 0)
		return rf.devices_fd;
	rf.groups_fd = open(DP_SYS_IOMMU_GROUPS, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rf.marks_fd = open_marks(ctx);
	for (size_t i = 0; i < n && r == 0; i++)
		r = refresh_one(ctx, &rf, bdfs[i],
				DP_DEVICE_LOADED_OVERRIDE | DP_DEVICE_LOADED_RESET);
	/* Then the rest of their groups: the policy asks how the host uses them. */
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct dp_device *dev = dp_inventory_lookup(ctx, bdfs[i]);

		for (size_t m = 0; dev && m < dev->group_size && r == 0; m++)
			r = refresh_one(ctx, &rf, dev->group[m], 0);
	}
	if (r == 0)
		dp_caps_refresh_policy(ctx, &ctx->caps);
	close(rf.devices_fd);
	if (rf.groups_fd >= 0)
		close(rf.groups_fd);
	if (rf.marks_fd >= 0)
		close(rf.marks_fd);
	free(rf.done);
	free(rf.groups);
	if (r == -ENOMEM)
		dp_err(ctx, "refresh: out of memory");
	return r;
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
	dp_device_load(dev, DP_DEVICE_LOADED_NAMES);
	return dev ? dev->vendor_name : NULL;
}

const char *dp_device_get_device_name(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_NAMES);
	return dev ? dev->device_name : NULL;
}

const char *dp_device_get_driver(const struct dp_device *dev)
{
	return dev ? dev->driver : NULL;
}

const char *dp_device_get_driver_override(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_OVERRIDE);
	return dev ? dev->driver_override : NULL;
}

const char *dp_device_get_reset_methods(const struct dp_device *dev)
{
	dp_device_load(dev, DP_DEVICE_LOADED_RESET);
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
