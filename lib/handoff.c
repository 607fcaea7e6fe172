/* SPDX-License-Identifier: MIT */
/* A handoff: its accessors, taking its fds, and freeing what was not taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handoff.h"
#include "lease.h"

struct dp_handoff *dp_handoff_alloc(struct dp_ctx *ctx)
{
	struct dp_handoff *h = calloc(1, sizeof(*h));

	if (h)
		h->ctx = dp_ctx_ref(ctx);
	return h;
}

int dp_handoff_index_devices(struct dp_handoff *h)
{
	free(h->devices);
	h->n_devices = 0;
	h->devices = calloc(h->d.n_fds ? h->d.n_fds : 1, sizeof(*h->devices));
	if (!h->devices)
		return -ENOMEM;
	for (size_t i = 0; i < h->d.n_fds; i++)
		if (h->d.fds[i].role == DP_HANDOFF_FD_LEASE)
			h->devices[h->n_devices++] = i;
	return 0;
}

struct dp_handoff *dp_handoff_free(struct dp_handoff *h)
{
	size_t k = 0;

	if (!h)
		return NULL;
	for (size_t i = 0; i < h->d.n_fds; i++) {
		/* The manager's leases' fds are their leases': let go below. */
		if (h->d.fds[i].fd >= 0 && !(h->leases && h->d.fds[i].role == DP_HANDOFF_FD_LEASE))
			close(h->d.fds[i].fd);
	}
	/* The manager's side, in the VM's order: the host's reset order again, unless sent. */
	for (size_t i = 0; h->leases && i < h->d.n_fds && k < h->n_devices; i++) {
		if (h->d.fds[i].role != DP_HANDOFF_FD_LEASE)
			continue;
		if (!h->sent)
			dp_reset_restore(h->ctx, h->d.fds[i].bdf, h->reset_saved[k],
					 &h->reset_written[k]);
		/* Never sent: given up; sent: the receiver's copy of each lease's open file holds it. */
		if (h->sent)
			dp_lease_disown(h->leases[k]);
		else
			dp_lease_release(h->leases[k]);
		k++;
	}
	free(h->leases);
	free(h->reset_saved);
	free(h->reset_written);
	free(h->devices);
	free(h->text);
	dp_handoff_desc_fini(&h->d);
	dp_ctx_unref(h->ctx);
	free(h);
	return NULL;
}

int dp_handoff_find(const struct dp_handoff *h, uint32_t role, int group, const char *bdf)
{
	for (size_t i = 0; i < h->d.n_fds; i++) {
		const struct dp_handoff_fd *f = &h->d.fds[i];

		if (f->role != role || (role == DP_HANDOFF_FD_GROUP && f->group != group) ||
		    ((role == DP_HANDOFF_FD_DEVICE || role == DP_HANDOFF_FD_LEASE) &&
		     (!bdf || strcmp(f->bdf, bdf) != 0)))
			continue;
		return f->fd < 0 ? -ENOENT : (int)i;
	}
	return -ENOENT;
}

int dp_handoff_take(struct dp_handoff *h, uint32_t role, int group, const char *bdf)
{
	int i = dp_handoff_find(h, role, group, bdf), fd;

	if (i < 0)
		return i;
	fd = h->d.fds[i].fd;
	h->d.fds[i].fd = -1;
	return fd;
}

int dp_handoff_is_addition(const struct dp_handoff *h)
{
	return h && h->d.add;
}

uint32_t dp_handoff_get_backend(const struct dp_handoff *h)
{
	return h ? h->d.backend : 0;
}

const char *dp_handoff_get_vm_name(const struct dp_handoff *h)
{
	return h ? h->d.vm_name : NULL;
}

size_t dp_handoff_get_device_count(const struct dp_handoff *h)
{
	return h ? h->n_devices : 0;
}

const char *dp_handoff_get_device_bdf(const struct dp_handoff *h, size_t index)
{
	return h && index < h->n_devices ? h->d.fds[h->devices[index]].bdf : NULL;
}

size_t dp_handoff_get_fd_count(const struct dp_handoff *h)
{
	return h ? h->d.n_fds : 0;
}

uint32_t dp_handoff_get_fd_role(const struct dp_handoff *h, size_t index)
{
	return h && index < h->d.n_fds ? h->d.fds[index].role : 0;
}

const char *dp_handoff_get_fd_subject(const struct dp_handoff *h, size_t index)
{
	return h && index < h->d.n_fds && h->d.fds[index].bdf[0] ? h->d.fds[index].bdf : NULL;
}

const char *dp_handoff_get_description(const struct dp_handoff *h)
{
	return h ? h->text : NULL;
}
