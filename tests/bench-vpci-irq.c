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
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "kvm.h"
#include "vpci.h"

#define NAME "vpci-msix-irq"
#define REPS 1001
#define MSI_ADDRESS 0xfee00000u /* destination APIC 0, fixed delivery */
#define VEC_LAYER 0x41
#define VEC_RELAY 0x42
#define GSI_BASE 40
#define GSI_COUNT 4
#define LAPIC_SVR 0xf0
#define LAPIC_IRR 0x200
#define WAIT_US 1000000.0 /* a vector not pending after this is lost */
#define SKIP 77

/* ---- The fake device: a PCIe function, BAR0 64-bit 16 KiB, MSI-X at 0x40. ---- */

#define CFG_SIZE 4096u
#define BAR0_SIZE 0x4000u
#define MSIX_CAP 0x40u
#define EXP_CAP 0x50u
#define MSIX_VECTORS 4u
#define MSIX_TABLE 0x2000u
#define MSIX_PBA 0x3000u
#define BAR0_GPA 0xc0000000u /* where the "guest" puts BAR0 */

struct fake {
	uint8_t cfg[CFG_SIZE];
	uint8_t bar0[BAR0_SIZE];
	int32_t msix_fds[MSIX_VECTORS]; /* what the layer wired in "VFIO"; -1: none */
	uint32_t msix_count;            /* the index's count; 0: off */
	unsigned set_irqs_calls;
};

static void put16(uint8_t *b, uint32_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t off, uint32_t v)
{
	put16(b, off, (uint16_t)v);
	put16(b, off + 2, (uint16_t)(v >> 16));
}

static void fake_init(struct fake *d)
{
	memset(d, 0, sizeof(*d));
	put16(d->cfg, 0x00, 0x1af4);                   /* vendor */
	put16(d->cfg, 0x02, 0x10ff);                   /* device */
	put16(d->cfg, 0x06, 0x0010);                   /* status: capability list */
	put32(d->cfg, 0x08, 0x02000001);               /* class 0x020000, revision 1 */
	put32(d->cfg, 0x10, 0x00000004);               /* BAR0: memory, 64-bit */
	put16(d->cfg, 0x2c, 0x1af4);                   /* subsystem vendor */
	put16(d->cfg, 0x2e, 0x0001);                   /* subsystem */
	d->cfg[0x34] = MSIX_CAP;
	/* MSI-X: 4 vectors, table in BAR0 at 0x2000, PBA in BAR0 at 0x3000. */
	d->cfg[MSIX_CAP] = 0x11;
	d->cfg[MSIX_CAP + 1] = EXP_CAP;
	put16(d->cfg, MSIX_CAP + 2, MSIX_VECTORS - 1);
	put32(d->cfg, MSIX_CAP + 4, MSIX_TABLE | 0);
	put32(d->cfg, MSIX_CAP + 8, MSIX_PBA | 0);
	/* PCI Express v2, endpoint; no FLR. */
	d->cfg[EXP_CAP] = 0x10;
	d->cfg[EXP_CAP + 1] = 0;
	put16(d->cfg, EXP_CAP + 2, 0x0002);
	for (unsigned v = 0; v < MSIX_VECTORS; v++)
		d->msix_fds[v] = -1;
}

static const char *fake_name(void *dev)
{
	(void)dev;
	return "fake 0000:00:01.0";
}

static int fake_region_info(void *dev, uint32_t index, struct dp_region_info *info)
{
	(void)dev;
	info->offset = (uint64_t)index << 40;
	info->n_sparse = 0;
	info->size = 0;
	info->flags = 0;
	if (index == DP_REGION_BAR0) {
		info->size = BAR0_SIZE; /* no DP_REGION_MMAP: nothing goes in a memory slot */
		info->flags = DP_REGION_READ | DP_REGION_WRITE;
	} else if (index == DP_REGION_CONFIG) {
		info->size = CFG_SIZE;
		info->flags = DP_REGION_READ | DP_REGION_WRITE;
	} else if (index > DP_REGION_CONFIG) {
		return -ENOENT;
	}
	return 0;
}

static int fake_sparse_area(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			    uint64_t *size)
{
	(void)dev, (void)index, (void)area, (void)offset, (void)size;
	return -EINVAL;
}

static uint8_t *fake_region(struct fake *d, uint32_t index, uint64_t offset, size_t len)
{
	if (index == DP_REGION_CONFIG && offset <= CFG_SIZE && len <= CFG_SIZE - offset)
		return d->cfg + offset;
	if (index == DP_REGION_BAR0 && offset <= BAR0_SIZE && len <= BAR0_SIZE - offset)
		return d->bar0 + offset;
	return NULL;
}

