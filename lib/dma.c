/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "dma.h"

int dp_dma_init(struct dp_dma *dma, struct dp_ctx *ctx, const struct dp_dma_ops *ops,
		void *opaque, uint64_t page_size)
{
	int r;

	memset(dma, 0, sizeof(*dma));
	if (page_size == 0 || (page_size & (page_size - 1)))
		return -EINVAL;
	dma->ctx = ctx;
	dma->ops = ops;
	dma->opaque = opaque;
	dma->page_size = page_size;
	dma->dma_avail = UINT64_MAX;
	dma->memlock_limit = UINT64_MAX;
	dma->spaces = 1;
	dma->lock = malloc(sizeof(*dma->lock));
	if (!dma->lock)
		return -ENOMEM;
	r = pthread_mutex_init(dma->lock, NULL);
	if (r) {
		free(dma->lock);
		dma->lock = NULL;
	}
	return -r;
}

int dp_dma_set_usable(struct dp_dma *dma, const struct dp_iova_range *r, size_t n)
{
	struct dp_iova_range *copy = NULL;

	if (n) {
		copy = malloc(n * sizeof(*r));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r, n * sizeof(*r));
	}
	free(dma->usable);
	dma->usable = copy;
	dma->n_usable = n;
	return 0;
}

static bool usable(const struct dp_dma *dma, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;

	if (dma->n_usable == 0)
		return true;
	for (size_t i = 0; i < dma->n_usable; i++)
		if (iova >= dma->usable[i].start && last <= dma->usable[i].end)
			return true;
	return false;
}

