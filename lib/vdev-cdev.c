/* SPDX-License-Identifier: MIT */
/*
 * A device under the iommufd backend: its VFIO device node instead of a
 * group's VFIO_GROUP_GET_DEVICE_FD. KVM learns of it before the bind, as
 * some VFIO drivers want KVM when the device opens; the bind is where
 * vfio-pci opens and resets it, so the header is taken before and checked
 * after, as dp_vdev_open does around the group's open. Regions,
 * interrupts and reset then go through the same fd as with a group.
 */
#include "attach.h"

int dp_vdev_cdev_open(struct dp_attachment *att, struct dp_vdev *v)
{
	int r;

	if (v->fd < 0) {
		const struct dp_device *dev = dp_inventory_lookup(att->ctx, v->bdf);

		if (!dev) { /* the policy allowed it, so the refresh found it */
			dp_err(att->ctx, "%s: no such PCI function on this host", v->bdf);
			return -ENODEV;
		}
		r = dp_iommufd_device_open(att->ctx, dev, &v->fd);
		if (r < 0)
			return r;
	}
	if (att->have_kvm) {
		r = dp_kvm_vfio_device(&att->kvm, v->fd, v->bdf, true);
		if (r < 0)
			return r;
		v->in_kvm = true;
	}
	if (dp_reset_snapshot_take(att->ctx, v->bdf, &v->reset_before) < 0)
		v->reset_before.valid = false; /* logged; after the bind, the IDs alone are checked */
	r = dp_iommufd_bind(&att->iommufd, v->fd, v->bdf, &v->devid);
	if (r < 0)
		return r;
	r = dp_reset_came_back(att->ctx, v->bdf, &v->reset_before, "at open");
	if (r < 0)
		return r;
	r = dp_iommufd_attach(&att->iommufd, v->fd, v->bdf);
	if (r < 0)
		return r;
	v->pt_attached = true;
	dp_dbg(att->ctx, "%s: bound to the iommufd (device ID %u), attached to IOAS %u", v->bdf,
	       v->devid, att->iommufd.ioas);
	return 0;
}

void dp_vdev_cdev_release(struct dp_vdev *v)
{
	if (v->pt_attached)
		dp_iommufd_detach(v->att->ctx, v->fd, v->bdf);
	if (v->in_kvm)
		dp_kvm_vfio_device(&v->att->kvm, v->fd, v->bdf, false);
	v->pt_attached = v->in_kvm = false;
}

int dp_attach_iommufd_ranges(struct dp_attachment *att)
{
	int r = dp_iommufd_read_ranges(&att->iommufd);

	if (r < 0 || !att->have_dma)
		return r;
	pthread_mutex_lock(att->dma.lock); /* the VMM may be mapping in another thread */
	r = dp_dma_set_usable(&att->dma, att->iommufd.ranges, att->iommufd.n_ranges);
	pthread_mutex_unlock(att->dma.lock);
	return r;
}

const char *dp_attach_memlock_mode(const struct dp_attachment *att)
{
	return dp_backend_memlock_mode(att->backend, att->iommufd.rlimit_mode);
}
