/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing PCI function (dp_vpci) and the library's bus (dp_vbus)
 * on a fake device backend and recording VMM callbacks: config space as the
 * guest sees it, BAR sizing and placement, MSI, MSI-X, INTx, the ROM, reset,
 * and the bus's configuration mechanisms and exits. Every call into the VM
 * (slots, routes, irqfds) and into the device's interrupts goes to one call
 * log, so the tests assert exact sequences. The real backends (VFIO, KVM)
 * are tested in the vfio and kvm suites.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "fakevpci.h"
#include "testlog.h"
#include "testrun.h"
#include "dma.h"
#include "vpci.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define RWM DP_FAKE_RWM
#define NAME0 "0000:03:00.0"
#define NAME1 "0000:04:00.0"

/* ---- the call log: VM callbacks and the device's interrupt calls, in order ---- */

static char calls[16384];

static void rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec(const char *fmt, ...)
{
	size_t len = strlen(calls);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(calls + len, sizeof(calls) - len, fmt, ap);
	va_end(ap);
	len = strlen(calls);
	snprintf(calls + len, sizeof(calls) - len, ";");
}

/* Position of s in the call log, or -1. */
static long at(const char *s)
{
	const char *p = strstr(calls, s);

	return p ? p - calls : -1;
}

static bool ends_with(const char *s)
{
	size_t a = strlen(calls), b = strlen(s);

	return a >= b && !strcmp(calls + a - b, s);
}

/* The fakes' calls go to the call log; a misuse there fails the test at teardown. */
static void log_call(const char *line)
{
	rec("%s", line);
}

static void log_misuse(const char *line)
{
	rec("BAD %s", line);
}

static const struct dp_fake_log fake_log = { log_call, log_misuse };

/* ---- the fake devices, the fake VM ---- */

static struct dp_fake_dev fk[2];
static struct dp_fake_vm vm;
static const struct dp_vpci_dev_ops *const fake_ops = &dp_fake_dev_ops;
static const struct dp_vpci_ops *const vm_ops = &dp_fake_vm_ops;

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* ---- devices ---- */

/* An NVMe-like PCIe function: 64-bit BAR0 16 KiB with the MSI-X table and PBA in it. */
static void nvme_device(struct dp_fake_dev *d)
{
	dp_fake_put32(d, 0x00, 0xa808144d);
	dp_fake_put16(d, 0x04, 0x0407);   /* left decoding by the host */
	dp_fake_put16(d, 0x06, 0x0010);   /* capability list */
	dp_fake_put32(d, 0x08, 0x01080201);       /* class 010802, revision 1 */
	dp_fake_put8(d, 0x0c, 0x08);
	dp_fake_put8(d, 0x0e, 0x80);      /* multi-function */
	dp_fake_put8(d, 0x0f, 0x80);      /* BIST capable */
	dp_fake_put32(d, 0x10, 0xfc000004);       /* 64-bit memory, the host's address */
	dp_fake_put32(d, 0x14, 0x00000000);
	dp_fake_put32(d, 0x2c, 0xa801144d);
	dp_fake_put8(d, 0x34, 0x40);
	dp_fake_put8(d, 0x3c, 0xff);
	dp_fake_put8(d, 0x3d, 0x01);
	/* MSI-X: 65 vectors, table at BAR0 0x2000, PBA at 0x3000 */
	dp_fake_put8(d, 0x40, 0x11);
	dp_fake_put8(d, 0x41, 0x50);
	dp_fake_put16(d, 0x42, 0x0040);
	dp_fake_put32(d, 0x44, 0x00002000);
	dp_fake_put32(d, 0x48, 0x00003000);
	/* power management */
	dp_fake_put8(d, 0x50, 0x01);
	dp_fake_put8(d, 0x51, 0x60);
	dp_fake_put16(d, 0x52, 0x0003);
	dp_fake_put16(d, 0x54, 0x0008);
	/* PCI Express v2 endpoint, FLR capable */
	dp_fake_put8(d, 0x60, 0x10);
	dp_fake_put8(d, 0x61, 0x00);
	dp_fake_put16(d, 0x62, 0x0002);
	dp_fake_put32(d, 0x64, 0x10008fc0);
	dp_fake_put16(d, 0x68, 0x2810);
	for (unsigned o = 0x6c; o < 0x9c; o++)
		d->cfg[o] = (uint8_t)o;
	/* extended: SR-IOV, ARI, AER, ReBAR */
	dp_fake_put32(d, 0x100, 0x14010010);
	for (unsigned o = 0x104; o < 0x140; o++)
		d->cfg[o] = 0xa5;
	dp_fake_put32(d, 0x140, 0x1501000e);
	dp_fake_put32(d, 0x144, 0x00000100);
	dp_fake_put32(d, 0x150, 0x1a020001);
	for (unsigned o = 0x154; o < 0x198; o++)
		d->cfg[o] = 0x11;
	dp_fake_put32(d, 0x1a0, 0x00010015);
	for (unsigned o = 0x1a4; o < 0x1b0; o++)
		d->cfg[o] = 0x5a;
	d->cfg[0xffc] = 0x77;
	d->reg[0] = (struct dp_region_info){ .size = 16 * KiB, .flags = RWM };
	d->reg[7] = (struct dp_region_info){ .size = 4096,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->irq[0] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_MASKABLE |
		DP_IRQ_AUTOMASKED, .count = 1 };
	d->irq[1] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD, .count = 0 };
	d->irq[2] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_NORESIZE, .count = 65 };
}

/*
 * An edu-like conventional function: 32-bit BAR0 1 MiB, an I/O BAR1, a
 * 64 KiB ROM, 64-bit MSI with per-vector masking and 4 vectors capable,
 * INTx pin 1, 256 bytes of config space.
 */
static void edu_device(struct dp_fake_dev *d, uint32_t msi_count)
{
	dp_fake_put32(d, 0x00, 0x11e81234);
	dp_fake_put16(d, 0x06, 0x0010);
	dp_fake_put32(d, 0x08, 0x00ff0010);
	dp_fake_put32(d, 0x10, 0x00000000);
	dp_fake_put32(d, 0x14, 0x00000001);
	dp_fake_put32(d, 0x2c, 0x11001af4);
	dp_fake_put8(d, 0x34, 0x40);
	dp_fake_put8(d, 0x3c, 0xff);
	dp_fake_put8(d, 0x3d, 0x01);
	dp_fake_put8(d, 0x40, 0x05);
	dp_fake_put8(d, 0x41, 0x00);
	dp_fake_put16(d, 0x42, 0x0184);   /* per-vector masking, 64-bit, MMC 4 */
	d->reg[0] = (struct dp_region_info){ .size = 1 * MiB, .flags = RWM };
	d->reg[1] = (struct dp_region_info){ .size = 256,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->reg[6] = (struct dp_region_info){ .size = 64 * KiB, .flags = DP_REGION_READ };
	d->reg[7] = (struct dp_region_info){ .size = 256,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->irq[0] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_MASKABLE |
		DP_IRQ_AUTOMASKED, .count = 1 };
	d->irq[1] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD, .count = msi_count };
	d->irq[2] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD, .count = 0 };
}

/* BARs of every kind, no capabilities. */
static void sizing_device(struct dp_fake_dev *d)
{
	dp_fake_put32(d, 0x00, 0x00011af4);
	dp_fake_put16(d, 0x06, 0x0010);   /* the device says cap list; it has none */
	dp_fake_put32(d, 0x10, 0x00000000);       /* 32-bit memory 1 MiB */
	dp_fake_put32(d, 0x14, 0x00000001);       /* I/O 256 */
	dp_fake_put32(d, 0x18, 0x0000000c);       /* 64-bit prefetchable 8 GiB */
	dp_fake_put32(d, 0x1c, 0x00000000);
	dp_fake_put32(d, 0x20, 0x00000000);       /* absent */
	dp_fake_put32(d, 0x24, 0x00000000);       /* 32-bit memory, 12 KiB: not a power of two */
	d->reg[0] = (struct dp_region_info){ .size = 1 * MiB, .flags = RWM };
	d->reg[1] = (struct dp_region_info){ .size = 256,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->reg[2] = (struct dp_region_info){ .size = 8 * GiB, .flags = RWM };
	d->reg[5] = (struct dp_region_info){ .size = 12 * KiB, .flags = RWM };
	d->reg[7] = (struct dp_region_info){ .size = 256,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
}

/* A vGPU-like function: BAR0 16 MiB of which VFIO lets [0,8M) and [9M,16M) be mmapped. */
static void vgpu_device(struct dp_fake_dev *d)
{
	dp_fake_put32(d, 0x00, 0x1eb810de);
	dp_fake_put16(d, 0x06, 0x0010);
	dp_fake_put32(d, 0x08, 0x030000a1);
	dp_fake_put32(d, 0x10, 0x00000000);
	d->reg[0] = (struct dp_region_info){ .size = 16 * MiB,
		.flags = RWM | DP_REGION_SPARSE, .n_sparse = 2 };
	d->n_areas = 2;
	d->area_off[0] = 0;
	d->area_size[0] = 8 * MiB;
	d->area_off[1] = 9 * MiB;
	d->area_size[1] = 7 * MiB;
	d->reg[7] = (struct dp_region_info){ .size = 256,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
}

/* ---- fixture ---- */

static struct dp_ctx *ctx;
static struct dp_vpci *vp[2];
static struct dp_vbus *bus;
static int fds_at_start;

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);

	calls[0] = '\0';
	dp_fake_vm_init(&vm, &fake_log, 100);
	dp_fake_dev_init(&fk[0], NAME0, &fake_log);
	dp_fake_dev_init(&fk[1], NAME1, &fake_log);
	fk[0].vm = fk[1].vm = &vm;
	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	dp_test_log_attach(ctx);
	fds_at_start = dp_test_count_fds();
}

/* Unref everything and check that nothing is left in the VM, VFIO or the process. */
static void teardown(void)
{
	bus = dp_vbus_unref(bus);
	vp[0] = dp_vpci_unref(vp[0]);
	vp[1] = dp_vpci_unref(vp[1]);
	ck_assert_msg(!strstr(calls, "BAD"), "bad call: %s", calls);
	ck_assert_uint_eq(vm.n_maps, 0);
	/* check marks a point per assertion: test first, for 4096 GSIs. */
	for (unsigned g = 0; g < DP_FAKE_GSIS; g++) {
		if (vm.routed[g])
			ck_abort_msg("gsi %u still routed", g);
		if (vm.irqfd[g] >= 0)
			ck_abort_msg("gsi %u irqfd still bound", g);
	}
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned r = 0; r < 7; r++)
			ck_assert_msg(!fk[i].map_refs[r], "region %u still mapped", r);
		dp_fake_dev_fini(&fk[i]);
		for (unsigned x = 0; x < 3; x++)
			ck_assert_msg(fk[i].efd[x][0] < 0, "irq index %u still wired", x);
	}
	ck_assert_int_eq(dp_test_count_fds(), fds_at_start);
	ctx = dp_ctx_unref(ctx);
}

static struct dp_vpci *make_opts(struct dp_fake_dev *d, const struct dp_vpci_opts *o)
{
	struct dp_vpci *v = NULL;

	ck_assert_int_eq(dp_vpci_new_backend(ctx, fake_ops, d, NULL, NULL, o, &v), 0);
	ck_assert_ptr_nonnull(v);
	return v;
}

static struct dp_vpci *make(struct dp_fake_dev *d, uint32_t flags, uint32_t show_caps,
			    uint32_t intx_gsi)
{
	DP_OPTS(dp_vpci_opts, o, .flags = flags, .intx_gsi = intx_gsi, .show_caps = show_caps,
		.devid = 0x18, .ops = vm_ops, .opaque = d);

	return make_opts(d, &o);
}

/* ---- logged errors whose level the spec leaves open ---- */

static size_t log_mark;

static void mark_log(void)
{
	log_mark = strlen(dp_test_log_all());
}

/* Ends an expected failure: an error or a warning since the mark holds want. */
static int check_logged(int r, const char *want)
{
	const char *p = dp_test_log_all() + log_mark;
	bool found = false;

	dp_test_log_expect_end();
	while (*p && !found) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[2200];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		found = line[0] == '<' && line[1] >= '0' && line[1] <= '4' && strstr(line, want);
		p += len + (end ? 1 : 0);
	}
	ck_assert_msg(found, "nothing logged holding \"%s\" in:\n%s", want,
		      dp_test_log_all() + log_mark);
	return r;
}

/* Runs call, which must log an error or a warning holding want; its result. */
#define EXPECT_LOGGED(call, want) \
	(dp_test_log_expect_err(), mark_log(), check_logged((call), (want)))

/* Runs call, tolerating errors it logs (the spec does not say it logs). */
static int quiet_end(int r)
{
	dp_test_log_expect_end();
	return r;
}
#define QUIET(call) (dp_test_log_expect_err(), quiet_end(call))

/* A warning since the mark holding a. */
static bool warned_since_mark(const char *a)
{
	const char *p = dp_test_log_all() + log_mark;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[2200];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (!strncmp(line, "<4>", 3) && strstr(line, a))
			return true;
		p += len + (end ? 1 : 0);
	}
	return false;
}

