/* SPDX-License-Identifier: MIT */
/*
 * MSI-X table emulation for the direct path: the table and PBA pages stay
 * trapped, the VMM hands their accesses here, the guest's entries live in a
 * shadow, and each vector is routed through irqfd when the guest enables it
 * (function and vector unmasked) and unrouted when it masks or disables it.
 */
#ifndef DP_MSIX_H
#define DP_MSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_MSIX_ENTRY 16u
#define DP_MSIX_CTRL_MASKALL 0x4000u
#define DP_MSIX_CTRL_ENABLE 0x8000u
#define DP_MSIX_VECTOR_MASKED 0x1u

/* Bytes of the table, and of the PBA (one bit a vector, in qwords), for n vectors. */
static inline uint64_t dp_msix_table_bytes(uint32_t n)
{
	return (uint64_t)n * DP_MSIX_ENTRY;
}

static inline uint64_t dp_msix_pba_bytes(uint32_t n)
{
	return ((uint64_t)n + 63) / 64 * 8;
}

struct dp_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct dp_msix {
	uint16_t size;              /* entries; 0: no MSI-X */
	uint8_t table_bir, pba_bir;
	uint32_t table_offset, pba_offset;
	bool enabled, maskall;
	struct dp_msix_entry *table;
	struct dp_msix_entry *routed;  /* what each routed vector was routed with */
	bool *is_routed;
	/* The routing, behind hooks so the logic runs in unit tests too. */
	int (*route)(void *opaque, uint32_t vector, uint64_t address, uint32_t data);
	int (*unroute)(void *opaque, uint32_t vector);
	/* A vector's pending bit for PBA reads; NULL: nothing pends (routed vectors go to KVM). */
	bool (*pending)(void *opaque, uint32_t vector);
	void *opaque;
};

/* A table of size entries, all masked as after reset. */
int dp_msix_init(struct dp_msix *m, uint16_t size, uint8_t table_bir, uint32_t table_offset,
		 uint8_t pba_bir, uint32_t pba_offset);
void dp_msix_fini(struct dp_msix *m);
/*
 * An access to BAR bar at offset: 1 when it was the table's or the PBA's
 * (done: reads filled from the shadow, writes applied and routed), 0 when
 * it is not MSI-X's (the caller forwards it to the device), -EINVAL for an
 * access the table does not take (not 4 or 8 bytes, not aligned).
 */
int dp_msix_access(struct dp_msix *m, uint32_t bar, uint64_t offset, void *buf, size_t len,
		   bool write);
/* The guest wrote the capability's message control: enable and mask-all. */
int dp_msix_control(struct dp_msix *m, uint16_t control);

#endif
