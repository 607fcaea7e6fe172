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
#include "policy.h"
#include "policycheck.h"
#include "report.h"
#include "select.h"
#include "vm.h"

/*
 * What the policy reads of the host, read again now: the VM's functions,
 * the members of their IOMMU groups, the bridges above them and what a
 * reset of those buses reaches, and the host's capabilities; not the
 * rest of the host, and never pci.ids. Malformed addresses are left to the
 * policy, which reports them.
 */
static int refresh(struct dp_ctx *ctx, const struct dp_vm *vm)
{
	char (*bdfs)[DP_BDF_LEN];
	size_t n = 0;
	int r;

	if (vm->n_devices == 0)
		return 0;
	/* An ID or label request may get any function: look at them all, now. */
	if (dp_vm_has_requests(vm) && (r = dp_inventory_scan(ctx, 0)) < 0)
		return r;
	bdfs = calloc(vm->n_devices, sizeof(*bdfs));
	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < vm->n_devices; i++)
		if (dp_bdf_normalize(vm->devices[i], bdfs[n]) == 0)
			n++;
	r = dp_inventory_refresh(ctx, bdfs, n);
	if (r == 0) /* and what a bus reset of theirs would reach (shared_reset) */
		r = dp_reset_refresh_around(ctx, bdfs, n);
	free(bdfs);
	return r;
}

/* Logs the report's errors: why the VM may not be attached. */
static void log_denial(struct dp_ctx *ctx, const struct dp_report *rep)
{
	for (size_t i = 0; i < rep->n_findings; i++)
		if (rep->findings[i].severity == DP_SEVERITY_ERROR)
			dp_err(ctx, "%s", rep->findings[i].message);
}

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
	struct dp_report *rep = NULL;
	/* The requests' devices, each leased as it is chosen (the lease decides between VMs). */
	struct dp_selection sel = { .take = dp_lease_try, .release = dp_lease_release };
	struct dp_ctx *ctx;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	att = calloc(1, sizeof(*att));
	if (!att)
		return -ENOMEM;
	att->opts.sz = sizeof(att->opts);
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
		if (att->opts.flags & ~DP_ATTACH_KVM) {
			dp_err(ctx, "BUG: dp_attach: unknown flags %#x", att->opts.flags & ~DP_ATTACH_KVM);
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

	/* The gate: a fresh look at what the rules read of the host, then every rule. */
	r = refresh(ctx, vm);
	if (r < 0)
		goto err;
	r = dp_policy_check_select(policy, vm, &sel, &rep);
	if (r < 0)
		goto err;
	if (!dp_report_is_allowed(rep)) {
		dp_err(ctx, "%s: the policy denies passthrough:", vm->name);
		log_denial(ctx, rep);
		r = -EPERM;
		goto err;
	}
	rep = dp_report_unref(rep);
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
		dev = dp_inventory_lookup(ctx, sel.bdf[i]); /* vdev i is the VM's entry i */
		if (!dev) { /* the policy allowed it, so the refresh found it */
			dp_err(ctx, "%s: no such PCI function on this host", vm->devices[i]);
			r = -ENODEV;
			goto err;
		}
		dp_vdev_set_device(v, dev);
		v->lease = sel.lease[i]; /* a request's, taken when it was chosen */
		sel.lease[i] = NULL;
		r = v->lease ? 0 : dp_lease_acquire(ctx, v->bdf, vm->name, &v->lease);
		if (r == 0) /* the policy's reset order, before vfio-pci's reset at open */
			r = dp_reset_apply(policy, dev, v->reset_saved, &v->reset_written);
		if (r == 0)
			r = add_group(att, v->group);
		if (r < 0)
			goto err;
	}

	r = dp_vfio_container_open(ctx, &att->container);
	if (r < 0)
		goto err;
	att->have_container = true;
	for (size_t i = 0; i < att->n_groups; i++) {
		struct dp_attach_group *g = &att->groups[i];

		r = dp_vfio_group_open(ctx, g->num, group_bdf(att, g->num), &g->fd);
		if (r < 0)
			goto err;
		r = dp_vfio_group_set_container(&att->container, g->fd, g->num,
						group_bdf(att, g->num));
		if (r < 0)
			goto err;
		g->in_container = true;
	}

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
		uint64_t pg = att->container.iova_pgsizes;
		struct rlimit rl;

		r = dp_dma_init(&att->dma, ctx, &dp_attach_dma_ops, att,
				pg ? pg & -pg : 4096);
		if (r < 0)
			goto err;
		att->have_dma = true;
		r = dp_dma_set_usable(&att->dma, att->container.ranges, att->container.n_ranges);
		if (r < 0)
			goto err;
		att->dma.dma_avail = att->container.dma_avail;
		if (!dp_caps_ipc_lock() && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			att->dma.memlock_limit = rl.rlim_cur;
	}

	for (size_t i = 0; i < att->n_vdevs; i++) {
		r = dp_vdev_open(att, att->vdevs[i], group_fd(att, att->vdevs[i]->group));
		if (r < 0)
			goto err;
	}
done:
	dp_selection_fini(&sel);
	dp_info(ctx, "%s: attached %zu device%s", vm->name, att->n_vdevs,
		att->n_vdevs == 1 ? "" : "s");
	*out = att;
	return 0;
err:
	dp_report_unref(rep);
	dp_selection_fini(&sel); /* the leases no vdev took yet */
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
	i.dma_avail = att->have_dma ? dma_counter(att, offsetof(struct dp_dma, dma_avail)) : UINT64_MAX;
	i.n_iova_ranges = att->container.n_ranges;
	i.flags = att->container.migration ? DP_IOMMU_INFO_MIGRATION : 0;
	return dp_info_copy_out(info, offsetof(struct dp_iommu_info, flags) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_attachment_get_iova_range(const struct dp_attachment *att, uint32_t index,
				 uint64_t *start, uint64_t *end)
{
	if (!att)
		return -EINVAL;
	if (index >= att->container.n_ranges)
		return -ERANGE;
	if (start)
		*start = att->container.ranges[index].start;
	if (end)
		*end = att->container.ranges[index].end;
	return 0;
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