/* ---- accessors ---- */

static uint32_t cr(struct dp_vpci *v, uint32_t off, size_t len)
{
	uint32_t x = 0;

	ck_assert_int_eq(dp_vpci_config_read(v, off, &x, len), 0);
	return x;
}

/* Writes and returns *changed. */
static uint32_t cw(struct dp_vpci *v, uint32_t off, uint32_t val, size_t len)
{
	uint32_t changed = 0xdeadbeef;

	ck_assert_int_eq(dp_vpci_config_write(v, off, &val, len, &changed), 0);
	ck_assert_uint_ne(changed, 0xdeadbeef);
	return changed;
}

static uint32_t br(struct dp_vpci *v, uint32_t bar, uint64_t off)
{
	uint32_t x = 0xdeadbeef;

	ck_assert_int_eq(dp_vpci_bar_read(v, bar, off, &x, 4), 0);
	return x;
}

static void bw(struct dp_vpci *v, uint32_t bar, uint64_t off, uint32_t val)
{
	ck_assert_int_eq(dp_vpci_bar_write(v, bar, off, &val, 4), 0);
}

static struct dp_vpci_bar_info bar_info(struct dp_vpci *v, uint32_t bar)
{
	struct dp_vpci_bar_info info = { .sz = sizeof(info) };

	ck_assert_int_eq(dp_vpci_get_bar_info(v, bar, &info), 0);
	return info;
}

/* The guest's way to an MSI-X vector: address, data, then (optionally) unmask. */
static void msix_program(struct dp_vpci *v, unsigned vec, uint32_t data, bool unmask)
{
	bw(v, 0, 0x2000 + vec * 16, 0xfee00000);
	bw(v, 0, 0x2000 + vec * 16 + 4, 0);
	bw(v, 0, 0x2000 + vec * 16 + 8, data);
	if (unmask)
		bw(v, 0, 0x2000 + vec * 16 + 12, 0);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void drain(int fd)
{
	uint64_t n;

	if (readable(fd))
		ck_assert_int_eq(read(fd, &n, 8), 8);
}

static void fire(int fd)
{
	uint64_t one = 1;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, &one, 8), 8);
}

/* NVMe with BAR0 programmed at address (decode still off). */
static void nvme_bar0_at(struct dp_vpci *v, uint64_t address)
{
	ck_assert_uint_eq(cw(v, 0x10, (uint32_t)address, 4), 0);
	ck_assert_uint_eq(cw(v, 0x14, (uint32_t)(address >> 32), 4), 0);
}

/* ================= creation ================= */

START_TEST(creation_checks_its_arguments_and_options)
{
	struct dp_vpci *v = (struct dp_vpci *)0x1;
	struct {
		struct dp_vpci_opts o;
		uint64_t tail;
	} big;
	struct dp_vpci_ops small_ops = *vm_ops;
	DP_OPTS(dp_vpci_opts, o, .ops = vm_ops);

	nvme_device(&fk[0]);
	ck_assert_int_eq(EXPECT_LOGGED(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL,
							   &o, NULL), "BUG"), -EINVAL);
	o.flags = 1u << 20;
	ck_assert_int_eq(EXPECT_LOGGED(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL,
							   &o, &v), ""), -EINVAL);
	o.flags = 0;
	o.sz = sizeof(size_t);
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, &o, &v)),
			 -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.tail = 1;
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, &big.o,
						   &v)), -E2BIG);
	o.sz = sizeof(o);
	small_ops.sz = sizeof(size_t);
	o.ops = &small_ops;
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, &o, &v)),
			 -EINVAL);
	ck_assert_ptr_eq(v, (struct dp_vpci *)0x1); /* out untouched on failure */
	/* An older caller's zero tail is fine. */
	big.tail = 0;
	ck_assert_int_eq(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, &big.o, &v), 0);
	vp[0] = v;
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(opts_may_be_null)
{
	nvme_device(&fk[0]);
	ck_assert_int_eq(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, NULL, &vp[0]), 0);
	ck_assert_uint_eq(cr(vp[0], 0x00, 4), 0xa808144d);
	ck_assert_uint_eq(cr(vp[0], 0x3c, 1), 0); /* no INTx: line 0 */
}
END_TEST

START_TEST(a_short_or_unreadable_config_space_fails_creation_with_eio)
{
	struct dp_vpci *v = NULL;
	int fds = dp_test_count_fds();

	nvme_device(&fk[0]);
	fk[0].reg[7].size = 32;
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, NULL, &v)),
			 -EIO);
	fk[0].reg[7].size = 4096;
	fk[0].cfg_fail = 1;
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, NULL, &v)),
			 -EIO);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(calls, "");
	ck_assert_int_eq(dp_test_count_fds(), fds);
}
END_TEST

START_TEST(creation_turns_the_devices_decode_and_bus_master_off)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(get16(fk[0].cfg + 4) & 0x7, 0);
	ck_assert_uint_eq(cr(vp[0], 0x04, 2), 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(a_failed_creation_with_intx_leaves_nothing_behind)
{
	struct dp_vpci *v = NULL;
	int fds = dp_test_count_fds();
	DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_INTX, .intx_gsi = 10,
		.ops = vm_ops, .opaque = &fk[0]);

	edu_device(&fk[0], 4);
	vm.fail_irqfd = -ENOSPC;
	ck_assert_int_eq(QUIET(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, NULL, &o, &v)),
			 -ENOSPC);
	ck_assert_ptr_null(v);
	ck_assert_int_lt(fk[0].efd[0][0], 0);     /* VFIO INTx off again */
	ck_assert_int_lt(fk[0].unmask_fd, 0);
	ck_assert_int_eq(dp_test_count_fds(), fds);
}
END_TEST

/* ================= config space ================= */

START_TEST(config_reads_of_every_width_and_alignment_match_bytewise_reads)
{
	static const uint32_t ranges[][2] = { { 0x00, 0xa0 }, { 0xf8, 0x1b8 }, { 0xff0, 0x1000 } };
	uint8_t ref[4096];

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	for (uint32_t i = 0; i < 4096; i++)
		ref[i] = (uint8_t)cr(vp[0], i, 1);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (uint32_t off = ranges[r][0]; off < ranges[r][1]; off++)
			for (size_t len = 1; len <= 4; len *= 2) {
				uint8_t buf[4] = { 0xee, 0xee, 0xee, 0xee };

				if (off + len > 4096)
					continue;
				ck_assert_int_eq(dp_vpci_config_read(vp[0], off, buf, len), 0);
				ck_assert_msg(!memcmp(buf, ref + off, len),
					      "read of %zu at %#x differs from bytewise", len, off);
			}
}
END_TEST

START_TEST(config_accesses_crossing_register_boundaries)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x02, 4), 0x0000a808);   /* device ID, command */
	ck_assert_uint_eq(cr(vp[0], 0x0f, 2), 0x0400);       /* BIST 0, BAR0's flags */
	ck_assert_uint_eq(cr(vp[0], 0x0e, 4), 0x00040000);   /* header type without 0x80 */
	/* Class byte (read-only) and cache line size (virtual) in one write. */
	cw(vp[0], 0x0b, 0x2099, 2);
	ck_assert_uint_eq(cr(vp[0], 0x0b, 1), 0x01);
	ck_assert_uint_eq(cr(vp[0], 0x0c, 1), 0x20);
	/* Latency timer and header type, then the first BAR byte. */
	cw(vp[0], 0x0d, 0xffffff40, 4);
	ck_assert_uint_eq(cr(vp[0], 0x0c, 4), 0x00004020);
	ck_assert_uint_eq(cr(vp[0], 0x10, 1), 0x04);
	ck_assert(!dp_fake_touched(&fk[0], 0x10, 0x28));
}
END_TEST

START_TEST(config_len_zero_is_fine_and_past_the_end_is_erange)
{
	uint32_t x = 0;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_int_eq(dp_vpci_config_read(vp[0], 0, NULL, 0), 0);
	ck_assert_int_eq(dp_vpci_config_read(vp[0], 0x1000, &x, 0), 0);
	ck_assert_int_eq(dp_vpci_config_write(vp[0], 0x1000, &x, 0, NULL), 0);
	ck_assert_int_eq(dp_vpci_config_read(vp[0], 0xffc, &x, 4), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_config_read(vp[0], 0xffe, &x, 4), NAME0),
			 -ERANGE);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_config_read(vp[0], 0x1000, &x, 1), NAME0),
			 -ERANGE);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_config_write(vp[0], 0xfff, &x, 2, NULL),
					    NAME0), -ERANGE);
	ck_assert_int_eq(QUIET(dp_vpci_config_read(vp[0], 0, NULL, 4)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_config_write(vp[0], 0, NULL, 4, NULL)), -EINVAL);
}
END_TEST

START_TEST(identity_registers_are_read_only)
{
	static const struct { uint32_t off, len, want; } regs[] = {
		{ 0x00, 4, 0xa808144d }, /* vendor, device */
		{ 0x08, 4, 0x01080201 }, /* revision, class */
		{ 0x0e, 1, 0x00 },       /* header type, multi-function bit cleared */
		{ 0x0f, 1, 0x00 },       /* BIST */
		{ 0x28, 4, 0x00000000 }, /* CIS */
		{ 0x2c, 4, 0xa801144d }, /* subsystem */
		{ 0x34, 1, 0x40 },       /* capability pointer */
		{ 0x38, 4, 0x00000000 },
		{ 0x3d, 1, 0x01 },       /* interrupt pin */
	};

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		ck_assert_msg(cr(vp[0], regs[i].off, regs[i].len) == regs[i].want,
			      "%#x reads %#x", regs[i].off, cr(vp[0], regs[i].off, regs[i].len));
		cw(vp[0], regs[i].off, 0xffffffff, regs[i].len);
		ck_assert_msg(cr(vp[0], regs[i].off, regs[i].len) == regs[i].want,
			      "%#x reads %#x after a write", regs[i].off,
			      cr(vp[0], regs[i].off, regs[i].len));
	}
}
END_TEST

START_TEST(the_status_capability_list_bit_is_virtual)
{
	nvme_device(&fk[0]);
	vgpu_device(&fk[1]);
	vp[0] = make(&fk[0], 0, 0, 0);
	vp[1] = make(&fk[1], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x06, 2), 0x0010);      /* a chain */
	ck_assert_uint_eq(cr(vp[1], 0x06, 2) & 0x10, 0);    /* no chain; the device said one */
	ck_assert_uint_eq(cr(vp[1], 0x34, 1), 0);
	/* Status writes (RW1C) reach the device. */
	memset(fk[0].touched, 0, sizeof(fk[0].touched));
	cw(vp[0], 0x06, 0xf900, 2);
	ck_assert(dp_fake_touched(&fk[0], 0x06, 0x08));
}
END_TEST

START_TEST(the_command_register_keeps_its_writable_bits_and_forwards_them)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0xffff, 2), 0); /* no BAR programmed: no change */
	ck_assert_uint_eq(cr(vp[0], 0x04, 2), 0x0547);
	ck_assert_uint_eq(get16(fk[0].cfg + 4), 0x0547);
	cw(vp[0], 0x04, 0x0400, 2);
	ck_assert_uint_eq(cr(vp[0], 0x04, 2), 0x0400);
	ck_assert_uint_eq(get16(fk[0].cfg + 4), 0x0400);   /* INTX_DISABLE reaches the device */
	cw(vp[0], 0x04, 0x0000, 2);
	ck_assert_uint_eq(get16(fk[0].cfg + 4), 0x0000);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(cache_line_latency_and_interrupt_line_are_read_write)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x0c, 0x4010, 2);
	cw(vp[0], 0x3c, 0x0b, 1);
	ck_assert_uint_eq(cr(vp[0], 0x0c, 2), 0x4010);
	ck_assert_uint_eq(cr(vp[0], 0x3c, 2), 0x010b);
}
END_TEST

/* ================= BAR sizing ================= */

