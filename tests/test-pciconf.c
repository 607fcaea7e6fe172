/* SPDX-License-Identifier: MIT */
/* The config space parser on crafted buffers: capabilities, bounds, loops. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pciconf.h"
#include "testrun.h"

static uint8_t cfg[4096];

static void put16(size_t off, uint16_t v)
{
	cfg[off] = (uint8_t)v;
	cfg[off + 1] = (uint8_t)(v >> 8);
}

static void put32(size_t off, uint32_t v)
{
	put16(off, (uint16_t)v);
	put16(off + 2, (uint16_t)(v >> 16));
}

/* A type-0 header with a capability list starting at first. */
static void header(uint8_t type, uint8_t first)
{
	memset(cfg, 0, sizeof(cfg));
	put16(0, 0x8086);
	put16(2, 0x10fb);
	put16(6, first ? 0x0010 : 0); /* status: capabilities list */
	cfg[0x0e] = type;
	cfg[0x34] = first;
}

static void cap(uint8_t at, uint8_t id, uint8_t next)
{
	cfg[at] = id;
	cfg[at + 1] = next;
}

START_TEST(short_config_is_einval)
{
	struct dp_pciconf pc;

	header(0, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 63, &pc), -EINVAL);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 0, &pc), -EINVAL);
	ck_assert_int_eq(dp_pciconf_parse(NULL, 64, &pc), -EINVAL);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, NULL), -EINVAL);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
}
END_TEST

START_TEST(header_type_bridge_and_multifunction)
{
	struct dp_pciconf pc;

	header(0x81, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
	ck_assert_uint_eq(pc.header_type, 1);
	ck_assert(pc.flags & DP_DEVICE_BRIDGE);
	ck_assert(pc.flags & DP_DEVICE_MULTIFUNCTION);
	header(0x00, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
	ck_assert_uint_eq(pc.flags, 0);
}
END_TEST

START_TEST(every_capability_is_found)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	cap(0x40, 0x01, 0x50);                 /* PM */
	put16(0x44, 0x0008);                   /* PMCSR No_Soft_Reset */
	cap(0x50, 0x05, 0x60);                 /* MSI */
	put16(0x52, 3 << 1);                   /* 8 vectors capable */
	cap(0x60, 0x10, 0x70);                 /* PCIe */
	put32(0x64, 0x10000000);               /* DevCap FLR */
	cap(0x70, 0x11, 0x00);                 /* MSI-X */
	put16(0x72, 63);                       /* 64 entries */
	put32(0x74, 0x2000 | 3);               /* table in BAR3 at 0x2000 */
	put32(0x78, 0x3000 | 3);               /* PBA in BAR3 at 0x3000 */
	put32(0x100, 0x000d | 1 << 16);        /* ACS, version 1, last */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 4096, &pc), 0);
	ck_assert_uint_eq(pc.flags, DP_DEVICE_PM | DP_DEVICE_PM_NO_SOFT_RESET |
					    DP_DEVICE_MSI | DP_DEVICE_PCIE | DP_DEVICE_FLR |
					    DP_DEVICE_MSIX | DP_DEVICE_ACS);
	ck_assert_uint_eq(pc.msi_vectors, 8);
	ck_assert_uint_eq(pc.msix_table_size, 64);
	ck_assert_uint_eq(pc.msix_table_bir, 3);
	ck_assert_uint_eq(pc.msix_table_offset, 0x2000);
	ck_assert_uint_eq(pc.msix_pba_bir, 3);
	ck_assert_uint_eq(pc.msix_pba_offset, 0x3000);
	ck_assert(!pc.cap_loop);
	ck_assert(!pc.ext_cap_loop);

	/* The same in 256 bytes: no extended space, so no ACS. */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(!(pc.flags & DP_DEVICE_ACS));
	ck_assert(pc.flags & DP_DEVICE_FLR);
}
END_TEST

