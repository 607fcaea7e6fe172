/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "fault.h"

static bool armed;
static long calls, fail_at;
static int fail_errno;
static const char *failed_kind;
static unsigned long failed_request;

void dp_fault_arm(long nth, int err)
{
	calls = 0;
	failed_kind = NULL;
	fail_at = nth;
	fail_errno = err;
	armed = true;
}

long dp_fault_disarm(void)
{
	armed = false;
	return calls;
}

unsigned long dp_fault_failed_request(void)
{
	return failed_request;
}

const char *dp_fault_failed_kind(void)
{
	return failed_kind;
}

static bool hit(const char *kind)
{
	if (!armed)
		return false;
	if (++calls == fail_at) {
		failed_kind = kind;
		errno = fail_errno;
		return true;
	}
	return false;
}

/* dlsym hands out functions as object pointers; copy the bits (ISO C has no cast). */
#define REAL(var, name)                                         \
	do {                                                    \
		void *p_ = dlsym(RTLD_NEXT, name);              \
		memcpy(&(var), &p_, sizeof(var));               \
	} while (0)

int ioctl(int fd, unsigned long req, ...)
{
	static int (*next)(int, unsigned long, void *);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!next)
		REAL(next, "ioctl");
	if (hit("ioctl")) {
		failed_request = req;
		return -1;
	}
	return next(fd, req, arg);
}

int open(const char *path, int flags, ...)
{
	static int (*next)(const char *, int, mode_t);
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!next)
		REAL(next, "open");
	if (hit("open"))
		return -1;
	return next(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*next)(int, const char *, int, mode_t);
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!next)
		REAL(next, "openat");
	if (hit("openat"))
		return -1;
	return next(dirfd, path, flags, mode);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*next)(void *, size_t, int, int, int, off_t);

	if (!next)
		REAL(next, "mmap");
	if (hit("mmap"))
		return MAP_FAILED;
	return next(addr, len, prot, flags, fd, off);
}
