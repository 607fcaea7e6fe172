/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing config and MSI-X table access surface (lib/vpci.c
 * through dp_vpci_new_backend), as tests/test-vpci.c drives it, on the
 * same fake device (its config space from the input) and VM
 * (tests/lib/fakevpci.c). Input: 4 bytes of setup (opts flags, shown
 * capabilities, regions and interrupts, config bytes / 16), that many bytes
 * of config space (the rest zero), then operations until the input ends:
 *   0 config read   off16 len
 *   1 config write  off16 len bytes
 *   2 BAR read      bar off32 len
 *   3 BAR write     bar off32 len bytes
 *   4 misc          what (reset, INTx EOI, place or unplace a BAR) ...
 * Invariants: no crash or sanitizer report; config reads succeed exactly
 * within the view, BAR accesses never reach the device past its region;
 * the VMM sees no unmap, unroute or irqfd of what it was not given; after
 * dp_vpci_unref every map_mem has had its unmap_mem, every route its
 * unroute, every irqfd its unbind, every region map its unmap, every
 * interrupt index switched on in VFIO is off again, and no fd is left.
 */
#include "fuzz.h"
#include "vpci.h"
#include "../lib/fakevpci.h"

/*
 * The fakes of tests/lib (also in the libFuzzer build's archive): a misuse
 * aborts with its line, the crash libFuzzer reports with the input.
 */
static struct dp_fake_dev fk;
static struct dp_fake_vm vm;

/* ---- the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static bool take(struct in *in, void *buf, size_t len)
{
	if (in->n < len)
		return false;
	memcpy(buf, in->p, len);
	in->p += len, in->n -= len;
	return true;
}

static void device(struct dp_fake_dev *d, uint8_t regions, uint8_t irqs)
{
	static const uint64_t sizes[] = { 0, 256, 4096, 16384, 65536, 1u << 20 };

	dp_fake_dev_init(d, "0000:03:00.0", NULL);
	d->vm = &vm;
	d->max_align = 1u << 24; /* no gigabytes of address space for an input's BAR */
	for (unsigned i = 0; i < 3; i++) {
		uint64_t size = sizes[(regions >> (2 * i)) % 6];

		d->reg[i * 2] = (struct dp_region_info){ .size = size,
			.flags = (i == 1 ? DP_REGION_READ | DP_REGION_WRITE : DP_FAKE_RWM) };
	}
	d->reg[1] = (struct dp_region_info){ .size = 256, .flags = DP_REGION_READ | DP_REGION_WRITE };
	if (regions & 0x40)
		d->reg[6] = (struct dp_region_info){ .size = 65536, .flags = DP_REGION_READ };
	d->reg[7] = (struct dp_region_info){ .size = regions & 0x80 ? 256 : 4096,
		.flags = DP_REGION_READ | DP_REGION_WRITE };
	d->irq[0] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_MASKABLE |
		DP_IRQ_AUTOMASKED, .count = irqs & 1 };
	d->irq[1] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD, .count = (irqs >> 1) & 31 };
	d->irq[2] = (struct dp_irq_info){ .flags = DP_IRQ_EVENTFD | DP_IRQ_NORESIZE,
		.count = irqs & 0x40 ? 2048 : (irqs >> 6) * 17 };
}

