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
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostuse.h"
#include "quote.h"
#include "sysfs.h"

/* Where every directory the walk or a followed link reaches must lie. */
#define SYS_DEVICES_PREFIX "/sys/devices/"

/* USB classes (usb.org's defined class codes). */
#define USB_CLASS_HID 0x03
#define USB_CLASS_MASS_STORAGE 0x08
#define USB_CLASS_HUB 0x09
#define USB_HID_PROTOCOL_KEYBOARD 0x01

/* ---- pure parsers --------------------------------------------------------- */

/* Decimal digits only, all of s[0..len), at most max; 0 or -EINVAL. */
static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A decimal integer with an optional minus, within int32_t; 0 or -EINVAL. */
static int parse_s32(const char *s, size_t len, int32_t *out)
{
	uint64_t v;
	bool neg = len > 0 && s[0] == '-';

	if (parse_dec(s + neg, len - neg, neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX, &v) < 0)
		return -EINVAL;
	*out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
	return 0;
}

/* 1 to max hex digits, all of s[0..len); 0 or -EINVAL. */
static int parse_hex(const char *s, size_t len, size_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (len == 0 || len > max)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (!isxdigit(c))
			return -EINVAL;
		v = v << 4 | (uint32_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*out = v;
	return 0;
}

/* "MAJ:MIN", both decimal within uint32_t; 0 or -EINVAL. */
static int parse_devnum(const char *s, size_t len, uint32_t *major, uint32_t *minor)
{
	const char *colon = memchr(s, ':', len);
	uint64_t a, b;

	if (!colon || parse_dec(s, (size_t)(colon - s), UINT32_MAX, &a) < 0 ||
	    parse_dec(colon + 1, len - (size_t)(colon + 1 - s), UINT32_MAX, &b) < 0)
		return -EINVAL;
	*major = (uint32_t)a;
	*minor = (uint32_t)b;
	return 0;
}

/*
 * Undoes the kernel's \ooo escapes of s[0..len) into out (size bytes): up to
 * size - 1 bytes are kept, *cut says whether more were dropped. -EINVAL for
 * a backslash not followed by three octal digits, or one that makes a NUL.
 */
static int unescape(const char *s, size_t len, char *out, size_t size, bool *cut)
{
	size_t o = 0;

	*cut = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\n')
			return -EINVAL; /* the kernel escapes both */
		if (c == '\\') {
			if (len - i < 4 || s[i + 1] < '0' || s[i + 1] > '3' ||
			    s[i + 2] < '0' || s[i + 2] > '7' || s[i + 3] < '0' || s[i + 3] > '7')
				return -EINVAL;
			c = (unsigned char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
					    (s[i + 3] - '0'));
			if (c == 0)
				return -EINVAL;
			i += 3;
		}
		if (o + 1 < size)
			out[o++] = (char)c;
		else
			*cut = true;
	}
	out[o] = '\0';
	return 0;
}

/* Fields of a mountinfo line: six, optional ones, "-", three. */
#define MOUNTINFO_FIELDS_MAX 64

int dp_mountinfo_parse_line(const char *line, size_t len, struct dp_mountinfo_entry *out)
{
	const char *f[MOUNTINFO_FIELDS_MAX];
	size_t fl[MOUNTINFO_FIELDS_MAX], n = 0, sep = 0, start = 0;
	struct dp_mountinfo_entry *e;
	char *root;
	uint64_t id;
	bool cut, fcut, scut;
	int r = -EINVAL;

	if (!line || !out || memchr(line, '\0', len) || memchr(line, '\n', len))
		return -EINVAL;
	/* Single spaces separate fields: an empty source shows as two spaces in a row. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (n == MOUNTINFO_FIELDS_MAX)
			return -EINVAL;
		f[n] = line + start;
		fl[n++] = i - start;
		start = i + 1;
	}
	for (size_t i = 6; i < n; i++) {
		if (fl[i] == 1 && f[i][0] == '-') {
			sep = i;
			break;
		}
		if (fl[i] == 0)
			return -EINVAL; /* an empty optional field */
	}
	if (sep == 0 || n != sep + 4)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++)
		if (fl[i] == 0)
			return -EINVAL;
	if (fl[sep + 1] == 0 || fl[sep + 3] == 0)
		return -EINVAL; /* no type, no super options */
	if (parse_dec(f[0], fl[0], UINT64_MAX, &id) < 0 ||
	    parse_dec(f[1], fl[1], UINT64_MAX, &id) < 0)
		return -EINVAL;
	/* Written whole or not at all: the entry is built aside. */
	e = malloc(sizeof(*e) + DP_MOUNTINFO_PATH_MAX);
	if (!e)
		return -ENOMEM;
	root = (char *)(e + 1);
	if (parse_devnum(f[2], fl[2], &e->major, &e->minor) < 0)
		goto out;
	r = unescape(f[4], fl[4], e->mount_point, sizeof(e->mount_point), &cut);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (cut) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (e->mount_point[0] != '/')
		goto out;
	/* The root within the filesystem is only checked: "/dir", or "net:[4026531840]" for nsfs. */
	if (unescape(f[3], fl[3], root, DP_MOUNTINFO_PATH_MAX, &cut) < 0 ||
	    unescape(f[sep + 1], fl[sep + 1], e->fstype, sizeof(e->fstype), &fcut) < 0 ||
	    unescape(f[sep + 2], fl[sep + 2], e->source, sizeof(e->source), &scut) < 0)
		goto out;
	e->cut = fcut || scut;
	*out = *e;
	r = 0;
