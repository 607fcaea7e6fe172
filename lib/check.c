/* SPDX-License-Identifier: MIT */
/*
 * dp_policy_check: every rule against the VM, the ctx's inventory and host
 * capabilities (its last scan), never stopping at the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostsafety.h"
#include "inventory.h"
#include "leases.h"
#include "plan.h"
#include "migration.h"
#include "policy.h"
#include "policycheck.h"
#include "quote.h"
#include "report.h"
#include "resetmethod.h"
#include "romcheck.h"
#include "select.h"
#include "sysfs.h"
#include "vfiodriver.h"
#include "vm.h"

static int check_vm(const struct dp_policy *p, const struct dp_vm *vm,
		    struct dp_report *rep)
{
	const int64_t *rule = p->rules;
	size_t n = vm->n_devices;
	int r = 0;

	if (vm->hw_version == 0)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_VM_INVALID, DP_SEVERITY_ERROR, vm->name, NULL,
						  "%s: hardware version 0 is not a VM hardware version; set hw_version",
						  vm->name));
	if (vm->memory == 0)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_VM_INVALID, DP_SEVERITY_ERROR, vm->name, NULL,
						  "%s: no guest memory; set memory", vm->name));
	if (vm->reservation > vm->memory)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_VM_INVALID, DP_SEVERITY_ERROR, vm->name, NULL,
						  "%s: memory reservation %llu MiB exceeds the memory, %llu MiB; lower it",
						  vm->name, (unsigned long long)(vm->reservation >> 20),
						  (unsigned long long)(vm->memory >> 20)));
	if (n == 0)
		return r;
	if (vm->hw_version < rule[DP_RULE_MIN_HW_VERSION])
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_HW_VERSION, DP_SEVERITY_ERROR, vm->name,
						  "min_hw_version",
						  "%s: hardware version %u is below %lld, the minimum for passthrough (min_hw_version); upgrade the VM's hardware",
						  vm->name, vm->hw_version, (long long)rule[DP_RULE_MIN_HW_VERSION]));
	if ((int64_t)n > rule[DP_RULE_MAX_DEVICES_PER_VM])
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_TOO_MANY_DEVICES, DP_SEVERITY_ERROR, vm->name,
						  "max_devices_per_vm",
						  "%s: %zu passthrough devices, more than the %lld a VM may have (max_devices_per_vm); remove %lld",
						  vm->name, n, (long long)rule[DP_RULE_MAX_DEVICES_PER_VM],
						  (long long)((int64_t)n - rule[DP_RULE_MAX_DEVICES_PER_VM])));
	if (rule[DP_RULE_MEMORY_RESERVATION] == DP_RESERVATION_FULL &&
	    vm->reservation < vm->memory)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_MEMORY_NOT_RESERVED, DP_SEVERITY_ERROR, vm->name,
						  "memory_reservation",
						  "%s: only %llu of %llu MiB reserved; passthrough pins all guest memory for DMA (memory_reservation = full): reserve it all",
						  vm->name, (unsigned long long)(vm->reservation >> 20),
						  (unsigned long long)(vm->memory >> 20)));
	return r;
}

/* A function the VM names is not on a driver vfio_drivers lists (an ID or label request may get any). */
static bool needs_vfio_pci(const struct dp_policy *p, const struct dp_vm *vm)
{
	for (size_t i = 0; i < vm->n_devices; i++) {
		const struct dp_device *dev;
		char bdf[DP_BDF_LEN];

		if (dp_bdf_normalize(vm->devices[i], bdf) < 0)
			return true;
		dev = dp_inventory_lookup(p->ctx, bdf);
		if (!dev || !dp_vfio_driver_ready(p, dev))
			return true;
	}
	return false;
}

