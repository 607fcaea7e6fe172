/* SPDX-License-Identifier: MIT */
/* Expansion ROM validation (lib/optionrom.c) on ROMs built here, good and broken. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "optionrom.h"
#include "testrun.h"

#define VENDOR 0x1234
#define DEVICE 0x11e8
#define ROM_SIZE (64 * 1024)

static uint8_t rom[ROM_SIZE];
static char why[160];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* An image at off of n512 512-byte units for vendor:device; its PCIR at 0x1c. */
static uint8_t *image(size_t off, uint16_t vendor, uint16_t device, uint16_t n512,
		      uint8_t code_type, bool last)
{
	uint8_t *im = rom + off, *pcir = im + 0x1c;

	memset(im, 0, (size_t)n512 * 512);
	im[0] = 0x55;
	im[1] = 0xaa;
	im[2] = (uint8_t)n512;
	if (code_type == DP_ROM_CODE_EFI) {
		put16(im + 0x04, 0x0ef1);
		put16(im + 0x08, 0x0b); /* EFI boot service driver */
		put16(im + 0x0a, 0x8664);
	}
	put16(im + 0x18, 0x1c);
	memcpy(pcir, "PCIR", 4);
	put16(pcir + 0x04, vendor);
	put16(pcir + 0x06, device);
	put16(pcir + 0x0a, 0x18);
	pcir[0x0c] = 0;
	pcir[0x0d] = 0x00;
	pcir[0x0e] = 0x00;
	pcir[0x0f] = 0xff;
	put16(pcir + 0x10, n512);
	pcir[0x14] = code_type;
	pcir[0x15] = last ? 0x80 : 0;
	return pcir;
}

static int parse(size_t len, struct dp_rom_info *info)
{
	why[0] = '\0';
	return dp_rom_parse(rom, len, VENDOR, DEVICE, info, why, sizeof(why));
}

static void assert_invalid(size_t len, const char *want)
{
	struct dp_rom_info info;

	ck_assert_int_eq(parse(len, &info), -EINVAL);
	ck_assert_msg(strstr(why, want), "why \"%s\" lacks \"%s\"", why, want);
}

static void setup(void)
{
	memset(rom, 0xff, sizeof(rom));
}

START_TEST(one_x86_image)
{
	struct dp_rom_info info;

	image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, true);
	ck_assert_int_eq(parse(ROM_SIZE, &info), 0);
	ck_assert_uint_eq(info.n_images, 1);
	ck_assert_uint_eq(info.size, 2048);
	ck_assert_uint_eq(info.images[0].offset, 0);
	ck_assert_uint_eq(info.images[0].length, 2048);
	ck_assert_uint_eq(info.images[0].vendor_id, VENDOR);
	ck_assert_uint_eq(info.images[0].device_id, DEVICE);
	ck_assert_uint_eq(info.images[0].class_code, 0xff0000);
	ck_assert_uint_eq(info.images[0].code_type, DP_ROM_CODE_X86);
	/* A ROM exactly as long as its image. */
	ck_assert_int_eq(parse(2048, &info), 0);
}
END_TEST

START_TEST(legacy_and_efi_images_chain)
{
	struct dp_rom_info info;

	image(0, VENDOR, DEVICE, 2, DP_ROM_CODE_X86, false);
	image(1024, VENDOR, DEVICE, 8, DP_ROM_CODE_EFI, true);
	ck_assert_int_eq(parse(ROM_SIZE, &info), 0);
	ck_assert_uint_eq(info.n_images, 2);
	ck_assert_uint_eq(info.images[1].offset, 1024);
	ck_assert_uint_eq(info.images[1].code_type, DP_ROM_CODE_EFI);
	ck_assert_uint_eq(info.size, 1024 + 4096);
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_EFI), "efi");
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_X86), "x86");
	ck_assert_ptr_null(dp_rom_code_type_name(4));
}
END_TEST

