/* SPDX-License-Identifier: MIT */
/*
 * The words for the library's public constants, so that every program
 * prints the same ones: IOMMU kinds, host and device flags, VFIO region and
 * interrupt indexes, finding severities. The other sets keep their names
 * beside their code (features in vm.c, rules in policy.c, finding codes in
 * report.c, support levels in compat.c) and use the lookups below.
 */
#include <errno.h>
#include <string.h>

#include <directpath/directpath.h>

#include "names.h"

const char *dp_name_of(const struct dp_name *table, size_t n, uint64_t value)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

int dp_name_find(const struct dp_name *table, size_t n, const char *name, uint64_t *value)
{
	if (!name || !value)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct dp_name iommu_kinds[] = {
	{ DP_IOMMU_NONE, "none" },
	{ DP_IOMMU_INTEL, "intel" },
	{ DP_IOMMU_AMD, "amd" },
	{ DP_IOMMU_OTHER, "other" },
};

/* As directpath host --json spells them. */
static const struct dp_name host_flags[] = {
	{ DP_HOST_IOMMU, "iommu" },
	{ DP_HOST_IOMMU_GROUPS, "iommu_groups" },
	{ DP_HOST_IRQ_REMAP, "interrupt_remapping" },
	{ DP_HOST_UNSAFE_INTERRUPTS, "unsafe_interrupts" },
	{ DP_HOST_VFIO, "vfio" },
	{ DP_HOST_VFIO_PCI, "vfio_pci" },
	{ DP_HOST_VFIO_PCI_MODULE, "vfio_pci_module" },
	{ DP_HOST_KVM, "kvm" },
};

static const struct dp_name device_flags[] = {
	{ DP_DEVICE_BRIDGE, "bridge" },
	{ DP_DEVICE_HOST_BRIDGE, "host-bridge" },
	{ DP_DEVICE_BOOT_VGA, "boot-vga" },
	{ DP_DEVICE_MULTIFUNCTION, "multifunction" },
	{ DP_DEVICE_PCIE, "pcie" },
	{ DP_DEVICE_FLR, "flr" },
	{ DP_DEVICE_PM, "pm" },
	{ DP_DEVICE_PM_NO_SOFT_RESET, "pm-no-soft-reset" },
	{ DP_DEVICE_MSI, "msi" },
	{ DP_DEVICE_MSIX, "msix" },
	{ DP_DEVICE_ACS, "acs" },
	{ DP_DEVICE_SRIOV_PF, "sriov-pf" },
	{ DP_DEVICE_SRIOV_VF, "sriov-vf" },
	{ DP_DEVICE_ROM, "rom" },
	{ DP_DEVICE_MARKED, "marked" },
	{ DP_DEVICE_CONFIG_SHORT, "config-short" },
	{ DP_DEVICE_CONFIG_UNREADABLE, "config-unreadable" },
};

static const struct dp_name severities[] = {
	{ DP_SEVERITY_INFO, "info" },
	{ DP_SEVERITY_WARNING, "warning" },
	{ DP_SEVERITY_ERROR, "error" },
};

static const struct dp_name regions[] = {
	{ DP_REGION_BAR0, "bar0" },
	{ DP_REGION_BAR0 + 1, "bar1" },
	{ DP_REGION_BAR0 + 2, "bar2" },
	{ DP_REGION_BAR0 + 3, "bar3" },
	{ DP_REGION_BAR0 + 4, "bar4" },
	{ DP_REGION_BAR0 + 5, "bar5" },
	{ DP_REGION_ROM, "rom" },
	{ DP_REGION_CONFIG, "config" },
	{ DP_REGION_VGA, "vga" },
};

static const struct dp_name irqs[] = {
	{ DP_IRQ_INTX, "intx" },
	{ DP_IRQ_MSI, "msi" },
	{ DP_IRQ_MSIX, "msix" },
	{ DP_IRQ_ERR, "err" },
	{ DP_IRQ_REQ, "req" },
};

/* A name function and its inverse for a table of values of type T. */
#define DP_NAMES_PUBLIC(prefix, T, table)                                   \
	const char *prefix##_name(T value)                                  \
	{                                                                   \
		return dp_name_of(table, DP_NAMES_N(table), value);         \
	}                                                                   \
	int prefix##_from_name(const char *name, T *value)                 \
	{                                                                   \
		uint64_t v;                                                 \
		int r = value ? dp_name_find(table, DP_NAMES_N(table), name, &v) \
			      : -EINVAL;                                    \
		if (r == 0)                                                 \
			*value = (T)v;                                      \
		return r;                                                   \
	}

DP_NAMES_PUBLIC(dp_iommu_kind, uint32_t, iommu_kinds)
DP_NAMES_PUBLIC(dp_host_flag, uint32_t, host_flags)
DP_NAMES_PUBLIC(dp_device_flag, uint64_t, device_flags)
DP_NAMES_PUBLIC(dp_severity, uint32_t, severities)
DP_NAMES_PUBLIC(dp_region, uint32_t, regions)
DP_NAMES_PUBLIC(dp_irq, uint32_t, irqs)
