/* SPDX-License-Identifier: MIT */
/* Small, strict readers and writers of kernel attribute files, dirfd-relative. */
#ifndef DP_SYSFS_H
#define DP_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/* Every sysfs path the library uses, named once. */
#define DP_SYS_BUS_PCI "/sys/bus/pci"
#define DP_SYS_PCI_DEVICES DP_SYS_BUS_PCI "/devices"
#define DP_SYS_PCI_DRIVERS DP_SYS_BUS_PCI "/drivers"
#define DP_SYS_PCI_DRIVERS_PROBE DP_SYS_BUS_PCI "/drivers_probe"
#define DP_SYS_IOMMU_GROUPS "/sys/kernel/iommu_groups"
#define DP_SYS_CLASS_IOMMU "/sys/class/iommu"
#define DP_SYS_VFIO_UNSAFE_INTERRUPTS \
	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
#define DP_VFIO_PCI_DRIVER "vfio-pci"
#define DP_PCI_STUB_DRIVER "pci-stub"

/* Longest attribute the readers accept; longer is garbage, not data. */
#define DP_SYSFS_ATTR_MAX 4096

/*
 * Reads the attribute dirfd/name into buf (NUL-terminated, one trailing
 * newline removed); a read that returns less than asked for is the end, as
 * sysfs hands an attribute over whole. Returns the length, -ENOENT etc. from
 * open/read, or -EFBIG when it does not fit in buf.
 */
int dp_sysfs_read(int dirfd, const char *name, char *buf, size_t size);

/* An unsigned number, hex with 0x (or as base says), up to max; -EINVAL if garbage. */
int dp_sysfs_read_u64(int dirfd, const char *name, int base, uint64_t max,
		      uint64_t *out);

/* A decimal integer in [min, max]; -EINVAL if garbage. */
int dp_sysfs_read_long(int dirfd, const char *name, long min, long max,
		       long *out);

/* The last path component of the symlink dirfd/name; -ENOENT, -EINVAL (not a link). */
int dp_sysfs_readlink_base(int dirfd, const char *name, char *buf, size_t size);

/* Writes value to dirfd/name in one write(2); 0 or -errno. */
int dp_sysfs_write(int dirfd, const char *name, const char *value);

/*
 * Reads up to size bytes of the binary attribute dirfd/name (rom, config)
 * into buf, to the end of the file: the kernel hands such attributes over
 * a page at a time. The length, or -errno from open/read.
 */
long dp_sysfs_read_bin(int dirfd, const char *name, void *buf, size_t size);

#endif
