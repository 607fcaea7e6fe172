/* SPDX-License-Identifier: MIT */
/*
 * An attachment's VFIO containers. dp_attach puts every group in one; a
 * group hot added later that the container cannot take (VFIO_GROUP_SET_CONTAINER
 * refuses a group behind another IOMMU) gets a container of its own, into
 * which every DMA mapping the attachment has is replayed. From then on each
 * map and unmap goes to every container: the guest's memory is one view,
 * whichever device does the DMA. type1 pins and charges RLIMIT_MEMLOCK once
 * per container, so the limit is checked against each container's share.
 */
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "vm.h"

static int fan_map(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct dp_attachment *att = opaque;
	int r = dp_vfio_dma_ops.map(&att->container, iova, vaddr, size);

	for (size_t i = 0; r == 0 && i < att->n_extra; i++) {
		r = dp_vfio_dma_ops.map(att->extra[i], iova, vaddr, size);
		if (r < 0) { /* all or nothing: the ones done so far, undone */
			while (i-- > 0)
				dp_vfio_dma_ops.unmap(att->extra[i], iova, size);
			dp_vfio_dma_ops.unmap(&att->container, iova, size);
		}
	}
	return r;
}

/* Every container's, the first error returned (each holds the same mappings). */
static int fan_unmap(void *opaque, uint64_t iova, uint64_t size)
{
	struct dp_attachment *att = opaque;
	int r = dp_vfio_dma_ops.unmap(&att->container, iova, size);

	for (size_t i = 0; i < att->n_extra; i++)
		r = dp_first_err(r, dp_vfio_dma_ops.unmap(att->extra[i], iova, size));
	return r;
}

const struct dp_dma_ops dp_attach_dma_ops = { fan_map, fan_unmap };

/* Maps what the attachment has mapped into c; all or nothing. The DMA lock is held. */
static int replay(struct dp_attachment *att, struct dp_vfio_container *c)
{
	struct dp_dma *dma = &att->dma;
	size_t done;
	int r = 0;

	if (dma->memlock_limit != UINT64_MAX &&
	    dma->pinned > dma->memlock_limit / (dma->spaces + 1)) {
		dp_err(att->ctx, "%s: a second IOMMU address space pins its %llu KiB of DMA mappings again, %llu KiB in all, above RLIMIT_MEMLOCK (%llu KiB); raise the limit to at least that",
		       att->vm->name, (unsigned long long)(dma->pinned >> 10),
		       (unsigned long long)(dma->pinned * (dma->spaces + 1) >> 10),
		       (unsigned long long)(dma->memlock_limit >> 10));
		return -ENOMEM;
	}
	for (done = 0; done < dma->n_maps; done++) {
		const struct dp_dma_seg *s = &dma->maps[done];

		r = dp_vfio_dma_ops.map(c, s->iova, s->vaddr, s->size);
		if (r < 0) {
			dp_err(att->ctx, "%s: replaying DMA mapping 0x%llx+0x%llx into the new container: %s",
			       att->vm->name, (unsigned long long)s->iova, (unsigned long long)s->size,
			       strerror(-r));
			break;
		}
	}
	if (r < 0)
		while (done-- > 0)
			dp_vfio_dma_ops.unmap(c, dma->maps[done].iova, dma->maps[done].size);
	return r;
}

int dp_attach_container_add(struct dp_attachment *att, int group_fd, int group, const char *bdf,
			    struct dp_vfio_container **out)
{
	struct dp_vfio_container *c, **extra;
	bool in;
	int r;

	if (att->n_extra >= DP_ATTACH_EXTRA_MAX) {
		dp_err(att->ctx, "%s: %s needs an IOMMU address space of its own, and the VM has %d already",
		       att->vm->name, bdf, DP_ATTACH_EXTRA_MAX + 1);
		return -E2BIG;
	}
	extra = realloc(att->extra, (att->n_extra + 1) * sizeof(*extra));
	if (!extra)
		return -ENOMEM;
	att->extra = extra;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = dp_vfio_container_open(att->ctx, c);
	if (r < 0) {
		free(c);
		return r;
	}
	r = dp_vfio_group_set_container(c, group_fd, group, bdf); /* the first: sets the IOMMU */
	in = r == 0;
	if (r == 0 && att->have_dma) {
		pthread_mutex_lock(att->dma.lock);
		r = replay(att, c);
		if (r == 0) { /* from now on every map and unmap reaches it too */
			att->extra[att->n_extra++] = c;
			att->dma.spaces++;
		}
		pthread_mutex_unlock(att->dma.lock);
	} else if (r == 0) {
		att->extra[att->n_extra++] = c;
	}
	if (r < 0) {
		if (in)
			dp_vfio_group_unset_container(att->ctx, group_fd, group);
		dp_vfio_container_close(c);
		free(c);
		return r;
	}
	dp_info(att->ctx, "%s: %s is in an IOMMU address space of its own, its %zu DMA mappings replayed",
		att->vm->name, bdf, att->have_dma ? att->dma.n_maps : (size_t)0);
	*out = c;
	return 0;
}

void dp_attach_container_drop(struct dp_attachment *att, struct dp_vfio_container *c)
{
	for (size_t i = 0; i < att->n_extra; i++) {
		if (att->extra[i] != c)
			continue;
		if (att->have_dma)
			pthread_mutex_lock(att->dma.lock);
		att->extra[i] = att->extra[--att->n_extra];
		if (att->have_dma) {
			att->dma.spaces--;
			pthread_mutex_unlock(att->dma.lock);
		}
		dp_vfio_container_close(c); /* the kernel unmaps and unpins what it held */
		free(c);
		return;
	}
}

void dp_attach_containers_close(struct dp_attachment *att)
{
	while (att->n_extra)
		dp_attach_container_drop(att, att->extra[att->n_extra - 1]);
	free(att->extra);
	att->extra = NULL;
}