/* The Advanced Features capability: the kernel's af_flr needs TP and FLR both. */
START_TEST(advanced_features_flr_needs_tp_and_flr)
{
	static const struct {
		uint8_t bits;
		bool flr;
	} cases[] = { { 0x03, true }, { 0x02, false }, { 0x01, false }, { 0x00, false } };
	struct dp_pciconf pc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		header(0, 0x48);
		cap(0x48, 0x13, 0x00);
		cfg[0x4a] = 0x06;         /* length */
		cfg[0x4b] = cases[i].bits; /* AF capabilities */
		ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
		ck_assert_msg(!!(pc.flags & DP_DEVICE_AF_FLR) == cases[i].flr, "bits %#x", cases[i].bits);
		ck_assert(!(pc.flags & DP_DEVICE_FLR));
	}
	/* Cut short before its capabilities byte: not read. */
	header(0, 0xf8);
	cap(0xf8, 0x13, 0x00);
	cfg[0xfb] = 0x03;
	ck_assert_int_eq(dp_pciconf_parse(cfg, 0xfb, &pc), 0);
	ck_assert(!(pc.flags & DP_DEVICE_AF_FLR));
}
END_TEST

/* A PCI-to-PCI bridge's secondary and subordinate buses; none for an endpoint. */
START_TEST(bridge_buses)
{
	struct dp_pciconf pc;

	header(1, 0);
	cfg[0x19] = 0x02;
	cfg[0x1a] = 0x05;
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
	ck_assert_uint_eq(pc.secondary_bus, 2);
	ck_assert_uint_eq(pc.subordinate_bus, 5);
	header(0, 0);
	cfg[0x19] = 0x02;
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
	ck_assert_uint_eq(pc.secondary_bus, 0);
}
END_TEST

START_TEST(flags_absent_when_bits_clear)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	cap(0x40, 0x01, 0x60);
	cap(0x60, 0x10, 0x00);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert_uint_eq(pc.flags, DP_DEVICE_PM | DP_DEVICE_PCIE);
}
END_TEST

START_TEST(status_without_cap_list_ignores_pointer)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	put16(6, 0);
	cap(0x40, 0x10, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert_uint_eq(pc.flags, 0);
}
END_TEST

START_TEST(self_loop_terminates_keeping_what_was_found)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	cap(0x40, 0x10, 0x50);
	put32(0x44, 0x10000000);
	cap(0x50, 0x05, 0x50); /* points at itself */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(pc.cap_loop);
	ck_assert(pc.flags & DP_DEVICE_FLR);
	ck_assert(pc.flags & DP_DEVICE_MSI);
}
END_TEST

START_TEST(back_loop_terminates)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	cap(0x40, 0x01, 0x80);
	cap(0x80, 0x11, 0x40); /* back to the first */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(pc.cap_loop);
	ck_assert(pc.flags & DP_DEVICE_PM);
	ck_assert(pc.flags & DP_DEVICE_MSIX);
}
END_TEST

START_TEST(pointer_into_header_or_past_end_stops)
{
	struct dp_pciconf pc;

	header(0, 0x40);
	cap(0x40, 0x10, 0x20); /* into the header */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert_uint_eq(pc.flags, DP_DEVICE_PCIE);
	ck_assert(!pc.cap_loop);

	header(0, 0xfc); /* the last dword: the id fits, a PCIe DevCap would not */
	cap(0xfc, 0x10, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert_uint_eq(pc.flags, DP_DEVICE_PCIE);

	header(0, 0x80); /* beyond 64 readable bytes */
	cap(0x80, 0x10, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 64, &pc), 0);
	ck_assert_uint_eq(pc.flags, 0);
}
END_TEST

START_TEST(low_pointer_bits_are_ignored)
{
	struct dp_pciconf pc;

	header(0, 0x43); /* reserved low bits set */
	cap(0x40, 0x05, 0x00);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(pc.flags & DP_DEVICE_MSI);
	ck_assert_uint_eq(pc.msi_vectors, 1);
}
END_TEST

START_TEST(extended_loop_terminates)
{
	struct dp_pciconf pc;

	header(0, 0);
	put32(0x100, 0x0001 | 1 << 16 | 0x200u << 20); /* AER -> 0x200 */
	put32(0x200, 0x000d | 1 << 16 | 0x100u << 20); /* ACS -> back to 0x100 */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 4096, &pc), 0);
	ck_assert(pc.ext_cap_loop);
	ck_assert(pc.flags & DP_DEVICE_ACS);
}
END_TEST

