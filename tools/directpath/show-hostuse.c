/* SPDX-License-Identifier: MIT */
/*
 * directpath show: what the host loses with the function (dp_host_use):
 * USB devices, block devices with their mount points, interfaces with the
 * default route, framebuffers, boot VGA and the console, and what could not
 * be read whole; printed, or added to show's JSON as "host_use".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"

#include "cli.h"

/* A flag set's name function (dp_host_use_flag_name and the like). */
typedef const char *(*flag_name_fn)(uint32_t flag);

/* The names of the bits of flags, as an array under key; bits without a name are left out. */
static int flags_json(struct json_object *o, const char *key, flag_name_fn name, uint32_t flags)
{
	struct json_object *a = json_object_new_array();
	int e = 0;

	for (int b = 0; a && b < 32; b++)
		if ((flags & (1u << b)) && name(1u << b))
			e |= jarray_add(a, json_object_new_string(name(1u << b)));
	return e | jadd(o, key, a, false);
}

/* "hid, keyboard" into buf, "" when none. */
static const char *flags_text(char *buf, size_t size, flag_name_fn name, uint32_t flags)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int b = 0; b < 32; b++)
		if ((flags & (1u << b)) && name(1u << b) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name(1u << b));
	return buf;
}

static struct json_object *item_json(const struct dp_host_use_item *it)
{
	struct json_object *o = json_object_new_object(), *a;
	int e = 0;

