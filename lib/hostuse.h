/* SPDX-License-Identifier: MIT */
/* What the host loses when a PCI function goes to a VM: what hangs below it in sysfs. */
#ifndef DP_HOSTUSE_H
#define DP_HOSTUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "inventory.h"
#include "procparse.h"

/* The files read besides the function's own sysfs tree, named once. */
#define DP_PROC_SELF_MOUNTINFO "/proc/self/mountinfo"
#define DP_PROC_NET_ROUTE "/proc/net/route"
#define DP_SYS_CLASS_BLOCK "/sys/class/block"
#define DP_SYS_CLASS_VTCONSOLE "/sys/class/vtconsole"

/* Hard limits: a tree or a file past them is read that far and marked incomplete. */
#define DP_HOST_USE_DEPTH_MAX 24        /* directories below the function */
#define DP_HOST_USE_DIRS_MAX 16384      /* directories looked into, in all */
#define DP_HOST_USE_ENTRIES_MAX 1048576 /* directory entries read, in all */
#define DP_HOST_USE_USB_MAX 512         /* USB devices */
#define DP_HOST_USE_USB_IFS_MAX 32      /* interfaces of one USB device (USB_MAXINTERFACES) */
#define DP_HOST_USE_BLOCK_MAX 4096      /* block devices, holders included */
#define DP_HOST_USE_HOLDERS_MAX 16      /* holders of one block device */
#define DP_HOST_USE_MOUNTS_MAX 16       /* mount points kept for one block device */
#define DP_HOST_USE_NET_MAX 256         /* network interfaces */
#define DP_HOST_USE_UPPERS_MAX 16       /* master and upper devices of one interface */
#define DP_HOST_USE_FB_MAX 32           /* framebuffers (the kernel's FB_MAX) */
#define DP_HOST_USE_VTCON_MAX 64        /* virtual consoles looked at */
#define DP_HOST_USE_LINES_MAX 1048576   /* lines read of mountinfo or the route file */
#define DP_HOST_USE_LINE_LEN 16384      /* longest line of either file; longer is garbage */

/* Longest sysfs entry name kept, and longest USB string; longer ones are cut. */
#define DP_HOST_USE_NAME_MAX 64
#define DP_HOST_USE_STRING_MAX 128

/* One interface of a USB device (its active configuration's). */
struct dp_host_usb_if {
	char name[DP_HOST_USE_NAME_MAX]; /* "1-2:1.0" */
	uint8_t cls, subclass, protocol;
};

/* dp_host_usb.flags: DP_HOST_USB_* (directpath.h) */

/* One USB device below the function. */
struct dp_host_usb {
	char name[DP_HOST_USE_NAME_MAX];  /* "usb1", "1-2.3" */
	uint16_t vendor, product;         /* idVendor, idProduct; 0 when unreadable */
	uint8_t device_class;             /* bDeviceClass */
	unsigned flags;                   /* DP_HOST_USB_* */
	/* Strings from the device: control characters as '?', cut at a character; "" when absent. */
	char manufacturer[DP_HOST_USE_STRING_MAX];
	char product_name[DP_HOST_USE_STRING_MAX];
	struct dp_host_usb_if ifs[DP_HOST_USE_USB_IFS_MAX]; /* name order */
	size_t n_ifs;
};

/* dp_host_block.flags: DP_HOST_BLOCK_* (directpath.h) */

/* One block device below the function, or a holder of one. */
struct dp_host_block {
	char name[DP_HOST_USE_NAME_MAX];  /* "sda", "nvme0n1p2", "dm-0" */
	/* A partition: its disk; a holder: the first device below the function it holds; else "". */
	char below[DP_HOST_USE_NAME_MAX];
	unsigned major, minor;            /* from dev ("MAJ:MIN"), unless DP_HOST_BLOCK_NO_DEV */
	uint64_t sectors;                 /* size in 512-byte sectors; 0 when unknown */
	unsigned flags;                   /* DP_HOST_BLOCK_* */
	char **mounts;                    /* mount points, mountinfo order, DP_HOST_USE_MOUNTS_MAX kept */
	size_t n_mounts;                  /* how many mountinfo lines named it, kept or not */
};

/* One network interface below the function. */
struct dp_host_net {
	char name[DP_HOST_USE_NAME_MAX];  /* "eth0" */
	/* Its master and upper devices (bridge, bond, VLAN), one level: "master" and upper_* links. */
	char uppers[DP_HOST_USE_UPPERS_MAX][DP_HOST_USE_NAME_MAX];
	size_t n_uppers;
	bool default_route;               /* an IPv4 default route of the main table goes through it */
	char default_via[DP_HOST_USE_NAME_MAX]; /* ... through this upper; "" when through itself */
};

/* The display side of the function. */
struct dp_host_display {
	bool boot_vga;                    /* boot_vga reads 1 */
	bool fbcon_bound;                 /* host-wide: a "... frame buffer device" vtconsole is bound */
	bool console;                     /* fbcon_bound, and a framebuffer is below the function */
	char fbs[DP_HOST_USE_FB_MAX][16]; /* "fb0", number order */
	size_t n_fbs;
};

/* dp_host_use.flags: DP_HOST_USE_*, and .unknown: DP_HOST_UNKNOWN_* (directpath.h). */

/* The public dp_host_use (dp_device_get_host_use). */
struct dp_host_use {
	int refcount;                    /* 1 from dp_host_use_read */
	char bdf[DP_BDF_LEN];
	uint32_t class_code;             /* 24 bits; 0 when unreadable */
	unsigned flags;                  /* DP_HOST_USE_* */
	unsigned unknown;                /* DP_HOST_UNKNOWN_* */
	struct dp_host_usb *usb;         /* name order */
	size_t n_usb;
	struct dp_host_block *block;     /* the function's own, then holders, each part in name order */
	size_t n_block;
	struct dp_host_net *net;         /* name order */
	size_t n_net;
	struct dp_host_display display;
};

/* Where the host's mounts and routes are read from; a NULL member or struct: the default. */
struct dp_host_use_paths {
	const char *mountinfo;           /* DP_PROC_SELF_MOUNTINFO */
	const char *route;               /* DP_PROC_NET_ROUTE */
};

/*
 * Reads what hangs below the PCI function bdf (any form dp_bdf_normalize
 * takes) in sysfs and whether the host uses it: USB devices, block devices
 * and whether they (or a holder of theirs) are mounted, network interfaces
 * and whether one (or its master or an upper device) carries the default
 * route, framebuffers, boot VGA and the framebuffer console. Only
 * directories are walked, never a symbolic link, and nothing below another
 * PCI function. Missing or garbage files, and
 * limits hit, are logged and leave bits in unknown; they are no error.
 * 0, -EINVAL for a malformed BDF, -ENODEV for a function sysfs does not
 * have, -EXDEV when its directory lies outside /sys/devices, -ENOMEM;
 * *out is written only on success and freed with dp_host_use_free.
 */
int dp_host_use_read(struct dp_ctx *ctx, const char *bdf, const struct dp_host_use_paths *paths,
		     struct dp_host_use **out);
/* Frees what dp_host_use_read made; NULL is a no-op. */
void dp_host_use_free(struct dp_host_use *u);

#endif
