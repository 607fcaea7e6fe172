/* SPDX-License-Identifier: MIT */
/* directpath: the host administrator's tool. Uses only the public API. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <directpath/directpath.h>

/* Exit codes, documented in directpath(8). */
enum {
	EXIT_OK = 0,
	EXIT_DENIED = 1,
	EXIT_USAGE = 2,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Administer PCI passthrough (VMDirectPath-style) on this host.\n"
		"\n"
		"Options:\n"
		"  -h, --help       show this help and exit\n"
		"  -V, --version    show the tool's and the library's version and exit\n"
		"\n"
		"Commands:\n"
		"  version          same as --version\n"
		"\n"
		"Exit status: 0 success, 1 the request was denied, 2 usage or I/O error.\n"
		"See directpath(8).\n");
}

static int print_version(void)
{
	printf("directpath %d.%d.%d (libdirectpath %s)\n", DP_VERSION_MAJOR,
	       DP_VERSION_MINOR, DP_VERSION_MICRO, dp_version());
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			return print_version();
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "directpath: no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "version") == 0 && optind + 1 == argc)
		return print_version();
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "directpath: unknown command \"%s\"\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
