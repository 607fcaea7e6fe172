/* SPDX-License-Identifier: MIT */
/*
 * The manager's side of a handoff: the gate dp_attach passes, the policy's
 * reset orders, then the nodes the VM needs opened (no ioctl that binds
 * them: the VMM puts its groups in the container, or binds its devices,
 * itself), and one SCM_RIGHTS message with every fd and the description.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "gate.h"
#include "handoff.h"
#include "iommufd.h"
#include "lease.h"
#include "leases.h"
#include "policy.h"
#include "policycheck.h"
#include "vfio.h"

static int open_container(struct dp_handoff *h, struct dp_handoff_fd *f)
{
	struct dp_vfio_container c;
	int r = dp_vfio_container_open(h->ctx, &c); /* checks the API and type1v2, binds nothing */

	if (r < 0)
		return r;
	f->fd = c.fd;
	c.fd = -1;
	dp_vfio_container_close(&c);
	return 0;
}

static int open_iommufd(struct dp_handoff *h, struct dp_handoff_fd *f)
{
	f->fd = open(DP_DEV_IOMMU, O_RDWR | O_CLOEXEC);
	if (f->fd < 0) {
		int r = -errno;

		dp_err(h->ctx, "%s: %s", DP_DEV_IOMMU, strerror(-r));
		return r;
	}
	return 0;
}

/* The entries for the VM's devices, the gate's leases and reset orders taken into h. */
static int describe(struct dp_handoff *h, struct dp_policy *policy, struct dp_gate *g)
{
	uint32_t per = h->d.backend == DP_BACKEND_TYPE1 ? DP_HANDOFF_FD_GROUP : DP_HANDOFF_FD_DEVICE;
	int r = 0;

	if (!h->d.add) /* an addition goes into the VMM's own container or iommufd */
		r = dp_handoff_desc_add(&h->d, per == DP_HANDOFF_FD_GROUP ? DP_HANDOFF_FD_CONTAINER :
									     DP_HANDOFF_FD_IOMMUFD, -1, NULL);
	h->leases = calloc(g->n, sizeof(*h->leases));
	h->reset_saved = calloc(g->n, sizeof(*h->reset_saved));
	h->reset_written = calloc(g->n, sizeof(*h->reset_written));
	if (!h->leases || !h->reset_saved || !h->reset_written)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < g->n; i++) {
		int group = g->dev[i]->info.iommu_group;
		bool seen = false;

		/* A group once, before the first of its devices' leases. */
		for (size_t j = 0; per == DP_HANDOFF_FD_GROUP && j < h->d.n_fds; j++)
			seen |= h->d.fds[j].role == DP_HANDOFF_FD_GROUP && h->d.fds[j].group == group;
		if (!seen)
			r = dp_handoff_desc_add(&h->d, per, per == DP_HANDOFF_FD_GROUP ? group : -1,
						g->bdf[i]);
		if (r == 0)
			r = dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_LEASE, -1, g->bdf[i]);
		if (r < 0)
			break;
		h->leases[i] = g->lease[i];
		g->lease[i] = NULL;
		h->n_devices = i + 1; /* h frees what it holds from here on */
		h->d.fds[h->d.n_fds - 1].fd = dp_lease_get_fd(h->leases[i]);
		/* The policy's reset order, before the VMM's open resets the device: the VMM cannot write sysfs. */
		r = dp_reset_apply(policy, g->dev[i], h->reset_saved[i], &h->reset_written[i]);
	}
	if (r == -E2BIG)
		dp_err(h->ctx, "%s: more than %d fds to hand over", h->d.vm_name, DP_HANDOFF_FDS_MAX);
	return r < 0 ? r : dp_handoff_index_devices(h);
}

static int open_all(struct dp_handoff *h, struct dp_gate *g)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < h->d.n_fds; i++) {
		struct dp_handoff_fd *f = &h->d.fds[i];

		switch (f->role) {
		case DP_HANDOFF_FD_CONTAINER:
			r = open_container(h, f);
			break;
		case DP_HANDOFF_FD_IOMMUFD:
			r = open_iommufd(h, f);
			break;
		case DP_HANDOFF_FD_GROUP: /* opened and found viable; not put in any container */
			r = dp_vfio_group_open(h->ctx, f->group, h->d.fds[i + 1].bdf, &f->fd);
			break;
		case DP_HANDOFF_FD_DEVICE:
			for (size_t j = 0; j < g->n; j++)
				if (strcmp(g->bdf[j], f->bdf) == 0)
					r = dp_iommufd_device_open(h->ctx, g->dev[j], &f->fd);
			break;
		default: /* the leases: open already */
			break;
		}
	}
	return r;
}

