/* SPDX-License-Identifier: MIT */
/*
 * Expansion ROM validation (dp_rom_parse: lib/optionrom.c). The input is the
 * function's vendor and device IDs (4 bytes, little-endian) and then the ROM,
 * in an exactly sized copy (ASan sees any read past it). A ROM accepted
 * must be a contiguous chain from offset 0 of images with the 0xAA55
 * signature, whole 512-byte units, for the function's vendor, ending in the
 * one image marked last, within the ROM; a ROM refused says why.
 * dp_rom_examine (lib/rom.c: what the invalid_rom rule, show and
 * dp_vdev_get_rom make of a ROM BAR's bytes) must agree with it: valid
 * exactly when it accepts, missing exactly when no signature starts the
 * ROM, and a one-line reason otherwise.
 */
#include "fuzz.h"
#include "optionrom.h"
#include "rom.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_rom_info info;
	char why[160] = "";
	uint16_t vendor, device;
	uint8_t *rom;
	size_t len, end = 0;
	int r;

	if (size < 4)
		return 0;
	vendor = le16(data);
	device = le16(data + 2);
	len = size - 4;
	rom = malloc(len ? len : 1);
	if (!rom)
		abort();
	memcpy(rom, data + 4, len);
	r = dp_rom_parse(rom, len, vendor, device, &info, why, sizeof(why));
	{
		struct dp_rom_status st = { .sz = sizeof(st) };
		uint32_t state = dp_rom_examine(rom, len, len, vendor, device, &st);
		bool sig = len >= 2 && rom[0] == 0x55 && rom[1] == 0xaa;

		FZ_ASSERT(state == st.state, "%u, state %u", state, st.state);
		FZ_ASSERT((state == DP_ROM_VALID) == (r == 0), "state %u, parse %d", state, r);
		FZ_ASSERT((state == DP_ROM_MISSING) == !sig, "state %u, signature %d", state, sig);
		FZ_ASSERT(state == DP_ROM_VALID ? st.reason[0] == '\0' && st.size == info.size
			  : st.reason[0] != '\0' && st.size == 0, "state %u: reason \"%s\", size %llu",
			  state, st.reason, (unsigned long long)st.size);
		FZ_ASSERT(!strchr(st.reason, '\n'), "a reason of more than one line");
		FZ_ASSERT(st.n_images <= DP_ROM_IMAGES_MAX && st.size <= len, "%u images, %llu bytes",
			  st.n_images, (unsigned long long)st.size);
	}
	if (r < 0) {
		FZ_ASSERT(r == -EINVAL, "%d", r);
		FZ_ASSERT(why[0] != '\0', "refused without a reason");
	} else {
		FZ_ASSERT(r == 0, "%d", r);
		FZ_ASSERT(info.n_images >= 1 && info.n_images <= DP_ROM_IMAGES_MAX, "%zu images",
			  info.n_images);
		for (size_t i = 0; i < info.n_images; i++) {
			const struct dp_rom_image *im = &info.images[i];
			size_t pcir;

			FZ_ASSERT(im->offset == end, "image %zu at %u, the chain is at %zu", i,
				  im->offset, end);
			FZ_ASSERT(im->length && im->length % 512 == 0, "image %zu: %u bytes", i,
				  im->length);
			FZ_ASSERT((size_t)im->offset + im->length <= len, "image %zu past the ROM", i);
			FZ_ASSERT(rom[im->offset] == 0x55 && rom[im->offset + 1] == 0xaa,
				  "image %zu: no signature", i);
			FZ_ASSERT(im->vendor_id == vendor, "image %zu: vendor %04x", i, im->vendor_id);
			pcir = im->offset + le16(rom + im->offset + 0x18);
			FZ_ASSERT(pcir % 4 == 0 && pcir + 0x18 <= (size_t)im->offset + im->length,
				  "image %zu: PCIR at %zu", i, pcir);
			FZ_ASSERT(memcmp(rom + pcir, "PCIR", 4) == 0, "image %zu: PCIR signature", i);
			FZ_ASSERT(!!(rom[pcir + 0x15] & 0x80) == (i + 1 == info.n_images),
				  "image %zu: last-image indicator", i);
			end = (size_t)im->offset + im->length;
		}
		FZ_ASSERT(info.size == end, "size %u, the chain ends at %zu", info.size, end);
	}
	free(rom);
	return 0;
}
