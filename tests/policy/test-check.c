/* SPDX-License-Identifier: MIT */
/*
 * dp_policy_check on synthetic hosts: a table of scenarios, each a host, a
 * policy, marks and a VM, with the exact findings expected (severity, code
 * and subject, in order); every finding code must come out of the table.
 * Then what a table row cannot say: the lost features and their causes,
 * which scan a check uses, misuse and huge sizes, and reports compared byte
 * for byte with golden JSON files.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakeproc.h"
#include "fakesys.h"
#include "hostusetree.h"
#include "testlog.h"
#include "testrun.h"

#define GiB (UINT64_C(1) << 30)
#define CODE_MAX DP_FINDING_VFIO_DRIVER_NOT_LISTED /* every code reserved in 0.13 */

/*
 * The synthetic host (add_topology): one function of each kind a rule looks
 * at. Groups: 1 HB, 2 RP, 3 VGA, 4 IX0+IX1, 5 QL0+QL1, 6 BR6+EMX, 7 LSI,
 * 8 BCM, 9 IGB, 10 NORST, 11 ST0+ST1+ST2, 12 FLRONLY, 13 PMNSR, 14 RSTOFF,
 * 15 CFGBR, 16 CFGNIC, 17 BR11, 18 SH0, 19 SH1; NOGRP in none.
 */
#define HB    "0000:00:00.0" /* host bridge, no reset */
#define RP    "0000:00:1c.0" /* PCI bridge on pcieport */
#define BR6   "0000:00:1d.0" /* PCI bridge on pcieport, EMX's group sibling */
#define VGA   "0000:01:00.0" /* the boot VGA device, nouveau */
#define IX0   "0000:02:00.0" /* Intel 82598EB 8086:10c6 on ixgbe, experimental */
#define IX1   "0000:02:00.1" /* ... its second port, same group */
#define QL0   "0000:03:00.0" /* QLogic 1077:2532 on qla2xxx, experimental */
#define QL1   "0000:03:00.1" /* ... its second port, unbound */
#define EMX   "0000:04:00.0" /* Emulex 10df:f100 on lpfc, experimental */
#define LSI   "0000:05:00.0" /* LSI SAS1068E 1000:0058 on mptsas, experimental */
#define BCM   "0000:06:00.0" /* Broadcom BCM57710 14e4:164e on bnx2x, experimental */
#define IGB   "0000:07:00.0" /* Intel I210 8086:1533, subsystem 17aa:1234, unlisted */
#define NORST "0000:08:00.0" /* no FLR, no PM, no reset_method */
#define NOGRP "0000:09:00.0" /* in no IOMMU group */
#define ST0   "0000:0a:00.0" /* group siblings on vfio-pci (ST1) and pci-stub (ST2) */
#define ST1   "0000:0a:00.1"
#define ST2   "0000:0a:00.2"
#define FLRONLY "0000:0b:00.0" /* FLR, no reset_method file (a kernel before 5.15) */
#define PMNSR "0000:0c:00.0" /* PM with No_Soft_Reset only, no reset_method file */
#define RSTOFF "0000:0d:00.0" /* FLR, but an empty reset_method: every method disabled */
#define CFGBR "0000:0e:00.0"  /* a PCI bridge (class 0x0604) whose config space reads 32 bytes */
#define CFGNIC "0000:0f:00.0" /* a NIC 8086:1533 whose config space reads 32 bytes, reset_method flr */
#define BR11  "0000:00:1b.0" /* PCI bridge on pcieport above bus 0x11 */
#define SH0   "0000:11:00.0" /* 1234:11e8 without a function reset, sharing bus 0x11 ... */
#define SH1   "0000:11:00.1" /* ... with this one, on pci-stub: a bus reset resets both */
#define TOPOLOGY_COUNT 25

/* The basic preset's NIC: 8086:10fb, unlisted, its sibling 03:00.1 on ixgbe. */
#define BASIC_NIC "0000:03:00.0"

enum host_kind {
	HOST_FULL,         /* Intel IOMMU with interrupt remapping, vfio-pci loaded */
	HOST_NO_IR,        /* ... without interrupt remapping */
	HOST_NO_IR_UNSAFE, /* ... and vfio_iommu_type1 allow_unsafe_interrupts=Y */
	HOST_AMD_NO_IR,    /* AMD-Vi, no "IR-" interrupt chips */
	HOST_NO_VFIO,      /* no vfio-pci, neither loaded nor loadable */
	HOST_NO_GROUPS,    /* an IOMMU that put no device in a group */
	HOST_BASIC,        /* the fakesys preset "basic" */
	HOST_NOIOMMU,      /* the fakesys preset "noiommu" */
	HOST_VMD,          /* the fakesys preset "vmd": domains 0x2000 and 0x10000 */
	HOST_USE,          /* tests/lib/hostusetree.c, with its mountinfo and route table */
	HOST_USE_NO_PROC,  /* ... without /proc/self/mountinfo and /proc/net/route */
};

struct compat_entry {
	uint32_t vendor, device, subvendor, subdevice;
	int level; /* 0 ends the list */
	const char *name;
};

struct scenario {
	const char *what;             /* the behaviour, for failure messages */
	enum host_kind host;
	const char *policy[6];        /* "key=value", through dp_policy_set */
	struct compat_entry compat[3];
	const char *marks[6];         /* marked (with force) and bound to vfio-pci, as mark --now does */
	const char *marks_only[2];    /* marked (with force), left on their driver: no --now */
	const char *leased[2];        /* held by another VM's lease during the check */
	const char *name;             /* the VM's; NULL: "vm" */
	uint32_t hw;
	uint64_t memory, reservation;
	uint32_t features;
	uint64_t mmio_hole;           /* 0: the default */
	uint64_t memlock;             /* non-zero: RLIMIT_MEMLOCK lowered to it, CAP_IPC_LOCK off, for the check */
	const char *resv;             /* the first device's group's reserved_regions; NULL: msi only */
	const char *quarantine;       /* the first device's quarantine record (RUN_DIR/quarantine/BDF) */
	const char *rom;              /* the first device's sysfs rom: DP_TEST_ROM_DIR/rom-NAME.bin */
	const char *labels;           /* CONFIG_DIR/labels.conf */
	const char *devices[6];
	bool denied;
	/* "S:code-name@subject" per finding (S: E, W or I), "*N" for N alike in a row. */
	const char *expect;
	uint32_t msg_code;            /* some finding with this code ... */
	const char *msg_has;          /* ... has this in its message */
	const char *golden;           /* the report equals golden/NAME byte for byte */
};

#define VM_OK .hw = 7, .memory = 4 * GiB, .reservation = 4 * GiB
#define LOST8 "I:feature-lost@vm*8"

