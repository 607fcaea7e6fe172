/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing PCI function: config space as the guest sees it, BARs
 * placed in guest memory, MSI, MSI-X and INTx through irqfd, and reset.
 *
 * Config space is a per-byte map: each byte is the device's (read from and
 * written to the VFIO config region), virtual (a shadow with a mask of the
 * bits the guest may change), or hidden (reads 0, writes dropped). Side
 * effects (decode, interrupts, FLR, power state) follow a write by the
 * registers it touched.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "attach.h"
#include "dma.h"
#include "kvm.h"
#include "msix.h"
#include "pciconf.h"
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

#define CAP_PM 0x01u
#define CAP_MSI 0x05u
#define CAP_EXP 0x10u
#define CAP_MSIX 0x11u
#define EXT_AER 0x0001u
#define EXT_ARI 0x000eu
#define EXT_SRIOV 0x0010u
#define EXT_REBAR 0x0015u
#define EXT_VF_REBAR 0x0024u

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
static uint32_t get(const uint8_t *b, uint32_t off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned k = len; k-- > 0;)
		v = v << 8 | b[off + k];
	return v;
}

/* len may pass 4: the bytes beyond v's four are zeroed. */
static void put(uint8_t *b, uint32_t off, uint32_t v, unsigned len)
{
	for (unsigned k = 0; k < len; k++)
		b[off + k] = k < 4 ? (uint8_t)(v >> (8 * k)) : 0;
}

static void set_kind(struct dp_vpci *f, uint32_t off, uint32_t len, uint8_t kind, uint8_t wmask)
{
	for (uint32_t a = off; a < off + len && a < CFG_MAX; a++) {
		f->kind[a] = kind;
		f->wmask[a] = wmask;
	}
}

static bool in_msi_window(uint64_t address)
{
	return address >= MSI_WINDOW_START && address <= MSI_WINDOW_END;
}

static bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	return asize && bsize && a <= b + (bsize - 1) && b <= a + (asize - 1);
}

/* ---- The VM side: the VMM's callbacks, or the library's own on the VM fd. ---- */

static int no_kvm(struct dp_vpci *f, const char *what, bool slots)
{
	if (f->kvm && (slots ? f->kvm->slot_count : f->kvm->gsi_count))
		return 0;
	dp_err(f->ctx, "%s: %s needs a dp_vpci_ops callback or a KVM VM given to dp_attach with %s",
	       f->name, what, slots ? "a memory slot range" : "a GSI range");
	return -ENOTCONN;
}

static int vm_map(struct dp_vpci *f, uint64_t gpa, uint64_t size, void *hva, int fd, uint64_t fdoff,
		  uint32_t *slot)
{
	int r;

	if (f->ops.map_mem) {
		r = f->ops.map_mem(f->opts.opaque, gpa, size, hva, fd, fdoff);
		if (r < 0)
			dp_err(f->ctx, "%s: the VMM's map_mem of %#llx bytes at %#llx: %s", f->name,
			       (unsigned long long)size, (unsigned long long)gpa, strerror(-r));
		return r;
	}
	r = no_kvm(f, "a BAR in guest memory", true);
	return r < 0 ? r : dp_kvm_slot_map(f->kvm, gpa, hva, size, slot);
}

static void vm_unmap(struct dp_vpci *f, uint64_t gpa, uint64_t size, uint32_t slot)
{
	int r = f->ops.unmap_mem ? f->ops.unmap_mem(f->opts.opaque, gpa, size)
				 : dp_kvm_slot_unmap(f->kvm, slot);

	if (r < 0)
		dp_warn(f->ctx, "%s: removing guest memory at %#llx: %s", f->name,
			(unsigned long long)gpa, strerror(-r));
}

static int vm_route(struct dp_vpci *f, int32_t gsi, uint64_t address, uint32_t data, uint32_t *out)
{
	int r;

	if (f->ops.msi_route) {
		r = f->ops.msi_route(f->opts.opaque, gsi, address, data, f->opts.devid, out);
		if (r < 0)
			dp_err(f->ctx, "%s: the VMM's msi_route to %#llx/%#x: %s", f->name,
			       (unsigned long long)address, data, strerror(-r));
		return r;
	}
	r = no_kvm(f, "an MSI route", false);
	return r < 0 ? r : dp_kvm_gsi_route(f->kvm, gsi, address, data, out);
}

static void vm_unroute(struct dp_vpci *f, uint32_t gsi)
{
	int r = f->ops.msi_unroute ? f->ops.msi_unroute(f->opts.opaque, gsi)
				   : dp_kvm_gsi_unroute(f->kvm, gsi);

	if (r < 0)
		dp_warn(f->ctx, "%s: removing the route of GSI %u: %s", f->name, gsi, strerror(-r));
}

static int vm_irqfd(struct dp_vpci *f, uint32_t gsi, int fd, int resample, bool assign)
{
	int r;

	if (f->ops.irqfd) {
		r = f->ops.irqfd(f->opts.opaque, gsi, fd, resample, assign);
		if (r < 0)
			dp_log_cond(f->ctx, assign ? LOG_ERR : LOG_WARNING,
				    "%s: the VMM's irqfd %s GSI %u: %s", f->name,
				    assign ? "binding" : "unbinding", gsi, strerror(-r));
		return r;
	}
	if (!f->kvm) {
		dp_err(f->ctx, "%s: an irqfd needs a dp_vpci_ops callback or a KVM VM given to dp_attach",
		       f->name);
		return -ENOTCONN;
	}
	return dp_kvm_irqfd(f->kvm, gsi, fd, resample, assign);
}

static int new_eventfd(struct dp_vpci *f)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		int r = -errno;

		dp_err(f->ctx, "%s: eventfd: %s", f->name, strerror(errno));
		return r;
	}
	return fd;
}

/* ---- INTx ---- */

static int intx_on(struct dp_vpci *f)
{
	int r;

	if (!f->intx || f->intx_vfio_on)
		return 0;
	r = f->dops->set_irq_eventfds(f->dev, DP_IRQ_INTX, 0, 1, &f->intx_trig);
	if (r == 0 && f->intx_res >= 0) {
		r = f->dops->set_intx_unmask_fd(f->dev, f->intx_res);
		if (r < 0)
			f->dops->set_irq_eventfds(f->dev, DP_IRQ_INTX, 0, 0, NULL);
	}
	if (r < 0) {
		dp_err(f->ctx, "%s: INTx to its eventfd: %s", f->name, strerror(-r));
		return r;
	}
	f->intx_vfio_on = true;
	return 0;
}

static void intx_off(struct dp_vpci *f)
{
	if (!f->intx_vfio_on)
		return;
	if (f->dops->set_irq_eventfds(f->dev, DP_IRQ_INTX, 0, 0, NULL) < 0)
		dp_warn(f->ctx, "%s: cannot switch INTx off", f->name);
	f->intx_vfio_on = false;
}

static int intx_open(struct dp_vpci *f)
{
	bool eoi = f->opts.flags & DP_VPCI_INTX_EOI;
	int r;

	f->intx_trig = new_eventfd(f);
	if (f->intx_trig < 0)
		return f->intx_trig;
	if (!eoi) {
		f->intx_res = new_eventfd(f);
		if (f->intx_res < 0) {
			r = f->intx_res;
			goto err;
		}
	}
	r = vm_irqfd(f, f->opts.intx_gsi, f->intx_trig, f->intx_res, true);
	if (r < 0)
		goto err;
	f->intx = true;
	r = intx_on(f);
	if (r == 0)
		return 0;
	f->intx = false;
	vm_irqfd(f, f->opts.intx_gsi, f->intx_trig, -1, false);
err:
	if (f->intx_res >= 0)
		close(f->intx_res);
	close(f->intx_trig);
	f->intx_trig = f->intx_res = -1;
	return r;
}

