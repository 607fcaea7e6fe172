/* SPDX-License-Identifier: MIT */
/*
 * One function as the inventory reads it: its sysfs directory, its config
 * space (read once) and its resource file, and its IOMMU group's members.
 * The IDs and BARs are taken as libpciaccess takes them, so that they did
 * not change when the scan stopped going through it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "parse.h"
#include "pciconf.h"
#include "sysfs.h"

/* The first 7 lines of a resource file (6 BARs, the ROM) fit here, as libpciaccess reads it. */
#define RESOURCE_READ 511

void dp_warn_attr(struct dp_ctx *ctx, const char *bdf, const char *attr,
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
				dp_warn_attr(ctx, dev->bdf, attrs[i].name, r);
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
	dev->secondary_bus = pc->secondary_bus;
	dev->subordinate_bus = pc->subordinate_bus;
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
		dp_warn_attr(ctx, dev->bdf, "physfn", -EINVAL);
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
	r = dp_read_vfio_dev(ctx, dfd, dev);
	if (r < 0)
		return r;

	r = dp_sysfs_readlink_base(dfd, "iommu_group", buf, sizeof(buf));
	if (r >= 0) {
		if (dp_parse_u64(buf, 10, INT32_MAX, &u) == 0)
			dev->info.iommu_group = (int32_t)u;
		else
			dp_warn_attr(ctx, dev->bdf, "iommu_group", -EINVAL);
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
		dp_warn_attr(ctx, dev->bdf, "numa_node", r);
	note_failure(dev, r);

	if ((dev->info.class_code >> 16) == 0x03) { /* the kernel has boot_vga for displays only */
		r = dp_sysfs_read_long(dfd, "boot_vga", 0, 1, &l);
		if (r == 0 && l == 1)
			dev->info.flags |= DP_DEVICE_BOOT_VGA;
		else if (r < 0 && r != -ENOENT)
			dp_warn_attr(ctx, dev->bdf, "boot_vga", r);
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

/* Group members: normalised BDF strings, in the same numeric order. */
static int cmp_member(const void *a, const void *b)
{
	uint32_t d[2] = { 0, 0 };
	uint8_t bus[2] = { 0, 0 }, dev[2] = { 0, 0 }, fn[2] = { 0, 0 };
	uint64_t kx, ky;

	dp_bdf_parse(a, &d[0], &bus[0], &dev[0], &fn[0]);
	dp_bdf_parse(b, &d[1], &bus[1], &dev[1], &fn[1]);
	kx = dp_bdf_key(d[0], bus[0], dev[0], fn[0]);
	ky = dp_bdf_key(d[1], bus[1], dev[1], fn[1]);
	return kx < ky ? -1 : kx > ky;
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
int dp_read_group(struct dp_ctx *ctx, int groups_fd, struct dp_device *dev)
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
int dp_copy_group(struct dp_device *dst, const struct dp_device *src)
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

/*
 * Reads the function devices_fd/dev->bdf as ro says: its static facts
 * (unless known), its sysfs facts, and lazy ones now. 0, -ENOENT when its
 * directory is gone, or -ENOMEM.
 */
int dp_read_function(struct dp_ctx *ctx, int devices_fd, struct dp_device *dev,
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
		r = dp_device_load_at(dev, dfd, ro->load);
	close(dfd);
	return r;
}
