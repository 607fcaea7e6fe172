/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <directpath/directpath.h>

#include "pciconf.h"

#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_TYPE 0x0e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_CB_CAPABILITY_LIST 0x14

#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_AF 0x13
#define PCI_EXT_CAP_ID_ACS 0x000d

#define PCI_PM_CTRL 4
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008
#define PCI_EXP_DEVCAP 4
#define PCI_EXP_DEVCAP_FLR 0x10000000u
#define PCI_MSI_FLAGS 2
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_AF_CAP 3
#define PCI_AF_CAP_TP 0x01
#define PCI_AF_CAP_FLR 0x02
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a

#define CAP_WALK_MAX DP_PCI_CAP_MAX
#define EXT_CAP_WALK_MAX ((DP_PCI_CFG_SPACE_EXP - DP_PCI_CFG_SPACE) / 4)

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* One standard capability at pos; reads only what lies inside len. */
static void parse_cap(const uint8_t *cfg, size_t len, size_t pos,
		      struct dp_pciconf *out)
{
	switch (cfg[pos]) {
	case PCI_CAP_ID_PM:
		if (!out->pm_cap)
			out->pm_cap = (uint8_t)pos;
		out->flags |= DP_DEVICE_PM;
		if (pos + PCI_PM_CTRL + 2 <= len &&
		    (rd16(cfg + pos + PCI_PM_CTRL) & PCI_PM_CTRL_NO_SOFT_RESET))
			out->flags |= DP_DEVICE_PM_NO_SOFT_RESET;
		break;
	case PCI_CAP_ID_EXP:
		if (!out->exp_cap)
			out->exp_cap = (uint8_t)pos;
		out->flags |= DP_DEVICE_PCIE;
		if (pos + PCI_EXP_DEVCAP + 4 <= len &&
		    (rd32(cfg + pos + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR))
			out->flags |= DP_DEVICE_FLR;
		break;
	case PCI_CAP_ID_AF:
		/* The kernel's af_flr needs both Transactions Pending and FLR. */
		if (pos + PCI_AF_CAP + 1 <= len &&
		    (cfg[pos + PCI_AF_CAP] & (PCI_AF_CAP_TP | PCI_AF_CAP_FLR)) ==
			    (PCI_AF_CAP_TP | PCI_AF_CAP_FLR))
			out->flags |= DP_DEVICE_AF_FLR;
		break;
	case PCI_CAP_ID_MSI:
		if (!out->msi_cap)
			out->msi_cap = (uint8_t)pos;
		out->flags |= DP_DEVICE_MSI;
		if (pos + PCI_MSI_FLAGS + 2 <= len) {
			unsigned mmc = (rd16(cfg + pos + PCI_MSI_FLAGS) >> 1) & 7;

			/* 6 and 7 are reserved encodings: take the 32 maximum. */
			out->msi_vectors = (uint16_t)(1u << (mmc > 5 ? 5 : mmc));
		}
		break;
	case PCI_CAP_ID_MSIX:
		if (!out->msix_cap)
			out->msix_cap = (uint8_t)pos;
		out->flags |= DP_DEVICE_MSIX;
		if (pos + PCI_MSIX_PBA + 4 <= len) {
			uint32_t t = rd32(cfg + pos + PCI_MSIX_TABLE);
			uint32_t p = rd32(cfg + pos + PCI_MSIX_PBA);

			out->msix_table_size =
				(uint16_t)((rd16(cfg + pos + PCI_MSIX_FLAGS) & 0x7ff) + 1);
			out->msix_table_bir = (uint8_t)(t & 7);
			out->msix_table_offset = t & ~7u;
			out->msix_pba_bir = (uint8_t)(p & 7);
			out->msix_pba_offset = p & ~7u;
		}
		break;
	default:
		break;
	}
}

static void walk_caps(const uint8_t *cfg, size_t len, struct dp_pciconf *out)
{
	uint8_t seen[DP_PCI_CFG_SPACE / 4] = { 0 };
	size_t limit = len < DP_PCI_CFG_SPACE ? len : DP_PCI_CFG_SPACE;
	size_t pos;
	unsigned n = 0;

	if (!(rd16(cfg + PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	pos = cfg[out->header_type == 2 ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST] & 0xfc;
	while (pos) {
		if (pos < DP_PCI_CFG_HEADER || pos + 2 > limit)
			return; /* points into the header or past what we have: end */
		if (seen[pos / 4] || ++n > CAP_WALK_MAX) {
			out->cap_loop = true;
			return;
		}
		seen[pos / 4] = 1;
		out->cap_offs[out->n_caps++] = (uint8_t)pos;
		parse_cap(cfg, limit, pos, out);
		pos = cfg[pos + 1] & 0xfc;
	}
}

static void walk_ext_caps(const uint8_t *cfg, size_t len,
			  struct dp_pciconf *out)
{
	uint8_t seen[DP_PCI_CFG_SPACE_EXP / 4] = { 0 };
	size_t pos = DP_PCI_CFG_SPACE;
	unsigned n = 0;

	if (len > DP_PCI_CFG_SPACE_EXP)
		len = DP_PCI_CFG_SPACE_EXP;
	while (pos >= DP_PCI_CFG_SPACE && pos + 4 <= len) {
		uint32_t h = rd32(cfg + pos);

		if (h == 0 || h == 0xffffffffu)
			return;
		if (seen[pos / 4] || ++n > EXT_CAP_WALK_MAX) {
			out->ext_cap_loop = true;
			return;
		}
		seen[pos / 4] = 1;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_ACS)
			out->flags |= DP_DEVICE_ACS;
		pos = (h >> 20) & 0xffc;
	}
}

int dp_pciconf_parse(const uint8_t *cfg, size_t len, struct dp_pciconf *out)
{
	uint8_t ht;

	if (!cfg || !out || len < DP_PCI_CFG_HEADER)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ht = cfg[PCI_HEADER_TYPE];
	out->header_type = ht & 0x7f;
	if (ht & 0x80)
		out->flags |= DP_DEVICE_MULTIFUNCTION;
	if (out->header_type == 1 || out->header_type == 2)
		out->flags |= DP_DEVICE_BRIDGE;
	if (out->header_type == 1) {
		out->secondary_bus = cfg[PCI_SECONDARY_BUS];
		out->subordinate_bus = cfg[PCI_SUBORDINATE_BUS];
	}
	walk_caps(cfg, len, out);
	walk_ext_caps(cfg, len, out);
	return 0;
}
