/* SPDX-License-Identifier: MIT */
/*
 * Hot add and hot remove: one device into a live attachment, or out of it,
 * the other devices untouched. An add is checked by the policy with the
 * VM's other devices, leased, its group put into the attachment's container
 * and on the KVM-VFIO device, and opened; any failure undoes what it did, so
 * the attachment (and the VM object, which grows by the device only on
 * success) is as before. A remove unroutes the device's interrupts, deletes
 * its memory slots, closes it (the kernel's reset, verified, quarantined as
 * dp_detach does), takes its group out when no other device of the VM uses
 * it, and gives the lease back. The guest-visible hotplug signal is the
 * VMM's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "handoff.h"
#include "lease.h"
#include "policy.h"
#include "policycheck.h"
#include "report.h"
#include "vm.h"

/* The attachment's device at bdf (normalized), or -1. */
static ssize_t find_vdev(const struct dp_attachment *att, const char *bdf)
{
	for (size_t i = 0; i < att->n_vdevs; i++)
		if (strcmp(att->vdevs[i]->bdf, bdf) == 0)
			return (ssize_t)i;
	return -1;
}

static struct dp_attach_group *find_group(struct dp_attachment *att, int num)
{
	for (size_t i = 0; i < att->n_groups; i++)
		if (att->groups[i].num == num)
			return &att->groups[i];
	return NULL;
}

/* Is a finding one the VM itself causes: the lease of one of its n devices? */
static bool own_lease(char (*have)[DP_BDF_LEN], size_t n, const struct dp_report_finding *f)
{
	for (size_t i = 0; f->code == DP_FINDING_DEVICE_LEASED && f->subject && i < n; i++)
		if (strcmp(have[i], f->subject) == 0)
			return true;
	return false;
}

int dp_policy_check_addition(struct dp_policy *policy, const struct dp_vm *like,
			     char (*bdfs)[DP_BDF_LEN], size_t n)
{
	struct dp_ctx *ctx = policy->ctx;
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	bool denied = false;
	int r;

	r = dp_vm_new(ctx, like->name, &vm);
	if (r == 0) {
		vm->hw_version = like->hw_version;
		vm->memory = like->memory;
		vm->reservation = like->reservation;
		vm->mmio_hole = like->mmio_hole;
		vm->features = like->features;
	}
	for (size_t i = 0; r == 0 && i < n; i++)
		r = dp_vm_add_device(vm, bdfs[i]);
	if (r == 0)
		r = dp_inventory_refresh(ctx, bdfs, n);
	if (r == 0)
		r = dp_reset_refresh_around(ctx, bdfs, n);
	if (r == 0)
		r = dp_policy_check_inventory(policy, vm, &rep);
	for (size_t i = 0; r == 0 && i < rep->n_findings; i++)
		if (rep->findings[i].severity == DP_SEVERITY_ERROR &&
		    !own_lease(bdfs, n - 1, &rep->findings[i])) {
			if (!denied)
				dp_err(ctx, "%s: the policy denies adding %s:", like->name, bdfs[n - 1]);
			dp_err(ctx, "%s", rep->findings[i].message);
			denied = true;
		}
	dp_report_unref(rep);
	dp_vm_unref(vm);
	return r < 0 ? r : denied ? -EPERM : 0;
}

/* The VM as it would be with bdf: the attached functions and bdf, with the VM's settings. */
static int recheck(struct dp_attachment *att, struct dp_policy *policy, const char *bdf)
{
	char (*bdfs)[DP_BDF_LEN] = calloc(att->n_vdevs + 1, sizeof(*bdfs));
	int r;

	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < att->n_vdevs; i++)
		snprintf(bdfs[i], DP_BDF_LEN, "%s", att->vdevs[i]->bdf);
	snprintf(bdfs[att->n_vdevs], DP_BDF_LEN, "%s", bdf);
	r = dp_policy_check_addition(policy, att->vm, bdfs, att->n_vdevs + 1);
	free(bdfs);
	return r;
}

