/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing function's config space: its layout and the guest's accesses.
 *
 * Config space is a per-byte map: each byte is the device's (read from and
 * written to the VFIO config region), virtual (a shadow with a mask of the
 * bits the guest may change), or hidden (reads 0, writes dropped). Side
 * effects (decode, interrupts, FLR, power state) follow a write by the
 * registers it touched.
 */
#include <string.h>

#include "pciconf.h"
#include "vpci-internal.h"

#define CAP_PM 0x01u
#define CAP_MSI 0x05u
#define CAP_EXP 0x10u
#define CAP_MSIX 0x11u
#define EXT_AER 0x0001u
#define EXT_ARI 0x000eu
#define EXT_SRIOV 0x0010u
#define EXT_REBAR 0x0015u
#define EXT_VF_REBAR 0x0024u

static void set_kind(struct dp_vpci *f, uint32_t off, uint32_t len, uint8_t kind, uint8_t wmask)
{
	for (uint32_t a = off; a < off + len && a < CFG_MAX; a++) {
		f->kind[a] = kind;
		f->wmask[a] = wmask;
	}
}

/* ---- Config space layout ---- */

static void hide(struct dp_vpci *f, uint32_t off, uint32_t end)
{
	set_kind(f, off, end - off, B_ZERO, 0);
	memset(f->cfg + off, 0, end - off);
}

/* The end of the capability at off: the next one by address, or the limit. */
static uint32_t cap_end(const uint32_t *offs, unsigned n, uint32_t off, uint32_t limit)
{
	uint32_t end = limit;

	for (unsigned k = 0; k < n; k++)
		if (offs[k] > off && offs[k] < end)
			end = offs[k];
	return end;
}

static void layout_std_caps(struct dp_vpci *f)
{
	uint32_t offs[DP_PCI_CAP_MAX], visible[DP_PCI_CAP_MAX], nv = 0, n = 0;
	struct dp_pciconf pc;

	/* The one bounded walk (pciconf.c); an endpoint's list starts at 0x34. */
	if (dp_pciconf_parse(f->cfg, CFG_STD, &pc) == 0)
		for (n = 0; n < pc.n_caps; n++)
			offs[n] = pc.cap_offs[n];
	for (unsigned k = 0; k < n; k++) {
		uint32_t o = offs[k], id = f->cfg[o], end = cap_end(offs, n, o, CFG_STD);

		if (id == CAP_EXP && (f->opts.flags & DP_VPCI_CONVENTIONAL)) {
			hide(f, o, end);
			continue;
		}
		visible[nv++] = o;
		set_kind(f, o, 2, B_EMU, 0); /* ID and next pointer */
		switch (id) {
		case CAP_MSI:
			if (!f->msi_cap && f->msi_count) {
				uint32_t ctrl = dp_vpci_le_get(f->cfg, o + 2, 2), mmc = (ctrl >> 1) & 7u;
				uint32_t len = (ctrl & 0x80u ? 14u : 10u) + (ctrl & 0x100u ? 10u : 0);

				f->msi_cap = (uint16_t)o;
				set_kind(f, o + 2, len - 2, B_EMU, 0);
				dp_vpci_le_put(f->cfg, o + 2, ctrl & ~0x71u, 2);
				f->wmask[o + 2] = 0x71;
				dp_vpci_le_put(f->wmask, o + 4, 0xfffffffcu, 4);
				if (ctrl & 0x80u)
					dp_vpci_le_put(f->wmask, o + 8, 0xffffffffu, 4);
				dp_vpci_le_put(f->cfg, o + 4, 0, ctrl & 0x80u ? 8 : 4);
				dp_vpci_le_put(f->cfg, dp_vpci_msi_off(f, 1), 0, 2);
				dp_vpci_le_put(f->wmask, dp_vpci_msi_off(f, 1), 0xffff, 2);
				if (ctrl & 0x100u) {
					dp_vpci_le_put(f->cfg, dp_vpci_msi_off(f, 2), 0, 8);
					dp_vpci_le_put(f->wmask, dp_vpci_msi_off(f, 2),
						       mmc >= 5 ? 0xffffffffu : (1u << (1u << mmc)) - 1, 4);
				}
			}
			break;
		case CAP_MSIX:
			if (!f->msix_cap && f->msix_count) {
				f->msix_cap = (uint16_t)o;
				set_kind(f, o + 2, 10, B_EMU, 0);
				dp_vpci_le_put(f->cfg, o + 2, dp_vpci_le_get(f->cfg, o + 2, 2) & 0x07ffu, 2);
				f->wmask[o + 3] = 0xc0;
			}
			break;
		case CAP_EXP:
			if (!f->exp_cap) {
				f->exp_cap = (uint16_t)o;
				f->flr_capable = dp_vpci_le_get(f->cfg, o + 4, 4) & (1u << 28);
			}
			break;
		case CAP_PM:
			if (!f->pm_cap)
				f->pm_cap = (uint16_t)o;
			break;
		}
	}
	/* The visible chain, in the device's order. */
	f->cfg[0x34] = (uint8_t)(nv ? visible[0] : 0);
	for (unsigned k = 0; k < nv; k++)
		f->cfg[visible[k] + 1] = (uint8_t)(k + 1 < nv ? visible[k + 1] : 0);
	f->has_caps = nv > 0;
}

