/* SPDX-License-Identifier: MIT */
/*
 * The library's PCI bus, for a VMM without PCI emulation: configuration
 * mechanism #1 and an ECAM window in front of guest-facing functions, the
 * BARs decoded inside the bus's windows, and the BAR exits handed to the
 * function that decodes them. It uses the functions through the public
 * calls alone (DP_VPCI_VMM_DECODES), as a VMM with its own bus would.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SLOTS 32u
#define CF8_PORT 0xcf8u
#define CFC_PORT 0xcfcu
#define ROM 6u
#define NBARS 7u

/* The host bridge's header: 1b36:0008, class 06 00 00. */
#define HB_ID 0x00081b36u
#define HB_CLASS 0x06000000u

struct dp_vbus {
	int refcount;
	pthread_mutex_t lock;
	struct dp_ctx *ctx;
	struct dp_vbus_opts opts;
	uint32_t cf8;
	struct dp_vpci *fn[SLOTS];
	struct dp_vpci_bar_info bars[SLOTS][NBARS]; /* as last placed */
	uint8_t warned[SLOTS];                      /* one line per BAR about a refusal */
};

int dp_vbus_new(struct dp_ctx *ctx, const struct dp_vbus_opts *opts, struct dp_vbus **out)
{
	const uint32_t known = DP_VBUS_CF8 | DP_VBUS_HOST_BRIDGE;
	struct dp_vbus *bus;
	int r;

	if (dp_bug_on(ctx, !ctx || !opts || !out))
		return -EINVAL;
	r = DP_OPTS_CHECK(opts, dp_vbus_opts, io_size);
	if (r < 0) {
		dp_err(ctx, "dp_vbus_opts: %s", r == -E2BIG ? "fields this library does not know are set"
							     : "sz is too small");
		return r;
	}
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	dp_opts_copy(&bus->opts, sizeof(bus->opts), opts);
	if ((bus->opts.flags & ~known) || bus->opts.bus_number > 255 ||
	    bus->opts.mmio_base + bus->opts.mmio_size < bus->opts.mmio_base ||
	    bus->opts.mmio64_base + bus->opts.mmio64_size < bus->opts.mmio64_base ||
	    bus->opts.io_base + bus->opts.io_size < bus->opts.io_base ||
	    bus->opts.io_base + bus->opts.io_size > 0x10000 ||
	    (bus->opts.ecam_base & 0xfffff) ||
	    bus->opts.ecam_base + (((uint64_t)bus->opts.bus_number + 1) << 20) < bus->opts.ecam_base) {
		dp_err(ctx, "dp_vbus_opts: unknown flags %#x, a bus number over 255, a window that wraps or an I/O window past 64 KiB, or an ECAM base not 1 MiB aligned",
		       bus->opts.flags & ~known);
		free(bus);
		return -EINVAL;
	}
	r = pthread_mutex_init(&bus->lock, NULL);
	if (r) {
		free(bus);
		return -r;
	}
	bus->refcount = 1;
	bus->ctx = dp_ctx_ref(ctx);
	*out = bus;
	return 0;
}

struct dp_vbus *dp_vbus_ref(struct dp_vbus *bus)
{
	if (bus)
		__atomic_add_fetch(&bus->refcount, 1, __ATOMIC_RELAXED);
	return bus;
}

