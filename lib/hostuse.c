/* SPDX-License-Identifier: MIT */
/*
 * What the host loses when a PCI function goes to a VM: the USB devices,
 * block devices, network interfaces and framebuffers below it in sysfs, and
 * whether the host uses them (a keyboard, a mounted root, the default route,
 * the console). Host facts only: nothing here decides.
 *
 * The walk goes down the function's sysfs directory through directories
 * only (openat with O_NOFOLLOW), so a symbolic link is never followed and no
 * loop can form; a child PCI function is left to its own report. Each
 * directory's kind is its "subsystem" link's last component: "usb" (a
 * device, or an interface when its name has a ':'), "block", "net",
 * "graphics" (an "fbN"). A network interface's master and upper_* links
 * are read for their names only. Links are followed in two places only, both
 * checked to end under /sys/devices: /sys/class/block/<holder> for the
 * holders of a block device (one level: what holders/ names, not their
 * holders), and /sys/class/vtconsole/vtcon*.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostuse-internal.h"
#include "quote.h"
#include "sysfs.h"

/* ---- the result ----------------------------------------------------------- */

void dp_host_use_free(struct dp_host_use *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n_block; i++) {
		/* Allocated whole, zeroed: the slots past the kept mount points are NULL. */
		for (size_t k = 0; u->block[i].mounts && k < DP_HOST_USE_MOUNTS_MAX; k++)
			free(u->block[i].mounts[k]);
		free(u->block[i].mounts);
	}
	free(u->usb);
	free(u->block);
	free(u->net);
	free(u);
}

/* Grows *arr (elements of size) to hold one more than n, up to max; 0, -ENOSPC or -ENOMEM. */
int dp_hostuse_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -ENOSPC;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Copies s into out (size bytes), cut at a UTF-8 character boundary. */
void dp_hostuse_copy_name(char *out, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, s, len);
	out[len] = '\0';
}

/* ---- the walk ------------------------------------------------------------- */

/* Says a limit was hit, once per limit. */
void dp_hostuse_limit_hit(struct walk *w, bool *said, const char *what, unsigned max)
{
	w->u->unknown |= DP_HOST_UNKNOWN_TREE;
	if (*said)
		return;
	*said = true;
	dp_warn(w->ctx, "%s: more than %u %s below it; the rest is not read", w->u->bdf, max,
		what);
}

/* Notes a garbage or unreadable attribute that decides a flag. */
void dp_hostuse_bad_attr(struct walk *w, const char *name, int r, unsigned unknown)
{
	w->u->unknown |= unknown;
	if (r == -EINVAL || r == -EFBIG)
		dp_warn(w->ctx, "%s: %s%s%s holds garbage; treated as unknown", w->u->bdf, w->path,
			w->path[0] ? "/" : "", name);
	else
		dp_warn(w->ctx, "%s: %s%s%s: %s; treated as unknown", w->u->bdf, w->path,
			w->path[0] ? "/" : "", name, strerror(-r));
}

/* True when fd's directory lies under /sys/devices (read through /proc/self/fd). */
bool dp_hostuse_under_sys_devices(int fd)
{
	char proc[64], target[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, SYS_DEVICES_PREFIX, strlen(SYS_DEVICES_PREFIX)) == 0;
}

static bool is_function_name(const char *name)
{
	char norm[DP_BDF_LEN];

	return dp_bdf_normalize(name, norm) == 0 && strcmp(norm, name) == 0;
}

static enum kind classify(int fd, const char *name)
{
	char subsys[64];
	const char *digits;

	if (dp_sysfs_readlink_base(fd, "subsystem", subsys, sizeof(subsys)) < 0)
		return KIND_NONE;
	if (strcmp(subsys, "usb") == 0)
		return strchr(name, ':') ? KIND_USB_IF : KIND_USB;
	if (strcmp(subsys, "block") == 0)
		return KIND_BLOCK;
	if (strcmp(subsys, "net") == 0)
		return KIND_NET;
	if (strcmp(subsys, "graphics") == 0 && strncmp(name, "fb", 2) == 0) {
		digits = name + 2;
		if (*digits && strspn(digits, "0123456789") == strlen(digits) && strlen(digits) < 4)
			return KIND_FB;
	}
	if (strcmp(subsys, "pci") == 0)
		return KIND_FUNCTION;
	return KIND_NONE;
}

