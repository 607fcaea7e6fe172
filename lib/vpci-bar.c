/* SPDX-License-Identifier: MIT */
/* The guest-facing function's BARs and ROM: sizing, decode, placement in guest memory, traps. */
#include <string.h>

#include "vpci-internal.h"

/* ---- The VM side: the VMM's callbacks, or the library's own on the VM fd. ---- */

static int vm_map(struct dp_vpci *f, uint64_t gpa, uint64_t size, void *hva, int fd, uint64_t fdoff,
		  uint32_t *slot)
{
	int r;

	if (f->ops.map_mem) {
		r = f->ops.map_mem(f->opts.opaque, gpa, size, hva, fd, fdoff);
		if (r < 0)
			dp_err(f->ctx, "%s: the VMM's map_mem of %#llx bytes at %#llx: %s", f->name,
			       (unsigned long long)size, (unsigned long long)gpa, strerror(-r));
		return r;
	}
	r = dp_vpci_no_kvm(f, "a BAR in guest memory", true);
	return r < 0 ? r : dp_kvm_slot_map(f->kvm, gpa, hva, size, slot);
}

static void vm_unmap(struct dp_vpci *f, uint64_t gpa, uint64_t size, uint32_t slot)
{
	int r = f->ops.unmap_mem ? f->ops.unmap_mem(f->opts.opaque, gpa, size)
				 : dp_kvm_slot_unmap(f->kvm, slot);

	if (r < 0)
		dp_warn(f->ctx, "%s: removing guest memory at %#llx: %s", f->name,
			(unsigned long long)gpa, strerror(-r));
}

/* ---- BARs ---- */

static bool bar_state(const struct dp_vpci *f, uint32_t i, uint64_t *addr)
{
	const struct vbar *b = &f->bars[i];
	uint32_t cmd = dp_vpci_le_get(f->cfg, 4, 2), reg;

	*addr = 0;
	if (!b->present)
		return false;
	if (i == DP_VPCI_ROM) {
		reg = dp_vpci_le_get(f->cfg, 0x30, 4);
		*addr = reg & 0xfffff800u;
		return (reg & 1u) && (cmd & CMD_MEM) && *addr;
	}
	reg = dp_vpci_le_get(f->cfg, 0x10 + 4 * i, 4);
	if (b->flags & DP_VPCI_BAR_IO) {
		*addr = reg & ~3u;
		return (cmd & CMD_IO) && *addr;
	}
	*addr = reg & ~15u;
	if (b->flags & DP_VPCI_BAR_64)
		*addr |= (uint64_t)dp_vpci_le_get(f->cfg, 0x10 + 4 * (i + 1), 4) << 32;
	return (cmd & CMD_MEM) && *addr;
}

void dp_vpci_unmap_pieces(struct dp_vpci *f, struct vbar *b)
{
	while (b->n_pieces) {
		struct piece *p = &b->pieces[--b->n_pieces];

		vm_unmap(f, b->placed_at + p->off, p->size, p->slot);
	}
	b->direct = false;
}

/* Adds [start, end) minus the holes (page aligned) to the pieces, page aligned. */
static int add_pieces(struct vbar *b, uint64_t start, uint64_t end, uint64_t (*holes)[2],
		      unsigned nh)
{
	uint64_t at = (start + PAGE - 1) & ~(PAGE - 1);

	end &= ~(PAGE - 1);
	while (at < end) {
		uint64_t stop = end;
		bool in_hole = false;

		for (unsigned h = 0; h < nh && !in_hole; h++)
			if (holes[h][0] <= at && at < holes[h][1]) {
				at = holes[h][1];
				in_hole = true;
			}
		if (in_hole)
			continue;
		for (unsigned h = 0; h < nh; h++)
			if (holes[h][0] > at && holes[h][0] < stop)
				stop = holes[h][0];
		if (b->n_pieces == MAX_PIECES)
			return -E2BIG;
		b->pieces[b->n_pieces++] = (struct piece){ at, stop - at, 0 };
		at = stop;
	}
	return 0;
}

