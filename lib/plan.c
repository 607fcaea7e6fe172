/* SPDX-License-Identifier: MIT */
/*
 * The plan of a VM's passthrough (dp_report_get_plan(3)): the guest MMIO
 * its devices' BARs need, the hole and window to declare, the
 * RLIMIT_MEMLOCK its DMA maps need, and how long making its RAM DMA-ready
 * takes per backing page size. Rules mmio_window and memlock.
 *
 * The placement model, as SeaBIOS, OVMF and Linux place BARs on QEMU's
 * machines (and as a VMM fills dp_vbus's windows): a bridge's
 * non-prefetchable window is 32-bit only, so 32-bit BARs, 64-bit
 * non-prefetchable BARs and the ROM BAR go below 4 GiB; 64-bit prefetchable
 * BARs go to the 64-bit window above RAM. I/O BARs take no MMIO. Each BAR is
 * aligned to its size (PCI requires it), and they are packed largest first,
 * which wastes nothing when every size is a power of two. Below 4 GiB the
 * platform keeps the top 64 MiB (flash, IOAPIC, HPET, LAPIC: OVMF's q35
 * window ends at 0xfc000000) and a 256 MiB ECAM window aligned to its size
 * (q35's MMCONFIG), so the BARs and the ECAM are placed top-down from
 * 0xfc000000, and RAM must end below the lowest of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backend.h"
#include "dmacosts.h"
#include "iommufd.h"
#include "inventory.h"
#include "plan.h"
#include "policy.h"
#include "report.h"
#include "vm.h"

#define GIB (UINT64_C(1) << 30)

static int desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

uint64_t dp_plan_pack(uint64_t *sizes, size_t n)
{
	uint64_t end = 0;

	qsort(sizes, n, sizeof(*sizes), desc);
	for (size_t i = 0; i < n; i++) {
		uint64_t s = sizes[i];

		if (end % s) /* not a power of two, or after a smaller one: align up */
			end += s - end % s;
		end += s;
	}
	return end;
}

uint64_t dp_plan_pack_down(uint64_t *sizes, size_t n, uint64_t top)
{
	qsort(sizes, n, sizeof(*sizes), desc);
	for (size_t i = 0; i < n; i++) {
		uint64_t s = sizes[i];

		if (s > top)
			return 0;
		top -= s;
		top -= top % s;
	}
	return top;
}

void dp_plan_device_bars(const struct dp_device_info *info, uint64_t *low, size_t *n_low,
			 uint64_t *high, size_t *n_high)
{
	for (unsigned i = 0; i < 6; i++) {
		uint32_t f = info->bar_flags[i];
		uint64_t s = info->bar_size[i];

		if (!(f & DP_BAR_PRESENT) || (f & DP_BAR_IO) || !s) {
			continue;
		} else if ((f & DP_BAR_MEM64) && (f & DP_BAR_PREFETCH)) {
			high[(*n_high)++] = s;
		} else {
			low[(*n_low)++] = s;
		}
		if (f & DP_BAR_MEM64)
			i++; /* its upper half */
	}
	if (info->rom_size)
		low[(*n_low)++] = info->rom_size;
}

