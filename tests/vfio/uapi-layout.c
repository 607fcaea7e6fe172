/* SPDX-License-Identifier: MIT */
/*
 * Prints the layout of everything lib/iommufd-uapi.h defines: each
 * struct's size and each field's offset and size, each ioctl number and
 * constant. check-uapi.sh builds it against the system's headers (the
 * library's own definitions) and against a kernel's uapi headers, and
 * compares the two outputs.
 */
#include <stddef.h>
#include <stdio.h>

#include "iommufd-uapi.h"

#define S(type) printf("sizeof %s %zu\n", #type, sizeof(struct type))
#define F(type, field)                                                               \
	printf("%s.%s offset %zu size %zu\n", #type, #field, offsetof(struct type, field), \
	       sizeof(((struct type *)0)->field))
#define N(name) printf("%s %#llx\n", #name, (unsigned long long)(name))

int main(void)
{
#ifdef DP_IOMMUFD_UAPI_PRIVATE
	printf("#iommufd: the library's definitions\n");
#else
	printf("#iommufd: the system's linux/iommufd.h\n");
#endif
#ifdef DP_VFIO_CDEV_UAPI_PRIVATE
	printf("#vfio cdev: the library's definitions\n");
#else
	printf("#vfio cdev: the system's linux/vfio.h\n");
#endif
#ifdef DP_VFIO_HOT_RESET_UAPI_PRIVATE
	printf("#vfio hot reset by device ID: the library's definitions\n");
#else
	printf("#vfio hot reset by device ID: the system's linux/vfio.h\n");
#endif
	S(iommu_destroy);
	F(iommu_destroy, size);
	F(iommu_destroy, id);
	S(iommu_ioas_alloc);
	F(iommu_ioas_alloc, size);
	F(iommu_ioas_alloc, flags);
	F(iommu_ioas_alloc, out_ioas_id);
	S(iommu_iova_range);
	F(iommu_iova_range, start);
	F(iommu_iova_range, last);
	S(iommu_ioas_iova_ranges);
	F(iommu_ioas_iova_ranges, size);
	F(iommu_ioas_iova_ranges, ioas_id);
	F(iommu_ioas_iova_ranges, num_iovas);
	F(iommu_ioas_iova_ranges, __reserved);
	F(iommu_ioas_iova_ranges, allowed_iovas);
	F(iommu_ioas_iova_ranges, out_iova_alignment);
	S(iommu_ioas_map);
	F(iommu_ioas_map, size);
	F(iommu_ioas_map, flags);
	F(iommu_ioas_map, ioas_id);
	F(iommu_ioas_map, __reserved);
	F(iommu_ioas_map, user_va);
	F(iommu_ioas_map, length);
	F(iommu_ioas_map, iova);
	S(iommu_ioas_unmap);
	F(iommu_ioas_unmap, size);
	F(iommu_ioas_unmap, ioas_id);
	F(iommu_ioas_unmap, iova);
	F(iommu_ioas_unmap, length);
	S(iommu_option);
	F(iommu_option, size);
	F(iommu_option, option_id);
	F(iommu_option, op);
	F(iommu_option, __reserved);
	F(iommu_option, object_id);
	F(iommu_option, val64);
	S(vfio_device_bind_iommufd);
	F(vfio_device_bind_iommufd, argsz);
	F(vfio_device_bind_iommufd, flags);
	F(vfio_device_bind_iommufd, iommufd);
	F(vfio_device_bind_iommufd, out_devid);
	S(vfio_device_attach_iommufd_pt);
	F(vfio_device_attach_iommufd_pt, argsz);
	F(vfio_device_attach_iommufd_pt, flags);
	F(vfio_device_attach_iommufd_pt, pt_id);
	S(vfio_device_detach_iommufd_pt);
	F(vfio_device_detach_iommufd_pt, argsz);
	F(vfio_device_detach_iommufd_pt, flags);
	S(vfio_pci_dependent_device);
	F(vfio_pci_dependent_device, group_id);
	{
		struct vfio_pci_dependent_device dep;

		printf("vfio_pci_dependent_device.devid offset %zu size %zu\n",
		       (size_t)((char *)&DP_VFIO_DEP_DEVID(&dep) - (char *)&dep),
		       sizeof(DP_VFIO_DEP_DEVID(&dep)));
	}
	F(vfio_pci_dependent_device, segment);
	F(vfio_pci_dependent_device, bus);
	F(vfio_pci_dependent_device, devfn);
	S(vfio_pci_hot_reset_info);
	F(vfio_pci_hot_reset_info, argsz);
	F(vfio_pci_hot_reset_info, flags);
	F(vfio_pci_hot_reset_info, count);
	printf("vfio_pci_hot_reset_info.devices offset %zu\n",
	       offsetof(struct vfio_pci_hot_reset_info, devices));
	S(vfio_pci_hot_reset);
	F(vfio_pci_hot_reset, argsz);
	F(vfio_pci_hot_reset, flags);
	F(vfio_pci_hot_reset, count);
	printf("vfio_pci_hot_reset.group_fds offset %zu\n",
	       offsetof(struct vfio_pci_hot_reset, group_fds));
	N(IOMMU_DESTROY);
	N(IOMMU_IOAS_ALLOC);
	N(IOMMU_IOAS_IOVA_RANGES);
	N(IOMMU_IOAS_MAP);
	N(IOMMU_IOAS_UNMAP);
	N(IOMMU_OPTION);
	N(IOMMU_IOAS_MAP_FIXED_IOVA);
	N(IOMMU_IOAS_MAP_WRITEABLE);
	N(IOMMU_IOAS_MAP_READABLE);
	N(IOMMU_OPTION_RLIMIT_MODE);
	N(IOMMU_OPTION_OP_SET);
	N(IOMMU_OPTION_OP_GET);
	N(VFIO_DEVICE_BIND_IOMMUFD);
	N(VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	N(VFIO_DEVICE_DETACH_IOMMUFD_PT);
	N(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	N(VFIO_DEVICE_PCI_HOT_RESET);
	N(VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	N(VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	N(VFIO_PCI_DEVID_OWNED);
	N(VFIO_PCI_DEVID_NOT_OWNED);
	N(KVM_DEV_VFIO_FILE);
	N(KVM_DEV_VFIO_FILE_ADD);
	N(KVM_DEV_VFIO_FILE_DEL);
	return 0;
}
