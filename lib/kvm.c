/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd-uapi.h"
#include "kvm.h"

#define PAGE 4096ULL

int dp_kvm_init(struct dp_kvm *k, struct dp_ctx *ctx, int vm_fd, uint32_t slot_base,
		uint32_t slot_count)
{
	int max;

	memset(k, 0, sizeof(*k));
	k->ctx = ctx;
	k->vm_fd = -1;
	k->vfio_dev_fd = -1;
	if (vm_fd < 0 || fcntl(vm_fd, F_GETFD) < 0) {
		dp_err(ctx, "KVM: %d is not an open VM file descriptor", vm_fd);
		return -EBADF;
	}
	/* A VM fd answers KVM_CHECK_EXTENSION; the memslot limit bounds the range. */
	max = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (max <= 0) {
		dp_err(ctx, "KVM: fd %d does not answer KVM_CHECK_EXTENSION: not a KVM VM fd?", vm_fd);
		return -ENOTTY;
	}
	if (slot_count == 0 || slot_base >= (uint32_t)max || slot_count > (uint32_t)max - slot_base) {
		dp_err(ctx, "KVM: memory slots %u..%u are outside the VM's %d", slot_base,
		       slot_base + slot_count - 1, max);
		return -ERANGE;
	}
	k->slot_used = calloc(slot_count, 1);
	if (!k->slot_used)
		return -ENOMEM;
	k->vm_fd = vm_fd;
	k->slot_base = slot_base;
	k->slot_count = slot_count;
	return 0;
}

static int set_slot(struct dp_kvm *k, uint32_t slot, uint64_t gpa, void *hva, uint64_t size)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0 ? -errno : 0;
}

int dp_kvm_slot_map(struct dp_kvm *k, uint64_t gpa, void *hva, uint64_t size, uint32_t *slot)
{
	uint32_t i;
	int r;

	if (((gpa | size | (uint64_t)(uintptr_t)hva) & (PAGE - 1)) || size == 0) {
		dp_err(k->ctx, "KVM: slot at %#llx of %#llx bytes is not page aligned",
		       (unsigned long long)gpa, (unsigned long long)size);
		return -EINVAL;
	}
	for (i = 0; i < k->slot_count && k->slot_used[i]; i++)
		;
	if (i == k->slot_count) {
		dp_err(k->ctx, "KVM: all %u memory slots given to the library (from %u) are in use",
		       k->slot_count, k->slot_base);
		return -ENOSPC;
	}
	r = set_slot(k, k->slot_base + i, gpa, hva, size);
	if (r < 0) {
		dp_err(k->ctx, "KVM: KVM_SET_USER_MEMORY_REGION slot %u at %#llx: %s",
		       k->slot_base + i, (unsigned long long)gpa, strerror(-r));
		return r;
	}
	k->slot_used[i] = 1;
	*slot = k->slot_base + i;
	return 0;
}

int dp_kvm_slot_unmap(struct dp_kvm *k, uint32_t slot)
{
	int r;

	if (slot < k->slot_base || slot - k->slot_base >= k->slot_count ||
	    !k->slot_used[slot - k->slot_base])
		return -EINVAL;
	r = set_slot(k, slot, 0, NULL, 0); /* size 0 deletes the slot */
	if (r < 0) {
		dp_err(k->ctx, "KVM: deleting memory slot %u: %s", slot, strerror(-r));
		return r;
	}
	k->slot_used[slot - k->slot_base] = 0;
	return 0;
}

int dp_kvm_map_with_holes(struct dp_kvm *k, uint64_t gpa, void *hva, uint64_t size,
			  const struct dp_kvm_hole *holes, size_t n_holes, uint32_t *slots,
			  size_t *n_slots)
{
	uint64_t at = 0;
	size_t n = 0;
	int r = 0;

	*n_slots = 0;
	/* Holes are taken in order; each is rounded out to whole pages. */
	for (size_t h = 0; h <= n_holes && r == 0; h++) {
		uint64_t hs = h < n_holes ? holes[h].start & ~(PAGE - 1) : size;
		uint64_t he = h < n_holes ? (holes[h].end + PAGE - 1) & ~(PAGE - 1) : size;

		if (hs > size)
			hs = size;
		if (he > size)
			he = size;
		if (hs > at)
			r = dp_kvm_slot_map(k, gpa + at, (char *)hva + at, hs - at, &slots[n]);
		if (r == 0 && hs > at)
			n++;
		if (he > at)
			at = he;
	}
	if (r < 0) {
		while (n-- > 0)
			dp_kvm_slot_unmap(k, slots[n]);
		return r;
	}
	*n_slots = n;
	return 0;
}

int dp_kvm_vfio_create(struct dp_kvm *k)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (ioctl(k->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		int r = -errno;

		dp_err(k->ctx, "KVM: KVM_CREATE_DEVICE (VFIO): %s", strerror(errno));
		return r;
	}
	k->vfio_dev_fd = (int)cd.fd;
	if (fcntl(k->vfio_dev_fd, F_SETFD, FD_CLOEXEC) < 0)
		dp_warn(k->ctx, "KVM: FD_CLOEXEC on the KVM-VFIO device: %s", strerror(errno));
	return 0;
}

