/* SPDX-License-Identifier: MIT */
/*
 * The gate every act on a VM's devices goes through (dp_attach,
 * dp_handoff_open): a fresh look at what the policy reads of the host, every
 * rule, and each device's lease (gate.c); or, for dp_attach from a manager's
 * handoff, the handoff's own gate, which the manager passed (handoff-attach.c).
 */
#ifndef DP_GATE_H
#define DP_GATE_H

#include "inventory.h"

struct dp_lease;

/* What passed the gate: the VM's entries resolved, in its order, each leased. */
struct dp_gate {
	size_t n;
	char (*bdf)[DP_BDF_LEN];
	struct dp_device **dev;       /* the inventory's, for the vdev */
	struct dp_lease **lease;      /* each device's, until the caller takes it (NULL) */
};

/*
 * Refreshes the VM's part of the inventory, checks every rule (logging each
 * error of a denial) and leases each device. 0 and *g, -EPERM when the policy
 * denies, or another -errno (logged); nothing is left held on failure.
 */
int dp_gate_pass(struct dp_policy *policy, const struct dp_vm *vm, struct dp_gate *g);
/* Frees g, releasing the leases nobody took. */
void dp_gate_fini(struct dp_gate *g);
/* g with room for n devices (zeroed); 0 or -ENOMEM. */
int dp_gate_alloc(struct dp_gate *g, size_t n);

#endif
