/* SPDX-License-Identifier: MIT */
/*
 * MSI-X delivery through the guest-facing function (dp_vpci) on this
 * machine's /dev/kvm, from "the device signals its eventfd" (a write of 1,
 * standing in for VFIO) to "the vector is pending in the vCPU's LAPIC IRR":
 * (a) the layer: a dp_vpci over a fake device backend, on the library's own
 * KVM routing (struct dp_kvm), driven as a guest would through the public
 * calls only (MSI-X enabled in message control, table entry 0 programmed
 * and unmasked through BAR0); the device signals the eventfd the layer
 * handed to "VFIO" (the fake's set_irq_eventfds) for vector 0; (b) the
 * relay, a VMM thread blocked in poll() that wakes, reads its eventfd and
 * calls KVM_SIGNAL_MSI. The time is taken when the kernel delivered the
 * vector (the layer: the eventfd write returning, since irqfd injects an MSI
 * inside it; the relay: its KVM_SIGNAL_MSI returning), and checked with
 * KVM_GET_LAPIC, which then clears the bit with KVM_SET_LAPIC; the time until
 * that ioctl shows the bit is printed too ("-seen"), though its own cost
 * (~10 us on this paravirtual KVM) is a floor under both sides there.
 * Both in one run, alternating, REPS each; prints medians, p99s and their
 * ratios, never asserts a time; fails only when a vector does not arrive
 * within a second (or the setup fails); skips when /dev/kvm is missing or
 * cannot make a VM with an in-kernel irqchip, irqfd and MSI routing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "fakevpci.h"
#include "irqbench.h"
#include "vpci.h"

#define NAME "vpci-msix-irq"
#define REPS 1001
#define VEC_LAYER 0x41
#define VEC_RELAY 0x42
#define GSI_COUNT 4

/* ---- The device: a PCIe function, BAR0 64-bit 16 KiB, MSI-X at 0x40 (the fake of tests/lib) ---- */

#define CFG_SIZE 4096u
#define BAR0_SIZE 0x4000u
#define MSIX_CAP 0x40u
#define EXP_CAP 0x50u
#define MSIX_VECTORS 4u
#define MSIX_TABLE 0x2000u
#define MSIX_PBA 0x3000u
#define BAR0_GPA 0xc0000000u /* where the "guest" puts BAR0 */