void dp_attach_group_close(struct dp_attachment *att, struct dp_attach_group *g)
{
	if (g->in_kvm)
		dp_kvm_vfio_group(&att->kvm, g->fd, g->num, false);
	if (g->in_container)
		dp_vfio_group_unset_container(att->ctx, g->fd, g->num);
	if (g->fd >= 0)
		close(g->fd);
	g->in_kvm = g->in_container = false;
	g->fd = -1;
}

/* The same, its own container closed, and the attachment forgets it. */
static void drop_group(struct dp_attachment *att, struct dp_attach_group *g)
{
	dp_attach_group_close(att, g);
	if (g->own)
		dp_attach_container_drop(att, g->own);
	*g = att->groups[--att->n_groups];
}

/*
 * A new group for v: opened (or fd, a manager's, taken), into the container,
 * onto the KVM-VFIO device; all or nothing.
 */
static int join_group(struct dp_attachment *att, struct dp_vdev *v, int fd)
{
	struct dp_attach_group *g = &att->groups[att->n_groups]; /* room made by the caller */
	int r = 0;

	*g = (struct dp_attach_group){ .num = v->group, .fd = fd };
	att->n_groups++;
	if (fd < 0)
		r = dp_vfio_group_open(att->ctx, g->num, v->bdf, &g->fd);
	if (r == 0) {
		r = dp_vfio_group_join(&att->container, g->fd, g->num, v->bdf);
		/* EINVAL: the group sits behind another IOMMU than the container's. */
		if (r == -EINVAL) {
			dp_info(att->ctx, "%s: the VM's container cannot take IOMMU group %d; giving it one of its own",
				v->bdf, g->num);
			r = dp_attach_container_add(att, g->fd, g->num, v->bdf, &g->own);
		}
		g->in_container = r == 0;
	}
	if (r == 0 && att->have_kvm) {
		r = dp_kvm_vfio_group(&att->kvm, g->fd, g->num, true);
		g->in_kvm = r == 0;
	}
	if (r < 0)
		drop_group(att, g);
	return r;
}

/* What any add needs: bdf not attached yet, a container or IOAS, room in the VM. */
static int can_add(struct dp_attachment *att, const char *nb)
{
	if (find_vdev(att, nb) >= 0) {
		dp_err(att->ctx, "%s: %s is already attached", att->vm->name, nb);
		return -EEXIST;
	}
	if (!att->have_container && !att->have_iommufd) {
		dp_err(att->ctx, "%s: attached without devices, so there is no container or IOAS to add %s to; attach the VM with it",
		       att->vm->name, nb);
		return -ENODEV;
	}
	if (att->vm->n_devices >= DP_VM_DEVICES_MAX) {
		dp_err(att->ctx, "%s: more than %d passthrough devices", att->vm->name, DP_VM_DEVICES_MAX);
		return -E2BIG;
	}
	return 0;
}

