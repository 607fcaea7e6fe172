/* SPDX-License-Identifier: MIT */
/*
 * What the host loses with a PCI function (lib/hostuse.c), white-box: the
 * mountinfo and route parsers on the kernel's text and on garbage; the
 * reader on synthetic trees (tests/lib/fakesys) mounted over /sys, with
 * synthetic mountinfo and route files: USB keyboards and sticks, SATA and
 * NVMe disks mounted at / and /boot or not, an LVM holder, NICs with and
 * without the default route, a boot VGA with the framebuffer console, and
 * hostile trees and files; then once on this machine's own /sys and /proc.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "hostuse.h"
#include "testlog.h"
#include "testrun.h"

#define XHCI "0000:00:14.0"
#define AHCI "0000:00:17.0"
#define NVME "0000:01:00.0"
#define NVME2 "0000:02:00.0"
#define NIC0 "0000:03:00.0"
#define NIC1 "0000:03:00.1"
#define VGA "0000:04:00.0"
#define VGA2 "0000:05:00.0"
#define BRIDGE "0000:00:1c.0"

/* A mountinfo line (proc(5)) for device maj:min mounted at mp. */
#define MI(id, dev, mp, type, src) #id " 1 " dev " / " mp " rw,relatime shared:1 - " type " " src " rw\n"

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_host_use *u;
static char mountinfo[PATH_MAX], route[PATH_MAX];

static void setup(void)
{
	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ctx = dp_fakesys_ctx(fs);
	snprintf(mountinfo, sizeof(mountinfo), "%s/mountinfo", dp_fakesys_scratch(fs));
	snprintf(route, sizeof(route), "%s/route", dp_fakesys_scratch(fs));
	u = NULL;
}

