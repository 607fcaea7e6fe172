/* SPDX-License-Identifier: MIT */
/*
 * The DMA map manager: what guest memory the IOMMU maps, checked and
 * coalesced before the kernel is asked, and rolled back on any failure.
 * The kernel side is behind ops so the logic runs in unit tests too.
 */
#ifndef DP_DMA_H
#define DP_DMA_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct dp_dma_ops {
	/* Maps [iova, iova + size) to vaddr; 0 or -errno. */
	int (*map)(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size);
	/* Unmaps exactly one earlier mapping; 0 or -errno. */
	int (*unmap)(void *opaque, uint64_t iova, uint64_t size);
};

struct dp_dma_seg {
	uint64_t iova, vaddr, size;
};

struct dp_iova_range {
	uint64_t start, end; /* inclusive */
};

struct dp_dma {
	struct dp_ctx *ctx;
	const struct dp_dma_ops *ops;
	void *opaque;
	pthread_mutex_t *lock;     /* apart, so a const view can still take it */
	struct dp_dma_seg *maps;   /* the kernel's mappings, sorted by iova, disjoint */
	size_t n_maps, cap_maps;
	struct dp_iova_range *usable; /* empty: everything */
	size_t n_usable;
	uint64_t page_size;        /* smallest IOMMU page */
	uint64_t dma_avail;        /* mappings the kernel still allows; UINT64_MAX: unknown */
	uint64_t pinned;           /* bytes mapped */
	uint64_t memlock_limit;    /* UINT64_MAX: not enforced */
	const char *memlock_mode;  /* whose limit it is, after a comma ("which type1 charges ..."); NULL: unsaid */
	uint32_t spaces;           /* IOMMU address spaces each mapping is pinned in (type1: containers) */
	uint64_t map_calls;        /* kernel map requests issued (for benchmarks) */
};

int dp_dma_init(struct dp_dma *dma, struct dp_ctx *ctx, const struct dp_dma_ops *ops,
		void *opaque, uint64_t page_size);
/* Unmaps everything left; returns the first error but goes on. */
int dp_dma_fini(struct dp_dma *dma);
int dp_dma_set_usable(struct dp_dma *dma, const struct dp_iova_range *r, size_t n);

/* Maps n segments all or nothing; runs contiguous in iova and vaddr become one mapping. */
int dp_dma_map_segs(struct dp_dma *dma, const struct dp_dma_seg *segs, size_t n);
/* Unmaps [iova, iova + size), which must be wholly mapped; mappings cut by it are split. */
int dp_dma_unmap_range(struct dp_dma *dma, uint64_t iova, uint64_t size);
/* True when any of [iova, iova + size) is mapped. */
bool dp_dma_overlaps(struct dp_dma *dma, uint64_t iova, uint64_t size);

#endif
