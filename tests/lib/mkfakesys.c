/* SPDX-License-Identifier: MIT */
/* mkfakesys: writes a synthetic /sys tree (a preset, or N functions) into DIR. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakesys.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mkfakesys TOPOLOGY DIR\n"
		"       mkfakesys --many N DIR\n"
		"Writes a synthetic /sys tree into DIR (created if missing) without\n"
		"mounting it; bind-mount DIR over /sys in a private mount namespace\n"
		"to use it.\n"
		"Topologies:\n"
		"  basic    host bridge 0000:00:00.0 (group 2), USB 0000:00:14.0 (xhci_hcd, group 3),\n"
		"           PCI bridge 0000:00:1c.0 (group 4), boot VGA 0000:01:00.0 (group 1),\n"
		"           NIC 0000:03:00.0 and 0000:03:00.1 8086:10fb on ixgbe (group 7),\n"
		"           SR-IOV PF 0000:05:00.0 (group 10) with VF 0000:05:10.0 (group 11);\n"
		"           Intel IOMMU with interrupt remapping, vfio-pci loaded\n"
		"  noiommu  the same functions without IOMMU groups or an IOMMU\n"
		"  vmd      basic, and NVMe 1b36:0010 on nvme at 2000:00:00.0 (group 20)\n"
		"           and 10000:00:00.0 (group 21), domains as behind a VMD controller\n"
		"--many N   N functions (at most 8192) on buses 0x10 onwards, for benchmarks\n");
}

int main(int argc, char **argv)
{
	struct dp_fakesys *fs;
	unsigned long many = 0;
	const char *dir;
	int r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--many")) {
		char *end;

		errno = 0;
		many = strtoul(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || many == 0 || many > 8192) {
			fprintf(stderr, "mkfakesys: --many takes 1 to 8192, not '%s'\n",
				argv[2]);
			return 2;
		}
		dir = argv[3];
	} else if (argc == 3) {
		bool known = false;

		for (const char *const *p = dp_fakesys_preset_names; *p; p++)
			known |= !strcmp(*p, argv[1]);
		if (!known) {
			fprintf(stderr, "mkfakesys: unknown topology '%s' (see --help)\n",
				argv[1]);
			return 2;
		}
		dir = argv[2];
	} else {
		usage(stderr);
		return 2;
	}

	fs = dp_fakesys_new_in(dir);
	if (!fs) {
		fprintf(stderr, "mkfakesys: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	r = many ? dp_fakesys_add_many(fs, (unsigned)many) : dp_fakesys_preset(fs, argv[1]);
	dp_fakesys_free(fs);
	if (r < 0) {
		fprintf(stderr, "mkfakesys: writing %s: %s\n", dir, strerror(-r));
		return 1;
	}
	return 0;
}
