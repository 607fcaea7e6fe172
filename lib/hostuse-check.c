/* SPDX-License-Identifier: MIT */
/*
 * What the host loses with a device, as policy findings: the host-use facts
 * of lib/hostuse.c (a keyboard on a USB controller, a mounted disk, the root
 * or /boot filesystem, the default route, the framebuffer console) judged by
 * the rules host_input_devices, host_storage, host_boot_filesystem,
 * host_default_route and host_console, each naming what goes and the fix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostsafety.h"
#include "hostuse.h"
#include "quote.h"

/* Items named in one sentence; the rest are counted ("and 3 more"). */
#define NAMED_MAX 6
#define ITEM_LEN 256

/* Items of one sentence, joined as "a, b and c". */
struct items {
	char text[NAMED_MAX][ITEM_LEN];
	unsigned n, more;
	char joined[NAMED_MAX * (ITEM_LEN + 8) + 32];
};

static void item_add(struct items *it, const char *format, ...) DP_PRINTF(2, 3);
static void item_add(struct items *it, const char *format, ...)
{
	va_list ap;

	if (it->n == NAMED_MAX) {
		it->more++;
		return;
	}
	va_start(ap, format);
	vsnprintf(it->text[it->n++], ITEM_LEN, format, ap);
	va_end(ap);
}

static unsigned item_count(const struct items *it)
{
	return it->n + it->more;
}

static const char *items_join(struct items *it)
{
	size_t len = 0, size = sizeof(it->joined);

	it->joined[0] = '\0';
	for (unsigned i = 0; i < it->n; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == it->n && !it->more) ? " and " : ", ";

		len += (size_t)snprintf(it->joined + len, size - len, "%s%s", sep, it->text[i]);
	}
	if (it->more)
		snprintf(it->joined + len, size - len, " and %u more", it->more);
	return it->joined;
}

/* "keyboard \"USB Keyboard\" (046d:c31c at 1-1)": what a USB device is, by its flags. */
static void usb_item(struct items *it, const char *what, const struct dp_host_usb *d)
{
	char q[DP_QUOTE_SIZE(48)];

	if (d->product_name[0])
		item_add(it, "%s \"%s\" (%04x:%04x at %s)", what, dp_quote(q, sizeof(q), d->product_name),
			 d->vendor, d->product, d->name);
	else
		item_add(it, "%s %04x:%04x (at %s)", what, d->vendor, d->product, d->name);
}

/* "dm-0 over sda2" for a holder, "sda2" for the rest. */
static const char *block_label(char *buf, size_t size, const struct dp_host_block *b)
{
	if ((b->flags & DP_HOST_BLOCK_HOLDER) && b->below[0])
		snprintf(buf, size, "%s over %s", b->name, b->below);
	else
		snprintf(buf, size, "%s", b->name);
	return buf;
}

static bool is_boot_mount(const char *m)
{
	return strcmp(m, "/") == 0 || strcmp(m, "/boot") == 0 || strcmp(m, "/boot/efi") == 0;
}

static int check_input(const struct dp_policy *p, const struct dp_host_use *u, struct dp_report *rep)
{
	int64_t v = p->rules[DP_RULE_HOST_INPUT_DEVICES];
	struct items it = { .n = 0 };

	if (v == DP_ACTION_ALLOW || !(u->flags & DP_HOST_USE_USB_HID))
		return 0;
	for (size_t i = 0; i < u->n_usb; i++)
		if (u->usb[i].flags & DP_HOST_USB_HID)
			usb_item(&it, u->usb[i].flags & DP_HOST_USB_KEYBOARD ? "keyboard" : "input device",
				 &u->usb[i]);
	return dp_report_add(rep, DP_FINDING_HOST_INPUT, dp_action_severity(v), u->bdf, "host_input_devices",
			     "%s: the host's %s %s below it and go%s to the VM with it (host_input_devices = %s); move %s to another USB controller, or set host_input_devices = allow",
			     u->bdf, items_join(&it), item_count(&it) == 1 ? "is" : "are",
			     item_count(&it) == 1 ? "es" : "", dp_rule_value_name(DP_RULE_HOST_INPUT_DEVICES, v),
			     item_count(&it) == 1 ? "it" : "them");
}

