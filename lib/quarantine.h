/* SPDX-License-Identifier: MIT */
/*
 * Quarantine: a device held on vfio-pci after a reset the library could
 * not verify (or after every detach under release = quarantine), recorded
 * in the run directory with its reason until it is released.
 */
#ifndef DP_QUARANTINE_H
#define DP_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "resetcheck.h"

/*
 * RUN_DIR/quarantine/BDF, one file per device, written atomically:
 *   reason=ONE LINE\n
 *   time=SECONDS SINCE THE EPOCH\n
 *   before=VVVV DDDD CCCC HH BAR0 .. BAR5 ROM\n   (optional; hex, fixed widths)
 * "before" is the config header the device had before the library reset it,
 * what a release verifies it against. Unknown keys of the same form are
 * ignored (a newer library's); anything else makes the record untrusted.
 */
#define DP_QUARANTINE_DIR "quarantine"
#define DP_QUARANTINE_REASON_MAX 512
#define DP_QUARANTINE_RECORD_MAX 4096

struct dp_quarantine_record {
	char reason[DP_QUARANTINE_REASON_MAX];
	int64_t time;                    /* seconds since the epoch */
	struct dp_reset_snapshot before; /* .valid when the record carries one */
};

/* Parses a record's text; 0, or -EINVAL with why (always terminated). Pure. */
int dp_quarantine_parse(const char *buf, size_t len, struct dp_quarantine_record *rec,
			char *why, size_t why_len);
/* The text of rec into buf; its length, or -ENAMETOOLONG. Control characters become spaces. */
int dp_quarantine_format(const struct dp_quarantine_record *rec, char *buf, size_t size);
/* dp_quarantine_add with the config header before the reset (NULL or !valid: none). */
int dp_quarantine_add_before(struct dp_ctx *ctx, const char *bdf, const char *reason,
			     const struct dp_reset_snapshot *before);
/*
 * 1 and *rec when bdf is quarantined, 0 when not; -errno (logged) when the
 * record or its directory cannot be trusted: a symbolic link, not a regular
 * file, owned by another user than root or this one, writable by group or
 * others, too large, or garbage. Untrusted means its contents are not used,
 * and the device counts as quarantined (it stays held until released).
 */
int dp_quarantine_read(struct dp_ctx *ctx, const char *bdf, struct dp_quarantine_record *rec);

/* Records bdf as quarantined with a one-line reason; replaces an older record. 0 or -errno. */
int dp_quarantine_add(struct dp_ctx *ctx, const char *bdf, const char *reason);
/*
 * 1 and the reason (malloc'd, freed by the caller; may be NULL) when bdf is
 * quarantined, 0 when not, -errno when the record cannot be trusted (logged).
 */
int dp_quarantine_get(struct dp_ctx *ctx, const char *bdf, char **reason);
/* Removes the record; 0 also when there was none. */
int dp_quarantine_remove(struct dp_ctx *ctx, const char *bdf);

#endif
