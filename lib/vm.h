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
	uint32_t features;
	char **devices;  /* as given */
	size_t n_devices;
};

#endif