static int check_storage(const struct dp_policy *p, const struct dp_host_use *u, struct dp_report *rep)
{
	int64_t v = p->rules[DP_RULE_HOST_STORAGE];
	struct items it = { .n = 0 };
	char label[2 * DP_HOST_USE_NAME_MAX + 16];

	if (v == DP_ACTION_ALLOW || !(u->flags & (DP_HOST_USE_USB_STORAGE | DP_HOST_USE_MOUNTED)))
		return 0;
	for (size_t i = 0; i < u->n_usb; i++)
		if (u->usb[i].flags & DP_HOST_USB_STORAGE)
			usb_item(&it, "USB storage", &u->usb[i]);
	for (size_t i = 0; i < u->n_block; i++) {
		const struct dp_host_block *b = &u->block[i];
		size_t kept = b->n_mounts < DP_HOST_USE_MOUNTS_MAX ? b->n_mounts : DP_HOST_USE_MOUNTS_MAX;
		char q[DP_QUOTE_SIZE(64)];

		/* The root and /boot are host_boot_filesystem's: said once, there. */
		if (!(b->flags & DP_HOST_BLOCK_MOUNTED) || (b->flags & (DP_HOST_BLOCK_ROOT | DP_HOST_BLOCK_BOOT)))
			continue;
		if (b->n_mounts > 1)
			item_add(&it, "%s (mounted on %s and %zu more)", block_label(label, sizeof(label), b),
				 dp_quote(q, sizeof(q), kept ? b->mounts[0] : "?"), b->n_mounts - 1);
		else
			item_add(&it, "%s (mounted on %s)", block_label(label, sizeof(label), b),
				 dp_quote(q, sizeof(q), kept ? b->mounts[0] : "?"));
	}
	if (item_count(&it) == 0)
		return 0;
	return dp_report_add(rep, DP_FINDING_HOST_STORAGE, dp_action_severity(v), u->bdf, "host_storage",
			     "%s: the host's %s go%s to the VM with it (host_storage = %s); unmount %s and move %s off this device, or set host_storage = allow",
			     u->bdf, items_join(&it), item_count(&it) == 1 ? "es" : "",
			     dp_rule_value_name(DP_RULE_HOST_STORAGE, v),
			     item_count(&it) == 1 ? "it" : "them", item_count(&it) == 1 ? "it" : "them");
}

static int check_boot_filesystem(const struct dp_policy *p, const struct dp_host_use *u,
				 struct dp_report *rep)
{
	int64_t v = p->rules[DP_RULE_HOST_BOOT_FILESYSTEM];
	struct items it = { .n = 0 };
	char label[2 * DP_HOST_USE_NAME_MAX + 16];

	if (v == DP_ACTION_ALLOW || !(u->flags & (DP_HOST_USE_ROOT_FS | DP_HOST_USE_BOOT_FS)))
		return 0;
	for (size_t i = 0; i < u->n_block; i++) {
		const struct dp_host_block *b = &u->block[i];
		size_t kept = b->n_mounts < DP_HOST_USE_MOUNTS_MAX ? b->n_mounts : DP_HOST_USE_MOUNTS_MAX;
		bool named = false;

		if (!(b->flags & (DP_HOST_BLOCK_ROOT | DP_HOST_BLOCK_BOOT)))
			continue;
		for (size_t k = 0; k < kept; k++)
			if (is_boot_mount(b->mounts[k])) {
				item_add(&it, "%s (on %s)", b->mounts[k], block_label(label, sizeof(label), b));
				named = true;
			}
		if (!named) /* past the mount points kept */
			item_add(&it, "%s (on %s)", b->flags & DP_HOST_BLOCK_ROOT ? "/" : "/boot",
				 block_label(label, sizeof(label), b));
	}
	return dp_report_add(rep, DP_FINDING_HOST_BOOT_FILESYSTEM, dp_action_severity(v), u->bdf, "host_boot_filesystem",
			     "%s: holds the host's %s, without which the host cannot run (host_boot_filesystem = %s); keep this device on the host and pass through another",
			     u->bdf, items_join(&it), dp_rule_value_name(DP_RULE_HOST_BOOT_FILESYSTEM, v));
}

static int check_default_route(const struct dp_policy *p, const struct dp_host_use *u,
			       struct dp_report *rep)
{
	int64_t v = p->rules[DP_RULE_HOST_DEFAULT_ROUTE];
	struct items it = { .n = 0 };

	if (v == DP_ACTION_ALLOW || !(u->flags & DP_HOST_USE_DEFAULT_ROUTE))
		return 0;
	for (size_t i = 0; i < u->n_net; i++) {
		const struct dp_host_net *n = &u->net[i];

		if (!n->default_route)
			continue;
		if (n->default_via[0])
			item_add(&it, "%s (through %s)", n->name, n->default_via);
		else
			item_add(&it, "%s", n->name);
	}
	return dp_report_add(rep, DP_FINDING_HOST_DEFAULT_ROUTE, dp_action_severity(v), u->bdf, "host_default_route",
			     "%s: its interface %s carr%s the host's IPv4 default route, so the host loses its management network with it (host_default_route = %s); move the default route to another interface, or pass through another network device",
			     u->bdf, items_join(&it), item_count(&it) == 1 ? "ies" : "y",
			     dp_rule_value_name(DP_RULE_HOST_DEFAULT_ROUTE, v));
}

