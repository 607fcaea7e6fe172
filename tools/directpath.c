/* SPDX-License-Identifier: MIT */
/* directpath: the host administrator's tool. Uses only the public API. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include <directpath/directpath.h>

#include "quote.h"

/* Exit codes, documented in directpath(8). */
enum {
	EXIT_OK = 0,
	EXIT_DENIED = 1,
	EXIT_USAGE = 2,
};

/*
 * Every long option, once: X(ID, name, takes a value, global). A global one
 * applies to every command and the last one given counts; the others belong
 * to the commands whose opts name them, and each may be given once. From this
 * list come the OPT_* bits, the getopt codes, cmd_options and longopts[].
 */
#define CLI_OPTIONS(X)                                   \
	X(JSON, "json", false, false)                    \
	X(NOW, "now", false, false)                      \
	X(FORCE, "force", false, false)                  \
	X(VM, "vm", true, false)                         \
	X(DEVICES, "devices", true, false)               \
	X(HW_VERSION, "hw-version", true, false)         \
	X(MEMORY, "memory", true, false)                 \
	X(RESERVATION, "reservation", true, false)       \
	X(NAME, "name", true, false)                     \
	X(FEATURES, "features", true, false)             \
	X(POLICY, "policy", true, false)                 \
	X(COMPAT, "compat", false, false)                \
	X(DRIVERCTL_DIR, "driverctl-dir", true, true)    \
	X(CONFIG_DIR, "config-dir", true, true)          \
	X(RUN_DIR, "run-dir", true, true)                \
	X(DATA_DIR, "data-dir", true, true)

/* getopt_long's codes for the long options, past every character. */
enum {
	LOPT_BASE = 256,
#define X(id, name, arg, global) LOPT_##id,
	CLI_OPTIONS(X)
#undef X
	LOPT_END
};

/* One bit an option, for a command's list of the options it takes. */
enum {
#define X(id, name, arg, global) OPT_##id = 1u << (LOPT_##id - LOPT_BASE),
	CLI_OPTIONS(X)
#undef X
};

/* The options that describe a VM on the command line, instead of --vm. */
#define OPT_VM_SPEC (OPT_DEVICES | OPT_HW_VERSION | OPT_MEMORY | \
		     OPT_RESERVATION | OPT_NAME | OPT_FEATURES)

/* The options by getopt code - LOPT_BASE - 1. */
static const struct {
	unsigned opt;
	const char *name;
	bool has_arg;
	bool global;
} cmd_options[] = {
#define X(id, name, arg, global) { OPT_##id, name, arg, global },
	CLI_OPTIONS(X)
#undef X
};

#define N_CMD_OPTIONS (sizeof(cmd_options) / sizeof(cmd_options[0]))

struct cli {
	struct dp_ctx *ctx;
	unsigned opts;              /* OPT_* given on the command line */
	int verbose;
	unsigned lib_errors;        /* LOG_ERR messages the library gave */
	const char *values[N_CMD_OPTIONS]; /* by cmd_options index; NULL: not given */
};

struct command {
	const char *name;
	const char *args;           /* synopsis after the name */
	const char *summary;
	const char *help;           /* what --help adds after the synopsis */
	unsigned opts;              /* OPT_* it accepts */
	int nargs;                  /* positional arguments it needs */
	int (*run)(struct cli *cli, const char *arg);
};

/*
 * A message to stderr with what it quotes made printable (dp_quote, the
 * library's own helper): an argument never drives the terminal.
 */
static void put_quoted(const char *format, va_list args) DP_PRINTF(1, 0);
static void put_quoted(const char *format, va_list args)
{
	char *text = NULL, *safe;
	size_t size;

	if (vasprintf(&text, format, args) < 0) {
		fputs("(out of memory)", stderr);
		return;
	}
	size = DP_QUOTE_SIZE(strlen(text));
	safe = malloc(size);
	fputs(safe ? dp_quote(safe, size, text) : "(out of memory)", stderr);
	free(safe);
	free(text);
}

/* The library's messages, in the tool's voice; errors carry the reason. */
static void cli_log(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata) DP_PRINTF(6, 0);
static void cli_log(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata)
{
	struct cli *cli = userdata;

	(void)ctx;
	(void)file;
	(void)line;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	if (priority <= LOG_ERR)
		cli->lib_errors++;
	fputs("directpath: ", stderr);
	if (priority > LOG_ERR)
		fprintf(stderr, "%s: ", dp_log_priority_name(priority));
	if (priority == LOG_DEBUG)
		fprintf(stderr, "%s: ", fn);
	put_quoted(format, args);
	fputc('\n', stderr);
}

static void err_msg(const char *format, ...) DP_PRINTF(1, 2);
static void err_msg(const char *format, ...)
{
	va_list args;

	fputs("directpath: ", stderr);
	va_start(args, format);
	put_quoted(format, args);
	va_end(args);
	fputc('\n', stderr);
}

/* "8 MiB", "1.5 GiB", "96 B": exact when it is, one decimal when not. */
static const char *fmt_size(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned u = 0;
	uint64_t div = 1;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (v % div == 0)
		snprintf(buf, len, "%" PRIu64 " %s", v / div, units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)v / (double)div,
			 units[u]);
	return buf;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* Base class names (PCI Code and ID Assignment), for the class line of show. */
static const char *class_name(uint32_t class_code)
{
	static const char *const names[] = {
		"unclassified device", "mass storage controller",
		"network controller", "display controller",
		"multimedia controller", "memory controller", "bridge",
		"communication controller", "generic system peripheral",
		"input device controller", "docking station", "processor",
		"serial bus controller", "wireless controller",
		"intelligent controller", "satellite communications controller",
		"encryption controller", "signal processing controller",
		"processing accelerator", "non-essential instrumentation",
	};
	uint32_t base = class_code >> 16;

	if (base < sizeof(names) / sizeof(names[0]))
		return names[base];
	if (base == 0x40)
		return "coprocessor";
	return "unassigned class";
}

/* Bits this library has no name for: a newer library's in an older header's tool. */
static uint64_t unknown_flags(uint64_t flags)
{
	for (int b = 0; b < 64; b++)
		if (dp_device_flag_name(UINT64_C(1) << b))
			flags &= ~(UINT64_C(1) << b);
	return flags;
}

/* The IOMMU's kind, or "other" for a kind this library has no name for. */
static const char *iommu_kind(uint32_t kind)
{
	const char *name = dp_iommu_kind_name(kind);

	return name ? name : dp_iommu_kind_name(DP_IOMMU_OTHER);
}

/* The one-word eligibility hint of list and show, most serious first. */
static const char *device_status(const struct dp_device_info *info,
				 size_t group_size,
				 const struct dp_host_caps *caps)
{
	if (info->flags & (DP_DEVICE_BRIDGE | DP_DEVICE_HOST_BRIDGE))
		return "bridge";
	if (info->flags & DP_DEVICE_BOOT_VGA)
		return "boot-vga";
	if (info->flags & DP_DEVICE_CONFIG_UNREADABLE)
		return "config-unreadable";
	if (!(caps->flags & DP_HOST_IOMMU))
		return "no-iommu";
	if (info->iommu_group < 0)
		return "no-group";
	if (group_size > 1)
		return "shared-group";
	return "eligible";
}

static const char *status_meaning(const char *status)
{
	if (strcmp(status, "bridge") == 0)
		return "a bridge; marking it needs --force";
	if (strcmp(status, "boot-vga") == 0)
		return "the boot console; marking it needs --force";
	if (strcmp(status, "config-unreadable") == 0)
		return "its config space could not be read, so what it is is unknown; marking it needs --force";
	if (strcmp(status, "no-iommu") == 0)
		return "this host has no IOMMU";
	if (strcmp(status, "no-group") == 0)
		return "in no IOMMU group";
	if (strcmp(status, "shared-group") == 0)
		return "its IOMMU group holds other functions, which must follow it";
	return "can be marked for passthrough";
}