/* The holes MSI-X needs in BAR i: the table's and the PBA's pages. */
static unsigned msix_holes(const struct dp_vpci *f, uint32_t i, uint64_t holes[2][2])
{
	unsigned nh = 0;
	uint64_t tb = dp_msix_table_bytes(f->msix.size), pb = dp_msix_pba_bytes(f->msix.size);

	if (!f->msix_cap || !f->msix.size)
		return 0;
	if (f->msix.table_bir == i) {
		holes[nh][0] = f->msix.table_offset & ~(PAGE - 1);
		holes[nh][1] = (f->msix.table_offset + tb + PAGE - 1) & ~(PAGE - 1);
		nh++;
	}
	if (f->msix.pba_bir == i) {
		holes[nh][0] = f->msix.pba_offset & ~(PAGE - 1);
		holes[nh][1] = (f->msix.pba_offset + pb + PAGE - 1) & ~(PAGE - 1);
		nh++;
	}
	if (nh == 2 && holes[1][0] < holes[0][0]) {
		uint64_t t0 = holes[0][0], t1 = holes[0][1];

		holes[0][0] = holes[1][0];
		holes[0][1] = holes[1][1];
		holes[1][0] = t0;
		holes[1][1] = t1;
	}
	return nh;
}

/* Puts the mmappable parts of placed BAR i into guest memory: the direct path. */
int dp_vpci_map_pieces(struct dp_vpci *f, uint32_t i)
{
	struct vbar *b = &f->bars[i];
	uint64_t holes[2][2], align = b->size < (1ull << 30) ? b->size : 1ull << 30;
	unsigned nh = msix_holes(f, i, holes);
	DP_OPTS_NONE(dp_region_info, ri);
	uint64_t fdoff = 0;
	int fd = -1, r;

	if (i == DP_VPCI_ROM || !(b->flags & DP_VPCI_BAR_MEM) || !b->mmap || b->size < PAGE ||
	    (b->placed_at & (PAGE - 1)) || f->d3 || b->n_pieces)
		return 0;
	if (!b->host) {
		r = f->dops->region_map(f->dev, i, align, &b->host);
		if (r < 0)
			return r;
	}
	r = f->dops->region_info(f->dev, i, &ri);
	if (r == 0)
		r = f->dops->region_fd(f->dev, i, &fd, &fdoff);
	if (r == 0 && (ri.flags & DP_REGION_SPARSE)) {
		for (uint32_t a = 0; a < ri.n_sparse && r == 0; a++) {
			uint64_t off, size;

			r = f->dops->sparse_area(f->dev, i, a, &off, &size);
			if (r == 0 && (off > b->size || size > b->size - off))
				r = -EINVAL;
			if (r == 0)
				r = add_pieces(b, off, off + size, holes, nh);
		}
	} else if (r == 0) {
		r = add_pieces(b, 0, b->size, holes, nh);
	}
	for (uint32_t p = 0; r == 0 && p < b->n_pieces; p++) {
		struct piece *pc = &b->pieces[p];

		r = vm_map(f, b->placed_at + pc->off, pc->size, (char *)b->host + pc->off, fd,
			   fdoff + pc->off, &pc->slot);
		if (r < 0)
			b->n_pieces = p; /* these are mapped: undone below */
	}
	if (r < 0) {
		dp_vpci_unmap_pieces(f, b);
		dp_err(f->ctx, "%s: BAR %u at %#llx into guest memory: %s", f->name, i,
		       (unsigned long long)b->placed_at, strerror(-r));
		return r;
	}
	b->direct = b->n_pieces > 0;
	return 0;
}

void dp_vpci_unplace(struct dp_vpci *f, uint32_t i)
{
	struct vbar *b = &f->bars[i];

	dp_vpci_unmap_pieces(f, b);
	b->placed = false;
	b->placed_at = 0;
}

