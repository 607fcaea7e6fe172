/* SPDX-License-Identifier: MIT */
/* The lease registry read as host state (leases.c); lease.h takes and gives back leases. */
#ifndef DP_LEASES_H
#define DP_LEASES_H

#include <sys/types.h>

#include "internal.h"

#define LEASE_PREFIX "lease-"
#define LEASE_MAX 512
#define OWNER_BYTE 0 /* write-locked by the file's writer while it holds the lease */

/* RUN_DIR/lease-BDF into path; -EINVAL for a malformed BDF, -ENAMETOOLONG. */
int dp_lease_path(struct dp_ctx *ctx, const char *bdf, char *path, size_t size);
/*
 * Opens an existing lease file (flags may add O_CREAT and the mode is 0600)
 * without waiting on a FIFO or following a link; -ENOENT unlogged, other
 * errors logged, -EINVAL when it is not a regular file.
 */
int dp_lease_open(struct dp_ctx *ctx, const char *bdf, const char *path, int flags);
/* 1 when some open file other than fd's holds the ownership lock, 0 when none does. */
int dp_lease_held(int fd);
/* The record's "vm=" and "pid=" lines into owner and pid; junk gives "an unknown VM", 0. */
void dp_lease_parse_owner(int fd, char *owner, size_t size, pid_t *pid);
/*
 * 1 and the owner when a live process holds bdf's lease, 0 when free (no
 * file, or a dead owner's), or -errno (logged; -EINVAL: not a regular file).
 */
int dp_lease_query(struct dp_ctx *ctx, const char *bdf, char *owner, size_t size,
		   pid_t *pid);

#endif
