/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing config and MSI-X table access surface (lib/vpci.c
 * through dp_vpci_new_backend), as tests/test-vpci.c drives it, with a fake
 * device whose config space comes from the input and recording VMM
 * callbacks. Input: 4 bytes of setup (opts flags, shown capabilities,
 * regions and interrupts, config bytes / 16), that many bytes of config
 * space (the rest zero), then operations until the input ends:
 *   0 config read   off16 len
 *   1 config write  off16 len bytes
 *   2 BAR read      bar off32 len
 *   3 BAR write     bar off32 len bytes
 *   4 misc          what (reset, INTx EOI, place or unplace a BAR) ...
 * Invariants: no crash or sanitizer report; config reads succeed exactly
 * within the view, BAR accesses never reach the device past its region;
 * the VMM sees no unmap, unroute or irqfd of what it was not given; after
 * dp_vpci_unref every map_mem has had its unmap_mem, every route its
 * unroute, every irqfd its unbind, every region map its unmap, every VFIO
 * eventfd its removal, and no fd is left.
 */
#include <sys/mman.h>

#include "fuzz.h"
#include "vpci.h"

#define REGOFF(i) ((uint64_t)(i) << 40)
#define RWM (DP_REGION_READ | DP_REGION_WRITE | DP_REGION_MMAP)
#define FAKE_FD 77
#define MAX_GSI 4096
#define MAX_MAPS 64

struct fake {
	uint8_t cfg[4096];
	struct dp_region_info reg[9];
	uint8_t *mem[7];
	void *map_base[7], *map_addr[7];
	size_t map_len[7];
	int map_refs[7];
	struct dp_irq_info irq[3];
	int wired[3];              /* VFIO trigger eventfds set per index */
	int unmask_fd;
};

static struct {
	uint32_t next_gsi;
	bool routed[MAX_GSI];
	bool irqfd[MAX_GSI];
	struct { uint64_t gpa, size; } maps[MAX_MAPS];
	size_t n_maps;
} vm;

static struct fake fk;

static const char *f_name(void *dev)
{
	(void)dev;
	return "0000:03:00.0";
}

static int f_region_info(void *dev, uint32_t index, struct dp_region_info *info)
{
	struct fake *d = dev;

	if (index > 8)
		return -EINVAL;
	info->size = d->reg[index].size;
	info->offset = REGOFF(index);
	info->flags = d->reg[index].flags;
	info->n_sparse = 0;
	return 0;
}

static int f_sparse_area(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			 uint64_t *size)
{
	(void)dev, (void)index, (void)area, (void)offset, (void)size;
	return -EINVAL;
}

static uint8_t *f_mem(struct fake *d, uint32_t index, uint64_t off, size_t len)
{
	FZ_ASSERT(index <= 6 && off + len >= off && off + len <= d->reg[index].size,
		  "device access of %zu bytes at %#llx of region %u (%#llx bytes)", len,
		  (unsigned long long)off, index,
		  (unsigned long long)(index <= 6 ? d->reg[index].size : 0));
	if (!d->mem[index] && !(d->mem[index] = calloc(1, d->reg[index].size)))
		abort();
	return d->mem[index] + off;
}

static int f_region_read(void *dev, uint32_t index, uint64_t off, void *buf, size_t len)
{
	struct fake *d = dev;

	if (index == DP_REGION_CONFIG) {
		FZ_ASSERT(off + len <= d->reg[7].size, "config read of %zu at %#llx", len,
			  (unsigned long long)off);
		memcpy(buf, d->cfg + off, len);
		return 0;
	}
	memcpy(buf, f_mem(d, index, off, len), len);
	return 0;
}

static int f_region_write(void *dev, uint32_t index, uint64_t off, const void *buf, size_t len)
{
	struct fake *d = dev;

	if (index == DP_REGION_CONFIG) {
		FZ_ASSERT(off + len <= d->reg[7].size, "config write of %zu at %#llx", len,
			  (unsigned long long)off);
		memcpy(d->cfg + off, buf, len);
		return 0;
	}
	memcpy(f_mem(d, index, off, len), buf, len);
	return 0;
}

