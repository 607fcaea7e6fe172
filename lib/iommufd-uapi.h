/* SPDX-License-Identifier: MIT */
/*
 * The iommufd uAPI (linux/iommufd.h, Linux 6.2) and the VFIO device cdev
 * ioctls (linux/vfio.h, Linux 6.6) this library uses. Debian 12's
 * linux-libc-dev (6.1) has none of them: each group is defined here with
 * the kernel's layout and numbers, and yields to the system's header where
 * it has them. tests/vfio/check-uapi.sh compares every size, offset and
 * ioctl number against the uapi headers of the kernel the guest tests run.
 */
#ifndef DP_IOMMUFD_UAPI_H
#define DP_IOMMUFD_UAPI_H

#include <linux/ioctl.h>
#include <linux/kvm.h>
#include <linux/types.h>
#include <linux/vfio.h>

#if defined(__has_include)
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#endif

/* linux/iommufd.h: the iommufd object (/dev/iommu), Linux 6.2. */
#ifndef IOMMU_IOAS_ALLOC
#define DP_IOMMUFD_UAPI_PRIVATE 1 /* these definitions, not the system's (check-uapi.sh) */
#define IOMMUFD_TYPE (';')
#define IOMMUFD_CMD_DESTROY 0x80
#define IOMMUFD_CMD_IOAS_ALLOC 0x81
#define IOMMUFD_CMD_IOAS_IOVA_RANGES 0x84
#define IOMMUFD_CMD_IOAS_MAP 0x85
#define IOMMUFD_CMD_IOAS_UNMAP 0x86
#define IOMMUFD_CMD_OPTION 0x87

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)
#endif /* IOMMU_IOAS_ALLOC */

/* linux/vfio.h: a device opened through its cdev (/dev/vfio/devices/vfioN), Linux 6.6. */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
#define DP_VFIO_CDEV_UAPI_PRIVATE 1
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

/*
 * linux/vfio.h: a PCI hot reset's affected functions by device ID, for a
 * device opened through its cdev, Linux 6.5. 6.1's struct
 * vfio_pci_dependent_device has group_id alone where 6.5 has a union of it
 * and devid (same offset and size): DP_VFIO_DEP_DEVID reads either.
 */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define DP_VFIO_HOT_RESET_UAPI_PRIVATE 1
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)
#define VFIO_PCI_DEVID_OWNED 0
#define VFIO_PCI_DEVID_NOT_OWNED -1
#define DP_VFIO_DEP_DEVID(dep) ((dep)->group_id)
#else
#define DP_VFIO_DEP_DEVID(dep) ((dep)->devid)
#endif /* VFIO_PCI_HOT_RESET_FLAG_DEV_ID */

/*
 * linux/kvm.h: the KVM-VFIO device takes a group or a device fd under
 * these names since Linux 6.6; the values are the group ones of before.
 */
#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE 1
#define KVM_DEV_VFIO_FILE_ADD 1
#define KVM_DEV_VFIO_FILE_DEL 2
#endif

#endif
