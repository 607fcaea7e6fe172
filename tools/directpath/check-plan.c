/* SPDX-License-Identifier: MIT */
/* directpath check's "Plan:" part: MMIO, memlock and DMA-ready (dp_report_get_plan(3)). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* "1.2 s", "850 ms": a time for a person. */
static const char *fmt_time(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000u)
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
	else
		snprintf(buf, len, "%llu ms", (unsigned long long)(ns / 1000000u));
	return buf;
}

int print_plan(const struct dp_report *rep)
{
	struct dp_plan pl = { .sz = sizeof(pl) };
	char a[32], b[32], c[32];
	int r = dp_report_get_plan(rep, &pl);

	if (r < 0) {
		err_msg("cannot read the plan: %s", strerror(-r));
		return EXIT_USAGE;
	}
	printf("Plan:\n");
	/* The hole in whole MiB, as mmio_hole takes it: a rounded GiB would mislead. */
	printf("  %-18s  %s of BARs; RAM below 4 GiB may end at %llu MiB (mmio_hole %llu MiB)\n",
	       "MMIO below 4 GiB", fmt_size(a, sizeof(a), pl.mmio32_size),
	       (unsigned long long)(pl.mmio_hole_proposed >> 20),
	       (unsigned long long)(pl.mmio_hole >> 20));
	printf("  %-18s  %s of 64-bit prefetchable BARs; a window of %s will do (mmio64_window %s)\n",
	       "MMIO above 4 GiB", fmt_size(a, sizeof(a), pl.mmio64_size),
	       fmt_size(b, sizeof(b), pl.mmio64_window_proposed),
	       fmt_size(c, sizeof(c), pl.mmio64_window));
	if (pl.flags & DP_PLAN_MEMLOCK_EXEMPT)
		snprintf(c, sizeof(c), "exempt (CAP_IPC_LOCK)");
	else if (pl.memlock_current == UINT64_MAX)
		snprintf(c, sizeof(c), "unlimited");
	else
		fmt_size(c, sizeof(c), pl.memlock_current);
	printf("  %-18s  %s to pin in %u IOMMU address space%s; this process's limit: %s\n",
	       "memlock", fmt_size(a, sizeof(a), pl.memlock_needed), pl.address_spaces,
	       pl.address_spaces == 1 ? "" : "s", c);
	printf("  %-18s  ", "DMA-ready");
	for (uint32_t p = 0; p < DP_PLAN_PAGES; p++) {
		const char *name = dp_plan_page_name(p);

		printf("%s%s %s", p ? ", " : "", name ? name : "?",
		       fmt_time(a, sizeof(a), pl.dma_ready_ns[p]));
	}
	printf(" (%s costs per GiB)\n", pl.flags & DP_PLAN_COSTS_MEASURED ? "measured" : "default");
	return EXIT_OK;
}
