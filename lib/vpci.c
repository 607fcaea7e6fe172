/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing PCI function: config space as the guest sees it, BARs
 * placed in guest memory, MSI, MSI-X and INTx through irqfd, and reset.
 * Here: the object, the VFIO device under it, and reset; config space is in
 * vpci-config.c, BARs in vpci-bar.c, interrupts in vpci-irq.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "vpci-internal.h"

/* ---- The VM side: the VMM's callbacks, or the library's own on the VM fd. ---- */

int dp_vpci_no_kvm(struct dp_vpci *f, const char *what, bool slots)
{
	if (f->kvm && (slots ? f->kvm->slot_count : f->kvm->gsi_count))
		return 0;
	dp_err(f->ctx, "%s: %s needs a dp_vpci_ops callback or a KVM VM given to dp_attach with %s",
	       f->name, what, slots ? "a memory slot range" : "a GSI range");
	return -ENOTCONN;
}

/* ---- Reset ---- */

/* Everything the function put in the VM and the device goes; the virtual state stays. */
static void release_all(struct dp_vpci *f)
{
	for (uint32_t i = 0; i < NBARS; i++)
		dp_vpci_unplace(f, i);
	dp_vpci_msi_disable(f);
	dp_vpci_msix_teardown(f);
	dp_vpci_intx_close(f);
	for (uint32_t i = 0; i < NBARS; i++)
		if (f->bars[i].host) {
			f->dops->region_unmap(f->dev, i);
			f->bars[i].host = NULL;
		}
}

/* The device's command register: decode and bus mastering off, as after reset. */
static void quiesce_device(struct dp_vpci *f)
{
	uint16_t cmd;

	if (f->dops->region_read(f->dev, DP_REGION_CONFIG, 4, &cmd, 2) == 0) {
		cmd &= (uint16_t)~(CMD_IO | CMD_MEM | CMD_MASTER);
		if (f->dops->region_write(f->dev, DP_REGION_CONFIG, 4, &cmd, 2) < 0)
			dp_warn(f->ctx, "%s: cannot switch decoding off", f->name);
	}
}

int dp_vpci_do_reset(struct dp_vpci *f)
{
	int r;

	for (uint32_t i = 0; i < NBARS; i++)
		dp_vpci_unplace(f, i);
	dp_vpci_msi_disable(f);
	dp_vpci_msix_teardown(f);
	r = f->dops->reset(f->dev);
	if (r < 0)
		dp_err(f->ctx, "%s: the device was not reset: %s; only the guest's view of it was",
		       f->name, strerror(-r));
	memcpy(f->cfg, f->init, sizeof(f->cfg));
	for (uint32_t i = 0; i < NBARS; i++) {
		f->bars[i].enabled = false;
		f->bars[i].addr = 0;
		f->bars[i].warned = false;
	}
	for (uint32_t v = 0; v < f->msix.size; v++)
		f->msix.table[v] = (struct dp_msix_entry){ .ctrl = DP_MSIX_VECTOR_MASKED };
	f->msix.enabled = f->msix.maskall = false;
	f->msi_warned = f->msix_warned = f->msix_access_warned = false;
	f->d3 = false;
	quiesce_device(f);
	return r;
}

/* ---- The public calls ---- */

static const struct dp_vpci_opts default_opts = { .sz = sizeof(struct dp_vpci_opts) };

int dp_vpci_new_backend(struct dp_ctx *ctx, const struct dp_vpci_dev_ops *dev_ops, void *dev,
			struct dp_kvm *kvm, struct dp_dma *dma, const struct dp_vpci_opts *opts,
			struct dp_vpci **out)
{
	const uint32_t known = DP_VPCI_INTX | DP_VPCI_INTX_EOI | DP_VPCI_CONVENTIONAL |
			       DP_VPCI_VMM_DECODES;
	const uint32_t caps = DP_VPCI_CAP_SRIOV | DP_VPCI_CAP_ARI | DP_VPCI_CAP_REBAR |
			      DP_VPCI_CAP_VF_REBAR;
	DP_OPTS_NONE(dp_irq_info, ii);
	struct dp_vpci *f;
	int r;