static void teardown(void)
{
	dp_host_use_free(u);
	u = NULL;
	dp_ctx_unref(ctx);
	ctx = NULL;
	dp_fakesys_free(fs);
	fs = NULL;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void add_fn(const char *bdf, uint32_t class_code, const char *driver, bool boot_vga)
{
	struct dp_fake_dev d = { .bdf = bdf, .vendor = 0x8086, .device = 0x1234,
				 .class_code = class_code, .driver = driver, .boot_vga = boot_vga };

	ck_assert_int_eq(dp_fakesys_add(fs, &d), 0);
}

/* rel below the function bdf's directory, into a static buffer. */
static const char *under(const char *bdf, const char *rel)
{
	static char buf[4][PATH_MAX];
	static unsigned next;
	char dir[256];
	char *out = buf[next++ % 4];
	int n;

	ck_assert_int_eq(dp_fakesys_dev_dir(fs, bdf, dir, sizeof(dir)), 0);
	n = snprintf(out, PATH_MAX, "%s%s%s", dir, *rel ? "/" : "", rel);
	ck_assert(n > 0 && n < PATH_MAX);
	return out;
}

static void node(const char *bdf, const char *rel, const char *subsys)
{
	ck_assert_int_eq(dp_fakesys_add_node(fs, under(bdf, rel), subsys), 0);
}

static void block(const char *bdf, const char *rel, unsigned major, unsigned minor, unsigned part)
{
	ck_assert_int_eq(dp_fakesys_add_block(fs, under(bdf, rel), major, minor, part), 0);
}

static void mount_tree(void)
{
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
}

/* Reads bdf with the scratch mountinfo and route files; the call's result. */
static int read_use(const char *bdf)
{
	struct dp_host_use_paths p = { .mountinfo = mountinfo, .route = route };

	dp_host_use_free(u);
	u = NULL;
	return dp_host_use_read(ctx, bdf, &p, &u);
}

static const struct dp_host_usb *usb_named(const char *name)
{
	for (size_t i = 0; i < u->n_usb; i++)
		if (strcmp(u->usb[i].name, name) == 0)
			return &u->usb[i];
	ck_abort_msg("no USB device %s", name);
	return NULL;
}

static const struct dp_host_block *block_named(const char *name)
{
	for (size_t i = 0; i < u->n_block; i++)
		if (strcmp(u->block[i].name, name) == 0)
			return &u->block[i];
	ck_abort_msg("no block device %s", name);
	return NULL;
}

/* The names of a list, comma-separated, for one assertion per list. */
static const char *usb_names(void)
{
	static char buf[4096];

	buf[0] = '\0';
	for (size_t i = 0; i < u->n_usb; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
			 u->usb[i].name);
	return buf;
}

static const char *block_names(void)
{
	static char buf[4096];

	buf[0] = '\0';
	for (size_t i = 0; i < u->n_block; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
			 u->block[i].name);
	return buf;
}

/* ---- parsers ---------------------------------------------------------------- */

static struct dp_mountinfo_entry me;

static int mi(const char *line)
{
	return dp_mountinfo_parse_line(line, strlen(line), &me);
}

START_TEST(mountinfo_parses_the_kernels_lines)
{
	/* proc(5)'s example. */
	ck_assert_int_eq(mi("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"), 0);
	ck_assert_uint_eq(me.major, 98);
	ck_assert_uint_eq(me.minor, 0);
	ck_assert_str_eq(me.mount_point, "/mnt2");
	ck_assert_str_eq(me.fstype, "ext3");
	ck_assert_str_eq(me.source, "/dev/root");
	ck_assert(!me.cut);
	/* No optional field, several of them, and this machine's kind of root. */
	ck_assert_int_eq(mi("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard"), 0);
	ck_assert_str_eq(me.mount_point, "/");
	ck_assert_uint_eq(me.major, 254);
	ck_assert_int_eq(mi("40 27 8:17 / /boot/efi rw shared:7 master:2 propagate_from:3 - vfat /dev/sda1 rw"), 0);
	ck_assert_str_eq(me.mount_point, "/boot/efi");
	ck_assert_uint_eq(me.minor, 17);
	/* Escapes: a space, a tab, a newline and a backslash. */
	ck_assert_int_eq(mi("41 27 8:18 / /media/my\\040stick\\011x\\012y\\134z rw - exfat /dev/sd\\040b rw"), 0);
	ck_assert_str_eq(me.mount_point, "/media/my stick\tx\ny\\z");
	ck_assert_str_eq(me.source, "/dev/sd b");
	/* An empty source shows as two spaces; nsfs has a root that is no path. */
	ck_assert_int_eq(mi("42 27 0:50 / /mnt/x rw - tmpfs  rw"), 0);
	ck_assert_str_eq(me.source, "");
	ck_assert_int_eq(mi("43 24 0:4 net:[4026531840] /run/netns/a rw - nsfs nsfs rw"), 0);
	/* 64-bit IDs and big device numbers. */
	ck_assert_int_eq(mi("18446744073709551615 1 4095:1048575 / /x rw - ext4 /dev/x rw"), 0);
	ck_assert_uint_eq(me.minor, 1048575);
}
END_TEST

START_TEST(mountinfo_refuses_garbage_and_leaves_the_entry)
{
	static const char *const bad[] = {
		"", "garbage", "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw",
		"36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root",                 /* no super options */
		"36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw extra",
		"36 35 98 /mnt1 /mnt2 rw - ext3 /dev/root rw",                /* no minor */
		"36 35 98:x /mnt1 /mnt2 rw - ext3 /dev/root rw",
		"36 35 4294967296:0 / /m rw - ext3 /dev/root rw",
		"x 35 98:0 / /m rw - ext3 /dev/root rw",
		"-1 35 98:0 / /m rw - ext3 /dev/root rw",
		"36 35 98:0 / mnt rw - ext3 /dev/root rw",                    /* not absolute */
		"36 35 98:0 / /m\\04 rw - ext3 /dev/root rw",                 /* short escape */
		"36 35 98:0 / /m\\400 rw - ext3 /dev/root rw",                /* past a byte */
		"36 35 98:0 / /m\\000 rw - ext3 /dev/root rw",                /* a NUL */
		"36 35 98:0 / /m\\x rw - ext3 /dev/root rw",
		"36 35 98:0 / /m\tx rw - ext3 /dev/root rw",                  /* a raw tab */
		"36 35 98:0 / /m rw  - ext3 /dev/root rw",                    /* an empty optional field */
		"36 35 98:0 / /m rw -  /dev/root rw",                         /* no type */
		" 36 35 98:0 / /m rw - ext3 /dev/root rw",
		"36 35 98:0 / /m - ext3 /dev/root rw",                        /* "-" as the options */
	};
	char nul[] = "36 35 98:0 / /m rw - ext3 /dev/root rw";
	char *long_mp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		me.major = 4242;
		ck_assert_msg(mi(bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(me.major, 4242);
	}
	nul[13] = '\0';
	ck_assert_int_eq(dp_mountinfo_parse_line(nul, sizeof(nul) - 1, &me), -EINVAL);
	/* A mount point of PATH_MAX bytes cannot be the kernel's. */
	long_mp = malloc(8192);
	ck_assert_ptr_nonnull(long_mp);
	strcpy(long_mp, "1 1 8:1 / /");
	memset(long_mp + strlen(long_mp), 'a', 4095);
	strcpy(long_mp + 11 + 4095, " rw - ext4 /dev/sda1 rw");
	ck_assert_int_eq(mi(long_mp), -ENAMETOOLONG);
	/* One byte less fits. */
	memmove(long_mp + 11, long_mp + 12, strlen(long_mp + 12) + 1);
	ck_assert_int_eq(mi(long_mp), 0);
	ck_assert_uint_eq(strlen(me.mount_point), 4095);
	free(long_mp);
}
END_TEST

START_TEST(mountinfo_cuts_a_long_type_or_source_and_says_so)
{
	char line[1024];

	snprintf(line, sizeof(line), "1 1 0:60 / /mnt rw - fuse.%0100d server:/%0300d rw", 0, 0);
	ck_assert_int_eq(mi(line), 0);
	ck_assert(me.cut);
	ck_assert_uint_eq(strlen(me.fstype), sizeof(me.fstype) - 1);
	ck_assert_uint_eq(strlen(me.source), sizeof(me.source) - 1);
}
END_TEST

static struct dp_route_entry re;

static int rt(const char *line)
{
	return dp_route_parse_line(line, strlen(line), &re);
}

START_TEST(route_parses_the_kernels_lines)
{
	ck_assert_int_eq(rt("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       "), 1);
	ck_assert_int_eq(rt("eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               "), 0);
	ck_assert_str_eq(re.ifname, "eth0");
	ck_assert(dp_route_is_default(&re));
	ck_assert_uint_eq(re.gateway, 0x010200c0);
	ck_assert_uint_eq(re.flags, 3);
	ck_assert_int_eq(rt("enp3s0f1\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0"), 0);
	ck_assert_str_eq(re.ifname, "enp3s0f1");
	ck_assert(!dp_route_is_default(&re));
	ck_assert_int_eq(re.metric, 100);
	/* A route without a device, and a negative metric as %d prints it. */
	ck_assert_int_eq(rt("*\t00000000\t00000000\t0201\t0\t0\t-1\t00000000\t0\t0\t0"), 0);
	ck_assert_str_eq(re.ifname, "*");
	ck_assert_int_eq(re.metric, -1);
	/* Fifteen bytes is the longest name. */
	ck_assert_int_eq(rt("abcdefghijklmno 00000000 00000000 0001 0 0 0 00000000 0 0 0"), 0);
}
END_TEST

START_TEST(route_refuses_garbage)
{
	static const char *const bad[] = {
		"", "   ", "garbage", "eth0\t00000000",
		"eth0\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0",      /* ten fields */
		"eth0\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\t0", /* twelve */
		"eth0\t0000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",     /* seven digits */
		"eth0\t000000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t0000000g\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t00000000\t00000000\t0003\t0\t0\t0\t0000000\t0\t0\t0",     /* a short mask */
		"eth0\t00000000\t00000000\t123456789\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t00000000\t00000000\t0003\tx\t0\t0\t00000000\t0\t0\t0",
		"eth0\t00000000\t00000000\t0003\t0\t-1\t0\t00000000\t0\t0\t0",   /* Use is %u */
		"eth0\t00000000\t00000000\t0003\t0\t0\t2147483648\t00000000\t0\t0\t0",
		"eth0\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t4294967296",
		"abcdefghijklmnop\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"a/b\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0:1\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"..\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0",
		"eth0\t00000000\t00000000\t0003\t0\t0\t-\t00000000\t0\t0\t0",
	};
	char nul[] = "eth0\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(re.ifname, "keep");
		ck_assert_msg(rt(bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert_str_eq(re.ifname, "keep");
	}
	nul[2] = '\0';
	ck_assert_int_eq(dp_route_parse_line(nul, sizeof(nul) - 1, &re), -EINVAL);
}
END_TEST

/* ---- USB ---------------------------------------------------------------------- */

static const struct dp_fake_usb_if hub_if[] = { { 9, 0, 0 } };
static const struct dp_fake_usb_if keyboard_ifs[] = { { 3, 1, 1 }, { 3, 0, 0 } };
static const struct dp_fake_usb_if mouse_if[] = { { 3, 1, 2 } };
static const struct dp_fake_usb_if stick_if[] = { { 8, 6, 0x50 } };

static void usb(const char *bdf, const char *rel, uint16_t vendor, uint16_t product,
		uint8_t cls, const char *mfr, const char *prod,
		const struct dp_fake_usb_if *ifs, size_t n_ifs)
{
	struct dp_fake_usb d = { .vendor = vendor, .product = product, .device_class = cls,
				 .manufacturer = mfr, .product_name = prod, .ifs = ifs,
				 .n_ifs = n_ifs };

	ck_assert_int_eq(dp_fakesys_add_usb(fs, under(bdf, rel), &d), 0);
}

/* An xHCI controller: two root hubs, a keyboard, a hub with a mouse, a stick with sdb1. */
static void usb_tree(void)
{
	add_fn(XHCI, 0x0c0330, "xhci_hcd", false);
	usb(XHCI, "usb1", 0x1d6b, 0x0002, 9, "Linux 6.1.0 xhci-hcd", "xHCI Host Controller", hub_if, 1);
	usb(XHCI, "usb2", 0x1d6b, 0x0003, 9, "Linux 6.1.0 xhci-hcd", "xHCI Host Controller", hub_if, 1);
	usb(XHCI, "usb1/1-1", 0x046d, 0xc31c, 0, "Logitech", "USB Keyboard", keyboard_ifs, 2);
	usb(XHCI, "usb1/1-3", 0x05e3, 0x0610, 9, NULL, "USB2.1 Hub", hub_if, 1);
	usb(XHCI, "usb1/1-3/1-3.1", 0x046d, 0xc077, 0, "Logitech", "USB Optical Mouse", mouse_if, 1);
	usb(XHCI, "usb2/2-1", 0x0781, 0x5583, 0, "SanDisk", "Ultra Fit", stick_if, 1);
	node(XHCI, "usb2/2-1/2-1:1.0/host6", "bus/scsi");
	node(XHCI, "usb2/2-1/2-1:1.0/host6/target6:0:0", "bus/scsi");
	node(XHCI, "usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0", "bus/scsi");
	block(XHCI, "usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb", 8, 16, 0);
	block(XHCI, "usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb/sdb1", 8, 17, 1);
}

START_TEST(usb_controller_lists_its_keyboard_mouse_and_stick)
{
	const struct dp_host_usb *d;
	int fds = dp_test_count_fds();

	usb_tree();
	mount_tree();
	write_file(mountinfo, MI(27, "254:0", "/", "ext4", "/dev/vda")
		   MI(90, "8:17", "/media/stick", "vfat", "/dev/sdb1"));
	ck_assert_int_eq(read_use(XHCI), 0);
	ck_assert_str_eq(u->bdf, XHCI);
	ck_assert_uint_eq(u->class_code, 0x0c0330);
	ck_assert_str_eq(usb_names(), "1-1,1-3,1-3.1,2-1,usb1,usb2");
	d = usb_named("1-1");
	ck_assert_uint_eq(d->vendor, 0x046d);
	ck_assert_uint_eq(d->product, 0xc31c);
	ck_assert_str_eq(d->manufacturer, "Logitech");
	ck_assert_str_eq(d->product_name, "USB Keyboard");
	ck_assert_uint_eq(d->flags, DP_HOST_USB_HID | DP_HOST_USB_KEYBOARD);
	ck_assert_uint_eq(d->n_ifs, 2);
	ck_assert_str_eq(d->ifs[0].name, "1-1:1.0");
	ck_assert_uint_eq(d->ifs[0].cls, 3);
	ck_assert_uint_eq(d->ifs[0].subclass, 1);
	ck_assert_uint_eq(d->ifs[0].protocol, 1);
	ck_assert_str_eq(d->ifs[1].name, "1-1:1.1");
	ck_assert_uint_eq(d->ifs[1].protocol, 0);
	d = usb_named("1-3");
	ck_assert_uint_eq(d->flags, DP_HOST_USB_HUB);
	ck_assert_str_eq(d->manufacturer, "");
	ck_assert_uint_eq(usb_named("1-3.1")->flags, DP_HOST_USB_HID);
	ck_assert_uint_eq(usb_named("2-1")->flags, DP_HOST_USB_STORAGE);
	ck_assert_uint_eq(usb_named("usb1")->flags, DP_HOST_USB_ROOT_HUB | DP_HOST_USB_HUB);
	ck_assert_uint_eq(usb_named("usb2")->product, 0x0003);
	/* The stick's disk and its mounted partition. */
	ck_assert_str_eq(block_names(), "sdb,sdb1");
	ck_assert_uint_eq(block_named("sdb")->flags, 0);
	ck_assert_uint_eq(block_named("sdb")->sectors, 4194304);
	ck_assert_uint_eq(block_named("sdb1")->flags, DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_MOUNTED);
	ck_assert_str_eq(block_named("sdb1")->below, "sdb");
	ck_assert_uint_eq(block_named("sdb1")->n_mounts, 1);
	ck_assert_str_eq(block_named("sdb1")->mounts[0], "/media/stick");
	ck_assert_uint_eq(u->n_net, 0);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_USB_KEYBOARD | DP_HOST_USE_USB_HID |
			  DP_HOST_USE_USB_STORAGE | DP_HOST_USE_MOUNTED);
	ck_assert_uint_eq(u->unknown, 0);
	ck_assert(!dp_test_warned());
	dp_host_use_free(u);
	u = NULL;
	ck_assert_int_eq(dp_test_count_fds(), fds);
}
END_TEST

START_TEST(usb_tree_symlink_loops_and_links_out_of_sys_are_not_followed)
{
	usb_tree();
	/* Links back up, to themselves, to / and out of /sys, and a link where a device would be. */
	ck_assert_int_eq(dp_fakesys_symlink(fs, "..", under(XHCI, "usb1/1-1/loop")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../..", under(XHCI, "usb1/1-1/1-1:1.0/up")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "self", under(XHCI, "usb1/self")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "/", under(XHCI, "usb1/root")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "/etc", under(XHCI, "usb2/1-9")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../usb1", under(XHCI, "usb2/usb3")), 0);
	mount_tree();
	write_file(mountinfo, "");
	ck_assert_int_eq(read_use(XHCI), 0);
	ck_assert_str_eq(usb_names(), "1-1,1-3,1-3.1,2-1,usb1,usb2");
	ck_assert_str_eq(block_names(), "sdb,sdb1");
	ck_assert_uint_eq(u->unknown, 0);
}
END_TEST

START_TEST(usb_hostile_attributes_are_unknown_not_fatal)
{
	static const struct dp_fake_usb_if two[] = { { 3, 1, 1 }, { 8, 6, 0x50 } };

	add_fn(XHCI, 0x0c0330, "xhci_hcd", false);
	usb(XHCI, "usb1", 0x1d6b, 2, 9, NULL, NULL, hub_if, 1);
	/* Escape sequences from the device, a string past the reader's limit, garbage IDs. */
	usb(XHCI, "usb1/1-1", 0x1234, 0x5678, 0, "Evil\x1b[2J\x7f Corp", NULL, two, 2);
	ck_assert_int_eq(dp_fakesys_write(fs, under(XHCI, "usb1/1-1/idProduct"), "zzzz\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, under(XHCI, "usb1/1-1/1-1:1.1/bInterfaceClass"),
					  NULL), 0);
	{
		char big[5000];

		memset(big, 'p', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(dp_fakesys_write(fs, under(XHCI, "usb1/1-1/product"), big), 0);
	}
	/* A device with none of its files. */
	ck_assert_int_eq(dp_fakesys_add_node(fs, under(XHCI, "usb1/1-2"), "bus/usb"), 0);
	/* A device whose product string is 200 bytes of UTF-8. */
	{
		char s[256] = "";

		for (int i = 0; i < 100; i++)
			strcat(s, "\xc3\xa9");
		usb(XHCI, "usb1/1-4", 1, 2, 0, s, NULL, NULL, 0);
	}
	mount_tree();
	ck_assert_int_eq(read_use(XHCI), 0);
	ck_assert_str_eq(usb_names(), "1-1,1-2,1-4,usb1");
	ck_assert_str_eq(usb_named("1-1")->manufacturer, "Evil?[2J? Corp");
	ck_assert_str_eq(usb_named("1-1")->product_name, "");
	ck_assert_uint_eq(usb_named("1-1")->product, 0);
	ck_assert_uint_eq(usb_named("1-1")->vendor, 0x1234);
	/* The keyboard interface still counts; the unreadable one is unknown. */
	ck_assert_uint_eq(usb_named("1-1")->flags, DP_HOST_USB_HID | DP_HOST_USB_KEYBOARD);
	ck_assert_uint_eq(usb_named("1-2")->vendor, 0);
	ck_assert_uint_eq(usb_named("1-2")->n_ifs, 0);
	/* Cut at a character boundary: 63 whole characters of two bytes. */
	ck_assert_uint_eq(strlen(usb_named("1-4")->manufacturer), 126);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_TREE);
	ck_assert(dp_test_logged(LOG_WARNING, XHCI ": usb1/1-1/idProduct holds garbage", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "usb1/1-1/1-1:1.1/bInterfaceClass: No such file", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "usb1/1-1/product holds garbage", "left empty"));
	ck_assert(dp_test_logged(LOG_WARNING, "usb1/1-2/idVendor", NULL));
}
END_TEST

START_TEST(usb_device_count_limit_marks_the_tree_incomplete)
{
	char rel[64];

	add_fn(XHCI, 0x0c0330, "xhci_hcd", false);
	usb(XHCI, "usb1", 0x1d6b, 2, 9, NULL, NULL, hub_if, 1);
	for (unsigned i = 0; i < DP_HOST_USE_USB_MAX; i++) {
		snprintf(rel, sizeof(rel), "usb1/1-%u", i + 1);
		usb(XHCI, rel, 1, (uint16_t)i, 0, NULL, NULL, NULL, 0);
	}
	mount_tree();
	ck_assert_int_eq(read_use(XHCI), 0);
	ck_assert_uint_eq(u->n_usb, DP_HOST_USE_USB_MAX);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_TREE);
	ck_assert(dp_test_logged(LOG_WARNING, XHCI ": more than 512 USB devices", NULL));
}
END_TEST

START_TEST(depth_limit_marks_the_tree_incomplete)
{
	char rel[PATH_MAX] = "usb1";

	add_fn(XHCI, 0x0c0330, "xhci_hcd", false);
	usb(XHCI, "usb1", 0x1d6b, 2, 9, NULL, NULL, hub_if, 1);
	for (int i = 0; i < DP_HOST_USE_DEPTH_MAX + 2; i++)
		strcat(rel, "/d");
	strcat(rel, "/block/sdz");
	block(XHCI, rel, 8, 240, 0);
	mount_tree();
	ck_assert_int_eq(read_use(XHCI), 0);
	ck_assert_uint_eq(u->n_block, 0);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_TREE);
	ck_assert(dp_test_logged(LOG_WARNING, "more than 24 directory levels", NULL));
}
END_TEST