static void intx_close(struct dp_vpci *f)
{
	if (!f->intx)
		return;
	intx_off(f);
	vm_irqfd(f, f->opts.intx_gsi, f->intx_trig, -1, false);
	close(f->intx_trig);
	if (f->intx_res >= 0)
		close(f->intx_res);
	f->intx_trig = f->intx_res = -1;
	f->intx = false;
}

/* INTx comes back when neither MSI nor MSI-X is on. */
static int intx_maybe_on(struct dp_vpci *f)
{
	return !f->msi_n && !f->msix_on ? intx_on(f) : 0;
}

/* ---- MSI ---- */

static uint32_t msi_off(const struct dp_vpci *f, unsigned what)
{
	bool is64 = get(f->cfg, f->msi_cap + 2u, 2) & 0x80u;

	switch (what) {
	case 0: return f->msi_cap + 4u;                 /* address */
	case 1: return f->msi_cap + (is64 ? 12u : 8u);  /* data */
	case 2: return f->msi_cap + (is64 ? 16u : 12u); /* mask bits */
	default: return f->msi_cap + (is64 ? 20u : 16u); /* pending bits */
	}
}

static uint64_t msi_address(const struct dp_vpci *f)
{
	uint64_t a = get(f->cfg, msi_off(f, 0), 4);

	if (get(f->cfg, f->msi_cap + 2u, 2) & 0x80u)
		a |= (uint64_t)get(f->cfg, f->msi_cap + 8u, 4) << 32;
	return a;
}

static bool msi_masked(const struct dp_vpci *f, uint32_t v)
{
	return (get(f->cfg, f->msi_cap + 2u, 2) & 0x100u) && (get(f->cfg, msi_off(f, 2), 4) >> v & 1u);
}

static void vec_release(struct dp_vpci *f, struct msi_vec *m)
{
	if (m->bound)
		vm_irqfd(f, m->gsi, m->efd, -1, false);
	if (m->routed)
		vm_unroute(f, m->gsi);
	if (m->efd >= 0)
		close(m->efd);
	*m = (struct msi_vec){ .efd = -1 };
}

/* Routes m to (address, data) and binds or unbinds its irqfd as bound says. */
static int vec_sync(struct dp_vpci *f, struct msi_vec *m, uint64_t address, uint32_t data, bool bind)
{
	int r;

	if (m->efd < 0) {
		m->efd = new_eventfd(f);
		if (m->efd < 0)
			return m->efd;
	}
	if (!m->routed || m->address != address || m->data != data) {
		r = vm_route(f, m->routed ? (int32_t)m->gsi : -1, address, data, &m->gsi);
		if (r < 0)
			return r;
		m->routed = true;
		m->address = address;
		m->data = data;
	}
	if (bind != m->bound) {
		r = vm_irqfd(f, m->gsi, m->efd, -1, bind);
		if (r < 0 && bind)
			return r;
		m->bound = bind;
	}
	return 0;
}

/* MSI off; the error is INTx's, which comes back on. */
static int msi_disable(struct dp_vpci *f)
{
	if (!f->msi_n)
		return 0;
	if (f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSI, 0, 0, NULL) < 0)
		dp_warn(f->ctx, "%s: cannot switch MSI off", f->name);
	for (uint32_t i = 0; i < MSI_MAX; i++)
		vec_release(f, &f->msi[i]);
	f->msi_n = 0;
	return intx_maybe_on(f);
}

static uint32_t msi_vector_data(const struct dp_vpci *f, uint32_t n, uint32_t i)
{
	uint32_t data = get(f->cfg, msi_off(f, 1), 2);

	return (data & ~(n - 1)) | i;
}

static int msi_enable(struct dp_vpci *f)
{
	uint32_t ctrl = get(f->cfg, f->msi_cap + 2u, 2);
	uint32_t n = 1u << ((ctrl >> 4) & 7u);
	uint64_t address = msi_address(f);
	int32_t fds[MSI_MAX];
	int r = 0;

	if (n > f->msi_count)
		n = f->msi_count;
	if (!in_msi_window(address)) {
		if (!f->msi_warned)
			dp_warn(f->ctx, "%s: MSI to %#llx is outside the MSI window 0xfee00000-0xfeefffff; not routed",
				f->name, (unsigned long long)address);
		f->msi_warned = true;
		return 0;
	}
	intx_off(f);
	for (uint32_t i = 0; i < n && r == 0; i++) {
		r = vec_sync(f, &f->msi[i], address, msi_vector_data(f, n, i), !msi_masked(f, i));
		fds[i] = f->msi[i].efd;
	}
	if (r == 0)
		r = f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSI, 0, n, fds);
	if (r < 0) {
		dp_err(f->ctx, "%s: enabling MSI (%u vector%s): %s", f->name, n, n == 1 ? "" : "s",
		       strerror(-r));
		for (uint32_t i = 0; i < MSI_MAX; i++)
			vec_release(f, &f->msi[i]);
		intx_maybe_on(f);
		return r;
	}
	f->msi_n = n;
	return 0;
}

/* The guest wrote the MSI capability: follow enable, vector count, message and masks. */
static int msi_update(struct dp_vpci *f)
{
	uint32_t ctrl = get(f->cfg, f->msi_cap + 2u, 2);
	bool on = ctrl & 1u;
	uint32_t n = 1u << ((ctrl >> 4) & 7u);
	uint64_t address = msi_address(f);
	int first = 0;

	if (n > f->msi_count)
		n = f->msi_count;
	if (!on)
		return msi_disable(f);
	if (!f->msi_n)
		return msi_enable(f);
	if (n != f->msi_n || !in_msi_window(address)) {
		msi_disable(f);
		return msi_enable(f);
	}
	for (uint32_t i = 0; i < n; i++) {
		int r = vec_sync(f, &f->msi[i], address, msi_vector_data(f, n, i), !msi_masked(f, i));

		if (r < 0 && !first)
			first = r;
	}
	return first;
}

/* Pending bits: a masked vector whose eventfd fired. */
static bool efd_pending(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return efd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void msi_pending_refresh(struct dp_vpci *f)
{
	uint32_t bits = 0;

	if (!(get(f->cfg, f->msi_cap + 2u, 2) & 0x100u))
		return;
	for (uint32_t i = 0; i < f->msi_n; i++)
		if (!f->msi[i].bound && efd_pending(f->msi[i].efd))
			bits |= 1u << i;
	put(f->cfg, msi_off(f, 3), bits, 4);
}

/* ---- MSI-X ---- */

static int msix_wire(struct dp_vpci *f, uint32_t v)
{
	uint32_t need = v + 1;
	int32_t *fds;
	int r;

	if (v < f->msix_wired || (f->msix_wired && !f->msix_noresize))
		return f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSIX, v, 1, &f->msix_vec[v].efd);
	fds = malloc(need * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (uint32_t i = 0; i < need; i++)
		fds[i] = f->msix_vec[i].efd;
	/* NORESIZE: the index goes off and comes back with the larger count. */
	r = 0;
	if (f->msix_wired)
		r = f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSIX, 0, 0, NULL);
	if (r == 0)
		r = f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSIX, 0, need, fds);
	free(fds);
	if (r < 0) {
		if (f->msix_wired)
			dp_err(f->ctx, "%s: MSI-X from %u to %u vectors: %s", f->name, f->msix_wired,
			       need, strerror(-r));
		f->msix_wired = 0;
		return r;
	}
	if (f->msix_wired) {
		/* An interrupt raised while the index was off would be lost: signal the live ones. */
		uint64_t one = 1;

		for (uint32_t i = 0; i < f->msix_wired; i++)
			if (f->msix_vec[i].bound && write(f->msix_vec[i].efd, &one, sizeof(one)) < 0)
				dp_dbg(f->ctx, "%s: MSI-X vector %u: eventfd: %s", f->name, i,
				       strerror(errno));
	}
	f->msix_wired = need;
	return 0;
}

