/* SPDX-License-Identifier: MIT */
/*
 * The option ROM on the real kernel (tests/vm topology one, --bind none),
 * one guest per case: test-rom valid|mismatch|blank ROMFILE run with QEMU's
 * edu given ROMFILE (run-in-guest --edu-romfile), test-rom none without a
 * romfile, where QEMU's edu has no ROM BAR at all.
 *   valid: a 2 KiB x86 image (tests/vm/mk-option-rom.py) in a 4 KiB file,
 *     so a 4 KiB ROM BAR. The sysfs status is valid, the check has no
 *     invalid-rom finding, dp_vdev_get_rom gives the image byte for byte
 *     (2 KiB, not the BAR), and the guest-facing ROM BAR serves it, 0xff
 *     after it, as the kernel's own ROM region reads.
 *   mismatch: the PCIR names 1234:0001: the check warns with the
 *     validator's reason, invalid_rom = deny denies, the VM still attaches
 *     under warn, dp_vdev_get_rom refuses with -EBADMSG (logged once), and
 *     the guest's ROM BAR reads all 0xff.
 *   blank: 4 KiB of 0xff, no image: the kernel refuses to read it (EIO in
 *     sysfs) and vfio-pci offers no ROM region: the missing-image finding,
 *     -EBADMSG (not -ENOENT: the function has a ROM BAR), and the guest
 *     sees no ROM BAR, as under QEMU's own vfio-pci.
 *   none: nothing reported, -ENOENT, and the guest sees no ROM BAR.
 * Each case also shows the library left the sysfs rom attribute disabled,
 * as it found it: a plain read of it is refused. And with the function's
 * memory decoding off, the kernel reads no ROM (EIO): unknown, not missing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define ROM_BAR 4096u
#define IMAGE 2048u

static const char *mode = "";    /* valid, mismatch or none */
static const char *romfile;      /* the file QEMU was given */
static unsigned char file_bytes[ROM_BAR];

static void read_romfile(void)
{
	FILE *f = fopen(romfile, "rb");

	ck_assert_msg(f != NULL, "%s: %s", romfile, strerror(errno));
	ck_assert_uint_eq(fread(file_bytes, 1, sizeof(file_bytes), f), ROM_BAR);
	fclose(f);
}

/* The report's invalid-rom findings, counted; the first one's message and severity. */
static size_t rom_findings(struct dp_policy *policy, struct dp_vm *vm, char *msg, size_t len,
			   uint32_t *severity, int *allowed)
{
	struct dp_report *rep = NULL;
	size_t n = 0;

	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != DP_FINDING_INVALID_ROM)
			continue;
		if (n++ == 0) {
			snprintf(msg, len, "%s", f.message);
			*severity = f.severity;
		}
	}
	*allowed = dp_report_is_allowed(rep);
	dp_report_unref(rep);
	return n;
}

/* The sysfs rom attribute is disabled, as before the library read it: the kernel refuses a read. */
static void rom_attr_disabled(const char *bdf)
{
	char path[128], c;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/rom", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (strcmp(mode, "none") == 0) {
		ck_assert_int_lt(fd, 0); /* no ROM BAR, no rom file */
		return;
	}
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(read(fd, &c, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}

/* Writes the function's command register through sysfs; the old value. */
static uint16_t set_command(const char *bdf, uint16_t cmd)
{
	char path[128];
	uint16_t old = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(pread(fd, &old, 2, 4), 2);
	ck_assert_int_eq(pwrite(fd, &cmd, 2, 4), 2);
	close(fd);
	return old;
}

static void check_status(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_rom_status st = { .sz = sizeof(st) };
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_get_rom_status(dev, &st), 0);
	if (strcmp(mode, "valid") == 0) {
		uint16_t cmd;

		ck_assert_uint_eq(st.state, DP_ROM_VALID);
		ck_assert_uint_eq(st.bar_size, ROM_BAR);
		ck_assert_uint_eq(st.size, IMAGE);
		ck_assert_uint_eq(st.n_images, 1);
		ck_assert_uint_eq(st.code_types[0], DP_ROM_CODE_X86);
		/* Memory decoding off: the kernel reads nothing (EIO), which is not a missing ROM. */
		cmd = set_command(bdf, 0);
		ck_assert_uint_ne(cmd & 2u, 0);
		ck_assert_int_eq(dp_device_get_rom_status(dev, &st), 0);
		set_command(bdf, cmd);
		ck_assert_uint_eq(st.state, DP_ROM_UNKNOWN);
		ck_assert_str_eq(st.reason, "its memory decoding is off, so the kernel cannot read it");
	} else if (strcmp(mode, "mismatch") == 0) {
		ck_assert_uint_eq(st.state, DP_ROM_INVALID);
		ck_assert_str_eq(st.reason, "image 0 at 0x0 is for 1234:0001, not this function's 1234:11e8");
	} else if (strcmp(mode, "blank") == 0) {
		ck_assert_uint_eq(st.state, DP_ROM_MISSING);
		ck_assert_uint_eq(st.bar_size, ROM_BAR);
		ck_assert_str_eq(st.reason, "the kernel found no image in it (no 0xAA55 and PCIR signatures at its start)");
	} else {
		ck_assert_uint_eq(st.state, DP_ROM_NONE);
	}
	dp_device_unref(dev);
	rom_attr_disabled(bdf);
}

