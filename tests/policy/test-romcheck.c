/* SPDX-License-Identifier: MIT */
/*
 * The invalid_rom rule (finding 29) and dp_device_get_rom_status on
 * synthetic trees: an edu (1234:11e8) with a 4 KiB ROM BAR whose sysfs rom
 * file holds an image made by tests/vm/mk-option-rom.py (valid: 2 KiB and
 * zeros to the BAR's end; PCIR IDs
 * not the function's, cut short, a PCIR pointer out of the image, blank),
 * or no rom file, and a function without a ROM BAR.
 *
 * What this does not cover: the kernel's protocol. The real rom attribute
 * refuses a read (EINVAL) until "1" is written to it, and reads EIO when
 * the kernel finds no image; a regular file here reads at once, so the
 * library never writes to it (and O_TRUNC would empty it if it did). The
 * enable-read-disable sequence runs against the real kernel in the test
 * guest (tests/vfio/test-rom.c, QEMU's romfile=).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

#define EDU "0000:00:04.0"   /* 1234:11e8, ROM BAR of 4 KiB */
#define NOROM "0000:00:05.0" /* 1234:11e8, no ROM BAR */

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;

static void world_new(void)
{
	const struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
					   .vfio_pci = true, .vfio_type1 = true };
	const struct dp_fake_dev edu = { .bdf = EDU, .vendor = 0x1234, .device = 0x11e8,
					 .class_code = 0x00ff00, .group = 4, .driver = "vfio-pci",
					 .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR,
					 .bars = { { .size = 1u << 20 } }, .rom_size = 4096 };
	struct dp_fake_dev norom = edu;
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn,
				 .data_dir = DP_TEST_DATA_DIR };
	char dc[PATH_MAX], conf[PATH_MAX], run[PATH_MAX];

	norom.bdf = NOROM;
	norom.group = 5;
	norom.rom_size = 0;
	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(dp_fakesys_set_host(fs, &host), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &edu), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &norom), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	snprintf(conf, sizeof(conf), "%s/etc", dp_fakesys_scratch(fs));
	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	o.driverctl_dir = dc;
	o.config_dir = conf;
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
}

static void world_free(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
}

/* Writes the image rom-NAME.bin (tests/meson.build) as bdf's rom file, root's alone as the kernel's. */
static void put_rom(const char *bdf, const char *name)
{
	char src[PATH_MAX], rel[PATH_MAX - 64], dst[PATH_MAX];
	static unsigned char buf[1 << 16];
	size_t n;
	FILE *in, *out;

	snprintf(src, sizeof(src), "%s/rom-%s.bin", DP_TEST_ROM_DIR, name);
	ck_assert_int_ge(dp_fakesys_dev_dir(fs, bdf, rel, sizeof(rel)), 0);
	snprintf(dst, sizeof(dst), "%s/%s/rom", dp_fakesys_root(fs), rel);
	in = fopen(src, "rb");
	ck_assert_msg(in != NULL, "%s: %s", src, strerror(errno));
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	out = fopen(dst, "wb");
	ck_assert_msg(out != NULL, "%s: %s", dst, strerror(errno));
	ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(chmod(dst, 0600), 0);
}

static struct dp_rom_status status_of(const char *bdf)
{
	struct dp_rom_status st = { .sz = sizeof(st) };
	struct dp_device *dev = NULL;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_get_rom_status(dev, &st), 0);
	dp_device_unref(dev);
	return st;
}

/*
 * Checks a VM holding bdf: the number of invalid-rom findings; the first's
 * severity, subject and rule are checked, its message copied into msg.
 */
static size_t rom_findings(const char *bdf, uint32_t *severity, char *msg, size_t len)
{
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	size_t n = 0;

	ck_assert_int_eq(dp_vm_new(ctx, "romvm", &vm), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, bdf), 0);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != DP_FINDING_INVALID_ROM)
			continue;
		ck_assert_str_eq(f.subject, bdf);
		ck_assert_str_eq(f.rule, "invalid_rom");
		ck_assert_str_eq(dp_finding_code_name(f.code), "invalid-rom");
		if (n++ == 0) {
			*severity = f.severity;
			snprintf(msg, len, "%s", f.message);
		}
	}
	dp_report_unref(rep);
	dp_vm_unref(vm);
	return n;
}

#define HAS(msg, want) ck_assert_msg(strstr((msg), (want)), "\"%s\" lacks \"%s\"", (msg), (want))

START_TEST(a_valid_rom_gives_no_finding_and_a_valid_status)
{
	struct dp_rom_status st;
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "valid");
	st = status_of(EDU);
	ck_assert_uint_eq(st.state, DP_ROM_VALID);
	ck_assert_uint_eq(st.bar_size, 4096);
	ck_assert_uint_eq(st.size, 2048); /* the image, not the zeros after it */
	ck_assert_uint_eq(st.n_images, 1);
	ck_assert_uint_eq(st.code_types[0], DP_ROM_CODE_X86);
	ck_assert_str_eq(st.reason, "");
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 0);
	/* Read, never written: the kernel's enabling write would have emptied a plain file. */
	st = status_of(EDU);
	ck_assert_uint_eq(st.state, DP_ROM_VALID);
}
END_TEST

START_TEST(pcir_ids_not_the_functions_warn_with_the_reason_and_range)
{
	struct dp_rom_status st;
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "mismatch");
	st = status_of(EDU);
	ck_assert_uint_eq(st.state, DP_ROM_INVALID);
	ck_assert_str_eq(st.reason, "image 0 at 0x0 is for 1234:0001, not this function's 1234:11e8");
	ck_assert_uint_eq(st.n_images, 1); /* what was read of it before the refusal */
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_WARNING);
	ck_assert_str_eq(msg, EDU ": its option ROM (ROM BAR bytes 0x0-0xfff) is invalid: image 0 at 0x0 is for 1234:0001, not this function's 1234:11e8 (invalid_rom = warn); update the device's firmware, or give the VM a valid ROM file");
}
END_TEST

