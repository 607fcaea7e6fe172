/* SPDX-License-Identifier: MIT */
/* directpath: the host administrator's tool. Uses only the public API. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

/* Exit codes, documented in directpath(8). */
enum {
	EXIT_OK = 0,
	EXIT_DENIED = 1,
	EXIT_USAGE = 2,
};

/* Options that only some commands take. */
enum {
	OPT_JSON = 1u << 0,
	OPT_NOW = 1u << 1,
	OPT_FORCE = 1u << 2,
};

/* Long-only options. */
enum {
	LOPT_JSON = 256,
	LOPT_NOW,
	LOPT_FORCE,
	LOPT_DRIVERCTL_DIR,
	LOPT_CONFIG_DIR,
	LOPT_RUN_DIR,
};

struct cli {
	struct dp_ctx *ctx;
	unsigned opts;              /* OPT_* given on the command line */
	int verbose;
	unsigned lib_errors;        /* LOG_ERR messages the library gave */
	const char *driverctl_dir;
	const char *config_dir;
	const char *run_dir;
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

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
};

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
		fprintf(stderr, "%s: ", prio_names[priority]);
	if (priority == LOG_DEBUG)
		fprintf(stderr, "%s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static void err_msg(const char *format, ...) DP_PRINTF(1, 2);
static void err_msg(const char *format, ...)
{
	va_list args;

	fputs("directpath: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
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

static const struct {
	uint64_t flag;
	const char *name;
} device_flags[] = {
	{ DP_DEVICE_BRIDGE, "bridge" },
	{ DP_DEVICE_HOST_BRIDGE, "host-bridge" },
	{ DP_DEVICE_BOOT_VGA, "boot-vga" },
	{ DP_DEVICE_MULTIFUNCTION, "multifunction" },
	{ DP_DEVICE_PCIE, "pcie" },
	{ DP_DEVICE_FLR, "flr" },
	{ DP_DEVICE_PM, "pm" },
	{ DP_DEVICE_PM_NO_SOFT_RESET, "pm-no-soft-reset" },
	{ DP_DEVICE_MSI, "msi" },
	{ DP_DEVICE_MSIX, "msix" },
	{ DP_DEVICE_ACS, "acs" },
	{ DP_DEVICE_SRIOV_PF, "sriov-pf" },
	{ DP_DEVICE_SRIOV_VF, "sriov-vf" },
	{ DP_DEVICE_ROM, "rom" },
	{ DP_DEVICE_MARKED, "marked" },
	{ DP_DEVICE_CONFIG_SHORT, "config-short" },
};

#define N_DEVICE_FLAGS (sizeof(device_flags) / sizeof(device_flags[0]))

/* Bits this tool has no name for: a newer library's. */
static uint64_t unknown_flags(uint64_t flags)
{
	for (size_t i = 0; i < N_DEVICE_FLAGS; i++)
		flags &= ~device_flags[i].flag;
	return flags;
}

static const char *iommu_kind_name(uint32_t kind)
{
	switch (kind) {
	case DP_IOMMU_NONE:
		return "none";
	case DP_IOMMU_INTEL:
		return "intel";
	case DP_IOMMU_AMD:
		return "amd";
	default:
		return "other";
	}
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
	e |= jadd_str(o, "iommu", iommu_kind_name(c->iommu_kind));
	e |= jadd_bool(o, "iommu_groups", c->flags & DP_HOST_IOMMU_GROUPS);
	e |= jadd_int(o, "iommu_group_count", c->iommu_group_count);
	e |= jadd_bool(o, "interrupt_remapping", c->flags & DP_HOST_IRQ_REMAP);
	e |= jadd_bool(o, "unsafe_interrupts",
		       c->flags & DP_HOST_UNSAFE_INTERRUPTS);
	e |= jadd_bool(o, "vfio", c->flags & DP_HOST_VFIO);
	e |= jadd_bool(o, "vfio_pci", c->flags & DP_HOST_VFIO_PCI);
	e |= jadd_bool(o, "vfio_pci_module", c->flags & DP_HOST_VFIO_PCI_MODULE);
	e |= jadd_bool(o, "kvm", c->flags & DP_HOST_KVM);
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
	       c.flags & DP_HOST_IOMMU ? iommu_kind_name(c.iommu_kind) : "none");
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
	for (size_t i = 0; a && i < N_DEVICE_FLAGS; i++)
		if (info->flags & device_flags[i].flag)
			e |= jarray_add(a, json_object_new_string(device_flags[i].name));
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
	for (size_t i = 0; i < N_DEVICE_FLAGS; i++) {
		if (info->flags & device_flags[i].flag) {
			printf("%s%s", any ? " " : "", device_flags[i].name);
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
				 DP_DEVICE_BOOT_VGA;

	switch (r) {
	case -EPERM:
		if (!(info->flags & guarded) || !enable) {
			err_msg("%s: cannot %s: %s", bdf, what, strerror(-r));
		} else if (explained) {
			err_msg("%s: refused; --force overrides", bdf);
		} else {
			err_msg("%s: refused: it is %s; giving it to a VM takes it from the host (--force overrides)",
				bdf,
				info->flags & DP_DEVICE_HOST_BRIDGE ? "a host bridge" :
				info->flags & DP_DEVICE_BRIDGE ? "a PCI bridge" :
				"the boot VGA device");
		}
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
	  "bridge, boot-vga, no-iommu, no-group, shared-group), then the names.\n"
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

	fprintf(out,
		"Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Administer PCI passthrough (VMDirectPath-style) on this host.\n"
		"\n");
	global_options_usage(out, "Options");
	fprintf(out, "\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		snprintf(synopsis, sizeof(synopsis), "%s %s", commands[i].name,
			 commands[i].args);
		fprintf(out, HELP_COLUMN, synopsis, commands[i].summary);
	}
	fprintf(out, HELP_COLUMN, "help [COMMAND]", "show this help or a command's");
	fprintf(out, HELP_COLUMN, "version", "same as --version");
	fprintf(out,
		"\n"
		"Options may come before or after the command. BDF is a PCI address,\n"
		"DDDD:BB:DD.F or BB:DD.F, as lspci prints it.\n"
		"Exit status: 0 success, 1 the request was denied, 2 usage or I/O error.\n"
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

static const char *opt_name(unsigned opt)
{
	return opt == OPT_JSON ? "--json" : opt == OPT_NOW ? "--now" : "--force";
}

static int run(struct cli *cli, const struct command *cmd, const char *arg)
{
	DP_OPTS(dp_ctx_opts, opts, .log_fn = cli_log, .log_userdata = cli,
		.config_dir = cli->config_dir, .run_dir = cli->run_dir,
		.driverctl_dir = cli->driverctl_dir);
	int r;

	r = dp_ctx_new(&opts, &cli->ctx);
	if (r < 0) {
		if (!cli->lib_errors) /* else the library said why */
			err_msg("cannot start libdirectpath: %s", strerror(-r));
		return EXIT_USAGE;
	}
	/* -v wins; otherwise DIRECTPATH_LOG, or warnings and errors. */
	if (cli->verbose || !secure_getenv("DIRECTPATH_LOG")) {
		int prio = cli->verbose > 1 ? LOG_DEBUG :
			   cli->verbose ? LOG_INFO : LOG_WARNING;

		r = dp_ctx_set_log_priority(cli->ctx, prio);
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, LOPT_JSON },
		{ "now", no_argument, NULL, LOPT_NOW },
		{ "force", no_argument, NULL, LOPT_FORCE },
		{ "driverctl-dir", required_argument, NULL, LOPT_DRIVERCTL_DIR },
		{ "config-dir", required_argument, NULL, LOPT_CONFIG_DIR },
		{ "run-dir", required_argument, NULL, LOPT_RUN_DIR },
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
		case LOPT_JSON:
			cli.opts |= OPT_JSON;
			break;
		case LOPT_NOW:
			cli.opts |= OPT_NOW;
			break;
		case LOPT_FORCE:
			cli.opts |= OPT_FORCE;
			break;
		case LOPT_DRIVERCTL_DIR:
			cli.driverctl_dir = optarg;
			break;
		case LOPT_CONFIG_DIR:
			cli.config_dir = optarg;
			break;
		case LOPT_RUN_DIR:
			cli.run_dir = optarg;
			break;
		default:
			usage_hint();
			return EXIT_USAGE;
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
	for (unsigned o = OPT_JSON; o <= OPT_FORCE; o <<= 1) {
		if ((cli.opts & o) && !(cmd->opts & o)) {
			err_msg("%s: unknown option %s", cmd->name, opt_name(o));
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
