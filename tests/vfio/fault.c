/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "fault.h"
#include "../../lib/iommufd-uapi.h"

static bool armed;
static long calls, fail_at;
static int fail_errno, failed_errno;
static const char *failed_kind;
static unsigned long failed_request;
static char failed_name[128];
static bool failed_undoes;

void dp_fault_arm(long nth, int err)
{
	calls = 0;
	failed_kind = NULL;
	failed_name[0] = '\0';
	failed_undoes = false;
	failed_errno = 0;
	fail_at = nth;
	fail_errno = err;
	armed = true;
}

static unsigned long fail_request; /* dp_fault_arm_ioctl's, until it has failed once */
static int fail_request_errno;

void dp_fault_arm_ioctl(unsigned long req, int err)
{
	fail_request = req;
	fail_request_errno = err;
}

long dp_fault_disarm(void)
{
	armed = false;
	fail_request = 0;
	return calls;
}

unsigned long dp_fault_failed_request(void)
{
	return failed_request;
}

const char *dp_fault_failed_kind(void)
{
	return failed_kind;
}

const char *dp_fault_failed_name(void)
{
	return failed_name;
}

int dp_fault_failed_errno(void)
{
	return failed_errno;
}

int dp_fault_failed_undoes(void)
{
	return failed_undoes;
}