static int check_host(const struct dp_policy *p, const struct dp_vm *vm,
		      const struct dp_host_caps *caps, struct dp_report *rep)
{
	const int64_t *rule = p->rules;
	int r = 0;

	if (!(caps->flags & DP_HOST_IOMMU) || !(caps->flags & DP_HOST_IOMMU_GROUPS))
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_IOMMU,
						  rule[DP_RULE_REQUIRE_IOMMU] ? DP_SEVERITY_ERROR : DP_SEVERITY_WARNING,
						  vm->name, "require_iommu",
						  "%s: %s (require_iommu); enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on",
						  vm->name, caps->flags & DP_HOST_IOMMU
						  ? "the host's IOMMU puts no device in a group" : "the host has no IOMMU"));
	if (!(caps->flags & DP_HOST_IRQ_REMAP)) {
		if (rule[DP_RULE_REQUIRE_INTERRUPT_REMAPPING])
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_INTERRUPT_REMAPPING, DP_SEVERITY_ERROR,
							  vm->name, "require_interrupt_remapping",
							  "%s: the host has no interrupt remapping, so a device could forge interrupts (require_interrupt_remapping); enable it in the firmware, or set the rule to no to accept the risk",
							  vm->name));
		else
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_UNSAFE_INTERRUPTS, DP_SEVERITY_WARNING,
							  vm->name, "require_interrupt_remapping",
							  "%s: no interrupt remapping, accepted by require_interrupt_remapping = no%s; a device can forge interrupts",
							  vm->name,
							  caps->flags & DP_HOST_UNSAFE_INTERRUPTS ? ""
							  : " (vfio_iommu_type1 also needs allow_unsafe_interrupts=1)"));
	}
	if (!(caps->flags & (DP_HOST_VFIO_PCI | DP_HOST_VFIO_PCI_MODULE)) && needs_vfio_pci(p, vm))
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_VFIO_PCI, DP_SEVERITY_ERROR, vm->name, NULL,
						  "%s: the host's kernel has no %s driver; install a kernel built with CONFIG_VFIO_PCI",
						  vm->name, DP_VFIO_PCI_DRIVER));
	return r;
}

/* Every other member of the group must be unbound, on a ready VFIO driver or pci-stub, a bridge, or in this VM. */
static int check_group(const struct dp_policy *p, const struct dp_ctx *ctx,
		       const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
		       struct dp_report *rep)
{
	uint32_t severity = p->rules[DP_RULE_REQUIRE_VIABLE_GROUP] ? DP_SEVERITY_ERROR
								   : DP_SEVERITY_WARNING;
	int r = 0;

	for (size_t i = 0; i < dev->group_size; i++) {
		const char *m = dev->group[i];
		const struct dp_device *md;

		if (strcmp(m, dev->bdf) == 0 || dp_bdf_in(bdfs, n, m))
			continue;
		md = dp_inventory_lookup(ctx, m);
		if (md && ((md->info.flags & DP_DEVICE_BRIDGE) || !md->driver ||
			   dp_vfio_driver_ready(p, md) || strcmp(md->driver, DP_PCI_STUB_DRIVER) == 0))
			continue;
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_GROUP_NOT_VIABLE, severity, dev->bdf,
						  "require_viable_group",
						  "%s: IOMMU group %d also holds %s, bound to %s; mark it too or unbind it (require_viable_group)",
						  dev->bdf, dev->info.iommu_group, m,
						  md ? md->driver : "an unknown driver"));
	}
	return r;
}

