/* SPDX-License-Identifier: MIT */
/*
 * mountinfo lines (dp_mountinfo_parse_line: lib/procparse.c). The input is a
 * file's text, cut into lines at each newline as the reader cuts it. A
 * refused line leaves the entry as it was and says -EINVAL or
 * -ENAMETOOLONG; an accepted one has an absolute mount point shorter than
 * PATH_MAX, and whatever was not cut prints back (escaped as the kernel
 * escapes " \t\n\\") into a line that parses to the same entry.
 */
#include "fuzz.h"
#include "hostuse.h"

/* Appends s with the kernel's \ooo escapes of space, tab, newline and backslash. */
static size_t escape(char *out, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
			o += (size_t)sprintf(out + o, "\\%03o", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

static void check_line(const char *line, size_t len, struct dp_mountinfo_entry *e,
		       struct dp_mountinfo_entry *again, char *printed)
{
	size_t o;
	int r;

	memset(e, 0x5a, sizeof(*e));
	r = dp_mountinfo_parse_line(line, len, e);
	if (r < 0) {
		FZ_ASSERT(r == -EINVAL || r == -ENAMETOOLONG, "%d", r);
		FZ_ASSERT(e->major == 0x5a5a5a5au && e->mount_point[0] == 0x5a,
			  "a refused line wrote the entry");
		return;
	}
	FZ_ASSERT(r == 0, "%d", r);
	FZ_ASSERT(e->mount_point[0] == '/', "mount point \"%s\"", e->mount_point);
	FZ_ASSERT(strlen(e->mount_point) < DP_MOUNTINFO_PATH_MAX, "mount point too long");
	FZ_ASSERT(e->fstype[0], "no type");
	FZ_ASSERT(strlen(e->fstype) < sizeof(e->fstype) && strlen(e->source) < sizeof(e->source),
		  "fields not terminated");
	if (e->cut)
		return;
	o = (size_t)sprintf(printed, "1 1 %u:%u / ", e->major, e->minor);
	o += escape(printed + o, e->mount_point);
	o += (size_t)sprintf(printed + o, " rw - ");
	o += escape(printed + o, e->fstype);
	printed[o++] = ' ';
	o += escape(printed + o, e->source);
	o += (size_t)sprintf(printed + o, " rw");
	r = dp_mountinfo_parse_line(printed, o, again);
	FZ_ASSERT(r == 0, "the printed line does not parse back (%d): %s", r, printed);
	FZ_ASSERT(again->major == e->major && again->minor == e->minor && !again->cut &&
		  strcmp(again->mount_point, e->mount_point) == 0 &&
		  strcmp(again->fstype, e->fstype) == 0 && strcmp(again->source, e->source) == 0,
		  "the printed line parses to another entry: %s", printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_mountinfo_entry *e = malloc(sizeof(*e)), *again = malloc(sizeof(*again));
	/* Each escaped byte takes 4: the mount point, type and source, and the rest. */
	char *printed = malloc(4 * (DP_MOUNTINFO_PATH_MAX + 64 + 256) + 64);
	char *text = malloc(size ? size : 1);
	size_t pos = 0;

	if (!e || !again || !printed || !text)
		abort();
	memcpy(text, data, size);
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) : size - pos;

		if (len <= DP_HOST_USE_LINE_LEN)
			check_line(text + pos, len, e, again, printed);
		pos += len + 1;
	}
	/* The whole input as one line: a newline inside is never a line. */
	if (memchr(text, '\n', size)) {
		memset(e, 0, sizeof(*e));
		FZ_ASSERT(dp_mountinfo_parse_line(text, size, e) == -EINVAL, "newline accepted");
	}
	free(text);
	free(printed);
	free(again);
	free(e);
	return 0;
}