START_TEST(bar_sizing_reads_back_the_size_mask)
{
	static const struct { uint32_t off, initial, sized; const char *what; } bars[] = {
		{ 0x10, 0x00000000, 0xfff00000, "32-bit memory 1 MiB" },
		{ 0x14, 0x00000001, 0xffffff01, "I/O 256" },
		{ 0x18, 0x0000000c, 0x0000000c, "64-bit prefetchable 8 GiB, low" },
		{ 0x1c, 0x00000000, 0xfffffffe, "64-bit prefetchable 8 GiB, high" },
		{ 0x20, 0x00000000, 0x00000000, "absent" },
		{ 0x24, 0x00000000, 0x00000000, "12 KiB: not a power of two, hidden" },
	};

	sizing_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	for (size_t i = 0; i < sizeof(bars) / sizeof(bars[0]); i++) {
		ck_assert_msg(cr(vp[0], bars[i].off, 4) == bars[i].initial, "%s reads %#x",
			      bars[i].what, cr(vp[0], bars[i].off, 4));
		ck_assert_uint_eq(cw(vp[0], bars[i].off, 0xffffffff, 4), 0);
		ck_assert_msg(cr(vp[0], bars[i].off, 4) == bars[i].sized, "%s sizes to %#x",
			      bars[i].what, cr(vp[0], bars[i].off, 4));
		cw(vp[0], bars[i].off, 0, 4);
		ck_assert_uint_eq(cr(vp[0], bars[i].off, 4), bars[i].initial);
	}
	ck_assert_msg(!dp_fake_touched(&fk[0], 0x10, 0x28), "a BAR write reached the device");
	ck_assert_uint_eq(bar_info(vp[0], 0).size, 1 * MiB);
	ck_assert_uint_eq(bar_info(vp[0], 0).flags, DP_VPCI_BAR_MEM);
	ck_assert_uint_eq(bar_info(vp[0], 1).flags, DP_VPCI_BAR_IO);
	ck_assert_uint_eq(bar_info(vp[0], 2).size, 8 * GiB);
	ck_assert_uint_eq(bar_info(vp[0], 2).flags,
			  DP_VPCI_BAR_MEM | DP_VPCI_BAR_64 | DP_VPCI_BAR_PREFETCH);
	ck_assert_uint_eq(bar_info(vp[0], 3).size, 0);
	ck_assert_uint_eq(bar_info(vp[0], 4).size, 0);
	ck_assert_uint_eq(bar_info(vp[0], 5).size, 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(a_bar_of_a_size_not_a_power_of_two_is_hidden_with_a_warning)
{
	sizing_device(&fk[0]);
	mark_log();
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_msg(warned_since_mark(NAME0), "no warning: %s", dp_test_log_all());
	cw(vp[0], 0x24, 0xfe000000, 4);
	ck_assert_uint_eq(cr(vp[0], 0x24, 4), 0);
}
END_TEST

START_TEST(a_bar_reads_back_its_address_without_the_bits_below_its_size)
{
	sizing_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x10, 0xfe0fffff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x10, 4), 0xfe000000);
	cw(vp[0], 0x14, 0x0000c0ff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x14, 4), 0x0000c001);
	cw(vp[0], 0x18, 0x80000000, 4);
	cw(vp[0], 0x1c, 0x00000003, 4);
	ck_assert_uint_eq(cr(vp[0], 0x18, 4), 0x0000000c); /* below 8 GiB: all size bits */
	ck_assert_uint_eq(cr(vp[0], 0x1c, 4), 0x00000002);
	ck_assert_uint_eq(bar_info(vp[0], 2).address, 0x200000000ULL);
	/* Byte writes build the address too. */
	cw(vp[0], 0x13, 0xfd, 1);
	ck_assert_uint_eq(cr(vp[0], 0x10, 4), 0xfd000000);
	ck_assert(!dp_fake_touched(&fk[0], 0x10, 0x28));
}
END_TEST

/* ================= capabilities ================= */

START_TEST(sriov_ari_and_rebar_are_hidden_by_default)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x100, 4), 0x15000000); /* ID 0, next: AER */
	ck_assert_uint_eq(cr(vp[0], 0x104, 4), 0);          /* SR-IOV's bytes */
	ck_assert_uint_eq(cr(vp[0], 0x13c, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0x140, 4), 0);          /* ARI */
	ck_assert_uint_eq(cr(vp[0], 0x144, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0x150, 4), 0x00020001); /* AER, ReBAR after it hidden */
	ck_assert_uint_eq(cr(vp[0], 0x154, 4), 0x11111111);
	ck_assert_uint_eq(cr(vp[0], 0x1a0, 4), 0);          /* ReBAR */
	ck_assert_uint_eq(cr(vp[0], 0x1a4, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0xffc, 4), 0);          /* the last one runs to the end */
	/* Writes to hidden bytes are dropped. */
	memset(fk[0].touched, 0, sizeof(fk[0].touched));
	cw(vp[0], 0x108, 0xffffffff, 4);
	cw(vp[0], 0x1a8, 0xffffffff, 4);
	ck_assert(!dp_fake_touched(&fk[0], 0x100, 0x150));
	ck_assert(!dp_fake_touched(&fk[0], 0x1a0, 0x1000));
}
END_TEST

START_TEST(show_caps_shows_the_hidden_extended_capabilities)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, DP_VPCI_CAP_SRIOV | DP_VPCI_CAP_ARI | DP_VPCI_CAP_REBAR, 0);
	ck_assert_uint_eq(cr(vp[0], 0x100, 4), 0x14010010);
	ck_assert_uint_eq(cr(vp[0], 0x104, 4), 0xa5a5a5a5);
	ck_assert_uint_eq(cr(vp[0], 0x140, 4), 0x1501000e);
	ck_assert_uint_eq(cr(vp[0], 0x150, 4), 0x1a020001);
	ck_assert_uint_eq(cr(vp[0], 0x1a0, 4), 0x00010015);
	ck_assert_uint_eq(cr(vp[0], 0x1a4, 4), 0x5a5a5a5a);
}
END_TEST

START_TEST(show_caps_shows_only_what_it_names)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, DP_VPCI_CAP_ARI, 0);
	ck_assert_uint_eq(cr(vp[0], 0x100, 4), 0x14000000); /* SR-IOV hidden, next: ARI */
	ck_assert_uint_eq(cr(vp[0], 0x140, 4), 0x1501000e);
	ck_assert_uint_eq(cr(vp[0], 0x150, 4), 0x00020001);
}
END_TEST

START_TEST(the_conventional_view_is_256_bytes_without_the_pcie_capability)
{
	uint32_t x;
	unsigned ptr, n = 0;

	nvme_device(&fk[0]);
	edu_device(&fk[1], 4);
	vp[0] = make(&fk[0], DP_VPCI_CONVENTIONAL, 0, 0);
	vp[1] = make(&fk[1], 0, 0, 0);
	ck_assert_int_eq(dp_vpci_config_read(vp[0], 0xfc, &x, 4), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_config_read(vp[0], 0x100, &x, 4), NAME0),
			 -ERANGE);
	for (ptr = cr(vp[0], 0x34, 1); ptr && n < 48; ptr = cr(vp[0], ptr + 1, 1), n++)
		ck_assert_uint_ne(cr(vp[0], ptr, 1), 0x10);
	ck_assert_uint_eq(n, 2); /* MSI-X, PM */
	ck_assert_uint_eq(cr(vp[0], 0x51, 1), 0);
	ck_assert_uint_eq(cr(vp[0], 0x60, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0x64, 4), 0);
	memset(fk[0].touched, 0, sizeof(fk[0].touched));
	cw(vp[0], 0x68, 0x8010, 2); /* hidden: dropped, no FLR */
	ck_assert(!dp_fake_touched(&fk[0], 0x60, 0x9c));
	ck_assert_int_lt(at("reset"), 0);
	/* A 256-byte device has a 256-byte view without asking. */
	ck_assert_int_eq(dp_vpci_config_read(vp[1], 0xfc, &x, 4), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_config_read(vp[1], 0x100, &x, 1), NAME1),
			 -ERANGE);
}
END_TEST

START_TEST(other_capability_bytes_pass_through_to_the_device)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x6c, 4), 0x6f6e6d6c);  /* PCIe link capabilities */
	memset(fk[0].touched, 0, sizeof(fk[0].touched));
	cw(vp[0], 0x158, 0x12345678, 4);                  /* AER */
	ck_assert(dp_fake_touched(&fk[0], 0x158, 0x15c));
	ck_assert_uint_eq(get32(fk[0].cfg + 0x158), 0x12345678);
	dp_fake_put32(&fk[0], 0x15c, 0xcafef00d);         /* the device changed it */
	ck_assert_uint_eq(cr(vp[0], 0x15c, 4), 0xcafef00d);
}
END_TEST

/* ================= BAR placement ================= */

START_TEST(an_enabled_bar_is_placed_without_the_msix_table_and_pba_pages)
{
	struct dp_vpci_bar_info info;
	uint64_t off = 1, size = 1;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	ck_assert_str_eq(calls, "");
	ck_assert_uint_eq(bar_info(vp[0], 0).n_traps, 0);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0006, 2), 1u << 0);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
	ck_assert_uint_eq(fk[0].map_align[0], 16 * KiB);
	info = bar_info(vp[0], 0);
	ck_assert_uint_eq(info.size, 16 * KiB);
	ck_assert_uint_eq(info.address, 0xfe000000);
	ck_assert_uint_eq(info.placed, 0xfe000000);
	ck_assert_uint_eq(info.flags, DP_VPCI_BAR_MEM | DP_VPCI_BAR_64 | DP_VPCI_BAR_ENABLED |
			  DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT);
	ck_assert_uint_eq(info.n_traps, 1);
	ck_assert_int_eq(dp_vpci_get_trap(vp[0], 0, 0, &off, &size), 0);
	ck_assert_uint_eq(off, 0x2000);
	ck_assert_uint_eq(size, 0x2000);
	ck_assert_int_ne(QUIET(dp_vpci_get_trap(vp[0], 0, 1, &off, &size)), 0);
	/* Other command bits change no decode. */
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0406, 2), 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(decode_off_unplaces_the_bar)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0000, 2), 1u << 0);
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;");
	ck_assert_uint_eq(bar_info(vp[0], 0).flags, DP_VPCI_BAR_MEM | DP_VPCI_BAR_64);
	ck_assert_uint_eq(bar_info(vp[0], 0).n_traps, 0);
	/* Decode is still on at the device: VFIO needs it for BAR access. */
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0002, 2), 1u << 0);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
}
END_TEST

START_TEST(a_moved_bar_is_unplaced_before_it_is_placed_again)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x10, 0xfd000000, 4), 1u << 0);
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;map 0xfd000000 0x2000 r0+0;");
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x14, 0x00000001, 4), 1u << 0);
	ck_assert_str_eq(calls, "unmap 0xfd000000 0x2000;map 0x1fd000000 0x2000 r0+0;");
	ck_assert_uint_eq(bar_info(vp[0], 0).placed, 0x1fd000000ULL);
	/* Rewriting the same address is no change. */
	calls[0] = '\0';
	ck_assert_uint_eq(cw(vp[0], 0x10, 0xfd000000, 4), 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(placement_over_the_msi_window_is_refused_with_a_warning)
{
	struct dp_vpci_bar_info info;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_bar0_at(vp[0], 0xfee00000);
	mark_log();
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_str_eq(calls, "");
	ck_assert_msg(warned_since_mark(NAME0), "no warning: %s", dp_test_log_all() + log_mark);
	ck_assert_uint_eq(cr(vp[0], 0x10, 4), 0xfee00004);
	info = bar_info(vp[0], 0);
	ck_assert_uint_eq(info.flags & (DP_VPCI_BAR_ENABLED | DP_VPCI_BAR_PLACED),
			  DP_VPCI_BAR_ENABLED);
	ck_assert_uint_eq(info.n_traps, 0);
	/* Refused again: no second warning for this BAR. */
	cw(vp[0], 0x04, 0x0000, 2);
	mark_log();
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_msg(!warned_since_mark(NAME0), "warned twice: %s", dp_test_log_all() + log_mark);
	/* Moved out of the window it is placed. */
	cw(vp[0], 0x10, 0xfe000000, 4);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
}
END_TEST

START_TEST(d3hot_removes_the_slots_and_d0_puts_them_back)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	calls[0] = '\0';
	cw(vp[0], 0x54, 0x0003, 2);
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;");
	ck_assert_uint_eq(get16(fk[0].cfg + 0x54) & 3, 3);
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, DP_VPCI_BAR_PLACED);
	ck_assert_uint_eq(bar_info(vp[0], 0).placed, 0xfe000000);
	calls[0] = '\0';
	cw(vp[0], 0x54, 0x0000, 2);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
	ck_assert_uint_eq(get16(fk[0].cfg + 0x54) & 3, 0);
}
END_TEST

START_TEST(sparse_mmap_areas_become_the_pieces)
{
	uint64_t off = 0, size = 0;

	vgpu_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x10, 0xe0000000, 4);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0002, 2), 1u << 0);
	ck_assert_str_eq(calls, "map 0xe0000000 0x800000 r0+0;map 0xe0900000 0x700000 r0+0x900000;");
	ck_assert_uint_eq(fk[0].map_align[0], 16 * MiB);
	ck_assert_uint_eq(bar_info(vp[0], 0).n_traps, 1);
	ck_assert_int_eq(dp_vpci_get_trap(vp[0], 0, 0, &off, &size), 0);
	ck_assert_uint_eq(off, 8 * MiB);
	ck_assert_uint_eq(size, 1 * MiB);
	/* The hole is reached through the device region. */
	bw(vp[0], 0, 8 * MiB + 0x10, 0x12345678);
	ck_assert_uint_eq(get32(fk[0].mem[0] + 8 * MiB + 0x10), 0x12345678);
	ck_assert_uint_eq(br(vp[0], 0, 8 * MiB + 0x10), 0x12345678);
}
END_TEST

