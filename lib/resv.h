/* SPDX-License-Identifier: MIT */
/* An IOMMU group's reserved regions, from sysfs: a pure parser. */
#ifndef DP_RESV_H
#define DP_RESV_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's region types (iommu_group_resv_type_string). */
enum dp_resv_type {
	DP_RESV_DIRECT,           /* an RMRR or IVMD the firmware demands identity-mapped */
	DP_RESV_DIRECT_RELAXABLE, /* the same, that a device assigned to a VM may drop */
	DP_RESV_RESERVED,         /* not for DMA: the IOMMU does not translate it */
	DP_RESV_MSI,              /* the MSI doorbell window */
};

struct dp_resv_region {
	uint64_t start, end;      /* inclusive, as the kernel writes them */
	enum dp_resv_type type;
};

/* More than any group has: the x86 MSI window, a few RMRRs. */
#define DP_RESV_MAX 64

/*
 * Parses the text of /sys/kernel/iommu_groups/N/reserved_regions: lines
 * "0x<start> 0x<end> <type>", start <= end. Stores up to max regions in out
 * and their count in *n. 0, or -EINVAL with the line and what is wrong with
 * it in why (a NUL byte, a malformed number, an unknown type, start above
 * end, more than max lines).
 */
int dp_resv_parse(const char *text, size_t len, struct dp_resv_region *out, size_t max,
		  size_t *n, char *why, size_t why_len);

/* "direct", "direct-relaxable", "reserved", "msi"; NULL for another value. */
const char *dp_resv_type_name(enum dp_resv_type type);

#endif
