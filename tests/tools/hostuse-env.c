/* SPDX-License-Identifier: MIT */
/*
 * Runs a command on the host-use test host (tests/lib/hostusetree.c): in a
 * private mount namespace, the synthetic tree over /sys and a /proc whose
 * self/mountinfo and net/route go with it (tests/lib/fakeproc.c), so the
 * admin tool's real reads see them. For tests/tools/cli-hostuse.sh.
 * Usage: hostuse-env COMMAND [ARG...]; exits 77 where mounting is not permitted.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fakeproc.h"
#include "hostusetree.h"

int main(int argc, char **argv)
{
	struct dp_fakesys *fs;
	char dir[PATH_MAX];
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: hostuse-env COMMAND [ARG...]\n");
		return 2;
	}
	dp_fakesys_enter_namespace(); /* exits 77 when not permitted */
	fs = dp_fakesys_new();
	if (!fs) {
		fprintf(stderr, "hostuse-env: cannot make a tree: %s\n", strerror(errno));
		return 1;
	}
	r = dp_hu_build(fs);
	if (r == 0)
		r = dp_fakesys_mount(fs);
	snprintf(dir, sizeof(dir), "%s/proc", dp_fakesys_scratch(fs));
	if (r == 0)
		r = dp_fakeproc_mount(dir, dp_hu_mountinfo, dp_hu_route);
	if (r < 0) {
		fprintf(stderr, "hostuse-env: cannot mount the test host: %s\n", strerror(-r));
		return 1;
	}
	/* The namespace, and with it the tree, lives as long as the command. */
	execvp(argv[1], argv + 1);
	fprintf(stderr, "hostuse-env: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
