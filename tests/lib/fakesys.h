/* SPDX-License-Identifier: MIT */
/*
 * A synthetic /sys for tests. A tree is written under a temporary directory
 * in the kernel's own layout (devices, bus/pci, kernel/iommu_groups,
 * class/iommu, module parameters), then bind-mounted over the whole of /sys
 * in a private mount namespace, so that the library, libpciaccess and lspci
 * all read it through their hard-coded paths.
 *
 * Use: call dp_fakesys_enter_namespace() first thing in main(); build a tree
 * with dp_fakesys_new() and dp_fakesys_add() (or a preset); mount it in the
 * test's fixture and free it in the teardown. This works with check's fork
 * mode (a forked test gets a mount namespace of its own, so whatever it leaves
 * mounted dies with it) and with CK_FORK=no (teardown unmounts).
 */
#ifndef DP_FAKESYS_H
#define DP_FAKESYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define DP_FAKE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define DP_FAKE_PRINTF(fmt, args)
#endif

struct dp_fakesys;

/* Capabilities written into a function's config space (dp_fake_dev.caps). */
#define DP_FAKE_CAP_PCIE      (1u << 0) /* PCI Express capability (0x10) */
#define DP_FAKE_CAP_FLR       (1u << 1) /* ... with DevCap FLR set; implies PCIE */
#define DP_FAKE_CAP_PM        (1u << 2) /* power management (0x01) */
#define DP_FAKE_CAP_PM_NO_SOFT_RESET (1u << 3) /* ... PMCSR No_Soft_Reset; implies PM */
#define DP_FAKE_CAP_MSI       (1u << 4) /* MSI (0x05), msi_vectors */
#define DP_FAKE_CAP_MSIX      (1u << 5) /* MSI-X (0x11), the msix_* fields */
#define DP_FAKE_CAP_ACS       (1u << 6) /* ACS extended capability; 4096-byte config */
#define DP_FAKE_CAP_AF_FLR    (1u << 7) /* Advanced Features (0x13) with TP and FLR */
/* Hostile forms. */
#define DP_FAKE_CAP_LOOP_SELF (1u << 8) /* the last capability points at itself */
#define DP_FAKE_CAP_LOOP_BACK (1u << 9) /* the last capability points at the first */
#define DP_FAKE_CAP_EXT_LOOP  (1u << 10) /* the last extended capability points at 0x100 */

/* BAR flags (dp_fake_bar.flags); memory, 32-bit, non-prefetchable when 0. */
#define DP_FAKE_BAR_IO       (1u << 0)
#define DP_FAKE_BAR_MEM64    (1u << 1) /* takes this BAR and the next */
#define DP_FAKE_BAR_PREFETCH (1u << 2)

struct dp_fake_bar {
	uint64_t size; /* a power of two; 0: no BAR */
	uint32_t flags;
};

/* An attribute file written verbatim after the others (garbage, extras). */
struct dp_fake_attr {
	const char *name;    /* relative to the device directory */
	const char *content; /* NULL: remove the file */
};

