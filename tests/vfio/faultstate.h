/* SPDX-License-Identifier: MIT */
/*
 * What a run of the backend may leave behind, as the process and the VMM
 * side see it: fds and eventfds, mappings, and (through fault.c's log of the
 * ioctls that succeeded) KVM memory slots, irqfds and MSI routes. Shared by
 * the fault-injection tests.
 */
#ifndef DP_FAULTSTATE_H
#define DP_FAULTSTATE_H

#include <stdbool.h>

struct dp_fault_state {
	int fds, eventfds, maps, vfio_maps;
	unsigned slots, irqfds, routes;
};

/* The state now; vm_fd: the KVM VM whose slots, irqfds and routes count (-1: none). */
void dp_fault_state_get(struct dp_fault_state *s, int vm_fd);
/* Fails the test unless a equals b (host mappings aside, if maps_may_stay); what names the moment. */
void dp_fault_state_same_but(const struct dp_fault_state *b, const struct dp_fault_state *a,
			     const char *what, bool maps_may_stay);

#endif