/* A copy of h's fd of the entry (left in h), or -1 when h is NULL or has none; -errno. */
static int dup_entry(struct dp_handoff *h, uint32_t role, int group, const char *bdf)
{
	int i = h ? dp_handoff_find(h, role, group, bdf) : -ENOENT;
	int fd;

	if (i < 0)
		return -1;
	fd = fcntl(h->d.fds[i].fd, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? -errno : fd;
}

/*
 * The add itself, dev allowed: leased (policy: acquired, its reset order
 * written; h: the manager's lease adopted, and its fds used, copies of
 * them so that h keeps its own until the add succeeded), joined, opened.
 */
static int add_one(struct dp_attachment *att, struct dp_policy *policy, struct dp_handoff *h,
		   struct dp_device *dev, struct dp_vdev **out)
{
	struct dp_ctx *ctx = att->ctx;
	struct dp_attach_group *g;
	struct dp_vdev *v, **vdevs;
	char **devices, *copy;
	bool new_group;
	int r, fd = -1;

	/* Room first: a larger array is harmless, and nothing can fail at the commit. */
	vdevs = realloc(att->vdevs, (att->n_vdevs + 1) * sizeof(*vdevs));
	if (!vdevs)
		return -ENOMEM;
	att->vdevs = vdevs;
	g = realloc(att->groups, (att->n_groups + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	att->groups = g;
	devices = realloc(att->vm->devices, (att->vm->n_devices + 1) * sizeof(*devices));
	if (!devices)
		return -ENOMEM;
	att->vm->devices = devices;
	copy = strdup(dev->bdf);
	v = calloc(1, sizeof(*v));
	if (!copy || !v) {
		free(copy);
		free(v);
		return -ENOMEM;
	}
	v->fd = v->intx_efd = v->intx_resample = -1;
	v->att = att;
	dp_vdev_set_device(v, dev);

	if (h) { /* the manager wrote the reset order; the lease is its, adopted */
		r = fd = dup_entry(h, DP_HANDOFF_FD_LEASE, -1, v->bdf);
		if (r == -1) /* checked by the caller */
			r = -ENOENT;
		if (r >= 0 && (r = dp_lease_adopt(ctx, v->bdf, att->vm->name, fd, &v->lease)) < 0)
			close(fd);
	} else {
		r = dp_lease_acquire(ctx, v->bdf, att->vm->name, &v->lease);
		if (r == 0) /* the policy's reset order, before vfio-pci's reset at open */
			r = dp_reset_apply(policy, dev, v->reset_saved, &v->reset_written);
	}
	/* Under iommufd no group: the device binds to the iommufd and joins the IOAS itself. */
	new_group = att->backend == DP_BACKEND_TYPE1 && !find_group(att, v->group);
	if (r >= 0 && new_group) {
		r = fd = dup_entry(h, DP_HANDOFF_FD_GROUP, v->group, NULL);
		if (r >= 0 || r == -1)
			r = join_group(att, v, fd); /* fd is the group's from here */
	}
	if (r >= 0 && att->backend == DP_BACKEND_IOMMUFD) {
		r = dup_entry(h, DP_HANDOFF_FD_DEVICE, -1, v->bdf); /* -1: none, the open opens it */
		v->fd = r >= 0 ? r : -1;
	}
	if (r >= 0 || r == -1) {
		g = find_group(att, v->group); /* found: joined or already there */
		if (att->backend == DP_BACKEND_IOMMUFD)
			r = dp_vdev_open(att, v, -1);
		else
			r = g ? dp_vdev_open(att, v, g->fd) : -EIO; /* closes it again on failure */
		/* What the IOAS's usable ranges are with it (the kernel kept existing mappings clear). */
		if (r == 0 && att->backend == DP_BACKEND_IOMMUFD &&
		    (r = dp_attach_iommufd_ranges(att)) < 0)
			dp_vdev_close(v);
		if (r < 0) {
			dp_vdev_check_reset(att, v, "after a failed hot add", false);
			if (g && new_group)
				drop_group(att, g);
		}
	}
	if (r < 0) {
		dp_reset_restore(ctx, v->bdf, v->reset_saved, &v->reset_written);
		if (h) /* the handoff's copy keeps it */
			dp_lease_disown(v->lease);
		else
			dp_lease_release(v->lease);
		free(v);
		free(copy);
		return r;
	}
	for (size_t i = 0; h && i < h->d.n_fds; i++) { /* used: copies of them are the attachment's */
		if (h->d.fds[i].fd >= 0)
			close(h->d.fds[i].fd);
		h->d.fds[i].fd = -1;
	}
	att->vdevs[att->n_vdevs++] = v;
	att->vm->devices[att->vm->n_devices++] = copy;
	dp_info(ctx, "%s: hot added %s%s (%zu device%s)", att->vm->name, v->bdf,
		h ? " from the manager's handoff" : "", att->n_vdevs, att->n_vdevs == 1 ? "" : "s");
	if (out)
		*out = v;
	return 0;
}

int dp_attachment_add_device(struct dp_attachment *att, struct dp_policy *policy,
			     const char *bdf, uint32_t flags, struct dp_vdev **out)
{
	struct dp_device *dev;
	char nb[DP_BDF_LEN];
	struct dp_ctx *ctx;
	int r;

	if (!att || !policy || dp_bug_on(att->ctx, !bdf))
		return -EINVAL;
	ctx = att->ctx;
	if (flags) {
		dp_err(ctx, "BUG: dp_attachment_add_device: unknown flags %#x", flags);
		return -EINVAL;
	}
	if (policy->ctx != ctx) {
		dp_err(ctx, "BUG: dp_attachment_add_device: the attachment and the policy belong to different contexts");
		return -EINVAL;
	}
	if (dp_bdf_normalize(bdf, nb) < 0) {
		dp_err(ctx, "%s: cannot add \"%.64s\": not a PCI address (DDDD:BB:DD.F)", att->vm->name, bdf);
		return -EINVAL;
	}
	r = can_add(att, nb);
	if (r == 0)
		r = recheck(att, policy, nb);
	if (r < 0)
		return r;
	dev = dp_inventory_lookup(ctx, nb);
	if (!dev) { /* the policy allowed it, so the refresh found it */
		dp_err(ctx, "%s: no such PCI function on this host", nb);
		return -ENODEV;
	}
	return add_one(att, policy, NULL, dev, out);
}

int dp_attachment_add_handoff(struct dp_attachment *att, struct dp_handoff *h, uint32_t flags,
			      struct dp_vdev **out)
{
	char one[1][DP_BDF_LEN];
	struct dp_device *dev;
	struct dp_ctx *ctx;
	int r;

	if (!att || !h)
		return -EINVAL;
	ctx = att->ctx;
	if (flags) {
		dp_err(ctx, "BUG: dp_attachment_add_handoff: unknown flags %#x", flags);
		return -EINVAL;
	}
	if (h->sent || h->leases) {
		dp_err(ctx, "BUG: dp_attachment_add_handoff: the handoff is the manager's, not one received");
		return -EINVAL;
	}
	if (!h->d.add) {
		dp_err(ctx, "%s: the handoff is a whole VM's, for dp_attach, not an addition (dp_handoff_open_device)",
		       att->vm->name);
		return -EINVAL;
	}
	if (strcmp(att->vm->name, h->d.vm_name) != 0) {
		dp_err(ctx, "%s: the handoff is for VM \"%s\"", att->vm->name, h->d.vm_name);
		return -EINVAL;
	}
	if (h->d.backend != att->backend) {
		dp_err(ctx, "%s: attached through %s, but the handoff is %s", att->vm->name,
		       dp_backend_name(att->backend), dp_backend_name(h->d.backend));
		return -EINVAL;
	}
	if (h->n_devices != 1 || dp_handoff_find(h, DP_HANDOFF_FD_LEASE, -1,
						 dp_handoff_get_device_bdf(h, 0)) < 0) {
		dp_err(ctx, "%s: the handoff's device was taken already", att->vm->name);
		return -ENOENT;
	}
	memcpy(one[0], dp_handoff_get_device_bdf(h, 0), DP_BDF_LEN);
	r = can_add(att, one[0]);
	/* What the vdev reads of it (group, MSI-X layout): no rule, no reset, no scan. */
	if (r == 0)
		r = dp_inventory_refresh(ctx, one, 1);
	if (r < 0)
		return r;
	dev = dp_inventory_lookup(ctx, one[0]);
	if (!dev) {
		dp_err(ctx, "%s: no such PCI function on this host", one[0]);
		return -ENODEV;
	}
	if (att->backend == DP_BACKEND_TYPE1 && !find_group(att, dev->info.iommu_group) &&
	    dp_handoff_find(h, DP_HANDOFF_FD_GROUP, dev->info.iommu_group, NULL) < 0) {
		dp_err(ctx, "%s: %s is in IOMMU group %d, which the handoff has no fd for",
		       att->vm->name, one[0], dev->info.iommu_group);
		return -EBADMSG;
	}
	return add_one(att, NULL, h, dev, out);
}

/*
 * Forgets the VM's entry for the device at index idx: entry idx while the
 * entries and the devices still pair up (dp_attach made device i from entry
 * i, a hot add appends both), else the entry that names bdf, if one does.
 */
static void vm_forget(struct dp_attachment *att, size_t idx, const char *bdf)
{
	struct dp_vm *vm = att->vm;
	char nb[DP_BDF_LEN];

	for (size_t i = 0; i < vm->n_devices; i++) {
		if (vm->n_devices == att->n_vdevs ? i != idx :
		    dp_bdf_normalize(vm->devices[i], nb) < 0 || strcmp(nb, bdf) != 0)
			continue;
		free(vm->devices[i]);
		memmove(&vm->devices[i], &vm->devices[i + 1],
			(vm->n_devices - i - 1) * sizeof(vm->devices[0]));
		vm->n_devices--;
		return;
	}
}

int dp_attachment_remove_device(struct dp_attachment *att, struct dp_vdev *vdev, uint32_t flags)
{
	struct dp_attach_group *g;
	bool shared = false;
	ssize_t idx;

	if (!att || !vdev)
		return -EINVAL;
	if (flags) {
		dp_err(att->ctx, "BUG: dp_attachment_remove_device: unknown flags %#x", flags);
		return -EINVAL;
	}
	idx = vdev->att == att ? find_vdev(att, vdev->bdf) : -1;
	if (idx < 0 || att->vdevs[idx] != vdev) {
		dp_err(att->ctx, "BUG: dp_attachment_remove_device: %s is not a device of %s",
		       vdev->bdf, att->vm->name);
		return -EINVAL;
	}
	if (att->n_vdevs == 1) {
		dp_err(att->ctx, "%s: %s is its last device, which keeps the container and its DMA mappings; dp_detach gives it back",
		       att->vm->name, vdev->bdf);
		return -EBUSY;
	}
	/* The only step that can fail (KVM's): then the device stays, a second call goes on. */
	for (uint32_t b = 0; b < 6; b++) {
		int r = vdev->n_bar_slots[b] ? dp_vdev_unmap_bar(vdev, b) : 0;

		if (r < 0) {
			dp_err(att->ctx, "%s: %s stays attached: its BAR%u could not leave guest memory; remove it again",
			       att->vm->name, vdev->bdf, b);
			return r;
		}
	}
	dp_info(att->ctx, "%s: hot removing %s", att->vm->name, vdev->bdf);
	dp_vdev_close(vdev); /* its dp_vpci orphaned, interrupts unrouted, the kernel's reset */
	/* Its MSI routes out of KVM's table now, should that push have failed (logged). */
	if (att->have_kvm)
		dp_kvm_flush_routes(&att->kvm);
	dp_vdev_check_reset(att, vdev, "at hot remove", true);
	for (size_t i = 0; i < att->n_vdevs; i++)
		shared |= att->vdevs[i] != vdev && att->vdevs[i]->group == vdev->group;
	g = find_group(att, vdev->group);
	if (g && !shared)
		drop_group(att, g);
	if (att->backend == DP_BACKEND_IOMMUFD) /* what it reserved is usable again; kept if unread */
		dp_attach_iommufd_ranges(att);
	dp_reset_restore(att->ctx, vdev->bdf, vdev->reset_saved, &vdev->reset_written);
	dp_lease_release(vdev->lease);
	vm_forget(att, (size_t)idx, vdev->bdf);
	memmove(&att->vdevs[idx], &att->vdevs[idx + 1],
		(att->n_vdevs - (size_t)idx - 1) * sizeof(att->vdevs[0]));
	att->n_vdevs--;
	free(vdev);
	return 0;
}
