/* SPDX-License-Identifier: MIT */
/*
 * The dma-costs file (dp_dma_costs_parse: lib/dmacosts.c), in an exactly
 * sized copy. Accepted text gives figures from 1 to DP_DMA_COST_MAX, each
 * page size at most once, and prints back ("PAGE = NS") into text that
 * parses to the same figures; refused text says why and leaves the costs
 * as they were.
 */
#include "dmacosts.h"
#include "fuzz.h"

/* Field by field: the struct has tail padding memcmp would read. */
static bool same(const struct dp_dma_costs *a, const struct dp_dma_costs *b)
{
	for (uint32_t p = 0; p < DP_PLAN_PAGES; p++)
		if (a->ns_per_gib[p] != b->ns_per_gib[p])
			return false;
	return a->given == b->given;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_dma_costs c, before, again;
	char why[160] = "", *text, printed[256];
	size_t len = 0;
	int rc;

	text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	dp_dma_costs_default(&c);
	c.ns_per_gib[DP_PLAN_PAGE_THP] = 12345; /* not a default: shows what a refusal must keep */
	before = c;
	rc = dp_dma_costs_parse(text, size, &c, why, sizeof(why));
	free(text);
	if (rc < 0) {
		FZ_ASSERT(rc == -EINVAL, "%d", rc);
		FZ_ASSERT(why[0], "refused without a reason");
		FZ_ASSERT(same(&c, &before), "a refusal changed the costs");
		return 0;
	}
	FZ_ASSERT(rc == 0, "%d", rc);
	FZ_ASSERT(c.given < (1u << DP_PLAN_PAGES), "given %#x", c.given);
	for (uint32_t p = 0; p < DP_PLAN_PAGES; p++) {
		if (!(c.given & (1u << p))) {
			FZ_ASSERT(c.ns_per_gib[p] == before.ns_per_gib[p], "page %u changed unasked", p);
			continue;
		}
		FZ_ASSERT(c.ns_per_gib[p] >= 1 && c.ns_per_gib[p] <= DP_DMA_COST_MAX, "page %u: %llu", p,
			  (unsigned long long)c.ns_per_gib[p]);
		len += (size_t)snprintf(printed + len, sizeof(printed) - len, "%s = %llu\n",
					dp_plan_page_name(p), (unsigned long long)c.ns_per_gib[p]);
	}
	again = before;
	rc = dp_dma_costs_parse(printed, len, &again, why, sizeof(why));
	FZ_ASSERT(rc == 0, "the printed costs do not parse back: %s", why);
	FZ_ASSERT(same(&again, &c), "the printed costs parse to others");
	return 0;
}