static const struct scenario scenarios[] = {
	/* The device limit: max_devices_per_vm, 2 by default. */
	{ "one marked experimental device is allowed with a warning",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .expect = "W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_EXPERIMENTAL,
	  .msg_has = LSI ": LSI SAS 3442E-R / 3801E 3Gb SAS (SAS1068E) is supported experimentally; not for production" },
	/* Quarantine (release): held on vfio-pci after a detach, still available to VMs. */
	{ "a quarantined device is allowed, with a warning naming the reason and the release",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .quarantine = "reason=did not come back from the reset at detach: BAR0 0xfea00000 -> 0x00000000\n"
			"time=1765015200\n",
	  .expect = "W:experimental@" LSI " W:quarantined@" LSI " " LOST8,
	  .msg_code = DP_FINDING_QUARANTINED,
	  .msg_has = LSI ": quarantined on vfio-pci since a detach: did not come back from the reset at detach: BAR0 0xfea00000 -> 0x00000000; a VM may still have it, and directpath release " LSI " resets it, verifies it and gives it back to the host" },
	{ "a device held by release = quarantine says so",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .quarantine = "reason=held by policy release = quarantine\ntime=1765015200\n"
			"before=1000 0058 0106 00 fea00000 00000000 00000000 00000000 00000000 00000000 00000000\n",
	  .expect = "W:experimental@" LSI " W:quarantined@" LSI " " LOST8,
	  .msg_code = DP_FINDING_QUARANTINED,
	  .msg_has = "since a detach: held by policy release = quarantine; a VM may still have it" },
	{ "a device another running VM holds is refused, naming that VM",
	  HOST_FULL, .marks = { LSI }, .leased = { LSI }, VM_OK, .devices = { LSI },
	  .denied = true,
	  .expect = "W:experimental@" LSI " E:device-leased@" LSI " " LOST8,
	  .msg_code = DP_FINDING_DEVICE_LEASED,
	  .msg_has = LSI ": in use by VM \"web01\" (pid 4242); stop that VM or choose another device" },
	/* Requests by ID or label (issue 17): the first free function in address order the rules allow. */
	{ "an ID request gets the first function the policy allows, in address order",
	  HOST_FULL, .marks = { IX0, IX1 }, VM_OK, .devices = { "8086:10c6" },
	  .expect = "I:device-chosen@" IX0 " W:experimental@" IX0 " " LOST8,
	  .msg_code = DP_FINDING_DEVICE_CHOSEN,
	  .msg_has = IX0 ": chosen for 8086:10c6, the first free device in address order the policy allows; not chosen: " IX1 " (later); name an address instead to pin one" },
	{ "an ID request skips a function another VM leases and says so",
	  HOST_FULL, .marks = { IX0, IX1 }, .leased = { IX0 }, VM_OK, .devices = { "8086:10c6" },
	  .expect = "I:device-chosen@" IX1 " W:experimental@" IX1 " " LOST8,
	  .msg_code = DP_FINDING_DEVICE_CHOSEN,
	  .msg_has = IX1 ": chosen for 8086:10c6, the first free device in address order the policy allows; not chosen: " IX0 " (device-leased);" },
	{ "an ID request no function passes is denied with each candidate's reason",
	  HOST_FULL, .marks_only = { IX1 }, VM_OK, .devices = { "8086:10C6" }, .denied = true,
	  .expect = "E:no-free-device@8086:10C6",
	  .msg_code = DP_FINDING_NO_FREE_DEVICE,
	  .msg_has = "8086:10C6: no free device the policy allows matches it: " IX0 " (not-marked), " IX1 " (not-bound); free or mark one of them, or ask for another" },
	{ "an ID no function has is denied",
	  HOST_FULL, VM_OK, .devices = { "ffff:0001:0000:0000" }, .denied = true,
	  .expect = "E:no-free-device@ffff:0001:0000:0000",
	  .msg_code = DP_FINDING_NO_FREE_DEVICE,
	  .msg_has = "ffff:0001:0000:0000: no function on this host matches it; check the IDs with directpath list" },
	{ "a subsystem ID request matches the subsystem too",
	  HOST_FULL, .marks = { IGB }, VM_OK, .devices = { "8086:1533:17aa:1234" },
	  .expect = "I:device-chosen@" IGB " W:unlisted@" IGB " " LOST8 },
	{ "a label request takes its devices and IDs in address order",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { "label:hba" },
	  .labels = "[label hba]\ndevice = 05:00.0\nid = 1077:2532\n",
	  .expect = "I:device-chosen@" LSI " W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_DEVICE_CHOSEN,
	  .msg_has = "; not chosen: " QL0 " (not-marked), " QL1 " (not-marked);" },
	{ "a label naming an absent function says so",
	  HOST_FULL, VM_OK, .devices = { "label:hba" },
	  .labels = "[label hba]\ndevice = 0000:42:00.0\n", .denied = true,
	  .expect = "E:no-free-device@label:hba",
	  .msg_code = DP_FINDING_NO_FREE_DEVICE,
	  .msg_has = "label:hba: no free device the policy allows matches it: 0000:42:00.0 (no-such-device);" },
	{ "an unknown label is denied, naming the labels file",
	  HOST_FULL, VM_OK, .devices = { "label:gpu" }, .labels = "[label hba]\nid = 1077:2532\n",
	  .denied = true, .expect = "E:no-free-device@label:gpu",
	  .msg_code = DP_FINDING_NO_FREE_DEVICE, .msg_has = "label:gpu: no label \"gpu\" in " },
	{ "two requests for one ID get two functions",
	  HOST_FULL, .marks = { IX0, IX1 }, VM_OK, .devices = { "8086:10c6", "8086:10c6" },
	  .expect = "I:device-chosen@" IX0 " I:device-chosen@" IX1 " W:experimental@" IX0
		    " W:experimental@" IX1 " " LOST8,
	  .msg_code = DP_FINDING_DEVICE_CHOSEN,
	  .msg_has = IX1 ": chosen for 8086:10c6, the first free device in address order the policy allows; not chosen: " IX0 " (duplicate-device);" },
	{ "a request never takes a function the VM names",
	  HOST_FULL, .marks = { IX0, IX1 }, VM_OK, .devices = { "8086:10c6", IX0 },
	  .expect = "I:device-chosen@" IX1 " W:experimental@" IX1 " W:experimental@" IX0 " " LOST8 },
	{ "a malformed request says what the grammar wants",
	  HOST_FULL, VM_OK, .devices = { "label:a b" }, .denied = true,
	  .expect = "E:no-such-device@label:a b",
	  .msg_code = DP_FINDING_NO_SUCH_DEVICE, .msg_has = "label:a b: a label name is 1 to 32" },
	{ "two devices are at the default limit",
	  HOST_FULL, .marks = { LSI, BCM }, VM_OK, .devices = { LSI, BCM },
	  .expect = "W:experimental@" LSI " W:experimental@" BCM " " LOST8,
	  .msg_code = DP_FINDING_EXPERIMENTAL,
	  .msg_has = BCM ": Broadcom NetXtreme II BCM57710 10GbE is supported experimentally" },
	{ "three devices are one over the default limit",
	  HOST_FULL, .marks = { LSI, BCM, EMX }, VM_OK, .devices = { LSI, BCM, EMX },
	  .denied = true,
	  .expect = "E:too-many-devices@vm W:experimental@" LSI " W:experimental@" BCM
		    " W:experimental@" EMX " " LOST8,
	  .msg_code = DP_FINDING_TOO_MANY_DEVICES,
	  .msg_has = "vm: 3 passthrough devices, more than the 2 a VM may have (max_devices_per_vm); remove 1" },
	{ "max_devices_per_vm = 3 allows three",
	  HOST_FULL, .policy = { "max_devices_per_vm=3" }, .marks = { LSI, BCM, EMX }, VM_OK,
	  .devices = { LSI, BCM, EMX },
	  .expect = "W:experimental@" LSI " W:experimental@" BCM " W:experimental@" EMX " " LOST8 },
	{ "max_devices_per_vm = 1 refuses two",
	  HOST_FULL, .policy = { "max_devices_per_vm=1" }, .marks = { LSI, BCM }, VM_OK,
	  .devices = { LSI, BCM }, .denied = true,
	  .expect = "E:too-many-devices@vm W:experimental@" LSI " W:experimental@" BCM " " LOST8,
	  .msg_code = DP_FINDING_TOO_MANY_DEVICES, .msg_has = "more than the 1 a VM may have" },
	{ "max_devices_per_vm = 0 refuses any device",
	  HOST_FULL, .policy = { "max_devices_per_vm=0" }, .marks = { LSI }, VM_OK,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:too-many-devices@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_TOO_MANY_DEVICES, .msg_has = "more than the 0 a VM may have" },

	/* The device's IOMMU group's reserved regions. */
	{ "a direct region (RMRR) in the device's group is refused by default",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .resv = "0x000000008e800000 0x000000008e81ffff direct\n0x00000000fee00000 0x00000000feefffff msi\n",
	  .expect = "W:experimental@" LSI " E:direct-region@" LSI " " LOST8,
	  .msg_code = DP_FINDING_DIRECT_REGION,
	  .msg_has = "has a direct-mapped region 0x8e800000-0x8e81ffff (an RMRR or IVMD: the firmware does DMA there behind the VM)" },
	{ "direct_regions = warn accepts a direct region with a warning",
	  HOST_FULL, .policy = { "direct_regions=warn" }, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .resv = "0x000000008e800000 0x000000008e81ffff direct\n",
	  .expect = "W:experimental@" LSI " W:direct-region@" LSI " " LOST8 },
	{ "direct_regions = allow says nothing of it",
	  HOST_FULL, .policy = { "direct_regions=allow" }, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .resv = "0x000000008e800000 0x000000008e81ffff direct\n",
	  .expect = "W:experimental@" LSI " " LOST8 },
	/* What the host loses (hostusetree.h): host_* rules, and what could not be read. */
	{ "a USB controller with the host's keyboard and a mounted stick warns of both",
	  HOST_USE, .marks = { DP_HU_XHCI }, VM_OK, .devices = { DP_HU_XHCI },
	  .expect = "W:unlisted@" DP_HU_XHCI " W:host-storage@" DP_HU_XHCI " W:host-input@" DP_HU_XHCI " " LOST8,
	  .msg_code = DP_FINDING_HOST_INPUT,
	  .msg_has = DP_HU_XHCI ": the host's keyboard \"USB Keyboard\" (046d:c31c at 1-1) and input device \"USB Optical Mouse\" (046d:c077 at 1-3.1) are below it and go to the VM with it (host_input_devices = warn); move them to another USB controller, or set host_input_devices = allow" },
	{ "the controller of the host's root and /boot/efi is refused",
	  HOST_USE, .marks = { DP_HU_AHCI }, VM_OK, .devices = { DP_HU_AHCI }, .denied = true,
	  .expect = "W:unlisted@" DP_HU_AHCI " E:host-boot-filesystem@" DP_HU_AHCI " " LOST8,
	  .msg_code = DP_FINDING_HOST_BOOT_FILESYSTEM,
	  .msg_has = DP_HU_AHCI ": holds the host's /boot/efi (on sda1) and / (on dm-0 over sda2), without which the host cannot run (host_boot_filesystem = deny)" },
	{ "a bridge port whose bridge carries the default route is refused; a mounted NVMe warns",
	  HOST_USE, .marks = { DP_HU_NIC_BRIDGED, DP_HU_NVME }, VM_OK,
	  .devices = { DP_HU_NIC_BRIDGED, DP_HU_NVME }, .denied = true,
	  .expect = "W:unlisted@" DP_HU_NIC_BRIDGED " E:host-default-route@" DP_HU_NIC_BRIDGED
		    " W:unlisted@" DP_HU_NVME " W:host-storage@" DP_HU_NVME " I:feature-lost@vm*8",
	  .msg_code = DP_FINDING_HOST_DEFAULT_ROUTE,
	  .msg_has = DP_HU_NIC_BRIDGED ": its interface eno2 (through br0) carries the host's IPv4 default route" },
	{ "the display with the framebuffer console warns of it; host_console = deny refuses",
	  HOST_USE, .policy = { "host_console=deny", "deny_boot_vga=no" }, .marks = { DP_HU_VGA }, VM_OK,
	  .devices = { DP_HU_VGA }, .denied = true,
	  .expect = "W:unlisted@" DP_HU_VGA " E:host-console@" DP_HU_VGA " " LOST8,
	  .msg_code = DP_FINDING_HOST_CONSOLE,
	  .msg_has = DP_HU_VGA ": the host's framebuffer console is bound to its framebuffer fb0" },
	{ "without a route table, whether a NIC carries the default route is unknown: a warning",
	  HOST_USE_NO_PROC, .marks = { DP_HU_NIC }, VM_OK, .devices = { DP_HU_NIC },
	  .expect = "W:unlisted@" DP_HU_NIC " W:host-use-unknown@" DP_HU_NIC " " LOST8,
	  .msg_code = DP_FINDING_HOST_USE_UNKNOWN,
	  .msg_has = DP_HU_NIC ": the route table (/proc/net/route) could not be read whole" },
	{ "a relaxable direct region (a USB RMRR) is a warning",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { LSI },
	  .resv = "0x000000008e800000 0x000000008e81ffff direct-relaxable\n",
	  .expect = "W:experimental@" LSI " W:relaxable-region@" LSI " " LOST8,
	  .msg_code = DP_FINDING_RELAXABLE_REGION,
	  .msg_has = "relaxable direct region 0x8e800000-0x8e81ffff (a USB or graphics RMRR)" },
	{ "guest RAM up to 4 GiB covers the MSI window: refused, naming both ranges",
	  HOST_FULL, .marks = { LSI }, VM_OK, .mmio_hole = 4 * GiB, .devices = { LSI }, .denied = true,
	  .expect = "W:experimental@" LSI " E:reserved-overlap@" LSI " " LOST8 " E:mmio-window-too-small@vm",
	  .msg_code = DP_FINDING_RESERVED_OVERLAP,
	  .msg_has = "'s msi region 0xfee00000-0xfeefffff, where the device cannot do DMA; lower the VM's mmio_hole to 0xfee00000 or below" },
	{ "a reserved region above 4 GiB under the VM's high RAM is refused",
	  HOST_FULL, .marks = { LSI }, .hw = 7, .memory = 8 * GiB, .reservation = 8 * GiB,
	  .devices = { LSI }, .denied = true,
	  .resv = "0x0000000140000000 0x000000014fffffff reserved\n",
	  .expect = "W:experimental@" LSI " E:reserved-overlap@" LSI " " LOST8,
	  .msg_code = DP_FINDING_RESERVED_OVERLAP,
	  .msg_has = "'s reserved region 0x140000000-0x14fffffff" },
	{ "the default MMIO hole keeps RAM off the MSI window",
	  HOST_FULL, .marks = { LSI }, .hw = 7, .memory = 16 * GiB, .reservation = 16 * GiB,
	  .devices = { LSI }, .expect = "W:experimental@" LSI " " LOST8 },

	/* Hardware version: min_hw_version, 7 by default. */
	{ "hardware version 6 is below the default minimum",
	  HOST_FULL, .marks = { LSI }, .hw = 6, .memory = 4 * GiB, .reservation = 4 * GiB,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:hw-version@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_HW_VERSION,
	  .msg_has = "vm: hardware version 6 is below 7, the minimum for passthrough (min_hw_version)" },
	{ "hardware version 7 meets the default minimum",
	  HOST_FULL, .marks = { LSI }, .hw = 7, .memory = 4 * GiB, .reservation = 4 * GiB,
	  .devices = { LSI }, .expect = "W:experimental@" LSI " " LOST8 },
	{ "hardware version 8 is above the default minimum",
	  HOST_FULL, .marks = { LSI }, .hw = 8, .memory = 4 * GiB, .reservation = 4 * GiB,
	  .devices = { LSI }, .expect = "W:experimental@" LSI " " LOST8 },
	{ "min_hw_version = 8 refuses hardware version 7",
	  HOST_FULL, .policy = { "min_hw_version=8" }, .marks = { LSI }, VM_OK,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:hw-version@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_HW_VERSION, .msg_has = "hardware version 7 is below 8" },

	/* IOMMU group viability. */
	{ "a group sibling bound to a host driver makes the group not viable",
	  HOST_FULL, .marks = { IX0 }, VM_OK, .devices = { IX0 }, .denied = true,
	  .expect = "E:group-not-viable@" IX0 " W:experimental@" IX0 " " LOST8,
	  .msg_code = DP_FINDING_GROUP_NOT_VIABLE,
	  .msg_has = IX0 ": IOMMU group 4 also holds " IX1 ", bound to ixgbe; mark it too or unbind it (require_viable_group)" },
	{ "an unbound group sibling leaves the group viable",
	  HOST_FULL, .marks = { QL0 }, VM_OK, .devices = { QL0 },
	  .expect = "W:experimental@" QL0 " " LOST8,
	  .msg_code = DP_FINDING_EXPERIMENTAL,
	  .msg_has = QL0 ": QLogic QLA25xx 8Gb Fibre Channel (ISP2532) is supported experimentally" },
	{ "a bridge in the group leaves it viable",
	  HOST_FULL, .marks = { EMX }, VM_OK, .devices = { EMX },
	  .expect = "W:experimental@" EMX " " LOST8,
	  .msg_code = DP_FINDING_EXPERIMENTAL,
	  .msg_has = EMX ": Emulex LPe12000 8Gb Fibre Channel is supported experimentally" },
	{ "both group members in the VM make the group viable",
	  HOST_FULL, .marks = { IX0, IX1 }, VM_OK, .devices = { IX0, IX1 },
	  .expect = "W:experimental@" IX0 " W:experimental@" IX1 " " LOST8,
	  .msg_code = DP_FINDING_EXPERIMENTAL,
	  .msg_has = IX1 ": Intel 82598EB 10GbE AF Dual Port is supported experimentally" },
	{ "a group member given in short form counts as in the VM",
	  HOST_FULL, .marks = { IX0, IX1 }, VM_OK, .devices = { IX0, "02:00.1" },
	  .expect = "W:experimental@" IX0 " W:experimental@" IX1 " " LOST8 },
	{ "require_viable_group = no makes a non-viable group a warning",
	  HOST_FULL, .policy = { "require_viable_group=no" }, .marks = { IX0 }, VM_OK,
	  .devices = { IX0 },
	  .expect = "W:group-not-viable@" IX0 " W:experimental@" IX0 " " LOST8 },
	{ "siblings on vfio-pci and pci-stub leave the group viable",
	  HOST_FULL, .marks = { ST0 }, VM_OK, .devices = { ST0 },
	  .expect = "W:unlisted@" ST0 " " LOST8 },
	{ "the basic preset's NIC shares its group with a port on ixgbe",
	  HOST_BASIC, .marks = { BASIC_NIC }, VM_OK, .devices = { BASIC_NIC }, .denied = true,
	  .expect = "E:group-not-viable@" BASIC_NIC " W:unlisted@" BASIC_NIC " " LOST8,
	  .msg_code = DP_FINDING_GROUP_NOT_VIABLE,
	  .msg_has = "IOMMU group 7 also holds 0000:03:00.1, bound to ixgbe" },
	/* The option ROM (invalid_rom): the NIC's ROM BAR holds an edu image (tests/meson.build). */
	{ "an option ROM for another device is a warning naming the validator's reason",
	  HOST_BASIC, .marks = { BASIC_NIC }, VM_OK, .devices = { BASIC_NIC }, .denied = true,
	  .rom = "valid",
	  .expect = "E:group-not-viable@" BASIC_NIC " W:unlisted@" BASIC_NIC " W:invalid-rom@" BASIC_NIC " " LOST8,
	  .msg_code = DP_FINDING_INVALID_ROM,
	  .msg_has = BASIC_NIC ": its option ROM (ROM BAR bytes 0x0-0x7ffff) is invalid: image 0 at 0x0 is for 1234:11e8, not this function's 8086:10fb (invalid_rom = warn)" },
	{ "invalid_rom = deny makes a blank ROM BAR an error",
	  HOST_BASIC, .policy = { "invalid_rom=deny" }, .marks = { BASIC_NIC }, VM_OK,
	  .devices = { BASIC_NIC }, .denied = true, .rom = "blank",
	  .expect = "E:group-not-viable@" BASIC_NIC " W:unlisted@" BASIC_NIC " E:invalid-rom@" BASIC_NIC " " LOST8,
	  .msg_code = DP_FINDING_INVALID_ROM,
	  .msg_has = "holds no option ROM image: no 0xAA55 signature at its start (ff ff) (invalid_rom = deny)" },

	/* The compatibility list: the shipped one, and entries added by the test. */
	{ "an unlisted device is a warning by default",
	  HOST_FULL, .marks = { IGB }, VM_OK, .devices = { IGB },
	  .expect = "W:unlisted@" IGB " " LOST8,
	  .msg_code = DP_FINDING_UNLISTED,
	  .msg_has = IGB ": 8086:1533 is not on the compatibility list (unlisted_devices = warn); test it, then list it" },
	{ "unlisted_devices = deny refuses an unlisted device",
	  HOST_FULL, .policy = { "unlisted_devices=deny" }, .marks = { IGB }, VM_OK,
	  .devices = { IGB }, .denied = true,
	  .expect = "E:unlisted@" IGB " " LOST8,
	  .msg_code = DP_FINDING_UNLISTED, .msg_has = "(unlisted_devices = deny)" },
	{ "unlisted_devices = allow says nothing of an unlisted device",
	  HOST_FULL, .policy = { "unlisted_devices=allow" }, .marks = { IGB }, VM_OK,
	  .devices = { IGB }, .expect = LOST8 },
	{ "an unsupported entry refuses the device, naming the entry",
	  HOST_FULL, .compat = { { 0x8086, 0x1533, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_UNSUPPORTED,
				   "Intel I210 (withdrawn)" } },
	  .marks = { IGB }, VM_OK, .devices = { IGB }, .denied = true,
	  .expect = "E:unsupported@" IGB " " LOST8,
	  .msg_code = DP_FINDING_UNSUPPORTED,
	  .msg_has = IGB ": Intel I210 (withdrawn) is listed as unsupported for passthrough; use another device" },
	{ "an unsupported entry without a name says \"this device\"",
	  HOST_FULL, .compat = { { 0x8086, 0x1533, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_UNSUPPORTED,
				   NULL } },
	  .marks = { IGB }, VM_OK, .devices = { IGB }, .denied = true,
	  .expect = "E:unsupported@" IGB " " LOST8,
	  .msg_code = DP_FINDING_UNSUPPORTED, .msg_has = IGB ": this device is listed as unsupported" },
	{ "a supported entry says nothing",
	  HOST_FULL, .compat = { { 0x8086, 0x1533, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_SUPPORTED,
				   "Intel I210" } },
	  .marks = { IGB }, VM_OK, .devices = { IGB }, .expect = LOST8 },
	{ "a subsystem entry beats a later vendor:device entry",
	  HOST_FULL, .compat = { { 0x8086, 0x1533, 0x17aa, 0x1234, DP_SUPPORT_UNSUPPORTED,
				   "I210 on this board" },
				 { 0x8086, 0x1533, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_SUPPORTED,
				   "Intel I210" } },
	  .marks = { IGB }, VM_OK, .devices = { IGB }, .denied = true,
	  .expect = "E:unsupported@" IGB " " LOST8,
	  .msg_code = DP_FINDING_UNSUPPORTED, .msg_has = "I210 on this board is listed as unsupported" },
	{ "a subsystem entry for another board does not match",
	  HOST_FULL, .compat = { { 0x8086, 0x1533, 0x17aa, 0x9999, DP_SUPPORT_UNSUPPORTED,
				   "I210 on another board" } },
	  .marks = { IGB }, VM_OK, .devices = { IGB },
	  .expect = "W:unlisted@" IGB " " LOST8 },
	{ "an entry as specific as the shipped one, added later, wins",
	  HOST_FULL, .compat = { { 0x8086, 0x10c6, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_UNSUPPORTED,
				   "82598EB recalled" } },
	  .marks = { IX0, IX1 }, VM_OK, .devices = { IX0, IX1 }, .denied = true,
	  .expect = "E:unsupported@" IX0 " E:unsupported@" IX1 " " LOST8,
	  .msg_code = DP_FINDING_UNSUPPORTED, .msg_has = IX1 ": 82598EB recalled is listed" },
	{ "a vendor wildcard loses to the shipped vendor:device entry",
	  HOST_FULL, .compat = { { 0x14e4, DP_ID_ANY, DP_ID_ANY, DP_ID_ANY, DP_SUPPORT_UNSUPPORTED,
				   "Broadcom, all" } },
	  .marks = { BCM }, VM_OK, .devices = { BCM },
	  .expect = "W:experimental@" BCM " " LOST8 },

	/* The host: IOMMU, interrupt remapping, vfio-pci. */
	{ "no IOMMU and no interrupt remapping are both refused",
	  HOST_NOIOMMU, .marks = { BASIC_NIC }, VM_OK, .devices = { BASIC_NIC }, .denied = true,
	  .expect = "E:no-iommu@vm E:no-interrupt-remapping@vm W:unlisted@" BASIC_NIC " " LOST8,
	  .msg_code = DP_FINDING_NO_IOMMU,
	  .msg_has = "vm: the host has no IOMMU (require_iommu); enable VT-d or AMD-Vi" },
	{ "require_iommu = no and require_interrupt_remapping = no make them warnings",
	  HOST_NOIOMMU, .policy = { "require_iommu=no", "require_interrupt_remapping=no" },
	  .marks = { BASIC_NIC }, VM_OK, .devices = { BASIC_NIC },
	  .expect = "W:no-iommu@vm W:unsafe-interrupts@vm W:unlisted@" BASIC_NIC " " LOST8 },
	{ "an IOMMU that puts no device in a group is no IOMMU",
	  HOST_NO_GROUPS, .marks = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:no-iommu@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_NO_IOMMU,
	  .msg_has = "vm: the host's IOMMU puts no device in a group (require_iommu)" },
	{ "no interrupt remapping is refused by default",
	  HOST_NO_IR, .marks = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:no-interrupt-remapping@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_NO_INTERRUPT_REMAPPING,
	  .msg_has = "vm: the host has no interrupt remapping, so a device could forge interrupts (require_interrupt_remapping)" },
	{ "AMD-Vi without remapped interrupt chips has no interrupt remapping",
	  HOST_AMD_NO_IR, .marks = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:no-interrupt-remapping@vm W:experimental@" LSI " " LOST8 },
	{ "require_interrupt_remapping = no makes it a warning, naming the module parameter",
	  HOST_NO_IR, .policy = { "require_interrupt_remapping=no" }, .marks = { LSI }, VM_OK,
	  .devices = { LSI },
	  .expect = "W:unsafe-interrupts@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_UNSAFE_INTERRUPTS,
	  .msg_has = "vm: no interrupt remapping, accepted by require_interrupt_remapping = no (vfio_iommu_type1 also needs allow_unsafe_interrupts=1); a device can forge interrupts" },
	{ "with allow_unsafe_interrupts=Y the warning does not ask for it",
	  HOST_NO_IR_UNSAFE, .policy = { "require_interrupt_remapping=no" }, .marks = { LSI },
	  VM_OK, .devices = { LSI },
	  .expect = "W:unsafe-interrupts@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_UNSAFE_INTERRUPTS,
	  .msg_has = "vm: no interrupt remapping, accepted by require_interrupt_remapping = no; a device can forge interrupts" },
	{ "allow_unsafe_interrupts=Y does not satisfy require_interrupt_remapping",
	  HOST_NO_IR_UNSAFE, .marks = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:no-interrupt-remapping@vm W:experimental@" LSI " " LOST8 },
	{ "a host without vfio-pci is refused, and a mark there cannot have been applied",
	  HOST_NO_VFIO, .marks_only = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:no-vfio-pci@vm E:not-bound@" LSI " W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_NO_VFIO_PCI,
	  .msg_has = "vm: the host's kernel has no vfio-pci driver; install a kernel built with CONFIG_VFIO_PCI" },
	{ "a device in no IOMMU group is refused",
	  HOST_FULL, .marks = { NOGRP }, VM_OK, .devices = { NOGRP }, .denied = true,
	  .expect = "E:no-iommu-group@" NOGRP " W:unlisted@" NOGRP " " LOST8,
	  .msg_code = DP_FINDING_NO_IOMMU_GROUP,
	  .msg_has = NOGRP ": in no IOMMU group, so the IOMMU cannot isolate it (require_iommu)" },
	{ "require_iommu = no makes a device in no group a warning",
	  HOST_FULL, .policy = { "require_iommu=no" }, .marks = { NOGRP }, VM_OK,
	  .devices = { NOGRP },
	  .expect = "W:no-iommu-group@" NOGRP " W:unlisted@" NOGRP " " LOST8 },

	/* The device: marked, bridges, boot VGA, reset. */
	{ "an unmarked device is refused, with the command that marks it",
	  HOST_FULL, VM_OK, .devices = { IGB }, .denied = true,
	  .expect = "E:not-marked@" IGB " W:unlisted@" IGB " " LOST8,
	  .msg_code = DP_FINDING_NOT_MARKED,
	  .msg_has = IGB ": not marked available for passthrough (require_marked); mark it with: directpath mark " IGB },
	{ "require_marked = no accepts an unmarked device",
	  HOST_FULL, .policy = { "require_marked=no" }, VM_OK, .devices = { IGB },
	  .expect = "W:unlisted@" IGB " " LOST8 },
	{ "a host bridge is refused even when marked",
	  HOST_FULL, .marks = { HB }, VM_OK, .devices = { HB }, .denied = true,
	  .expect = "E:bridge@" HB " W:no-reset-method@" HB " W:unlisted@" HB " " LOST8,
	  .msg_code = DP_FINDING_BRIDGE,
	  .msg_has = HB ": is a host bridge, which the host needs (deny_bridges)" },
	{ "a PCI bridge is refused even when marked",
	  HOST_FULL, .marks = { RP }, VM_OK, .devices = { RP }, .denied = true,
	  .expect = "E:bridge@" RP " W:unlisted@" RP " " LOST8,
	  .msg_code = DP_FINDING_BRIDGE, .msg_has = RP ": is a PCI bridge" },
	{ "the boot VGA device is refused even when marked",
	  HOST_FULL, .marks = { VGA }, VM_OK, .devices = { VGA }, .denied = true,
	  .expect = "E:boot-vga@" VGA " W:unlisted@" VGA " " LOST8,
	  .msg_code = DP_FINDING_BOOT_VGA,
	  .msg_has = VGA ": is the host's boot console (deny_boot_vga); use another display adapter for the VM" },
	{ "deny_bridges = no and deny_boot_vga = no accept them",
	  HOST_FULL, .policy = { "deny_bridges=no", "deny_boot_vga=no", "max_devices_per_vm=3" },
	  .marks = { HB, RP, VGA }, VM_OK, .devices = { HB, RP, VGA },
	  .expect = "W:no-reset-method@" HB " W:unlisted@" HB " W:unlisted@" RP " W:unlisted@" VGA
		    " " LOST8 },
	{ "a device without a reset method is a warning by default",
	  HOST_FULL, .marks = { NORST }, VM_OK, .devices = { NORST },
	  .expect = "W:no-reset-method@" NORST " W:unlisted@" NORST " " LOST8,
	  .msg_code = DP_FINDING_NO_RESET_METHOD,
	  .msg_has = NORST ": no way to reset it (no FLR, PM or bus reset; no_reset_method = warn); state may leak between VMs" },
	{ "no_reset_method = deny refuses it",
	  HOST_FULL, .policy = { "no_reset_method=deny" }, .marks = { NORST }, VM_OK,
	  .devices = { NORST }, .denied = true,
	  .expect = "E:no-reset-method@" NORST " W:unlisted@" NORST " " LOST8,
	  .msg_code = DP_FINDING_NO_RESET_METHOD, .msg_has = "(no FLR, PM or bus reset; no_reset_method = deny)" },
	/* Blast radius: a bus reset resets every function below the bridge (shared_reset). */
	{ "a bus reset that also resets a function on a host driver is denied by default",
	  HOST_FULL, .marks = { SH0 }, VM_OK, .devices = { SH0 }, .denied = true,
	  .expect = "W:no-reset-method@" SH0 " E:shared-reset@" SH0 " W:unlisted@" SH0 " " LOST8,
	  .msg_code = DP_FINDING_SHARED_RESET,
	  .msg_has = SH0 ": its reset is a reset of bus 11 below " BR11 ", which also resets " SH1
		     " (pci-stub), in use by the host (shared_reset = deny); bind it to vfio-pci and pass it to this VM too, or move the device to a slot of its own" },
	{ "shared_reset = warn allows it with a warning",
	  HOST_FULL, .policy = { "shared_reset=warn" }, .marks = { SH0 }, VM_OK, .devices = { SH0 },
	  .expect = "W:no-reset-method@" SH0 " W:shared-reset@" SH0 " W:unlisted@" SH0 " " LOST8 },
	{ "shared_reset = allow lists the functions as info",
	  HOST_FULL, .policy = { "shared_reset=allow" }, .marks = { SH0 }, VM_OK, .devices = { SH0 },
	  .expect = "W:no-reset-method@" SH0 " I:shared-reset@" SH0 " W:unlisted@" SH0 " " LOST8,
	  .msg_code = DP_FINDING_SHARED_RESET,
	  .msg_has = "which also resets " SH1 " (pci-stub) (shared_reset = allow); the host's functions among them lose their state" },
	{ "both functions in the VM: the bus reset is listed, and fine",
	  HOST_FULL, .marks = { SH0, SH1 }, VM_OK, .devices = { SH0, SH1 },
	  .expect = "W:no-reset-method@" SH0 " I:shared-reset@" SH0 " W:unlisted@" SH0
		    " W:no-reset-method@" SH1 " I:shared-reset@" SH1 " W:unlisted@" SH1 " " LOST8,
	  .msg_code = DP_FINDING_SHARED_RESET,
	  .msg_has = "which also resets " SH1 " (in this VM) (shared_reset = deny)" },
	{ "an empty reset_method list is no reset, whatever the capabilities say",
	  HOST_FULL, .marks = { RSTOFF }, VM_OK, .devices = { RSTOFF },
	  .expect = "W:no-reset-method@" RSTOFF " W:unlisted@" RSTOFF " " LOST8 },
	{ "without the kernel's reset_method list, FLR is a reset",
	  HOST_FULL, .marks = { FLRONLY }, VM_OK, .devices = { FLRONLY },
	  .expect = "W:unlisted@" FLRONLY " " LOST8 },
	{ "without the kernel's reset_method list, a PM reset that keeps state is none",
	  HOST_FULL, .marks = { PMNSR }, VM_OK, .devices = { PMNSR },
	  .expect = "W:no-reset-method@" PMNSR " W:unlisted@" PMNSR " " LOST8 },

	/* Marked is not bound: VFIO opens only what vfio-pci drives. */
	{ "a marked device left on its host driver is refused, with the command that binds it",
	  HOST_FULL, .marks_only = { LSI }, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:not-bound@" LSI " W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_NOT_BOUND,
	  .msg_has = LSI ": marked for passthrough but bound to mptsas, not vfio-pci (the mark was not applied, or the host rebound it), so VFIO cannot open it; bind it with: directpath mark --now " LSI },
	{ "a marked device bound to no driver is refused too",
	  HOST_FULL, .marks_only = { NORST }, VM_OK, .devices = { NORST }, .denied = true,
	  .expect = "E:not-bound@" NORST " W:no-reset-method@" NORST " W:unlisted@" NORST " " LOST8,
	  .msg_code = DP_FINDING_NOT_BOUND,
	  .msg_has = NORST ": marked for passthrough but bound to no driver, not vfio-pci" },
	{ "an unmarked device is not also not bound",
	  HOST_FULL, VM_OK, .devices = { LSI }, .denied = true,
	  .expect = "E:not-marked@" LSI " W:experimental@" LSI " " LOST8 },

	/* Unknown is never eligible: config space that cannot be read. */
	{ "a function whose config space cannot be read is refused",
	  HOST_FULL, .marks = { CFGNIC }, VM_OK, .devices = { CFGNIC }, .denied = true,
	  .expect = "E:config-unreadable@" CFGNIC " W:unlisted@" CFGNIC " " LOST8,
	  .msg_code = DP_FINDING_CONFIG_UNREADABLE,
	  .msg_has = CFGNIC ": its config space could not be read (32 bytes), so whether it is a bridge and how it resets are unknown; make sure it is present and powered (lspci -vv -s " CFGNIC " as root), then check again" },
	{ "a bridge whose config space cannot be read is still a bridge, by its class",
	  HOST_FULL, .marks = { CFGBR }, VM_OK, .devices = { CFGBR }, .denied = true,
	  .expect = "E:bridge@" CFGBR " E:config-unreadable@" CFGBR " W:no-reset-method@" CFGBR
		    " W:unlisted@" CFGBR " " LOST8,
	  .msg_code = DP_FINDING_BRIDGE, .msg_has = CFGBR ": is a PCI bridge" },
	{ "deny_bridges = no does not make unreadable config space eligible",
	  HOST_FULL, .policy = { "deny_bridges=no" }, .marks = { CFGBR }, VM_OK,
	  .devices = { CFGBR }, .denied = true,
	  .expect = "E:config-unreadable@" CFGBR " W:no-reset-method@" CFGBR
		    " W:unlisted@" CFGBR " " LOST8 },

	/* VMD-style domains: found as numbers, whatever their length. */
	{ "functions in domains 0x2000 and 0x10000 are both found and checked",
	  HOST_VMD, .marks = { DP_FAKE_VMD_HIGH, DP_FAKE_VMD_LOW }, VM_OK,
	  .devices = { DP_FAKE_VMD_HIGH, "00002000:00:00.0" },
	  .expect = "W:unlisted@" DP_FAKE_VMD_HIGH " W:unlisted@" DP_FAKE_VMD_LOW " " LOST8,
	  .msg_code = DP_FINDING_UNLISTED, .msg_has = DP_FAKE_VMD_HIGH ": 1b36:0010 is not on" },

	/* The VM's device list. */
	{ "a device given twice, short and long, is a duplicate",
	  HOST_FULL, .marks = { QL0 }, VM_OK, .devices = { "03:00.0", "0000:03:00.0" },
	  .denied = true,
	  .expect = "W:experimental@" QL0 " E:duplicate-device@" QL0 " " LOST8,
	  .msg_code = DP_FINDING_DUPLICATE_DEVICE,
	  .msg_has = QL0 ": listed more than once; remove the duplicate" },
	{ "upper-case hex and a short form are the same device",
	  HOST_FULL, .marks = { ST0 }, VM_OK, .devices = { "0000:0A:00.0", "0a:00.0" },
	  .denied = true,
	  .expect = "W:unlisted@" ST0 " E:duplicate-device@" ST0 " " LOST8 },
	{ "malformed and absent addresses are no such device, and cost nothing",
	  HOST_FULL, VM_OK, .devices = { "zz:00.0", "0000:42:00.0" }, .denied = true,
	  .expect = "E:no-such-device@zz:00.0 E:no-such-device@0000:42:00.0",
	  .msg_code = DP_FINDING_NO_SUCH_DEVICE,
	  .msg_has = "zz:00.0: not a PCI address (DDDD:BB:DD.F); correct it" },
	{ "control characters of a malformed address come out escaped, in subject and message",
	  HOST_FULL, VM_OK, .devices = { "\x1b]0;x\a03:00.0" }, .denied = true,
	  .expect = "E:no-such-device@\\x1b]0;x\\x0703:00.0",
	  .msg_code = DP_FINDING_NO_SUCH_DEVICE,
	  .msg_has = "\\x1b]0;x\\x0703:00.0: not a PCI address (DDDD:BB:DD.F); correct it" },
	{ "an absent function is named with the command that lists them",
	  HOST_FULL, VM_OK, .devices = { "42:00.0" }, .denied = true,
	  .expect = "E:no-such-device@0000:42:00.0",
	  .msg_code = DP_FINDING_NO_SUCH_DEVICE,
	  .msg_has = "0000:42:00.0: no such PCI function on this host; check the address with directpath list" },
	{ "function 8, slot 0x20, a one-digit bus and an empty string are malformed",
	  HOST_FULL, .policy = { "max_devices_per_vm=4" }, VM_OK,
	  .devices = { "0000:03:00.8", "03:20.0", "3:00.0", "" }, .denied = true,
	  .expect = "E:no-such-device@0000:03:00.8 E:no-such-device@03:20.0 "
		    "E:no-such-device@3:00.0 E:no-such-device@" },
	{ "an absent device next to a present one costs only the present one's features",
	  HOST_FULL, .marks = { LSI }, VM_OK, .devices = { "0000:42:00.0", LSI }, .denied = true,
	  .expect = "E:no-such-device@0000:42:00.0 W:experimental@" LSI " " LOST8 },

	/* Memory. */
	{ "memory not all reserved is refused by default",
	  HOST_FULL, .marks = { LSI }, .hw = 7, .memory = 4 * GiB, .reservation = 2 * GiB,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:memory-not-reserved@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_MEMORY_NOT_RESERVED,
	  .msg_has = "vm: only 2048 of 4096 MiB reserved; passthrough pins all guest memory for DMA (memory_reservation = full): reserve it all" },
	{ "memory_reservation = none accepts no reservation",
	  HOST_FULL, .policy = { "memory_reservation=none" }, .marks = { LSI }, .hw = 7,
	  .memory = 4 * GiB, .reservation = 0, .devices = { LSI },
	  .expect = "W:experimental@" LSI " " LOST8 },

	/* The VM's own validity. */
	{ "hardware version 0 is invalid and below the minimum",
	  HOST_FULL, .marks = { LSI }, .hw = 0, .memory = 4 * GiB, .reservation = 4 * GiB,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:vm-invalid@vm E:hw-version@vm W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_VM_INVALID,
	  .msg_has = "vm: hardware version 0 is not a VM hardware version; set hw_version" },
	{ "a VM without devices and hardware version 0 is only invalid",
	  HOST_FULL, .hw = 0, .memory = 4 * GiB, .reservation = 4 * GiB, .denied = true,
	  .expect = "E:vm-invalid@vm" },
	{ "a VM without memory is invalid",
	  HOST_FULL, .hw = 7, .memory = 0, .reservation = 0, .denied = true,
	  .expect = "E:vm-invalid@vm",
	  .msg_code = DP_FINDING_VM_INVALID, .msg_has = "vm: no guest memory; set memory" },
	{ "a reservation above the memory is invalid",
	  HOST_FULL, .hw = 7, .memory = 4 * GiB, .reservation = 8 * GiB, .denied = true,
	  .expect = "E:vm-invalid@vm",
	  .msg_code = DP_FINDING_VM_INVALID,
	  .msg_has = "vm: memory reservation 8192 MiB exceeds the memory, 4096 MiB; lower it" },
	{ "a reservation above the memory is not also memory not reserved",
	  HOST_FULL, .marks = { LSI }, .hw = 7, .memory = 4 * GiB, .reservation = 8 * GiB,
	  .devices = { LSI }, .denied = true,
	  .expect = "E:vm-invalid@vm W:experimental@" LSI " " LOST8 },
	{ "all three at once are three findings",
	  HOST_FULL, .hw = 0, .memory = 0, .reservation = GiB, .denied = true,
	  .expect = "E:vm-invalid@vm*3" },
	{ "a VM with no devices is allowed and loses nothing, whatever the host and policy",
	  HOST_NOIOMMU, .policy = { "max_devices_per_vm=0", "min_hw_version=20" },
	  .hw = 1, .memory = 4 * GiB, .reservation = 0, .expect = "" },

	/* The plan (0.12): mmio_window and memlock. */
	{ "RAM up to 4 GiB leaves no room for the BARs: mmio_window denies, naming the hole to set",
	  HOST_FULL, .marks = { LSI }, VM_OK, .mmio_hole = 4 * GiB, .devices = { LSI },
	  .policy = { "memlock=allow" }, .denied = true,
	  .expect = "W:experimental@" LSI " E:reserved-overlap@" LSI " " LOST8 " E:mmio-window-too-small@vm",
	  .msg_code = DP_FINDING_MMIO_WINDOW_TOO_SMALL, .msg_has = "(mmio_window); set mmio_hole = " },
	{ "a memlock limit below the guest memory warns with the numbers to set",
	  HOST_FULL, .marks = { LSI }, VM_OK, .memlock = 64 * 1024, .devices = { LSI },
	  .expect = "W:experimental@" LSI " " LOST8 " W:memlock-too-low@vm",
	  .msg_code = DP_FINDING_MEMLOCK_TOO_LOW,
	  .msg_has = "vm: pinning its 4 GiB of guest memory for DMA needs an RLIMIT_MEMLOCK of 4194304 KiB, but this process has 64 KiB and no CAP_IPC_LOCK" },
	{ "memlock = deny makes it an error",
	  HOST_FULL, .marks = { LSI }, VM_OK, .memlock = 64 * 1024, .devices = { LSI },
	  .policy = { "memlock=deny" }, .denied = true,
	  .expect = "W:experimental@" LSI " " LOST8 " E:memlock-too-low@vm" },

	/* Features. */
	{ "enabled features are lost with a warning, the others with an info",
	  HOST_FULL, .marks = { LSI }, VM_OK,
	  .features = DP_FEATURE_VMOTION | DP_FEATURE_SNAPSHOT_MEMORY, .devices = { LSI },
	  .expect = "W:experimental@" LSI " W:feature-lost@vm I:feature-lost@vm*5 "
		    "W:feature-lost@vm I:feature-lost@vm",
	  .msg_code = DP_FINDING_FEATURE_LOST,
	  .msg_has = "vm: vmotion is unavailable while " LSI " is passed through; it is enabled for this VM and will not work" },
	{ "a VM with every feature loses every one with a warning",
	  HOST_FULL, .marks = { LSI }, VM_OK, .features = DP_FEATURE_ALL, .devices = { LSI },
	  .expect = "W:experimental@" LSI " W:feature-lost@vm*8",
	  .msg_code = DP_FINDING_FEATURE_LOST,
	  .msg_has = "vm: memory_overcommit is unavailable while " LSI " is passed through; it is enabled" },
	{ "a lost feature names every device that costs it",
	  HOST_FULL, .marks = { LSI, BCM }, VM_OK, .devices = { BCM, LSI },
	  .expect = "W:experimental@" BCM " W:experimental@" LSI " " LOST8,
	  .msg_code = DP_FINDING_FEATURE_LOST,
	  .msg_has = "vm: fault_tolerance is unavailable while " BCM ", " LSI " are passed through" },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* Reports compared with golden/: small, and nothing in them depends on the machine. */
static const struct scenario goldens[] = {
	{ "an allowed VM: one experimental adapter, two enabled features lost",
	  HOST_FULL, .marks = { LSI }, .name = "web-01", VM_OK,
	  .features = DP_FEATURE_VMOTION | DP_FEATURE_SNAPSHOT_MEMORY, .devices = { LSI },
	  .expect = "W:experimental@" LSI " W:feature-lost@web-01 I:feature-lost@web-01*5 "
		    "W:feature-lost@web-01 I:feature-lost@web-01 W:memlock-too-low@web-01",
	  .memlock = 64 * 1024, /* the plan's memlock figures the same on every machine */
	  .golden = "allowed.json" },
	{ "a denied VM: old hardware, half its memory reserved, a typo and the boot console",
	  HOST_FULL, .name = "legacy", .hw = 6, .memory = 2 * GiB, .reservation = GiB,
	  .devices = { "zz:00.0", "01:00.0" }, .denied = true,
	  .expect = "E:hw-version@legacy E:memory-not-reserved@legacy E:no-such-device@zz:00.0 "
		    "E:not-marked@" VGA " E:boot-vga@" VGA " W:unlisted@" VGA
		    " I:feature-lost@legacy*8 W:memlock-too-low@legacy",
	  .memlock = 64 * 1024, .golden = "denied.json" },
	{ "an invalid VM without devices: no hardware version, no memory",
	  HOST_FULL, .name = "empty", .denied = true,
	  .expect = "E:vm-invalid@empty*2", .memlock = 64 * 1024, .golden = "invalid.json" },
};

#define N_GOLDENS (sizeof(goldens) / sizeof(goldens[0]))

/* Each test's world; the fixture's teardown frees whatever a failed test left. */
static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static struct dp_report *rep;

/* The rule each finding code names, or NULL. */
static const char *const code_rule[CODE_MAX + 1] = {
	[DP_FINDING_HW_VERSION] = "min_hw_version",
	[DP_FINDING_TOO_MANY_DEVICES] = "max_devices_per_vm",
	[DP_FINDING_NO_IOMMU] = "require_iommu",
	[DP_FINDING_NO_INTERRUPT_REMAPPING] = "require_interrupt_remapping",
	[DP_FINDING_UNSAFE_INTERRUPTS] = "require_interrupt_remapping",
	[DP_FINDING_NOT_MARKED] = "require_marked",
	[DP_FINDING_BRIDGE] = "deny_bridges",
	[DP_FINDING_BOOT_VGA] = "deny_boot_vga",
	[DP_FINDING_NO_IOMMU_GROUP] = "require_iommu",
	[DP_FINDING_GROUP_NOT_VIABLE] = "require_viable_group",
	[DP_FINDING_NO_RESET_METHOD] = "no_reset_method",
	[DP_FINDING_DIRECT_REGION] = "direct_regions",
	[DP_FINDING_UNLISTED] = "unlisted_devices",
	[DP_FINDING_MEMORY_NOT_RESERVED] = "memory_reservation",
	[DP_FINDING_SHARED_RESET] = "shared_reset",
	[DP_FINDING_QUARANTINED] = "release",
	[DP_FINDING_INVALID_ROM] = "invalid_rom",
	[DP_FINDING_HOST_INPUT] = "host_input_devices",
	[DP_FINDING_HOST_STORAGE] = "host_storage",
	[DP_FINDING_HOST_BOOT_FILESYSTEM] = "host_boot_filesystem",
	[DP_FINDING_HOST_DEFAULT_ROUTE] = "host_default_route",
	[DP_FINDING_HOST_CONSOLE] = "host_console",
	[DP_FINDING_MMIO_WINDOW_TOO_SMALL] = "mmio_window",
	[DP_FINDING_MEMLOCK_TOO_LOW] = "memlock",
	[DP_FINDING_VFIO_DRIVER] = "vfio_drivers",
	[DP_FINDING_VFIO_DRIVER_NOT_LISTED] = "vfio_drivers",
};

/* ---- the host ---- */

static void add(const struct dp_fake_dev *d)
{
	int r = dp_fakesys_add(fs, d);

	ck_assert_msg(r == 0, "adding %s: %s", d->bdf, strerror(-r));
}

#define FLR_PM (DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI)

static void add_topology(bool groups, bool vfio_sibling)
{
	const struct dp_fake_dev devs[] = {
		{ .bdf = HB, .vendor = 0x8086, .device = 0x3ec2, .class_code = 0x060000,
		  .group = 1, .numa_node = -1 },
		{ .bdf = RP, .vendor = 0x8086, .device = 0xa33c, .class_code = 0x060400,
		  .header_type = 1, .secondary_bus = 1, .group = 2, .driver = "pcieport",
		  .numa_node = -1, .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM },
		{ .bdf = BR6, .vendor = 0x8086, .device = 0xa33d, .class_code = 0x060400,
		  .header_type = 1, .secondary_bus = 4, .group = 6, .driver = "pcieport",
		  .numa_node = -1, .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM },
		{ .bdf = VGA, .vendor = 0x10de, .device = 0x1c82, .class_code = 0x030000,
		  .group = 3, .driver = "nouveau", .boot_vga = true, .numa_node = -1,
		  .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM, .reset_method = "bus",
		  .bars = { { 0x1000000, 0 } } },
		{ .bdf = IX0, .vendor = 0x8086, .device = 0x10c6, .class_code = 0x020000,
		  .multifunction = true, .group = 4, .driver = "ixgbe", .numa_node = -1,
		  .caps = FLR_PM, .reset_method = "flr bus" },
		{ .bdf = IX1, .vendor = 0x8086, .device = 0x10c6, .class_code = 0x020000,
		  .multifunction = true, .group = 4, .driver = "ixgbe", .numa_node = -1,
		  .caps = FLR_PM, .reset_method = "flr bus" },
		{ .bdf = QL0, .vendor = 0x1077, .device = 0x2532, .class_code = 0x0c0400,
		  .multifunction = true, .group = 5, .driver = "qla2xxx", .numa_node = -1,
		  .caps = FLR_PM, .reset_method = "flr" },
		{ .bdf = QL1, .vendor = 0x1077, .device = 0x2532, .class_code = 0x0c0400,
		  .multifunction = true, .group = 5, .numa_node = -1, .caps = FLR_PM,
		  .reset_method = "flr" },
		{ .bdf = EMX, .vendor = 0x10df, .device = 0xf100, .class_code = 0x0c0400,
		  .group = 6, .driver = "lpfc", .numa_node = -1, .caps = FLR_PM,
		  .reset_method = "flr" },
		{ .bdf = LSI, .vendor = 0x1000, .device = 0x0058, .class_code = 0x010000,
		  .group = 7, .driver = "mptsas", .numa_node = -1, .caps = FLR_PM,
		  .reset_method = "flr" },
		{ .bdf = BCM, .vendor = 0x14e4, .device = 0x164e, .class_code = 0x020000,
		  .group = 8, .driver = "bnx2x", .numa_node = -1, .caps = FLR_PM,
		  .reset_method = "flr" },
		{ .bdf = IGB, .vendor = 0x8086, .device = 0x1533, .subsystem_vendor = 0x17aa,
		  .subsystem_device = 0x1234, .class_code = 0x020000, .group = 9,
		  .driver = "igb", .numa_node = -1, .caps = FLR_PM, .reset_method = "flr" },
		{ .bdf = NORST, .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00,
		  .group = 10, .numa_node = -1 },
		{ .bdf = NOGRP, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 0, .driver = "igb", .numa_node = -1, .caps = FLR_PM,
		  .reset_method = "flr" },
		{ .bdf = ST0, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .multifunction = true, .group = 11, .driver = "igb", .numa_node = -1,
		  .caps = FLR_PM, .reset_method = "flr" },
		{ .bdf = ST1, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .multifunction = true, .group = 11, .numa_node = -1, .caps = FLR_PM,
		  .driver = vfio_sibling ? "vfio-pci" : NULL, .reset_method = "flr" },
		{ .bdf = ST2, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .multifunction = true, .group = 11, .numa_node = -1, .caps = FLR_PM,
		  .driver = "pci-stub", .reset_method = "flr" },
		{ .bdf = FLRONLY, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 12, .driver = "igb", .numa_node = -1, .caps = DP_FAKE_CAP_FLR },
		{ .bdf = PMNSR, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 13, .driver = "igb", .numa_node = -1,
		  .caps = DP_FAKE_CAP_PM_NO_SOFT_RESET },
		{ .bdf = RSTOFF, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 14, .driver = "igb", .numa_node = -1, .caps = FLR_PM, .reset_method = "" },
		{ .bdf = CFGBR, .vendor = 0x8086, .device = 0xa33e, .class_code = 0x060400,
		  .header_type = 1, .secondary_bus = 0x10, .group = 15, .driver = "pcieport",
		  .numa_node = -1, .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM, .config_size = 32 },
		{ .bdf = CFGNIC, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 16, .driver = "igb", .numa_node = -1, .caps = FLR_PM, .reset_method = "flr",
		  .config_size = 32 },
		{ .bdf = BR11, .vendor = 0x8086, .device = 0xa33f, .class_code = 0x060400,
		  .header_type = 1, .secondary_bus = 0x11, .group = 17, .driver = "pcieport",
		  .numa_node = -1, .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM },
		{ .bdf = SH0, .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00,
		  .multifunction = true, .group = 18, .numa_node = -1, .reset_method = "" },
		{ .bdf = SH1, .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00,
		  .multifunction = true, .group = 19, .driver = "pci-stub", .numa_node = -1,
		  .reset_method = "" },
	};

	_Static_assert(sizeof(devs) / sizeof(devs[0]) == TOPOLOGY_COUNT, "TOPOLOGY_COUNT");
	for (size_t i = 0; i < TOPOLOGY_COUNT; i++) {
		struct dp_fake_dev d = devs[i];

		if (!groups)
			d.group = 0;
		add(&d);
	}
}

static void set_host(const struct dp_fake_host *h)
{
	ck_assert_int_eq(dp_fakesys_set_host(fs, h), 0);
}

/* Functions the host has. */
static int build_host(enum host_kind kind)
{
	const struct dp_fake_host full = {
		.iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true, .vfio_pci = true,
		.vfio_type1 = true,
	};
	struct dp_fake_host h = full;

	switch (kind) {
	case HOST_BASIC:
		ck_assert_int_eq(dp_fakesys_preset(fs, "basic"), 0);
		return DP_FAKE_BASIC_COUNT;
	case HOST_NOIOMMU:
		ck_assert_int_eq(dp_fakesys_preset(fs, "noiommu"), 0);
		return DP_FAKE_BASIC_COUNT;
	case HOST_VMD:
		ck_assert_int_eq(dp_fakesys_preset(fs, "vmd"), 0);
		return DP_FAKE_VMD_COUNT;
	case HOST_USE:
	case HOST_USE_NO_PROC:
		ck_assert_int_eq(dp_hu_build(fs), 0);
		return 8;
	case HOST_FULL:
		break;
	case HOST_NO_IR:
		h.irq_remap = false;
		break;
	case HOST_NO_IR_UNSAFE:
		h.irq_remap = false;
		h.unsafe_interrupts = true;
		break;
	case HOST_AMD_NO_IR:
		h.iommu = DP_FAKE_IOMMU_AMD;
		h.irq_remap = false;
		break;
	case HOST_NO_VFIO:
		h.vfio_pci = false;
		break;
	case HOST_NO_GROUPS:
		break;
	}
	set_host(&h);
	/* A function on vfio-pci would make its driver directory: the driver would be loaded. */
	add_topology(kind != HOST_NO_GROUPS, kind != HOST_NO_VFIO);
	return TOPOLOGY_COUNT;
}

static struct dp_ctx *new_ctx(void)
{
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn,
				 .data_dir = DP_TEST_DATA_DIR };
	char dc[PATH_MAX], conf[PATH_MAX], run[PATH_MAX];
	struct dp_ctx *c;

	/* Nothing of the machine's own configuration, marks or leases may leak in. */
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	snprintf(conf, sizeof(conf), "%s/etc", dp_fakesys_scratch(fs));
	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	o.driverctl_dir = dc;
	o.config_dir = conf;
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &c), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(c, LOG_DEBUG), 0);
	return c;
}

