/* SPDX-License-Identifier: MIT */
/*
 * Device leases: one running VM per device across every process of the host.
 * A lease is the file RUN_DIR/lease-BDF holding the owner's VM name and pid,
 * complete before it appears, with an OFD write lock on its byte 0 held by
 * that owner; the kernel drops the lock when the owner dies (see lease.c).
 * Taking and giving back leases acts on the host: the backend's, after a
 * report allowed it. Reading who holds one is leases.h's, a host fact.
 */
#ifndef DP_LEASE_H
#define DP_LEASE_H

#include <sys/types.h>

#include "leases.h"

struct dp_lease;

/* Takes the lease of bdf for vm_name; -EBUSY (owner logged) when another holds it. */
int dp_lease_acquire(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		     struct dp_lease **out);
/* The same, with -EBUSY logged at debug level only: for a choice among devices (select.c). */
int dp_lease_try(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		 struct dp_lease **out);
/* Releases it (the file goes too); NULL is a no-op. */
void dp_lease_release(struct dp_lease *lease);
/* The open file holding the lease (to pass to another process: dp_handoff_send). */
int dp_lease_get_fd(const struct dp_lease *lease);
/*
 * Forgets a lease passed to another process: closes this copy of its open
 * file, leaving the file and its lock to the other copy; NULL is a no-op.
 */
void dp_lease_disown(struct dp_lease *lease);
#define DP_LEASE_OWNER_MAX 256
/*
 * Takes over the lease of bdf from fd, an open file a manager passed:
 * it must be RUN_DIR/lease-BDF, its ownership lock held by fd's open file,
 * its record naming vm_name. 0 and *out (fd is then the lease's), or
 * -errno, logged (fd left to the caller): -ESTALE no such lease or not
 * held, -EBUSY held by another open file, -EPERM another VM's, -EBADF
 * another file. Its release closes fd, removing the file where allowed.
 */
int dp_lease_adopt(struct dp_ctx *ctx, const char *bdf, const char *vm_name, int fd,
		   struct dp_lease **out);
/* Creates the run directory (mode 0755) unless it exists; 0 or -errno, logged. */
int dp_run_dir_make(struct dp_ctx *ctx);

#endif