/* The options, checked and copied into o; 0 or -errno, logged as fn's. */
static int take_opts(struct dp_policy *policy, const struct dp_vm *vm, const char *fn,
		     const struct dp_handoff_opts *opts, struct dp_handoff_opts *o)
{
	struct dp_ctx *ctx = policy->ctx;
	int r;

	if (opts) {
		r = DP_OPTS_CHECK(opts, dp_handoff_opts, flags);
		if (r < 0) {
			dp_err(ctx, "%s%s: struct dp_handoff_opts has sz %zu",
			       r == -E2BIG ? "" : "BUG: ", fn, opts->sz);
			return r;
		}
		dp_opts_copy(o, sizeof(*o), opts);
		if (o->flags) {
			dp_err(ctx, "BUG: %s: unknown flags %#x", fn, o->flags);
			return -EINVAL;
		}
	}
	if (vm->ctx != ctx) {
		dp_err(ctx, "BUG: %s: the VM and the policy belong to different contexts", fn);
		return -EINVAL;
	}
	return 0;
}

/* After the gate g: the backend, the entries, the nodes opened, the description; h freed on failure. */
static int finish(struct dp_handoff *h, struct dp_policy *policy, struct dp_gate *g,
		  uint32_t backend, struct dp_handoff **out)
{
	struct dp_ctx *ctx = h->ctx;
	char why[DP_BACKEND_WHY_MAX];
	int r;

	r = dp_backend_choose(ctx, backend, (const char(*)[DP_BDF_LEN])g->bdf, g->n, &h->d.backend,
			      why, sizeof(why));
	if (r < 0) {
		dp_err(ctx, "%s: %s", h->d.vm_name, why);
		goto err;
	}
	dp_info(ctx, "%s: %s", h->d.vm_name, why);
	r = describe(h, policy, g);
	if (r == 0)
		r = open_all(h, g);
	if (r == 0)
		r = dp_handoff_desc_format(&h->d, &h->text, why, sizeof(why));
	if (r < 0)
		goto err;
	dp_gate_fini(g);
	dp_info(ctx, "%s: %zu fds open for %zu device%s, to hand over%s", h->d.vm_name, h->d.n_fds,
		h->n_devices, h->n_devices == 1 ? "" : "s", h->d.add ? " as an addition" : "");
	*out = h;
	return 0;
err:
	dp_gate_fini(g);
	dp_handoff_free(h);
	return r;
}

int dp_handoff_open(struct dp_policy *policy, struct dp_vm *vm, const struct dp_handoff_opts *opts,
		    struct dp_handoff **out)
{
	struct dp_handoff_opts o = { .sz = sizeof(o) };
	struct dp_gate g = { 0 };
	struct dp_handoff *h;
	struct dp_ctx *ctx;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	r = take_opts(policy, vm, "dp_handoff_open", opts, &o);
	if (r < 0)
		return r;
	if (vm->n_devices == 0) {
		dp_err(ctx, "%s: no devices to hand over", vm->name);
		return -EINVAL;
	}
	h = dp_handoff_alloc(ctx);
	if (!h)
		return -ENOMEM;
	snprintf(h->d.vm_name, sizeof(h->d.vm_name), "%s", vm->name);
	r = dp_gate_pass(policy, vm, &g);
	if (r < 0) {
		dp_handoff_free(h);
		return r;
	}
	return finish(h, policy, &g, o.backend, out);
}

/*
 * The VM's devices and bdf as BDFs into *bdfs (bdf last, n + 1 of them):
 * each entry of vm a BDF (it is attached: the functions are known), bdf
 * not one of them; 0 or -errno, logged.
 */
static int addition_bdfs(struct dp_ctx *ctx, const struct dp_vm *vm, const char *bdf,
			 char (**bdfs)[DP_BDF_LEN])
{
	char (*b)[DP_BDF_LEN] = calloc(vm->n_devices + 1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i <= vm->n_devices; i++) {
		const char *s = i < vm->n_devices ? vm->devices[i] : bdf;

		if (dp_bdf_normalize(s, b[i]) < 0) {
			dp_err(ctx, "%s: \"%.64s\" is not a PCI address (DDDD:BB:DD.F): an addition names the VM's attached functions and the new one",
			       vm->name, s);
			free(b);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(b[j], b[i]) == 0) {
				dp_err(ctx, "%s: %s %s", vm->name, b[i],
				       i == vm->n_devices ? "is attached already" : "is listed twice");
				free(b);
				return -EEXIST;
			}
	}
	*bdfs = b;
	return 0;
}