/* JSON building: each helper returns 0 or -1, and never leaks the value. */
static int jadd(struct json_object *obj, const char *key,
		struct json_object *val, bool may_be_null)
{
	if (!val && !may_be_null)
		return -1;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static int jadd_str(struct json_object *obj, const char *key, const char *s)
{
	return jadd(obj, key, s ? json_object_new_string(s) : NULL, !s);
}

static int jadd_int(struct json_object *obj, const char *key, int64_t v)
{
	return jadd(obj, key, json_object_new_int64(v), false);
}

static int jadd_uint(struct json_object *obj, const char *key, uint64_t v)
{
	return jadd(obj, key, json_object_new_uint64(v), false);
}

/* A number, or null when the value is unknown (negative). */
static int jadd_int_or_null(struct json_object *obj, const char *key,
			    int64_t v)
{
	return v < 0 ? jadd(obj, key, NULL, true) : jadd_int(obj, key, v);
}

static int jadd_bool(struct json_object *obj, const char *key, bool v)
{
	return jadd(obj, key, json_object_new_boolean(v), false);
}

/* IDs and class codes as lspci writes them: lower-case hex, fixed width. */
static int jadd_hex(struct json_object *obj, const char *key, int width,
		    uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*" PRIx32, width, v);
	return jadd_str(obj, key, buf);
}

static int jarray_add(struct json_object *arr, struct json_object *val)
{
	if (!val)
		return -1;
	if (json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/* Prints and frees obj; 0, or EXIT_USAGE when it could not be serialized. */
static int json_print(struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = EXIT_OK;

	if (s)
		puts(s);
	else {
		err_msg("cannot format JSON: out of memory");
		r = EXIT_USAGE;
	}
	json_object_put(obj);
	return r;
}

static int oom(void)
{
	err_msg("out of memory");
	return EXIT_USAGE;
}

/* Host capabilities. */

static int get_caps(struct cli *cli, struct dp_host_caps *caps)
{
	int r;

	memset(caps, 0, sizeof(*caps));
	caps->sz = sizeof(*caps);
	r = dp_ctx_get_host_caps(cli->ctx, caps);
	if (r < 0) {
		err_msg("cannot read the host's capabilities: %s",
			strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const char *fmt_limit(char *buf, size_t len, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		fmt_size(buf, len, v);
	return buf;
}

static int host_json(const struct dp_host_caps *c)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return oom();
	e |= jadd_str(o, "iommu", iommu_kind(c->iommu_kind));
	e |= jadd_bool(o, dp_host_flag_name(DP_HOST_IOMMU_GROUPS), c->flags & DP_HOST_IOMMU_GROUPS);
	e |= jadd_int(o, "iommu_group_count", c->iommu_group_count);
	for (uint32_t bit = DP_HOST_IRQ_REMAP; bit <= DP_HOST_KVM; bit <<= 1)
		e |= jadd_bool(o, dp_host_flag_name(bit), c->flags & bit);
	e |= jadd_int_or_null(o, "kvm_api_version", c->kvm_api_version);
	/* null: unlimited */
	if (c->memlock_cur == UINT64_MAX)
		e |= jadd(o, "memlock_soft", NULL, true);
	else
		e |= jadd_uint(o, "memlock_soft", c->memlock_cur);
	if (c->memlock_max == UINT64_MAX)
		e |= jadd(o, "memlock_hard", NULL, true);
	else
		e |= jadd_uint(o, "memlock_hard", c->memlock_max);
	if (e) {
		json_object_put(o);
		return oom();
	}
	return json_print(o);
}

static int cmd_host(struct cli *cli, const char *arg)
{
	struct dp_host_caps c;
	char cur[32], max[32];
	const char *vfio_pci;
	int r;

	(void)arg;
	r = get_caps(cli, &c);
	if (r != EXIT_OK)
		return r;
	if (cli->opts & OPT_JSON)
		return host_json(&c);

	if (c.flags & DP_HOST_VFIO_PCI)
		vfio_pci = "loaded";
	else if (c.flags & DP_HOST_VFIO_PCI_MODULE)
		vfio_pci = "not loaded (modprobe vfio-pci)";
	else
		vfio_pci = "not available";
	printf("%-21s %s\n", "IOMMU",
	       iommu_kind(c.flags & DP_HOST_IOMMU ? c.iommu_kind : DP_IOMMU_NONE));
	printf("%-21s %" PRId32 "\n", "IOMMU groups", c.iommu_group_count);
	printf("%-21s %s\n", "interrupt remapping",
	       c.flags & DP_HOST_IRQ_REMAP ? "yes" : "no");
	printf("%-21s %s\n", "unsafe interrupts",
	       c.flags & DP_HOST_UNSAFE_INTERRUPTS ? "allowed" : "not allowed");
	printf("%-21s %s\n", "vfio",
	       c.flags & DP_HOST_VFIO ? "yes (/dev/vfio/vfio)" : "no");
	printf("%-21s %s\n", "vfio-pci", vfio_pci);
	if (c.flags & DP_HOST_KVM)
		printf("%-21s yes (API version %" PRId32 ")\n", "KVM",
		       c.kvm_api_version);
	else
		printf("%-21s no\n", "KVM");
	printf("%-21s %s (hard limit %s)\n", "RLIMIT_MEMLOCK",
	       fmt_limit(cur, sizeof(cur), c.memlock_cur),
	       fmt_limit(max, sizeof(max), c.memlock_max));

	/* The blockers an administrator can act on, in the order to fix them. */
	if (!(c.flags & DP_HOST_IOMMU))
		printf("\nno IOMMU: passthrough is not possible on this host; enable VT-d or AMD-Vi\n"
		       "in the firmware and boot with intel_iommu=on or amd_iommu=on\n");
	else if (!(c.flags & (DP_HOST_IRQ_REMAP | DP_HOST_UNSAFE_INTERRUPTS)))
		printf("\nno interrupt remapping: vfio refuses to set up a container unless\n"
		       "vfio_iommu_type1 allow_unsafe_interrupts=1 is set\n");
	return EXIT_OK;
}

/* Devices. */

static int get_info(const struct dp_device *dev, struct dp_device_info *info)
{
	int r;

	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	r = dp_device_get_info(dev, info);
	if (r < 0) {
		err_msg("%s: cannot read its facts: %s", dp_device_get_bdf(dev),
			strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* A device by BDF, scanning first; exit code on failure. */
static int find_device(struct cli *cli, const char *bdf,
		       struct dp_device **out)
{
	unsigned errors;
	int r;

	if (dp_bdf_parse(bdf, NULL, NULL, NULL, NULL) < 0) {
		err_msg("\"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
			bdf);
		return EXIT_USAGE;
	}
	errors = cli->lib_errors;
	r = dp_ctx_find_device(cli->ctx, bdf, out);
	if (r == -ENODEV) {
		if (cli->lib_errors == errors) /* else the library said so */
			err_msg("%s: no such PCI function on this host", bdf);
		return EXIT_USAGE;
	}
	if (r < 0) {
		err_msg("%s: cannot look it up: %s", bdf, strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int scan(struct cli *cli)
{
	int r = dp_ctx_scan(cli->ctx);

	if (r < 0) {
		err_msg("cannot scan the PCI bus: %s", strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* "Intel Corporation 82599ES ..." from pci.ids, IDs for what it lacks. */
static const char *device_label(const struct dp_device *dev,
				const struct dp_device_info *info, char *buf,
				size_t len)
{
	const char *v = dp_device_get_vendor_name(dev);
	const char *d = dp_device_get_device_name(dev);

	if (v && d)
		snprintf(buf, len, "%s %s", v, d);
	else if (v)
		snprintf(buf, len, "%s device %04x", v, info->device_id);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* The kernel's reset methods; "-" when it does not report them. */
static const char *reset_methods(const struct dp_device *dev)
{
	const char *s = dp_device_get_reset_methods(dev);

	return !s ? "-" : *s ? s : "none";
}

/* The fields list and show share, for JSON. */
static int device_json_common(struct json_object *o,
			      const struct dp_device *dev,
			      const struct dp_device_info *info,
			      const char *status)
{
	int e = 0;

	e |= jadd_str(o, "bdf", dp_device_get_bdf(dev));
	e |= jadd_hex(o, "vendor_id", 4, info->vendor_id);
	e |= jadd_hex(o, "device_id", 4, info->device_id);
	e |= jadd_str(o, "vendor_name", dp_device_get_vendor_name(dev));
	e |= jadd_str(o, "device_name", dp_device_get_device_name(dev));
	e |= jadd_hex(o, "class", 6, info->class_code);
	e |= jadd_str(o, "driver", dp_device_get_driver(dev));
	e |= jadd_int_or_null(o, "iommu_group", info->iommu_group);
	e |= jadd_bool(o, "marked", dp_device_is_marked(dev));
	e |= jadd_str(o, "status", status);
	return e;
}

struct row {
	const char *bdf;
	char id[10];
	char class[8];
	const char *driver;
	char group[12];
	const char *marked;
	const char *status;
	char name[256];
};

static void print_rows(const struct row *rows, size_t n)
{
	static const struct row head = {
		.bdf = "BDF", .id = "ID", .class = "CLASS", .driver = "DRIVER",
		.group = "GROUP", .marked = "MARKED", .status = "STATUS",
		.name = "NAME",
	};
	int w_bdf = 3, w_id = 2, w_class = 5, w_drv = 6, w_grp = 5, w_mark = 6,
	    w_stat = 6;

#define WIDEN(w, s) do { int l_ = (int)strlen(s); if (l_ > (w)) (w) = l_; } while (0)
	for (size_t i = 0; i < n; i++) {
		WIDEN(w_bdf, rows[i].bdf);
		WIDEN(w_id, rows[i].id);
		WIDEN(w_class, rows[i].class);
		WIDEN(w_drv, rows[i].driver);
		WIDEN(w_grp, rows[i].group);
		WIDEN(w_mark, rows[i].marked);
		WIDEN(w_stat, rows[i].status);
	}
#undef WIDEN
	for (size_t i = 0; i <= n; i++) {
		const struct row *r = i == 0 ? &head : &rows[i - 1];

		printf("%-*s  %-*s  %-*s  %-*s  %*s  %-*s  %-*s  %s\n", w_bdf,
		       r->bdf, w_id, r->id, w_class, r->class, w_drv, r->driver,
		       w_grp, r->group, w_mark, r->marked, w_stat, r->status,
		       r->name);
	}
}

static int cmd_list(struct cli *cli, const char *arg)
{
	struct json_object *arr = NULL;
	struct dp_host_caps caps;
	struct row *rows = NULL;
	size_t n;
	int r;

	(void)arg;
	r = scan(cli);
	if (r != EXIT_OK)
		return r;
	r = get_caps(cli, &caps);
	if (r != EXIT_OK)
		return r;
	n = dp_ctx_get_device_count(cli->ctx);
	if (cli->opts & OPT_JSON) {
		arr = json_object_new_array();
		if (!arr)
			return oom();
	} else {
		rows = calloc(n ? n : 1, sizeof(*rows));
		if (!rows)
			return oom();
	}

	for (size_t i = 0; i < n; i++) {
		struct dp_device *dev = dp_ctx_get_device(cli->ctx, i);
		struct dp_device_info info;
		const char *status;

		if (!dev) {
			err_msg("device %zu of %zu vanished from the scan", i, n);
			r = EXIT_USAGE;
			goto out;
		}
		r = get_info(dev, &info);
		if (r != EXIT_OK)
			goto out;
		status = device_status(&info, dp_device_get_group_size(dev),
				       &caps);
		if (arr) {
			struct json_object *o = json_object_new_object();

			if (!o || device_json_common(o, dev, &info, status) ||
			    jarray_add(arr, o)) {
				json_object_put(o);
				r = oom();
				goto out;
			}
			continue;
		}
		rows[i].bdf = dp_device_get_bdf(dev);
		snprintf(rows[i].id, sizeof(rows[i].id), "%04x:%04x",
			 info.vendor_id, info.device_id);
		snprintf(rows[i].class, sizeof(rows[i].class), "%04x",
			 (unsigned)(info.class_code >> 8));
		rows[i].driver = or_dash(dp_device_get_driver(dev));
		if (info.iommu_group >= 0)
			snprintf(rows[i].group, sizeof(rows[i].group), "%" PRId32,
				 info.iommu_group);
		else
			snprintf(rows[i].group, sizeof(rows[i].group), "-");
		rows[i].marked = dp_device_is_marked(dev) ? "yes" : "no";
		rows[i].status = status;
		device_label(dev, &info, rows[i].name, sizeof(rows[i].name));
	}

	if (arr) {
		r = json_print(arr);
		arr = NULL;
	} else {
		print_rows(rows, n);
	}
out:
	json_object_put(arr);
	free(rows);
	return r;
}

/* The group's members with their drivers; members the scan lacks show "-". */
static int group_member_driver(struct cli *cli, const char *bdf,
			       char *buf, size_t len)
{
	struct dp_device *m;
	int r = dp_ctx_find_device(cli->ctx, bdf, &m);

	if (r == -ENODEV) {
		snprintf(buf, len, "-");
		return 0;
	}
	if (r < 0) {
		err_msg("%s: cannot look it up: %s", bdf, strerror(-r));
		return r;
	}
	snprintf(buf, len, "%s", or_dash(dp_device_get_driver(m)));
	dp_device_unref(m);
	return 0;
}

static int show_json(struct cli *cli, const struct dp_device *dev,
		     const struct dp_device_info *info, const char *status)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = NULL, *x = NULL;
	const char *s;
	size_t gsize = dp_device_get_group_size(dev);
	bool lookup_failed = false;
	int e = 0;

	if (!o)
		return oom();
	e |= device_json_common(o, dev, info, status);
	e |= jadd_int(o, "domain", info->domain);
	e |= jadd_int(o, "bus", info->bus);
	e |= jadd_int(o, "slot", info->dev);
	e |= jadd_int(o, "function", info->func);
	e |= jadd_hex(o, "subsystem_vendor_id", 4, info->subsystem_vendor_id);
	e |= jadd_hex(o, "subsystem_id", 4, info->subsystem_id);
	e |= jadd_hex(o, "revision", 2, info->revision);
	e |= jadd_int(o, "header_type", info->header_type);
	e |= jadd_str(o, "class_name", class_name(info->class_code));
	e |= jadd_str(o, "driver_override", dp_device_get_driver_override(dev));
	e |= jadd_int_or_null(o, "numa_node", info->numa_node);
	e |= jadd_int(o, "config_size", info->config_size);
	e |= jadd_str(o, "physfn", dp_device_get_physfn(dev));

	a = json_object_new_array();
	for (int b = 0; a && b < 64; b++) {
		const char *name = dp_device_flag_name(UINT64_C(1) << b);

		if ((info->flags & (UINT64_C(1) << b)) && name)
			e |= jarray_add(a, json_object_new_string(name));
	}
	e |= jadd(o, "flags", a, false);
	e |= jadd_uint(o, "flags_unknown", unknown_flags(info->flags));

	/* The kernel's words, or null when it has no reset_method attribute. */
	s = dp_device_get_reset_methods(dev);
	if (s) {
		char *copy = strdup(s), *save = NULL;

		a = json_object_new_array();
		if (!copy || !a) {
			free(copy);
			json_object_put(a);
			a = NULL;
			e |= -1;
		} else {
			for (char *w = strtok_r(copy, " \t\n", &save); w;
			     w = strtok_r(NULL, " \t\n", &save))
				e |= jarray_add(a, json_object_new_string(w));
			free(copy);
			e |= jadd(o, "reset_methods", a, false);
		}
	} else {
		e |= jadd(o, "reset_methods", NULL, true);
	}

	a = json_object_new_array();
	for (size_t i = 0; a && i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		char drv[128];

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				dp_device_get_bdf(dev), i, gsize);
			lookup_failed = true;
			break;
		}
		if (group_member_driver(cli, m, drv, sizeof(drv)) < 0) {
			lookup_failed = true;
			break;
		}
		x = json_object_new_object();
		if (x) {
			e |= jadd_str(x, "bdf", m);
			e |= jadd_str(x, "driver", strcmp(drv, "-") ? drv : NULL);
		}
		e |= jarray_add(a, x);
	}
	e |= jadd(o, "iommu_group_members", a, false);

	a = json_object_new_array();
	for (int i = 0; a && i < 6; i++) {
		uint32_t f = info->bar_flags[i];

		if (!(f & DP_BAR_PRESENT))
			continue;
		x = json_object_new_object();
		if (x) {
			e |= jadd_int(x, "index", i);
			e |= jadd_str(x, "type", f & DP_BAR_IO ? "io" : "mem");
			e |= jadd_bool(x, "64bit", f & DP_BAR_MEM64);
			e |= jadd_bool(x, "prefetch", f & DP_BAR_PREFETCH);
			e |= jadd_uint(x, "size", info->bar_size[i]);
		}
		e |= jarray_add(a, x);
		if (f & DP_BAR_MEM64)
			i++; /* the upper half */
	}
	e |= jadd(o, "bars", a, false);
	if (info->flags & DP_DEVICE_ROM)
		e |= jadd_uint(o, "rom_size", info->rom_size);
	else
		e |= jadd(o, "rom_size", NULL, true);

	if (info->flags & DP_DEVICE_MSI) {
		x = json_object_new_object();
		if (x)
			e |= jadd_int(x, "vectors", info->msi_vectors);
		e |= jadd(o, "msi", x, false);
	} else {
		e |= jadd(o, "msi", NULL, true);
	}
	if (info->flags & DP_DEVICE_MSIX) {
		x = json_object_new_object();
		if (x) {
			e |= jadd_int(x, "table_size", info->msix_table_size);
			e |= jadd_int(x, "table_bar", info->msix_table_bir);
			e |= jadd_uint(x, "table_offset", info->msix_table_offset);
			e |= jadd_int(x, "pba_bar", info->msix_pba_bir);
			e |= jadd_uint(x, "pba_offset", info->msix_pba_offset);
		}
		e |= jadd(o, "msix", x, false);
	} else {
		e |= jadd(o, "msix", NULL, true);
	}
	if (info->flags & DP_DEVICE_SRIOV_PF) {
		x = json_object_new_object();
		if (x) {
			e |= jadd_uint(x, "num_vfs", info->sriov_num_vfs);
			e |= jadd_uint(x, "total_vfs", info->sriov_total_vfs);
		}
		e |= jadd(o, "sriov", x, false);
	} else {
		e |= jadd(o, "sriov", NULL, true);
	}

	if (e || lookup_failed) {
		json_object_put(o);
		return lookup_failed ? EXIT_USAGE : oom();
	}
	return json_print(o);
}

static int show_text(struct cli *cli, const struct dp_device *dev,
		     const struct dp_device_info *info, const char *status)
{
	const char *bdf = dp_device_get_bdf(dev);
	size_t gsize = dp_device_get_group_size(dev);
	uint64_t unknown = unknown_flags(info->flags);
	char label[256], size[32];
	bool any = false;

#define FIELD "  %-19s "
	printf("%s  %s\n", bdf, device_label(dev, info, label, sizeof(label)));
	printf(FIELD "%04x:%04x\n", "vendor:device", info->vendor_id,
	       info->device_id);
	printf(FIELD "%04x:%04x\n", "subsystem", info->subsystem_vendor_id,
	       info->subsystem_id);
	printf(FIELD "%06" PRIx32 " (%s)\n", "class", info->class_code,
	       class_name(info->class_code));
	printf(FIELD "%02x\n", "revision", info->revision);
	printf(FIELD "%u\n", "header type", info->header_type);
	printf(FIELD, "flags");
	for (int b = 0; b < 64; b++) {
		const char *name = dp_device_flag_name(UINT64_C(1) << b);

		if ((info->flags & (UINT64_C(1) << b)) && name) {
			printf("%s%s", any ? " " : "", name);
			any = true;
		}
	}
	if (unknown) {
		printf("%s0x%" PRIx64, any ? " " : "", unknown);
		any = true;
	}
	printf("%s\n", any ? "" : "-");
	printf(FIELD "%s\n", "driver", or_dash(dp_device_get_driver(dev)));
	printf(FIELD "%s\n", "driver override",
	       or_dash(dp_device_get_driver_override(dev)));
	printf(FIELD "%s\n", "marked", dp_device_is_marked(dev) ? "yes" : "no");
	printf(FIELD "%s (%s)\n", "status", status, status_meaning(status));
	if (info->iommu_group >= 0)
		printf(FIELD "%" PRId32 "\n", "IOMMU group", info->iommu_group);
	else
		printf(FIELD "-\n", "IOMMU group");
	for (size_t i = 0; i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		char drv[128];

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				bdf, i, gsize);
			return EXIT_USAGE;
		}
		if (group_member_driver(cli, m, drv, sizeof(drv)) < 0)
			return EXIT_USAGE;
		printf(FIELD "%s (%s)%s\n", i ? "" : "group members", m, drv,
		       strcmp(m, bdf) ? "" : " (this function)");
	}
	if (info->numa_node >= 0)
		printf(FIELD "%" PRId32 "\n", "NUMA node", info->numa_node);
	else
		printf(FIELD "-\n", "NUMA node");
	printf(FIELD "%s\n", "reset methods", reset_methods(dev));
	printf(FIELD "%" PRIu32 " bytes\n", "config space", info->config_size);

	any = false;
	for (int i = 0; i < 6; i++) {
		uint32_t f = info->bar_flags[i];
		char name[8];

		if (!(f & DP_BAR_PRESENT))
			continue;
		snprintf(name, sizeof(name), "BAR%d", i);
		printf(FIELD "%s%s%s, %s\n", name, f & DP_BAR_IO ? "I/O" : "memory",
		       f & DP_BAR_MEM64 ? " 64-bit" : f & DP_BAR_IO ? "" : " 32-bit",
		       f & DP_BAR_PREFETCH ? " prefetchable" : "",
		       fmt_size(size, sizeof(size), info->bar_size[i]));
		any = true;
		if (f & DP_BAR_MEM64)
			i++; /* the upper half */
	}
	if (!any)
		printf(FIELD "-\n", "BARs");
	if (info->flags & DP_DEVICE_ROM)
		printf(FIELD "%s\n", "ROM",
		       fmt_size(size, sizeof(size), info->rom_size));
	else
		printf(FIELD "-\n", "ROM");
	if (info->flags & DP_DEVICE_MSI)
		printf(FIELD "%u vector%s\n", "MSI", info->msi_vectors,
		       info->msi_vectors == 1 ? "" : "s");
	else
		printf(FIELD "-\n", "MSI");
	if (info->flags & DP_DEVICE_MSIX)
		printf(FIELD "%u entries, table BAR%u+0x%" PRIx32
		       ", PBA BAR%u+0x%" PRIx32 "\n", "MSI-X",
		       info->msix_table_size, info->msix_table_bir,
		       info->msix_table_offset, info->msix_pba_bir,
		       info->msix_pba_offset);
	else
		printf(FIELD "-\n", "MSI-X");
	if (info->flags & DP_DEVICE_SRIOV_PF)
		printf(FIELD "physical function, %" PRIu32 " of %" PRIu32
		       " VFs enabled\n", "SR-IOV", info->sriov_num_vfs,
		       info->sriov_total_vfs);
	else if (info->flags & DP_DEVICE_SRIOV_VF)
		printf(FIELD "virtual function of %s\n", "SR-IOV",
		       or_dash(dp_device_get_physfn(dev)));
	else
		printf(FIELD "-\n", "SR-IOV");
#undef FIELD
	return EXIT_OK;
}

static int cmd_show(struct cli *cli, const char *bdf)
{
	struct dp_device *dev = NULL;
	struct dp_device_info info;
	struct dp_host_caps caps;
	const char *status;
	int r;

	r = find_device(cli, bdf, &dev);
	if (r != EXIT_OK)
		return r;
	r = get_info(dev, &info);
	if (r == EXIT_OK)
		r = get_caps(cli, &caps);
	if (r == EXIT_OK) {
		status = device_status(&info, dp_device_get_group_size(dev),
				       &caps);
		if (cli->opts & OPT_JSON)
			r = show_json(cli, dev, &info, status);
		else
			r = show_text(cli, dev, &info, status);
	}
	dp_device_unref(dev);
	return r;
}

/* Why the library refused, in the words of its errno. */
static int passthrough_failed(const struct dp_device *dev,
			      const struct dp_device_info *info, bool enable,
			      int r, bool explained)
{
	const char *bdf = dp_device_get_bdf(dev);
	const char *what = enable ? "mark" : "unmark";

	const uint64_t guarded = DP_DEVICE_HOST_BRIDGE | DP_DEVICE_BRIDGE |
				 DP_DEVICE_BOOT_VGA | DP_DEVICE_CONFIG_UNREADABLE;

	switch (r) {
	case -EPERM:
		/* The library said what the function is (dp_device_set_passthrough(3)). */
		if (!(info->flags & guarded) || !enable)
			err_msg("%s: cannot %s: %s", bdf, what, strerror(-r));
		else
			err_msg("%s: refused%s; --force overrides", bdf,
				explained ? "" : ": giving it to a VM would take it from the host");
		return EXIT_DENIED;
	case -EACCES:
	case -EROFS:
		err_msg("%s: cannot %s: %s%s", bdf, what, strerror(-r),
			geteuid() != 0 ? " (marking needs root)" : "");
		return EXIT_USAGE;
	case -EIO:
		err_msg("%s: cannot %s now: the driver binding did not take; the previous binding and mark were restored",
			bdf, what);
		return EXIT_DENIED;
	case -ENODEV:
		err_msg("%s: cannot %s now: vfio-pci is not loaded (modprobe vfio-pci); nothing changed",
			bdf, what);
		return EXIT_DENIED;
	default:
		err_msg("%s: cannot %s: %s", bdf, what, strerror(-r));
		return EXIT_USAGE;
	}
}

/* The other members of the group, which only go to a VM together with it. */
static int print_group_followers(struct cli *cli, const struct dp_device *dev,
				 const struct dp_device_info *info)
{
	const char *bdf = dp_device_get_bdf(dev);
	size_t gsize = dp_device_get_group_size(dev);

	if (info->iommu_group < 0 || gsize == 0) {
		err_msg("warning: %s is in no IOMMU group: it cannot be passed through until the IOMMU is enabled",
			bdf);
		return 0;
	}
	if (gsize == 1)
		return 0;
	printf("%s: IOMMU group %" PRId32
	       " also holds these functions; they must follow it to any VM:\n",
	       bdf, info->iommu_group);
	for (size_t i = 0; i < gsize; i++) {
		const char *m = dp_device_get_group_member(dev, i);
		struct dp_device *md;
		int r;

		if (!m) {
			err_msg("%s: IOMMU group member %zu of %zu is missing",
				bdf, i, gsize);
			return -EIO;
		}
		if (strcmp(m, bdf) == 0)
			continue;
		r = dp_ctx_find_device(cli->ctx, m, &md);
		if (r == -ENODEV) {
			printf("  %s (not in the scan)\n", m);
			continue;
		}
		if (r < 0) {
			err_msg("%s: cannot look it up: %s", m, strerror(-r));
			return r;
		}
		printf("  %s  driver %s, %s\n", m,
		       or_dash(dp_device_get_driver(md)),
		       dp_device_is_marked(md) ? "marked" : "not marked");
		dp_device_unref(md);
	}
	return 0;
}

/* The driver after --now, from a fresh scan: what the host really did. */
static int print_bound_driver(struct cli *cli, const char *bdf)
{
	struct dp_device *now;
	int r = scan(cli);

	if (r != EXIT_OK)
		return r;
	r = find_device(cli, bdf, &now);
	if (r != EXIT_OK)
		return r;
	printf("%s: now driven by %s\n", bdf,
	       or_dash(dp_device_get_driver(now)));
	dp_device_unref(now);
	return EXIT_OK;
}

static int set_passthrough(struct cli *cli, const char *arg, bool enable)
{
	struct dp_device *dev = NULL;
	struct dp_device_info info;
	uint32_t flags = 0;
	const char *bdf;
	bool was_marked;
	unsigned errors;
	int r;

	if (cli->opts & OPT_NOW)
		flags |= DP_MARK_APPLY;
	if (cli->opts & OPT_FORCE)
		flags |= DP_MARK_FORCE;

	r = find_device(cli, arg, &dev);
	if (r != EXIT_OK)
		return r;
	bdf = dp_device_get_bdf(dev);
	r = get_info(dev, &info);
	if (r != EXIT_OK)
		goto out;
	was_marked = dp_device_is_marked(dev);

	errors = cli->lib_errors;
	r = dp_device_set_passthrough(dev, enable, flags);
	if (r < 0) {
		r = passthrough_failed(dev, &info, enable, r,
				       cli->lib_errors != errors);
		goto out;
	}
	if (enable) {
		printf("%s: %s for passthrough (%s/pci-%s)\n", bdf,
		       was_marked ? "already marked" : "marked",
		       dp_ctx_get_driverctl_dir(cli->ctx), bdf);
		if (!(flags & DP_MARK_APPLY))
			printf("%s: takes effect at the next boot, or now with --now\n",
			       bdf);
		r = print_group_followers(cli, dev, &info) < 0 ? EXIT_USAGE :
								  EXIT_OK;
	} else {
		if (was_marked)
			printf("%s: unmarked (removed %s/pci-%s)\n", bdf,
			       dp_ctx_get_driverctl_dir(cli->ctx), bdf);
		else
			printf("%s: was not marked\n", bdf);
		r = EXIT_OK;
	}
	if (r == EXIT_OK && (flags & DP_MARK_APPLY))
		r = print_bound_driver(cli, bdf);
out:
	dp_device_unref(dev);
	return r;
}

static int cmd_mark(struct cli *cli, const char *arg)
{
	return set_passthrough(cli, arg, true);
}

static int cmd_unmark(struct cli *cli, const char *arg)
{
	return set_passthrough(cli, arg, false);
}

/* Policy: check, features, policy. */

/* The value of an option that takes one, or NULL when it was not given. */
static const char *opt_value(const struct cli *cli, unsigned opt)
{
	for (size_t i = 0; i < N_CMD_OPTIONS; i++)
		if (cmd_options[i].opt == opt)
			return cli->values[i];
	return NULL;
}

static int usage_error(const char *cmd, const char *format, ...) DP_PRINTF(2, 3);
static int usage_error(const char *cmd, const char *format, ...)
{
	va_list args;

	fprintf(stderr, "directpath: %s: ", cmd);
	va_start(args, format);
	put_quoted(format, args);
	va_end(args);
	fprintf(stderr, "\nTry \"directpath %s --help\".\n", cmd);
	return EXIT_USAGE;
}

/* Whether the library logged an error since errors_before: then it said why. */
static bool lib_said(const struct cli *cli, unsigned errors_before)
{
	return cli->lib_errors != errors_before;
}

/*
 * The policy in force: the defaults and the compatibility list of the data
 * directory, then --policy FILE, or CONFIG_DIR/policy.conf when it exists.
 */
static int load_policy(struct cli *cli, struct dp_policy **out)
{
	const char *file = opt_value(cli, OPT_POLICY);
	struct dp_policy *policy;
	unsigned errors = cli->lib_errors;
	int r;

	r = dp_policy_new(cli->ctx, &policy);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("cannot set up the policy: %s", strerror(-r));
		return EXIT_USAGE;
	}
	errors = cli->lib_errors;
	r = dp_policy_load_file(policy, file);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot load the policy: %s",
				file ? file : "policy.conf", strerror(-r));
		dp_policy_unref(policy);
		return EXIT_USAGE;
	}
	*out = policy;
	return EXIT_OK;
}

static int parse_size_opt(const char *opt, const char *text, uint64_t *out)
{
	int r = dp_parse_size(text, out);

	if (r < 0)
		return usage_error("check", "--%s: \"%s\" is not a size (bytes, or with K, M, G or T, such as 4096M or 4G)%s",
				   opt, text, r == -ERANGE ? ": too large" : "");
	return EXIT_OK;
}

/* Names separated by spaces or commas, into DP_FEATURE_* bits. */
static int parse_features(const char *text, uint32_t *out)
{
	char *copy = strdup(text), *save = NULL;
	uint32_t features = 0;
	int r = EXIT_OK;

	if (!copy)
		return oom();
	for (char *w = strtok_r(copy, " ,\t", &save); w;
	     w = strtok_r(NULL, " ,\t", &save)) {
		uint32_t bit = dp_feature_from_name(w);

		if (!bit) {
			r = usage_error("check", "--features: unknown feature \"%s\" (\"directpath features\" lists them)",
					w);
			break;
		}
		features |= bit;
	}
	free(copy);
	if (r == EXIT_OK)
		*out = features;
	return r;
}

/* Adds each BDF of a comma-separated list; malformed ones are usage errors. */
static int add_devices(struct cli *cli, struct dp_vm *vm, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int r = EXIT_OK;

	if (!copy)
		return oom();
	for (char *w = strtok_r(copy, ", \t", &save); w;
	     w = strtok_r(NULL, ", \t", &save)) {
		unsigned errors = cli->lib_errors;
		int e;

		if (dp_bdf_parse(w, NULL, NULL, NULL, NULL) < 0) {
			r = usage_error("check", "--devices: \"%s\" is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
					w);
			break;
		}
		e = dp_vm_add_device(vm, w);
		if (e < 0) {
			if (!lib_said(cli, errors))
				err_msg("%s: cannot add it to the VM: %s", w, strerror(-e));
			r = EXIT_USAGE;
			break;
		}
	}
	free(copy);
	return r;
}

/* The VM of check: --vm FILE, or the options that describe one. */
static int build_vm(struct cli *cli, struct dp_vm **out)
{
	const char *file = opt_value(cli, OPT_VM);
	const char *hw = opt_value(cli, OPT_HW_VERSION);
	const char *mem = opt_value(cli, OPT_MEMORY);
	const char *res = opt_value(cli, OPT_RESERVATION);
	const char *features = opt_value(cli, OPT_FEATURES);
	const char *devices = opt_value(cli, OPT_DEVICES);
	const char *name = opt_value(cli, OPT_NAME);
	uint64_t hw_version, memory, reservation;
	uint32_t feature_bits = 0;
	struct dp_vm *vm = NULL;
	unsigned errors = cli->lib_errors;
	int r;

	if (file) {
		for (size_t i = 0; i < N_CMD_OPTIONS; i++)
			if ((cmd_options[i].opt & OPT_VM_SPEC) && cli->values[i])
				return usage_error("check", "--vm and --%s exclude each other: the file describes the VM",
						   cmd_options[i].name);
		r = dp_vm_new_from_file(cli->ctx, file, &vm);
		if (r < 0) {
			if (!lib_said(cli, errors))
				err_msg("%s: cannot read the VM: %s", file, strerror(-r));
			return EXIT_USAGE;
		}
		*out = vm;
		return EXIT_OK;
	}
	if (!hw || !mem)
		return usage_error("check", "a VM is needed: --vm FILE, or --hw-version and --memory (and --devices)");
	r = dp_parse_uint(hw, UINT32_MAX, &hw_version);
	if (r < 0)
		return usage_error("check", "--hw-version: \"%s\" is not a hardware version (a number such as 7)%s",
				   hw, r == -ERANGE ? ": too large" : "");
	r = parse_size_opt("memory", mem, &memory);
	if (r != EXIT_OK)
		return r;
	if (res) {
		r = parse_size_opt("reservation", res, &reservation);
		if (r != EXIT_OK)
			return r;
	}
	if (features) {
		r = parse_features(features, &feature_bits);
		if (r != EXIT_OK)
			return r;
	}
	r = dp_vm_new(cli->ctx, name ? name : "cli", &vm);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("cannot describe the VM: %s", strerror(-r));
		return EXIT_USAGE;
	}
	r = dp_vm_set_hw_version(vm, (uint32_t)hw_version);
	if (r == 0)
		r = res ? dp_vm_set_memory(vm, memory, reservation) :
			  dp_vm_set_memory_size(vm, memory);
	if (r == 0)
		r = dp_vm_set_features(vm, feature_bits, 1);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot describe the VM: %s", dp_vm_get_name(vm), strerror(-r));
		dp_vm_unref(vm);
		return EXIT_USAGE;
	}
	if (devices) {
		r = add_devices(cli, vm, devices);
		if (r != EXIT_OK) {
			dp_vm_unref(vm);
			return r;
		}
	}
	*out = vm;
	return EXIT_OK;
}

static const char *severity_name(uint32_t severity)
{
	const char *name = dp_severity_name(severity);

	return name ? name : "?";
}

/* "3 errors", "1 warning". */
static int fmt_count(char *buf, size_t len, size_t n, const char *what)
{
	return snprintf(buf, len, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

/* The verdict, the findings, then the lost features and their causes. */
static int print_report(const struct dp_report *rep, const struct dp_vm *vm)
{
	size_t n = dp_report_get_finding_count(rep), errors = 0, warnings = 0;
	uint32_t lost = dp_report_get_lost_features(rep);
	uint32_t enabled = dp_vm_get_features(vm);
	struct dp_finding *f;
	char e[32], w[32];
	int r;

	f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		return oom();
	for (size_t i = 0; i < n; i++) {
		f[i].sz = sizeof(f[i]);
		r = dp_report_get_finding(rep, i, &f[i]);
		if (r < 0) {
			err_msg("%s: cannot read finding %zu of %zu: %s",
				dp_vm_get_name(vm), i, n, strerror(-r));
			free(f);
			return EXIT_USAGE;
		}
		if (f[i].severity == DP_SEVERITY_ERROR)
			errors++;
		else if (f[i].severity == DP_SEVERITY_WARNING)
			warnings++;
	}
	fmt_count(e, sizeof(e), errors, "error");
	fmt_count(w, sizeof(w), warnings, "warning");
	if (dp_report_is_allowed(rep))
		printf("%s: allowed%s%s%s\n", dp_vm_get_name(vm),
		       warnings ? " (" : "", warnings ? w : "", warnings ? ")" : "");
	else
		printf("%s: denied (%s%s%s)\n", dp_vm_get_name(vm), e,
		       warnings ? ", " : "", warnings ? w : "");
	for (size_t i = 0; i < n; i++) {
		const char *code = dp_finding_code_name(f[i].code);
		char unknown[24];

		if (!code) {
			snprintf(unknown, sizeof(unknown), "code-%" PRIu32, f[i].code);
			code = unknown;
		}
		printf("%-7s  %-22s  %s\n", severity_name(f[i].severity), code,
		       f[i].message);
	}
	free(f);

	if (!lost) {
		printf("Lost features: none\n");
		return EXIT_OK;
	}
	printf("Lost features:\n  %-18s  %-8s  %s\n", "FEATURE", "THIS VM",
	       "CAUSED BY");
	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t feature = 1u << bit;
		size_t nc = dp_report_get_feature_cause_count(rep, feature);
		const char *name = dp_feature_name(feature);
		char unknown[24];

		if (!(lost & feature))
			continue;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "feature-bit-%u", bit);
			name = unknown;
		}
		printf("  %-18s  %-8s  ", name,
		       enabled & feature ? "enabled" : "disabled");
		for (size_t i = 0; i < nc; i++)
			printf("%s%s", i ? ", " : "",
			       or_dash(dp_report_get_feature_cause(rep, feature, i)));
		printf("%s\n", nc ? "" : "-");
	}
	return EXIT_OK;
}

static int cmd_check(struct cli *cli, const char *arg)
{
	struct dp_policy *policy = NULL;
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	unsigned errors;
	int r;

	(void)arg;
	r = build_vm(cli, &vm);
	if (r != EXIT_OK)
		return r;
	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		goto out;
	/* A VM without devices needs nothing of the host. */
	if (dp_vm_get_device_count(vm)) {
		r = scan(cli);
		if (r != EXIT_OK)
			goto out;
	}
	errors = cli->lib_errors;
	r = dp_policy_check(policy, vm, &rep);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot check the VM: %s", dp_vm_get_name(vm),
				strerror(-r));
		r = EXIT_USAGE;
		goto out;
	}
	if (cli->opts & OPT_JSON) {
		char *json = NULL;

		r = dp_report_to_json(rep, &json);
		if (r < 0) {
			err_msg("%s: cannot format the report: %s",
				dp_vm_get_name(vm), strerror(-r));
			r = EXIT_USAGE;
			goto out;
		}
		puts(json);
		free(json);
		r = EXIT_OK;
	} else {
		r = print_report(rep, vm);
	}
	if (r == EXIT_OK && !dp_report_is_allowed(rep))
		r = EXIT_DENIED;
out:
	dp_report_unref(rep);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	return r;
}

/* What each feature is and why a plain passthrough device takes it away. */
static const struct {
	const char *name;
	const char *title;
	const char *why;
} feature_docs[] = {
	{ "vmotion", "vMotion (live migration)",
	  "the device's state lives in the hardware and cannot be copied to another host" },
	{ "storage_vmotion", "Storage vMotion",
	  "moving the disks of a running VM briefly suspends it, and the device's state cannot be saved" },
	{ "fault_tolerance", "Fault Tolerance",
	  "a secondary VM must replay every input, and the device's DMA and interrupts bypass the hypervisor" },
	{ "hot_add", "device hot add",
	  "the DMA mappings and the device layout are set up at power-on and stay fixed while the VM runs" },
	{ "suspend_resume", "suspend and resume",
	  "the device's state lives in the hardware and cannot be saved to disk and restored" },
	{ "record_replay", "record and replay",
	  "the device writes guest memory by DMA and raises interrupts that the hypervisor cannot record" },
	{ "snapshot_memory", "snapshots with memory",
	  "a snapshot cannot capture the device's state or DMA in flight" },
	{ "memory_overcommit", "memory overcommit",
	  "all guest memory is pinned for DMA: none of it can be swapped, ballooned or shared" },
};

#define LOST_WITH "every plain passthrough device"

static void feature_doc(const char *name, const char **title, const char **why)
{
	*title = "-";
	*why = "-"; /* a newer library's feature */
	for (size_t i = 0; i < sizeof(feature_docs) / sizeof(feature_docs[0]); i++)
		if (strcmp(feature_docs[i].name, name) == 0) {
			*title = feature_docs[i].title;
			*why = feature_docs[i].why;
		}
}

static int cmd_features(struct cli *cli, const char *arg)
{
	struct json_object *arr = NULL;

	(void)arg;
	if (cli->opts & OPT_JSON) {
		arr = json_object_new_array();
		if (!arr)
			return oom();
	} else {
		printf("Each of these features is lost to a VM with %s.\n\n",
		       LOST_WITH);
		printf("%-18s  %-24s  %s\n", "FEATURE", "WHAT", "WHY IT IS LOST");
	}
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = dp_feature_name(1u << bit), *title, *why;
		struct json_object *o;
		int e = 0;

		if (!name)
			continue;
		feature_doc(name, &title, &why);
		if (!arr) {
			printf("%-18s  %-24s  %s\n", name, title, why);
			continue;
		}
		o = json_object_new_object();
		if (o) {
			e |= jadd_str(o, "feature", name);
			e |= jadd_uint(o, "bit", 1u << bit);
			e |= jadd_str(o, "title", title);
			e |= jadd_str(o, "lost_with", LOST_WITH);
			e |= jadd_str(o, "why", why);
		}
		if (e || jarray_add(arr, o)) {
			if (e)
				json_object_put(o);
			json_object_put(arr);
			return oom();
		}
	}
	return arr ? json_print(arr) : EXIT_OK;
}

/* The compatibility list as the policy loaded it (directpath-compat(5)). */
struct compat_row {
	char *file;                 /* the file's name in the directory, or "-" */
	unsigned line;
	const char *level;
	uint32_t vendor, device, subvendor, subdevice; /* DP_ID_ANY: any */
	const char *name;           /* NULL: none; the policy's */
};

struct compat_list {
	struct compat_row *rows;
	size_t n;
	char dir[PATH_MAX];
};

static void compat_list_free(struct compat_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rows[i].file);
	free(l->rows);
	l->rows = NULL;
	l->n = 0;
}