static void fake_init(struct dp_fake_dev *d)
{
	dp_fake_dev_init(d, "fake 0000:00:01.0", NULL);
	dp_fake_put16(d, 0x00, 0x1af4);      /* vendor */
	dp_fake_put16(d, 0x02, 0x10ff);      /* device */
	dp_fake_put16(d, 0x06, 0x0010);      /* status: capability list */
	dp_fake_put32(d, 0x08, 0x02000001);  /* class 0x020000, revision 1 */
	dp_fake_put32(d, 0x10, 0x00000004);  /* BAR0: memory, 64-bit */
	dp_fake_put16(d, 0x2c, 0x1af4);      /* subsystem vendor */
	dp_fake_put16(d, 0x2e, 0x0001);      /* subsystem */
	dp_fake_put8(d, 0x34, MSIX_CAP);
	/* MSI-X: 4 vectors, table in BAR0 at 0x2000, PBA in BAR0 at 0x3000. */
	dp_fake_put8(d, MSIX_CAP, 0x11);
	dp_fake_put8(d, MSIX_CAP + 1, EXP_CAP);
	dp_fake_put16(d, MSIX_CAP + 2, MSIX_VECTORS - 1);
	dp_fake_put32(d, MSIX_CAP + 4, MSIX_TABLE | 0);
	dp_fake_put32(d, MSIX_CAP + 8, MSIX_PBA | 0);
	/* PCI Express v2, endpoint; no FLR. */
	dp_fake_put8(d, EXP_CAP, 0x10);
	dp_fake_put8(d, EXP_CAP + 1, 0);
	dp_fake_put16(d, EXP_CAP + 2, 0x0002);
	/* No DP_REGION_MMAP: nothing goes in a memory slot. */
	d->reg[DP_REGION_BAR0] = (struct dp_region_info){ .size = BAR0_SIZE,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->reg[DP_REGION_CONFIG] = (struct dp_region_info){ .size = CFG_SIZE,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	/* MSI-X only, NORESIZE: a larger count than the enabled one needs the index off first. */
	d->irq[DP_IRQ_MSIX] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_NORESIZE,
		.count = MSIX_VECTORS };
	d->no_reset = 1;
}

/* ---- The guest's side: through the public calls only ---- */

static int cfg_write(struct dp_vpci *f, uint32_t off, uint32_t v, size_t len, const char *what)
{
	int r = dp_vpci_config_write(f, off, &v, len, NULL);

	return r < 0 ? dp_bench_fail(NAME, what, -r) : 0;
}

static int bar_write32(struct dp_vpci *f, uint64_t off, uint32_t v, const char *what)
{
	int r = dp_vpci_bar_write(f, 0, off, &v, sizeof(v));

	return r < 0 ? dp_bench_fail(NAME, what, -r) : 0;
}

/*
 * BAR0 programmed and decoding, MSI-X enabled, table entry 0 to
 * (DP_IRQ_BENCH_MSI_ADDRESS, VEC_LAYER) and unmasked; then the eventfd the
 * layer gave "VFIO" for vector 0.
 */
static int guest_setup(struct dp_vpci *f, const struct dp_fake_dev *d, int *efd)
{
	uint32_t ctrl = 0, word = 0;
	int r;

	if (cfg_write(f, 0x10, BAR0_GPA, 4, "programming BAR0") ||
	    cfg_write(f, 0x14, 0, 4, "programming BAR0's upper half") ||
	    cfg_write(f, 0x04, 0x0006, 2, "command: memory decode, bus master"))
		return 1;
	r = dp_vpci_config_read(f, MSIX_CAP + 2, &ctrl, 2);
	if (r < 0)
		return dp_bench_fail(NAME, "reading MSI-X message control", -r);
	if ((ctrl & 0x7ff) != MSIX_VECTORS - 1) {
		fprintf(stderr, NAME ": MSI-X table size reads %u, not %u\n", (ctrl & 0x7ff) + 1,
			MSIX_VECTORS);
		return 1;
	}
	if (cfg_write(f, MSIX_CAP + 2, ctrl | 0x8000, 2, "MSI-X enable"))
		return 1;
	if (bar_write32(f, MSIX_TABLE + 0, DP_IRQ_BENCH_MSI_ADDRESS, "table entry 0 address") ||
	    bar_write32(f, MSIX_TABLE + 4, 0, "table entry 0 upper address") ||
	    bar_write32(f, MSIX_TABLE + 8, VEC_LAYER, "table entry 0 data") ||
	    bar_write32(f, MSIX_TABLE + 12, 0, "table entry 0 unmask"))
		return 1;
	r = dp_vpci_bar_read(f, 0, MSIX_TABLE + 8, &word, sizeof(word));
	if (r < 0)
		return dp_bench_fail(NAME, "reading table entry 0 data", -r);
	if (word != VEC_LAYER) {
		fprintf(stderr, NAME ": table entry 0 data reads %#x, not %#x\n", word, VEC_LAYER);
		return 1;
	}
	if (d->enabled[DP_IRQ_MSIX] == 0 || d->efd[DP_IRQ_MSIX][0] < 0) {
		fprintf(stderr,
			NAME ": the layer wired no eventfd for MSI-X vector 0 in the device (index count %u)\n",
			d->enabled[DP_IRQ_MSIX]);
		return 1;
	}
	*efd = d->efd[DP_IRQ_MSIX][0];
	return 0;
}

int main(void)
{
	DP_OPTS_NONE(dp_vpci_opts, vo);
	struct dp_irq_bench b;
	struct dp_vpci *vpci = NULL;
	struct dp_fake_dev *fake;
	int efd_layer = -1, r, rc;

	rc = dp_irq_bench_start(&b, NAME, GSI_COUNT, VEC_RELAY);
	if (rc)
		return rc;
	/* (a): the layer on the library's routing. */
	rc = 1;
	fake = malloc(sizeof(*fake));
	if (!fake) {
		dp_bench_fail(NAME, "malloc", ENOMEM);
		goto out;
	}
	fake_init(fake);
	r = dp_vpci_new_backend(b.ctx, &dp_fake_dev_ops, fake, &b.kvm, NULL, &vo, &vpci);
	if (r < 0) {
		dp_bench_fail(NAME, "dp_vpci_new_backend", -r);
		goto out;
	}
	if (guest_setup(vpci, fake, &efd_layer))
		goto out;
	rc = dp_irq_bench_compare(&b, "layer", efd_layer, VEC_LAYER, REPS);
out:
	/* The function first: its irqfds, routes and eventfds go while the VM is there. */
	dp_vpci_unref(vpci);
	if (fake && fake->enabled[DP_IRQ_MSIX]) /* the spec says the last unref disables it: told, not failed */
		fprintf(stderr, NAME ": warning: MSI-X still wired in the device after the last unref\n");
	if (fake)
		dp_fake_dev_fini(fake);
	free(fake);
	if (dp_irq_bench_stop(&b))
		rc = 1;
	return rc;
}
