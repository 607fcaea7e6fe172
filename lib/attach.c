/* SPDX-License-Identifier: MIT */
/*
 * dp_attach / dp_detach: an allowed VM's devices, leased and opened through
 * one VFIO container; every step undone in reverse on failure.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach.h"
#include "gate.h"
#include "handoff.h"
#include "policy.h"
#include "vm.h"

static int add_group(struct dp_attachment *att, int num)
{
	struct dp_attach_group *g;

	for (size_t i = 0; i < att->n_groups; i++)
		if (att->groups[i].num == num)
			return 0;
	g = realloc(att->groups, (att->n_groups + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	att->groups = g;
	att->groups[att->n_groups++] = (struct dp_attach_group){ .num = num, .fd = -1 };
	return 0;
}

/* A device of the group, to name it in messages. */
static const char *group_bdf(const struct dp_attachment *att, int num)
{
	for (size_t i = 0; i < att->n_vdevs; i++)
		if (att->vdevs[i]->group == num)
			return att->vdevs[i]->bdf;
	return "?";
}

static int group_fd(const struct dp_attachment *att, int num)
{
	for (size_t i = 0; i < att->n_groups; i++)
		if (att->groups[i].num == num)
			return att->groups[i].fd;
	return -1;
}

/* The backend per opts.backend and the host (backend.c); logs why an explicit one cannot be had. */
static int choose_backend(struct dp_attachment *att, const char (*bdfs)[DP_BDF_LEN], size_t n)
{
	int r = dp_backend_choose(att->ctx, att->opts.backend, bdfs, n, &att->backend, att->backend_why,
				  sizeof(att->backend_why));

	if (r < 0)
		dp_err(att->ctx, "%s: %s", att->vm->name, att->backend_why);
	else
		dp_dbg(att->ctx, "%s: %s", att->vm->name, att->backend_why);
	return r;
}

/* type1: the container (unless its fd is set), each group opened (unless set) and put in it. */
static int open_type1(struct dp_attachment *att)
{
	int r = att->have_container ? 0 : dp_vfio_container_open(att->ctx, &att->container);

	if (r < 0)
		return r;
	att->have_container = true;
	for (size_t i = 0; i < att->n_groups; i++) {
		struct dp_attach_group *g = &att->groups[i];

		if (g->fd < 0 && (r = dp_vfio_group_open(att->ctx, g->num, group_bdf(att, g->num),
							 &g->fd)) < 0)
			return r;
		r = dp_vfio_group_set_container(&att->container, g->fd, g->num,
						group_bdf(att, g->num));
		if (r < 0)
			return r;
		g->in_container = true;
	}
	return 0;
}

/* iommufd: /dev/iommu (unless its fd is set) and the VM's IOAS; the devices join it at open. */
static int open_iommufd(struct dp_attachment *att)
{
	int r = dp_iommufd_open(&att->iommufd);

	att->have_iommufd = r == 0;
	return r;
}

/* Everything dp_attach did, undone in reverse; also dp_detach's body (detach). */
static void teardown(struct dp_attachment *att, bool detach)
{
	for (size_t i = att->n_vdevs; i-- > 0;)
		for (uint32_t b = 0; b < 6; b++)
			if (att->vdevs[i]->n_bar_slots[b])
				dp_vdev_unmap_bar(att->vdevs[i], b);
	for (size_t i = att->n_vdevs; i-- > 0;)
		if (att->vdevs[i]->fd >= 0)
			dp_vdev_close(att->vdevs[i]);
	dp_attach_check_resets(att, detach); /* every device fd is closed: the kernel reset them */
	if (att->have_dma && dp_dma_fini(&att->dma) < 0)
		dp_err(att->ctx, "detach: some DMA mappings could not be unmapped");
	att->have_dma = false;
	if (att->have_container && att->container.iommu_set)
		dp_vfio_unmap_all(&att->container); /* the kernel's own count: nothing may be left */
	if (att->have_iommufd)
		dp_iommufd_unmap_all(&att->iommufd);
	dp_iommufd_close(&att->iommufd); /* after every device left its IOAS (dp_vdev_close) */
	att->have_iommufd = false;
	for (size_t i = att->n_groups; i-- > 0;)
		dp_attach_group_close(att, &att->groups[i]);
	dp_attach_containers_close(att); /* the hot added groups' own, if any */
	if (att->have_kvm)
		dp_kvm_fini(&att->kvm);
	if (att->have_container)
		dp_vfio_container_close(&att->container);
	for (size_t i = att->n_vdevs; i-- > 0;) {
		/* Every fd is closed, the kernel's last reset done: the host's own order again. */
		dp_reset_restore(att->ctx, att->vdevs[i]->bdf, att->vdevs[i]->reset_saved,
				 &att->vdevs[i]->reset_written);
		dp_lease_release(att->vdevs[i]->lease);
		free(att->vdevs[i]);
	}
	free(att->vdevs);
	free(att->groups);
	dp_vm_unref(att->vm);
	dp_ctx_unref(att->ctx);
	free(att);
}