int dp_handoff_open_device(struct dp_policy *policy, struct dp_vm *vm, const char *bdf,
			   const struct dp_handoff_opts *opts, struct dp_handoff **out)
{
	struct dp_handoff_opts o = { .sz = sizeof(o) };
	char (*bdfs)[DP_BDF_LEN] = NULL;
	struct dp_gate g = { 0 };
	struct dp_handoff *h = NULL;
	struct dp_device *dev;
	struct dp_ctx *ctx;
	size_t n;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !bdf) ||
	    dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	n = vm->n_devices;
	r = take_opts(policy, vm, "dp_handoff_open_device", opts, &o);
	if (r == 0 && n == 0) {
		dp_err(ctx, "%s: attached with no devices, it has no container or IOAS to add %s to; hand the VM over with it",
		       vm->name, bdf);
		r = -ENODEV;
	}
	if (r == 0 && n >= DP_VM_DEVICES_MAX) {
		dp_err(ctx, "%s: more than %d passthrough devices", vm->name, DP_VM_DEVICES_MAX);
		r = -E2BIG;
	}
	if (r == 0)
		r = addition_bdfs(ctx, vm, bdf, &bdfs);
	/* Attached: each of its devices leased to it, which is why their leases do not count. */
	for (size_t i = 0; r == 0 && i < n; i++) {
		char owner[DP_LEASE_OWNER_MAX];
		pid_t pid;

		r = dp_lease_query(ctx, bdfs[i], owner, sizeof(owner), &pid);
		if (r == 1 && strcmp(owner, vm->name) == 0)
			r = 0;
		else if (r >= 0) {
			dp_err(ctx, "%s: %s is not leased to it: an addition is for a VM attached with its devices",
			       vm->name, bdfs[i]);
			r = -EINVAL;
		}
	}
	/* The check a hot add runs: the VM's devices (leased by it, elsewhere) and this one. */
	if (r == 0)
		r = dp_policy_check_addition(policy, vm, bdfs, n + 1);
	dev = r == 0 ? dp_inventory_lookup(ctx, bdfs[n]) : NULL;
	if (r == 0 && !dev) {
		dp_err(ctx, "%s: no such PCI function on this host", bdfs[n]);
		r = -ENODEV;
	}
	if (r == 0) {
		char why[DP_BACKEND_WHY_MAX];

		r = dp_backend_choose(ctx, o.backend, (const char(*)[DP_BDF_LEN])&bdfs[n], 1,
				      &o.backend, why, sizeof(why));
		if (r < 0)
			dp_err(ctx, "%s: %s", vm->name, why);
	}
	/* Its group's node is open in the VMM already, which VFIO lets no second open have. */
	for (size_t i = 0; r == 0 && o.backend == DP_BACKEND_TYPE1 && i < n; i++) {
		const struct dp_device *d = dp_inventory_lookup(ctx, bdfs[i]);

		if (d && d->info.iommu_group == dev->info.iommu_group) {
			dp_err(ctx, "%s: %s is in IOMMU group %d with the VM's %s, whose node the VMM holds; hand it over with the VM, or use the iommufd backend",
			       vm->name, bdfs[n], d->info.iommu_group, bdfs[i]);
			r = -EBUSY;
		}
	}
	if (r == 0)
		r = (h = dp_handoff_alloc(ctx)) ? dp_gate_alloc(&g, 1) : -ENOMEM;
	if (r == 0) {
		snprintf(h->d.vm_name, sizeof(h->d.vm_name), "%s", vm->name);
		h->d.add = true;
		memcpy(g.bdf[0], bdfs[n], DP_BDF_LEN);
		g.dev[0] = dev;
		r = dp_lease_acquire(ctx, bdfs[n], vm->name, &g.lease[0]);
	}
	free(bdfs);
	if (r < 0) {
		dp_gate_fini(&g);
		dp_handoff_free(h);
		return r;
	}
	return finish(h, policy, &g, o.backend, out);
}

int dp_handoff_send(struct dp_handoff *h, int sock)
{
	size_t n = h ? h->d.n_fds : 0;
	union {
		char buf[CMSG_SPACE(sizeof(int) * DP_HANDOFF_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
	struct cmsghdr *cm;
	ssize_t sent;

	if (!h)
		return -EINVAL;
	if (h->sent || !h->text || !h->leases) {
		dp_err(h->ctx, "BUG: dp_handoff_send: %s", h->sent ? "sent already" :
			       "a received handoff is not sent on");
		return -EINVAL;
	}
	memset(u.buf, 0, sizeof(u.buf));
	iov = (struct iovec){ h->text, strlen(h->text) };
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || n == 0) /* room for n fds, one at least: a handoff has three */
		return -EINVAL;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	for (size_t i = 0; i < n; i++)
		memcpy(CMSG_DATA(cm) + i * sizeof(int), &h->d.fds[i].fd, sizeof(int));
	do
		sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		int r = -errno;

		dp_err(h->ctx, "%s: cannot send the handoff: %s", h->d.vm_name, strerror(-r));
		return r;
	}
	if ((size_t)sent != iov.iov_len) {
		dp_err(h->ctx, "%s: the handoff went out short (%zd of %zu bytes)", h->d.vm_name, sent,
		       iov.iov_len);
		return -EIO;
	}
	h->sent = true;
	dp_info(h->ctx, "%s: handed over %zu fds for %zu device%s", h->d.vm_name, n, h->n_devices,
		h->n_devices == 1 ? "" : "s");
	return 0;
}