/* Where a HOST_USE world's /proc is (fakeproc.h); "" when the real one is in place. */
static char proc_dir[PATH_MAX];

/* The host mounted, a context and a policy on it; no scan yet. Its function count. */
static int world_new(enum host_kind kind)
{
	int n;

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	n = build_host(kind);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	if (kind == HOST_USE || kind == HOST_USE_NO_PROC) {
		snprintf(proc_dir, sizeof(proc_dir), "%s/proc", dp_fakesys_scratch(fs));
		ck_assert_int_eq(dp_fakeproc_mount(proc_dir, kind == HOST_USE ? dp_hu_mountinfo : NULL,
						   kind == HOST_USE ? dp_hu_route : NULL), 0);
	}
	ctx = new_ctx();
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
	return n;
}

/* Leases held as another VM would hold them (an flock on its own open file). */
static int lease_fds[2] = { -1, -1 };

static void hold_lease(size_t slot, const char *bdf, const char *owner)
{
	struct flock owner_lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	char dir[PATH_MAX - 64], path[PATH_MAX], text[128];
	int fd, n;

	snprintf(dir, sizeof(dir), "%s", dp_ctx_get_run_dir(ctx));
	ck_assert(mkdir(dir, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/lease-%s", dir, bdf);

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	n = snprintf(text, sizeof(text), "vm=%s\npid=4242\n", owner);
	ck_assert_int_eq(write(fd, text, (size_t)n), n);
	/* The holder's locks: an OFD write lock on byte 0 (lease.c since issue 13), and flock. */
	ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &owner_lock), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	lease_fds[slot] = fd;
}

static void world_free(void)
{
	for (size_t i = 0; i < 2; i++)
		if (lease_fds[i] >= 0) {
			close(lease_fds[i]);
			lease_fds[i] = -1;
		}
	rep = dp_report_unref(rep);
	vm = dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	if (proc_dir[0])
		ck_assert_int_eq(dp_fakeproc_umount(proc_dir), 0);
	proc_dir[0] = '\0';
	dp_fakesys_free(fs);
	fs = NULL;
}

static void setup(void)
{
	dp_test_log_reset();
}

static void mark(const char *bdf)
{
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, DP_MARK_FORCE), 0);
	dp_device_unref(dev);
}

