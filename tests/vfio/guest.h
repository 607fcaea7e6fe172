/* SPDX-License-Identifier: MIT */
/* What the backend's tests in the tests/vm guest share: their context and the edu devices. */
#ifndef DP_GUEST_H
#define DP_GUEST_H

#include <stddef.h>

#include <directpath/directpath.h>

#define DP_EDU_VENDOR 0x1234
#define DP_EDU_DEVICE 0x11e8
#define DP_GUEST_BDF_MAX 32

/* Skips the program (a TAP plan) where there is no VFIO: only the guest has it. */
void dp_guest_require_vfio(void);
/* A context with the test log, its directories under /tmp, no compatibility list. */
struct dp_ctx *dp_guest_ctx(void);
/* Scans and fills bdfs (and groups, if not NULL) with the edu functions, in BDF order. */
size_t dp_guest_find_edu(struct dp_ctx *ctx, char (*bdfs)[DP_GUEST_BDF_MAX], int *groups,
			 size_t max);
/* Marks bdf and binds it to vfio-pci now, as "directpath mark --now" would. */
void dp_guest_mark(struct dp_ctx *ctx, const char *bdf);
/* A policy that accepts edu, which no compatibility list names. */
struct dp_policy *dp_guest_policy(struct dp_ctx *ctx);

#endif