static int compat_read(struct cli *cli, const struct dp_policy *policy,
		       struct compat_list *l)
{
	size_t n = dp_policy_get_compat_count(policy);

	if (snprintf(l->dir, sizeof(l->dir), "%s/compat.d",
		     dp_ctx_get_data_dir(cli->ctx)) >= (int)sizeof(l->dir)) {
		err_msg("the data directory's name is too long");
		return EXIT_USAGE;
	}
	if (n == 0)
		return EXIT_OK;
	l->rows = calloc(n, sizeof(*l->rows));
	if (!l->rows)
		return oom();
	for (size_t i = 0; i < n; i++) {
		struct dp_compat_info info = { .sz = sizeof(info) };
		struct compat_row *c = &l->rows[i];
		const char *base;

		if (dp_policy_get_compat_entry(policy, i, &info) < 0)
			break;
		base = info.source ? strrchr(info.source, '/') : NULL;
		c->file = strdup(base ? base + 1 : info.source ? info.source : "-");
		if (!c->file) {
			compat_list_free(l);
			return oom();
		}
		l->n++;
		c->line = info.line;
		c->level = dp_support_level_name(info.level);
		c->vendor = info.vendor_id;
		c->device = info.device_id;
		c->subvendor = info.subsystem_vendor_id;
		c->subdevice = info.subsystem_id;
		c->name = info.name;
	}
	return EXIT_OK;
}

