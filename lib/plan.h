/* SPDX-License-Identifier: MIT */
/* The VM's MMIO and memlock plan, and DMA-ready estimates (plan.c). */
#ifndef DP_PLAN_H
#define DP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct dp_report;

/* Where the platform's fixed devices start below 4 GiB: OVMF's q35 32-bit window ends here. */
#define DP_PLAN_MMIO32_TOP UINT64_C(0xfc000000)
/* q35's ECAM (MMCONFIG) window: 256 buses of 1 MiB, aligned to its size, below 4 GiB. */
#define DP_PLAN_ECAM_SIZE (UINT64_C(256) << 20)
#define DP_PLAN_BARS_MAX 7 /* six BARs and the ROM BAR of one function */

/*
 * Packs sizes (each a power of two; sorted here, largest first) from a base
 * aligned to the largest, each at a multiple of its own size: the bytes
 * from the base to the end of the last one.
 */
uint64_t dp_plan_pack(uint64_t *sizes, size_t n);

/*
 * Places sizes (sorted here, largest first) top-down below top, each at a
 * multiple of its own size: the lowest address used, or 0 when they do not
 * fit above 0.
 */
uint64_t dp_plan_pack_down(uint64_t *sizes, size_t n, uint64_t top);

/*
 * One function's memory BARs (I/O BARs excluded) by where a guest places
 * them: 32-bit ones, 64-bit non-prefetchable ones and the ROM BAR low,
 * 64-bit prefetchable ones high. Appends to low and high (each with room
 * for DP_PLAN_BARS_MAX more) and adds to *n_low and *n_high.
 */
void dp_plan_device_bars(const struct dp_device_info *info, uint64_t *low, size_t *n_low,
			 uint64_t *high, size_t *n_high);

/* Computes the plan of vm's devices into rep and adds its findings (rules mmio_window, memlock). */
int dp_plan_check(const struct dp_policy *p, const struct dp_vm *vm, struct dp_report *rep);

#endif