/* One PCI function. Fields left zero get the plain default noted. */
struct dp_fake_dev {
	const char *bdf;                 /* "0000:03:00.0", required */
	uint16_t vendor, device;
	uint16_t subsystem_vendor;       /* 0: same as vendor */
	uint16_t subsystem_device;       /* 0: same as device */
	uint32_t class_code;             /* 24 bits */
	uint8_t revision;
	uint8_t header_type;             /* 0, or 1 for a PCI-to-PCI bridge */
	bool multifunction;              /* header type bit 7 */
	uint8_t secondary_bus;           /* a bridge's secondary (and subordinate) bus */
	int group;                       /* IOMMU group; 0: no iommu_group link */
	const char *driver;              /* bound driver (its directory is made); NULL: unbound */
	bool driver_dangling;            /* hostile: the driver link names a driver that is not there */
	const char *driver_override;     /* NULL: unset, "(null)" as the kernel prints it */
	int numa_node;                   /* written as is */
	unsigned irq;
	bool boot_vga;                   /* boot_vga is written for VGA class (0x0300xx) only */
	const char *reset_method;        /* NULL: no reset_method file */
	uint32_t caps;                   /* DP_FAKE_CAP_* */
	unsigned msi_vectors;            /* 1..32, a power of two; 0: 1 */
	unsigned msix_table_size;        /* entries, 1..2048; 0: 1 */
	uint8_t msix_table_bir, msix_pba_bir;
	uint32_t msix_table_offset, msix_pba_offset; /* 8-byte aligned */
	struct dp_fake_bar bars[6];
	uint64_t rom_size;               /* 0: no expansion ROM */
	unsigned config_size;            /* 0: 256, 4096 with ACS; under 64 is hostile */
	unsigned sriov_total_vfs;        /* non-zero: an SR-IOV PF with sriov_* files */
	unsigned sriov_num_vfs;
	const char *physfn;              /* a VF: its PF's BDF (added earlier) */
	const struct dp_fake_attr *attrs; /* ends at a NULL name; may be NULL */
};

/* What the host has besides PCI functions. */
#define DP_FAKE_IOMMU_NONE  0u
#define DP_FAKE_IOMMU_INTEL 1u /* class/iommu/dmar0 with intel-iommu/ecap */
#define DP_FAKE_IOMMU_AMD   2u /* class/iommu/ivhd0 */

struct dp_fake_host {
	unsigned iommu;          /* DP_FAKE_IOMMU_* */
	bool irq_remap;          /* Intel: ecap bit 3; AMD: "IR-" chips in /proc/interrupts */
	bool vfio_pci;           /* bus/pci/drivers/vfio-pci exists */
	bool vfio_type1;         /* module/vfio_iommu_type1 with its parameters */
	bool unsafe_interrupts;  /* allow_unsafe_interrupts is "Y" (needs vfio_type1) */
};

/* Intel ecap values with and without bit 3 (interrupt remapping). */
#define DP_FAKE_ECAP_IR    "f020df"
#define DP_FAKE_ECAP_NO_IR "f020d7"

/*
 * Unshares the mount namespace and makes / private; exits 77 with a message
 * when that is not permitted (not root, no CAP_SYS_ADMIN, seccomp). Call it
 * once at the start of main(), before anything else is built.
 */
void dp_fakesys_enter_namespace(void);

/*
 * Skips the whole test program, saying why on stderr: under meson's TAP
 * protocol (CK_TAP_LOG_FILE_NAME=-) as a "1..0 # SKIP" plan and status 0,
 * since meson counts a TAP program's status 77 as an error; otherwise with
 * the automake status 77.
 */
_Noreturn void dp_fakesys_skip(const char *fmt, ...) DP_FAKE_PRINTF(1, 2);

/* An empty tree (the bus/pci, kernel and class skeleton); NULL with errno set. */
struct dp_fakesys *dp_fakesys_new(void);
/* The same, written into dir (created if missing), which dp_fakesys_free keeps. */
struct dp_fakesys *dp_fakesys_new_in(const char *dir);
/* Unmounts (and stops the kernel emulation) if needed, removes the tree; NULL is a no-op. */
void dp_fakesys_free(struct dp_fakesys *fs);

/* Adds one function; 0 or a negative errno (-EEXIST, -EINVAL for a bad BDF). */
int dp_fakesys_add(struct dp_fakesys *fs, const struct dp_fake_dev *dev);
/* Writes the host entries; 0, -EALREADY on a second call, or a negative errno. */
int dp_fakesys_set_host(struct dp_fakesys *fs, const struct dp_fake_host *host);
/* Adds one more Intel IOMMU unit ("dmar1", ...) with this ecap (hex, no 0x). */
int dp_fakesys_add_dmar(struct dp_fakesys *fs, const char *name, const char *ecap);
/* Creates an empty driver directory (bind, unbind, new_id, remove_id, uevent). */
int dp_fakesys_add_driver(struct dp_fakesys *fs, const char *name);
/*
 * Rebinds a function in the tree as the kernel would have (no emulation):
 * its driver link and the driver's link back now name driver (created if
 * missing), or none with NULL. 0, or -EINVAL for a function not added.
 */
