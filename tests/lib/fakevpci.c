/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fakevpci.h"

static void say(void (*hook)(const char *), const char *fmt, va_list ap)
	DP_PRINTF(2, 0);
static void say(void (*hook)(const char *), const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	hook(line);
}

/* One call, as a line of the log. */
static void note(const struct dp_fake_log *log, const char *fmt, ...)
	DP_PRINTF(2, 3);
static void note(const struct dp_fake_log *log, const char *fmt, ...)
{
	va_list ap;

	if (!log || !log->call)
		return;
	va_start(ap, fmt);
	say(log->call, fmt, ap);
	va_end(ap);
}

static void misuse_abort(const char *line)
{
	fprintf(stderr, "fake device or VM: misuse: %s\n", line);
	abort();
}

/* A call no correct caller makes: -EINVAL, after the hook (or an abort). */
static int misuse(const struct dp_fake_log *log, const char *fmt, ...)
	DP_PRINTF(2, 3);
static int misuse(const struct dp_fake_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(log && log->misuse ? log->misuse : misuse_abort, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- the device ---- */

void dp_fake_dev_init(struct dp_fake_dev *d, const char *name, const struct dp_fake_log *log)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->log = log;
	d->unmask_fd = -1;
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < DP_FAKE_VECTORS; j++)
			d->efd[i][j] = -1;
}

void dp_fake_dev_fini(struct dp_fake_dev *d)
{
	for (unsigned r = 0; r < 7; r++) {
		free(d->mem[r]);
		d->mem[r] = NULL;
	}
}

void dp_fake_put8(struct dp_fake_dev *d, unsigned off, uint8_t v)
{
	d->cfg[off] = v;
}

void dp_fake_put16(struct dp_fake_dev *d, unsigned off, uint16_t v)
{
	dp_fake_put8(d, off, (uint8_t)v);
	dp_fake_put8(d, off + 1, (uint8_t)(v >> 8));
}

void dp_fake_put32(struct dp_fake_dev *d, unsigned off, uint32_t v)
{
	dp_fake_put16(d, off, (uint16_t)v);
	dp_fake_put16(d, off + 2, (uint16_t)(v >> 16));
}

bool dp_fake_touched(const struct dp_fake_dev *d, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		if (d->touched[i])
			return true;
	return false;
}

static const char *f_name(void *dev)
{
	return ((struct dp_fake_dev *)dev)->name;
}

static int f_region_info(void *dev, uint32_t index, struct dp_region_info *info)
{
	struct dp_fake_dev *d = dev;

	if (index > 8)
		return -EINVAL;
	info->size = d->reg[index].size;
	info->offset = DP_FAKE_REGOFF(index);
	info->flags = d->reg[index].flags;
	info->n_sparse = d->reg[index].n_sparse;
	return 0;
}

static int f_sparse_area(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			 uint64_t *size)
{
	struct dp_fake_dev *d = dev;

	if (index != 0 || area >= d->n_areas)
		return -EINVAL;
	*offset = d->area_off[area];
	*size = d->area_size[area];
	return 0;
}

uint8_t *dp_fake_mem(struct dp_fake_dev *d, uint32_t index, uint64_t off, size_t len)
{
	if (index > 6 || off + len < off || off + len > d->reg[index].size) {
		misuse(d->log, "device access of %zu bytes at %#llx of region %u (%#llx bytes)",
		       len, (unsigned long long)off, index,
		       (unsigned long long)(index <= 6 ? d->reg[index].size : 0));
		return NULL;
	}
	if (!d->mem[index]) {
		if (d->reg[index].size > DP_FAKE_MEM_MAX)
			return NULL;
		d->mem[index] = calloc(1, d->reg[index].size);
		if (!d->mem[index])
			abort();
	}
	return d->mem[index] + off;
}