/* Binds a function to vfio-pci in the tree, as mark --now would have; seen by the next scan. */
static void bind_vfio(const char *bdf)
{
	ck_assert_int_eq(dp_fakesys_set_driver(fs, bdf, "vfio-pci"), 0);
}

static void new_vm(const char *name, uint32_t hw, uint64_t memory, uint64_t reservation)
{
	ck_assert_int_eq(dp_vm_new(ctx, name, &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, hw), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, memory, reservation), 0);
}

static void add_devices(const char *const *bdfs, size_t n)
{
	for (size_t i = 0; i < n && bdfs[i]; i++)
		ck_assert_int_eq(dp_vm_add_device(vm, bdfs[i]), 0);
}

static void check_vm(void)
{
	rep = dp_report_unref(rep);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_ptr_nonnull(rep);
}

/* ---- reading a report ---- */

static struct dp_finding finding(const struct dp_report *r, size_t i)
{
	struct dp_finding f = { .sz = sizeof(f) };

	ck_assert_int_eq(dp_report_get_finding(r, i, &f), 0);
	return f;
}

/* The findings as "S:code-name@subject ...", a run of N alike as "...*N". */
static const char *describe(const struct dp_report *r)
{
	static const char sev[] = "IWE";
	static char out[8192];
	char prev[256] = "", tok[256];
	size_t len = 0, n = dp_report_get_finding_count(r), run = 0;

	out[0] = '\0';
	for (size_t i = 0; i <= n; i++) {
		if (i < n) {
			struct dp_finding f = finding(r, i);
			const char *name = dp_finding_code_name(f.code);

			ck_assert_uint_le(f.severity, DP_SEVERITY_ERROR);
			snprintf(tok, sizeof(tok), "%c:%s@%s", sev[f.severity],
				 name ? name : "?", f.subject);
			if (run && strcmp(tok, prev) == 0) {
				run++;
				continue;
			}
		}
		if (run) {
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? " " : "",
						prev);
			if (run > 1)
				len += (size_t)snprintf(out + len, sizeof(out) - len, "*%zu", run);
		}
		if (i < n) {
			snprintf(prev, sizeof(prev), "%s", tok);
			run = 1;
		}
	}
	ck_assert_uint_lt(len, sizeof(out));
	return out;
}

