/* SPDX-License-Identifier: MIT */
/*
 * libdirectpath — PCI passthrough for virtual machine monitors.
 *
 * This header is the table of contents of the API. Every function it
 * declares with DP_EXPORT is part of the stable ABI, versioned in
 * lib/libdirectpath.sym; see directpath(7) for the overview.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; an index out of range gives -ERANGE; out-pointers are
 * written only on success. Objects are opaque. dp_ctx, dp_device, dp_vm,
 * dp_policy, dp_report, dp_vpci and dp_vbus are reference-counted
 * (_ref/_unref, _unref(NULL) is a no-op and _unref always returns NULL).
 * dp_attachment is not: dp_attach makes it and dp_detach frees it. A
 * dp_vdev is borrowed from its attachment and lives as long as it does.
 * Option and info structs begin with
 * "size_t sz", which the caller sets to sizeof the struct it was compiled
 * with; fields are only ever appended.
 */
#ifndef DIRECTPATH_DIRECTPATH_H
#define DIRECTPATH_DIRECTPATH_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define DP_EXPORT __attribute__((visibility("default")))
#define DP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define DP_EXPORT
#define DP_PRINTF(fmt, args)
#endif

/*
 * Version. The macros give the version of the header a program was
 * compiled with; dp_version() gives the version of the library it runs with.
 */
#define DP_VERSION_MAJOR 0
#define DP_VERSION_MINOR 13
#define DP_VERSION_MICRO 0

/* True when the header is version major.minor.micro or newer. */
#define DP_VERSION_CHECK(major, minor, micro)                         \
	(DP_VERSION_MAJOR > (major) ||                                \
	 (DP_VERSION_MAJOR == (major) && DP_VERSION_MINOR > (minor)) || \
	 (DP_VERSION_MAJOR == (major) && DP_VERSION_MINOR == (minor) && \
	  DP_VERSION_MICRO >= (micro)))

/* The running library's version as "MAJOR.MINOR.MICRO"; never NULL. */
DP_EXPORT const char *dp_version(void);

/*
 * Option structs. Declare one with DP_OPTS (fields by name) or DP_OPTS_NONE
 * (all defaults); both set sz and zero every field not named.
 */
#define DP_OPTS(type, name, ...) \
	struct type name = { .sz = sizeof(struct type), __VA_ARGS__ }
#define DP_OPTS_NONE(type, name) \
	struct type name = { .sz = sizeof(struct type) }

/*
 * The library context: the log callback, the configuration, data and run
 * directories and the host inventory (dp_ctx_scan). A program may hold
 * several; they share nothing. A context and the objects made from it must be
 * used by one thread at a time.
 */
struct dp_ctx;

/*
 * Log callback: priority is a syslog(3) priority (LOG_ERR ... LOG_DEBUG);
 * file, line and fn name the place in the library; format and args are
 * printf-style and valid only during the call.
 */
typedef void (*dp_log_fn)(struct dp_ctx *ctx, int priority, const char *file,
			  int line, const char *fn, const char *format,
			  va_list args, void *userdata) DP_PRINTF(6, 0);

/* Options for dp_ctx_new(); NULL fields mean the built-in defaults. */
struct dp_ctx_opts {
	size_t sz;               /* sizeof(struct dp_ctx_opts) */
	dp_log_fn log_fn;        /* receives messages, from dp_ctx_new on */
	void *log_userdata;      /* passed to log_fn */
	const char *config_dir;  /* absolute; default /etc/directpath */
	const char *run_dir;     /* absolute; default /run/directpath */
	const char *data_dir;    /* absolute; default /usr/share/directpath */
	/* Appended in 0.2 (DIRECTPATH_1.1): */
	const char *driverctl_dir; /* absolute; default /etc/driverctl.d */
	/* Appended in 0.10 (DIRECTPATH_1.10): */
	int64_t log_priority;    /* threshold unless DIRECTPATH_LOG sets one; 0: LOG_ERR */
};

/* Create a context; opts may be NULL. */
DP_EXPORT int dp_ctx_new(const struct dp_ctx_opts *opts, struct dp_ctx **out);
/* Take a reference; returns ctx. */
DP_EXPORT struct dp_ctx *dp_ctx_ref(struct dp_ctx *ctx);
/* Drop a reference, freeing the context with the last; returns NULL. */
DP_EXPORT struct dp_ctx *dp_ctx_unref(struct dp_ctx *ctx);

/* Set (or with NULL, remove) the log callback. */
DP_EXPORT int dp_ctx_set_log_fn(struct dp_ctx *ctx, dp_log_fn fn,
				void *userdata);
/* Log messages of this syslog priority and more urgent ones. */
DP_EXPORT int dp_ctx_set_log_priority(struct dp_ctx *ctx, int priority);
/* The current log priority threshold, or -EINVAL (older form: value and error in one). */
DP_EXPORT int dp_ctx_get_log_priority(const struct dp_ctx *ctx);
/* The current log priority threshold into *priority; 0 or -EINVAL (DIRECTPATH_1.9). */
DP_EXPORT int dp_ctx_get_log_priority_value(const struct dp_ctx *ctx, int *priority);
/* A syslog priority's name as DIRECTPATH_LOG takes it ("err", "debug"), or NULL (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_log_priority_name(int priority);
/* A priority from its name, an alias ("error", "warn") or its number; 0 or -EINVAL (DIRECTPATH_1.10). */
DP_EXPORT int dp_log_priority_from_name(const char *name, int *priority);

/* Attach caller data to the context. */
DP_EXPORT int dp_ctx_set_userdata(struct dp_ctx *ctx, void *userdata);
/* The caller data last set, or NULL. */
DP_EXPORT void *dp_ctx_get_userdata(const struct dp_ctx *ctx);

/* The directories the context uses; never NULL for a valid ctx. */
DP_EXPORT const char *dp_ctx_get_config_dir(const struct dp_ctx *ctx);
DP_EXPORT const char *dp_ctx_get_run_dir(const struct dp_ctx *ctx);
DP_EXPORT const char *dp_ctx_get_data_dir(const struct dp_ctx *ctx);
/* Where passthrough marks are kept, in driverctl's format. */
DP_EXPORT const char *dp_ctx_get_driverctl_dir(const struct dp_ctx *ctx);

/*
 * Host inventory. dp_ctx_scan() reads every PCI function of the host
 * (libpciaccess for enumeration, config space and names; sysfs for IOMMU
 * groups, drivers, reset methods, SR-IOV and NUMA; the driverctl directory
 * for passthrough marks). It only reads. A device handle stays valid, with
 * the facts of the scan that made it, for as long as the caller holds a
 * reference, even across a rescan.
 */
struct dp_device;

/* Scans (or rescans) the host; returns the number of PCI functions found. */
DP_EXPORT int dp_ctx_scan(struct dp_ctx *ctx);
/* Functions in the last scan, in BDF order; 0 before the first scan. */
DP_EXPORT size_t dp_ctx_get_device_count(const struct dp_ctx *ctx);
/* The index-th function, borrowed: valid until the next scan unless ref'd. */
DP_EXPORT struct dp_device *dp_ctx_get_device(const struct dp_ctx *ctx,
					      size_t index);
/* Looks up "0000:03:00.0" or "03:00.0" (domain 0); a new reference. */
DP_EXPORT int dp_ctx_find_device(struct dp_ctx *ctx, const char *bdf,
				 struct dp_device **out);
/* Parses a BDF string into its parts; 0 or -EINVAL. */
DP_EXPORT int dp_bdf_parse(const char *bdf, uint32_t *domain, uint8_t *bus,
			   uint8_t *dev, uint8_t *func);

DP_EXPORT struct dp_device *dp_device_ref(struct dp_device *dev);
DP_EXPORT struct dp_device *dp_device_unref(struct dp_device *dev);
/* The context the device belongs to (borrowed). */
DP_EXPORT struct dp_ctx *dp_device_get_ctx(const struct dp_device *dev);

/* dp_device_info.flags */
#define DP_DEVICE_BRIDGE          (UINT64_C(1) << 0)  /* header type 1 or 2, or class 0x0604/07/09 */
#define DP_DEVICE_HOST_BRIDGE     (UINT64_C(1) << 1)  /* class 0x0600 */
#define DP_DEVICE_BOOT_VGA        (UINT64_C(1) << 2)  /* boot_vga is 1 */
#define DP_DEVICE_MULTIFUNCTION   (UINT64_C(1) << 3)  /* header bit 7 */
#define DP_DEVICE_PCIE            (UINT64_C(1) << 4)  /* PCI Express capability */
#define DP_DEVICE_FLR             (UINT64_C(1) << 5)  /* DevCap function level reset */
#define DP_DEVICE_PM              (UINT64_C(1) << 6)  /* power management capability */
#define DP_DEVICE_PM_NO_SOFT_RESET (UINT64_C(1) << 7) /* D3hot->D0 keeps state */
#define DP_DEVICE_MSI             (UINT64_C(1) << 8)
#define DP_DEVICE_MSIX            (UINT64_C(1) << 9)
#define DP_DEVICE_ACS             (UINT64_C(1) << 10) /* ACS extended capability */
#define DP_DEVICE_SRIOV_PF        (UINT64_C(1) << 11) /* has virtfn links */
#define DP_DEVICE_SRIOV_VF        (UINT64_C(1) << 12) /* has a physfn link */
#define DP_DEVICE_ROM             (UINT64_C(1) << 13) /* expansion ROM BAR */
#define DP_DEVICE_MARKED          (UINT64_C(1) << 14) /* marked for passthrough */
#define DP_DEVICE_CONFIG_SHORT    (UINT64_C(1) << 15) /* config < 256 bytes read */
#define DP_DEVICE_CONFIG_UNREADABLE (UINT64_C(1) << 16) /* not even its 64-byte header read */
#define DP_DEVICE_AF_FLR          (UINT64_C(1) << 17) /* Advanced Features FLR, with TP (0.11) */
/* "host-bridge", "msix", ... for one DP_DEVICE_* bit, or NULL (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_device_flag_name(uint64_t flag);
DP_EXPORT int dp_device_flag_from_name(const char *name, uint64_t *value);

/* dp_device_info.bar_flags[] */
#define DP_BAR_PRESENT  (1u << 0)
#define DP_BAR_IO       (1u << 1)
#define DP_BAR_MEM64    (1u << 2)  /* the upper half is bar_flags[i + 1] */
#define DP_BAR_PREFETCH (1u << 3)

