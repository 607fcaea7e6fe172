/* SPDX-License-Identifier: MIT */
/* directpath, the host administrator's tool: what its files share. */
#ifndef DIRECTPATH_CLI_H
#define DIRECTPATH_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <directpath/directpath.h>

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
	X(DRIVER, "driver", true, false)                 \
	X(SOCKET, "socket", true, false)                 \
	X(BACKEND, "backend", true, false)               \
	X(ADD, "add", true, false)                       \
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

#define N_CMD_OPTIONS ((size_t)(LOPT_END - LOPT_BASE - 1))

/* The options by getopt code - LOPT_BASE - 1 (main.c). */
struct cmd_option {
	unsigned opt;
	const char *name;
	bool has_arg;
	bool global;
};
extern const struct cmd_option cmd_options[N_CMD_OPTIONS];

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

/* main.c: options, usage. */
const char *opt_value(const struct cli *cli, unsigned opt);
int usage_error(const char *cmd, const char *format, ...) DP_PRINTF(2, 3);
void usage_hint(void);
bool lib_said(const struct cli *cli, unsigned errors_before);

/* output.c: messages, sizes, JSON. */
void put_quoted(const char *format, va_list args) DP_PRINTF(1, 0);
void err_msg(const char *format, ...) DP_PRINTF(1, 2);
int oom(void);
const char *fmt_size(char *buf, size_t len, uint64_t v);
const char *or_dash(const char *s);
int jadd(struct json_object *obj, const char *key,
	 struct json_object *val, bool may_be_null);
int jadd_str(struct json_object *obj, const char *key, const char *s);
int jadd_int(struct json_object *obj, const char *key, int64_t v);
int jadd_uint(struct json_object *obj, const char *key, uint64_t v);
int jadd_int_or_null(struct json_object *obj, const char *key,
		     int64_t v);
int jadd_bool(struct json_object *obj, const char *key, bool v);
int jadd_hex(struct json_object *obj, const char *key, int width,
	     uint32_t v);
int jarray_add(struct json_object *arr, struct json_object *val);
int json_print(struct json_object *obj);

/* host.c */
int get_caps(struct cli *cli, struct dp_host_caps *caps);
const char *iommu_kind(uint32_t kind);
int cmd_host(struct cli *cli, const char *arg);

/* devices.c: what list and show share. */
int get_info(const struct dp_device *dev, struct dp_device_info *info);
int find_device(struct cli *cli, const char *bdf,
		struct dp_device **out);
int scan(struct cli *cli);
const char *device_label(const struct dp_device *dev,
			 const struct dp_device_info *info, char *buf,
			 size_t len);
const char *reset_methods(const struct dp_device *dev);
const char *class_name(uint32_t class_code);
uint64_t unknown_flags(uint64_t flags);
const char *device_status(const struct dp_device_info *info,
			  size_t group_size,
			  const struct dp_host_caps *caps);
const char *status_meaning(const char *status);
int device_json_common(struct json_object *o,
		       const struct dp_device *dev,
		       const struct dp_device_info *info,
		       const char *status);
int jadd_quarantine(struct json_object *o, const struct dp_device *dev);
int show_quarantine(const struct dp_device *dev);
/* show-rom.c: the option ROM's status, printed as show's ROM line, or added to o as "rom". */
int show_rom_text(const struct dp_device *dev);
int show_rom_json(const struct dp_device *dev, struct json_object *o);

/* The commands: list.c, show.c, mark.c, check.c, features.c, policy.c. */
int cmd_list(struct cli *cli, const char *arg);
int cmd_show(struct cli *cli, const char *bdf);
/* show-policy.c: the policy's findings on the function alone, printed, or added to json as "policy". */
int show_policy(struct cli *cli, const char *bdf, struct json_object *json);
/* show-hostuse.c: what the host loses with the function, printed, or added to json as "host_use". */
int show_host_use(struct cli *cli, const struct dp_device *dev, struct json_object *json);
/* show-reset.c: the reset the policy has the kernel use, and a bus reset's other functions. */
int show_reset_text(struct cli *cli, const struct dp_device *dev);
/* ... added to o as "reset". */
int show_reset_json(struct cli *cli, const struct dp_device *dev, struct json_object *o);
/* show-vfio.c: the driver as VFIO and vfio_drivers see it: show's lines, or "vfio_driver" in o. */
int show_vfio_text(struct cli *cli, const struct dp_device *dev);
int show_vfio_json(struct cli *cli, const struct dp_device *dev, struct json_object *o);
/* ... and check's "Drivers" lines, one per function of the report's n entries. */
void print_vfio_drivers(struct cli *cli, const struct dp_policy *policy,
			const struct dp_report *rep, size_t n);
int cmd_mark(struct cli *cli, const char *arg);
int cmd_unmark(struct cli *cli, const char *arg);
/* release.c */
int cmd_release(struct cli *cli, const char *arg);
/* handoff.c */
int cmd_handoff(struct cli *cli, const char *arg);
int cmd_check(struct cli *cli, const char *arg);
/* check-plan.c: the "Plan:" part of check's text. */
int print_plan(const struct dp_report *rep);
int cmd_features(struct cli *cli, const char *arg);
int cmd_policy(struct cli *cli, const char *arg);
int load_policy(struct cli *cli, struct dp_policy **out);

#endif