/* What holds for every finding: a known code, its rule, a message that names both. */
static void check_finding(const char *what, const struct dp_finding *f)
{
	const char *want_rule;
	size_t slen = strlen(f->subject);

	ck_assert_msg(f->code >= 1 && f->code <= CODE_MAX, "%s: code %u", what, f->code);
	ck_assert_ptr_nonnull(dp_finding_code_name(f->code));
	want_rule = code_rule[f->code];
	if (want_rule) {
		ck_assert_msg(f->rule && strcmp(f->rule, want_rule) == 0,
			      "%s: %s names rule %s, not %s", what, dp_finding_code_name(f->code),
			      f->rule ? f->rule : "(none)", want_rule);
		ck_assert_msg(strstr(f->message, want_rule), "%s: \"%s\" does not name %s", what,
			      f->message, want_rule);
	} else {
		ck_assert_msg(f->rule == NULL, "%s: %s names rule %s", what,
			      dp_finding_code_name(f->code), f->rule);
	}
	ck_assert_msg(strncmp(f->message, f->subject, slen) == 0 &&
		      strncmp(f->message + slen, ": ", 2) == 0,
		      "%s: \"%s\" does not start with its subject \"%s\"", what, f->message,
		      f->subject);
	ck_assert_msg(!strchr(f->message, '\n'), "%s: a newline in \"%s\"", what, f->message);
}