static int check_device(const struct dp_policy *p, const struct dp_ctx *ctx,
			const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			struct dp_report *rep)
{
	const int64_t *rule = p->rules;
	const char *b = dev->bdf, *entry = NULL;
	int r = 0, level;

	if (rule[DP_RULE_REQUIRE_MARKED] && !(dev->info.flags & DP_DEVICE_MARKED))
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NOT_MARKED, DP_SEVERITY_ERROR, b, "require_marked",
						  "%s: not marked available for passthrough (require_marked); mark it with: directpath mark %s",
						  b, b));
	if (rule[DP_RULE_DENY_BRIDGES] && (dev->info.flags & (DP_DEVICE_BRIDGE | DP_DEVICE_HOST_BRIDGE)))
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_BRIDGE, DP_SEVERITY_ERROR, b, "deny_bridges",
						  "%s: is a %s bridge, which the host needs (deny_bridges); pass through the devices behind it instead",
						  b, dev->info.flags & DP_DEVICE_HOST_BRIDGE ? "host" : "PCI"));
	if (rule[DP_RULE_DENY_BOOT_VGA] && (dev->info.flags & DP_DEVICE_BOOT_VGA))
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_BOOT_VGA, DP_SEVERITY_ERROR, b, "deny_boot_vga",
						  "%s: is the host's boot console (deny_boot_vga); use another display adapter for the VM",
						  b));
	if (dev->info.flags & DP_DEVICE_CONFIG_UNREADABLE)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_CONFIG_UNREADABLE, DP_SEVERITY_ERROR, b, NULL,
						  "%s: its config space could not be read (%u bytes), so whether it is a bridge and how it resets are unknown; make sure it is present and powered (lspci -vv -s %s as root), then check again",
						  b, dev->info.config_size, b));
	/* On a VFIO driver the policy does not list: vfio-driver-not-listed says so. */
	if ((dev->info.flags & DP_DEVICE_MARKED) && dp_vfio_driver_kind(dev) < DP_VFIO_DRIVER_VFIO_PCI)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NOT_BOUND, DP_SEVERITY_ERROR, b, NULL,
						  "%s: marked for passthrough but bound to %s, not %s (the mark was not applied, or the host rebound it), so VFIO cannot open it; bind it with: directpath mark --now %s",
						  b, dev->driver ? dev->driver : "no driver", DP_VFIO_PCI_DRIVER, b));
	if (dev->info.iommu_group < 0) {
		if (ctx->caps.flags & DP_HOST_IOMMU_GROUPS)
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_IOMMU_GROUP,
							  rule[DP_RULE_REQUIRE_IOMMU] ? DP_SEVERITY_ERROR : DP_SEVERITY_WARNING,
							  b, "require_iommu",
							  "%s: in no IOMMU group, so the IOMMU cannot isolate it (require_iommu); check the firmware's DMAR/IVRS tables",
							  b));
	} else {
		r = dp_first_err(r, check_group(p, ctx, dev, bdfs, n, rep));
	}
	r = dp_first_err(r, dp_check_vfio_driver(p, dev, rep));
	/* The reset methods, the policy's per-device order, a bus reset's blast radius (check-reset.c). */
	r = dp_first_err(r, dp_check_reset(p, ctx, dev, bdfs, n, rep));
	level = dp_compat_lookup(p, dev->info.vendor_id, dev->info.device_id,
				 dev->info.subsystem_vendor_id, dev->info.subsystem_id, &entry);
	switch (level) {
	case DP_SUPPORT_UNLISTED:
		if (rule[DP_RULE_UNLISTED_DEVICES] != DP_ACTION_ALLOW)
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_UNLISTED, dp_action_severity(rule[DP_RULE_UNLISTED_DEVICES]), b,
							  "unlisted_devices",
							  "%s: %04x:%04x is not on the compatibility list (unlisted_devices = %s); test it, then list it",
							  b, dev->info.vendor_id, dev->info.device_id,
							  dp_rule_value_name(DP_RULE_UNLISTED_DEVICES, rule[DP_RULE_UNLISTED_DEVICES])));
		break;
	case DP_SUPPORT_EXPERIMENTAL:
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_EXPERIMENTAL, DP_SEVERITY_WARNING, b, NULL,
						  "%s: %s is supported experimentally; not for production",
						  b, entry ? entry : "this device"));
		break;
	case DP_SUPPORT_UNSUPPORTED:
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_UNSUPPORTED, DP_SEVERITY_ERROR, b, NULL,
						  "%s: %s is listed as unsupported for passthrough; use another device",
						  b, entry ? entry : "this device"));
		break;
	default:
		break;
	}
	return r;
}

/* A lease held by another running VM: the kernel drops it when that VM's process dies. */
static int check_lease(struct dp_ctx *ctx, const struct dp_vm *vm, const char *bdf,
		       struct dp_report *rep)
{
	char owner[256], q[DP_QUOTE_SIZE(64)];
	pid_t pid = 0;
	int r = dp_lease_query(ctx, bdf, owner, sizeof(owner), &pid);

	if (r <= 0)
		return 0; /* free, or unknowable: dp_attach's own lease decides */
	return dp_report_add(rep, DP_FINDING_DEVICE_LEASED, DP_SEVERITY_ERROR, bdf, NULL,
			     "%s: in use by VM \"%s\" (pid %ld); stop that VM or choose another device%s",
			     bdf, dp_quote(q, sizeof(q), owner), (long)pid,
			     strcmp(owner, vm->name) == 0 ? " (a VM of the same name is already running)" : "");
}