static void check_policy(struct dp_policy *policy, struct dp_vm *vm)
{
	uint32_t sev = 0;
	char msg[512] = "";
	int allowed = 0;

	if (strcmp(mode, "blank") == 0) {
		ck_assert_uint_eq(rom_findings(policy, vm, msg, sizeof(msg), &sev, &allowed), 1);
		ck_assert_uint_eq(sev, DP_SEVERITY_WARNING);
		ck_assert_msg(strstr(msg, "its ROM BAR (bytes 0x0-0xfff) holds no option ROM image: the kernel found no image in it"),
			      "%s", msg);
		return;
	}
	if (strcmp(mode, "mismatch") != 0) {
		ck_assert_uint_eq(rom_findings(policy, vm, msg, sizeof(msg), &sev, &allowed), 0);
		ck_assert_int_eq(allowed, 1);
		return;
	}
	ck_assert_uint_eq(rom_findings(policy, vm, msg, sizeof(msg), &sev, &allowed), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_WARNING);
	ck_assert_int_eq(allowed, 1);
	ck_assert_msg(strstr(msg, "its option ROM (ROM BAR bytes 0x0-0xfff) is invalid: image 0 at 0x0 is for 1234:0001, not this function's 1234:11e8 (invalid_rom = warn)"),
		      "%s", msg);
	ck_assert_int_eq(dp_policy_set(policy, "invalid_rom", "deny"), 0);
	ck_assert_uint_eq(rom_findings(policy, vm, msg, sizeof(msg), &sev, &allowed), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	ck_assert_int_eq(allowed, 0);
	ck_assert_int_eq(dp_policy_set(policy, "invalid_rom", "warn"), 0);
}

/* What dp_vdev_get_rom gives, and that it keeps it. */
static void check_vdev_rom(struct dp_vdev *v)
{
	const void *image = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	const char *said;

	if (strcmp(mode, "valid") == 0) {
		uint16_t cmd = 0, off, now = 0;

		/* With memory decoding off, as a guest may leave it: on for the read, then off again. */
		ck_assert_int_eq(dp_vdev_config_read(v, 4, &cmd, 2), 0);
		off = (uint16_t)(cmd & ~2u);
		ck_assert_int_eq(dp_vdev_config_write(v, 4, &off, 2), 0);
		ck_assert_int_eq(dp_vdev_get_rom(v, &image, &len), 0);
		ck_assert_int_eq(dp_vdev_config_read(v, 4, &now, 2), 0);
		ck_assert_uint_eq(now, off);
		ck_assert_int_eq(dp_vdev_config_write(v, 4, &cmd, 2), 0);
		ck_assert_uint_eq(len, IMAGE);
		ck_assert(memcmp(image, file_bytes, IMAGE) == 0);
		ck_assert_int_eq(dp_vdev_get_rom(v, &again, &len2), 0);
		ck_assert_ptr_eq(again, image);
		ck_assert_uint_eq(len2, len);
	} else if (strcmp(mode, "mismatch") == 0) {
		dp_test_log_expect_err();
		ck_assert_int_eq(dp_vdev_get_rom(v, &image, &len), -EBADMSG);
		said = dp_test_log_expect_end();
		ck_assert_msg(strstr(said, "is invalid: image 0 at 0x0 is for 1234:0001, not this function's 1234:11e8"),
			      "%s", said);
		ck_assert_ptr_null(image);
		/* The answer is kept: no second read, no second message (the log would fail). */
		ck_assert_int_eq(dp_vdev_get_rom(v, &image, &len), -EBADMSG);
	} else if (strcmp(mode, "blank") == 0) {
		dp_test_log_expect_err();
		ck_assert_int_eq(dp_vdev_get_rom(v, &image, &len), -EBADMSG);
		said = dp_test_log_expect_end();
		ck_assert_msg(strstr(said, "its ROM BAR of 0x1000 bytes holds no option ROM image: VFIO offers no ROM region"),
			      "%s", said);
	} else {
		ck_assert_int_eq(dp_vdev_get_rom(v, &image, &len), -ENOENT);
		ck_assert_ptr_null(image);
	}
}

/* The guest's ROM BAR: the image, 0xff after it; all 0xff for an invalid one; none without. */
static void check_guest_rom(struct dp_vdev *v)
{
	DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_VMM_DECODES);
	static unsigned char guest[ROM_BAR], kernel[ROM_BAR];
	struct dp_vpci *f = NULL;
	uint32_t reg = 0xffffffff, changed = 0;

	/* The kernel's ROM region reads the same: the image, then 0xff past its own walk. */
	if (strcmp(mode, "valid") == 0)
		ck_assert_int_eq(dp_vdev_region_read(v, DP_REGION_ROM, 0, kernel, ROM_BAR), 0);
	/* The function switches the device's memory decoding off: its ROM was read before. */
	ck_assert_int_eq(dp_vpci_new(v, &o, &f), 0);
	ck_assert_int_eq(dp_vpci_config_write(f, 0x30, &reg, 4, &changed), 0);
	ck_assert_int_eq(dp_vpci_config_read(f, 0x30, &reg, 4), 0);
	if (strcmp(mode, "none") == 0 || strcmp(mode, "blank") == 0) {
		ck_assert_uint_eq(reg, 0);
		ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_bar_read(f, DP_VPCI_ROM, 0, guest, 4),
						    "no BAR 6"), -EINVAL);
		dp_vpci_unref(f);
		return;
	}
	ck_assert_uint_eq(reg, (uint32_t)~(ROM_BAR - 1) | 1u);
	for (size_t off = 0; off < ROM_BAR; off += 512)
		ck_assert_int_eq(dp_vpci_bar_read(f, DP_VPCI_ROM, off, guest + off, 512), 0);
	if (strcmp(mode, "valid") == 0) {
		ck_assert(memcmp(guest, file_bytes, IMAGE) == 0);
		ck_assert(memcmp(kernel, guest, ROM_BAR) == 0);
	}
	for (size_t i = strcmp(mode, "valid") == 0 ? IMAGE : 0; i < ROM_BAR; i++)
		ck_assert_msg(guest[i] == 0xff, "guest ROM byte %#zx is %#x", i, guest[i]);
	dp_vpci_unref(f);
}

