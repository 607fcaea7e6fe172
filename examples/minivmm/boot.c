/* SPDX-License-Identifier: MIT */
/*
 * Booting Linux (--kernel): what firmware and a boot loader do before the
 * kernel runs, for a bzImage entered through the 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst in the kernel's tree).
 *  - Firmware's part for PCI (firmware_assign_bars): every BAR and ROM of
 *    every function on bus 0 sized (all-ones, read back) and given an
 *    aligned address in minivmm's windows, through the bus's own config
 *    path as the guest would; the interrupt line says the IOAPIC pin, and
 *    decode is turned on as a BIOS leaves it, so the bus places the BARs
 *    before the guest runs (Linux keeps the addresses; a function without a
 *    driver still decodes, which reading its ROM through sysfs needs).
 *  - The boot loader's part (boot_linux): the setup header read from the
 *    bzImage and checked, the protected-mode kernel at 1 MiB, boot_params
 *    (the "zero page": the header copied in, the loader's fields, the e820
 *    memory map), the command line, the initrd at the top of RAM; the MP
 *    table (mptable.c) for the LAPIC, the IOAPIC and the INTx routes; the
 *    in-kernel PIT; then the vCPU at code32_start in flat 32-bit protected
 *    mode with ESI pointing at boot_params.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minivmm.h"

#define HDRS_MAGIC 0x53726448u    /* "HdrS" */
#define BOOT_MIN_VERSION 0x0206u  /* 2.06: cmdline_size */
#define LOADER_UNDEFINED 0xffu    /* type_of_loader: a loader without an assigned ID */
#define E820_RAM 1u
#define E820_RESERVED 2u
#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u

/* Configuration mechanism #1 through the bus minivmm gives the guest (not counted). */
static uint32_t cfg_read(struct machine *m, unsigned slot, unsigned reg)
{
	uint32_t addr = 0x80000000u | slot << 11 | reg, v = ~0u;

	machine_pci_pio(m, MINIVMM_PCI_ADDR_PORT, &addr, 4, true);
	machine_pci_pio(m, MINIVMM_PCI_DATA_PORT, &v, 4, false);
	return v;
}

static void cfg_write(struct machine *m, unsigned slot, unsigned reg, uint32_t v)
{
	uint32_t addr = 0x80000000u | slot << 11 | reg;

	machine_pci_pio(m, MINIVMM_PCI_ADDR_PORT, &addr, 4, true);
	machine_pci_pio(m, MINIVMM_PCI_DATA_PORT, &v, 4, true);
}

/* The next free address of a window, aligned to size (a power of two); 0: no room. */
static uint64_t take(uint64_t *next, uint64_t end, uint64_t size)
{
	uint64_t base = (*next + size - 1) & ~(size - 1);

	if (base < *next || base > end || size > end - base)
		return 0;
	*next = base + size;
	return base;
}

void firmware_assign_bars(struct machine *m)
{
	uint64_t next_mmio = MINIVMM_MMIO_BASE, next_io = MINIVMM_IO_BASE;

	for (unsigned slot = 1; slot < 32; slot++) {
		uint32_t pin, command = 0;

		if ((cfg_read(m, slot, 0x00) & 0xffffu) == 0xffffu)
			continue; /* nothing there */
		cfg_write(m, slot, 0x04, 0); /* command: decode off while the BARs move */
		for (unsigned i = 0; i < 7; i++) {
			/* BARs 0-5 at 0x10.., the ROM at 0x30 (bit 0, its enable, left 0). */
			unsigned reg = i < 6 ? 0x10 + 4 * i : 0x30;
			uint32_t lo;
			uint64_t mask, base;
			bool io, is64;

			cfg_write(m, slot, reg, i < 6 ? ~0u : ~1u);
			lo = cfg_read(m, slot, reg);
			io = i < 6 && (lo & 1);
			is64 = i < 6 && !io && (lo & 6) == 4;
			/* The address bits that stuck; above them the BAR's size (a power of two). */
			mask = lo & (io ? ~3u : i < 6 ? ~15u : ~0x7ffu);
			if (is64) {
				cfg_write(m, slot, reg + 4, ~0u);
				mask |= (uint64_t)cfg_read(m, slot, reg + 4) << 32;
			}
			if (!mask) {
				cfg_write(m, slot, reg, 0); /* no BAR here */
				continue;
			}
			if (!is64) /* the bits above the register (an I/O BAR may decode only 16) */
				mask |= io ? ~0xffffull : ~0xffffffffull;
			base = io ? take(&next_io, MINIVMM_IO_END, ~mask + 1)
				  : take(&next_mmio, MINIVMM_MMIO_END, ~mask + 1);
			if (!base)
				fprintf(stderr, "minivmm: 00:%02x.0: no room for BAR%u (%#llx bytes)\n",
					slot, i, (unsigned long long)(~mask + 1));
			cfg_write(m, slot, reg, (uint32_t)base);
			if (is64)
				cfg_write(m, slot, reg + 4, (uint32_t)(base >> 32));
			if (base && i < 6)
				command |= io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
			i += is64;
		}
		/* INTA# is wired to MINIVMM_INTX_GSI(slot), as the MP table says. */
		pin = cfg_read(m, slot, 0x3c) >> 8 & 0xff;
		if (pin)
			cfg_write(m, slot, 0x3c, (cfg_read(m, slot, 0x3c) & ~0xffu) |
				  MINIVMM_INTX_GSI(slot));
		/* Decode on, as a BIOS leaves it: the bus places the BARs now. */
		cfg_write(m, slot, 0x04, command);
	}
}

