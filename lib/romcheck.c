/* SPDX-License-Identifier: MIT */
/*
 * The invalid_rom rule: a function whose ROM BAR holds no image, or one
 * the validator refuses (lib/optionrom.c: signatures, IDs, lengths against
 * the BAR, the chain, code types), gives a VM's firmware nothing, or a
 * broken image, to run. The ROM is read from sysfs (lib/rom.c).
 */
#include "rom.h"
#include "romcheck.h"

int dp_check_rom(const struct dp_policy *p, const struct dp_device *dev, struct dp_report *rep)
{
	struct dp_rom_status st = { .sz = sizeof(st) };
	int64_t action = p->rules[DP_RULE_INVALID_ROM];
	uint32_t severity = dp_action_severity(action);
	unsigned long long last;
	const char *how;
	int r;

	if (!(dev->info.flags & DP_DEVICE_ROM) || action == DP_ACTION_ALLOW)
		return 0;
	r = dp_rom_read_status(p->ctx, dev, &st);
	if (r < 0)
		return r;
	last = (unsigned long long)st.bar_size - 1;
	how = dp_rule_value_name(DP_RULE_INVALID_ROM, action);
	if (st.state == DP_ROM_MISSING)
		return dp_report_add(rep, DP_FINDING_INVALID_ROM, severity, dev->bdf, "invalid_rom",
				     "%s: its ROM BAR (bytes 0x0-0x%llx) holds no option ROM image: %s (invalid_rom = %s); the VM's firmware finds nothing to run: give the VM a ROM file, or set invalid_rom = allow if the device needs none",
				     dev->bdf, last, st.reason, how);
	if (st.state == DP_ROM_INVALID)
		return dp_report_add(rep, DP_FINDING_INVALID_ROM, severity, dev->bdf, "invalid_rom",
				     "%s: its option ROM (ROM BAR bytes 0x0-0x%llx) is invalid: %s (invalid_rom = %s); update the device's firmware, or give the VM a valid ROM file",
				     dev->bdf, last, st.reason, how);
	return 0;
}
