/* SPDX-License-Identifier: MIT */
/* The invalid_rom rule (romcheck.c). */
#ifndef DP_ROMCHECK_H
#define DP_ROMCHECK_H

#include "inventory.h"
#include "policy.h"
#include "report.h"

/*
 * The invalid-rom finding of a function with a ROM BAR whose image is
 * missing or invalid, by invalid_rom; nothing without a ROM BAR, with
 * invalid_rom = allow, or when the ROM cannot be read (logged: unknown is
 * not invalid). 0, or -ENOMEM.
 */
int dp_check_rom(const struct dp_policy *p, const struct dp_device *dev, struct dp_report *rep);

#endif