static int msix_route_hook(void *opaque, uint32_t v, uint64_t address, uint32_t data)
{
	struct dp_vpci *f = opaque;
	struct msi_vec *m = &f->msix_vec[v];
	bool fresh = m->efd < 0;
	int r;

	if (!in_msi_window(address)) {
		if (!f->msix_warned)
			dp_warn(f->ctx, "%s: MSI-X vector %u to %#llx is outside the MSI window 0xfee00000-0xfeefffff; not routed",
				f->name, v, (unsigned long long)address);
		f->msix_warned = true;
		if (m->bound)
			vm_irqfd(f, m->gsi, m->efd, -1, false);
		m->bound = false;
		return 0;
	}
	if (!f->msix_on) {
		intx_off(f);
		f->msix_on = true;
	}
	r = vec_sync(f, m, address, data, true);
	if (r == 0 && fresh)
		r = msix_wire(f, v);
	if (r < 0) {
		dp_err(f->ctx, "%s: routing MSI-X vector %u: %s", f->name, v, strerror(-r));
		if (fresh)
			vec_release(f, m);
		f->route_err = r;
	}
	return r;
}

static int msix_unroute_hook(void *opaque, uint32_t v)
{
	struct dp_vpci *f = opaque;
	struct msi_vec *m = &f->msix_vec[v];

	/* The eventfd stays with VFIO: what fires while masked is pending. */
	if (m->bound)
		vm_irqfd(f, m->gsi, m->efd, -1, false);
	m->bound = false;
	return 0;
}

static bool msix_pending_hook(void *opaque, uint32_t v)
{
	struct dp_vpci *f = opaque;

	return !f->msix_vec[v].bound && efd_pending(f->msix_vec[v].efd);
}

/* MSI-X off; the error is INTx's, which comes back on. */
static int msix_teardown(struct dp_vpci *f)
{
	if (f->msix_wired && f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSIX, 0, 0, NULL) < 0)
		dp_warn(f->ctx, "%s: cannot switch MSI-X off", f->name);
	f->msix_wired = 0;
	for (uint32_t v = 0; v < f->msix_count; v++) {
		vec_release(f, &f->msix_vec[v]);
		if (f->msix.is_routed)
			f->msix.is_routed[v] = false;
	}
	if (!f->msix_on)
		return 0;
	f->msix_on = false;
	return intx_maybe_on(f);
}

static int msix_update(struct dp_vpci *f)
{
	uint16_t ctrl = (uint16_t)get(f->cfg, f->msix_cap + 2u, 2);
	int r;

	if (!(ctrl & DP_MSIX_CTRL_ENABLE)) {
		f->msix.enabled = false;
		f->msix.maskall = ctrl & DP_MSIX_CTRL_MASKALL;
		return msix_teardown(f);
	}
	if (!f->msix_on) {
		intx_off(f);
		f->msix_on = true;
	}
	r = dp_msix_control(&f->msix, ctrl);
	/*
	 * MSI-X on in the device even while every vector is masked, as QEMU's vfio
	 * does: some devices bind a queue's vector only when MSI-X is on as the
	 * queue is made (QEMU's NVMe does). Vector 0, no eventfd yet.
	 */
	if (f->msix_wired == 0 && f->msix_count) {
		int32_t none = -1;
		int r2 = f->dops->set_irq_eventfds(f->dev, DP_IRQ_MSIX, 0, 1, &none);

		if (r2 == 0)
			f->msix_wired = 1;
		else if (r == 0)
			r = r2;
	}
	return r;
}

/* ---- BARs ---- */

static bool bar_state(const struct dp_vpci *f, uint32_t i, uint64_t *addr)
{
	const struct vbar *b = &f->bars[i];
	uint32_t cmd = get(f->cfg, 4, 2), reg;

	*addr = 0;
	if (!b->present)
		return false;
	if (i == DP_VPCI_ROM) {
		reg = get(f->cfg, 0x30, 4);
		*addr = reg & 0xfffff800u;
		return (reg & 1u) && (cmd & CMD_MEM) && *addr;
	}
	reg = get(f->cfg, 0x10 + 4 * i, 4);
	if (b->flags & DP_VPCI_BAR_IO) {
		*addr = reg & ~3u;
		return (cmd & CMD_IO) && *addr;
	}
	*addr = reg & ~15u;
	if (b->flags & DP_VPCI_BAR_64)
		*addr |= (uint64_t)get(f->cfg, 0x10 + 4 * (i + 1), 4) << 32;
	return (cmd & CMD_MEM) && *addr;
}

static void unmap_pieces(struct dp_vpci *f, struct vbar *b)
{
	while (b->n_pieces) {
		struct piece *p = &b->pieces[--b->n_pieces];

		vm_unmap(f, b->placed_at + p->off, p->size, p->slot);
	}
	b->direct = false;
}

/* Adds [start, end) minus the holes (page aligned) to the pieces, page aligned. */
static int add_pieces(struct vbar *b, uint64_t start, uint64_t end, uint64_t (*holes)[2],
		      unsigned nh)
{
	uint64_t at = (start + PAGE - 1) & ~(PAGE - 1);

	end &= ~(PAGE - 1);
	while (at < end) {
		uint64_t stop = end;
		bool in_hole = false;

		for (unsigned h = 0; h < nh && !in_hole; h++)
			if (holes[h][0] <= at && at < holes[h][1]) {
				at = holes[h][1];
				in_hole = true;
			}
		if (in_hole)
			continue;
		for (unsigned h = 0; h < nh; h++)
			if (holes[h][0] > at && holes[h][0] < stop)
				stop = holes[h][0];
		if (b->n_pieces == MAX_PIECES)
			return -E2BIG;
		b->pieces[b->n_pieces++] = (struct piece){ at, stop - at, 0 };
		at = stop;
	}
	return 0;
}

/* The holes MSI-X needs in BAR i: the table's and the PBA's pages. */
static unsigned msix_holes(const struct dp_vpci *f, uint32_t i, uint64_t holes[2][2])
{
	unsigned nh = 0;
	uint64_t tb = dp_msix_table_bytes(f->msix.size), pb = dp_msix_pba_bytes(f->msix.size);

	if (!f->msix_cap || !f->msix.size)
		return 0;
	if (f->msix.table_bir == i) {
		holes[nh][0] = f->msix.table_offset & ~(PAGE - 1);
		holes[nh][1] = (f->msix.table_offset + tb + PAGE - 1) & ~(PAGE - 1);
		nh++;
	}
	if (f->msix.pba_bir == i) {
		holes[nh][0] = f->msix.pba_offset & ~(PAGE - 1);
		holes[nh][1] = (f->msix.pba_offset + pb + PAGE - 1) & ~(PAGE - 1);
		nh++;
	}
	if (nh == 2 && holes[1][0] < holes[0][0]) {
		uint64_t t0 = holes[0][0], t1 = holes[0][1];

		holes[0][0] = holes[1][0];
		holes[0][1] = holes[1][1];
		holes[1][0] = t0;
		holes[1][1] = t1;
	}
	return nh;
}

/* Puts the mmappable parts of placed BAR i into guest memory: the direct path. */
static int map_pieces(struct dp_vpci *f, uint32_t i)
{
	struct vbar *b = &f->bars[i];
	uint64_t holes[2][2], align = b->size < (1ull << 30) ? b->size : 1ull << 30;
	unsigned nh = msix_holes(f, i, holes);
	DP_OPTS_NONE(dp_region_info, ri);
	uint64_t fdoff = 0;
	int fd = -1, r;

	if (i == DP_VPCI_ROM || !(b->flags & DP_VPCI_BAR_MEM) || !b->mmap || b->size < PAGE ||
	    (b->placed_at & (PAGE - 1)) || f->d3 || b->n_pieces)
		return 0;
	if (!b->host) {
		r = f->dops->region_map(f->dev, i, align, &b->host);
		if (r < 0)
			return r;
	}
	r = f->dops->region_info(f->dev, i, &ri);
	if (r == 0)
		r = f->dops->region_fd(f->dev, i, &fd, &fdoff);
	if (r == 0 && (ri.flags & DP_REGION_SPARSE)) {
		for (uint32_t a = 0; a < ri.n_sparse && r == 0; a++) {
			uint64_t off, size;

			r = f->dops->sparse_area(f->dev, i, a, &off, &size);
			if (r == 0 && (off > b->size || size > b->size - off))
				r = -EINVAL;
			if (r == 0)
				r = add_pieces(b, off, off + size, holes, nh);
		}
	} else if (r == 0) {
		r = add_pieces(b, 0, b->size, holes, nh);
	}
	for (uint32_t p = 0; r == 0 && p < b->n_pieces; p++) {
		struct piece *pc = &b->pieces[p];

		r = vm_map(f, b->placed_at + pc->off, pc->size, (char *)b->host + pc->off, fd,
			   fdoff + pc->off, &pc->slot);
		if (r < 0)
			b->n_pieces = p; /* these are mapped: undone below */
	}
	if (r < 0) {
		unmap_pieces(f, b);
		dp_err(f->ctx, "%s: BAR %u at %#llx into guest memory: %s", f->name, i,
		       (unsigned long long)b->placed_at, strerror(-r));
		return r;
	}
	b->direct = b->n_pieces > 0;
	return 0;
}