/* ---- storage ---------------------------------------------------------------- */

#define SATA0 "ata1/host0/target0:0:0/0:0:0:0"
#define SATA2 "ata2/host1/target1:0:0/1:0:0:0"

static void sata_tree(void)
{
	add_fn(AHCI, 0x010601, "ahci", false);
	node(AHCI, "ata1", "bus/ata");
	node(AHCI, "ata1/host0", "bus/scsi");
	node(AHCI, "ata1/host0/scsi_host/host0", "class/scsi_host");
	node(AHCI, "ata1/host0/target0:0:0", "bus/scsi");
	node(AHCI, SATA0, "bus/scsi");
	node(AHCI, SATA0 "/bsg/0:0:0:0", "class/bsg");
	block(AHCI, SATA0 "/block/sda", 8, 0, 0);
	block(AHCI, SATA0 "/block/sda/sda1", 8, 1, 1);
	block(AHCI, SATA0 "/block/sda/sda2", 8, 2, 2);
	block(AHCI, SATA0 "/block/sda/sda3", 8, 3, 3);
	node(AHCI, "ata2/host1/target1:0:0", "bus/scsi");
	node(AHCI, SATA2, "bus/scsi");
	block(AHCI, SATA2 "/block/sdc", 8, 32, 0);
}

START_TEST(sata_disk_with_root_and_boot_and_one_not_mounted)
{
	const struct dp_host_block *b;

	sata_tree();
	mount_tree();
	write_file(mountinfo, MI(22, "0:21", "/proc", "proc", "proc")
		   MI(27, "8:2", "/", "ext4", "/dev/sda2")
		   MI(30, "8:1", "/boot/efi", "vfat", "/dev/sda1")
		   MI(31, "8:2", "/srv/data", "ext4", "/dev/sda2")
		   MI(32, "8:2", "/srv/data", "ext4", "/dev/sda2")
		   MI(33, "8:48", "/mnt/other", "ext4", "/dev/sdd"));
	ck_assert_int_eq(read_use(AHCI), 0);
	ck_assert_str_eq(block_names(), "sda,sda1,sda2,sda3,sdc");
	b = block_named("sda2");
	ck_assert_uint_eq(b->flags, DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_MOUNTED | DP_HOST_BLOCK_ROOT);
	ck_assert_uint_eq(b->major, 8);
	ck_assert_uint_eq(b->minor, 2);
	ck_assert_str_eq(b->below, "sda");
	ck_assert_uint_eq(b->n_mounts, 2); /* the same mount point twice counts once */
	ck_assert_str_eq(b->mounts[0], "/");
	ck_assert_str_eq(b->mounts[1], "/srv/data");
	ck_assert_uint_eq(block_named("sda1")->flags,
			  DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_MOUNTED | DP_HOST_BLOCK_BOOT);
	ck_assert_uint_eq(block_named("sda3")->flags, DP_HOST_BLOCK_PARTITION);
	ck_assert_uint_eq(block_named("sda3")->n_mounts, 0);
	ck_assert_ptr_null(block_named("sda3")->mounts);
	ck_assert_uint_eq(block_named("sda")->flags, 0);
	ck_assert_uint_eq(block_named("sdc")->flags, 0);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_ROOT_FS | DP_HOST_USE_BOOT_FS);
	ck_assert_uint_eq(u->unknown, 0);
	ck_assert_uint_eq(u->n_usb, 0);
}
END_TEST

