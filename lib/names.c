/* SPDX-License-Identifier: MIT */
/*
 * The words for the library's public constants, so that every program
 * prints the same ones: IOMMU kinds, host and device flags, VFIO region and
 * interrupt indexes, finding severities, what the host loses with a
 * function. The other sets keep their names
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
	{ DP_DEVICE_AF_FLR, "af-flr" },
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

/* What the host loses with a function (dp_device_get_host_use(3)), as directpath show --json spells it. */
static const struct dp_name host_use_flags[] = {
	{ DP_HOST_USE_USB_KEYBOARD, "usb-keyboard" },
	{ DP_HOST_USE_USB_HID, "usb-hid" },
	{ DP_HOST_USE_USB_STORAGE, "usb-storage" },
	{ DP_HOST_USE_MOUNTED, "mounted" },
	{ DP_HOST_USE_ROOT_FS, "root-fs" },
	{ DP_HOST_USE_BOOT_FS, "boot-fs" },
	{ DP_HOST_USE_DEFAULT_ROUTE, "default-route" },
	{ DP_HOST_USE_BOOT_VGA, "boot-vga" },
	{ DP_HOST_USE_CONSOLE, "console" },
};

static const struct dp_name host_unknowns[] = {
	{ DP_HOST_UNKNOWN_TREE, "tree" },
	{ DP_HOST_UNKNOWN_MOUNTS, "mounts" },
	{ DP_HOST_UNKNOWN_ROUTES, "routes" },
	{ DP_HOST_UNKNOWN_DISPLAY, "display" },
	{ DP_HOST_UNKNOWN_HOLDERS, "holders" },
};

static const struct dp_name host_item_kinds[] = {
	{ DP_HOST_ITEM_USB, "usb" },
	{ DP_HOST_ITEM_BLOCK, "block" },
	{ DP_HOST_ITEM_NET, "net" },
	{ DP_HOST_ITEM_FRAMEBUFFER, "framebuffer" },
};

static const struct dp_name host_usb_flags[] = {
	{ DP_HOST_USB_ROOT_HUB, "root-hub" },
	{ DP_HOST_USB_HUB, "hub" },
	{ DP_HOST_USB_HID, "hid" },
	{ DP_HOST_USB_KEYBOARD, "keyboard" },
	{ DP_HOST_USB_STORAGE, "storage" },
};

static const struct dp_name host_block_flags[] = {
	{ DP_HOST_BLOCK_PARTITION, "partition" },
	{ DP_HOST_BLOCK_HOLDER, "holder" },
	{ DP_HOST_BLOCK_MOUNTED, "mounted" },
	{ DP_HOST_BLOCK_ROOT, "root" },
	{ DP_HOST_BLOCK_BOOT, "boot" },
	{ DP_HOST_BLOCK_NO_DEV, "no-dev" },
};

static const struct dp_name host_net_flags[] = {
	{ DP_HOST_NET_DEFAULT_ROUTE, "default-route" },
};

static const struct dp_name rom_states[] = {
	{ DP_ROM_NONE, "none" },
	{ DP_ROM_VALID, "valid" },
	{ DP_ROM_MISSING, "missing" },
	{ DP_ROM_INVALID, "invalid" },
	{ DP_ROM_UNKNOWN, "unknown" },
};

static const struct dp_name plan_pages[] = {
	{ DP_PLAN_PAGE_4K, "4k" },
	{ DP_PLAN_PAGE_THP, "thp" },
	{ DP_PLAN_PAGE_HUGETLB, "hugetlbfs" },
};

static const struct dp_name plan_flags[] = {
	{ DP_PLAN_MEMLOCK_EXEMPT, "memlock-exempt" },
	{ DP_PLAN_COSTS_MEASURED, "costs-measured" },
};

static const struct dp_name reset_sources[] = {
	{ DP_RESET_SOURCE_KERNEL, "kernel" },
	{ DP_RESET_SOURCE_DERIVED, "derived" },
};

static const struct dp_name migration_states[] = {
	{ DP_MIGRATION_NOT_ASKED, "not-asked" },
	{ DP_MIGRATION_UNSUPPORTED, "unsupported" },
	{ DP_MIGRATION_SUPPORTED, "supported" },
	{ DP_MIGRATION_UNKNOWN, "unknown" },
};

static const struct dp_name backends[] = {
	{ DP_BACKEND_AUTO, "auto" },
	{ DP_BACKEND_TYPE1, "type1" },
	{ DP_BACKEND_IOMMUFD, "iommufd" },
};

static const struct dp_name handoff_fd_roles[] = {
	{ DP_HANDOFF_FD_CONTAINER, "container" },
	{ DP_HANDOFF_FD_GROUP, "group" },
	{ DP_HANDOFF_FD_IOMMUFD, "iommufd" },
	{ DP_HANDOFF_FD_DEVICE, "device" },
	{ DP_HANDOFF_FD_LEASE, "lease" },
};

static const struct dp_name vfio_driver_kinds[] = {
	{ DP_VFIO_DRIVER_NONE, "none" },
	{ DP_VFIO_DRIVER_HOST, "host" },
	{ DP_VFIO_DRIVER_VFIO_PCI, "vfio-pci" },
	{ DP_VFIO_DRIVER_VARIANT, "variant" },
	{ DP_VFIO_DRIVER_VENDOR, "vendor" },
};

static const struct dp_name migration_flags[] = {
	{ DP_MIGRATION_STOP_COPY, "stop-copy" },
	{ DP_MIGRATION_P2P, "p2p" },
	{ DP_MIGRATION_PRE_COPY, "pre-copy" },
	{ DP_MIGRATION_DIRTY_DEVICE, "dirty-device" },
	{ DP_MIGRATION_DIRTY_IOMMU, "dirty-iommu" },
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
DP_NAMES_PUBLIC(dp_host_use_flag, uint32_t, host_use_flags)
DP_NAMES_PUBLIC(dp_host_unknown, uint32_t, host_unknowns)
DP_NAMES_PUBLIC(dp_host_item_kind, uint32_t, host_item_kinds)
DP_NAMES_PUBLIC(dp_host_usb_flag, uint32_t, host_usb_flags)
DP_NAMES_PUBLIC(dp_host_block_flag, uint32_t, host_block_flags)
DP_NAMES_PUBLIC(dp_host_net_flag, uint32_t, host_net_flags)
DP_NAMES_PUBLIC(dp_reset_source, uint32_t, reset_sources)
DP_NAMES_PUBLIC(dp_migration_state, uint32_t, migration_states)
DP_NAMES_PUBLIC(dp_migration_flag, uint32_t, migration_flags)
DP_NAMES_PUBLIC(dp_rom_state, uint32_t, rom_states)
DP_NAMES_PUBLIC(dp_plan_page, uint32_t, plan_pages)
DP_NAMES_PUBLIC(dp_plan_flag, uint32_t, plan_flags)
DP_NAMES_PUBLIC(dp_vfio_driver_kind, uint32_t, vfio_driver_kinds)
DP_NAMES_PUBLIC(dp_backend, uint32_t, backends)
DP_NAMES_PUBLIC(dp_handoff_fd_role, uint32_t, handoff_fd_roles)