START_TEST(extended_all_ones_is_absent)
{
	struct dp_pciconf pc;

	header(0, 0);
	put32(0x100, 0xffffffff);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 4096, &pc), 0);
	ck_assert_uint_eq(pc.flags, 0);
	ck_assert(!pc.ext_cap_loop);
}
END_TEST

START_TEST(cardbus_uses_its_own_pointer)
{
	struct dp_pciconf pc;

	header(2, 0);
	put16(6, 0x0010);
	cfg[0x14] = 0x80;
	cap(0x80, 0x01, 0);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(pc.flags & DP_DEVICE_BRIDGE);
	ck_assert(pc.flags & DP_DEVICE_PM);
}
END_TEST

START_TEST(random_bytes_never_escape_the_buffer)
{
	/* Any content: the walk stays inside len and ends (ASan/valgrind watch). */
	srand(12345);
	for (int round = 0; round < 2000; round++) {
		size_t len = 64 + (size_t)rand() % (4096 - 64 + 1);
		uint8_t *buf = malloc(len);
		struct dp_pciconf pc;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		buf[6] |= 0x10;
		ck_assert_int_eq(dp_pciconf_parse(buf, len, &pc), 0);
		free(buf);
	}
}
END_TEST

START_TEST(capability_offsets_are_recorded_once_in_list_order)
{
	struct dp_pciconf pc;

	header(0, 0x70);
	cap(0x70, 0x11, 0x40);                 /* MSI-X first */
	cap(0x40, 0x01, 0x60);                 /* PM */
	cap(0x60, 0x05, 0x50);                 /* MSI */
	cap(0x50, 0x05, 0x80);                 /* a second MSI: the first counts */
	cap(0x80, 0x10, 0);                    /* PCIe */
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert_uint_eq(pc.n_caps, 5);
	ck_assert_uint_eq(pc.cap_offs[0], 0x70);
	ck_assert_uint_eq(pc.cap_offs[1], 0x40);
	ck_assert_uint_eq(pc.cap_offs[2], 0x60);
	ck_assert_uint_eq(pc.cap_offs[3], 0x50);
	ck_assert_uint_eq(pc.cap_offs[4], 0x80);
	ck_assert_uint_eq(pc.msix_cap, 0x70);
	ck_assert_uint_eq(pc.pm_cap, 0x40);
	ck_assert_uint_eq(pc.msi_cap, 0x60);
	ck_assert_uint_eq(pc.exp_cap, 0x80);
	/* A looping list records each capability once, and no more than fit. */
	header(0, 0x40);
	cap(0x40, 0x11, 0x44);
	cap(0x44, 0x09, 0x40);
	ck_assert_int_eq(dp_pciconf_parse(cfg, 256, &pc), 0);
	ck_assert(pc.cap_loop);
	ck_assert_uint_eq(pc.n_caps, 2);
	ck_assert_uint_eq(pc.msix_cap, 0x40);
	ck_assert_uint_eq(pc.msi_cap, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pciconf");
	TCase *tc = tcase_create("pciconf");

	tcase_add_test(tc, short_config_is_einval);
	tcase_add_test(tc, header_type_bridge_and_multifunction);
	tcase_add_test(tc, every_capability_is_found);
	tcase_add_test(tc, flags_absent_when_bits_clear);
	tcase_add_test(tc, advanced_features_flr_needs_tp_and_flr);
	tcase_add_test(tc, bridge_buses);
	tcase_add_test(tc, status_without_cap_list_ignores_pointer);
	tcase_add_test(tc, self_loop_terminates_keeping_what_was_found);
	tcase_add_test(tc, back_loop_terminates);
	tcase_add_test(tc, pointer_into_header_or_past_end_stops);
	tcase_add_test(tc, low_pointer_bits_are_ignored);
	tcase_add_test(tc, extended_loop_terminates);
	tcase_add_test(tc, extended_all_ones_is_absent);
	tcase_add_test(tc, cardbus_uses_its_own_pointer);
	tcase_add_test(tc, random_bytes_never_escape_the_buffer);
	tcase_add_test(tc, capability_offsets_are_recorded_once_in_list_order);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
