/* SPDX-License-Identifier: MIT */
/* An expansion ROM's images, validated: a pure parser of the PCI Firmware Specification's layout. */
#ifndef DP_OPTIONROM_H
#define DP_OPTIONROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More images than any ROM ships (legacy, UEFI x64, UEFI AArch64, ...). */
#define DP_ROM_IMAGES_MAX 8
#define DP_ROM_CODE_X86 0
#define DP_ROM_CODE_OPEN_FIRMWARE 1
#define DP_ROM_CODE_PA_RISC 2
#define DP_ROM_CODE_EFI 3

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

/* "x86", "open-firmware", "pa-risc", "efi", or NULL for another code type. */
const char *dp_rom_code_type_name(uint8_t code_type);

#endif
