/* SPDX-License-Identifier: MIT */
/* INI-style files through libinih, with line numbers and hostile-input limits. */
#ifndef DP_INIFILE_H
#define DP_INIFILE_H

#include <stddef.h>

#include "internal.h"

#define DP_INIFILE_MAX_SIZE (1024 * 1024)
#define DP_INIFILE_MAX_LINE 1024 /* what we read; libinih takes less (INI_MAX_LINE) */

struct dp_inifile;

/*
 * Called for each key; returns 0 to go on or a negative errno with a message
 * set by dp_inifile_error(). section is "" before any section header.
 */
typedef int (*dp_inifile_fn)(struct dp_inifile *f, const char *section,
			     const char *key, const char *value, void *userdata);

/* Parses path, calling fn for every key; the first error is logged as "path:line: msg". */
int dp_inifile_parse(struct dp_ctx *ctx, const char *path, dp_inifile_fn fn,
		     void *userdata);

/* Records the error of the current line (the first one wins); returns -EINVAL. */
int dp_inifile_error(struct dp_inifile *f, const char *format, ...) DP_PRINTF(2, 3);

/* Has this key been seen before in this section? Records it. */
int dp_inifile_seen(struct dp_inifile *f, const char *section, const char *key);

/* yes/no/true/false/on/off/1/0; -EINVAL otherwise. */
int dp_parse_bool(const char *s);

#endif