START_TEST(io_bars_and_the_rom_are_placed_trapped_never_direct)
{
	uint64_t off = 1, size = 0;
	struct dp_vpci_bar_info info;
	uint32_t changed;

	edu_device(&fk[0], 1);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x14, 0xc000, 4);
	cw(vp[0], 0x30, 0xfebf0001, 4);
	changed = cw(vp[0], 0x04, 0x0003, 2);
	ck_assert_str_eq(calls, "");
	ck_assert_uint_eq(changed & ~(1u << DP_VPCI_ROM), 1u << 1);
	info = bar_info(vp[0], 1);
	ck_assert_uint_eq(info.flags, DP_VPCI_BAR_IO | DP_VPCI_BAR_ENABLED | DP_VPCI_BAR_PLACED);
	ck_assert_uint_eq(info.placed, 0xc000);
	ck_assert_uint_eq(info.n_traps, 1);
	ck_assert_int_eq(dp_vpci_get_trap(vp[0], 1, 0, &off, &size), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(size, 256);
	ck_assert_uint_eq(changed, (1u << 1) | (1u << DP_VPCI_ROM));
	info = bar_info(vp[0], DP_VPCI_ROM);
	ck_assert_uint_eq(info.flags & (DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT),
			  DP_VPCI_BAR_PLACED);
	ck_assert_uint_eq(info.size, 64 * KiB);
	ck_assert_uint_eq(info.n_traps, 1);
	ck_assert_int_eq(dp_vpci_get_trap(vp[0], DP_VPCI_ROM, 0, &off, &size), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(size, 64 * KiB);
}
END_TEST

static int dma_map(void *opaque, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	(void)opaque, (void)iova, (void)vaddr, (void)size;
	return 0;
}

static int dma_unmap(void *opaque, uint64_t iova, uint64_t size)
{
	(void)opaque, (void)iova, (void)size;
	return 0;
}

START_TEST(placement_over_guest_ram_mapped_for_dma_is_refused)
{
	static const struct dp_dma_ops dops = { dma_map, dma_unmap };
	static char ram[2 * 4096] __attribute__((aligned(4096)));
	struct dp_dma_seg seg = { 0xfe000000, (uintptr_t)ram, sizeof(ram) };
	DP_OPTS(dp_vpci_opts, o, .flags = 0, .ops = vm_ops, .opaque = &fk[0]);
	DP_OPTS(dp_vpci_opts, od, .flags = DP_VPCI_VMM_DECODES, .ops = vm_ops,
		.opaque = &fk[1]);
	struct dp_dma dma;

	nvme_device(&fk[0]);
	nvme_device(&fk[1]);
	fk[1].name = NAME1;
	ck_assert_int_eq(dp_dma_init(&dma, ctx, &dops, NULL, 4096), 0);
	ck_assert_int_eq(dp_dma_map_segs(&dma, &seg, 1), 0);
	ck_assert_int_eq(dp_vpci_new_backend(ctx, fake_ops, &fk[0], NULL, &dma, &o, &vp[0]), 0);
	ck_assert_int_eq(dp_vpci_new_backend(ctx, fake_ops, &fk[1], NULL, &dma, &od, &vp[1]), 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	mark_log();
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_str_eq(calls, "");
	ck_assert_msg(warned_since_mark(NAME0), "no warning: %s", dp_test_log_all() + log_mark);
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[1], 0, 0xfe000000)), -EINVAL);
	ck_assert_int_eq(dp_vpci_place_bar(vp[1], 0, 0xfe010000), 0);
	ck_assert_str_eq(calls, "map 0xfe010000 0x2000 r0+0;");
	vp[0] = dp_vpci_unref(vp[0]);
	vp[1] = dp_vpci_unref(vp[1]);
	ck_assert_int_eq(dp_dma_fini(&dma), 0);
}
END_TEST

START_TEST(bar_accesses_outside_msix_reach_the_device_region)
{
	uint8_t b[8];

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	bw(vp[0], 0, 0x100, 0xa1b2c3d4);
	ck_assert_uint_eq(get32(fk[0].mem[0] + 0x100), 0xa1b2c3d4);
	fk[0].mem[0][0x1000] = 0x5e;
	ck_assert_uint_eq(br(vp[0], 0, 0x1000) & 0xff, 0x5e);
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x3ffc, b, 4), 0);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], 0, 0x3ffc, b, 8)), -ERANGE);
	ck_assert_int_eq(QUIET(dp_vpci_bar_write(vp[0], 0, 0x4000, b, 1)), -ERANGE);
}
END_TEST

/* ================= VMM decodes ================= */

START_TEST(with_vmm_decodes_config_writes_report_changes_but_never_map)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0002, 2), 1u << 0);
	ck_assert_uint_eq(cw(vp[0], 0x10, 0xfd000000, 4), 1u << 0);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0000, 2), 1u << 0);
	ck_assert_str_eq(calls, "");
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
}
END_TEST

START_TEST(with_vmm_decodes_place_bar_and_unplace_bar_map_and_unmap)
{
	struct dp_vpci_bar_info info;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_int_eq(dp_vpci_place_bar(vp[0], 0, 0xfe000000), 0);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
	info = bar_info(vp[0], 0);
	ck_assert_uint_eq(info.flags & (DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT),
			  DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT);
	ck_assert_uint_eq(info.placed, 0xfe000000);
	calls[0] = '\0';
	ck_assert_int_eq(dp_vpci_place_bar(vp[0], 0, 0xc0000000), 0); /* elsewhere */
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;map 0xc0000000 0x2000 r0+0;");
	ck_assert_uint_eq(bar_info(vp[0], 0).placed, 0xc0000000);
	calls[0] = '\0';
	ck_assert_int_eq(dp_vpci_unplace_bar(vp[0], 0), 0);
	ck_assert_str_eq(calls, "unmap 0xc0000000 0x2000;");
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
	ck_assert_uint_eq(bar_info(vp[0], 0).n_traps, 0);
}
END_TEST

START_TEST(place_bar_refuses_missing_bars_upper_halves_and_the_msi_window)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], 1, 0xfe000000)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], 2, 0xfe000000)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], DP_VPCI_ROM, 0xfe000000)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], 7, 0xfe000000)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], 0, 0xfee00000)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_place_bar(vp[0], 0, 0xfeefc000)), -EINVAL);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(place_bar_without_vmm_decodes_is_einval)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_vpci_place_bar(vp[0], 0, 0xfe000000), "DECODES"),
			 -EINVAL);
	ck_assert_str_eq(calls, "");
}
END_TEST

/* ================= MSI ================= */

START_TEST(msi_enable_routes_each_vector_and_wires_vfio)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x44, 0xfee00000, 4);
	cw(vp[0], 0x48, 0, 4);
	cw(vp[0], 0x4c, 0x4123, 2);
	ck_assert_str_eq(calls, "");
	cw(vp[0], 0x42, 0x0021, 2); /* enable, MME 4 */
	ck_assert_str_eq(calls,
			 "route -1 0xfee00000 0x4120 =100;irqfd 100 e - 1;"
			 "route -1 0xfee00000 0x4121 =101;irqfd 101 e - 1;"
			 "route -1 0xfee00000 0x4122 =102;irqfd 102 e - 1;"
			 "route -1 0xfee00000 0x4123 =103;irqfd 103 e - 1;"
			 "set 1 0 4 [eeee];");
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(fk[0].efd[1][i], vm.irqfd[100 + i]);
	ck_assert_uint_eq(vm.last_devid, 0x18);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0x01a5);
}
END_TEST

START_TEST(msi_vectors_are_capped_by_the_vfio_count)
{
	edu_device(&fk[0], 1);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x44, 0xfee00000, 4);
	cw(vp[0], 0x4c, 0x4123, 2);
	cw(vp[0], 0x42, 0x0021, 2);
	ck_assert_str_eq(calls, "route -1 0xfee00000 0x4123 =100;irqfd 100 e - 1;set 1 0 1 [e];");
}
END_TEST

START_TEST(msi_registers_keep_their_read_only_bits)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x40, 4), 0x01840005);
	cw(vp[0], 0x42, 0x0000, 2);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0x0184);    /* 64-bit, masking, MMC stay */
	cw(vp[0], 0x42, 0x0030, 2);                       /* MME 8: capped at MMC 4 */
	ck_assert_uint_eq(cr(vp[0], 0x42, 2) & 0x70, 0x20);
	cw(vp[0], 0x44, 0xfee00003, 4);
	ck_assert_uint_eq(cr(vp[0], 0x44, 4), 0xfee00000);
	cw(vp[0], 0x48, 0x00000001, 4);
	ck_assert_uint_eq(cr(vp[0], 0x48, 4), 0x00000001);
	cw(vp[0], 0x4c, 0xdead4123, 4);
	ck_assert_uint_eq(cr(vp[0], 0x4c, 4), 0x00004123);
	cw(vp[0], 0x50, 0xffffffff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x50, 4), 0x0000000f);
	cw(vp[0], 0x54, 0xffffffff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x54, 4), 0);
	ck_assert(!dp_fake_touched(&fk[0], 0x40, 0x58));
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(msi_reprogramming_the_address_updates_the_routes)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x44, 0xfee00000, 4);
	cw(vp[0], 0x4c, 0x4120, 2);
	cw(vp[0], 0x42, 0x0021, 2);
	calls[0] = '\0';
	cw(vp[0], 0x44, 0xfee01000, 4);
	/* Only route updates of the existing GSIs, the last with the new address. */
	ck_assert_int_lt(at("route -1"), 0);
	ck_assert_int_lt(at("unroute"), 0);
	ck_assert_int_lt(at("irqfd"), 0);
	ck_assert_int_lt(at("set "), 0);
	for (unsigned i = 0; i < 4; i++) {
		char want[64];

		snprintf(want, sizeof(want), "route %u 0xfee01000 %#x;", 100 + i, 0x4120 + i);
		ck_assert_msg(at(want) >= 0, "no %s in %s", want, calls);
	}
	calls[0] = '\0';
	cw(vp[0], 0x4c, 0x4124, 2);
	ck_assert_int_ge(at("route 100 0xfee01000 0x4124;"), 0);
	ck_assert_int_ge(at("route 103 0xfee01000 0x4127;"), 0);
}
END_TEST

START_TEST(msi_per_vector_mask_unbinds_and_unmask_rebinds_the_irqfd)
{
	int efd1;

	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x50, 0x4, 4); /* vector 2 masked before enable */
	cw(vp[0], 0x44, 0xfee00000, 4);
	cw(vp[0], 0x4c, 0x4120, 2);
	cw(vp[0], 0x42, 0x0021, 2);
	ck_assert_str_eq(calls,
			 "route -1 0xfee00000 0x4120 =100;irqfd 100 e - 1;"
			 "route -1 0xfee00000 0x4121 =101;irqfd 101 e - 1;"
			 "route -1 0xfee00000 0x4122 =102;"
			 "route -1 0xfee00000 0x4123 =103;irqfd 103 e - 1;"
			 "set 1 0 4 [eeee];");
	efd1 = fk[0].efd[1][1];
	calls[0] = '\0';
	cw(vp[0], 0x50, 0x6, 4);
	ck_assert_str_eq(calls, "irqfd 101 e - 0;");
	/* An interrupt while masked is pending. */
	ck_assert_uint_eq(cr(vp[0], 0x54, 4), 0);
	fire(efd1);
	ck_assert_uint_eq(cr(vp[0], 0x54, 4), 0x2);
	calls[0] = '\0';
	cw(vp[0], 0x50, 0x4, 4);
	ck_assert_str_eq(calls, "irqfd 101 e - 1;");
	ck_assert_int_eq(vm.irqfd[101], efd1);
	ck_assert_uint_eq(cr(vp[0], 0x54, 4), 0);
	calls[0] = '\0';
	cw(vp[0], 0x50, 0x0, 4);
	ck_assert_str_eq(calls, "irqfd 102 e - 1;");
}
END_TEST

START_TEST(msi_disable_undoes_everything)
{
	int fds = dp_test_count_fds();

	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x44, 0xfee00000, 4);
	cw(vp[0], 0x4c, 0x4120, 2);
	cw(vp[0], 0x42, 0x0021, 2);
	ck_assert_int_eq(dp_test_count_fds(), fds + 4);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x0020, 2);
	ck_assert_msg(!strncmp(calls, "set 1 0 0;", 10), "VFIO MSI not off first: %s", calls);
	for (unsigned g = 100; g < 104; g++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "irqfd %u e - 0;", g);
		snprintf(b, sizeof(b), "unroute %u;", g);
		ck_assert_msg(at(a) > 0 && at(b) > at(a), "%u not undone in order: %s", g, calls);
	}
	ck_assert_int_eq(dp_test_count_fds(), fds);
	ck_assert_int_lt(fk[0].efd[1][0], 0);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0x01a4);
}
END_TEST

START_TEST(msi_outside_the_interrupt_window_is_not_routed)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x44, 0x12345000, 4);
	cw(vp[0], 0x4c, 0x4120, 2);
	mark_log();
	cw(vp[0], 0x42, 0x0001, 2);
	ck_assert_int_lt(at("route"), 0);
	ck_assert_int_lt(at("irqfd"), 0);
	ck_assert_msg(warned_since_mark(""), "no warning");
}
END_TEST

/* ================= MSI-X ================= */

