/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "msix.h"

int dp_msix_init(struct dp_msix *m, uint16_t size, uint8_t table_bir, uint32_t table_offset,
		 uint8_t pba_bir, uint32_t pba_offset)
{
	m->size = size;
	m->table_bir = table_bir;
	m->table_offset = table_offset;
	m->pba_bir = pba_bir;
	m->pba_offset = pba_offset;
	m->enabled = m->maskall = false;
	m->table = calloc(size ? size : 1, sizeof(*m->table));
	m->routed = calloc(size ? size : 1, sizeof(*m->routed));
	m->is_routed = calloc(size ? size : 1, sizeof(*m->is_routed));
	if (!m->table || !m->routed || !m->is_routed) {
		dp_msix_fini(m);
		return -ENOMEM;
	}
	for (uint16_t v = 0; v < size; v++)
		m->table[v].ctrl = DP_MSIX_VECTOR_MASKED;
	return 0;
}

void dp_msix_fini(struct dp_msix *m)
{
	free(m->table);
	free(m->routed);
	free(m->is_routed);
	m->table = m->routed = NULL;
	m->is_routed = NULL;
	m->size = 0;
}

/* Brings one vector's route in line with what the guest asks for now. */
static int sync_vector(struct dp_msix *m, uint16_t v)
{
	const struct dp_msix_entry *e = &m->table[v];
	bool want = m->enabled && !m->maskall && !(e->ctrl & DP_MSIX_VECTOR_MASKED) &&
		    (e->addr_lo || e->addr_hi);
	int r = 0;

	if (!m->route) /* no irqfd routing: the table is a shadow only */
		return 0;
	if (want && (!m->is_routed[v] || m->routed[v].addr_lo != e->addr_lo ||
		     m->routed[v].addr_hi != e->addr_hi || m->routed[v].data != e->data)) {
		r = m->route(m->opaque, v, (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
		if (r == 0) {
			m->is_routed[v] = true;
			m->routed[v] = *e;
		}
	} else if (!want && m->is_routed[v]) {
		r = m->unroute(m->opaque, v);
		m->is_routed[v] = false;
	}
	return r;
}

int dp_msix_control(struct dp_msix *m, uint16_t control)
{
	int first = 0;

	m->enabled = control & DP_MSIX_CTRL_ENABLE;
	m->maskall = control & DP_MSIX_CTRL_MASKALL;
	for (uint16_t v = 0; v < m->size; v++) {
		int r = sync_vector(m, v);

		if (r < 0 && !first)
			first = r;
	}
	return first;
}

static bool within(uint64_t off, size_t len, uint64_t start, uint64_t size)
{
	return off >= start && off - start < size && len <= size - (off - start);
}

int dp_msix_access(struct dp_msix *m, uint32_t bar, uint64_t offset, void *buf, size_t len,
		   bool write)
{
	uint64_t table_bytes = dp_msix_table_bytes(m->size);
	uint64_t pba_bytes = dp_msix_pba_bytes(m->size);

	if (m->size == 0)
		return 0;
	if (bar == m->table_bir && within(offset, len, m->table_offset, table_bytes)) {
		uint64_t rel = offset - m->table_offset;
		uint16_t v = (uint16_t)(rel / DP_MSIX_ENTRY);
		uint32_t *words = (uint32_t *)&m->table[v];
		unsigned w = (unsigned)(rel % DP_MSIX_ENTRY) / 4;

		if ((len != 4 && len != 8) || (rel % len) != 0)
			return -EINVAL; /* the spec's accesses: aligned dwords or qwords */
		if (!write) {
			memcpy(buf, &words[w], len);
			return 1;
		}
		memcpy(&words[w], buf, len);
		words[3] &= DP_MSIX_VECTOR_MASKED; /* only the mask bit is writable there */
		return sync_vector(m, v) < 0 ? -EIO : 1;
	}
	if (bar == m->pba_bir && within(offset, len, m->pba_offset, pba_bytes)) {
		if ((len != 4 && len != 8) || ((offset - m->pba_offset) % len) != 0)
			return -EINVAL; /* aligned dwords or qwords, as for the table */
		if (!write) {
			uint64_t rel = offset - m->pba_offset, bits = 0;

			for (size_t bit = 0; m->pending && bit < len * 8; bit++) {
				uint64_t v = rel * 8 + bit;

				if (v < m->size && m->pending(m->opaque, (uint32_t)v))
					bits |= 1ull << bit;
			}
			memcpy(buf, &bits, len); /* little-endian host, as PCI */
		}
		return 1; /* the PBA is read-only */
	}
	return 0;
}