START_TEST(device_list_of_pcir_3)
{
	struct dp_rom_info info;
	uint8_t *pcir = image(0, VENDOR, 0x1111, 4, DP_ROM_CODE_X86, true);

	assert_invalid(ROM_SIZE, "is for 1234:1111, not this function's 1234:11e8");
	pcir[0x0c] = 3;
	put16(pcir + 0x08, 0x40); /* the list, from the PCIR's start */
	put16(pcir + 0x40, 0x2222);
	put16(pcir + 0x42, DEVICE);
	put16(pcir + 0x44, 0);
	ck_assert_int_eq(parse(ROM_SIZE, &info), 0);
	put16(pcir + 0x42, 0x3333);
	assert_invalid(ROM_SIZE, "not this function's");
	/* A list that runs off the image ends there. */
	put16(pcir + 0x08, 0x7fe);
	assert_invalid(ROM_SIZE, "not this function's");
}
END_TEST

START_TEST(broken_roms_say_why)
{
	uint8_t *pcir;

	assert_invalid(ROM_SIZE, "image 0 at 0x0: no 0xAA55 signature (ff ff)");
	assert_invalid(0, "empty");
	image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, true);
	assert_invalid(0x10, "truncated, 16 bytes left");
	assert_invalid(1000, "2048 bytes long, past the ROM's 1000");
	put16(rom + 0x18, 0xfff0);
	assert_invalid(ROM_SIZE, "PCIR pointer 0xfff0 is out of the image");
	put16(rom + 0x18, 0x1e);
	assert_invalid(ROM_SIZE, "PCIR pointer 0x1e is out of the image"); /* not dword-aligned */
	put16(rom + 0x18, 0x08);
	assert_invalid(ROM_SIZE, "PCIR pointer 0x8 is out of the image"); /* inside the header */
	pcir = image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, true);
	pcir[0] = 'X';
	assert_invalid(ROM_SIZE, "no \"PCIR\" signature at 0x1c");
	pcir = image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, true);
	put16(pcir + 0x0a, 4);
	assert_invalid(ROM_SIZE, "PCIR length 4 is wrong");
	pcir = image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, true);
	put16(pcir + 0x10, 0);
	assert_invalid(ROM_SIZE, "length 0");
	image(0, 0x8086, DEVICE, 4, DP_ROM_CODE_X86, true);
	assert_invalid(ROM_SIZE, "is for 8086:11e8");
	image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_EFI, true);
	put16(rom + 0x04, 0x1234);
	assert_invalid(ROM_SIZE, "EFI image without the 0x0EF1 signature");
}
END_TEST

START_TEST(chains_end_where_they_should)
{
	struct dp_rom_info info;

	/* Not marked last, and nothing after it. */
	image(0, VENDOR, DEVICE, 4, DP_ROM_CODE_X86, false);
	assert_invalid(2048, "image 0 is not marked last, and the ROM ends after it");
	/* Not marked last, and garbage after it. */
	assert_invalid(ROM_SIZE, "image 1 at 0x800: no 0xAA55 signature");
	/* The second image for another function. */
	image(2048, VENDOR, 0x0001, 1, DP_ROM_CODE_EFI, true);
	assert_invalid(ROM_SIZE, "image 1 at 0x800 is for 1234:0001");
	/* Nine images: one too many. */
	for (size_t i = 0; i < 9; i++)
		image(i * 512, VENDOR, DEVICE, 1, DP_ROM_CODE_X86, i == 8);
	assert_invalid(ROM_SIZE, "more than 8 images");
	/* Eight are fine. */
	image(7 * 512, VENDOR, DEVICE, 1, DP_ROM_CODE_X86, true);
	ck_assert_int_eq(parse(ROM_SIZE, &info), 0);
	ck_assert_uint_eq(info.n_images, 8);
	ck_assert_uint_eq(info.size, 8 * 512);
}
END_TEST

START_TEST(null_arguments)
{
	struct dp_rom_info info;

	ck_assert_int_eq(dp_rom_parse(NULL, 1, VENDOR, DEVICE, &info, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(dp_rom_parse(rom, 1, VENDOR, DEVICE, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(dp_rom_parse(rom, ROM_SIZE, VENDOR, DEVICE, &info, NULL, 0), -EINVAL);
}
END_TEST

static Suite *rom_suite(void)
{
	Suite *s = suite_create("optionrom");
	TCase *tc = tcase_create("optionrom");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, one_x86_image);
	tcase_add_test(tc, legacy_and_efi_images_chain);
	tcase_add_test(tc, device_list_of_pcir_3);
	tcase_add_test(tc, broken_roms_say_why);
	tcase_add_test(tc, chains_end_where_they_should);
	tcase_add_test(tc, null_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dp_test_run(rom_suite());
}