START_TEST(msix_table_takes_aligned_4_and_8_byte_accesses_only)
{
	uint64_t q = 0x00000001fee00000ULL, r = 0;
	uint16_t h = 0;
	uint32_t x = 0;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(br(vp[0], 0, 0x2000 + 12), 1);        /* entries start masked */
	ck_assert_uint_eq(br(vp[0], 0, 0x2000 + 64 * 16 + 12), 1);
	ck_assert_uint_eq(br(vp[0], 0, 0x2000), 0);
	ck_assert_int_eq(dp_vpci_bar_write(vp[0], 0, 0x2010, &q, 8), 0);
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x2010, &r, 8), 0);
	ck_assert_uint_eq(r, q);
	ck_assert_uint_eq(br(vp[0], 0, 0x2014), 1);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], 0, 0x2000, &h, 2)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], 0, 0x2002, &x, 4)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_bar_write(vp[0], 0, 0x2004, &q, 8)), -EINVAL);
	ck_assert_uint_eq(br(vp[0], 0, 0x2010), 0xfee00000);
	ck_assert(fk[0].mem[0] == NULL || get32(fk[0].mem[0] + 0x2010) == 0); /* not the device's */
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(msix_pba_takes_aligned_4_and_8_byte_accesses_only)
{
	uint16_t h = 0;
	uint64_t q = 0;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x3008, &q, 8), 0);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], 0, 0x3000, &h, 2)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], 0, 0x3004, &q, 8)), -EINVAL);
}
END_TEST

START_TEST(msix_message_control_keeps_the_table_size_read_only)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x40, 4), 0x00405011);
	cw(vp[0], 0x42, 0x3fff, 2);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0x0040);
	cw(vp[0], 0x44, 0xffffffff, 4);
	cw(vp[0], 0x48, 0xffffffff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x44, 4), 0x00002000);
	ck_assert_uint_eq(cr(vp[0], 0x48, 4), 0x00003000);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(msix_first_unmask_routes_and_enables_vfio_with_count_1)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0x8040);
	/* MSI-X is on in the device at once, with vector 0 and no eventfd yet. */
	ck_assert_str_eq(calls, "set 2 0 1 [-];");
	calls[0] = '\0';
	msix_program(vp[0], 0, 0x41, false);
	ck_assert_str_eq(calls, "");
	bw(vp[0], 0, 0x2000 + 12, 0);
	ck_assert_str_eq(calls, "route -1 0xfee00000 0x41 =100;irqfd 100 e - 1;set 2 0 1 [e];");
	ck_assert_int_eq(fk[0].efd[2][0], vm.irqfd[100]);
	ck_assert_uint_eq(vm.last_devid, 0x18);
	/* A live vector's new data updates its route. */
	calls[0] = '\0';
	bw(vp[0], 0, 0x2008, 0x42);
	ck_assert_str_eq(calls, "route 100 0xfee00000 0x42;");
}
END_TEST

START_TEST(msix_noresize_reenables_vfio_with_the_larger_count_and_same_eventfds)
{
	int efd0;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	efd0 = fk[0].efd[2][0];
	drain(efd0);
	calls[0] = '\0';
	msix_program(vp[0], 3, 0x43, true);
	ck_assert_str_eq(calls, "route -1 0xfee00000 0x43 =101;irqfd 101 e - 1;"
			 "set 2 0 0;set 2 0 4 [e--e];");
	ck_assert_int_eq(fk[0].efd[2][0], efd0);
	ck_assert_int_eq(vm.irqfd[100], efd0);
	ck_assert_int_eq(fk[0].efd[2][3], vm.irqfd[101]);
	/* The live vector is signalled once, for what came while VFIO was off. */
	ck_assert(readable(efd0));
	/* A vector below the count is only wired (same count, no re-enable needed). */
	calls[0] = '\0';
	msix_program(vp[0], 1, 0x42, true);
	ck_assert_int_eq(at("route -1 0xfee00000 0x42 =102;irqfd 102 e - 1;"), 0);
	ck_assert_int_lt(at("set 2 0 0;"), 0);
	ck_assert_int_eq(fk[0].efd[2][1], vm.irqfd[102]);
}
END_TEST

START_TEST(msix_without_noresize_sets_the_new_vector_alone)
{
	nvme_device(&fk[0]);
	fk[0].irq[2].flags = DP_IRQ_EVENTFD;
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	ck_assert_str_eq(calls, "set 2 0 1 [-];route -1 0xfee00000 0x41 =100;irqfd 100 e - 1;set 2 0 1 [e];");
	calls[0] = '\0';
	msix_program(vp[0], 3, 0x43, true);
	ck_assert_str_eq(calls, "route -1 0xfee00000 0x43 =101;irqfd 101 e - 1;set 2 3 1 [e];");
}
END_TEST

START_TEST(msix_function_mask_unbinds_every_live_vector)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	msix_program(vp[0], 3, 0x43, true);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0xc000, 2);
	ck_assert_uint_eq(cr(vp[0], 0x42, 2), 0xc040);
	ck_assert_msg(at("irqfd 100 e - 0;") >= 0 && at("irqfd 101 e - 0;") >= 0, "%s", calls);
	ck_assert_int_lt(at("unroute"), 0);
	ck_assert_int_lt(at("set 2"), 0);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x8000, 2);
	ck_assert_msg(at("irqfd 100 e - 1;") >= 0 && at("irqfd 101 e - 1;") >= 0, "%s", calls);
	ck_assert_int_lt(at("route -1"), 0);
	ck_assert_int_lt(at("set 2"), 0);
}
END_TEST

START_TEST(msix_pba_reads_pending_for_a_masked_vector_whose_eventfd_fired)
{
	uint64_t pba = 1;
	int efd3;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	msix_program(vp[0], 3, 0x43, true);
	efd3 = fk[0].efd[2][3];
	drain(fk[0].efd[2][0]);
	drain(efd3);
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x3000, &pba, 8), 0);
	ck_assert_uint_eq(pba, 0);
	calls[0] = '\0';
	bw(vp[0], 0, 0x2030 + 12, 1);
	ck_assert_str_eq(calls, "irqfd 101 e - 0;");
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x3000, &pba, 8), 0);
	ck_assert_uint_eq(pba, 0);
	fire(efd3);
	ck_assert_int_eq(dp_vpci_bar_read(vp[0], 0, 0x3000, &pba, 8), 0);
	ck_assert_uint_eq(pba, 1u << 3);
	ck_assert_uint_eq(br(vp[0], 0, 0x3000), 1u << 3);
	ck_assert_uint_eq(br(vp[0], 0, 0x3008), 0);
	/* A live vector's fired eventfd is KVM's business, not pending. */
	fire(fk[0].efd[2][0]);
	ck_assert_uint_eq(br(vp[0], 0, 0x3000), 1u << 3);
	/* Unmasked again: bound, the eventfd untouched (KVM delivers on bind). */
	calls[0] = '\0';
	bw(vp[0], 0, 0x2030 + 12, 0);
	ck_assert_int_ge(at("irqfd 101 e - 1;"), 0);
	ck_assert_int_eq(vm.irqfd[101], efd3);
	ck_assert(readable(efd3));
	ck_assert_uint_eq(br(vp[0], 0, 0x3000), 0);
}
END_TEST

START_TEST(msix_disable_tears_everything_down)
{
	int fds = dp_test_count_fds();

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	msix_program(vp[0], 3, 0x43, true);
	ck_assert_int_eq(dp_test_count_fds(), fds + 2);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x0000, 2);
	ck_assert_msg(!strncmp(calls, "set 2 0 0;", 10), "VFIO MSI-X not off first: %s", calls);
	ck_assert_msg(at("irqfd 100 e - 0;") > 0 && at("unroute 100;") > at("irqfd 100 e - 0;"),
		      "%s", calls);
	ck_assert_msg(at("irqfd 101 e - 0;") > 0 && at("unroute 101;") > at("irqfd 101 e - 0;"),
		      "%s", calls);
	ck_assert_int_eq(dp_test_count_fds(), fds);
	/* The table keeps what the guest wrote. */
	ck_assert_uint_eq(br(vp[0], 0, 0x2008), 0x41);
	ck_assert_uint_eq(br(vp[0], 0, 0x200c), 0);
	/* Enabled again: wired anew. */
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x8000, 2);
	ck_assert_int_ge(at("route -1 0xfee00000 0x41 ="), 0);
	ck_assert_int_ge(at("set 2 0 4 [e--e];"), 0);
}
END_TEST

START_TEST(msix_vectors_outside_the_interrupt_window_are_not_routed)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	bw(vp[0], 0, 0x2000, 0x12345000);
	mark_log();
	bw(vp[0], 0, 0x200c, 0);
	ck_assert_int_lt(at("route"), 0);
	ck_assert_int_lt(at("irqfd"), 0);
	ck_assert_msg(warned_since_mark(""), "no warning");
}
END_TEST

START_TEST(msix_bad_accesses_and_bad_addresses_are_each_logged)
{
	uint16_t h = 0;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x42, 0x8000, 2);
	bw(vp[0], 0, 0x2000, 0x12345000);
	mark_log();
	bw(vp[0], 0, 0x200c, 0);
	ck_assert_msg(warned_since_mark(NAME0), "no warning");
	/* One message does not silence the other kind. */
	ck_assert_int_eq(EXPECT_LOGGED(dp_vpci_bar_read(vp[0], 0, 0x2000, &h, 2), NAME0), -EINVAL);
}
END_TEST

/* ================= INTx ================= */

START_TEST(intx_wires_trigger_and_resample_at_creation)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 0x10a);
	/* The three in any order (the spec lists them, it does not order them). */
	ck_assert_msg(strlen(calls) == strlen("set 0 0 1 [e];unmaskfd e;irqfd 266 e e 1;") &&
		      at("set 0 0 1 [e];") >= 0 && at("unmaskfd e;") >= 0 &&
		      at("irqfd 266 e e 1;") >= 0, "%s", calls);
	ck_assert_int_eq(vm.irqfd[266], fk[0].efd[0][0]);
	ck_assert_int_eq(vm.resample[266], fk[0].unmask_fd);
	ck_assert_int_ne(fk[0].efd[0][0], fk[0].unmask_fd);
	ck_assert_uint_eq(cr(vp[0], 0x3c, 2), 0x010a);
}
END_TEST

START_TEST(intx_is_not_wired_without_a_pin_or_vfio_intx)
{
	edu_device(&fk[0], 4);
	dp_fake_put8(&fk[0], 0x3d, 0);
	edu_device(&fk[1], 4);
	fk[1].irq[0].count = 0;
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 10);
	vp[1] = make(&fk[1], DP_VPCI_INTX, 0, 11);
	ck_assert_str_eq(calls, "");
	ck_assert_uint_eq(cr(vp[0], 0x3d, 1), 0);
	ck_assert_uint_eq(cr(vp[1], 0x3d, 1), 0); /* VFIO reports no INTx */
}
END_TEST

START_TEST(msi_enable_turns_vfio_intx_off_and_disable_turns_it_back_on)
{
	int trig, res;

	edu_device(&fk[0], 1);
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 10);
	trig = fk[0].efd[0][0];
	res = fk[0].unmask_fd;
	cw(vp[0], 0x44, 0xfee00000, 4);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x0001, 2);
	ck_assert_msg(at("set 0 0 0;") >= 0 && at("set 0 0 0;") < at("route -1"), "%s", calls);
	ck_assert_int_lt(at("irqfd 10 "), 0); /* the INTx irqfd stays */
	ck_assert(ends_with("set 1 0 1 [e];"));
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x0000, 2);
	ck_assert_msg(ends_with("set 0 0 1 [e];unmaskfd e;"), "%s", calls);
	ck_assert_int_eq(fk[0].efd[0][0], trig);
	ck_assert_int_eq(fk[0].unmask_fd, res);
	ck_assert_int_eq(vm.irqfd[10], trig);
}
END_TEST

START_TEST(msix_enable_turns_vfio_intx_off_and_disable_turns_it_back_on)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 10);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	ck_assert_msg(at("set 0 0 0;") >= 0 && at("set 0 0 0;") < at("set 2 0 1"), "%s", calls);
	calls[0] = '\0';
	cw(vp[0], 0x42, 0x0000, 2);
	ck_assert_msg(ends_with("set 0 0 1 [e];unmaskfd e;"), "%s", calls);
}
END_TEST

START_TEST(intx_eoi_unmasks_vfio_intx)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], DP_VPCI_INTX | DP_VPCI_INTX_EOI, 0, 10);
	ck_assert_msg(strlen(calls) == strlen("set 0 0 1 [e];irqfd 10 e - 1;") &&
		      at("set 0 0 1 [e];") >= 0 && at("irqfd 10 e - 1;") >= 0, "%s", calls);
	calls[0] = '\0';
	ck_assert_int_eq(dp_vpci_intx_eoi(vp[0]), 0);
	ck_assert_str_eq(calls, "unmask 0 0;");
}
END_TEST

START_TEST(intx_eoi_without_the_flag_is_einval)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 10);
	calls[0] = '\0';
	ck_assert_int_eq(QUIET(dp_vpci_intx_eoi(vp[0])), -EINVAL);
	ck_assert_str_eq(calls, "");
}
END_TEST

