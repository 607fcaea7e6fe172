/* SPDX-License-Identifier: MIT */
/*
 * A PCI hot reset for a device VFIO offers no reset of its own: two
 * functions below one bridge, where a secondary bus reset reaches both.
 *
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO lists the functions the reset
 * reaches. The kernel lets a user reset them only when the user owns them
 * all, by the rule of how the device was opened:
 *  - through a group (type1): each function's group is passed to
 *    VFIO_DEVICE_PCI_HOT_RESET as an fd;
 *  - through its cdev (iommufd, Linux 6.5+): the info carries device IDs
 *    (VFIO_PCI_HOT_RESET_FLAG_DEV_ID; VFIO_PCI_DEVID_NOT_OWNED for one
 *    not bound to this iommufd), and the reset takes no group at all: the
 *    kernel checks that every function is bound to the same iommufd.
 * The library asks more: every function reached is one of the VM's own
 * devices, so a reset never reaches what the VM does not hold, and says
 * which ones are not before the kernel answers a bare EINVAL or EPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "attach.h"
#include "hotreset.h"
#include "iommufd-uapi.h"

/* The functions the reset reaches: each found among the VM's devices, or why not owned. */
struct hot_fn {
	char bdf[DP_BDF_LEN];
	struct dp_vdev *vdev;         /* NULL: not a device of this VM */
	struct dp_attach_group *group; /* type1: the attachment's group of it */
	struct dp_reset_snapshot before;
};

/* The info, asked again with room for the count the kernel gave (it may grow meanwhile). */
static int get_info(struct dp_vdev *v, struct vfio_pci_hot_reset_info **out)
{
	struct vfio_pci_hot_reset_info *info = NULL;
	uint32_t count = 0;

	for (int tries = 0; tries < 4; tries++) {
		size_t sz = sizeof(*info) + (size_t)count * sizeof(info->devices[0]);
		struct vfio_pci_hot_reset_info *n = realloc(info, sz);

		if (!n) {
			free(info);
			return -ENOMEM;
		}
		info = n;
		memset(info, 0, sz);
		info->argsz = (uint32_t)sz;
		if (ioctl(v->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) == 0 && info->count <= count) {
			*out = info;
			return 0;
		}
		if (errno == ENOSPC && info->count > count) {
			count = info->count;
			continue;
		}
		int r = -errno;

		free(info);
		if (r == -ENODEV) {
			dp_err(v->att->ctx,
			       "%s: VFIO offers no reset for it: no reset of the function alone, and the kernel can reset neither its slot nor its bus",
			       v->bdf);
			return -ENOTSUP;
		}
		dp_err(v->att->ctx, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", v->bdf, strerror(-r));
		return r;
	}
	free(info);
	dp_err(v->att->ctx, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the count of functions kept changing",
	       v->bdf);
	return -EAGAIN;
}

static struct dp_vdev *vm_device(struct dp_attachment *att, const char *bdf)
{
	for (size_t i = 0; i < att->n_vdevs; i++)
		if (att->vdevs[i] && att->vdevs[i]->fd >= 0 && strcmp(att->vdevs[i]->bdf, bdf) == 0)
			return att->vdevs[i];
	return NULL;
}

static struct dp_attach_group *vm_group(struct dp_attachment *att, uint32_t num)
{
	for (size_t i = 0; i < att->n_groups; i++)
		if (att->groups[i].fd >= 0 && att->groups[i].num == (int)num)
			return &att->groups[i];
	return NULL;
}

/*
 * Each function the info lists: one of the VM's devices, owned by the
 * backend's rule? Appends "bdf (why)" of each that is not to out; 0 when
 * all are.
 */
static int resolve(struct dp_attachment *att, const struct vfio_pci_hot_reset_info *info,
		   struct hot_fn *fns, char *out, size_t size)
{
	bool by_devid = info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	size_t len = 0;
	int refused = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < info->count; i++) {
		const struct vfio_pci_dependent_device *d = &info->devices[i];
		struct hot_fn *f = &fns[i];
		const char *why = NULL;
		char buf[64];

		snprintf(f->bdf, sizeof(f->bdf), "%04x:%02x:%02x.%x", d->segment, d->bus,
			 d->devfn >> 3, d->devfn & 7u);
		f->vdev = vm_device(att, f->bdf);
		f->group = NULL;
		if (by_devid && (int32_t)DP_VFIO_DEP_DEVID(d) == VFIO_PCI_DEVID_NOT_OWNED) {
			why = "not bound to the VM's iommufd";
		} else if (!by_devid && !(f->group = vm_group(att, d->group_id))) {
			snprintf(buf, sizeof(buf), "its group %u is not the VM's", d->group_id);
			why = buf;
		} else if (!f->vdev) {
			why = "not a device of this VM";
		}
		if (!why)
			continue;
		int n = snprintf(out + len, size - len, "%s%s (%s)", refused ? ", " : "", f->bdf, why);

		if (n > 0 && (size_t)n < size - len)
			len += (size_t)n;
		refused++;
	}
	return refused;
}

