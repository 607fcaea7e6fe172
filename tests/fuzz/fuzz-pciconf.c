/* SPDX-License-Identifier: MIT */
/*
 * The config-space capability walk (dp_pciconf_parse: lib/pciconf.c): the
 * input is config space, of any length. A reference walk of both lists
 * (the PCI and PCIe specifications' rules: standard pointers dword-aligned
 * into [0x40, 0x100), extended ones from 0x100, 0 or ~0 header ends) must
 * find the same capabilities and the same loops; bad pointers end a list;
 * nothing past the input is read (ASan, on an exactly sized copy).
 */
#include "fuzz.h"
#include "pciconf.h"

struct ref {
	uint64_t flags;
	bool loop, ext_loop;
};

static void ref_walk(const uint8_t *c, size_t len, struct ref *r)
{
	bool seen[4096 / 4] = { false };
	size_t limit = len < 256 ? len : 256, pos;
	uint8_t ht = c[0x0e] & 0x7f;

	memset(r, 0, sizeof(*r));
	if (c[0x06] & 0x10) {
		for (pos = c[ht == 2 ? 0x14 : 0x34] & 0xfc; pos; pos = c[pos + 1] & 0xfc) {
			if (pos < 0x40 || pos + 2 > limit)
				break;
			if (seen[pos / 4]) {
				r->loop = true;
				break;
			}
			seen[pos / 4] = true;
			r->flags |= c[pos] == 0x01   ? DP_DEVICE_PM
				    : c[pos] == 0x10 ? DP_DEVICE_PCIE
				    : c[pos] == 0x05 ? DP_DEVICE_MSI
				    : c[pos] == 0x11 ? DP_DEVICE_MSIX : 0;
		}
	}
	memset(seen, 0, sizeof(seen));
	if (len > 4096)
		len = 4096;
	for (pos = 0x100; pos >= 0x100 && pos + 4 <= len;) {
		uint32_t h = (uint32_t)c[pos] | (uint32_t)c[pos + 1] << 8 |
			     (uint32_t)c[pos + 2] << 16 | (uint32_t)c[pos + 3] << 24;

		if (h == 0 || h == 0xffffffffu)
			break;
		if (seen[pos / 4]) {
			r->ext_loop = true;
			break;
		}
		seen[pos / 4] = true;
		if ((h & 0xffff) == 0x000d)
			r->flags |= DP_DEVICE_ACS;
		pos = (h >> 20) & 0xffc;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint64_t judged = DP_DEVICE_PM | DP_DEVICE_PCIE | DP_DEVICE_MSI | DP_DEVICE_MSIX |
				DP_DEVICE_ACS;
	uint8_t *cfg = malloc(size ? size : 1);
	struct dp_pciconf pc;
	struct ref ref;
	int r;

	if (!cfg)
		abort();
	memcpy(cfg, data, size);
	r = dp_pciconf_parse(cfg, size, &pc);
	if (size < 64) {
		FZ_ASSERT(r == -EINVAL, "%zu bytes: %d", size, r);
	} else {
		FZ_ASSERT(r == 0, "%d", r);
		ref_walk(cfg, size, &ref);
		FZ_ASSERT((pc.flags & judged) == ref.flags, "capabilities %#llx, the walk finds %#llx",
			  (unsigned long long)(pc.flags & judged), (unsigned long long)ref.flags);
		FZ_ASSERT(pc.cap_loop == ref.loop && pc.ext_cap_loop == ref.ext_loop,
			  "loops %d %d, the walk finds %d %d", pc.cap_loop, pc.ext_cap_loop,
			  ref.loop, ref.ext_loop);
		FZ_ASSERT(pc.header_type == (cfg[0x0e] & 0x7f), "header type");
		if (pc.flags & DP_DEVICE_MSI)
			FZ_ASSERT(pc.msi_vectors <= 32, "%u MSI vectors", pc.msi_vectors);
		FZ_ASSERT(pc.msix_table_size <= 2048 && pc.msix_table_bir < 8 &&
			  pc.msix_pba_bir < 8, "MSI-X fields");
	}
	free(cfg);
	return 0;
}
