/* SPDX-License-Identifier: MIT */
/*
 * The PCI bus the guest sees: configuration mechanism #1 on 0xcf8/0xcfc,
 * bus 0 with a host bridge at 00:00.0 and the passthrough devices at
 * 00:01.0, 00:02.0, ... Each device's header is virtual where the guest's
 * view must differ from the host's (IDs and class cached, command register,
 * BARs with size probing, no ROM, interrupt line); everything else, the
 * capability list included, is the device's own config space through
 * dp_vdev_config_read/write (VFIO virtualizes what it must there).
 *
 * BAR accesses the guest makes trap here (KVM_EXIT_MMIO, or a port exit for
 * an I/O BAR) and go to dp_vdev_region_read/write: the trapped path. When
 * the guest places or moves a memory BAR, bar_placed() is called: that is
 * where the direct path puts the BAR in a KVM memory slot.
 *
 * MSI: writes to the device's MSI capability reach the device (VFIO
 * virtualizes it) and are shadowed here; when the guest enables MSI,
 * msi_changed() routes vector 0 to the message it programmed with
 * dp_vdev_route_msi, so the device's interrupt reaches the in-kernel LAPIC
 * through irqfd without this thread. MSI-X and INTx are not wired.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm.h"

#define PCI_COMMAND 0x04u
#define PCI_COMMAND_IO 0x0001u
#define PCI_COMMAND_MEMORY 0x0002u
#define PCI_COMMAND_MASTER 0x0004u
#define PCI_COMMAND_PARITY 0x0040u
#define PCI_COMMAND_SERR 0x0100u
#define PCI_COMMAND_INTX_DISABLE 0x0400u
/* The command bits the guest may change; all of them reach the device. */
#define COMMAND_WRITABLE (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
			  PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS 0x06u
#define PCI_BAR0 0x10u
#define PCI_CAP_PTR 0x34u
#define PCI_INTERRUPT_LINE 0x3cu
#define PCI_STATUS_CAP_LIST 0x0010u
#define PCI_CAP_ID_MSI 0x05u
#define PCI_MSI_FLAGS 2u             /* message control, from the capability */
#define PCI_MSI_FLAGS_ENABLE 0x0001u
#define PCI_MSI_FLAGS_64BIT 0x0080u
#define PCI_MSI_FLAGS_MASKBIT 0x0100u
#define PCI_MSI_ADDRESS_LO 4u
#define PCI_MSI_ADDRESS_HI 8u        /* 64-bit only */
#define PCI_MSI_DATA_32 8u
#define PCI_MSI_DATA_64 12u

/* The host bridge: IDs, class 0x060000, nothing else. */
static uint32_t host_bridge_read(uint32_t reg)
{
	switch (reg) {
	case 0x00: return MINIVMM_HOST_BRIDGE_VENDOR | (MINIVMM_HOST_BRIDGE_DEVICE << 16);
	case 0x08: return 0x06000000u; /* class 06 00 00, revision 0 */
	default: return 0;
	}
}

static void cfg_warn(struct pci_pdev *p, const char *what, uint32_t off, int r)
{
	if (p->warned)
		return;
	p->warned = true;
	fprintf(stderr, "minivmm: %s: config %s at %#x: %s (further errors not shown)\n",
		dp_vdev_get_bdf(p->vdev), what, off, strerror(-r));
}

static uint32_t real_read(struct pci_pdev *p, uint32_t off, size_t len)
{
	uint32_t v = 0;
	int r = dp_vdev_config_read(p->vdev, off, &v, len);

	if (r < 0) {
		cfg_warn(p, "read", off, r);
		return 0xffffffffu;
	}
	return v; /* little-endian host, as PCI */
}

static void real_write(struct pci_pdev *p, uint32_t off, uint32_t v, size_t len)
{
	int r = dp_vdev_config_write(p->vdev, off, &v, len);

	if (r < 0)
		cfg_warn(p, "write", off, r);
}

/* The guest address a memory or I/O BAR decodes at (0: not placed). */
static uint64_t bar_address(const struct pci_pdev *p, unsigned i)
{
	uint64_t a = p->bar[i] & (p->kind[i] == BAR_IO ? ~3u : ~15u);

	if (p->kind[i] == BAR_MEM64_LO)
		a |= (uint64_t)p->bar[i + 1] << 32;
	return a;
}