int dp_fakesys_set_driver(struct dp_fakesys *fs, const char *bdf, const char *driver);
/* Content for /proc/interrupts while mounted (NULL: leave the real one). */
int dp_fakesys_set_interrupts(struct dp_fakesys *fs, const char *text);

/*
 * Presets, as listed by dp_fakesys_preset_names:
 *   basic    host bridge 00:00.0 (group 2), USB 00:14.0 (xhci_hcd, group 3), bridge
 *            00:1c.0 (group 4), boot VGA 01:00.0 (group 1), NIC 03:00.0/.1
 *            8086:10fb on ixgbe sharing group 7, SR-IOV PF 05:00.0 (group 10)
 *            with VF 05:10.0 (group 11); Intel IOMMU with interrupt
 *            remapping; vfio-pci and vfio_iommu_type1 loaded.
 *   noiommu  the same functions, no IOMMU groups, no class/iommu entry.
 *   vmd      basic, and NVMe functions in domains 0x2000 and 0x10000 (VMD-style).
 */
int dp_fakesys_preset(struct dp_fakesys *fs, const char *name);
extern const char *const dp_fakesys_preset_names[]; /* NULL-terminated */
/* Functions of the preset's host bridge ... VF, in BDF order. */
#define DP_FAKE_BASIC_COUNT 8
/* "vmd": basic, and NVMe functions (1b36:0010 on nvme, FLR) in domains 0x2000 (group 20) and 0x10000 (group 21). */
#define DP_FAKE_VMD_LOW "2000:00:00.0"
#define DP_FAKE_VMD_HIGH "10000:00:00.0"
#define DP_FAKE_VMD_COUNT (DP_FAKE_BASIC_COUNT + 2)

/*
 * n functions (n <= 8192) for benchmarks: buses from 0x10, 32 slots of 8
 * multifunction functions each, PCIe/PM/MSI/MSI-X (ACS on function 0), two
 * BARs, one IOMMU group per slot, every other slot bound to a driver.
 */
int dp_fakesys_add_many(struct dp_fakesys *fs, unsigned n);

struct dp_ctx;
/*
 * A context for tests on the tree: the test log (tests/lib/testlog.h) at
 * LOG_DEBUG, the driverctl directory in the scratch directory.
 */
struct dp_ctx *dp_fakesys_ctx(const struct dp_fakesys *fs);
/* The directory the tree lives in (what is mounted as /sys). */
const char *dp_fakesys_root(const struct dp_fakesys *fs);
/* An empty directory outside the tree, removed with it (NULL for dp_fakesys_new_in). */
const char *dp_fakesys_scratch(const struct dp_fakesys *fs);
/* Writes (content) or, with NULL, removes the file rel under the tree; parents are made. */
int dp_fakesys_write(struct dp_fakesys *fs, const char *rel, const char *content);
/* Reads the file rel under the tree into buf (NUL-terminated); its length or a negative errno. */
int dp_fakesys_read(const struct dp_fakesys *fs, const char *rel, char *buf,
		    size_t size);
/* Makes rel a symlink to target (replacing what was there). */
int dp_fakesys_symlink(struct dp_fakesys *fs, const char *target, const char *rel);
/* The basename of the symlink rel's target into buf; its length or a negative errno. */
int dp_fakesys_readlink(const struct dp_fakesys *fs, const char *rel, char *buf,
			size_t size);

/* Bind-mounts the tree over /sys (and the interrupts text over /proc/interrupts). */
int dp_fakesys_mount(struct dp_fakesys *fs);
/* Lazily unmounts what dp_fakesys_mount mounted. */
int dp_fakesys_umount(struct dp_fakesys *fs);

