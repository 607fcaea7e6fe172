/* SPDX-License-Identifier: MIT */
#ifndef DP_VM_H
#define DP_VM_H

#include "internal.h"

#define DP_VM_NAME_MAX 128
#define DP_VM_DEVICES_MAX 1024 /* directpath-vm(5), dp_vm_new(3) */

struct dp_vm {
	int refcount;
	struct dp_ctx *ctx;
	char *name;
	uint32_t hw_version;
	uint64_t memory;
	uint64_t reservation;
	uint64_t mmio_hole;  /* RAM below 4 GiB ends here; the rest starts at 4 GiB */
	uint64_t mmio64_window; /* the 64-bit MMIO window's size (plan.c) */
	uint32_t features;
	char **devices;  /* as given */
	size_t n_devices;
};

/* A name dp_vm_new takes: 1 to DP_VM_NAME_MAX printable characters, no '"' or '\\'. */
bool dp_vm_name_valid(const char *name);

#define DP_VM_4G (UINT64_C(1) << 32)
#define DP_VM_MMIO_HOLE_DEFAULT (UINT64_C(3) << 30) /* QEMU's pc machine's */
#define DP_VM_MMIO_HOLE_ALIGN (UINT64_C(1) << 20)
/* QEMU q35's pci-hole64-size default (Q35_PCI_HOST_HOLE64_SIZE_DEFAULT, 1ULL << 35). */
#define DP_VM_MMIO64_WINDOW_DEFAULT (UINT64_C(32) << 30)
/* x86-64's widest physical address, 52 bits: no window can be larger. */
#define DP_VM_MMIO64_WINDOW_MAX (UINT64_C(1) << 52)

/*
 * The guest-physical ranges of the VM's RAM, inclusive: below the MMIO hole,
 * and the rest from 4 GiB. Returns how many (0 to 2).
 */
size_t dp_vm_ram_ranges(const struct dp_vm *vm, uint64_t start[2], uint64_t end[2]);

#endif