/*
 * The guest placed memory BAR i at gpa (or took it away: decode off, gpa 0).
 * The direct path: the old place goes (dp_vdev_unmap_bar), and with decoding
 * on the BAR goes straight into guest memory (dp_vdev_map_bar), so the
 * guest's accesses no longer exit. The MSI-X table and PBA pages stay
 * trapped and keep arriving in pci_bus_mmio, as does all of a BAR the
 * library cannot place (smaller than a page): that is the trapped path.
 */
static void bar_placed(struct pci_pdev *p, unsigned i, uint64_t gpa, bool decoding)
{
	dp_vdev_unmap_bar(p->vdev, i);
	if (decoding && gpa && dp_vdev_map_bar(p->vdev, i, gpa) == 0)
		p->direct[i] = true;
	else
		p->direct[i] = false;
}

/* Tells bar_placed about every memory BAR whose effective place changed. */
static void bars_changed(struct pci_pdev *p, const uint64_t before[6], bool was_on)
{
	bool on = p->command & PCI_COMMAND_MEMORY;

	for (unsigned i = 0; i < 6; i++) {
		uint64_t now;

		if (p->kind[i] != BAR_MEM32 && p->kind[i] != BAR_MEM64_LO)
			continue;
		now = bar_address(p, i);
		if (now != before[i] || on != was_on)
			bar_placed(p, i, now, on);
	}
}

static void snapshot(const struct pci_pdev *p, uint64_t out[6])
{
	for (unsigned i = 0; i < 6; i++)
		out[i] = p->kind[i] == BAR_NONE ? 0 : bar_address(p, i);
}

static uint32_t msi_shadow(const struct pci_pdev *p, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned k = len; k-- > 0;)
		v = v << 8 | p->msi[off + k];
	return v;
}

/*
 * The guest changed the MSI capability: route vector 0 when MSI is enabled
 * with a message (again when the message changed), unroute it when disabled.
 */
static void msi_changed(struct pci_pdev *p)
{
	uint16_t ctrl = (uint16_t)msi_shadow(p, PCI_MSI_FLAGS, 2);
	uint64_t address = msi_shadow(p, PCI_MSI_ADDRESS_LO, 4);
	uint32_t data;
	int r;

	if (p->msi_64)
		address |= (uint64_t)msi_shadow(p, PCI_MSI_ADDRESS_HI, 4) << 32;
	data = msi_shadow(p, p->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32, 2);
	if ((ctrl & PCI_MSI_FLAGS_ENABLE) && address) {
		if (p->msi_routed && p->msi_address == address && p->msi_data == data)
			return;
		r = dp_vdev_route_msi(p->vdev, DP_IRQ_MSI, 0, address, data);
		if (r < 0) {
			fprintf(stderr, "minivmm: %s: cannot route MSI to %#llx data %#x: %s\n",
				dp_vdev_get_bdf(p->vdev), (unsigned long long)address, data,
				strerror(-r));
			return;
		}
		p->msi_routed = true;
		p->msi_address = address;
		p->msi_data = data;
	} else if (p->msi_routed) {
		r = dp_vdev_unroute_msi(p->vdev, DP_IRQ_MSI, 0);
		if (r < 0)
			fprintf(stderr, "minivmm: %s: cannot unroute MSI: %s\n",
				dp_vdev_get_bdf(p->vdev), strerror(-r));
		p->msi_routed = false;
	}
}

/* A config write of len bytes of v at off: the bytes inside the MSI capability go to the shadow. */
static void msi_write(struct pci_pdev *p, uint32_t off, uint32_t v, unsigned len)
{
	bool touched = false;

	for (unsigned k = 0; k < len; k++) {
		uint32_t at = off + k;

		/* The ID and next pointer are read-only. */
		if (at < p->msi_cap + PCI_MSI_FLAGS || at >= (uint32_t)p->msi_cap + p->msi_len)
			continue;
		p->msi[at - p->msi_cap] = (uint8_t)(v >> (8 * k));
		touched = true;
	}
	if (touched)
		msi_changed(p);
}