/* ================= ROM ================= */

START_TEST(rom_bar_sizing_and_enable_bit)
{
	edu_device(&fk[0], 4);
	nvme_device(&fk[1]);
	vp[0] = make(&fk[0], 0, 0, 0);
	vp[1] = make(&fk[1], 0, 0, 0);
	ck_assert_uint_eq(cr(vp[0], 0x30, 4), 0);
	ck_assert_uint_eq(cw(vp[0], 0x30, 0xffffffff, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0x30, 4), 0xffff0001);
	ck_assert_uint_eq(cw(vp[0], 0x30, 0xfebf0000, 4), 0);
	ck_assert_uint_eq(cr(vp[0], 0x30, 4), 0xfebf0000);
	ck_assert_uint_eq(cw(vp[0], 0x04, 0x0002, 2), 0); /* not enabled: no ROM decode */
	ck_assert_uint_eq(cw(vp[0], 0x30, 0xfebf0001, 4), 1u << DP_VPCI_ROM);
	ck_assert_uint_eq(bar_info(vp[0], DP_VPCI_ROM).flags & DP_VPCI_BAR_ENABLED,
			  DP_VPCI_BAR_ENABLED);
	ck_assert_uint_eq(cw(vp[0], 0x30, 0xfebf0000, 4), 1u << DP_VPCI_ROM);
	ck_assert_uint_eq(bar_info(vp[0], DP_VPCI_ROM).flags & DP_VPCI_BAR_ENABLED, 0);
	ck_assert(!dp_fake_touched(&fk[0], 0x30, 0x34));
	/* No ROM: reads 0. */
	cw(vp[1], 0x30, 0xffffffff, 4);
	ck_assert_uint_eq(cr(vp[1], 0x30, 4), 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

/* The guest reads the validated image the device gives, 0xff past it, and never writes it. */
START_TEST(rom_reads_serve_the_validated_image_then_0xff)
{
	static uint8_t image[1024];
	uint32_t x = 0;

	image[0] = 0x55;
	image[1] = 0xaa;
	image[1020] = 0x42;
	edu_device(&fk[0], 4);
	fk[0].rom_image = image;
	fk[0].rom_len = sizeof(image);
	vp[0] = make(&fk[0], 0, 0, 0);
	/* The region's own bytes are not what the guest sees. */
	ck_assert_ptr_nonnull(dp_fake_mem(&fk[0], 6, 0, 4));
	fk[0].mem[6][0] = 0x11;
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0) & 0xffff, 0xaa55);
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 1020), 0x42);
	/* Straddling the image's end, then past it: 0xff, as an erased ROM reads. */
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 1022), 0xffff0000);
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 1024), 0xffffffff);
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0xfffc), 0xffffffff);
	ck_assert_int_eq(QUIET(dp_vpci_bar_write(vp[0], DP_VPCI_ROM, 0, &x, 4)), -EACCES);
	ck_assert_uint_eq(image[0], 0x55);
	ck_assert_int_eq(QUIET(dp_vpci_bar_read(vp[0], DP_VPCI_ROM, 0x10000, &x, 4)), -ERANGE);
	/* The image is the device's (the vdev's): the function copies nothing. */
	image[1020] = 0x43;
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 1020), 0x43);
	ck_assert_str_eq(calls, "");
}
END_TEST

/* A missing or invalid ROM: the BAR stays (its size is the device's), and reads all 0xff. */
START_TEST(rom_without_a_valid_image_reads_0xff)
{
	edu_device(&fk[0], 4);
	ck_assert_ptr_nonnull(dp_fake_mem(&fk[0], 6, 0, 4));
	fk[0].mem[6][0] = 0x55; /* the region has a signature, the validator said no */
	fk[0].mem[6][1] = 0xaa;
	vp[0] = make(&fk[0], 0, 0, 0);
	cw(vp[0], 0x30, 0xffffffff, 4);
	ck_assert_uint_eq(cr(vp[0], 0x30, 4), 0xffff0001);
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0), 0xffffffff);
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0xfffc), 0xffffffff);
}
END_TEST

/* A ROM that could not be read is said once, at the start, and reads as empty. */
START_TEST(rom_that_cannot_be_read_is_warned_and_reads_0xff)
{
	edu_device(&fk[0], 4);
	fk[0].rom_err = -EIO;
	mark_log();
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert(warned_since_mark("the guest's ROM BAR reads as empty"));
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0), 0xffffffff);
}
END_TEST

/* An image larger than the BAR is not served: the guest could not address it whole. */
START_TEST(rom_image_larger_than_the_bar_is_not_served)
{
	static uint8_t image[128 * 1024];

	image[0] = 0x55;
	image[1] = 0xaa;
	edu_device(&fk[0], 4);
	fk[0].rom_image = image;
	fk[0].rom_len = sizeof(image);
	mark_log();
	vp[0] = make(&fk[0], 0, 0, 0);
	ck_assert(warned_since_mark("larger than the BAR"));
	ck_assert_uint_eq(br(vp[0], DP_VPCI_ROM, 0), 0xffffffff);
}
END_TEST

/* ================= reset ================= */

static uint32_t initial_cls; /* the cache line size the function started with */

/* NVMe with BAR0 placed, cache line set, and MSI-X vector 0 live. */
static void nvme_busy(struct dp_vpci *v)
{
	initial_cls = cr(v, 0x0c, 1);
	nvme_bar0_at(v, 0xfe000000);
	cw(v, 0x04, 0x0006, 2);
	cw(v, 0x0c, 0x20, 1);
	cw(v, 0x42, 0x8000, 2);
	msix_program(v, 0, 0x41, true);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;set 2 0 1 [-];"
			 "route -1 0xfee00000 0x41 =100;irqfd 100 e - 1;set 2 0 1 [e];");
	calls[0] = '\0';
}

static void assert_initial_view(struct dp_vpci *v, struct dp_fake_dev *d)
{
	ck_assert_uint_eq(cr(v, 0x04, 2), 0);
	ck_assert_uint_eq(cr(v, 0x0c, 1), initial_cls);
	ck_assert_uint_eq(cr(v, 0x10, 4), 0x00000004);
	ck_assert_uint_eq(cr(v, 0x14, 4), 0);
	ck_assert_uint_eq(cr(v, 0x42, 2), 0x0040);
	ck_assert_uint_eq(br(v, 0, 0x2000), 0);
	ck_assert_uint_eq(br(v, 0, 0x2008), 0);
	ck_assert_uint_eq(br(v, 0, 0x200c), 1);
	ck_assert_uint_eq(cr(v, 0x68, 2) & 0x8000, 0);
	ck_assert_uint_eq(bar_info(v, 0).flags, DP_VPCI_BAR_MEM | DP_VPCI_BAR_64);
	ck_assert_uint_eq(get16(d->cfg + 4) & 0x7, 0);
}

START_TEST(a_guest_flr_resets_the_device_and_the_virtual_state)
{
	int fds = dp_test_count_fds();

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_busy(vp[0]);
	memset(fk[0].touched, 0, sizeof(fk[0].touched));
	cw(vp[0], 0x68, 0x8010, 2);
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;set 2 0 0;irqfd 100 e - 0;unroute 100;"
			 "reset;");
	ck_assert_uint_eq(get16(fk[0].cfg + 0x68), 0x0010); /* the rest of the write */
	assert_initial_view(vp[0], &fk[0]);
	ck_assert_int_eq(dp_test_count_fds(), fds);
}
END_TEST

START_TEST(initiate_flr_without_flr_capability_does_not_reset)
{
	nvme_device(&fk[0]);
	dp_fake_put32(&fk[0], 0x64, 0x00008fc0); /* no FLR in DevCap */
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_busy(vp[0]);
	cw(vp[0], 0x68, 0x8010, 2);
	ck_assert_int_lt(at("reset"), 0);
	ck_assert_int_lt(at("unmap"), 0);
	ck_assert_uint_eq(cr(vp[0], 0x04, 2), 0x0006);
}
END_TEST

START_TEST(unref_removes_the_slots_before_anything_else)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_busy(vp[0]);
	vp[0] = dp_vpci_unref(vp[0]);
	ck_assert_msg(!strncmp(calls, "unmap 0xfe000000 0x2000;", 24), "%s", calls);
	ck_assert_int_ge(at("set 2 0 0;"), 0);
	ck_assert_int_ge(at("irqfd 100 e - 0;"), 0);
	ck_assert_int_ge(at("unroute 100;"), 0);
}
END_TEST

START_TEST(dp_vpci_reset_resets_the_device_and_the_virtual_state)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_busy(vp[0]);
	ck_assert_int_eq(dp_vpci_reset(vp[0]), 0);
	ck_assert_str_eq(calls, "unmap 0xfe000000 0x2000;set 2 0 0;irqfd 100 e - 0;unroute 100;"
			 "reset;");
	assert_initial_view(vp[0], &fk[0]);
	/* The guest starts over. */
	calls[0] = '\0';
	vm.next_gsi = 100;
	nvme_busy(vp[0]);
}
END_TEST

START_TEST(reset_without_a_device_reset_is_enotsup_but_resets_the_view)
{
	nvme_device(&fk[0]);
	fk[0].no_reset = 1;
	vp[0] = make(&fk[0], 0, 0, 0);
	nvme_busy(vp[0]);
	ck_assert_int_eq(EXPECT_LOGGED(dp_vpci_reset(vp[0]), NAME0), -ENOTSUP);
	assert_initial_view(vp[0], &fk[0]);
}
END_TEST

START_TEST(reset_rewires_intx_and_restores_the_interrupt_line)
{
	edu_device(&fk[0], 4);
	vp[0] = make(&fk[0], DP_VPCI_INTX, 0, 10);
	cw(vp[0], 0x3c, 0x05, 1);
	calls[0] = '\0';
	ck_assert_int_eq(dp_vpci_reset(vp[0]), 0);
	ck_assert_int_ge(at("reset;"), 0);
	ck_assert_uint_eq(cr(vp[0], 0x3c, 1), 10);
	ck_assert_int_ge(fk[0].efd[0][0], 0); /* wired after the reset */
	ck_assert_int_ge(fk[0].unmask_fd, 0);
	ck_assert_int_eq(vm.irqfd[10], fk[0].efd[0][0]);
}
END_TEST

/* ================= no VM ================= */

START_TEST(a_null_ops_member_without_kvm_fails_with_enotconn)
{
	DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_VMM_DECODES);

	nvme_device(&fk[0]);
	vp[0] = make_opts(&fk[0], &o);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_int_eq(EXPECT_LOGGED(dp_vpci_place_bar(vp[0], 0, 0xfe000000), NAME0),
			 -ENOTCONN);
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
}
END_TEST

START_TEST(ops_with_only_the_memory_callbacks_fail_msi_with_enotconn)
{
	static const struct dp_vpci_ops mem_only = {
		.sz = sizeof(struct dp_vpci_ops),
		.map_mem = dp_fake_vm_map_mem,
		.unmap_mem = dp_fake_vm_unmap_mem,
	};
	DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_VMM_DECODES, .ops = &mem_only,
		.opaque = &fk[0]);
	int r;

	nvme_device(&fk[0]);
	vp[0] = make_opts(&fk[0], &o);
	nvme_bar0_at(vp[0], 0xfe000000);
	cw(vp[0], 0x04, 0x0002, 2);
	ck_assert_int_eq(dp_vpci_place_bar(vp[0], 0, 0xfe000000), 0);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;");
	cw(vp[0], 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, false);
	/* The route cannot be made: the access fails with -ENOTCONN, logged. */
	r = EXPECT_LOGGED(dp_vpci_bar_write(vp[0], 0, 0x200c, &(uint32_t){ 0 }, 4), NAME0);
	ck_assert_int_eq(r, -ENOTCONN);
	ck_assert_str_eq(calls, "map 0xfe000000 0x2000 r0+0;set 2 0 1 [-];");
}
END_TEST

/* ================= the bus ================= */

#define ECAM 0xb0000000ULL

static void make_bus(uint32_t flags)
{
	DP_OPTS(dp_vbus_opts, o, .flags = flags, .bus_number = 0, .ecam_base = ECAM,
		.mmio_base = 0xc0000000, .mmio_size = 0x10000000,
		.mmio64_base = 0x800000000ULL, .mmio64_size = 0x100000000ULL,
		.io_base = 0xc000, .io_size = 0x1000);

	ck_assert_int_eq(dp_vbus_new(ctx, &o, &bus), 0);
}

/* NVMe at slot 3, edu at slot 4, the host bridge at 0. */
static void make_bus_with_two(void)
{
	nvme_device(&fk[0]);
	edu_device(&fk[1], 4);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	vp[1] = make(&fk[1], DP_VPCI_VMM_DECODES, 0, 0);
	make_bus(DP_VBUS_CF8 | DP_VBUS_HOST_BRIDGE);
	ck_assert_int_eq(dp_vbus_add(bus, 3, vp[0]), 0);
	ck_assert_int_eq(dp_vbus_add(bus, 4, vp[1]), 0);
}

