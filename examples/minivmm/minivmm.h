/* SPDX-License-Identifier: MIT */
/* minivmm's parts: the machine (KVM, RAM, vCPU, ports) and the PCI bus in its two forms. */
#ifndef MINIVMM_H
#define MINIVMM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <directpath/directpath.h>

#include "layout.h"

/* The guest program, built by the project (guest/) and embedded by bin2c.py. */
extern const unsigned char minivmm_guest[];
extern const size_t minivmm_guest_size;

/*
 * pci.c: the guest-facing function of a device at 00:slot.0 (dp_vpci_new:
 * the VMM decodes the BARs, INTA# on MINIVMM_INTX_GSI(slot)); ops NULL
 * leaves memory slots, MSI routes and irqfds to the library on the VM fd.
 * Prints "00:slot.0 is BDF (vendor:device)".
 */
int pci_function_new(struct dp_vdev *vdev, unsigned slot, const struct dp_vpci_ops *ops,
		     void *opaque, struct dp_vpci **out);
/* pci.c: the library's bus (the default) with every device of att from 00:01.0. */
int pci_bus_create(struct dp_ctx *ctx, struct dp_attachment *att, struct dp_vbus **out);

/* ownbus.c (--own-bus): minivmm's own bus on 0xcf8/0xcfc; its slots and GSI routes. */
struct own_bus;
int own_bus_create(struct dp_attachment *att, int vm_fd, struct own_bus **out);
void own_bus_destroy(struct own_bus *bus);
/* As dp_vbus_pio/dp_vbus_mmio: 1 taken, 0 not the bus's, -errno the device failed. */
int own_bus_pio(struct own_bus *bus, uint16_t port, void *data, size_t len, bool write);
int own_bus_mmio(struct own_bus *bus, uint64_t addr, void *data, size_t len, bool write);

/*
 * hotplug.c (--hotplug): a device held back at start, hot added to att and
 * to the library's bus when the guest asks on MINIVMM_HOTPLUG_PORT, and
 * hot removed again.
 */
struct hotplug;
int hotplug_create(struct dp_ctx *ctx, struct dp_attachment *att, struct dp_policy *policy,
		   const char *bdf, const char *handoff, struct dp_vbus *bus, struct hotplug **out);
void hotplug_destroy(struct hotplug *hp);

/*
 * handoff.c (--handoff SOCKET): listens on SOCKET, takes one connection,
 * receives the manager's fds (dp_handoff_recv) and describes the VM as the
 * handoff names it, with hw_version and memory; a policy with no rule
 * loaded, since the manager checked. 0, or -1 with the reason on stderr.
 */
int handoff_receive(struct dp_ctx *ctx, const char *path, uint32_t hw_version, uint64_t memory,
		    struct dp_handoff **h, struct dp_vm **vm, struct dp_policy **policy);
/*
 * --handoff SOCKET --hotplug: listens on SOCKET again for the manager's
 * addition (directpath handoff --add) and hot adds it to att
 * (dp_attachment_add_handoff). 0 and *out, or -errno with the reason on stderr.
 */
int handoff_add(struct dp_ctx *ctx, const char *path, struct dp_attachment *att,
		struct dp_vdev **out);

/*
 * report.c: the policy report as text (verdict, findings, lost features;
 * 0 or -errno), every error finding as the refusal on stderr, and the VFIO
 * backend the attachment uses and why ("minivmm: VFIO backend NAME: WHY").
 */
int print_report(const struct dp_report *rep, const struct dp_vm *vm);
void print_refusal(const struct dp_report *rep);
void print_backend(const struct dp_attachment *att);

