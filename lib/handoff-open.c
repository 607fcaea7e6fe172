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
#include "policy.h"
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
	int r;

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

int dp_handoff_open(struct dp_policy *policy, struct dp_vm *vm, const struct dp_handoff_opts *opts,
		    struct dp_handoff **out)
{
	struct dp_handoff_opts o = { .sz = sizeof(o) };
	struct dp_gate g = { 0 };
	struct dp_handoff *h;
	char why[DP_BACKEND_WHY_MAX];
	struct dp_ctx *ctx;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	if (opts) {
		r = DP_OPTS_CHECK(opts, dp_handoff_opts, flags);
		if (r < 0) {
			dp_err(ctx, "%sdp_handoff_open: struct dp_handoff_opts has sz %zu",
			       r == -E2BIG ? "" : "BUG: ", opts->sz);
			return r;
		}
		dp_opts_copy(&o, sizeof(o), opts);
		if (o.flags) {
			dp_err(ctx, "BUG: dp_handoff_open: unknown flags %#x", o.flags);
			return -EINVAL;
		}
	}
	if (vm->ctx != ctx) {
		dp_err(ctx, "BUG: dp_handoff_open: the VM and the policy belong to different contexts");
		return -EINVAL;
	}
	if (vm->n_devices == 0) {
		dp_err(ctx, "%s: no devices to hand over", vm->name);
		return -EINVAL;
	}
	h = dp_handoff_alloc(ctx);
	if (!h)
		return -ENOMEM;
	snprintf(h->d.vm_name, sizeof(h->d.vm_name), "%s", vm->name);
	r = dp_gate_pass(policy, vm, &g);
	if (r < 0)
		goto err;
	r = dp_backend_choose(ctx, o.backend, (const char(*)[DP_BDF_LEN])g.bdf, g.n, &h->d.backend,
			      why, sizeof(why));
	if (r < 0) {
		dp_err(ctx, "%s: %s", vm->name, why);
		goto err;
	}
	dp_info(ctx, "%s: %s", vm->name, why);
	r = describe(h, policy, &g);
	if (r == 0)
		r = open_all(h, &g);
	if (r == 0)
		r = dp_handoff_desc_format(&h->d, &h->text, why, sizeof(why));
	if (r < 0)
		goto err;
	dp_gate_fini(&g);
	dp_info(ctx, "%s: %zu fds open for %zu device%s, to hand over", vm->name, h->d.n_fds,
		h->n_devices, h->n_devices == 1 ? "" : "s");
	*out = h;
	return 0;
err:
	dp_gate_fini(&g);
	dp_handoff_free(h);
	return r;
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