/*
 * Kernel emulation for driver binding, on a mounted tree: each function's
 * driver_override, each driver's bind and unbind, and bus/pci/drivers_probe
 * become files served by a helper process (FUSE), and a write acts as the kernel's
 * driver core would before the write returns: unbind removes the driver
 * links, bind and drivers_probe create them (the override decides, else the
 * driver the function was added with), driver_override reads back "(null)"
 * once cleared. Other writes keep their plain-file behaviour.
 */
int dp_fakesys_kernel_start(struct dp_fakesys *fs);
/* Stops serving and unmounts the emulated files; 0, or -EIO if the emulation failed. */
int dp_fakesys_kernel_stop(struct dp_fakesys *fs);
/* From now on a probe by this driver fails (-ENODEV, the function stays unbound). */
int dp_fakesys_kernel_fail_probe(struct dp_fakesys *fs, const char *driver);
/*
 * What the emulated kernel was asked, one line per write:
 * "override 0000:03:00.0 vfio-pci", "unbind ixgbe 0000:03:00.0",
 * "bind ixgbe 0000:03:00.0", "probe 0000:03:00.0 vfio-pci" (or "none"),
 * with " -ERRNO" appended when the write failed.
 */
const char *dp_fakesys_kernel_log(struct dp_fakesys *fs);

/*
 * What hangs below a function (USB, block, net, framebuffer devices), as the
 * driver core lays it out; rel paths are relative to the tree, under a
 * function's directory (dp_fakesys_dev_dir) or devices/virtual.
 */

/* The directory of the function bdf, relative to the tree: "devices/pci0000:00/0000:00:14.0". */
int dp_fakesys_dev_dir(const struct dp_fakesys *fs, const char *bdf, char *buf, size_t size);
/*
 * A device directory rel (parents made, a uevent file) whose subsystem link
 * names subsys ("class/net", "class/graphics", "bus/usb"), and that
 * subsystem's link back to it (class/net/<name>, bus/usb/devices/<name>).
 */
int dp_fakesys_add_node(struct dp_fakesys *fs, const char *rel, const char *subsys);

struct dp_fake_usb_if {
	uint8_t cls, subclass, protocol;
};

/* A USB device; interfaces are named <device>:1.<i>, as in configuration 1. */
struct dp_fake_usb {
	uint16_t vendor, product;
	uint8_t device_class;
	const char *manufacturer;           /* NULL: no file */
	const char *product_name;           /* NULL: no file */
	const struct dp_fake_usb_if *ifs;   /* up to 32 */
	size_t n_ifs;
};
/* A USB device at rel (".../0000:00:14.0/usb1", ".../usb1/1-2"), bus/usb, with its interfaces. */
int dp_fakesys_add_usb(struct dp_fakesys *fs, const char *rel, const struct dp_fake_usb *usb);
/*
 * A block device at rel (".../block/sda", ".../block/sda/sda1"), class/block:
 * dev "major:minor", size, holders/ and power/, and a partition file for
 * partition > 0, else a queue/ directory.
 */
int dp_fakesys_add_block(struct dp_fakesys *fs, const char *rel, unsigned major, unsigned minor,
			 unsigned partition);
/*
 * A holder (device-mapper, md) devices/virtual/block/<name>, class/block,
 * holding the block devices named in below (class/block names, added
 * earlier, NULL-terminated): their holders/<name> links and its slaves/.
 */
int dp_fakesys_add_holder(struct dp_fakesys *fs, const char *name, unsigned major,
			  unsigned minor, const char *const *below);
/* A virtual console devices/virtual/vtconsole/vtcon<n>, class/vtconsole, with name and bind. */
int dp_fakesys_add_vtcon(struct dp_fakesys *fs, unsigned n, const char *name, bool bound);

#endif