static void nvme_tree(const char *bdf, unsigned ctrl, unsigned first_minor, unsigned parts)
{
	char rel[128], name[32];

	add_fn(bdf, 0x010802, "nvme", false);
	snprintf(rel, sizeof(rel), "nvme/nvme%u", ctrl);
	node(bdf, rel, "class/nvme");
	snprintf(name, sizeof(name), "nvme%un1", ctrl);
	snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "/%s", name);
	block(bdf, rel, 259, first_minor, 0);
	for (unsigned p = 1; p <= parts; p++) {
		char prel[160];

		snprintf(prel, sizeof(prel), "%s/%sp%u", rel, name, p);
		block(bdf, prel, 259, first_minor + p, p);
	}
}

START_TEST(nvme_with_boot_mounted_and_another_not_mounted)
{
	nvme_tree(NVME, 0, 0, 2);
	nvme_tree(NVME2, 1, 3, 1);
	mount_tree();
	write_file(mountinfo, MI(27, "254:0", "/", "ext4", "/dev/mapper/vg-root")
		   MI(29, "259:2", "/boot", "ext2", "/dev/nvme0n1p2"));
	ck_assert_int_eq(read_use(NVME), 0);
	ck_assert_str_eq(block_names(), "nvme0n1,nvme0n1p1,nvme0n1p2");
	ck_assert_str_eq(block_named("nvme0n1p2")->below, "nvme0n1");
	ck_assert_uint_eq(block_named("nvme0n1p2")->flags,
			  DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_MOUNTED | DP_HOST_BLOCK_BOOT);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_BOOT_FS);
	ck_assert_int_eq(read_use(NVME2), 0);
	ck_assert_str_eq(block_names(), "nvme1n1,nvme1n1p1");
	ck_assert_uint_eq(u->flags, 0);
	ck_assert_uint_eq(u->unknown, 0);
}
END_TEST