int dp_attach(struct dp_policy *policy, struct dp_vm *vm, const struct dp_attach_opts *opts,
	      struct dp_attachment **out)
{
	struct dp_attachment *att;
	struct dp_gate gate = { 0 };
	struct dp_ctx *ctx;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	att = calloc(1, sizeof(*att));
	if (!att)
		return -ENOMEM;
	att->opts.sz = sizeof(att->opts);
	dp_iommufd_init(&att->iommufd, ctx);
	if (opts) {
		r = DP_OPTS_CHECK(opts, dp_attach_opts, memslot_count);
		if (r == -E2BIG)
			dp_err(ctx, "dp_attach: struct dp_attach_opts (sz %zu) sets fields this library (%s, sz %zu) does not know",
			       opts->sz, dp_version(), sizeof(att->opts));
		else if (r < 0)
			dp_err(ctx, "BUG: dp_attach: struct dp_attach_opts has sz %zu", opts->sz);
		if (r < 0) {
			free(att);
			return r;
		}
		dp_opts_copy(&att->opts, sizeof(att->opts), opts);
		if (att->opts.flags & ~DP_ATTACH_KVM || att->opts.reserved0) {
			dp_err(ctx, "BUG: dp_attach: unknown flags %#x, or reserved0 not 0",
			       att->opts.flags & ~DP_ATTACH_KVM);
			free(att);
			return -EINVAL;
		}
		if (!dp_backend_name(att->opts.backend)) {
			dp_err(ctx, "BUG: dp_attach: backend %u is none of auto, type1 or iommufd",
			       att->opts.backend);
			free(att);
			return -EINVAL;
		}
	}
	if (vm->ctx != ctx) {
		dp_err(ctx, "BUG: dp_attach: the VM and the policy belong to different contexts");
		free(att);
		return -EINVAL;
	}
	att->ctx = dp_ctx_ref(ctx);
	att->vm = dp_vm_ref(vm);
	att->release = policy->rules[DP_RULE_RELEASE]; /* what its detach does, decided now */

	/*
	 * The gate: a fresh look at what the rules read of the host, every rule,
	 * the leases; or, from a manager's handoff, the manager's (handoff-attach.c).
	 */
	if (att->opts.handoff) {
		r = dp_handoff_gate(att->opts.handoff, vm, att->opts.backend, &gate);
		att->backend = dp_handoff_get_backend(att->opts.handoff);
		snprintf(att->backend_why, sizeof(att->backend_why),
			 "%s as the manager's handoff opened it", dp_backend_name(att->backend));
	} else {
		r = dp_gate_pass(policy, vm, &gate);
		if (r == 0)
			r = choose_backend(att, (const char (*)[DP_BDF_LEN])gate.bdf, gate.n);
	}
	if (r < 0)
		goto err;
	if (vm->n_devices == 0)
		goto done;