/* Why BAR i may not decode at address, or NULL. */
static const char *refuse(struct dp_vpci *f, uint32_t i, uint64_t address)
{
	const struct vbar *b = &f->bars[i];

	if (address + b->size < address)
		return "it wraps around the address space";
	if (b->flags & DP_VPCI_BAR_IO)
		return address + b->size > 0x10000 ? "it is past the 64 KiB I/O space" : NULL;
	if (dp_vpci_overlaps(address, b->size, MSI_WINDOW_START, MSI_WINDOW_END - MSI_WINDOW_START + 1))
		return "it overlaps the MSI window 0xfee00000-0xfeefffff";
	for (uint32_t j = 0; j < NBARS; j++)
		if (j != i && f->bars[j].placed && !(f->bars[j].flags & DP_VPCI_BAR_IO) &&
		    dp_vpci_overlaps(address, b->size, f->bars[j].placed_at, f->bars[j].size))
			return "it overlaps another BAR of the function";
	if (f->dma && dp_dma_overlaps(f->dma, address, b->size))
		return "it overlaps guest RAM mapped for DMA";
	return NULL;
}

static int place(struct dp_vpci *f, uint32_t i, uint64_t address)
{
	struct vbar *b = &f->bars[i];
	const char *why = refuse(f, i, address);
	int r;

	dp_vpci_unplace(f, i);
	if (why) {
		if (!b->warned)
			dp_warn(f->ctx, "%s: BAR %u of %#llx bytes at %#llx does not decode: %s",
				f->name, i, (unsigned long long)b->size, (unsigned long long)address, why);
		b->warned = true;
		return -EINVAL;
	}
	b->placed = true;
	b->placed_at = address;
	b->warned = false;
	r = dp_vpci_map_pieces(f, i);
	if (r < 0 && (f->opts.flags & DP_VPCI_VMM_DECODES)) {
		dp_vpci_unplace(f, i); /* the VMM asked: it hears why, and nothing changed */
		return r;
	}
	/* Decoding on its own, the function keeps the BAR, trapped: the guest still reaches it. */
	if (r < 0)
		dp_warn(f->ctx, "%s: BAR %u at %#llx stays trapped: every access exits", f->name, i,
			(unsigned long long)address);
	return 0;
}

/* Follows the decode state of every BAR after a write; *changed gets the bits. */
uint32_t dp_vpci_decode_changed(struct dp_vpci *f)
{
	uint32_t changed = 0;

	for (uint32_t i = 0; i < NBARS; i++) {
		struct vbar *b = &f->bars[i];
		uint64_t addr;
		bool on = bar_state(f, i, &addr);

		if (!b->present || (on == b->enabled && (!on || addr == b->addr)))
			continue;
		changed |= 1u << i;
		b->enabled = on;
		b->addr = on ? addr : 0;
		if (f->opts.flags & DP_VPCI_VMM_DECODES)
			continue;
		dp_vpci_unplace(f, i);
		if (on)
			place(f, i, addr);
	}
	return changed;
}