static int f_region_map(void *dev, uint32_t index, uint64_t align, void **addr)
{
	struct fake *d = dev;
	char *p;

	if (index > 6 || !(d->reg[index].flags & DP_REGION_MMAP) || !align ||
	    (align & (align - 1)) || align > (1u << 24))
		return -EINVAL;
	if (d->map_refs[index]) {
		d->map_refs[index]++;
		*addr = d->map_addr[index];
		return 0;
	}
	d->map_len[index] = d->reg[index].size + align;
	p = mmap(NULL, d->map_len[index], PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	d->map_base[index] = p;
	d->map_addr[index] = (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	d->map_refs[index] = 1;
	*addr = d->map_addr[index];
	return 0;
}

static int f_region_unmap(void *dev, uint32_t index)
{
	struct fake *d = dev;

	FZ_ASSERT(index <= 6 && d->map_refs[index], "unmap of region %u, not mapped", index);
	if (--d->map_refs[index] == 0) {
		munmap(d->map_base[index], d->map_len[index]);
		d->map_base[index] = d->map_addr[index] = NULL;
	}
	return 0;
}

static int f_region_fd(void *dev, uint32_t index, int *fd, uint64_t *offset)
{
	(void)dev;
	*fd = FAKE_FD;
	*offset = REGOFF(index);
	return 0;
}

static int f_irq_info(void *dev, uint32_t index, struct dp_irq_info *info)
{
	struct fake *d = dev;

	info->flags = index < 3 ? d->irq[index].flags : 0;
	info->count = index < 3 ? d->irq[index].count : 0;
	return 0;
}

static int f_set_irq_eventfds(void *dev, uint32_t index, uint32_t start, uint32_t count,
			      const int32_t *fds)
{
	struct fake *d = dev;

	FZ_ASSERT(index < 3, "eventfds for irq index %u", index);
	if (!count) {
		d->wired[index] = 0;
		return 0;
	}
	FZ_ASSERT(start + count <= d->irq[index].count, "eventfds %u+%u of %u", start, count,
		  d->irq[index].count);
	for (uint32_t i = 0; i < count; i++)
		if (fds[i] >= 0)
			d->wired[index] = 1;
	return 0;
}

static int f_set_intx_unmask_fd(void *dev, int32_t fd)
{
	((struct fake *)dev)->unmask_fd = fd;
	return 0;
}

static int f_unmask_irq(void *dev, uint32_t index, uint32_t vector)
{
	(void)dev, (void)index, (void)vector;
	return 0;
}

static int f_reset(void *dev)
{
	(void)dev;
	return 0;
}

static const struct dp_vpci_dev_ops fake_ops = {
	.name = f_name,
	.region_info = f_region_info,
	.sparse_area = f_sparse_area,
	.region_read = f_region_read,
	.region_write = f_region_write,
	.region_map = f_region_map,
	.region_unmap = f_region_unmap,
	.region_fd = f_region_fd,
	.irq_info = f_irq_info,
	.set_irq_eventfds = f_set_irq_eventfds,
	.set_intx_unmask_fd = f_set_intx_unmask_fd,
	.unmask_irq = f_unmask_irq,
	.reset = f_reset,
};

/* ---- the recording VM: KVM's answers, and every misuse aborts ---- */

static int vm_map_mem(void *opaque, uint64_t gpa, uint64_t size, void *hva, int32_t fd,
		      uint64_t fd_offset)
{
	struct fake *d = opaque;
	uint32_t idx = (uint32_t)(fd_offset >> 40);

	FZ_ASSERT(fd == FAKE_FD && idx < 7 && d->map_addr[idx] && size &&
		  (fd_offset & (REGOFF(1) - 1)) + size <= d->reg[idx].size &&
		  hva == (char *)d->map_addr[idx] + (fd_offset & (REGOFF(1) - 1)),
		  "map_mem %#llx+%#llx of region %u", (unsigned long long)gpa,
		  (unsigned long long)size, idx);
	for (size_t i = 0; i < vm.n_maps; i++)
		if (gpa < vm.maps[i].gpa + vm.maps[i].size && vm.maps[i].gpa < gpa + size)
			return -EEXIST; /* as KVM_SET_USER_MEMORY_REGION says */
	if (vm.n_maps == MAX_MAPS)
		return -ENOSPC;
	vm.maps[vm.n_maps].gpa = gpa;
	vm.maps[vm.n_maps++].size = size;
	return 0;
}

static int vm_unmap_mem(void *opaque, uint64_t gpa, uint64_t size)
{
	(void)opaque;
	for (size_t i = 0; i < vm.n_maps; i++)
		if (vm.maps[i].gpa == gpa && vm.maps[i].size == size) {
			vm.maps[i] = vm.maps[--vm.n_maps];
			return 0;
		}
	FZ_ASSERT(0, "unmap_mem %#llx+%#llx was never mapped", (unsigned long long)gpa,
		  (unsigned long long)size);
	return -EINVAL;
}

static int vm_msi_route(void *opaque, int32_t gsi, uint64_t address, uint32_t data,
			uint32_t devid, uint32_t *gsi_out)
{
	uint32_t g;

	(void)opaque, (void)address, (void)data, (void)devid;
	if (gsi < 0) {
		if (vm.next_gsi == MAX_GSI)
			return -ENOSPC;
		g = vm.next_gsi++;
	} else {
		g = (uint32_t)gsi;
		FZ_ASSERT(g < MAX_GSI && vm.routed[g], "route of GSI %u it was not given", g);
	}
	vm.routed[g] = true;
	if (gsi_out)
		*gsi_out = g;
	return 0;
}

static int vm_msi_unroute(void *opaque, uint32_t gsi)
{
	(void)opaque;
	FZ_ASSERT(gsi < MAX_GSI && vm.routed[gsi], "unroute of GSI %u, not routed", gsi);
	FZ_ASSERT(!vm.irqfd[gsi], "unroute of GSI %u with its irqfd bound", gsi);
	vm.routed[gsi] = false;
	return 0;
}

static int vm_irqfd(void *opaque, uint32_t gsi, int32_t fd, int32_t resample_fd, int32_t assign)
{
	(void)opaque, (void)resample_fd;
	FZ_ASSERT(gsi < MAX_GSI, "irqfd on GSI %u", gsi);
	FZ_ASSERT(!assign || fd >= 0, "irqfd without an eventfd");
	FZ_ASSERT(assign || vm.irqfd[gsi], "irqfd unbind on GSI %u, not bound", gsi);
	vm.irqfd[gsi] = assign;
	return 0;
}

static const struct dp_vpci_ops vm_ops = {
	.sz = sizeof(struct dp_vpci_ops),
	.map_mem = vm_map_mem,
	.unmap_mem = vm_unmap_mem,
	.msi_route = vm_msi_route,
	.msi_unroute = vm_msi_unroute,
	.irqfd = vm_irqfd,
};

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

static void device(struct fake *d, uint8_t regions, uint8_t irqs)
{
	static const uint64_t sizes[] = { 0, 256, 4096, 16384, 65536, 1u << 20 };

	memset(d, 0, sizeof(*d));
	d->unmask_fd = -1;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t size = sizes[(regions >> (2 * i)) % 6];

		d->reg[i * 2] = (struct dp_region_info){ .size = size,
			.flags = (i == 1 ? DP_REGION_READ | DP_REGION_WRITE : RWM) };
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
	memset(&vm, 0, sizeof(vm));
	vm.next_gsi = 100;

	ctx = fz_ctx(FZ_NO_DIR);
	fds = fz_count_fds();
	{
		DP_OPTS(dp_vpci_opts, o, .flags = setup[0] & 0xf, .intx_gsi = 10,
			.show_caps = setup[1] & 0xf, .devid = 0x18, .ops = &vm_ops, .opaque = &fk);

		if (dp_vpci_new_backend(ctx, &fake_ops, &fk, NULL, NULL, &o, &v) == 0) {
			FZ_ASSERT(v, "no function");
			ops(v, &in);
			v = dp_vpci_unref(v);
		}
	}
	FZ_ASSERT(vm.n_maps == 0, "%zu memory slots left", vm.n_maps);
	for (unsigned g = 0; g < MAX_GSI; g++)
		FZ_ASSERT(!vm.routed[g] && !vm.irqfd[g], "GSI %u left routed or bound", g);
	for (unsigned r = 0; r < 7; r++) {
		FZ_ASSERT(!fk.map_refs[r], "region %u left mapped", r);
		free(fk.mem[r]);
	}
	for (unsigned x = 0; x < 3; x++)
		FZ_ASSERT(!fk.wired[x], "irq index %u left wired", x);
	FZ_ASSERT(fz_count_fds() == fds, "%d fds left", fz_count_fds() - fds);
	dp_ctx_unref(ctx);
	return 0;
}