static const char *fmt_ids(char *buf, size_t len, uint32_t a, uint32_t b)
{
	char x[8], y[8];

	snprintf(x, sizeof(x), a == DP_ID_ANY ? "*" : "%04" PRIx32, a);
	snprintf(y, sizeof(y), b == DP_ID_ANY ? "*" : "%04" PRIx32, b);
	snprintf(buf, len, "%s:%s", x, y);
	return buf;
}

/* An ID as a JSON string, or null for "any". */
static int jadd_id(struct json_object *o, const char *key, uint32_t v)
{
	return v == DP_ID_ANY ? jadd(o, key, NULL, true) : jadd_hex(o, key, 4, v);
}

static struct json_object *compat_json(const struct compat_list *l)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < l->n; i++) {
		const struct compat_row *c = &l->rows[i];
		struct json_object *o = json_object_new_object();
		int e = 0;

		if (o) {
			e |= jadd_str(o, "level", c->level);
			e |= jadd_id(o, "vendor_id", c->vendor);
			e |= jadd_id(o, "device_id", c->device);
			e |= jadd_id(o, "subsystem_vendor_id", c->subvendor);
			e |= jadd_id(o, "subsystem_id", c->subdevice);
			e |= jadd_str(o, "name", c->name);
			e |= jadd_str(o, "file", c->file);
			e |= jadd_int(o, "line", c->line);
		}
		if (e || jarray_add(arr, o)) {
			if (e)
				json_object_put(o);
			json_object_put(arr);
			arr = NULL;
		}
	}
	return arr;
}

