/* SPDX-License-Identifier: MIT */
/* directpath show: one function, all of it. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The group's members with their drivers; members the scan lacks show "-". */
static int group_member_driver(struct cli *cli, const char *bdf,
			       char *buf, size_t len)
{
	struct dp_device *m;
	int r = dp_ctx_find_device(cli->ctx, bdf, &m);

	if (r == -ENODEV) {
		snprintf(buf, len, "-");
		return 0;
	}
	if (r < 0) {
		err_msg("%s: cannot look it up: %s", bdf, strerror(-r));
		return r;
	}
	snprintf(buf, len, "%s", or_dash(dp_device_get_driver(m)));
	dp_device_unref(m);
	return 0;
}

static int show_json(struct cli *cli, const struct dp_device *dev,
		     const struct dp_device_info *info, const char *status)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = NULL, *x = NULL;
	const char *s;
	size_t gsize = dp_device_get_group_size(dev);
	bool lookup_failed = false;
	int e = 0;

	if (!o)
		return oom();
	e |= device_json_common(o, dev, info, status);
	e |= jadd_int(o, "domain", info->domain);
	e |= jadd_int(o, "bus", info->bus);
	e |= jadd_int(o, "slot", info->dev);
	e |= jadd_int(o, "function", info->func);
	e |= jadd_hex(o, "subsystem_vendor_id", 4, info->subsystem_vendor_id);
	e |= jadd_hex(o, "subsystem_id", 4, info->subsystem_id);
	e |= jadd_hex(o, "revision", 2, info->revision);
	e |= jadd_int(o, "header_type", info->header_type);
	e |= jadd_str(o, "class_name", class_name(info->class_code));
	e |= jadd_str(o, "driver_override", dp_device_get_driver_override(dev));
	e |= jadd_int_or_null(o, "numa_node", info->numa_node);
	e |= jadd_int(o, "config_size", info->config_size);
	e |= jadd_str(o, "physfn", dp_device_get_physfn(dev));

	a = json_object_new_array();
	for (int b = 0; a && b < 64; b++) {
		const char *name = dp_device_flag_name(UINT64_C(1) << b);

		if ((info->flags & (UINT64_C(1) << b)) && name)
			e |= jarray_add(a, json_object_new_string(name));
	}
	e |= jadd(o, "flags", a, false);
	e |= jadd_uint(o, "flags_unknown", unknown_flags(info->flags));

	/* The kernel's words, or null when it has no reset_method attribute. */
	s = dp_device_get_reset_methods(dev);
	if (s) {
		char *copy = strdup(s), *save = NULL;

		a = json_object_new_array();
		if (!copy || !a) {
			free(copy);
			json_object_put(a);
			a = NULL;
			e |= -1;
		} else {
			for (char *w = strtok_r(copy, " \t\n", &save); w;
			     w = strtok_r(NULL, " \t\n", &save))
				e |= jarray_add(a, json_object_new_string(w));
			free(copy);
			e |= jadd(o, "reset_methods", a, false);
		}
	} else {
		e |= jadd(o, "reset_methods", NULL, true);
	}

	a = json_object_new_array();
	for (size_t i = 0; a && i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		char drv[128];

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				dp_device_get_bdf(dev), i, gsize);
			lookup_failed = true;
			break;
		}
		if (group_member_driver(cli, m, drv, sizeof(drv)) < 0) {
			lookup_failed = true;
			break;
		}
		x = json_object_new_object();
		if (x) {
			e |= jadd_str(x, "bdf", m);
			e |= jadd_str(x, "driver", strcmp(drv, "-") ? drv : NULL);
		}
		e |= jarray_add(a, x);
	}
	e |= jadd(o, "iommu_group_members", a, false);

	a = json_object_new_array();
	for (int i = 0; a && i < 6; i++) {
		uint32_t f = info->bar_flags[i];

		if (!(f & DP_BAR_PRESENT))
			continue;
		x = json_object_new_object();
		if (x) {
			e |= jadd_int(x, "index", i);
			e |= jadd_str(x, "type", f & DP_BAR_IO ? "io" : "mem");
			e |= jadd_bool(x, "64bit", f & DP_BAR_MEM64);
			e |= jadd_bool(x, "prefetch", f & DP_BAR_PREFETCH);
			e |= jadd_uint(x, "size", info->bar_size[i]);
		}
		e |= jarray_add(a, x);
		if (f & DP_BAR_MEM64)
			i++; /* the upper half */
	}
	e |= jadd(o, "bars", a, false);
	if (info->flags & DP_DEVICE_ROM)
		e |= jadd_uint(o, "rom_size", info->rom_size);
	else
		e |= jadd(o, "rom_size", NULL, true);

	if (info->flags & DP_DEVICE_MSI) {
		x = json_object_new_object();
		if (x)
			e |= jadd_int(x, "vectors", info->msi_vectors);
		e |= jadd(o, "msi", x, false);
	} else {
		e |= jadd(o, "msi", NULL, true);
	}
	if (info->flags & DP_DEVICE_MSIX) {
		x = json_object_new_object();
		if (x) {
			e |= jadd_int(x, "table_size", info->msix_table_size);
			e |= jadd_int(x, "table_bar", info->msix_table_bir);
			e |= jadd_uint(x, "table_offset", info->msix_table_offset);
			e |= jadd_int(x, "pba_bar", info->msix_pba_bir);
			e |= jadd_uint(x, "pba_offset", info->msix_pba_offset);
		}
		e |= jadd(o, "msix", x, false);
	} else {
		e |= jadd(o, "msix", NULL, true);
	}
	if (info->flags & DP_DEVICE_SRIOV_PF) {
		x = json_object_new_object();
		if (x) {
			e |= jadd_uint(x, "num_vfs", info->sriov_num_vfs);
			e |= jadd_uint(x, "total_vfs", info->sriov_total_vfs);
		}
		e |= jadd(o, "sriov", x, false);
	} else {
		e |= jadd(o, "sriov", NULL, true);
	}

	if (e || lookup_failed) {
		json_object_put(o);
		return lookup_failed ? EXIT_USAGE : oom();
	}
	e = show_rom_json(dev, o);
	if (e == EXIT_OK)
		e = show_reset_json(cli, dev, o);
	if (e == EXIT_OK)
		e = show_vfio_json(cli, dev, o);
	if (e == EXIT_OK)
		e = show_host_use(cli, dev, o);
	if (e == EXIT_OK)
		e = show_policy(cli, dp_device_get_bdf(dev), o);
	if (e != EXIT_OK) {
		json_object_put(o);
		return e;
	}
	return json_print(o);
}

