/* SPDX-License-Identifier: MIT */
/*
 * What the files of the host-use reader share: hostuse.c (the entry point,
 * the walk, the result), hostuse-usb.c (USB devices), hostuse-block.c (block
 * devices, holders, mounts), hostuse-net.c (interfaces, the default route),
 * hostuse-display.c (framebuffers, the console). The line parsers are
 * procparse.c's.
 */
#ifndef DP_HOSTUSE_INTERNAL_H
#define DP_HOSTUSE_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "hostuse.h"

/* Where every directory the walk or a followed link reaches must lie. */
#define SYS_DEVICES_PREFIX "/sys/devices/"

enum kind { KIND_NONE, KIND_FUNCTION, KIND_USB, KIND_USB_IF, KIND_BLOCK, KIND_NET, KIND_FB };

/* A holder named by a block device's holders/, resolved after the walk. */
struct pending_holder {
	char name[DP_HOST_USE_NAME_MAX];
	char below[DP_HOST_USE_NAME_MAX];
};

struct walk {
	struct dp_ctx *ctx;
	struct dp_host_use *u;
	size_t cap_usb, cap_block, cap_net;
	struct pending_holder *holders;
	size_t n_holders, cap_holders;
	unsigned dirs, entries;
	bool said_depth, said_dirs, said_entries, said_usb, said_block, said_net, said_fb;
	bool said_ifs, said_holders;
	int err;             /* -ENOMEM: stop */
	char path[PATH_MAX]; /* relative to the function's directory, for messages */
};

/* The parent of a directory in the walk. */
struct frame {
	enum kind kind;
	size_t index;        /* into the result's array of that kind */
	const char *name;
};

/* What dp_hostuse_read_lines hands each line to: without its newline, numbered from 1. */
typedef void (*line_fn)(void *arg, const char *line, size_t len, unsigned lineno);

/* hostuse.c */
/* Grows *arr (elements of size) to hold one more than n, up to max; 0, -ENOSPC or -ENOMEM. */
int dp_hostuse_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max);
/* Copies s into out (size bytes), cut at a UTF-8 character boundary. */
void dp_hostuse_copy_name(char *out, size_t size, const char *s);
/* Says a limit was hit, once per limit. */
void dp_hostuse_limit_hit(struct walk *w, bool *said, const char *what, unsigned max);
/* Notes a garbage or unreadable attribute that decides a flag. */
void dp_hostuse_bad_attr(struct walk *w, const char *name, int r, unsigned unknown);
/* True when fd's directory lies under /sys/devices (read through /proc/self/fd). */
bool dp_hostuse_under_sys_devices(int fd);
/* Calls fn for each line of the regular file path, within the line limits; 0 or -errno. */
int dp_hostuse_read_lines(const char *path, line_fn fn, void *arg, unsigned *long_lines,
			  bool *cut);

/* hostuse-usb.c */
/* Adds the USB device in fd, its index into u->usb in *index; 0, -ENOSPC (list full), -ENOMEM. */
int dp_hostuse_add_usb(struct walk *w, int fd, const char *name, size_t *index);
/* Adds the interface in fd to USB device dev; its class and protocol set the device's flags. */
void dp_hostuse_add_usb_if(struct walk *w, int fd, const char *name, size_t dev);

/* hostuse-block.c */
/* Adds the block device in fd and notes its holders; 0, -ENOSPC (list full), -ENOMEM. */
int dp_hostuse_add_block(struct walk *w, int fd, const char *name, const struct frame *parent);
/* Adds each holder once (after the function's own devices), from /sys/class/block/<name>. */
void dp_hostuse_resolve_holders(struct walk *w);
/* Reads the mountinfo file at path: which block devices are mounted, and where. */
void dp_hostuse_read_mounts(struct walk *w, const char *path);

/* hostuse-net.c */
/* Adds the interface in fd with its master and upper devices; 0, -ENOSPC (list full), -ENOMEM. */
int dp_hostuse_add_net(struct walk *w, int fd, const char *name);
/* Reads the route file at path: which interfaces, or uppers of theirs, carry the default route. */
void dp_hostuse_read_routes(struct walk *w, const char *path);

/* hostuse-display.c */
/* Adds a framebuffer ("fbN") below the function to the display's list. */
void dp_hostuse_add_fb(struct walk *w, const char *name);
/* Whether the framebuffer console is bound, from /sys/class/vtconsole. */
void dp_hostuse_read_vtconsoles(struct walk *w);

#endif
