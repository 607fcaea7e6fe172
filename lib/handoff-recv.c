/* SPDX-License-Identifier: MIT */
/*
 * The VMM's side of a handoff: one message received whole, its description
 * parsed, and each fd checked against its entry with fstat and sysfs alone
 * (the VMM may not open /dev/vfio or /dev/iommu). Anything wrong closes
 * every fd received.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "handoff.h"
#include "parse.h"
#include "procparse.h"
#include "sysfs.h"

/* The character devices' numbers, as sysfs gives them. */
#define SYS_MISC_VFIO "/sys/class/misc/vfio/dev"
#define SYS_MISC_IOMMU "/sys/class/misc/iommu/dev"
#define SYS_VFIO_GROUP_FMT "/sys/class/vfio/%d/dev"

/* "MAJ:MIN" of a sysfs dev attribute; 0 or -errno (-ENOENT: no such node). */
static int read_devnum(const char *path, dev_t *out)
{
	char buf[32];
	uint32_t maj, min;
	int r = dp_sysfs_read(AT_FDCWD, path, buf, sizeof(buf));

	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? -ENOENT : r;
	if (dp_devnum_parse(buf, (size_t)r, &maj, &min) < 0)
		return -EINVAL;
	*out = makedev(maj, min);
	return 0;
}

/* What entry i stands for, for messages: "the container", "IOMMU group 7", ... */
static const char *what(const struct dp_handoff_fd *f, char *buf, size_t size)
{
	switch (f->role) {
	case DP_HANDOFF_FD_CONTAINER:
		return "the VFIO container";
	case DP_HANDOFF_FD_IOMMUFD:
		return "the iommufd";
	case DP_HANDOFF_FD_GROUP:
		snprintf(buf, size, "IOMMU group %d's node", f->group);
		return buf;
	case DP_HANDOFF_FD_DEVICE:
		snprintf(buf, size, "the VFIO device node of %s", f->bdf);
		return buf;
	default:
		snprintf(buf, size, "the lease of %s", f->bdf);
		return buf;
	}
}

/* The fd is the character device sysfs numbers at path (or want, when known). */
static int check_chr(struct dp_handoff *h, size_t i, const char *path, dev_t want, bool known)
{
	struct dp_handoff_fd *f = &h->d.fds[i];
	char buf[64];
	struct stat st;
	int r = known ? 0 : read_devnum(path, &want);

	if (r < 0) {
		dp_err(h->ctx, "handoff of VM \"%s\": fd %zu (%s): %s: %s", h->d.vm_name, i,
		       what(f, buf, sizeof(buf)), path, r == -ENOENT ? "no such device on this host" : strerror(-r));
		return r == -ENOENT ? -ENODEV : r;
	}
	if (fstat(f->fd, &st) < 0) {
		r = -errno;
		dp_err(h->ctx, "handoff of VM \"%s\": fd %zu (%s): %s", h->d.vm_name, i,
		       what(f, buf, sizeof(buf)), strerror(-r));
		return r;
	}
	if (!S_ISCHR(st.st_mode) || st.st_rdev != want) {
		if (S_ISCHR(st.st_mode))
			dp_err(h->ctx, "handoff of VM \"%s\": fd %zu should be %s (character device %u:%u) but is %u:%u",
			       h->d.vm_name, i, what(f, buf, sizeof(buf)), major(want), minor(want),
			       major(st.st_rdev), minor(st.st_rdev));
		else
			dp_err(h->ctx, "handoff of VM \"%s\": fd %zu should be %s (character device %u:%u) but is not a character device",
			       h->d.vm_name, i, what(f, buf, sizeof(buf)), major(want), minor(want));
		return -EBADF;
	}
	return 0;
}

