/* SPDX-License-Identifier: MIT */
/* What the host loses with a function: the USB devices below it, their interfaces and strings. */
#include <string.h>

#include "hostuse-internal.h"
#include "sysfs.h"

/* USB classes (usb.org's defined class codes). */
#define USB_CLASS_HID 0x03
#define USB_CLASS_MASS_STORAGE 0x08
#define USB_CLASS_HUB 0x09
#define USB_HID_PROTOCOL_KEYBOARD 0x01

/* A string a device gave: cut as dp_hostuse_copy_name does, control characters as '?'. */
static void copy_device_string(char *out, size_t size, const char *s)
{
	dp_hostuse_copy_name(out, size, s);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* A hex attribute of a USB device or interface, within max; 0 with a note when unknown. */
static unsigned usb_hex(struct walk *w, int fd, const char *name, uint64_t max)
{
	uint64_t v;
	int r = dp_sysfs_read_u64(fd, name, 16, max, &v);

	if (r < 0) {
		dp_hostuse_bad_attr(w, name, r, DP_HOST_UNKNOWN_TREE);
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

int dp_hostuse_add_usb(struct walk *w, int fd, const char *name, size_t *index)
{
	struct dp_host_use *u = w->u;
	struct dp_host_usb *d;
	int r = dp_hostuse_grow((void **)&u->usb, &w->cap_usb, u->n_usb, sizeof(*u->usb),
				DP_HOST_USE_USB_MAX);

	if (r == -ENOSPC) {
		dp_hostuse_limit_hit(w, &w->said_usb, "USB devices", DP_HOST_USE_USB_MAX);
		return r;
	}
	if (r < 0)
		return r;
	*index = u->n_usb;
	d = &u->usb[u->n_usb++];
	memset(d, 0, sizeof(*d));
	dp_hostuse_copy_name(d->name, sizeof(d->name), name);
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

void dp_hostuse_add_usb_if(struct walk *w, int fd, const char *name, size_t dev)
{
	struct dp_host_usb *d = &w->u->usb[dev];
	struct dp_host_usb_if *i;

	if (d->n_ifs == DP_HOST_USE_USB_IFS_MAX) {
		dp_hostuse_limit_hit(w, &w->said_ifs, "interfaces of a USB device",
				     DP_HOST_USE_USB_IFS_MAX);
		return;
	}
	i = &d->ifs[d->n_ifs++];
	dp_hostuse_copy_name(i->name, sizeof(i->name), name);
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
