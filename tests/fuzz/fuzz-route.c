/* SPDX-License-Identifier: MIT */
/*
 * /proc/net/route lines (dp_route_parse_line: lib/procparse.c). The input is
 * a file's text, cut into lines at each newline as the reader cuts it. A
 * refused line leaves the entry as it was; the header is 1; an accepted
 * route has an interface name the kernel could have (1 to 15 bytes, no '/',
 * ':' or white space, not "." or "..") and prints back, as
 * fib_route_seq_show prints it, into a line that parses to the same route.
 */
#include <ctype.h>

#include "fuzz.h"
#include "hostuse.h"

static void check_line(const char *line, size_t len)
{
	struct dp_route_entry e, again;
	char printed[256];
	size_t n;
	int r;

	memset(&e, 0x5a, sizeof(e));
	r = dp_route_parse_line(line, len, &e);
	if (r != 0) {
		FZ_ASSERT(r == 1 || r == -EINVAL, "%d", r);
		FZ_ASSERT(e.destination == 0x5a5a5a5au && e.ifname[0] == 0x5a,
			  "a refused line wrote the entry");
		return;
	}
	n = strlen(e.ifname);
	FZ_ASSERT(n >= 1 && n < sizeof(e.ifname), "name of %zu bytes", n);
	FZ_ASSERT(!strchr(e.ifname, '/') && !strchr(e.ifname, ':') && strcmp(e.ifname, ".") &&
		  strcmp(e.ifname, ".."), "name \"%s\"", e.ifname);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(!isspace((unsigned char)e.ifname[i]), "white space in the name");
	n = (size_t)snprintf(printed, sizeof(printed), "%s\t%08X\t%08X\t%04X\t0\t0\t%d\t%08X\t0\t0\t0",
			     e.ifname, e.destination, e.gateway, e.flags, e.metric, e.mask);
	r = dp_route_parse_line(printed, n, &again);
	FZ_ASSERT(r == 0, "the printed line does not parse back (%d): %s", r, printed);
	FZ_ASSERT(strcmp(again.ifname, e.ifname) == 0 && again.destination == e.destination &&
		  again.gateway == e.gateway && again.flags == e.flags && again.mask == e.mask &&
		  again.metric == e.metric, "the printed line parses to another route: %s", printed);
	FZ_ASSERT(dp_route_is_default(&e) == (e.destination == 0 && e.mask == 0), "default");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	size_t pos = 0;

	if (!text)
		abort();
	memcpy(text, data, size);
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) : size - pos;

		check_line(text + pos, len);
		pos += len + 1;
	}
	free(text);
	return 0;
}