out:
	free(e);
	return r;
}

/* The fields of /proc/net/route. */
#define ROUTE_FIELDS 11

int dp_route_parse_line(const char *line, size_t len, struct dp_route_entry *out)
{
	const char *f[ROUTE_FIELDS];
	size_t fl[ROUTE_FIELDS], n = 0, i = 0;
	struct dp_route_entry e;
	uint64_t u64;
	int32_t s32;

	if (!line || !out || memchr(line, '\0', len) || memchr(line, '\n', len))
		return -EINVAL;
	/* Tab-separated, the line padded with spaces to 127 characters. */
	while (i < len) {
		size_t s;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == ROUTE_FIELDS)
			return -EINVAL;
		s = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		f[n] = line + s;
		fl[n++] = i - s;
	}
	if (n >= 1 && fl[0] == 5 && memcmp(f[0], "Iface", 5) == 0)
		return 1;
	if (n != ROUTE_FIELDS)
		return -EINVAL;
	/* The kernel's dev_valid_name, and "*" for none. */
	if (fl[0] >= sizeof(e.ifname) || memchr(f[0], '/', fl[0]) || memchr(f[0], ':', fl[0]) ||
	    (fl[0] == 1 && f[0][0] == '.') || (fl[0] == 2 && memcmp(f[0], "..", 2) == 0))
		return -EINVAL;
	for (size_t k = 0; k < fl[0]; k++)
		if (isspace((unsigned char)f[0][k]))
			return -EINVAL;
	memcpy(e.ifname, f[0], fl[0]);
	e.ifname[fl[0]] = '\0';
	/* %08X addresses, %04X flags, %d and %u numbers, as fib_route_seq_show prints them. */
	if (fl[1] != 8 || parse_hex(f[1], fl[1], 8, &e.destination) < 0 ||
	    fl[2] != 8 || parse_hex(f[2], fl[2], 8, &e.gateway) < 0 ||
	    parse_hex(f[3], fl[3], 8, &e.flags) < 0 ||
	    parse_s32(f[4], fl[4], &s32) < 0 ||                    /* RefCnt */
	    parse_dec(f[5], fl[5], UINT32_MAX, &u64) < 0 ||        /* Use */
	    parse_s32(f[6], fl[6], &e.metric) < 0 ||
	    fl[7] != 8 || parse_hex(f[7], fl[7], 8, &e.mask) < 0 ||
	    parse_s32(f[8], fl[8], &s32) < 0 ||                    /* MTU */
	    parse_dec(f[9], fl[9], UINT32_MAX, &u64) < 0 ||        /* Window */
	    parse_dec(f[10], fl[10], UINT32_MAX, &u64) < 0)        /* IRTT */
		return -EINVAL;
	*out = e;
	return 0;
}

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
static int grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
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
static void copy_name(char *out, size_t size, const char *s)
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