static int fake_region_read(void *dev, uint32_t index, uint64_t offset, void *buf, size_t len)
{
	uint8_t *p = fake_region(dev, index, offset, len);

	if (!p)
		return -EINVAL;
	memcpy(buf, p, len);
	return 0;
}

static int fake_region_write(void *dev, uint32_t index, uint64_t offset, const void *buf,
			     size_t len)
{
	struct fake *d = dev;
	uint8_t *p = fake_region(d, index, offset, len);

	if (!p)
		return -EINVAL;
	/* Config space: a plain store is enough here, but IDs, BARs and caps stay. */
	if (index == DP_REGION_CONFIG) {
		for (size_t i = 0; i < len; i++) {
			uint64_t a = offset + i;

			if ((a >= 0x04 && a < 0x06) || (a >= 0x0c && a < 0x0e) || a == 0x3c)
				p[i] = ((const uint8_t *)buf)[i];
		}
		return 0;
	}
	memcpy(p, buf, len);
	return 0;
}

static int fake_region_map(void *dev, uint32_t index, uint64_t align, void **addr)
{
	(void)dev, (void)index, (void)align, (void)addr;
	return -EINVAL; /* never offered */
}

static int fake_region_unmap(void *dev, uint32_t index)
{
	(void)dev, (void)index;
	return -EINVAL;
}

static int fake_region_fd(void *dev, uint32_t index, int *fd, uint64_t *offset)
{
	(void)dev, (void)index, (void)fd, (void)offset;
	return -EINVAL;
}

static int fake_irq_info(void *dev, uint32_t index, struct dp_irq_info *info)
{
	(void)dev;
	info->flags = 0;
	info->count = 0;
	if (index == DP_IRQ_MSIX) {
		info->flags = DP_IRQ_EVENTFD | DP_IRQ_NORESIZE;
		info->count = MSIX_VECTORS;
	} else if (index > DP_IRQ_REQ) {
		return -EINVAL;
	}
	return 0;
}

/* "VFIO": records the eventfds the layer wires for MSI-X. */
static int fake_set_irq_eventfds(void *dev, uint32_t index, uint32_t start, uint32_t count,
				 const int32_t *fds)
{
	struct fake *d = dev;

	d->set_irqs_calls++;
	if (index != DP_IRQ_MSIX)
		return count ? -EINVAL : 0; /* the fake has no INTx or MSI */
	if (count == 0) {
		for (unsigned v = 0; v < MSIX_VECTORS; v++)
			d->msix_fds[v] = -1;
		d->msix_count = 0;
		return 0;
	}
	if (start >= MSIX_VECTORS || count > MSIX_VECTORS - start || !fds)
		return -EINVAL;
	/* NORESIZE: a larger count than the enabled one needs the index off first. */
	if (d->msix_count && start + count > d->msix_count)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++)
		d->msix_fds[start + i] = fds[i];
	if (!d->msix_count)
		d->msix_count = start + count;
	return 0;
}

static int fake_set_intx_unmask_fd(void *dev, int32_t fd)
{
	(void)dev, (void)fd;
	return -EINVAL;
}

static int fake_unmask_irq(void *dev, uint32_t index, uint32_t vector)
{
	(void)dev, (void)index, (void)vector;
	return -EINVAL;
}

static int fake_reset(void *dev)
{
	(void)dev;
	return -ENOTSUP;
}

static const struct dp_vpci_dev_ops fake_ops = {
	.name = fake_name,
	.region_info = fake_region_info,
	.sparse_area = fake_sparse_area,
	.region_read = fake_region_read,
	.region_write = fake_region_write,
	.region_map = fake_region_map,
	.region_unmap = fake_region_unmap,
	.region_fd = fake_region_fd,
	.irq_info = fake_irq_info,
	.set_irq_eventfds = fake_set_irq_eventfds,
	.set_intx_unmask_fd = fake_set_intx_unmask_fd,
	.unmask_irq = fake_unmask_irq,
	.reset = fake_reset,
};

/* ---- The relay, the LAPIC, the timing (as bench-irq.c) ---- */

struct relay {
	int vm, efd, stop;
	int err;          /* the relay's first failure, an errno */
	double done_us;   /* when its last KVM_SIGNAL_MSI returned */
	unsigned done;    /* how many it made; written after done_us, with release */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, NAME ": %s: %s\n", what, strerror(err));
	return 1;
}