/* Everything numeric known of a function; strings have their own getters. */
struct dp_device_info {
	size_t sz;                  /* sizeof(struct dp_device_info) */
	uint64_t flags;             /* DP_DEVICE_* */
	uint32_t domain;
	uint8_t bus, dev, func;
	uint8_t header_type;        /* without the multifunction bit */
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint32_t class_code;        /* 24 bits: class, subclass, prog-if */
	uint8_t revision;
	uint8_t msix_table_bir;     /* BAR holding the MSI-X table */
	uint8_t msix_pba_bir;
	uint8_t reserved0;
	int32_t iommu_group;        /* -1: none */
	int32_t numa_node;          /* -1: unknown */
	uint16_t msi_vectors;       /* 0 without MSI */
	uint16_t msix_table_size;   /* entries; 0 without MSI-X */
	uint32_t msix_table_offset;
	uint32_t msix_pba_offset;
	uint32_t sriov_num_vfs;     /* enabled VFs of a PF */
	uint32_t sriov_total_vfs;
	uint32_t bar_flags[6];      /* DP_BAR_* */
	uint32_t config_size;       /* bytes of config space read: 64, 256, 4096 */
	uint64_t bar_size[6];
	uint64_t rom_size;
};

/* Copies the facts out, up to info->sz. */
DP_EXPORT int dp_device_get_info(const struct dp_device *dev,
				 struct dp_device_info *info);
/* "0000:03:00.0"; never NULL. */
DP_EXPORT const char *dp_device_get_bdf(const struct dp_device *dev);
/* Names from pci.ids, or NULL when unknown. */
DP_EXPORT const char *dp_device_get_vendor_name(const struct dp_device *dev);
DP_EXPORT const char *dp_device_get_device_name(const struct dp_device *dev);
/* The bound driver, or NULL when unbound. */
DP_EXPORT const char *dp_device_get_driver(const struct dp_device *dev);
/* driver_override, or NULL when unset. */
DP_EXPORT const char *dp_device_get_driver_override(const struct dp_device *dev);
/*
 * The kernel's VFIO device node of the function, "vfio0" for
 * /sys/bus/pci/devices/BDF/vfio-dev/vfio0: the bound driver registered it
 * with VFIO. NULL when it has none (DIRECTPATH_1.13).
 */
DP_EXPORT const char *dp_device_get_vfio_dev(const struct dp_device *dev);
/* That node's character device (/dev/vfio/devices/vfioN); 0, or -ENOENT without one (DIRECTPATH_1.13). */
DP_EXPORT int dp_device_get_vfio_devnum(const struct dp_device *dev, uint32_t *major,
					uint32_t *minor);
/* What the bound driver is to VFIO: a fact, whatever the policy says (dp_device_get_vfio_dev(3)). */
#define DP_VFIO_DRIVER_NONE 0     /* unbound */
#define DP_VFIO_DRIVER_HOST 1     /* a host driver: VFIO cannot open the function */
#define DP_VFIO_DRIVER_VFIO_PCI 2 /* vfio-pci */
#define DP_VFIO_DRIVER_VARIANT 3  /* a vfio-pci variant driver, NAME_vfio_pci */
#define DP_VFIO_DRIVER_VENDOR 4   /* another driver that registered it with VFIO */
/* DP_VFIO_DRIVER_* (DIRECTPATH_1.13). */
DP_EXPORT uint32_t dp_device_get_vfio_driver_kind(const struct dp_device *dev);
/* "none", "host", "vfio-pci", "variant", "vendor"; NULL otherwise (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_vfio_driver_kind_name(uint32_t kind);
/* The kind of a name; 0, or -EINVAL (DIRECTPATH_1.13). */
DP_EXPORT int dp_vfio_driver_kind_from_name(const char *name, uint32_t *value);
/* The kernel's reset_method list ("flr bus"), "" if none, NULL if the kernel lacks it. */
DP_EXPORT const char *dp_device_get_reset_methods(const struct dp_device *dev);
/* Where dp_device_get_reset_list's words come from. */
#define DP_RESET_SOURCE_KERNEL 1  /* the kernel's reset_method */
#define DP_RESET_SOURCE_DERIVED 2 /* config space and the bus, where the kernel has no list */
/*
 * The reset methods in the kernel's words, the kernel's list or, without
 * one, derived as the kernel would (flr, af_flr, pm, bus); "" if none
 * (DIRECTPATH_1.11).
 */
DP_EXPORT const char *dp_device_get_reset_list(const struct dp_device *dev);
/* DP_RESET_SOURCE_*: the kernel's list or a derived one; 0 for NULL (DIRECTPATH_1.11). */
DP_EXPORT uint32_t dp_device_get_reset_source(const struct dp_device *dev);
/* "kernel", "derived"; NULL for another value (dp_iommu_kind_name(3); DIRECTPATH_1.11). */
DP_EXPORT const char *dp_reset_source_name(uint32_t source);
DP_EXPORT int dp_reset_source_from_name(const char *name, uint32_t *value);
/* A dp_rom_status state: "none", "valid", "missing", "invalid", "unknown" (DIRECTPATH_1.11). */
DP_EXPORT const char *dp_rom_state_name(uint32_t state);
DP_EXPORT int dp_rom_state_from_name(const char *name, uint32_t *value);
/* Functions a reset of its bus also resets, below the same bridge (DIRECTPATH_1.11). */
DP_EXPORT size_t dp_device_get_reset_peer_count(const struct dp_device *dev);
/* The index-th of them, in BDF order; NULL past the end (DIRECTPATH_1.11). */
DP_EXPORT const char *dp_device_get_reset_peer(const struct dp_device *dev, size_t index);
/* An SR-IOV VF's physical function, or NULL. */
DP_EXPORT const char *dp_device_get_physfn(const struct dp_device *dev);
/* True when the device is marked available for passthrough. */
DP_EXPORT int dp_device_is_marked(const struct dp_device *dev);
/* Functions in the device's IOMMU group, itself included (0 without one). */
DP_EXPORT size_t dp_device_get_group_size(const struct dp_device *dev);
/* The index-th member's BDF, in BDF order; NULL past the end. */
DP_EXPORT const char *dp_device_get_group_member(const struct dp_device *dev,
						 size_t index);

/*
 * The function's option ROM (expansion ROM), read from sysfs (root only)
 * and validated: each image's 0xAA55 signature, its PCIR structure and its
 * vendor:device against the function's, the images' lengths against the
 * ROM BAR, the chain of images and their code types (DIRECTPATH_1.11).
 */
#define DP_ROM_NONE 0u        /* no ROM BAR */
#define DP_ROM_VALID 1u
#define DP_ROM_MISSING 2u     /* a ROM BAR without an image in it (no 0xAA55 signature) */
#define DP_ROM_INVALID 3u     /* an image the validator refuses; reason says why */
#define DP_ROM_UNKNOWN 4u     /* it could not be read (not root, no rom file); reason says why */
#define DP_ROM_IMAGES_MAX 8u
/* Image code types (dp_rom_status.code_types[]) */
#define DP_ROM_CODE_X86 0u
#define DP_ROM_CODE_OPEN_FIRMWARE 1u
#define DP_ROM_CODE_PA_RISC 2u
#define DP_ROM_CODE_EFI 3u

struct dp_rom_status {
	size_t sz;               /* sizeof(struct dp_rom_status) */
	uint32_t state;          /* DP_ROM_* */
	uint32_t n_images;       /* the images whose PCIR was read, up to DP_ROM_IMAGES_MAX */
	uint64_t bar_size;       /* the ROM BAR's size; 0 for DP_ROM_NONE */
	uint64_t size;           /* the valid image: from its start to the last image's end */
	uint8_t code_types[DP_ROM_IMAGES_MAX]; /* each image's DP_ROM_CODE_* (or another) */
	char reason[216];        /* what is wrong or unknown, one line; "" when valid or none */
};

/* Reads and validates the ROM; 0 and *status (any state), or -errno (DIRECTPATH_1.11). */
DP_EXPORT int dp_device_get_rom_status(const struct dp_device *dev, struct dp_rom_status *status);
/* "x86", "open-firmware", "pa-risc", "efi", or NULL for another code type (DIRECTPATH_1.11). */
DP_EXPORT const char *dp_rom_code_type_name(uint32_t code_type);

/*
 * What the host loses with the function (DIRECTPATH_1.11): what hangs below
 * it in sysfs, read when asked (USB devices, block devices and the dm or md
 * devices holding them, network interfaces, framebuffers), and what of it
 * the host uses (a keyboard, a mounted filesystem, the root or /boot
 * filesystem, the default route, the framebuffer console). The policy's
 * host_* rules judge the same facts. See dp_device_get_host_use(3).
 */
struct dp_host_use;

/* dp_host_use_get_flags() */
#define DP_HOST_USE_USB_KEYBOARD  (1u << 0) /* a USB keyboard (HID, keyboard protocol) */
#define DP_HOST_USE_USB_HID       (1u << 1) /* a USB HID: keyboard, mouse, ... */
#define DP_HOST_USE_USB_STORAGE   (1u << 2) /* USB mass storage */
#define DP_HOST_USE_MOUNTED       (1u << 3) /* a block device, or a holder of one, is mounted */
#define DP_HOST_USE_ROOT_FS       (1u << 4) /* ... at "/" */
#define DP_HOST_USE_BOOT_FS       (1u << 5) /* ... at "/boot" or "/boot/efi" */
#define DP_HOST_USE_DEFAULT_ROUTE (1u << 6) /* an interface carries the IPv4 default route */
#define DP_HOST_USE_BOOT_VGA      (1u << 7) /* the function is the boot VGA device */
#define DP_HOST_USE_CONSOLE       (1u << 8) /* the framebuffer console is bound to it */

/* dp_host_use_get_unknown(): what could not be read whole, so lists may lack entries */
#define DP_HOST_UNKNOWN_TREE      (1u << 0) /* sysfs below it: a limit, an unreadable entry */
#define DP_HOST_UNKNOWN_MOUNTS    (1u << 1) /* /proc/self/mountinfo */
#define DP_HOST_UNKNOWN_ROUTES    (1u << 2) /* /proc/net/route, or an interface's uppers */
#define DP_HOST_UNKNOWN_DISPLAY   (1u << 3) /* boot_vga or /sys/class/vtconsole */
#define DP_HOST_UNKNOWN_HOLDERS   (1u << 4) /* the holders of its block devices */

/* dp_host_use_item.kind */
#define DP_HOST_ITEM_USB          1u
#define DP_HOST_ITEM_BLOCK        2u
#define DP_HOST_ITEM_NET          3u
#define DP_HOST_ITEM_FRAMEBUFFER  4u

