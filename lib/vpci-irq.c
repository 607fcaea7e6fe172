/* SPDX-License-Identifier: MIT */
/* The guest-facing function's interrupts: INTx, MSI and MSI-X through irqfd. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vpci-internal.h"

static bool in_msi_window(uint64_t address)
{
	return address >= MSI_WINDOW_START && address <= MSI_WINDOW_END;
}

/* ---- The VM side: the VMM's callbacks, or the library's own on the VM fd. ---- */

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
	r = dp_vpci_no_kvm(f, "an MSI route", false);
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

int dp_vpci_intx_open(struct dp_vpci *f)
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

void dp_vpci_intx_close(struct dp_vpci *f)
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

uint32_t dp_vpci_msi_off(const struct dp_vpci *f, unsigned what)
{
	bool is64 = dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2) & 0x80u;

	switch (what) {
	case 0: return f->msi_cap + 4u;                 /* address */
	case 1: return f->msi_cap + (is64 ? 12u : 8u);  /* data */
	case 2: return f->msi_cap + (is64 ? 16u : 12u); /* mask bits */
	default: return f->msi_cap + (is64 ? 20u : 16u); /* pending bits */
	}
}

static uint64_t msi_address(const struct dp_vpci *f)
{
	uint64_t a = dp_vpci_le_get(f->cfg, dp_vpci_msi_off(f, 0), 4);

	if (dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2) & 0x80u)
		a |= (uint64_t)dp_vpci_le_get(f->cfg, f->msi_cap + 8u, 4) << 32;
	return a;
}

static bool msi_masked(const struct dp_vpci *f, uint32_t v)
{
	return (dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2) & 0x100u) &&
	       (dp_vpci_le_get(f->cfg, dp_vpci_msi_off(f, 2), 4) >> v & 1u);
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
int dp_vpci_msi_disable(struct dp_vpci *f)
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
	uint32_t data = dp_vpci_le_get(f->cfg, dp_vpci_msi_off(f, 1), 2);

	return (data & ~(n - 1)) | i;
}

static int msi_enable(struct dp_vpci *f)
{
	uint32_t ctrl = dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2);
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
int dp_vpci_msi_update(struct dp_vpci *f)
{
	uint32_t ctrl = dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2);
	bool on = ctrl & 1u;
	uint32_t n = 1u << ((ctrl >> 4) & 7u);
	uint64_t address = msi_address(f);
	int first = 0;

	if (n > f->msi_count)
		n = f->msi_count;
	if (!on)
		return dp_vpci_msi_disable(f);
	if (!f->msi_n)
		return msi_enable(f);
	if (n != f->msi_n || !in_msi_window(address)) {
		dp_vpci_msi_disable(f);
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

void dp_vpci_msi_pending_refresh(struct dp_vpci *f)
{
	uint32_t bits = 0;

	if (!(dp_vpci_le_get(f->cfg, f->msi_cap + 2u, 2) & 0x100u))
		return;
	for (uint32_t i = 0; i < f->msi_n; i++)
		if (!f->msi[i].bound && efd_pending(f->msi[i].efd))
			bits |= 1u << i;
	dp_vpci_le_put(f->cfg, dp_vpci_msi_off(f, 3), bits, 4);
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

int dp_vpci_msix_route_hook(void *opaque, uint32_t v, uint64_t address, uint32_t data)
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

int dp_vpci_msix_unroute_hook(void *opaque, uint32_t v)
{
	struct dp_vpci *f = opaque;
	struct msi_vec *m = &f->msix_vec[v];

	/* The eventfd stays with VFIO: what fires while masked is pending. */
	if (m->bound)
		vm_irqfd(f, m->gsi, m->efd, -1, false);
	m->bound = false;
	return 0;
}

bool dp_vpci_msix_pending_hook(void *opaque, uint32_t v)
{
	struct dp_vpci *f = opaque;

	return !f->msix_vec[v].bound && efd_pending(f->msix_vec[v].efd);
}

/* MSI-X off; the error is INTx's, which comes back on. */
int dp_vpci_msix_teardown(struct dp_vpci *f)
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

int dp_vpci_msix_update(struct dp_vpci *f)
{
	uint16_t ctrl = (uint16_t)dp_vpci_le_get(f->cfg, f->msix_cap + 2u, 2);
	int r;

	if (!(ctrl & DP_MSIX_CTRL_ENABLE)) {
		f->msix.enabled = false;
		f->msix.maskall = ctrl & DP_MSIX_CTRL_MASKALL;
		return dp_vpci_msix_teardown(f);
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

/* ---- The public calls ---- */

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