/* In a type1 handoff every device's group has its fd, and every group fd a device. */
static int check_groups(struct dp_handoff *h)
{
	for (size_t i = 0; i < h->d.n_fds; i++) {
		struct dp_handoff_fd *f = &h->d.fds[i];
		char dir[128];
		uint64_t group;
		bool found = false;
		int dfd, r;

		if (f->role != DP_HANDOFF_FD_LEASE)
			continue;
		snprintf(dir, sizeof(dir), DP_SYS_PCI_DEVICES "/%s", f->bdf);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			dp_err(h->ctx, "handoff of VM \"%s\": %s: no such PCI function on this host", h->d.vm_name, f->bdf);
			return -ENODEV;
		}
		{
			char name[32];

			r = dp_sysfs_readlink_base(dfd, "iommu_group", name, sizeof(name));
			close(dfd);
			if (r < 0 || dp_parse_u64(name, 10, INT32_MAX, &group) < 0) {
				dp_err(h->ctx, "handoff of VM \"%s\": %s: no IOMMU group", h->d.vm_name, f->bdf);
				return -ENODEV;
			}
		}
		for (size_t j = 0; j < h->d.n_fds; j++)
			found |= h->d.fds[j].role == DP_HANDOFF_FD_GROUP &&
				 h->d.fds[j].group == (int)group;
		if (!found) {
			dp_err(h->ctx, "handoff of VM \"%s\": %s is in IOMMU group %d, which the handoff has no fd for",
			       h->d.vm_name, f->bdf, (int)group);
			return -EBADMSG;
		}
		f->group = (int)group; /* the lease's device's group, for the check below */
	}
	for (size_t j = 0; j < h->d.n_fds; j++) {
		bool used = false;

		if (h->d.fds[j].role != DP_HANDOFF_FD_GROUP)
			continue;
		for (size_t i = 0; i < h->d.n_fds; i++)
			used |= h->d.fds[i].role == DP_HANDOFF_FD_LEASE &&
				h->d.fds[i].group == h->d.fds[j].group;
		if (!used) {
			dp_err(h->ctx, "handoff of VM \"%s\": fd %zu: IOMMU group %d holds none of the handoff's devices",
			       h->d.vm_name, j, h->d.fds[j].group);
			return -EBADMSG;
		}
	}
	for (size_t i = 0; i < h->d.n_fds; i++)
		if (h->d.fds[i].role == DP_HANDOFF_FD_LEASE)
			h->d.fds[i].group = -1;
	return 0;
}

int dp_handoff_verify(struct dp_handoff *h)
{
	int r = h->d.backend == DP_BACKEND_TYPE1 ? check_groups(h) : 0;

	for (size_t i = 0; r == 0 && i < h->d.n_fds; i++) {
		struct dp_handoff_fd *f = &h->d.fds[i];
		char path[128];
		struct stat st;

		switch (f->role) {
		case DP_HANDOFF_FD_CONTAINER:
			r = check_chr(h, i, SYS_MISC_VFIO, 0, false);
			break;
		case DP_HANDOFF_FD_IOMMUFD:
			r = check_chr(h, i, SYS_MISC_IOMMU, 0, false);
			break;
		case DP_HANDOFF_FD_GROUP:
			snprintf(path, sizeof(path), SYS_VFIO_GROUP_FMT, f->group);
			r = check_chr(h, i, path, 0, false);
			break;
		case DP_HANDOFF_FD_DEVICE: {
			/* Its node as sysfs numbers it (BDF/vfio-dev/vfioN/dev), read by the inventory. */
			char one[1][DP_BDF_LEN];
			const struct dp_device *dev;
			uint32_t maj, min;

			memcpy(one[0], f->bdf, DP_BDF_LEN);
			r = dp_inventory_refresh(h->ctx, one, 1);
			dev = r == 0 ? dp_inventory_lookup(h->ctx, f->bdf) : NULL;
			if (!dev || dp_device_get_vfio_devnum(dev, &maj, &min) < 0) {
				dp_err(h->ctx, "handoff of VM \"%s\": fd %zu: %s has no VFIO device node (%s/%s/vfio-dev)",
				       h->d.vm_name, i, f->bdf, DP_SYS_PCI_DEVICES, f->bdf);
				r = -ENODEV;
				break;
			}
			snprintf(path, sizeof(path), DP_SYS_PCI_DEVICES "/%s/vfio-dev/%s/dev", f->bdf,
				 dev->vfio_dev);
			r = check_chr(h, i, path, makedev(maj, min), true);
			break;
		}
		case DP_HANDOFF_FD_LEASE: /* adopted by dp_attach, which checks the lock and the record */
			if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
				dp_err(h->ctx, "handoff of VM \"%s\": fd %zu should be the lease of %s but is not a regular file",
				       h->d.vm_name, i, f->bdf);
				r = -EBADF;
			}
			break;
		default:
			r = -EBADMSG;
		}
	}
	return r;
}

