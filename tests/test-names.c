/* SPDX-License-Identifier: MIT */
/*
 * Every public constant set a program prints has its names in the library:
 * each constant has one, names are unique within their set, and they
 * round-trip where a _from_name exists. The constants are listed here from
 * the header; the first value past each set must have no name, so a
 * constant added without a name, or a name without a constant, fails.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include <directpath/directpath.h>

#include "testrun.h"

/* Names of one set: each non-NULL, none the same as another. */
static void assert_distinct(const char *const *names, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(names[i] && *names[i], "%s: value %zu has no name", set, i);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(names[i], names[j]) != 0, "%s: \"%s\" twice", set,
				      names[i]);
	}
}

/* The _from_name forms share a contract: 0 and the value, or -EINVAL and nothing written. */
#define ROUND_TRIP(set, T, values)                                                   \
	do {                                                                         \
		const char *names_[sizeof(values) / sizeof((values)[0])];           \
		size_t n_ = sizeof(values) / sizeof((values)[0]);                   \
		T out_;                                                             \
		for (size_t i_ = 0; i_ < n_; i_++) {                                \
			names_[i_] = dp_##set##_name((values)[i_]);                 \
			ck_assert_ptr_nonnull(names_[i_]);                          \
			out_ = (T)~(values)[i_];                                    \
			ck_assert_int_eq(dp_##set##_from_name(names_[i_], &out_), 0); \
			ck_assert_msg(out_ == (values)[i_], #set ": \"%s\" came back as %llu", \
				      names_[i_], (unsigned long long)out_);        \
		}                                                                   \
		assert_distinct(names_, n_, #set);                                  \
		out_ = (T)42;                                                       \
		ck_assert_int_eq(dp_##set##_from_name("no-such-name", &out_), -EINVAL); \
		ck_assert_int_eq(dp_##set##_from_name("", &out_), -EINVAL);        \
		ck_assert_int_eq(dp_##set##_from_name(NULL, &out_), -EINVAL);      \
		ck_assert_int_eq(dp_##set##_from_name(names_[0], NULL), -EINVAL);  \
		ck_assert_msg(out_ == (T)42, #set ": a failed lookup wrote its output"); \
	} while (0)

START_TEST(iommu_kinds)
{
	static const uint32_t kinds[] = { DP_IOMMU_NONE, DP_IOMMU_INTEL, DP_IOMMU_AMD,
					  DP_IOMMU_OTHER };

	ROUND_TRIP(iommu_kind, uint32_t, kinds);
	ck_assert_str_eq(dp_iommu_kind_name(DP_IOMMU_INTEL), "intel");
	ck_assert_ptr_null(dp_iommu_kind_name(DP_IOMMU_OTHER + 1));
}
END_TEST

START_TEST(host_flags)
{
	static const uint32_t flags[] = {
		DP_HOST_IOMMU, DP_HOST_IOMMU_GROUPS, DP_HOST_IRQ_REMAP,
		DP_HOST_UNSAFE_INTERRUPTS, DP_HOST_VFIO, DP_HOST_VFIO_PCI,
		DP_HOST_VFIO_PCI_MODULE, DP_HOST_KVM,
	};

	ROUND_TRIP(host_flag, uint32_t, flags);
	ck_assert_str_eq(dp_host_flag_name(DP_HOST_IRQ_REMAP), "interrupt_remapping");
	ck_assert_ptr_null(dp_host_flag_name(0));
	ck_assert_ptr_null(dp_host_flag_name(DP_HOST_IOMMU | DP_HOST_KVM));
	ck_assert_ptr_null(dp_host_flag_name(DP_HOST_KVM << 1));
}
END_TEST

START_TEST(device_flags)
{
	static const uint64_t flags[] = {
		DP_DEVICE_BRIDGE, DP_DEVICE_HOST_BRIDGE, DP_DEVICE_BOOT_VGA,
		DP_DEVICE_MULTIFUNCTION, DP_DEVICE_PCIE, DP_DEVICE_FLR, DP_DEVICE_PM,
		DP_DEVICE_PM_NO_SOFT_RESET, DP_DEVICE_MSI, DP_DEVICE_MSIX, DP_DEVICE_ACS,
		DP_DEVICE_SRIOV_PF, DP_DEVICE_SRIOV_VF, DP_DEVICE_ROM, DP_DEVICE_MARKED,
		DP_DEVICE_CONFIG_SHORT, DP_DEVICE_CONFIG_UNREADABLE, DP_DEVICE_AF_FLR,
	};

	ROUND_TRIP(device_flag, uint64_t, flags);
	ck_assert_str_eq(dp_device_flag_name(DP_DEVICE_HOST_BRIDGE), "host-bridge");
	ck_assert_ptr_null(dp_device_flag_name(0));
	ck_assert_ptr_null(dp_device_flag_name(DP_DEVICE_MSI | DP_DEVICE_MSIX));
	ck_assert_ptr_null(dp_device_flag_name(DP_DEVICE_AF_FLR << 1));
	ck_assert_ptr_null(dp_device_flag_name(UINT64_C(1) << 63));
}
END_TEST

START_TEST(severities)
{
	static const uint32_t sev[] = { DP_SEVERITY_INFO, DP_SEVERITY_WARNING,
					DP_SEVERITY_ERROR };

	ROUND_TRIP(severity, uint32_t, sev);
	ck_assert_str_eq(dp_severity_name(DP_SEVERITY_ERROR), "error");
	ck_assert_ptr_null(dp_severity_name(DP_SEVERITY_ERROR + 1));
}
END_TEST

START_TEST(regions_and_irqs)
{
	static const uint32_t regions[] = {
		DP_REGION_BAR0, DP_REGION_BAR0 + 1, DP_REGION_BAR0 + 2, DP_REGION_BAR0 + 3,
		DP_REGION_BAR0 + 4, DP_REGION_BAR0 + 5, DP_REGION_ROM, DP_REGION_CONFIG,
		DP_REGION_VGA,
	};
	static const uint32_t irqs[] = { DP_IRQ_INTX, DP_IRQ_MSI, DP_IRQ_MSIX, DP_IRQ_ERR,
					 DP_IRQ_REQ };

	ROUND_TRIP(region, uint32_t, regions);
	ROUND_TRIP(irq, uint32_t, irqs);
	ck_assert_str_eq(dp_region_name(DP_REGION_BAR0 + 2), "bar2");
	ck_assert_str_eq(dp_irq_name(DP_IRQ_MSIX), "msix");
	ck_assert_ptr_null(dp_region_name(DP_REGION_VGA + 1));
	ck_assert_ptr_null(dp_irq_name(DP_IRQ_REQ + 1));
}
END_TEST

/* Each set's bits, lowest first: every one named, the next bit not. */
START_TEST(host_use)
{
	static const uint32_t use[] = {
		DP_HOST_USE_USB_KEYBOARD, DP_HOST_USE_USB_HID, DP_HOST_USE_USB_STORAGE,
		DP_HOST_USE_MOUNTED, DP_HOST_USE_ROOT_FS, DP_HOST_USE_BOOT_FS,
		DP_HOST_USE_DEFAULT_ROUTE, DP_HOST_USE_BOOT_VGA, DP_HOST_USE_CONSOLE,
	};
	static const uint32_t unknown[] = {
		DP_HOST_UNKNOWN_TREE, DP_HOST_UNKNOWN_MOUNTS, DP_HOST_UNKNOWN_ROUTES,
		DP_HOST_UNKNOWN_DISPLAY, DP_HOST_UNKNOWN_HOLDERS,
	};
	static const uint32_t kinds[] = { DP_HOST_ITEM_USB, DP_HOST_ITEM_BLOCK, DP_HOST_ITEM_NET,
					  DP_HOST_ITEM_FRAMEBUFFER };
	static const uint32_t usb[] = { DP_HOST_USB_ROOT_HUB, DP_HOST_USB_HUB, DP_HOST_USB_HID,
					DP_HOST_USB_KEYBOARD, DP_HOST_USB_STORAGE };
	static const uint32_t block[] = { DP_HOST_BLOCK_PARTITION, DP_HOST_BLOCK_HOLDER,
					  DP_HOST_BLOCK_MOUNTED, DP_HOST_BLOCK_ROOT,
					  DP_HOST_BLOCK_BOOT, DP_HOST_BLOCK_NO_DEV };
	static const uint32_t net[] = { DP_HOST_NET_DEFAULT_ROUTE };

	ROUND_TRIP(host_use_flag, uint32_t, use);
	ROUND_TRIP(host_unknown, uint32_t, unknown);
	ROUND_TRIP(host_item_kind, uint32_t, kinds);
	ROUND_TRIP(host_usb_flag, uint32_t, usb);
	ROUND_TRIP(host_block_flag, uint32_t, block);
	ROUND_TRIP(host_net_flag, uint32_t, net);
	ck_assert_ptr_null(dp_host_use_flag_name(DP_HOST_USE_CONSOLE << 1));
	ck_assert_ptr_null(dp_host_unknown_name(DP_HOST_UNKNOWN_HOLDERS << 1));
	ck_assert_ptr_null(dp_host_item_kind_name(0));
	ck_assert_ptr_null(dp_host_item_kind_name(DP_HOST_ITEM_FRAMEBUFFER + 1));
	ck_assert_ptr_null(dp_host_usb_flag_name(DP_HOST_USB_STORAGE << 1));
	ck_assert_ptr_null(dp_host_block_flag_name(DP_HOST_BLOCK_NO_DEV << 1));
	ck_assert_ptr_null(dp_host_net_flag_name(DP_HOST_NET_DEFAULT_ROUTE << 1));
	ck_assert_str_eq(dp_host_use_flag_name(DP_HOST_USE_ROOT_FS), "root-fs");
	ck_assert_str_eq(dp_host_usb_flag_name(DP_HOST_USB_KEYBOARD), "keyboard");
}
END_TEST

START_TEST(reset_sources)
{
	static const uint32_t sources[] = { DP_RESET_SOURCE_KERNEL, DP_RESET_SOURCE_DERIVED };

	ROUND_TRIP(reset_source, uint32_t, sources);
	ck_assert_ptr_null(dp_reset_source_name(0));
	ck_assert_ptr_null(dp_reset_source_name(DP_RESET_SOURCE_DERIVED + 1));
	ck_assert_str_eq(dp_reset_source_name(DP_RESET_SOURCE_KERNEL), "kernel");
}
END_TEST

START_TEST(rom_states)
{
	static const uint32_t states[] = { DP_ROM_NONE, DP_ROM_VALID, DP_ROM_MISSING,
					   DP_ROM_INVALID, DP_ROM_UNKNOWN };

	ROUND_TRIP(rom_state, uint32_t, states);
	ck_assert_ptr_null(dp_rom_state_name(DP_ROM_UNKNOWN + 1));
	ck_assert_str_eq(dp_rom_state_name(DP_ROM_MISSING), "missing");
}
END_TEST

START_TEST(migration_names)
{
	static const uint32_t states[] = { DP_MIGRATION_NOT_ASKED, DP_MIGRATION_UNSUPPORTED,
					   DP_MIGRATION_SUPPORTED, DP_MIGRATION_UNKNOWN };
	static const uint32_t flags[] = { DP_MIGRATION_STOP_COPY, DP_MIGRATION_P2P, DP_MIGRATION_PRE_COPY,
					  DP_MIGRATION_DIRTY_DEVICE, DP_MIGRATION_DIRTY_IOMMU };

	ROUND_TRIP(migration_state, uint32_t, states);
	ROUND_TRIP(migration_flag, uint32_t, flags);
	ck_assert_str_eq(dp_migration_state_name(DP_MIGRATION_NOT_ASKED), "not-asked");
	ck_assert_str_eq(dp_migration_flag_name(DP_MIGRATION_PRE_COPY), "pre-copy");
	ck_assert_ptr_null(dp_migration_state_name(DP_MIGRATION_UNKNOWN + 1));
	ck_assert_ptr_null(dp_migration_flag_name(DP_MIGRATION_DIRTY_IOMMU << 1));
	ck_assert_ptr_null(dp_migration_flag_name(DP_MIGRATION_STOP_COPY | DP_MIGRATION_P2P));
}
END_TEST

START_TEST(plan_names)
{
	static const uint32_t pages[] = { DP_PLAN_PAGE_4K, DP_PLAN_PAGE_THP, DP_PLAN_PAGE_HUGETLB };
	static const uint32_t flags[] = { DP_PLAN_MEMLOCK_EXEMPT, DP_PLAN_COSTS_MEASURED };

	ROUND_TRIP(plan_page, uint32_t, pages);
	ROUND_TRIP(plan_flag, uint32_t, flags);
	ck_assert_ptr_null(dp_plan_page_name(DP_PLAN_PAGES));
	ck_assert_ptr_null(dp_plan_flag_name(DP_PLAN_COSTS_MEASURED << 1));
	ck_assert_str_eq(dp_plan_page_name(DP_PLAN_PAGE_HUGETLB), "hugetlbfs");
}
END_TEST

START_TEST(vfio_driver_kinds)
{
	static const uint32_t kinds[] = { DP_VFIO_DRIVER_NONE, DP_VFIO_DRIVER_HOST,
					  DP_VFIO_DRIVER_VFIO_PCI, DP_VFIO_DRIVER_VARIANT,
					  DP_VFIO_DRIVER_VENDOR };

	ROUND_TRIP(vfio_driver_kind, uint32_t, kinds);
	ck_assert_str_eq(dp_vfio_driver_kind_name(DP_VFIO_DRIVER_VARIANT), "variant");
	ck_assert_ptr_null(dp_vfio_driver_kind_name(DP_VFIO_DRIVER_VENDOR + 1));
}
END_TEST

START_TEST(backend_names)
{
	static const uint32_t backends[] = { DP_BACKEND_AUTO, DP_BACKEND_TYPE1, DP_BACKEND_IOMMUFD };
	uint32_t v = 7;

	ROUND_TRIP(backend, uint32_t, backends);
	ck_assert_str_eq(dp_backend_name(DP_BACKEND_AUTO), "auto");
	ck_assert_str_eq(dp_backend_name(DP_BACKEND_IOMMUFD), "iommufd");
	ck_assert_ptr_null(dp_backend_name(DP_BACKEND_IOMMUFD + 1));
	ck_assert_int_eq(dp_backend_from_name("vfio", &v), -EINVAL);
	ck_assert_int_eq(dp_backend_from_name(NULL, &v), -EINVAL);
	ck_assert_int_eq(dp_backend_from_name("type1", NULL), -EINVAL);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(handoff_fd_roles)
{
	static const uint32_t roles[] = { DP_HANDOFF_FD_CONTAINER, DP_HANDOFF_FD_GROUP,
					  DP_HANDOFF_FD_IOMMUFD, DP_HANDOFF_FD_DEVICE,
					  DP_HANDOFF_FD_LEASE };
	uint32_t v = 7;

	ROUND_TRIP(handoff_fd_role, uint32_t, roles);
	ck_assert_str_eq(dp_handoff_fd_role_name(DP_HANDOFF_FD_GROUP), "group");
	ck_assert_str_eq(dp_handoff_fd_role_name(DP_HANDOFF_FD_LEASE), "lease");
	ck_assert_ptr_null(dp_handoff_fd_role_name(0));
	ck_assert_ptr_null(dp_handoff_fd_role_name(DP_HANDOFF_FD_LEASE + 1));
	ck_assert_int_eq(dp_handoff_fd_role_from_name("socket", &v), -EINVAL);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(finding_codes)
{
	uint32_t codes[DP_FINDING_VFIO_DRIVER_NOT_LISTED];

	/* Every code up to the last of 0.13, none missing. */
	for (uint32_t c = 1; c <= DP_FINDING_VFIO_DRIVER_NOT_LISTED; c++)
		codes[c - 1] = c;
	ROUND_TRIP(finding_code, uint32_t, codes);
	ck_assert_str_eq(dp_finding_code_name(DP_FINDING_NO_IOMMU), "no-iommu");
	ck_assert_str_eq(dp_finding_code_name(DP_FINDING_MIGRATION_UNKNOWN), "migration-unknown");
	ck_assert_ptr_null(dp_finding_code_name(0));
	ck_assert_ptr_null(dp_finding_code_name(DP_FINDING_VFIO_DRIVER_NOT_LISTED + 1));
}
END_TEST

START_TEST(support_levels)
{
	static const int levels[] = { DP_SUPPORT_UNLISTED, DP_SUPPORT_SUPPORTED,
				      DP_SUPPORT_EXPERIMENTAL, DP_SUPPORT_UNSUPPORTED };

	ROUND_TRIP(support_level, int, levels);
	ck_assert_ptr_null(dp_support_level_name(-1));
	ck_assert_ptr_null(dp_support_level_name(DP_SUPPORT_UNSUPPORTED + 1));
}
END_TEST

START_TEST(features_rules_and_priorities)
{
	const char *names[LOG_DEBUG + 1];
	int prio;

	/* Features: the older form returns the bit, 0 for an unknown name. */
	for (int b = 0; b < 32; b++) {
		const char *name = dp_feature_name(1u << b);

		ck_assert_msg(!!name == !!(DP_FEATURE_ALL & (1u << b)), "feature bit %d", b);
		if (name)
			ck_assert_uint_eq(dp_feature_from_name(name), 1u << b);
	}
	/* Rules: named, and set by their names through dp_policy_set. */
	for (int r = DP_RULE_MAX_DEVICES_PER_VM; r <= DP_RULE_MEMLOCK; r++)
		ck_assert_ptr_nonnull(dp_rule_name((enum dp_rule)r));
	ck_assert_ptr_null(dp_rule_name((enum dp_rule)(DP_RULE_MEMLOCK + 1)));
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_UNLISTED_DEVICES, DP_ACTION_DENY), "deny");
	ck_assert_str_eq(dp_rule_value_name(DP_RULE_MEMORY_RESERVATION, DP_RESERVATION_NONE),
			 "none");
	/* Log priorities. */
	for (int p = LOG_EMERG; p <= LOG_DEBUG; p++) {
		names[p] = dp_log_priority_name(p);
		ck_assert_int_eq(dp_log_priority_from_name(names[p], &prio), 0);
		ck_assert_int_eq(prio, p);
	}
	assert_distinct(names, LOG_DEBUG + 1, "log priority");
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, iommu_kinds);
	tcase_add_test(tc, host_flags);
	tcase_add_test(tc, device_flags);
	tcase_add_test(tc, severities);
	tcase_add_test(tc, regions_and_irqs);
	tcase_add_test(tc, host_use);
	tcase_add_test(tc, reset_sources);
	tcase_add_test(tc, rom_states);
	tcase_add_test(tc, plan_names);
	tcase_add_test(tc, migration_names);
	tcase_add_test(tc, vfio_driver_kinds);
	tcase_add_test(tc, backend_names);
	tcase_add_test(tc, handoff_fd_roles);
	tcase_add_test(tc, finding_codes);
	tcase_add_test(tc, support_levels);
	tcase_add_test(tc, features_rules_and_priorities);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dp_test_run(names_suite());
}