static void unplace(struct dp_vpci *f, uint32_t i)
{
	struct vbar *b = &f->bars[i];

	unmap_pieces(f, b);
	b->placed = false;
	b->placed_at = 0;
}

/* Why BAR i may not decode at address, or NULL. */
static const char *refuse(struct dp_vpci *f, uint32_t i, uint64_t address)
{
	const struct vbar *b = &f->bars[i];

	if (address + b->size < address)
		return "it wraps around the address space";
	if (b->flags & DP_VPCI_BAR_IO)
		return address + b->size > 0x10000 ? "it is past the 64 KiB I/O space" : NULL;
	if (overlaps(address, b->size, MSI_WINDOW_START, MSI_WINDOW_END - MSI_WINDOW_START + 1))
		return "it overlaps the MSI window 0xfee00000-0xfeefffff";
	for (uint32_t j = 0; j < NBARS; j++)
		if (j != i && f->bars[j].placed && !(f->bars[j].flags & DP_VPCI_BAR_IO) &&
		    overlaps(address, b->size, f->bars[j].placed_at, f->bars[j].size))
			return "it overlaps another BAR of the function";
	if (f->dma && dp_dma_overlaps(f->dma, address, b->size))
		return "it overlaps guest RAM mapped for DMA";
	return NULL;
}

static int place(struct dp_vpci *f, uint32_t i, uint64_t address)
{
	struct vbar *b = &f->bars[i];
	const char *why = refuse(f, i, address);
	int r;

	unplace(f, i);
	if (why) {
		if (!b->warned)
			dp_warn(f->ctx, "%s: BAR %u of %#llx bytes at %#llx does not decode: %s",
				f->name, i, (unsigned long long)b->size, (unsigned long long)address, why);
		b->warned = true;
		return -EINVAL;
	}
	b->placed = true;
	b->placed_at = address;
	b->warned = false;
	r = map_pieces(f, i);
	if (r < 0 && (f->opts.flags & DP_VPCI_VMM_DECODES)) {
		unplace(f, i); /* the VMM asked: it hears why, and nothing changed */
		return r;
	}
	/* Decoding on its own, the function keeps the BAR, trapped: the guest still reaches it. */
	if (r < 0)
		dp_warn(f->ctx, "%s: BAR %u at %#llx stays trapped: every access exits", f->name, i,
			(unsigned long long)address);
	return 0;
}

/* Follows the decode state of every BAR after a write; *changed gets the bits. */
static uint32_t decode_changed(struct dp_vpci *f)
{
	uint32_t changed = 0;

	for (uint32_t i = 0; i < NBARS; i++) {
		struct vbar *b = &f->bars[i];
		uint64_t addr;
		bool on = bar_state(f, i, &addr);

		if (!b->present || (on == b->enabled && (!on || addr == b->addr)))
			continue;
		changed |= 1u << i;
		b->enabled = on;
		b->addr = on ? addr : 0;
		if (f->opts.flags & DP_VPCI_VMM_DECODES)
			continue;
		unplace(f, i);
		if (on)
			place(f, i, addr);
	}
	return changed;
}

/* ---- Config space layout ---- */

static void hide(struct dp_vpci *f, uint32_t off, uint32_t end)
{
	set_kind(f, off, end - off, B_ZERO, 0);
	memset(f->cfg + off, 0, end - off);
}

/* The end of the capability at off: the next one by address, or the limit. */
static uint32_t cap_end(const uint32_t *offs, unsigned n, uint32_t off, uint32_t limit)
{
	uint32_t end = limit;

	for (unsigned k = 0; k < n; k++)
		if (offs[k] > off && offs[k] < end)
			end = offs[k];
	return end;
}

static void layout_std_caps(struct dp_vpci *f)
{
	uint32_t offs[DP_PCI_CAP_MAX], visible[DP_PCI_CAP_MAX], nv = 0, n = 0;
	struct dp_pciconf pc;

	/* The one bounded walk (pciconf.c); an endpoint's list starts at 0x34. */
	if (dp_pciconf_parse(f->cfg, CFG_STD, &pc) == 0)
		for (n = 0; n < pc.n_caps; n++)
			offs[n] = pc.cap_offs[n];
	for (unsigned k = 0; k < n; k++) {
		uint32_t o = offs[k], id = f->cfg[o], end = cap_end(offs, n, o, CFG_STD);

		if (id == CAP_EXP && (f->opts.flags & DP_VPCI_CONVENTIONAL)) {
			hide(f, o, end);
			continue;
		}
		visible[nv++] = o;
		set_kind(f, o, 2, B_EMU, 0); /* ID and next pointer */
		switch (id) {
		case CAP_MSI:
			if (!f->msi_cap && f->msi_count) {
				uint32_t ctrl = get(f->cfg, o + 2, 2), mmc = (ctrl >> 1) & 7u;
				uint32_t len = (ctrl & 0x80u ? 14u : 10u) + (ctrl & 0x100u ? 10u : 0);

				f->msi_cap = (uint16_t)o;
				set_kind(f, o + 2, len - 2, B_EMU, 0);
				put(f->cfg, o + 2, ctrl & ~0x71u, 2);
				f->wmask[o + 2] = 0x71;
				put(f->wmask, o + 4, 0xfffffffcu, 4);
				if (ctrl & 0x80u)
					put(f->wmask, o + 8, 0xffffffffu, 4);
				put(f->cfg, o + 4, 0, ctrl & 0x80u ? 8 : 4);
				put(f->cfg, msi_off(f, 1), 0, 2);
				put(f->wmask, msi_off(f, 1), 0xffff, 2);
				if (ctrl & 0x100u) {
					put(f->cfg, msi_off(f, 2), 0, 8);
					put(f->wmask, msi_off(f, 2), mmc >= 5 ? 0xffffffffu : (1u << (1u << mmc)) - 1, 4);
				}
			}
			break;
		case CAP_MSIX:
			if (!f->msix_cap && f->msix_count) {
				f->msix_cap = (uint16_t)o;
				set_kind(f, o + 2, 10, B_EMU, 0);
				put(f->cfg, o + 2, get(f->cfg, o + 2, 2) & 0x07ffu, 2);
				f->wmask[o + 3] = 0xc0;
			}
			break;
		case CAP_EXP:
			if (!f->exp_cap) {
				f->exp_cap = (uint16_t)o;
				f->flr_capable = get(f->cfg, o + 4, 4) & (1u << 28);
			}
			break;
		case CAP_PM:
			if (!f->pm_cap)
				f->pm_cap = (uint16_t)o;
			break;
		}
	}
	/* The visible chain, in the device's order. */
	f->cfg[0x34] = (uint8_t)(nv ? visible[0] : 0);
	for (unsigned k = 0; k < nv; k++)
		f->cfg[visible[k] + 1] = (uint8_t)(k + 1 < nv ? visible[k + 1] : 0);
	f->has_caps = nv > 0;
}

