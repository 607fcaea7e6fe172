/* SPDX-License-Identifier: MIT */
/*
 * Device leases: one running VM per device across every process of the host.
 * A lease is the file RUN_DIR/lease-BDF holding the owner's VM name and pid,
 * complete before it appears, with an OFD write lock on its byte 0 held by
 * that owner; the kernel drops the lock when the owner dies (see lease.c).
 */
#ifndef DP_LEASE_H
#define DP_LEASE_H

#include <sys/types.h>

#include "internal.h"

struct dp_lease;

/* Takes the lease of bdf for vm_name; -EBUSY (owner logged) when another holds it. */
int dp_lease_acquire(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		     struct dp_lease **out);
/* Releases it (the file goes too); NULL is a no-op. */
void dp_lease_release(struct dp_lease *lease);
/*
 * 1 and the owner when a live process holds bdf's lease, 0 when free (no
 * file, or a dead owner's), or -errno (logged; -EINVAL: not a regular file).
 */
int dp_lease_query(struct dp_ctx *ctx, const char *bdf, char *owner, size_t size,
		   pid_t *pid);

#endif