static uint32_t cf8_read(uint32_t slot, uint32_t fn, uint32_t reg, uint16_t port, size_t len)
{
	uint32_t a = 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc), x = 0;

	ck_assert_int_eq(dp_vbus_pio(bus, 0xcf8, &a, 4, 1), 1);
	ck_assert_int_eq(dp_vbus_pio(bus, port, &x, len, 0), 1);
	return x;
}

static void cf8_write(uint32_t slot, uint32_t reg, uint32_t val, size_t len)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);

	ck_assert_int_eq(dp_vbus_pio(bus, 0xcf8, &a, 4, 1), 1);
	ck_assert_int_eq(dp_vbus_pio(bus, (uint16_t)(0xcfc + (reg & 3)), &val, len, 1), 1);
}

static uint64_t ecam_read(uint32_t slot, uint32_t fn, uint32_t reg, size_t len)
{
	uint64_t x = 0;

	ck_assert_int_eq(dp_vbus_mmio(bus, ECAM + (slot << 15 | fn << 12 | reg), &x, len, 0), 1);
	return x;
}

static void ecam_write(uint32_t slot, uint32_t reg, uint64_t val, size_t len)
{
	ck_assert_int_eq(dp_vbus_mmio(bus, ECAM + (slot << 15 | reg), &val, len, 1), 1);
}

START_TEST(vbus_new_checks_its_options)
{
	DP_OPTS(dp_vbus_opts, o, .flags = 1u << 20);
	struct dp_vbus *b = NULL;

	ck_assert_int_eq(QUIET(dp_vbus_new(ctx, NULL, &b)), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vbus_new(ctx, &o, &b)), -EINVAL);
	o.flags = 0;
	o.mmio_base = 0xffffffffffff0000ULL;
	o.mmio_size = 0x100000;
	ck_assert_int_eq(QUIET(dp_vbus_new(ctx, &o, &b)), -EINVAL);
	o.mmio_base = 0;
	o.mmio_size = 0;
	o.mmio64_base = 0xfffffffffff00000ULL;
	o.mmio64_size = 0x200000;
	ck_assert_int_eq(QUIET(dp_vbus_new(ctx, &o, &b)), -EINVAL);
	ck_assert_ptr_null(b);
	o.mmio64_base = 0;
	o.mmio64_size = 0;
	ck_assert_int_eq(dp_vbus_new(ctx, &o, &bus), 0);
}
END_TEST

START_TEST(vbus_add_refuses_taken_slots_non_decoding_functions_and_bad_slots)
{
	nvme_device(&fk[0]);
	edu_device(&fk[1], 4);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	vp[1] = make(&fk[1], 0, 0, 0);
	make_bus(DP_VBUS_CF8 | DP_VBUS_HOST_BRIDGE);
	ck_assert_int_eq(QUIET(dp_vbus_add(bus, 0, vp[0])), -EBUSY);
	ck_assert_int_eq(QUIET(dp_vbus_add(bus, 32, vp[0])), -EINVAL);
	ck_assert_int_eq(QUIET(dp_vbus_add(bus, 5, vp[1])), -EINVAL);
	ck_assert_int_eq(dp_vbus_add(bus, 31, vp[0]), 0);
	ck_assert_int_eq(QUIET(dp_vbus_add(bus, 31, vp[0])), -EBUSY);
	/* The bus holds a reference. */
	vp[0] = dp_vpci_unref(vp[0]);
	ck_assert_uint_eq(cf8_read(31, 0, 0, 0xcfc, 4), 0xa808144d);
}
END_TEST

START_TEST(vbus_slot_0_is_free_without_a_host_bridge)
{
	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	make_bus(DP_VBUS_CF8);
	ck_assert_int_eq(dp_vbus_add(bus, 0, vp[0]), 0);
	ck_assert_uint_eq(cf8_read(0, 0, 0, 0xcfc, 4), 0xa808144d);
}
END_TEST

START_TEST(vbus_cf8_reads_and_writes_config_space)
{
	uint32_t a;

	make_bus_with_two();
	ck_assert_uint_eq(cf8_read(3, 0, 0x00, 0xcfc, 4), 0xa808144d);
	ck_assert_uint_eq(cf8_read(3, 0, 0x00, 0xcfe, 2), 0xa808);
	ck_assert_uint_eq(cf8_read(3, 0, 0x00, 0xcfd, 1), 0x14);
	ck_assert_uint_eq(cf8_read(3, 0, 0x00, 0xcff, 1), 0xa8);
	ck_assert_uint_eq(cf8_read(3, 0, 0x08, 0xcfd, 2), 0x0802);
	ck_assert_uint_eq(cf8_read(4, 0, 0x00, 0xcfc, 4), 0x11e81234);
	ck_assert_uint_eq(cf8_read(4, 0, 0x3c, 0xcfd, 1), 0x01);
	/* The extended register bits 27:24 are ignored. */
	a = 0x80000000u | 0x0f000000u | 3u << 11 | 0x08;
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcf8, &a, 4, 1), 1);
	a = 0;
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcfc, &a, 4, 0), 1);
	ck_assert_uint_eq(a, 0x01080201);
	/* Writes of each width. */
	cf8_write(3, 0x0c, 0x10, 1);
	cf8_write(3, 0x0d, 0x20, 1);
	ck_assert_uint_eq(cr(vp[0], 0x0c, 2), 0x2010);
	cf8_write(3, 0x3c, 0x0b, 2);
	ck_assert_uint_eq(cr(vp[0], 0x3c, 1), 0x0b);
	cf8_write(3, 0x10, 0xffffffff, 4);
	ck_assert_uint_eq(cf8_read(3, 0, 0x10, 0xcfc, 4), 0xffffc004);
	ck_assert(!dp_fake_touched(&fk[0], 0x10, 0x28));
}
END_TEST

START_TEST(vbus_ecam_reads_and_writes_config_space)
{
	make_bus_with_two();
	ck_assert_uint_eq(ecam_read(3, 0, 0x00, 4), 0xa808144d);
	ck_assert_uint_eq(ecam_read(3, 0, 0x02, 2), 0xa808);
	ck_assert_uint_eq(ecam_read(3, 0, 0x0b, 1), 0x01);
	ck_assert_uint_eq(ecam_read(3, 0, 0x00, 8), 0x00100000a808144dULL);
	ck_assert_uint_eq(ecam_read(3, 0, 0x150, 4), 0x00020001); /* extended */
	ck_assert_uint_eq(ecam_read(4, 0, 0x00, 4), 0x11e81234);
	ck_assert_uint_eq(ecam_read(4, 0, 0x100, 4), 0xffffffff); /* past a 256-byte function */
	ecam_write(3, 0x0c, 0x4010, 2);
	ck_assert_uint_eq(cr(vp[0], 0x0c, 2), 0x4010);
	ecam_write(4, 0x3c, 0x0c, 1);
	ck_assert_uint_eq(cr(vp[1], 0x3c, 1), 0x0c);
	ecam_write(3, 0x10, 0xffffffffffffffffULL, 8);
	ck_assert_uint_eq(ecam_read(3, 0, 0x10, 8), 0xffffffffffffc004ULL);
}
END_TEST

START_TEST(vbus_absent_slots_and_functions_read_all_ones)
{
	uint32_t a = 0x80000000u | 1u << 16 | 3u << 11, x = 0;

	make_bus_with_two();
	ck_assert_uint_eq(cf8_read(5, 0, 0, 0xcfc, 4), 0xffffffff);
	ck_assert_uint_eq(cf8_read(3, 1, 0, 0xcfc, 4), 0xffffffff);
	ck_assert_uint_eq(cf8_read(5, 0, 0, 0xcfe, 2), 0xffff);
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcf8, &a, 4, 1), 1); /* bus 1 */
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcfc, &x, 4, 0), 1);
	ck_assert_uint_eq(x, 0xffffffff);
	ck_assert_uint_eq(ecam_read(5, 0, 0, 4), 0xffffffff);
	ck_assert_uint_eq(ecam_read(3, 2, 0, 4), 0xffffffff);
	ck_assert_uint_eq(ecam_read(31, 7, 0xffc, 4), 0xffffffff);
	/* Writes there go nowhere. */
	ecam_write(5, 0x0c, 0x10, 1);
	ck_assert_uint_eq(ecam_read(5, 0, 0x0c, 1), 0xff);
}
END_TEST

START_TEST(vbus_host_bridge_ids)
{
	make_bus_with_two();
	ck_assert_uint_eq(cf8_read(0, 0, 0x00, 0xcfc, 4), 0x00081b36);
	ck_assert_uint_eq(cf8_read(0, 0, 0x08, 0xcfc, 4), 0x06000000);
	ck_assert_uint_eq(cf8_read(0, 0, 0x0c, 0xcfc, 4), 0x00000000);
	ck_assert_uint_eq(ecam_read(0, 0, 0x10, 4), 0);
	ck_assert_uint_eq(ecam_read(0, 0, 0x34, 4), 0);
	ecam_write(0, 0x04, 0x0007, 2);
	ck_assert_uint_eq(ecam_read(0, 0, 0x04, 4), 0);
	ck_assert_uint_eq(ecam_read(0, 0, 0x00, 4), 0x00081b36);
}
END_TEST

START_TEST(vbus_places_bars_inside_its_windows)
{
	make_bus_with_two();
	ecam_write(3, 0x10, 0xc0000000, 4);
	ecam_write(3, 0x14, 0, 4);
	ck_assert_str_eq(calls, "");
	ecam_write(3, 0x04, 0x0002, 2);
	ck_assert_str_eq(calls, "map 0xc0000000 0x2000 r0+0;");
	ck_assert_uint_eq(bar_info(vp[0], 0).placed, 0xc0000000);
	/* Into the 64-bit window. */
	calls[0] = '\0';
	ecam_write(3, 0x14, 0x8, 4);
	ck_assert_str_eq(calls, "unmap 0xc0000000 0x2000;map 0x8c0000000 0x2000 r0+0;");
	calls[0] = '\0';
	ecam_write(3, 0x04, 0x0000, 2);
	ck_assert_str_eq(calls, "unmap 0x8c0000000 0x2000;");
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
}
END_TEST

START_TEST(vbus_refuses_bars_outside_its_windows_or_overlapping)
{
	make_bus_with_two();
	ecam_write(3, 0x10, 0xa0000000, 4);
	mark_log();
	ecam_write(3, 0x04, 0x0002, 2);
	ck_assert_str_eq(calls, "");
	ck_assert_msg(warned_since_mark(""), "no warning");
	ck_assert_uint_eq(bar_info(vp[0], 0).flags & DP_VPCI_BAR_PLACED, 0);
	ecam_write(3, 0x10, 0xc0000000, 4);
	ck_assert_str_eq(calls, "map 0xc0000000 0x2000 r0+0;");
	/* edu's 1 MiB BAR0 over NVMe's */
	calls[0] = '\0';
	ecam_write(4, 0x10, 0xc0000000, 4);
	mark_log();
	ecam_write(4, 0x04, 0x0002, 2);
	ck_assert_str_eq(calls, "");
	ck_assert_msg(warned_since_mark(""), "no warning");
	ck_assert_uint_eq(bar_info(vp[1], 0).flags & DP_VPCI_BAR_PLACED, 0);
	ecam_write(4, 0x10, 0xc0100000, 4);
	ck_assert_str_eq(calls, "map 0xc0100000 0x100000 r0+0;");
	/* Up to the window's end, then past it. */
	calls[0] = '\0';
	mark_log();
	ecam_write(4, 0x10, 0xcff00000, 4);
	ck_assert_str_eq(calls, "unmap 0xc0100000 0x100000;map 0xcff00000 0x100000 r0+0;");
	ecam_write(4, 0x10, 0xd0000000, 4);
	ck_assert_int_ge(at("unmap 0xcff00000 0x100000;"), 0);
	ck_assert_int_lt(at("map 0xd0000000"), 0);
}
END_TEST

START_TEST(vbus_mmio_routes_to_the_function_and_ignores_foreign_addresses)
{
	uint32_t x = 0;
	uint16_t h = 0;

	make_bus_with_two();
	ecam_write(3, 0x10, 0xc0000000, 4);
	ecam_write(3, 0x04, 0x0002, 2);
	ecam_write(4, 0x10, 0xc0100000, 4);
	ecam_write(4, 0x04, 0x0002, 2);
	ck_assert_ptr_nonnull(dp_fake_mem(&fk[0], 0, 0, 4));
	ck_assert_ptr_nonnull(dp_fake_mem(&fk[1], 0, 0, 4));
	memcpy(fk[0].mem[0] + 0x100, &(uint32_t){ 0x11112222 }, 4);
	memcpy(fk[1].mem[0] + 0x100, &(uint32_t){ 0x33334444 }, 4);
	ck_assert_int_eq(dp_vbus_mmio(bus, 0xc0000100, &x, 4, 0), 1);
	ck_assert_uint_eq(x, 0x11112222);
	ck_assert_int_eq(dp_vbus_mmio(bus, 0xc0100100, &x, 4, 0), 1);
	ck_assert_uint_eq(x, 0x33334444);
	x = 0x55667788;
	ck_assert_int_eq(dp_vbus_mmio(bus, 0xc0100200, &x, 4, 1), 1);
	ck_assert_uint_eq(get32(fk[1].mem[0] + 0x200), 0x55667788);
	/* The MSI-X table through the bus. */
	ck_assert_int_eq(dp_vbus_mmio(bus, 0xc000200c, &x, 4, 0), 1);
	ck_assert_uint_eq(x, 1);
	/* Not the bus's. */
	ck_assert_int_eq(dp_vbus_mmio(bus, 0x1000, &x, 4, 0), 0);
	ck_assert_int_eq(dp_vbus_mmio(bus, 0xc0004000, &x, 4, 0), 0);
	ck_assert_int_eq(dp_vbus_mmio(bus, ECAM + (1u << 20) + 0x100000, &x, 4, 0), 0);
	/* A function's failure comes back, the read filled with 0xff. */
	ck_assert_int_eq(QUIET(dp_vbus_mmio(bus, 0xc0002000, &h, 2, 0)), -EINVAL);
	ck_assert_uint_eq(h, 0xffff);
}
END_TEST