static void compat_print(const struct compat_list *l)
{
	int w_level = 5, w_file = 4;
	char id[16], sub[16];

	if (!l->n) {
		printf("no compatibility list entries (%s/*.list); every device is unlisted\n",
		       l->dir);
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		int a = (int)strlen(l->rows[i].level), b = (int)strlen(l->rows[i].file);

		w_level = a > w_level ? a : w_level;
		w_file = b > w_file ? b : w_file;
	}
	printf("%-*s  %-9s  %-9s  %-*s  %s\n", w_level, "LEVEL", "ID",
	       "SUBSYSTEM", w_file, "FILE", "NAME");
	for (size_t i = 0; i < l->n; i++) {
		const struct compat_row *c = &l->rows[i];

		printf("%-*s  %-9s  %-9s  %-*s  %s\n", w_level, c->level,
		       fmt_ids(id, sizeof(id), c->vendor, c->device),
		       fmt_ids(sub, sizeof(sub), c->subvendor, c->subdevice),
		       w_file, c->file, or_dash(c->name));
	}
}

/* Rule numbers are small and dense; this leaves room for a newer library's. */
#define RULE_SCAN_MAX 256

/* A comment line of the policy output, left out if a loader would refuse it. */
static void policy_comment(const char *format, ...) DP_PRINTF(1, 2);
static void policy_comment(const char *format, ...)
{
	char line[512];
	va_list args;
	int n;

	va_start(args, format);
	n = vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	if (n >= 0 && (size_t)n < sizeof(line) && (size_t)n <= dp_policy_line_max())
		printf("%s\n", line);
	else
		printf("# (a line too long for a policy file was left out)\n");
}

