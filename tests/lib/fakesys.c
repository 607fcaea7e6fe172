/* SPDX-License-Identifier: MIT */
/* A synthetic /sys in the kernel's layout, mounted in a private namespace. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fakesys.h"
#include "tmpdir.h"
#include "testlog.h"

#define BDF_LEN 16 /* "0000:03:00.0", domains up to 8 digits (VMD: "10000:00:00.0") */

/* One function as the kernel emulation needs it. */
struct fake_fn {
	char bdf[BDF_LEN + 1];
	char native[64];   /* the driver it was added with, "" if none */
	char override[64]; /* the emulated driver_override, "" when unset */
	unsigned nvirtfn;
};

struct fake_drv {
	char name[64];
	bool fail_probe;
};

enum kattr_kind { KATTR_PROBE, KATTR_BIND, KATTR_UNBIND, KATTR_OVERRIDE };

/* One attribute file served through FUSE. */
struct kattr {
	enum kattr_kind kind;
	size_t index; /* a driver for BIND/UNBIND, a function for OVERRIDE */
	int fd;
	bool mounted;
	char path[PATH_MAX];
};

/* Shared between the test and the emulation process. */
struct kshared {
	char log[16384];
	unsigned char fail_probe[]; /* by driver index */
};

struct kernel {
	pid_t pid;
	int stop_fd;          /* the test's end of a pipe; closing it stops the emulation */
	struct kattr *attrs;
	size_t nattrs;
	struct kshared *sh;
	size_t shsize;
	char log_copy[16384];
};

struct dp_fakesys {
	char base[PATH_MAX]; /* the temporary directory, "" for dp_fakesys_new_in */
	char root[PATH_MAX]; /* the tree: what becomes /sys */
	char scratch[PATH_MAX]; /* base/scratch, "" for dp_fakesys_new_in */
	bool keep;
	bool host_set;
	bool mounted_sys;
	bool mounted_interrupts;
	char *interrupts;
	struct fake_fn *fns;
	size_t nfns;
	struct fake_drv *drvs;
	size_t ndrvs;
	uint64_t next_mem32, next_mem64, next_io;
	unsigned next_dmar;
	struct kernel *kernel;
};

/* ---- namespace ---------------------------------------------------------- */

static pid_t ns_pid;         /* the process that entered the namespace */
static pid_t ns_private_pid; /* the last process with a namespace of its own */
static char ns_base[PATH_MAX];

void dp_fakesys_skip(const char *fmt, ...)
{
	const char *tap = getenv("CK_TAP_LOG_FILE_NAME");
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP: %s\n", why);
	/* Under meson's TAP protocol a skip is a plan of 0, not exit status 77. */
	if (tap && strcmp(tap, "-") == 0) {
		printf("1..0 # SKIP %s\n", why);
		fflush(stdout);
		exit(0);
	}
	exit(77);
}

static void ns_cleanup(void)
{
	/* Forked check tests run atexit handlers too: only the owner cleans up. */
	if (getpid() != ns_pid || !ns_base[0])
		return;
	umount2(ns_base, MNT_DETACH);
	rmdir(ns_base);
	ns_base[0] = '\0';
}