/* dp_host_use_item.flags of a USB device */
#define DP_HOST_USB_ROOT_HUB      (1u << 0) /* "usbN": the controller's own hub */
#define DP_HOST_USB_HUB           (1u << 1)
#define DP_HOST_USB_HID           (1u << 2) /* an interface of class 3 */
#define DP_HOST_USB_KEYBOARD      (1u << 3) /* ... with the keyboard protocol */
#define DP_HOST_USB_STORAGE       (1u << 4) /* an interface of class 8 */
/* ... of a block device */
#define DP_HOST_BLOCK_PARTITION   (1u << 0)
#define DP_HOST_BLOCK_HOLDER      (1u << 1) /* a dm or md device over one below the function */
#define DP_HOST_BLOCK_MOUNTED     (1u << 2)
#define DP_HOST_BLOCK_ROOT        (1u << 3) /* mounted at "/" */
#define DP_HOST_BLOCK_BOOT        (1u << 4) /* mounted at "/boot" or "/boot/efi" */
#define DP_HOST_BLOCK_NO_DEV      (1u << 5) /* its device number is unknown */
/* ... of a network interface */
#define DP_HOST_NET_DEFAULT_ROUTE (1u << 0) /* it, or its upper "via", carries the default route */

/* One thing below the function; the strings live as long as the dp_host_use. */
struct dp_host_use_item {
	size_t sz;                   /* sizeof(struct dp_host_use_item) */
	uint32_t kind;               /* DP_HOST_ITEM_* */
	uint32_t flags;              /* DP_HOST_USB_*, DP_HOST_BLOCK_* or DP_HOST_NET_*, by kind */
	const char *name;            /* "1-2", "sda1", "dm-0", "eno1", "fb0" */
	uint32_t vendor_id;          /* USB: idVendor; else 0 */
	uint32_t product_id;         /* USB: idProduct; else 0 */
	const char *manufacturer;    /* USB: its strings, control characters as '?'; else "" */
	const char *product;
	const char *below;           /* block: a partition's disk, or what a holder holds; else "" */
	const char *via;             /* net: the upper (bridge, bond) carrying the route; else "" */
	uint64_t sectors;            /* block: size in 512-byte sectors; 0 when unknown */
	const char *const *mounts;   /* block: its mount points, at most 16; else NULL */
	size_t n_mounts;
};

/* Reads what the host loses with the device now; 0, -ENODEV, -ENOMEM (DIRECTPATH_1.11). */
DP_EXPORT int dp_device_get_host_use(const struct dp_device *dev, struct dp_host_use **out);
/* References; unref always returns NULL (DIRECTPATH_1.11). */
DP_EXPORT struct dp_host_use *dp_host_use_ref(struct dp_host_use *use);
DP_EXPORT struct dp_host_use *dp_host_use_unref(struct dp_host_use *use);
/* DP_HOST_USE_* and DP_HOST_UNKNOWN_* bits (DIRECTPATH_1.11). */
DP_EXPORT uint32_t dp_host_use_get_flags(const struct dp_host_use *use);
DP_EXPORT uint32_t dp_host_use_get_unknown(const struct dp_host_use *use);
/* USB devices, block devices, interfaces, framebuffers, in that order (DIRECTPATH_1.11). */
DP_EXPORT size_t dp_host_use_get_item_count(const struct dp_host_use *use);
DP_EXPORT int dp_host_use_get_item(const struct dp_host_use *use, size_t index,
				   struct dp_host_use_item *item);
/*
 * Names of the host-use constants, as directpath show --json spells them
 * (dp_iommu_kind_name(3)): "usb-keyboard"; "mounts"; "usb"; "keyboard";
 * "root"; "default-route" (DIRECTPATH_1.11).
 */
DP_EXPORT const char *dp_host_use_flag_name(uint32_t flag);
DP_EXPORT int dp_host_use_flag_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_unknown_name(uint32_t flag);
DP_EXPORT int dp_host_unknown_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_item_kind_name(uint32_t kind);
DP_EXPORT int dp_host_item_kind_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_usb_flag_name(uint32_t flag);
DP_EXPORT int dp_host_usb_flag_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_block_flag_name(uint32_t flag);
DP_EXPORT int dp_host_block_flag_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_net_flag_name(uint32_t flag);
DP_EXPORT int dp_host_net_flag_from_name(const char *name, uint32_t *value);

/* Host capabilities. */
#define DP_IOMMU_NONE  0u
#define DP_IOMMU_INTEL 1u  /* VT-d (dmar*) */
#define DP_IOMMU_AMD   2u  /* AMD-Vi (ivhd*) */
#define DP_IOMMU_OTHER 3u

/* dp_host_caps.flags */
#define DP_HOST_IOMMU             (1u << 0) /* an IOMMU is registered */
#define DP_HOST_IOMMU_GROUPS      (1u << 1) /* ... and devices are in groups */
#define DP_HOST_IRQ_REMAP         (1u << 2) /* interrupt remapping */
#define DP_HOST_UNSAFE_INTERRUPTS (1u << 3) /* vfio allow_unsafe_interrupts=Y */
#define DP_HOST_VFIO              (1u << 4) /* /dev/vfio/vfio exists */
#define DP_HOST_VFIO_PCI          (1u << 5) /* vfio-pci is loaded */
#define DP_HOST_VFIO_PCI_MODULE   (1u << 6) /* vfio-pci can be loaded */
#define DP_HOST_KVM               (1u << 7) /* /dev/kvm answers API 12 */

/*
 * Names of the constants (dp_iommu_kind_name(3)): "intel"; "iommu_groups";
 * NULL for a value without one. The _from_name forms return 0, or -EINVAL
 * for an unknown name, and write *value only on success (DIRECTPATH_1.10).
 */
DP_EXPORT const char *dp_iommu_kind_name(uint32_t kind);
DP_EXPORT int dp_iommu_kind_from_name(const char *name, uint32_t *value);
DP_EXPORT const char *dp_host_flag_name(uint32_t flag);
DP_EXPORT int dp_host_flag_from_name(const char *name, uint32_t *value);

struct dp_host_caps {
	size_t sz;                /* sizeof(struct dp_host_caps) */
	uint32_t flags;           /* DP_HOST_* */
	uint32_t iommu_kind;      /* DP_IOMMU_* */
	int32_t iommu_group_count;
	int32_t kvm_api_version;  /* -1 when /dev/kvm cannot be opened */
	uint64_t memlock_cur;     /* RLIMIT_MEMLOCK, bytes; UINT64_MAX: unlimited */
	uint64_t memlock_max;
};

/* Reads the host's capabilities now (no scan needed). */
DP_EXPORT int dp_ctx_get_host_caps(struct dp_ctx *ctx, struct dp_host_caps *caps);

/*
 * Marking a device available for passthrough. The mark persists as a
 * driverctl file (pci-BDF holding "vfio-pci" in the driverctl directory);
 * with DP_MARK_APPLY it takes effect at once: driver_override, unbind,
 * probe, and the binding to vfio-pci is verified, or everything restored.
 */
#define DP_MARK_APPLY (1u << 0) /* rebind now, not only at the next boot */
#define DP_MARK_FORCE (1u << 1) /* allow bridges and the boot VGA device */

/* Marks (enable != 0) or unmarks the device; see dp_device_set_passthrough(3). */
DP_EXPORT int dp_device_set_passthrough(struct dp_device *dev, int enable,
					uint32_t flags);
/*
 * Marks the device for passthrough on driver, which the policy's
 * vfio_drivers must count as ready (a vfio-pci variant driver, or a vendor
 * driver that registered the device with VFIO); -EPERM with why logged when
 * it does not. NULL: vfio-pci, as dp_device_set_passthrough (DIRECTPATH_1.13).
 */
struct dp_policy;
DP_EXPORT int dp_device_set_passthrough_driver(struct dp_device *dev,
					       const struct dp_policy *policy,
					       const char *driver, uint32_t flags);

/*
 * Quarantine: a device held on vfio-pci after a detach, because it did not
 * come back from the reset as it was, or because the policy's release rule
 * is quarantine. Recorded in the run directory with the reason until
 * dp_device_release resets it, verifies it and gives it back to the host.
 * VMs may still have it. See dp_device_release(3).
 */
#define DP_DEVICE_RELEASE_FORCE (1u << 0) /* accept its state now as the one to verify against */

/* 1 and, if reason is not NULL, why (malloc'd) when quarantined; 0 when not (DIRECTPATH_1.11). */
DP_EXPORT int dp_device_get_quarantine(const struct dp_device *dev, char **reason);
/* Resets, verifies and gives back a quarantined device; -EBUSY when leased (DIRECTPATH_1.11). */
DP_EXPORT int dp_device_release(struct dp_device *dev, uint32_t flags);

/*
 * Features a VM can have, and lose by passthrough (VMware's list for a
 * plain DirectPath device). Values are stable; new ones are appended.
 */
#define DP_FEATURE_VMOTION           (1u << 0)
#define DP_FEATURE_STORAGE_VMOTION   (1u << 1)
#define DP_FEATURE_FAULT_TOLERANCE   (1u << 2)
#define DP_FEATURE_HOT_ADD           (1u << 3)  /* device hot add */
#define DP_FEATURE_SUSPEND_RESUME    (1u << 4)
#define DP_FEATURE_RECORD_REPLAY     (1u << 5)
#define DP_FEATURE_SNAPSHOT_MEMORY   (1u << 6)  /* snapshots with memory */
#define DP_FEATURE_MEMORY_OVERCOMMIT (1u << 7)
#define DP_FEATURE_ALL               (0xffu)

/* The feature's name as files and reports spell it ("vmotion"), or NULL. */
DP_EXPORT const char *dp_feature_name(uint32_t feature);
/* The feature bit for a name, or 0 when unknown. */
DP_EXPORT uint32_t dp_feature_from_name(const char *name);

/*
 * A VM description: name, hardware version, memory, enabled features and
 * passthrough devices by BDF. Pure data: nothing is looked up until a check.
 */
struct dp_vm;

DP_EXPORT int dp_vm_new(struct dp_ctx *ctx, const char *name, struct dp_vm **out);
/* Reads an INI-style VM file (directpath-vm(5)). */
DP_EXPORT int dp_vm_new_from_file(struct dp_ctx *ctx, const char *path,
				  struct dp_vm **out);
DP_EXPORT struct dp_vm *dp_vm_ref(struct dp_vm *vm);
DP_EXPORT struct dp_vm *dp_vm_unref(struct dp_vm *vm);
DP_EXPORT int dp_vm_set_hw_version(struct dp_vm *vm, uint32_t version);
/* Guest RAM and how much of it is reserved, in bytes. */
DP_EXPORT int dp_vm_set_memory(struct dp_vm *vm, uint64_t size, uint64_t reservation);
/* Guest RAM, all of it reserved, as a VM file without a reservation (DIRECTPATH_1.10). */
DP_EXPORT int dp_vm_set_memory_size(struct dp_vm *vm, uint64_t size);
/* Where RAM below 4 GiB ends and the 32-bit PCI hole starts; default 3 GiB (0.10). */
DP_EXPORT int dp_vm_set_mmio_hole(struct dp_vm *vm, uint64_t start);
DP_EXPORT uint64_t dp_vm_get_mmio_hole(const struct dp_vm *vm);
/*
 * The size of the guest's 64-bit MMIO window above RAM, where 64-bit
 * prefetchable BARs go; default 32 GiB, QEMU q35's pci-hole64-size; 0: none
 * (DIRECTPATH_1.12).
 */