/* Appends /name to w->path; returns the old length to cut it back to. */
static size_t path_push(struct walk *w, const char *name)
{
	size_t len = strlen(w->path);

	snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "/" : "", name);
	return len;
}

/*
 * Records what the directory fd (named name, below parent) is and goes down
 * its subdirectories; closes fd.
 */
static void walk_dir(struct walk *w, int fd, const char *name, unsigned depth,
		     const struct frame *parent)
{
	struct frame self = { KIND_NONE, 0, name };
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > 0) {
		self.kind = classify(fd, name);
		/* Below a block device only its partitions matter, not queue/, mq/, trace/. */
		if (parent->kind == KIND_BLOCK && self.kind != KIND_BLOCK)
			goto out;
		switch (self.kind) {
		case KIND_FUNCTION:
			goto out; /* another function: its own report */
		case KIND_USB:
			r = dp_hostuse_add_usb(w, fd, name, &self.index);
			break;
		case KIND_USB_IF:
			if (parent->kind == KIND_USB)
				dp_hostuse_add_usb_if(w, fd, name, parent->index);
			break;
		case KIND_BLOCK:
			r = dp_hostuse_add_block(w, fd, name, parent);
			break;
		case KIND_NET:
			if (dp_hostuse_add_net(w, fd, name) == -ENOMEM)
				w->err = -ENOMEM;
			goto out; /* queues/ and statistics/ hold nothing of ours */
		case KIND_FB:
			dp_hostuse_add_fb(w, name);
			goto out;
		case KIND_NONE:
			break;
		}
		if (r == -ENOMEM)
			w->err = r;
		if (r < 0)
			goto out; /* a list is full: nothing below counts either */
	}
	if (depth == DP_HOST_USE_DEPTH_MAX) {
		dp_hostuse_limit_hit(w, &w->said_depth, "directory levels", DP_HOST_USE_DEPTH_MAX);
		goto out;
	}
	d = fdopendir(fd);
	if (!d) {
		w->err = -ENOMEM;
		goto out;
	}
	while (!w->err && (de = readdir(d))) {
		struct stat st;
		size_t len;
		int cfd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > DP_HOST_USE_ENTRIES_MAX) {
			dp_hostuse_limit_hit(w, &w->said_entries, "directory entries",
					     DP_HOST_USE_ENTRIES_MAX);
			break;
		}
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
		} else if (de->d_type != DT_DIR) {
			continue; /* files, and links: never followed */
		}
		if (is_function_name(de->d_name))
			continue;
		if (++w->dirs > DP_HOST_USE_DIRS_MAX) {
			dp_hostuse_limit_hit(w, &w->said_dirs, "directories", DP_HOST_USE_DIRS_MAX);
			break;
		}
		len = path_push(w, de->d_name);
		cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* Gone, or swapped for a link since readdir, is nothing to read. */
		if (cfd >= 0) {
			walk_dir(w, cfd, de->d_name, depth + 1, &self);
		} else if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) {
			w->u->unknown |= DP_HOST_UNKNOWN_TREE;
			dp_warn(w->ctx, "%s: %s: %s; not read", w->u->bdf, w->path, strerror(errno));
		}
		w->path[len] = '\0';
	}
	closedir(d);
	return;
out:
	close(fd);
}

/* ---- files of lines ---------------------------------------------------------- */

/*
 * Calls fn for each line of the regular file path (without its newline), up
 * to DP_HOST_USE_LINES_MAX lines. A line longer than DP_HOST_USE_LINE_LEN
 * is not handed over: *long_lines counts them, *cut says the line limit
 * ended the reading. 0, or a negative errno from open or read (-EINVAL: not
 * a regular file).
 */
