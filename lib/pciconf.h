/* SPDX-License-Identifier: MIT */
/* What config space says about a function: a pure parser with a bounded walk. */
#ifndef DP_PCICONF_H
#define DP_PCICONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_PCI_CFG_HEADER 64
#define DP_PCI_CFG_SPACE 256
#define DP_PCI_CFG_SPACE_EXP 4096
/* A list of n dword-aligned capabilities cannot be longer than its space. */
#define DP_PCI_CAP_MAX ((DP_PCI_CFG_SPACE - DP_PCI_CFG_HEADER) / 4)

struct dp_pciconf {
	uint64_t flags;          /* DP_DEVICE_* bits config space decides */
	uint8_t header_type;     /* without the multifunction bit */
	uint8_t msix_table_bir;
	uint8_t msix_pba_bir;
	uint16_t msi_vectors;
	uint16_t msix_table_size;
	uint32_t msix_table_offset;
	uint32_t msix_pba_offset;
	/* Where the standard capabilities are, in list order; 0: absent (the first of each kind). */
	uint8_t cap_offs[DP_PCI_CAP_MAX];
	uint8_t n_caps;
	uint8_t pm_cap, msi_cap, exp_cap, msix_cap;
	uint8_t secondary_bus;   /* a PCI-to-PCI bridge's (header type 1); 0 otherwise */
	uint8_t subordinate_bus;
	bool cap_loop;           /* the capability list looped or ran past its bound */
	bool ext_cap_loop;       /* the same for the extended list */
};

/* Parses len bytes of config space; -EINVAL when shorter than the 64-byte header. */
int dp_pciconf_parse(const uint8_t *cfg, size_t len, struct dp_pciconf *out);

#endif