/* The ioctls the backend makes, by name. */
static const struct {
	unsigned long req;
	const char *name;
	int err; /* what the kernel says when it refuses */
} ioctls[] = {
	{ KVM_GET_API_VERSION, "KVM_GET_API_VERSION", EINVAL },
	{ KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION", EINVAL },
	{ KVM_CREATE_DEVICE, "KVM_CREATE_DEVICE", ENOMEM },
	{ KVM_SET_DEVICE_ATTR, "KVM_SET_DEVICE_ATTR", EBUSY },
	{ KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", EEXIST },
	{ KVM_SET_GSI_ROUTING, "KVM_SET_GSI_ROUTING", ENOMEM },
	{ KVM_IRQFD, "KVM_IRQFD", EBUSY },
	{ VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION", EINVAL },
	{ VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION", EINVAL },
	{ VFIO_SET_IOMMU, "VFIO_SET_IOMMU", EPERM },
	{ VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO", EINVAL },
	{ VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA", ENOMEM },
	{ VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA", EINVAL },
	{ VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS", EINVAL },
	{ VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER", EBUSY },
	{ VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER", EBUSY },
	{ VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD", EBUSY },
	{ VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO", EINVAL },
	{ VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO", ENOMEM },
	{ VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO", ENOMEM },
	{ VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS", EINVAL },
	{ VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET", EAGAIN },
	{ VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD", EBUSY },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", EINVAL },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, "VFIO_DEVICE_DETACH_IOMMUFD_PT", EINVAL },
	{ IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC", ENOMEM },
	{ IOMMU_IOAS_IOVA_RANGES, "IOMMU_IOAS_IOVA_RANGES", EINVAL },
	{ IOMMU_IOAS_MAP, "IOMMU_IOAS_MAP", ENOMEM },
	{ IOMMU_IOAS_UNMAP, "IOMMU_IOAS_UNMAP", ENOENT },
	{ IOMMU_OPTION, "IOMMU_OPTION", EOPNOTSUPP },
	{ IOMMU_DESTROY, "IOMMU_DESTROY", EBUSY },
};

/* Names an ioctl, with what its argument says where that matters; its errno, and whether it undoes. */
static int describe_ioctl(unsigned long req, const void *arg, char *buf, size_t size, bool *undoes)
{
	const char *name = NULL;
	int err = EIO;

	*undoes = false;
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (ioctls[i].req == req) {
			name = ioctls[i].name;
			err = ioctls[i].err;
		}
	if (!name) {
		snprintf(buf, size, "ioctl %#lx", req);
		return err;
	}
	if (req == KVM_SET_USER_MEMORY_REGION && arg) {
		const struct kvm_userspace_memory_region *m = arg;

		*undoes = m->memory_size == 0;
		snprintf(buf, size, "ioctl %s (slot %u, %s)", name, m->slot,
			 *undoes ? "delete" : "create");
		return *undoes ? EINVAL : EEXIST;
	}
	if (req == KVM_IRQFD && arg) {
		const struct kvm_irqfd *f = arg;

		*undoes = f->flags & KVM_IRQFD_FLAG_DEASSIGN;
		snprintf(buf, size, "ioctl %s (%s GSI %u%s)", name, *undoes ? "deassign" : "assign",
			 f->gsi, f->flags & KVM_IRQFD_FLAG_RESAMPLE ? ", resample" : "");
		return *undoes ? EBADF : EBUSY;
	}
	if (req == KVM_SET_GSI_ROUTING && arg) {
		snprintf(buf, size, "ioctl %s (%u entries)", name,
			 ((const struct kvm_irq_routing *)arg)->nr);
		return err;
	}
	if (req == KVM_SET_DEVICE_ATTR && arg) {
		const struct kvm_device_attr *a = arg;

		*undoes = a->group == KVM_DEV_VFIO_GROUP && a->attr == KVM_DEV_VFIO_GROUP_DEL;
		snprintf(buf, size, "ioctl %s (%s)", name, *undoes ? "group del" : "group add");
		return *undoes ? ENOENT : EBUSY;
	}
	if (req == VFIO_DEVICE_SET_IRQS && arg) {
		const struct vfio_irq_set *s = arg;

		*undoes = s->count == 0;
		snprintf(buf, size, "ioctl %s (index %u, %u from %u, %s%s)", name, s->index, s->count,
			 s->start, s->flags & VFIO_IRQ_SET_DATA_EVENTFD ? "eventfds" : "none",
			 s->flags & VFIO_IRQ_SET_ACTION_UNMASK ? ", unmask" : "");
		return err;
	}
	*undoes = req == VFIO_IOMMU_UNMAP_DMA || req == VFIO_GROUP_UNSET_CONTAINER ||
		  req == VFIO_DEVICE_RESET;
	snprintf(buf, size, "ioctl %s", name);
	return err;
}

static bool hit(const char *kind, unsigned long req, const void *arg, int err)
{
	if (fail_request && req == fail_request && strcmp(kind, "ioctl") == 0) {
		fail_request = 0; /* once, apart from the count */
		errno = fail_request_errno;
		return true;
	}
	if (!armed)
		return false;
	if (++calls != fail_at)
		return false;
	failed_kind = kind;
	if (strcmp(kind, "ioctl") == 0) {
		failed_request = req;
		err = describe_ioctl(req, arg, failed_name, sizeof(failed_name), &failed_undoes);
	} else {
		snprintf(failed_name, sizeof(failed_name), "%s", kind);
	}
	failed_errno = fail_errno == DP_FAULT_PLAUSIBLE ? err : fail_errno;
	errno = failed_errno;
	return true;
}

/* ---- The KVM state the VMM side can see, from the calls that succeeded. ---- */

#define MAX_TRACKED 256

struct slot { int vm; uint32_t slot; };
struct irqfd { int vm, fd; uint32_t gsi; };
struct route { int vm; uint32_t gsi; };

static struct slot slots[MAX_TRACKED];
static unsigned n_slots;
static struct irqfd irqfds[MAX_TRACKED];
static unsigned n_irqfds;
static struct route msi_routes[MAX_TRACKED];
static unsigned n_msi_routes;
static unsigned closed_bound;

void dp_fault_kvm_reset(void)
{
	n_slots = n_irqfds = n_msi_routes = closed_bound = 0;
}

/* KVM drops an irqfd when its eventfd's file goes (EPOLLHUP): so does the log. */
static void untrack_fd(int fd)
{
	for (unsigned i = 0; i < n_irqfds;)
		if (irqfds[i].fd == fd) {
			irqfds[i] = irqfds[--n_irqfds];
			closed_bound++;
		} else {
			i++;
		}
}

unsigned dp_fault_kvm_irqfds_closed(void)
{
	unsigned n = closed_bound;

	closed_bound = 0;
	return n;
}

static void track(int fd, unsigned long req, const void *arg)
{
	if (req == KVM_SET_USER_MEMORY_REGION) {
		const struct kvm_userspace_memory_region *m = arg;
		unsigned i;

		for (i = 0; i < n_slots && !(slots[i].vm == fd && slots[i].slot == m->slot); i++)
			;
		if (m->memory_size == 0 && i < n_slots)
			slots[i] = slots[--n_slots];
		else if (m->memory_size && i == n_slots && n_slots < MAX_TRACKED)
			slots[n_slots++] = (struct slot){ fd, m->slot };
	} else if (req == KVM_IRQFD) {
		const struct kvm_irqfd *f = arg;

		if (f->flags & KVM_IRQFD_FLAG_DEASSIGN) {
			for (unsigned i = 0; i < n_irqfds; i++)
				if (irqfds[i].vm == fd && irqfds[i].fd == (int)f->fd &&
				    irqfds[i].gsi == f->gsi) {
					irqfds[i] = irqfds[--n_irqfds];
					break;
				}
		} else if (n_irqfds < MAX_TRACKED) {
			irqfds[n_irqfds++] = (struct irqfd){ fd, (int)f->fd, f->gsi };
		}
	} else if (req == KVM_SET_GSI_ROUTING) {
		const struct kvm_irq_routing *t = arg;
		unsigned n = 0;

		for (unsigned i = 0; i < n_msi_routes; i++)
			if (msi_routes[i].vm != fd)
				msi_routes[n++] = msi_routes[i];
		for (uint32_t i = 0; i < t->nr && n < MAX_TRACKED; i++)
			if (t->entries[i].type == KVM_IRQ_ROUTING_MSI)
				msi_routes[n++] = (struct route){ fd, t->entries[i].gsi };
		n_msi_routes = n;
	}
}

unsigned dp_fault_kvm_slots(int vm, uint32_t base, uint32_t count)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_slots; i++)
		n += slots[i].vm == vm && slots[i].slot >= base && slots[i].slot - base < count;
	return n;
}

unsigned dp_fault_kvm_irqfds(int vm, uint32_t *gsi)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_irqfds; i++)
		if (irqfds[i].vm == vm && n++ == 0 && gsi)
			*gsi = irqfds[i].gsi;
	return n;
}

unsigned dp_fault_kvm_msi_routes(int vm, uint32_t base, uint32_t count)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_msi_routes; i++)
		n += msi_routes[i].vm == vm && msi_routes[i].gsi >= base &&
		     msi_routes[i].gsi - base < count;
	return n;
}

/* ---- The interposed calls ---- */

/* dlsym hands out functions as object pointers; copy the bits (ISO C has no cast). */
#define REAL(var, name)                                         \
	do {                                                    \
		void *p_ = dlsym(RTLD_NEXT, name);              \
		memcpy(&(var), &p_, sizeof(var));               \
	} while (0)

int ioctl(int fd, unsigned long req, ...)
{
	static int (*next)(int, unsigned long, void *);
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		REAL(next, "ioctl");
	if (hit("ioctl", req, arg, EIO))
		return -1;
	r = next(fd, req, arg);
	if (r >= 0 && _IOC_TYPE(req) == KVMIO)
		track(fd, req, arg);
	return r;
}

int open(const char *path, int flags, ...)
{
	static int (*next)(const char *, int, mode_t);
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!next)
		REAL(next, "open");
	if (hit("open", 0, NULL, EMFILE))
		return -1;
	return next(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*next)(int, const char *, int, mode_t);
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!next)
		REAL(next, "openat");
	if (hit("openat", 0, NULL, EMFILE))
		return -1;
	return next(dirfd, path, flags, mode);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*next)(void *, size_t, int, int, int, off_t);

	if (!next)
		REAL(next, "mmap");
	if (hit("mmap", 0, NULL, ENOMEM))
		return MAP_FAILED;
	return next(addr, len, prot, flags, fd, off);
}

int eventfd(unsigned int count, int flags)
{
	static int (*next)(unsigned int, int);

	if (!next)
		REAL(next, "eventfd");
	if (hit("eventfd", 0, NULL, EMFILE))
		return -1;
	return next(count, flags);
}

/* Not a fault point: it follows what KVM forgets when an eventfd is closed. */
int close(int fd)
{
	static int (*next)(int);
	int r;

	if (!next)
		REAL(next, "close");
	r = next(fd);
	if (r == 0 || errno == EINTR)
		untrack_fd(fd);
	return r;
}