DP_EXPORT int dp_vm_set_mmio64_window(struct dp_vm *vm, uint64_t size);
DP_EXPORT uint64_t dp_vm_get_mmio64_window(const struct dp_vm *vm);
/* Enables (on != 0) or disables DP_FEATURE_* bits. */
DP_EXPORT int dp_vm_set_features(struct dp_vm *vm, uint32_t features, int on);
/* Adds a passthrough device by BDF (kept as given; checked by the policy). */
DP_EXPORT int dp_vm_add_device(struct dp_vm *vm, const char *bdf);
DP_EXPORT const char *dp_vm_get_name(const struct dp_vm *vm);
DP_EXPORT uint32_t dp_vm_get_hw_version(const struct dp_vm *vm);
DP_EXPORT uint64_t dp_vm_get_memory(const struct dp_vm *vm);
DP_EXPORT uint64_t dp_vm_get_reservation(const struct dp_vm *vm);
DP_EXPORT uint32_t dp_vm_get_features(const struct dp_vm *vm);
DP_EXPORT size_t dp_vm_get_device_count(const struct dp_vm *vm);
DP_EXPORT const char *dp_vm_get_device(const struct dp_vm *vm, size_t index);

/*
 * The policy: rules with ESX 4.0's defaults, each settable by rule number,
 * by name ("max_devices_per_vm", as in directpath-policy(5)) or from a file,
 * and the device compatibility list.
 */
struct dp_policy;

enum dp_rule {
	DP_RULE_MAX_DEVICES_PER_VM = 1,      /* count; default 2 */
	DP_RULE_MIN_HW_VERSION = 2,          /* default 7 */
	DP_RULE_REQUIRE_IOMMU = 3,           /* bool; default 1 */
	DP_RULE_REQUIRE_INTERRUPT_REMAPPING = 4, /* bool; default 1 */
	DP_RULE_REQUIRE_VIABLE_GROUP = 5,    /* bool; default 1 */
	DP_RULE_REQUIRE_MARKED = 6,          /* bool; default 1 */
	DP_RULE_DENY_BRIDGES = 7,            /* bool; default 1 */
	DP_RULE_DENY_BOOT_VGA = 8,           /* bool; default 1 */
	DP_RULE_MEMORY_RESERVATION = 9,      /* DP_RESERVATION_*; default FULL */
	DP_RULE_UNLISTED_DEVICES = 10,       /* DP_ACTION_WARN / DENY / ALLOW */
	DP_RULE_NO_RESET_METHOD = 11,        /* DP_ACTION_WARN / DENY */
	DP_RULE_DIRECT_REGIONS = 12,         /* DP_ACTION_*; default DENY (0.10) */
	DP_RULE_SHARED_RESET = 13,           /* DP_ACTION_*; default DENY (0.11) */
	DP_RULE_INVALID_ROM = 14,            /* DP_ACTION_*; default WARN (0.11) */
	DP_RULE_HOST_INPUT_DEVICES = 15,     /* DP_ACTION_*; default WARN (0.11) */
	DP_RULE_HOST_STORAGE = 16,           /* DP_ACTION_*; default WARN (0.11) */
	DP_RULE_HOST_BOOT_FILESYSTEM = 17,   /* DP_ACTION_*; default DENY (0.11) */
	DP_RULE_HOST_DEFAULT_ROUTE = 18,     /* DP_ACTION_*; default DENY (0.11) */
	DP_RULE_HOST_CONSOLE = 19,           /* DP_ACTION_*; default WARN (0.11) */
	DP_RULE_RELEASE = 20,                /* DP_RELEASE_*; default HOST (0.11) */
	DP_RULE_MMIO_WINDOW = 21,            /* DP_ACTION_*; default DENY (0.12) */
	DP_RULE_MEMLOCK = 22,                /* DP_ACTION_*; default WARN (0.12) */
	_DP_RULE_PAD = INT_MAX
};
#define DP_RESERVATION_NONE 0
#define DP_RESERVATION_FULL 1
#define DP_ACTION_ALLOW 0
#define DP_ACTION_WARN 1
#define DP_ACTION_DENY 2
/* DP_RULE_RELEASE: after a detach, hand a device back unless its reset failed
 * verification (HOST), or keep every device quarantined (QUARANTINE). */
#define DP_RELEASE_HOST 0
#define DP_RELEASE_QUARANTINE 1

DP_EXPORT int dp_policy_new(struct dp_ctx *ctx, struct dp_policy **out);
DP_EXPORT struct dp_policy *dp_policy_ref(struct dp_policy *policy);
DP_EXPORT struct dp_policy *dp_policy_unref(struct dp_policy *policy);
DP_EXPORT int dp_policy_set_rule(struct dp_policy *policy, enum dp_rule rule, int64_t value);
/* The value, or a negative errno for an unknown rule (older form: see the next). */
DP_EXPORT int64_t dp_policy_get_rule(const struct dp_policy *policy, enum dp_rule rule);
/* The rule's value into *value; 0, or -EINVAL for an unknown rule (DIRECTPATH_1.9). */
DP_EXPORT int dp_policy_get_rule_value(const struct dp_policy *policy, enum dp_rule rule,
				       int64_t *value);
/* Sets a rule by its file name and value text ("unlisted_devices", "deny"). */
DP_EXPORT int dp_policy_set(struct dp_policy *policy, const char *key, const char *value);
/* Reads a policy file (directpath-policy(5)); NULL: CONFIG_DIR/policy.conf. */
DP_EXPORT int dp_policy_load_file(struct dp_policy *policy, const char *path);
/* The file the rules were last loaded from, or NULL: the defaults (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_policy_get_source(const struct dp_policy *policy);
/* The longest line, in bytes, a policy or VM file may have (DIRECTPATH_1.10). */
DP_EXPORT size_t dp_policy_line_max(void);
/* The rule's file name, or NULL. */
DP_EXPORT const char *dp_rule_name(enum dp_rule rule);

/*
 * The drivers that count as ready for passthrough (vfio_drivers in
 * directpath-policy(5)): "vfio-pci *_vfio_pci *:vfio-dev" by default, as
 * the policy file would spell it; set with dp_policy_set (DIRECTPATH_1.13).
 */
DP_EXPORT const char *dp_policy_get_vfio_drivers(const struct dp_policy *policy);
/* 1 when dev's driver is ready for passthrough under the policy, 0 when not; -EINVAL (DIRECTPATH_1.13). */
DP_EXPORT int dp_policy_vfio_driver_ready(const struct dp_policy *policy,
					  const struct dp_device *dev);

/*
 * Reset methods per vendor:device ([device VVVV:DDDD] reset_method in
 * directpath-policy(5)): the kernel's method names in the order to use
 * them, or "none" for no reset at all. dp_attach writes the order into the
 * function's reset_method and gives the old list back at detach.
 */
/* methods "flr bus" or "none"; NULL removes the entry. 0 or -EINVAL (DIRECTPATH_1.11). */
DP_EXPORT int dp_policy_set_reset_methods(struct dp_policy *policy, uint32_t vendor,
					  uint32_t device, const char *methods);
/* The entry's list ("flr bus", "none"), or NULL without one (DIRECTPATH_1.11). */
DP_EXPORT const char *dp_policy_get_reset_methods(const struct dp_policy *policy,
						  uint32_t vendor, uint32_t device);
/* How many entries there are (DIRECTPATH_1.11). */
DP_EXPORT size_t dp_policy_get_reset_entry_count(const struct dp_policy *policy);
/* The index-th entry's IDs; 0, or -ENOENT past the end (DIRECTPATH_1.11). */
DP_EXPORT int dp_policy_get_reset_entry(const struct dp_policy *policy, size_t index,
					uint32_t *vendor, uint32_t *device);
/*
 * The methods the library has the kernel use for dev under this policy, in
 * order, into buf ("" when none); returns how many other functions that
 * reset also resets (a bus reset's peers), or -ENOSPC (DIRECTPATH_1.11).
 */
DP_EXPORT int dp_policy_get_device_reset(const struct dp_policy *policy,
					 const struct dp_device *dev, char *buf, size_t size);

/* Compatibility list. */
#define DP_SUPPORT_UNLISTED 0
#define DP_SUPPORT_SUPPORTED 1
#define DP_SUPPORT_EXPERIMENTAL 2
#define DP_SUPPORT_UNSUPPORTED 3
#define DP_ID_ANY 0xffffffffu

/* Loads a compat list file (directpath-compat(5)); DATA_DIR/compat.d/ (*.list) is loaded by dp_policy_new. */
DP_EXPORT int dp_policy_load_compat_file(struct dp_policy *policy, const char *path);
/* Adds an entry; ids DP_ID_ANY match anything; name may be NULL. */
DP_EXPORT int dp_policy_add_compat(struct dp_policy *policy, uint32_t vendor,
				   uint32_t device, uint32_t subvendor, uint32_t subdevice,
				   int level, const char *name);
/* The level the list gives a device (the most specific match), and its entry name. */
DP_EXPORT int dp_policy_get_support(const struct dp_policy *policy,
				    const struct dp_device *dev, const char **name);
/* One entry of the compatibility list as loaded; the strings belong to the policy. */
struct dp_compat_info {
	size_t sz;                    /* sizeof(struct dp_compat_info) */
	uint32_t vendor_id, device_id;              /* DP_ID_ANY: any */
	uint32_t subsystem_vendor_id, subsystem_id; /* DP_ID_ANY: any */
	int32_t level;                /* DP_SUPPORT_* */
	uint32_t line;                /* in source; 0 when added through the API */
	const char *name;             /* NULL: none */
	const char *source;           /* the file it came from, or NULL */
};

/* Entries in the order they were loaded (later ones win ties). */
DP_EXPORT size_t dp_policy_get_compat_count(const struct dp_policy *policy);
DP_EXPORT int dp_policy_get_compat_entry(const struct dp_policy *policy, size_t index,
					 struct dp_compat_info *info);
/* "supported", "experimental", "unsupported", "unlisted", or NULL. */
DP_EXPORT const char *dp_support_level_name(int level);
/* The level of a name; 0, or -EINVAL (DIRECTPATH_1.10). */
DP_EXPORT int dp_support_level_from_name(const char *name, int *value);
/* A rule's value as policy files spell it ("yes", "warn", "full"); NULL for counts. */
DP_EXPORT const char *dp_rule_value_name(enum dp_rule rule, int64_t value);