static bool ext_hidden(const struct dp_vpci *f, uint32_t id)
{
	uint32_t show = f->opts.show_caps;

	return (id == EXT_SRIOV && !(show & DP_VPCI_CAP_SRIOV)) ||
	       (id == EXT_ARI && !(show & DP_VPCI_CAP_ARI)) ||
	       (id == EXT_REBAR && !(show & DP_VPCI_CAP_REBAR)) ||
	       (id == EXT_VF_REBAR && !(show & DP_VPCI_CAP_VF_REBAR));
}

static void layout_ext_caps(struct dp_vpci *f)
{
	uint32_t offs[64], visible[64], n = 0, nv = 0, at = 0x100;

	if (f->size <= CFG_STD)
		return;
	while (at >= 0x100 && at <= f->size - 4 && n < 64 && get(f->cfg, at, 4) != 0 &&
	       get(f->cfg, at, 4) != 0xffffffffu) {
		bool seen = false;

		for (unsigned k = 0; k < n; k++)
			seen |= offs[k] == at;
		if (seen)
			break;
		offs[n++] = at;
		at = (get(f->cfg, at, 4) >> 20) & 0xffcu;
	}
	for (unsigned k = 0; k < n; k++) {
		uint32_t o = offs[k];

		if (ext_hidden(f, get(f->cfg, o, 2)))
			hide(f, o, cap_end(offs, n, o, f->size));
		else
			visible[nv++] = o;
	}
	if (n == 0)
		return;
	/* 0x100 must hold a header: an ID-0 one when its capability is hidden. */
	if (offs[0] == 0x100 && (nv == 0 || visible[0] != 0x100)) {
		set_kind(f, 0x100, 4, B_EMU, 0);
		put(f->cfg, 0x100, (nv ? visible[0] : 0) << 20, 4);
	}
	for (unsigned k = 0; k < nv; k++) {
		uint32_t hdr = get(f->cfg, visible[k], 4) & 0x000fffffu;

		set_kind(f, visible[k], 4, B_EMU, 0);
		put(f->cfg, visible[k], hdr | (k + 1 < nv ? visible[k + 1] : 0) << 20, 4);
	}
}

static int read_bars(struct dp_vpci *f)
{
	for (uint32_t i = 0; i < NBARS; i++) {
		struct vbar *b = &f->bars[i];
		DP_OPTS_NONE(dp_region_info, ri);
		uint32_t reg = i == DP_VPCI_ROM ? 0x30u : 0x10u + 4 * i;
		uint32_t raw = get(f->cfg, reg, 4), mask;

		put(f->cfg, reg, 0, 4);
		if (b->upper)
			continue;
		if (f->dops->region_info(f->dev, i, &ri) < 0 || ri.size == 0)
			continue;
		if (ri.size & (ri.size - 1) || (i != DP_VPCI_ROM && ri.size < 16) ||
		    (i == DP_VPCI_ROM && ri.size < 2048)) {
			dp_warn(f->ctx, "%s: BAR %u of %#llx bytes is not a BAR the guest can size; hidden",
				f->name, i, (unsigned long long)ri.size);
			continue;
		}
		b->present = true;
		b->size = ri.size;
		b->mmap = ri.flags & DP_REGION_MMAP;
		if (i == DP_VPCI_ROM) {
			b->flags = DP_VPCI_BAR_MEM;
			put(f->wmask, reg, ((uint32_t)~(ri.size - 1) & 0xfffff800u) | 1u, 4);
		} else if (raw & 1u) {
			b->flags = DP_VPCI_BAR_IO;
			put(f->cfg, reg, 1u, 4);
			put(f->wmask, reg, (uint32_t)~(ri.size - 1) & ~3u, 4);
		} else {
			b->flags = DP_VPCI_BAR_MEM | (raw & 8u ? DP_VPCI_BAR_PREFETCH : 0);
			mask = (uint32_t)~(ri.size - 1) & ~15u;
			if ((raw & 6u) == 4u && i < 5) {
				b->flags |= DP_VPCI_BAR_64;
				f->bars[i + 1].upper = true;
				put(f->wmask, reg + 4, (uint32_t)(~(ri.size - 1) >> 32), 4);
				put(f->cfg, reg + 4, 0, 4);
			} else if (ri.size > 0x80000000ull) {
				b->present = false; /* too big for a 32-bit BAR */
				continue;
			}
			put(f->cfg, reg, raw & 0xeu & ((raw & 6u) == 4u && i < 5 ? 0xfu : 0x9u), 4);
			put(f->wmask, reg, mask, 4);
		}
	}
	return 0;
}

/* Reads the device and lays out the guest's view of config space. */
static int layout(struct dp_vpci *f)
{
	DP_OPTS_NONE(dp_region_info, ri);
	uint32_t dsize;
	int r = f->dops->region_info(f->dev, DP_REGION_CONFIG, &ri);

	if (r < 0 || ri.size < 64) {
		dp_err(f->ctx, "%s: config space unreadable (%s)", f->name,
		       r < 0 ? strerror(-r) : "under 64 bytes");
		return -EIO;
	}
	dsize = ri.size > CFG_MAX ? CFG_MAX : (uint32_t)ri.size;
	f->size = (f->opts.flags & DP_VPCI_CONVENTIONAL) && dsize > CFG_STD ? CFG_STD : dsize;
	r = f->dops->region_read(f->dev, DP_REGION_CONFIG, 0, f->cfg, f->size);
	if (r < 0) {
		dp_err(f->ctx, "%s: reading config space: %s", f->name, strerror(-r));
		return -EIO;
	}
	memset(f->kind, B_DEV, sizeof(f->kind));
	memset(f->wmask, 0, sizeof(f->wmask));
	/* The header is virtual, but for status (the device's, except the cap-list bit). */
	set_kind(f, 0, 0x40, B_EMU, 0);
	set_kind(f, 0x06, 2, B_DEV, 0);
	put(f->cfg, 0x04, 0, 2);
	put(f->wmask, 0x04, CMD_WRITABLE, 2);
	f->wmask[0x0c] = f->wmask[0x0d] = 0xff;
	f->cfg[0x0e] &= 0x7f;
	f->cfg[0x0f] = 0;
	put(f->cfg, 0x38, 0, 4);
	f->wmask[0x3c] = 0xff;
	f->cfg[0x3c] = f->opts.flags & DP_VPCI_INTX ? (uint8_t)f->opts.intx_gsi : 0;
	if (!f->intx_count)
		f->cfg[0x3d] = 0;
	r = read_bars(f);
	if (r < 0)
		return r;
	layout_std_caps(f);
	layout_ext_caps(f);
	memcpy(f->init, f->cfg, sizeof(f->init));
	return 0;
}

/* ---- Reset ---- */

/* Everything the function put in the VM and the device goes; the virtual state stays. */
static void release_all(struct dp_vpci *f)
{
	for (uint32_t i = 0; i < NBARS; i++)
		unplace(f, i);
	msi_disable(f);
	msix_teardown(f);
	intx_close(f);
	for (uint32_t i = 0; i < NBARS; i++)
		if (f->bars[i].host) {
			f->dops->region_unmap(f->dev, i);
			f->bars[i].host = NULL;
		}
}

/* The device's command register: decode and bus mastering off, as after reset. */
static void quiesce_device(struct dp_vpci *f)
{
	uint16_t cmd;

	if (f->dops->region_read(f->dev, DP_REGION_CONFIG, 4, &cmd, 2) == 0) {
		cmd &= (uint16_t)~(CMD_IO | CMD_MEM | CMD_MASTER);
		if (f->dops->region_write(f->dev, DP_REGION_CONFIG, 4, &cmd, 2) < 0)
			dp_warn(f->ctx, "%s: cannot switch decoding off", f->name);
	}
}