/* Reads the register dword at reg (aligned), virtual or real. */
static uint32_t pdev_read(struct pci_pdev *p, uint32_t reg)
{
	switch (reg) {
	case 0x00:
		return p->vendor_id | ((uint32_t)p->device_id << 16);
	case 0x04:
		return p->command | (real_read(p, PCI_STATUS, 2) << 16);
	case 0x08:
		return p->class_rev;
	case 0x0c: /* cache line and latency from the device; header type 0, no BIST */
		return real_read(p, 0x0c, 2) & 0xffffu;
	case 0x10: case 0x14: case 0x18: case 0x1c: case 0x20: case 0x24:
		return p->bar[(reg - PCI_BAR0) / 4];
	case 0x28: /* CardBus CIS */
	case 0x30: /* no expansion ROM shown */
	case 0x38:
		return 0;
	case 0x34:
		return real_read(p, PCI_CAP_PTR, 1) & 0xffu;
	case 0x3c:
		return p->int_line | (real_read(p, 0x3d, 1) & 0xffu) << 8;
	default:
		return real_read(p, reg, 4);
	}
}

/* A BAR write: only the address bits above the size stick (all-ones reads back the size). */
static void bar_write(struct pci_pdev *p, unsigned i, uint32_t v)
{
	uint64_t mask = ~(p->size[i] - 1);

	switch (p->kind[i]) {
	case BAR_NONE:
		return;
	case BAR_MEM32:
	case BAR_MEM64_LO:
		p->bar[i] = ((uint32_t)mask & v & ~15u) | p->flags[i];
		return;
	case BAR_MEM64_HI:
		p->bar[i] = (uint32_t)(~(p->size[i - 1] - 1) >> 32) & v;
		return;
	case BAR_IO:
		p->bar[i] = ((uint32_t)mask & v & ~3u) | p->flags[i];
		return;
	}
}

/* Writes len bytes of v at off; off..off+len stays inside one dword. */
static void pdev_write(struct pci_pdev *p, uint32_t off, uint32_t v, unsigned len)
{
	uint32_t reg = off & ~3u, shift = (off & 3u) * 8;
	uint32_t lanes = (len == 4 ? 0xffffffffu : ((1u << (len * 8)) - 1)) << shift;
	uint64_t before[6];
	bool was_on = p->command & PCI_COMMAND_MEMORY;

	switch (reg) {
	case 0x04:
		if (lanes & 0xffffu) {
			uint16_t c = (uint16_t)((p->command & ~(lanes & 0xffffu)) |
						((v << shift) & lanes & 0xffffu));

			snapshot(p, before);
			p->command = c & COMMAND_WRITABLE;
			/* Decode and bus mastering must reach the device: VFIO refuses BAR access without them. */
			real_write(p, PCI_COMMAND, p->command, 2);
			bars_changed(p, before, was_on);
		}
		if (lanes & 0xffff0000u) /* status: write-one-to-clear bits, the device's */
			real_write(p, PCI_STATUS, ((v << shift) & lanes) >> 16, 2);
		return;
	case 0x10: case 0x14: case 0x18: case 0x1c: case 0x20: case 0x24: {
		unsigned i = (reg - PCI_BAR0) / 4;

		snapshot(p, before);
		bar_write(p, i, (p->bar[i] & ~lanes) | ((v << shift) & lanes));
		bars_changed(p, before, was_on);
		return;
	}
	case 0x3c:
		if (lanes & 0xffu)
			p->int_line = (uint8_t)(v << shift);
		return;
	case 0x00: case 0x08: case 0x0c: case 0x28: case 0x2c: case 0x30: case 0x34: case 0x38:
		return; /* read-only here, or not shown */
	default:
		real_write(p, off, v, len);
		if (p->msi_cap)
			msi_write(p, off, v, len);
		return;
	}
}

static struct pci_pdev *find_slot(struct pci_bus *bus, uint32_t slot)
{
	if (slot == 0 || slot > bus->n)
		return NULL;
	return &bus->dev[slot - 1];
}

