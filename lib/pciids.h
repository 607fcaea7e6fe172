/* SPDX-License-Identifier: MIT */
/* Vendor and device names from pci.ids, loaded once per context and only when asked for. */
#ifndef DP_PCIIDS_H
#define DP_PCIIDS_H

#include <stdint.h>

#include "internal.h"

/* Where pci.ids is looked for, in order: pciutils' place on Debian, then hwdata's. */
#define DP_PCI_IDS_PATHS { "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids" }

struct dp_pciids;

/*
 * The context's names: pci.ids is read on the first call and never again,
 * found or not. NULL when there is no pci.ids (or no memory for it); logs
 * at LOG_DEBUG only, as names are for humans and may be missing.
 */
struct dp_pciids *dp_pciids_get(struct dp_ctx *ctx);
/*
 * Indexes text, len bytes of pci.ids NUL-terminated at text[len], which it
 * takes (freed with the result, or on failure). 0 or -ENOMEM.
 */
int dp_pciids_from_text(char *text, size_t len, struct dp_pciids **out);
/* Frees what dp_pciids_get or dp_pciids_from_text made; NULL is a no-op. */
void dp_pciids_free(struct dp_pciids *ids);

/*
 * Names as libpciaccess finds them: the vendor's line, and the first of its
 * device lines with this ID (subsystem lines are not device names). Borrowed
 * from ids; NULL when not listed.
 */
const char *dp_pciids_vendor(struct dp_pciids *ids, uint16_t vendor);
const char *dp_pciids_device(struct dp_pciids *ids, uint16_t vendor, uint16_t device);

/* How many times this context read a pci.ids file (0 or 1): for tests. */
unsigned dp_pciids_loads(const struct dp_ctx *ctx);

#endif