static int do_reset(struct dp_vpci *f)
{
	int r;

	for (uint32_t i = 0; i < NBARS; i++)
		unplace(f, i);
	msi_disable(f);
	msix_teardown(f);
	r = f->dops->reset(f->dev);
	if (r < 0)
		dp_err(f->ctx, "%s: the device was not reset: %s; only the guest's view of it was",
		       f->name, strerror(-r));
	memcpy(f->cfg, f->init, sizeof(f->cfg));
	for (uint32_t i = 0; i < NBARS; i++) {
		f->bars[i].enabled = false;
		f->bars[i].addr = 0;
		f->bars[i].warned = false;
	}
	for (uint32_t v = 0; v < f->msix.size; v++)
		f->msix.table[v] = (struct dp_msix_entry){ .ctrl = DP_MSIX_VECTOR_MASKED };
	f->msix.enabled = f->msix.maskall = false;
	f->msi_warned = f->msix_warned = f->msix_access_warned = false;
	f->d3 = false;
	quiesce_device(f);
	return r;
}

/* ---- Config space accesses ---- */

static int cfg_check(struct dp_vpci *f, uint32_t offset, const void *buf, size_t len)
{
	if (!f->dev) {
		dp_err(f->ctx, "%s: the attachment is gone", f->name);
		return -ENODEV;
	}
	if (!buf && len)
		return -EINVAL;
	if (offset > f->size || len > f->size - offset) {
		dp_err(f->ctx, "%s: config access of %zu bytes at %#x is past its %u bytes", f->name,
		       len, offset, f->size);
		return -ERANGE;
	}
	return 0;
}

static int cfg_read(struct dp_vpci *f, uint32_t off, uint8_t *out, size_t len)
{
	uint32_t first = UINT32_MAX, last = 0;
	uint8_t dev[CFG_MAX];
	int r;

	for (uint32_t a = off; a < off + len; a++)
		if (f->kind[a] == B_DEV) {
			first = first == UINT32_MAX ? a : first;
			last = a;
		}
	if (first != UINT32_MAX) {
		r = f->dops->region_read(f->dev, DP_REGION_CONFIG, first, dev + first, last - first + 1);
		if (r < 0)
			return r;
	}
	if (f->msi_cap && overlaps(off, len, msi_off(f, 3), 4))
		msi_pending_refresh(f);
	for (uint32_t a = off; a < off + len; a++)
		out[a - off] = f->kind[a] == B_DEV ? dev[a] : f->kind[a] == B_EMU ? f->cfg[a] : 0;
	if (off <= 6 && 6 < off + len)
		out[6 - off] = (uint8_t)((out[6 - off] & ~STATUS_CAP_LIST) |
					 (f->has_caps ? STATUS_CAP_LIST : 0));
	return 0;
}

/* Writes the device's bytes of [off, off + len) in runs, the FLR bit taken out. */
static int write_device_bytes(struct dp_vpci *f, uint32_t off, const uint8_t *in, size_t len)
{
	uint8_t b[CFG_MAX];
	uint32_t a = off;

	memcpy(b + off, in, len);
	if (f->exp_cap && overlaps(off, len, f->exp_cap + 9u, 1))
		b[f->exp_cap + 9u] &= 0x7f;
	while (a < off + len) {
		uint32_t end = a;
		int r;

		if (f->kind[a] != B_DEV) {
			a++;
			continue;
		}
		while (end < off + len && f->kind[end] == B_DEV)
			end++;
		r = f->dops->region_write(f->dev, DP_REGION_CONFIG, a, b + a, end - a);
		if (r < 0)
			return r;
		a = end;
	}
	return 0;
}

static int cfg_write(struct dp_vpci *f, uint32_t off, const uint8_t *in, size_t len,
		     uint32_t *changed)
{
	bool flr = f->exp_cap && f->flr_capable && overlaps(off, len, f->exp_cap + 9u, 1) &&
		   (in[f->exp_cap + 9u - off] & 0x80u);
	uint32_t was_enabled = 0, now;
	int r, first = 0;

	for (uint32_t i = 0; i < NBARS; i++)
		was_enabled |= f->bars[i].enabled ? 1u << i : 0;

	for (uint32_t a = off; a < off + len; a++)
		if (f->kind[a] == B_EMU)
			f->cfg[a] = (uint8_t)((f->cfg[a] & ~f->wmask[a]) | (in[a - off] & f->wmask[a]));
	/* Multiple Message Enable is at most what the device is capable of. */
	if (f->msi_cap && overlaps(off, len, f->msi_cap + 2u, 1)) {
		uint8_t c = f->cfg[f->msi_cap + 2u], mmc = (c >> 1) & 7u;

		if (((c >> 4) & 7u) > mmc)
			f->cfg[f->msi_cap + 2u] = (uint8_t)((c & ~0x70u) | mmc << 4);
	}
	r = write_device_bytes(f, off, in, len);
	if (r < 0) {
		dp_err(f->ctx, "%s: config write of %zu bytes at %#x: %s", f->name, len, off,
		       strerror(-r));
		first = r;
	}
	if (overlaps(off, len, 0x04, 2)) {
		uint16_t cmd = (uint16_t)get(f->cfg, 4, 2);

		/* Decode, bus mastering and DisINTx reach the device: VFIO needs decode for BAR access. */
		r = f->dops->region_write(f->dev, DP_REGION_CONFIG, 4, &cmd, 2);
		if (r < 0 && !first)
			first = r;
	}
	if (f->pm_cap && overlaps(off, len, f->pm_cap + 4u, 1)) {
		uint16_t pm = 0;

		/* The device's own power state after the write decides: D3hot takes the slots away. */
		if (f->dops->region_read(f->dev, DP_REGION_CONFIG, f->pm_cap + 4u, &pm, 2) == 0 &&
		    ((pm & 3u) == 3u) != f->d3) {
			f->d3 = (pm & 3u) == 3u;
			for (uint32_t i = 0; i < NBARS; i++) {
				if (f->d3)
					unmap_pieces(f, &f->bars[i]);
				else if (f->bars[i].placed)
					map_pieces(f, i);
			}
		}
	}
	if (f->msi_cap && overlaps(off, len, f->msi_cap + 2u, msi_off(f, 2) + 4u - f->msi_cap - 2u)) {
		r = msi_update(f);
		if (r < 0 && !first)
			first = r;
	}
	if (f->msix_cap && overlaps(off, len, f->msix_cap + 2u, 2)) {
		r = msix_update(f);
		if (r < 0 && !first)
			first = r;
	}
	if (flr) {
		r = do_reset(f);
		if (r < 0 && !first)
			first = r;
	}
	now = decode_changed(f);
	if (flr) /* every BAR that decoded stopped */
		now |= was_enabled;
	if (changed)
		*changed = now;
	return first;
}

/* ---- The public calls ---- */

static const struct dp_vpci_opts default_opts = { .sz = sizeof(struct dp_vpci_opts) };

int dp_vpci_new_backend(struct dp_ctx *ctx, const struct dp_vpci_dev_ops *dev_ops, void *dev,
			struct dp_kvm *kvm, struct dp_dma *dma, const struct dp_vpci_opts *opts,
			struct dp_vpci **out)
{
	const uint32_t known = DP_VPCI_INTX | DP_VPCI_INTX_EOI | DP_VPCI_CONVENTIONAL |
			       DP_VPCI_VMM_DECODES;
	const uint32_t caps = DP_VPCI_CAP_SRIOV | DP_VPCI_CAP_ARI | DP_VPCI_CAP_REBAR |
			      DP_VPCI_CAP_VF_REBAR;
	DP_OPTS_NONE(dp_irq_info, ii);
	struct dp_vpci *f;
	int r;

