/* SPDX-License-Identifier: MIT */
/*
 * What making guest RAM DMA-ready costs on this host, per GiB and backing
 * page size: the dma-costs file bench-dma writes (directpath-report(5)),
 * or defaults from the README's Performance section.
 */
#ifndef DP_DMACOSTS_H
#define DP_DMACOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define DP_DMA_COSTS_FILE "dma-costs"      /* in the config directory */
#define DP_DMA_COSTS_MAX_SIZE 4096
/* A cost above 1000 s per GiB is no measurement. */
#define DP_DMA_COST_MAX (UINT64_C(1000) * 1000000000)

struct dp_dma_costs {
	uint64_t ns_per_gib[DP_PLAN_PAGES]; /* by DP_PLAN_PAGE_* */
	uint32_t given;                     /* bit p: ns_per_gib[p] came from the text */
};

/* The defaults: dp_dma_costs_default's figures, given 0. */
void dp_dma_costs_default(struct dp_dma_costs *c);

/*
 * Parses a dma-costs text of len bytes (not NUL-terminated) over c's
 * contents: "# comment" and blank lines, and "PAGE = NS" lines, PAGE a
 * dp_plan_page_name word, NS nanoseconds per GiB (1 to DP_DMA_COST_MAX),
 * each at most once; other words are ignored, for a later bench-dma's keys.
 * 0, or -EINVAL with why set and c untouched.
 */
int dp_dma_costs_parse(const char *text, size_t len, struct dp_dma_costs *c, char *why,
		       size_t why_len);

/*
 * Loads CONFIG_DIR/dma-costs over the defaults: 1 when the file gave at
 * least one figure, 0 when it is absent or refused (logged: the defaults
 * stand), -ENOMEM.
 */
int dp_dma_costs_load(struct dp_ctx *ctx, struct dp_dma_costs *c);

#endif