/* The VMM's relay: each wake-up on efd becomes one KVM_SIGNAL_MSI. */
static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct kvm_msi msi = { .address_lo = MSI_ADDRESS, .data = VEC_RELAY };
	struct pollfd p[2] = { { .fd = r->efd, .events = POLLIN },
			       { .fd = r->stop, .events = POLLIN } };
	uint64_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r->err = errno;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(r->efd, &n, sizeof(n)) != sizeof(n)) {
			r->err = errno;
			return NULL;
		}
		/* 1: delivered; 0: the LAPIC took it as blocked. Either is a failure here. */
		if (ioctl(r->vm, KVM_SIGNAL_MSI, &msi) != 1) {
			r->err = errno ? errno : EIO;
			return NULL;
		}
		r->done_us = dp_bench_now_us();
		__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
	}
}

/* The IRR bit of vector v in st. */
static bool irr_bit(const struct kvm_lapic_state *st, unsigned v)
{
	uint32_t irr;

	memcpy(&irr, st->regs + LAPIC_IRR + (v / 32) * 0x10, 4);
	return irr & (1u << (v % 32));
}

static void irr_clear(struct kvm_lapic_state *st, unsigned v)
{
	uint32_t irr;

	memcpy(&irr, st->regs + LAPIC_IRR + (v / 32) * 0x10, 4);
	irr &= ~(1u << (v % 32));
	memcpy(st->regs + LAPIC_IRR + (v / 32) * 0x10, &irr, 4);
}

/*
 * Signals efd and measures until vector v is in the LAPIC's IRR. Two clocks
 * stop: when the kernel delivered it (*us: for the layer, the eventfd write
 * returning, since irqfd injects an MSI inside it; for the relay, its
 * KVM_SIGNAL_MSI returning), and when KVM_GET_LAPIC first shows the bit
 * (*seen_us, which carries the cost of that ioctl, ~10 us here, on both
 * sides alike). The bit is then cleared so the next round starts empty.
 */
static int deliver(int vcpu, int efd, unsigned v, struct relay *rl, double *us, double *seen_us)
{
	struct kvm_lapic_state st;
	unsigned before = rl ? __atomic_load_n(&rl->done, __ATOMIC_ACQUIRE) : 0;
	uint64_t one = 1;
	double t0, t1, t;
	bool first = true;

	t0 = dp_bench_now_us();
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return fail("signalling the eventfd", errno);
	t1 = dp_bench_now_us();
	do {
		if (ioctl(vcpu, KVM_GET_LAPIC, &st) < 0)
			return fail("KVM_GET_LAPIC", errno);
		t = dp_bench_now_us();
		if (irr_bit(&st, v))
			break;
		first = false; /* not there when the write returned: delivered later */
		if (t - t0 > WAIT_US) {
			fprintf(stderr, NAME ": vector %#x not pending after %.0f us\n", v, WAIT_US);
			return 1;
		}
	} while (true);
	*seen_us = t - t0;
	if (!rl && !first)
		t1 = t;
	if (rl) {
		while (__atomic_load_n(&rl->done, __ATOMIC_ACQUIRE) == before)
			; /* the bit is set, so the relay's ioctl is returning */
		t1 = rl->done_us;
	}
	*us = t1 - t0;
	irr_clear(&st, v);
	if (ioctl(vcpu, KVM_SET_LAPIC, &st) < 0)
		return fail("KVM_SET_LAPIC", errno);
	return 0;
}

/* The 99th percentile (nearest rank) of n sorted values. */
static double p99(const double *sorted, size_t n)
{
	size_t rank = (99 * n + 99) / 100; /* ceil(0.99 n) */

	return sorted[rank ? rank - 1 : 0];
}

/* ---- The guest's side: through the public calls only ---- */

static int cfg_write(struct dp_vpci *f, uint32_t off, uint32_t v, size_t len, const char *what)
{
	int r = dp_vpci_config_write(f, off, &v, len, NULL);

	return r < 0 ? fail(what, -r) : 0;
}

static int bar_write32(struct dp_vpci *f, uint64_t off, uint32_t v, const char *what)
{
	int r = dp_vpci_bar_write(f, 0, off, &v, sizeof(v));

	return r < 0 ? fail(what, -r) : 0;
}

/*
 * BAR0 programmed and decoding, MSI-X enabled, table entry 0 to (MSI_ADDRESS,
 * VEC_LAYER) and unmasked; then the eventfd the layer gave "VFIO" for vector 0.
 */
