/* SPDX-License-Identifier: MIT */
/* What the backend's tests in the tests/vm guest share: their context and the edu devices. */
#ifndef DP_GUEST_H
#define DP_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <directpath/directpath.h>

#define DP_EDU_VENDOR 0x1234
#define DP_EDU_DEVICE 0x11e8
#define DP_GUEST_BDF_MAX 32

/* Skips the program (a TAP plan) where there is no VFIO: only the guest has it. */
void dp_guest_require_vfio(void);
/* The same where the guest has no usable /dev/kvm (nested KVM). */
void dp_guest_require_kvm(void);
/* A context with the test log, its directories under /tmp, no compatibility list. */
struct dp_ctx *dp_guest_ctx(void);
/* Scans and fills bdfs (and groups, if not NULL) with the edu functions, in BDF order. */
size_t dp_guest_find_edu(struct dp_ctx *ctx, char (*bdfs)[DP_GUEST_BDF_MAX], int *groups,
			 size_t max);
/* Marks bdf and binds it to vfio-pci now, as "directpath mark --now" would. */
void dp_guest_mark(struct dp_ctx *ctx, const char *bdf);
/* Binds bdf to driver through driver_override, unbind and drivers_probe (no mark). */
void dp_guest_bind_driver(const char *bdf, const char *driver);
/* A policy that accepts edu, which no compatibility list names. */
struct dp_policy *dp_guest_policy(struct dp_ctx *ctx);

/* edu's DMA: its registers in BAR0, and its buffer at device address 0x40000. */
#define DP_EDU_DMA_TO_RAM 0x2   /* the command's direction bit: device buffer to RAM */
#define DP_EDU_BUF 0x40000
/* Bus mastering is off after vfio-pci opens the device: DMA and MSI need it. */
void dp_guest_edu_enable_master(struct dp_vdev *v);
/* Runs one edu DMA and waits for it (100 ms of virtual time each). */
void dp_guest_edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst, uint32_t count,
		      uint32_t cmd);
/*
 * Through v (its BAR0 mapped, bus mastering on): len bytes (< 4096) from
 * IOVA src into the device's buffer and back to IOVA dst; fails the test
 * unless dst_hva (dst's memory) then holds src_hva's bytes.
 */
void dp_guest_edu_round_trip(struct dp_vdev *v, uint64_t src, const uint8_t *src_hva,
			     uint64_t dst, uint8_t *dst_hva, uint32_t len);

/* Drops CAP_IPC_LOCK from this process: the kernel counts what it pins against RLIMIT_MEMLOCK. */
void dp_guest_drop_ipc_lock(void);

#endif