static const char *const severity_names[] = { "info", "warning", "error" };

static struct json_object *member(struct json_object *o, const char *key,
				  enum json_type type)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in the JSON", key);
	ck_assert_msg(json_object_is_type(v, type), "\"%s\" is not of type %s", key,
		      json_type_to_name(type));
	return v;
}

/* The JSON says what the getters say, member for member. */
static void check_json(const char *what, const struct dp_report *r, const struct dp_vm *v)
{
	struct json_object *root, *findings, *lost;
	uint32_t lost_bits = dp_report_get_lost_features(r);
	size_t n = dp_report_get_finding_count(r), k = 0;
	char *text = NULL;

	ck_assert_int_eq(dp_report_to_json(r, &text), 0);
	root = json_tokener_parse(text);
	ck_assert_msg(root != NULL, "%s: the report is not JSON:\n%s", what, text);
	ck_assert_str_eq(json_object_get_string(member(root, "vm", json_type_string)),
			 dp_vm_get_name(v));
	ck_assert_int_eq(json_object_get_boolean(member(root, "allowed", json_type_boolean)),
			 dp_report_is_allowed(r));
	findings = member(root, "findings", json_type_array);
	ck_assert_uint_eq(json_object_array_length(findings), n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(findings, i), *rule = NULL;
		struct dp_finding f = finding(r, i);

		ck_assert_int_eq(json_object_get_int(member(o, "code", json_type_int)), (int)f.code);
		ck_assert_str_eq(json_object_get_string(member(o, "name", json_type_string)),
				 dp_finding_code_name(f.code));
		ck_assert_str_eq(json_object_get_string(member(o, "severity", json_type_string)),
				 severity_names[f.severity]);
		ck_assert_str_eq(json_object_get_string(member(o, "subject", json_type_string)),
				 f.subject);
		ck_assert(json_object_object_get_ex(o, "rule", &rule));
		if (f.rule)
			ck_assert_str_eq(json_object_get_string(rule), f.rule);
		else
			ck_assert_ptr_null(rule);
		ck_assert_str_eq(json_object_get_string(member(o, "message", json_type_string)),
				 f.message);
		ck_assert_int_eq(json_object_object_length(o), 6);
	}
	lost = member(root, "lost_features", json_type_array);
	for (uint32_t bit = 1; bit <= DP_FEATURE_ALL; bit <<= 1) {
		struct json_object *o, *devs;
		size_t nc = dp_report_get_feature_cause_count(r, bit);

		if (!(lost_bits & bit)) {
			ck_assert_uint_eq(nc, 0);
			continue;
		}
		ck_assert_uint_lt(k, json_object_array_length(lost));
		o = json_object_array_get_idx(lost, k++);
		ck_assert_str_eq(json_object_get_string(member(o, "feature", json_type_string)),
				 dp_feature_name(bit));
		ck_assert_int_eq(json_object_get_boolean(member(o, "enabled", json_type_boolean)),
				 !!(dp_vm_get_features(v) & bit));
		devs = member(o, "devices", json_type_array);
		ck_assert_uint_eq(json_object_array_length(devs), nc);
		for (size_t i = 0; i < nc; i++)
			ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(devs, i)),
					 dp_report_get_feature_cause(r, bit, i));
	}
	ck_assert_uint_eq(json_object_array_length(lost), k);
	/* "devices": each entry as given and the function checked for it (0.12). */
	lost = member(root, "devices", json_type_array);
	ck_assert_uint_eq(json_object_array_length(lost), dp_vm_get_device_count(v));
	for (size_t i = 0; i < dp_vm_get_device_count(v); i++) {
		struct json_object *o = json_object_array_get_idx(lost, i), *bdf = NULL;

		ck_assert_str_eq(json_object_get_string(member(o, "request", json_type_string)),
				 dp_vm_get_device(v, i));
		ck_assert(json_object_object_get_ex(o, "bdf", &bdf));
		if (dp_report_get_device_bdf(r, i))
			ck_assert_str_eq(json_object_get_string(bdf), dp_report_get_device_bdf(r, i));
		else
			ck_assert_ptr_null(bdf);
	}
	ck_assert_int_eq(json_object_object_length(root), 7); /* schema_version, vm, allowed, findings, lost_features, plan, devices */
	json_object_put(root);
	free(text);
}

/* Checks the report against the row; the codes it holds are set in seen. */
static void verify(const struct scenario *s, bool seen[CODE_MAX + 1])
{
	size_t n = dp_report_get_finding_count(rep);
	bool has = s->msg_code == 0;
	uint32_t lost = 0;

	ck_assert_msg(strcmp(describe(rep), s->expect) == 0, "%s: got \"%s\", want \"%s\"",
		      s->what, describe(rep), s->expect);
	ck_assert_msg(dp_report_is_allowed(rep) == !s->denied, "%s: %s", s->what,
		      s->denied ? "allowed" : "denied");
	for (size_t i = 0; i < n; i++) {
		struct dp_finding f = finding(rep, i);

		check_finding(s->what, &f);
		if (f.code == s->msg_code && strstr(f.message, s->msg_has))
			has = true;
		if (f.code == DP_FINDING_FEATURE_LOST)
			lost++;
		if (seen)
			seen[f.code] = true;
	}
	ck_assert_msg(has, "%s: no %s finding says \"%s\"", s->what,
		      dp_finding_code_name(s->msg_code), s->msg_has);
	/* One feature-lost finding per lost feature. */
	ck_assert_uint_eq(lost, (uint32_t)__builtin_popcount(dp_report_get_lost_features(rep)));
	check_json(s->what, rep, vm);
}

/* Builds the row's world, checks its VM, verifies the report; the world is left for more. */
/* CAP_IPC_LOCK in this process's effective set on or off (it stays permitted). */
static void ipc_lock_effective(bool on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
	if (on)
		d[CAP_IPC_LOCK / 32].effective |= d[CAP_IPC_LOCK / 32].permitted & (1u << (CAP_IPC_LOCK % 32));
	else
		d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}

/* The memlock rule's view for a check: the soft limit lowered to limit, no CAP_IPC_LOCK. */
static void memlock_lower(uint64_t limit, struct rlimit *saved)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_MEMLOCK, saved), 0);
	rl = *saved;
	rl.rlim_cur = limit;
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	ipc_lock_effective(false);
}

static void memlock_restore(const struct rlimit *saved)
{
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, saved), 0);
	ipc_lock_effective(true);
}