START_TEST(the_option_rom_from_check_to_the_guest)
{
	char bdfs[2][DP_GUEST_BDF_MAX];
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	struct dp_attachment *att = NULL;
	struct dp_vdev *v;
	struct dp_vm *vm;

	if (romfile)
		read_romfile();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 2), 1);
	dp_guest_mark(ctx, bdfs[0]);
	check_status(ctx, bdfs[0]);

	ck_assert_int_eq(dp_vm_new(ctx, "rom", &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	ck_assert_int_eq(dp_vm_set_memory(vm, UINT64_C(256) << 20, UINT64_C(256) << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, bdfs[0]), 0);
	check_policy(policy, vm);

	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	v = dp_attachment_get_vdev(att, 0);
	ck_assert_ptr_nonnull(v);
	check_vdev_rom(v);
	check_guest_rom(v);
	ck_assert_ptr_null(dp_detach(att));
	rom_attr_disabled(bdfs[0]);

	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("vfio-rom");
	TCase *tc = tcase_create("rom");

	if (argc < 2 || (strcmp(argv[1], "none") != 0 && argc < 3) ||
	    (strcmp(argv[1], "valid") && strcmp(argv[1], "mismatch") && strcmp(argv[1], "blank") &&
	     strcmp(argv[1], "none"))) {
		fprintf(stderr, "usage: %s valid|mismatch|blank ROMFILE | none\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	romfile = argc > 2 ? argv[2] : NULL;
	dp_guest_require_vfio();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, the_option_rom_from_check_to_the_guest);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