static int policy_json(const struct dp_policy *policy, const char *source,
		       const struct compat_list *compat)
{
	struct json_object *o = json_object_new_object();
	struct json_object *rules = json_object_new_object();
	int e = 0;

	if (!o || !rules) {
		json_object_put(o);
		json_object_put(rules);
		return oom();
	}
	for (int rule = 1; rule < RULE_SCAN_MAX; rule++) {
		const char *name = dp_rule_name((enum dp_rule)rule);
		int64_t v;
		const char *text;

		if (!name)
			continue;
		v = dp_policy_get_rule(policy, (enum dp_rule)rule);
		text = dp_rule_value_name((enum dp_rule)rule, v);
		e |= text ? jadd_str(rules, name, text) : jadd_int(rules, name, v);
	}
	e |= jadd(o, "rules", rules, false);
	e |= jadd_str(o, "policy_file", source);
	e |= jadd_str(o, "compat_dir", compat->dir);
	e |= jadd(o, "compat", compat_json(compat), false);
	if (e) {
		json_object_put(o);
		return oom();
	}
	return json_print(o);
}

static int cmd_policy(struct cli *cli, const char *arg)
{
	struct compat_list compat = { 0 };
	struct dp_policy *policy = NULL;
	const char *source;
	int r;

	(void)arg;
	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		return r;
	source = dp_policy_get_source(policy);
	r = compat_read(cli, policy, &compat);
	if (r != EXIT_OK)
		goto out;
	if (cli->opts & OPT_COMPAT) {
		if (cli->opts & OPT_JSON) {
			struct json_object *arr = compat_json(&compat);

			r = arr ? json_print(arr) : oom();
		} else {
			compat_print(&compat);
		}
		goto out;
	}
	if (cli->opts & OPT_JSON) {
		r = policy_json(policy, source, &compat);
		goto out;
	}
	/* A policy file (directpath-policy(5)) that sets every rule. */
	policy_comment("# The policy in force (directpath-policy(5)): the built-in defaults, which");
	if (source)
		policy_comment("# are VMware ESX 4.0's, then %s.", source);
	else
		policy_comment("# are VMware ESX 4.0's; no policy file was loaded.");
	policy_comment("# Compatibility list: %zu entr%s from %s/*.list;", compat.n,
		       compat.n == 1 ? "y" : "ies", compat.dir);
	policy_comment("# \"directpath policy --compat\" lists them.");
	printf("[policy]\n");
	for (int rule = 1; rule < RULE_SCAN_MAX; rule++) {
		const char *name = dp_rule_name((enum dp_rule)rule);
		int64_t v;
		const char *text;

		if (!name)
			continue;
		v = dp_policy_get_rule(policy, (enum dp_rule)rule);
		text = dp_rule_value_name((enum dp_rule)rule, v);
		if (text)
			printf("%s = %s\n", name, text);
		else
			printf("%s = %" PRId64 "\n", name, v);
	}
out:
	compat_list_free(&compat);
	dp_policy_unref(policy);
	return r;
}