/* Parses a size: bytes, or with K, M, G, T (binary; "KiB", "G" and "GB" alike). */
DP_EXPORT int dp_parse_size(const char *text, uint64_t *out);
/* Parses a decimal number of digits only, up to max; -EINVAL or -ERANGE (DIRECTPATH_1.10). */
DP_EXPORT int dp_parse_uint(const char *text, uint64_t max, uint64_t *out);

/*
 * Checking a VM against the policy: every rule is evaluated, never stopping
 * at the first failure, and the outcome is a report.
 */
struct dp_report;

/* Finding codes: stable, documented in dp_policy_check(3), never renumbered. */
enum dp_finding_code {
	DP_FINDING_VM_INVALID = 1,            /* hw version 0, no memory, reservation > memory */
	DP_FINDING_HW_VERSION = 2,            /* below the policy's minimum */
	DP_FINDING_TOO_MANY_DEVICES = 3,      /* above the per-VM limit */
	DP_FINDING_DUPLICATE_DEVICE = 4,      /* the same function twice */
	DP_FINDING_NO_SUCH_DEVICE = 5,        /* malformed BDF or not on this host */
	DP_FINDING_NO_IOMMU = 6,              /* the host has no (enabled) IOMMU */
	DP_FINDING_NO_INTERRUPT_REMAPPING = 7,
	DP_FINDING_UNSAFE_INTERRUPTS = 8,     /* no remapping, allowed by override */
	DP_FINDING_NO_VFIO_PCI = 9,           /* vfio-pci neither loaded nor loadable */
	DP_FINDING_NOT_MARKED = 10,           /* not available for passthrough */
	DP_FINDING_BRIDGE = 11,               /* a PCI or host bridge */
	DP_FINDING_BOOT_VGA = 12,             /* the host's boot console */
	DP_FINDING_NO_IOMMU_GROUP = 13,
	DP_FINDING_GROUP_NOT_VIABLE = 14,     /* a group member is still the host's */
	DP_FINDING_NO_RESET_METHOD = 15,
	DP_FINDING_UNLISTED = 16,             /* not on the compatibility list */
	DP_FINDING_EXPERIMENTAL = 17,         /* listed as experimental */
	DP_FINDING_UNSUPPORTED = 18,          /* listed as unsupported */
	DP_FINDING_MEMORY_NOT_RESERVED = 19,  /* reservation below memory */
	DP_FINDING_FEATURE_LOST = 20,         /* a VM feature passthrough takes away */
	DP_FINDING_DEVICE_LEASED = 21,        /* another running VM holds it */
	DP_FINDING_CONFIG_UNREADABLE = 22,    /* its config space header could not be read */
	DP_FINDING_NOT_BOUND = 23,            /* marked, but not bound to vfio-pci */
	DP_FINDING_DIRECT_REGION = 24,        /* the group has a direct-mapped region (RMRR) */
	DP_FINDING_RELAXABLE_REGION = 25,     /* ... a relaxable one (USB, graphics RMRR) */
	DP_FINDING_RESERVED_OVERLAP = 26,     /* guest RAM over an msi or reserved region */
	DP_FINDING_SHARED_RESET = 27,         /* its reset also resets a function the host uses */
	DP_FINDING_QUARANTINED = 28,          /* held on vfio-pci after a reset (0.11) */
	DP_FINDING_INVALID_ROM = 29,          /* option ROM missing or invalid */
	DP_FINDING_HOST_INPUT = 30,           /* a USB keyboard or other HID below it */
	DP_FINDING_HOST_STORAGE = 31,         /* USB storage, or a mounted block device below it */
	DP_FINDING_HOST_BOOT_FILESYSTEM = 32, /* the host's / or /boot is on it */
	DP_FINDING_HOST_DEFAULT_ROUTE = 33,   /* the host's default route goes through it */
	DP_FINDING_HOST_CONSOLE = 34,         /* the framebuffer console is on it */
	DP_FINDING_HOST_USE_UNKNOWN = 35,     /* what hangs below it could not be read whole */
	DP_FINDING_MMIO_WINDOW_TOO_SMALL = 36, /* the 32-bit hole or 64-bit window misses BAR space (0.12) */
	DP_FINDING_MEMLOCK_TOO_LOW = 37,      /* RLIMIT_MEMLOCK below the guest memory to pin (0.12) */
	DP_FINDING_MIGRATION_SUPPORTED = 38,  /* VFIO migration v2: what the VM keeps (0.12) */
	DP_FINDING_MIGRATION_UNKNOWN = 39,    /* whether it migrates could not be asked (0.12) */
	DP_FINDING_DEVICE_CHOSEN = 40,        /* an ID or label request got this device (0.12) */
	DP_FINDING_NO_FREE_DEVICE = 41,       /* no free device the policy allows matches it */
	DP_FINDING_VFIO_DRIVER = 42,          /* on a VFIO driver other than vfio-pci: what it offers (0.13) */
	DP_FINDING_VFIO_DRIVER_NOT_LISTED = 43, /* on a VFIO driver vfio_drivers does not list (0.13) */
	_DP_FINDING_PAD = INT_MAX
};
#define DP_SEVERITY_INFO 0
#define DP_SEVERITY_WARNING 1
#define DP_SEVERITY_ERROR 2
/* "info", "warning", "error", or NULL (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_severity_name(uint32_t severity);
DP_EXPORT int dp_severity_from_name(const char *name, uint32_t *value);

/* One finding; the strings belong to the report. */
struct dp_finding {
	size_t sz;             /* sizeof(struct dp_finding) */
	uint32_t code;         /* enum dp_finding_code */
	uint32_t severity;     /* DP_SEVERITY_* */
	const char *subject;   /* the VM's name or a BDF */
	const char *rule;      /* the policy rule's name, or NULL */
	const char *message;   /* one sentence: the rule and the fix */
};

/* Checks vm against policy and the live inventory and host capabilities. */
DP_EXPORT int dp_policy_check(struct dp_policy *policy, const struct dp_vm *vm,
			      struct dp_report **out);
DP_EXPORT struct dp_report *dp_report_ref(struct dp_report *report);
DP_EXPORT struct dp_report *dp_report_unref(struct dp_report *report);
/* 1 when no finding is an error. */
DP_EXPORT int dp_report_is_allowed(const struct dp_report *report);
DP_EXPORT size_t dp_report_get_finding_count(const struct dp_report *report);
DP_EXPORT int dp_report_get_finding(const struct dp_report *report, size_t index,
				    struct dp_finding *finding);
/* DP_FEATURE_* bits the VM loses with these devices. */
DP_EXPORT uint32_t dp_report_get_lost_features(const struct dp_report *report);
/* The devices that cost one feature, in the VM's order. */
DP_EXPORT size_t dp_report_get_feature_cause_count(const struct dp_report *report,
						  uint32_t feature);
DP_EXPORT const char *dp_report_get_feature_cause(const struct dp_report *report,
						  uint32_t feature, size_t index);
/*
 * The report's plan for the VM (dp_report_get_plan(3)): the guest MMIO its
 * devices' BARs need below and above 4 GiB, packed largest first with each
 * BAR aligned to its size, the hole and window to declare, the
 * RLIMIT_MEMLOCK pinning all guest memory needs, and the time to make it
 * DMA-ready per backing page size (DIRECTPATH_1.12).
 */
#define DP_PLAN_MEMLOCK_EXEMPT (1u << 0)  /* the caller has CAP_IPC_LOCK: no limit applies */
#define DP_PLAN_COSTS_MEASURED (1u << 1)  /* the DMA costs come from bench-dma's dma-costs file */
#define DP_PLAN_PAGE_4K 0u                /* dp_plan.dma_ready_ns[] */
#define DP_PLAN_PAGE_THP 1u               /* transparent huge pages, 2 MiB */
#define DP_PLAN_PAGE_HUGETLB 2u           /* hugetlbfs, 2 MiB */
#define DP_PLAN_PAGES 3u

struct dp_plan {
	size_t sz;                    /* sizeof(struct dp_plan) */
	uint64_t mmio32_size;         /* BAR space below 4 GiB: 32-bit, 64-bit non-prefetchable, ROM */
	uint64_t mmio64_size;         /* BAR space above 4 GiB: 64-bit prefetchable */
	uint64_t mmio_hole;           /* the VM's: where RAM below 4 GiB ends */
	uint64_t mmio_hole_proposed;  /* the highest hole its BARs and the platform fit above */
	uint64_t mmio64_window;       /* the VM's 64-bit window */
	uint64_t mmio64_window_proposed; /* mmio64_size rounded up to a power of two */
	uint64_t memlock_needed;      /* bytes RLIMIT_MEMLOCK must allow */
	uint64_t memlock_current;     /* the caller's soft limit; UINT64_MAX: unlimited */
	uint64_t dma_cost_ns[DP_PLAN_PAGES]; /* per GiB made DMA-ready (allocate, touch, map) */
	uint64_t dma_ready_ns[DP_PLAN_PAGES]; /* for the VM's memory */
	uint32_t address_spaces;      /* IOMMU address spaces (type1 containers) the VM pins into */
	uint32_t flags;               /* DP_PLAN_* */
};

/* "4k", "thp", "hugetlbfs"; NULL for another value (dp_iommu_kind_name(3); DIRECTPATH_1.12). */
DP_EXPORT const char *dp_plan_page_name(uint32_t page);
DP_EXPORT int dp_plan_page_from_name(const char *name, uint32_t *value);
/* "memlock-exempt", "costs-measured" for one DP_PLAN_* bit, or NULL (DIRECTPATH_1.12). */
DP_EXPORT const char *dp_plan_flag_name(uint32_t flag);
DP_EXPORT int dp_plan_flag_from_name(const char *name, uint32_t *value);
/* Copies the plan out, up to plan->sz; 0 or -EINVAL (DIRECTPATH_1.12). */
DP_EXPORT int dp_report_get_plan(const struct dp_report *report, struct dp_plan *plan);
/* The report as JSON (directpath-report(5)); *out is freed with free(3). */
DP_EXPORT int dp_report_to_json(const struct dp_report *report, char **out);
/*
 * The function checked for the VM's index-th device entry: its address, or
 * the device an ID or label request got (finding device-chosen); NULL when
 * none (a malformed entry, no free device, index past the end) (DIRECTPATH_1.12).
 */
DP_EXPORT const char *dp_report_get_device_bdf(const struct dp_report *report, size_t index);
/*
 * Whether text is a device request dp_vm_add_device takes as an address, an ID
 * or a label (directpath-vm(5)): 0, or -EINVAL with why it is not ("not a PCI
 * address ...") in why when why_len (DIRECTPATH_1.12).
 */
