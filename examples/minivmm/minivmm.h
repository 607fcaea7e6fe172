/* SPDX-License-Identifier: MIT */
/* minivmm's parts: the machine (KVM, RAM, vCPU, ports) and the PCI bus. */
#ifndef MINIVMM_H
#define MINIVMM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <directpath/directpath.h>

#include "layout.h"

/* The guest program, built by the project (guest/) and embedded by bin2c.py. */
extern const unsigned char minivmm_guest[];
extern const size_t minivmm_guest_size;

/* How the guest presents one BAR register. */
enum bar_kind {
	BAR_NONE,
	BAR_MEM32,
	BAR_MEM64_LO,
	BAR_MEM64_HI, /* the upper half of the BAR before it */
	BAR_IO,
};

/* A passthrough device as the guest sees it: virtual header, real rest. */
struct pci_pdev {
	struct dp_vdev *vdev;        /* borrowed from the attachment */
	uint8_t slot;                /* 00:slot.0 */
	uint16_t vendor_id, device_id;
	uint32_t class_rev;          /* class << 8 | revision */
	uint16_t command;            /* virtual; decode and master bits forwarded */
	uint8_t int_line;
	enum bar_kind kind[6];
	uint32_t flags[6];           /* the low, read-only bits of each BAR */
	uint64_t size[6];
	uint32_t bar[6];             /* what the guest wrote, masked */
	bool direct[6];              /* in guest memory through the direct path */
	uint8_t msi_cap;             /* the MSI capability's offset; 0: none */
	uint8_t msi_len;             /* its length in config space */
	bool msi_64;                 /* 64-bit message address */
	uint8_t msi[24];             /* shadow of the capability as the guest wrote it */
	bool msi_routed;             /* dp_vdev_route_msi holds vector 0 */
	uint64_t msi_address;        /* the message routed, while msi_routed */
	uint32_t msi_data;
	bool warned;                 /* one message per device on config errors */
};

struct pci_bus {
	uint32_t address;            /* the last value written to 0xcf8 */
	size_t n;
	struct pci_pdev dev[MINIVMM_MAX_DEVICES];
};

/* Builds the bus from the attachment's devices, in the VM's order. */
int pci_bus_init(struct pci_bus *bus, struct dp_attachment *att);
/* Port I/O on 0xcf8-0xcff or a device's I/O BAR; false when not ours. */
bool pci_bus_pio(struct pci_bus *bus, uint16_t port, uint8_t *data, unsigned len, bool write);
/* A trapped access to a memory BAR; false when no BAR decodes addr. */
bool pci_bus_mmio(struct pci_bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool write);

/* The machine: one VM, one vCPU, one RAM slot, the ports minivmm emulates. */
struct machine {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size;
	struct pci_bus *bus;
	uint8_t serial_lcr;          /* for DLAB: +0/+1 are the divisor then */
	uint8_t serial_scratch;
	bool serial_newline;         /* the guest's last byte was '\n' */
};

/* Outcomes of machine_run besides a guest status byte (0 = PASS). */
#define MACHINE_STOPPED (-1000)  /* a signal asked us to stop */

/* Opens /dev/kvm and builds the VM, irqchip, RAM slot 0 and vCPU; prints why on failure. */
int machine_create(struct machine *m, uint64_t ram_size);
/* Loads the guest image and sets the vCPU up in 32-bit protected mode. */
int machine_load(struct machine *m, const void *image, size_t len);
/* Runs until the guest writes the exit port (its status byte), a stop, or an error (< 0). */
int machine_run(struct machine *m, volatile sig_atomic_t *stop);
void machine_destroy(struct machine *m);
/* Makes a KVM_RUN in progress or about to start return (async-signal-safe). */
void machine_kick(struct machine *m);

#endif