	att->vdevs = calloc(vm->n_devices, sizeof(*att->vdevs));
	if (!att->vdevs) {
		r = -ENOMEM;
		goto err;
	}
	for (size_t i = 0; i < vm->n_devices; i++) {
		struct dp_device *dev = NULL;
		struct dp_vdev *v = calloc(1, sizeof(*v));

		if (!v) {
			r = -ENOMEM;
			goto err;
		}
		v->fd = -1;
		v->intx_efd = -1;
		v->intx_resample = -1;
		v->att = att;
		att->vdevs[att->n_vdevs++] = v;
		dev = gate.dev[i]; /* vdev i is the VM's entry i */
		dp_vdev_set_device(v, dev);
		v->lease = gate.lease[i];
		gate.lease[i] = NULL;
		/* The policy's reset order, before vfio-pci's reset at open: a handoff's manager wrote it. */
		r = att->opts.handoff ? 0 : dp_reset_apply(policy, dev, v->reset_saved, &v->reset_written);
		if (r == 0 && att->backend == DP_BACKEND_TYPE1)
			r = add_group(att, v->group);
		if (r < 0)
			goto err;
	}

	r = att->opts.handoff ? dp_handoff_attach_fds(att) : 0;
	if (r == 0)
		r = att->backend == DP_BACKEND_IOMMUFD ? open_iommufd(att) : open_type1(att);
	if (r < 0)
		goto err;

	if (att->opts.flags & DP_ATTACH_KVM) {
		r = dp_kvm_init(&att->kvm, ctx, att->opts.kvm_vm_fd, att->opts.memslot_base,
				att->opts.memslot_count);
		if (r < 0)
			goto err;
		att->have_kvm = true;
		r = dp_kvm_set_gsi_range(&att->kvm, att->opts.gsi_base, att->opts.gsi_count);
		if (r < 0)
			goto err;
		r = dp_kvm_vfio_create(&att->kvm);
		for (size_t i = 0; r == 0 && i < att->n_groups; i++) {
			r = dp_kvm_vfio_group(&att->kvm, att->groups[i].fd, att->groups[i].num, true);
			att->groups[i].in_kvm = r == 0;
		}
		if (r < 0)
			goto err;
	}

