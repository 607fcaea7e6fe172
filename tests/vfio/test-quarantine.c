/* SPDX-License-Identifier: MIT */
/*
 * Quarantine on the real kernel (tests/vm topology one: edu behind a root
 * port, which VFIO resets with a bus reset; --bind none): a detach under
 * release = quarantine holds the device with its reason, a check warns and
 * still allows it, a release refuses it while a VM has it, keeps a marked
 * device on vfio-pci, and hands an unmarked one back (edu has no host
 * driver in the guest: it ends unbound, its driver_override cleared).
 * Then a device that really did not come back: its BAR0 moved and its
 * decoding turned off through the sysfs config file after the kernel's
 * reset and restore at detach, before the library reads it back (from the
 * log callback, when the library says it is about to verify); the same at
 * the release's own verification, which keeps it quarantined; a release
 * without that change gives it back.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static char bdf[DP_GUEST_BDF_MAX];
static const char *tool; /* the build tree's directpath, argv[1] */
static const char *schema_py, *schema_json; /* tests/tools/schema.py and the schema, argv[2..3] */

/* Runs directpath with the guest context's directories; its exit status, its stdout into out. */
static int run_tool(char *out, size_t size, const char *format, ...) DP_PRINTF(3, 4);
static int run_tool(char *out, size_t size, const char *format, ...)
{
	char args[256], cmd[PATH_MAX + 512];
	size_t len = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, format);
	vsnprintf(args, sizeof(args), format, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s --run-dir /tmp/dp-run --driverctl-dir /tmp/dp-driverctl --config-dir /tmp/dp-etc %s",
		 tool, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (len + 1 < size) {
		size_t n = fread(out + len, 1, size - 1 - len, p);

		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	st = pclose(p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * release --json against the JSON schema (python3-jsonschema, through the
 * host's root the guest sees): the one document only the guest can make.
 */
static void validate_release_json(const char *json)
{
	char cmd[PATH_MAX * 2 + 64];
	FILE *f = fopen("/tmp/release.json", "w");
	int st;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(json, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s files %s /tmp/release.json >&2", schema_py, schema_json); /* not into the TAP */
	st = system(cmd);
	ck_assert(WIFEXITED(st));
	ck_assert_msg(WEXITSTATUS(st) == 0, "%s: exit %d", cmd, WEXITSTATUS(st));
}

static struct dp_vm *edu_vm(struct dp_ctx *ctx)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, "q", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
	return vm;
}

static struct dp_ctx *setup_edu(void)
{
	char bdfs[2][DP_GUEST_BDF_MAX];
	struct dp_ctx *ctx = dp_guest_ctx();

	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 2), 1);
	snprintf(bdf, sizeof(bdf), "%s", bdfs[0]);
	dp_guest_mark(ctx, bdf);
	return ctx;
}

/* The live driver ("" when unbound) and driver_override ("(null)" when unset), from sysfs. */
static void binding(char *driver, size_t dsize, char *override, size_t osize)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(driver, dsize, "%s", n > 0 ? strrchr(link, '/') + 1 : "");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(override, (int)osize, f));
	fclose(f);
	override[strcspn(override, "\n")] = '\0';
}

static int quarantine_of(struct dp_ctx *ctx, char **reason)
{
	struct dp_device *dev;
	int r;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	r = dp_device_get_quarantine(dev, reason);
	dp_device_unref(dev);
	return r;
}

static int release_flags(struct dp_ctx *ctx, uint32_t flags)
{
	struct dp_device *dev;
	int r;

	ck_assert_int_eq(dp_ctx_scan(ctx) > 0, 1);
	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	r = dp_device_release(dev, flags);
	dp_device_unref(dev);
	return r;
}

static int release(struct dp_ctx *ctx)
{
	return release_flags(ctx, 0);
}