static int guest_setup(struct dp_vpci *f, const struct fake *d, int *efd)
{
	uint32_t ctrl = 0, word = 0;
	int r;

	if (cfg_write(f, 0x10, BAR0_GPA, 4, "programming BAR0") ||
	    cfg_write(f, 0x14, 0, 4, "programming BAR0's upper half") ||
	    cfg_write(f, 0x04, 0x0006, 2, "command: memory decode, bus master"))
		return 1;
	r = dp_vpci_config_read(f, MSIX_CAP + 2, &ctrl, 2);
	if (r < 0)
		return fail("reading MSI-X message control", -r);
	if ((ctrl & 0x7ff) != MSIX_VECTORS - 1) {
		fprintf(stderr, NAME ": MSI-X table size reads %u, not %u\n", (ctrl & 0x7ff) + 1,
			MSIX_VECTORS);
		return 1;
	}
	if (cfg_write(f, MSIX_CAP + 2, ctrl | 0x8000, 2, "MSI-X enable"))
		return 1;
	if (bar_write32(f, MSIX_TABLE + 0, MSI_ADDRESS, "table entry 0 address") ||
	    bar_write32(f, MSIX_TABLE + 4, 0, "table entry 0 upper address") ||
	    bar_write32(f, MSIX_TABLE + 8, VEC_LAYER, "table entry 0 data") ||
	    bar_write32(f, MSIX_TABLE + 12, 0, "table entry 0 unmask"))
		return 1;
	r = dp_vpci_bar_read(f, 0, MSIX_TABLE + 8, &word, sizeof(word));
	if (r < 0)
		return fail("reading table entry 0 data", -r);
	if (word != VEC_LAYER) {
		fprintf(stderr, NAME ": table entry 0 data reads %#x, not %#x\n", word, VEC_LAYER);
		return 1;
	}
	if (d->msix_count == 0 || d->msix_fds[0] < 0) {
		fprintf(stderr,
			NAME ": the layer wired no eventfd for MSI-X vector 0 in the device (index count %u)\n",
			d->msix_count);
		return 1;
	}
	*efd = d->msix_fds[0];
	return 0;
}

/* Whether this machine's KVM can make the VM: 0, or SKIP with the reason printed. */
static int usable(int kvm)
{
	static const struct {
		long cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	};
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);

	if (api != KVM_API_VERSION) {
		printf(NAME ": skipped: %s answers API version %d, not %d\n", DP_DEV_KVM, api,
		       KVM_API_VERSION);
		return SKIP;
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			printf(NAME ": skipped: %s lacks %s\n", DP_DEV_KVM, caps[i].name);
			return SKIP;
		}
	return 0;
}