static bool ext_hidden(const struct dp_vpci *f, uint32_t id)
{
	uint32_t show = f->opts.show_caps;

	return (id == EXT_SRIOV && !(show & DP_VPCI_CAP_SRIOV)) ||
	       (id == EXT_ARI && !(show & DP_VPCI_CAP_ARI)) ||
	       (id == EXT_REBAR && !(show & DP_VPCI_CAP_REBAR)) ||
	       (id == EXT_VF_REBAR && !(show & DP_VPCI_CAP_VF_REBAR));
}

static void layout_ext_caps(struct dp_vpci *f)
{
	uint32_t offs[64], visible[64], n = 0, nv = 0, at = 0x100;

	if (f->size <= CFG_STD)
		return;
	while (at >= 0x100 && at <= f->size - 4 && n < 64 && dp_vpci_le_get(f->cfg, at, 4) != 0 &&
	       dp_vpci_le_get(f->cfg, at, 4) != 0xffffffffu) {
		bool seen = false;

		for (unsigned k = 0; k < n; k++)
			seen |= offs[k] == at;
		if (seen)
			break;
		offs[n++] = at;
		at = (dp_vpci_le_get(f->cfg, at, 4) >> 20) & 0xffcu;
	}
	for (unsigned k = 0; k < n; k++) {
		uint32_t o = offs[k];

		if (ext_hidden(f, dp_vpci_le_get(f->cfg, o, 2)))
			hide(f, o, cap_end(offs, n, o, f->size));
		else
			visible[nv++] = o;
	}
	if (n == 0)
		return;
	/* 0x100 must hold a header: an ID-0 one when its capability is hidden. */
	if (offs[0] == 0x100 && (nv == 0 || visible[0] != 0x100)) {
		set_kind(f, 0x100, 4, B_EMU, 0);
		dp_vpci_le_put(f->cfg, 0x100, (nv ? visible[0] : 0) << 20, 4);
	}
	for (unsigned k = 0; k < nv; k++) {
		uint32_t hdr = dp_vpci_le_get(f->cfg, visible[k], 4) & 0x000fffffu;

		set_kind(f, visible[k], 4, B_EMU, 0);
		dp_vpci_le_put(f->cfg, visible[k], hdr | (k + 1 < nv ? visible[k + 1] : 0) << 20, 4);
	}
}