/* Index of the first mapping whose end is above iova. */
static size_t first_after(const struct dp_dma *dma, uint64_t iova)
{
	size_t lo = 0, hi = dma->n_maps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dp_dma_seg *m = &dma->maps[mid];

		if (m->iova + m->size <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool overlaps_existing(const struct dp_dma *dma, uint64_t iova, uint64_t size)
{
	size_t i = first_after(dma, iova);

	return i < dma->n_maps && dma->maps[i].iova < iova + size;
}

static int reserve(struct dp_dma *dma, size_t more)
{
	size_t cap;
	void *p;

	if (dma->n_maps + more <= dma->cap_maps)
		return 0;
	cap = dma->cap_maps ? dma->cap_maps : 16;
	while (cap < dma->n_maps + more)
		cap *= 2;
	p = realloc(dma->maps, cap * sizeof(*dma->maps));
	if (!p)
		return -ENOMEM;
	dma->maps = p;
	dma->cap_maps = cap;
	return 0;
}

static void insert(struct dp_dma *dma, const struct dp_dma_seg *s)
{
	size_t i = first_after(dma, s->iova);

	memmove(&dma->maps[i + 1], &dma->maps[i], (dma->n_maps - i) * sizeof(*s));
	dma->maps[i] = *s;
	dma->n_maps++;
	dma->pinned += s->size;
	if (dma->dma_avail != UINT64_MAX)
		dma->dma_avail--;
}

static void remove_at(struct dp_dma *dma, size_t i)
{
	dma->pinned -= dma->maps[i].size;
	if (dma->dma_avail != UINT64_MAX)
		dma->dma_avail++;
	memmove(&dma->maps[i], &dma->maps[i + 1], (dma->n_maps - i - 1) * sizeof(dma->maps[0]));
	dma->n_maps--;
}

static int cmp_iova(const void *a, const void *b)
{
	const struct dp_dma_seg *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* Checks one segment alone; logs why not. */
static int check_seg(struct dp_dma *dma, const struct dp_dma_seg *s)
{
	uint64_t mask = dma->page_size - 1;

	if (s->size == 0 || s->iova + s->size - 1 < s->iova || s->vaddr + s->size - 1 < s->vaddr) {
		dp_err(dma->ctx, "DMA map of %#llx bytes at IOVA %#llx: %s",
		       (unsigned long long)s->size, (unsigned long long)s->iova,
		       s->size == 0 ? "empty" : "wraps around the address space");
		return -EINVAL;
	}
	if ((s->iova | s->vaddr | s->size) & mask) {
		dp_err(dma->ctx, "DMA map IOVA %#llx, address %#llx, size %#llx: not aligned to the IOMMU page size %#llx",
		       (unsigned long long)s->iova, (unsigned long long)s->vaddr,
		       (unsigned long long)s->size, (unsigned long long)dma->page_size);
		return -EINVAL;
	}
	if (!usable(dma, s->iova, s->size)) {
		dp_err(dma->ctx, "DMA map [%#llx, %#llx]: outside the IOMMU's usable IOVA ranges (the MSI window 0xfee00000-0xfeefffff is reserved)",
		       (unsigned long long)s->iova, (unsigned long long)(s->iova + s->size - 1));
		return -EINVAL;
	}
	if (overlaps_existing(dma, s->iova, s->size)) {
		dp_err(dma->ctx, "DMA map [%#llx, %#llx]: overlaps an existing mapping",
		       (unsigned long long)s->iova, (unsigned long long)(s->iova + s->size - 1));
		return -EEXIST;
	}
	return 0;
}

int dp_dma_map_segs(struct dp_dma *dma, const struct dp_dma_seg *segs, size_t n)
{
	struct dp_dma_seg *runs = NULL;
	size_t nr = 0, done = 0;
	uint64_t total = 0;
	int r = 0;

	if (n == 0)
		return 0;
	runs = malloc(n * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	memcpy(runs, segs, n * sizeof(*runs));
	qsort(runs, n, sizeof(*runs), cmp_iova);

	pthread_mutex_lock(dma->lock);
	for (size_t i = 0; i < n && r == 0; i++) {
		r = check_seg(dma, &runs[i]);
		if (r == 0 && i > 0 && runs[i - 1].iova + runs[i - 1].size > runs[i].iova) {
			dp_err(dma->ctx, "DMA map: segments at IOVA %#llx and %#llx overlap each other",
			       (unsigned long long)runs[i - 1].iova, (unsigned long long)runs[i].iova);
			r = -EEXIST;
		}
		total += runs[i].size;
	}
	if (r < 0)
		goto out;
	/* Coalesce runs contiguous in both IOVA and host address. */
	for (size_t i = 0; i < n; i++) {
		if (nr && runs[nr - 1].iova + runs[nr - 1].size == runs[i].iova &&
		    runs[nr - 1].vaddr + runs[nr - 1].size == runs[i].vaddr)
			runs[nr - 1].size += runs[i].size;
		else
			runs[nr++] = runs[i];
	}
	if (dma->dma_avail != UINT64_MAX && nr > dma->dma_avail) {
		dp_err(dma->ctx, "DMA map: %zu new mappings, but the IOMMU allows only %llu more (dma_entry_limit)",
		       nr, (unsigned long long)dma->dma_avail);
		r = -ENOSPC;
		goto out;
	}
	/* Each address space pins and charges it (pinned * spaces <= the limit holds). */
	if (dma->memlock_limit != UINT64_MAX && total > dma->memlock_limit / dma->spaces - dma->pinned) {
		dp_err(dma->ctx, "DMA map: pinning %llu KiB more would make %llu KiB, above RLIMIT_MEMLOCK (%llu KiB)%s%s; raise the limit to at least that",
		       (unsigned long long)(total * dma->spaces >> 10),
		       (unsigned long long)((dma->pinned + total) * dma->spaces >> 10),
		       (unsigned long long)(dma->memlock_limit >> 10),
		       dma->memlock_mode ? ", " : "", dma->memlock_mode ? dma->memlock_mode : "");
		r = -ENOMEM;
		goto out;
	}
	r = reserve(dma, nr);
	if (r < 0)
		goto out;
	for (done = 0; done < nr; done++) {
		dma->map_calls++;
		r = dma->ops->map(dma->opaque, runs[done].iova, runs[done].vaddr, runs[done].size);
		if (r < 0) {
			dp_err(dma->ctx, "DMA map [%#llx, %#llx]: the kernel refused: %s",
			       (unsigned long long)runs[done].iova,
			       (unsigned long long)(runs[done].iova + runs[done].size - 1), strerror(-r));
			break;
		}
		insert(dma, &runs[done]);
	}
	if (r < 0) { /* undo this call's mappings: nothing half-mapped */
		while (done-- > 0) {
			size_t i = first_after(dma, runs[done].iova);

			if (dma->ops->unmap(dma->opaque, runs[done].iova, runs[done].size) < 0)
				dp_err(dma->ctx, "DMA map rollback: cannot unmap IOVA %#llx",
				       (unsigned long long)runs[done].iova);
			remove_at(dma, i);
		}
	}
out:
	pthread_mutex_unlock(dma->lock);
	free(runs);
	return r;
}

int dp_dma_unmap_range(struct dp_dma *dma, uint64_t iova, uint64_t size)
{
	struct dp_dma_seg *cut = NULL, keep[2];
	size_t first, last, n, nk = 0, undone = 0;
	uint64_t end = iova + size, covered = 0;
	int r = 0;

	if (size == 0 || end < iova || ((iova | size) & (dma->page_size - 1))) {
		dp_err(dma->ctx, "DMA unmap of %#llx bytes at IOVA %#llx: empty, wrapping or unaligned",
		       (unsigned long long)size, (unsigned long long)iova);
		return -EINVAL;
	}
	pthread_mutex_lock(dma->lock);
	first = first_after(dma, iova);
	for (last = first; last < dma->n_maps && dma->maps[last].iova < end; last++) {
		const struct dp_dma_seg *m = &dma->maps[last];
		uint64_t lo = m->iova > iova ? m->iova : iova;
		uint64_t hi = m->iova + m->size < end ? m->iova + m->size : end;

		covered += hi - lo;
	}
	if (covered != size) {
		dp_err(dma->ctx, "DMA unmap [%#llx, %#llx]: not all of it is mapped",
		       (unsigned long long)iova, (unsigned long long)(end - 1));
		r = -ENOENT;
		goto out;
	}
	n = last - first;
	cut = malloc(n * sizeof(*cut));
	r = cut ? reserve(dma, 2) : -ENOMEM;
	if (r < 0)
		goto out;
	memcpy(cut, &dma->maps[first], n * sizeof(*cut));
	/* What survives at the edges of the first and last mapping. */
	if (cut[0].iova < iova)
		keep[nk++] = (struct dp_dma_seg){ cut[0].iova, cut[0].vaddr, iova - cut[0].iova };
	if (cut[n - 1].iova + cut[n - 1].size > end) {
		uint64_t off = end - cut[n - 1].iova;

		keep[nk++] = (struct dp_dma_seg){ end, cut[n - 1].vaddr + off, cut[n - 1].size - off };
	}
	for (undone = 0; undone < n; undone++) {
		r = dma->ops->unmap(dma->opaque, cut[undone].iova, cut[undone].size);
		if (r < 0) {
			dp_err(dma->ctx, "DMA unmap IOVA %#llx: the kernel refused: %s",
			       (unsigned long long)cut[undone].iova, strerror(-r));
			break;
		}
	}
	for (size_t k = 0; r == 0 && k < nk; k++) {
		dma->map_calls++;
		r = dma->ops->map(dma->opaque, keep[k].iova, keep[k].vaddr, keep[k].size);
		if (r < 0) {
			dp_err(dma->ctx, "DMA unmap: re-mapping the rest at IOVA %#llx failed: %s",
			       (unsigned long long)keep[k].iova, strerror(-r));
			while (k-- > 0)
				dma->ops->unmap(dma->opaque, keep[k].iova, keep[k].size);
		}
	}
	if (r < 0) { /* put back what was unmapped: the state is as before */
		for (size_t k = 0; k < undone; k++)
			if (dma->ops->map(dma->opaque, cut[k].iova, cut[k].vaddr, cut[k].size) < 0)
				dp_err(dma->ctx, "DMA unmap rollback: IOVA %#llx is lost",
				       (unsigned long long)cut[k].iova);
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		remove_at(dma, first);
	for (size_t k = 0; k < nk; k++)
		insert(dma, &keep[k]);
out:
	pthread_mutex_unlock(dma->lock);
	free(cut);
	return r;
}

int dp_dma_fini(struct dp_dma *dma)
{
	int first = 0;

	pthread_mutex_lock(dma->lock);
	while (dma->n_maps) {
		struct dp_dma_seg *m = &dma->maps[dma->n_maps - 1];
		int r = dma->ops->unmap(dma->opaque, m->iova, m->size);

		if (r < 0 && !first)
			first = r;
		remove_at(dma, dma->n_maps - 1);
	}
	pthread_mutex_unlock(dma->lock);
	pthread_mutex_destroy(dma->lock);
	free(dma->lock);
	dma->lock = NULL;
	free(dma->maps);
	free(dma->usable);
	dma->maps = NULL;
	dma->usable = NULL;
	return first;
}

bool dp_dma_overlaps(struct dp_dma *dma, uint64_t iova, uint64_t size)
{
	bool hit = false;

	if (size == 0)
		return false;
	pthread_mutex_lock(dma->lock);
	for (size_t i = 0; i < dma->n_maps && !hit; i++) {
		const struct dp_dma_seg *m = &dma->maps[i];

		hit = m->iova <= iova + (size - 1) && iova <= m->iova + (m->size - 1);
	}
	pthread_mutex_unlock(dma->lock);
	return hit;
}