/* A data-port access of len bytes at byte port - 0xcfc of the selected register. */
static void config_access(struct pci_bus *bus, unsigned byte, uint8_t *data, unsigned len,
			  bool write)
{
	uint32_t a = bus->address, busno = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f;
	uint32_t fn = (a >> 8) & 7, reg = a & 0xfc, v = 0;
	struct pci_pdev *p = NULL;
	bool present = (a & 0x80000000u) && busno == 0 && fn == 0 && byte + len <= 4;

	if (present && slot != 0) {
		p = find_slot(bus, slot);
		present = p != NULL;
	}
	if (write) {
		if (!present || !p)
			return; /* the host bridge ignores writes */
		memcpy(&v, data, len);
		pdev_write(p, reg + byte, v, len);
		return;
	}
	if (!present)
		v = 0xffffffffu;
	else
		v = p ? pdev_read(p, reg) : host_bridge_read(reg);
	v >>= byte * 8;
	memcpy(data, &v, len);
}

bool pci_bus_pio(struct pci_bus *bus, uint16_t port, uint8_t *data, unsigned len, bool write)
{
	if (port == MINIVMM_PCI_ADDR_PORT && len == 4) {
		if (write)
			memcpy(&bus->address, data, 4);
		else
			memcpy(data, &bus->address, 4);
		return true;
	}
	if (port >= MINIVMM_PCI_DATA_PORT && port < MINIVMM_PCI_DATA_PORT + 4) {
		config_access(bus, port - MINIVMM_PCI_DATA_PORT, data, len, write);
		return true;
	}
	for (size_t d = 0; d < bus->n; d++) {
		struct pci_pdev *p = &bus->dev[d];

		if (!(p->command & PCI_COMMAND_IO))
			continue;
		for (unsigned i = 0; i < 6; i++) {
			uint64_t base = bar_address(p, i);
			int r;

			if (p->kind[i] != BAR_IO || !base || port < base ||
			    port + len > base + p->size[i])
				continue;
			r = write ? dp_vdev_region_write(p->vdev, DP_REGION_BAR0 + i, port - base, data, len)
				  : dp_vdev_region_read(p->vdev, DP_REGION_BAR0 + i, port - base, data, len);
			if (r < 0 && !write)
				memset(data, 0xff, len);
			return true;
		}
	}
	return false;
}

bool pci_bus_mmio(struct pci_bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	for (size_t d = 0; d < bus->n; d++) {
		struct pci_pdev *p = &bus->dev[d];

		if (!(p->command & PCI_COMMAND_MEMORY))
			continue;
		for (unsigned i = 0; i < 6; i++) {
			uint64_t base;
			int r;

			if (p->kind[i] != BAR_MEM32 && p->kind[i] != BAR_MEM64_LO)
				continue;
			base = bar_address(p, i);
			if (!base || addr < base || addr + len > base + p->size[i])
				continue;
			/* The MSI-X table and PBA are the library's to emulate; the rest, the device's. */
			r = dp_vdev_msix_access(p->vdev, i, addr - base, data, len, write);
			if (r == 0)
				r = write ? dp_vdev_region_write(p->vdev, DP_REGION_BAR0 + i, addr - base,
								 data, len)
					  : dp_vdev_region_read(p->vdev, DP_REGION_BAR0 + i, addr - base,
								data, len);
			if (r < 0) {
				if (!p->warned)
					fprintf(stderr, "minivmm: %s: BAR%u %s at %#llx: %s\n",
						dp_vdev_get_bdf(p->vdev), i, write ? "write" : "read",
						(unsigned long long)(addr - base), strerror(-r));
				p->warned = true;
				if (!write)
					memset(data, 0xff, len);
			}
			return true;
		}
	}
	return false;
}

