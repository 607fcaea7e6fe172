/* SPDX-License-Identifier: MIT */
/* A function's option ROM, read and validated: rom.c (sysfs, the status), vdev-rom.c (VFIO). */
#ifndef DP_ROM_H
#define DP_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

/* The largest ROM read: PCI ROM BARs in the wild stop well below it. */
#define DP_ROM_READ_MAX (16u << 20)

/*
 * Validates the len bytes read of a ROM BAR of bar_size bytes for the
 * function vendor:device (lib/optionrom.c) into *st, which the caller
 * zeroed with its sz set: DP_ROM_VALID with the images, DP_ROM_MISSING
 * when no image starts at 0, DP_ROM_INVALID with the validator's reason.
 * Returns the state.
 */
uint32_t dp_rom_examine(const uint8_t *rom, size_t len, uint64_t bar_size, uint16_t vendor,
			uint16_t device, struct dp_rom_status *st);

/*
 * The status of dev's ROM read from sysfs (root only), into *st (zeroed by
 * the caller, sz set): DP_ROM_NONE without a ROM BAR, DP_ROM_UNKNOWN when
 * it cannot be read (logged), else what dp_rom_examine says. 0, or -ENOMEM.
 */
int dp_rom_read_status(struct dp_ctx *ctx, const struct dp_device *dev, struct dp_rom_status *st);

#endif
