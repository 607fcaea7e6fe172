/* SPDX-License-Identifier: MIT */
/*
 * Host safety beyond the basic rules. An IOMMU group's reserved regions
 * (/sys/kernel/iommu_groups/N/reserved_regions, lib/resv.c): a direct
 * region is memory the firmware keeps using for DMA behind the OS (an
 * RMRR on Intel, an IVMD on AMD), which a VM's IOMMU domain cannot honour
 * safely; a relaxable one is what the kernel lets a VM drop (USB and
 * graphics RMRRs); msi and reserved regions are addresses the IOMMU never
 * translates, so guest RAM there cannot be a DMA target.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostsafety.h"
#include "inifile.h"
#include "resv.h"
#include "sysfs.h"

static int check_region(const struct dp_policy *p, const struct dp_vm *vm,
			const struct dp_device *dev, const struct dp_resv_region *g,
			struct dp_report *rep)
{
	unsigned long long s = (unsigned long long)g->start, e = (unsigned long long)g->end;
	const char *b = dev->bdf;
	int group = dev->info.iommu_group;
	uint64_t ram_start[2], ram_end[2];
	size_t n;
	int r = 0;

	switch (g->type) {
	case DP_RESV_DIRECT:
		if (p->rules[DP_RULE_DIRECT_REGIONS] == DP_ACTION_ALLOW)
			return 0;
		return dp_report_add(rep, DP_FINDING_DIRECT_REGION, dp_action_severity(p->rules[DP_RULE_DIRECT_REGIONS]), b,
				     "direct_regions",
				     "%s: IOMMU group %d has a direct-mapped region 0x%llx-0x%llx (an RMRR or IVMD: the firmware does DMA there behind the VM); turn that firmware feature off (legacy USB or the device's option ROM setting in the BIOS setup), or accept it with direct_regions = warn",
				     b, group, s, e);
	case DP_RESV_DIRECT_RELAXABLE:
		return dp_report_add(rep, DP_FINDING_RELAXABLE_REGION, DP_SEVERITY_WARNING, b, NULL,
				     "%s: IOMMU group %d has a relaxable direct region 0x%llx-0x%llx (a USB or graphics RMRR); the firmware's use of it, such as a boot-menu keyboard, stops while the VM has it",
				     b, group, s, e);
	case DP_RESV_MSI:
	case DP_RESV_RESERVED:
		n = dp_vm_ram_ranges(vm, ram_start, ram_end);
		for (size_t i = 0; i < n; i++) {
			if (ram_start[i] > g->end || g->start > ram_end[i])
				continue;
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_RESERVED_OVERLAP, DP_SEVERITY_ERROR, b, NULL,
							  "%s: guest RAM 0x%llx-0x%llx overlaps IOMMU group %d's %s region 0x%llx-0x%llx, where the device cannot do DMA; lower the VM's mmio_hole to 0x%llx or below",
							  b, (unsigned long long)ram_start[i], (unsigned long long)ram_end[i],
							  group, dp_resv_type_name(g->type), s, e,
							  (unsigned long long)(g->start & ~(DP_VM_MMIO_HOLE_ALIGN - 1))));
		}
		return r;
	}
	return 0;
}

int dp_check_reserved_regions(const struct dp_policy *p, const struct dp_vm *vm,
			      const struct dp_device *dev, struct dp_report *rep)
{
	struct dp_resv_region regions[DP_RESV_MAX];
	char path[PATH_MAX], why[160], *text = NULL;
	size_t len = 0, n = 0;
	int r;

	if (dev->info.iommu_group < 0)
		return 0;
	snprintf(path, sizeof(path), DP_SYS_IOMMU_GROUPS "/%d/reserved_regions", dev->info.iommu_group);
	r = dp_read_text_file(p->ctx, path, 64 * 1024, &text, &len);
	if (r == -ENOENT) /* kernels before 4.11 */
		return 0;
	if (r == 0) {
		r = dp_resv_parse(text, len, regions, DP_RESV_MAX, &n, why, sizeof(why));
		if (r < 0)
			dp_err(p->ctx, "%s: %s", path, why);
	}
	free(text);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return dp_report_add(rep, DP_FINDING_DIRECT_REGION, DP_SEVERITY_WARNING, dev->bdf, NULL,
				     "%s: IOMMU group %d's reserved regions could not be read (%s), so whether the firmware does DMA into it is unknown",
				     dev->bdf, dev->info.iommu_group, strerror(-r));
	r = 0;
	for (size_t i = 0; i < n; i++)
		r = dp_first_err(r, check_region(p, vm, dev, &regions[i], rep));
	return r;
}