int dp_kvm_vfio_group(struct dp_kvm *k, int group_fd, int group, bool add)
{
	int32_t fd = group_fd;
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = add ? KVM_DEV_VFIO_GROUP_ADD : KVM_DEV_VFIO_GROUP_DEL,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	if (ioctl(k->vfio_dev_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
		int r = -errno;

		dp_err(k->ctx, "KVM: %s IOMMU group %d %s the KVM-VFIO device: %s",
		       add ? "adding" : "deleting", group, add ? "to" : "from", strerror(errno));
		return r;
	}
	return 0;
}

int dp_kvm_vfio_device(struct dp_kvm *k, int dev_fd, const char *bdf, bool add)
{
	int32_t fd = dev_fd;
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = add ? KVM_DEV_VFIO_FILE_ADD : KVM_DEV_VFIO_FILE_DEL,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	if (ioctl(k->vfio_dev_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
		int r = -errno;

		dp_err(k->ctx, "KVM: %s %s's VFIO device fd %s the KVM-VFIO device: %s",
		       add ? "adding" : "deleting", bdf, add ? "to" : "from", strerror(errno));
		return r;
	}
	return 0;
}

int dp_kvm_set_gsi_range(struct dp_kvm *k, uint32_t gsi_base, uint32_t gsi_count)
{
	int max = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);

	if (max <= 0) {
		dp_err(k->ctx, "KVM: the VM has no GSI routing (KVM_CAP_IRQ_ROUTING)");
		return -ENOTSUP;
	}
	if (gsi_count == 0)
		return 0;
	if (gsi_base < 24 || gsi_base >= (uint32_t)max || gsi_count > (uint32_t)max - gsi_base) {
		dp_err(k->ctx, "KVM: GSIs %u..%u are not within 24..%d (0-23 are the irqchip's)",
		       gsi_base, gsi_base + gsi_count - 1, max - 1);
		return -ERANGE;
	}
	k->routes = calloc(gsi_count, sizeof(*k->routes));
	if (!k->routes)
		return -ENOMEM;
	k->gsi_base = gsi_base;
	k->gsi_count = gsi_count;
	return 0;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: the defaults, then ours. */
static int push_routes(struct dp_kvm *k)
{
	struct kvm_irq_routing *t;
	size_t n = 0, max = 24 + 16 + k->gsi_count;
	int r = 0;

	t = calloc(1, sizeof(*t) + max * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	for (uint32_t pin = 0; pin < 24; pin++)
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = pin } };
	for (uint32_t pin = 0; pin < 16; pin++) /* all 16, as KVM's default table has them */
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = pin < 8 ? KVM_IRQCHIP_PIC_MASTER
							  : KVM_IRQCHIP_PIC_SLAVE,
				       .pin = pin % 8 } };
	for (uint32_t i = 0; i < k->gsi_count; i++)
		if (k->routes[i].used)
			t->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = k->gsi_base + i, .type = KVM_IRQ_ROUTING_MSI,
				.u.msi = { .address_lo = (uint32_t)k->routes[i].address,
					   .address_hi = (uint32_t)(k->routes[i].address >> 32),
					   .data = k->routes[i].data } };
	t->nr = (uint32_t)n;
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, t) < 0) {
		r = -errno;
		k->routes_stale = true; /* retried by the next push, at the latest dp_kvm_fini's */
		dp_err(k->ctx, "KVM: KVM_SET_GSI_ROUTING (%zu routes): %s", n, strerror(errno));
	} else {
		k->routes_stale = false;
	}
	free(t);
	return r;
}

int dp_kvm_flush_routes(struct dp_kvm *k)
{
	return k->routes && k->routes_stale ? push_routes(k) : 0;
}

