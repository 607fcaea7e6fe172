/* SPDX-License-Identifier: MIT */
/*
 * --own-bus: minivmm with a PCI bus of its own, as kvmtool, crosvm and
 * cloud-hypervisor have one. The library is then only the function at each
 * slot (dp_vpci); everything around it is the VMM's:
 *  - the bus: configuration mechanism #1 on 0xcf8/0xcfc, a host bridge at
 *    00:00.0, config accesses forwarded per function (dp_vpci_config_read/
 *    write);
 *  - BAR decoding: a config write reports which BARs changed decode
 *    (*changed); minivmm reads where the guest put them (dp_vpci_get_bar_info),
 *    checks its windows and places them (dp_vpci_place_bar), and sends the
 *    exits that land in them to dp_vpci_bar_read/write;
 *  - the VM: memory slots 40..71 and GSIs 96..159 are minivmm's, handed to
 *    the library as dp_vpci_ops callbacks. KVM_SET_GSI_ROUTING replaces the
 *    whole table, so it has one owner, here minivmm: the library was given no
 *    GSI range (dp_attach's gsi_count 0) and never touches the VM's routing.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "minivmm.h"

#define OWN_SLOT_BASE 40u  /* minivmm's memory slots for BARs */
#define OWN_SLOT_COUNT 32u
#define OWN_GSI_BASE 96u   /* minivmm's GSIs for MSI routes */
#define OWN_GSI_COUNT 64u
#define N_BARS 7           /* BARs 0-5, then the ROM (DP_VPCI_ROM) */

struct own_fn {
	struct dp_vpci *vpci;
	uint64_t base[N_BARS], size[N_BARS]; /* where each BAR decodes; size 0: nowhere */
	bool io[N_BARS];
};

struct own_bus {
	int vm;                              /* the KVM VM fd */
	uint32_t cf8;                        /* the address register */
	size_t n;
	struct own_fn fn[MINIVMM_MAX_DEVICES]; /* at 00:01.0, 00:02.0, ... */
	struct { uint64_t gpa, size; } slot[OWN_SLOT_COUNT]; /* size 0: free */
	struct { bool used; uint64_t address; uint32_t data; } msi[OWN_GSI_COUNT];
};

static int kvm_fail(const char *what, unsigned n)
{
	int e = errno;

	fprintf(stderr, "minivmm: %s %u: %s\n", what, n, strerror(e));
	return -e;
}

/* The memory-slot allocator: the library asks, minivmm picks the slot. */
static int set_slot(struct own_bus *b, unsigned i, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = { .slot = OWN_SLOT_BASE + i,
		.guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)hva };

	if (ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return kvm_fail("KVM_SET_USER_MEMORY_REGION, slot", OWN_SLOT_BASE + i);
	b->slot[i].gpa = gpa;
	b->slot[i].size = size; /* 0 deletes the slot */
	return 0;
}

static int map_mem(void *opaque, uint64_t gpa, uint64_t size, void *hva, int32_t fd,
		   uint64_t fd_offset)
{
	struct own_bus *b = opaque;

	(void)fd, (void)fd_offset; /* for a VMM that maps it itself (a jailed device) */
	for (unsigned i = 0; i < OWN_SLOT_COUNT; i++)
		if (!b->slot[i].size)
			return set_slot(b, i, gpa, size, hva);
	return -ENOSPC;
}

static int unmap_mem(void *opaque, uint64_t gpa, uint64_t size)
{
	struct own_bus *b = opaque;

	for (unsigned i = 0; i < OWN_SLOT_COUNT; i++)
		if (b->slot[i].size == size && b->slot[i].gpa == gpa)
			return set_slot(b, i, 0, 0, NULL);
	return -ENOENT;
}

/* The whole table, as KVM_SET_GSI_ROUTING wants it: KVM's default entries, then the MSIs. */
static int push_routes(struct own_bus *b)
{
	struct kvm_irq_routing *t;
	uint32_t n = 0;
	int r = 0;

	t = calloc(1, sizeof(*t) + (24 + 16 + OWN_GSI_COUNT) * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		/* GSI n is IOAPIC pin n; GSIs 0-15 are also the PICs' pins, as KVM sets it up. */
		t->entries[n++] = (struct kvm_irq_routing_entry){ .gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi } };
		if (gsi < 16)
			t->entries[n++] = (struct kvm_irq_routing_entry){ .gsi = gsi,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
								  : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi % 8 } };
	}
	for (uint32_t i = 0; i < OWN_GSI_COUNT; i++)
		if (b->msi[i].used)
			t->entries[n++] = (struct kvm_irq_routing_entry){ .gsi = OWN_GSI_BASE + i,
				.type = KVM_IRQ_ROUTING_MSI,
				.u.msi = { .address_lo = (uint32_t)b->msi[i].address,
					   .address_hi = (uint32_t)(b->msi[i].address >> 32),
					   .data = b->msi[i].data } };
	t->nr = n;
	if (ioctl(b->vm, KVM_SET_GSI_ROUTING, t) < 0)
		r = kvm_fail("KVM_SET_GSI_ROUTING, routes:", n);
	free(t);
	return r;
}

