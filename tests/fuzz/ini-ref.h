/* SPDX-License-Identifier: MIT */
/*
 * A reference reader of the INI style that directpath-policy(5) and
 * directpath-vm(5) describe, written from the pages, for the fuzz targets
 * to hold the parser to:
 *  - no NUL byte anywhere (issue 13: it must be an error);
 *  - a UTF-8 byte order mark at the start is ignored;
 *  - lines end in LF or CR LF and have 198 characters at most, leading
 *    white space included, the line end not;
 *  - blank lines and lines whose first character other than white space is
 *    '#' or ';' are ignored; white space is space and tab;
 *  - "[name]" alone on its line (trailing white space allowed) is a section
 *    header; anything after the ']' makes the line wrong;
 *  - other lines are "key = value" (or ':'), white space around both
 *    ignored, and ';' after white space starts a comment in the value.
 * What the pages leave open is reported as INI_OPEN and not judged: other
 * control characters that libinih takes for white space (CR inside a line,
 * VT, FF), a comment after a section header or before the separator, and
 * the byte order mark's share of the first line's length. After such a
 * line only the line lengths are judged.
 */
#ifndef DP_FUZZ_INI_REF_H
#define DP_FUZZ_INI_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define INI_LINE_MAX 198

enum { INI_INVALID, INI_VALID, INI_OPEN };

/* Called for each section header (key NULL) and key; returns an INI_* verdict. */
typedef int (*ini_ref_fn)(const char *section, const char *key, const char *value,
			  void *userdata);

static bool ini_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies [s, e) stripped of white space at both ends into buf. */
static void ini_strip(const char *s, const char *e, char *buf)
{
	while (s < e && ini_space(*s))
		s++;
	while (e > s && ini_space(e[-1]))
		e--;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
}

static int ini_worse(int a, int b)
{
	return a == INI_INVALID || b == INI_INVALID ? INI_INVALID
	       : a == INI_OPEN || b == INI_OPEN   ? INI_OPEN
						   : INI_VALID;
}

static int ini_ref_line(const char *s, size_t len, char *section, ini_ref_fn fn, void *ud)
{
	char line[INI_LINE_MAX + 1], key[INI_LINE_MAX + 1], value[INI_LINE_MAX + 1];
	const char *p, *e, *sep = NULL, *end;

	memcpy(line, s, len);
	line[len] = '\0';
	for (p = line; *p; p++)
		if (*p == '\r' || *p == '\v' || *p == '\f')
			return INI_OPEN;
	p = line;
	while (ini_space(*p))
		p++;
	if (*p == '\0' || *p == '#' || *p == ';')
		return INI_VALID;
	e = line + len;
	while (e > p && ini_space(e[-1]))
		e--;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(e - p));

		if (!close)
			return INI_INVALID;
		if (close + 1 != e) {
			const char *q = close + 1;

			while (q < e && ini_space(*q))
				q++;
			return q > close + 1 && *q == ';' ? INI_OPEN : INI_INVALID;
		}
		memcpy(section, p + 1, (size_t)(close - p - 1));
		section[close - p - 1] = '\0';
		return fn(section, NULL, NULL, ud);
	}
	for (const char *q = p; q < e && !sep; q++) {
		if (*q == '=' || *q == ':')
			sep = q;
		else if (*q == ';' && q > p && ini_space(q[-1]))
			return INI_OPEN;
	}
	if (!sep)
		return INI_INVALID;
	end = e;
	for (const char *q = sep + 1; q < e; q++)
		if (*q == ';' && ini_space(q[-1])) {
			end = q;
			break;
		}
	ini_strip(p, sep, key);
	ini_strip(sep + 1, end, value);
	return fn(section, key, value, ud);
}

/* The verdict on a whole file. */
static int ini_ref(const unsigned char *data, size_t size, ini_ref_fn fn, void *ud)
{
	const char *s = (const char *)data, *end = s + size;
	char section[INI_LINE_MAX + 1] = "";
	int verdict = INI_VALID;
	bool first = true, bom = false;

	if (memchr(data, '\0', size))
		return INI_INVALID;
	if (size >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, bom = true;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = (size_t)((nl ? nl : end) - s);

		if (len && s[len - 1] == '\r')
			len--;
		if (len > INI_LINE_MAX)
			return INI_INVALID;
		if (first && bom && len + 3 > INI_LINE_MAX)
			verdict = ini_worse(verdict, INI_OPEN);
		/* After a line not judged, the section and keys seen are unknown: only lengths count. */
		if (verdict == INI_VALID)
			verdict = ini_ref_line(s, len, section, fn, ud);
		if (verdict == INI_INVALID)
			return verdict;
		first = false;
		s = nl ? nl + 1 : end;
	}
	return verdict;
}

#endif
