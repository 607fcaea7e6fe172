/* SPDX-License-Identifier: MIT */
/* The handoff tests' fixture (handoff-fixture.c). Root, white-box. */
#ifndef DP_HANDOFF_FIXTURE_H
#define DP_HANDOFF_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "fakesys.h"
#include "handoff.h"
#include "vm.h"

#define B1 "0000:01:00.0"
#define B2 "0000:02:00.0"
#define NODE_CONTAINER "/dev/null"   /* 1:3 */
#define NODE_GROUP "/dev/zero"       /* 1:5, group 7 */
#define NODE_IOMMU "/dev/full"       /* 1:7 */
#define NODE_DEVICE "/dev/urandom"   /* 1:9, B1's vfio0 */

extern struct dp_fakesys *fs;
extern struct dp_ctx *ctx;
extern int sv[2];

/* Two edu (B1 in group 7, B2 in 8) on the synthetic /sys, a context, the socketpair. */
void handoff_fixture_setup(void);
void handoff_fixture_teardown(void);
/* An open fd of path, asserted. */
int open_node(const char *path);
/*
 * A manager's handoff for VM vm1 of B1 as dp_handoff_open leaves it (add:
 * as dp_handoff_open_device does), its nodes stood in for: the lease is
 * real, taken for lease_vm.
 */
struct dp_handoff *manager_as(uint32_t backend, const char *lease_vm, bool add);
struct dp_handoff *manager(uint32_t backend, const char *lease_vm);
/* A VM of ctx named name with the one device dev. */
struct dp_vm *vm_of(const char *name, const char *dev);
/* What the manager sent (type1, B1), received: the VMM's handoff. */
struct dp_handoff *received(const char *lease_vm);

#endif