int main(void)
{
	DP_OPTS_NONE(dp_ctx_opts, o);
	DP_OPTS_NONE(dp_vpci_opts, vo);
	struct dp_ctx *ctx = NULL;
	struct dp_vpci *vpci = NULL;
	struct dp_kvm k;
	struct fake *fake = NULL;
	struct kvm_lapic_state st;
	struct relay rl = { .vm = -1, .efd = -1, .stop = -1 };
	pthread_t relay;
	bool k_up = false, relay_up = false;
	uint32_t svr = 0x1ff; /* APIC software-enabled, spurious vector 0xff */
	uint64_t one = 1;
	static double ta[REPS], tb[REPS], sa[REPS], sb[REPS];
	double a, b, a99, b99, us, seen;
	int kvm, vcpu = -1, efd_layer = -1, r, rc = 1;

	kvm = open(DP_DEV_KVM, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf(NAME ": skipped: %s cannot be opened: %s\n", DP_DEV_KVM, strerror(errno));
		return SKIP;
	}
	rc = usable(kvm);
	if (rc) {
		close(kvm);
		return rc;
	}
	rc = 1;
	rl.vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (rl.vm < 0) {
		printf(NAME ": skipped: KVM_CREATE_VM: %s\n", strerror(errno));
		rc = SKIP;
		goto out;
	}
	/* The in-kernel irqchip comes before any vCPU. */
	if (ioctl(rl.vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		printf(NAME ": skipped: KVM_CREATE_IRQCHIP: %s\n", strerror(errno));
		rc = SKIP;
		goto out;
	}
	vcpu = ioctl(rl.vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		printf(NAME ": skipped: KVM_CREATE_VCPU: %s\n", strerror(errno));
		rc = SKIP;
		goto out;
	}
	/* A vCPU that never runs: its LAPIC enabled by hand, as a guest would. */
	if (ioctl(vcpu, KVM_GET_LAPIC, &st) < 0) {
		fail("KVM_GET_LAPIC", errno);
		goto out;
	}
	memcpy(st.regs + LAPIC_SVR, &svr, 4);
	if (ioctl(vcpu, KVM_SET_LAPIC, &st) < 0) {
		fail("KVM_SET_LAPIC", errno);
		goto out;
	}
	rl.efd = eventfd(0, EFD_CLOEXEC);
	rl.stop = eventfd(0, EFD_CLOEXEC);
	if (rl.efd < 0 || rl.stop < 0) {
		fail("eventfd", errno);
		goto out;
	}
	r = dp_ctx_new(&o, &ctx);
	if (r < 0) {
		fail("dp_ctx_new", -r);
		goto out;
	}
	/* (a): the layer on the library's routing; memory slots are not used. */
	r = dp_kvm_init(&k, ctx, rl.vm, 0, 1);
	if (r < 0) {
		fail("dp_kvm_init", -r);
		goto out;
	}
	k_up = true;
	r = dp_kvm_set_gsi_range(&k, GSI_BASE, GSI_COUNT);
	if (r < 0) {
		fail("dp_kvm_set_gsi_range", -r);
		goto out;
	}
	fake = malloc(sizeof(*fake));
	if (!fake) {
		fail("malloc", ENOMEM);
		goto out;
	}
	fake_init(fake);
	r = dp_vpci_new_backend(ctx, &fake_ops, fake, &k, NULL, &vo, &vpci);
	if (r < 0) {
		fail("dp_vpci_new_backend", -r);
		goto out;
	}
	if (guest_setup(vpci, fake, &efd_layer))
		goto out;
	/* (b): the VMM's thread. */
	r = pthread_create(&relay, NULL, relay_main, &rl);
	if (r) {
		fail("pthread_create", r);
		goto out;
	}
	relay_up = true;
	/* A first round of each, untimed, wakes both paths up. */
	if (deliver(vcpu, efd_layer, VEC_LAYER, NULL, &us, &seen) ||
	    deliver(vcpu, rl.efd, VEC_RELAY, &rl, &us, &seen))
		goto out;
	/* Alternating, so a change in the host's load hits both alike. */
	for (unsigned i = 0; i < REPS; i++) {
		if (deliver(vcpu, efd_layer, VEC_LAYER, NULL, &ta[i], &sa[i]))
			goto out;
		if (deliver(vcpu, rl.efd, VEC_RELAY, &rl, &tb[i], &sb[i]))
			goto out;
	}
	a = dp_bench_median(ta, REPS); /* sorts */
	b = dp_bench_median(tb, REPS);
	a99 = p99(ta, REPS);
	b99 = p99(tb, REPS);
	printf(NAME ": layer median %.1f us p99 %.1f us, relay median %.1f us p99 %.1f us, ratio %.2f\n",
	       a, a99, b, b99, a / b);
	printf(NAME "-p99: layer %.1f us, relay %.1f us, ratio %.2f (layer p99 / relay p99, %d each)\n",
	       a99, b99, a99 / b99, REPS);
	a = dp_bench_median(sa, REPS);
	b = dp_bench_median(sb, REPS);
	printf(NAME "-seen: layer median %.1f us, relay median %.1f us, ratio %.2f (until KVM_GET_LAPIC shows the bit: its own cost is in both)\n",
	       a, b, a / b);
	rc = 0;
out:
	if (relay_up) {
		if (write(rl.stop, &one, sizeof(one)) != sizeof(one))
			rc = fail("stopping the relay", errno);
		pthread_join(relay, NULL);
		if (rl.err)
			rc = fail("the relay thread", rl.err);
	}
	/* The function first: its irqfds, routes and eventfds go while the VM is there. */
	dp_vpci_unref(vpci);
	if (fake && fake->msix_count) /* the spec says the last unref disables it: told, not failed */
		fprintf(stderr, NAME ": warning: MSI-X still wired in the device after the last unref\n");
	free(fake);
	if (k_up)
		dp_kvm_fini(&k);
	if (rl.stop >= 0)
		close(rl.stop);
	if (rl.efd >= 0)
		close(rl.efd);
	if (vcpu >= 0)
		close(vcpu);
	if (rl.vm >= 0)
		close(rl.vm);
	close(kvm);
	dp_ctx_unref(ctx);
	return rc;
}