/* Every fd of the message's SCM_RIGHTS parts into fds (closing those past max); their count. */
static size_t collect_fds(struct msghdr *msg, int *fds, size_t max, bool *other)
{
	size_t n = 0;

	*other = false;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0)) {
			*other = true; /* credentials and the like: not ours, and they carry no fd */
			continue;
		}
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n] = fd;
			else
				close(fd);
			n++;
		}
	}
	return n;
}

int dp_handoff_recv(struct dp_ctx *ctx, int sock, struct dp_handoff **out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DP_HANDOFF_FDS_MAX)];
		struct cmsghdr align;
	} u;
	int fds[DP_HANDOFF_FDS_MAX];
	char *text = NULL, why[256];
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct dp_handoff *h = NULL;
	size_t n_fds = 0;
	ssize_t len;
	bool other;
	int r;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !out))
		return -EINVAL;
	text = malloc(DP_HANDOFF_DESC_MAX + 1);
	if (!text)
		return -ENOMEM;
	iov = (struct iovec){ text, DP_HANDOFF_DESC_MAX + 1 };
	do
		len = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (len < 0 && errno == EINTR);
	if (len < 0) {
		r = -errno;
		dp_err(ctx, "handoff: cannot receive: %s", strerror(-r));
		free(text);
		return r;
	}
	n_fds = collect_fds(&msg, fds, DP_HANDOFF_FDS_MAX, &other);
	if (n_fds > DP_HANDOFF_FDS_MAX)
		n_fds = DP_HANDOFF_FDS_MAX; /* the rest are closed */
	if (msg.msg_flags & MSG_CTRUNC) {
		dp_err(ctx, "handoff: the message's fds were cut short (MSG_CTRUNC: more than %d, or the process's fd limit)",
		       DP_HANDOFF_FDS_MAX);
		r = -EMSGSIZE;
		goto err;
	}
	if ((msg.msg_flags & MSG_TRUNC) || len > DP_HANDOFF_DESC_MAX) {
		dp_err(ctx, "handoff: the description is longer than %d bytes", DP_HANDOFF_DESC_MAX);
		r = -EMSGSIZE;
		goto err;
	}
	if (len == 0) {
		dp_err(ctx, "handoff: the peer closed the socket without sending anything");
		r = -ENODATA;
		goto err;
	}
	h = dp_handoff_alloc(ctx);
	if (!h) {
		r = -ENOMEM;
		goto err;
	}
	r = dp_handoff_desc_parse(text, (size_t)len, &h->d, why, sizeof(why));
	if (r < 0) {
		dp_err(ctx, "handoff: %s%s", why, other ? " (and a control message that is not SCM_RIGHTS)" : "");
		goto err;
	}
	if (h->d.n_fds != n_fds) {
		dp_err(ctx, "handoff of VM \"%s\": it describes %zu fds but carries %zu", h->d.vm_name,
		       h->d.n_fds, n_fds);
		r = -EBADMSG;
		goto err;
	}
	for (size_t i = 0; i < n_fds; i++)
		h->d.fds[i].fd = fds[i];
	n_fds = 0; /* h's now */
	text[len] = '\0';
	h->text = text;
	text = NULL;
	r = dp_handoff_index_devices(h);
	if (r == 0)
		r = dp_handoff_verify(h);
	if (r < 0)
		goto err;
	dp_info(ctx, "handoff of VM \"%s\": received, %s, %zu device%s", h->d.vm_name,
		dp_backend_name(h->d.backend), h->n_devices, h->n_devices == 1 ? "" : "s");
	*out = h;
	return 0;
err:
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	free(text);
	dp_handoff_free(h);
	return r;
}
