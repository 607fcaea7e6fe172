/* SPDX-License-Identifier: MIT */
/*
 * The direct path: a BAR's host mapping put straight into the guest's
 * memory as KVM memory slots, around the MSI-X table and PBA pages, which
 * stay trapped (the host kernel owns the real table).
 */
#include <linux/vfio.h>
#include <string.h>
#include <sys/mman.h>

#include "vdev.h"

int dp_vdev_map_bar(struct dp_vdev *vdev, uint32_t bar, uint64_t gpa)
{
	struct dp_kvm_hole holes[2];
	struct dp_vdev_region *reg;
	size_t nh = 0, n = 0;
	void *host;
	int r;

	if (!vdev)
		return -EINVAL;
	if (bar >= 6)
		return -ERANGE;
	if (!vdev->att->have_kvm) {
		dp_err(vdev->att->ctx, "%s: BAR %u: no KVM VM given to dp_attach (DP_ATTACH_KVM)",
		       vdev->bdf, bar);
		return -ENOTCONN;
	}
	if (vdev->n_bar_slots[bar]) {
		dp_err(vdev->att->ctx, "%s: BAR %u is mapped already; unmap it to move it",
		       vdev->bdf, bar);
		return -EBUSY;
	}
	r = dp_vdev_need_region(vdev, bar);
	if (r < 0)
		return r;
	reg = &vdev->regions[bar];
	if (reg->size < 4096 || (gpa & 4095)) {
		dp_err(vdev->att->ctx, "%s: BAR %u of %#llx bytes at %#llx cannot be a memory slot (under a page, or unaligned); it stays trapped",
		       vdev->bdf, bar, (unsigned long long)reg->size, (unsigned long long)gpa);
		return -ENOTSUP;
	}
	r = dp_vdev_map_region(vdev, bar, &host);
	if (r < 0)
		return r;
	if (reg->has_sparse) {
		/* Only the areas VFIO lets us mmap: the MSI-X table is not among them. */
		for (uint32_t i = 0; i < reg->n_sparse && r == 0; i++) {
			const struct dp_dma_seg *a = &reg->sparse[i];

			if (a->size < 4096)
				continue;
			if (n == DP_VDEV_BAR_SLOTS) {
				r = -E2BIG;
				break;
			}
			r = dp_kvm_slot_map(&vdev->att->kvm, gpa + a->vaddr, (char *)host + a->vaddr,
					    a->size & ~4095ULL, &vdev->bar_slots[bar][n]);
			n += r == 0;
		}
		if (r < 0)
			while (n-- > 0)
				dp_kvm_slot_unmap(&vdev->att->kvm, vdev->bar_slots[bar][n]);
	} else {
		/* The MSI-X table and PBA pages stay trapped for the VMM to emulate. */
		if (vdev->has_msix && vdev->msix_table_bir == bar)
			holes[nh++] = (struct dp_kvm_hole){ vdev->msix_table_offset,
							    vdev->msix_table_offset +
							    dp_msix_table_bytes(vdev->msix_table_size) };
		if (vdev->has_msix && vdev->msix_pba_bir == bar)
			holes[nh++] = (struct dp_kvm_hole){ vdev->msix_pba_offset,
							    vdev->msix_pba_offset +
							    dp_msix_pba_bytes(vdev->msix_table_size) };
		if (nh == 2 && holes[1].start < holes[0].start) {
			struct dp_kvm_hole t = holes[0];

			holes[0] = holes[1];
			holes[1] = t;
		}
		r = dp_kvm_map_with_holes(&vdev->att->kvm, gpa, host, reg->size, holes, nh,
					  vdev->bar_slots[bar], &n);
	}
	if (r < 0) {
		dp_err(vdev->att->ctx, "%s: BAR %u: placing it in guest memory failed: %s",
		       vdev->bdf, bar, strerror(-r));
		return r;
	}
	vdev->n_bar_slots[bar] = n;
	dp_dbg(vdev->att->ctx, "%s: BAR %u at guest %#llx in %zu memory slot%s", vdev->bdf, bar,
	       (unsigned long long)gpa, n, n == 1 ? "" : "s");
	return 0;
}

int dp_vdev_unmap_bar(struct dp_vdev *vdev, uint32_t bar)
{
	int first = 0;

	if (!vdev)
		return -EINVAL;
	if (bar >= 6)
		return -ERANGE;
	while (vdev->n_bar_slots[bar]) {
		int r = dp_kvm_slot_unmap(&vdev->att->kvm,
					  vdev->bar_slots[bar][vdev->n_bar_slots[bar] - 1]);

		if (r < 0) { /* kept, with the rest: a second call deletes them */
			first = r;
			break;
		}
		vdev->n_bar_slots[bar]--;
	}
	return first;
}