/* Learns BAR i's kind, flags and size from the device; returns how many registers it takes. */
static int pdev_init_bar(struct pci_pdev *p, unsigned i)
{
	DP_OPTS_NONE(dp_region_info, ri);
	uint32_t raw;
	int r = dp_vdev_get_region_info(p->vdev, DP_REGION_BAR0 + i, &ri);

	p->kind[i] = BAR_NONE;
	if (r < 0 || ri.size == 0)
		return 1;
	if (ri.size & (ri.size - 1)) {
		fprintf(stderr, "minivmm: %s: BAR%u size %#llx is not a power of two; hidden\n",
			dp_vdev_get_bdf(p->vdev), i, (unsigned long long)ri.size);
		return 1;
	}
	raw = real_read(p, PCI_BAR0 + 4 * i, 4);
	p->size[i] = ri.size;
	if (raw & 1u) {
		p->kind[i] = BAR_IO;
		p->flags[i] = 1u;
		return 1;
	}
	p->flags[i] = raw & 15u;
	if ((raw & 6u) == 4u && i < 5) {
		p->kind[i] = BAR_MEM64_LO;
		p->kind[i + 1] = BAR_MEM64_HI;
		return 2;
	}
	p->kind[i] = BAR_MEM32;
	p->flags[i] &= ~6u; /* shown as 32-bit */
	return 1;
}

/* Finds the MSI capability in the device's list and fills the shadow from the device. */
static void pdev_init_msi(struct pci_pdev *p)
{
	uint32_t at;
	uint16_t ctrl;

	p->msi_cap = 0;
	if (!(real_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return;
	at = real_read(p, PCI_CAP_PTR, 1) & 0xfcu;
	/* At most 48 capabilities fit after the header: a loop in the list ends here. */
	for (unsigned n = 0; n < 48 && at >= 0x40u; n++) {
		uint32_t hdr = real_read(p, at, 2);

		if (hdr == 0xffffu || hdr == 0xffffffffu)
			return;
		if ((hdr & 0xffu) == PCI_CAP_ID_MSI)
			break;
		at = (hdr >> 8) & 0xfcu;
	}
	if (at < 0x40u || (real_read(p, at, 1) & 0xffu) != PCI_CAP_ID_MSI)
		return;
	ctrl = (uint16_t)real_read(p, at + PCI_MSI_FLAGS, 2);
	p->msi_cap = (uint8_t)at;
	p->msi_64 = ctrl & PCI_MSI_FLAGS_64BIT;
	/* Header, control, address (and its high half), data; then the mask and pending bits. */
	p->msi_len = (uint8_t)((p->msi_64 ? 14 : 10) + (ctrl & PCI_MSI_FLAGS_MASKBIT ? 10 : 0));
	for (unsigned k = 0; k < p->msi_len; k += 2) {
		uint32_t w = real_read(p, at + k, 2);

		p->msi[k] = (uint8_t)w;
		p->msi[k + 1] = (uint8_t)(w >> 8);
	}
	p->msi_routed = false;
}

int pci_bus_init(struct pci_bus *bus, struct dp_attachment *att)
{
	size_t n = att ? dp_attachment_get_vdev_count(att) : 0;

	memset(bus, 0, sizeof(*bus));
	if (n > MINIVMM_MAX_DEVICES) {
		fprintf(stderr, "minivmm: %zu devices; bus 0 has room for %d\n", n, MINIVMM_MAX_DEVICES);
		return -E2BIG;
	}
	for (size_t d = 0; d < n; d++) {
		struct pci_pdev *p = &bus->dev[d];
		uint32_t ids;

		p->vdev = dp_attachment_get_vdev(att, d);
		p->slot = (uint8_t)(d + 1);
		ids = real_read(p, 0x00, 4);
		if (ids == 0xffffffffu) {
			fprintf(stderr, "minivmm: %s: cannot read its config space\n",
				dp_vdev_get_bdf(p->vdev));
			return -EIO;
		}
		p->vendor_id = (uint16_t)ids;
		p->device_id = (uint16_t)(ids >> 16);
		p->class_rev = real_read(p, 0x08, 4);
		/* The guest starts with decoding and mastering off, as after reset. */
		p->command = 0;
		real_write(p, PCI_COMMAND, real_read(p, PCI_COMMAND, 2) & ~COMMAND_WRITABLE, 2);
		for (unsigned i = 0; i < 6;)
			i += (unsigned)pdev_init_bar(p, i);
		pdev_init_msi(p);
		printf("minivmm: 00:%02x.0 is %s (%04x:%04x)\n", p->slot, dp_vdev_get_bdf(p->vdev),
		       p->vendor_id, p->device_id);
		bus->n++;
	}
	return 0;
}