int dp_hostuse_read_lines(const char *path, line_fn fn, void *arg, unsigned *long_lines,
			  bool *cut)
{
	char *buf;
	size_t have = 0;
	unsigned lineno = 0;
	bool skipping = false;
	struct stat st;
	int fd, r = 0;

	*long_lines = 0;
	*cut = false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL; /* a FIFO or a device would block or never end */
	if (r < 0) {
		close(fd);
		return r;
	}
	buf = malloc(DP_HOST_USE_LINE_LEN + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, DP_HOST_USE_LINE_LEN + 1 - have);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			if (have > 0 && !skipping) {
				if (lineno < DP_HOST_USE_LINES_MAX)
					fn(arg, buf, have, ++lineno);
				else
					*cut = true;
			}
			break;
		}
		have += (size_t)n;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t len = (size_t)(nl - (buf + start));

			if (skipping) {
				skipping = false;
			} else if (lineno == DP_HOST_USE_LINES_MAX) {
				*cut = true;
				goto done;
			} else {
				fn(arg, buf + start, len, ++lineno);
			}
			start += len + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == DP_HOST_USE_LINE_LEN + 1) {
			/* No newline in the whole buffer: a line too long to be the kernel's. */
			if (!skipping) {
				(*long_lines)++;
				lineno++;
			}
			skipping = true;
			have = 0;
		}
	}
done:
	free(buf);
	close(fd);
	return r;
}

static int cmp_fb(const void *a, const void *b)
{
	return strverscmp(a, b);
}

static int cmp_usb(const void *a, const void *b)
{
	return strverscmp(((const struct dp_host_usb *)a)->name, ((const struct dp_host_usb *)b)->name);
}

static int cmp_usb_if(const void *a, const void *b)
{
	return strverscmp(((const struct dp_host_usb_if *)a)->name,
			  ((const struct dp_host_usb_if *)b)->name);
}

static int cmp_block(const void *a, const void *b)
{
	return strverscmp(((const struct dp_host_block *)a)->name,
			  ((const struct dp_host_block *)b)->name);
}

static int cmp_net(const void *a, const void *b)
{
	return strverscmp(((const struct dp_host_net *)a)->name, ((const struct dp_host_net *)b)->name);
}

