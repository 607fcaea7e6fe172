/* SPDX-License-Identifier: MIT */
/* What every part of the library shares: the context, logging, option checks. */
#ifndef DP_INTERNAL_H
#define DP_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include <directpath/directpath.h>

#include "opts.h"

struct dp_ctx {
	int refcount;
	int log_priority;
	dp_log_fn log_fn;
	void *log_userdata;
	void *userdata;
	char *config_dir;
	char *run_dir;
	char *data_dir;
	char *driverctl_dir;
	struct dp_device **devices; /* the last scan and dp_attach's refreshes, BDF order */
	size_t n_devices;
	bool scanned;               /* a scan made the list: only then is it listed */
	struct dp_host_caps caps;   /* read by the last scan; its policy flags by dp_attach too */
	struct dp_pciids *pciids;   /* names, read at the first one asked for (pciids.c) */
	unsigned pciids_loads;      /* 1 once pci.ids was looked for, found or not */
	/* Frees the above: set by the inventory when it first stores any of it, called at the end. */
	void (*inventory_free)(struct dp_ctx *ctx);
};

void dp_log_impl(struct dp_ctx *ctx, int priority, const char *file, int line,
		 const char *fn, const char *format, ...) DP_PRINTF(6, 7);

/* Tests the priority before anything is formatted. */
#define dp_log_cond(ctx, prio, ...)                                           \
	do {                                                                  \
		struct dp_ctx *dp_log_ctx_ = (ctx);                           \
		if (dp_log_ctx_ && dp_log_ctx_->log_fn &&                     \
		    dp_log_ctx_->log_priority >= (prio))                      \
			dp_log_impl(dp_log_ctx_, (prio), __FILE__, __LINE__,  \
				    __func__, __VA_ARGS__);                   \
	} while (0)

#define dp_err(ctx, ...) dp_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define dp_warn(ctx, ...) dp_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define dp_notice(ctx, ...) dp_log_cond(ctx, LOG_NOTICE, __VA_ARGS__)
#define dp_info(ctx, ...) dp_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dp_dbg(ctx, ...) dp_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* Misuse of an entry point: logs "BUG: ..." and makes the caller return -EINVAL. */
#define dp_bug_on(ctx, cond) \
	((cond) ? (dp_log_bug((ctx), __FILE__, __LINE__, __func__, #cond), true) : false)
void dp_log_bug(struct dp_ctx *ctx, const char *file, int line, const char *fn,
		const char *cond);

/* For a run of calls that goes on after a failure: the first error wins (0 or -errno). */
static inline int dp_first_err(int r, int v)
{
	return r < 0 ? r : v < 0 ? v : r;
}

/* Kernel device nodes, named once for every file that opens or looks at them. */
#define DP_DEV_KVM "/dev/kvm"
#define DP_DEV_VFIO_CONTAINER "/dev/vfio/vfio"
#define DP_DEV_VFIO_GROUP_FMT "/dev/vfio/%d"

/* Reads the host's capabilities (caps.c). */
int dp_caps_read(struct dp_ctx *ctx, struct dp_host_caps *caps);
/* Does this thread hold CAP_IPC_LOCK (then the kernel does not count pinned pages)? */
bool dp_caps_ipc_lock(void);

/* The caps flags dp_policy_check reads. */
#define DP_CAPS_POLICY_FLAGS (DP_HOST_IOMMU | DP_HOST_IOMMU_GROUPS | DP_HOST_IRQ_REMAP | \
			      DP_HOST_UNSAFE_INTERRUPTS | DP_HOST_VFIO_PCI | DP_HOST_VFIO_PCI_MODULE)
/* Reads again what dp_policy_check reads of the host into caps; the rest stays (caps.c). */
void dp_caps_refresh_policy(struct dp_ctx *ctx, struct dp_host_caps *caps);

/* Parses a DIRECTPATH_LOG-style priority ("err", "info", "7", ...); -EINVAL if unknown. */
int dp_log_priority_parse(const char *s);

/* The stderr logger that DIRECTPATH_LOG installs when the caller set none. */
void dp_log_stderr(struct dp_ctx *ctx, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args,
		   void *userdata) DP_PRINTF(6, 0);

#endif
