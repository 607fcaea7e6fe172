/* SPDX-License-Identifier: MIT */
/* Lines of /proc/self/mountinfo and /proc/net/route as fields (procparse.c): pure, fuzzed. */
#ifndef DP_PROCPARSE_H
#define DP_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of /proc/self/mountinfo (proc(5)), as far as this reader needs it. */
#define DP_MOUNTINFO_PATH_MAX 4096 /* the kernel's PATH_MAX, NUL included */
struct dp_mountinfo_entry {
	uint32_t major, minor;
	char mount_point[DP_MOUNTINFO_PATH_MAX]; /* unescaped */
	char fstype[64];                         /* unescaped, cut at 63 bytes */
	char source[256];                        /* unescaped, cut at 255 bytes */
	bool cut;                                /* fstype or source was cut */
};

/*
 * Parses one line of mountinfo (without its newline): mount ID, parent ID,
 * MAJ:MIN, root, mount point, options, optional fields, "-", type, source,
 * super options, separated by single spaces, with " \t\n\\" escaped as \ooo.
 * 0, -EINVAL when it is not such a line (a NUL byte, a missing field, a bad
 * number or escape, a mount point not absolute), -ENAMETOOLONG for a mount
 * point past DP_MOUNTINFO_PATH_MAX - 1 bytes, -ENOMEM. *out is written
 * only on success.
 */
int dp_mountinfo_parse_line(const char *line, size_t len, struct dp_mountinfo_entry *out);

/* One line of /proc/net/route (the kernel's fib_route_seq_show). */
struct dp_route_entry {
	char ifname[16];                 /* IFNAMSIZ; "*" for a route without a device */
	uint32_t destination, gateway, mask; /* as printed: network order read as hex */
	uint32_t flags;                  /* RTF_* */
	int32_t metric;
};

/*
 * Parses one line of /proc/net/route (without its newline): eleven fields
 * separated by white space, Iface, Destination, Gateway, Flags, RefCnt, Use,
 * Metric, Mask, MTU, Window, IRTT. 0 for a route, 1 for the header line
 * (first field "Iface"), -EINVAL for anything else. *out is written only
 * for a route.
 */
int dp_route_parse_line(const char *line, size_t len, struct dp_route_entry *out);

/* A default route: destination and mask 0.0.0.0. */
static inline bool dp_route_is_default(const struct dp_route_entry *r)
{
	return r->destination == 0 && r->mask == 0;
}

/* "MAJ:MIN", both decimal within uint32_t; 0 or -EINVAL. */
int dp_devnum_parse(const char *s, size_t len, uint32_t *major, uint32_t *minor);

#endif
