/* SPDX-License-Identifier: MIT */
/* An expansion ROM's images, validated: a pure parser of the PCI Firmware Specification's layout. */
#ifndef DP_OPTIONROM_H
#define DP_OPTIONROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DP_ROM_IMAGES_MAX (more images than any ROM ships), DP_ROM_CODE_*, dp_rom_code_type_name. */
#include <directpath/directpath.h>

struct dp_rom_image {
	uint32_t offset;          /* from the start of the ROM */
	uint32_t length;          /* bytes, from the PCIR image length */
	uint16_t vendor_id;       /* the PCIR's */
	uint16_t device_id;
	uint32_t class_code;
	uint8_t code_type;        /* DP_ROM_CODE_*, or another the firmware skips */
	uint8_t pcir_revision;
};

struct dp_rom_info {
	size_t n_images;
	struct dp_rom_image images[DP_ROM_IMAGES_MAX];
	uint32_t size;            /* bytes from the start to the last image's end */
};

/*
 * Validates rom (len bytes, the ROM BAR's size or less) for the function
 * vendor:device: each image's 0xAA55 signature, a dword-aligned PCIR inside
 * the image with its signature and a sane length, an image length that
 * fits, IDs that match the function (its device or its PCIR 3.0 device
 * list), the EFI signature of an EFI image, and a chain that ends with an
 * image marked last. 0 and *info, or -EINVAL with the first problem in why.
 */
int dp_rom_parse(const uint8_t *rom, size_t len, uint16_t vendor, uint16_t device,
		 struct dp_rom_info *info, char *why, size_t why_len);

#endif