DP_EXPORT int dp_vm_request_check(const char *text, char *why, size_t why_len);
/* "no-iommu" etc., or NULL. */
DP_EXPORT const char *dp_finding_code_name(uint32_t code);
/* The code of a finding name; 0, or -EINVAL (DIRECTPATH_1.10). */
DP_EXPORT int dp_finding_code_from_name(const char *name, uint32_t *value);

/*
 * What the kernel says of a device's VFIO migration (v2,
 * VFIO_DEVICE_FEATURE_MIGRATION) and what it leaves the VM
 * (DIRECTPATH_1.12): asked by dp_policy_check where the device is on
 * vfio-pci and its group is free, and by dp_attach at open. A device that
 * does not migrate costs the VM every DP_FEATURE_*, as a plain device does.
 */
#define DP_MIGRATION_NOT_ASKED   0u  /* not on vfio-pci, no VFIO here: the check did not ask */
#define DP_MIGRATION_UNSUPPORTED 1u  /* the kernel said no (error: ENOTTY, or EINVAL) */
#define DP_MIGRATION_SUPPORTED   2u  /* migration v2 with STOP_COPY; flags say the rest */
#define DP_MIGRATION_UNKNOWN     3u  /* could not be asked (error says why: EBUSY, EPERM...) */
/* dp_migration_info.flags: the kernel's answer, nothing inferred. */
#define DP_MIGRATION_STOP_COPY   (1u << 0)  /* VFIO_MIGRATION_STOP_COPY */
#define DP_MIGRATION_P2P         (1u << 1)  /* VFIO_MIGRATION_P2P: RUNNING_P2P */
#define DP_MIGRATION_PRE_COPY    (1u << 2)  /* VFIO_MIGRATION_PRE_COPY */
#define DP_MIGRATION_DIRTY_DEVICE (1u << 3) /* the device logs its DMA writes (DMA_LOGGING) */
#define DP_MIGRATION_DIRTY_IOMMU (1u << 4)  /* the type1 container tracks dirty pages */

struct dp_migration_info {
	size_t sz;             /* sizeof(struct dp_migration_info) */
	uint32_t state;        /* DP_MIGRATION_NOT_ASKED ... DP_MIGRATION_UNKNOWN */
	uint32_t flags;        /* DP_MIGRATION_STOP_COPY ... */
	int32_t error;         /* errno of the answer (unsupported, unknown), else 0 */
	uint32_t devices;      /* passthrough devices counted: with more than 1, P2P is needed */
	uint32_t kept;         /* DP_FEATURE_* this device leaves the VM */
	uint32_t lost;         /* DP_FEATURE_* it costs the VM */
};

/* The answer for bdf in the report; 0, -ENOENT when not a device checked, -EINVAL (DIRECTPATH_1.12). */
DP_EXPORT int dp_report_get_device_migration(const struct dp_report *report, const char *bdf,
					     struct dp_migration_info *info);
/* "not-asked", "unsupported", "supported", "unknown"; NULL otherwise (DIRECTPATH_1.12). */
DP_EXPORT const char *dp_migration_state_name(uint32_t state);
DP_EXPORT int dp_migration_state_from_name(const char *name, uint32_t *value);
/* "stop-copy", "p2p", "pre-copy", "dirty-device", "dirty-iommu"; NULL otherwise (DIRECTPATH_1.12). */
DP_EXPORT const char *dp_migration_flag_name(uint32_t flag);
DP_EXPORT int dp_migration_flag_from_name(const char *name, uint32_t *value);

/*
 * The backend: a VM whose policy check allowed it is attached to VFIO.
 * dp_attach claims a lease on every device (one running VM per device on
 * the host), opens a VFIO type1v2 container, the devices' groups and the
 * devices, or under iommufd /dev/iommu and the devices' own nodes (0.13);
 * any failure undoes all of it. dp_detach undoes it in order.
 */
struct dp_attachment;
struct dp_vdev;

/* Options for dp_attach(); KVM fields are used when DP_ATTACH_KVM is set. */
#define DP_ATTACH_KVM (1u << 0)
struct dp_attach_opts {
	size_t sz;               /* sizeof(struct dp_attach_opts) */
	uint32_t flags;          /* DP_ATTACH_* */
	int32_t kvm_vm_fd;       /* the VMM's KVM VM fd (DP_ATTACH_KVM) */
	uint32_t memslot_base;   /* first KVM memory slot the library may use */
	uint32_t memslot_count;  /* how many */
	/* Appended in 0.6 (DIRECTPATH_1.5): */
	uint32_t gsi_base;       /* first GSI for the library's MSI routes (>= 24) */
	uint32_t gsi_count;      /* how many; 0: no MSI through irqfd */
	/* Appended in 0.13 (DIRECTPATH_1.13): */
	uint32_t backend;        /* DP_BACKEND_*; 0: auto */
	uint32_t reserved0;      /* 0 (keeps handoff aligned with no padding) */
	struct dp_handoff *handoff; /* the fds a manager passed (dp_handoff_recv(3)); NULL: open them */
};

/*
 * VFIO backends (0.13): the type1 container and groups (/dev/vfio/vfio,
 * /dev/vfio/N), or iommufd (/dev/iommu) with the devices' own nodes
 * (/dev/vfio/devices/vfioN). Auto picks iommufd where /dev/iommu exists and
 * every device has a VFIO device node, type1 otherwise.
 */
enum dp_backend {
	DP_BACKEND_AUTO = 0,
	DP_BACKEND_TYPE1 = 1,
	DP_BACKEND_IOMMUFD = 2,
	_DP_BACKEND_PAD = INT_MAX
};
/* "auto", "type1", "iommufd"; NULL otherwise (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_backend_name(uint32_t backend);
DP_EXPORT int dp_backend_from_name(const char *name, uint32_t *value);

/* Checks vm against policy and, if allowed, attaches its devices. */
DP_EXPORT int dp_attach(struct dp_policy *policy, struct dp_vm *vm,
			const struct dp_attach_opts *opts, struct dp_attachment **out);
/* Unmaps, disables interrupts, resets, closes and releases; returns NULL. */
DP_EXPORT struct dp_attachment *dp_detach(struct dp_attachment *att);
/*
 * Hot add and remove (dp_attachment_add_device(3)): one device into a live
 * attachment, checked by policy with the VM's other devices, leased, its
 * group into the container and KVM-VFIO; or out of it, the others
 * untouched. A failed add leaves the attachment and the VM as they were.
 * flags: 0. Serialize with other calls on the attachment (DIRECTPATH_1.12).
 */
DP_EXPORT int dp_attachment_add_device(struct dp_attachment *att, struct dp_policy *policy,
				       const char *bdf, uint32_t flags, struct dp_vdev **out);
/*
 * The same from a manager's addition (dp_handoff_open_device(3)) for att's
 * VM and backend: its fds and adopted lease, no rule checked, nothing
 * written to sysfs; a failed add leaves att and h as they were. flags: 0
 * (DIRECTPATH_1.13).
 */
DP_EXPORT int dp_attachment_add_handoff(struct dp_attachment *att, struct dp_handoff *h,
					uint32_t flags, struct dp_vdev **out);
/* Unroutes, unmaps, resets (verified) and releases vdev; frees it (DIRECTPATH_1.12). */
DP_EXPORT int dp_attachment_remove_device(struct dp_attachment *att, struct dp_vdev *vdev,
					  uint32_t flags);

/* What the container's IOMMU offers. */
struct dp_iommu_info {
	size_t sz;               /* sizeof(struct dp_iommu_info) */
	uint64_t iova_pgsizes;   /* bitmap of supported page sizes */
	uint64_t dma_avail;      /* mappings still allowed; UINT64_MAX: unknown */
	uint32_t n_iova_ranges;  /* usable IOVA ranges (dp_attachment_get_iova_range) */
	uint32_t flags;          /* DP_IOMMU_INFO_* */
};
#define DP_IOMMU_INFO_MIGRATION (1u << 0) /* dirty-page tracking capability */

DP_EXPORT int dp_attachment_get_iommu_info(const struct dp_attachment *att,
					   struct dp_iommu_info *info);
/* The index-th usable IOVA range, inclusive. */
DP_EXPORT int dp_attachment_get_iova_range(const struct dp_attachment *att, uint32_t index,
					   uint64_t *start, uint64_t *end);
DP_EXPORT size_t dp_attachment_get_vdev_count(const struct dp_attachment *att);
/* The index-th device, in the VM's order, or NULL (borrowed, lives with att). */
DP_EXPORT struct dp_vdev *dp_attachment_get_vdev(const struct dp_attachment *att, size_t index);
/*
 * The backend the attachment uses: DP_BACKEND_TYPE1 or DP_BACKEND_IOMMUFD
 * (never auto); *why, when not NULL, gets one sentence saying why, which
 * lives with att (DIRECTPATH_1.13).
 */
DP_EXPORT uint32_t dp_attachment_get_backend(const struct dp_attachment *att, const char **why);

/*
 * File descriptors from a manager (0.13, DIRECTPATH_1.13; dp_handoff_open(3)).
 * The manager, which may open /dev/vfio and /dev/iommu, passes the gate
 * dp_attach passes (every rule, the leases) and opens the nodes the VM
 * needs; dp_handoff_send passes them, the leases and a description over a
 * Unix socket. The VMM, which needs no access to those nodes,
 * dp_handoff_recv's them (each fd verified against the description) and
 * gives the handoff to dp_attach (dp_attach_opts.handoff).
 */
struct dp_handoff;
struct dp_handoff_opts {
	size_t sz;               /* sizeof(struct dp_handoff_opts) */
	uint32_t backend;        /* DP_BACKEND_*; 0: auto, as dp_attach's */
	uint32_t flags;          /* none defined yet: 0 */
};
/* What an fd of a handoff is (dp_handoff_get_fd_role). */
#define DP_HANDOFF_FD_CONTAINER 1 /* /dev/vfio/vfio (type1) */
#define DP_HANDOFF_FD_GROUP 2     /* /dev/vfio/N (type1) */
#define DP_HANDOFF_FD_IOMMUFD 3   /* /dev/iommu (iommufd) */
#define DP_HANDOFF_FD_DEVICE 4    /* /dev/vfio/devices/vfioN (iommufd) */
#define DP_HANDOFF_FD_LEASE 5     /* a device's lease file (RUN_DIR/lease-BDF) */
/* The manager's side: checks, leases and opens what vm needs (DIRECTPATH_1.13). */
DP_EXPORT int dp_handoff_open(struct dp_policy *policy, struct dp_vm *vm,
			      const struct dp_handoff_opts *opts, struct dp_handoff **out);
/*
 * An addition: checks bdf with vm's devices (the VM attached elsewhere, a
 * BDF each) as a hot add does, leases it and opens its group's node (type1)
 * or its device node (iommufd) alone, for dp_attachment_add_handoff
 * (DIRECTPATH_1.13).
 */