	if (dp_bug_on(ctx, !dev_ops || !dev || !out))
		return -EINVAL;
	r = opts ? DP_OPTS_CHECK(opts, dp_vpci_opts, opaque) : 0;
	if (r < 0) {
		dp_err(ctx, "dp_vpci_opts: %s", r == -E2BIG ? "fields this library does not know are set"
							     : "sz is too small");
		return r;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->refcount = 1;
	f->ctx = dp_ctx_ref(ctx);
	f->dops = dev_ops;
	f->dev = dev;
	f->kvm = kvm;
	f->dma = dma;
	f->name = dev_ops->name(dev);
	f->intx_trig = f->intx_res = -1;
	for (uint32_t v = 0; v < MSI_MAX; v++)
		f->msi[v].efd = -1;
	dp_opts_copy(&f->opts, sizeof(f->opts), opts ? opts : &default_opts);
	if (f->opts.ops) {
		r = DP_OPTS_CHECK(f->opts.ops, dp_vpci_ops, irqfd);
		if (r < 0) {
			dp_err(ctx, "%s: dp_vpci_ops: %s", f->name,
			       r == -E2BIG ? "fields this library does not know are set" : "sz is too small");
			dp_ctx_unref(f->ctx);
			free(f);
			return r;
		}
		dp_opts_copy(&f->ops, sizeof(f->ops), f->opts.ops);
		if (!f->ops.map_mem != !f->ops.unmap_mem || !f->ops.msi_route != !f->ops.msi_unroute) {
			dp_err(ctx, "%s: dp_vpci_ops: map_mem and unmap_mem, msi_route and msi_unroute go in pairs",
			       f->name);
			dp_ctx_unref(f->ctx);
			free(f);
			return -EINVAL;
		}
	}
	if ((f->opts.flags & ~known) || (f->opts.show_caps & ~caps)) {
		dp_err(ctx, "%s: dp_vpci_opts: unknown flags %#x or capabilities %#x", f->name,
		       f->opts.flags & ~known, f->opts.show_caps & ~caps);
		dp_ctx_unref(f->ctx);
		free(f);
		return -EINVAL;
	}
	r = pthread_mutex_init(&f->lock, NULL);
	if (r) {
		dp_ctx_unref(f->ctx);
		free(f);
		return -r;
	}
	if (dev_ops->irq_info(dev, DP_IRQ_INTX, &ii) == 0)
		f->intx_count = ii.count;
	if (dev_ops->irq_info(dev, DP_IRQ_MSI, &ii) == 0)
		f->msi_count = ii.count > MSI_MAX ? MSI_MAX : ii.count;
	if (dev_ops->irq_info(dev, DP_IRQ_MSIX, &ii) == 0) {
		f->msix_count = ii.count;
		f->msix_noresize = ii.flags & DP_IRQ_NORESIZE;
	}
	r = layout(f);
	if (r < 0)
		goto err;
	if (!f->msix_cap) /* vectors VFIO offers without a capability the guest could use */
		f->msix_count = 0;
	if (f->msix_cap) {
		uint32_t ctrl = get(f->cfg, f->msix_cap + 2u, 2), table = get(f->cfg, f->msix_cap + 4u, 4);
		uint32_t pba = get(f->cfg, f->msix_cap + 8u, 4), n = (ctrl & 0x7ffu) + 1;

		if (n > f->msix_count)
			n = f->msix_count;
		r = dp_msix_init(&f->msix, (uint16_t)n, table & 7u, table & ~7u, pba & 7u, pba & ~7u);
		f->msix_vec = calloc(n, sizeof(*f->msix_vec));
		if (r < 0 || !f->msix_vec) {
			r = -ENOMEM;
			goto err;
		}
		for (uint32_t v = 0; v < n; v++)
			f->msix_vec[v].efd = -1;
		f->msix_count = n;
		f->msix.route = msix_route_hook;
		f->msix.unroute = msix_unroute_hook;
		f->msix.pending = msix_pending_hook;
		f->msix.opaque = f;
	}
	quiesce_device(f);
	if ((f->opts.flags & DP_VPCI_INTX) && f->intx_count && f->init[0x3d]) {
		r = intx_open(f);
		if (r < 0)
			goto err;
	}
	*out = f;
	return 0;
err:
	dp_msix_fini(&f->msix);
	free(f->msix_vec);
	pthread_mutex_destroy(&f->lock);
	dp_ctx_unref(f->ctx);
	free(f);
	return r;
}

/* The VFIO device under a function. */
static const char *vdev_name(void *dev)
{
	return ((struct dp_vdev *)dev)->bdf;
}

static int vdev_region_info(void *dev, uint32_t index, struct dp_region_info *info)
{
	return index < ((struct dp_vdev *)dev)->num_regions ? dp_vdev_get_region_info(dev, index, info)
							     : -ENOENT;
}

static int vdev_sparse_area(void *dev, uint32_t index, uint32_t area, uint64_t *offset,
			    uint64_t *size)
{
	return dp_vdev_get_sparse_area(dev, index, area, offset, size);
}

static int vdev_region_read(void *dev, uint32_t index, uint64_t offset, void *buf, size_t len)
{
	return dp_vdev_region_read(dev, index, offset, buf, len);
}

static int vdev_region_write(void *dev, uint32_t index, uint64_t offset, const void *buf,
			     size_t len)
{
	return dp_vdev_region_write(dev, index, offset, buf, len);
}

static int vdev_region_map(void *dev, uint32_t index, uint64_t align, void **addr)
{
	return dp_vdev_map_region_aligned(dev, index, align, addr);
}

static int vdev_region_unmap(void *dev, uint32_t index)
{
	return dp_vdev_unmap_region(dev, index);
}

static int vdev_region_fd(void *dev, uint32_t index, int *fd, uint64_t *offset)
{
	struct dp_vdev *v = dev;

	*fd = v->fd;
	*offset = v->regions[index].offset;
	return 0;
}

static int vdev_irq_info(void *dev, uint32_t index, struct dp_irq_info *info)
{
	struct dp_vdev *v = dev;

	return index < v->num_irqs ? dp_vdev_get_irq_info(v, index, info) : -ENOENT;
}

static int vdev_set_irq_eventfds(void *dev, uint32_t index, uint32_t start, uint32_t count,
				 const int32_t *fds)
{
	return dp_vdev_set_irq_eventfds(dev, index, start, count, fds);
}

static int vdev_set_intx_unmask_fd(void *dev, int32_t fd)
{
	return dp_vdev_set_intx_unmask_fd(dev, fd);
}

static int vdev_unmask_irq(void *dev, uint32_t index, uint32_t vector)
{
	return dp_vdev_unmask_irq(dev, index, vector);
}

static int vdev_reset(void *dev)
{
	return dp_vdev_reset(dev);
}

static const struct dp_vpci_dev_ops vdev_ops = {
	.name = vdev_name,
	.region_info = vdev_region_info,
	.sparse_area = vdev_sparse_area,
	.region_read = vdev_region_read,
	.region_write = vdev_region_write,
	.region_map = vdev_region_map,
	.region_unmap = vdev_region_unmap,
	.region_fd = vdev_region_fd,
	.irq_info = vdev_irq_info,
	.set_irq_eventfds = vdev_set_irq_eventfds,
	.set_intx_unmask_fd = vdev_set_intx_unmask_fd,
	.unmask_irq = vdev_unmask_irq,
	.reset = vdev_reset,
};

int dp_vpci_new(struct dp_vdev *vdev, const struct dp_vpci_opts *opts, struct dp_vpci **out)
{
	struct dp_attachment *att;
	struct dp_vpci *f;
	int r;

	if (!vdev)
		return -EINVAL;
	att = vdev->att;
	if (dp_bug_on(att->ctx, !out))
		return -EINVAL;
	if (vdev->vpci) {
		dp_err(att->ctx, "%s: it has a guest-facing function already", vdev->bdf);
		return -EBUSY;
	}
	r = dp_vpci_new_backend(att->ctx, &vdev_ops, vdev, att->have_kvm ? &att->kvm : NULL,
				att->have_dma ? &att->dma : NULL, opts, &f);
	if (r < 0)
		return r;
	f->vdev = vdev;
	vdev->vpci = f;
	*out = f;
	return 0;
}

struct dp_vpci *dp_vpci_ref(struct dp_vpci *vpci)
{
	if (vpci)
		__atomic_add_fetch(&vpci->refcount, 1, __ATOMIC_RELAXED);
	return vpci;
}

void dp_vpci_orphan(struct dp_vpci *f)
{
	pthread_mutex_lock(&f->lock);
	if (f->dev)
		release_all(f);
	f->dev = NULL;
	if (f->vdev)
		f->vdev->vpci = NULL;
	f->vdev = NULL;
	pthread_mutex_unlock(&f->lock);
}

struct dp_vpci *dp_vpci_unref(struct dp_vpci *vpci)
{
	if (!vpci || __atomic_sub_fetch(&vpci->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	dp_vpci_orphan(vpci);
	dp_msix_fini(&vpci->msix);
	free(vpci->msix_vec);
	pthread_mutex_destroy(&vpci->lock);
	dp_ctx_unref(vpci->ctx);
	free(vpci);
	return NULL;
}

struct dp_vdev *dp_vpci_get_vdev(const struct dp_vpci *vpci)
{
	return vpci ? vpci->vdev : NULL;
}

uint32_t dp_vpci_get_flags(const struct dp_vpci *vpci)
{
	return vpci ? vpci->opts.flags : 0;
}

uint32_t dp_vpci_get_config_size(const struct dp_vpci *vpci)
{
	return vpci ? vpci->size : 0;
}

int dp_vpci_config_read(struct dp_vpci *vpci, uint32_t offset, void *buf, size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = cfg_check(vpci, offset, buf, len);
	if (r == 0 && len)
		r = cfg_read(vpci, offset, buf, len);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_config_write(struct dp_vpci *vpci, uint32_t offset, const void *buf, size_t len,
			 uint32_t *changed)
{
	int r;

	if (!vpci)
		return -EINVAL;
	if (changed)
		*changed = 0;
	pthread_mutex_lock(&vpci->lock);
	r = cfg_check(vpci, offset, buf, len);
	if (r == 0 && len)
		r = cfg_write(vpci, offset, buf, len, changed);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

static int need_bar(const struct dp_vpci *f, uint32_t bar)
{
	if (bar >= NBARS || !f->bars[bar].present) {
		dp_err(f->ctx, "%s: no BAR %u%s", f->name, bar,
		       bar < NBARS && f->bars[bar].upper ? " (the upper half of a 64-bit BAR)" : "");
		return -EINVAL;
	}
	return 0;
}

/* The index-th range of b that is not in a piece. */
static bool trap_range(const struct vbar *b, uint32_t index, uint64_t *offset, uint64_t *size)
{
	uint64_t at = 0;
	uint32_t n = 0;

	if (!b->placed)
		return false;
	for (uint32_t p = 0; p <= b->n_pieces; p++) {
		uint64_t start = p < b->n_pieces ? b->pieces[p].off : b->size;

		if (start > at) {
			if (n++ == index) {
				*offset = at;
				*size = start - at;
				return true;
			}
		}
		if (p < b->n_pieces)
			at = b->pieces[p].off + b->pieces[p].size;
	}
	return false;
}

int dp_vpci_get_bar_info(const struct dp_vpci *vpci, uint32_t bar, struct dp_vpci_bar_info *info)
{
	struct dp_vpci_bar_info i = { .sz = sizeof(i) };
	const struct vbar *b;
	uint64_t o, sz;

	if (!vpci || !info || bar >= NBARS)
		return -EINVAL;
	b = &vpci->bars[bar];
	if (b->present) {
		i.size = b->size;
		i.flags = b->flags | (b->enabled ? DP_VPCI_BAR_ENABLED : 0) |
			  (b->placed ? DP_VPCI_BAR_PLACED : 0) | (b->direct ? DP_VPCI_BAR_DIRECT : 0);
		bar_state(vpci, bar, &i.address);
		i.placed = b->placed_at;
		while (trap_range(b, i.n_traps, &o, &sz))
			i.n_traps++;
	}
	return dp_info_copy_out(info, offsetof(struct dp_vpci_bar_info, n_traps) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_vpci_get_trap(const struct dp_vpci *vpci, uint32_t bar, uint32_t index, uint64_t *offset,
		     uint64_t *size)
{
	uint64_t o, s;

	if (!vpci || bar >= NBARS)
		return -EINVAL;
	if (!trap_range(&vpci->bars[bar], index, &o, &s))
		return -ERANGE;
	if (offset)
		*offset = o;
	if (size)
		*size = s;
	return 0;
}

/* place_bar and unplace_bar: the VMM decodes (DP_VPCI_VMM_DECODES) and names a BAR. */
static int vmm_places(struct dp_vpci *vpci, uint32_t bar, bool on, uint64_t address)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = vpci->dev ? need_bar(vpci, bar) : -ENODEV;
	if (r == 0 && !(vpci->opts.flags & DP_VPCI_VMM_DECODES)) {
		dp_err(vpci->ctx, "%s: the function decodes its BARs itself (no DP_VPCI_VMM_DECODES)",
		       vpci->name);
		r = -EINVAL;
	}
	if (r == 0 && on)
		r = place(vpci, bar, address);
	else if (r == 0)
		unplace(vpci, bar);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_place_bar(struct dp_vpci *vpci, uint32_t bar, uint64_t address)
{
	return vmm_places(vpci, bar, true, address);
}

int dp_vpci_unplace_bar(struct dp_vpci *vpci, uint32_t bar)
{
	return vmm_places(vpci, bar, false, 0);
}

static int bar_access(struct dp_vpci *f, uint32_t bar, uint64_t offset, void *buf, size_t len,
		      bool write)
{
	int r = f->dev ? need_bar(f, bar) : -ENODEV;

	if (r < 0)
		return r;
	if (!buf || offset > f->bars[bar].size || len > f->bars[bar].size - offset) {
		dp_err(f->ctx, "%s: BAR %u access of %zu bytes at %#llx is past its %#llx bytes",
		       f->name, bar, len, (unsigned long long)offset,
		       (unsigned long long)f->bars[bar].size);
		return buf ? -ERANGE : -EINVAL;
	}
	if (bar == DP_VPCI_ROM && write) {
		dp_err(f->ctx, "%s: the ROM is read-only", f->name);
		return -EACCES;
	}
	if (f->msix_cap) {
		f->route_err = 0;
		r = dp_msix_access(&f->msix, bar, offset, buf, len, write);
		if (r == -EINVAL) {
			if (!f->msix_access_warned)
				dp_err(f->ctx, "%s: MSI-X table or PBA access of %zu bytes at BAR %u offset %#llx: they take aligned 4 or 8 bytes",
				       f->name, len, bar, (unsigned long long)offset);
			f->msix_access_warned = true;
		} else if (r == -EIO && f->route_err) {
			r = f->route_err; /* the routing's own reason, logged where it failed */
		}
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return write ? f->dops->region_write(f->dev, bar, offset, buf, len)
		     : f->dops->region_read(f->dev, bar, offset, buf, len);
}

int dp_vpci_bar_read(struct dp_vpci *vpci, uint32_t bar, uint64_t offset, void *buf, size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = bar_access(vpci, bar, offset, buf, len, false);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_bar_write(struct dp_vpci *vpci, uint32_t bar, uint64_t offset, const void *buf,
		      size_t len)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = bar_access(vpci, bar, offset, (void *)buf, len, true);
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_intx_eoi(struct dp_vpci *vpci)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	if (!vpci->dev) {
		r = -ENODEV;
	} else if (!(vpci->opts.flags & DP_VPCI_INTX_EOI) || !vpci->intx) {
		dp_err(vpci->ctx, "%s: INTx end of interrupt without DP_VPCI_INTX_EOI wiring", vpci->name);
		r = -EINVAL;
	} else {
		r = vpci->dops->unmask_irq(vpci->dev, DP_IRQ_INTX, 0);
	}
	pthread_mutex_unlock(&vpci->lock);
	return r;
}

int dp_vpci_reset(struct dp_vpci *vpci)
{
	int r;

	if (!vpci)
		return -EINVAL;
	pthread_mutex_lock(&vpci->lock);
	r = vpci->dev ? do_reset(vpci) : -ENODEV;
	pthread_mutex_unlock(&vpci->lock);
	return r;
}
