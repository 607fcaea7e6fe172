/* SPDX-License-Identifier: MIT */
/*
 * The public face of what the host loses with a function: dp_host_use, the
 * reference-counted result of hostuse.c's reader, and its items in one flat
 * list (USB devices, block devices, interfaces, framebuffers).
 */
#include <stddef.h>

#include "hostuse.h"
#include "inventory.h"
#include "opts.h"

int dp_device_get_host_use(const struct dp_device *dev, struct dp_host_use **out)
{
	if (!dev || dp_bug_on(dev->ctx, !out))
		return -EINVAL;
	return dp_host_use_read(dev->ctx, dev->bdf, NULL, out);
}

struct dp_host_use *dp_host_use_ref(struct dp_host_use *use)
{
	if (use)
		use->refcount++;
	return use;
}

struct dp_host_use *dp_host_use_unref(struct dp_host_use *use)
{
	if (use && --use->refcount == 0)
		dp_host_use_free(use);
	return NULL;
}

uint32_t dp_host_use_get_flags(const struct dp_host_use *use)
{
	return use ? use->flags : 0;
}

uint32_t dp_host_use_get_unknown(const struct dp_host_use *use)
{
	return use ? use->unknown : 0;
}

size_t dp_host_use_get_item_count(const struct dp_host_use *use)
{
	return use ? use->n_usb + use->n_block + use->n_net + use->display.n_fbs : 0;
}

int dp_host_use_get_item(const struct dp_host_use *use, size_t index, struct dp_host_use_item *item)
{
	struct dp_host_use_item it = { .sz = sizeof(it), .manufacturer = "", .product = "",
				       .below = "", .via = "" };

	if (!use || !item)
		return -EINVAL;
	if (index < use->n_usb) {
		const struct dp_host_usb *d = &use->usb[index];

		it.kind = DP_HOST_ITEM_USB;
		it.flags = d->flags;
		it.name = d->name;
		it.vendor_id = d->vendor;
		it.product_id = d->product;
		it.manufacturer = d->manufacturer;
		it.product = d->product_name;
	} else if ((index -= use->n_usb) < use->n_block) {
		const struct dp_host_block *b = &use->block[index];

		it.kind = DP_HOST_ITEM_BLOCK;
		it.flags = b->flags;
		it.name = b->name;
		it.below = b->below;
		it.sectors = b->sectors;
		it.mounts = (const char *const *)b->mounts;
		it.n_mounts = b->n_mounts < DP_HOST_USE_MOUNTS_MAX ? b->n_mounts : DP_HOST_USE_MOUNTS_MAX;
	} else if ((index -= use->n_block) < use->n_net) {
		const struct dp_host_net *n = &use->net[index];

		it.kind = DP_HOST_ITEM_NET;
		it.flags = n->default_route ? DP_HOST_NET_DEFAULT_ROUTE : 0;
		it.name = n->name;
		it.via = n->default_via;
	} else if ((index -= use->n_net) < use->display.n_fbs) {
		it.kind = DP_HOST_ITEM_FRAMEBUFFER;
		it.name = use->display.fbs[index];
	} else {
		return -ERANGE;
	}
	return dp_info_copy_out(item, offsetof(struct dp_host_use_item, n_mounts) + sizeof(it.n_mounts),
				&it, sizeof(it));
}