int dp_vpci_read_bars(struct dp_vpci *f)
{
	for (uint32_t i = 0; i < NBARS; i++) {
		struct vbar *b = &f->bars[i];
		DP_OPTS_NONE(dp_region_info, ri);
		uint32_t reg = i == DP_VPCI_ROM ? 0x30u : 0x10u + 4 * i;
		uint32_t raw = dp_vpci_le_get(f->cfg, reg, 4), mask;

		dp_vpci_le_put(f->cfg, reg, 0, 4);
		if (b->upper)
			continue;
		if (f->dops->region_info(f->dev, i, &ri) < 0 || ri.size == 0)
			continue;
		if (ri.size & (ri.size - 1) || (i != DP_VPCI_ROM && ri.size < 16) ||
		    (i == DP_VPCI_ROM && ri.size < 2048)) {
			dp_warn(f->ctx, "%s: BAR %u of %#llx bytes is not a BAR the guest can size; hidden",
				f->name, i, (unsigned long long)ri.size);
			continue;
		}
		b->present = true;
		b->size = ri.size;
		b->mmap = ri.flags & DP_REGION_MMAP;
		if (i == DP_VPCI_ROM) {
			b->flags = DP_VPCI_BAR_MEM;
			dp_vpci_le_put(f->wmask, reg, ((uint32_t)~(ri.size - 1) & 0xfffff800u) | 1u, 4);
		} else if (raw & 1u) {
			b->flags = DP_VPCI_BAR_IO;
			dp_vpci_le_put(f->cfg, reg, 1u, 4);
			dp_vpci_le_put(f->wmask, reg, (uint32_t)~(ri.size - 1) & ~3u, 4);
		} else {
			b->flags = DP_VPCI_BAR_MEM | (raw & 8u ? DP_VPCI_BAR_PREFETCH : 0);
			mask = (uint32_t)~(ri.size - 1) & ~15u;
			if ((raw & 6u) == 4u && i < 5) {
				b->flags |= DP_VPCI_BAR_64;
				f->bars[i + 1].upper = true;
				dp_vpci_le_put(f->wmask, reg + 4, (uint32_t)(~(ri.size - 1) >> 32), 4);
				dp_vpci_le_put(f->cfg, reg + 4, 0, 4);
			} else if (ri.size > 0x80000000ull) {
				b->present = false; /* too big for a 32-bit BAR */
				continue;
			}
			dp_vpci_le_put(f->cfg, reg, raw & 0xeu & ((raw & 6u) == 4u && i < 5 ? 0xfu : 0x9u), 4);
			dp_vpci_le_put(f->wmask, reg, mask, 4);
		}
	}
	return 0;
}

/* ---- The ROM ---- */

void dp_vpci_load_rom(struct dp_vpci *f)
{
	const void *image;
	size_t len;
	int r;

	if (!f->bars[DP_VPCI_ROM].present || !f->dops->rom)
		return;
	r = f->dops->rom(f->dev, &image, &len);
	if (r == 0 && len <= f->bars[DP_VPCI_ROM].size) {
		f->rom = image;
		f->rom_len = len;
	} else if (r != -EBADMSG && r != -ENOENT) { /* those two are logged where they were found */
		dp_warn(f->ctx, "%s: the guest's ROM BAR reads as empty: %s", f->name,
			r < 0 ? strerror(-r) : "the image is larger than the BAR");
	}
}

/* Guest reads: the validated image, 0xff past it as an erased ROM reads; all 0xff without one. */
static void rom_read(const struct dp_vpci *f, uint64_t offset, void *buf, size_t len)
{
	memset(buf, 0xff, len);
	if (offset < f->rom_len)
		memcpy(buf, f->rom + offset, len < f->rom_len - offset ? len : f->rom_len - offset);
}

/* ---- The public calls ---- */

static int need_bar(const struct dp_vpci *f, uint32_t bar)
{
	if (bar >= NBARS || !f->bars[bar].present) {
		dp_err(f->ctx, "%s: no BAR %u%s", f->name, bar,
		       bar < NBARS && f->bars[bar].upper ? " (the upper half of a 64-bit BAR)" : "");
		return -EINVAL;
	}
	return 0;
}

/* The index-th range of b that is not in a piece. */
static bool trap_range(const struct vbar *b, uint32_t index, uint64_t *offset, uint64_t *size)
{
	uint64_t at = 0;
	uint32_t n = 0;

	if (!b->placed)
		return false;
	for (uint32_t p = 0; p <= b->n_pieces; p++) {
		uint64_t start = p < b->n_pieces ? b->pieces[p].off : b->size;

		if (start > at) {
			if (n++ == index) {
				*offset = at;
				*size = start - at;
				return true;
			}
		}
		if (p < b->n_pieces)
			at = b->pieces[p].off + b->pieces[p].size;
	}
	return false;
}