/* VFIO_DEVICE_PCI_HOT_RESET: each distinct group's fd under type1, none under iommufd. */
static int do_reset(struct dp_vdev *v, const struct vfio_pci_hot_reset_info *info,
		    const struct hot_fn *fns)
{
	struct vfio_pci_hot_reset *hr;
	size_t sz = sizeof(*hr) + (size_t)info->count * sizeof(hr->group_fds[0]);
	int r = 0;

	hr = calloc(1, sz);
	if (!hr)
		return -ENOMEM;
	hr->argsz = (uint32_t)sz;
	for (uint32_t i = 0; !(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) && i < info->count; i++) {
		uint32_t j = 0;

		while (j < hr->count && hr->group_fds[j] != fns[i].group->fd)
			j++;
		if (j == hr->count)
			hr->group_fds[hr->count++] = fns[i].group->fd;
	}
	if (ioctl(v->fd, VFIO_DEVICE_PCI_HOT_RESET, hr) < 0) {
		r = -errno;
		dp_err(v->att->ctx, "%s: VFIO_DEVICE_PCI_HOT_RESET: %s", v->bdf, strerror(errno));
	}
	free(hr);
	return r;
}

int dp_vdev_hot_reset(struct dp_vdev *v)
{
	struct dp_attachment *att = v->att;
	struct vfio_pci_hot_reset_info *info = NULL;
	struct hot_fn *fns;
	char refused[512];
	int r = get_info(v, &info);

	if (r < 0)
		return r;
	fns = calloc(info->count ? info->count : 1, sizeof(*fns));
	if (!fns) {
		free(info);
		return -ENOMEM;
	}
	if (resolve(att, info, fns, refused, sizeof(refused)) > 0) {
		dp_err(att->ctx,
		       "%s: VFIO offers no reset of it alone, and a PCI hot reset of its slot or bus would also reset %s: refused",
		       v->bdf, refused);
		r = -EPERM;
		goto out;
	}
	/* Each header now (the guest may have turned decoding off), else the one before open. */
	for (uint32_t i = 0; i < info->count; i++)
		if (dp_reset_snapshot_take(att->ctx, fns[i].bdf, &fns[i].before) < 0)
			fns[i].before = fns[i].vdev->reset_before;
	r = do_reset(v, info, fns);
	if (r < 0)
		goto out;
	dp_info(att->ctx, "%s: reset by a PCI hot reset (%u function(s), %s)", v->bdf, info->count,
		info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID ? "owned through the iommufd"
							     : "owned through their groups");
	for (uint32_t i = 0; i < info->count; i++) {
		int c = dp_reset_came_back(att->ctx, fns[i].bdf, &fns[i].before, "of the PCI hot reset");

		if (c < 0 && r == 0)
			r = c;
	}
out:
	free(fns);
	free(info);
	return r;
}