DP_EXPORT int dp_handoff_open_device(struct dp_policy *policy, struct dp_vm *vm, const char *bdf,
				     const struct dp_handoff_opts *opts, struct dp_handoff **out);
/* Sends every fd and the description in one message on a connected Unix socket (DIRECTPATH_1.13). */
DP_EXPORT int dp_handoff_send(struct dp_handoff *h, int sock);
/* The VMM's side: receives one message from sock and verifies it (DIRECTPATH_1.13). */
DP_EXPORT int dp_handoff_recv(struct dp_ctx *ctx, int sock, struct dp_handoff **out);
/* Closes what was not taken; after a send, the leases live on in the receiver; NULL (DIRECTPATH_1.13). */
DP_EXPORT struct dp_handoff *dp_handoff_free(struct dp_handoff *h);
/* 1 when h is an addition (dp_handoff_open_device), else 0 (DIRECTPATH_1.13). */
DP_EXPORT int dp_handoff_is_addition(const struct dp_handoff *h);
/* DP_BACKEND_TYPE1 or DP_BACKEND_IOMMUFD; 0 for NULL (DIRECTPATH_1.13). */
DP_EXPORT uint32_t dp_handoff_get_backend(const struct dp_handoff *h);
/* The VM's name; NULL for NULL (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_handoff_get_vm_name(const struct dp_handoff *h);
/* Its devices, in the VM's order (DIRECTPATH_1.13). */
DP_EXPORT size_t dp_handoff_get_device_count(const struct dp_handoff *h);
/* The index-th device's BDF; NULL past the end (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_handoff_get_device_bdf(const struct dp_handoff *h, size_t index);
/* The fds of the message, in its order (DIRECTPATH_1.13). */
DP_EXPORT size_t dp_handoff_get_fd_count(const struct dp_handoff *h);
/* The index-th fd's DP_HANDOFF_FD_*; 0 past the end (DIRECTPATH_1.13). */
DP_EXPORT uint32_t dp_handoff_get_fd_role(const struct dp_handoff *h, size_t index);
/* What it is for: a group's number ("7"), a device's or lease's BDF; NULL otherwise (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_handoff_get_fd_subject(const struct dp_handoff *h, size_t index);
/* The description as sent or received (dp_handoff_send(3), "DESCRIPTION FORMAT") (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_handoff_get_description(const struct dp_handoff *h);
/* "container", "group", "iommufd", "device", "lease"; NULL otherwise (DIRECTPATH_1.13). */
DP_EXPORT const char *dp_handoff_fd_role_name(uint32_t role);
DP_EXPORT int dp_handoff_fd_role_from_name(const char *name, uint32_t *value);

/* DMA: guest physical address -> host memory; page aligned; thread-safe. */
struct dp_dma_range {
	uint64_t gpa;
	uint64_t hva;            /* (uintptr_t) of the host mapping */
	uint64_t size;
};
DP_EXPORT int dp_dma_map(struct dp_attachment *att, uint64_t gpa, void *hva, uint64_t size);
/* Maps n ranges all or nothing, one IOMMU mapping per contiguous run. */
DP_EXPORT int dp_dma_map_ranges(struct dp_attachment *att, const struct dp_dma_range *ranges,
				size_t n);
DP_EXPORT int dp_dma_unmap(struct dp_attachment *att, uint64_t gpa, uint64_t size);
/* Bytes mapped, and IOMMU mappings issued (for accounting and benchmarks). */
DP_EXPORT uint64_t dp_dma_get_mapped(const struct dp_attachment *att);
DP_EXPORT uint64_t dp_dma_get_map_calls(const struct dp_attachment *att);

/*
 * An attached device: its regions (BARs, ROM, config space), interrupts
 * and reset, through the VFIO device fd.
 */
#define DP_REGION_BAR0 0u    /* ... DP_REGION_BAR0 + 5 */
#define DP_REGION_ROM 6u
#define DP_REGION_CONFIG 7u
#define DP_REGION_VGA 8u
/* "bar0" ... "bar5", "rom", "config", "vga", or NULL (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_region_name(uint32_t index);
DP_EXPORT int dp_region_from_name(const char *name, uint32_t *value);

/* dp_region_info.flags */
#define DP_REGION_READ (1u << 0)
#define DP_REGION_WRITE (1u << 1)
#define DP_REGION_MMAP (1u << 2)   /* some or all of it can be mmapped */
#define DP_REGION_SPARSE (1u << 3) /* only the sparse areas can */

struct dp_region_info {
	size_t sz;               /* sizeof(struct dp_region_info) */
	uint64_t size;
	uint64_t offset;         /* in the VFIO device fd */
	uint32_t flags;          /* DP_REGION_* */
	uint32_t n_sparse;       /* mmap-able areas when DP_REGION_SPARSE */
};

/* dp_irq_info.flags */
#define DP_IRQ_EVENTFD (1u << 0)
#define DP_IRQ_MASKABLE (1u << 1)
#define DP_IRQ_AUTOMASKED (1u << 2)
#define DP_IRQ_NORESIZE (1u << 3)
/* Interrupt indexes */
#define DP_IRQ_INTX 0u
#define DP_IRQ_MSI 1u
#define DP_IRQ_MSIX 2u
#define DP_IRQ_ERR 3u
#define DP_IRQ_REQ 4u
/* "intx", "msi", "msix", "err", "req", or NULL (DIRECTPATH_1.10). */
DP_EXPORT const char *dp_irq_name(uint32_t index);
DP_EXPORT int dp_irq_from_name(const char *name, uint32_t *value);

struct dp_irq_info {
	size_t sz;               /* sizeof(struct dp_irq_info) */
	uint32_t flags;          /* DP_IRQ_* flags */
	uint32_t count;          /* vectors */
};

DP_EXPORT const char *dp_vdev_get_bdf(const struct dp_vdev *vdev);
/* Regions and interrupt indexes the device has. */
DP_EXPORT uint32_t dp_vdev_get_region_count(const struct dp_vdev *vdev);
DP_EXPORT uint32_t dp_vdev_get_irq_count(const struct dp_vdev *vdev);
/* 1 when VFIO_DEVICE_RESET is supported. */
DP_EXPORT int dp_vdev_can_reset(const struct dp_vdev *vdev);
DP_EXPORT int dp_vdev_get_region_info(const struct dp_vdev *vdev, uint32_t index,
				      struct dp_region_info *info);
/* The area-th mmap-able part of a sparse region. */
DP_EXPORT int dp_vdev_get_sparse_area(const struct dp_vdev *vdev, uint32_t index,
				      uint32_t area, uint64_t *offset, uint64_t *size);
/* Reads or writes len bytes at offset of a region (the trapped path); 0 or -errno. */
DP_EXPORT int dp_vdev_region_read(struct dp_vdev *vdev, uint32_t index, uint64_t offset,
				  void *buf, size_t len);
DP_EXPORT int dp_vdev_region_write(struct dp_vdev *vdev, uint32_t index, uint64_t offset,
				   const void *buf, size_t len);
/* Config space: the same on DP_REGION_CONFIG. */
DP_EXPORT int dp_vdev_config_read(struct dp_vdev *vdev, uint32_t offset, void *buf, size_t len);
DP_EXPORT int dp_vdev_config_write(struct dp_vdev *vdev, uint32_t offset, const void *buf,
				   size_t len);
/* Maps a region (sparse areas only, the rest PROT_NONE); the library unmaps it. */
DP_EXPORT int dp_vdev_map_region(struct dp_vdev *vdev, uint32_t index, void **addr);
DP_EXPORT int dp_vdev_unmap_region(struct dp_vdev *vdev, uint32_t index);
DP_EXPORT int dp_vdev_get_irq_info(const struct dp_vdev *vdev, uint32_t index,
				   struct dp_irq_info *info);
/* Wires vectors start..start+count-1 to eventfds (-1: unwire that one); count 0 disables the index. */
DP_EXPORT int dp_vdev_set_irq_eventfds(struct dp_vdev *vdev, uint32_t index, uint32_t start,
				       uint32_t count, const int32_t *fds);
DP_EXPORT int dp_vdev_mask_irq(struct dp_vdev *vdev, uint32_t index, uint32_t vector);
DP_EXPORT int dp_vdev_unmask_irq(struct dp_vdev *vdev, uint32_t index, uint32_t vector);
/* VFIO_DEVICE_RESET. */
DP_EXPORT int dp_vdev_reset(struct dp_vdev *vdev);
/*
 * The device's option ROM read through VFIO's ROM region and validated as
 * dp_device_get_rom_status does: *image (owned by the vdev, kept until the
 * detach) and *len, the validated images without the BAR's padding.
 * -ENOENT without a ROM BAR, -EBADMSG for a missing or invalid image (the
 * reason logged), -EIO when it cannot be read (DIRECTPATH_1.11).
 */
DP_EXPORT int dp_vdev_get_rom(struct dp_vdev *vdev, const void **image, size_t *len);
/*
 * The device's VFIO migration, asked when dp_attach opened it; kept and lost
 * count the attachment's devices. 0 or -EINVAL (DIRECTPATH_1.12).
 */
DP_EXPORT int dp_vdev_get_migration(const struct dp_vdev *vdev, struct dp_migration_info *info);

/*
 * The direct path (DP_ATTACH_KVM): a BAR placed straight into guest memory
 * in KVM memory slots from the VMM's range, so guest accesses reach the
 * device without an exit; the MSI-X table and PBA pages stay trapped. When
 * the guest moves the BAR, unmap it and map it at the new address.
 */
DP_EXPORT int dp_vdev_map_bar(struct dp_vdev *vdev, uint32_t bar, uint64_t gpa);
DP_EXPORT int dp_vdev_unmap_bar(struct dp_vdev *vdev, uint32_t bar);

/*
 * MSI and MSI-X straight to the guest (DP_ATTACH_KVM with a GSI range): the
 * vector's eventfd is bound with KVM_IRQFD to a GSI routed to the MSI the
 * guest programmed (address, data), so interrupts reach the guest without
 * the VMM's thread. The library then owns the VM's GSI routing table (KVM's
 * default irqchip routes plus its own). Calling it again updates the route.
 */
DP_EXPORT int dp_vdev_route_msi(struct dp_vdev *vdev, uint32_t index, uint32_t vector,
				uint64_t address, uint32_t data);
DP_EXPORT int dp_vdev_unroute_msi(struct dp_vdev *vdev, uint32_t index, uint32_t vector);
/*
 * INTx straight to the guest (DP_ATTACH_KVM): the device's line drives the
 * irqchip GSI gsi (the pin the VMM's interrupt line maps to) through an
 * irqfd with a resample eventfd, on which VFIO unmasks the line after the
 * guest's EOI.
 */
