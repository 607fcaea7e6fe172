/* SPDX-License-Identifier: MIT */
/*
 * One synthetic host for the host-use findings (lib/hostuse-check.c), shared
 * by the policy test and the admin tool's test: functions with what hangs
 * below them in sysfs, and the mountinfo and route texts that go with them.
 */
#ifndef DP_HOSTUSETREE_H
#define DP_HOSTUSETREE_H

#include "fakesys.h"

/* usb1: keyboard 1-1 (046d:c31c), hub 1-3 with mouse 1-3.1 (046d:c077); usb2: stick 2-1 (0781:5583), sdb1 on /media/stick. */
#define DP_HU_XHCI "0000:00:14.0"
/* sda: sda1 on /boot/efi, sda2 held by dm-0 (LVM) on /, sda3 not mounted. */
#define DP_HU_AHCI "0000:00:17.0"
/* nvme0n1: nvme0n1p1 on /srv/data. */
#define DP_HU_NVME "0000:01:00.0"
/* eno1, carrying the default route itself. */
#define DP_HU_NIC "0000:03:00.0"
/* eno2, a port of bridge br0, which carries the default route. */
#define DP_HU_NIC_BRIDGED "0000:03:00.1"
/* eno3: no default route. */
#define DP_HU_NIC_OTHER "0000:03:00.2"
/* The boot VGA, fb0, with the framebuffer console bound. */
#define DP_HU_VGA "0000:04:00.0"
/* Nothing below it. */
#define DP_HU_PLAIN "0000:06:00.0"

/* The host's /proc/self/mountinfo and /proc/net/route for the tree. */
extern const char dp_hu_mountinfo[];
extern const char dp_hu_route[];

/* Writes the functions (each in an IOMMU group of its own, on its driver) and the host entries; 0 or -errno. */
int dp_hu_build(struct dp_fakesys *fs);
/* The directory rel below the function bdf, relative to the tree, into buf; 0 or -errno. */
int dp_hu_under(const struct dp_fakesys *fs, const char *bdf, const char *rel, char *buf,
		size_t size);

#endif