void dp_fakesys_enter_namespace(void)
{
	const char *tmp = getenv("TMPDIR");

	if (geteuid() != 0)
		dp_fakesys_skip("needs root to mount a synthetic /sys in a mount namespace");
	if (unshare(CLONE_NEWNS) < 0)
		dp_fakesys_skip("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		dp_fakesys_skip("making / private: %s", strerror(errno));
	ns_pid = ns_private_pid = getpid();
	/* Trees live on a tmpfs of this namespace: whatever a killed test leaves dies with it. */
	snprintf(ns_base, sizeof(ns_base), "%s/dp-fakesys.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(ns_base)) {
		ns_base[0] = '\0';
		return;
	}
	if (mount("dp-fakesys", ns_base, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0700") < 0) {
		rmdir(ns_base);
		ns_base[0] = '\0';
		return;
	}
	atexit(ns_cleanup);
}

/* A forked test gets a namespace of its own, so its mounts die with it. */
static int own_namespace(void)
{
	if (!ns_pid)
		return -EPERM; /* never mount over the host's /sys */
	if (getpid() == ns_private_pid)
		return 0;
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	ns_private_pid = getpid();
	return 0;
}

/* ---- files -------------------------------------------------------------- */

/* snprintf that reports truncation, for paths. */
static int bfmt(char *buf, size_t size, const char *fmt, ...) DP_FAKE_PRINTF(3, 4);
static int bfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int vpath(char *buf, size_t size, const char *root, const char *fmt,
		 va_list ap) DP_FAKE_PRINTF(4, 0);
static int vpath(char *buf, size_t size, const char *root, const char *fmt,
		 va_list ap)
{
	int n = snprintf(buf, size, "%s/", root);
	int m;

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	if (m < 0 || (size_t)m >= size - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

static int path_of(const struct dp_fakesys *fs, char buf[PATH_MAX],
		   const char *fmt, ...) DP_FAKE_PRINTF(3, 4);
static int path_of(const struct dp_fakesys *fs, char buf[PATH_MAX],
		   const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(buf, PATH_MAX, fs->root, fmt, ap);
	va_end(ap);
	return r;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_parent(const char *path)
{
	char tmp[PATH_MAX];
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s", path);
	slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	return mkdir_p(tmp);
}

static int write_bytes(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	const char *p = data;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && fchmodat(AT_FDCWD, path, mode, 0) < 0)
		r = -errno; /* the umask must not decide an attribute's mode */
	return r;
}

static int write_str(const char *path, mode_t mode, const char *s)
{
	return write_bytes(path, s, strlen(s), mode);
}

static int attr(const struct dp_fakesys *fs, const char *dir, const char *name,
		mode_t mode, const char *fmt, ...) DP_FAKE_PRINTF(5, 6);
static int attr(const struct dp_fakesys *fs, const char *dir, const char *name,
		mode_t mode, const char *fmt, ...)
{
	char path[PATH_MAX], text[512];
	va_list ap;
	int r;

	r = path_of(fs, path, "%s/%s", dir, name);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return write_str(path, mode, text);
}

static int symlink_force(const char *target, const char *path)
{
	int r = mkdir_parent(path);

	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (symlink(target, path) < 0)
		return -errno;
	return 0;
}

/* ---- the tree ----------------------------------------------------------- */

static int skeleton(struct dp_fakesys *fs)
{
	static const char *const dirs[] = {
		"devices", "devices/virtual/iommu", "bus/pci/devices",
		"bus/pci/drivers", "bus/pci/slots", "kernel/iommu_groups",
		"class/iommu", "module",
	};
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		r = path_of(fs, path, "%s", dirs[i]);
		if (r == 0)
			r = mkdir_p(path);
		if (r < 0)
			return r;
	}
	if ((r = attr(fs, "bus/pci", "drivers_probe", 0200, "%s", "")) < 0 ||
	    (r = attr(fs, "bus/pci", "drivers_autoprobe", 0644, "1\n")) < 0 ||
	    (r = attr(fs, "bus/pci", "rescan", 0200, "%s", "")) < 0 ||
	    (r = attr(fs, "bus/pci", "resource_alignment", 0644, "\n")) < 0)
		return r;
	return 0;
}

static struct dp_fakesys *fakesys_alloc(void)
{
	struct dp_fakesys *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->next_mem32 = 0xc0000000u;
	fs->next_mem64 = UINT64_C(0x4000000000);
	fs->next_io = 0x2000;
	fs->next_dmar = 1;
	return fs;
}

struct dp_fakesys *dp_fakesys_new(void)
{
	const char *tmp = getenv("TMPDIR");
	struct dp_fakesys *fs = fakesys_alloc();
	int r;

	if (!fs)
		return NULL;
	if (ns_base[0])
		r = bfmt(fs->base, sizeof(fs->base), "%s/tree.XXXXXX", ns_base);
	else
		r = bfmt(fs->base, sizeof(fs->base), "%s/dp-fakesys.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
	if (r < 0 || !mkdtemp(fs->base)) {
		r = r < 0 ? r : -errno;
		free(fs);
		errno = -r;
		return NULL;
	}
	r = bfmt(fs->root, sizeof(fs->root), "%s/sys", fs->base);
	if (r == 0)
		r = bfmt(fs->scratch, sizeof(fs->scratch), "%s/scratch", fs->base);
	if (r == 0 && mkdir(fs->scratch, 0755) < 0)
		r = -errno;
	if (r == 0)
		r = mkdir(fs->root, 0755) < 0 ? -errno : skeleton(fs);
	if (r < 0) {
		dp_fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	return fs;
}

struct dp_fakesys *dp_fakesys_new_in(const char *dir)
{
	struct dp_fakesys *fs;
	int r;

	if (!dir || !*dir || strlen(dir) >= PATH_MAX - 128) {
		errno = EINVAL;
		return NULL;
	}
	fs = fakesys_alloc();
	if (!fs)
		return NULL;
	fs->keep = true;
	snprintf(fs->root, sizeof(fs->root), "%s", dir);
	r = mkdir_p(fs->root);
	if (r == 0)
		r = skeleton(fs);
	if (r < 0) {
		dp_fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	return fs;
}

void dp_fakesys_free(struct dp_fakesys *fs)
{
	if (!fs)
		return;
	dp_fakesys_kernel_stop(fs);
	dp_fakesys_umount(fs);
	if (!fs->keep && fs->base[0])
		dp_test_remove_tree(fs->base);
	free(fs->interrupts);
	free(fs->fns);
	free(fs->drvs);
	free(fs);
}

const char *dp_fakesys_root(const struct dp_fakesys *fs)
{
	return fs->root;
}

const char *dp_fakesys_scratch(const struct dp_fakesys *fs)
{
	return fs->scratch[0] ? fs->scratch : NULL;
}

int dp_fakesys_write(struct dp_fakesys *fs, const char *rel, const char *content)
{
	char path[PATH_MAX];
	int r = path_of(fs, path, "%s", rel);

	if (r < 0)
		return r;
	if (!content) {
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	r = mkdir_parent(path);
	if (r < 0)
		return r;
	return write_str(path, 0644, content);
}

int dp_fakesys_read(const struct dp_fakesys *fs, const char *rel, char *buf,
		    size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd, r = path_of(fs, path, "%s", rel);

	if (r < 0)
		return r;
	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return r < 0 ? r : (int)len;
}

int dp_fakesys_symlink(struct dp_fakesys *fs, const char *target, const char *rel)
{
	char path[PATH_MAX];
	int r = path_of(fs, path, "%s", rel);

	return r < 0 ? r : symlink_force(target, path);
}

int dp_fakesys_readlink(const struct dp_fakesys *fs, const char *rel, char *buf,
			size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r = path_of(fs, path, "%s", rel);

	if (r < 0)
		return r;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return (int)strlen(buf);
}

/* Strict "DDDD:BB:DD.F" in lower-case hex, as the kernel names functions; 4 to 8 domain digits. */
static int parse_bdf(const char *bdf, unsigned *dom, unsigned *bus,
		     unsigned *dev, unsigned *fn)
{
	static const char shape[] = "hh:hh.h";
	size_t len = bdf ? strlen(bdf) : 0, dlen;

	if (len < 12 || len > BDF_LEN)
		return -EINVAL;
	dlen = len - 8;
	for (size_t i = 0; i < len; i++) {
		char want = i < dlen ? 'h' : i == dlen ? ':' : shape[i - dlen - 1];

		if (want == 'h' ? !strchr("0123456789abcdef", bdf[i]) || !bdf[i]
				: bdf[i] != want)
			return -EINVAL;
	}
	if (sscanf(bdf, "%8x:%2x:%2x.%1x", dom, bus, dev, fn) != 4 || *dev > 31 ||
	    *fn > 7)
		return -EINVAL;
	return 0;
}

/* The kernel's directory of a function: under its domain's root bus, pciDDDD:00. */
static int dev_dir(const char *bdf, char *buf, size_t size)
{
	int n = snprintf(buf, size, "devices/pci%.*s:00/%s",
			 (int)strcspn(bdf, ":"), bdf, bdf);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static struct fake_fn *find_fn(struct dp_fakesys *fs, const char *bdf)
{
	for (size_t i = 0; i < fs->nfns; i++)
		if (!strcmp(fs->fns[i].bdf, bdf))
			return &fs->fns[i];
	return NULL;
}

static struct fake_drv *find_drv(struct dp_fakesys *fs, const char *name)
{
	for (size_t i = 0; i < fs->ndrvs; i++)
		if (!strcmp(fs->drvs[i].name, name))
			return &fs->drvs[i];
	return NULL;
}

int dp_fakesys_add_driver(struct dp_fakesys *fs, const char *name)
{
	static const char *const files[] = { "bind", "unbind", "new_id",
					     "remove_id", "uevent" };
	char dir[PATH_MAX], path[PATH_MAX];
	struct fake_drv *d;
	int r;

	if (!fs || !name || !*name || strlen(name) >= sizeof(d->name) ||
	    strchr(name, '/'))
		return -EINVAL;
	if (find_drv(fs, name))
		return 0;
	r = path_of(fs, dir, "bus/pci/drivers/%s", name);
	if (r == 0)
		r = mkdir_p(dir);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((r = bfmt(path, sizeof(path), "%s/%s", dir, files[i])) < 0)
			return r;
		r = write_str(path, 0200, "");
		if (r < 0)
			return r;
	}
	d = realloc(fs->drvs, (fs->ndrvs + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	fs->drvs = d;
	memset(&d[fs->ndrvs], 0, sizeof(*d));
	snprintf(d[fs->ndrvs].name, sizeof(d->name), "%s", name);
	fs->ndrvs++;
	return 0;
}

/* ---- config space ------------------------------------------------------- */

static void put16(uint8_t *c, size_t off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, size_t off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

static unsigned log2u(unsigned v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

struct bar_alloc {
	uint64_t start[7], end[7], kflags[7];
};

/* Places the BARs and ROM; the kernel's resource flags, which libpciaccess
 * reads as bit 0 I/O, bit 2 64-bit, bit 3 prefetchable. */
static int alloc_bars(struct dp_fakesys *fs, const struct dp_fake_dev *d,
		      struct bar_alloc *a)
{
	unsigned nbars = d->header_type == 1 ? 2 : 6;

	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < nbars; i++) {
		const struct dp_fake_bar *b = &d->bars[i];
		uint64_t size = b->size, *next;

		if (!size)
			continue;
		if (size & (size - 1))
			return -EINVAL;
		if ((b->flags & DP_FAKE_BAR_MEM64) &&
		    (i + 1 >= nbars || d->bars[i + 1].size))
			return -EINVAL;
		if (b->flags & DP_FAKE_BAR_IO)
			next = &fs->next_io;
		else if (b->flags & DP_FAKE_BAR_MEM64)
			next = &fs->next_mem64;
		else
			next = &fs->next_mem32;
		*next = (*next + size - 1) & ~(size - 1);
		a->start[i] = *next;
		a->end[i] = *next + size - 1;
		*next += size;
		if (b->flags & DP_FAKE_BAR_IO)
			a->kflags[i] = 0x40101;
		else
			a->kflags[i] = 0x40200 |
				       (b->flags & DP_FAKE_BAR_MEM64 ? 0x100004 : 0) |
				       (b->flags & DP_FAKE_BAR_PREFETCH ? 0x2008 : 0);
		if (b->flags & DP_FAKE_BAR_MEM64)
			i++;
	}
	if (d->rom_size) {
		if (d->rom_size & (d->rom_size - 1))
			return -EINVAL;
		fs->next_mem32 = (fs->next_mem32 + d->rom_size - 1) & ~(d->rom_size - 1);
		a->start[6] = fs->next_mem32;
		a->end[6] = fs->next_mem32 + d->rom_size - 1;
		a->kflags[6] = 0x46200;
		fs->next_mem32 += d->rom_size;
	}
	return 0;
}

static unsigned config_size_of(const struct dp_fake_dev *d)
{
	if (d->config_size)
		return d->config_size;
	return d->caps & (DP_FAKE_CAP_ACS | DP_FAKE_CAP_EXT_LOOP) ? 4096 : 256;
}

static void build_caps(const struct dp_fake_dev *d, uint8_t *c)
{
	uint32_t caps = d->caps;
	size_t pos[5], n = 0;

	if (caps & DP_FAKE_CAP_FLR)
		caps |= DP_FAKE_CAP_PCIE;
	if (caps & DP_FAKE_CAP_PM_NO_SOFT_RESET)
		caps |= DP_FAKE_CAP_PM;
	if (caps & DP_FAKE_CAP_PM) {
		c[0x40] = 0x01;
		put16(c, 0x42, 0x0003); /* PMC version 3 */
		put16(c, 0x44, caps & DP_FAKE_CAP_PM_NO_SOFT_RESET ? 0x0008 : 0);
		pos[n++] = 0x40;
	}
	if (caps & DP_FAKE_CAP_MSI) {
		unsigned v = d->msi_vectors ? d->msi_vectors : 1;

		c[0x50] = 0x05;
		put16(c, 0x52, (uint16_t)(0x0080 | (log2u(v) & 7) << 1)); /* 64-bit */
		pos[n++] = 0x50;
	}
	if (caps & DP_FAKE_CAP_AF_FLR) {
		c[0x60] = 0x13;
		c[0x62] = 0x06; /* length */
		c[0x63] = 0x03; /* TP, FLR */
		pos[n++] = 0x60;
	}
	if (caps & DP_FAKE_CAP_MSIX) {
		unsigned size = d->msix_table_size ? d->msix_table_size : 1;

		c[0x70] = 0x11;
		put16(c, 0x72, (uint16_t)((size - 1) & 0x7ff));
		put32(c, 0x74, (d->msix_table_offset & ~7u) | (d->msix_table_bir & 7));
		put32(c, 0x78, (d->msix_pba_offset & ~7u) | (d->msix_pba_bir & 7));
		pos[n++] = 0x70;
	}
	if (caps & DP_FAKE_CAP_PCIE) {
		/* Version 2; an endpoint, or a root port for a bridge. */
		c[0x80] = 0x10;
		put16(c, 0x82, (uint16_t)(0x0002 | (d->header_type == 1 ? 0x40 : 0)));
		put32(c, 0x84, 0x00008fc2u | (caps & DP_FAKE_CAP_FLR ? 0x10000000u : 0));
		pos[n++] = 0x80;
	}
	if (n == 0)
		return;
	put16(c, 0x06, (uint16_t)(c[0x06] | c[0x07] << 8 | 0x0010)); /* capabilities list */
	c[0x34] = (uint8_t)pos[0];
	for (size_t i = 0; i + 1 < n; i++)
		c[pos[i] + 1] = (uint8_t)pos[i + 1];
	if (caps & DP_FAKE_CAP_LOOP_SELF)
		c[pos[n - 1] + 1] = (uint8_t)pos[n - 1];
	else if (caps & DP_FAKE_CAP_LOOP_BACK)
		c[pos[n - 1] + 1] = (uint8_t)pos[0];
}

static void build_ext_caps(const struct dp_fake_dev *d, uint8_t *c)
{
	bool acs = d->caps & DP_FAKE_CAP_ACS;
	uint32_t loop = d->caps & DP_FAKE_CAP_EXT_LOOP ? 0x100u << 20 : 0;

	if (!(d->caps & (DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR)) && !acs && !loop)
		return;
	/* AER first, so that ACS is found by following the list, not at its head. */
	put32(c, 0x100, 0x0001u | 2u << 16 | (acs ? 0x148u << 20 : loop));
	if (acs) {
		put32(c, 0x148, 0x000du | 1u << 16 | loop);
		put16(c, 0x14c, 0x001f); /* SV TB RR CR UF */
	}
}

static void build_config(const struct dp_fake_dev *d, const struct bar_alloc *a,
			 uint8_t *c, unsigned bus)
{
	unsigned nbars = d->header_type == 1 ? 2 : 6;

	put16(c, 0x00, d->vendor);
	put16(c, 0x02, d->device);
	put16(c, 0x04, 0x0006); /* memory space, bus master */
	c[0x08] = d->revision;
	c[0x09] = (uint8_t)d->class_code;
	c[0x0a] = (uint8_t)(d->class_code >> 8);
	c[0x0b] = (uint8_t)(d->class_code >> 16);
	c[0x0c] = 0x10;
	c[0x0e] = (uint8_t)((d->header_type & 0x7f) | (d->multifunction ? 0x80 : 0));
	for (unsigned i = 0; i < nbars; i++) {
		uint32_t low = d->bars[i].flags & DP_FAKE_BAR_IO ? 0x1 :
			       (d->bars[i].flags & DP_FAKE_BAR_MEM64 ? 0x4 : 0) |
			       (d->bars[i].flags & DP_FAKE_BAR_PREFETCH ? 0x8 : 0);

		if (!d->bars[i].size)
			continue;
		put32(c, 0x10 + 4 * i, (uint32_t)a->start[i] | low);
		if (d->bars[i].flags & DP_FAKE_BAR_MEM64) {
			put32(c, 0x10 + 4 * (i + 1), (uint32_t)(a->start[i] >> 32));
			i++;
		}
	}
	if (d->header_type == 1) {
		c[0x18] = (uint8_t)bus;
		c[0x19] = d->secondary_bus;
		c[0x1a] = d->secondary_bus;
		put32(c, 0x38, (uint32_t)a->start[6]);
	} else {
		put16(c, 0x2c, d->subsystem_vendor ? d->subsystem_vendor : d->vendor);
		put16(c, 0x2e, d->subsystem_device ? d->subsystem_device : d->device);
		put32(c, 0x30, (uint32_t)a->start[6]);
	}
	c[0x3c] = (uint8_t)d->irq;
	c[0x3d] = d->irq ? 1 : 0;
	build_caps(d, c);
	build_ext_caps(d, c);
}

/* ---- functions ---------------------------------------------------------- */

static int write_resource(const struct dp_fakesys *fs, const char *dir,
			  const struct dp_fake_dev *d, const struct bar_alloc *a)
{
	/* Endpoints list BARs, ROM and the six SR-IOV slots; bridges add windows. */
	unsigned lines = d->header_type == 1 ? 17 : 13;
	char text[17 * 60], path[PATH_MAX];
	size_t len = 0;
	int r = path_of(fs, path, "%s/resource", dir);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < lines; i++) {
		uint64_t s = i < 7 ? a->start[i] : 0, e = i < 7 ? a->end[i] : 0,
			 f = i < 7 ? a->kflags[i] : 0;

		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"0x%016llx 0x%016llx 0x%016llx\n",
					(unsigned long long)s, (unsigned long long)e,
					(unsigned long long)f);
	}
	return write_bytes(path, text, len, 0444);
}

static int link_group(struct dp_fakesys *fs, const char *dir, const char *bdf,
		      int group)
{
	char path[PATH_MAX], target[PATH_MAX];
	int r;

	if ((r = path_of(fs, path, "kernel/iommu_groups/%d/devices", group)) < 0 ||
	    (r = mkdir_p(path)) < 0)
		return r;
	if ((r = bfmt(path, sizeof(path), "kernel/iommu_groups/%d", group)) < 0)
		return r;
	if ((r = attr(fs, path, "type", 0644, "DMA\n")) < 0 ||
	    (r = attr(fs, path, "reserved_regions", 0444,
		      "0x00000000fee00000 0x00000000feefffff msi\n")) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../../../../%s", dir)) < 0)
		return r;
	if ((r = path_of(fs, path, "kernel/iommu_groups/%d/devices/%s", group, bdf)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../../../kernel/iommu_groups/%d", group)) < 0)
		return r;
	if ((r = path_of(fs, path, "%s/iommu_group", dir)) < 0)
		return r;
	return symlink_force(target, path);
}

static int link_driver(struct dp_fakesys *fs, const char *dir, const char *bdf,
		       const char *driver, bool dangling)
{
	char path[PATH_MAX], target[PATH_MAX];
	int r;

	if (!dangling && (r = dp_fakesys_add_driver(fs, driver)) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../../../bus/pci/drivers/%s", driver)) < 0)
		return r;
	if ((r = path_of(fs, path, "%s/driver", dir)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	if (dangling)
		return 0;
	if ((r = bfmt(target, sizeof(target), "../../../../%s", dir)) < 0)
		return r;
	if ((r = path_of(fs, path, "bus/pci/drivers/%s/%s", driver, bdf)) < 0)
		return r;
	return symlink_force(target, path);
}

static int link_vf(struct dp_fakesys *fs, const char *dir, const char *bdf,
		   const char *physfn)
{
	struct fake_fn *pf = find_fn(fs, physfn);
	char path[PATH_MAX], target[64], pfdir[PATH_MAX];
	int r;

	if (!pf)
		return -ENOENT;
	if ((r = bfmt(target, sizeof(target), "../%s", physfn)) < 0)
		return r;
	if ((r = path_of(fs, path, "%s/physfn", dir)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	if ((r = dev_dir(physfn, pfdir, sizeof(pfdir))) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../%s", bdf)) < 0)
		return r;
	if ((r = path_of(fs, path, "%s/virtfn%u", pfdir, pf->nvirtfn)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	pf->nvirtfn++;
	return 0;
}

int dp_fakesys_add(struct dp_fakesys *fs, const struct dp_fake_dev *d)
{
	char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	unsigned dom, bus, slot, fn, csize, pdom, pbus, pslot, pfn;
	struct bar_alloc bars;
	struct fake_fn *rec;
	uint8_t *config;
	int r;

	if (!fs || !d || parse_bdf(d->bdf, &dom, &bus, &slot, &fn) < 0 ||
	    d->header_type > 2 || (d->driver && strchr(d->driver, '/')))
		return -EINVAL;
	csize = config_size_of(d);
	if (csize > 4096 ||
	    (d->physfn && parse_bdf(d->physfn, &pdom, &pbus, &pslot, &pfn) < 0))
		return -EINVAL;
	if (find_fn(fs, d->bdf))
		return -EEXIST;
	if ((r = alloc_bars(fs, d, &bars)) < 0 || (r = dev_dir(d->bdf, dir, sizeof(dir))) < 0)
		return r;
	if ((r = path_of(fs, path, "%s", dir)) < 0 || (r = mkdir_p(path)) < 0)
		return r;

	config = calloc(1, 4096);
	if (!config)
		return -ENOMEM;
	build_config(d, &bars, config, bus);
	r = path_of(fs, path, "%s/config", dir);
	if (r == 0)
		r = write_bytes(path, config, csize, 0644);
	free(config);
	if (r < 0)
		return r;

	if ((r = attr(fs, dir, "vendor", 0444, "0x%04x\n", d->vendor)) < 0 ||
	    (r = attr(fs, dir, "device", 0444, "0x%04x\n", d->device)) < 0 ||
	    (r = attr(fs, dir, "subsystem_vendor", 0444, "0x%04x\n",
		      d->subsystem_vendor ? d->subsystem_vendor : d->vendor)) < 0 ||
	    (r = attr(fs, dir, "subsystem_device", 0444, "0x%04x\n",
		      d->subsystem_device ? d->subsystem_device : d->device)) < 0 ||
	    (r = attr(fs, dir, "class", 0444, "0x%06x\n", d->class_code & 0xffffff)) < 0 ||
	    (r = attr(fs, dir, "revision", 0444, "0x%02x\n", d->revision)) < 0 ||
	    (r = attr(fs, dir, "irq", 0444, "%u\n", d->irq)) < 0 ||
	    (r = attr(fs, dir, "numa_node", 0644, "%d\n", d->numa_node)) < 0 ||
	    (r = attr(fs, dir, "enable", 0600, "1\n")) < 0 ||
	    (r = attr(fs, dir, "driver_override", 0644, "%s\n",
		      d->driver_override ? d->driver_override : "(null)")) < 0 ||
	    (r = attr(fs, dir, "modalias", 0444,
		      "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
		      d->device, d->subsystem_vendor ? d->subsystem_vendor : d->vendor,
		      d->subsystem_device ? d->subsystem_device : d->device,
		      (d->class_code >> 16) & 0xff, (d->class_code >> 8) & 0xff,
		      d->class_code & 0xff)) < 0 ||
	    (r = write_resource(fs, dir, d, &bars)) < 0)
		return r;
	if ((d->class_code >> 8) == 0x0300 &&
	    (r = attr(fs, dir, "boot_vga", 0444, "%d\n", d->boot_vga ? 1 : 0)) < 0)
		return r;
	if (d->reset_method &&
	    (r = attr(fs, dir, "reset_method", 0644, "%s\n", d->reset_method)) < 0)
		return r;
	if (d->sriov_total_vfs &&
	    ((r = attr(fs, dir, "sriov_totalvfs", 0444, "%u\n", d->sriov_total_vfs)) < 0 ||
	     (r = attr(fs, dir, "sriov_numvfs", 0644, "%u\n", d->sriov_num_vfs)) < 0 ||
	     (r = attr(fs, dir, "sriov_drivers_autoprobe", 0644, "1\n")) < 0))
		return r;

	if ((r = path_of(fs, path, "%s/subsystem", dir)) < 0 ||
	    (r = symlink_force("../../../bus/pci", path)) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../../../%s", dir)) < 0)
		return r;
	if ((r = path_of(fs, path, "bus/pci/devices/%s", d->bdf)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	if (d->group > 0 && (r = link_group(fs, dir, d->bdf, d->group)) < 0)
		return r;
	if (d->driver && (r = link_driver(fs, dir, d->bdf, d->driver,
					  d->driver_dangling)) < 0)
		return r;

	rec = realloc(fs->fns, (fs->nfns + 1) * sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	fs->fns = rec;
	rec = &fs->fns[fs->nfns++];
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->bdf, sizeof(rec->bdf), "%s", d->bdf);
	if (d->driver && !d->driver_dangling)
		snprintf(rec->native, sizeof(rec->native), "%s", d->driver);
	if (d->driver_override)
		snprintf(rec->override, sizeof(rec->override), "%s", d->driver_override);

	if (d->physfn && (r = link_vf(fs, dir, d->bdf, d->physfn)) < 0)
		return r;
	for (const struct dp_fake_attr *x = d->attrs; x && x->name; x++) {
		if ((r = path_of(fs, path, "%s/%s", dir, x->name)) < 0)
			return r;
		if (!x->content)
			r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
		else
			r = write_str(path, 0644, x->content);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- host --------------------------------------------------------------- */

static int add_iommu(struct dp_fakesys *fs, const char *name, const char *sub,
		     const char *file, const char *value)
{
	char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	int r;

	if ((r = bfmt(dir, sizeof(dir), "devices/virtual/iommu/%s/%s", name, sub)) < 0)
		return r;
	if ((r = path_of(fs, path, "%s", dir)) < 0 || (r = mkdir_p(path)) < 0 ||
	    (r = attr(fs, dir, file, 0444, "%s\n", value)) < 0)
		return r;
	if ((r = bfmt(target, sizeof(target), "../../devices/virtual/iommu/%s", name)) < 0)
		return r;
	if ((r = path_of(fs, path, "class/iommu/%s", name)) < 0)
		return r;
	return symlink_force(target, path);
}

int dp_fakesys_add_dmar(struct dp_fakesys *fs, const char *name, const char *ecap)
{
	char dir[PATH_MAX];
	int r;

	if (!fs || !name || !ecap || strchr(name, '/'))
		return -EINVAL;
	if ((r = add_iommu(fs, name, "intel-iommu", "ecap", ecap)) < 0)
		return r;
	if ((r = bfmt(dir, sizeof(dir), "devices/virtual/iommu/%s/intel-iommu", name)) < 0)
		return r;
	if ((r = attr(fs, dir, "cap", 0444, "d2008c40660462\n")) < 0 ||
	    (r = attr(fs, dir, "version", 0444, "1:0\n")) < 0)
		return r;
	return 0;
}

int dp_fakesys_set_interrupts(struct dp_fakesys *fs, const char *text)
{
	char *copy = NULL;

	if (!fs)
		return -EINVAL;
	if (fs->mounted_sys)
		return -EBUSY;
	if (text && !(copy = strdup(text)))
		return -ENOMEM;
	free(fs->interrupts);
	fs->interrupts = copy;
	return 0;
}

int dp_fakesys_set_host(struct dp_fakesys *fs, const struct dp_fake_host *h)
{
	int r;

	if (!fs || !h || h->iommu > DP_FAKE_IOMMU_AMD)
		return -EINVAL;
	if (fs->host_set)
		return -EALREADY;
	fs->host_set = true;
	if (h->iommu == DP_FAKE_IOMMU_INTEL &&
	    (r = dp_fakesys_add_dmar(fs, "dmar0",
				     h->irq_remap ? DP_FAKE_ECAP_IR : DP_FAKE_ECAP_NO_IR)) < 0)
		return r;
	if (h->iommu == DP_FAKE_IOMMU_AMD) {
		/* AMD-Vi has no IR bit in sysfs; the interrupt chips tell. */
		static const char ir[] =
			"           CPU0       CPU1       \n"
			"  0:         22          0  IR-IO-APIC    2-edge      timer\n"
			"  9:          0          0  IR-IO-APIC    9-fasteoi   acpi\n"
			" 25:          0          0  AMD-Vi        0-edge      AMD-Vi\n"
			" 26:       1893          0  IR-PCI-MSI-0000:00:14.0    0-edge      xhci_hcd\n"
			"NMI:          0          0   Non-maskable interrupts\n";
		static const char no_ir[] =
			"           CPU0       CPU1       \n"
			"  0:         22          0  IO-APIC    2-edge      timer\n"
			"  9:          0          0  IO-APIC    9-fasteoi   acpi\n"
			" 25:          0          0  AMD-Vi        0-edge      AMD-Vi\n"
			" 26:       1893          0  PCI-MSI-0000:00:14.0    0-edge      xhci_hcd\n"
			"NMI:          0          0   Non-maskable interrupts\n";

		if ((r = add_iommu(fs, "ivhd0", "amd-iommu", "features",
				   "0x206d73ef22254ade")) < 0 ||
		    (r = dp_fakesys_set_interrupts(fs, h->irq_remap ? ir : no_ir)) < 0)
			return r;
	}
	if (h->vfio_pci && (r = dp_fakesys_add_driver(fs, "vfio-pci")) < 0)
		return r;
	if (h->vfio_type1) {
		const char *p = "module/vfio_iommu_type1/parameters";
		char path[PATH_MAX];

		if ((r = path_of(fs, path, "%s", p)) < 0 || (r = mkdir_p(path)) < 0 ||
		    (r = attr(fs, p, "allow_unsafe_interrupts", 0644, "%s\n",
			      h->unsafe_interrupts ? "Y" : "N")) < 0 ||
		    (r = attr(fs, p, "disable_hugepages", 0644, "N\n")) < 0 ||
		    (r = attr(fs, p, "dma_entry_limit", 0644, "65535\n")) < 0)
			return r;
	}
	return 0;
}

int dp_fakesys_set_driver(struct dp_fakesys *fs, const char *bdf, const char *driver)
{
	char dir[PATH_MAX - 16], rel[PATH_MAX], path[PATH_MAX], old[64];
	struct fake_fn *fn = fs && bdf ? find_fn(fs, bdf) : NULL;
	int r;

	if (!fn || (driver && strchr(driver, '/')))
		return -EINVAL;
	if ((r = dev_dir(bdf, dir, sizeof(dir))) < 0 ||
	    (r = bfmt(rel, sizeof(rel), "%s/driver", dir)) < 0 ||
	    (r = path_of(fs, path, "%s", rel)) < 0)
		return r;
	if (dp_fakesys_readlink(fs, rel, old, sizeof(old)) > 0) {
		if (unlink(path) < 0)
			return -errno;
		if ((r = path_of(fs, path, "bus/pci/drivers/%s/%s", old, bdf)) < 0)
			return r;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	return driver ? link_driver(fs, dir, bdf, driver, false) : 0;
}

/* ---- presets ------------------------------------------------------------ */

const char *const dp_fakesys_preset_names[] = { "basic", "noiommu", "vmd", NULL };

static int preset_devices(struct dp_fakesys *fs, bool groups)
{
	const struct dp_fake_dev devs[] = {
		{ .bdf = "0000:00:00.0", .vendor = 0x8086, .device = 0x3ec2,
		  .subsystem_vendor = 0x1028, .subsystem_device = 0x0869,
		  .class_code = 0x060000, .revision = 0x07, .group = groups ? 2 : 0,
		  .numa_node = -1, .caps = 0 },
		{ .bdf = "0000:00:14.0", .vendor = 0x8086, .device = 0xa36d,
		  .subsystem_vendor = 0x1028, .subsystem_device = 0x0869,
		  .class_code = 0x0c0330, .revision = 0x10, .group = groups ? 3 : 0,
		  .driver = "xhci_hcd", .numa_node = -1, .irq = 124,
		  .caps = DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI, .msi_vectors = 8,
		  .bars = { { 0x10000, DP_FAKE_BAR_MEM64 } } },
		{ .bdf = "0000:00:1c.0", .vendor = 0x8086, .device = 0xa33c,
		  .class_code = 0x060400, .revision = 0xf0, .header_type = 1,
		  .secondary_bus = 1, .group = groups ? 4 : 0, .driver = "pcieport",
		  .numa_node = -1, .irq = 122,
		  .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI |
			  DP_FAKE_CAP_ACS },
		{ .bdf = "0000:01:00.0", .vendor = 0x10de, .device = 0x1c82,
		  .subsystem_vendor = 0x1043, .subsystem_device = 0x8613,
		  .class_code = 0x030000, .revision = 0xa1, .group = groups ? 1 : 0,
		  .driver = "nouveau", .boot_vga = true, .numa_node = -1, .irq = 130,
		  .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI,
		  .reset_method = "bus",
		  .bars = { { 0x1000000, 0 },
			    { 0x10000000, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH }, { 0, 0 },
			    { 0x2000000, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH }, { 0, 0 },
			    { 0x80, DP_FAKE_BAR_IO } },
		  .rom_size = 0x80000 },
		{ .bdf = "0000:03:00.0", .vendor = 0x8086, .device = 0x10fb,
		  .subsystem_vendor = 0x8086, .subsystem_device = 0x000c,
		  .class_code = 0x020000, .revision = 0x01, .multifunction = true,
		  .group = groups ? 7 : 0, .driver = "ixgbe", .numa_node = 0, .irq = 16,
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI |
			  DP_FAKE_CAP_MSIX,
		  .msi_vectors = 1, .msix_table_size = 64, .msix_table_bir = 4,
		  .msix_table_offset = 0, .msix_pba_bir = 4, .msix_pba_offset = 0x2000,
		  .reset_method = "flr bus", .config_size = 4096,
		  .bars = { { 0x80000, DP_FAKE_BAR_MEM64 }, { 0, 0 },
			    { 0x20, DP_FAKE_BAR_IO }, { 0, 0 },
			    { 0x4000, DP_FAKE_BAR_MEM64 }, { 0, 0 } },
		  .rom_size = 0x80000 },
		{ .bdf = "0000:03:00.1", .vendor = 0x8086, .device = 0x10fb,
		  .subsystem_vendor = 0x8086, .subsystem_device = 0x000c,
		  .class_code = 0x020000, .revision = 0x01, .multifunction = true,
		  .group = groups ? 7 : 0, .driver = "ixgbe", .numa_node = 0, .irq = 17,
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI |
			  DP_FAKE_CAP_MSIX,
		  .msi_vectors = 1, .msix_table_size = 64, .msix_table_bir = 4,
		  .msix_table_offset = 0, .msix_pba_bir = 4, .msix_pba_offset = 0x2000,
		  .reset_method = "flr bus", .config_size = 4096,
		  .bars = { { 0x80000, DP_FAKE_BAR_MEM64 }, { 0, 0 },
			    { 0x20, DP_FAKE_BAR_IO }, { 0, 0 },
			    { 0x4000, DP_FAKE_BAR_MEM64 }, { 0, 0 } } },
		{ .bdf = "0000:05:00.0", .vendor = 0x8086, .device = 0x1521,
		  .subsystem_vendor = 0x8086, .subsystem_device = 0x0001,
		  .class_code = 0x020000, .revision = 0x01, .group = groups ? 10 : 0,
		  .driver = "igb", .numa_node = 0, .irq = 18,
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI |
			  DP_FAKE_CAP_MSIX,
		  .msi_vectors = 1, .msix_table_size = 10, .msix_table_bir = 3,
		  .msix_pba_bir = 3, .msix_pba_offset = 0x2000,
		  .reset_method = "flr bus", .sriov_total_vfs = 7, .sriov_num_vfs = 1,
		  .bars = { { 0x100000, 0 }, { 0, 0 }, { 0x20, DP_FAKE_BAR_IO },
			    { 0x4000, 0 } } },
		{ .bdf = "0000:05:10.0", .vendor = 0x8086, .device = 0x1520,
		  .subsystem_vendor = 0x8086, .subsystem_device = 0x0001,
		  .class_code = 0x020000, .revision = 0x01, .group = groups ? 11 : 0,
		  .driver = "igbvf", .numa_node = 0, .physfn = "0000:05:00.0",
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_MSIX, .msix_table_size = 3,
		  .msix_table_bir = 3, .msix_pba_bir = 3, .msix_pba_offset = 0x2000,
		  .reset_method = "flr",
		  .bars = { { 0x4000, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH }, { 0, 0 },
			    { 0, 0 }, { 0x4000, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH } } },
	};
	int r;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if ((r = dp_fakesys_add(fs, &devs[i])) < 0)
			return r;
	return 0;
}

/* Behind a VMD controller: functions in domains past 0xffff, beside a 4-digit one. */
static int preset_vmd(struct dp_fakesys *fs)
{
	static const struct dp_fake_dev devs[] = {
		{ .bdf = DP_FAKE_VMD_LOW, .vendor = 0x1b36, .device = 0x0010,
		  .class_code = 0x010802, .group = 20, .driver = "nvme", .numa_node = -1,
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSIX,
		  .reset_method = "flr", .bars = { { 0x4000, DP_FAKE_BAR_MEM64 } } },
		{ .bdf = DP_FAKE_VMD_HIGH, .vendor = 0x1b36, .device = 0x0010,
		  .class_code = 0x010802, .group = 21, .driver = "nvme", .numa_node = -1,
		  .caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSIX,
		  .reset_method = "flr", .bars = { { 0x4000, DP_FAKE_BAR_MEM64 } } },
	};
	int r;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if ((r = dp_fakesys_add(fs, &devs[i])) < 0)
			return r;
	return 0;
}

int dp_fakesys_preset(struct dp_fakesys *fs, const char *name)
{
	bool basic, vmd = false;
	int r;

	if (!fs || !name)
		return -EINVAL;
	if (!strcmp(name, "basic"))
		basic = true;
	else if (!strcmp(name, "noiommu"))
		basic = false;
	else if (!strcmp(name, "vmd"))
		basic = vmd = true;
	else
		return -ENOENT;
	if ((r = preset_devices(fs, basic)) < 0)
		return r;
	if (vmd && (r = preset_vmd(fs)) < 0)
		return r;
	return dp_fakesys_set_host(fs, &(struct dp_fake_host){
		.iommu = basic ? DP_FAKE_IOMMU_INTEL : DP_FAKE_IOMMU_NONE,
		.irq_remap = basic, .vfio_pci = true, .vfio_type1 = true });
}

int dp_fakesys_add_many(struct dp_fakesys *fs, unsigned n)
{
	if (!fs || n > 8192)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		char bdf[16];
		unsigned slot = i / 8, fn = i % 8;
		int r;

		snprintf(bdf, sizeof(bdf), "0000:%02x:%02x.%u", 0x10 + i / 256,
			 slot % 32, fn);
		r = dp_fakesys_add(fs, &(struct dp_fake_dev){
			.bdf = bdf, .vendor = 0x8086, .device = 0x1521,
			.subsystem_vendor = 0x8086, .subsystem_device = 0x0001,
			.class_code = 0x020000, .revision = 0x01,
			.multifunction = true, .group = (int)slot + 1,
			.driver = slot % 2 ? NULL : "igb", .numa_node = -1,
			.irq = 16 + fn,
			.caps = DP_FAKE_CAP_FLR | DP_FAKE_CAP_PM | DP_FAKE_CAP_MSI |
				DP_FAKE_CAP_MSIX | (fn == 0 ? DP_FAKE_CAP_ACS : 0),
			.msi_vectors = 4, .msix_table_size = 10, .msix_table_bir = 3,
			.msix_pba_bir = 3, .msix_pba_offset = 0x2000,
			.reset_method = "flr bus",
			.bars = { { 0x20000, DP_FAKE_BAR_MEM64 }, { 0, 0 },
				  { 0, 0 }, { 0x4000, DP_FAKE_BAR_MEM64 } } });
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- mounting ----------------------------------------------------------- */

int dp_fakesys_mount(struct dp_fakesys *fs)
{
	char path[PATH_MAX];
	int r;

	if (!fs)
		return -EINVAL;
	if (fs->mounted_sys)
		return -EBUSY;
	if ((r = own_namespace()) < 0)
		return r;
	if (mount(fs->root, "/sys", "none", MS_BIND, NULL) < 0)
		return -errno;
	fs->mounted_sys = true;
	if (!fs->interrupts)
		return 0;
	if (!fs->base[0])
		r = -ENOTSUP;
	else if ((r = snprintf(path, sizeof(path), "%s/interrupts", fs->base)) >= 0)
		r = write_str(path, 0444, fs->interrupts);
	if (r >= 0 && mount(path, "/proc/interrupts", "none", MS_BIND, NULL) < 0)
		r = -errno;
	if (r < 0) {
		dp_fakesys_umount(fs);
		return r;
	}
	fs->mounted_interrupts = true;
	return 0;
}

int dp_fakesys_umount(struct dp_fakesys *fs)
{
	int r = 0;

	if (!fs)
		return -EINVAL;
	dp_fakesys_kernel_stop(fs);
	if (fs->mounted_interrupts && umount2("/proc/interrupts", MNT_DETACH) < 0)
		r = -errno;
	fs->mounted_interrupts = false;
	if (fs->mounted_sys && umount2("/sys", MNT_DETACH) < 0)
		r = -errno;
	fs->mounted_sys = false;
	return r;
}

/* ---- kernel emulation --------------------------------------------------- */

/*
 * The emulation runs in a process of its own, not a thread: valgrind holds
 * its lock across syscalls it deems non-blocking (close, stat, access), and a
 * FUSE server thread of the same process would then never get to answer.
 */

/* Request buffer: the kernel wants room for max_write and more than 8 KiB. */
#define KBUF_SIZE (FUSE_MIN_READ_BUFFER + 65536)

static void klog(struct kernel *k, const char *fmt, ...) DP_FAKE_PRINTF(2, 3);
static void klog(struct kernel *k, const char *fmt, ...)
{
	size_t len = strlen(k->sh->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->sh->log + len, sizeof(k->sh->log) - len, fmt, ap);
	va_end(ap);
}

static void bound_driver(struct dp_fakesys *fs, const char *bdf, char *buf,
			 size_t size)
{
	char dir[PATH_MAX - 16], rel[PATH_MAX];

	buf[0] = '\0';
	if (dev_dir(bdf, dir, sizeof(dir)) == 0 &&
	    bfmt(rel, sizeof(rel), "%s/driver", dir) == 0 &&
	    dp_fakesys_readlink(fs, rel, buf, size) < 0)
		buf[0] = '\0';
}

static int k_detach(struct dp_fakesys *fs, const char *drv, const char *bdf)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r;

	if ((r = dev_dir(bdf, dir, sizeof(dir))) < 0 ||
	    (r = path_of(fs, path, "%s/driver", dir)) < 0)
		return r;
	if (unlink(path) < 0)
		return -errno;
	if ((r = path_of(fs, path, "bus/pci/drivers/%s/%s", drv, bdf)) < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* A driver's probe: fails if told to, else the links appear. */
static int k_attach(struct dp_fakesys *fs, struct fake_drv *drv, const char *bdf)
{
	char dir[PATH_MAX];
	int r;

	if (fs->kernel->sh->fail_probe[drv - fs->drvs])
		return -ENODEV;
	if ((r = dev_dir(bdf, dir, sizeof(dir))) < 0)
		return r;
	return link_driver(fs, dir, bdf, drv->name, false);
}

/* Whether the driver's ID table, or driver_override when set, takes the function. */
static bool k_matches(const struct fake_fn *fn, const struct fake_drv *drv)
{
	if (fn->override[0])
		return !strcmp(fn->override, drv->name);
	return !strcmp(fn->native, drv->name);
}

static int k_write(struct dp_fakesys *fs, struct kattr *a, const char *data,
		   size_t len)
{
	struct kernel *k = fs->kernel;
	char value[256], cur[64];
	struct fake_drv *drv = NULL;
	struct fake_fn *fn;
	int r = 0;

	if (len >= sizeof(value))
		return -EINVAL;
	memcpy(value, data, len);
	value[len] = '\0';
	if (len > 0 && value[len - 1] == '\n')
		value[len - 1] = '\0'; /* the kernel takes "x" and "x\n" alike */

	switch (a->kind) {
	case KATTR_OVERRIDE:
		fn = &fs->fns[a->index];
		/* As the kernel does: the value replaces the old one, "" clears it. */
		if (strlen(value) >= sizeof(fn->override))
			r = -EINVAL;
		else
			memcpy(fn->override, value, strlen(value) + 1);
		klog(k, "override %s %s", fn->bdf, value);
		break;
	case KATTR_UNBIND:
		drv = &fs->drvs[a->index];
		fn = find_fn(fs, value);
		if (fn)
			bound_driver(fs, fn->bdf, cur, sizeof(cur));
		if (!fn || strcmp(cur, drv->name) != 0)
			r = -ENODEV;
		else
			r = k_detach(fs, drv->name, fn->bdf);
		klog(k, "unbind %s %s", drv->name, value);
		break;
	case KATTR_BIND:
		drv = &fs->drvs[a->index];
		fn = find_fn(fs, value);
		if (fn)
			bound_driver(fs, fn->bdf, cur, sizeof(cur));
		if (!fn || !k_matches(fn, drv))
			r = -ENODEV;
		else if (cur[0])
			r = -EBUSY;
		else
			r = k_attach(fs, drv, fn->bdf);
		klog(k, "bind %s %s", drv->name, value);
		break;
	case KATTR_PROBE:
		fn = find_fn(fs, value);
		if (!fn) {
			r = -EINVAL;
			klog(k, "probe %s none", value);
			break;
		}
		bound_driver(fs, fn->bdf, cur, sizeof(cur));
		if (!cur[0]) {
			for (size_t i = 0; i < fs->ndrvs && !drv; i++)
				if (k_matches(fn, &fs->drvs[i]))
					drv = &fs->drvs[i];
			/* A failed probe leaves the function unbound; the write still succeeds. */
			if (drv)
				(void)k_attach(fs, drv, fn->bdf);
			bound_driver(fs, fn->bdf, cur, sizeof(cur));
		}
		klog(k, "probe %s %s", fn->bdf, cur[0] ? cur : "none");
		break;
	}
	if (r < 0)
		klog(k, " %d\n", r);
	else
		klog(k, "\n");
	return r;
}

static int k_read(struct dp_fakesys *fs, const struct kattr *a, char *buf,
		  size_t size)
{
	const struct fake_fn *fn;

	if (a->kind != KATTR_OVERRIDE)
		return -EACCES;
	fn = &fs->fns[a->index];
	return snprintf(buf, size, "%s\n", fn->override[0] ? fn->override : "(null)");
}

static void fuse_reply(int fd, uint64_t unique, int error, const void *data,
		       size_t len)
{
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };

	/* ENOENT: the caller was interrupted and the kernel dropped the request. */
	(void)!writev(fd, iov, error || !len ? 1 : 2);
}

static void fuse_attr_of(const struct kattr *a, struct fuse_attr *st)
{
	uint64_t now = (uint64_t)time(NULL);

	memset(st, 0, sizeof(*st));
	st->ino = 1;
	st->size = 4096;
	st->atime = st->mtime = st->ctime = now;
	st->mode = S_IFREG | (a->kind == KATTR_OVERRIDE ? 0644 : 0200);
	st->nlink = 1;
	st->blksize = 4096;
}

static void fuse_serve_one(struct dp_fakesys *fs, struct kattr *a,
			   const uint8_t *req, size_t len)
{
	const struct fuse_in_header *in = (const void *)req;
	const void *arg = req + sizeof(*in);
	int fd = a->fd;

	if (len < sizeof(*in))
		return;
	switch (in->opcode) {
	case FUSE_INIT: {
		const struct fuse_init_in *ii = arg;
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION,
			.minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
					 ii->minor : FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = ii->max_readahead,
			.max_background = 4,
			.congestion_threshold = 3,
			.max_write = 4096,
			.time_gran = 1,
		};

		if (ii->major != FUSE_KERNEL_VERSION)
			fuse_reply(fd, in->unique, -EPROTO, NULL, 0);
		else
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR:
	case FUSE_SETATTR: { /* sysfs ignores O_TRUNC, and so does this */
		struct fuse_attr_out out = { 0 };

		fuse_attr_of(a, &out.attr);
		fuse_reply(fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN: {
		const struct fuse_open_in *oi = arg;
		struct fuse_open_out out = { .open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH };

		/* Write-only attributes cannot be opened for reading, not even by root. */
		if ((oi->flags & O_ACCMODE) != O_WRONLY && a->kind != KATTR_OVERRIDE)
			fuse_reply(fd, in->unique, -EACCES, NULL, 0);
		else
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ: {
		const struct fuse_read_in *ri = arg;
		char text[128];
		int n = k_read(fs, a, text, sizeof(text));

		if (n < 0) {
			fuse_reply(fd, in->unique, n, NULL, 0);
		} else if (ri->offset >= (uint64_t)n) {
			fuse_reply(fd, in->unique, 0, NULL, 0);
		} else {
			size_t avail = (size_t)n - (size_t)ri->offset;

			fuse_reply(fd, in->unique, 0, text + ri->offset,
				   avail < ri->size ? avail : ri->size);
		}
		break;
	}
	case FUSE_WRITE: {
		const struct fuse_write_in *wi = arg;
		struct fuse_write_out out = { .size = wi->size };

		if (sizeof(*in) + sizeof(*wi) + wi->size > len) {
			fuse_reply(fd, in->unique, -EINVAL, NULL, 0);
			break;
		}
		fuse_reply(fd, in->unique,
			   k_write(fs, a, (const char *)(wi + 1), wi->size), &out,
			   sizeof(out));
		break;
	}
	case FUSE_STATFS: {
		struct fuse_statfs_out out = { .st = { .bsize = 4096, .namelen = 255 } };

		fuse_reply(fd, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_FSYNC:
	case FUSE_DESTROY:
		fuse_reply(fd, in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break; /* these take no reply */
	default:
		fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
		break;
	}
}

/* Closes what the emulation inherited from the test but does not use. */
static void close_inherited(const struct kernel *k, int keep)
{
	int fds[256];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return;
	while ((e = readdir(d)) && n < sizeof(fds) / sizeof(fds[0])) {
		int fd = atoi(e->d_name);
		bool ours = fd <= 2 || fd == keep || fd == dirfd(d);

		for (size_t i = 0; i < k->nattrs && !ours; i++)
			ours = fd == k->attrs[i].fd;
		if (e->d_name[0] != '.' && !ours)
			fds[n++] = fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(fds[i]); /* a tool's own descriptors refuse: fine */
}

static _Noreturn void kernel_main(struct dp_fakesys *fs, pid_t parent, int stop_rd)
{
	struct kernel *k = fs->kernel;
	struct pollfd *pfd = calloc(k->nattrs + 1, sizeof(*pfd));
	uint8_t *buf = malloc(KBUF_SIZE);
	int status = 0;

	/* Dies with the test, so that a failed forked test leaves nothing serving. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || !pfd || !buf)
		_exit(1);
	close_inherited(k, stop_rd);
	pfd[0].fd = stop_rd;
	pfd[0].events = POLLIN;
	for (size_t i = 0; i < k->nattrs; i++) {
		pfd[i + 1].fd = k->attrs[i].fd;
		pfd[i + 1].events = POLLIN;
	}
	for (;;) {
		if (poll(pfd, k->nattrs + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			status = 1;
			break;
		}
		if (pfd[0].revents)
			break; /* the test closed its end */
		for (size_t i = 0; i < k->nattrs; i++) {
			ssize_t n;

			if (!pfd[i + 1].revents)
				continue;
			if (pfd[i + 1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				pfd[i + 1].fd = -1; /* unmounted */
				continue;
			}
			n = read(k->attrs[i].fd, buf, KBUF_SIZE);
			if (n < 0) {
				if (errno == ENODEV)
					pfd[i + 1].fd = -1;
				continue; /* ENOENT: an interrupted request */
			}
			fuse_serve_one(fs, &k->attrs[i], buf, (size_t)n);
		}
	}
	for (size_t i = 0; i < k->nattrs; i++)
		close(k->attrs[i].fd);
	close(stop_rd);
	free(buf);
	free(pfd);
	_exit(status);
}

static int kattr_add(struct kernel *k, enum kattr_kind kind, size_t index,
		     const char *fmt, ...) DP_FAKE_PRINTF(4, 5);
static int kattr_add(struct kernel *k, enum kattr_kind kind, size_t index,
		     const char *fmt, ...)
{
	struct kattr *a = realloc(k->attrs, (k->nattrs + 1) * sizeof(*a));
	char opts[128];
	va_list ap;
	int r;

	if (!a)
		return -ENOMEM;
	k->attrs = a;
	a = &k->attrs[k->nattrs];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->index = index;
	a->fd = -1;
	va_start(ap, fmt);
	r = vpath(a->path, sizeof(a->path), "/sys", fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	k->nattrs++;
	a->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (a->fd < 0)
		return -errno;
	if ((r = bfmt(opts, sizeof(opts), "fd=%d,rootmode=%o,user_id=0,group_id=0",
		      a->fd, (unsigned)(S_IFREG | (kind == KATTR_OVERRIDE ? 0644 : 0200)))) < 0)
		return r;
	if (mount("dp-fakesys", a->path, "fuse.dp-fakesys", MS_NOSUID | MS_NODEV,
		  opts) < 0)
		return -errno;
	a->mounted = true;
	return 0;
}

static void kernel_free(struct dp_fakesys *fs)
{
	struct kernel *k = fs->kernel;

	for (size_t i = 0; i < k->nattrs; i++) {
		if (k->attrs[i].fd >= 0)
			close(k->attrs[i].fd);
		if (k->attrs[i].mounted)
			umount2(k->attrs[i].path, MNT_DETACH);
	}
	if (k->stop_fd >= 0)
		close(k->stop_fd);
	if (k->sh)
		munmap(k->sh, k->shsize);
	free(k->attrs);
	free(k);
	fs->kernel = NULL;
}

int dp_fakesys_kernel_start(struct dp_fakesys *fs)
{
	struct kernel *k;
	int pipefd[2], r;
	pid_t parent = getpid();

	if (!fs || !fs->mounted_sys)
		return -EINVAL;
	if (fs->kernel)
		return -EBUSY;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	fs->kernel = k;
	k->stop_fd = -1;
	k->shsize = sizeof(*k->sh) + fs->ndrvs;
	k->sh = mmap(NULL, k->shsize, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (k->sh == MAP_FAILED) {
		k->sh = NULL;
		r = -errno;
		goto err;
	}
	for (size_t i = 0; i < fs->ndrvs; i++)
		k->sh->fail_probe[i] = fs->drvs[i].fail_probe;
	if ((r = kattr_add(k, KATTR_PROBE, 0, "bus/pci/drivers_probe")) < 0)
		goto err;
	for (size_t i = 0; i < fs->ndrvs; i++)
		if ((r = kattr_add(k, KATTR_BIND, i, "bus/pci/drivers/%s/bind",
				   fs->drvs[i].name)) < 0 ||
		    (r = kattr_add(k, KATTR_UNBIND, i, "bus/pci/drivers/%s/unbind",
				   fs->drvs[i].name)) < 0)
			goto err;
	for (size_t i = 0; i < fs->nfns; i++) {
		char dir[PATH_MAX];

		if ((r = dev_dir(fs->fns[i].bdf, dir, sizeof(dir))) < 0 ||
		    (r = kattr_add(k, KATTR_OVERRIDE, i, "%s/driver_override", dir)) < 0)
			goto err;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		goto err;
	}
	fflush(NULL);
	k->pid = fork();
	if (k->pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		goto err;
	}
	if (k->pid == 0) {
		close(pipefd[1]);
		kernel_main(fs, parent, pipefd[0]);
	}
	close(pipefd[0]);
	k->stop_fd = pipefd[1];
	/* Only the emulation holds the connections now: if it dies, they abort. */
	for (size_t i = 0; i < k->nattrs; i++) {
		close(k->attrs[i].fd);
		k->attrs[i].fd = -1;
	}
	return 0;
err:
	kernel_free(fs);
	return r;
}

int dp_fakesys_kernel_stop(struct dp_fakesys *fs)
{
	struct kernel *k = fs ? fs->kernel : NULL;
	int status = 0, r = 0;

	if (!k)
		return 0;
	if (k->pid > 0) {
		close(k->stop_fd);
		k->stop_fd = -1;
		while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			r = -EIO;
	}
	kernel_free(fs);
	return r;
}

int dp_fakesys_kernel_fail_probe(struct dp_fakesys *fs, const char *driver)
{
	struct fake_drv *d = fs && driver ? find_drv(fs, driver) : NULL;

	if (!d)
		return -ENOENT;
	d->fail_probe = true;
	if (fs->kernel)
		fs->kernel->sh->fail_probe[d - fs->drvs] = 1;
	return 0;
}

const char *dp_fakesys_kernel_log(struct dp_fakesys *fs)
{
	struct kernel *k = fs ? fs->kernel : NULL;

	if (!k)
		return "";
	/* The emulation logs before it answers: a returned write is in. */
	memcpy(k->log_copy, k->sh->log, sizeof(k->log_copy));
	k->log_copy[sizeof(k->log_copy) - 1] = '\0';
	return k->log_copy;
}

struct dp_ctx *dp_fakesys_ctx(const struct dp_fakesys *fs)
{
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn };
	char dc[PATH_MAX];
	struct dp_ctx *ctx;

	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	o.driverctl_dir = dc;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	return ctx;
}

/* ---- what hangs below a function: bus and class devices ----------------- */

int dp_fakesys_dev_dir(const struct dp_fakesys *fs, const char *bdf, char *buf, size_t size)
{
	unsigned dom, bus, slot, fn;

	if (!fs || parse_bdf(bdf, &dom, &bus, &slot, &fn) < 0)
		return -EINVAL;
	return dev_dir(bdf, buf, size);
}

/* "../" once per component of rel, then target: rel's way up to the tree's root and down. */
static int up_to_root(char *buf, size_t size, const char *rel, const char *target)
{
	size_t o = 0;

	buf[0] = '\0';
	for (const char *p = rel; *p; p++) {
		if (p != rel && *p != '/')
			continue;
		if (o + 4 > size)
			return -ENAMETOOLONG;
		memcpy(buf + o, "../", 4);
		o += 3;
	}
	return bfmt(buf + o, size - o, "%s", target);
}

static const char *base_name(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash ? slash + 1 : rel;
}

int dp_fakesys_add_node(struct dp_fakesys *fs, const char *rel, const char *subsys)
{
	char path[PATH_MAX], target[PATH_MAX], back[PATH_MAX];
	const char *name = base_name(rel);
	int r;

	if (!fs || !rel || !*rel || !subsys || !*name)
		return -EINVAL;
	if ((r = path_of(fs, path, "%s", rel)) < 0 || (r = mkdir_p(path)) < 0 ||
	    (r = attr(fs, rel, "uevent", 0644, "%s", "")) < 0)
		return r;
	/* The subsystem link goes from rel to the subsystem's directory. */
	if ((r = up_to_root(target, sizeof(target), rel, subsys)) < 0 ||
	    (r = path_of(fs, path, "%s/subsystem", rel)) < 0 ||
	    (r = symlink_force(target, path)) < 0)
		return r;
	/* The way back: class/X/<name>, or bus/X/devices/<name>. */
	if (strncmp(subsys, "bus/", 4) == 0)
		r = bfmt(back, sizeof(back), "%s/devices/%s", subsys, name);
	else
		r = bfmt(back, sizeof(back), "%s/%s", subsys, name);
	if (r < 0 || (r = up_to_root(target, sizeof(target), back, rel)) < 0)
		return r;
	/* up_to_root counted the link itself: one "../" too many. */
	memmove(target, target + 3, strlen(target + 3) + 1);
	if ((r = path_of(fs, path, "%s", back)) < 0)
		return r;
	return symlink_force(target, path);
}

int dp_fakesys_add_usb(struct dp_fakesys *fs, const char *rel, const struct dp_fake_usb *usb)
{
	char irel[PATH_MAX];
	const char *name = rel ? base_name(rel) : "";
	int r;

	if (!usb || usb->n_ifs > 32)
		return -EINVAL;
	if ((r = dp_fakesys_add_node(fs, rel, "bus/usb")) < 0 ||
	    (r = attr(fs, rel, "idVendor", 0444, "%04x\n", usb->vendor)) < 0 ||
	    (r = attr(fs, rel, "idProduct", 0444, "%04x\n", usb->product)) < 0 ||
	    (r = attr(fs, rel, "bDeviceClass", 0444, "%02x\n", usb->device_class)) < 0 ||
	    (r = attr(fs, rel, "bNumInterfaces", 0444, "%2zu\n", usb->n_ifs)) < 0 ||
	    (r = bfmt(irel, sizeof(irel), "%s/power/control", rel)) < 0 ||
	    (r = dp_fakesys_write(fs, irel, "on\n")) < 0)
		return r;
	if (usb->manufacturer &&
	    (r = attr(fs, rel, "manufacturer", 0444, "%s\n", usb->manufacturer)) < 0)
		return r;
	if (usb->product_name && (r = attr(fs, rel, "product", 0444, "%s\n", usb->product_name)) < 0)
		return r;
	for (size_t i = 0; i < usb->n_ifs; i++) {
		const struct dp_fake_usb_if *f = &usb->ifs[i];

		/* The kernel names an interface <device>:<configuration>.<interface>. */
		if ((r = bfmt(irel, sizeof(irel), "%s/%s:1.%zu", rel, name, i)) < 0 ||
		    (r = dp_fakesys_add_node(fs, irel, "bus/usb")) < 0 ||
		    (r = attr(fs, irel, "bInterfaceClass", 0444, "%02x\n", f->cls)) < 0 ||
		    (r = attr(fs, irel, "bInterfaceSubClass", 0444, "%02x\n", f->subclass)) < 0 ||
		    (r = attr(fs, irel, "bInterfaceProtocol", 0444, "%02x\n", f->protocol)) < 0 ||
		    (r = attr(fs, irel, "bInterfaceNumber", 0444, "%02zx\n", i)) < 0)
			return r;
	}
	return 0;
}

int dp_fakesys_add_block(struct dp_fakesys *fs, const char *rel, unsigned major, unsigned minor,
			 unsigned partition)
{
	char sub[PATH_MAX];
	int r;

	if ((r = dp_fakesys_add_node(fs, rel, "class/block")) < 0 ||
	    (r = attr(fs, rel, "dev", 0444, "%u:%u\n", major, minor)) < 0 ||
	    (r = attr(fs, rel, "size", 0444, "%u\n", partition ? 1048576u : 4194304u)) < 0 ||
	    (r = path_of(fs, sub, "%s/holders", rel)) < 0 || (r = mkdir_p(sub)) < 0 ||
	    (r = path_of(fs, sub, "%s/power", rel)) < 0 || (r = mkdir_p(sub)) < 0)
		return r;
	if (partition)
		return attr(fs, rel, "partition", 0444, "%u\n", partition);
	/* A disk's queue/ (no subsystem link), which the reader must not take for a device. */
	if ((r = bfmt(sub, sizeof(sub), "%s/queue/rotational", rel)) < 0)
		return r;
	return dp_fakesys_write(fs, sub, "0\n");
}

int dp_fakesys_add_holder(struct dp_fakesys *fs, const char *name, unsigned major,
			  unsigned minor, const char *const *below)
{
	char rel[PATH_MAX], path[PATH_MAX], target[PATH_MAX], link[PATH_MAX];
	int r;

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	if ((r = bfmt(rel, sizeof(rel), "devices/virtual/block/%s", name)) < 0 ||
	    (r = dp_fakesys_add_block(fs, rel, major, minor, 0)) < 0)
		return r;
	for (const char *const *b = below; b && *b; b++) {
		ssize_t n;

		/* Where the held device lies: its class link, "../../<its directory>". */
		if ((r = path_of(fs, path, "class/block/%s", *b)) < 0)
			return r;
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 6)
			return n < 0 ? -errno : -EINVAL;
		link[n] = '\0';
		if ((r = bfmt(target, sizeof(target), "%s/holders/x", link + 6)) < 0 ||
		    (r = up_to_root(link, sizeof(link), target, rel)) < 0 ||
		    (r = path_of(fs, path, "class/block/%s/holders/%s", *b, name)) < 0 ||
		    (r = symlink_force(link + 3, path)) < 0)
			return r;
		if ((r = bfmt(target, sizeof(target), "%s/slaves/x", rel)) < 0 ||
		    (r = up_to_root(link, sizeof(link), target, "class/block/")) < 0 ||
		    (r = path_of(fs, path, "%s/slaves/%s", rel, *b)) < 0)
			return r;
		strncat(link, *b, sizeof(link) - strlen(link) - 1);
		if ((r = symlink_force(link + 3, path)) < 0)
			return r;
	}
	return 0;
}

int dp_fakesys_add_vtcon(struct dp_fakesys *fs, unsigned n, const char *name, bool bound)
{
	char rel[PATH_MAX];
	int r;

	if (!name)
		return -EINVAL;
	if ((r = bfmt(rel, sizeof(rel), "devices/virtual/vtconsole/vtcon%u", n)) < 0 ||
	    (r = dp_fakesys_add_node(fs, rel, "class/vtconsole")) < 0 ||
	    (r = attr(fs, rel, "name", 0444, "%s\n", name)) < 0)
		return r;
	return attr(fs, rel, "bind", 0644, "%d\n", bound ? 1 : 0);
}