DP_EXPORT int dp_vdev_route_intx(struct dp_vdev *vdev, uint32_t gsi);
DP_EXPORT int dp_vdev_unroute_intx(struct dp_vdev *vdev);
/*
 * The trapped MSI-X table and PBA: a guest access to BAR bar at offset that
 * exited to the VMM. Returns 1 when it was MSI-X's (emulated: the table is a
 * shadow, and vectors are routed as the guest unmasks them), 0 when it was
 * not (forward it with dp_vdev_region_read/write), or a negative errno.
 */
DP_EXPORT int dp_vdev_msix_access(struct dp_vdev *vdev, uint32_t bar, uint64_t offset,
				  void *buf, size_t len, int write);

/*
 * The guest-facing PCI function (0.9, DIRECTPATH_1.8): what the guest sees
 * of an attached device. A dp_vpci owns its config space (IDs, command,
 * status, BARs with the sizing protocol, the ROM BAR, interrupt line and
 * pin, the capability chain with SR-IOV, ARI and Resizable BAR hidden), the
 * placement of its BARs in guest memory (the mmappable parts in memory
 * slots, the MSI-X table and PBA pages trapped), MSI and MSI-X through
 * irqfd, INTx through irqfd with a resample eventfd, and reset (a guest
 * FLR included). Two ways in, one implementation:
 *  - a function on the VMM's own PCI bus: the VMM forwards config accesses
 *    and trapped BAR accesses, and may decode the BARs itself;
 *  - the library's bus (dp_vbus), for a VMM without PCI emulation, built on
 *    the first way: it answers configuration mechanism #1 and ECAM and
 *    takes the BAR exits.
 * A VMM that owns its memory slots and GSI routing table gives callbacks
 * (dp_vpci_ops); each NULL callback is done by the library on the VM fd
 * given to dp_attach (DP_ATTACH_KVM, its slot and GSI ranges).
 */
struct dp_vpci;
struct dp_vbus;

/* The VMM's own slots and routes; opaque is dp_vpci_opts.opaque. 0 or -errno. */
struct dp_vpci_ops {
	size_t sz;               /* sizeof(struct dp_vpci_ops) */
	/* Guest memory [gpa, gpa + size) on host memory hva, which is fd at fd_offset. */
	int (*map_mem)(void *opaque, uint64_t gpa, uint64_t size, void *hva, int32_t fd,
		       uint64_t fd_offset);
	int (*unmap_mem)(void *opaque, uint64_t gpa, uint64_t size);
	/* Routes gsi (-1: a new one, returned in *gsi_out) to the MSI (address, data). */
	int (*msi_route)(void *opaque, int32_t gsi, uint64_t address, uint32_t data,
			 uint32_t devid, uint32_t *gsi_out);
	int (*msi_unroute)(void *opaque, uint32_t gsi);
	/* Binds (assign 1) or unbinds (0) eventfd fd to gsi; resample_fd -1 for edge. */
	int (*irqfd)(void *opaque, uint32_t gsi, int32_t fd, int32_t resample_fd, int32_t assign);
};

/* dp_vpci_opts.flags */
#define DP_VPCI_INTX (1u << 0)         /* INTx drives intx_gsi */
#define DP_VPCI_INTX_EOI (1u << 1)     /* no resample eventfd: the VMM calls dp_vpci_intx_eoi */
#define DP_VPCI_CONVENTIONAL (1u << 2) /* a 256-byte view: no PCIe, no extended capabilities */
#define DP_VPCI_VMM_DECODES (1u << 3)  /* BARs decode only where dp_vpci_place_bar puts them */
/* dp_vpci_opts.show_caps: capabilities hidden by default, shown when set */
#define DP_VPCI_CAP_SRIOV (1u << 0)
#define DP_VPCI_CAP_ARI (1u << 1)
#define DP_VPCI_CAP_REBAR (1u << 2)
#define DP_VPCI_CAP_VF_REBAR (1u << 3)

struct dp_vpci_opts {
	size_t sz;               /* sizeof(struct dp_vpci_opts) */
	uint32_t flags;          /* DP_VPCI_* */
	uint32_t intx_gsi;       /* the GSI the INTx pin drives (DP_VPCI_INTX) */
	uint32_t show_caps;      /* DP_VPCI_CAP_* to show anyway */
	uint32_t devid;          /* passed to ops->msi_route: the guest's requester ID */
	const struct dp_vpci_ops *ops; /* NULL: every job on the VM fd */
	void *opaque;            /* the ops' first argument */
};

/* The guest-facing function of vdev, whose attachment must outlive it. */
DP_EXPORT int dp_vpci_new(struct dp_vdev *vdev, const struct dp_vpci_opts *opts,
			  struct dp_vpci **out);
DP_EXPORT struct dp_vpci *dp_vpci_ref(struct dp_vpci *vpci);
/* The last reference removes its slots, routes and irqfds, and disables its interrupts. */
DP_EXPORT struct dp_vpci *dp_vpci_unref(struct dp_vpci *vpci);
DP_EXPORT struct dp_vdev *dp_vpci_get_vdev(const struct dp_vpci *vpci);
/* The DP_VPCI_* flags it was made with. */
DP_EXPORT uint32_t dp_vpci_get_flags(const struct dp_vpci *vpci);
/* The size of its config space as the guest sees it: 256 or up to 4096. */
DP_EXPORT uint32_t dp_vpci_get_config_size(const struct dp_vpci *vpci);

/* Config space as the guest sees it: any width and alignment within it. */
DP_EXPORT int dp_vpci_config_read(struct dp_vpci *vpci, uint32_t offset, void *buf, size_t len);
/* *changed (may be NULL): bit i when BAR i's decode changed, bit 6 the ROM's. */
DP_EXPORT int dp_vpci_config_write(struct dp_vpci *vpci, uint32_t offset, const void *buf,
				   size_t len, uint32_t *changed);

#define DP_VPCI_ROM 6u          /* the ROM BAR's index in the BAR calls */
/* dp_vpci_bar_info.flags */
#define DP_VPCI_BAR_MEM (1u << 0)
#define DP_VPCI_BAR_IO (1u << 1)
#define DP_VPCI_BAR_64 (1u << 2)        /* takes this register and the next */
#define DP_VPCI_BAR_PREFETCH (1u << 3)
#define DP_VPCI_BAR_ENABLED (1u << 4)   /* programmed, and the command register decodes it */
#define DP_VPCI_BAR_PLACED (1u << 5)    /* decodes at .placed */
#define DP_VPCI_BAR_DIRECT (1u << 6)    /* in memory slots: only the trap ranges exit */

struct dp_vpci_bar_info {
	size_t sz;               /* sizeof(struct dp_vpci_bar_info) */
	uint64_t size;           /* 0: no BAR there (or the upper half of a 64-bit one) */
	uint64_t address;        /* what the guest programmed */
	uint64_t placed;         /* where it decodes (DP_VPCI_BAR_PLACED) */
	uint32_t flags;          /* DP_VPCI_BAR_* */
	uint32_t n_traps;        /* ranges of it that exit (dp_vpci_get_trap) */
};

DP_EXPORT int dp_vpci_get_bar_info(const struct dp_vpci *vpci, uint32_t bar,
				   struct dp_vpci_bar_info *info);
/* The index-th range of BAR bar (offsets) whose guest accesses exit to the VMM. */
DP_EXPORT int dp_vpci_get_trap(const struct dp_vpci *vpci, uint32_t bar, uint32_t index,
			       uint64_t *offset, uint64_t *size);
/* DP_VPCI_VMM_DECODES: BAR bar now decodes at address, or no longer decodes. */
DP_EXPORT int dp_vpci_place_bar(struct dp_vpci *vpci, uint32_t bar, uint64_t address);
DP_EXPORT int dp_vpci_unplace_bar(struct dp_vpci *vpci, uint32_t bar);
/* A trapped guest access at offset into BAR bar: MSI-X table and PBA, the rest, I/O, ROM. */
DP_EXPORT int dp_vpci_bar_read(struct dp_vpci *vpci, uint32_t bar, uint64_t offset, void *buf,
			       size_t len);
DP_EXPORT int dp_vpci_bar_write(struct dp_vpci *vpci, uint32_t bar, uint64_t offset,
				const void *buf, size_t len);
/* DP_VPCI_INTX_EOI: the guest ended the INTx interrupt; the device may raise it again. */
DP_EXPORT int dp_vpci_intx_eoi(struct dp_vpci *vpci);
/* Resets the device and the guest's view of it, as a VM reset does. */
DP_EXPORT int dp_vpci_reset(struct dp_vpci *vpci);

/* dp_vbus_opts.flags */
#define DP_VBUS_CF8 (1u << 0)          /* configuration mechanism #1 on ports 0xcf8-0xcff */
#define DP_VBUS_HOST_BRIDGE (1u << 1)  /* a host bridge at slot 0 */

struct dp_vbus_opts {
	size_t sz;               /* sizeof(struct dp_vbus_opts) */
	uint32_t flags;          /* DP_VBUS_* */
	uint32_t bus_number;     /* the bus number config accesses name */
	uint64_t ecam_base;      /* the ECAM window (1 MiB per bus from bus 0); 0: none */
	uint64_t mmio_base;      /* where BARs may decode below 4 GiB */
	uint64_t mmio_size;
	uint64_t mmio64_base;    /* and above */
	uint64_t mmio64_size;
	uint64_t io_base;        /* where I/O BARs may decode */
	uint64_t io_size;
};

DP_EXPORT int dp_vbus_new(struct dp_ctx *ctx, const struct dp_vbus_opts *opts,
			  struct dp_vbus **out);
DP_EXPORT struct dp_vbus *dp_vbus_ref(struct dp_vbus *bus);
DP_EXPORT struct dp_vbus *dp_vbus_unref(struct dp_vbus *bus);
/* Puts a function at slot (1..31; 0 too without a host bridge); takes a reference. */
DP_EXPORT int dp_vbus_add(struct dp_vbus *bus, uint32_t slot, struct dp_vpci *vpci);
/* Takes the function at slot off the bus (hot remove): BARs unplaced, reference dropped (DIRECTPATH_1.12). */
DP_EXPORT int dp_vbus_remove(struct dp_vbus *bus, uint32_t slot);
/* A port-I/O or MMIO exit: 1 when the bus took it, 0 when not its, or -errno. */
DP_EXPORT int dp_vbus_pio(struct dp_vbus *bus, uint16_t port, void *data, size_t len, int write);
DP_EXPORT int dp_vbus_mmio(struct dp_vbus *bus, uint64_t address, void *data, size_t len,
			   int write);
/* dp_vpci_reset on every function. */
DP_EXPORT int dp_vbus_reset(struct dp_vbus *bus);

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPATH_DIRECTPATH_H */