struct dp_vbus *dp_vbus_unref(struct dp_vbus *bus)
{
	if (!bus || __atomic_sub_fetch(&bus->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	for (uint32_t s = 0; s < SLOTS; s++)
		dp_vpci_unref(bus->fn[s]);
	pthread_mutex_destroy(&bus->lock);
	dp_ctx_unref(bus->ctx);
	free(bus);
	return NULL;
}

int dp_vbus_add(struct dp_vbus *bus, uint32_t slot, struct dp_vpci *vpci)
{
	int r = 0;

	if (!bus)
		return -EINVAL;
	if (dp_bug_on(bus->ctx, !vpci))
		return -EINVAL;
	if (slot >= SLOTS) {
		dp_err(bus->ctx, "bus %02x: no slot %u (0-31)", bus->opts.bus_number, slot);
		return -EINVAL;
	}
	/* The bus decodes: a function that placed its own BARs would place them twice. */
	if (!(dp_vpci_get_flags(vpci) & DP_VPCI_VMM_DECODES)) {
		dp_err(bus->ctx, "bus %02x: slot %u: the function decodes its own BARs; make it with DP_VPCI_VMM_DECODES",
		       bus->opts.bus_number, slot);
		return -EINVAL;
	}
	pthread_mutex_lock(&bus->lock);
	if (bus->fn[slot] || (slot == 0 && (bus->opts.flags & DP_VBUS_HOST_BRIDGE))) {
		dp_err(bus->ctx, "bus %02x: slot %u is taken", bus->opts.bus_number, slot);
		r = -EBUSY;
	}
	if (r == 0)
		bus->fn[slot] = dp_vpci_ref(vpci);
	pthread_mutex_unlock(&bus->lock);
	return r;
}

int dp_vbus_remove(struct dp_vbus *bus, uint32_t slot)
{
	struct dp_vpci *fn = NULL;

	if (!bus)
		return -EINVAL;
	if (slot >= SLOTS) {
		dp_err(bus->ctx, "bus %02x: no slot %u (0-31)", bus->opts.bus_number, slot);
		return -EINVAL;
	}
	pthread_mutex_lock(&bus->lock);
	if (bus->fn[slot]) {
		fn = bus->fn[slot];
		for (uint32_t b = 0; b < NBARS; b++) /* its BARs leave guest memory */
			if (bus->bars[slot][b].flags & DP_VPCI_BAR_PLACED)
				dp_vpci_unplace_bar(fn, b);
		memset(bus->bars[slot], 0, sizeof(bus->bars[slot]));
		bus->warned[slot] = 0;
		bus->fn[slot] = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
	if (!fn) {
		dp_err(bus->ctx, "bus %02x: slot %u is empty", bus->opts.bus_number, slot);
		return -ENOENT;
	}
	dp_vpci_unref(fn); /* the bus's reference */
	return 0;
}

/* Why BAR bar of the function at slot may not decode at address, or NULL. */
static const char *refuse(struct dp_vbus *bus, uint32_t slot, uint32_t bar,
			  const struct dp_vpci_bar_info *bi)
{
	const struct dp_vbus_opts *o = &bus->opts;
	uint64_t a = bi->address, end = bi->address + bi->size;

	if (end < a)
		return "it wraps around the address space";
	if (bi->flags & DP_VPCI_BAR_IO) {
		if (a < o->io_base || end > o->io_base + o->io_size)
			return "it is outside the bus's I/O window";
	} else if (!(a >= o->mmio_base && end <= o->mmio_base + o->mmio_size) &&
		   !(a >= o->mmio64_base && end <= o->mmio64_base + o->mmio64_size)) {
		return "it is outside the bus's memory windows";
	}
	for (uint32_t s = 0; s < SLOTS; s++)
		for (uint32_t b = 0; bus->fn[s] && b < NBARS; b++) {
			const struct dp_vpci_bar_info *o2 = &bus->bars[s][b];

			if ((s == slot && b == bar) || !(o2->flags & DP_VPCI_BAR_PLACED) ||
			    (o2->flags & DP_VPCI_BAR_IO) != (bi->flags & DP_VPCI_BAR_IO))
				continue;
			if (a < o2->placed + o2->size && o2->placed < end)
				return s == slot ? "it overlaps another BAR of the function"
						 : "it overlaps a BAR of another function";
		}
	return NULL;
}

/* After a config write: each BAR whose decode changed goes where it now decodes, if it may. */
static void follow_bars(struct dp_vbus *bus, uint32_t slot, uint32_t changed)
{
	struct dp_vpci *f = bus->fn[slot];

	for (uint32_t b = 0; b < NBARS; b++) {
		struct dp_vpci_bar_info *bi = &bus->bars[slot][b];
		const char *why;

		if (!(changed & (1u << b)))
			continue;
		if (bi->flags & DP_VPCI_BAR_PLACED)
			dp_vpci_unplace_bar(f, b);
		bi->sz = sizeof(*bi);
		if (dp_vpci_get_bar_info(f, b, bi) < 0 || !(bi->flags & DP_VPCI_BAR_ENABLED))
			continue;
		why = refuse(bus, slot, b, bi);
		if (!why && dp_vpci_place_bar(f, b, bi->address) == 0) {
			dp_vpci_get_bar_info(f, b, bi);
			bus->warned[slot] &= (uint8_t)~(1u << b);
			continue;
		}
		if (why && !(bus->warned[slot] & (1u << b)))
			dp_warn(bus->ctx, "%02x:%02x.0: BAR %u of %#llx bytes at %#llx does not decode: %s",
				bus->opts.bus_number, slot, b, (unsigned long long)bi->size,
				(unsigned long long)bi->address, why);
		bus->warned[slot] |= (uint8_t)(1u << b);
		bi->flags &= ~DP_VPCI_BAR_PLACED;
	}
}

static uint32_t host_bridge_read(uint32_t reg)
{
	return reg == 0x00 ? HB_ID : reg == 0x08 ? HB_CLASS : 0;
}

/* A config access of len (1, 2 or 4) bytes at reg of slot/fn on busno. */
static int config_access(struct dp_vbus *bus, uint32_t busno, uint32_t slot, uint32_t fn,
			 uint32_t reg, uint8_t *data, size_t len, bool write)
{
	struct dp_vpci *f = slot < SLOTS ? bus->fn[slot] : NULL;
	bool hb = slot == 0 && (bus->opts.flags & DP_VBUS_HOST_BRIDGE);
	uint32_t changed = 0, v;
	int r;

	if (busno != bus->opts.bus_number || fn != 0 || (!f && !hb) ||
	    (f && reg + len > dp_vpci_get_config_size(f)) || (hb && reg + len > 256)) {
		if (!write)
			memset(data, 0xff, len);
		return 0;
	}
	if (hb) {
		if (!write) {
			v = host_bridge_read(reg & ~3u) >> (8 * (reg & 3u));
			memcpy(data, &v, len);
		}
		return 0;
	}
	if (!write) {
		r = dp_vpci_config_read(f, reg, data, len);
		if (r < 0)
			memset(data, 0xff, len);
		return r;
	}
	r = dp_vpci_config_write(f, reg, data, len, &changed);
	follow_bars(bus, slot, changed);
	return r;
}

int dp_vbus_pio(struct dp_vbus *bus, uint16_t port, void *data, size_t len, int write)
{
	int r = 0;

	if (!bus || !data || (len != 1 && len != 2 && len != 4))
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	if ((bus->opts.flags & DP_VBUS_CF8) && port == CF8_PORT && len == 4) {
		if (write)
			memcpy(&bus->cf8, data, 4);
		else
			memcpy(data, &bus->cf8, 4);
		r = 1;
	} else if ((bus->opts.flags & DP_VBUS_CF8) && port >= CFC_PORT && port + len <= CFC_PORT + 4u) {
		uint32_t a = bus->cf8;

		if (!(a & 0x80000000u)) {
			if (!write)
				memset(data, 0xff, len);
			r = 1;
		} else {
			r = config_access(bus, (a >> 16) & 0xffu, (a >> 11) & 0x1fu, (a >> 8) & 7u,
					  (a & 0xfcu) + (port - CFC_PORT), data, len, write);
			r = r < 0 ? r : 1;
		}
	} else {
		for (uint32_t s = 0; s < SLOTS && !r; s++)
			for (uint32_t b = 0; bus->fn[s] && b < 6 && !r; b++) {
				const struct dp_vpci_bar_info *bi = &bus->bars[s][b];

				if (!(bi->flags & DP_VPCI_BAR_PLACED) || !(bi->flags & DP_VPCI_BAR_IO) ||
				    port < bi->placed || port + len > bi->placed + bi->size)
					continue;
				r = write ? dp_vpci_bar_write(bus->fn[s], b, port - bi->placed, data, len)
					  : dp_vpci_bar_read(bus->fn[s], b, port - bi->placed, data, len);
				if (r < 0 && !write)
					memset(data, 0xff, len);
				r = r < 0 ? r : 1;
			}
	}
	pthread_mutex_unlock(&bus->lock);
	return r;
}

int dp_vbus_mmio(struct dp_vbus *bus, uint64_t address, void *data, size_t len, int write)
{
	const struct dp_vbus_opts *o;
	int r = 0;

	if (!bus || !data || !len || len > 8)
		return -EINVAL;
	o = &bus->opts;
	pthread_mutex_lock(&bus->lock);
	if (o->ecam_base && address >= o->ecam_base + ((uint64_t)o->bus_number << 20) &&
	    address + len <= o->ecam_base + (((uint64_t)o->bus_number + 1) << 20)) {
		uint64_t rel = address - o->ecam_base;
		uint32_t reg = (uint32_t)(rel & 0xfffu);

		/* An 8-byte access is two dword ones, as a root complex splits it. */
		for (size_t done = 0; done < len && r >= 0; done += 4) {
			size_t n = len - done < 4 ? len - done : 4;

			if (n == 3 || ((reg + done) & (n - 1))) {
				r = -EINVAL;
				break;
			}
			r = config_access(bus, (uint32_t)(rel >> 20) & 0xffu, (uint32_t)(rel >> 15) & 0x1fu,
					  (uint32_t)(rel >> 12) & 7u, reg + (uint32_t)done,
					  (uint8_t *)data + done, n, write);
		}
		if (r == -EINVAL && !write)
			memset(data, 0xff, len);
		r = r < 0 ? r : 1;
	} else {
		for (uint32_t s = 0; s < SLOTS && !r; s++)
			for (uint32_t b = 0; bus->fn[s] && b < NBARS && !r; b++) {
				const struct dp_vpci_bar_info *bi = &bus->bars[s][b];

				if (!(bi->flags & DP_VPCI_BAR_PLACED) || (bi->flags & DP_VPCI_BAR_IO) ||
				    address < bi->placed || address - bi->placed >= bi->size ||
				    len > bi->size - (address - bi->placed))
					continue;
				r = write ? dp_vpci_bar_write(bus->fn[s], b, address - bi->placed, data, len)
					  : dp_vpci_bar_read(bus->fn[s], b, address - bi->placed, data, len);
				if (r < 0 && !write)
					memset(data, 0xff, len);
				r = r < 0 ? r : 1;
			}
	}
	pthread_mutex_unlock(&bus->lock);
	return r;
}

int dp_vbus_reset(struct dp_vbus *bus)
{
	int first = 0;

	if (!bus)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	for (uint32_t s = 0; s < SLOTS; s++) {
		int r;

		if (!bus->fn[s])
			continue;
		for (uint32_t b = 0; b < NBARS; b++)
			if (bus->bars[s][b].flags & DP_VPCI_BAR_PLACED)
				dp_vpci_unplace_bar(bus->fn[s], b);
		memset(bus->bars[s], 0, sizeof(bus->bars[s]));
		bus->warned[s] = 0;
		r = dp_vpci_reset(bus->fn[s]);
		if (r < 0 && !first)
			first = r;
	}
	bus->cf8 = 0;
	pthread_mutex_unlock(&bus->lock);
	return first;
}
