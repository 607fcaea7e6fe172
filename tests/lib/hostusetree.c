/* SPDX-License-Identifier: MIT */
/* The synthetic host of hostusetree.h, in the kernel's own layout. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostusetree.h"

/* A mountinfo line (proc(5)) for device maj:min mounted at mp. */
#define MI(id, dev, mp, type, src) #id " 1 " dev " / " mp " rw,relatime shared:1 - " type " " src " rw\n"

const char dp_hu_mountinfo[] =
	MI(22, "0:21", "/proc", "proc", "proc")
	MI(27, "254:0", "/", "ext4", "/dev/mapper/vg-root")
	MI(30, "8:1", "/boot/efi", "vfat", "/dev/sda1")
	MI(31, "259:1", "/srv/data", "xfs", "/dev/nvme0n1p1")
	MI(90, "8:17", "/media/stick", "vfat", "/dev/sdb1");

const char dp_hu_route[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT       \n"
	"eno1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0          \n"
	"eno1\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0          \n"
	"br0\t00000000\t0102A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0          \n"
	"eno3\t0003A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0          \n";

#define SATA0 "ata1/host0/target0:0:0/0:0:0:0"
#define STICK "usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0"

static const struct dp_fake_usb_if hub_if[] = { { 9, 0, 0 } };
static const struct dp_fake_usb_if keyboard_ifs[] = { { 3, 1, 1 }, { 3, 0, 0 } };
static const struct dp_fake_usb_if mouse_if[] = { { 3, 1, 2 } };
static const struct dp_fake_usb_if stick_if[] = { { 8, 6, 0x50 } };

int dp_hu_under(const struct dp_fakesys *fs, const char *bdf, const char *rel, char *buf,
		size_t size)
{
	char dir[256];
	int r = dp_fakesys_dev_dir(fs, bdf, dir, sizeof(dir));
	int n;

	if (r < 0)
		return r;
	n = snprintf(buf, size, "%s%s%s", dir, *rel ? "/" : "", rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int fn(struct dp_fakesys *fs, const char *bdf, uint32_t class_code, const char *driver,
	      int group, bool boot_vga)
{
	struct dp_fake_dev d = { .bdf = bdf, .vendor = 0x8086, .device = 0x1234,
				 .class_code = class_code, .driver = driver, .group = group,
				 .boot_vga = boot_vga, .caps = DP_FAKE_CAP_FLR };

	return dp_fakesys_add(fs, &d);
}

static int node(struct dp_fakesys *fs, const char *bdf, const char *rel, const char *subsys)
{
	char path[512];
	int r = dp_hu_under(fs, bdf, rel, path, sizeof(path));

	return r < 0 ? r : dp_fakesys_add_node(fs, path, subsys);
}

static int block(struct dp_fakesys *fs, const char *bdf, const char *rel, unsigned major,
		 unsigned minor, unsigned part)
{
	char path[512];
	int r = dp_hu_under(fs, bdf, rel, path, sizeof(path));

	return r < 0 ? r : dp_fakesys_add_block(fs, path, major, minor, part);
}

static int usb(struct dp_fakesys *fs, const char *rel, uint16_t vendor, uint16_t product,
	       uint8_t cls, const char *mfr, const char *prod, const struct dp_fake_usb_if *ifs,
	       size_t n_ifs)
{
	struct dp_fake_usb d = { .vendor = vendor, .product = product, .device_class = cls,
				 .manufacturer = mfr, .product_name = prod, .ifs = ifs,
				 .n_ifs = n_ifs };
	char path[512];
	int r = dp_hu_under(fs, DP_HU_XHCI, rel, path, sizeof(path));

	return r < 0 ? r : dp_fakesys_add_usb(fs, path, &d);
}

static int link_upper(struct dp_fakesys *fs, const char *bdf, const char *rel)
{
	char path[512];
	int r = dp_hu_under(fs, bdf, rel, path, sizeof(path));

	return r < 0 ? r : dp_fakesys_symlink(fs, "../../../../../virtual/net/br0", path);
}

int dp_hu_build(struct dp_fakesys *fs)
{
	static const char *const held[] = { "sda2", NULL };
	struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
				     .vfio_pci = true, .vfio_type1 = true };
	int r = 0;

	r = r ? r : dp_fakesys_set_host(fs, &host);
	r = r ? r : fn(fs, DP_HU_XHCI, 0x0c0330, "xhci_hcd", 3, false);
	r = r ? r : fn(fs, DP_HU_AHCI, 0x010601, "ahci", 4, false);
	r = r ? r : fn(fs, DP_HU_NVME, 0x010802, "nvme", 5, false);
	r = r ? r : fn(fs, DP_HU_NIC, 0x020000, "ixgbe", 6, false);
	r = r ? r : fn(fs, DP_HU_NIC_BRIDGED, 0x020000, "ixgbe", 7, false);
	r = r ? r : fn(fs, DP_HU_NIC_OTHER, 0x020000, "ixgbe", 8, false);
	r = r ? r : fn(fs, DP_HU_VGA, 0x030000, "amdgpu", 9, true);
	r = r ? r : fn(fs, DP_HU_PLAIN, 0x00ff00, NULL, 10, false);
	if (r)
		return r;

	r = r ? r : usb(fs, "usb1", 0x1d6b, 0x0002, 9, "Linux 6.1.0 xhci-hcd", "xHCI Host Controller", hub_if, 1);
	r = r ? r : usb(fs, "usb2", 0x1d6b, 0x0003, 9, "Linux 6.1.0 xhci-hcd", "xHCI Host Controller", hub_if, 1);
	r = r ? r : usb(fs, "usb1/1-1", 0x046d, 0xc31c, 0, "Logitech", "USB Keyboard", keyboard_ifs, 2);
	r = r ? r : usb(fs, "usb1/1-3", 0x05e3, 0x0610, 9, NULL, "USB2.1 Hub", hub_if, 1);
	r = r ? r : usb(fs, "usb1/1-3/1-3.1", 0x046d, 0xc077, 0, "Logitech", "USB Optical Mouse", mouse_if, 1);
	r = r ? r : usb(fs, "usb2/2-1", 0x0781, 0x5583, 0, "SanDisk", "Ultra Fit", stick_if, 1);
	r = r ? r : node(fs, DP_HU_XHCI, "usb2/2-1/2-1:1.0/host6", "bus/scsi");
	r = r ? r : node(fs, DP_HU_XHCI, "usb2/2-1/2-1:1.0/host6/target6:0:0", "bus/scsi");
	r = r ? r : node(fs, DP_HU_XHCI, STICK, "bus/scsi");
	r = r ? r : block(fs, DP_HU_XHCI, STICK "/block/sdb", 8, 16, 0);
	r = r ? r : block(fs, DP_HU_XHCI, STICK "/block/sdb/sdb1", 8, 17, 1);

	r = r ? r : node(fs, DP_HU_AHCI, "ata1", "bus/ata");
	r = r ? r : node(fs, DP_HU_AHCI, "ata1/host0", "bus/scsi");
	r = r ? r : node(fs, DP_HU_AHCI, "ata1/host0/target0:0:0", "bus/scsi");
	r = r ? r : node(fs, DP_HU_AHCI, SATA0, "bus/scsi");
	r = r ? r : block(fs, DP_HU_AHCI, SATA0 "/block/sda", 8, 0, 0);
	r = r ? r : block(fs, DP_HU_AHCI, SATA0 "/block/sda/sda1", 8, 1, 1);
	r = r ? r : block(fs, DP_HU_AHCI, SATA0 "/block/sda/sda2", 8, 2, 2);
	r = r ? r : block(fs, DP_HU_AHCI, SATA0 "/block/sda/sda3", 8, 3, 3);
	r = r ? r : dp_fakesys_add_holder(fs, "dm-0", 254, 0, held);

	r = r ? r : node(fs, DP_HU_NVME, "nvme/nvme0", "class/nvme");
	r = r ? r : block(fs, DP_HU_NVME, "nvme/nvme0/nvme0n1", 259, 0, 0);
	r = r ? r : block(fs, DP_HU_NVME, "nvme/nvme0/nvme0n1/nvme0n1p1", 259, 1, 1);

	r = r ? r : node(fs, DP_HU_NIC, "net/eno1", "class/net");
	r = r ? r : node(fs, DP_HU_NIC_BRIDGED, "net/eno2", "class/net");
	r = r ? r : link_upper(fs, DP_HU_NIC_BRIDGED, "net/eno2/master");
	r = r ? r : link_upper(fs, DP_HU_NIC_BRIDGED, "net/eno2/upper_br0");
	r = r ? r : node(fs, DP_HU_NIC_OTHER, "net/eno3", "class/net");

	r = r ? r : node(fs, DP_HU_VGA, "graphics/fb0", "class/graphics");
	r = r ? r : node(fs, DP_HU_VGA, "drm/card0", "class/drm");
	r = r ? r : dp_fakesys_add_vtcon(fs, 0, "(S) dummy device", false);
	r = r ? r : dp_fakesys_add_vtcon(fs, 1, "(M) frame buffer device", true);
	return r;
}