int dp_vpci_get_bar_info(const struct dp_vpci *vpci, uint32_t bar, struct dp_vpci_bar_info *info)
{
	struct dp_vpci_bar_info i = { .sz = sizeof(i) };
	const struct vbar *b;
	uint64_t o, sz;

	if (!vpci || !info || bar >= NBARS)
		return -EINVAL;
	b = &vpci->bars[bar];
	if (b->present) {
		i.size = b->size;
		i.flags = b->flags | (b->enabled ? DP_VPCI_BAR_ENABLED : 0) |
			  (b->placed ? DP_VPCI_BAR_PLACED : 0) | (b->direct ? DP_VPCI_BAR_DIRECT : 0);
		bar_state(vpci, bar, &i.address);
		i.placed = b->placed_at;
		while (trap_range(b, i.n_traps, &o, &sz))
			i.n_traps++;
	}
	return dp_info_copy_out(info, offsetof(struct dp_vpci_bar_info, n_traps) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_vpci_get_trap(const struct dp_vpci *vpci, uint32_t bar, uint32_t index, uint64_t *offset,
		     uint64_t *size)
{
	uint64_t o, s;

	if (!vpci || bar >= NBARS)
		return -EINVAL;
	if (!trap_range(&vpci->bars[bar], index, &o, &s))
		return -ERANGE;
	if (offset)
		*offset = o;
	if (size)
		*size = s;
	return 0;
}

/* place_bar and unplace_bar: the VMM decodes (DP_VPCI_VMM_DECODES) and names a BAR. */
static int vmm_places(struct dp_vpci *vpci, uint32_t bar, bool on, uint64_t address)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = vpci->dev ? need_bar(vpci, bar) : -ENODEV;
	if (r == 0 && !(vpci->opts.flags & DP_VPCI_VMM_DECODES)) {
		dp_err(vpci->ctx, "%s: the function decodes its BARs itself (no DP_VPCI_VMM_DECODES)",
		       vpci->name);
		r = -EINVAL;
	}
	if (r == 0 && on)
		r = place(vpci, bar, address);
	else if (r == 0)
		dp_vpci_unplace(vpci, bar);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_place_bar(struct dp_vpci *vpci, uint32_t bar, uint64_t address)
{
	return vmm_places(vpci, bar, true, address);
}

int dp_vpci_unplace_bar(struct dp_vpci *vpci, uint32_t bar)
{
	return vmm_places(vpci, bar, false, 0);
}

static int bar_access(struct dp_vpci *f, uint32_t bar, uint64_t offset, void *buf, size_t len,
		      bool write)
{
	int r = f->dev ? need_bar(f, bar) : -ENODEV;

	if (r < 0)
		return r;
	if (!buf || offset > f->bars[bar].size || len > f->bars[bar].size - offset) {
		dp_err(f->ctx, "%s: BAR %u access of %zu bytes at %#llx is past its %#llx bytes",
		       f->name, bar, len, (unsigned long long)offset,
		       (unsigned long long)f->bars[bar].size);
		return buf ? -ERANGE : -EINVAL;
	}
	if (bar == DP_VPCI_ROM && write) {
		dp_err(f->ctx, "%s: the ROM is read-only", f->name);
		return -EACCES;
	}
	if (bar == DP_VPCI_ROM) {
		rom_read(f, offset, buf, len);
		return 0;
	}
	if (f->msix_cap) {
		f->route_err = 0;
		r = dp_msix_access(&f->msix, bar, offset, buf, len, write);
		if (r == -EINVAL) {
			if (!f->msix_access_warned)
				dp_err(f->ctx, "%s: MSI-X table or PBA access of %zu bytes at BAR %u offset %#llx: they take aligned 4 or 8 bytes",
				       f->name, len, bar, (unsigned long long)offset);
			f->msix_access_warned = true;
		} else if (r == -EIO && f->route_err) {
			r = f->route_err; /* the routing's own reason, logged where it failed */
		}
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return write ? f->dops->region_write(f->dev, bar, offset, buf, len)
		     : f->dops->region_read(f->dev, bar, offset, buf, len);
}

int dp_vpci_bar_read(struct dp_vpci *vpci, uint32_t bar, uint64_t offset, void *buf, size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = bar_access(vpci, bar, offset, buf, len, false);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_bar_write(struct dp_vpci *vpci, uint32_t bar, uint64_t offset, const void *buf,
		      size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = bar_access(vpci, bar, offset, (void *)buf, len, true);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}
