/* SPDX-License-Identifier: MIT */
/* An attached device's interrupts: VFIO eventfds, masking, routes through KVM, the MSI-X shadow. */
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pciconf.h"
#include "vdev.h"

static int msix_route(void *opaque, uint32_t vector, uint64_t address, uint32_t data)
{
	return dp_vdev_route_msi(opaque, VFIO_PCI_MSIX_IRQ_INDEX, vector, address, data);
}

static int msix_unroute(void *opaque, uint32_t vector)
{
	return dp_vdev_unroute_msi(opaque, VFIO_PCI_MSIX_IRQ_INDEX, vector);
}

/* Finds the MSI-X capability in config space and sets up the table's shadow. */
int dp_vdev_msix_open(struct dp_vdev *v)
{
	uint8_t cfg[DP_PCI_CFG_SPACE];
	struct dp_pciconf pc;
	const struct dp_vdev_region *reg = &v->regions[VFIO_PCI_CONFIG_REGION_INDEX];

	if (reg->size < sizeof(cfg) ||
	    pread(v->fd, cfg, sizeof(cfg), (off_t)reg->offset) != (ssize_t)sizeof(cfg) ||
	    dp_pciconf_parse(cfg, sizeof(cfg), &pc) < 0 || !pc.msix_cap)
		return 0;
	/* The layout as VFIO shows it: an unprivileged VMM's inventory read 64 bytes of sysfs's. */
	v->has_msix = true;
	v->msix_table_bir = pc.msix_table_bir;
	v->msix_table_offset = pc.msix_table_offset;
	v->msix_table_size = pc.msix_table_size;
	v->msix_pba_bir = pc.msix_pba_bir;
	v->msix_pba_offset = pc.msix_pba_offset;
	v->msix_cap = pc.msix_cap;
	if (v->att->have_kvm && v->att->kvm.gsi_count) {
		v->msix.route = msix_route;
		v->msix.unroute = msix_unroute;
	}
	v->msix.opaque = v;
	return dp_msix_init(&v->msix, v->msix_table_size, v->msix_table_bir,
			    v->msix_table_offset, v->msix_pba_bir, v->msix_pba_offset);
}

int dp_vdev_set_irqs(struct dp_vdev *v, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const int32_t *fds)
{
	size_t argsz = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int32_t) : 0);
	struct vfio_irq_set *s = calloc(1, argsz);
	int r = 0;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)argsz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (fds)
		memcpy(s->data, fds, count * sizeof(int32_t));
	if (ioctl(v->fd, VFIO_DEVICE_SET_IRQS, s) < 0)
		r = -errno;
	free(s);
	return r;
}

void dp_vdev_free_routes(struct dp_vdev *v)
{
	for (uint32_t i = 0; i < DP_VDEV_IRQS; i++) {
		for (uint32_t n = 0; v->routes[i] && n < v->n_routes[i]; n++)
			if (v->routes[i][n].efd >= 0) {
				dp_kvm_unroute_msi(&v->att->kvm, v->routes[i][n].gsi);
				close(v->routes[i][n].efd);
			}
		free(v->routes[i]);
		v->routes[i] = NULL;
		v->n_routes[i] = 0;
	}
}

int dp_vdev_get_irq_info(const struct dp_vdev *vdev, uint32_t index, struct dp_irq_info *info)
{
	struct dp_irq_info i = { .sz = sizeof(i) };
	uint32_t f;

	if (!vdev || !info)
		return -EINVAL;
	if (index >= vdev->num_irqs)
		return -ERANGE;
	f = vdev->irqs[index].flags;
	i.flags = (f & VFIO_IRQ_INFO_EVENTFD ? DP_IRQ_EVENTFD : 0) |
		  (f & VFIO_IRQ_INFO_MASKABLE ? DP_IRQ_MASKABLE : 0) |
		  (f & VFIO_IRQ_INFO_AUTOMASKED ? DP_IRQ_AUTOMASKED : 0) |
		  (f & VFIO_IRQ_INFO_NORESIZE ? DP_IRQ_NORESIZE : 0);
	i.count = vdev->irqs[index].count;
	return dp_info_copy_out(info, offsetof(struct dp_irq_info, count) + sizeof(uint32_t),
				&i, sizeof(i));
}

static int need_irq(const struct dp_vdev *v, uint32_t index, uint32_t start, uint32_t count)
{
	if (!v)
		return -EINVAL;
	if (index >= v->num_irqs || start > v->irqs[index].count ||
	    count > v->irqs[index].count - start) {
		dp_err(v->att->ctx, "%s: irq index %u has %u vectors, not %u from %u", v->bdf,
		       index, index < v->num_irqs ? v->irqs[index].count : 0, count, start);
		return -ERANGE;
	}
	return 0;
}