static const struct command commands[] = {
	{ "host", "[--json]", "show the host's passthrough capabilities",
	  "Shows the IOMMU and its kind, the IOMMU group count, interrupt\n"
	  "remapping, whether vfio allows unsafe interrupts, vfio and vfio-pci,\n"
	  "/dev/kvm, and this process's RLIMIT_MEMLOCK.\n"
	  "\n"
	  "  --json                      print one JSON object\n",
	  OPT_JSON, 0, cmd_host },
	{ "list", "[--json]", "list the host's PCI functions",
	  "Lists every PCI function: address, vendor:device, class, driver,\n"
	  "IOMMU group, passthrough mark and an eligibility hint (eligible,\n"
	  "bridge, boot-vga, config-unreadable, no-iommu, no-group, shared-group),\n"
	  "then the names.\n"
	  "\n"
	  "  --json                      print a JSON array, one object per function\n",
	  OPT_JSON, 0, cmd_list },
	{ "show", "[--json] BDF", "show everything known of one PCI function",
	  "Shows every fact the library has of the function at BDF\n"
	  "(DDDD:BB:DD.F or BB:DD.F): IDs, class, flags, driver and override,\n"
	  "mark, IOMMU group members with their drivers, NUMA node, reset\n"
	  "methods, BARs, ROM, MSI, MSI-X and SR-IOV.\n"
	  "\n"
	  "  --json                      print one JSON object\n",
	  OPT_JSON, 1, cmd_show },
	{ "mark", "[--now] [--force] BDF", "mark a PCI function for passthrough",
	  "Marks the function at BDF available for passthrough: writes\n"
	  "pci-BDF holding \"vfio-pci\" in the driverctl directory, which\n"
	  "binds it to vfio-pci at boot. Prints the other members of its IOMMU\n"
	  "group, which must follow it to any VM.\n"
	  "\n"
	  "  --now                       bind it to vfio-pci now as well; if the\n"
	  "                              binding does not take, everything is\n"
	  "                              restored and the exit status is 1\n"
	  "  --force                     allow bridges and the boot VGA device\n",
	  OPT_NOW | OPT_FORCE, 1, cmd_mark },
	{ "unmark", "[--now] BDF", "remove a PCI function's passthrough mark",
	  "Removes the driverctl file that marks the function at BDF.\n"
	  "\n"
	  "  --now                       also give it back to a host driver now\n",
	  OPT_NOW, 1, cmd_unmark },
	{ "check",
	  "--vm FILE [--policy FILE] [--json]\n"
	  "   or: directpath [OPTIONS] check [--devices BDF[,BDF...]]\n"
	  "       --hw-version N --memory SIZE [--reservation SIZE] [--name NAME]\n"
	  "       [--features LIST] [--policy FILE] [--json]",
	  "check a VM against the passthrough policy",
	  "Checks a VM's passthrough devices against the policy, this host's\n"
	  "capabilities and its PCI functions, and prints the verdict, every\n"
	  "finding (severity, code, message) and the features the VM loses, with\n"
	  "the devices that cost each. The VM comes from a file (directpath-vm(5))\n"
	  "or from the options. The policy is the built-in defaults, then --policy\n"
	  "FILE, or else CONFIG_DIR/policy.conf when it exists.\n"
	  "Exit status: 0 allowed, 1 denied, 2 usage or I/O error.\n"
	  "\n"
	  "  --vm FILE                   the VM, from a VM file\n"
	  "  --devices BDF[,BDF...]      its passthrough devices (none if left out)\n"
	  "  --hw-version N              its virtual hardware version\n"
	  "  --memory SIZE               its memory: bytes, or with K, M, G or T\n"
	  "  --reservation SIZE          its memory reservation (default: all of it)\n"
	  "  --name NAME                 its name in the report (default: cli)\n"
	  "  --features LIST             features it has enabled, separated by commas\n"
	  "                              (see directpath features)\n"
	  "  --policy FILE               apply the rules of this policy file\n"
	  "  --json                      print the report as JSON (directpath-report(5))\n",
	  OPT_VM | OPT_VM_SPEC | OPT_POLICY | OPT_JSON, 0, cmd_check },
	{ "features", "[--json]", "list the VM features passthrough costs",
	  "Lists every VM feature the library knows, what it is, and why a VM\n"
	  "loses it while a plain passthrough device is assigned to it.\n"
	  "\n"
	  "  --json                      print a JSON array, one object per feature\n",
	  OPT_JSON, 0, cmd_features },
	{ "policy", "[--policy FILE] [--compat] [--json]",
	  "show the policy in force",
	  "Prints the policy in force as a policy file that sets every rule\n"
	  "(directpath-policy(5)): the built-in defaults, then --policy FILE, or\n"
	  "else CONFIG_DIR/policy.conf when it exists. Comments say where it came\n"
	  "from and how many compatibility list entries DATA_DIR/compat.d holds.\n"
	  "\n"
	  "  --policy FILE               apply the rules of this policy file\n"
	  "  --compat                    list the compatibility list entries instead:\n"
	  "                              level, IDs, file and name\n"
	  "  --json                      print JSON: the rules and the entries\n",
	  OPT_POLICY | OPT_COMPAT | OPT_JSON, 0, cmd_policy },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct {
	const char *names;
	const char *text;
} global_options[] = {
	{ "-h, --help", "show this help, or a command's after its name" },
	{ "-V, --version", "show the tool's and the library's versions" },
	{ "-v, --verbose", "also show the library's info messages; twice: debug" },
	{ "    --driverctl-dir DIR", "keep passthrough marks in DIR (/etc/driverctl.d)" },
	{ "    --config-dir DIR", "the library's configuration directory" },
	{ "    --run-dir DIR", "the library's run directory" },
	{ "    --data-dir DIR", "the library's data directory (compat.d)" },
};

#define HELP_COLUMN "  %-27s %s\n"

static void global_options_usage(FILE *out, const char *title)
{
	fprintf(out, "%s:\n", title);
	for (size_t i = 0; i < sizeof(global_options) / sizeof(global_options[0]); i++)
		fprintf(out, HELP_COLUMN, global_options[i].names,
			global_options[i].text);
}

static void usage(FILE *out)
{
	char synopsis[64];
	const char *nl;

	fprintf(out,
		"Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Administer PCI passthrough (VMDirectPath-style) on this host.\n"
		"\n");
	global_options_usage(out, "Options");
	fprintf(out, "\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		/* A synopsis too long for the column: its name, and the summary. */
		nl = strchr(commands[i].args, '\n');
		if (nl || strlen(commands[i].name) + 1 + strlen(commands[i].args) > 27)
			snprintf(synopsis, sizeof(synopsis), "%s [OPTIONS]",
				 commands[i].name);
		else
			snprintf(synopsis, sizeof(synopsis), "%s %s",
				 commands[i].name, commands[i].args);
		fprintf(out, HELP_COLUMN, synopsis, commands[i].summary);
	}
	fprintf(out, HELP_COLUMN, "help [COMMAND]", "show this help or a command's");
	fprintf(out, HELP_COLUMN, "version", "same as --version");
	fprintf(out,
		"\n"
		"Options may come before or after the command. BDF is a PCI address,\n"
		"DDDD:BB:DD.F or BB:DD.F, as lspci prints it.\n"
		"Exit status: 0 success (check: allowed), 1 the request was denied\n"
		"(check: the VM is denied), 2 usage or I/O error.\n"
		"See directpath(8).\n");
}

static void command_usage(const struct command *cmd, FILE *out)
{
	fprintf(out, "Usage: directpath [OPTIONS] %s %s\n\n%s\n", cmd->name,
		cmd->args, cmd->help);
	global_options_usage(out, "Global options");
}

static void usage_hint(void)
{
	fprintf(stderr, "Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
			"Try \"directpath --help\".\n");
}

static int print_version(void)
{
	printf("directpath %d.%d.%d (libdirectpath %s)\n", DP_VERSION_MAJOR,
	       DP_VERSION_MINOR, DP_VERSION_MICRO, dp_version());
	return EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run(struct cli *cli, const struct command *cmd, const char *arg)
{
	/* Warnings and errors, unless DIRECTPATH_LOG says otherwise; -v wins. */
	DP_OPTS(dp_ctx_opts, opts, .log_fn = cli_log, .log_userdata = cli,
		.config_dir = opt_value(cli, OPT_CONFIG_DIR),
		.run_dir = opt_value(cli, OPT_RUN_DIR),
		.data_dir = opt_value(cli, OPT_DATA_DIR),
		.driverctl_dir = opt_value(cli, OPT_DRIVERCTL_DIR),
		.log_priority = LOG_WARNING);
	int r;

	r = dp_ctx_new(&opts, &cli->ctx);
	if (r < 0) {
		if (!cli->lib_errors) /* else the library said why */
			err_msg("cannot start libdirectpath: %s", strerror(-r));
		return EXIT_USAGE;
	}
	if (cli->verbose) {
		r = dp_ctx_set_log_priority(cli->ctx, cli->verbose > 1 ? LOG_DEBUG : LOG_INFO);
		if (r < 0) {
			err_msg("cannot set the log priority: %s", strerror(-r));
			cli->ctx = dp_ctx_unref(cli->ctx);
			return EXIT_USAGE;
		}
	}
	r = cmd->run(cli, arg);
	cli->ctx = dp_ctx_unref(cli->ctx);
	return r;
}

/* An option from getopt_long; a command's is given at most once. */
static int command_option(struct cli *cli, int c, const char *value)
{
	size_t i = (size_t)(c - LOPT_BASE - 1);

	if (c <= LOPT_BASE || c >= LOPT_END) {
		usage_hint();
		return EXIT_USAGE;
	}
	if (cmd_options[i].has_arg && !cmd_options[i].global && cli->values[i]) {
		err_msg("--%s given twice", cmd_options[i].name);
		usage_hint();
		return EXIT_USAGE;
	}
	cli->opts |= cmd_options[i].opt;
	if (cmd_options[i].has_arg)
		cli->values[i] = value;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
#define X(id, name, arg, global) \
		{ name, arg ? required_argument : no_argument, NULL, LOPT_##id },
		CLI_OPTIONS(X)
#undef X
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	const struct command *cmd = NULL;
	bool help = false, version = false;
	const char *name;
	int c, nargs, r;

	/* Options may come before or after the command, as in git or ip. */
	while ((c = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case 'v':
			cli.verbose++;
			break;
		default:
			r = command_option(&cli, c, optarg);
			if (r != EXIT_OK)
				return r;
			break;
		}
	}
	name = optind < argc ? argv[optind] : NULL;
	nargs = optind < argc ? argc - optind - 1 : 0;

	if (version)
		return print_version();
	if (name && strcmp(name, "help") == 0) {
		if (nargs == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		cmd = find_command(argv[optind + 1]);
		if (!cmd) {
			err_msg("help: unknown command \"%s\"", argv[optind + 1]);
			usage_hint();
			return EXIT_USAGE;
		}
		if (nargs > 1) {
			err_msg("help: unexpected argument \"%s\"", argv[optind + 2]);
			return EXIT_USAGE;
		}
		command_usage(cmd, stdout);
		return EXIT_OK;
	}
	if (name && strcmp(name, "version") == 0) {
		if (nargs) {
			err_msg("version takes no arguments");
			return EXIT_USAGE;
		}
		return print_version();
	}
	if (name)
		cmd = find_command(name);
	if (help) {
		if (cmd)
			command_usage(cmd, stdout);
		else
			usage(stdout);
		return EXIT_OK;
	}
	if (!name) {
		err_msg("no command given");
		usage_hint();
		return EXIT_USAGE;
	}
	if (!cmd) {
		err_msg("unknown command \"%s\"", name);
		usage_hint();
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < N_CMD_OPTIONS; i++) {
		if ((cli.opts & cmd_options[i].opt) && !cmd_options[i].global &&
		    !(cmd->opts & cmd_options[i].opt)) {
			err_msg("%s: unknown option --%s", cmd->name, cmd_options[i].name);
			fprintf(stderr, "Usage: directpath [OPTIONS] %s %s\n",
				cmd->name, cmd->args);
			return EXIT_USAGE;
		}
	}
	if (nargs != cmd->nargs) {
		if (nargs < cmd->nargs)
			err_msg("%s: a PCI address (BDF) is needed", cmd->name);
		else
			err_msg("%s: unexpected argument \"%s\"", cmd->name,
				argv[optind + 1 + cmd->nargs]);
		fprintf(stderr, "Usage: directpath [OPTIONS] %s %s\n",
			cmd->name, cmd->args);
		return EXIT_USAGE;
	}

	r = run(&cli, cmd, cmd->nargs ? argv[optind + 1] : NULL);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		err_msg("cannot write the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return r;
}