static int check_console(const struct dp_policy *p, const struct dp_host_use *u, struct dp_report *rep)
{
	int64_t v = p->rules[DP_RULE_HOST_CONSOLE];
	struct items it = { .n = 0 };

	if (v == DP_ACTION_ALLOW || !(u->flags & DP_HOST_USE_CONSOLE))
		return 0;
	for (size_t i = 0; i < u->display.n_fbs; i++)
		item_add(&it, "%s", u->display.fbs[i]);
	return dp_report_add(rep, DP_FINDING_HOST_CONSOLE, dp_action_severity(v), u->bdf, "host_console",
			     "%s: the host's framebuffer console is bound to its framebuffer %s, and goes dark with it (host_console = %s); unbind the console first (write 0 to the frame buffer device's bind in /sys/class/vtconsole) or move it to another display, or set host_console = allow",
			     u->bdf, items_join(&it), dp_rule_value_name(DP_RULE_HOST_CONSOLE, v));
}

/* What could not be read whole, as far as a rule that is not allow needs it. */
static int check_unknown(const struct dp_policy *p, const struct dp_host_use *u, struct dp_report *rep)
{
	const int64_t *rule = p->rules;
	bool storage = rule[DP_RULE_HOST_STORAGE] != DP_ACTION_ALLOW ||
		       rule[DP_RULE_HOST_BOOT_FILESYSTEM] != DP_ACTION_ALLOW;
	struct items it = { .n = 0 };

	if (u->unknown & DP_HOST_UNKNOWN_TREE)
		item_add(&it, "the devices below it in sysfs");
	if ((u->unknown & DP_HOST_UNKNOWN_HOLDERS) && storage)
		item_add(&it, "the holders (dm, md) of its block devices");
	if ((u->unknown & DP_HOST_UNKNOWN_MOUNTS) && storage)
		item_add(&it, "the mount table (%s)", DP_PROC_SELF_MOUNTINFO);
	if ((u->unknown & DP_HOST_UNKNOWN_ROUTES) && rule[DP_RULE_HOST_DEFAULT_ROUTE] != DP_ACTION_ALLOW)
		item_add(&it, "the route table (%s)", DP_PROC_NET_ROUTE);
	if ((u->unknown & DP_HOST_UNKNOWN_DISPLAY) && rule[DP_RULE_HOST_CONSOLE] != DP_ACTION_ALLOW)
		item_add(&it, "the console's state (boot_vga, %s)", DP_SYS_CLASS_VTCONSOLE);
	if (item_count(&it) == 0)
		return 0;
	return dp_report_add(rep, DP_FINDING_HOST_USE_UNKNOWN, DP_SEVERITY_WARNING, u->bdf, NULL,
			     "%s: %s could not be read whole, so what the host loses with it may be more than reported; see the log for why, and check again once it is fixed",
			     u->bdf, items_join(&it));
}

static bool any_rule(const struct dp_policy *p)
{
	static const enum dp_rule rules[] = { DP_RULE_HOST_INPUT_DEVICES, DP_RULE_HOST_STORAGE,
					      DP_RULE_HOST_BOOT_FILESYSTEM, DP_RULE_HOST_DEFAULT_ROUTE,
					      DP_RULE_HOST_CONSOLE };

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (p->rules[rules[i]] != DP_ACTION_ALLOW)
			return true;
	return false;
}

int dp_check_host_use(const struct dp_policy *p, const struct dp_device *dev, struct dp_report *rep)
{
	struct dp_host_use *u = NULL;
	int r;

	if (!any_rule(p))
		return 0; /* nothing to decide: not even read */
	r = dp_host_use_read(p->ctx, dev->bdf, NULL, &u);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return dp_report_add(rep, DP_FINDING_HOST_USE_UNKNOWN, DP_SEVERITY_WARNING, dev->bdf, NULL,
				     "%s: its sysfs directory could not be read (%s), so what the host loses with it is unknown; see the log for why, and check again once it is fixed",
				     dev->bdf, strerror(-r));
	r = check_boot_filesystem(p, u, rep);
	r = dp_first_err(r, check_storage(p, u, rep));
	r = dp_first_err(r, check_input(p, u, rep));
	r = dp_first_err(r, check_default_route(p, u, rep));
	r = dp_first_err(r, check_console(p, u, rep));
	r = dp_first_err(r, check_unknown(p, u, rep));
	dp_host_use_free(u);
	return r;
}