static int msi_route(void *opaque, int32_t gsi, uint64_t address, uint32_t data, uint32_t devid,
		     uint32_t *gsi_out)
{
	struct own_bus *b = opaque;
	uint32_t i = gsi < 0 ? 0 : (uint32_t)gsi - OWN_GSI_BASE;
	bool old_used;
	int r;

	(void)devid; /* x86 routes by address; ARM's ITS would need it (KVM_MSI_VALID_DEVID) */
	while (gsi < 0 && i < OWN_GSI_COUNT && b->msi[i].used)
		i++;
	if (i >= OWN_GSI_COUNT || (gsi >= 0 && !b->msi[i].used))
		return gsi < 0 ? -ENOSPC : -EINVAL;
	old_used = b->msi[i].used;
	b->msi[i].used = true;
	b->msi[i].address = address;
	b->msi[i].data = data;
	r = push_routes(b);
	if (r < 0) {
		b->msi[i].used = old_used; /* an update that failed: the next push drops it */
		return r;
	}
	if (gsi_out)
		*gsi_out = OWN_GSI_BASE + i;
	return 0;
}

static int msi_unroute(void *opaque, uint32_t gsi)
{
	struct own_bus *b = opaque;
	uint32_t i = gsi - OWN_GSI_BASE;

	if (gsi < OWN_GSI_BASE || i >= OWN_GSI_COUNT || !b->msi[i].used)
		return -EINVAL;
	b->msi[i].used = false;
	return push_routes(b);
}

/* MSI vectors, and INTx with its resample eventfd (the EOI re-arms the device). */
static int irqfd(void *opaque, uint32_t gsi, int32_t fd, int32_t resample_fd, int32_t assign)
{
	struct own_bus *b = opaque;
	struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = gsi };

	if (!assign) {
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
	} else if (resample_fd >= 0) {
		f.flags = KVM_IRQFD_FLAG_RESAMPLE;
		f.resamplefd = (uint32_t)resample_fd;
	}
	return ioctl(b->vm, KVM_IRQFD, &f) < 0 ? kvm_fail("KVM_IRQFD, GSI", gsi) : 0;
}

/* BAR i changed decode: minivmm decides whether and where it decodes now. */
static void decode_bar(struct own_fn *f, uint32_t i)
{
	DP_OPTS_NONE(dp_vpci_bar_info, bar);
	const char *bdf = dp_vdev_get_bdf(dp_vpci_get_vdev(f->vpci));
	uint64_t lo, hi;
	int r;

	if (f->size[i])
		dp_vpci_unplace_bar(f->vpci, i);
	f->size[i] = 0;
	if (dp_vpci_get_bar_info(f->vpci, i, &bar) < 0 || !(bar.flags & DP_VPCI_BAR_ENABLED))
		return;
	f->io[i] = bar.flags & DP_VPCI_BAR_IO;
	lo = f->io[i] ? MINIVMM_IO_BASE : MINIVMM_MMIO_BASE;
	hi = f->io[i] ? MINIVMM_IO_END : MINIVMM_MMIO_END;
	/* A fuller bus would also refuse BARs that overlap another function's. */
	if (bar.address < lo || bar.address >= hi || bar.size > hi - bar.address) {
		fprintf(stderr, "minivmm: %s: BAR%u at %#llx is outside minivmm's window; not decoded\n",
			bdf, i, (unsigned long long)bar.address);
		return;
	}
	r = dp_vpci_place_bar(f->vpci, i, bar.address);
	if (r < 0) {
		fprintf(stderr, "minivmm: %s: cannot place BAR%u at %#llx: %s\n", bdf, i,
			(unsigned long long)bar.address, strerror(-r));
		return;
	}
	f->base[i] = bar.address;
	f->size[i] = bar.size;
}