/* The next power of two at or above v (v <= 2^63). */
static uint64_t pow2_up(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * An exact size, in the largest unit that divides it: for a VM file
 * ("8G", "64M", "16K", or bytes) when file, else for a sentence ("8 GiB",
 * "65552 KiB", "100 bytes").
 */
static const char *exact_size(char *buf, size_t len, uint64_t v, bool file)
{
	static const char units[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		unsigned shift = 40 - 10 * (unsigned)i;

		if (v && v % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, len, file ? "%llu%c" : "%llu %ciB",
				 (unsigned long long)(v >> shift), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, file ? "%llu" : "%llu bytes", (unsigned long long)v);
	return buf;
}

static const char *file_size(char *buf, size_t len, uint64_t v)
{
	return exact_size(buf, len, v, true);
}

static const char *human_size(char *buf, size_t len, uint64_t v)
{
	return exact_size(buf, len, v, false);
}

/*
 * The BARs of the VM's devices found on the host, each once; how many
 * devices, their addresses into *bdfs (freed by the caller).
 */
static size_t collect(const struct dp_vm *vm, uint64_t **low, size_t *n_low, uint64_t **high,
		      size_t *n_high, char (**bdfs)[DP_BDF_LEN])
{
	char (*seen)[DP_BDF_LEN];
	size_t n_seen = 0;

	*n_low = *n_high = 0;
	*low = calloc(vm->n_devices * DP_PLAN_BARS_MAX + 1, sizeof(**low));
	*high = calloc(vm->n_devices * DP_PLAN_BARS_MAX + 1, sizeof(**high));
	seen = calloc(vm->n_devices + 1, sizeof(*seen));
	if (!*low || !*high || !seen) {
		free(seen);
		return SIZE_MAX;
	}
	for (size_t i = 0; i < vm->n_devices; i++) {
		const struct dp_device *dev;

		if (dp_bdf_normalize(vm->devices[i], seen[n_seen]) < 0 ||
		    dp_bdf_in(seen, n_seen, seen[n_seen]))
			continue;
		dev = dp_inventory_lookup(vm->ctx, seen[n_seen]);
		if (!dev)
			continue;
		n_seen++;
		dp_plan_device_bars(&dev->info, *low, n_low, *high, n_high);
	}
	*bdfs = seen;
	return n_seen;
}

static int check_mmio(const struct dp_policy *p, const struct dp_vm *vm, const struct dp_plan *plan,
		      struct dp_report *rep)
{
	int64_t action = p->rules[DP_RULE_MMIO_WINDOW];
	char a[32], b[32], c[32], d[32];
	int r = 0;

	if (action == DP_ACTION_ALLOW)
		return 0;
	if (plan->mmio_hole > plan->mmio_hole_proposed) {
		if (plan->mmio_hole_proposed == 0)
			r = dp_report_add(rep, DP_FINDING_MMIO_WINDOW_TOO_SMALL, dp_action_severity(action), vm->name,
					  "mmio_window",
					  "%s: its devices' BARs need %s below 4 GiB (32-bit, 64-bit non-prefetchable and ROM BARs, each aligned to its size), more than fits there beside the 256 MiB ECAM window and the firmware's top 64 MiB (mmio_window); pass through fewer of them",
					  vm->name, human_size(a, sizeof(a), plan->mmio32_size));
		else
			r = dp_report_add(rep, DP_FINDING_MMIO_WINDOW_TOO_SMALL, dp_action_severity(action), vm->name,
					  "mmio_window",
					  "%s: its devices' BARs need %s below 4 GiB (32-bit, 64-bit non-prefetchable and ROM BARs, each aligned to its size), so with the 256 MiB ECAM window and the firmware's top 64 MiB RAM below 4 GiB must end at %s, but mmio_hole is %s (mmio_window); set mmio_hole = %s in the VM file",
					  vm->name, human_size(a, sizeof(a), plan->mmio32_size),
					  human_size(b, sizeof(b), plan->mmio_hole_proposed),
					  human_size(c, sizeof(c), plan->mmio_hole),
					  file_size(d, sizeof(d), plan->mmio_hole_proposed));
	}
	if (plan->mmio64_size > plan->mmio64_window)
		r = dp_first_err(r, dp_report_add(rep, DP_FINDING_MMIO_WINDOW_TOO_SMALL, dp_action_severity(action),
						  vm->name, "mmio_window",
						  "%s: its devices' 64-bit prefetchable BARs need %s above 4 GiB (each aligned to its size), more than its mmio64_window of %s (mmio_window); set mmio64_window = %s in the VM file (QEMU: -global q35-pcihost.pci-hole64-size=%s)",
						  vm->name, human_size(a, sizeof(a), plan->mmio64_size),
						  plan->mmio64_window ? human_size(b, sizeof(b), plan->mmio64_window) : "0 bytes",
						  file_size(c, sizeof(c), plan->mmio64_window_proposed),
						  file_size(d, sizeof(d), plan->mmio64_window_proposed)));
	return r;
}

/*
 * type1 pins each page a container maps once per container (its vfio_dma
 * list is per container) and charges it to locked_vm of the mm that mapped
 * it, checked against that task's RLIMIT_MEMLOCK unless it has
 * CAP_IPC_LOCK; mlock(2) charges the same counter. iommufd charges the
 * user's locked_vm by default (IOMMU_OPTION_RLIMIT_MODE 0: every process
 * of the user together against the mapping task's limit), the mm's in
 * mode 1; the finding names which the VM's backend would do. dp_attach puts every
 * group of a VM in one container, so guest memory counts once; the library
 * locks nothing else (dp_dma_map pins what the VMM maps, and checks the
 * limit before pinning: directpath(7)).
 */
static int check_memlock(const struct dp_policy *p, const struct dp_vm *vm,
			 const struct dp_plan *plan, const char *mode, struct dp_report *rep)
{
	int64_t action = p->rules[DP_RULE_MEMLOCK];
	unsigned long long kib = (plan->memlock_needed + 1023) >> 10;
	char a[32];

	if (action == DP_ACTION_ALLOW || !plan->address_spaces || (plan->flags & DP_PLAN_MEMLOCK_EXEMPT) ||
	    plan->memlock_current >= plan->memlock_needed)
		return 0;
	return dp_report_add(rep, DP_FINDING_MEMLOCK_TOO_LOW, dp_action_severity(action), vm->name, "memlock",
			     "%s: pinning its %s of guest memory for DMA needs an RLIMIT_MEMLOCK of %llu KiB, but this process has %llu KiB and no CAP_IPC_LOCK, so dp_dma_map would refuse with ENOMEM (memlock, %s); raise the VMM's limit: ulimit -l %llu, LimitMEMLOCK=%llu in its systemd unit, or \"USER - memlock %llu\" in /etc/security/limits.conf",
			     vm->name, human_size(a, sizeof(a), plan->memlock_needed), kib,
			     (unsigned long long)(plan->memlock_current >> 10), mode, kib,
			     (unsigned long long)plan->memlock_needed, kib);
}

/* memory * ns_per_gib / 1 GiB, saturated. */
static uint64_t scale(uint64_t memory, uint64_t ns_per_gib)
{
	/* In whole and part GiB: (q * GiB + rem) * ns / GiB, without a 128-bit product. */
	uint64_t q = memory / GIB, rem = memory % GIB, whole, part;

	if (q && ns_per_gib > UINT64_MAX / q)
		return UINT64_MAX;
	whole = q * ns_per_gib;
	/* In MiB (below 1 MiB is noise): (rem >> 20) < 2^10, ns_per_gib <= DP_DMA_COST_MAX < 2^40. */
	part = (rem >> 20) * ns_per_gib / 1024;
	return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}

int dp_plan_check(const struct dp_policy *p, const struct dp_vm *vm, struct dp_report *rep)
{
	struct dp_plan *plan = &rep->plan;
	struct dp_dma_costs costs;
	uint64_t *low = NULL, *high = NULL;
	char (*bdfs)[DP_BDF_LEN] = NULL, why[DP_BACKEND_WHY_MAX];
	size_t n_low, n_high, n_dev;
	uint32_t backend = DP_BACKEND_TYPE1;
	struct rlimit rl;
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->sz = sizeof(*plan);
	n_dev = collect(vm, &low, &n_low, &high, &n_high, &bdfs);
	if (n_dev == SIZE_MAX) {
		r = -ENOMEM;
		goto out;
	}
	plan->mmio32_size = dp_plan_pack(low, n_low);
	plan->mmio64_size = dp_plan_pack(high, n_high);
	plan->mmio_hole = vm->mmio_hole;
	low[n_low] = DP_PLAN_ECAM_SIZE; /* placed with the BARs */
	plan->mmio_hole_proposed = dp_plan_pack_down(low, n_low + 1, DP_PLAN_MMIO32_TOP);
	plan->mmio_hole_proposed -= plan->mmio_hole_proposed % DP_VM_MMIO_HOLE_ALIGN;
	plan->mmio64_window = vm->mmio64_window;
	plan->mmio64_window_proposed = plan->mmio64_size ? pow2_up(plan->mmio64_size) : 0;

	plan->address_spaces = n_dev ? 1 : 0; /* one type1 container per attachment */
	plan->memlock_needed = plan->address_spaces * vm->memory;
	plan->memlock_current = UINT64_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		plan->memlock_current = rl.rlim_cur;
	if (dp_caps_ipc_lock())
		plan->flags |= DP_PLAN_MEMLOCK_EXEMPT;

	r = dp_dma_costs_load(vm->ctx, &costs);
	if (r < 0)
		goto out;
	if (r > 0)
		plan->flags |= DP_PLAN_COSTS_MEASURED;
	for (unsigned pg = 0; pg < DP_PLAN_PAGES; pg++) {
		plan->dma_cost_ns[pg] = costs.ns_per_gib[pg];
		plan->dma_ready_ns[pg] = n_dev ? scale(vm->memory, costs.ns_per_gib[pg]) : 0;
	}
	r = n_dev ? check_mmio(p, vm, plan, rep) : 0;
	/* The backend dp_attach would choose (auto), whose accounting the memlock rule names. */
	dp_backend_choose(vm->ctx, DP_BACKEND_AUTO, (const char (*)[DP_BDF_LEN])bdfs, n_dev, &backend,
			  why, sizeof(why));
	r = dp_first_err(r, check_memlock(p, vm, plan,
					  dp_backend_memlock_mode(backend, DP_IOMMUFD_RLIMIT_USER), rep));
out:
	free(bdfs);
	free(low);
	free(high);
	return r;
}
