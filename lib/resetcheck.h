/* SPDX-License-Identifier: MIT */
/*
 * Did a device come back from a reset? What the hardware's config space
 * says (the sysfs config file, never VFIO's virtualised view) before a
 * reset the library causes, compared with what it says after.
 */
#ifndef DP_RESETCHECK_H
#define DP_RESETCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The config header facts a reset must leave as they were. */
struct dp_reset_snapshot {
	bool valid;               /* taken; a verify against an invalid one checks IDs only */
	uint16_t vendor, device;
	uint16_t command;         /* PCI_COMMAND */
	uint8_t header_type;
	uint32_t bar[6];          /* type 0; a bridge keeps bar[0..1] */
	uint32_t rom;             /* expansion ROM BAR */
};

/* Reads bdf's config header into *s. 0, or -errno (logged). */
int dp_reset_snapshot_take(struct dp_ctx *ctx, const char *bdf, struct dp_reset_snapshot *s);

/*
 * After a reset: the vendor ID is not 0xffff, config space is readable,
 * and the IDs, BARs and the command register's I/O and memory enables are
 * what before holds. 0 when it came back; -EIO when not, with the reason
 * ("vendor ID reads 0xffff", "BAR2 0xfe000000 -> 0x00000000", ...) in
 * why (always terminated); another -errno when config could not be opened.
 * An enable that was off before and is on after is no failure (vfio-pci's
 * open enables decoding); a function gone from sysfs is -EIO. The caller
 * logs the reason; why may be NULL.
 */
int dp_reset_verify(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		    char *why, size_t why_len);

/*
 * dp_reset_verify with the reason spelt out for a log and a quarantine
 * record: 0, or -errno with "did not come back from the reset what: why"
 * (-EIO) or "its config space could not be read after the reset what: ..."
 * in reason (always terminated), and logged.
 */
int dp_reset_check(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		   const char *what, char *reason, size_t size);

/*
 * The library's own resets: did bdf come back from the reset what ("at
 * open")? 0; or -EIO with the reason logged and bdf quarantined
 * (dp_quarantine_add); another -errno when its config space cannot be read.
 */
int dp_reset_came_back(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		       const char *what);

#endif