	{
		uint64_t pg = att->backend == DP_BACKEND_IOMMUFD ? att->iommufd.iova_alignment
								 : att->container.iova_pgsizes;
		struct rlimit rl;

		if (att->backend == DP_BACKEND_IOMMUFD)
			r = dp_dma_init(&att->dma, ctx, &dp_iommufd_dma_ops, &att->iommufd, pg);
		else
			r = dp_dma_init(&att->dma, ctx, &dp_attach_dma_ops, att, pg ? pg & -pg : 4096);
		if (r < 0)
			goto err;
		att->have_dma = true;
		if (att->backend == DP_BACKEND_TYPE1) { /* iommufd's: read once its devices joined */
			r = dp_dma_set_usable(&att->dma, att->container.ranges,
					      att->container.n_ranges);
			if (r < 0)
				goto err;
			att->dma.dma_avail = att->container.dma_avail; /* iommufd has no such limit */
		}
		att->dma.memlock_mode = dp_attach_memlock_mode(att);
		if (!dp_caps_ipc_lock() && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			att->dma.memlock_limit = rl.rlim_cur;
	}

	for (size_t i = 0; i < att->n_vdevs; i++) {
		r = dp_handoff_attach_device(att, att->vdevs[i]);
		if (r == 0)
			r = dp_vdev_open(att, att->vdevs[i], group_fd(att, att->vdevs[i]->group));
		if (r < 0)
			goto err;
	}
	/* Under iommufd the IOAS's usable ranges are what its devices leave of it. */
	if (att->backend == DP_BACKEND_IOMMUFD && (r = dp_attach_iommufd_ranges(att)) < 0)
		goto err;
done:
	dp_gate_fini(&gate);
	dp_info(ctx, "%s: attached %zu device%s through %s", vm->name, att->n_vdevs,
		att->n_vdevs == 1 ? "" : "s", dp_backend_name(att->backend));
	*out = att;
	return 0;
err:
	dp_gate_fini(&gate); /* the leases no vdev took yet */
	teardown(att, false);
	return r;
}

struct dp_attachment *dp_detach(struct dp_attachment *att)
{
	if (!att)
		return NULL;
	dp_info(att->ctx, "%s: detaching %zu device%s", att->vm->name, att->n_vdevs,
		att->n_vdevs == 1 ? "" : "s");
	teardown(att, true);
	return NULL;
}

/* Reads a counter of the DMA state under its lock (map and unmap may run in other threads). */
static uint64_t dma_counter(const struct dp_attachment *att, size_t offset)
{
	const struct dp_dma *dma;
	uint64_t v;

	if (!att || !att->have_dma)
		return 0;
	dma = &att->dma;
	pthread_mutex_lock(dma->lock);
	memcpy(&v, (const char *)dma + offset, sizeof(v));
	pthread_mutex_unlock(dma->lock);
	return v;
}

int dp_attachment_get_iommu_info(const struct dp_attachment *att, struct dp_iommu_info *info)
{
	struct dp_iommu_info i = { .sz = sizeof(i) };

	if (!att || !info)
		return -EINVAL;
	i.iova_pgsizes = att->container.iova_pgsizes;
	i.n_iova_ranges = att->container.n_ranges;
	if (att->backend == DP_BACKEND_IOMMUFD) { /* every power of two from the IOAS's alignment */
		i.iova_pgsizes = att->have_iommufd ? ~(att->iommufd.iova_alignment - 1) : 0;
		i.n_iova_ranges = att->iommufd.n_ranges;
	}
	i.dma_avail = att->have_dma ? dma_counter(att, offsetof(struct dp_dma, dma_avail)) : UINT64_MAX;
	i.flags = att->container.migration ? DP_IOMMU_INFO_MIGRATION : 0;
	return dp_info_copy_out(info, offsetof(struct dp_iommu_info, flags) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_attachment_get_iova_range(const struct dp_attachment *att, uint32_t index,
				 uint64_t *start, uint64_t *end)
{
	const struct dp_iova_range *ranges;
	uint32_t n;

	if (!att)
		return -EINVAL;
	ranges = att->backend == DP_BACKEND_IOMMUFD ? att->iommufd.ranges : att->container.ranges;
	n = att->backend == DP_BACKEND_IOMMUFD ? att->iommufd.n_ranges : att->container.n_ranges;
	if (index >= n)
		return -ERANGE;
	if (start)
		*start = ranges[index].start;
	if (end)
		*end = ranges[index].end;
	return 0;
}

uint32_t dp_attachment_get_backend(const struct dp_attachment *att, const char **why)
{
	if (why)
		*why = att ? att->backend_why : NULL;
	return att ? att->backend : DP_BACKEND_AUTO;
}

size_t dp_attachment_get_vdev_count(const struct dp_attachment *att)
{
	return att ? att->n_vdevs : 0;
}

struct dp_vdev *dp_attachment_get_vdev(const struct dp_attachment *att, size_t index)
{
	return att && index < att->n_vdevs ? att->vdevs[index] : NULL;
}

static int need_dma(const struct dp_attachment *att)
{
	if (!att)
		return -EINVAL;
	if (!att->have_dma) {
		dp_err(att->ctx, "%s: no devices attached: nothing to map DMA for", att->vm->name);
		return -ENODEV;
	}
	return 0;
}

int dp_dma_map(struct dp_attachment *att, uint64_t gpa, void *hva, uint64_t size)
{
	struct dp_dma_seg s = { gpa, (uint64_t)(uintptr_t)hva, size };
	int r = need_dma(att);

	return r < 0 ? r : dp_dma_map_segs(&att->dma, &s, 1);
}

int dp_dma_map_ranges(struct dp_attachment *att, const struct dp_dma_range *ranges, size_t n)
{
	struct dp_dma_seg *segs;
	int r = need_dma(att);

	if (r < 0)
		return r;
	if (dp_bug_on(att->ctx, !ranges && n))
		return -EINVAL;
	if (n == 0)
		return 0;
	segs = malloc(n * sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		segs[i] = (struct dp_dma_seg){ ranges[i].gpa, ranges[i].hva, ranges[i].size };
	r = dp_dma_map_segs(&att->dma, segs, n);
	free(segs);
	return r;
}

int dp_dma_unmap(struct dp_attachment *att, uint64_t gpa, uint64_t size)
{
	int r = need_dma(att);

	return r < 0 ? r : dp_dma_unmap_range(&att->dma, gpa, size);
}

uint64_t dp_dma_get_mapped(const struct dp_attachment *att)
{
	return dma_counter(att, offsetof(struct dp_dma, pinned));
}

uint64_t dp_dma_get_map_calls(const struct dp_attachment *att)
{
	return dma_counter(att, offsetof(struct dp_dma, map_calls));
}