static void run(const struct scenario *s, bool seen[CODE_MAX + 1])
{
	int n = world_new(s->host);

	ck_assert_int_eq(dp_ctx_scan(ctx), n);
	for (size_t i = 0; i < 6 && s->policy[i]; i++) {
		char key[64], *eq;

		snprintf(key, sizeof(key), "%s", s->policy[i]);
		eq = strchr(key, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		ck_assert_int_eq(dp_policy_set(policy, key, eq + 1), 0);
	}
	for (size_t i = 0; i < 3 && s->compat[i].level; i++) {
		const struct compat_entry *e = &s->compat[i];

		ck_assert_int_eq(dp_policy_add_compat(policy, e->vendor, e->device, e->subvendor,
						      e->subdevice, e->level, e->name), 0);
	}
	for (size_t i = 0; i < 6 && s->marks[i]; i++) {
		mark(s->marks[i]);
		bind_vfio(s->marks[i]);
	}
	for (size_t i = 0; i < 2 && s->marks_only[i]; i++)
		mark(s->marks_only[i]);
	if (s->marks[0] || s->marks_only[0]) /* what the check sees: the marks, the bindings */
		ck_assert_int_eq(dp_ctx_scan(ctx), n);
	for (size_t i = 0; i < 2 && s->leased[i]; i++)
		hold_lease(i, s->leased[i], "web01");
	if (s->resv) {
		struct dp_device *dev = NULL;
		struct dp_device_info info = { .sz = sizeof(info) };
		char path[PATH_MAX];
		FILE *f;

		ck_assert_int_eq(dp_ctx_find_device(ctx, s->devices[0], &dev), 0);
		ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
			 dp_fakesys_root(fs), info.iommu_group);
		dp_device_unref(dev);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(s->resv, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	if (s->rom) {
		char rel[PATH_MAX - 64], path[PATH_MAX], src[PATH_MAX];
		static unsigned char bytes[1 << 16];
		size_t len;
		FILE *f;

		snprintf(src, sizeof(src), "%s/rom-%s.bin", DP_TEST_ROM_DIR, s->rom);
		f = fopen(src, "rb");
		ck_assert_msg(f != NULL, "%s: %s", src, strerror(errno));
		len = fread(bytes, 1, sizeof(bytes), f);
		fclose(f);
		ck_assert_int_ge(dp_fakesys_dev_dir(fs, s->devices[0], rel, sizeof(rel)), 0);
		snprintf(path, sizeof(path), "%s/%s/rom", dp_fakesys_root(fs), rel);
		f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
	}
	if (s->quarantine) {
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path), "%s", dp_ctx_get_run_dir(ctx));
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		snprintf(path, sizeof(path), "%s/quarantine", dp_ctx_get_run_dir(ctx));
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		snprintf(path, sizeof(path), "%s/quarantine/%s", dp_ctx_get_run_dir(ctx), s->devices[0]);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(s->quarantine, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	if (s->labels) {
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path), "%s", dp_ctx_get_config_dir(ctx));
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		snprintf(path, sizeof(path), "%s/labels.conf", dp_ctx_get_config_dir(ctx));
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(s->labels, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	new_vm(s->name ? s->name : "vm", s->hw, s->memory, s->reservation);
	if (s->mmio_hole)
		ck_assert_int_eq(dp_vm_set_mmio_hole(vm, s->mmio_hole), 0);
	ck_assert_int_eq(dp_vm_set_features(vm, s->features, 1), 0);
	add_devices(s->devices, 6);
	if (s->memlock) {
		struct rlimit saved;

		memlock_lower(s->memlock, &saved);
		check_vm();
		memlock_restore(&saved);
	} else {
		check_vm();
	}
	verify(s, seen);
}

/* ---- the table ---- */

START_TEST(scenario_gives_exactly_the_expected_findings)
{
	run(&scenarios[_i], NULL);
}
END_TEST

START_TEST(every_finding_code_comes_out_of_the_table)
{
	bool seen[CODE_MAX + 1] = { false };
	char missing[512] = "";
	size_t len = 0;

	/* In one test: check forks each test, and the collection must survive the whole table. */
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		run(&scenarios[i], seen);
		world_free();
	}
	/*
	 * Asked of the kernel's VFIO, which a synthetic tree has not: tested on the
	 * real kernel (tests/vfio/test-migration.c: migration-unknown for a busy
	 * group) and with recorded answers (tests/test-migration.c: both sentences).
	 */
	seen[DP_FINDING_MIGRATION_SUPPORTED] = seen[DP_FINDING_MIGRATION_UNKNOWN] = true;
	/* On drivers this table's host has not: tests/policy/test-vfiodriver.c. */
	seen[DP_FINDING_VFIO_DRIVER] = seen[DP_FINDING_VFIO_DRIVER_NOT_LISTED] = true;
	for (uint32_t code = 1; code <= CODE_MAX; code++)
		if (!seen[code])
			len += (size_t)snprintf(missing + len, sizeof(missing) - len, " %u (%s)", code,
						dp_finding_code_name(code));
	ck_assert_msg(len == 0, "never produced by the table:%s", missing);
	ck_assert_ptr_null(dp_finding_code_name(0));
	ck_assert_ptr_null(dp_finding_code_name(CODE_MAX + 1));
}
END_TEST

/* ---- lost features ---- */

START_TEST(lost_features_name_their_devices_in_the_vms_order)
{
	static const char *const devs[] = { BCM, "05:00.0", IGB, "0000:42:00.0", "06:00.0" };
	struct dp_finding f;

	world_new(HOST_FULL);
	bind_vfio(BCM);
	bind_vfio(LSI);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	mark(BCM);
	mark(LSI);
	ck_assert_int_eq(dp_policy_set(policy, "max_devices_per_vm", "5"), 0);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	ck_assert_int_eq(dp_vm_set_features(vm, DP_FEATURE_HOT_ADD, 1), 0);
	add_devices(devs, 5);
	check_vm();
	/* IGB is refused (not marked) and still counted: the cost is what passing it through takes. */
	ck_assert_str_eq(describe(rep),
			 "W:experimental@" BCM " W:experimental@" LSI " E:not-marked@" IGB
			 " W:unlisted@" IGB " E:no-such-device@0000:42:00.0 E:duplicate-device@" BCM
			 " I:feature-lost@vm*3 W:feature-lost@vm I:feature-lost@vm*4");
	ck_assert_uint_eq(dp_report_get_lost_features(rep), DP_FEATURE_ALL);
	for (uint32_t bit = 1; bit <= DP_FEATURE_ALL; bit <<= 1) {
		ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, bit), 3);
		ck_assert_str_eq(dp_report_get_feature_cause(rep, bit, 0), BCM);
		ck_assert_str_eq(dp_report_get_feature_cause(rep, bit, 1), LSI);
		ck_assert_str_eq(dp_report_get_feature_cause(rep, bit, 2), IGB);
		ck_assert_ptr_null(dp_report_get_feature_cause(rep, bit, 3));
	}
	/* Not one feature: nothing. */
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, 0), 0);
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, DP_FEATURE_VMOTION | DP_FEATURE_HOT_ADD), 0);
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, 1u << 8), 0);
	ck_assert_ptr_null(dp_report_get_feature_cause(rep, 0, 0));
	ck_assert_ptr_null(dp_report_get_feature_cause(rep, DP_FEATURE_ALL, 0));
	ck_assert_ptr_null(dp_report_get_feature_cause(rep, 1u << 31, 0));
	ck_assert_uint_eq(dp_report_get_feature_cause_count(NULL, DP_FEATURE_VMOTION), 0);
	ck_assert_ptr_null(dp_report_get_feature_cause(NULL, DP_FEATURE_VMOTION, 0));
	ck_assert_uint_eq(dp_report_get_lost_features(NULL), 0);
	/* The messages, exactly: the enabled one says so. */
	f = finding(rep, 6);
	ck_assert_str_eq(f.message, "vm: vmotion is unavailable while " BCM ", " LSI ", " IGB
			 " are passed through");
	ck_assert_uint_eq(f.severity, DP_SEVERITY_INFO);
	f = finding(rep, 9);
	ck_assert_str_eq(f.message, "vm: hot_add is unavailable while " BCM ", " LSI ", " IGB
			 " are passed through; it is enabled for this VM and will not work");
	ck_assert_uint_eq(f.severity, DP_SEVERITY_WARNING);
	check_json("lost features", rep, vm);
}
END_TEST

START_TEST(a_vm_without_devices_needs_no_scan_and_loses_nothing)
{
	char *json = NULL, *plan, *plan_end;

	world_new(HOST_FULL);
	new_vm("idle", 7, 4 * GiB, 0);
	ck_assert_int_eq(dp_vm_set_features(vm, DP_FEATURE_ALL, 1), 0);
	check_vm();
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0); /* nothing scanned */
	ck_assert_uint_eq(dp_report_get_finding_count(rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	ck_assert_uint_eq(dp_report_get_lost_features(rep), 0);
	for (uint32_t bit = 1; bit <= DP_FEATURE_ALL; bit <<= 1)
		ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, bit), 0);
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	/* The plan (0.12) has this process's memlock limit: its own tests say what it holds. */
	plan = strstr(json, "  \"plan\": {\n");
	ck_assert_ptr_nonnull(plan);
	plan_end = strstr(plan, "\n  },\n");
	ck_assert_ptr_nonnull(plan_end);
	memmove(plan, plan_end + strlen("\n  },\n"), strlen(plan_end + strlen("\n  },\n")) + 1);
	ck_assert_str_eq(json, "{\n  \"schema_version\": \"1.1\",\n  \"vm\": \"idle\",\n  \"allowed\": true,\n  \"findings\": [\n  ],\n"
			 "  \"lost_features\": [\n  ],\n  \"devices\": [\n  ]\n}");
	free(json);
}
END_TEST

START_TEST(a_lost_feature_names_every_device_however_many)
{
	char want[512];
	size_t len = 0;

	world_new(HOST_FULL);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	ck_assert_int_eq(dp_policy_set(policy, "max_devices_per_vm", "100"), 0);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	/* Every function of the host: 22 addresses, longer than any fixed 256-byte list. */
	for (size_t i = 0; i < TOPOLOGY_COUNT; i++) {
		const char *bdf = dp_device_get_bdf(dp_ctx_get_device(ctx, i));

		ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%s", i ? ", " : "", bdf);
	}
	check_vm();
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, DP_FEATURE_VMOTION), TOPOLOGY_COUNT);
	for (size_t i = 0, n = dp_report_get_finding_count(rep); i < n; i++) {
		struct dp_finding f = finding(rep, i);
		char msg[600];

		if (f.code != DP_FINDING_FEATURE_LOST)
			continue;
		snprintf(msg, sizeof(msg), "vm: vmotion is unavailable while %s are passed through", want);
		ck_assert_str_eq(f.message, msg);
		return;
	}
	ck_abort_msg("no feature-lost finding");
}
END_TEST

/* ---- a group's reserved regions that cannot be read ---- */

START_TEST(garbled_reserved_regions_are_a_warning_and_the_check_goes_on)
{
	struct dp_device *dev = NULL;
	struct dp_device_info info = { .sz = sizeof(info) };
	char path[PATH_MAX];
	struct dp_finding f;
	FILE *out;

	world_new(HOST_FULL);
	bind_vfio(LSI);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	mark(LSI);
	ck_assert_int_eq(dp_ctx_find_device(ctx, LSI, &dev), 0);
	ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
	dp_device_unref(dev);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		 dp_fakesys_root(fs), info.iommu_group);
	out = fopen(path, "w");
	ck_assert_ptr_nonnull(out);
	fputs("0x00000000fee00000 0x00000000feefffff msi\nnot a region\n", out);
	ck_assert_int_eq(fclose(out), 0);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	ck_assert_int_eq(dp_vm_add_device(vm, LSI), 0);
	rep = dp_report_unref(rep);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_check(policy, vm, &rep),
					    "reserved_regions: line 2: an address is not 0x and 1 to 16 hex digits"), 0);
	ck_assert_str_eq(describe(rep), "W:experimental@" LSI " W:direct-region@" LSI " " LOST8);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	f = finding(rep, 1);
	ck_assert_ptr_nonnull(strstr(f.message, "reserved regions could not be read (Invalid argument)"));
}
END_TEST

/* A quarantine record that cannot be trusted still holds the device: logged, and reported as held. */
START_TEST(an_untrusted_quarantine_record_still_counts_as_quarantined)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dp_finding f;

	world_new(HOST_FULL);
	bind_vfio(LSI);
	mark(LSI);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	snprintf(path, sizeof(path), "%s", dp_ctx_get_run_dir(ctx));
	ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/quarantine", dp_ctx_get_run_dir(ctx));
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", dp_ctx_get_run_dir(ctx));
	snprintf(path, sizeof(path), "%s/quarantine/" LSI, dp_ctx_get_run_dir(ctx));
	ck_assert_int_eq(symlink(target, path), 0);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	ck_assert_int_eq(dp_vm_add_device(vm, LSI), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_policy_check(policy, vm, &rep),
					    LSI ": its quarantine record"), 0);
	ck_assert_str_eq(describe(rep), "W:experimental@" LSI " W:quarantined@" LSI " " LOST8);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	f = finding(rep, 1);
	ck_assert_msg(strstr(f.message, "its quarantine record cannot be trusted (an unsafe file or directory)"),
		      "%s", f.message);
}
END_TEST

/* ---- which scan a check uses ---- */

START_TEST(a_check_scans_when_the_context_has_not)
{
	world_new(HOST_FULL);
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), 0);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	ck_assert_int_eq(dp_vm_add_device(vm, LSI), 0);
	check_vm();
	ck_assert_uint_eq(dp_ctx_get_device_count(ctx), TOPOLOGY_COUNT);
	ck_assert_str_eq(describe(rep), "E:not-marked@" LSI " W:experimental@" LSI " " LOST8);
}
END_TEST

START_TEST(a_check_uses_the_last_scan_until_the_next)
{
	world_new(HOST_FULL);
	bind_vfio(LSI);
	bind_vfio(QL0);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);
	ck_assert_int_eq(dp_vm_add_device(vm, LSI), 0);
	/* A mark made through the library counts at once ... */
	mark(LSI);
	check_vm();
	ck_assert_str_eq(describe(rep), "W:experimental@" LSI " " LOST8);
	/* ... the host's interrupt remapping going away only after a rescan, */
	ck_assert_int_eq(dp_fakesys_write(fs, "devices/virtual/iommu/dmar0/intel-iommu/ecap",
					  DP_FAKE_ECAP_NO_IR "\n"), 0);
	check_vm();
	ck_assert_str_eq(describe(rep), "W:experimental@" LSI " " LOST8);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	check_vm();
	ck_assert_str_eq(describe(rep),
			 "E:no-interrupt-remapping@vm W:experimental@" LSI " " LOST8);
	/* ... and so does a sibling's new driver: the group is judged as scanned. */
	ck_assert_int_eq(dp_fakesys_symlink(fs, "../../../bus/pci/drivers/ixgbe",
					    "devices/pci0000:00/" QL1 "/driver"), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, QL0), 0);
	mark(QL0);
	check_vm();
	ck_assert_str_eq(describe(rep), "E:no-interrupt-remapping@vm W:experimental@" LSI
			 " W:experimental@" QL0 " " LOST8);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	check_vm();
	ck_assert_str_eq(describe(rep), "E:no-interrupt-remapping@vm W:experimental@" LSI
			 " E:group-not-viable@" QL0 " W:experimental@" QL0 " " LOST8);
}
END_TEST