/* A string a device gave: cut as copy_name does, control characters as '?'. */
static void copy_device_string(char *out, size_t size, const char *s)
{
	copy_name(out, size, s);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* ---- the walk ------------------------------------------------------------- */

enum kind { KIND_NONE, KIND_FUNCTION, KIND_USB, KIND_USB_IF, KIND_BLOCK, KIND_NET, KIND_FB };

/* A holder named by a block device's holders/, resolved after the walk. */
struct pending_holder {
	char name[DP_HOST_USE_NAME_MAX];
	char below[DP_HOST_USE_NAME_MAX];
};

struct walk {
	struct dp_ctx *ctx;
	struct dp_host_use *u;
	size_t cap_usb, cap_block, cap_net;
	struct pending_holder *holders;
	size_t n_holders, cap_holders;
	unsigned dirs, entries;
	bool said_depth, said_dirs, said_entries, said_usb, said_block, said_net, said_fb;
	bool said_ifs, said_holders;
	int err;             /* -ENOMEM: stop */
	char path[PATH_MAX]; /* relative to the function's directory, for messages */
};

/* The parent of a directory in the walk. */
struct frame {
	enum kind kind;
	size_t index;        /* into the result's array of that kind */
	const char *name;
};

/* Says a limit was hit, once per limit. */
static void limit_hit(struct walk *w, bool *said, const char *what, unsigned max)
{
	w->u->unknown |= DP_HOST_UNKNOWN_TREE;
	if (*said)
		return;
	*said = true;
	dp_warn(w->ctx, "%s: more than %u %s below it; the rest is not read", w->u->bdf, max,
		what);
}

/* Notes a garbage or unreadable attribute that decides a flag. */
static void bad_attr(struct walk *w, const char *name, int r, unsigned unknown)
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
static bool under_sys_devices(int fd)
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

/* A hex attribute of a USB device or interface, within max; 0 with a note when unknown. */
static unsigned usb_hex(struct walk *w, int fd, const char *name, uint64_t max)
{
	uint64_t v;
	int r = dp_sysfs_read_u64(fd, name, 16, max, &v);

	if (r < 0) {
		bad_attr(w, name, r, DP_HOST_UNKNOWN_TREE);
		return 0;
	}
	return (unsigned)v;
}

/* A USB device's string (product, manufacturer); "" when absent or unreadable. */
static void usb_string(struct walk *w, int fd, const char *name, char *out, size_t size)
{
	char buf[DP_SYSFS_ATTR_MAX];
	int r = dp_sysfs_read(fd, name, buf, sizeof(buf));

	out[0] = '\0';
	if (r == -ENOENT)
		return; /* the device has no such string descriptor */
	if (r == -EINVAL || r == -EFBIG) {
		dp_warn(w->ctx, "%s: %s/%s holds garbage; left empty", w->u->bdf, w->path, name);
		return;
	}
	if (r < 0) {
		dp_warn(w->ctx, "%s: %s/%s: %s; left empty", w->u->bdf, w->path, name, strerror(-r));
		return;
	}
	copy_device_string(out, size, buf);
}

static int add_usb(struct walk *w, int fd, const char *name, size_t *index)
{
	struct dp_host_use *u = w->u;
	struct dp_host_usb *d;
	int r = grow((void **)&u->usb, &w->cap_usb, u->n_usb, sizeof(*u->usb), DP_HOST_USE_USB_MAX);

	if (r == -ENOSPC) {
		limit_hit(w, &w->said_usb, "USB devices", DP_HOST_USE_USB_MAX);
		return r;
	}
	if (r < 0)
		return r;
	*index = u->n_usb;
	d = &u->usb[u->n_usb++];
	memset(d, 0, sizeof(*d));
	copy_name(d->name, sizeof(d->name), name);
	d->vendor = (uint16_t)usb_hex(w, fd, "idVendor", 0xffff);
	d->product = (uint16_t)usb_hex(w, fd, "idProduct", 0xffff);
	d->device_class = (uint8_t)usb_hex(w, fd, "bDeviceClass", 0xff);
	usb_string(w, fd, "manufacturer", d->manufacturer, sizeof(d->manufacturer));
	usb_string(w, fd, "product", d->product_name, sizeof(d->product_name));
	if (strncmp(name, "usb", 3) == 0 && name[3] && strspn(name + 3, "0123456789") == strlen(name + 3))
		d->flags |= DP_HOST_USB_ROOT_HUB;
	if (d->device_class == USB_CLASS_HUB)
		d->flags |= DP_HOST_USB_HUB;
	return 0;
}

static void add_usb_if(struct walk *w, int fd, const char *name, size_t dev)
{
	struct dp_host_usb *d = &w->u->usb[dev];
	struct dp_host_usb_if *i;

	if (d->n_ifs == DP_HOST_USE_USB_IFS_MAX) {
		limit_hit(w, &w->said_ifs, "interfaces of a USB device", DP_HOST_USE_USB_IFS_MAX);
		return;
	}
	i = &d->ifs[d->n_ifs++];
	copy_name(i->name, sizeof(i->name), name);
	i->cls = (uint8_t)usb_hex(w, fd, "bInterfaceClass", 0xff);
	i->subclass = (uint8_t)usb_hex(w, fd, "bInterfaceSubClass", 0xff);
	i->protocol = (uint8_t)usb_hex(w, fd, "bInterfaceProtocol", 0xff);
	if (i->cls == USB_CLASS_HID)
		d->flags |= DP_HOST_USB_HID;
	if (i->cls == USB_CLASS_HID && i->protocol == USB_HID_PROTOCOL_KEYBOARD)
		d->flags |= DP_HOST_USB_KEYBOARD;
	if (i->cls == USB_CLASS_MASS_STORAGE)
		d->flags |= DP_HOST_USB_STORAGE;
	if (i->cls == USB_CLASS_HUB)
		d->flags |= DP_HOST_USB_HUB;
}

/* A block device's dev and size into b; a missing or garbage dev is noted in b->flags. */
static void read_block_attrs(struct walk *w, int fd, struct dp_host_block *b, unsigned unknown)
{
	char buf[64];
	uint64_t v;
	int r = dp_sysfs_read(fd, "dev", buf, sizeof(buf));

	if (r >= 0)
		r = parse_devnum(buf, (size_t)r, &b->major, &b->minor);
	if (r < 0) {
		b->flags |= DP_HOST_BLOCK_NO_DEV;
		bad_attr(w, "dev", r, unknown);
	}
	if (dp_sysfs_read_u64(fd, "size", 10, UINT64_MAX, &v) == 0)
		b->sectors = v;
}

/* Notes the names in a block device's holders/ for after the walk. */
static void note_holders(struct walk *w, int fd, const char *below)
{
	int hfd = openat(fd, "holders", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unsigned n = 0;
	struct dirent *de;
	DIR *d;

	if (hfd < 0) {
		if (errno != ENOENT)
			bad_attr(w, "holders", -errno, DP_HOST_UNKNOWN_HOLDERS);
		return;
	}
	d = fdopendir(hfd);
	if (!d) {
		close(hfd);
		w->err = -ENOMEM;
		return;
	}
	while ((de = readdir(d))) {
		struct pending_holder *h;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (++w->entries > DP_HOST_USE_ENTRIES_MAX) {
			limit_hit(w, &w->said_entries, "directory entries", DP_HOST_USE_ENTRIES_MAX);
			break;
		}
		if (++n > DP_HOST_USE_HOLDERS_MAX) {
			limit_hit(w, &w->said_holders, "holders of a block device",
				  DP_HOST_USE_HOLDERS_MAX);
			w->u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			break;
		}
		if (strlen(de->d_name) >= DP_HOST_USE_NAME_MAX) {
			w->u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			continue;
		}
		r = grow((void **)&w->holders, &w->cap_holders, w->n_holders, sizeof(*w->holders),
			 DP_HOST_USE_BLOCK_MAX);
		if (r < 0) {
			if (r == -ENOMEM)
				w->err = r;
			else
				limit_hit(w, &w->said_block, "block devices", DP_HOST_USE_BLOCK_MAX);
			break;
		}
		h = &w->holders[w->n_holders++];
		copy_name(h->name, sizeof(h->name), de->d_name);
		copy_name(h->below, sizeof(h->below), below);
	}
	closedir(d);
}

static int add_block(struct walk *w, int fd, const char *name, const struct frame *parent)
{
	struct dp_host_use *u = w->u;
	struct dp_host_block *b;
	int r = grow((void **)&u->block, &w->cap_block, u->n_block, sizeof(*u->block),
		     DP_HOST_USE_BLOCK_MAX);

	if (r == -ENOSPC) {
		limit_hit(w, &w->said_block, "block devices", DP_HOST_USE_BLOCK_MAX);
		return r;
	}
	if (r < 0)
		return r;
	b = &u->block[u->n_block++];
	memset(b, 0, sizeof(*b));
	copy_name(b->name, sizeof(b->name), name);
	if (parent->kind == KIND_BLOCK || faccessat(fd, "partition", F_OK, 0) == 0) {
		b->flags |= DP_HOST_BLOCK_PARTITION;
		if (parent->kind == KIND_BLOCK)
			copy_name(b->below, sizeof(b->below), parent->name);
	}
	read_block_attrs(w, fd, b, DP_HOST_UNKNOWN_TREE);
	note_holders(w, fd, b->name);
	return 0;
}

/* The name an upper_* or master link gives, once, into n's list. */
static void add_upper(struct walk *w, struct dp_host_net *n, const char *upper)
{
	for (size_t i = 0; i < n->n_uppers; i++)
		if (strcmp(n->uppers[i], upper) == 0)
			return;
	if (n->n_uppers == DP_HOST_USE_UPPERS_MAX) {
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s: more than %d upper devices; the rest is not read", w->u->bdf,
			n->name, DP_HOST_USE_UPPERS_MAX);
		return;
	}
	copy_name(n->uppers[n->n_uppers++], sizeof(n->uppers[0]), upper);
}

/* Its master (bridge, bond) and upper devices (VLAN, macvlan): the names only, no link followed. */
static void read_uppers(struct walk *w, int fd, struct dp_host_net *n)
{
	char master[DP_HOST_USE_NAME_MAX];
	struct dirent *de;
	int dfd;
	DIR *d;

	if (dp_sysfs_readlink_base(fd, "master", master, sizeof(master)) > 0)
		add_upper(w, n, master);
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s: %s; its upper devices are unknown", w->u->bdf, w->path,
			strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (++w->entries > DP_HOST_USE_ENTRIES_MAX) {
			limit_hit(w, &w->said_entries, "directory entries", DP_HOST_USE_ENTRIES_MAX);
			break;
		}
		if (strncmp(de->d_name, "upper_", 6) == 0 && de->d_name[6] &&
		    strlen(de->d_name + 6) < DP_HOST_USE_NAME_MAX)
			add_upper(w, n, de->d_name + 6);
	}
	closedir(d);
}