static int irqfd(struct dp_kvm *k, int efd, uint32_t gsi, uint32_t flags, int resample)
{
	struct kvm_irqfd f = { .fd = (uint32_t)efd, .gsi = gsi, .flags = flags,
			       .resamplefd = (uint32_t)resample };

	return ioctl(k->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int dp_kvm_route_msi(struct dp_kvm *k, uint64_t address, uint32_t data, int efd, uint32_t *gsi)
{
	uint32_t i;
	int r;

	for (i = 0; i < k->gsi_count && k->routes[i].used; i++)
		;
	if (i == k->gsi_count) {
		dp_err(k->ctx, "KVM: all %u GSIs given to the library are in use", k->gsi_count);
		return -ENOSPC;
	}
	k->routes[i] = (struct dp_kvm_route){ true, address, data, efd };
	r = push_routes(k);
	if (r == 0) {
		r = irqfd(k, efd, k->gsi_base + i, 0, -1);
		if (r < 0) {
			dp_err(k->ctx, "KVM: KVM_IRQFD for GSI %u: %s", k->gsi_base + i, strerror(-r));
			k->routes[i].used = false;
			push_routes(k);
		}
	}
	if (r < 0) {
		k->routes[i].used = false;
		return r;
	}
	*gsi = k->gsi_base + i;
	return 0;
}

int dp_kvm_reroute_msi(struct dp_kvm *k, uint32_t gsi, uint64_t address, uint32_t data)
{
	uint32_t i = gsi - k->gsi_base;
	struct dp_kvm_route old;
	int r;

	if (gsi < k->gsi_base || i >= k->gsi_count || !k->routes[i].used)
		return -EINVAL;
	old = k->routes[i];
	k->routes[i].address = address;
	k->routes[i].data = data;
	r = push_routes(k);
	if (r < 0)
		k->routes[i] = old;
	return r;
}

/* Unbinds route i's irqfd and frees it in our table; the caller pushes the table. */
static void unroute_one(struct dp_kvm *k, uint32_t i)
{
	uint32_t gsi = k->gsi_base + i;
	int r = k->routes[i].efd < 0 ? 0
					: irqfd(k, k->routes[i].efd, gsi, KVM_IRQFD_FLAG_DEASSIGN, -1);

	if (r < 0)
		dp_warn(k->ctx, "KVM: unbinding GSI %u: %s", gsi, strerror(-r));
	k->routes[i].used = false;
}

int dp_kvm_unroute_msi(struct dp_kvm *k, uint32_t gsi)
{
	uint32_t i = gsi - k->gsi_base;

	if (gsi < k->gsi_base || i >= k->gsi_count || !k->routes[i].used)
		return -EINVAL;
	unroute_one(k, i);
	return push_routes(k);
}

int dp_kvm_gsi_route(struct dp_kvm *k, int32_t gsi, uint64_t address, uint32_t data, uint32_t *out)
{
	uint32_t i;
	int r;

	if (gsi >= 0) {
		r = dp_kvm_reroute_msi(k, (uint32_t)gsi, address, data);
		if (r == 0 && out)
			*out = (uint32_t)gsi;
		return r;
	}
	for (i = 0; i < k->gsi_count && k->routes[i].used; i++)
		;
	if (i == k->gsi_count) {
		dp_err(k->ctx, "KVM: all %u GSIs given to the library are in use", k->gsi_count);
		return -ENOSPC;
	}
	k->routes[i] = (struct dp_kvm_route){ true, address, data, -1 };
	r = push_routes(k);
	if (r < 0) {
		k->routes[i].used = false;
		return r;
	}
	*out = k->gsi_base + i;
	return 0;
}

int dp_kvm_gsi_unroute(struct dp_kvm *k, uint32_t gsi)
{
	return dp_kvm_unroute_msi(k, gsi);
}

int dp_kvm_irqfd(struct dp_kvm *k, uint32_t gsi, int efd, int resample, bool assign)
{
	uint32_t flags = assign ? (resample >= 0 ? KVM_IRQFD_FLAG_RESAMPLE : 0)
				: KVM_IRQFD_FLAG_DEASSIGN;
	int r = irqfd(k, efd, gsi, flags, assign ? resample : -1);

	if (r < 0)
		dp_err(k->ctx, "KVM: KVM_IRQFD %s GSI %u: %s", assign ? "binding" : "unbinding", gsi,
		       strerror(-r));
	return r;
}

int dp_kvm_route_intx(struct dp_kvm *k, uint32_t gsi, int efd, int resample_efd)
{
	int r = irqfd(k, efd, gsi, KVM_IRQFD_FLAG_RESAMPLE, resample_efd);

	if (r < 0)
		dp_err(k->ctx, "KVM: KVM_IRQFD with resample for GSI %u: %s", gsi, strerror(-r));
	return r;
}

int dp_kvm_unroute_intx(struct dp_kvm *k, uint32_t gsi, int efd)
{
	int r = irqfd(k, efd, gsi, KVM_IRQFD_FLAG_DEASSIGN, -1);

	if (r < 0)
		dp_warn(k->ctx, "KVM: unbinding INTx GSI %u: %s", gsi, strerror(-r));
	return r;
}

void dp_kvm_fini(struct dp_kvm *k)
{
	bool push = k->routes && k->routes_stale;

	/* The table is replaced whole: free every route, then push it once. */
	for (uint32_t i = 0; k->routes && i < k->gsi_count; i++) {
		if (k->routes[i].used) {
			unroute_one(k, i);
			push = true;
		}
	}
	if (push)
		push_routes(k);
	free(k->routes);
	k->routes = NULL;
	for (uint32_t i = 0; k->slot_used && i < k->slot_count; i++)
		if (k->slot_used[i])
			dp_kvm_slot_unmap(k, k->slot_base + i);
	if (k->vfio_dev_fd >= 0)
		close(k->vfio_dev_fd);
	k->vfio_dev_fd = -1;
	free(k->slot_used);
	k->slot_used = NULL;
}
