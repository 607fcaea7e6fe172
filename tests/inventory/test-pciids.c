/* SPDX-License-Identifier: MIT */
/*
 * Names from pci.ids: the lines read as libpciaccess reads them, on crafted
 * text, and the names of the machine's own pci.ids compared with what
 * libpciaccess answers for the same IDs. White-box: the parser is internal.
 */
#include <check.h>
#include <errno.h>
#include <pciaccess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pciids.h"
#include "testrun.h"

/* The index of a copy of text. */
static struct dp_pciids *parse(const char *text)
{
	struct dp_pciids *ids = NULL;
	char *copy = strdup(text);

	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(dp_pciids_from_text(copy, strlen(copy), &ids), 0);
	ck_assert_ptr_nonnull(ids);
	return ids;
}

START_TEST(vendor_and_device_lines_give_the_names_after_two_characters)
{
	struct dp_pciids *ids = parse(
		"# pci.ids\n"
		"#\t8086  not a vendor, a comment\n"
		"1234  Acme Corp\n"
		"\t0001  Widget\n"
		"\t\t1234 0001  Widget (the subsystem line is not the device)\n"
		"\t0002  Gadget\r\n"
		"\tABCD  Upper case\n"
		"8086  Intel Corporation\n"
		"\t10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection\n"
		"C 02  Network controller\n"
		"\t00  Ethernet controller\n"
		"ffff  Illegal Vendor ID");

	ck_assert_str_eq(dp_pciids_vendor(ids, 0x1234), "Acme Corp");
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0001), "Widget");
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0002), "Gadget\r"); /* as libpciaccess keeps it */
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0xabcd), "Upper case");
	ck_assert_ptr_null(dp_pciids_device(ids, 0x1234, 0x0003));
	ck_assert_str_eq(dp_pciids_device(ids, 0x8086, 0x10fb),
			 "82599ES 10-Gigabit SFI/SFP+ Network Connection");
	/* The class list's lines are not vendors; its subclasses are not devices. */
	ck_assert_ptr_null(dp_pciids_device(ids, 0x8086, 0x0000));
	ck_assert_str_eq(dp_pciids_vendor(ids, 0xffff), "Illegal Vendor ID"); /* no newline at the end */
	ck_assert_ptr_null(dp_pciids_vendor(ids, 0x10de));
	ck_assert_ptr_null(dp_pciids_device(ids, 0x10de, 0x0001));
	dp_pciids_free(ids);
}
END_TEST

START_TEST(the_first_line_for_an_id_wins)
{
	struct dp_pciids *ids = parse(
		"1234  First\n"
		"\t0001  One\n"
		"\t0001  One again\n"
		"5678  Other\n"
		"\t0001  Other's one\n"
		"1234  Second\n"
		"\t0002  Two, from the second block\n");

	ck_assert_str_eq(dp_pciids_vendor(ids, 0x1234), "First");
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0001), "One");
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0002), "Two, from the second block");
	ck_assert_str_eq(dp_pciids_device(ids, 0x5678, 0x0001), "Other's one");
	dp_pciids_free(ids);
}
END_TEST

START_TEST(odd_lines_are_names_of_nothing_or_empty)
{
	struct dp_pciids *ids = parse(
		"\t0001  A device before any vendor\n"
		"12345  Five digits match no 16-bit ID\n"
		"\t0001  Under the five-digit vendor\n"
		"1234\n"
		"\t0001\n"
		"\t0002 x\n"
		"12g4  Not hex\n"
		" 4321  Leading space\n"
		"\t\t\t0003  Three tabs\n"
		"\n");

	ck_assert_ptr_null(dp_pciids_vendor(ids, 0x2345));
	ck_assert_str_eq(dp_pciids_vendor(ids, 0x1234), ""); /* no name on the line */
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0001), "");
	ck_assert_str_eq(dp_pciids_device(ids, 0x1234, 0x0002), "");
	ck_assert_ptr_null(dp_pciids_device(ids, 0x1234, 0x0003));
	ck_assert_ptr_null(dp_pciids_vendor(ids, 0x4321));
	dp_pciids_free(ids);
	ids = parse("");
	ck_assert_ptr_null(dp_pciids_vendor(ids, 0x1234));
	ck_assert_ptr_null(dp_pciids_device(ids, 0x1234, 0x0001));
	dp_pciids_free(ids);
	ck_assert_ptr_null(dp_pciids_vendor(NULL, 0x8086));
	ck_assert_ptr_null(dp_pciids_device(NULL, 0x8086, 0x10fb));
}
END_TEST

/* The machine's pci.ids, read whole; NULL when it has none. */
static char *read_pci_ids(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)size + 1)) && fread(text, 1, (size_t)size, f) == (size_t)size) {
		text[size] = '\0';
		*len = (size_t)size;
	} else {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

START_TEST(names_are_what_libpciaccess_finds)
{
	static const char *const paths[] = DP_PCI_IDS_PATHS;
	const char *path = paths[0];
	struct dp_pciids *ids;
	size_t len, vendors = 0, devices = 0;
	char *text = read_pci_ids(path, &len), *copy;
	const char *line;

	if (!text || access("/usr/share/misc/pci.ids.gz", F_OK) == 0) {
		/* libpciaccess would read the .gz one first: not the same file. */
		free(text);
		fprintf(stderr, "# %s: no pci.ids to compare with libpciaccess's names\n", path);
		return;
	}
	copy = strdup(text);
	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(dp_pciids_from_text(copy, len, &ids), 0);
	ck_assert_int_eq(pci_system_init(), 0);
	/* Every 1000th vendor and the few this project meets, with all their devices. */
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned v;
		struct pci_id_match m = { .subvendor_id = PCI_MATCH_ANY,
					  .subdevice_id = PCI_MATCH_ANY };
		const char *dn, *vn, *scan;

		if (sscanf(line, "%4x  ", &v) != 1 || line[4] != ' ')
			continue;
		if (vendors++ % 1000 != 0 && v != 0x8086 && v != 0x10de && v != 0x1af4 &&
		    v != 0x1b36 && v != 0x1234)
			continue;
		m.vendor_id = v;
		m.device_id = PCI_MATCH_ANY;
		pci_get_strings(&m, NULL, &vn, NULL, NULL);
		ck_assert_msg(same_name(dp_pciids_vendor(ids, (uint16_t)v), vn), "vendor %04x", v);
		/* Its device lines (one tab), among its subsystems (two) and comments. */
		for (scan = strchr(line, '\n'); scan && (scan[1] == '\t' || scan[1] == '#');
		     scan = strchr(scan + 1, '\n')) {
			unsigned d;

			if (scan[1] == '#' || scan[2] == '\t' || sscanf(scan + 2, "%4x", &d) != 1)
				continue;
			m.device_id = d;
			pci_get_strings(&m, &dn, NULL, NULL, NULL);
			ck_assert_msg(same_name(dp_pciids_device(ids, (uint16_t)v, (uint16_t)d), dn),
				      "device %04x:%04x: \"%s\", libpciaccess \"%s\"", v, d,
				      dp_pciids_device(ids, (uint16_t)v, (uint16_t)d), dn ? dn : "(null)");
			devices++;
		}
	}
	ck_assert_uint_gt(devices, 1000);
	pci_system_cleanup();
	dp_pciids_free(ids);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pciids");
	TCase *tc = tcase_create("pciids");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, vendor_and_device_lines_give_the_names_after_two_characters);
	tcase_add_test(tc, the_first_line_for_an_id_wins);
	tcase_add_test(tc, odd_lines_are_names_of_nothing_or_empty);
	tcase_add_test(tc, names_are_what_libpciaccess_finds);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
