/* SPDX-License-Identifier: MIT */
/*
 * directpath show: how the function resets under the policy, and what a
 * bus reset of it takes along (every function below the same bridge).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct reset_view {
	const char *list;      /* the function's own methods, the kernel's or derived */
	uint32_t source;       /* DP_RESET_SOURCE_* */
	const char *entry;     /* the policy's [device] entry for its IDs (in entry_buf), or NULL */
	char entry_buf[64];
	char used[64];         /* what the library has the kernel use, in order */
	int peers;             /* other functions that reset resets; 0: a function reset */
};

/* The policy's view of dev; EXIT_OK or EXIT_USAGE (said). */
static int reset_view(struct cli *cli, const struct dp_device *dev, struct reset_view *v)
{
	struct dp_device_info info = { .sz = sizeof(info) };
	struct dp_policy *policy = NULL;
	int r = load_policy(cli, &policy);

	if (r != EXIT_OK)
		return r;
	memset(v, 0, sizeof(*v));
	v->list = dp_device_get_reset_list(dev);
	v->source = dp_device_get_reset_source(dev);
	r = dp_device_get_info(dev, &info);
	if (r == 0) {
		const char *entry = dp_policy_get_reset_methods(policy, info.vendor_id,
								info.device_id);

		if (entry) { /* the policy's: copied, for it goes first */
			snprintf(v->entry_buf, sizeof(v->entry_buf), "%s", entry);
			v->entry = v->entry_buf;
		}
		r = dp_policy_get_device_reset(policy, dev, v->used, sizeof(v->used));
	}
	if (r >= 0)
		v->peers = r;
	else
		err_msg("%s: cannot work out its reset: %s", dp_device_get_bdf(dev), strerror(-r));
	dp_policy_unref(policy);
	return r < 0 ? EXIT_USAGE : EXIT_OK;
}

/* A peer's driver, through a lookup; NULL when unbound or unknown. */
static const char *peer_driver(struct cli *cli, const char *bdf, char *buf, size_t size)
{
	struct dp_device *m;
	const char *d;

	if (dp_ctx_find_device(cli->ctx, bdf, &m) < 0)
		return NULL;
	d = dp_device_get_driver(m);
	snprintf(buf, size, "%s", d ? d : "");
	dp_device_unref(m);
	return buf[0] ? buf : NULL;
}

int show_reset_text(struct cli *cli, const struct dp_device *dev)
{
	struct reset_view v;
	int r = reset_view(cli, dev, &v);

	if (r != EXIT_OK)
		return r;
	printf("  %-19s %s (%s)\n", "reset used", v.used[0] ? v.used : "none",
	       v.entry ? "the policy's entry for its IDs"
	       : v.source == DP_RESET_SOURCE_KERNEL ? "the kernel's reset_method"
						  : "derived from config space and the bus");
	for (int i = 0; i < v.peers; i++) {
		const char *p = dp_device_get_reset_peer(dev, (size_t)i);
		char drv[128];

		if (!p)
			break;
		printf("  %-19s %s (%s)\n", i ? "" : "reset also resets", p,
		       or_dash(peer_driver(cli, p, drv, sizeof(drv))));
	}
	return EXIT_OK;
}

int show_reset_json(struct cli *cli, const struct dp_device *dev, struct json_object *o)
{
	struct json_object *x, *methods, *used, *peers;
	struct reset_view v;
	int e = 0, r = reset_view(cli, dev, &v);

	if (r != EXIT_OK)
		return r;
	x = json_object_new_object();
	methods = json_object_new_array();
	used = json_object_new_array();
	peers = json_object_new_array();
	if (!x || !methods || !used || !peers) {
		json_object_put(x);
		json_object_put(methods);
		json_object_put(used);
		json_object_put(peers);
		return oom();
	}
	for (int pass = 0; pass < 2; pass++) {
		char copy[64], *save = NULL;

		snprintf(copy, sizeof(copy), "%s", pass ? v.used : v.list);
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			e |= jarray_add(pass ? used : methods, json_object_new_string(w));
	}
	for (int i = 0; i < v.peers; i++) {
		const char *p = dp_device_get_reset_peer(dev, (size_t)i);
		struct json_object *po = p ? json_object_new_object() : NULL;
		char drv[128];

		if (!p)
			break;
		if (po) {
			e |= jadd_str(po, "bdf", p);
			e |= jadd_str(po, "driver", peer_driver(cli, p, drv, sizeof(drv)));
		}
		e |= jarray_add(peers, po);
	}
	e |= jadd(x, "methods", methods, false);
	e |= jadd_str(x, "source", dp_reset_source_name(v.source));
	e |= jadd_str(x, "policy", v.entry);
	e |= jadd(x, "used", used, false);
	e |= jadd(x, "also_resets", peers, false);
	e |= jadd(o, "reset", x, false);
	return e ? oom() : EXIT_OK;
}