START_TEST(release_quarantine_holds_every_device_until_released)
{
	struct dp_ctx *ctx = setup_edu();
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_vm *vm = edu_vm(ctx);
	struct dp_attachment *att = NULL;
	struct dp_report *rep = NULL;
	struct dp_finding f = { .sz = sizeof(f) };
	char driver[64], override[64], *reason = NULL;
	bool found = false;

	ck_assert_int_eq(dp_policy_set(policy, "release", "quarantine"), 0);
	ck_assert_int_eq(quarantine_of(ctx, NULL), 0);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	dp_detach(att);
	ck_assert_msg(dp_test_logged(LOG_DEBUG, "came back from the reset", NULL), "%s", dp_test_log_all());
	ck_assert(dp_test_logged(LOG_WARNING, "quarantined: held by policy release = quarantine", NULL));
	ck_assert_int_eq(quarantine_of(ctx, &reason), 1);
	ck_assert_str_eq(reason, "held by policy release = quarantine");
	free(reason);

	/* Available to VMs: a warning, not a denial. */
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != DP_FINDING_QUARANTINED)
			continue;
		found = true;
		ck_assert_uint_eq(f.severity, DP_SEVERITY_WARNING);
		ck_assert_str_eq(f.subject, bdf);
		ck_assert_msg(strstr(f.message, "held by policy release = quarantine") &&
			      strstr(f.message, "directpath release"), "%s", f.message);
	}
	ck_assert_msg(found, "no quarantined finding");
	rep = dp_report_unref(rep);
	{
		char out[16384];

		/* The tool says the same: allowed (exit 0), the warning quarantined, list and show. */
		ck_assert_int_eq(run_tool(out, sizeof(out), "check --devices %s --hw-version 7 --memory 64M", bdf), 0);
		ck_assert_msg(strstr(out, "quarantined") && strstr(out, "held by policy release = quarantine"), "%s", out);
		ck_assert_int_eq(run_tool(out, sizeof(out), "show %s", bdf), 0);
		ck_assert_msg(strstr(out, "quarantined         yes: held by policy release = quarantine"), "%s", out);
		ck_assert_int_eq(run_tool(out, sizeof(out), "list"), 0);
		ck_assert_msg(strstr(out, "yes,quarantined"), "%s", out);
	}

	/* Unmarking it now would give it to the host unverified: refused. */
	{
		struct dp_device *dev;

		ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
		dp_test_log_expect_err();
		ck_assert_int_eq(dp_device_set_passthrough(dev, 0, DP_MARK_APPLY), -EBUSY);
		ck_assert_msg(strstr(dp_test_log_expect_end(), "so it is not given back to the host unverified"),
			      "%s", dp_test_log_all());
		dp_device_unref(dev);
		binding(driver, sizeof(driver), override, sizeof(override));
		ck_assert_str_eq(driver, "vfio-pci");
	}

	/* A VM holds it: the release is refused, and nothing changes. */
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(release(ctx), -EBUSY);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "already leased by VM \"q\""), "%s", dp_test_log_all());
	ck_assert_int_eq(quarantine_of(ctx, NULL), 1);
	dp_detach(att);

	/* Still marked: released, verified, but it stays on vfio-pci. */
	ck_assert_int_eq(release(ctx), 0);
	ck_assert(dp_test_logged(LOG_INFO, "reset through VFIO (VFIO_DEVICE_RESET", NULL));
	ck_assert(dp_test_logged(LOG_NOTICE, "stays on vfio-pci because it is marked", NULL));
	ck_assert_int_eq(quarantine_of(ctx, NULL), 0);
	binding(driver, sizeof(driver), override, sizeof(override));
	ck_assert_str_eq(driver, "vfio-pci");

	/* Quarantined again, then unmarked (the mark only): released to the host. */
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	dp_detach(att);
	ck_assert_int_eq(quarantine_of(ctx, NULL), 1);
	{
		struct dp_device *dev;

		ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
		ck_assert_int_eq(dp_device_set_passthrough(dev, 0, 0), 0);
		dp_device_unref(dev);
	}
	{
		char out[4096];

		/* directpath release, as an administrator would: reset, verified, given back. */
		ck_assert_int_eq(run_tool(out, sizeof(out), "release --json %s", bdf), 0);
		ck_assert_msg(strstr(out, "\"released\": true") && strstr(out, "\"marked\": false") &&
			      strstr(out, "\"driver\": null"), "%s", out);
		validate_release_json(out);
	}
	ck_assert_int_eq(quarantine_of(ctx, NULL), 0);
	binding(driver, sizeof(driver), override, sizeof(override));
	ck_assert_str_eq(driver, ""); /* edu has no host driver here */
	ck_assert_str_eq(override, "(null)");

	/* Nothing quarantined: nothing to release. */
	dp_test_log_expect_err();
	ck_assert_int_eq(release(ctx), -ENOENT);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "not quarantined"), "%s", dp_test_log_all());

	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

/* ---- a device that did not come back ---- */

static bool armed;
static uint32_t bar0_before;

static uint32_t config_read32(unsigned off)
{
	char path[PATH_MAX];
	uint32_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &v, 4, off), 4);
	close(fd);
	return v;
}

static void config_write(unsigned off, const void *v, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, v, len, off) != (ssize_t)len)
		abort();
	close(fd);
}

/*
 * The hardware changes between the kernel's reset (at detach, at release)
 * and the library's look at it: memory decoding off, then BAR0 moved by
 * its size (1 MiB), which nothing decodes now. The kernel's own save and
 * restore around its resets undo this (a release without the hook finds
 * BAR0 back), so it is made after them, once per arming.
 */