static int show_text(struct cli *cli, const struct dp_device *dev,
		     const struct dp_device_info *info, const char *status)
{
	const char *bdf = dp_device_get_bdf(dev);
	size_t gsize = dp_device_get_group_size(dev);
	uint64_t unknown = unknown_flags(info->flags);
	char label[256], size[32];
	bool any = false;

#define FIELD "  %-19s "
	printf("%s  %s\n", bdf, device_label(dev, info, label, sizeof(label)));
	printf(FIELD "%04x:%04x\n", "vendor:device", info->vendor_id,
	       info->device_id);
	printf(FIELD "%04x:%04x\n", "subsystem", info->subsystem_vendor_id,
	       info->subsystem_id);
	printf(FIELD "%06" PRIx32 " (%s)\n", "class", info->class_code,
	       class_name(info->class_code));
	printf(FIELD "%02x\n", "revision", info->revision);
	printf(FIELD "%u\n", "header type", info->header_type);
	printf(FIELD, "flags");
	for (int b = 0; b < 64; b++) {
		const char *name = dp_device_flag_name(UINT64_C(1) << b);

		if ((info->flags & (UINT64_C(1) << b)) && name) {
			printf("%s%s", any ? " " : "", name);
			any = true;
		}
	}
	if (unknown) {
		printf("%s0x%" PRIx64, any ? " " : "", unknown);
		any = true;
	}
	printf("%s\n", any ? "" : "-");
	printf(FIELD "%s\n", "driver", or_dash(dp_device_get_driver(dev)));
	printf(FIELD "%s\n", "driver override",
	       or_dash(dp_device_get_driver_override(dev)));
	printf(FIELD "%s\n", "marked", dp_device_is_marked(dev) ? "yes" : "no");
	if (show_vfio_text(cli, dev) != EXIT_OK)
		return EXIT_USAGE;
	if (show_quarantine(dev) < 0)
		return oom();
	printf(FIELD "%s (%s)\n", "status", status, status_meaning(status));
	if (info->iommu_group >= 0)
		printf(FIELD "%" PRId32 "\n", "IOMMU group", info->iommu_group);
	else
		printf(FIELD "-\n", "IOMMU group");
	for (size_t i = 0; i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		char drv[128];

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				bdf, i, gsize);
			return EXIT_USAGE;
		}
		if (group_member_driver(cli, m, drv, sizeof(drv)) < 0)
			return EXIT_USAGE;
		printf(FIELD "%s (%s)%s\n", i ? "" : "group members", m, drv,
		       strcmp(m, bdf) ? "" : " (this function)");
	}
	if (info->numa_node >= 0)
		printf(FIELD "%" PRId32 "\n", "NUMA node", info->numa_node);
	else
		printf(FIELD "-\n", "NUMA node");
	printf(FIELD "%s\n", "reset methods", reset_methods(dev));
	if (show_reset_text(cli, dev) != EXIT_OK)
		return EXIT_USAGE;
	printf(FIELD "%" PRIu32 " bytes\n", "config space", info->config_size);

	any = false;
	for (int i = 0; i < 6; i++) {
		uint32_t f = info->bar_flags[i];
		char name[8];

		if (!(f & DP_BAR_PRESENT))
			continue;
		snprintf(name, sizeof(name), "BAR%d", i);
		printf(FIELD "%s%s%s, %s\n", name, f & DP_BAR_IO ? "I/O" : "memory",
		       f & DP_BAR_MEM64 ? " 64-bit" : f & DP_BAR_IO ? "" : " 32-bit",
		       f & DP_BAR_PREFETCH ? " prefetchable" : "",
		       fmt_size(size, sizeof(size), info->bar_size[i]));
		any = true;
		if (f & DP_BAR_MEM64)
			i++; /* the upper half */
	}
	if (!any)
		printf(FIELD "-\n", "BARs");
	if (show_rom_text(dev) != EXIT_OK)
		return EXIT_USAGE;
	if (info->flags & DP_DEVICE_MSI)
		printf(FIELD "%u vector%s\n", "MSI", info->msi_vectors,
		       info->msi_vectors == 1 ? "" : "s");
	else
		printf(FIELD "-\n", "MSI");
	if (info->flags & DP_DEVICE_MSIX)
		printf(FIELD "%u entries, table BAR%u+0x%" PRIx32
		       ", PBA BAR%u+0x%" PRIx32 "\n", "MSI-X",
		       info->msix_table_size, info->msix_table_bir,
		       info->msix_table_offset, info->msix_pba_bir,
		       info->msix_pba_offset);
	else
		printf(FIELD "-\n", "MSI-X");
	if (info->flags & DP_DEVICE_SRIOV_PF)
		printf(FIELD "physical function, %" PRIu32 " of %" PRIu32
		       " VFs enabled\n", "SR-IOV", info->sriov_num_vfs,
		       info->sriov_total_vfs);
	else if (info->flags & DP_DEVICE_SRIOV_VF)
		printf(FIELD "virtual function of %s\n", "SR-IOV",
		       or_dash(dp_device_get_physfn(dev)));
	else
		printf(FIELD "-\n", "SR-IOV");
#undef FIELD
	if (show_host_use(cli, dev, NULL) != EXIT_OK)
		return EXIT_USAGE;
	return show_policy(cli, bdf, NULL);
}

int cmd_show(struct cli *cli, const char *bdf)
{
	struct dp_device *dev = NULL;
	struct dp_device_info info;
	struct dp_host_caps caps;
	const char *status;
	int r;

	r = find_device(cli, bdf, &dev);
	if (r != EXIT_OK)
		return r;
	r = get_info(dev, &info);
	if (r == EXIT_OK)
		r = get_caps(cli, &caps);
	if (r == EXIT_OK) {
		status = device_status(&info, dp_device_get_group_size(dev),
				       &caps);
		if (cli->opts & OPT_JSON)
			r = show_json(cli, dev, &info, status);
		else
			r = show_text(cli, dev, &info, status);
	}
	dp_device_unref(dev);
	return r;
}
