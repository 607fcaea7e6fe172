/* SPDX-License-Identifier: MIT */
/*
 * The VFIO driver in the report: finding 42 (vfio-driver) for a device on a
 * VFIO driver other than vfio-pci, what it offers and where VFIO opens it;
 * 43 (vfio-driver-not-listed) for one on a VFIO driver vfio_drivers does
 * not list; and the "vfio_driver" object of each "devices" entry.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policycheck.h"
#include "report.h"
#include "vfiodriver.h"

#define VFIO_CDEV_FMT "/dev/vfio/devices/%s"

static int record(struct dp_report *rep, const struct dp_device *dev, bool ready)
{
	struct dp_report_vfio *e;
	void *p;

	for (size_t i = 0; i < rep->n_vfio; i++)
		if (strcmp(rep->vfio[i].bdf, dev->bdf) == 0)
			return 0; /* a request's candidates pass the rules more than once */
	p = realloc(rep->vfio, (rep->n_vfio + 1) * sizeof(*rep->vfio));
	if (!p)
		return -ENOMEM;
	rep->vfio = p;
	e = &rep->vfio[rep->n_vfio++];
	memset(e, 0, sizeof(*e));
	snprintf(e->bdf, sizeof(e->bdf), "%s", dev->bdf);
	snprintf(e->driver, sizeof(e->driver), "%s", dev->driver ? dev->driver : "");
	e->kind = dp_vfio_driver_kind(dev);
	e->ready = ready;
	snprintf(e->vfio_dev, sizeof(e->vfio_dev), "%s", dev->vfio_dev);
	e->cdev = dev->vfio_cdev;
	e->group = dev->info.iommu_group;
	return 0;
}

/* "the group /dev/vfio/7 and the cdev /dev/vfio/devices/vfio0", or what it lacks. */
static void where(const struct dp_device *dev, char *buf, size_t size)
{
	char group[32] = "", cdev[48] = "";

	if (dev->info.iommu_group >= 0)
		snprintf(group, sizeof(group), DP_DEV_VFIO_GROUP_FMT, dev->info.iommu_group);
	if (dev->vfio_cdev)
		snprintf(cdev, sizeof(cdev), VFIO_CDEV_FMT, dev->vfio_dev);
	if (group[0] && cdev[0])
		snprintf(buf, size, "the group %s and the cdev %s (iommufd)", group, cdev);
	else if (group[0])
		snprintf(buf, size, "the group %s (no VFIO cdev: Linux 6.6+ with CONFIG_VFIO_DEVICE_CDEV has one)",
			 group);
	else if (cdev[0])
		snprintf(buf, size, "the cdev %s alone (in no IOMMU group)", cdev);
	else
		snprintf(buf, size, "neither a group nor a cdev");
}

int dp_check_vfio_driver(const struct dp_policy *p, const struct dp_device *dev,
			 struct dp_report *rep)
{
	uint32_t kind = dp_vfio_driver_kind(dev);
	bool ready = dp_vfio_driver_ready(p, dev);
	const char *b = dev->bdf;
	char at[160];
	int r = record(rep, dev, ready);

	if (r < 0 || kind == DP_VFIO_DRIVER_NONE || kind == DP_VFIO_DRIVER_HOST)
		return r; /* not-marked and not-bound speak of those */
	where(dev, at, sizeof(at));
	if (!ready)
		return dp_report_add(rep, DP_FINDING_VFIO_DRIVER_NOT_LISTED, DP_SEVERITY_ERROR, b, DP_VFIO_DRIVERS_KEY,
				     "%s: on %s, %s, which vfio_drivers (%s) does not count as ready for passthrough; add %s%s to vfio_drivers in the policy, or bind it to a driver the list names",
				     b, dev->driver,
				     kind == DP_VFIO_DRIVER_VFIO_PCI ? "the generic VFIO driver"
				     : kind == DP_VFIO_DRIVER_VARIANT ? "a vfio-pci variant driver"
				     : "a driver that registered it with VFIO",
				     p->vfio_drivers.text, dev->driver,
				     kind == DP_VFIO_DRIVER_VENDOR ? ":" DP_VFIO_DEV_CONDITION : "");
	if (kind == DP_VFIO_DRIVER_VFIO_PCI)
		return 0; /* what every check before 0.13 expected: nothing to say */
	return dp_report_add(rep, DP_FINDING_VFIO_DRIVER, DP_SEVERITY_INFO, b, DP_VFIO_DRIVERS_KEY,
			     "%s: on %s, %s (vfio_drivers lists it); VFIO opens it through %s",
			     b, dev->driver,
			     kind == DP_VFIO_DRIVER_VARIANT
			     ? "a vfio-pci variant driver, which adds the vendor's device features, typically migration (the migration answer says which)"
			     : "a vendor driver that registered it with VFIO itself (as NVIDIA's vGPU does), whose features are the vendor's",
			     at);
}

/* A string, or JSON null. */
static int put_opt(struct json_object *o, const char *key, const char *s)
{
	if (!s)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return dp_report_json_put(o, key, json_object_new_string(s));
}

int dp_report_vfio_json(const struct dp_report *report, const char *bdf, void *obj)
{
	const struct dp_report_vfio *e = NULL;
	struct json_object *o;
	char group[32], cdev[48];
	int r = 0;

	for (size_t i = 0; !e && i < report->n_vfio; i++)
		if (strcmp(report->vfio[i].bdf, bdf) == 0)
			e = &report->vfio[i];
	if (!e)
		return 0; /* not checked: a device the check stopped short of */
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	snprintf(group, sizeof(group), DP_DEV_VFIO_GROUP_FMT, e->group);
	snprintf(cdev, sizeof(cdev), VFIO_CDEV_FMT, e->vfio_dev);
	r = dp_first_err(r, put_opt(o, "name", e->driver[0] ? e->driver : NULL));
	r = dp_first_err(r, put_opt(o, "kind", dp_vfio_driver_kind_name(e->kind)));
	r = dp_first_err(r, dp_report_json_put(o, "ready", json_object_new_boolean(e->ready)));
	r = dp_first_err(r, put_opt(o, "vfio_dev", e->vfio_dev[0] ? e->vfio_dev : NULL));
	/* Where VFIO opens it: only a VFIO driver's device opens at all. */
	r = dp_first_err(r, put_opt(o, "group", e->group >= 0 && e->kind >= DP_VFIO_DRIVER_VFIO_PCI ? group : NULL));
	r = dp_first_err(r, put_opt(o, "cdev", e->cdev ? cdev : NULL));
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	return dp_report_json_put(obj, "vfio_driver", o);
}