/* qsort for lists that may be empty, and so NULL, which qsort must not be given. */
static void sort_list(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void summarize(struct dp_host_use *u)
{
	for (size_t i = 0; i < u->n_usb; i++) {
		unsigned f = u->usb[i].flags;

		if (f & DP_HOST_USB_KEYBOARD)
			u->flags |= DP_HOST_USE_USB_KEYBOARD;
		if (f & DP_HOST_USB_HID)
			u->flags |= DP_HOST_USE_USB_HID;
		if (f & DP_HOST_USB_STORAGE)
			u->flags |= DP_HOST_USE_USB_STORAGE;
	}
	for (size_t i = 0; i < u->n_block; i++) {
		unsigned f = u->block[i].flags;

		if (f & DP_HOST_BLOCK_MOUNTED)
			u->flags |= DP_HOST_USE_MOUNTED;
		if (f & DP_HOST_BLOCK_ROOT)
			u->flags |= DP_HOST_USE_ROOT_FS;
		if (f & DP_HOST_BLOCK_BOOT)
			u->flags |= DP_HOST_USE_BOOT_FS;
	}
	for (size_t i = 0; i < u->n_net; i++)
		if (u->net[i].default_route)
			u->flags |= DP_HOST_USE_DEFAULT_ROUTE;
	if (u->display.boot_vga)
		u->flags |= DP_HOST_USE_BOOT_VGA;
	if (u->display.console)
		u->flags |= DP_HOST_USE_CONSOLE;
}

/* ---- the entry point ---------------------------------------------------------- */

int dp_host_use_read(struct dp_ctx *ctx, const char *bdf, const struct dp_host_use_paths *paths,
		     struct dp_host_use **out)
{
	char q[DP_QUOTE_SIZE(64)], dir[PATH_MAX];
	struct walk *w = NULL;
	struct dp_host_use *u = NULL;
	struct frame top = { KIND_NONE, 0, "" };
	const char *mountinfo = paths && paths->mountinfo ? paths->mountinfo : DP_PROC_SELF_MOUNTINFO;
	const char *route = paths && paths->route ? paths->route : DP_PROC_NET_ROUTE;
	uint64_t cls;
	long boot_vga;
	size_t n_own;
	int fd, r;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !bdf) || dp_bug_on(ctx, !out))
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	w = calloc(1, sizeof(*w));
	if (!u || !w) {
		r = -ENOMEM;
		goto err;
	}
	u->refcount = 1;
	w->ctx = ctx;
	w->u = u;
	if (dp_bdf_normalize(bdf, u->bdf) < 0) {
		dp_err(ctx, "\"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
		       dp_quote(q, sizeof(q), bdf));
		r = -EINVAL;
		goto err;
	}
	snprintf(dir, sizeof(dir), "%s/%s", DP_SYS_PCI_DEVICES, u->bdf);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? -ENODEV : -errno;
		dp_err(ctx, "%s: %s", u->bdf,
		       r == -ENODEV ? "no such PCI function in sysfs" : strerror(-r));
		goto err;
	}
	if (!dp_hostuse_under_sys_devices(fd)) {
		close(fd);
		dp_err(ctx, "%s: %s is not a device under %s", u->bdf, dir, SYS_DEVICES_PREFIX);
		r = -EXDEV;
		goto err;
	}
	if (dp_sysfs_read_u64(fd, "class", 16, 0xffffff, &cls) == 0)
		u->class_code = (uint32_t)cls;
	r = dp_sysfs_read_long(fd, "boot_vga", 0, 1, &boot_vga);
	if (r == 0)
		u->display.boot_vga = boot_vga == 1;
	else if (r != -ENOENT)
		dp_hostuse_bad_attr(w, "boot_vga", r, DP_HOST_UNKNOWN_DISPLAY);
	walk_dir(w, fd, u->bdf, 0, &top);
	if (w->err)
		goto nomem;

	sort_list(u->usb, u->n_usb, sizeof(*u->usb), cmp_usb);
	for (size_t i = 0; i < u->n_usb; i++)
		sort_list(u->usb[i].ifs, u->usb[i].n_ifs, sizeof(u->usb[i].ifs[0]), cmp_usb_if);
	sort_list(u->block, u->n_block, sizeof(*u->block), cmp_block);
	sort_list(u->net, u->n_net, sizeof(*u->net), cmp_net);
	sort_list(u->display.fbs, u->display.n_fbs, sizeof(u->display.fbs[0]), cmp_fb);

	n_own = u->n_block;
	dp_hostuse_resolve_holders(w);
	if (w->err)
		goto nomem;
	if (u->n_block > n_own)
		sort_list(u->block + n_own, u->n_block - n_own, sizeof(*u->block), cmp_block);
	if (u->n_block > 0)
		dp_hostuse_read_mounts(w, mountinfo);
	if (u->n_net > 0)
		dp_hostuse_read_routes(w, route);
	if ((u->class_code >> 16) == 0x03 || u->display.n_fbs > 0 || u->display.boot_vga)
		dp_hostuse_read_vtconsoles(w);
	if (w->err)
		goto nomem;
	u->display.console = u->display.fbcon_bound && u->display.n_fbs > 0;
	summarize(u);
	dp_dbg(ctx, "%s: %zu USB devices, %zu block devices (%zu holders), %zu network "
	       "interfaces, %zu framebuffers; flags %#x, unknown %#x", u->bdf, u->n_usb, u->n_block, u->n_block - n_own, u->n_net, u->display.n_fbs,
	       u->flags, u->unknown);
	free(w->holders);
	free(w);
	*out = u;
	return 0;

nomem:
	r = w->err;
	dp_err(ctx, "%s: out of memory reading what hangs below it", u->bdf);
err:
	if (w)
		free(w->holders);
	free(w);
	dp_host_use_free(u);
	return r;
}
