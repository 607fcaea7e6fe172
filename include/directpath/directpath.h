/* SPDX-License-Identifier: MIT */
/*
 * libdirectpath — PCI passthrough for virtual machine monitors.
 *
 * This header is the table of contents of the API. Every function it
 * declares with DP_EXPORT is part of the stable ABI, versioned in
 * lib/libdirectpath.sym; see directpath(7) for the overview.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; out-pointers are written only on success; objects are
 * opaque and reference-counted (_ref/_unref, _unref(NULL) is a no-op and
 * _unref always returns NULL). Option and info structs begin with
 * "size_t sz", which the caller sets to sizeof the struct it was compiled
 * with; fields are only ever appended.
 */
#ifndef DIRECTPATH_DIRECTPATH_H
#define DIRECTPATH_DIRECTPATH_H

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
#define DP_VERSION_MINOR 2
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
 * directories and, in later versions, the host inventory. A program may hold
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
/* The current log priority threshold. */
DP_EXPORT int dp_ctx_get_log_priority(const struct dp_ctx *ctx);

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
#define DP_DEVICE_BRIDGE          (UINT64_C(1) << 0)  /* header type 1 or 2 */
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
/* The kernel's reset_method list ("flr bus"), "" if none, NULL if the kernel lacks it. */
DP_EXPORT const char *dp_device_get_reset_methods(const struct dp_device *dev);
/* An SR-IOV VF's physical function, or NULL. */
DP_EXPORT const char *dp_device_get_physfn(const struct dp_device *dev);
/* True when the device is marked available for passthrough. */
DP_EXPORT int dp_device_is_marked(const struct dp_device *dev);
/* Functions in the device's IOMMU group, itself included (0 without one). */
DP_EXPORT size_t dp_device_get_group_size(const struct dp_device *dev);
/* The index-th member's BDF, in BDF order; NULL past the end. */
DP_EXPORT const char *dp_device_get_group_member(const struct dp_device *dev,
						 size_t index);

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

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPATH_DIRECTPATH_H */