/* Whether len bytes at off fit the config region (and the fake's config space). */
static bool cfg_fits(const struct dp_fake_dev *d, uint64_t off, size_t len)
{
	return off + len >= off && off + len <= d->reg[DP_REGION_CONFIG].size &&
	       off + len <= sizeof(d->cfg);
}

static int f_region_read(void *dev, uint32_t index, uint64_t off, void *buf, size_t len)
{
	struct dp_fake_dev *d = dev;
	uint8_t *p;

	if (index == DP_REGION_CONFIG) {
		if (d->cfg_fail)
			return -EIO;
		if (!cfg_fits(d, off, len))
			return misuse(d->log, "config read of %zu bytes at %#llx", len,
				      (unsigned long long)off);
		memcpy(buf, d->cfg + off, len);
		return 0;
	}
	p = dp_fake_mem(d, index, off, len);
	if (!p)
		return -EINVAL;
	memcpy(buf, p, len);
	return 0;
}

static int f_region_write(void *dev, uint32_t index, uint64_t off, const void *buf, size_t len)
{
	struct dp_fake_dev *d = dev;
	uint8_t *p;

	if (index == DP_REGION_CONFIG) {
		if (!cfg_fits(d, off, len))
			return misuse(d->log, "config write of %zu bytes at %#llx", len,
				      (unsigned long long)off);
		memcpy(d->cfg + off, buf, len);
		memset(d->touched + off, 1, len);
		return 0;
	}
	p = dp_fake_mem(d, index, off, len);
	if (!p)
		return -EINVAL;
	memcpy(p, buf, len);
	return 0;
}