/* Quarantined: held on vfio-pci after a detach; a VM may still have it, the host may not. */
static int check_quarantine(const struct dp_device *dev, struct dp_report *rep)
{
	char *reason = NULL, q[DP_QUOTE_SIZE(512)];
	int r = dp_device_get_quarantine(dev, &reason);

	if (r <= 0)
		return r == -ENOMEM ? r : 0; /* free, or a path too long to have been written */
	r = dp_report_add(rep, DP_FINDING_QUARANTINED, DP_SEVERITY_WARNING, dev->bdf, "release",
			  "%s: quarantined on vfio-pci since a detach: %s; a VM may still have it, and directpath release %s resets it, verifies it and gives it back to the host",
			  dev->bdf, dp_quote(q, sizeof(q), reason), dev->bdf);
	free(reason);
	return r;
}

int dp_check_device_rules(struct dp_policy *policy, const struct dp_vm *vm,
			  const struct dp_device *dev, char (*bdfs)[DP_BDF_LEN], size_t n,
			  bool lease, struct dp_report *rep)
{
	struct dp_ctx *ctx = policy->ctx;
	int r = check_device(policy, ctx, dev, bdfs, n, rep);

	if (lease)
		r = dp_first_err(r, check_lease(ctx, vm, dev->bdf, rep));
	r = dp_first_err(r, check_quarantine(dev, rep));
	r = dp_first_err(r, dp_check_reserved_regions(policy, vm, dev, rep));
	r = dp_first_err(r, dp_check_host_use(policy, dev, rep));
	r = dp_first_err(r, dp_check_rom(policy, dev, rep));
	return r;
}

static int report_losses(const struct dp_vm *vm, struct dp_report *rep)
{
	int r = 0;

	for (int bit = 0; bit < DP_FEATURE_BITS; bit++) {
		uint32_t f = 1u << bit;
		size_t size = 1, len = 0;
		bool on = vm->features & f;
		char *list;

		if (!(rep->lost & f))
			continue;
		/* Sized for every cause: a VM may have up to max_devices_per_vm of them. */
		for (size_t i = 0; i < rep->n_causes[bit]; i++)
			size += strlen(rep->causes[bit][i]) + 2;
		list = malloc(size);
		if (!list)
			return -ENOMEM;
		list[0] = '\0';
		for (size_t i = 0; i < rep->n_causes[bit]; i++)
			len += (size_t)snprintf(list + len, size - len, "%s%s", i ? ", " : "",
						rep->causes[bit][i]);
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_FEATURE_LOST, on ? DP_SEVERITY_WARNING : DP_SEVERITY_INFO,
						  vm->name, NULL,
						  "%s: %s is unavailable while %s %s passed through%s",
						  vm->name, dp_feature_name(f), list,
						  rep->n_causes[bit] > 1 ? "are" : "is",
						  on ? "; it is enabled for this VM and will not work" : ""));
		free(list);
	}
	return r;
}

static int check_all(struct dp_policy *policy, const struct dp_vm *vm,
		     struct dp_selection *leased, bool probe, struct dp_report **out);

int dp_policy_check(struct dp_policy *policy, const struct dp_vm *vm,
		    struct dp_report **out)
{
	struct dp_ctx *ctx;
	int r;

	if (!policy || dp_bug_on(policy->ctx, !vm) || dp_bug_on(policy->ctx, !out))
		return -EINVAL;
	ctx = policy->ctx;
	if (vm->ctx != ctx) {
		dp_err(ctx, "BUG: dp_policy_check: the VM and the policy belong to different contexts");
		return -EINVAL;
	}
	if (!ctx->scanned && vm->n_devices) {
		r = dp_ctx_scan(ctx);
		if (r < 0)
			return r;
	}
	return check_all(policy, vm, NULL, true, out); /* asks the kernel about migration */
}

int dp_policy_check_inventory(struct dp_policy *policy, const struct dp_vm *vm,
			      struct dp_report **out)
{
	return check_all(policy, vm, NULL, false, out);
}