static void ops(struct dp_vpci *v, struct in *in)
{
	uint32_t view = dp_vpci_get_config_size(v);
	uint8_t op, buf[16], guard[16];

	while (take(in, &op, 1)) {
		uint8_t len, bar;
		uint16_t off16;
		uint32_t off32, changed;
		int r;

		memset(guard, 0xa5, sizeof(guard));
		switch (op % 5) {
		case 0:
			if (!take(in, &off16, 2) || !take(in, &len, 1))
				return;
			len = (uint8_t)(1 + len % 8);
			off16 %= 4104;
			memcpy(buf, guard, sizeof(buf));
			r = dp_vpci_config_read(v, off16, buf, len);
			if ((uint32_t)off16 + len <= view)
				FZ_ASSERT(r == 0, "config read of %u at %#x in a %u-byte view: %d", len,
					  off16, view, r);
			else
				FZ_ASSERT(r < 0, "config read of %u at %#x past a %u-byte view", len,
					  off16, view);
			FZ_ASSERT(!memcmp(buf + len, guard + len, sizeof(buf) - len),
				  "config read of %u wrote past it", len);
			break;
		case 1:
			if (!take(in, &off16, 2) || !take(in, &len, 1))
				return;
			len = (uint8_t)(1 + len % 4);
			off16 %= 4104;
			if (!take(in, buf, len))
				return;
			r = dp_vpci_config_write(v, off16, buf, len, &changed);
			if ((uint32_t)off16 + len > view)
				FZ_ASSERT(r < 0, "config write of %u at %#x past a %u-byte view", len,
					  off16, view);
			break;
		case 2:
		case 3:
			if (!take(in, &bar, 1) || !take(in, &off32, 4) || !take(in, &len, 1))
				return;
			bar %= 8;
			len = (uint8_t)(1 + len % 8);
			if (op % 5 == 2) {
				memcpy(buf, guard, sizeof(buf));
				dp_vpci_bar_read(v, bar, off32, buf, len);
				FZ_ASSERT(!memcmp(buf + len, guard + len, sizeof(buf) - len),
					  "BAR read of %u wrote past it", len);
			} else {
				if (!take(in, buf, len))
					return;
				dp_vpci_bar_write(v, bar, off32, buf, len);
			}
			break;
		default:
			if (!take(in, &bar, 1))
				return;
			switch (bar % 4) {
			case 0:
				dp_vpci_reset(v);
				break;
			case 1:
				dp_vpci_intx_eoi(v);
				break;
			case 2:
				if (!take(in, &off32, 4))
					return;
				dp_vpci_place_bar(v, (bar >> 2) % 8, (uint64_t)off32 << 12);
				break;
			default:
				dp_vpci_unplace_bar(v, (bar >> 2) % 8);
				break;
			}
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint8_t setup[4];
	struct dp_ctx *ctx;
	struct dp_vpci *v = NULL;
	size_t ncfg;
	int fds;

	if (!take(&in, setup, 4))
		return 0;
	device(&fk, setup[2], setup[3]);
	ncfg = (size_t)(setup[1] >> 4) * 256;
	if (ncfg > fk.reg[7].size)
		ncfg = fk.reg[7].size;
	if (ncfg > in.n)
		ncfg = in.n;
	take(&in, fk.cfg, ncfg);
	dp_fake_vm_init(&vm, NULL, 100);
	vm.overlap_fails = true; /* an input may place BARs over each other */

	ctx = fz_ctx(FZ_NO_DIR);
	fds = fz_count_fds();
	{
		DP_OPTS(dp_vpci_opts, o, .flags = setup[0] & 0xf, .intx_gsi = 10,
			.show_caps = setup[1] & 0xf, .devid = 0x18, .ops = &dp_fake_vm_ops,
			.opaque = &fk);

		if (dp_vpci_new_backend(ctx, &dp_fake_dev_ops, &fk, NULL, NULL, &o, &v) == 0) {
			FZ_ASSERT(v, "no function");
			ops(v, &in);
			v = dp_vpci_unref(v);
		}
	}
	FZ_ASSERT(vm.n_maps == 0, "%zu memory slots left", vm.n_maps);
	for (unsigned g = 0; g < DP_FAKE_GSIS; g++)
		FZ_ASSERT(!vm.routed[g] && vm.irqfd[g] < 0, "GSI %u left routed or bound", g);
	for (unsigned r = 0; r < 7; r++)
		FZ_ASSERT(!fk.map_refs[r], "region %u left mapped", r);
	dp_fake_dev_fini(&fk);
	for (unsigned x = 0; x < 3; x++)
		FZ_ASSERT(!fk.enabled[x], "irq index %u left on in VFIO", x);
	FZ_ASSERT(fz_count_fds() == fds, "%d fds left", fz_count_fds() - fds);
	dp_ctx_unref(ctx);
	return 0;
}