/* The machine: one VM, one vCPU, one RAM slot, the ports minivmm emulates. */
struct machine {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size;
	struct dp_vbus *vbus;        /* the PCI bus exits go to: the library's, */
	struct own_bus *own_bus;     /* or minivmm's own (--own-bus) */
	struct hotplug *hotplug;     /* --hotplug */
	struct {                     /* the 16550 on MINIVMM_SERIAL_PORT */
		uint8_t ier, lcr, mcr, fcr, scratch, dll, dlm;
		bool thre_pending;   /* the "transmitter empty" interrupt, until IIR is read */
		bool irq;            /* the level minivmm last set on MINIVMM_SERIAL_IRQ */
		bool newline;        /* the guest's last byte was '\n' */
	} serial;
	uint8_t cmos_index;          /* the RTC/CMOS register port 0x70 selects */
	bool pci_warned;             /* one message for a failed device access */
	struct timespec started;     /* when minivmm started, for the marks */
	/* Counted during the run, printed after it. */
	uint64_t config_exits;       /* CF8/CFC and ECAM accesses */
	uint64_t bar_exits;          /* trapped accesses to device BARs (MMIO and I/O) */
	uint64_t irqs_relayed;       /* device interrupts minivmm injected itself (machine_irq_line) */
	uint64_t mark_config_exits, mark_bar_exits; /* the counters at mark 2 */
};

/* Outcomes of machine_run besides a guest status byte (0 = PASS). */
#define MACHINE_STOPPED (-1000)  /* a signal asked us to stop */

/* Opens /dev/kvm and builds the VM, irqchip, RAM slot 0 and vCPU; prints why on failure. */
int machine_create(struct machine *m, uint64_t ram_size);
/* Loads the guest image and sets the vCPU up in 32-bit protected mode. */
int machine_load(struct machine *m, const void *image, size_t len);
/*
 * The vCPU at eip in flat 32-bit protected mode (the GDT at MINIVMM_GDT_GPA,
 * CS MINIVMM_CODE_SEL, the others MINIVMM_DATA_SEL), no paging, interrupts
 * off, ESP and ESI as given, the other registers 0: minivmm's guest, Linux.
 */
int machine_enter32(struct machine *m, uint32_t eip, uint32_t esp, uint32_t esi);
/* The in-kernel i8254 PIT (KVM_CREATE_PIT2) on GSI 0, for Linux's timer. */
int machine_create_pit(struct machine *m);
/* A config or BAR access by minivmm itself (firmware), not counted: as dp_vbus_pio. */
int machine_pci_pio(struct machine *m, uint16_t port, void *data, size_t len, bool write);
/* Runs until the guest writes the exit port (its status byte), a stop, or an error (< 0). */
int machine_run(struct machine *m, volatile sig_atomic_t *stop);
void machine_destroy(struct machine *m);
/* hotplug.c: a byte the guest wrote to MINIVMM_HOTPLUG_PORT, or one it reads. */
void hotplug_pio(struct machine *m, uint8_t *data, bool write);
/* Makes a KVM_RUN in progress or about to start return (async-signal-safe). */
void machine_kick(struct machine *m);
/*
 * Sets a passed-through device's interrupt line (a GSI) from minivmm's
 * thread, KVM_IRQ_LINE, and counts it in irqs_relayed: what a VMM without
 * irqfd would do. minivmm never needs it, since device interrupts reach KVM
 * through irqfd; its own devices (the serial port) set their lines without
 * being counted.
 */
int machine_irq_line(struct machine *m, uint32_t gsi, bool level);

/*
 * boot.c: what a BIOS and a boot loader do before Linux runs. Assigns every
 * BAR and ROM of the functions on bus 0 in minivmm's windows and the
 * interrupt line, and turns decode on (Linux keeps the addresses).
 */
void firmware_assign_bars(struct machine *m);
/*
 * Loads a bzImage (Linux's 32-bit boot protocol), the initrd (NULL: none)
 * and the command line (NULL: empty), writes boot_params with the e820 map
 * and the MP table, and points the vCPU at the kernel's startup_32.
 * n_slots: passed-through functions at 00:01.0 .. 00:n_slots.0 (INTA#).
 */
int boot_linux(struct machine *m, const char *kernel, const char *initrd, const char *cmdline,
	       unsigned n_slots);
/* mptable.c: the Intel MultiProcessor table (spec 1.4) at MINIVMM_MPTABLE_GPA. */
int mptable_write(struct machine *m, unsigned n_slots);

#endif