START_TEST(vbus_pio_reaches_io_bars)
{
	uint32_t x = 0;

	make_bus_with_two();
	ck_assert_ptr_nonnull(dp_fake_mem(&fk[1], 1, 0, 4));
	memcpy(fk[1].mem[1] + 4, &(uint32_t){ 0xabcd1234 }, 4);
	cf8_write(4, 0x14, 0xc000, 4);
	cf8_write(4, 0x04, 0x0001, 2);
	ck_assert_uint_eq(bar_info(vp[1], 1).flags & DP_VPCI_BAR_PLACED, DP_VPCI_BAR_PLACED);
	ck_assert_int_eq(dp_vbus_pio(bus, 0xc004, &x, 4, 0), 1);
	ck_assert_uint_eq(x, 0xabcd1234);
	x = 0x99;
	ck_assert_int_eq(dp_vbus_pio(bus, 0xc010, &x, 1, 1), 1);
	ck_assert_uint_eq(fk[1].mem[1][0x10], 0x99);
	ck_assert_int_eq(dp_vbus_pio(bus, 0xc100, &x, 4, 0), 0);
	ck_assert_int_eq(dp_vbus_pio(bus, 0x60, &x, 1, 0), 0);
	ck_assert_str_eq(calls, "");
}
END_TEST

START_TEST(vbus_pio_ignores_cf8_without_the_flag)
{
	uint32_t a = 0x80000000u;

	nvme_device(&fk[0]);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES, 0, 0);
	make_bus(0);
	ck_assert_int_eq(dp_vbus_add(bus, 1, vp[0]), 0);
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcf8, &a, 4, 1), 0);
	ck_assert_int_eq(dp_vbus_pio(bus, 0xcfc, &a, 4, 0), 0);
	ck_assert_uint_eq(ecam_read(1, 0, 0, 4), 0xa808144d);
	ck_assert_uint_eq(ecam_read(0, 0, 0, 4), 0xffffffff); /* no host bridge */
}
END_TEST

START_TEST(vbus_reset_resets_every_function)
{
	uint32_t cls0, cls1;

	make_bus_with_two();
	cls0 = cr(vp[0], 0x0c, 1);
	cls1 = cr(vp[1], 0x0c, 1);
	ecam_write(3, 0x0c, 0x20, 1);
	ecam_write(4, 0x0c, 0x20, 1);
	fk[0].no_reset = 1;
	ck_assert_int_eq(EXPECT_LOGGED(dp_vbus_reset(bus), NAME0), -ENOTSUP);
	ck_assert_str_eq(calls, "reset;reset;");
	ck_assert_uint_eq(cr(vp[0], 0x0c, 1), cls0);
	ck_assert_uint_eq(cr(vp[1], 0x0c, 1), cls1);
	fk[0].no_reset = 0;
	calls[0] = '\0';
	ck_assert_int_eq(dp_vbus_reset(bus), 0);
	ck_assert_str_eq(calls, "reset;reset;");
}
END_TEST

/* ================= fd hygiene ================= */

START_TEST(unref_leaves_no_fds_routes_irqfds_or_mappings)
{
	int before = dp_test_count_fds();

	nvme_device(&fk[0]);
	edu_device(&fk[1], 4);
	vp[0] = make(&fk[0], DP_VPCI_VMM_DECODES | DP_VPCI_INTX, 0, 10);
	vp[1] = make(&fk[1], DP_VPCI_VMM_DECODES | DP_VPCI_INTX, 0, 11);
	make_bus(DP_VBUS_CF8 | DP_VBUS_HOST_BRIDGE);
	ck_assert_int_eq(dp_vbus_add(bus, 3, vp[0]), 0);
	ck_assert_int_eq(dp_vbus_add(bus, 4, vp[1]), 0);
	ecam_write(3, 0x10, 0xc0000000, 4);
	ecam_write(3, 0x04, 0x0002, 2);
	ecam_write(3, 0x42, 0x8000, 2);
	msix_program(vp[0], 0, 0x41, true);
	msix_program(vp[0], 3, 0x43, true);
	ecam_write(4, 0x44, 0xfee00000, 4);
	ecam_write(4, 0x42, 0x0021, 2);
	ck_assert_int_gt(dp_test_count_fds(), before + 6);
	bus = dp_vbus_unref(bus);
	ck_assert_ptr_null(dp_vpci_unref(vp[0]));
	ck_assert_ptr_null(dp_vpci_unref(vp[1]));
	vp[0] = vp[1] = NULL;
	ck_assert_int_eq(dp_test_count_fds(), before);
	ck_assert_ptr_null(dp_vpci_unref(NULL));
	ck_assert_ptr_null(dp_vbus_unref(NULL));
	/* teardown checks the VM and VFIO sides */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vpci");
	TCase *tc = tcase_create("vpci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, creation_checks_its_arguments_and_options);
	tcase_add_test(tc, opts_may_be_null);
	tcase_add_test(tc, a_short_or_unreadable_config_space_fails_creation_with_eio);
	tcase_add_test(tc, creation_turns_the_devices_decode_and_bus_master_off);
	tcase_add_test(tc, a_failed_creation_with_intx_leaves_nothing_behind);
	tcase_add_test(tc, config_reads_of_every_width_and_alignment_match_bytewise_reads);
	tcase_add_test(tc, config_accesses_crossing_register_boundaries);
	tcase_add_test(tc, config_len_zero_is_fine_and_past_the_end_is_erange);
	tcase_add_test(tc, identity_registers_are_read_only);
	tcase_add_test(tc, the_status_capability_list_bit_is_virtual);
	tcase_add_test(tc, the_command_register_keeps_its_writable_bits_and_forwards_them);
	tcase_add_test(tc, cache_line_latency_and_interrupt_line_are_read_write);
	tcase_add_test(tc, bar_sizing_reads_back_the_size_mask);
	tcase_add_test(tc, a_bar_of_a_size_not_a_power_of_two_is_hidden_with_a_warning);
	tcase_add_test(tc, a_bar_reads_back_its_address_without_the_bits_below_its_size);
	tcase_add_test(tc, sriov_ari_and_rebar_are_hidden_by_default);
	tcase_add_test(tc, show_caps_shows_the_hidden_extended_capabilities);
	tcase_add_test(tc, show_caps_shows_only_what_it_names);
	tcase_add_test(tc, the_conventional_view_is_256_bytes_without_the_pcie_capability);
	tcase_add_test(tc, other_capability_bytes_pass_through_to_the_device);
	tcase_add_test(tc, an_enabled_bar_is_placed_without_the_msix_table_and_pba_pages);
	tcase_add_test(tc, decode_off_unplaces_the_bar);
	tcase_add_test(tc, a_moved_bar_is_unplaced_before_it_is_placed_again);
	tcase_add_test(tc, placement_over_the_msi_window_is_refused_with_a_warning);
	tcase_add_test(tc, d3hot_removes_the_slots_and_d0_puts_them_back);
	tcase_add_test(tc, sparse_mmap_areas_become_the_pieces);
	tcase_add_test(tc, io_bars_and_the_rom_are_placed_trapped_never_direct);
	tcase_add_test(tc, placement_over_guest_ram_mapped_for_dma_is_refused);
	tcase_add_test(tc, bar_accesses_outside_msix_reach_the_device_region);
	tcase_add_test(tc, with_vmm_decodes_config_writes_report_changes_but_never_map);
	tcase_add_test(tc, with_vmm_decodes_place_bar_and_unplace_bar_map_and_unmap);
	tcase_add_test(tc, place_bar_refuses_missing_bars_upper_halves_and_the_msi_window);
	tcase_add_test(tc, place_bar_without_vmm_decodes_is_einval);
	tcase_add_test(tc, msi_enable_routes_each_vector_and_wires_vfio);
	tcase_add_test(tc, msi_vectors_are_capped_by_the_vfio_count);
	tcase_add_test(tc, msi_registers_keep_their_read_only_bits);
	tcase_add_test(tc, msi_reprogramming_the_address_updates_the_routes);
	tcase_add_test(tc, msi_per_vector_mask_unbinds_and_unmask_rebinds_the_irqfd);
	tcase_add_test(tc, msi_disable_undoes_everything);
	tcase_add_test(tc, msi_outside_the_interrupt_window_is_not_routed);
	tcase_add_test(tc, msix_table_takes_aligned_4_and_8_byte_accesses_only);
	tcase_add_test(tc, msix_pba_takes_aligned_4_and_8_byte_accesses_only);
	tcase_add_test(tc, msix_message_control_keeps_the_table_size_read_only);
	tcase_add_test(tc, msix_first_unmask_routes_and_enables_vfio_with_count_1);
	tcase_add_test(tc, msix_noresize_reenables_vfio_with_the_larger_count_and_same_eventfds);
	tcase_add_test(tc, msix_without_noresize_sets_the_new_vector_alone);
	tcase_add_test(tc, msix_function_mask_unbinds_every_live_vector);
	tcase_add_test(tc, msix_pba_reads_pending_for_a_masked_vector_whose_eventfd_fired);
	tcase_add_test(tc, msix_disable_tears_everything_down);
	tcase_add_test(tc, msix_vectors_outside_the_interrupt_window_are_not_routed);
	tcase_add_test(tc, msix_bad_accesses_and_bad_addresses_are_each_logged);
	tcase_add_test(tc, intx_wires_trigger_and_resample_at_creation);
	tcase_add_test(tc, intx_is_not_wired_without_a_pin_or_vfio_intx);
	tcase_add_test(tc, msi_enable_turns_vfio_intx_off_and_disable_turns_it_back_on);
	tcase_add_test(tc, msix_enable_turns_vfio_intx_off_and_disable_turns_it_back_on);
	tcase_add_test(tc, intx_eoi_unmasks_vfio_intx);
	tcase_add_test(tc, intx_eoi_without_the_flag_is_einval);
	tcase_add_test(tc, rom_bar_sizing_and_enable_bit);
	tcase_add_test(tc, rom_reads_serve_the_validated_image_then_0xff);
	tcase_add_test(tc, rom_without_a_valid_image_reads_0xff);
	tcase_add_test(tc, rom_that_cannot_be_read_is_warned_and_reads_0xff);
	tcase_add_test(tc, rom_image_larger_than_the_bar_is_not_served);
	tcase_add_test(tc, a_guest_flr_resets_the_device_and_the_virtual_state);
	tcase_add_test(tc, initiate_flr_without_flr_capability_does_not_reset);
	tcase_add_test(tc, unref_removes_the_slots_before_anything_else);
	tcase_add_test(tc, dp_vpci_reset_resets_the_device_and_the_virtual_state);
	tcase_add_test(tc, reset_without_a_device_reset_is_enotsup_but_resets_the_view);
	tcase_add_test(tc, reset_rewires_intx_and_restores_the_interrupt_line);
	tcase_add_test(tc, a_null_ops_member_without_kvm_fails_with_enotconn);
	tcase_add_test(tc, ops_with_only_the_memory_callbacks_fail_msi_with_enotconn);
	tcase_add_test(tc, vbus_new_checks_its_options);
	tcase_add_test(tc, vbus_add_refuses_taken_slots_non_decoding_functions_and_bad_slots);
	tcase_add_test(tc, vbus_slot_0_is_free_without_a_host_bridge);
	tcase_add_test(tc, vbus_cf8_reads_and_writes_config_space);
	tcase_add_test(tc, vbus_ecam_reads_and_writes_config_space);
	tcase_add_test(tc, vbus_absent_slots_and_functions_read_all_ones);
	tcase_add_test(tc, vbus_host_bridge_ids);
	tcase_add_test(tc, vbus_places_bars_inside_its_windows);
	tcase_add_test(tc, vbus_refuses_bars_outside_its_windows_or_overlapping);
	tcase_add_test(tc, vbus_mmio_routes_to_the_function_and_ignores_foreign_addresses);
	tcase_add_test(tc, vbus_pio_reaches_io_bars);
	tcase_add_test(tc, vbus_pio_ignores_cf8_without_the_flag);
	tcase_add_test(tc, vbus_reset_resets_every_function);
	tcase_add_test(tc, unref_leaves_no_fds_routes_irqfds_or_mappings);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