START_TEST(lvm_root_on_a_partition_counts_through_its_holder)
{
	static const char *const held[] = { "nvme0n1p2", NULL };
	static const char *const two[] = { "nvme0n1p1", "sdq", NULL };
	const struct dp_host_block *b;

	nvme_tree(NVME, 0, 0, 2);
	/* A disk elsewhere, held with this one's partition by dm-1. */
	ck_assert_int_eq(dp_fakesys_add_block(fs, "devices/platform/x/block/sdq", 65, 0, 0), 0);
	ck_assert_int_eq(dp_fakesys_add_holder(fs, "dm-0", 254, 0, held), 0);
	ck_assert_int_eq(dp_fakesys_add_holder(fs, "dm-1", 254, 1, two), 0);
	mount_tree();
	write_file(mountinfo, MI(27, "254:0", "/", "ext4", "/dev/mapper/vg-root")
		   MI(28, "254:1", "/home", "xfs", "/dev/mapper/vg-home"));
	ck_assert_int_eq(read_use(NVME), 0);
	/* The function's own devices, then each holder once, both in name order. */
	ck_assert_str_eq(block_names(), "nvme0n1,nvme0n1p1,nvme0n1p2,dm-0,dm-1");
	b = block_named("dm-0");
	ck_assert_uint_eq(b->flags, DP_HOST_BLOCK_HOLDER | DP_HOST_BLOCK_MOUNTED | DP_HOST_BLOCK_ROOT);
	ck_assert_str_eq(b->below, "nvme0n1p2");
	ck_assert_uint_eq(b->major, 254);
	ck_assert_str_eq(b->mounts[0], "/");
	b = block_named("dm-1");
	ck_assert_str_eq(b->below, "nvme0n1p1");
	ck_assert_str_eq(b->mounts[0], "/home");
	ck_assert_uint_eq(block_named("nvme0n1p2")->flags, DP_HOST_BLOCK_PARTITION);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_ROOT_FS);
	ck_assert_uint_eq(u->unknown, 0);
}
END_TEST

START_TEST(btrfs_mounts_count_by_source)
{
	nvme_tree(NVME, 0, 0, 2);
	mount_tree();
	/* btrfs shows an anonymous device number; its source names the partition. */
	write_file(mountinfo, MI(27, "0:31", "/", "btrfs", "/dev/nvme0n1p2")
		   MI(28, "0:31", "/home", "btrfs", "/dev/nvme0n1p2")
		   MI(29, "0:32", "/x", "tmpfs", "/dev/nvme0n1p2x"));
	ck_assert_int_eq(read_use(NVME), 0);
	ck_assert_uint_eq(block_named("nvme0n1p2")->n_mounts, 2);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_ROOT_FS);
}
END_TEST

START_TEST(garbage_mountinfo_lines_are_skipped_and_make_mounts_unknown)
{
	char *text = malloc(1 << 20);
	size_t len;

	ck_assert_ptr_nonnull(text);
	sata_tree();
	mount_tree();
	/* Garbage, a line too long to be the kernel's, a NUL, then the root. */
	strcpy(text, "garbage\n\n36 35 98 /mnt1 /mnt2 rw - ext3 /dev/root rw\n");
	len = strlen(text);
	memset(text + len, 'x', 40000);
	strcpy(text + len + 40000, "\n" MI(27, "8:2", "/", "ext4", "/dev/sda2"));
	write_file(mountinfo, text);
	ck_assert_int_eq(read_use(AHCI), 0);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_ROOT_FS);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_MOUNTS);
	ck_assert(dp_test_logged(LOG_WARNING, "mountinfo: line 1: not a mountinfo line", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "mountinfo: 4 lines not the kernel's mountinfo (some too long)", NULL));
	/* The last line without its newline still counts. */
	write_file(mountinfo, "27 1 8:2 / / rw - ext4 /dev/sda2 rw");
	ck_assert_int_eq(read_use(AHCI), 0);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_MOUNTED | DP_HOST_USE_ROOT_FS);
	ck_assert_uint_eq(u->unknown, 0);
	free(text);
}
END_TEST

START_TEST(missing_files_leave_facts_unknown)
{
	sata_tree();
	ck_assert_int_eq(dp_fakesys_write(fs, under(AHCI, SATA0 "/block/sda/sda3/dev"), NULL), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, under(AHCI, SATA0 "/block/sda/sda1/dev"), "8:x\n"), 0);
	mount_tree();
	/* No mountinfo file: whether anything is mounted is unknown. */
	ck_assert_int_eq(read_use(AHCI), 0);
	ck_assert_str_eq(block_names(), "sda,sda1,sda2,sda3,sdc");
	ck_assert_uint_eq(block_named("sda3")->flags, DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_NO_DEV);
	ck_assert_uint_eq(block_named("sda1")->flags, DP_HOST_BLOCK_PARTITION | DP_HOST_BLOCK_NO_DEV);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_TREE | DP_HOST_UNKNOWN_MOUNTS);
	ck_assert_uint_eq(u->flags, 0);
	ck_assert(dp_test_logged(LOG_WARNING, SATA0 "/block/sda/sda3/dev: No such file", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, SATA0 "/block/sda/sda1/dev holds garbage", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "/mountinfo: No such file",
				 "whether its block devices are mounted is unknown"));
}
END_TEST

