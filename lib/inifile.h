/* SPDX-License-Identifier: MIT */
/* INI-style files through libinih, with line numbers and hostile-input limits. */
#ifndef DP_INIFILE_H
#define DP_INIFILE_H

#include <stddef.h>

#include "internal.h"

#include <stdbool.h>

#define DP_INIFILE_MAX_SIZE (1024 * 1024)
/* Bytes of a line, without its LF or CR LF: directpath-policy(5), directpath-vm(5). */
#define DP_INIFILE_MAX_LINE 198

struct dp_inifile;

/* The longest line the reader takes: DP_INIFILE_MAX_LINE, or less under a smaller libinih. */
size_t dp_inifile_line_max(void);

/*
 * Called for each key; returns 0 to go on or a negative errno with a message
 * set by dp_inifile_error(). section is "" before any section header.
 */
typedef int (*dp_inifile_fn)(struct dp_inifile *f, const char *section,
			     const char *key, const char *value, void *userdata);

/* Parses path, calling fn for every key; the first error is logged as "path:line: msg". */
int dp_inifile_parse(struct dp_ctx *ctx, const char *path, dp_inifile_fn fn,
		     void *userdata);

/*
 * The same, and a section header not in sections (NULL-terminated) is an
 * error of its own line, even with no key under it. An entry with a '*'
 * ("device *VVVV:DDDD") takes every longer name that begins with what
 * precedes it (errors show what follows it); fn is then called at the
 * header with key and value NULL to judge the name (non-zero: an error).
 */
int dp_inifile_parse_sections(struct dp_ctx *ctx, const char *path,
			      const char *const *sections, dp_inifile_fn fn, void *userdata);

/* Records the error of the current line (the first one wins); returns -EINVAL. */
int dp_inifile_error(struct dp_inifile *f, const char *format, ...) DP_PRINTF(2, 3);

/* The number of the line being parsed (from 1). */
unsigned dp_inifile_line(const struct dp_inifile *f);

/* Has this key been seen before in this section? Records it. */
int dp_inifile_seen(struct dp_inifile *f, const char *section, const char *key);

/*
 * Reads a regular file of at most max bytes whole, without waiting on a FIFO;
 * the buffer (not NUL-terminated) is the caller's to free. Logs "path: why";
 * -EINVAL when it is not a regular file, -EFBIG when larger than max.
 */
int dp_read_text_file(struct dp_ctx *ctx, const char *path, size_t max, char **out,
		      size_t *len);

/* The next line of buf at *pos, without the LF or CR LF that ends it; false after the last. */
bool dp_next_line(const char *buf, size_t len, size_t *pos, const char **line,
		  size_t *line_len);

#endif
