/* SPDX-License-Identifier: MIT */
/*
 * An expansion ROM's images (PCI Firmware Specification 3.x, 5.1): each
 * starts with 0x55 0xAA and, at 0x18, the offset of its PCI data structure
 * ("PCIR"), which gives the vendor and device it is for, its length in
 * 512-byte units, its code type and whether it is the last image. A pure
 * parser: every offset it reads is checked against len first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "optionrom.h"
#include "parse.h"

#define ROM_HEADER 0x1a             /* through the PCIR pointer */
#define PCIR_MIN 0x18               /* the PCIR 2.x structure */
#define PCIR_LAST (1u << 7)         /* indicator: the last image */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Whether the PCIR (at pcir, in an image of img bytes) lists device (PCIR 3.0). */
static bool in_device_list(const uint8_t *image, size_t img, size_t pcir, uint16_t device)
{
	size_t list;

	if (image[pcir + 0x0c] < 3)
		return false;
	list = le16(image + pcir + 0x08);
	if (!list)
		return false;
	/* The list is 16-bit IDs ending with 0, from the start of the PCIR. */
	for (size_t at = pcir + list; at + 2 <= img; at += 2) {
		uint16_t id = le16(image + at);

		if (!id)
			break;
		if (id == device)
			return true;
	}
	return false;
}

const char *dp_rom_code_type_name(uint32_t code_type)
{
	static const char *const names[] = { "x86", "open-firmware", "pa-risc", "efi" };

	return code_type < sizeof(names) / sizeof(names[0]) ? names[code_type] : NULL;
}

int dp_rom_parse(const uint8_t *rom, size_t len, uint16_t vendor, uint16_t device,
		 struct dp_rom_info *info, char *why, size_t why_len)
{
	size_t off = 0;

	if (!rom || !info)
		return dp_parse_fail(why, why_len, "no ROM");
	memset(info, 0, sizeof(*info));
	if (len == 0)
		return dp_parse_fail(why, why_len, "the ROM is empty");
	for (;;) {
		struct dp_rom_image *im;
		const uint8_t *image = rom + off;
		size_t room = len - off, pcir, pcir_len, img;
		unsigned n = (unsigned)info->n_images;

		if (info->n_images == DP_ROM_IMAGES_MAX)
			return dp_parse_fail(why, why_len, "more than %u images", DP_ROM_IMAGES_MAX);
		if (room < ROM_HEADER)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: truncated, %zu bytes left of %zu",
					     n, off, room, len);
		if (image[0] != 0x55 || image[1] != 0xaa)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: no 0xAA55 signature (%02x %02x)",
					     n, off, image[0], image[1]);
		pcir = le16(image + 0x18);
		if (pcir < ROM_HEADER || pcir % 4 || pcir + PCIR_MIN > room)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: PCIR pointer 0x%zx is out of the image",
					     n, off, pcir);
		if (memcmp(image + pcir, "PCIR", 4) != 0)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: no \"PCIR\" signature at 0x%zx",
					     n, off, off + pcir);
		pcir_len = le16(image + pcir + 0x0a);
		if (pcir_len < PCIR_MIN || pcir + pcir_len > room)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: PCIR length %zu is wrong",
					     n, off, pcir_len);
		img = (size_t)le16(image + pcir + 0x10) * 512;
		if (img == 0)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: length 0", n, off);
		if (img > room)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: %zu bytes long, past the ROM's %zu",
					     n, off, img, len);
		if (pcir + pcir_len > img)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: its PCIR ends past the image", n, off);
		im = &info->images[info->n_images++];
		im->offset = (uint32_t)off;
		im->length = (uint32_t)img;
		im->vendor_id = le16(image + pcir + 0x04);
		im->device_id = le16(image + pcir + 0x06);
		im->pcir_revision = image[pcir + 0x0c];
		im->class_code = (uint32_t)image[pcir + 0x0d] | (uint32_t)image[pcir + 0x0e] << 8 |
				 (uint32_t)image[pcir + 0x0f] << 16;
		im->code_type = image[pcir + 0x14];
		if (im->vendor_id != vendor ||
		    (im->device_id != device && !in_device_list(image, img, pcir, device)))
			return dp_parse_fail(why, why_len, "image %u at 0x%zx is for %04x:%04x, not this function's %04x:%04x",
					     n, off, im->vendor_id, im->device_id, vendor, device);
		if (im->code_type == DP_ROM_CODE_EFI && le32(image + 0x04) != 0x0ef1)
			return dp_parse_fail(why, why_len, "image %u at 0x%zx: an EFI image without the 0x0EF1 signature",
					     n, off);
		off += img;
		info->size = (uint32_t)off;
		if (image[pcir + 0x15] & PCIR_LAST)
			return 0;
		if (off >= len)
			return dp_parse_fail(why, why_len, "image %u is not marked last, and the ROM ends after it", n);
	}
}