int dp_policy_check_select(struct dp_policy *policy, const struct dp_vm *vm,
			   struct dp_selection *leased, struct dp_report **out)
{
	return check_all(policy, vm, leased, false, out);
}

/* probe: ask the kernel whether devices migrate (dp_policy_check only: attach asks at open). */
static int check_all(struct dp_policy *policy, const struct dp_vm *vm,
		     struct dp_selection *leased, bool probe, struct dp_report **out)
{
	struct dp_ctx *ctx = policy->ctx;
	struct dp_selection peek = { 0 }, *sel = leased ? leased : &peek;
	struct dp_report *rep = NULL;
	char (*bdfs)[DP_BDF_LEN] = NULL;
	size_t nb = 0;
	int r;

	r = dp_report_new(ctx, vm->name, vm->features, &rep);
	if (r < 0)
		return r;
	r = check_vm(policy, vm, rep);
	if (vm->n_devices) {
		r = dp_first_err(r, check_host(policy, vm, &ctx->caps, rep));
		/* Each entry's function: its address, or the device its ID or label request got. */
		r = dp_first_err(r, dp_select(policy, vm, rep, sel));
		bdfs = r < 0 ? NULL : calloc(vm->n_devices, sizeof(*bdfs));
		if (!bdfs)
			r = dp_first_err(r, -ENOMEM);
		for (size_t i = 0; bdfs && i < vm->n_devices; i++)
			if (sel->bdf[i][0])
				strcpy(bdfs[nb++], sel->bdf[i]);
		if (bdfs)
			r = dp_first_err(r, dp_report_set_devices(rep, (const char *const *)vm->devices,
								  sel->bdf, vm->n_devices));
	}
	for (size_t i = 0, k = 0; bdfs && i < vm->n_devices; i++) {
		const char *given = vm->devices[i];
		const struct dp_device *dev;
		char bdf[DP_BDF_LEN];

		if (sel->request[i] && !sel->bdf[i][0])
			continue; /* no device for it: no-free-device says why */
		if (sel->request[i]) {
			strcpy(bdf, sel->bdf[i]);
		} else if (dp_bdf_normalize(given, bdf) < 0) {
			char q[DP_QUOTE_SIZE(64)], why[160];
			struct dp_request req;

			/* Quoted in subject and message alike: both may reach a terminal. */
			dp_quote(q, sizeof(q), given);
			dp_request_parse(given, &req, why, sizeof(why)); /* directpath-vm(5)'s grammar */
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_SUCH_DEVICE, DP_SEVERITY_ERROR, q, NULL,
							  "%s: %s; correct it", q, why));
			continue;
		}
		k++;
		if (dp_bdf_in(bdfs, k - 1, bdf)) {
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_DUPLICATE_DEVICE, DP_SEVERITY_ERROR, bdf, NULL,
							  "%s: listed more than once; remove the duplicate", bdf));
			continue;
		}
		dev = dp_inventory_lookup(ctx, bdf);
		if (!dev) {
			r = dp_first_err(r, dp_report_add(rep, DP_FINDING_NO_SUCH_DEVICE, DP_SEVERITY_ERROR, bdf, NULL,
							  "%s: no such PCI function on this host; check the address with directpath list",
							  bdf));
			continue;
		}
		r = dp_first_err(r, dp_check_device_rules(policy, vm, dev, bdfs, nb,
							  !sel->request[i] || !sel->take, rep));
		/* Every feature for a device that does not migrate; less for one that does. */
		r = dp_first_err(r, dp_check_migration(ctx, dev, bdf, probe, nb, rep));
	}
	r = dp_first_err(r, report_losses(vm, rep));
	r = dp_first_err(r, dp_plan_check(policy, vm, rep));
	free(bdfs);
	if (sel == &peek || r < 0)
		dp_selection_fini(sel);
	if (r < 0) {
		dp_report_unref(rep);
		dp_err(ctx, "%s: cannot complete the check: %s", vm->name, strerror(-r));
		return r;
	}
	dp_dbg(ctx, "%s: %s, %zu findings", vm->name,
	       dp_report_is_allowed(rep) ? "allowed" : "denied", rep->n_findings);
	*out = rep;
	return 0;
}
