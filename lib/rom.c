/* SPDX-License-Identifier: MIT */
/*
 * A function's option ROM before an attach: the sysfs rom attribute, read
 * and validated (lib/optionrom.c checks the bytes). The kernel refuses to
 * read it until "1" is written to it, and reads only what its own look at
 * the images finds (an EIO when the first image has no 0xAA55 and PCIR
 * signatures, or when the function's memory decoding is off); the
 * attribute is root's alone. So: read, and on the kernel's EINVAL enable
 * it for one read and disable it again, leaving it as it was found.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "optionrom.h"
#include "opts.h"
#include "rom.h"
#include "sysfs.h"

uint32_t dp_rom_examine(const uint8_t *rom, size_t len, uint64_t bar_size, uint16_t vendor,
			uint16_t device, struct dp_rom_status *st)
{
	struct dp_rom_info info;
	char why[160];

	st->bar_size = bar_size;
	st->n_images = 0;
	st->size = 0;
	st->reason[0] = '\0';
	if (len < 2 || rom[0] != 0x55 || rom[1] != 0xaa) {
		st->state = DP_ROM_MISSING;
		if (len < 2)
			snprintf(st->reason, sizeof(st->reason), "%zu bytes read, no 0xAA55 signature", len);
		else
			snprintf(st->reason, sizeof(st->reason),
				 "no 0xAA55 signature at its start (%02x %02x)", rom[0], rom[1]);
		return st->state;
	}
	if (dp_rom_parse(rom, len, vendor, device, &info, why, sizeof(why)) < 0) {
		st->state = DP_ROM_INVALID;
		snprintf(st->reason, sizeof(st->reason), "%s", why);
	} else {
		st->state = DP_ROM_VALID;
		st->size = info.size;
	}
	/* The images whose PCIR was read, a refused one too: show tells what is there. */
	st->n_images = (uint32_t)info.n_images;
	for (size_t i = 0; i < info.n_images; i++)
		st->code_types[i] = info.images[i].code_type;
	return st->state;
}

static uint32_t unknown(struct dp_ctx *ctx, const char *bdf, struct dp_rom_status *st,
			const char *why)
{
	snprintf(st->reason, sizeof(st->reason), "%s", why);
	dp_info(ctx, "%s: its option ROM was not read: %s; whether it is valid is unknown", bdf, why);
	return st->state = DP_ROM_UNKNOWN;
}

int dp_rom_read_status(struct dp_ctx *ctx, const struct dp_device *dev, struct dp_rom_status *st)
{
	uint64_t bar = dev->info.rom_size;
	size_t max = bar < DP_ROM_READ_MAX ? (size_t)bar : DP_ROM_READ_MAX;
	char path[PATH_MAX], why[PATH_MAX + 64];
	uint8_t *rom, cmd[6];
	long n;
	int dfd, w;

	st->state = DP_ROM_NONE;
	st->bar_size = bar;
	if (!(dev->info.flags & DP_DEVICE_ROM) || bar == 0)
		return 0;
	snprintf(path, sizeof(path), DP_SYS_PCI_DEVICES "/%s", dev->bdf);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		unknown(ctx, dev->bdf, st, why);
		return 0;
	}
	rom = malloc(max);
	if (!rom) {
		close(dfd);
		return -ENOMEM;
	}
	n = dp_sysfs_read_bin(dfd, "rom", rom, max);
	if (n == -EINVAL) { /* the kernel's "not enabled" */
		w = dp_sysfs_write(dfd, "rom", "1");
		n = w < 0 ? w : dp_sysfs_read_bin(dfd, "rom", rom, max);
		if (w == 0 && (w = dp_sysfs_write(dfd, "rom", "0")) < 0)
			dp_warn(ctx, "%s: could not disable reading its ROM again: %s", dev->bdf,
				strerror(-w));
	}
	/* The kernel reads the ROM without switching memory decoding on: off, it reads nothing. */
	if (n == -EIO && dp_sysfs_read_bin(dfd, "config", cmd, sizeof(cmd)) == (long)sizeof(cmd) &&
	    !(cmd[4] & PCI_COMMAND_MEMORY))
		n = -ENXIO;
	close(dfd);
	if (n == -ENOENT)
		unknown(ctx, dev->bdf, st, "the kernel gives it no rom file");
	else if (n == -EACCES || n == -EPERM)
		unknown(ctx, dev->bdf, st, "reading it takes root");
	else if (n == -ENXIO)
		unknown(ctx, dev->bdf, st, "its memory decoding is off, so the kernel cannot read it");
	else if (n == -EIO) {
		/* pci_map_rom: no 0xAA55 and PCIR signatures at the start (or no address for it). */
		st->state = DP_ROM_MISSING;
		snprintf(st->reason, sizeof(st->reason),
			 "the kernel found no image in it (no 0xAA55 and PCIR signatures at its start)");
	} else if (n < 0) {
		snprintf(why, sizeof(why), "reading its rom file: %s", strerror((int)-n));
		unknown(ctx, dev->bdf, st, why);
	} else {
		dp_rom_examine(rom, (size_t)n, bar, dev->info.vendor_id, dev->info.device_id, st);
	}
	free(rom);
	return 0;
}

int dp_device_get_rom_status(const struct dp_device *dev, struct dp_rom_status *status)
{
	struct dp_rom_status st = { .sz = sizeof(st) };
	int r;

	if (!dev || dp_bug_on(dev->ctx, !status))
		return -EINVAL;
	r = dp_rom_read_status(dev->ctx, dev, &st);
	if (r < 0)
		return r;
	return dp_info_copy_out(status, offsetof(struct dp_rom_status, reason) + sizeof(st.reason),
				&st, sizeof(st));
}
