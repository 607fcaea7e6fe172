/* SPDX-License-Identifier: MIT */
/* The guest's half of minivmm --hotplug: the port MINIVMM_HOTPLUG_PORT stands in for a hotplug event. */
#include <stdint.h>

#include "guest.h"

/*
 * minivmm --hotplug: asks for the device held back, drives it as an edu at
 * its new slot (BARs, DMA, MSI, INTx), asks minivmm to take it away, sees
 * the slot empty, and the first edu (at edu_dev, BAR0 at edu_bar) still
 * DMAs. A real guest would get an ACPI or PCIe native hotplug event.
 */
int hotplug_test(uint32_t edu_dev, uint32_t edu_bar)
{
	uint32_t dev, id = 0, bar0, cmd;

	puts_serial("hotplug: asking for the device held back\n");
	outb(MINIVMM_HOTPLUG_PORT, 1);
	if (inb(MINIVMM_HOTPLUG_PORT) != MINIVMM_HOTPLUG_ADDED) {
		puts_serial("hotplug: the hot add failed\n");
		return 0;
	}
	for (dev = 1; dev < 32; dev++) {
		id = cfg_read32(dev, 0, 0x00);
		if (dev != edu_dev && (id & 0xffffu) == EDU_VENDOR && (id >> 16) == EDU_DEVICE)
			break;
	}
	if (dev == 32) {
		puts_serial("hotplug: no new edu on bus 0\n");
		return 0;
	}
	puts_serial("hotplug: edu at 00:");
	puthex(dev, 2);
	puts_serial(".0\n");
	cmd = place_bars(dev, 0, &bar0);
	cfg_write16(dev, 0, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MASTER));
	if (!drive_edu(dev, bar0))
		return 0;
	cfg_write16(dev, 0, PCI_COMMAND, 0); /* quiet before the eject */
	outb(MINIVMM_HOTPLUG_PORT, 2);
	if (inb(MINIVMM_HOTPLUG_PORT) != MINIVMM_HOTPLUG_REMOVED) {
		puts_serial("hotplug: the hot remove failed\n");
		return 0;
	}
	if (cfg_read32(dev, 0, 0x00) != 0xffffffffu) {
		puts_serial("hotplug: the slot still answers\n");
		return 0;
	}
	puts_serial("hotplug: 00:");
	puthex(dev, 2);
	puts_serial(".0 is gone\n");
	if (!edu_dma_round_trip(edu_dev, edu_bar))
		return 0;
	puts_serial("hotplug: the first edu still works\n");
	return 1;
}