/* Reads the device and lays out the guest's view of config space. */
int dp_vpci_layout(struct dp_vpci *f)
{
	DP_OPTS_NONE(dp_region_info, ri);
	uint32_t dsize;
	int r = f->dops->region_info(f->dev, DP_REGION_CONFIG, &ri);

	if (r < 0 || ri.size < 64) {
		dp_err(f->ctx, "%s: config space unreadable (%s)", f->name,
		       r < 0 ? strerror(-r) : "under 64 bytes");
		return -EIO;
	}
	dsize = ri.size > CFG_MAX ? CFG_MAX : (uint32_t)ri.size;
	f->size = (f->opts.flags & DP_VPCI_CONVENTIONAL) && dsize > CFG_STD ? CFG_STD : dsize;
	r = f->dops->region_read(f->dev, DP_REGION_CONFIG, 0, f->cfg, f->size);
	if (r < 0) {
		dp_err(f->ctx, "%s: reading config space: %s", f->name, strerror(-r));
		return -EIO;
	}
	memset(f->kind, B_DEV, sizeof(f->kind));
	memset(f->wmask, 0, sizeof(f->wmask));
	/* The header is virtual, but for status (the device's, except the cap-list bit). */
	set_kind(f, 0, 0x40, B_EMU, 0);
	set_kind(f, 0x06, 2, B_DEV, 0);
	dp_vpci_le_put(f->cfg, 0x04, 0, 2);
	dp_vpci_le_put(f->wmask, 0x04, CMD_WRITABLE, 2);
	f->wmask[0x0c] = f->wmask[0x0d] = 0xff;
	f->cfg[0x0e] &= 0x7f;
	f->cfg[0x0f] = 0;
	dp_vpci_le_put(f->cfg, 0x38, 0, 4);
	f->wmask[0x3c] = 0xff;
	f->cfg[0x3c] = f->opts.flags & DP_VPCI_INTX ? (uint8_t)f->opts.intx_gsi : 0;
	if (!f->intx_count)
		f->cfg[0x3d] = 0;
	r = dp_vpci_read_bars(f);
	if (r < 0)
		return r;
	layout_std_caps(f);
	layout_ext_caps(f);
	memcpy(f->init, f->cfg, sizeof(f->init));
	return 0;
}

/* ---- Config space accesses ---- */

static int cfg_check(struct dp_vpci *f, uint32_t offset, const void *buf, size_t len)
{
	if (!f->dev) {
		dp_err(f->ctx, "%s: the attachment is gone", f->name);
		return -ENODEV;
	}
	if (!buf && len)
		return -EINVAL;
	if (offset > f->size || len > f->size - offset) {
		dp_err(f->ctx, "%s: config access of %zu bytes at %#x is past its %u bytes", f->name,
		       len, offset, f->size);
		return -ERANGE;
	}
	return 0;
}

static int cfg_read(struct dp_vpci *f, uint32_t off, uint8_t *out, size_t len)
{
	uint32_t first = UINT32_MAX, last = 0;
	uint8_t dev[CFG_MAX];
	int r;

	for (uint32_t a = off; a < off + len; a++)
		if (f->kind[a] == B_DEV) {
			first = first == UINT32_MAX ? a : first;
			last = a;
		}
	if (first != UINT32_MAX) {
		r = f->dops->region_read(f->dev, DP_REGION_CONFIG, first, dev + first, last - first + 1);
		if (r < 0)
			return r;
	}
	if (f->msi_cap && dp_vpci_overlaps(off, len, dp_vpci_msi_off(f, 3), 4))
		dp_vpci_msi_pending_refresh(f);
	for (uint32_t a = off; a < off + len; a++)
		out[a - off] = f->kind[a] == B_DEV ? dev[a] : f->kind[a] == B_EMU ? f->cfg[a] : 0;
	if (off <= 6 && 6 < off + len)
		out[6 - off] = (uint8_t)((out[6 - off] & ~STATUS_CAP_LIST) |
					 (f->has_caps ? STATUS_CAP_LIST : 0));
	return 0;
}

/* Writes the device's bytes of [off, off + len) in runs, the FLR bit taken out. */
static int write_device_bytes(struct dp_vpci *f, uint32_t off, const uint8_t *in, size_t len)
{
	uint8_t b[CFG_MAX];
	uint32_t a = off;

	memcpy(b + off, in, len);
	if (f->exp_cap && dp_vpci_overlaps(off, len, f->exp_cap + 9u, 1))
		b[f->exp_cap + 9u] &= 0x7f;
	while (a < off + len) {
		uint32_t end = a;
		int r;

		if (f->kind[a] != B_DEV) {
			a++;
			continue;
		}
		while (end < off + len && f->kind[end] == B_DEV)
			end++;
		r = f->dops->region_write(f->dev, DP_REGION_CONFIG, a, b + a, end - a);
		if (r < 0)
			return r;
		a = end;
	}
	return 0;
}