START_TEST(deny_makes_it_an_error_and_allow_drops_it)
{
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "mismatch");
	ck_assert_int_eq(dp_policy_set(policy, "invalid_rom", "deny"), 0);
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	HAS(msg, "(invalid_rom = deny)");
	ck_assert_int_eq(dp_policy_set(policy, "invalid_rom", "allow"), 0);
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(a_truncated_rom_is_invalid)
{
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "truncated");
	ck_assert_str_eq(status_of(EDU).reason,
			 "image 0 at 0x0: 4096 bytes long, past the ROM's 1500");
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 1);
	HAS(msg, "is invalid: image 0 at 0x0: 4096 bytes long, past the ROM's 1500");
}
END_TEST

START_TEST(a_pcir_pointer_out_of_the_image_is_invalid)
{
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "pcir-out");
	ck_assert_uint_eq(status_of(EDU).state, DP_ROM_INVALID);
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 1);
	HAS(msg, "is invalid: image 0 at 0x0: PCIR pointer 0xfff0 is out of the image");
}
END_TEST

START_TEST(a_blank_rom_bar_is_a_missing_image)
{
	struct dp_rom_status st;
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(EDU, "blank");
	st = status_of(EDU);
	ck_assert_uint_eq(st.state, DP_ROM_MISSING);
	ck_assert_uint_eq(st.n_images, 0);
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_WARNING);
	ck_assert_str_eq(msg, EDU ": its ROM BAR (bytes 0x0-0xfff) holds no option ROM image: no 0xAA55 signature at its start (ff ff) (invalid_rom = warn); the VM's firmware finds nothing to run: give the VM a ROM file, or set invalid_rom = allow if the device needs none");
}
END_TEST

START_TEST(no_rom_file_is_unknown_logged_and_no_finding)
{
	struct dp_rom_status st;
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	st = status_of(EDU);
	ck_assert_uint_eq(st.state, DP_ROM_UNKNOWN);
	ck_assert_str_eq(st.reason, "the kernel gives it no rom file");
	ck_assert(dp_test_logged(LOG_INFO, EDU ": its option ROM was not read: the kernel gives it no rom file",
				 "unknown"));
	ck_assert_uint_eq(rom_findings(EDU, &sev, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(a_function_without_a_rom_bar_has_none_whatever_its_files)
{
	uint32_t sev = 99;
	char msg[512] = "";

	world_new();
	put_rom(NOROM, "blank"); /* a stray file: the BAR decides */
	ck_assert_uint_eq(status_of(NOROM).state, DP_ROM_NONE);
	ck_assert_uint_eq(status_of(NOROM).bar_size, 0);
	ck_assert_uint_eq(rom_findings(NOROM, &sev, msg, sizeof(msg)), 0);
}
END_TEST

/* The rom file is root's: another user's check logs that and finds nothing. */
START_TEST(without_root_the_rom_is_unknown)
{
	struct dp_device *dev = NULL;
	int status = 0;
	pid_t pid;

	world_new();
	put_rom(EDU, "mismatch");
	ck_assert_int_eq(dp_ctx_find_device(ctx, EDU, &dev), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct dp_rom_status st = { .sz = sizeof(st) };

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		if (dp_device_get_rom_status(dev, &st) < 0)
			_exit(3);
		_exit(st.state == DP_ROM_UNKNOWN && !strcmp(st.reason, "reading it takes root") ? 0 : 4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	dp_device_unref(dev);
}
END_TEST

START_TEST(misuse_and_names)
{
	struct dp_rom_status st = { .sz = 8 };
	struct dp_device *dev = NULL;

	world_new();
	ck_assert_int_eq(dp_device_get_rom_status(NULL, &st), -EINVAL);
	ck_assert_int_eq(dp_ctx_find_device(ctx, EDU, &dev), 0);
	ck_assert_int_eq(dp_device_get_rom_status(dev, &st), -EINVAL); /* sz too small */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_device_get_rom_status(dev, NULL), "BUG"), -EINVAL);
	dp_device_unref(dev);
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_X86), "x86");
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_OPEN_FIRMWARE), "open-firmware");
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_PA_RISC), "pa-risc");
	ck_assert_str_eq(dp_rom_code_type_name(DP_ROM_CODE_EFI), "efi");
	ck_assert_ptr_null(dp_rom_code_type_name(0x70));
	ck_assert_str_eq(dp_rule_name(DP_RULE_INVALID_ROM), "invalid_rom");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy-romcheck");
	TCase *tc = tcase_create("rom");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, NULL, world_free);
	tcase_add_test(tc, a_valid_rom_gives_no_finding_and_a_valid_status);
	tcase_add_test(tc, pcir_ids_not_the_functions_warn_with_the_reason_and_range);
	tcase_add_test(tc, deny_makes_it_an_error_and_allow_drops_it);
	tcase_add_test(tc, a_truncated_rom_is_invalid);
	tcase_add_test(tc, a_pcir_pointer_out_of_the_image_is_invalid);
	tcase_add_test(tc, a_blank_rom_bar_is_a_missing_image);
	tcase_add_test(tc, no_rom_file_is_unknown_logged_and_no_finding);
	tcase_add_test(tc, a_function_without_a_rom_bar_has_none_whatever_its_files);
	tcase_add_test(tc, without_root_the_rom_is_unknown);
	tcase_add_test(tc, misuse_and_names);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