	if (!o)
		return NULL;
	e |= jadd_str(o, "name", it->name);
	switch (it->kind) {
	case DP_HOST_ITEM_USB:
		e |= jadd_hex(o, "vendor_id", 4, it->vendor_id);
		e |= jadd_hex(o, "product_id", 4, it->product_id);
		e |= jadd_str(o, "manufacturer", *it->manufacturer ? it->manufacturer : NULL);
		e |= jadd_str(o, "product", *it->product ? it->product : NULL);
		e |= flags_json(o, "flags", dp_host_usb_flag_name, it->flags);
		break;
	case DP_HOST_ITEM_BLOCK:
		e |= jadd_str(o, "below", *it->below ? it->below : NULL);
		e |= jadd_uint(o, "size", it->sectors * 512);
		a = json_object_new_array();
		for (size_t i = 0; a && i < it->n_mounts; i++)
			e |= jarray_add(a, json_object_new_string(it->mounts[i]));
		e |= jadd(o, "mounts", a, false);
		e |= flags_json(o, "flags", dp_host_block_flag_name, it->flags);
		break;
	case DP_HOST_ITEM_NET:
		e |= jadd_bool(o, "default_route", it->flags & DP_HOST_NET_DEFAULT_ROUTE);
		e |= jadd_str(o, "via", *it->via ? it->via : NULL);
		break;
	default:
		break;
	}
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int host_use_json(struct dp_host_use *use, struct json_object *json)
{
	static const char *const keys[] = { NULL, "usb", "block", "net", "framebuffers" };
	struct json_object *o = json_object_new_object(), *lists[5] = { NULL };
	uint32_t flags = dp_host_use_get_flags(use);
	int e = 0;

	if (!o)
		return oom();
	for (size_t k = 1; k < 5; k++)
		if (!(lists[k] = json_object_new_array()))
			e |= -1;
	for (size_t i = 0; !e && i < dp_host_use_get_item_count(use); i++) {
		struct dp_host_use_item it = { .sz = sizeof(it) };

		if (dp_host_use_get_item(use, i, &it) < 0 || it.kind < 1 || it.kind > 4) {
			e |= -1;
			break;
		}
		e |= jarray_add(lists[it.kind], it.kind == DP_HOST_ITEM_FRAMEBUFFER
				? json_object_new_string(it.name) : item_json(&it));
	}
	e |= flags_json(o, "flags", dp_host_use_flag_name, flags);
	e |= flags_json(o, "unknown", dp_host_unknown_name, dp_host_use_get_unknown(use));
	for (size_t k = 1; k < 5; k++) {
		e |= jadd(o, keys[k], lists[k], false); /* frees it on failure */
		lists[k] = NULL;
	}
	e |= jadd_bool(o, "boot_vga", flags & DP_HOST_USE_BOOT_VGA);
	e |= jadd_bool(o, "console", flags & DP_HOST_USE_CONSOLE);
	e |= jadd(json, "host_use", o, false);
	return e ? oom() : EXIT_OK;
}

#define FIELD "  %-19s "

static void item_text(const struct dp_host_use_item *it, bool first)
{
	char fl[128], q1[DP_QUOTE_SIZE(64)], q2[DP_QUOTE_SIZE(64)];

	printf(FIELD, first ? "host use" : "");
	switch (it->kind) {
	case DP_HOST_ITEM_USB:
		printf("USB %s %04" PRIx32 ":%04" PRIx32, it->name, it->vendor_id, it->product_id);
		if (*it->manufacturer || *it->product)
			printf(" \"%s%s%s\"", dp_quote(q1, sizeof(q1), it->manufacturer),
			       *it->manufacturer && *it->product ? " " : "",
			       dp_quote(q2, sizeof(q2), it->product));
		break;
	case DP_HOST_ITEM_BLOCK:
		printf("block %s", it->name);
		if (*it->below)
			printf(" (%s %s)", it->flags & DP_HOST_BLOCK_HOLDER ? "over" : "partition of", it->below);
		for (size_t i = 0; i < it->n_mounts; i++)
			printf("%s%s", i ? ", " : " mounted on ", dp_quote(q1, sizeof(q1), it->mounts[i]));
		break;
	case DP_HOST_ITEM_NET:
		printf("interface %s", it->name);
		if (it->flags & DP_HOST_NET_DEFAULT_ROUTE)
			printf(" carries the default route%s%s", *it->via ? " through " : "", it->via);
		printf("\n");
		return;
	default:
		printf("framebuffer %s\n", it->name);
		return;
	}
	/* A partition's or holder's kind is in its "(partition of sda)" already. */
	flags_text(fl, sizeof(fl), it->kind == DP_HOST_ITEM_USB ? dp_host_usb_flag_name : dp_host_block_flag_name,
		   it->kind == DP_HOST_ITEM_USB ? it->flags
		   : it->flags & ~(DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_HOLDER));
	printf("%s%s%s\n", *fl ? " (" : "", fl, *fl ? ")" : "");
}

static int host_use_text(struct dp_host_use *use)
{
	uint32_t flags = dp_host_use_get_flags(use), unknown = dp_host_use_get_unknown(use);
	size_t n = dp_host_use_get_item_count(use);
	bool first = true;
	char buf[160];

	for (size_t i = 0; i < n; i++) {
		struct dp_host_use_item it = { .sz = sizeof(it) };

		if (dp_host_use_get_item(use, i, &it) < 0)
			return oom();
		item_text(&it, first);
		first = false;
	}
	if (flags & (DP_HOST_USE_BOOT_VGA | DP_HOST_USE_CONSOLE)) {
		printf(FIELD "%s%s%s\n", first ? "host use" : "", flags & DP_HOST_USE_BOOT_VGA ? "boot VGA" : "",
		       (flags & DP_HOST_USE_BOOT_VGA) && (flags & DP_HOST_USE_CONSOLE) ? ", " : "",
		       flags & DP_HOST_USE_CONSOLE ? "the framebuffer console is bound to it" : "");
		first = false;
	}
	if (first)
		printf(FIELD "-\n", "host use");
	if (unknown)
		printf(FIELD "not read whole: %s\n", "", flags_text(buf, sizeof(buf), dp_host_unknown_name, unknown));
	return EXIT_OK;
}

#undef FIELD

int show_host_use(struct cli *cli, const struct dp_device *dev, struct json_object *json)
{
	struct dp_host_use *use = NULL;
	unsigned errors = cli->lib_errors;
	int r = dp_device_get_host_use(dev, &use);

	if (r < 0) {
		if (r == -ENOMEM)
			return oom();
		if (!lib_said(cli, errors))
			err_msg("%s: cannot read what hangs below it: %s", dp_device_get_bdf(dev),
				strerror(-r));
		return EXIT_USAGE;
	}
	r = json ? host_use_json(use, json) : host_use_text(use);
	dp_host_use_unref(use);
	return r;
}
