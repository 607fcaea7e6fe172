/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing PCI function's state and what its files share: vpci.c (the
 * object, its VFIO device backend, reset), vpci-config.c (config space),
 * vpci-bar.c (BARs and the ROM), vpci-irq.c (INTx, MSI and MSI-X through irqfd).
 */
#ifndef DP_VPCI_INTERNAL_H
#define DP_VPCI_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dma.h"
#include "kvm.h"
#include "msix.h"
#include "vpci.h"

#define CFG_MAX 4096u
#define CFG_STD 256u
#define PAGE 4096ull
#define NBARS 7u                 /* BAR0-5 and the ROM */
#define MAX_PIECES 16u
#define MSI_MAX 32u

#define CMD_IO 0x0001u
#define CMD_MEM 0x0002u
#define CMD_MASTER 0x0004u
#define CMD_WRITABLE 0x0547u     /* IO, MEM, MASTER, PARITY, SERR, INTX_DISABLE */
#define STATUS_CAP_LIST 0x10u

#define MSI_WINDOW_START 0xfee00000ull
#define MSI_WINDOW_END 0xfeefffffull

enum { B_DEV, B_EMU, B_ZERO };

struct piece {
	uint64_t off, size;
	uint32_t slot;           /* the KVM slot, when the library made it */
};

struct vbar {
	uint64_t size;
	uint32_t flags;          /* DP_VPCI_BAR_MEM/IO/64/PREFETCH */
	bool present, upper;     /* upper: the high half of the BAR before it */
	bool mmap;               /* the region can be mmapped */
	bool placed, direct, warned, enabled;
	uint64_t placed_at, addr; /* addr: the decode state last seen */
	void *host;              /* the region's mapping */
	struct piece pieces[MAX_PIECES];
	uint32_t n_pieces;
};

struct msi_vec {
	int efd;
	uint32_t gsi;
	bool routed, bound;
	uint64_t address;
	uint32_t data;
};

struct dp_vpci {
	int refcount;
	pthread_mutex_t lock;
	struct dp_ctx *ctx;
	const struct dp_vpci_dev_ops *dops;
	void *dev;               /* NULL once orphaned */
	struct dp_vdev *vdev;
	struct dp_kvm *kvm;
	struct dp_dma *dma;
	struct dp_vpci_opts opts;
	struct dp_vpci_ops ops;
	const char *name;
	uint32_t size;           /* of the guest's view */
	uint8_t cfg[CFG_MAX], init[CFG_MAX], wmask[CFG_MAX], kind[CFG_MAX];
	struct vbar bars[NBARS];
	const uint8_t *rom;      /* the validated ROM the guest reads (the device's); NULL: none */
	size_t rom_len;
	uint16_t msi_cap, msix_cap, exp_cap, pm_cap;
	bool has_caps, flr_capable, d3;
	/* MSI */
	uint32_t msi_count;      /* VFIO's */
	uint32_t msi_n;          /* vectors enabled; 0: off */
	struct msi_vec msi[MSI_MAX];
	bool msi_warned;
	/* MSI-X */
	struct dp_msix msix;
	struct msi_vec *msix_vec;
	uint32_t msix_count, msix_wired;
	bool msix_noresize, msix_warned, msix_access_warned, msix_on;
	int route_err;           /* why the last MSI-X vector could not be routed */
	/* INTx */
	uint32_t intx_count;     /* VFIO's */
	bool intx, intx_vfio_on;
	int intx_trig, intx_res;
};

/* Little-endian accessors on a byte array. */
static inline uint32_t dp_vpci_le_get(const uint8_t *b, uint32_t off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned k = len; k-- > 0;)
		v = v << 8 | b[off + k];
	return v;
}

/* len may pass 4: the bytes beyond v's four are zeroed. */
static inline void dp_vpci_le_put(uint8_t *b, uint32_t off, uint32_t v, unsigned len)
{
	for (unsigned k = 0; k < len; k++)
		b[off + k] = k < 4 ? (uint8_t)(v >> (8 * k)) : 0;
}

static inline bool dp_vpci_overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	return asize && bsize && a <= b + (bsize - 1) && b <= a + (asize - 1);
}

/* vpci.c */
/* 0 when KVM can do it (memory slots, or GSIs); else it says what is missing: -ENOTCONN. */
int dp_vpci_no_kvm(struct dp_vpci *f, const char *what, bool slots);
/* The device reset, the guest's view back to what it was at the start (FLR, dp_vpci_reset). */
int dp_vpci_do_reset(struct dp_vpci *f);

/* vpci-config.c */
/* Reads the device and lays out the guest's view of config space. */
int dp_vpci_layout(struct dp_vpci *f);

/* vpci-bar.c */
/* Sizes the BARs and the ROM from the device's regions and makes their registers virtual. */
int dp_vpci_read_bars(struct dp_vpci *f);
/* Takes the device's validated ROM for the ROM BAR, once, before the guest runs. */
void dp_vpci_load_rom(struct dp_vpci *f);
/* Puts the mmappable parts of placed BAR i into guest memory: the direct path. */
int dp_vpci_map_pieces(struct dp_vpci *f, uint32_t i);
/* Takes b's pieces out of guest memory: all of it traps. */
void dp_vpci_unmap_pieces(struct dp_vpci *f, struct vbar *b);
/* BAR i leaves guest memory and is placed nowhere. */
void dp_vpci_unplace(struct dp_vpci *f, uint32_t i);
/* Follows the decode state of every BAR after a write; returns the bits of those that changed. */
uint32_t dp_vpci_decode_changed(struct dp_vpci *f);

/* vpci-irq.c */
/* INTx on its irqfd (DP_VPCI_INTX), and on in the device. */
int dp_vpci_intx_open(struct dp_vpci *f);
/* INTx off in the device, its irqfd and eventfds gone. */
void dp_vpci_intx_close(struct dp_vpci *f);
/* Where the MSI capability's address (0), data (1), mask (2) or pending bits (3) are. */
uint32_t dp_vpci_msi_off(const struct dp_vpci *f, unsigned what);
/* The guest wrote the MSI capability: follow enable, vector count, message and masks. */
int dp_vpci_msi_update(struct dp_vpci *f);
/* MSI off; the error is INTx's, which comes back on. */
int dp_vpci_msi_disable(struct dp_vpci *f);
/* The MSI pending bits: the masked vectors whose eventfd fired. */
void dp_vpci_msi_pending_refresh(struct dp_vpci *f);
/* The guest wrote MSI-X's message control: follow enable and mask-all. */
int dp_vpci_msix_update(struct dp_vpci *f);
/* MSI-X off; the error is INTx's, which comes back on. */
int dp_vpci_msix_teardown(struct dp_vpci *f);
/* The MSI-X shadow's hooks (struct dp_msix); opaque is the function. */
int dp_vpci_msix_route_hook(void *opaque, uint32_t v, uint64_t address, uint32_t data);
int dp_vpci_msix_unroute_hook(void *opaque, uint32_t v);
bool dp_vpci_msix_pending_hook(void *opaque, uint32_t v);

#endif
