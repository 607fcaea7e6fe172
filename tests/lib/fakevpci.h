/* SPDX-License-Identifier: MIT */
/*
 * What the guest-facing function (dp_vpci) stands on, faked for its unit
 * tests, its fuzz target and its benchmark: a device (struct
 * dp_vpci_dev_ops: config space, regions, interrupts and reset, answered as
 * VFIO answers them) and a VM (struct dp_vpci_ops: memory slots, MSI routes
 * and irqfds, as KVM answers them). A function's opaque is its fake device,
 * whose vm member is the VM its callbacks land in.
 *
 * Each call the function makes to the device's interrupts, its reset or the
 * VM can be logged as one line ("set 2 0 3 [ee-]", "route -1 0xfee00000
 * 0x41 =100"), so tests assert exact sequences. A call no correct caller
 * makes (an access past a region, an unmap of what is not mapped, a route
 * of a GSI it was not given, an irqfd unbound twice) is a misuse: logged
 * through the misuse hook, or printed and aborted on without one.
 *
 * Plain C, no check: the fuzz build compiles it with clang.
 */
#ifndef DP_FAKEVPCI_H
#define DP_FAKEVPCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpci.h"

#define DP_FAKE_FD 77                           /* the fd regions are "mmapped" from */
#define DP_FAKE_REGOFF(i) ((uint64_t)(i) << 40) /* region i's offset in it */
#define DP_FAKE_RWM (DP_REGION_READ | DP_REGION_WRITE | DP_REGION_MMAP)
#define DP_FAKE_VECTORS 2048                    /* per interrupt index, as MSI-X allows */
#define DP_FAKE_GSIS 4096
#define DP_FAKE_MAPS 64
#define DP_FAKE_MEM_MAX (64u << 20)             /* larger regions have no contents */

/* Where the fakes report; either hook may be NULL. */
struct dp_fake_log {
	void (*call)(const char *line);   /* a call into the device or the VM */
	void (*misuse)(const char *line); /* NULL: printed on stderr, then abort() */
};

struct dp_fake_vm;

struct dp_fake_dev {
	const char *name;
	const struct dp_fake_log *log;
	struct dp_fake_vm *vm;          /* for the VM callbacks given this device as opaque */
	uint8_t cfg[4096];
	uint8_t touched[4096];          /* config bytes the function wrote to the device */
	int cfg_fail;                   /* config reads fail with -EIO */
	struct dp_region_info reg[9];   /* size, flags and n_sparse; the offset is made */
	uint32_t n_areas;               /* BAR0's sparse areas */
	uint64_t area_off[4], area_size[4];
	uint64_t max_align;             /* region_map refuses more; 0: any */
	uint8_t *mem[7];                /* BAR and ROM contents, on the first access */
	void *map_base[7], *map_addr[7];
	size_t map_len[7];
	uint64_t map_align[7];
	int map_refs[7];
	struct dp_irq_info irq[3];      /* INTx, MSI, MSI-X */
	uint32_t enabled[3];            /* vectors VFIO has on per index; 0: the index is off */
	int32_t efd[3][DP_FAKE_VECTORS]; /* the trigger eventfd per vector, -1 */
	int32_t unmask_fd;              /* INTx's unmask eventfd, -1 */
	int no_reset;                   /* reset answers -ENOTSUP */
	/* The validated ROM the rom op gives (the test's); without one it answers
	 * rom_err, else -EBADMSG with a ROM region and -ENOENT without. */
	const uint8_t *rom_image;
	size_t rom_len;
	int rom_err;
};

struct dp_fake_vm {
	const struct dp_fake_log *log;
	bool overlap_fails;             /* an overlapping slot: KVM's -EEXIST, else a misuse */
	uint32_t next_gsi;              /* the next one msi_route hands out */
	bool routed[DP_FAKE_GSIS];
	int32_t irqfd[DP_FAKE_GSIS];    /* the bound eventfd per GSI, -1 */
	int32_t resample[DP_FAKE_GSIS];
	uint32_t last_devid;
	int fail_irqfd;                 /* the next irqfd call fails with it (a -errno) */
	struct { uint64_t gpa, size; } maps[DP_FAKE_MAPS];
	size_t n_maps;
};

extern const struct dp_vpci_dev_ops dp_fake_dev_ops;
extern const struct dp_vpci_ops dp_fake_vm_ops;

/* A device with no regions, interrupts or config space, nothing wired; log may be NULL. */
void dp_fake_dev_init(struct dp_fake_dev *d, const char *name, const struct dp_fake_log *log);
/* Frees the regions' contents (a mapping still there is the caller's to check). */
void dp_fake_dev_fini(struct dp_fake_dev *d);
/* Config space, little-endian. */
void dp_fake_put8(struct dp_fake_dev *d, unsigned off, uint8_t v);
void dp_fake_put16(struct dp_fake_dev *d, unsigned off, uint16_t v);
void dp_fake_put32(struct dp_fake_dev *d, unsigned off, uint32_t v);
/*
 * The contents of len bytes at off of a BAR or the ROM, made on the first
 * access; NULL past the region (a misuse) or in one too large to back.
 */
uint8_t *dp_fake_mem(struct dp_fake_dev *d, uint32_t index, uint64_t off, size_t len);
/* Whether the function wrote any config byte of [from, to) to the device. */
bool dp_fake_touched(const struct dp_fake_dev *d, unsigned from, unsigned to);

/* A VM with nothing mapped, routed or bound; GSIs from next_gsi. */
void dp_fake_vm_init(struct dp_fake_vm *vm, const struct dp_fake_log *log, uint32_t next_gsi);
/* The members of dp_fake_vm_ops, for ops that leave some out. */
int dp_fake_vm_map_mem(void *opaque, uint64_t gpa, uint64_t size, void *hva, int32_t fd,
		       uint64_t fd_offset);
int dp_fake_vm_unmap_mem(void *opaque, uint64_t gpa, uint64_t size);
int dp_fake_vm_msi_route(void *opaque, int32_t gsi, uint64_t address, uint32_t data,
			 uint32_t devid, uint32_t *gsi_out);
int dp_fake_vm_msi_unroute(void *opaque, uint32_t gsi);
int dp_fake_vm_irqfd(void *opaque, uint32_t gsi, int32_t fd, int32_t resample_fd,
		     int32_t assign);

#endif