static int add_net(struct walk *w, int fd, const char *name)
{
	struct dp_host_use *u = w->u;
	struct dp_host_net *n;
	int r = grow((void **)&u->net, &w->cap_net, u->n_net, sizeof(*u->net), DP_HOST_USE_NET_MAX);

	if (r == -ENOSPC) {
		limit_hit(w, &w->said_net, "network interfaces", DP_HOST_USE_NET_MAX);
		return r;
	}
	if (r < 0)
		return r;
	n = &u->net[u->n_net++];
	memset(n, 0, sizeof(*n));
	copy_name(n->name, sizeof(n->name), name);
	read_uppers(w, fd, n);
	return 0;
}

static void add_fb(struct walk *w, const char *name)
{
	struct dp_host_display *disp = &w->u->display;

	if (disp->n_fbs == DP_HOST_USE_FB_MAX) {
		limit_hit(w, &w->said_fb, "framebuffers", DP_HOST_USE_FB_MAX);
		return;
	}
	copy_name(disp->fbs[disp->n_fbs], sizeof(disp->fbs[0]), name);
	disp->n_fbs++;
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
			r = add_usb(w, fd, name, &self.index);
			break;
		case KIND_USB_IF:
			if (parent->kind == KIND_USB)
				add_usb_if(w, fd, name, parent->index);
			break;
		case KIND_BLOCK:
			r = add_block(w, fd, name, parent);
			break;
		case KIND_NET:
			if (add_net(w, fd, name) == -ENOMEM)
				w->err = -ENOMEM;
			goto out; /* queues/ and statistics/ hold nothing of ours */
		case KIND_FB:
			add_fb(w, name);
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
		limit_hit(w, &w->said_depth, "directory levels", DP_HOST_USE_DEPTH_MAX);
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
			limit_hit(w, &w->said_entries, "directory entries", DP_HOST_USE_ENTRIES_MAX);
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
			limit_hit(w, &w->said_dirs, "directories", DP_HOST_USE_DIRS_MAX);
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

/* ---- holders --------------------------------------------------------------- */

static size_t find_block(const struct dp_host_use *u, const char *name)
{
	for (size_t i = 0; i < u->n_block; i++)
		if (strcmp(u->block[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pending_holder *x = a, *y = b;
	int c = strverscmp(x->below, y->below);

	return c ? c : strverscmp(x->name, y->name);
}

/* Adds each holder once (after the function's own devices), from /sys/class/block/<name>. */
static void resolve_holders(struct walk *w)
{
	struct dp_host_use *u = w->u;
	int cfd;

	if (w->n_holders == 0)
		return;
	qsort(w->holders, w->n_holders, sizeof(*w->holders), cmp_holder);
	cfd = open(DP_SYS_CLASS_BLOCK, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
		dp_warn(w->ctx, "%s: %s: %s; holders not read", u->bdf, DP_SYS_CLASS_BLOCK,
			strerror(errno));
		return;
	}
	for (size_t i = 0; i < w->n_holders && !w->err; i++) {
		const struct pending_holder *h = &w->holders[i];
		struct dp_host_block *b;
		char q[DP_QUOTE_SIZE(DP_HOST_USE_NAME_MAX)];
		int hfd, r;

		if (find_block(u, h->name) != SIZE_MAX)
			continue;
		hfd = openat(cfd, h->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (hfd < 0 || !under_sys_devices(hfd)) {
			u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			dp_warn(w->ctx, "%s: holder %s of %s: %s; not read", u->bdf,
				dp_quote(q, sizeof(q), h->name), h->below,
				hfd < 0 ? strerror(errno) : "not a device under " SYS_DEVICES_PREFIX);
			if (hfd >= 0)
				close(hfd);
			continue;
		}
		r = grow((void **)&u->block, &w->cap_block, u->n_block, sizeof(*u->block),
			 DP_HOST_USE_BLOCK_MAX);
		if (r < 0) {
			close(hfd);
			if (r == -ENOMEM)
				w->err = r;
			else
				limit_hit(w, &w->said_block, "block devices", DP_HOST_USE_BLOCK_MAX);
			break;
		}
		b = &u->block[u->n_block++];
		memset(b, 0, sizeof(*b));
		copy_name(b->name, sizeof(b->name), h->name);
		copy_name(b->below, sizeof(b->below), h->below);
		b->flags = DP_HOST_BLOCK_HOLDER;
		snprintf(w->path, sizeof(w->path), "%s/%s", DP_SYS_CLASS_BLOCK, h->name);
		read_block_attrs(w, hfd, b, DP_HOST_UNKNOWN_HOLDERS);
		w->path[0] = '\0';
		close(hfd);
	}
	close(cfd);
}

/* ---- files of lines ---------------------------------------------------------- */

typedef void (*line_fn)(void *arg, const char *line, size_t len, unsigned lineno);

/*
 * Calls fn for each line of the regular file path (without its newline), up
 * to DP_HOST_USE_LINES_MAX lines. A line longer than DP_HOST_USE_LINE_LEN
 * is not handed over: *long_lines counts them, *cut says the line limit
 * ended the reading. 0, or a negative errno from open or read (-EINVAL: not
 * a regular file).
 */
static int read_lines(const char *path, line_fn fn, void *arg, unsigned *long_lines, bool *cut)
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

/* ---- mounts ------------------------------------------------------------------- */

struct mount_scan {
	struct walk *w;
	const char *path;
	size_t *by_dev;      /* block indices by major:minor (those with a dev) */
	size_t n_by_dev;
	size_t *by_name;     /* block indices by name */
	struct dp_mountinfo_entry *e; /* one line's, reused */
	unsigned garbage;
};

static int cmp_dev(const void *a, const void *b, void *arg)
{
	const struct dp_host_use *u = arg;
	const struct dp_host_block *x = &u->block[*(const size_t *)a];
	const struct dp_host_block *y = &u->block[*(const size_t *)b];

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

static int cmp_name_index(const void *a, const void *b, void *arg)
{
	const struct dp_host_use *u = arg;

	return strcmp(u->block[*(const size_t *)a].name, u->block[*(const size_t *)b].name);
}

/* Adds a mount point to block i, once per mount point. */
static void block_mount(struct walk *w, size_t i, const char *mount_point)
{
	struct dp_host_block *b = &w->u->block[i];
	size_t kept = b->n_mounts < DP_HOST_USE_MOUNTS_MAX ? b->n_mounts : DP_HOST_USE_MOUNTS_MAX;
	char *copy;

	for (size_t k = 0; k < kept; k++)
		if (strcmp(b->mounts[k], mount_point) == 0)
			return;
	b->flags |= DP_HOST_BLOCK_MOUNTED;
	if (strcmp(mount_point, "/") == 0)
		b->flags |= DP_HOST_BLOCK_ROOT;
	if (strcmp(mount_point, "/boot") == 0 || strcmp(mount_point, "/boot/efi") == 0)
		b->flags |= DP_HOST_BLOCK_BOOT;
	b->n_mounts++;
	if (kept == DP_HOST_USE_MOUNTS_MAX)
		return;
	if (!b->mounts) {
		b->mounts = calloc(DP_HOST_USE_MOUNTS_MAX, sizeof(*b->mounts));
		if (!b->mounts) {
			b->n_mounts--;
			w->err = -ENOMEM;
			return;
		}
	}
	copy = strdup(mount_point);
	if (!copy) {
		b->n_mounts--;
		w->err = -ENOMEM;
		return;
	}
	b->mounts[kept] = copy;
}

static void mount_line(void *arg, const char *line, size_t len, unsigned lineno)
{
	struct mount_scan *s = arg;
	struct dp_host_use *u = s->w->u;
	struct dp_mountinfo_entry *e = s->e;
	size_t lo = 0, hi = s->n_by_dev;
	int r;

	if (s->w->err)
		return;
	r = dp_mountinfo_parse_line(line, len, e);
	if (r == -ENOMEM) {
		s->w->err = r;
		return;
	}
	if (r < 0) {
		if (s->garbage++ == 0)
			dp_warn(s->w->ctx, "%s: line %u: not a mountinfo line; skipped", s->path,
				lineno);
		return;
	}
	/* By major:minor: the first index not below it, then every equal one. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dp_host_block *b = &u->block[s->by_dev[mid]];

		if (b->major < e->major || (b->major == e->major && b->minor < e->minor))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n_by_dev; lo++) {
		const struct dp_host_block *b = &u->block[s->by_dev[lo]];

		if (b->major != e->major || b->minor != e->minor)
			break;
		block_mount(s->w, s->by_dev[lo], e->mount_point);
	}
	/* By source "/dev/<name>": what btrfs shows, whose mounts carry an anonymous 0:N. */
	if (!e->cut && strncmp(e->source, "/dev/", 5) == 0) {
		const char *want = e->source + 5;

		lo = 0;
		hi = u->n_block;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(u->block[s->by_name[mid]].name, want) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < u->n_block && strcmp(u->block[s->by_name[lo]].name, want) == 0)
			block_mount(s->w, s->by_name[lo], e->mount_point);
	}
}

static void read_mounts(struct walk *w, const char *path)
{
	struct dp_host_use *u = w->u;
	struct mount_scan s = { .w = w, .path = path };
	unsigned long_lines;
	bool cut;
	int r;

	s.by_dev = calloc(u->n_block, sizeof(*s.by_dev));
	s.by_name = calloc(u->n_block, sizeof(*s.by_name));
	s.e = malloc(sizeof(*s.e));
	if (!s.by_dev || !s.by_name || !s.e) {
		w->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < u->n_block; i++) {
		s.by_name[i] = i;
		if (!(u->block[i].flags & DP_HOST_BLOCK_NO_DEV))
			s.by_dev[s.n_by_dev++] = i;
	}
	qsort_r(s.by_dev, s.n_by_dev, sizeof(*s.by_dev), cmp_dev, u);
	qsort_r(s.by_name, u->n_block, sizeof(*s.by_name), cmp_name_index, u);
	r = read_lines(path, mount_line, &s, &long_lines, &cut);
	if (r < 0) {
		if (r == -ENOMEM)
			w->err = r;
		u->unknown |= DP_HOST_UNKNOWN_MOUNTS;
		dp_warn(w->ctx, "%s: %s; whether its block devices are mounted is unknown", path,
			r == -EINVAL ? "not a regular file" : strerror(-r));
		goto out;
	}
	if (s.garbage + long_lines > 0 || cut) {
		u->unknown |= DP_HOST_UNKNOWN_MOUNTS;
		dp_warn(w->ctx, "%s: %u lines not the kernel's mountinfo%s%s; mounts may be missed",
			path, s.garbage + long_lines, long_lines ? " (some too long)" : "",
			cut ? ", and more lines than read" : "");
	}
out:
	free(s.by_dev);
	free(s.by_name);
	free(s.e);
}

/* ---- routes -------------------------------------------------------------------- */

struct route_scan {
	struct walk *w;
	const char *path;
	unsigned garbage;
};

static void route_line(void *arg, const char *line, size_t len, unsigned lineno)
{
	struct route_scan *s = arg;
	struct dp_host_use *u = s->w->u;
	struct dp_route_entry e;
	int r = dp_route_parse_line(line, len, &e);

	if (r < 0) {
		if (s->garbage++ == 0)
			dp_warn(s->w->ctx, "%s: line %u: not a route line; skipped", s->path, lineno);
		return;
	}
	if (r == 1 || !dp_route_is_default(&e))
		return;
	for (size_t i = 0; i < u->n_net; i++) {
		struct dp_host_net *n = &u->net[i];

		if (strcmp(n->name, e.ifname) == 0) {
			n->default_route = true;
			n->default_via[0] = '\0'; /* through itself, whatever an upper carries */
			continue;
		}
		for (size_t k = 0; k < n->n_uppers; k++)
			if (strcmp(n->uppers[k], e.ifname) == 0 && !n->default_route) {
				n->default_route = true;
				copy_name(n->default_via, sizeof(n->default_via), e.ifname);
			}
	}
}

static void read_routes(struct walk *w, const char *path)
{
	struct route_scan s = { .w = w, .path = path };
	unsigned long_lines;
	bool cut;
	int r = read_lines(path, route_line, &s, &long_lines, &cut);

	if (r < 0) {
		if (r == -ENOMEM)
			w->err = r;
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s; whether its interfaces carry the default route is unknown",
			path, r == -EINVAL ? "not a regular file" : strerror(-r));
		return;
	}
	if (s.garbage + long_lines > 0 || cut) {
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %u lines not the kernel's route table%s; routes may be missed",
			path, s.garbage + long_lines, cut ? ", and more lines than read" : "");
	}
}

/* ---- display ------------------------------------------------------------------- */

/*
 * The framebuffer console: bound when a vtconsole whose name holds "frame
 * buffer device" (fbcon's, "(M) frame buffer device") has bind 1. It is on
 * the function when the function also has a framebuffer below it.
 */
static void read_vtconsoles(struct walk *w)
{
	struct dp_host_display *disp = &w->u->display;
	struct dirent *de;
	unsigned n = 0;
	int fd = open(DP_SYS_CLASS_VTCONSOLE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0) {
		if (errno != ENOENT) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s: %s; whether the framebuffer console is bound is unknown",
				DP_SYS_CLASS_VTCONSOLE, strerror(errno));
		}
		return; /* no virtual terminals: no console */
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		w->err = -ENOMEM;
		return;
	}
	while ((de = readdir(d))) {
		char name[256];
		long bind;
		int vfd, r;

		if (strncmp(de->d_name, "vtcon", 5) != 0)
			continue;
		if (++n > DP_HOST_USE_VTCON_MAX) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s: more than %d consoles; the rest is not read",
				DP_SYS_CLASS_VTCONSOLE, DP_HOST_USE_VTCON_MAX);
			break;
		}
		vfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (vfd < 0 || !under_sys_devices(vfd)) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s/%s: %s; not read", DP_SYS_CLASS_VTCONSOLE, de->d_name,
				vfd < 0 ? strerror(errno) : "not a device under " SYS_DEVICES_PREFIX);
			if (vfd >= 0)
				close(vfd);
			continue;
		}
		r = dp_sysfs_read(vfd, "name", name, sizeof(name));
		if (r >= 0)
			r = dp_sysfs_read_long(vfd, "bind", 0, 1, &bind);
		close(vfd);
		if (r < 0) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s/%s: name or bind %s; not read", DP_SYS_CLASS_VTCONSOLE,
				de->d_name, r == -EINVAL || r == -EFBIG ? "holds garbage" : strerror(-r));
			continue;
		}
		if (bind == 1 && strstr(name, "frame buffer device"))
			disp->fbcon_bound = true;
	}
	closedir(d);
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
	if (!under_sys_devices(fd)) {
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
		bad_attr(w, "boot_vga", r, DP_HOST_UNKNOWN_DISPLAY);
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
	resolve_holders(w);
	if (w->err)
		goto nomem;
	if (u->n_block > n_own)
		sort_list(u->block + n_own, u->n_block - n_own, sizeof(*u->block), cmp_block);
	if (u->n_block > 0)
		read_mounts(w, mountinfo);
	if (u->n_net > 0)
		read_routes(w, route);
	if ((u->class_code >> 16) == 0x03 || u->display.n_fbs > 0 || u->display.boot_vga)
		read_vtconsoles(w);
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
