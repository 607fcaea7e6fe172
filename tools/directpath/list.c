/* SPDX-License-Identifier: MIT */
/* directpath list: every PCI function, one line each. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct row {
	const char *bdf;
	char id[10];
	char class[8];
	const char *driver;
	char group[12];
	const char *marked;
	const char *status;
	char name[256];
};

static void print_rows(const struct row *rows, size_t n)
{
	static const struct row head = {
		.bdf = "BDF", .id = "ID", .class = "CLASS", .driver = "DRIVER",
		.group = "GROUP", .marked = "MARKED", .status = "STATUS",
		.name = "NAME",
	};
	int w_bdf = 3, w_id = 2, w_class = 5, w_drv = 6, w_grp = 5, w_mark = 6,
	    w_stat = 6;

#define WIDEN(w, s) do { int l_ = (int)strlen(s); if (l_ > (w)) (w) = l_; } while (0)
	for (size_t i = 0; i < n; i++) {
		WIDEN(w_bdf, rows[i].bdf);
		WIDEN(w_id, rows[i].id);
		WIDEN(w_class, rows[i].class);
		WIDEN(w_drv, rows[i].driver);
		WIDEN(w_grp, rows[i].group);
		WIDEN(w_mark, rows[i].marked);
		WIDEN(w_stat, rows[i].status);
	}
#undef WIDEN
	for (size_t i = 0; i <= n; i++) {
		const struct row *r = i == 0 ? &head : &rows[i - 1];

		printf("%-*s  %-*s  %-*s  %-*s  %*s  %-*s  %-*s  %s\n", w_bdf,
		       r->bdf, w_id, r->id, w_class, r->class, w_drv, r->driver,
		       w_grp, r->group, w_mark, r->marked, w_stat, r->status,
		       r->name);
	}
}

int cmd_list(struct cli *cli, const char *arg)
{
	struct json_object *arr = NULL;
	struct dp_host_caps caps;
	struct row *rows = NULL;
	size_t n;
	int r;

	(void)arg;
	r = scan(cli);
	if (r != EXIT_OK)
		return r;
	r = get_caps(cli, &caps);
	if (r != EXIT_OK)
		return r;
	n = dp_ctx_get_device_count(cli->ctx);
	if (cli->opts & OPT_JSON) {
		arr = json_object_new_array();
		if (!arr)
			return oom();
	} else {
		rows = calloc(n ? n : 1, sizeof(*rows));
		if (!rows)
			return oom();
	}

	for (size_t i = 0; i < n; i++) {
		struct dp_device *dev = dp_ctx_get_device(cli->ctx, i);
		struct dp_device_info info;
		const char *status;
		int q;

		if (!dev) {
			err_msg("device %zu of %zu vanished from the scan", i, n);
			r = EXIT_USAGE;
			goto out;
		}
		r = get_info(dev, &info);
		if (r != EXIT_OK)
			goto out;
		status = device_status(&info, dp_device_get_group_size(dev),
				       &caps);
		if (arr) {
			struct json_object *o = json_object_new_object();

			if (!o || device_json_common(o, dev, &info, status) ||
			    jarray_add(arr, o)) {
				json_object_put(o);
				r = oom();
				goto out;
			}
			continue;
		}
		rows[i].bdf = dp_device_get_bdf(dev);
		snprintf(rows[i].id, sizeof(rows[i].id), "%04x:%04x",
			 info.vendor_id, info.device_id);
		snprintf(rows[i].class, sizeof(rows[i].class), "%04x",
			 (unsigned)(info.class_code >> 8));
		rows[i].driver = or_dash(dp_device_get_driver(dev));
		if (info.iommu_group >= 0)
			snprintf(rows[i].group, sizeof(rows[i].group), "%" PRId32,
				 info.iommu_group);
		else
			snprintf(rows[i].group, sizeof(rows[i].group), "-");
		rows[i].marked = dp_device_is_marked(dev) ? "yes" : "no";
		q = dp_device_get_quarantine(dev, NULL);
		if (q == -ENOMEM) {
			r = oom();
			goto out;
		}
		if (q > 0) /* held on vfio-pci after a detach: see show */
			rows[i].marked = dp_device_is_marked(dev) ? "yes,quarantined" : "no,quarantined";
		rows[i].status = status;
		device_label(dev, &info, rows[i].name, sizeof(rows[i].name));
	}

	if (arr) {
		r = json_print(arr);
		arr = NULL;
	} else {
		print_rows(rows, n);
	}
out:
	json_object_put(arr);
	free(rows);
	return r;
}