int dp_vdev_set_irq_eventfds(struct dp_vdev *vdev, uint32_t index, uint32_t start,
			     uint32_t count, const int32_t *fds)
{
	int r = need_irq(vdev, index, start, count);

	if (r < 0)
		return r;
	if (count == 0) {
		r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index,
				     0, 0, NULL);
		if (r == 0)
			vdev->irqs[index].enabled = 0;
	} else {
		if (dp_bug_on(vdev->att->ctx, !fds))
			return -EINVAL;
		r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				     index, start, count, fds);
		if (r == 0 && start + count > vdev->irqs[index].enabled)
			vdev->irqs[index].enabled = start + count;
	}
	if (r < 0)
		dp_err(vdev->att->ctx, "%s: VFIO_DEVICE_SET_IRQS index %u: %s", vdev->bdf, index,
		       strerror(-r));
	return r;
}

static int mask(struct dp_vdev *v, uint32_t index, uint32_t vector, uint32_t action)
{
	int r = need_irq(v, index, vector, 1);

	if (r < 0)
		return r;
	r = dp_vdev_set_irqs(v, VFIO_IRQ_SET_DATA_NONE | action, index, vector, 1, NULL);
	if (r < 0)
		dp_err(v->att->ctx, "%s: %s irq %u.%u: %s", v->bdf,
		       action == VFIO_IRQ_SET_ACTION_MASK ? "mask" : "unmask", index, vector,
		       strerror(-r));
	return r;
}

int dp_vdev_set_intx_unmask_fd(struct dp_vdev *vdev, int32_t fd)
{
	int r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				 VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd);

	if (r < 0)
		dp_err(vdev->att->ctx, "%s: INTx unmask eventfd: %s", vdev->bdf, strerror(-r));
	return r;
}

int dp_vdev_mask_irq(struct dp_vdev *vdev, uint32_t index, uint32_t vector)
{
	return mask(vdev, index, vector, VFIO_IRQ_SET_ACTION_MASK);
}

int dp_vdev_unmask_irq(struct dp_vdev *vdev, uint32_t index, uint32_t vector)
{
	return mask(vdev, index, vector, VFIO_IRQ_SET_ACTION_UNMASK);
}

/* VFIO gets the index's whole vector table: routed vectors' eventfds, -1 elsewhere. */
static int wire_routes(struct dp_vdev *v, uint32_t index)
{
	uint32_t count = 0;
	int32_t *fds;
	int r;

	for (uint32_t n = 0; n < v->n_routes[index]; n++)
		if (v->routes[index][n].efd >= 0)
			count = n + 1;
	if (count == 0) {
		r = dp_vdev_set_irqs(v, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0,
				     0, NULL);
		if (r == 0)
			v->irqs[index].enabled = 0;
		return r;
	}
	fds = malloc(count * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (uint32_t n = 0; n < count; n++)
		fds[n] = v->routes[index][n].efd;
	r = dp_vdev_set_irqs(v, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0,
			     count, fds);
	free(fds);
	if (r == 0)
		v->irqs[index].enabled = count;
	return r;
}

int dp_vdev_route_msi(struct dp_vdev *vdev, uint32_t index, uint32_t vector, uint64_t address,
		      uint32_t data)
{
	struct dp_vdev_route *rt;
	int r;

	if (!vdev || (index != VFIO_PCI_MSI_IRQ_INDEX && index != VFIO_PCI_MSIX_IRQ_INDEX))
		return -EINVAL;
	r = need_irq(vdev, index, vector, 1);
	if (r < 0)
		return r;
	if (!vdev->att->have_kvm || !vdev->att->kvm.gsi_count) {
		dp_err(vdev->att->ctx, "%s: MSI through irqfd needs DP_ATTACH_KVM and a GSI range",
		       vdev->bdf);
		return -ENOTCONN;
	}
	if (!vdev->routes[index]) {
		vdev->routes[index] = malloc(vdev->irqs[index].count * sizeof(*rt));
		if (!vdev->routes[index])
			return -ENOMEM;
		for (uint32_t n = 0; n < vdev->irqs[index].count; n++)
			vdev->routes[index][n] = (struct dp_vdev_route){ -1, 0 };
		vdev->n_routes[index] = vdev->irqs[index].count;
	}
	rt = &vdev->routes[index][vector];
	if (rt->efd >= 0) /* the guest reprogrammed it */
		return dp_kvm_reroute_msi(&vdev->att->kvm, rt->gsi, address, data);
	rt->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rt->efd < 0) {
		r = -errno;
		dp_err(vdev->att->ctx, "%s: irq %u.%u: eventfd: %s", vdev->bdf, index, vector,
		       strerror(-r));
		return r;
	}
	r = dp_kvm_route_msi(&vdev->att->kvm, address, data, rt->efd, &rt->gsi);
	if (r == 0) {
		r = wire_routes(vdev, index);
		if (r < 0) {
			dp_err(vdev->att->ctx, "%s: VFIO_DEVICE_SET_IRQS index %u: %s", vdev->bdf,
			       index, strerror(-r));
			dp_kvm_unroute_msi(&vdev->att->kvm, rt->gsi);
		}
	}
	if (r < 0) {
		close(rt->efd);
		rt->efd = -1;
		return r;
	}
	dp_dbg(vdev->att->ctx, "%s: irq %u.%u -> GSI %u (MSI %#llx/%#x) through irqfd", vdev->bdf,
	       index, vector, rt->gsi, (unsigned long long)address, data);
	return 0;
}

