/* SPDX-License-Identifier: MIT */
/* What the host can do for passthrough: IOMMU, interrupt remapping, VFIO, KVM, memlock. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "sysfs.h"

#define DP_PROC_INTERRUPTS "/proc/interrupts"

bool dp_caps_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0) /* glibc has no wrapper; libcap would be a dependency */
		return false;
	return d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}
#define DP_INTEL_ECAP_IR (UINT64_C(1) << 3) /* VT-d ECAP: Interrupt Remapping support */

/* Intel: any dmar* whose ECAP has IR; AMD: ivhd* and an "IR-" irq chip in use. */
static void probe_iommus(struct dp_ctx *ctx, struct dp_host_caps *caps)
{
	DIR *d = opendir(DP_SYS_CLASS_IOMMU);
	struct dirent *de;
	bool intel = false, amd = false, other = false, intel_ir = false;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strncmp(de->d_name, "dmar", 4) == 0) {
			char path[300];
			uint64_t ecap;
			int r;

			intel = true;
			snprintf(path, sizeof(path), "%s/intel-iommu/ecap", de->d_name);
			r = dp_sysfs_read_u64(dirfd(d), path, 16, UINT64_MAX, &ecap);
			if (r == 0 && (ecap & DP_INTEL_ECAP_IR))
				intel_ir = true;
			else if (r < 0)
				dp_warn(ctx, "%s/%s: %s", DP_SYS_CLASS_IOMMU, path,
					r == -EINVAL ? "not a hex number" : strerror(-r));
		} else if (strncmp(de->d_name, "ivhd", 4) == 0) {
			amd = true;
		} else {
			other = true;
		}
	}
	closedir(d);
	if (!intel && !amd && !other)
		return;
	caps->flags |= DP_HOST_IOMMU;
	caps->iommu_kind = intel ? DP_IOMMU_INTEL : amd ? DP_IOMMU_AMD : DP_IOMMU_OTHER;
	if (intel_ir)
		caps->flags |= DP_HOST_IRQ_REMAP;
	if (amd && !intel) {
		FILE *f = fopen(DP_PROC_INTERRUPTS, "re");
		char line[1024];

		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, " IR-")) {
				caps->flags |= DP_HOST_IRQ_REMAP;
				break;
			}
		if (f)
			fclose(f);
	}
}

static int count_groups(void)
{
	DIR *d = opendir(DP_SYS_IOMMU_GROUPS);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

/* vfio-pci built in or present as a module of the running kernel. */
static bool vfio_pci_loadable(void)
{
	static const char *const lists[] = { "modules.builtin", "modules.dep" };
	struct utsname u;

	if (uname(&u) < 0)
		return false;
	for (size_t i = 0; i < 2; i++) {
		char path[512], line[1024];
		FILE *f;
		bool found = false;

		snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release, lists[i]);
		f = fopen(path, "re");
		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, "/vfio-pci.ko") != NULL;
		if (f)
			fclose(f);
		if (found)
			return true;
	}
	return false;
}

static int kvm_api_version(void)
{
	int fd = open(DP_DEV_KVM, O_RDWR | O_CLOEXEC);
	int v;

	if (fd < 0)
		return -1;
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return v < 0 ? -1 : v;
}

/* What dp_policy_check reads of the host: the IOMMU, its groups, interrupt remapping, vfio-pci. */
static void read_policy_caps(struct dp_ctx *ctx, struct dp_host_caps *caps)
{
	struct stat st;
	char buf[16];
	int r;

	probe_iommus(ctx, caps);
	caps->iommu_group_count = count_groups();
	if (caps->iommu_group_count > 0)
		caps->flags |= DP_HOST_IOMMU_GROUPS;
	r = dp_sysfs_read(AT_FDCWD, DP_SYS_VFIO_UNSAFE_INTERRUPTS, buf, sizeof(buf));
	if (r > 0 && (buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1'))
		caps->flags |= DP_HOST_UNSAFE_INTERRUPTS;
	if (stat(DP_SYS_PCI_DRIVERS "/" DP_VFIO_PCI_DRIVER, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		caps->flags |= DP_HOST_VFIO_PCI | DP_HOST_VFIO_PCI_MODULE;
	else if (vfio_pci_loadable())
		caps->flags |= DP_HOST_VFIO_PCI_MODULE;
}

void dp_caps_refresh_policy(struct dp_ctx *ctx, struct dp_host_caps *caps)
{
	struct dp_host_caps now = { .sz = sizeof(now) };

	read_policy_caps(ctx, &now);
	caps->flags = (caps->flags & ~DP_CAPS_POLICY_FLAGS) | now.flags;
	caps->iommu_kind = now.iommu_kind;
	caps->iommu_group_count = now.iommu_group_count;
}

int dp_caps_read(struct dp_ctx *ctx, struct dp_host_caps *out)
{
	struct dp_host_caps caps = { .sz = sizeof(caps) };
	struct rlimit rl;
	struct stat st;

	read_policy_caps(ctx, &caps);
	if (stat(DP_DEV_VFIO_CONTAINER, &st) == 0 && S_ISCHR(st.st_mode))
		caps.flags |= DP_HOST_VFIO;
	caps.kvm_api_version = kvm_api_version();
	if (caps.kvm_api_version == KVM_API_VERSION)
		caps.flags |= DP_HOST_KVM;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		caps.memlock_cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
		caps.memlock_max = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	}
	dp_dbg(ctx, "host: iommu kind %u, flags %#x, %d groups, kvm api %d",
	       caps.iommu_kind, caps.flags, caps.iommu_group_count,
	       caps.kvm_api_version);
	*out = caps;
	return 0;
}

int dp_ctx_get_host_caps(struct dp_ctx *ctx, struct dp_host_caps *out)
{
	struct dp_host_caps caps;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !out))
		return -EINVAL;
	if (out->sz < offsetof(struct dp_host_caps, memlock_max) + sizeof(uint64_t) ||
	    out->sz > DP_OPTS_SZ_MAX) {
		dp_err(ctx, "BUG: dp_ctx_get_host_caps: struct dp_host_caps has sz %zu",
		       out->sz);
		return -EINVAL;
	}
	dp_caps_read(ctx, &caps);
	return dp_info_copy_out(out, offsetof(struct dp_host_caps, memlock_max) + sizeof(uint64_t),
				&caps, sizeof(caps));
}