START_TEST(a_fifo_for_mountinfo_does_not_hang)
{
	sata_tree();
	mount_tree();
	ck_assert_int_eq(mkfifo(mountinfo, 0600), 0);
	ck_assert_int_eq(read_use(AHCI), 0);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_MOUNTS);
	ck_assert(dp_test_logged(LOG_WARNING, "/mountinfo: not a regular file", NULL));
}
END_TEST

START_TEST(holder_outside_sys_is_not_followed)
{
	static const char *const held[] = { "nvme0n1p1", NULL };

	nvme_tree(NVME, 0, 0, 1);
	ck_assert_int_eq(dp_fakesys_add_holder(fs, "dm-0", 254, 0, held), 0);
	/* The class link of dm-0 now leads out of /sys (to the scratch directory). */
	ck_assert_int_eq(dp_fakesys_symlink(fs, dp_fakesys_scratch(fs), "class/block/dm-0"), 0);
	/* And a holder with no class entry at all. */
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../../../../../virtual/block/md9",
					    under(NVME, "nvme/nvme0/nvme0n1/nvme0n1p1/holders/md9")), 0);
	mount_tree();
	write_file(mountinfo, "");
	ck_assert_int_eq(read_use(NVME), 0);
	ck_assert_str_eq(block_names(), "nvme0n1,nvme0n1p1");
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_HOLDERS);
	ck_assert(dp_test_logged(LOG_WARNING, "holder dm-0 of nvme0n1p1: not a device under /sys/devices/", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "holder md9 of nvme0n1p1: No such file", NULL));
}
END_TEST

START_TEST(child_functions_below_a_bridge_are_left_to_their_own_report)
{
	char rel[PATH_MAX];

	add_fn(BRIDGE, 0x060400, "pcieport", false);
	snprintf(rel, sizeof(rel), "%s/0000:06:00.0/net/eth9", under(BRIDGE, ""));
	ck_assert_int_eq(dp_fakesys_add_node(fs, rel, "class/net"), 0);
	snprintf(rel, sizeof(rel), "%s/0000:06:00.0/subsystem", under(BRIDGE, ""));
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../../bus/pci", rel), 0);
	mount_tree();
	ck_assert_int_eq(read_use(BRIDGE), 0);
	ck_assert_uint_eq(u->n_net, 0);
	ck_assert_uint_eq(u->flags, 0);
}
END_TEST

/* ---- network ---------------------------------------------------------------- */

START_TEST(nic_with_the_default_route_and_one_without)
{
	add_fn(NIC0, 0x020000, "ixgbe", false);
	add_fn(NIC1, 0x020000, "ixgbe", false);
	node(NIC0, "net/enp3s0f0", "class/net");
	ck_assert_int_eq(dp_fakesys_write(fs, under(NIC0, "net/enp3s0f0/queues/rx-0/rps_cpus"), "0\n"), 0);
	node(NIC1, "net/enp3s0f1", "class/net");
	mount_tree();
	write_file(route,
		   "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT       \n"
		   "enp3s0f0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0          \n"
		   "enp3s0f0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0          \n"
		   "enp3s0f1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0          \n");
	ck_assert_int_eq(read_use(NIC0), 0);
	ck_assert_uint_eq(u->n_net, 1);
	ck_assert_str_eq(u->net[0].name, "enp3s0f0");
	ck_assert(u->net[0].default_route);
	ck_assert_str_eq(u->net[0].default_via, "");
	ck_assert_uint_eq(u->net[0].n_uppers, 0);
	ck_assert_uint_eq(u->flags, DP_HOST_USE_DEFAULT_ROUTE);
	ck_assert_uint_eq(u->unknown, 0);
	ck_assert_int_eq(read_use(NIC1), 0);
	ck_assert_uint_eq(u->n_net, 1);
	ck_assert_str_eq(u->net[0].name, "enp3s0f1");
	ck_assert(!u->net[0].default_route);
	ck_assert_uint_eq(u->flags, 0);
	ck_assert_uint_eq(u->unknown, 0);
	ck_assert(!dp_test_warned());
}
END_TEST

START_TEST(a_bridge_port_carries_the_default_route_of_its_bridge)
{
	char rel[64];

	add_fn(NIC0, 0x020000, "ixgbe", false);
	add_fn(NIC1, 0x020000, "ixgbe", false);
	node(NIC0, "net/eno1", "class/net");
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../../../virtual/net/br0", under(NIC0, "net/eno1/master")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../../../virtual/net/br0", under(NIC0, "net/eno1/upper_br0")), 0);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../../../virtual/net/eno1.7", under(NIC0, "net/eno1/upper_eno1.7")), 0);
	/* A trunk with more VLANs than the reader keeps. */
	node(NIC1, "net/eno2", "class/net");
	for (int i = 0; i < DP_HOST_USE_UPPERS_MAX + 1; i++) {
		snprintf(rel, sizeof(rel), "net/eno2/upper_eno2.%d", i);
		ck_assert_int_eq(dp_fakesys_symlink(fs, "x", under(NIC1, rel)), 0);
	}
	mount_tree();
	write_file(route, "Iface\tDestination\n"
		   "br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		   "eno2.3\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n");
	ck_assert_int_eq(read_use(NIC0), 0);
	ck_assert_str_eq(u->net[0].name, "eno1");
	ck_assert_uint_eq(u->net[0].n_uppers, 2);
	ck_assert_str_eq(u->net[0].uppers[0], "br0");
	ck_assert(u->net[0].default_route);
	ck_assert_str_eq(u->net[0].default_via, "br0");
	ck_assert_uint_eq(u->flags, DP_HOST_USE_DEFAULT_ROUTE);
	ck_assert_uint_eq(u->unknown, 0);
	ck_assert_int_eq(read_use(NIC1), 0);
	ck_assert_uint_eq(u->net[0].n_uppers, DP_HOST_USE_UPPERS_MAX);
	ck_assert(!u->net[0].default_route);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_ROUTES);
	ck_assert(dp_test_logged(LOG_WARNING, NIC1 ": eno2: more than 16 upper devices", NULL));
}
END_TEST

START_TEST(garbage_route_lines_are_skipped_and_make_routes_unknown)
{
	add_fn(NIC0, 0x020000, "virtio-pci", false);
	node(NIC0, "virtio0", "bus/virtio");
	node(NIC0, "virtio0/net/eth0", "class/net");
	mount_tree();
	write_file(route, "Iface\tDestination\n"
		   "eth0 0000000\n"
		   "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		   "\x01\x02\n");
	ck_assert_int_eq(read_use(NIC0), 0);
	ck_assert_str_eq(u->net[0].name, "eth0");
	ck_assert(u->net[0].default_route);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_ROUTES);
	ck_assert(dp_test_logged(LOG_WARNING, "/route: line 2: not a route line", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "/route: 2 lines not the kernel's route table", NULL));
	/* No route file at all. */
	ck_assert_int_eq(unlink(route), 0);
	ck_assert_int_eq(read_use(NIC0), 0);
	ck_assert(!u->net[0].default_route);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_ROUTES);
}
END_TEST