int dp_vdev_unroute_msi(struct dp_vdev *vdev, uint32_t index, uint32_t vector)
{
	struct dp_vdev_route *rt;
	int r, efd;

	if (!vdev)
		return -EINVAL;
	if (index >= DP_VDEV_IRQS)
		return -ERANGE;
	if (!vdev->routes[index] || vector >= vdev->n_routes[index] ||
	    vdev->routes[index][vector].efd < 0)
		return -EINVAL; /* not routed */
	rt = &vdev->routes[index][vector];
	efd = rt->efd;
	rt->efd = -1;
	r = wire_routes(vdev, index); /* the device stops signalling it first */
	if (r < 0)
		dp_warn(vdev->att->ctx, "%s: rewiring irq index %u: %s", vdev->bdf, index, strerror(-r));
	r = dp_kvm_unroute_msi(&vdev->att->kvm, rt->gsi); /* KVM still needs the fd open */
	close(efd);
	return r;
}

int dp_vdev_route_intx(struct dp_vdev *vdev, uint32_t gsi)
{
	int32_t trig, res;
	int r;

	if (!vdev)
		return -EINVAL;
	r = need_irq(vdev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1);
	if (r < 0)
		return r;
	if (!vdev->att->have_kvm) {
		dp_err(vdev->att->ctx, "%s: INTx through irqfd needs DP_ATTACH_KVM", vdev->bdf);
		return -ENOTCONN;
	}
	if (vdev->intx_efd >= 0) {
		dp_err(vdev->att->ctx, "%s: INTx is routed already (GSI %u)", vdev->bdf,
		       vdev->intx_gsi);
		return -EBUSY;
	}
	trig = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	res = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (trig < 0 || res < 0) {
		r = -errno;
		dp_err(vdev->att->ctx, "%s: INTx: eventfd: %s", vdev->bdf, strerror(-r));
		goto err;
	}
	r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &trig);
	if (r == 0) {
		vdev->irqs[VFIO_PCI_INTX_IRQ_INDEX].enabled = 1;
		r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				     VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &res);
	}
	if (r == 0)
		r = dp_kvm_route_intx(&vdev->att->kvm, gsi, trig, res);
	if (r < 0) {
		dp_err(vdev->att->ctx, "%s: routing INTx to GSI %u: %s", vdev->bdf, gsi,
		       strerror(-r));
		if (vdev->irqs[VFIO_PCI_INTX_IRQ_INDEX].enabled &&
		    dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL) == 0)
			vdev->irqs[VFIO_PCI_INTX_IRQ_INDEX].enabled = 0;
		goto err;
	}
	vdev->intx_efd = trig;
	vdev->intx_resample = res;
	vdev->intx_gsi = gsi;
	return 0;
err:
	if (trig >= 0)
		close(trig);
	if (res >= 0)
		close(res);
	return r;
}

int dp_vdev_unroute_intx(struct dp_vdev *vdev)
{
	int r;

	if (!vdev || vdev->intx_efd < 0)
		return -EINVAL;
	r = dp_vdev_set_irqs(vdev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL);
	if (r == 0)
		vdev->irqs[VFIO_PCI_INTX_IRQ_INDEX].enabled = 0;
	else
		dp_warn(vdev->att->ctx, "%s: disabling INTx: %s", vdev->bdf, strerror(-r));
	r = dp_kvm_unroute_intx(&vdev->att->kvm, vdev->intx_gsi, vdev->intx_efd);
	close(vdev->intx_efd);
	close(vdev->intx_resample);
	vdev->intx_efd = vdev->intx_resample = -1;
	return r;
}

int dp_vdev_msix_access(struct dp_vdev *vdev, uint32_t bar, uint64_t offset, void *buf,
			size_t len, int write)
{
	int r;

	if (!vdev || !buf)
		return -EINVAL;
	if (!vdev->msix_cap)
		return 0;
	r = dp_msix_access(&vdev->msix, bar, offset, buf, len, write);
	if (r == -EINVAL)
		dp_err(vdev->att->ctx, "%s: MSI-X table access of %zu bytes at BAR %u offset %#llx: the table takes aligned 4 or 8 bytes",
		       vdev->bdf, len, bar, (unsigned long long)offset);
	else if (r == -EIO)
		dp_err(vdev->att->ctx, "%s: routing an MSI-X vector the guest unmasked failed", vdev->bdf);
	return r;
}