static int cfg_write(struct dp_vpci *f, uint32_t off, const uint8_t *in, size_t len,
		     uint32_t *changed)
{
	bool flr = f->exp_cap && f->flr_capable && dp_vpci_overlaps(off, len, f->exp_cap + 9u, 1) &&
		   (in[f->exp_cap + 9u - off] & 0x80u);
	uint32_t was_enabled = 0, now;
	int r, first = 0;

	for (uint32_t i = 0; i < NBARS; i++)
		was_enabled |= f->bars[i].enabled ? 1u << i : 0;

	for (uint32_t a = off; a < off + len; a++)
		if (f->kind[a] == B_EMU)
			f->cfg[a] = (uint8_t)((f->cfg[a] & ~f->wmask[a]) | (in[a - off] & f->wmask[a]));
	/* Multiple Message Enable is at most what the device is capable of. */
	if (f->msi_cap && dp_vpci_overlaps(off, len, f->msi_cap + 2u, 1)) {
		uint8_t c = f->cfg[f->msi_cap + 2u], mmc = (c >> 1) & 7u;

		if (((c >> 4) & 7u) > mmc)
			f->cfg[f->msi_cap + 2u] = (uint8_t)((c & ~0x70u) | mmc << 4);
	}
	r = write_device_bytes(f, off, in, len);
	if (r < 0) {
		dp_err(f->ctx, "%s: config write of %zu bytes at %#x: %s", f->name, len, off,
		       strerror(-r));
		first = r;
	}
	if (dp_vpci_overlaps(off, len, 0x04, 2)) {
		uint16_t cmd = (uint16_t)dp_vpci_le_get(f->cfg, 4, 2);

		/* Decode, bus mastering and DisINTx reach the device: VFIO needs decode for BAR access. */
		r = f->dops->region_write(f->dev, DP_REGION_CONFIG, 4, &cmd, 2);
		if (r < 0 && !first)
			first = r;
	}
	if (f->pm_cap && dp_vpci_overlaps(off, len, f->pm_cap + 4u, 1)) {
		uint16_t pm = 0;

		/* The device's own power state after the write decides: D3hot takes the slots away. */
		if (f->dops->region_read(f->dev, DP_REGION_CONFIG, f->pm_cap + 4u, &pm, 2) == 0 &&
		    ((pm & 3u) == 3u) != f->d3) {
			f->d3 = (pm & 3u) == 3u;
			for (uint32_t i = 0; i < NBARS; i++) {
				if (f->d3)
					dp_vpci_unmap_pieces(f, &f->bars[i]);
				else if (f->bars[i].placed)
					dp_vpci_map_pieces(f, i);
			}
		}
	}
	if (f->msi_cap && dp_vpci_overlaps(off, len, f->msi_cap + 2u,
					    dp_vpci_msi_off(f, 2) + 4u - f->msi_cap - 2u)) {
		r = dp_vpci_msi_update(f);
		if (r < 0 && !first)
			first = r;
	}
	if (f->msix_cap && dp_vpci_overlaps(off, len, f->msix_cap + 2u, 2)) {
		r = dp_vpci_msix_update(f);
		if (r < 0 && !first)
			first = r;
	}
	if (flr) {
		r = dp_vpci_do_reset(f);
		if (r < 0 && !first)
			first = r;
	}
	now = dp_vpci_decode_changed(f);
	if (flr) /* every BAR that decoded stopped */
		now |= was_enabled;
	if (changed)
		*changed = now;
	return first;
}

/* ---- The public calls ---- */

int dp_vpci_config_read(struct dp_vpci *vpci, uint32_t offset, void *buf, size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = cfg_check(vpci, offset, buf, len);
	if (r == 0 && len)
		r = cfg_read(vpci, offset, buf, len);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_config_write(struct dp_vpci *vpci, uint32_t offset, const void *buf, size_t len,
			 uint32_t *changed)
{
	int r;

	if (!vpci)
		return -EINVAL;
	if (changed)
		*changed = 0;
	pthread_mutex_lock(&vpci->lock);
	r = cfg_check(vpci, offset, buf, len);
	if (r == 0 && len)
		r = cfg_write(vpci, offset, buf, len, changed);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}