/* The whole of [offset, offset + len) of fd, or -errno with the reason printed. */
static int read_at(int fd, const char *path, void *buf, size_t len, off_t offset)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, offset);

		if (n <= 0) {
			fprintf(stderr, "minivmm: %s: %s\n", path, n ? strerror(errno) : "too short");
			return n ? -errno : -EINVAL;
		}
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		offset += n;
	}
	return 0;
}

static int open_size(const char *path, off_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		fprintf(stderr, "minivmm: %s: %s\n", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	*size = st.st_size;
	return fd;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	bp->e820_table[bp->e820_entries++] = (struct boot_e820_entry){
		.addr = addr, .size = size, .type = type };
}

/*
 * The bzImage: the setup header at 0x1f1 of its first sector, the real-mode
 * setup code (setup_sects sectors after the boot sector, unused here: we
 * enter in protected mode), then the protected-mode kernel, loaded at 1 MiB.
 */
static int load_kernel(struct machine *m, const char *path, struct boot_params *bp,
		       uint64_t *kernel_end)
{
	struct setup_header *hdr = &bp->hdr;
	uint8_t head[1024];       /* the boot sector, and the setup header's end past it */
	off_t size, setup_size;
	size_t hdr_len;
	uint64_t runs_at, need;
	int fd, r;

	fd = open_size(path, &size);
	if (fd < 0)
		return fd;
	r = read_at(fd, path, head, sizeof(head), 0);
	if (r < 0)
		goto out;
	/* The header runs from 0x1f1 to 0x202 plus the byte at 0x201 (its jump's offset). */
	hdr_len = 0x202u + head[0x201] - 0x1f1u;
	memcpy(hdr, head + 0x1f1, hdr_len < sizeof(*hdr) ? hdr_len : sizeof(*hdr));
	r = -EINVAL;
	if (hdr->header != HDRS_MAGIC || hdr->version < BOOT_MIN_VERSION) {
		fprintf(stderr, "minivmm: %s: not a bzImage of boot protocol 2.06 or later\n", path);
		goto out;
	}
	if (!(hdr->loadflags & LOADED_HIGH)) { /* protected-mode code at 1 MiB */
		fprintf(stderr, "minivmm: %s: a zImage (loaded low): not supported\n", path);
		goto out;
	}
	/*
	 * A relocatable kernel moves itself to an address aligned to
	 * kernel_alignment (or KASLR's choice) while it decompresses; one that
	 * is not must run where it was linked: code32_start, 1 MiB here.
	 */
	if (!hdr->relocatable_kernel && hdr->code32_start != MINIVMM_KERNEL_GPA) {
		fprintf(stderr, "minivmm: %s: not relocatable and linked at %#x, not 1 MiB\n", path,
			hdr->code32_start);
		goto out;
	}
	setup_size = ((off_t)(hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	/*
	 * It decompresses itself into init_size bytes from where it will run:
	 * a relocatable kernel loaded lower moves up to pref_address (2.10).
	 */
	runs_at = MINIVMM_KERNEL_GPA;
	if (hdr->relocatable_kernel && hdr->version >= 0x020a && hdr->pref_address > runs_at)
		runs_at = hdr->pref_address;
	need = MINIVMM_KERNEL_GPA + (uint64_t)(size - setup_size);
	if (need < runs_at + hdr->init_size)
		need = runs_at + hdr->init_size;
	if (size <= setup_size || need > m->ram_size) {
		fprintf(stderr, "minivmm: %s: needs %llu MiB of RAM; --memory is too small\n",
			path, (unsigned long long)(need >> 20) + 1);
		goto out;
	}
	r = read_at(fd, path, m->ram + MINIVMM_KERNEL_GPA, (size_t)(size - setup_size), setup_size);
	hdr->code32_start = MINIVMM_KERNEL_GPA;
	*kernel_end = need;
out:
	close(fd);
	return r;
}

/* The initrd as high in RAM as initrd_addr_max allows, page-aligned, above the kernel. */
static int load_initrd(struct machine *m, const char *path, struct boot_params *bp,
		       uint64_t kernel_end)
{
	uint64_t top = m->ram_size, addr;
	off_t size;
	int fd, r;

	fd = open_size(path, &size);
	if (fd < 0)
		return fd;
	if (top > (uint64_t)bp->hdr.initrd_addr_max + 1)
		top = (uint64_t)bp->hdr.initrd_addr_max + 1;
	addr = ((top - (uint64_t)size) & ~0xfffull);
	if ((uint64_t)size > top || addr < kernel_end) {
		fprintf(stderr, "minivmm: %s: %lld bytes do not fit above the kernel; more --memory\n",
			path, (long long)size);
		close(fd);
		return -E2BIG;
	}
	r = read_at(fd, path, m->ram + addr, (size_t)size, 0);
	close(fd);
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)size;
	return r;
}

int boot_linux(struct machine *m, const char *kernel, const char *initrd, const char *cmdline,
	       unsigned n_slots)
{
	struct boot_params *bp = (struct boot_params *)(m->ram + MINIVMM_BOOT_PARAMS_GPA);
	uint64_t kernel_end = 0;
	size_t len = cmdline ? strlen(cmdline) : 0;
	int r;

	memset(bp, 0, sizeof(*bp));
	r = load_kernel(m, kernel, bp, &kernel_end);
	if (r == 0 && initrd)
		r = load_initrd(m, initrd, bp, kernel_end);
	if (r < 0)
		return r;
	if (len > bp->hdr.cmdline_size || len >= MINIVMM_CMDLINE_MAX) {
		fprintf(stderr, "minivmm: --append: %zu bytes; this kernel takes at most %u\n", len,
			bp->hdr.cmdline_size);
		return -E2BIG;
	}
	memcpy(m->ram + MINIVMM_CMDLINE_GPA, cmdline ? cmdline : "", len + 1);
	bp->hdr.cmd_line_ptr = MINIVMM_CMDLINE_GPA;
	bp->hdr.type_of_loader = LOADER_UNDEFINED;

	/* RAM, with the BIOS's areas and the devices' windows reserved. */
	e820_add(bp, 0, MINIVMM_LOW_RAM_END, E820_RAM);
	e820_add(bp, MINIVMM_LOW_RAM_END, MINIVMM_KERNEL_GPA - MINIVMM_LOW_RAM_END, E820_RESERVED);
	e820_add(bp, MINIVMM_KERNEL_GPA, m->ram_size - MINIVMM_KERNEL_GPA, E820_RAM);
	e820_add(bp, MINIVMM_ECAM_BASE, 1u << 20, E820_RESERVED);
	e820_add(bp, MINIVMM_IOAPIC_BASE, 0x100000000ull - MINIVMM_IOAPIC_BASE, E820_RESERVED);

	r = mptable_write(m, n_slots);
	if (r == 0)
		r = machine_create_pit(m);
	if (r < 0)
		return r;
	/* startup_32: ESI = boot_params; EBP, EDI and EBX zero; its own stack from boot_params. */
	return machine_enter32(m, bp->hdr.code32_start, MINIVMM_STACK_TOP, MINIVMM_BOOT_PARAMS_GPA);
}
