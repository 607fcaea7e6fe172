/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: assertions that abort, inputs as strings and files, fd counts. */
#ifndef DP_FUZZ_H
#define DP_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory that is not there: no compat.d, config or run files from the host. */
#define FZ_NO_DIR "/nonexistent/dp-fuzz"

/* A violated invariant: a crash libFuzzer (or the replay program) reports with the input. */
#define FZ_ASSERT(cond, ...)                                                          \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,   \
				__LINE__, #cond);                                     \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* The input as a C string: what a caller passing it would hand the library (up to a NUL). */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as a regular file, /proc/self/fd/N in path; the fd to close. */
static inline int fz_memfd(const uint8_t *data, size_t size, char *path, size_t psize)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(path, psize, "/proc/self/fd/%d", fd);
	return fd;
}

static inline int fz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

static void fz_log_quiet(struct dp_ctx *ctx, int priority, const char *file, int line,
			 const char *fn, const char *format, va_list args, void *userdata)
	DP_PRINTF(6, 0);
static void fz_log_quiet(struct dp_ctx *ctx, int priority, const char *file, int line,
			 const char *fn, const char *format, va_list args, void *userdata)
{
	char msg[1024];

	(void)ctx, (void)priority, (void)file, (void)line, (void)userdata;
	vsnprintf(msg, sizeof(msg), format, args);
	/* Misuse is the target's bug, never the input's. */
	FZ_ASSERT(strncmp(msg, "BUG", 3) != 0, "%s: %s", fn, msg);
}

/* A context that logs nothing (but fails on BUG:), with its directories under dir. */
static inline struct dp_ctx *fz_ctx(const char *dir)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = fz_log_quiet, .config_dir = dir, .run_dir = dir,
		.data_dir = dir, .driverctl_dir = dir);
	struct dp_ctx *ctx = NULL;

	if (!dir)
		o.config_dir = o.run_dir = o.data_dir = o.driverctl_dir = NULL;
	if (dp_ctx_new(&o, &ctx) < 0)
		abort();
	dp_ctx_set_log_priority(ctx, LOG_DEBUG);
	return ctx;
}

#endif