/* ---- display ---------------------------------------------------------------- */

START_TEST(boot_vga_with_the_framebuffer_console)
{
	add_fn(VGA, 0x030000, "amdgpu", true);
	add_fn(VGA2, 0x030000, "nouveau", false);
	node(VGA, "graphics/fb0", "class/graphics");
	node(VGA, "drm/card0", "class/drm");
	ck_assert_int_eq(dp_fakesys_add_vtcon(fs, 0, "(S) dummy device", false), 0);
	ck_assert_int_eq(dp_fakesys_add_vtcon(fs, 1, "(M) frame buffer device", true), 0);
	mount_tree();
	ck_assert_int_eq(read_use(VGA), 0);
	ck_assert(u->display.boot_vga);
	ck_assert(u->display.fbcon_bound);
	ck_assert(u->display.console);
	ck_assert_uint_eq(u->display.n_fbs, 1);
	ck_assert_str_eq(u->display.fbs[0], "fb0");
	ck_assert_uint_eq(u->flags, DP_HOST_USE_BOOT_VGA | DP_HOST_USE_CONSOLE);
	ck_assert_uint_eq(u->unknown, 0);
	/* The other GPU: fbcon is bound, but not to it. */
	ck_assert_int_eq(read_use(VGA2), 0);
	ck_assert(!u->display.boot_vga);
	ck_assert(u->display.fbcon_bound);
	ck_assert(!u->display.console);
	ck_assert_uint_eq(u->flags, 0);
	ck_assert(!dp_test_warned());
}
END_TEST

START_TEST(fbcon_unbound_is_no_console)
{
	add_fn(VGA, 0x030000, "amdgpu", true);
	node(VGA, "graphics/fb0", "class/graphics");
	node(VGA, "graphics/fb10", "class/graphics");
	node(VGA, "graphics/fb2", "class/graphics");
	node(VGA, "graphics/fbx", "class/graphics");
	ck_assert_int_eq(dp_fakesys_add_vtcon(fs, 0, "(S) dummy device", true), 0);
	ck_assert_int_eq(dp_fakesys_add_vtcon(fs, 1, "(M) frame buffer device", false), 0);
	mount_tree();
	ck_assert_int_eq(read_use(VGA), 0);
	ck_assert(u->display.boot_vga);
	ck_assert(!u->display.fbcon_bound);
	ck_assert(!u->display.console);
	ck_assert_uint_eq(u->display.n_fbs, 3);
	ck_assert_str_eq(u->display.fbs[0], "fb0");
	ck_assert_str_eq(u->display.fbs[1], "fb2");
	ck_assert_str_eq(u->display.fbs[2], "fb10");
	ck_assert_uint_eq(u->flags, DP_HOST_USE_BOOT_VGA);
}
END_TEST

START_TEST(display_garbage_is_unknown)
{
	static const struct dp_fake_attr junk[] = { { "boot_vga", "yes\n" }, { NULL, NULL } };
	struct dp_fake_dev d = { .bdf = VGA, .class_code = 0x030000, .attrs = junk };

	ck_assert_int_eq(dp_fakesys_add(fs, &d), 0);
	node(VGA, "graphics/fb0", "class/graphics");
	ck_assert_int_eq(dp_fakesys_add_vtcon(fs, 1, "(M) frame buffer device", true), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "devices/virtual/vtconsole/vtcon1/bind", "2\n"), 0);
	/* A console whose class link leads out of /sys. */
	ck_assert_int_eq(dp_fakesys_symlink(fs, "/tmp", "class/vtconsole/vtcon7"), 0);
	mount_tree();
	ck_assert_int_eq(read_use(VGA), 0);
	ck_assert(!u->display.boot_vga);
	ck_assert(!u->display.console);
	ck_assert_uint_eq(u->unknown, DP_HOST_UNKNOWN_DISPLAY);
	ck_assert(dp_test_logged(LOG_WARNING, VGA ": boot_vga holds garbage", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "vtcon1: name or bind holds garbage", NULL));
	ck_assert(dp_test_logged(LOG_WARNING, "vtcon7: not a device under /sys/devices/", NULL));
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

START_TEST(errors_name_the_function)
{
	struct dp_host_use *keep = (struct dp_host_use *)&keep;

	add_fn(NIC0, 0x020000, "ixgbe", false);
	mount_tree();
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_host_use_read(ctx, "03:00.9", NULL, &keep),
					    "\"03:00.9\" is not a PCI address"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_host_use_read(ctx, "0000:09:00.0", NULL, &keep),
					    "0000:09:00.0: no such PCI function in sysfs"), -ENODEV);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_host_use_read(ctx, NIC0, NULL, NULL), "BUG"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_host_use_read(ctx, NULL, NULL, &keep), "BUG"), -EINVAL);
	ck_assert_ptr_eq(keep, (struct dp_host_use *)&keep);
	/* The short form is the function's, with the defaults (nothing below it to read them for). */
	ck_assert_int_eq(dp_host_use_read(ctx, "03:00.0", NULL, &u), 0);
	ck_assert_str_eq(u->bdf, NIC0);
	dp_host_use_free(NULL);
}
END_TEST

START_TEST(a_function_whose_directory_is_outside_sys_devices_is_refused)
{
	struct dp_host_use *keep = NULL;

	add_fn(NIC0, 0x020000, "ixgbe", false);
	ck_assert_int_eq(dp_fakesys_symlink(fs, "/tmp", "bus/pci/devices/" NIC0), 0);
	mount_tree();
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_host_use_read(ctx, NIC0, NULL, &keep),
					    NIC0 ": /sys/bus/pci/devices/" NIC0 " is not a device under /sys/devices/"),
			 -EXDEV);
	ck_assert_ptr_null(keep);
}
END_TEST

/* ---- this machine --------------------------------------------------------------- */

/* The last path component of realpath(path) that is a PCI address, into bdf; false if none. */
static bool pci_function_of(const char *path, char bdf[DP_BDF_LEN])
{
	char *real = realpath(path, NULL);
	bool found = false;

	if (!real)
		return false;
	for (char *tok = strtok(real, "/"); tok; tok = strtok(NULL, "/")) {
		char norm[DP_BDF_LEN];

		if (dp_bdf_normalize(tok, norm) == 0 && strcmp(norm, tok) == 0) {
			memcpy(bdf, norm, DP_BDF_LEN);
			found = true;
		}
	}
	free(real);
	return found;
}

static struct dp_ctx *real_ctx(void)
{
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn };
	struct dp_ctx *c;

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(c, LOG_DEBUG), 0);
	return c;
}

