/* SPDX-License-Identifier: MIT */
/*
 * An attached device's option ROM, through VFIO's ROM region: read once,
 * validated as before an attach (lib/rom.c, lib/optionrom.c), kept in the
 * vdev for the VMM and the guest-facing ROM BAR. The kernel maps the ROM
 * only when its first image has the 0xAA55 and PCIR signatures (vfio-pci
 * then offers no ROM region at all, or a read fails with ENOMEM) and reads
 * 0xff past what its own walk of the images found.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "attach.h"
#include "rom.h"

void dp_vdev_rom_free(struct dp_vdev *v)
{
	free(v->rom);
	v->rom = NULL;
	v->rom_len = 0;
	v->rom_err = 0;
}

/* The reads of read_rom, with memory space on. */
static int read_rom_region(struct dp_vdev *v, const struct dp_vdev_region *reg, uint8_t *buf,
			   size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(v->fd, buf + done, len - done, (off_t)(reg->offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMEM && done == 0) {
			dp_err(v->att->ctx, "%s: the kernel found no option ROM image in its ROM BAR (no 0xAA55 and PCIR signatures at its start)",
			       v->bdf);
			return -EBADMSG;
		}
		if (n <= 0) {
			dp_err(v->att->ctx, "%s: reading its ROM region at %#zx: %s", v->bdf, done,
			       n < 0 ? strerror(errno) : "end of file");
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * Reads len bytes of the ROM region; 0, -EBADMSG (the kernel found no image)
 * or -EIO. The device decodes its ROM only with memory space on: a guest or
 * dp_vpci may have switched it off, so it is on for the read, then as it was.
 */
static int read_rom(struct dp_vdev *v, uint8_t *buf, size_t len)
{
	const struct dp_vdev_region *reg = &v->regions[DP_REGION_ROM];
	uint16_t cmd = 0, on;
	int r;

	if (dp_vdev_config_read(v, PCI_COMMAND, &cmd, 2) < 0)
		return -EIO;
	on = htole16((uint16_t)(le16toh(cmd) | PCI_COMMAND_MEMORY));
	if (on != cmd && dp_vdev_config_write(v, PCI_COMMAND, &on, 2) < 0)
		return -EIO;
	r = read_rom_region(v, reg, buf, len);
	if (on != cmd && dp_vdev_config_write(v, PCI_COMMAND, &cmd, 2) < 0 && r == 0)
		r = -EIO;
	return r;
}

/* Reads and validates the ROM into v->rom; 0, -ENOENT, -EBADMSG, -EIO or -ENOMEM. */
static int load_rom(struct dp_vdev *v)
{
	struct dp_rom_status st = { .sz = sizeof(st) };
	uint64_t bar = DP_REGION_ROM < v->num_regions ? v->regions[DP_REGION_ROM].size : 0;
	size_t len = bar < DP_ROM_READ_MAX ? (size_t)bar : DP_ROM_READ_MAX;
	uint16_t ids[2];
	uint8_t *buf, *fit;
	int r;

	if (bar == 0) {
		const struct dp_device *dev = dp_inventory_lookup(v->att->ctx, v->bdf);

		/* vfio-pci offers no ROM region where pci_map_rom finds no image. */
		if (dev && (dev->info.flags & DP_DEVICE_ROM)) {
			dp_err(v->att->ctx, "%s: its ROM BAR of %#llx bytes holds no option ROM image: VFIO offers no ROM region, as the kernel finds no 0xAA55 and PCIR signatures at its start",
			       v->bdf, (unsigned long long)dev->info.rom_size);
			return -EBADMSG;
		}
		return -ENOENT;
	}
	if (!(v->regions[DP_REGION_ROM].flags & VFIO_REGION_INFO_FLAG_READ)) {
		dp_err(v->att->ctx, "%s: VFIO does not let its ROM region be read", v->bdf);
		return -EIO;
	}
	r = dp_vdev_config_read(v, 0, ids, sizeof(ids));
	if (r < 0)
		return -EIO;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	r = read_rom(v, buf, len);
	if (r == 0 && dp_rom_examine(buf, len, bar, le16toh(ids[0]), le16toh(ids[1]), &st) != DP_ROM_VALID) {
		dp_err(v->att->ctx, "%s: its option ROM (ROM BAR bytes 0x0-0x%llx) is %s: %s", v->bdf,
		       (unsigned long long)bar - 1, st.state == DP_ROM_MISSING ? "missing" : "invalid",
		       st.reason);
		r = -EBADMSG;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	fit = realloc(buf, st.size); /* the images without the BAR's padding */
	v->rom = fit ? fit : buf;
	v->rom_len = st.size;
	dp_dbg(v->att->ctx, "%s: option ROM of %zu bytes, %u image%s", v->bdf, v->rom_len,
	       st.n_images, st.n_images == 1 ? "" : "s");
	return 0;
}

int dp_vdev_get_rom(struct dp_vdev *vdev, const void **image, size_t *len)
{
	int r;

	if (!vdev)
		return -EINVAL;
	if (dp_bug_on(vdev->att->ctx, !image || !len))
		return -EINVAL;
	if (vdev->fd < 0)
		return -ENODEV;
	if (!vdev->rom && !vdev->rom_err) {
		r = load_rom(vdev);
		if (r == -ENOENT || r == -EBADMSG)
			vdev->rom_err = r; /* the device's answer: asking again changes nothing */
		else if (r < 0)
			return r;
	}
	if (vdev->rom_err)
		return vdev->rom_err;
	*image = vdev->rom;
	*len = vdev->rom_len;
	return 0;
}
