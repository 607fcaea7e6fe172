/* SPDX-License-Identifier: MIT */
/*
 * libdirectpath — PCI passthrough for virtual machine monitors.
 *
 * This header is the table of contents of the API. Every function it
 * declares with DP_EXPORT is part of the stable ABI, versioned in
 * lib/libdirectpath.sym; see directpath(7) for the overview.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; out-pointers are written only on success; objects are
 * opaque and reference-counted (_ref/_unref, _unref(NULL) is a no-op and
 * _unref always returns NULL). Option and info structs begin with
 * "size_t sz", which the caller sets to sizeof the struct it was compiled
 * with; fields are only ever appended.
 */
#ifndef DIRECTPATH_DIRECTPATH_H
#define DIRECTPATH_DIRECTPATH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define DP_EXPORT __attribute__((visibility("default")))
#define DP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define DP_EXPORT
#define DP_PRINTF(fmt, args)
#endif

/*
 * Version. The macros give the version of the header a program was
 * compiled with; dp_version() gives the version of the library it runs with.
 */
#define DP_VERSION_MAJOR 0
#define DP_VERSION_MINOR 1
#define DP_VERSION_MICRO 0

/* True when the header is version major.minor.micro or newer. */
#define DP_VERSION_CHECK(major, minor, micro)                         \
	(DP_VERSION_MAJOR > (major) ||                                \
	 (DP_VERSION_MAJOR == (major) && DP_VERSION_MINOR > (minor)) || \
	 (DP_VERSION_MAJOR == (major) && DP_VERSION_MINOR == (minor) && \
	  DP_VERSION_MICRO >= (micro)))

/* The running library's version as "MAJOR.MINOR.MICRO"; never NULL. */
DP_EXPORT const char *dp_version(void);

/*
 * Option structs. Declare one with DP_OPTS (fields by name) or DP_OPTS_NONE
 * (all defaults); both set sz and zero every field not named.
 */
#define DP_OPTS(type, name, ...) \
	struct type name = { .sz = sizeof(struct type), __VA_ARGS__ }
#define DP_OPTS_NONE(type, name) \
	struct type name = { .sz = sizeof(struct type) }

/*
 * The library context: the log callback, the configuration, data and run
 * directories and, in later versions, the host inventory. A program may hold
 * several; they share nothing. A context and the objects made from it must be
 * used by one thread at a time.
 */
struct dp_ctx;

/*
 * Log callback: priority is a syslog(3) priority (LOG_ERR ... LOG_DEBUG);
 * file, line and fn name the place in the library; format and args are
 * printf-style and valid only during the call.
 */
typedef void (*dp_log_fn)(struct dp_ctx *ctx, int priority, const char *file,
			  int line, const char *fn, const char *format,
			  va_list args, void *userdata) DP_PRINTF(6, 0);

/* Options for dp_ctx_new(); NULL fields mean the built-in defaults. */
struct dp_ctx_opts {
	size_t sz;               /* sizeof(struct dp_ctx_opts) */
	dp_log_fn log_fn;        /* receives messages, from dp_ctx_new on */
	void *log_userdata;      /* passed to log_fn */
	const char *config_dir;  /* absolute; default /etc/directpath */
	const char *run_dir;     /* absolute; default /run/directpath */
	const char *data_dir;    /* absolute; default /usr/share/directpath */
};

/* Create a context; opts may be NULL. */
DP_EXPORT int dp_ctx_new(const struct dp_ctx_opts *opts, struct dp_ctx **out);
/* Take a reference; returns ctx. */
DP_EXPORT struct dp_ctx *dp_ctx_ref(struct dp_ctx *ctx);
/* Drop a reference, freeing the context with the last; returns NULL. */
DP_EXPORT struct dp_ctx *dp_ctx_unref(struct dp_ctx *ctx);

/* Set (or with NULL, remove) the log callback. */
DP_EXPORT int dp_ctx_set_log_fn(struct dp_ctx *ctx, dp_log_fn fn,
				void *userdata);
/* Log messages of this syslog priority and more urgent ones. */
DP_EXPORT int dp_ctx_set_log_priority(struct dp_ctx *ctx, int priority);
/* The current log priority threshold. */
DP_EXPORT int dp_ctx_get_log_priority(const struct dp_ctx *ctx);

/* Attach caller data to the context. */
DP_EXPORT int dp_ctx_set_userdata(struct dp_ctx *ctx, void *userdata);
/* The caller data last set, or NULL. */
DP_EXPORT void *dp_ctx_get_userdata(const struct dp_ctx *ctx);

/* The directories the context uses; never NULL for a valid ctx. */
DP_EXPORT const char *dp_ctx_get_config_dir(const struct dp_ctx *ctx);
DP_EXPORT const char *dp_ctx_get_run_dir(const struct dp_ctx *ctx);
DP_EXPORT const char *dp_ctx_get_data_dir(const struct dp_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* DIRECTPATH_DIRECTPATH_H */