static void hook_log(struct dp_ctx *ctx, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args, void *userdata)
	DP_PRINTF(6, 0);
static void hook_log(struct dp_ctx *ctx, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args, void *userdata)
{
	if (armed && priority == LOG_DEBUG && strstr(format, "verifying that it came back from the reset")) {
		uint16_t cmd = (uint16_t)(config_read32(4) & 0xfffc);
		uint32_t moved = bar0_before ^ 0x00100000;

		armed = false;
		config_write(4, &cmd, 2);
		config_write(0x10, &moved, 4);
	}
	dp_test_log_fn(ctx, priority, file, line, fn, format, args, userdata);
}

START_TEST(a_device_that_did_not_come_back_is_quarantined_and_not_released)
{
	struct dp_ctx *ctx = setup_edu();
	struct dp_policy *policy = dp_guest_policy(ctx); /* release = host, the default */
	struct dp_vm *vm = edu_vm(ctx);
	struct dp_attachment *att = NULL;
	char *reason = NULL, want[128];
	const char *errs;

	bar0_before = config_read32(0x10);
	ck_assert_uint_ne(bar0_before & ~0xfu, 0);
	ck_assert_int_eq(dp_ctx_set_log_fn(ctx, hook_log, NULL), 0);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	armed = true;
	dp_test_log_expect_err();
	dp_detach(att);
	errs = dp_test_log_expect_end();
	ck_assert(!armed);
	snprintf(want, sizeof(want), "did not come back from the reset at detach: BAR0 0x%08x -> 0x%08x",
		 bar0_before, bar0_before ^ 0x00100000);
	ck_assert_msg(strstr(errs, want), "%s", dp_test_log_all());
	ck_assert_int_eq(quarantine_of(ctx, &reason), 1);
	ck_assert_str_eq(reason, want);
	free(reason);

	/* The release resets it again, but BAR0 is not where it was after that either: it stays held. */
	armed = true;
	dp_test_log_expect_err();
	ck_assert_int_eq(release(ctx), -EIO);
	ck_assert(!armed);
	errs = dp_test_log_expect_end();
	ck_assert_msg(strstr(errs, "did not come back from the reset at release: BAR0"), "%s", errs);
	ck_assert_int_eq(quarantine_of(ctx, &reason), 1);
	ck_assert_msg(strstr(reason, "at release: BAR0"), "%s", reason);
	free(reason);

	/* Put back as it was (and nothing moves it after the reset), it is released. */
	config_write(0x10, &bar0_before, 4);
	ck_assert_int_eq(release(ctx), 0);
	ck_assert(dp_test_logged(LOG_NOTICE, "stays on vfio-pci because it is marked", NULL));
	ck_assert_int_eq(quarantine_of(ctx, NULL), 0);
	ck_assert_uint_eq(config_read32(0x10), bar0_before);

	/*
	 * Quarantined again; with DP_DEVICE_RELEASE_FORCE the release verifies it
	 * against its header just before its own reset: BAR0 moved, and moved
	 * again after that reset, is what it was then, so it is released.
	 */
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	armed = true;
	dp_test_log_expect_err();
	dp_detach(att);
	dp_test_log_expect_end();
	ck_assert_int_eq(quarantine_of(ctx, NULL), 1);
	armed = true;
	ck_assert_int_eq(release_flags(ctx, DP_DEVICE_RELEASE_FORCE), 0);
	ck_assert(!armed);
	ck_assert(dp_test_logged(LOG_INFO, "verified against its config header as it is now (force)", NULL));
	ck_assert_int_eq(quarantine_of(ctx, NULL), 0);
	ck_assert_uint_eq(config_read32(0x10), bar0_before ^ 0x00100000);
	config_write(0x10, &bar0_before, 4); /* as it was, for what runs next */

	/* Unknown flags are a bug of the caller. */
	dp_test_log_expect_err();
	ck_assert_int_eq(release_flags(ctx, 0x80), -EINVAL);
	ck_assert_msg(strstr(dp_test_log_expect_end(), "BUG: dp_device_release: unknown flags 0x80"), "%s",
		      dp_test_log_all());

	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("quarantine");
	TCase *tc = tcase_create("quarantine");

	dp_guest_require_vfio();
	if (argc != 4) {
		fprintf(stderr, "usage: %s PATH_TO_DIRECTPATH SCHEMA_PY SCHEMA_JSON\n", argv[0]);
		return 2;
	}
	tool = argv[1];
	schema_py = argv[2];
	schema_json = argv[3];
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, release_quarantine_holds_every_device_until_released);
	tcase_add_test(tc, a_device_that_did_not_come_back_is_quarantined_and_not_released);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
