/* SPDX-License-Identifier: MIT */
/*
 * dp_attach from a handoff: its gate is the manager's (dp_handoff_open
 * checked every rule and took the leases); here the VM must be the one the
 * handoff is for, and its leases are adopted. Nothing is written to sysfs:
 * the VMM may be another uid with no capability.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "gate.h"
#include "handoff.h"
#include "lease.h"

/* The VM's entry i and the handoff's device i: the same function (a request: any). */
static int match_device(struct dp_handoff *h, const struct dp_vm *vm, size_t i)
{
	const char *bdf = dp_handoff_get_device_bdf(h, i);
	char want[DP_BDF_LEN];

	if (dp_bdf_normalize(vm->devices[i], want) < 0)
		return 0; /* an ID or label request: the manager chose, and leased, this one */
	if (strcmp(want, bdf) == 0)
		return 0;
	dp_err(h->ctx, "%s: device %zu is %s, but the handoff's device %zu is %s", vm->name, i, want,
	       i, bdf);
	return -EINVAL;
}

int dp_handoff_gate(struct dp_handoff *h, const struct dp_vm *vm, uint32_t backend,
		    struct dp_gate *g)
{
	struct dp_gate out;
	int r;

	if (h->sent || h->leases) {
		dp_err(h->ctx, "BUG: dp_attach: the handoff is the manager's (dp_handoff_open), not one received");
		return -EINVAL;
	}
	if (strcmp(vm->name, h->d.vm_name) != 0) {
		dp_err(h->ctx, "%s: the handoff is for VM \"%s\"", vm->name, h->d.vm_name);
		return -EINVAL;
	}
	if (h->d.add) {
		dp_err(h->ctx, "%s: the handoff is an addition of %s to the attached VM, for dp_attachment_add_handoff, not dp_attach",
		       vm->name, dp_handoff_get_device_bdf(h, 0));
		return -EINVAL;
	}
	if (backend != DP_BACKEND_AUTO && backend != h->d.backend) {
		dp_err(h->ctx, "%s: %s was asked for, but the handoff is %s", vm->name,
		       dp_backend_name(backend) ? dp_backend_name(backend) : "an unknown backend",
		       dp_backend_name(h->d.backend));
		return -EINVAL;
	}
	if (vm->n_devices != h->n_devices) {
		dp_err(h->ctx, "%s: %zu devices, but the handoff has %zu", vm->name, vm->n_devices,
		       h->n_devices);
		return -EINVAL;
	}
	for (size_t i = 0; i < h->n_devices; i++)
		if ((r = match_device(h, vm, i)) < 0)
			return r;
	r = dp_gate_alloc(&out, h->n_devices);
	if (r < 0)
		return r;
	for (size_t i = 0; i < h->n_devices; i++)
		snprintf(out.bdf[i], sizeof(out.bdf[i]), "%s", dp_handoff_get_device_bdf(h, i));
	/* What the vdevs read of them (group, MSI-X layout): no rule, no reset, no scan. */
	r = dp_inventory_refresh(h->ctx, out.bdf, out.n);
	for (size_t i = 0; r == 0 && i < out.n; i++) {
		int fd;

		out.dev[i] = dp_inventory_lookup(h->ctx, out.bdf[i]);
		if (!out.dev[i]) {
			dp_err(h->ctx, "%s: no such PCI function on this host", out.bdf[i]);
			r = -ENODEV;
			break;
		}
		fd = dp_handoff_take(h, DP_HANDOFF_FD_LEASE, -1, out.bdf[i]);
		if (fd < 0) {
			dp_err(h->ctx, "%s: the handoff's lease of %s was taken already", vm->name,
			       out.bdf[i]);
			r = -ENOENT;
			break;
		}
		r = dp_lease_adopt(h->ctx, out.bdf[i], vm->name, fd, &out.lease[i]);
		if (r < 0)
			close(fd);
	}
	if (r < 0) {
		dp_gate_fini(&out);
		return r;
	}
	*g = out;
	return 0;
}

/* The handoff's fd of this role (a device's: bdf's), or -ENOENT logged. */
static int take_logged(struct dp_attachment *att, uint32_t role, const char *bdf)
{
	int fd = dp_handoff_take(att->opts.handoff, role, -1, bdf);

	if (fd < 0)
		dp_err(att->ctx, "%s: the handoff has no %s fd%s%s (or it was taken)", att->vm->name,
		       dp_handoff_fd_role_name(role), bdf ? " for " : "", bdf ? bdf : "");
	return fd;
}

int dp_handoff_attach_fds(struct dp_attachment *att)
{
	int fd;

	if (att->backend == DP_BACKEND_IOMMUFD) {
		fd = take_logged(att, DP_HANDOFF_FD_IOMMUFD, NULL);
		if (fd < 0)
			return fd;
		att->iommufd.fd = fd; /* dp_iommufd_open uses it, dp_iommufd_close closes it */
		return 0;
	}
	fd = take_logged(att, DP_HANDOFF_FD_CONTAINER, NULL);
	if (fd < 0)
		return fd;
	fd = dp_vfio_container_adopt(att->ctx, &att->container, fd);
	if (fd < 0)
		return fd;
	att->have_container = true;
	for (size_t i = 0; i < att->n_groups; i++) {
		struct dp_attach_group *g = &att->groups[i];

		fd = dp_handoff_take(att->opts.handoff, DP_HANDOFF_FD_GROUP, g->num, NULL);
		if (fd < 0) {
			dp_err(att->ctx, "%s: the handoff has no fd for IOMMU group %d (or it was taken)",
			       att->vm->name, g->num);
			return fd;
		}
		g->fd = fd; /* put in the container as one opened here would be */
	}
	return 0;
}

int dp_handoff_attach_device(struct dp_attachment *att, struct dp_vdev *v)
{
	int fd;

	if (!att->opts.handoff || att->backend != DP_BACKEND_IOMMUFD || v->fd >= 0)
		return 0;
	fd = take_logged(att, DP_HANDOFF_FD_DEVICE, v->bdf);
	if (fd < 0)
		return fd;
	v->fd = fd;
	return 0;
}