/* ---- the shipped list, by device ---- */

START_TEST(the_shipped_list_knows_the_esx40_experimental_adapters_by_id)
{
	static const struct {
		const char *bdf;
		int level;
		const char *name;
	} want[] = {
		{ QL0, DP_SUPPORT_EXPERIMENTAL, "QLogic QLA25xx 8Gb Fibre Channel (ISP2532)" },
		{ EMX, DP_SUPPORT_EXPERIMENTAL, "Emulex LPe12000 8Gb Fibre Channel" },
		{ LSI, DP_SUPPORT_EXPERIMENTAL, "LSI SAS 3442E-R / 3801E 3Gb SAS (SAS1068E)" },
		{ IX0, DP_SUPPORT_EXPERIMENTAL, "Intel 82598EB 10GbE AF Dual Port" },
		{ BCM, DP_SUPPORT_EXPERIMENTAL, "Broadcom NetXtreme II BCM57710 10GbE" },
		{ IGB, DP_SUPPORT_UNLISTED, NULL },
		{ VGA, DP_SUPPORT_UNLISTED, NULL },
	};

	world_new(HOST_FULL);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct dp_device *dev;
		const char *name = "unset";

		ck_assert_int_eq(dp_ctx_find_device(ctx, want[i].bdf, &dev), 0);
		ck_assert_int_eq(dp_policy_get_support(policy, dev, &name), want[i].level);
		if (want[i].name)
			ck_assert_str_eq(name, want[i].name);
		else
			ck_assert_ptr_null(name);
		ck_assert_int_eq(dp_policy_get_support(policy, dev, NULL), want[i].level);
		dp_device_unref(dev);
	}
}
END_TEST

/* ---- misuse and huge sizes ---- */

START_TEST(misuse_is_einval_and_leaves_the_out_pointer)
{
	struct dp_report *const sentinel = (struct dp_report *)0x1;
	struct dp_report *out = sentinel;
	struct dp_ctx *other;
	struct dp_vm *foreign;

	world_new(HOST_FULL);
	new_vm("vm", 7, 4 * GiB, 4 * GiB);

	ck_assert_int_eq(dp_policy_check(NULL, vm, &out), -EINVAL);
	ck_assert_ptr_eq(out, sentinel);

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_check(policy, NULL, &out), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "BUG"));
	ck_assert_ptr_eq(out, sentinel);

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_check(policy, vm, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "BUG"));

	/* A VM made by another context. */
	other = new_ctx();
	ck_assert_int_eq(dp_vm_new(other, "foreign", &foreign), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(foreign, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(foreign, GiB, GiB), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_check(policy, foreign, &out), -EINVAL);
	ck_assert_str_eq(dp_test_log_expect_end(),
			 "BUG: dp_policy_check: the VM and the policy belong to different contexts\n");
	ck_assert_ptr_eq(out, sentinel);
	dp_vm_unref(foreign);
	dp_ctx_unref(other);

	/* The report's getters. */
	check_vm();
	{
		struct dp_finding f = { .sz = sizeof(f) };
		struct dp_finding small = { .sz = offsetof(struct dp_finding, message) };
		char *json = (char *)0x1;

		ck_assert_int_eq(dp_report_get_finding(rep, 0, &f), -ERANGE);
		ck_assert_int_eq(dp_report_get_finding(rep, 0, NULL), -EINVAL);
		ck_assert_int_eq(dp_report_get_finding(NULL, 0, &f), -EINVAL);
		ck_assert_int_eq(dp_report_get_finding(NULL, 0, &small), -EINVAL);
		ck_assert_int_eq(dp_report_to_json(NULL, &json), -EINVAL);
		ck_assert_ptr_eq(json, (char *)0x1);
		ck_assert_int_eq(dp_report_to_json(rep, NULL), -EINVAL);
		ck_assert_int_eq(dp_report_is_allowed(NULL), 0);
		ck_assert_uint_eq(dp_report_get_finding_count(NULL), 0);
		ck_assert_ptr_null(dp_report_unref(NULL));
		ck_assert_ptr_null(dp_report_ref(NULL));
	}
}
END_TEST

START_TEST(a_finding_is_copied_only_up_to_the_callers_size)
{
	struct {
		struct dp_finding f;
		unsigned char tail[16];
	} big;
	struct dp_finding small = { .sz = offsetof(struct dp_finding, message) };

	world_new(HOST_FULL);
	new_vm("vm", 0, 4 * GiB, 4 * GiB);
	check_vm();
	ck_assert_uint_eq(dp_report_get_finding_count(rep), 1);
	/* A newer caller's larger struct: the tail it does not share is zeroed. */
	memset(&big, 0xaa, sizeof(big));
	big.f.sz = sizeof(big);
	ck_assert_int_eq(dp_report_get_finding(rep, 0, &big.f), 0);
	ck_assert_uint_eq(big.f.sz, sizeof(big));
	ck_assert_uint_eq(big.f.code, DP_FINDING_VM_INVALID);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		ck_assert_uint_eq(big.tail[i], 0);
	/* Smaller than the struct of 1.x: refused, not half-filled. */
	ck_assert_int_eq(dp_report_get_finding(rep, 0, &small), -EINVAL);
	ck_assert_uint_eq(small.code, 0);
}
END_TEST

/* dp_parse_size(3) is the grammar: spaces only between a number and its unit. */
START_TEST(sizes_take_spaces_only_before_a_unit)
{
	static const struct {
		const char *text;
		int r;
		uint64_t v;
	} cases[] = {
		{ "16", 0, 16 }, { "16B", 0, 16 }, { "4 G", 0, 4 * GiB }, { "4 GiB", 0, 4 * GiB },
		{ "4  gb", 0, 4 * GiB }, { "64K", 0, 65536 },
		{ "16 ", -EINVAL, 0 }, { "4 ", -EINVAL, 0 }, { "16  ", -EINVAL, 0 },
		{ "16 B", -EINVAL, 0 }, { " 16", -EINVAL, 0 }, { "4G ", -EINVAL, 0 },
		{ "4 GiB ", -EINVAL, 0 }, { "4\tG", -EINVAL, 0 }, { "4\n", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 7;
		int r = dp_parse_size(cases[i].text, &v);

		ck_assert_msg(r == cases[i].r, "\"%s\": %d, want %d", cases[i].text, r, cases[i].r);
		ck_assert_msg(v == (r == 0 ? cases[i].v : 7), "\"%s\": %llu", cases[i].text,
			      (unsigned long long)v);
	}
}
END_TEST

START_TEST(huge_sizes_are_reported_in_mib_without_overflow)
{
	uint64_t v = 0;

	/* dp_parse_size at the edge of 64 bits. */
	ck_assert_int_eq(dp_parse_size("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(dp_parse_size("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(dp_parse_size("17179869183G", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX - (GiB - 1));
	ck_assert_int_eq(dp_parse_size("17179869184GiB", &v), -ERANGE);
	ck_assert_int_eq(dp_parse_size("16777216T", &v), -ERANGE);
	ck_assert_int_eq(dp_parse_size("16777215TB", &v), 0);
	ck_assert_uint_eq(v, (UINT64_C(16777215) << 40));
	v = 7;
	ck_assert_int_eq(dp_parse_size("99999999999999999999999K", &v), -ERANGE);
	ck_assert_int_eq(dp_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(dp_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(dp_parse_size("4X", &v), -EINVAL);
	ck_assert_int_eq(dp_parse_size(NULL, &v), -EINVAL);
	ck_assert_int_eq(dp_parse_size("4G", NULL), -EINVAL);
	ck_assert_uint_eq(v, 7); /* untouched on failure */

	world_new(HOST_FULL);
	bind_vfio(LSI);
	ck_assert_int_eq(dp_ctx_scan(ctx), TOPOLOGY_COUNT);
	mark(LSI);
	/* All the memory there can be, none reserved. */
	new_vm("vm", UINT32_MAX, UINT64_MAX, 0);
	ck_assert_int_eq(dp_vm_add_device(vm, LSI), 0);
	check_vm();
	ck_assert_str_eq(describe(rep), "E:memory-not-reserved@vm W:experimental@" LSI " " LOST8);
	ck_assert_ptr_nonnull(strstr(finding(rep, 0).message,
				     "vm: only 0 of 17592186044415 MiB reserved"));
	ck_assert_uint_eq(dp_vm_get_memory(vm), UINT64_MAX);
	ck_assert_uint_eq(dp_vm_get_hw_version(vm), UINT32_MAX);
	/* All of it reserved: nothing to say of the memory. */
	ck_assert_int_eq(dp_vm_set_memory(vm, UINT64_MAX, UINT64_MAX), 0);
	check_vm();
	ck_assert_str_eq(describe(rep), "W:experimental@" LSI " " LOST8);
	/* A reservation of everything for one byte of memory. */
	vm = dp_vm_unref(vm);
	new_vm("vm", 7, 1, UINT64_MAX);
	check_vm();
	ck_assert_str_eq(describe(rep), "E:vm-invalid@vm");
	ck_assert_str_eq(finding(rep, 0).message,
			 "vm: memory reservation 17592186044415 MiB exceeds the memory, 0 MiB; lower it");
	/* The largest device limit a policy takes, and one more. */
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MAX_DEVICES_PER_VM, 4096), 0);
	ck_assert_int_eq(dp_policy_get_rule(policy, DP_RULE_MAX_DEVICES_PER_VM), 4096);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MAX_DEVICES_PER_VM, 4097), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "max_devices_per_vm"));
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MAX_DEVICES_PER_VM, INT64_MIN), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "max_devices_per_vm"));
	ck_assert_int_eq(dp_policy_get_rule(policy, DP_RULE_MAX_DEVICES_PER_VM), 4096);
}
END_TEST

/* ---- golden reports ---- */

/* The whole file, or NULL when it cannot be read. */
static char *read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		char *p = realloc(buf, len + 4097);

		if (!p) {
			free(buf);
			close(fd);
			return NULL;
		}
		buf = p;
		n = read(fd, buf + len, 4096);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

START_TEST(report_json_matches_the_golden_file)
{
	const struct scenario *s = &goldens[_i];
	char path[PATH_MAX], actual[PATH_MAX], *json = NULL, *want, *got;
	FILE *f;

	run(s, NULL);
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	/* The file holds the text and a final newline. */
	ck_assert_int_gt(asprintf(&got, "%s\n", json), 0);
	free(json);
	snprintf(path, sizeof(path), "%s/%s", DP_TEST_GOLDEN_DIR, s->golden);
	want = read_all(path);
	if (!want || strcmp(want, got) != 0) {
		/* Leaves what came out next to the build, to compare (or, checked, to copy). */
		snprintf(actual, sizeof(actual), "%s/%s.actual", DP_TEST_BUILD_DIR, s->golden);
		f = fopen(actual, "we");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		free(want);
		free(got);
		ck_abort_msg("%s: the report differs from %s; it is in %s", s->what, path, actual);
	}
	free(want);
	free(got);
}
END_TEST

/* Where this machine keeps modules, hidden in this namespace: vfio-pci never loadable. */
static void hide_kernel_modules(void)
{
	struct stat st;

	if (stat("/lib/modules", &st) < 0)
		return;
	if (mount("dp-policy-nomodules", "/lib/modules", "tmpfs",
		  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0) {
		fprintf(stderr, "hiding /lib/modules: %s\n", strerror(errno));
		exit(EXIT_FAILURE);
	}
}

int main(void)
{
	Suite *s = suite_create("policy-check");
	TCase *table = tcase_create("table");
	TCase *report = tcase_create("report");
	TCase *golden = tcase_create("golden");

	dp_fakesys_enter_namespace();
	hide_kernel_modules();

	tcase_add_checked_fixture(table, setup, world_free);
	tcase_set_timeout(table, 30);
	tcase_add_loop_test(table, scenario_gives_exactly_the_expected_findings, 0,
			    (int)N_SCENARIOS);
	tcase_add_test(table, every_finding_code_comes_out_of_the_table);
	suite_add_tcase(s, table);

	tcase_add_checked_fixture(report, setup, world_free);
	tcase_add_test(report, lost_features_name_their_devices_in_the_vms_order);
	tcase_add_test(report, a_vm_without_devices_needs_no_scan_and_loses_nothing);
	tcase_add_test(report, a_lost_feature_names_every_device_however_many);
	tcase_add_test(report, a_check_scans_when_the_context_has_not);
	tcase_add_test(report, garbled_reserved_regions_are_a_warning_and_the_check_goes_on);
	tcase_add_test(report, an_untrusted_quarantine_record_still_counts_as_quarantined);
	tcase_add_test(report, a_check_uses_the_last_scan_until_the_next);
	tcase_add_test(report, the_shipped_list_knows_the_esx40_experimental_adapters_by_id);
	tcase_add_test(report, misuse_is_einval_and_leaves_the_out_pointer);
	tcase_add_test(report, a_finding_is_copied_only_up_to_the_callers_size);
	tcase_add_test(report, sizes_take_spaces_only_before_a_unit);
	tcase_add_test(report, huge_sizes_are_reported_in_mib_without_overflow);
	suite_add_tcase(s, report);

	tcase_add_checked_fixture(golden, setup, world_free);
	tcase_add_loop_test(golden, report_json_matches_the_golden_file, 0, (int)N_GOLDENS);
	suite_add_tcase(s, golden);

	return dp_test_run(s);
}