static uint32_t host_bridge_read(uint32_t reg)
{
	switch (reg) {
	case 0x00: return MINIVMM_HOST_BRIDGE_VENDOR | MINIVMM_HOST_BRIDGE_DEVICE << 16;
	case 0x08: return 0x06000000u; /* class 06 00 00 (host bridge), revision 0 */
	default: return 0;
	}
}

/* A data-port access at byte (0-3) of the register 0xcf8 selects. */
static int config_access(struct own_bus *b, unsigned byte, void *data, size_t len, bool write)
{
	uint32_t a = b->cf8, slot = (a >> 11) & 0x1f, reg = (a & 0xfc) + byte, changed = 0;
	bool here = (a & 0x80000000u) && (a & 0x00ff0700u) == 0 && byte + len <= 4; /* bus 0, fn 0 */
	struct own_fn *f = here && slot >= 1 && slot <= b->n ? &b->fn[slot - 1] : NULL;
	int r;

	if (f && write) {
		r = dp_vpci_config_write(f->vpci, reg, data, len, &changed);
		for (uint32_t i = 0; i < N_BARS; i++)
			if (changed & (1u << i))
				decode_bar(f, i);
	} else if (f) {
		memset(data, 0xff, len);
		r = dp_vpci_config_read(f->vpci, reg, data, len);
	} else {
		/* The host bridge (read-only) or nothing: all-ones. */
		uint32_t v = here && slot == 0 ? host_bridge_read(a & 0xfc) >> (8 * byte) : ~0u;

		if (!write)
			memcpy(data, &v, len);
		r = 0;
	}
	return r < 0 ? r : 1;
}

/* An access that lands in a BAR minivmm placed: the function's trapped part. */
static int bar_access(struct own_bus *b, uint64_t addr, bool io, void *data, size_t len,
		      bool write)
{
	for (size_t d = 0; d < b->n; d++) {
		struct own_fn *f = &b->fn[d];

		for (uint32_t i = 0; i < N_BARS; i++) {
			uint64_t off = addr - f->base[i];
			int r;

			if (!f->size[i] || f->io[i] != io || addr < f->base[i] ||
			    off >= f->size[i] || len > f->size[i] - off)
				continue;
			if (!write)
				memset(data, 0xff, len);
			r = write ? dp_vpci_bar_write(f->vpci, i, off, data, len)
				  : dp_vpci_bar_read(f->vpci, i, off, data, len);
			return r < 0 ? r : 1;
		}
	}
	return 0;
}

int own_bus_pio(struct own_bus *b, uint16_t port, void *data, size_t len, bool write)
{
	if (port == MINIVMM_PCI_ADDR_PORT && len == 4) {
		if (write)
			memcpy(&b->cf8, data, 4);
		else
			memcpy(data, &b->cf8, 4);
		return 1;
	}
	if (port >= MINIVMM_PCI_DATA_PORT && port < MINIVMM_PCI_DATA_PORT + 4)
		return config_access(b, port - MINIVMM_PCI_DATA_PORT, data, len, write);
	return bar_access(b, port, true, data, len, write);
}

int own_bus_mmio(struct own_bus *b, uint64_t addr, void *data, size_t len, bool write)
{
	return bar_access(b, addr, false, data, len, write);
}

int own_bus_create(struct dp_attachment *att, int vm_fd, struct own_bus **out)
{
	static const struct dp_vpci_ops ops = {
		.sz = sizeof(struct dp_vpci_ops),
		.map_mem = map_mem, .unmap_mem = unmap_mem,
		.msi_route = msi_route, .msi_unroute = msi_unroute,
		.irqfd = irqfd,
	};
	size_t n = att ? dp_attachment_get_vdev_count(att) : 0;
	struct own_bus *b;
	int r;

	*out = NULL;
	if (n > MINIVMM_MAX_DEVICES) {
		fprintf(stderr, "minivmm: %zu devices; bus 0 has room for %d\n", n, MINIVMM_MAX_DEVICES);
		return -E2BIG;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "minivmm: out of memory\n");
		return -ENOMEM;
	}
	b->vm = vm_fd;
	for (size_t d = 0; d < n; d++) {
		r = pci_function_new(dp_attachment_get_vdev(att, d), (unsigned)d + 1, &ops, b,
				     &b->fn[d].vpci);
		if (r < 0) {
			own_bus_destroy(b);
			return r;
		}
		b->n++;
	}
	*out = b;
	return 0;
}

void own_bus_destroy(struct own_bus *b)
{
	if (!b)
		return;
	/* Each function's last reference gives its slots, routes and irqfds back through ops. */
	for (size_t d = 0; d < b->n; d++)
		dp_vpci_unref(b->fn[d].vpci);
	free(b);
}
