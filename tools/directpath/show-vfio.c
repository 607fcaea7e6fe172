/* SPDX-License-Identifier: MIT */
/*
 * directpath show and check: the function's driver as VFIO sees it (vfio-pci,
 * a variant, a vendor driver that registered it with VFIO, or a host driver),
 * whether the policy's vfio_drivers counts it as ready for passthrough, what
 * it offers and where VFIO opens it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct vfio_view {
	const char *driver;    /* NULL: unbound */
	const char *kind;
	const char *offers;
	bool ready;
	char vfio_dev[32];     /* "" none */
	char group[32];        /* /dev/vfio/N where VFIO opens it, "" not */
	char cdev[64];         /* /dev/vfio/devices/vfioN, "" none */
};

static void vfio_view(const struct dp_policy *policy, const struct dp_device *dev,
		      struct vfio_view *v)
{
	struct dp_device_info info = { .sz = sizeof(info) };
	uint32_t kind = dp_device_get_vfio_driver_kind(dev), major, minor;
	const char *node = dp_device_get_vfio_dev(dev);

	memset(v, 0, sizeof(*v));
	dp_device_get_info(dev, &info);
	v->driver = dp_device_get_driver(dev);
	v->kind = or_dash(dp_vfio_driver_kind_name(kind));
	v->ready = dp_policy_vfio_driver_ready(policy, dev) == 1;
	v->offers = kind == DP_VFIO_DRIVER_VFIO_PCI ? "the generic VFIO driver: regions, interrupts, reset"
		    : kind == DP_VFIO_DRIVER_VARIANT ? "vfio-pci's, and the vendor's device features, typically migration"
		    : kind == DP_VFIO_DRIVER_VENDOR ? "the vendor's VFIO device (as NVIDIA's vGPU)"
		    : kind == DP_VFIO_DRIVER_HOST ? "nothing to VFIO: the host uses the function"
						   : "nothing: no driver";
	if (node)
		snprintf(v->vfio_dev, sizeof(v->vfio_dev), "%s", node);
	if (kind >= DP_VFIO_DRIVER_VFIO_PCI && info.iommu_group >= 0)
		snprintf(v->group, sizeof(v->group), "/dev/vfio/%" PRId32, info.iommu_group);
	if (node && dp_device_get_vfio_devnum(dev, &major, &minor) == 0)
		snprintf(v->cdev, sizeof(v->cdev), "/dev/vfio/devices/%s", node);
}

static void print_view(const struct vfio_view *v, const char *prefix)
{
	printf("%s%s (%s, %s for passthrough): offers %s", prefix, or_dash(v->driver), v->kind,
	       v->ready ? "ready" : "not ready", v->offers);
	if (v->group[0] || v->cdev[0])
		printf("; opens through %s%s%s", v->group, v->group[0] && v->cdev[0] ? " and " : "",
		       v->cdev);
	printf("\n");
}

int show_vfio_text(struct cli *cli, const struct dp_device *dev)
{
	struct dp_policy *policy = NULL;
	struct vfio_view v;
	char field[32];
	int r = load_policy(cli, &policy);

	if (r != EXIT_OK)
		return r;
	vfio_view(policy, dev, &v);
	dp_policy_unref(policy);
	snprintf(field, sizeof(field), "  %-19s ", "VFIO driver"); /* show's FIELD */
	print_view(&v, field);
	printf("  %-19s %s%s\n", "VFIO device", v.vfio_dev[0] ? v.vfio_dev : "-",
	       v.vfio_dev[0] && !v.cdev[0] ? " (no cdev)" : "");
	return EXIT_OK;
}

int show_vfio_json(struct cli *cli, const struct dp_device *dev, struct json_object *o)
{
	struct dp_policy *policy = NULL;
	struct json_object *x;
	struct vfio_view v;
	int r = load_policy(cli, &policy), e = 0;

	if (r != EXIT_OK)
		return r;
	vfio_view(policy, dev, &v);
	dp_policy_unref(policy);
	x = json_object_new_object();
	if (!x)
		return oom();
	/* As check --json's devices[].vfio_driver, plus what it offers in words. */
	e |= jadd_str(x, "name", v.driver);
	e |= jadd_str(x, "kind", v.kind);
	e |= jadd_bool(x, "ready", v.ready);
	e |= jadd_str(x, "vfio_dev", v.vfio_dev[0] ? v.vfio_dev : NULL);
	e |= jadd_str(x, "group", v.group[0] ? v.group : NULL);
	e |= jadd_str(x, "cdev", v.cdev[0] ? v.cdev : NULL);
	e |= jadd_str(x, "offers", v.offers);
	if (e) {
		json_object_put(x);
		return oom();
	}
	return jadd(o, "vfio_driver", x, false) ? oom() : EXIT_OK;
}

/* The scan's function at bdf (normalised, as the report has it), borrowed; NULL: none. */
static const struct dp_device *scanned(struct cli *cli, const char *bdf)
{
	size_t n = dp_ctx_get_device_count(cli->ctx);

	for (size_t i = 0; i < n; i++) {
		const struct dp_device *d = dp_ctx_get_device(cli->ctx, i);

		if (d && strcmp(dp_device_get_bdf(d), bdf) == 0)
			return d;
	}
	return NULL;
}

void print_vfio_drivers(struct cli *cli, const struct dp_policy *policy,
			const struct dp_report *rep, size_t n)
{
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		const char *bdf = dp_report_get_device_bdf(rep, i);
		const struct dp_device *dev = bdf ? scanned(cli, bdf) : NULL;
		struct vfio_view v;
		char prefix[48];

		if (!dev)
			continue;
		if (!header)
			printf("Drivers (vfio_drivers = %s):\n", dp_policy_get_vfio_drivers(policy));
		header = true;
		vfio_view(policy, dev, &v);
		snprintf(prefix, sizeof(prefix), "  %s  ", bdf);
		print_view(&v, prefix);
	}
}