	if (dp_bug_on(ctx, !dev_ops || !dev || !out))
		return -EINVAL;
	r = opts ? DP_OPTS_CHECK(opts, dp_vpci_opts, opaque) : 0;
	if (r < 0) {
		dp_err(ctx, "dp_vpci_opts: %s", r == -E2BIG ? "fields this library does not know are set"
							     : "sz is too small");
		return r;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->refcount = 1;
	f->ctx = dp_ctx_ref(ctx);
	f->dops = dev_ops;
	f->dev = dev;
	f->kvm = kvm;
	f->dma = dma;
	f->name = dev_ops->name(dev);
	f->intx_trig = f->intx_res = -1;
	for (uint32_t v = 0; v < MSI_MAX; v++)
		f->msi[v].efd = -1;
	dp_opts_copy(&f->opts, sizeof(f->opts), opts ? opts : &default_opts);
	if (f->opts.ops) {
		r = DP_OPTS_CHECK(f->opts.ops, dp_vpci_ops, irqfd);
		if (r < 0) {
			dp_err(ctx, "%s: dp_vpci_ops: %s", f->name,
			       r == -E2BIG ? "fields this library does not know are set" : "sz is too small");
			dp_ctx_unref(f->ctx);
			free(f);
			return r;
		}
		dp_opts_copy(&f->ops, sizeof(f->ops), f->opts.ops);
		if (!f->ops.map_mem != !f->ops.unmap_mem || !f->ops.msi_route != !f->ops.msi_unroute) {
			dp_err(ctx, "%s: dp_vpci_ops: map_mem and unmap_mem, msi_route and msi_unroute go in pairs",
			       f->name);
			dp_ctx_unref(f->ctx);
			free(f);
			return -EINVAL;
		}
	}
	if ((f->opts.flags & ~known) || (f->opts.show_caps & ~caps)) {
		dp_err(ctx, "%s: dp_vpci_opts: unknown flags %#x or capabilities %#x", f->name,
		       f->opts.flags & ~known, f->opts.show_caps & ~caps);
		dp_ctx_unref(f->ctx);
		free(f);
		return -EINVAL;
	}
	r = pthread_mutex_init(&f->lock, NULL);
	if (r) {
		dp_ctx_unref(f->ctx);
		free(f);
		return -r;
	}
	if (dev_ops->irq_info(dev, DP_IRQ_INTX, &ii) == 0)
		f->intx_count = ii.count;
	if (dev_ops->irq_info(dev, DP_IRQ_MSI, &ii) == 0)
		f->msi_count = ii.count > MSI_MAX ? MSI_MAX : ii.count;
	if (dev_ops->irq_info(dev, DP_IRQ_MSIX, &ii) == 0) {
		f->msix_count = ii.count;
		f->msix_noresize = ii.flags & DP_IRQ_NORESIZE;
	}
	r = dp_vpci_layout(f);
	if (r < 0)
		goto err;
	dp_vpci_load_rom(f);
	if (!f->msix_cap) /* vectors VFIO offers without a capability the guest could use */
		f->msix_count = 0;
	if (f->msix_cap) {
		uint32_t ctrl = dp_vpci_le_get(f->cfg, f->msix_cap + 2u, 2);
		uint32_t table = dp_vpci_le_get(f->cfg, f->msix_cap + 4u, 4);
		uint32_t pba = dp_vpci_le_get(f->cfg, f->msix_cap + 8u, 4), n = (ctrl & 0x7ffu) + 1;

		if (n > f->msix_count)
			n = f->msix_count;
		r = dp_msix_init(&f->msix, (uint16_t)n, table & 7u, table & ~7u, pba & 7u, pba & ~7u);
		f->msix_vec = calloc(n, sizeof(*f->msix_vec));
		if (r < 0 || !f->msix_vec) {
			r = -ENOMEM;
			goto err;
		}
		for (uint32_t v = 0; v < n; v++)
			f->msix_vec[v].efd = -1;
		f->msix_count = n;
		f->msix.route = dp_vpci_msix_route_hook;
		f->msix.unroute = dp_vpci_msix_unroute_hook;
		f->msix.pending = dp_vpci_msix_pending_hook;
		f->msix.opaque = f;
	}
	quiesce_device(f);
	if ((f->opts.flags & DP_VPCI_INTX) && f->intx_count && f->init[0x3d]) {
		r = dp_vpci_intx_open(f);
		if (r < 0)
			goto err;
	}
	*out = f;
	return 0;
err:
	dp_msix_fini(&f->msix);
	free(f->msix_vec);
	pthread_mutex_destroy(&f->lock);
	dp_ctx_unref(f->ctx);
	free(f);
	return r;
}

/* The VFIO device under a function. */
static const char *vdev_name(void *dev)
{
	return ((struct dp_vdev *)dev)->bdf;
}

static int vdev_region_info(void *dev, uint32_t index, struct dp_region_info *info)
{
	return index < ((struct dp_vdev *)dev)->num_regions ? dp_vdev_get_region_info(dev, index, info)
							     : -ENOENT;
}

static int vdev_sparse_area(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			    uint64_t *size)
{
	return dp_vdev_get_sparse_area(dev, index, area, offset, size);
}

static int vdev_region_read(void *dev, uint32_t index, uint64_t offset, void *buf, size_t len)
{
	return dp_vdev_region_read(dev, index, offset, buf, len);
}

static int vdev_region_write(void *dev, uint32_t index, uint64_t offset, const void *buf,
			     size_t len)
{
	return dp_vdev_region_write(dev, index, offset, buf, len);
}

static int vdev_region_map(void *dev, uint32_t index, uint64_t align, void **addr)
{
	return dp_vdev_map_region_aligned(dev, index, align, addr);
}

static int vdev_region_unmap(void *dev, uint32_t index)
{
	return dp_vdev_unmap_region(dev, index);
}

static int vdev_region_fd(void *dev, uint32_t index, int *fd, uint64_t *offset)
{
	struct dp_vdev *v = dev;

	*fd = v->fd;
	*offset = v->regions[index].offset;
	return 0;
}

static int vdev_irq_info(void *dev, uint32_t index, struct dp_irq_info *info)
{
	struct dp_vdev *v = dev;

	return index < v->num_irqs ? dp_vdev_get_irq_info(v, index, info) : -ENOENT;
}

static int vdev_set_irq_eventfds(void *dev, uint32_t index, uint32_t start, uint32_t count,
				 const int32_t *fds)
{
	return dp_vdev_set_irq_eventfds(dev, index, start, count, fds);
}

static int vdev_set_intx_unmask_fd(void *dev, int32_t fd)
{
	return dp_vdev_set_intx_unmask_fd(dev, fd);
}

static int vdev_unmask_irq(void *dev, uint32_t index, uint32_t vector)
{
	return dp_vdev_unmask_irq(dev, index, vector);
}

static int vdev_reset(void *dev)
{
	return dp_vdev_reset(dev);
}

static int vdev_rom(void *dev, const void **image, size_t *len)
{
	return dp_vdev_get_rom(dev, image, len);
}

static const struct dp_vpci_dev_ops vdev_ops = {
	.name = vdev_name,
	.region_info = vdev_region_info,
	.sparse_area = vdev_sparse_area,
	.region_read = vdev_region_read,
	.region_write = vdev_region_write,
	.region_map = vdev_region_map,
	.region_unmap = vdev_region_unmap,
	.region_fd = vdev_region_fd,
	.irq_info = vdev_irq_info,
	.set_irq_eventfds = vdev_set_irq_eventfds,
	.set_intx_unmask_fd = vdev_set_intx_unmask_fd,
	.unmask_irq = vdev_unmask_irq,
	.reset = vdev_reset,
	.rom = vdev_rom,
};

int dp_vpci_new(struct dp_vdev *vdev, const struct dp_vpci_opts *opts, struct dp_vpci **out)
{
	struct dp_attachment *att;
	struct dp_vpci *f;
	int r;

	if (!vdev)
		return -EINVAL;
	att = vdev->att;
	if (dp_bug_on(att->ctx, !out))
		return -EINVAL;
	if (vdev->vpci) {
		dp_err(att->ctx, "%s: it has a guest-facing function already", vdev->bdf);
		return -EBUSY;
	}
	r = dp_vpci_new_backend(att->ctx, &vdev_ops, vdev, att->have_kvm ? &att->kvm : NULL,
				att->have_dma ? &att->dma : NULL, opts, &f);
	if (r < 0)
		return r;
	f->vdev = vdev;
	vdev->vpci = f;
	*out = f;
	return 0;
}

struct dp_vpci *dp_vpci_ref(struct dp_vpci *vpci)
{
	if (vpci)
		__atomic_add_fetch(&vpci->refcount, 1, __ATOMIC_RELAXED);
	return vpci;
}

void dp_vpci_orphan(struct dp_vpci *f)
{
	pthread_mutex_lock(&f->lock);
	if (f->dev)
		release_all(f);
	f->dev = NULL;
	f->rom = NULL; /* the vdev's */
	f->rom_len = 0;
	if (f->vdev)
		f->vdev->vpci = NULL;
	f->vdev = NULL;
	pthread_mutex_unlock(&f->lock);
}

struct dp_vpci *dp_vpci_unref(struct dp_vpci *vpci)
{
	if (!vpci || __atomic_sub_fetch(&vpci->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	dp_vpci_orphan(vpci);
	dp_msix_fini(&vpci->msix);
	free(vpci->msix_vec);
	pthread_mutex_destroy(&vpci->lock);
	dp_ctx_unref(vpci->ctx);
	free(vpci);
	return NULL;
}

struct dp_vdev *dp_vpci_get_vdev(const struct dp_vpci *vpci)
{
	return vpci ? vpci->vdev : NULL;
}

uint32_t dp_vpci_get_flags(const struct dp_vpci *vpci)
{
	return vpci ? vpci->opts.flags : 0;
}

uint32_t dp_vpci_get_config_size(const struct dp_vpci *vpci)
{
	return vpci ? vpci->size : 0;
}

int dp_vpci_reset(struct dp_vpci *vpci)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = vpci->dev ? dp_vpci_do_reset(vpci) : -ENODEV;
	pthread_mutex_unlock(&vpci->lock);
	return r;
}