static int f_region_map(void *dev, uint32_t index, uint64_t align, void **addr)
{
	struct dp_fake_dev *d = dev;
	char *p;

	if (index > 6 || !(d->reg[index].flags & DP_REGION_MMAP) || !align ||
	    (align & (align - 1)) || (d->max_align && align > d->max_align))
		return -EINVAL;
	if (d->map_refs[index]) {
		if (align != d->map_align[index])
			misuse(d->log, "region %u mapped again aligned to %#llx, not %#llx", index,
			       (unsigned long long)align, (unsigned long long)d->map_align[index]);
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
	d->map_align[index] = align;
	d->map_addr[index] = (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	d->map_refs[index] = 1;
	*addr = d->map_addr[index];
	return 0;
}

static int f_region_unmap(void *dev, uint32_t index)
{
	struct dp_fake_dev *d = dev;

	if (index > 6 || !d->map_refs[index])
		return misuse(d->log, "region_unmap %u, not mapped", index);
	if (--d->map_refs[index] == 0) {
		munmap(d->map_base[index], d->map_len[index]);
		d->map_base[index] = d->map_addr[index] = NULL;
	}
	return 0;
}

static int f_region_fd(void *dev, uint32_t index, int *fd, uint64_t *offset)
{
	(void)dev;
	*fd = DP_FAKE_FD;
	*offset = DP_FAKE_REGOFF(index);
	return 0;
}

static int f_irq_info(void *dev, uint32_t index, struct dp_irq_info *info)
{
	struct dp_fake_dev *d = dev;

	info->flags = index < 3 ? d->irq[index].flags : 0;
	info->count = index < 3 ? d->irq[index].count : 0;
	return 0;
}

static int f_set_irq_eventfds(void *dev, uint32_t index, uint32_t start, uint32_t count,
			      const int32_t *fds)
{
	struct dp_fake_dev *d = dev;
	char s[128] = "";

	if (!count) {
		note(d->log, "set %u %u 0", index, start);
		if (index >= 3)
			return misuse(d->log, "eventfds for irq index %u", index);
		for (unsigned i = 0; i < DP_FAKE_VECTORS; i++)
			d->efd[index][i] = -1;
		d->enabled[index] = 0;
		return 0;
	}
	for (uint32_t i = 0; fds && i < count && i < sizeof(s) - 1; i++)
		s[i] = fds[i] >= 0 ? 'e' : '-';
	note(d->log, "set %u %u %u [%s]", index, start, count, s);
	if (index >= 3 || !fds)
		return misuse(d->log, "eventfds for irq index %u%s", index, fds ? "" : ", none given");
	if (start > d->irq[index].count || count > d->irq[index].count - start)
		return misuse(d->log, "eventfds %u+%u of %u", start, count, d->irq[index].count);
	/* NORESIZE: more vectors than are on needs the index off first (VFIO before 6.5). */
	if ((d->irq[index].flags & DP_IRQ_NORESIZE) && d->enabled[index] &&
	    start + count > d->enabled[index])
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++)
		d->efd[index][start + i] = fds[i];
	if (start + count > d->enabled[index])
		d->enabled[index] = start + count;
	return 0;
}

static int f_set_intx_unmask_fd(void *dev, int32_t fd)
{
	struct dp_fake_dev *d = dev;

	note(d->log, "unmaskfd %s", fd >= 0 ? "e" : "-");
	d->unmask_fd = fd;
	return 0;
}

static int f_unmask_irq(void *dev, uint32_t index, uint32_t vector)
{
	struct dp_fake_dev *d = dev;

	note(d->log, "unmask %u %u", index, vector);
	return 0;
}

static int f_reset(void *dev)
{
	struct dp_fake_dev *d = dev;

	note(d->log, "reset");
	return d->no_reset ? -ENOTSUP : 0;
}

/* The validated ROM, as the test set it: not logged, for the function asks once at its start. */
static int f_rom(void *dev, const void **image, size_t *len)
{
	struct dp_fake_dev *d = dev;

	if (d->rom_err)
		return d->rom_err;
	if (!d->rom_image)
		return d->reg[6].size ? -EBADMSG : -ENOENT;
	*image = d->rom_image;
	*len = d->rom_len;
	return 0;
}

const struct dp_vpci_dev_ops dp_fake_dev_ops = {
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
	.rom = f_rom,
};

/* ---- the VM ---- */

void dp_fake_vm_init(struct dp_fake_vm *vm, const struct dp_fake_log *log, uint32_t next_gsi)
{
	memset(vm, 0, sizeof(*vm));
	vm->log = log;
	vm->next_gsi = next_gsi;
	for (unsigned g = 0; g < DP_FAKE_GSIS; g++)
		vm->irqfd[g] = vm->resample[g] = -1;
}

int dp_fake_vm_map_mem(void *opaque, uint64_t gpa, uint64_t size, void *hva, int32_t fd,
		       uint64_t fd_offset)
{
	struct dp_fake_dev *d = opaque;
	struct dp_fake_vm *vm = d->vm;
	uint32_t idx = (uint32_t)(fd_offset >> 40);
	uint64_t off = fd_offset & (DP_FAKE_REGOFF(1) - 1);

	/* A slot on what the device mapped, inside its region. */
	if (fd != DP_FAKE_FD || idx >= 7 || !d->map_addr[idx] || !size ||
	    off + size > d->reg[idx].size || hva != (char *)d->map_addr[idx] + off)
		return misuse(vm->log, "map_mem %#llx+%#llx of region %u+%#llx",
			      (unsigned long long)gpa, (unsigned long long)size, idx,
			      (unsigned long long)off);
	for (size_t i = 0; i < vm->n_maps; i++)
		if (gpa < vm->maps[i].gpa + vm->maps[i].size && vm->maps[i].gpa < gpa + size) {
			if (!vm->overlap_fails)
				misuse(vm->log, "map_mem %#llx+%#llx overlaps a slot",
				       (unsigned long long)gpa, (unsigned long long)size);
			return -EEXIST; /* as KVM_SET_USER_MEMORY_REGION says */
		}
	if (vm->n_maps == DP_FAKE_MAPS)
		return -ENOSPC;
	note(vm->log, "map %#llx %#llx r%u+%#llx", (unsigned long long)gpa,
	     (unsigned long long)size, idx, (unsigned long long)off);
	vm->maps[vm->n_maps].gpa = gpa;
	vm->maps[vm->n_maps++].size = size;
	return 0;
}

int dp_fake_vm_unmap_mem(void *opaque, uint64_t gpa, uint64_t size)
{
	struct dp_fake_vm *vm = ((struct dp_fake_dev *)opaque)->vm;

	for (size_t i = 0; i < vm->n_maps; i++)
		if (vm->maps[i].gpa == gpa && vm->maps[i].size == size) {
			vm->maps[i] = vm->maps[--vm->n_maps];
			note(vm->log, "unmap %#llx %#llx", (unsigned long long)gpa,
			     (unsigned long long)size);
			return 0;
		}
	return misuse(vm->log, "unmap_mem %#llx+%#llx was never mapped", (unsigned long long)gpa,
		      (unsigned long long)size);
}

int dp_fake_vm_msi_route(void *opaque, int32_t gsi, uint64_t address, uint32_t data,
			 uint32_t devid, uint32_t *gsi_out)
{
	struct dp_fake_vm *vm = ((struct dp_fake_dev *)opaque)->vm;
	uint32_t g;

	vm->last_devid = devid;
	if (gsi < 0) {
		if (vm->next_gsi >= DP_FAKE_GSIS)
			return -ENOSPC;
		g = vm->next_gsi++;
		note(vm->log, "route -1 %#llx %#x =%u", (unsigned long long)address, data, g);
	} else {
		g = (uint32_t)gsi;
		if (g >= DP_FAKE_GSIS || !vm->routed[g])
			return misuse(vm->log, "route of GSI %u it was not given", g);
		note(vm->log, "route %u %#llx %#x", g, (unsigned long long)address, data);
	}
	vm->routed[g] = true;
	if (gsi_out)
		*gsi_out = g;
	return 0;
}

int dp_fake_vm_msi_unroute(void *opaque, uint32_t gsi)
{
	struct dp_fake_vm *vm = ((struct dp_fake_dev *)opaque)->vm;

	if (gsi >= DP_FAKE_GSIS || !vm->routed[gsi])
		return misuse(vm->log, "unroute of GSI %u, not routed", gsi);
	if (vm->irqfd[gsi] >= 0)
		return misuse(vm->log, "unroute of GSI %u with its irqfd bound", gsi);
	note(vm->log, "unroute %u", gsi);
	vm->routed[gsi] = false;
	return 0;
}

int dp_fake_vm_irqfd(void *opaque, uint32_t gsi, int32_t fd, int32_t resample_fd,
		     int32_t assign)
{
	struct dp_fake_vm *vm = ((struct dp_fake_dev *)opaque)->vm;

	if (vm->fail_irqfd) {
		int r = vm->fail_irqfd;

		vm->fail_irqfd = 0;
		note(vm->log, "irqfd failed");
		return r;
	}
	note(vm->log, "irqfd %u %s %s %d", gsi, fd >= 0 ? "e" : "-", resample_fd >= 0 ? "e" : "-",
	     assign);
	if (gsi >= DP_FAKE_GSIS)
		return misuse(vm->log, "irqfd on GSI %u", gsi);
	if (assign && fd < 0)
		return misuse(vm->log, "irqfd on GSI %u without an eventfd", gsi);
	if (!assign && vm->irqfd[gsi] < 0)
		return misuse(vm->log, "irqfd unbind on GSI %u, not bound", gsi);
	vm->irqfd[gsi] = assign ? fd : -1;
	vm->resample[gsi] = assign ? resample_fd : -1;
	return 0;
}

const struct dp_vpci_ops dp_fake_vm_ops = {
	.sz = sizeof(struct dp_vpci_ops),
	.map_mem = dp_fake_vm_map_mem,
	.unmap_mem = dp_fake_vm_unmap_mem,
	.msi_route = dp_fake_vm_msi_route,
	.msi_unroute = dp_fake_vm_msi_unroute,
	.irqfd = dp_fake_vm_irqfd,
};