START_TEST(this_machine_default_route_is_found_through_its_pci_function)
{
	struct dp_host_use *h = NULL;
	struct dp_route_entry e;
	char line[512], ifname[16] = "", path[PATH_MAX], bdf[DP_BDF_LEN];
	struct dp_ctx *c;
	bool found = false;
	FILE *f = fopen(DP_PROC_NET_ROUTE, "re");

	if (!f) {
		fprintf(stderr, "SKIP: %s: %s\n", DP_PROC_NET_ROUTE, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (dp_route_parse_line(line, strcspn(line, "\n"), &e) == 0 &&
		    dp_route_is_default(&e) && !ifname[0])
			snprintf(ifname, sizeof(ifname), "%s", e.ifname);
	fclose(f);
	snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
	if (!ifname[0] || !pci_function_of(path, bdf)) {
		fprintf(stderr, "SKIP: no default route through a PCI function on this machine\n");
		return;
	}
	c = real_ctx();
	ck_assert_int_eq(dp_host_use_read(c, bdf, NULL, &h), 0);
	for (size_t i = 0; i < h->n_net; i++)
		if (strcmp(h->net[i].name, ifname) == 0) {
			ck_assert(h->net[i].default_route);
			found = true;
		}
	ck_assert_msg(found, "%s: %s not listed", bdf, ifname);
	ck_assert(h->flags & DP_HOST_USE_DEFAULT_ROUTE);
	ck_assert_uint_eq(h->unknown & (DP_HOST_UNKNOWN_TREE | DP_HOST_UNKNOWN_ROUTES), 0);
	fprintf(stderr, "# %s: %s carries the default route\n", bdf, ifname);
	dp_host_use_free(h);
	dp_ctx_unref(c);
}
END_TEST

START_TEST(this_machine_root_filesystem_is_found_through_its_pci_function)
{
	struct dp_mountinfo_entry *e = malloc(sizeof(*e));
	struct dp_host_use *h = NULL;
	char *line = malloc(DP_HOST_USE_LINE_LEN), path[PATH_MAX], bdf[DP_BDF_LEN];
	unsigned major = 0, minor = 0;
	bool root = false, found = false;
	struct dp_ctx *c;
	FILE *f = fopen(DP_PROC_SELF_MOUNTINFO, "re");

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(f);
	while (fgets(line, DP_HOST_USE_LINE_LEN, f))
		if (dp_mountinfo_parse_line(line, strcspn(line, "\n"), e) == 0 &&
		    strcmp(e->mount_point, "/") == 0) {
			major = e->major;
			minor = e->minor;
			root = true;
		}
	fclose(f);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
	if (!root || major == 0 || !pci_function_of(path, bdf)) {
		fprintf(stderr, "SKIP: the root filesystem is on no PCI block device here\n");
		free(e);
		free(line);
		return;
	}
	c = real_ctx();
	ck_assert_int_eq(dp_host_use_read(c, bdf, NULL, &h), 0);
	for (size_t i = 0; i < h->n_block; i++)
		if (h->block[i].major == major && h->block[i].minor == minor) {
			ck_assert(h->block[i].flags & DP_HOST_BLOCK_ROOT);
			found = true;
		}
	ck_assert_msg(found, "%s: %u:%u not listed", bdf, major, minor);
	ck_assert(h->flags & DP_HOST_USE_ROOT_FS);
	fprintf(stderr, "# %s: the root filesystem (%u:%u) is below it\n", bdf, major, minor);
	dp_host_use_free(h);
	dp_ctx_unref(c);
	free(e);
	free(line);
}
END_TEST

START_TEST(this_machine_every_function_reads_without_error)
{
	struct dp_ctx *c = real_ctx();
	int fds = dp_test_count_fds();

	ck_assert_int_ge(dp_ctx_scan(c), 0);
	for (size_t i = 0; i < dp_ctx_get_device_count(c); i++) {
		struct dp_host_use *h = NULL;
		const char *bdf = dp_device_get_bdf(dp_ctx_get_device(c, i));

		ck_assert_int_eq(dp_host_use_read(c, bdf, NULL, &h), 0);
		ck_assert_uint_eq(h->unknown & DP_HOST_UNKNOWN_TREE, 0);
		dp_host_use_free(h);
	}
	ck_assert_int_eq(dp_test_count_fds(), fds);
	dp_ctx_unref(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostuse");
	TCase *parse = tcase_create("parsers");
	TCase *tree = tcase_create("synthetic");
	TCase *real = tcase_create("this-machine");

	dp_fakesys_enter_namespace();

	tcase_add_test(parse, mountinfo_parses_the_kernels_lines);
	tcase_add_test(parse, mountinfo_refuses_garbage_and_leaves_the_entry);
	tcase_add_test(parse, mountinfo_cuts_a_long_type_or_source_and_says_so);
	tcase_add_test(parse, route_parses_the_kernels_lines);
	tcase_add_test(parse, route_refuses_garbage);
	suite_add_tcase(s, parse);

	tcase_add_checked_fixture(tree, setup, teardown);
	tcase_set_timeout(tree, 120);
	tcase_add_test(tree, usb_controller_lists_its_keyboard_mouse_and_stick);
	tcase_add_test(tree, usb_tree_symlink_loops_and_links_out_of_sys_are_not_followed);
	tcase_add_test(tree, usb_hostile_attributes_are_unknown_not_fatal);
	tcase_add_test(tree, usb_device_count_limit_marks_the_tree_incomplete);
	tcase_add_test(tree, depth_limit_marks_the_tree_incomplete);
	tcase_add_test(tree, sata_disk_with_root_and_boot_and_one_not_mounted);
	tcase_add_test(tree, nvme_with_boot_mounted_and_another_not_mounted);
	tcase_add_test(tree, lvm_root_on_a_partition_counts_through_its_holder);
	tcase_add_test(tree, btrfs_mounts_count_by_source);
	tcase_add_test(tree, garbage_mountinfo_lines_are_skipped_and_make_mounts_unknown);
	tcase_add_test(tree, missing_files_leave_facts_unknown);
	tcase_add_test(tree, a_fifo_for_mountinfo_does_not_hang);
	tcase_add_test(tree, holder_outside_sys_is_not_followed);
	tcase_add_test(tree, child_functions_below_a_bridge_are_left_to_their_own_report);
	tcase_add_test(tree, nic_with_the_default_route_and_one_without);
	tcase_add_test(tree, a_bridge_port_carries_the_default_route_of_its_bridge);
	tcase_add_test(tree, garbage_route_lines_are_skipped_and_make_routes_unknown);
	tcase_add_test(tree, boot_vga_with_the_framebuffer_console);
	tcase_add_test(tree, fbcon_unbound_is_no_console);
	tcase_add_test(tree, display_garbage_is_unknown);
	tcase_add_test(tree, errors_name_the_function);
	tcase_add_test(tree, a_function_whose_directory_is_outside_sys_devices_is_refused);
	suite_add_tcase(s, tree);

	tcase_set_timeout(real, 120);
	tcase_add_test(real, this_machine_default_route_is_found_through_its_pci_function);
	tcase_add_test(real, this_machine_root_filesystem_is_found_through_its_pci_function);
	tcase_add_test(real, this_machine_every_function_reads_without_error);
	suite_add_tcase(s, real);

	return dp_test_run(s);
}
