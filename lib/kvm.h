/* SPDX-License-Identifier: MIT */
/*
 * The KVM direct path, on the VMM's own VM fd: memory slots from the range
 * the VMM gave (BARs straight into guest memory, trapped pages left out) and
 * the KVM-VFIO device that tells KVM about the attachment's groups.
 */
#ifndef DP_KVM_H
#define DP_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* An MSI route the library owns: GSI gsi_base + its index. */
struct dp_kvm_route {
	bool used;
	uint64_t address;
	uint32_t data;
	int efd;                /* the eventfd bound to the GSI with KVM_IRQFD */
};

struct dp_kvm {
	struct dp_ctx *ctx;
	int vm_fd;              /* the VMM's; not ours to close */
	uint32_t slot_base, slot_count;
	uint8_t *slot_used;     /* one byte per slot of the range */
	int vfio_dev_fd;        /* KVM_DEV_TYPE_VFIO, or -1 */
	uint32_t gsi_base, gsi_count;
	bool routes_stale;      /* the kernel's table still holds routes we freed */
	struct dp_kvm_route *routes; /* gsi_count of them */
};

/* A page range of a region that stays trapped (offsets, end exclusive). */
struct dp_kvm_hole {
	uint64_t start, end;
};

int dp_kvm_init(struct dp_kvm *k, struct dp_ctx *ctx, int vm_fd, uint32_t slot_base,
		uint32_t slot_count);
/* Deletes the slots still in use and the KVM-VFIO device. */
void dp_kvm_fini(struct dp_kvm *k);

/* One slot: [gpa, gpa + size) backed by hva; page aligned. */
int dp_kvm_slot_map(struct dp_kvm *k, uint64_t gpa, void *hva, uint64_t size, uint32_t *slot);
int dp_kvm_slot_unmap(struct dp_kvm *k, uint32_t slot);

/*
 * Maps size bytes at gpa from hva except the holes (page-rounded outwards),
 * one slot per piece, all or nothing; slots[] receives them (at most
 * n_holes + 1), *n_slots how many.
 */
int dp_kvm_map_with_holes(struct dp_kvm *k, uint64_t gpa, void *hva, uint64_t size,
			  const struct dp_kvm_hole *holes, size_t n_holes, uint32_t *slots,
			  size_t *n_slots);

/*
 * MSI through irqfd. The library then owns the VM's GSI routing table: KVM's
 * default irqchip routes (IOAPIC pins 0-23, PIC 0-15) plus its MSI routes,
 * whose GSIs come from [gsi_base, gsi_base + gsi_count).
 */
int dp_kvm_set_gsi_range(struct dp_kvm *k, uint32_t gsi_base, uint32_t gsi_count);
/* Pushes the table again when a push failed (routes freed still in KVM's); 0 or -errno. */
int dp_kvm_flush_routes(struct dp_kvm *k);
/* Routes an MSI (address, data) to a new GSI and binds efd to it; *gsi on success. */
int dp_kvm_route_msi(struct dp_kvm *k, uint64_t address, uint32_t data, int efd, uint32_t *gsi);
/* Changes the MSI a routed GSI delivers. */
int dp_kvm_reroute_msi(struct dp_kvm *k, uint32_t gsi, uint64_t address, uint32_t data);
/* Unbinds and frees an MSI GSI. */
int dp_kvm_unroute_msi(struct dp_kvm *k, uint32_t gsi);
/*
 * The same pieces one at a time, for the guest-facing function: a route
 * (gsi -1: a new GSI from the range, in *out; else that GSI updated), its
 * removal, and an irqfd bound or unbound on its own (resample -1: edge).
 */
int dp_kvm_gsi_route(struct dp_kvm *k, int32_t gsi, uint64_t address, uint32_t data, uint32_t *out);
int dp_kvm_gsi_unroute(struct dp_kvm *k, uint32_t gsi);
int dp_kvm_irqfd(struct dp_kvm *k, uint32_t gsi, int efd, int resample, bool assign);
/* Binds efd to an irqchip GSI with a resample eventfd (level-triggered INTx). */
int dp_kvm_route_intx(struct dp_kvm *k, uint32_t gsi, int efd, int resample_efd);
int dp_kvm_unroute_intx(struct dp_kvm *k, uint32_t gsi, int efd);

/* The KVM-VFIO device, and a group added to it or deleted from it. */
int dp_kvm_vfio_create(struct dp_kvm *k);
int dp_kvm_vfio_group(struct dp_kvm *k, int group_fd, int group, bool add);
/* A device's VFIO fd (its cdev, the iommufd backend) added to it or deleted from it. */
int dp_kvm_vfio_device(struct dp_kvm *k, int dev_fd, const char *bdf, bool add);

#endif
