/* SPDX-License-Identifier: MIT */
/* dp_attach's partial refresh of the inventory, and when what was read before stays true. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory-internal.h"
#include "sysfs.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
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
			return dp_copy_group(dev, rf->groups[i]);
	return dp_read_group(ctx, rf->groups_fd, dev);
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
	    !str_eq(a->physfn, b->physfn) || a->group_size != b->group_size ||
	    strcmp(a->vfio_dev, b->vfio_dev) != 0 || a->vfio_cdev != b->vfio_cdev ||
	    a->vfio_major != b->vfio_major || a->vfio_minor != b->vfio_minor)
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
	size_t at = dp_position(ctx, dp_dev_key(dev), &found);

	if (found) {
		dp_leave_inventory(ctx->devices[at]);
	} else {
		void *p = realloc(ctx->devices, (ctx->n_devices + 1) * sizeof(*ctx->devices));

		if (!p)
			return -ENOMEM;
		ctx->inventory_free = dp_inventory_clear;
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
	size_t at = dp_position(ctx, dp_dev_key(dev), &found);

	if (!found)
		return;
	dp_leave_inventory(ctx->devices[at]);
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
	dev = dp_device_new(ctx, dom, bus, slot, fn);
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
		dev->secondary_bus = old->secondary_bus;
		dev->subordinate_bus = old->subordinate_bus;
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
	r = dp_read_function(ctx, rf->devices_fd, dev, &ro);
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
	if (rf->marks_fd >= 0 && dp_mark_read_dev(ctx, rf->marks_fd, dev) == 1)
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

	rf.devices_fd = dp_open_devices(ctx, &rf.fs);
	if (rf.devices_fd < 0)
		return rf.devices_fd;
	rf.groups_fd = open(DP_SYS_IOMMU_GROUPS, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rf.marks_fd = dp_open_marks(ctx);
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
